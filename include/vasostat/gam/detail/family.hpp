#pragma once
// Exponential-family pieces PIRLS needs (McCullagh & Nelder 1989; Wood 2017 §3.1): inverse
// link, dmu/deta, variance, unit deviance, saturated log-likelihood, and the Newton weight
// with its derivative in eta (needed by the exact REML gradient, Wood 2011 §3.3).

#include <algorithm>
#include <cmath>
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

/// PIRLS weight (without the prior weight) and its derivative with respect to eta. Canonical
/// links (binomial-logit, poisson-log) have Newton = Fisher weights; gamma-log uses Fisher
/// weights (constant 1), identity-Gaussian 1.
inline void irls_weight(gam::family f, double mu, double& w, double& dw_deta) noexcept {
  switch (f) {
    case gam::family::gaussian:
    case gam::family::gamma:
      w = 1;
      dw_deta = 0;
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

}  // namespace vasostat::inline v0::gam::detail
