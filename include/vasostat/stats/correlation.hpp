#pragma once
// Correlation tests as R's cor.test: Pearson (t test, Fisher-z CI), Spearman (exact AS 89
// p-value for n < 1290 without ties, t approximation otherwise) and Kendall's tau-b (exact
// for n < 50 without ties, tie-corrected normal otherwise). Beyond cor.test: a test of
// ρ = ρ₀ ≠ 0 by Fisher z, and Spearman/Kendall confidence intervals on the Fisher-z scale
// (Fieller, Hartley & Pearson 1957, or Bonett & Wright 2000). Pearson/Spearman O(n log n),
// Kendall O(n²).

#include <vasostat/stats/detail/rank_null.hpp>
#include <vasostat/stats/detail/validate.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/stats/ranks.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::stats {

enum class alternative_hypothesis : std::uint8_t { two_sided, less, greater };

/// How the null distribution of a rank statistic is obtained; automatic is R's rule.
enum class exactness : std::uint8_t { automatic, exact, asymptotic };

/// Standard error of z = atanh(estimate) for Spearman's confidence interval.
enum class rank_interval : std::uint8_t {
  fieller,       ///< Spearman 1.06/(n-3), Kendall 0.437/(n-4) (Fieller, Hartley & Pearson 1957)
  bonett_wright  ///< Spearman (1 + ρ²/2)/(n-3) (Bonett & Wright 2000); Kendall as Fieller
};

struct correlation_options {
  alternative_hypothesis alternative = alternative_hypothesis::two_sided;
  double confidence_level = 0.95;
  /// Pearson only: the null value ρ₀; when non-zero the test is Fisher's z (cor.test tests 0).
  double null_value = 0;
  exactness exact = exactness::automatic;
  /// Compute the confidence interval (Pearson needs n >= 4 for it, as cor.test).
  bool confidence_interval = true;
  rank_interval rank_interval_method = rank_interval::fieller;
};

struct correlation_test {
  double estimate = 0;   ///< r, rho or tau-b
  double statistic = 0;  ///< t (Pearson), z (Pearson with ρ₀ ≠ 0, Kendall asymptotic), S (Spearman), T (Kendall exact)
  double df = std::numeric_limits<double>::quiet_NaN();  ///< NaN where the statistic has none
  double p_value = 0;
  double ci_lower = std::numeric_limits<double>::quiet_NaN();
  double ci_upper = std::numeric_limits<double>::quiet_NaN();
  double null_value = 0;
  int n = 0;
  bool exact = false;  ///< p-value from an exact (or AS 89 Edgeworth) null distribution
  std::string method;
  std::string statistic_name;  ///< "t", "z", "S" or "T"
};

