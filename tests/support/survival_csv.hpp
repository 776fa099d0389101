#pragma once
// Minimal reader for the R-written reference CSVs under tests/reference/survival/ (no commas
// inside fields; "NA"/"NaN" -> NaN, "Inf" -> inf, quotes stripped).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace survival_test {

struct table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  std::size_t col(const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return i;
    throw std::runtime_error("no column " + name);
  }
  std::string str(std::size_t r, const std::string& name) const { return rows[r][col(name)]; }
  double num(std::size_t r, const std::string& name) const { return to_num(rows[r][col(name)]); }
  static double to_num(const std::string& s) {
    if (s == "NA" || s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Inf") return std::numeric_limits<double>::infinity();
    if (s == "-Inf") return -std::numeric_limits<double>::infinity();
    return std::stod(s);
  }
  std::vector<double> column(const std::string& name) const {
    std::vector<double> out;
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(num(r, name));
    return out;
  }
  std::vector<int> int_column(const std::string& name) const {
    std::vector<int> out;
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(static_cast<int>(num(r, name)));
    return out;
  }
};

inline std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '"' && c != '\r') {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

inline table read_csv(const std::string& file) {
  std::ifstream in(std::string(VASOSTAT_REFERENCE_DIR) + "/survival/" + file);
  if (!in) throw std::runtime_error("cannot open reference file " + file);
  table t;
  std::string line;
  std::getline(in, line);
  t.names = split(line);
  while (std::getline(in, line))
    if (!line.empty()) t.rows.push_back(split(line));
  return t;
}

/// Rows of `t` whose columns equal the given strings.
inline table filter(const table& t, const std::map<std::string, std::string>& eq) {
  table out;
  out.names = t.names;
  for (const auto& r : t.rows) {
    bool ok = true;
    for (const auto& [k, v] : eq) ok = ok && r[t.col(k)] == v;
    if (ok) out.rows.push_back(r);
  }
  return out;
}

/// Relative closeness (with a 1e-14 absolute floor); NaN matches NaN and inf matches inf.
inline bool close(double a, double b, double tol) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <= tol * std::abs(b) + 1e-14;
}

}  // namespace survival_test
