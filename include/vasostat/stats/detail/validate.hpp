#pragma once
// Input checks shared by the statistics modules; messages name the function and the argument.

#include <vasostat/core/error.hpp>

#include <cmath>
#include <cstddef>
#include <span>
#include <string>

namespace vasostat::inline v0::stats::detail {

inline std::string where_arg(const char* where, const char* name) {
  return std::string(where) + ": " + name;
}

/// Throws unless every value is finite.
inline void expect_finite(std::span<const double> v, const char* where, const char* name) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    VASOSTAT_EXPECTS(std::isfinite(v[i]), where_arg(where, name) + "[" + std::to_string(i) +
                                              "] is not finite (" + std::to_string(v[i]) + ")");
  }
}

/// Throws unless a and b have the same length.
inline void expect_same_size(std::size_t a, std::size_t b, const char* where, const char* name_a,
                             const char* name_b) {
  VASOSTAT_EXPECTS(a == b, std::string(where) + ": " + name_a + " and " + name_b +
                               " have different lengths (" + std::to_string(a) + " and " +
                               std::to_string(b) + ")");
}

/// Throws unless 0 < level < 1.
inline void expect_confidence_level(double level, const char* where) {
  VASOSTAT_EXPECTS(level > 0 && level < 1, std::string(where) + ": confidence_level (" +
                                               std::to_string(level) + ") is not in (0, 1)");
}

}  // namespace vasostat::inline v0::stats::detail
