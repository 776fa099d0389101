#pragma once
// Small numerical helpers shared by the threshold module: R's type-7 quantile, Brent's
// derivative-free minimiser (Brent 1973, "Algorithms for Minimization without Derivatives",
// ch. 5 — the algorithm R's optimize() uses, so Muggeo's line search follows the same path),
// and input validation with messages naming the argument.

#include <vasostat/core/error.hpp>
#include <vasostat/survival/common.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
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

/// A stable ascending order of keys together with the keys in that order.
struct sorted_keys {
  std::vector<std::uint32_t> index;  ///< key[index[0]] <= key[index[1]] <= ..., ties in index order
  std::vector<double> value;         ///< key[index[k]]
};

/// Stable ascending order of finite keys (ties keep their index order, exactly as
/// std::stable_sort with operator<), with the sorted keys. From 512 keys an LSD radix sort on a
/// range-normalised integer key: q(v) = floor((v - lo) * 2^B / (hi - lo)) is non-decreasing in v
/// (each rounded step is monotone), so sorting by q stably (two or three counting passes of 8-11
/// bits over packed (q, index) words) leaves out of order only keys that share a q; each such run
/// is then finished by an insertion sort on the doubles (a stable sort for long runs), which
/// never crosses a run boundary. O(n) for spread-out keys, O(n log n) at worst (all keys in a
/// few q levels). scratch is reused between calls.
inline void sort_keys(std::span<const double> key, sorted_keys& out, std::vector<std::uint64_t>& scratch) {
  const std::size_t n = key.size();
  out.index.resize(n);
  out.value.resize(n);
  std::uint32_t* idx = out.index.data();
  double* val = out.value.data();
  auto comparison_sort = [&] {
    for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::uint32_t>(i);
    std::stable_sort(idx, idx + n, [&](std::uint32_t a, std::uint32_t b) { return key[a] < key[b]; });
    for (std::size_t k = 0; k < n; ++k) val[k] = key[idx[k]];
  };
  if (n < 512 || n >= (std::size_t{1} << 31)) {
    comparison_sort();
    return;
  }
  double lo = key[0], hi = key[0];
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, key[i]);
    hi = std::max(hi, key[i]);
  }
  const int digit = n < 4096 ? 8 : 11;
  const int passes = n < (std::size_t{1} << 18) ? 2 : 3;
  const int bits = std::min(32, digit * passes);
  const double levels = std::ldexp(1.0, bits);
  const double scale = levels / (hi - lo);
  if (!(hi > lo) || !std::isfinite(scale) || !(scale > 0)) {
    comparison_sort();
    return;
  }
  const std::uint32_t mask = (std::uint32_t{1} << digit) - 1;
  const std::size_t width = std::size_t{1} << digit;
  std::array<std::uint32_t, 3 * 2048> count;  // NOLINT(cppcoreguidelines-pro-type-member-init): filled below
  std::fill_n(count.begin(), static_cast<std::size_t>(passes) * width, std::uint32_t{0});
  scratch.resize(2 * n);
  std::uint64_t* src = scratch.data();
  std::uint64_t* dst = src + n;
  std::uint32_t* c0 = count.data();
  std::uint32_t* c1 = c0 + width;
  std::uint32_t* c2 = c1 + width;
  auto qkey = [&](std::size_t i) {
    return static_cast<std::uint32_t>(std::min((key[i] - lo) * scale, levels - 1));
  };
  if (passes == 2) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t q = qkey(i);
      src[i] = (static_cast<std::uint64_t>(q) << 32) | i;
      ++c0[q & mask];
      ++c1[(q >> digit) & mask];
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t q = qkey(i);
      src[i] = (static_cast<std::uint64_t>(q) << 32) | i;
      ++c0[q & mask];
      ++c1[(q >> digit) & mask];
      ++c2[(q >> (2 * digit)) & mask];
    }
  }
  for (int p = 0; p < passes; ++p) {
    std::uint32_t* c = count.data() + static_cast<std::size_t>(p) * width;
    const int shift = 32 + p * digit;
    if (c[(src[0] >> shift) & mask] == n) continue;  // one digit value: the pass is the identity
    std::uint32_t sum = 0;
    for (std::size_t b = 0; b < width; ++b) {
      const std::uint32_t t = c[b];
      c[b] = sum;
      sum += t;
    }
    for (std::size_t i = 0; i < n; ++i) {
      dst[c[(src[i] >> shift) & mask]++] = src[i];
    }
    std::swap(src, dst);
  }
  for (std::size_t k = 0; k < n; ++k) {
    idx[k] = static_cast<std::uint32_t>(src[k]);
    val[k] = key[idx[k]];
  }
  // finish the runs of equal q in which the doubles are out of order
  std::vector<std::pair<double, std::uint32_t>> run;
  for (std::size_t k = 1; k < n; ++k) {
    if (!(val[k] < val[k - 1])) continue;
    const std::uint64_t q = src[k] >> 32;
    std::size_t b = k - 1;
    while (b > 0 && (src[b - 1] >> 32) == q) --b;
    std::size_t e = k + 1;
    while (e < n && (src[e] >> 32) == q) ++e;
    if (e - b <= 32) {
      for (std::size_t i = b + 1; i < e; ++i) {
        const double v = val[i];
        const std::uint32_t ix = idx[i];
        std::size_t j = i;
        for (; j > b && v < val[j - 1]; --j) {
          val[j] = val[j - 1];
          idx[j] = idx[j - 1];
        }
        val[j] = v;
        idx[j] = ix;
      }
    } else {
      run.resize(e - b);
      for (std::size_t i = b; i < e; ++i) run[i - b] = {val[i], idx[i]};
      std::stable_sort(run.begin(), run.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      for (std::size_t i = b; i < e; ++i) {
        val[i] = run[i - b].first;
        idx[i] = run[i - b].second;
      }
    }
    k = e - 1;
  }
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
