#pragma once
// Small numerical helpers shared by the threshold module: R's type-7 quantile, Brent's
// derivative-free minimiser (Brent 1973, "Algorithms for Minimization without Derivatives",
// ch. 5 — the algorithm R's optimize() uses, so Muggeo's line search follows the same path),
// and input validation with messages naming the argument.

#include <vasostat/core/error.hpp>
#include <vasostat/survival/common.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold::detail {

/// R's quantile(type = 7) of already sorted data.
[[nodiscard]] inline double quantile7_sorted(std::span<const double> sorted, double p) noexcept {
  const auto n = sorted.size();
  if (n == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double h = static_cast<double>(n - 1) * p;
  const double lo = std::floor(h + 4 * std::numeric_limits<double>::epsilon() * h);
  auto j = static_cast<std::size_t>(std::max(0.0, lo));
  if (j >= n - 1) {
    return sorted[n - 1];
  }
  const double frac = h - static_cast<double>(j);
  if (std::fabs(frac) < 4 * std::numeric_limits<double>::epsilon()) {
    return sorted[j];
  }
  return (1 - frac) * sorted[j] + frac * sorted[j + 1];
}

/// Stable ascending order of key (ties keep their index order, as std::stable_sort): the survival
/// module's O(n) radix sort for large n, a comparison sort below 1024 keys where the radix
/// passes' fixed cost dominates.
[[nodiscard]] inline std::vector<std::size_t> stable_order(std::span<const double> key) {
  if (key.size() >= 1024) {
    return survival::detail::order_ascending(key);
  }
  std::vector<std::size_t> o(key.size());
  for (std::size_t i = 0; i < o.size(); ++i) o[i] = i;
  std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return key[a] < key[b]; });
  return o;
}

[[nodiscard]] inline double quantile7(std::span<const double> x, double p) {
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  return quantile7_sorted(s, p);
}

/// Result of brent_minimize: the abscissa and the objective there.
struct brent_result {
  double minimum = 0;
  double objective = 0;
};

/// Minimises f on [a, b] to tolerance tol (R optimize()'s default tol is eps^0.25).
template <class F>
[[nodiscard]] brent_result brent_minimize(F&& f, double a, double b,
                                          double tol = 0.0001220703125) {
  const double c = (3.0 - std::sqrt(5.0)) * 0.5;
  const double eps = std::sqrt(std::numeric_limits<double>::epsilon());
  double v = a + c * (b - a);
  double w = v;
  double x = v;
  double d = 0;
  double e = 0;
  double fx = f(x);
  double fv = fx;
  double fw = fx;
  const double tol3 = tol / 3.0;
  for (;;) {
    const double xm = (a + b) * 0.5;
    const double tol1 = eps * std::fabs(x) + tol3;
    const double t2 = tol1 * 2.0;
    if (std::fabs(x - xm) <= t2 - (b - a) * 0.5) {
      break;
    }
    double p = 0;
    double q = 0;
    double r = 0;
    if (std::fabs(e) > tol1) {
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = (q - r) * 2.0;
      if (q > 0) {
        p = -p;
      } else {
        q = -q;
      }
      r = e;
      e = d;
    }
    double u = 0;
    if (std::fabs(p) >= std::fabs(q * 0.5 * r) || p <= q * (a - x) || p >= q * (b - x)) {
      e = (x < xm) ? b - x : a - x;
      d = c * e;
    } else {
      d = p / q;
      u = x + d;
      if (u - a < t2 || b - u < t2) {
        d = (x >= xm) ? -tol1 : tol1;
      }
    }
    if (std::fabs(d) >= tol1) {
      u = x + d;
    } else {
      u = (d > 0) ? x + tol1 : x - tol1;
    }
    const double fu = f(u);
    if (fu <= fx) {
      if (u < x) {
        b = x;
      } else {
        a = x;
      }
      v = w;
      w = x;
      x = u;
      fv = fw;
      fw = fx;
      fx = fu;
    } else {
      if (u < x) {
        a = u;
      } else {
        b = u;
      }
      if (fu <= fw || w == x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v == x || v == w) {
        v = u;
        fv = fu;
      }
    }
  }
  return {x, fx};
}

// Validation -------------------------------------------------------------------------------

inline void expect_finite(std::span<const double> v, const char* fn, const char* arg) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    VASOSTAT_EXPECTS(std::isfinite(v[i]), std::string(fn) + ": " + arg + "[" + std::to_string(i) +
                                              "] is not finite (NaN or Inf)");
  }
}

inline void expect_size(std::size_t got, std::size_t want, const char* fn, const char* arg,
                        const char* ref) {
  VASOSTAT_EXPECTS(got == want, std::string(fn) + ": " + arg + " has size " + std::to_string(got) +
                                    " but " + ref + " has size " + std::to_string(want));
}

inline void expect_not_constant(std::span<const double> v, const char* fn, const char* arg) {
  bool constant = true;
  for (std::size_t i = 1; i < v.size() && constant; ++i) {
    constant = v[i] == v[0];
  }
  VASOSTAT_EXPECTS(!constant, std::string(fn) + ": " + arg + " is constant");
}

inline void expect_level(double level, const char* fn, const char* arg) {
  VASOSTAT_EXPECTS(level > 0 && level < 1,
                   std::string(fn) + ": " + arg + " must lie in (0, 1), got " + std::to_string(level));
}

}  // namespace vasostat::inline v0::threshold::detail
