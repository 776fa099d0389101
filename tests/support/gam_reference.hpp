#pragma once
// Readers for the mgcv reference files under tests/reference/gam (written by gam_reference.R).

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace gam_test {

inline std::string reference_path(const std::string& file) {
  return std::string(VASOSTAT_REFERENCE_DIR) + "/gam/" + file;
}

/// "name v1 v2 ..." lines; '#' lines are comments.
inline std::map<std::string, std::vector<double>> read_reference(const std::string& name) {
  std::ifstream in(reference_path(name + ".ref.txt"));
  if (!in) throw std::runtime_error("cannot open reference " + name);
  std::map<std::string, std::vector<double>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string key;
    ss >> key;
    std::vector<double> v;
    std::string tok;
    while (ss >> tok) v.push_back(tok == "NA" ? std::numeric_limits<double>::quiet_NaN() : std::stod(tok));
    out[key] = std::move(v);
  }
  return out;
}

/// CSV with a header row; returns columns by name.
inline std::map<std::string, std::vector<double>> read_csv(const std::string& file) {
  std::ifstream in(reference_path(file));
  if (!in) throw std::runtime_error("cannot open " + file);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  {
    std::istringstream ss(line);
    std::string tok;
    while (std::getline(ss, tok, ',')) {
      if (tok.size() >= 2 && tok.front() == '"') tok = tok.substr(1, tok.size() - 2);
      names.push_back(tok);
    }
  }
  std::map<std::string, std::vector<double>> out;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ss(line);
    std::string tok;
    for (std::size_t j = 0; j < names.size() && std::getline(ss, tok, ','); ++j)
      out[names[j]].push_back(std::stod(tok));
  }
  return out;
}

inline double max_rel_diff(const Eigen::VectorXd& a, const std::vector<double>& b) {
  double m = 0, scale = 0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  for (Eigen::Index i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[static_cast<std::size_t>(i)]) / scale);
  return m;
}

}  // namespace gam_test

#include <vasostat/gam.hpp>

namespace gam_test {

struct reference_case {
  const char* name;
  std::vector<std::string> parametric;  // covariate columns, in mgcv's coefficient order
  std::vector<std::string> smooth_vars;
  std::vector<int> k;
  const char* response;
  vasostat::gam::family family;
  std::vector<vasostat::gam::basis_type> basis = {};  // per smooth; empty = all ps
};

inline const std::vector<reference_case>& gaussian_cases() {
  static const std::vector<reference_case> cases = {
      {"mcycle_k20", {}, {"times"}, {20}, "accel", vasostat::gam::family::gaussian},
      {"mcycle_k10", {}, {"times"}, {10}, "accel", vasostat::gam::family::gaussian},
      {"airquality", {"Solar.R"}, {"Temp", "Wind"}, {10, 10}, "logOzone", vasostat::gam::family::gaussian},
      {"trees_gaussian", {"Height"}, {"Girth"}, {8}, "Volume", vasostat::gam::family::gaussian},
  };
  return cases;
}

inline const std::vector<reference_case>& glm_cases() {
  static const std::vector<reference_case> cases = {
      {"birthwt_binomial", {"age", "smoke"}, {"lwt"}, {10}, "low", vasostat::gam::family::binomial},
      {"quakes_poisson", {"depth"}, {"mag"}, {10}, "stations", vasostat::gam::family::poisson},
  };
  return cases;
}

/// Gamma (log link), scale unknown: REML/ML profile log(phi) with the exact gamma likelihood.
/// trees_gamma has a prediction grid, gamsim_gamma (mgcv gamSim(1) covariates) has not.
inline const std::vector<reference_case>& gamma_cases() {
  static const std::vector<reference_case> cases = {
      {"trees_gamma", {"Height"}, {"Girth"}, {8}, "Volume", vasostat::gam::family::gamma},
      {"gamsim_gamma", {"x0"}, {"x1", "x2"}, {10, 10}, "y", vasostat::gam::family::gamma},
  };
  return cases;
}

/// Cubic regression spline (bs = "cr") cases of cr_reference.R: mcycle (k = 20), gamSim(1) with
/// three cr smooths (k = 10, 10, 6) and a P-spline, and quakes (Poisson); all have a grid that
/// reaches beyond the data.
inline const std::vector<reference_case>& cr_cases() {
  using vasostat::gam::basis_type;
  static const std::vector<reference_case> cases = {
      {"mcycle_cr", {}, {"times"}, {20}, "accel", vasostat::gam::family::gaussian, {basis_type::cr}},
      {"gamsim_cr", {}, {"x0", "x1", "x2", "x3"}, {10, 10, 10, 6}, "y", vasostat::gam::family::gaussian,
       {basis_type::cr, basis_type::cr, basis_type::ps, basis_type::cr}},
      {"quakes_cr", {"depth"}, {"mag"}, {10}, "stations", vasostat::gam::family::poisson, {basis_type::cr}},
  };
  return cases;
}

/// The simulated septic-shock cohort of the demo (septic_reference.R): each outcome ~ APACHE II +
/// heart rate + log IL-6 + s(NE dose, k = 10) (Gaussian), and 28-day death ~ APACHE II + s(dose)
/// (binomial); the cohort's MFI, PPV and HI were measured by vasostat's image pipeline.
inline const std::vector<reference_case>& septic_cases() {
  using vasostat::gam::family;
  static const std::vector<reference_case> cases = {
      {"septic_mfi", {"apache", "heart_rate", "log_il6"}, {"dose"}, {10}, "mfi", family::gaussian},
      {"septic_ppv", {"apache", "heart_rate", "log_il6"}, {"dose"}, {10}, "ppv", family::gaussian},
      {"septic_hi", {"apache", "heart_rate", "log_il6"}, {"dose"}, {10}, "hi", family::gaussian},
      {"septic_lactate", {"apache", "heart_rate", "log_il6"}, {"dose"}, {10}, "lactate", family::gaussian},
      {"septic_died", {"apache"}, {"dose"}, {10}, "died", family::binomial},
  };
  return cases;
}

struct loaded_case {
  std::map<std::string, std::vector<double>> data, ref;
  Eigen::MatrixXd covariates;
  std::vector<vasostat::gam::smooth_term> smooths;
  const std::vector<double>* y = nullptr;
};

inline loaded_case load(const reference_case& c) {
  loaded_case l;
  l.data = read_csv(std::string(c.name) + ".data.csv");
  l.ref = read_reference(c.name);
  l.y = &l.data.at(c.response);
  const auto n = static_cast<Eigen::Index>(l.y->size());
  l.covariates.resize(n, static_cast<Eigen::Index>(c.parametric.size()));
  for (std::size_t j = 0; j < c.parametric.size(); ++j)
    for (Eigen::Index i = 0; i < n; ++i)
      l.covariates(i, static_cast<Eigen::Index>(j)) = l.data.at(c.parametric[j])[static_cast<std::size_t>(i)];
  for (std::size_t j = 0; j < c.smooth_vars.size(); ++j)
    l.smooths.push_back(vasostat::gam::smooth(
        l.data.at(c.smooth_vars[j]),
        {.k = c.k[j], .basis = c.basis.empty() ? vasostat::gam::basis_type::ps : c.basis[j]}));
  return l;
}

inline bool close(double got, double want, double rel, double abs_tol = 0) {
  return std::abs(got - want) <= std::max(rel * std::abs(want), abs_tol);
}

}  // namespace gam_test
