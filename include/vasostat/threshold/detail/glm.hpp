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

/// Reusable buffers of the IRLS iteration (one allocation per scan, none per fit or iteration).
struct irls_workspace {
  Eigen::VectorXd eta, mu, eta_new, mu_new, z, w;
  void resize(Eigen::Index n) {
    if (eta.size() != n) {
      eta.resize(n);
      mu.resize(n);
      eta_new.resize(n);
      mu_new.resize(n);
      z.resize(n);
      w.resize(n);
    }
  }
};

/// Outcome of irls(): `ok` false if a weighted least-squares step failed (rank deficiency, or
/// for the normal-equation solver an ill-conditioned Gram matrix).
struct irls_result {
  bool ok = false;
  bool converged = false;
  double deviance = 0;
  int iterations = 0;
};

/// IRLS for the binomial/Poisson GLM as R's glm.fit: mustart (or eta_start, R's etastart), the
/// working response z and weights w, step halving when the deviance rises, stopping on the
/// relative deviance change. solve(z, w, eta_new) does one weighted least-squares step and
/// writes the new linear predictor without offset. Leaves eta/mu (and z, w of the last step) in
/// ws.
template <class Solve>
irls_result irls(const Eigen::VectorXd& y, const Eigen::VectorXd& prior, const Eigen::VectorXd& offset, family fam,
                 const Eigen::VectorXd* eta_start, int max_iter, double tol, irls_workspace& ws, Solve&& solve) {
  irls_result out;
  const Eigen::Index n = y.size();
  ws.resize(n);
  Eigen::VectorXd& eta = ws.eta;
  Eigen::VectorXd& mu = ws.mu;
  if (eta_start != nullptr) {
    eta = *eta_start;
    for (Eigen::Index i = 0; i < n; ++i) mu[i] = inverse_link(fam, eta[i]);
  } else {
    for (Eigen::Index i = 0; i < n; ++i) {
      mu[i] = fam == family::binomial ? (prior[i] * y[i] + 0.5) / (prior[i] + 1) : y[i] + 0.1;
      eta[i] = fam == family::binomial ? std::log(mu[i] / (1 - mu[i])) : std::log(mu[i]);
    }
  }
  auto deviance_of = [&](const Eigen::VectorXd& m) {
    double d = 0;
    for (Eigen::Index i = 0; i < n; ++i) d += prior[i] * unit_deviance(fam, y[i], m[i]);
    return d;
  };
  double dev_old = deviance_of(mu);
  for (int it = 1; it <= max_iter; ++it) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const double var = fam == family::binomial ? mu[i] * (1 - mu[i]) : mu[i];
      // canonical link: d mu / d eta = variance
      ws.z[i] = eta[i] - offset[i] + (y[i] - mu[i]) / var;
      ws.w[i] = prior[i] * var;
    }
    Eigen::VectorXd& eta_new = ws.eta_new;
    Eigen::VectorXd& mu_new = ws.mu_new;
    if (!solve(ws.z, ws.w, eta_new)) return out;
    for (Eigen::Index i = 0; i < n; ++i) {
      eta_new[i] += offset[i];
      mu_new[i] = inverse_link(fam, eta_new[i]);
    }
    double dev = deviance_of(mu_new);
    // step halving if the deviance diverges (R's glm.fit does the same for non-finite values)
    int halvings = 0;
    while ((!std::isfinite(dev) || dev > dev_old + 1e-7 * (std::fabs(dev_old) + 0.1)) && halvings < 30 && it > 1) {
      for (Eigen::Index i = 0; i < n; ++i) {
        eta_new[i] = 0.5 * (eta_new[i] + eta[i]);
        mu_new[i] = inverse_link(fam, eta_new[i]);
      }
      dev = deviance_of(mu_new);
      ++halvings;
    }
    eta.swap(eta_new);
    mu.swap(mu_new);
    out.iterations = it;
    const bool done = std::fabs(dev - dev_old) / (std::fabs(dev) + 0.1) < tol;
    dev_old = dev;
    if (done) {
      out.converged = true;
      break;
    }
  }
  out.ok = true;
  out.deviance = dev_old;
  return out;
}

