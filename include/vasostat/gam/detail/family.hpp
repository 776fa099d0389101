#pragma once
// Exponential-family pieces PIRLS needs (McCullagh & Nelder 1989; Wood 2017 §3.1): inverse
// link, dmu/deta, variance, unit deviance, saturated log-likelihood, and the Newton weight
// with its derivative in eta (needed by the exact REML gradient, Wood 2011 §3.3).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace vasostat::inline v0::gam {

/// Response distribution with its link: gaussian (identity), binomial (logit), poisson (log),
/// gamma (log).
enum class family : std::uint8_t { gaussian, binomial, poisson, gamma };

}  // namespace vasostat::inline v0::gam

namespace vasostat::inline v0::gam::detail {

inline double linkinv(gam::family f, double eta) noexcept {
  switch (f) {
    case gam::family::gaussian:
      return eta;
    case gam::family::binomial: {
      constexpr double eps = 2.220446049250313e-16;
      const double t = std::clamp(eta, -30.0, 30.0);  // R's make.link("logit") bounds
      return std::clamp(1.0 / (1.0 + std::exp(-t)), eps, 1 - eps);
    }
    case gam::family::poisson:
    case gam::family::gamma:
      return std::max(std::exp(eta), std::numeric_limits<double>::epsilon());
  }
  return eta;
}

inline double link(gam::family f, double mu) noexcept {
  switch (f) {
    case gam::family::gaussian:
      return mu;
    case gam::family::binomial:
      return std::log(mu / (1 - mu));
    case gam::family::poisson:
    case gam::family::gamma:
      return std::log(mu);
  }
  return mu;
}

/// dmu/deta
inline double mu_eta(gam::family f, double eta, double mu) noexcept {
  switch (f) {
    case gam::family::gaussian:
      return 1.0;
    case gam::family::binomial: {
      const double e = std::exp(-std::abs(eta));
      return std::max(e / ((1 + e) * (1 + e)), std::numeric_limits<double>::epsilon());
    }
    case gam::family::poisson:
    case gam::family::gamma:
      return std::max(mu, std::numeric_limits<double>::epsilon());
  }
  return 1.0;
}

inline double variance(gam::family f, double mu) noexcept {
  switch (f) {
    case gam::family::gaussian:
      return 1.0;
    case gam::family::binomial:
      return mu * (1 - mu);
    case gam::family::poisson:
      return mu;
    case gam::family::gamma:
      return mu * mu;
  }
  return 1.0;
}

inline double ylogy(double y, double mu) noexcept { return y > 0 ? y * std::log(y / mu) : 0.0; }

/// Unit deviance times the prior weight.
inline double deviance_residual(gam::family f, double y, double mu, double w) noexcept {
  switch (f) {
    case gam::family::gaussian:
      return w * (y - mu) * (y - mu);
    case gam::family::binomial:
      return 2 * w * (ylogy(y, mu) + ylogy(1 - y, 1 - mu));
    case gam::family::poisson:
      return 2 * w * (ylogy(y, mu) - (y - mu));
    case gam::family::gamma:
      return -2 * w * (std::log(y / mu) - (y - mu) / mu);
  }
  return 0.0;
}

/// Saturated log-likelihood of one observation (scale 1), as in mgcv's family$ls.
inline double saturated_loglik(gam::family f, double y, double w) noexcept {
  switch (f) {
    case gam::family::binomial: {
      // w trials with w*y successes: log choose(w, wy) + wy log y + w(1-y) log(1-y)
      const double s = w * y;
      double l = std::lgamma(w + 1) - std::lgamma(s + 1) - std::lgamma(w - s + 1);
      if (y > 0) l += s * std::log(y);
      if (y < 1) l += (w - s) * std::log(1 - y);
      return l;
    }
    case gam::family::poisson:
      return w * ((y > 0 ? y * std::log(y) : 0.0) - y - std::lgamma(y + 1));
    default:
      return 0.0;
  }
}

/// Newton (observed-information) PIRLS weight without the prior weight, w = alpha / (V g'^2)
/// with alpha = 1 + (y - mu)(V'/V + g''/g') (Wood 2011 §3.3), and its derivative in eta.
/// Canonical links (binomial-logit, poisson-log) have alpha = 1; gamma-log has alpha = y / mu,
/// so w = y / mu > 0 and dw/deta = -y / mu; identity-Gaussian w = 1.
inline void irls_weight(gam::family f, double y, double mu, double& w, double& dw_deta) noexcept {
  switch (f) {
    case gam::family::gaussian:
      w = 1;
      dw_deta = 0;
      return;
    case gam::family::gamma:
      w = y / mu;
      dw_deta = -w;
      return;
    case gam::family::binomial:
      w = mu * (1 - mu);
      dw_deta = w * (1 - 2 * mu);
      return;
    case gam::family::poisson:
      w = mu;
      dw_deta = mu;
      return;
  }
}

/// irls_weight with the second derivative in eta (the exact outer Hessian, Wood 2011 §4):
/// binomial d2w = w ((1 - 2 mu)^2 - 2 w), poisson d2w = mu, gamma-log d2w = y / mu.
inline void irls_weight(gam::family f, double y, double mu, double& w, double& dw_deta,
                        double& d2w_deta2) noexcept {
  irls_weight(f, y, mu, w, dw_deta);
  switch (f) {
    case gam::family::gaussian:
      d2w_deta2 = 0;
      return;
    case gam::family::gamma:
      d2w_deta2 = w;
      return;
    case gam::family::binomial:
      d2w_deta2 = w * ((1 - 2 * mu) * (1 - 2 * mu) - 2 * w);
      return;
    case gam::family::poisson:
      d2w_deta2 = mu;
      return;
  }
}

/// Newton working response z = eta + (y - mu) g'(mu) / alpha (eta without the offset).
inline double working_response(gam::family f, double eta, double y, double mu, double mu_eta_value) noexcept {
  if (f == gam::family::gamma) return eta + (y - mu) / y;
  return eta + (y - mu) / mu_eta_value;
}

/// Digamma and trigamma (recurrence to x >= 10, then the asymptotic series; ~1e-15 relative
/// for x > 0).
inline double digamma(double x) noexcept {
  double r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const double z = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         z * (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * 691.0 / 32760)))));
}