namespace detail {

inline void check_pairs(std::span<const double> x, std::span<const double> y, const char* where,
                        std::size_t minimum) {
  expect_same_size(x.size(), y.size(), where, "x", "y");
  VASOSTAT_EXPECTS(x.size() >= minimum, std::string(where) + ": x and y have fewer than " +
                                            std::to_string(minimum) + " pairs (" +
                                            std::to_string(x.size()) + ")");
  expect_finite(x, where, "x");
  expect_finite(y, where, "y");
  const auto constant = [](std::span<const double> v) {
    return std::all_of(v.begin(), v.end(), [&](double e) { return e == v[0]; });
  };
  VASOSTAT_EXPECTS(!constant(x), std::string(where) + ": x is constant (zero variance)");
  VASOSTAT_EXPECTS(!constant(y), std::string(where) + ": y is constant (zero variance)");
}

inline double pearson_r(std::span<const double> x, std::span<const double> y) {
  const auto n = static_cast<double>(x.size());
  double mx = 0;
  double my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0;
  double syy = 0;
  double sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mx;
    const double dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

/// p-value of a statistic with lower/upper tail probabilities, per the alternative (cor.test).
inline double p_from_tails(alternative_hypothesis alt, double lower, double upper) {
  switch (alt) {
    case alternative_hypothesis::less:
      return lower;
    case alternative_hypothesis::greater:
      return upper;
    case alternative_hypothesis::two_sided:
      break;
  }
  return std::min(1.0, 2 * std::min(lower, upper));
}

/// Confidence interval tanh(atanh(r) ± q·se) with one-sided variants as cor.test.
inline void fisher_interval(correlation_test& out, double se, const correlation_options& o) {
  const double z = std::atanh(out.estimate);
  switch (o.alternative) {
    case alternative_hypothesis::less:
      out.ci_lower = -1;
      out.ci_upper = std::tanh(z + se * normal_quantile(o.confidence_level));
      break;
    case alternative_hypothesis::greater:
      out.ci_lower = std::tanh(z - se * normal_quantile(o.confidence_level));
      out.ci_upper = 1;
      break;
    case alternative_hypothesis::two_sided: {
      const double q = normal_quantile((1 + o.confidence_level) / 2);
      out.ci_lower = std::tanh(z - se * q);
      out.ci_upper = std::tanh(z + se * q);
      break;
    }
  }
}

inline void check_options(const correlation_options& o, const char* where) {
  expect_confidence_level(o.confidence_level, where);
  VASOSTAT_EXPECTS(o.null_value > -1 && o.null_value < 1,
                   std::string(where) + ": null_value (" + std::to_string(o.null_value) +
                       ") is not in (-1, 1)");
}

}  // namespace detail

/// Pearson's product-moment correlation test (cor.test(method = "pearson")).
/// @throws vasostat::invalid_argument if x and y differ in length, have fewer than 3 pairs
///         (4 with confidence_interval), contain NaN/Inf or are constant, or an option is out of range.
/// Example: `auto r = stats::pearson(dose, mfi); r.estimate; r.p_value; r.ci_lower;`
[[nodiscard]] inline correlation_test pearson(std::span<const double> x, std::span<const double> y,
                                              const correlation_options& options = {}) {
  constexpr const char* where = "vasostat::stats::pearson";
  detail::check_options(options, where);
  detail::check_pairs(x, y, where, 3);
  VASOSTAT_EXPECTS(!options.confidence_interval || x.size() >= 4,
                   std::string(where) + ": x and y have fewer than 4 pairs, needed for the "
                                        "Fisher-z confidence interval (set confidence_interval = false)");
  correlation_test out;
  out.method = "Pearson's product-moment correlation";
  out.n = static_cast<int>(x.size());
  out.estimate = detail::pearson_r(x, y);
  out.null_value = options.null_value;
  const double n = out.n;
  if (options.null_value == 0) {
    out.df = n - 2;
    out.statistic = std::sqrt(out.df) * out.estimate / std::sqrt(1 - out.estimate * out.estimate);
    out.statistic_name = "t";
    out.p_value = detail::p_from_tails(options.alternative, t_cdf(out.statistic, out.df),
                                       t_sf(out.statistic, out.df));
  } else {
    out.statistic = (std::atanh(out.estimate) - std::atanh(options.null_value)) * std::sqrt(n - 3);
    out.statistic_name = "z";
    out.p_value = detail::p_from_tails(options.alternative, normal_cdf(out.statistic),
                                       normal_sf(out.statistic));
  }
  if (options.confidence_interval) {
    detail::fisher_interval(out, 1 / std::sqrt(n - 3), options);
  }
  return out;
}

/// Spearman's rank correlation test (cor.test(method = "spearman")).
/// @throws vasostat::invalid_argument as pearson (3 pairs minimum).
[[nodiscard]] inline correlation_test spearman(std::span<const double> x, std::span<const double> y,
                                               const correlation_options& options = {}) {
  constexpr const char* where = "vasostat::stats::spearman";
  detail::check_options(options, where);
  detail::check_pairs(x, y, where, 3);
  const std::vector<double> rx = average_ranks(x);
  const std::vector<double> ry = average_ranks(y);
  correlation_test out;
  out.method = "Spearman's rank correlation rho";
  out.statistic_name = "S";
  out.n = static_cast<int>(x.size());
  const double n = out.n;
  const double rho = detail::pearson_r(rx, ry);
  out.estimate = rho;
  const double den = n * (n * n - 1) / 6;
  const double s = den * (1 - rho);
  out.statistic = s;
  const bool ties = !tie_group_sizes(x).empty() || !tie_group_sizes(y).empty();
  const bool exact = !ties && (options.exact == exactness::exact ||
                               (options.exact == exactness::automatic && out.n < 1290));
  out.exact = exact;
  // Tail probabilities of S: "lower" = P(S <= s) (positive association), as AS 89 is called
  // by R with round(S) and round(S) + 2 (S takes even values only).
  double p_small_s = 0;  // evidence for rho > 0
  double p_large_s = 0;  // evidence for rho < 0
  if (exact) {
    const double rs = std::round(s);
    p_large_s = detail::spearman_upper_tail(out.n, rs);
    p_small_s = 1 - detail::spearman_upper_tail(out.n, rs + 2);
  } else {
    const double r = 1 - s / den;
    const double t = r / std::sqrt((1 - r * r) / (n - 2));
    p_small_s = t_sf(t, n - 2);
    p_large_s = t_cdf(t, n - 2);
  }
  switch (options.alternative) {
    case stats::alternative_hypothesis::greater:
      out.p_value = p_small_s;
      break;
    case stats::alternative_hypothesis::less:
      out.p_value = p_large_s;
      break;
    case stats::alternative_hypothesis::two_sided:
      out.p_value = std::min(1.0, 2 * (s > den ? p_large_s : p_small_s));
      break;
  }
  if (options.confidence_interval && out.n >= 4) {
    const double var = options.rank_interval_method == rank_interval::bonett_wright
                           ? (1 + rho * rho / 2) / (n - 3)
                           : 1.06 / (n - 3);
    detail::fisher_interval(out, std::sqrt(var), options);
  }
  return out;
}

/// Kendall's tau-b rank correlation test (cor.test(method = "kendall")).
/// @throws vasostat::invalid_argument as pearson (3 pairs minimum).
[[nodiscard]] inline correlation_test kendall(std::span<const double> x, std::span<const double> y,
                                              const correlation_options& options = {}) {
  constexpr const char* where = "vasostat::stats::kendall";
  detail::check_options(options, where);
  detail::check_pairs(x, y, where, 3);
  correlation_test out;
  out.method = "Kendall's rank correlation tau";
  out.n = static_cast<int>(x.size());
  const double n = out.n;
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const double dx = x[i] - x[j];
      const double dy = y[i] - y[j];
      s += static_cast<double>((dx > 0) - (dx < 0)) * static_cast<double>((dy > 0) - (dy < 0));
    }
  }
  const std::vector<double> tx = tie_group_sizes(x);
  const std::vector<double> ty = tie_group_sizes(y);
  const double t0 = n * (n - 1) / 2;
  double t1 = 0;
  double t2 = 0;
  for (double t : tx) {
    t1 += t * (t - 1) / 2;
  }
  for (double t : ty) {
    t2 += t * (t - 1) / 2;
  }
  const double tau = s / std::sqrt((t0 - t1) * (t0 - t2));
  out.estimate = tau;
  const bool ties = !tx.empty() || !ty.empty();
  const bool exact = !ties && (options.exact == exactness::exact ||
                               (options.exact == exactness::automatic && out.n < 50));
  out.exact = exact;
  if (exact) {
    const double q = std::round((tau + 1) * n * (n - 1) / 4);  // concordant pairs
    out.statistic = q;
    out.statistic_name = "T";
    const double lower = detail::kendall_lower_tail(out.n, q);
    const double upper = detail::kendall_upper_tail(out.n, q);
    if (options.alternative == alternative_hypothesis::two_sided) {
      out.p_value = std::min(1.0, 2 * (q > n * (n - 1) / 4 ? upper : lower));
    } else {
      out.p_value = detail::p_from_tails(options.alternative, lower, upper);
    }
  } else {
    // Tie-corrected variance of S (Kendall 1970; Hollander & Wolfe 1973).
    double vt = 0, vu = 0, v1x = 0, v1y = 0, v2x = 0, v2y = 0;
    for (double t : tx) {
      vt += t * (t - 1) * (2 * t + 5);
      v1x += t * (t - 1);
      v2x += t * (t - 1) * (t - 2);
    }
    for (double t : ty) {
      vu += t * (t - 1) * (2 * t + 5);
      v1y += t * (t - 1);
      v2y += t * (t - 1) * (t - 2);
    }
    const double var_s = (n * (n - 1) * (2 * n + 5) - vt - vu) / 18 +
                         v1x * v1y / (2 * n * (n - 1)) + v2x * v2y / (9 * n * (n - 1) * (n - 2));
    out.statistic = s / std::sqrt(var_s);
    out.statistic_name = "z";
    out.p_value = detail::p_from_tails(options.alternative, normal_cdf(out.statistic),
                                       normal_sf(out.statistic));
  }
  if (options.confidence_interval && out.n >= 5) {
    detail::fisher_interval(out, std::sqrt(0.437 / (n - 4)), options);
  }
  return out;
}

}  // namespace vasostat::inline v0::stats