/// Fits y ~ X with prior weights and offset by IRLS (one WLS step for the Gaussian family), each
/// step by column-pivoted QR. eta_start (optional, size n) warm-starts the iteration as R's
/// etastart does.
inline glm_fit fit_glm(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                       const Eigen::VectorXd& prior, const Eigen::VectorXd& offset, family fam,
                       const Eigen::VectorXd* eta_start = nullptr, int max_iter = 100,
                       double tol = 1e-10, bool want_cov = true) {
  glm_fit out;
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
  irls_workspace ws;
  Eigen::VectorXd coef;
  const irls_result r = irls(y, prior, offset, fam, eta_start, max_iter, tol, ws,
                             [&](const Eigen::VectorXd& z, const Eigen::VectorXd& w, Eigen::VectorXd& eta_new) {
                               if (!wls(X, z, w, coef, nullptr)) return false;
                               eta_new.noalias() = X * coef;
                               return true;
                             });
  if (!r.ok) {
    out.full_rank = false;
    return out;
  }
  // final weights and covariance at the converged fit
  Eigen::VectorXd w(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const double var = fam == family::binomial ? ws.mu[i] * (1 - ws.mu[i]) : ws.mu[i];
    w[i] = prior[i] * var;
  }
  out.full_rank = true;
  out.converged = r.converged;
  out.iterations = r.iterations;
  out.coef = coef;
  out.eta = ws.eta;
  out.mu = ws.mu;
  out.working_weights = w;
  out.deviance = r.deviance;
  if (want_cov) {
    Eigen::VectorXd unused;
    wls(X, ws.z, w, unused, &out.cov_unscaled);
  }
  return out;
}

/// The deviance (and, in ws.eta, the linear predictor) of the binomial/Poisson GLM y ~ X by
/// irls() with each weighted least-squares step solved by the normal equations and a Cholesky
/// factorisation of the p x p Gram matrix (p <= 8, fixed-size storage): O(n p^2) per iteration
/// without heap allocation. Meant for profile scans whose columns are centred (the Gram matrix
/// is then well conditioned); a pivot below 1e-9 of its diagonal (columns nearly collinear)
/// returns ok = false rather than a poor answer.
inline irls_result irls_deviance(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& prior,
                                 const Eigen::VectorXd& offset, family fam, const Eigen::VectorXd* eta_start,
                                 int max_iter, double tol, irls_workspace& ws) {
  constexpr int pmax = 8;
  const Eigen::Index n = y.size();
  const auto p = static_cast<int>(X.cols());
  if (p > pmax || fam == family::gaussian) {
    return {};
  }
  const double* Xd = X.data();
  auto solve = [&](const Eigen::VectorXd& z, const Eigen::VectorXd& w, Eigen::VectorXd& eta_new) {
    double G[pmax][pmax] = {};
    double rhs[pmax] = {};
    for (Eigen::Index i = 0; i < n; ++i) {
      double xi[pmax];
      for (int a = 0; a < p; ++a) xi[a] = Xd[static_cast<Eigen::Index>(a) * n + i];
      for (int a = 0; a < p; ++a) {
        const double wa = w[i] * xi[a];
        rhs[a] += wa * z[i];
        for (int b = 0; b <= a; ++b) G[a][b] += wa * xi[b];
      }
    }
    // Cholesky G = L L' in place (lower triangle), then the two triangular solves
    for (int j = 0; j < p; ++j) {
      double d = G[j][j];
      const double diag = d;
      for (int k = 0; k < j; ++k) d -= G[j][k] * G[j][k];
      if (!(d > 1e-9 * diag)) return false;
      const double l = std::sqrt(d);
      G[j][j] = l;
      for (int i = j + 1; i < p; ++i) {
        double v = G[i][j];
        for (int k = 0; k < j; ++k) v -= G[i][k] * G[j][k];
        G[i][j] = v / l;
      }
    }
    double coef[pmax];
    for (int a = 0; a < p; ++a) {
      double v = rhs[a];
      for (int k = 0; k < a; ++k) v -= G[a][k] * coef[k];
      coef[a] = v / G[a][a];
    }
    for (int a = p - 1; a >= 0; --a) {
      double v = coef[a];
      for (int k = a + 1; k < p; ++k) v -= G[k][a] * coef[k];
      coef[a] = v / G[a][a];
      if (!std::isfinite(coef[a])) return false;
    }
    for (Eigen::Index i = 0; i < n; ++i) {
      double v = 0;
      for (int a = 0; a < p; ++a) v += Xd[static_cast<Eigen::Index>(a) * n + i] * coef[a];
      eta_new[i] = v;
    }
    return true;
  };
  irls_result r = irls(y, prior, offset, fam, eta_start, max_iter, tol, ws, solve);
  r.ok = r.ok && std::isfinite(r.deviance);
  return r;
}

/// The deviance of y ~ X by irls_deviance, or by fit_glm where that declines; the linear
/// predictor is left in ws.eta. Returns false if the model cannot be fitted (rank deficient).
inline bool glm_deviance(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& prior,
                         const Eigen::VectorXd& offset, family fam, const Eigen::VectorXd* eta_start, int max_iter,
                         double tol, irls_workspace& ws, double& deviance) {
  const irls_result r = irls_deviance(X, y, prior, offset, fam, eta_start, max_iter, tol, ws);
  if (r.ok) {
    deviance = r.deviance;
    return true;
  }
  const glm_fit f = fit_glm(X, y, prior, offset, fam, eta_start, max_iter, tol, false);
  if (!f.full_rank || !std::isfinite(f.deviance)) return false;
  ws.resize(y.size());
  ws.eta = f.eta;
  deviance = f.deviance;
  return true;
}

}  // namespace vasostat::inline v0::threshold::detail
