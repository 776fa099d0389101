#pragma once
// Weighted least squares and IRLS for the generalised linear models the threshold module fits
// (Gaussian identity, binomial logit, Poisson log), written from McCullagh & Nelder (1989,
// ch. 2): Fisher scoring with R's glm.fit starting values and deviance-change stopping rule.
// Cost O(n p^2) per iteration.

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace vasostat::inline v0::threshold {

/// Outcome distribution (canonical link).
enum class family : std::uint8_t {
  gaussian,  ///< identity link, dispersion estimated
  binomial,  ///< logit link; y is a proportion in [0, 1], weights are the trials
  poisson    ///< log link; y a count
};

}  // namespace vasostat::inline v0::threshold

namespace vasostat::inline v0::threshold::detail {

/// A fitted (G)LM: coefficients, deviance, linear predictor, IRLS working weights and the
/// unscaled covariance (X'WX)^-1.
struct glm_fit {
  Eigen::VectorXd coef;
  Eigen::VectorXd eta;
  Eigen::VectorXd mu;
  Eigen::VectorXd working_weights;
  Eigen::MatrixXd cov_unscaled;
  double deviance = 0;
  int iterations = 0;
  bool converged = false;
  bool full_rank = false;
};

inline double binomial_dev_term(double y, double mu) noexcept {
  double d = 0;
  if (y > 0) {
    d += y * std::log(y / mu);
  }
  if (y < 1) {
    d += (1 - y) * std::log((1 - y) / (1 - mu));
  }
  return 2 * d;
}

inline double poisson_dev_term(double y, double mu) noexcept {
  return 2 * ((y > 0 ? y * std::log(y / mu) : 0.0) - (y - mu));
}

inline double unit_deviance(family f, double y, double mu) noexcept {
  switch (f) {
    case family::binomial:
      return binomial_dev_term(y, mu);
    case family::poisson:
      return poisson_dev_term(y, mu);
    case family::gaussian:
      break;
  }
  return (y - mu) * (y - mu);
}

inline double inverse_link(family f, double eta) noexcept {
  switch (f) {
    case family::binomial: {
      constexpr double thresh = 36.04365338911715;  // as R's C logit_linkinv
      const double e = std::exp(std::clamp(eta, -thresh, thresh));
      const double mu = e / (1 + e);
      constexpr double eps = std::numeric_limits<double>::epsilon();
      return std::clamp(mu, eps, 1 - eps);
    }
    case family::poisson:
      return std::max(std::exp(eta), std::numeric_limits<double>::epsilon());
    case family::gaussian:
      break;
  }
  return eta;
}

/// Weighted least squares by column-pivoted Householder QR of sqrt(W) X (accurate when the
/// breakpoint variable is on a large scale); X is n x p, w > 0. Returns false if X is rank
/// deficient. cov_unscaled, if given, receives (X'WX)^-1 = P R^-1 R^-T P'.
inline bool wls(const Eigen::MatrixXd& X, const Eigen::VectorXd& z, const Eigen::VectorXd& w,
                Eigen::VectorXd& coef, Eigen::MatrixXd* cov_unscaled) {
  const Eigen::VectorXd sw = w.array().sqrt();
  const Eigen::MatrixXd Xs = X.array().colwise() * sw.array();
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(Xs);
  qr.setThreshold(1e-10);
  if (qr.rank() < X.cols()) {
    return false;
  }
  coef = qr.solve(Eigen::VectorXd(z.array() * sw.array()));
  if (cov_unscaled != nullptr) {
    const Eigen::Index p = X.cols();
    const Eigen::MatrixXd R = qr.matrixR().topLeftCorner(p, p).triangularView<Eigen::Upper>();
    const Eigen::MatrixXd Rinv =
        R.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(p, p));
    const Eigen::MatrixXd inner = Rinv * Rinv.transpose();
    const auto& perm = qr.colsPermutation();
    *cov_unscaled = perm * inner * perm.transpose();
  }
  return coef.allFinite();
}

