#pragma once
// Readers for the mgcv reference files under tests/reference/gam (written by gam_reference.R).

#include <Eigen/Dense>

#include <fstream>
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

inline Eigen::MatrixXd columns(const std::map<std::string, std::vector<double>>& data,
                               const std::vector<std::string>& names) {
  const auto n = static_cast<Eigen::Index>(data.at(names.empty() ? data.begin()->first : names[0]).size());
  Eigen::MatrixXd x(names.empty() ? data.begin()->second.size() : n, static_cast<Eigen::Index>(names.size()));
  for (std::size_t j = 0; j < names.size(); ++j)
    for (Eigen::Index i = 0; i < x.rows(); ++i) x(i, static_cast<Eigen::Index>(j)) = data.at(names[j])[static_cast<std::size_t>(i)];
  return x;
}

inline double max_rel_diff(const Eigen::VectorXd& a, const std::vector<double>& b) {
  double m = 0, scale = 0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  for (Eigen::Index i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(a[i] - b[static_cast<std::size_t>(i)]) / scale);
  return m;
}

}  // namespace gam_test