inline double trigamma(double x) noexcept {
  double r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  const double z = 1 / (x * x);
  return r + 1 / x + 0.5 * z +
         z / x * (1.0 / 6 - z * (1.0 / 30 - z * (1.0 / 42 - z * (1.0 / 30 - z * (5.0 / 66 - z * (691.0 / 2730 - z * 7.0 / 6))))));
}

/// Gamma family: saturated log-likelihood sum_i log f(y_i; mu = y_i, shape w_i / phi) and its
/// first two derivatives with respect to u = log phi (observations with w_i = 0 carry none).
/// log f = nu log nu - lgamma(nu) - nu - log y with nu = w / phi.
inline void gamma_saturated(const double* y, const double* w, std::size_t n, double phi, double& ls,
                            double& d1, double& d2) noexcept {
  ls = d1 = d2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    if (!(wi > 0)) continue;
    const double nu = wi / phi;
    const double lnu = std::log(nu);
    ls += nu * lnu - std::lgamma(nu) - nu - std::log(y[i]);
    // d/du = -nu d/dnu ; d/dnu (nu log nu - lgamma nu - nu) = log nu - digamma(nu)
    const double g = lnu - digamma(nu);
    d1 += -nu * g;
    // d/du(-nu g) = nu g + nu^2 (1/nu - trigamma(nu))
    d2 += nu * g + nu * nu * (1 / nu - trigamma(nu));
  }
}

}  // namespace vasostat::inline v0::gam::detail