/// Fits y ~ X with prior weights and offset by IRLS (one WLS step for the Gaussian family).
/// eta_start (optional, size n) warm-starts the iteration as R's etastart does.
inline glm_fit fit_glm(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                       const Eigen::VectorXd& prior, const Eigen::VectorXd& offset, family fam,
                       const Eigen::VectorXd* eta_start = nullptr, int max_iter = 100,
                       double tol = 1e-10, bool want_cov = true) {
  glm_fit out;
  const Eigen::Index n = y.size();
  if (fam == family::gaussian) {
    const Eigen::VectorXd z = y - offset;
    out.full_rank = wls(X, z, prior, out.coef, want_cov ? &out.cov_unscaled : nullptr);
    if (!out.full_rank) {
      return out;
    }
    out.eta = X * out.coef + offset;
    out.mu = out.eta;
    out.working_weights = prior;
    out.deviance = (prior.array() * (y - out.mu).array().square()).sum();
    out.iterations = 1;
    out.converged = true;
    return out;
  }
  Eigen::VectorXd mu(n);
  Eigen::VectorXd eta(n);
  if (eta_start != nullptr) {
    eta = *eta_start;
    for (Eigen::Index i = 0; i < n; ++i) {
      mu[i] = inverse_link(fam, eta[i]);
    }
  } else {
    for (Eigen::Index i = 0; i < n; ++i) {
      mu[i] = fam == family::binomial ? (prior[i] * y[i] + 0.5) / (prior[i] + 1) : y[i] + 0.1;
      eta[i] = fam == family::binomial ? std::log(mu[i] / (1 - mu[i])) : std::log(mu[i]);
    }
  }
  auto deviance_of = [&](const Eigen::VectorXd& m) {
    double d = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      d += prior[i] * unit_deviance(fam, y[i], m[i]);
    }
    return d;
  };
  double dev_old = deviance_of(mu);
  Eigen::VectorXd z(n);
  Eigen::VectorXd w(n);
  Eigen::VectorXd coef;
  for (int it = 1; it <= max_iter; ++it) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const double var = fam == family::binomial ? mu[i] * (1 - mu[i]) : mu[i];
      // canonical link: d mu / d eta = variance
      z[i] = eta[i] - offset[i] + (y[i] - mu[i]) / var;
      w[i] = prior[i] * var;
    }
    if (!wls(X, z, w, coef, nullptr)) {
      out.full_rank = false;
      return out;
    }
    Eigen::VectorXd eta_new = X * coef + offset;
    Eigen::VectorXd mu_new(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      mu_new[i] = inverse_link(fam, eta_new[i]);
    }
    double dev = deviance_of(mu_new);
    // step halving if the deviance diverges (R's glm.fit does the same for non-finite values)
    int halvings = 0;
    while ((!std::isfinite(dev) || dev > dev_old + 1e-7 * (std::fabs(dev_old) + 0.1)) &&
           halvings < 30 && it > 1) {
      eta_new = 0.5 * (eta_new + eta);
      for (Eigen::Index i = 0; i < n; ++i) {
        mu_new[i] = inverse_link(fam, eta_new[i]);
      }
      dev = deviance_of(mu_new);
      ++halvings;
    }
    eta = eta_new;
    mu = mu_new;
    out.iterations = it;
    const bool done = std::fabs(dev - dev_old) / (std::fabs(dev) + 0.1) < tol;
    dev_old = dev;
    if (done) {
      out.converged = true;
      break;
    }
  }
  // final weights and covariance at the converged fit
  for (Eigen::Index i = 0; i < n; ++i) {
    const double var = fam == family::binomial ? mu[i] * (1 - mu[i]) : mu[i];
    w[i] = prior[i] * var;
  }
  out.full_rank = true;
  out.coef = coef;
  out.eta = eta;
  out.mu = mu;
  out.working_weights = w;
  out.deviance = dev_old;
  if (want_cov) {
    Eigen::VectorXd unused;
    wls(X, z, w, unused, &out.cov_unscaled);
  }
  return out;
}

}  // namespace vasostat::inline v0::threshold::detail
