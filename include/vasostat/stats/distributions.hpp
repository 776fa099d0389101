#pragma once
// Distribution functions for the statistical modules: thin wrappers over Boost.Math with a
// non-throwing policy (invalid parameters give NaN). Upper tails are computed directly
// (complement), never as 1 - cdf, so small p-values keep their relative accuracy.

#include <vasostat/stats/detail/math_policy.hpp>

#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <limits>

namespace vasostat::inline v0::stats {

namespace detail {

template <class Dist>
double lower_tail(const Dist& d, double x) noexcept {
  if (std::isnan(x)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (x == std::numeric_limits<double>::infinity()) {
    return 1.0;
  }
  if (x == -std::numeric_limits<double>::infinity()) {
    return 0.0;
  }
  return boost::math::cdf(d, x);
}

template <class Dist>
double upper_tail(const Dist& d, double x) noexcept {
  if (std::isnan(x)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (x == std::numeric_limits<double>::infinity()) {
    return 0.0;
  }
  if (x == -std::numeric_limits<double>::infinity()) {
    return 1.0;
  }
  return boost::math::cdf(boost::math::complement(d, x));
}

template <class Dist>
double quantile_of(const Dist& d, double p) noexcept {
  if (!(p >= 0 && p <= 1)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return boost::math::quantile(d, p);
}

}  // namespace detail

// Normal ----------------------------------------------------------------------------------
[[nodiscard]] inline double normal_pdf(double x, double mean = 0, double sd = 1) noexcept {
  return boost::math::pdf(boost::math::normal_distribution<double, detail::math_policy>(mean, sd), x);
}
[[nodiscard]] inline double normal_cdf(double x, double mean = 0, double sd = 1) noexcept {
  return detail::lower_tail(boost::math::normal_distribution<double, detail::math_policy>(mean, sd), x);
}
/// P(X > x).
[[nodiscard]] inline double normal_sf(double x, double mean = 0, double sd = 1) noexcept {
  return detail::upper_tail(boost::math::normal_distribution<double, detail::math_policy>(mean, sd), x);
}
[[nodiscard]] inline double normal_quantile(double p, double mean = 0, double sd = 1) noexcept {
  return detail::quantile_of(boost::math::normal_distribution<double, detail::math_policy>(mean, sd), p);
}

// Student t -------------------------------------------------------------------------------
[[nodiscard]] inline double t_cdf(double x, double df) noexcept {
  return detail::lower_tail(boost::math::students_t_distribution<double, detail::math_policy>(df), x);
}
[[nodiscard]] inline double t_sf(double x, double df) noexcept {
  return detail::upper_tail(boost::math::students_t_distribution<double, detail::math_policy>(df), x);
}
[[nodiscard]] inline double t_quantile(double p, double df) noexcept {
  return detail::quantile_of(boost::math::students_t_distribution<double, detail::math_policy>(df), p);
}

// Chi-squared -----------------------------------------------------------------------------
[[nodiscard]] inline double chi_squared_cdf(double x, double df) noexcept {
  return detail::lower_tail(boost::math::chi_squared_distribution<double, detail::math_policy>(df),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double chi_squared_sf(double x, double df) noexcept {
  return detail::upper_tail(boost::math::chi_squared_distribution<double, detail::math_policy>(df),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double chi_squared_quantile(double p, double df) noexcept {
  return detail::quantile_of(boost::math::chi_squared_distribution<double, detail::math_policy>(df), p);
}

// F ---------------------------------------------------------------------------------------
[[nodiscard]] inline double f_cdf(double x, double df1, double df2) noexcept {
  return detail::lower_tail(boost::math::fisher_f_distribution<double, detail::math_policy>(df1, df2),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double f_sf(double x, double df1, double df2) noexcept {
  return detail::upper_tail(boost::math::fisher_f_distribution<double, detail::math_policy>(df1, df2),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double f_quantile(double p, double df1, double df2) noexcept {
  return detail::quantile_of(boost::math::fisher_f_distribution<double, detail::math_policy>(df1, df2), p);
}

// Beta ------------------------------------------------------------------------------------
[[nodiscard]] inline double beta_cdf(double x, double a, double b) noexcept {
  return detail::lower_tail(boost::math::beta_distribution<double, detail::math_policy>(a, b),
                            x < 0 ? 0 : (x > 1 ? 1 : x));
}
[[nodiscard]] inline double beta_sf(double x, double a, double b) noexcept {
  return detail::upper_tail(boost::math::beta_distribution<double, detail::math_policy>(a, b),
                            x < 0 ? 0 : (x > 1 ? 1 : x));
}
[[nodiscard]] inline double beta_quantile(double p, double a, double b) noexcept {
  return detail::quantile_of(boost::math::beta_distribution<double, detail::math_policy>(a, b), p);
}

// Gamma (shape, scale) --------------------------------------------------------------------
[[nodiscard]] inline double gamma_cdf(double x, double shape, double scale = 1) noexcept {
  return detail::lower_tail(boost::math::gamma_distribution<double, detail::math_policy>(shape, scale),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double gamma_sf(double x, double shape, double scale = 1) noexcept {
  return detail::upper_tail(boost::math::gamma_distribution<double, detail::math_policy>(shape, scale),
                            x < 0 ? 0 : x);
}
[[nodiscard]] inline double gamma_quantile(double p, double shape, double scale = 1) noexcept {
  return detail::quantile_of(boost::math::gamma_distribution<double, detail::math_policy>(shape, scale), p);
}

/// Two-sided p-value of a standard-normal statistic: 2·P(Z > |z|).
[[nodiscard]] inline double normal_two_sided_p(double z) noexcept { return 2 * normal_sf(std::abs(z)); }

/// Two-sided p-value of a t statistic.
[[nodiscard]] inline double t_two_sided_p(double t, double df) noexcept { return 2 * t_sf(std::abs(t), df); }

}  // namespace vasostat::inline v0::stats
