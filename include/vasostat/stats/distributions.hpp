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

/// I_x(a, b) (x + y = 1, both given so that neither loses digits to a subtraction) by the
/// continued fraction of the regularized incomplete beta function (Abramowitz & Stegun
/// 26.5.8; modified Lentz evaluation as in Press et al., Numerical Recipes §6.4), which
/// converges quickly for x <= (a + 1) / (a + b + 2). The prefactor x^a y^b / (a B(a, b)) comes
/// from Boost's ibeta_derivative, evaluated at the smaller of x and y so that the complement
/// it forms internally is >= 1/2. Returns NaN when the fraction has not converged (the caller
/// then falls back to Boost's ibeta).
inline double ibeta_fraction(double a, double b, double x, double y) noexcept {
  const double prefix = (x <= y ? boost::math::ibeta_derivative(a, b, x, math_policy())
                                : boost::math::ibeta_derivative(b, a, y, math_policy())) *
                        x * y / a;
  if (!(prefix > 0)) return prefix == 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  constexpr double tiny = 1e-300, eps = std::numeric_limits<double>::epsilon();
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::abs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 2000; ++m) {
    const double dm = m, m2 = 2 * dm;
    double aa = dm * (b - dm) * x / ((a - 1 + m2) * (a + m2));  // even step
    d = 1 + aa * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + dm) * (a + b + dm) * x / ((a + m2) * (a + 1 + m2));  // odd step
    d = 1 + aa * d;
    if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) <= eps) return prefix * h;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// P(B > x) for B ~ Beta(a, b), y = 1 - x given separately, i.e. I_y(b, a): the continued
/// fraction on whichever side of the mode it converges on (the complement is then >= ~0.3, so
/// the subtraction keeps the relative accuracy). Used for 0.5 <= a, b <= 1000: there it agrees
/// with a long-double evaluation as closely as Boost's double one does (1e-15 .. 1e-13
/// relative, growing with a + b as the conditioning of the tail does) and costs a fraction of
/// Boost's series for small b and large a (Boost 1.74 copies a factorial table for every term
/// of that series). Larger parameters need many more terms and lose digits: Boost's ibetac,
/// as also when the fraction fails.
inline double beta_upper(double a, double b, double x, double y) noexcept {
  if (!(x > 0)) return 1.0;
  if (!(y > 0)) return 0.0;
  if (a >= 0.5 && b >= 0.5 && a <= 1000 && b <= 1000) {
    const double r = x > (a + 1) / (a + b + 2) ? ibeta_fraction(b, a, y, x) : 1 - ibeta_fraction(a, b, x, y);
    if (r >= 0 && r <= 1) return r;
  }
  return x <= y ? boost::math::ibetac(a, b, x, math_policy()) : boost::math::ibeta(b, a, y, math_policy());
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
/// P(T > x): for 1 <= df <= 2000 through the incomplete beta tail detail::beta_upper (Boost's
/// own t-to-beta mapping, x^2 / (df + x^2) and df / (df + x^2) both formed without a
/// subtraction), otherwise Boost's students_t.
[[nodiscard]] inline double t_sf(double x, double df) noexcept {
  if (df >= 1 && df <= 2000 && std::isfinite(x) && x != 0) {
    const double x2 = x * x, s = df + x2;
    // P(|T| > |x|) = I_{df/s}(df/2, 1/2) = P(Beta(1/2, df/2) > x^2/s)
    const double two_sided = detail::beta_upper(0.5, 0.5 * df, x2 / s, df / s);
    return x > 0 ? 0.5 * two_sided : 1 - 0.5 * two_sided;
  }
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
/// P(F > x): for 1 <= df1, df2 <= 2000 through detail::beta_upper on df1 x / (df2 + df1 x),
/// otherwise Boost's fisher_f.
[[nodiscard]] inline double f_sf(double x, double df1, double df2) noexcept {
  if (df1 >= 1 && df2 >= 1 && df1 <= 2000 && df2 <= 2000 && std::isfinite(x) && x > 0) {
    const double v = df1 * x, s = df2 + v;
    return detail::beta_upper(0.5 * df1, 0.5 * df2, v / s, df2 / s);
  }
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
