#pragma once
// Readers for the committed R reference files under tests/reference/threshold/: a data CSV
// (header of quoted or bare names, numeric columns) and a long "case,name,value" CSV.

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace threshold_test {

inline std::string reference_path(const std::string& file) {
  return std::string(VASOSTAT_REFERENCE_DIR) + "/threshold/" + file;
}

inline std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    s = s.substr(1, s.size() - 2);
  }
  return s;
}

inline std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::stringstream ss(line);
  while (std::getline(ss, cell, ',')) {
    out.push_back(unquote(cell));
  }
  return out;
}

/// Columns of a numeric CSV by name.
inline std::map<std::string, std::vector<double>> read_columns(const std::string& file) {
  std::ifstream in(reference_path(file));
  if (!in) {
    throw std::runtime_error("cannot open " + reference_path(file));
  }
  std::string line;
  std::getline(in, line);
  const auto names = split(line);
  std::map<std::string, std::vector<double>> cols;
  while (std::getline(in, line)) {
    if (line.empty()) {
      continue;
    }
    const auto cells = split(line);
    for (std::size_t j = 0; j < names.size() && j < cells.size(); ++j) {
      cols[names[j]].push_back(cells[j] == "NA" ? std::numeric_limits<double>::quiet_NaN()
                                                : std::stod(cells[j]));
    }
  }
  return cols;
}

/// (case, name) -> value from a long reference file.
inline std::map<std::pair<std::string, std::string>, double> read_reference(const std::string& file) {
  std::ifstream in(reference_path(file));
  if (!in) {
    throw std::runtime_error("cannot open " + reference_path(file));
  }
  std::string line;
  std::getline(in, line);
  std::map<std::pair<std::string, std::string>, double> ref;
  while (std::getline(in, line)) {
    const auto cells = split(line);
    if (cells.size() == 3) {
      ref[{cells[0], cells[1]}] = std::stod(cells[2]);
    }
  }
  return ref;
}

inline double rel_diff(double a, double b) {
  const double scale = std::max(std::abs(a), std::abs(b));
  return scale == 0 ? 0.0 : std::abs(a - b) / scale;
}

/// The Gaussian reference data sets shared by the threshold_grid and threshold_effect tests
/// (R segmented's examples and R data sets): outcome, threshold variable, covariates.
struct gaussian_case {
  const char* name;
  const char* file;
  const char* y;
  const char* x;
  std::vector<std::string> covs;
};

inline const std::vector<gaussian_case>& gaussian_cases() {
  static const std::vector<gaussian_case> cases{
      {"stagnant", "segmented_stagnant_data.csv", "y", "x", {}},
      {"plant", "segmented_plant_groups_data.csv", "y", "time", {"g2", "g3"}},
      {"airquality", "segmented_airquality_data.csv", "Ozone", "Temp", {"Wind"}},
      {"cars", "segmented_cars_data.csv", "dist", "speed", {}},
  };
  return cases;
}

/// A case's columns: y, x and the n x q covariate matrix.
struct loaded_case {
  std::vector<double> y;
  std::vector<double> x;
  Eigen::MatrixXd cov;
};

inline loaded_case load_case(const gaussian_case& d) {
  auto cols = read_columns(d.file);
  loaded_case out{cols.at(d.y), cols.at(d.x), {}};
  out.cov.resize(static_cast<Eigen::Index>(out.y.size()), static_cast<Eigen::Index>(d.covs.size()));
  for (std::size_t j = 0; j < d.covs.size(); ++j) {
    for (std::size_t i = 0; i < out.y.size(); ++i) {
      out.cov(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = cols.at(d.covs[j])[i];
    }
  }
  return out;
}

}  // namespace threshold_test
