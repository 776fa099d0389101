#pragma once
// Reads the reference numbers committed under tests/reference/ (written by the R scripts there).

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace vasostat_test {

inline std::string reference_path(const std::string& relative) {
  return std::string(VASOSTAT_REFERENCE_DIR) + "/" + relative;
}

/// "key value" lines; value parsed with strtod (accepts NaN, Inf, 1e-300).
class reference_values {
 public:
  explicit reference_values(const std::string& relative) {
    std::ifstream in(reference_path(relative));
    if (!in) {
      throw std::runtime_error("cannot open reference file " + relative);
    }
    std::string key;
    std::string value;
    while (in >> key >> value) {
      values_[key] = std::strtod(value.c_str(), nullptr);
    }
  }
  [[nodiscard]] bool has(const std::string& key) const { return values_.count(key) != 0; }
  [[nodiscard]] double operator[](const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) {
      throw std::runtime_error("reference key missing: " + key);
    }
    return it->second;
  }

 private:
  std::map<std::string, double> values_;
};

/// A CSV with a header row and numeric cells; columns by name.
class csv_table {
 public:
  explicit csv_table(const std::string& relative) {
    std::ifstream in(reference_path(relative));
    if (!in) {
      throw std::runtime_error("cannot open reference file " + relative);
    }
    std::string line;
    std::getline(in, line);
    std::stringstream header(line);
    std::string cell;
    while (std::getline(header, cell, ',')) {
      names_.push_back(cell);
      columns_.emplace_back();
    }
    while (std::getline(in, line)) {
      if (line.empty()) {
        continue;
      }
      std::stringstream row(line);
      for (std::size_t j = 0; j < names_.size() && std::getline(row, cell, ','); ++j) {
        columns_[j].push_back(std::strtod(cell.c_str(), nullptr));
      }
    }
  }
  [[nodiscard]] const std::vector<double>& column(const std::string& name) const {
    for (std::size_t j = 0; j < names_.size(); ++j) {
      if (names_[j] == name) {
        return columns_[j];
      }
    }
    throw std::runtime_error("column missing: " + name);
  }
  [[nodiscard]] std::size_t rows() const { return columns_.empty() ? 0 : columns_[0].size(); }

 private:
  std::vector<std::string> names_;
  std::vector<std::vector<double>> columns_;
};

/// |actual - expected| <= tol * max(|expected|, tiny): relative agreement; both NaN agrees.
inline bool close_relative(double actual, double expected, double tol, double tiny = 1e-300) {
  if (std::isnan(expected)) {
    return std::isnan(actual);
  }
  if (std::isinf(expected)) {
    return actual == expected;
  }
  return std::abs(actual - expected) <= tol * std::max(std::abs(expected), tiny);
}

}  // namespace vasostat_test

/// CHECK that `actual` agrees with `expected` to relative tolerance `tol`, printing both.
#define VASOSTAT_CHECK_CLOSE(actual, expected, tol)                                   \
  do {                                                                                \
    const double vasostat_actual_ = (actual);                                         \
    const double vasostat_expected_ = (expected);                                     \
    INFO(#actual " = " << vasostat_actual_ << ", expected " << vasostat_expected_);  \
    CHECK(vasostat_test::close_relative(vasostat_actual_, vasostat_expected_, (tol))); \
  } while (false)

/// As VASOSTAT_CHECK_CLOSE, or within the absolute floor `absolute` (for values whose
/// reference is only accurate to an absolute rounding error).
#define VASOSTAT_CHECK_CLOSE_OR_BELOW(actual, expected, tol, absolute)                      \
  do {                                                                                    \
    const double vasostat_actual_ = (actual);                                             \
    const double vasostat_expected_ = (expected);                                         \
    INFO(#actual " = " << vasostat_actual_ << ", expected " << vasostat_expected_);      \
    CHECK((vasostat_test::close_relative(vasostat_actual_, vasostat_expected_, (tol)) ||  \
           std::abs(vasostat_actual_ - vasostat_expected_) <= (absolute)));               \
  } while (false)
