#pragma once
// Segmented (broken-line) regression by Muggeo's iterative linearisation (Muggeo 2003,
// Stat Med 22:3055-3071): linear or generalised linear model with one or several breakpoints
// in x and linear covariates; breakpoints with delta-method SE and CI, segment slopes with SE
// and CI. Follows R segmented 1.6-2 (n.boot = 0): quantile starting values, the Muggeo step
// followed by a Brent line search on the step length, deviance-change stopping rule (tol
// 1e-5, 30 iterations), breakpoints kept inside the alpha..1-alpha quantiles of x.
// Cost O(n p^2) per model fit, about 15 fits per iteration.

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/detail/design.hpp>
#include <vasostat/threshold/detail/glm.hpp>
#include <vasostat/threshold/detail/numeric.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vasostat::inline v0::threshold {

/// Options of segmented(); the defaults are R segmented 1.6-2's seg.control() with n.boot = 0.
struct segmented_options {
  int n_breakpoints = 1;             ///< used when psi is empty (R npsi)
  std::vector<double> psi = {};      ///< starting breakpoints; empty = quantiles of x
  threshold::family family = threshold::family::gaussian;
  std::span<const double> weights = {};  ///< prior weights (binomial: number of trials)
  std::span<const double> offset = {};
  double conf_level = 0.95;
  double tol = 1e-5;                 ///< relative deviance change that stops the iteration
  int max_iterations = 30;
  double alpha = 0;                  ///< breakpoints stay in the alpha..1-alpha quantiles;
                                     ///< 0 = R's default max(0.05, 1/n)
  bool polish = true;                ///< after R's stopping rule, iterate to the stationary point
  /// bootstrap restarting (Wood 2001; R seg.control(n.boot)): 0 = a single start
  int n_boot = 0;
  std::uint64_t seed = 1;            ///< for the bootstrap restarts
};

/// A fitted segmented model. Coefficient order: intercept, x (the left slope), covariates,
/// then U_1..U_k (slope differences at psi_1 < ... < psi_k).
struct breakpoint_fit {
  Eigen::VectorXd psi;            ///< breakpoint estimates, increasing
  Eigen::VectorXd psi_initial;
  Eigen::VectorXd psi_std_error;  ///< delta method (R summary.segmented)
  Eigen::VectorXd psi_lower;      ///< Wald CI with t(df_residual) quantile (as R, lm and glm)
  Eigen::VectorXd psi_upper;
  Eigen::VectorXd slope;          ///< k + 1 segment slopes (R slope(); CI t for lm, normal for glm)
  Eigen::VectorXd slope_std_error;
  Eigen::VectorXd slope_statistic;
  Eigen::VectorXd slope_lower;
  Eigen::VectorXd slope_upper;
  Eigen::VectorXd coefficients;
  Eigen::VectorXd std_error;
  Eigen::MatrixXd covariance;     ///< of (coefficients, psi)
  Eigen::VectorXd fitted;         ///< on the response scale
  Eigen::VectorXd linear_predictor;
  Eigen::VectorXd residuals;      ///< response residuals y - fitted
  double deviance = 0;            ///< RSS (weighted) for the Gaussian family
  double dispersion = 1;          ///< sigma^2 for the Gaussian family, 1 otherwise
  double df_residual = 0;         ///< n - (2 + q) - 2k
  int iterations = 0;
  bool converged = false;
  threshold::family family = threshold::family::gaussian;
  std::vector<std::string> warnings;
};

namespace detail {

inline Eigen::MatrixXd hinge_columns(const Eigen::VectorXd& x, const Eigen::VectorXd& psi) {
  Eigen::MatrixXd U(x.size(), psi.size());
  for (Eigen::Index j = 0; j < psi.size(); ++j) {
    U.col(j) = (x.array() - psi[j]).max(0.0);
  }
  return U;
}

inline Eigen::MatrixXd hstack(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  Eigen::MatrixXd C(A.rows(), A.cols() + B.cols());
  C.leftCols(A.cols()) = A;
  C.rightCols(B.cols()) = B;
  return C;
}

/// Count of observations in each of the k + 1 segments defined by sorted psi (x > psi_j
/// decides the side, as R's far.psi does); returns true if every psi has >= 2 on each side.
inline bool psi_far_enough(const Eigen::VectorXd& x, const Eigen::VectorXd& psi,
                           std::vector<int>* counts_out = nullptr) {
  const Eigen::Index k = psi.size();
  std::vector<int> counts(static_cast<std::size_t>(k + 1), 0);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Eigen::Index s = 0;
    for (Eigen::Index j = 0; j < k; ++j) {
      s += x[i] > psi[j] ? 1 : 0;
    }
    ++counts[static_cast<std::size_t>(s)];
  }
  bool ok = true;
  for (int c : counts) {
    ok = ok && c >= 2;
  }
  if (counts_out != nullptr) {
    *counts_out = std::move(counts);
  }
  return ok;
}

}  // namespace detail

/// Fits y = b0 + b1 x + sum_j d_j (x - psi_j)_+ + covariates (or its GLM analogue).
/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, a constant x,
///   starting psi outside the admissible range or too close, more breakpoints than the data
///   support, conf_level outside (0, 1), tol <= 0 or max_iterations < 1.
/// Non-convergence is reported in `converged`/`warnings` with the last estimate, as R does.
[[nodiscard]] inline breakpoint_fit segmented(std::span<const double> y, std::span<const double> x,
                                              const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                              const segmented_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::segmented";
  const std::string f(fn);
  VASOSTAT_EXPECTS(options.n_boot >= 0, f + ": options.n_boot must be >= 0");
  if (options.n_boot > 0) {
    // Bootstrap restarting: fit a case resample from the current best psi, restart the fit on the
    // original data from the resample's psi, keep it if its deviance is lower. A resample that
    // cannot be fitted is replaced by psi drawn uniformly within the admissible range.
    segmented_options once = options;
    once.n_boot = 0;
    breakpoint_fit best = segmented(y, x, covariates, once);
    const Eigen::VectorXd initial = best.psi_initial;
    const auto n = y.size();
    std::vector<double> xs(x.begin(), x.end());
    std::sort(xs.begin(), xs.end());
    const double a = once.alpha > 0 ? once.alpha : std::max(0.05, 1.0 / static_cast<double>(n));
    const double lo = detail::quantile7_sorted(xs, a), hi = detail::quantile7_sorted(xs, 1 - a);
    random_generator rng(options.seed);
    std::vector<double> by(n), bx(n), bw(options.weights.empty() ? 0 : n), bo(options.offset.empty() ? 0 : n);
    Eigen::MatrixXd bc(covariates.size() > 0 ? static_cast<Eigen::Index>(n) : 0, covariates.cols());
    for (int b = 0; b < options.n_boot; ++b) {
      for (std::size_t i = 0; i < n; ++i) {
        const auto r = static_cast<std::size_t>(rng.below(n));
        by[i] = y[r];
        bx[i] = x[r];
        if (!bw.empty()) bw[i] = options.weights[r];
        if (!bo.empty()) bo[i] = options.offset[r];
        if (bc.rows() > 0) bc.row(static_cast<Eigen::Index>(i)) = covariates.row(static_cast<Eigen::Index>(r));
      }
      segmented_options bopt = once;
      bopt.psi.assign(best.psi.data(), best.psi.data() + best.psi.size());
      bopt.weights = bw;
      bopt.offset = bo;
      std::vector<double> start;
      try {
        const breakpoint_fit fb = segmented(by, bx, bc, bopt);
        start.assign(fb.psi.data(), fb.psi.data() + fb.psi.size());
      } catch (const vasostat::invalid_argument&) {
        start.clear();
      }
      bool inside = !start.empty();
      for (double v : start) inside = inside && v > lo && v < hi;
      if (!inside) {
        start.resize(static_cast<std::size_t>(best.psi.size()));
        for (double& v : start) v = lo + (hi - lo) * rng.uniform();
        std::sort(start.begin(), start.end());
      }
      segmented_options ropt = once;
      ropt.psi = start;
      try {
        breakpoint_fit fr = segmented(y, x, covariates, ropt);
        if (fr.deviance < best.deviance * (1 - 1e-12)) best = std::move(fr);
      } catch (const vasostat::invalid_argument&) {
        // restart from an inadmissible psi: keep the current best
      }
    }
    best.psi_initial = initial;
    best.warnings.push_back("bootstrap restarting: " + std::to_string(options.n_boot) + " restarts, seed " +
                            std::to_string(options.seed));
    return best;
  }
  auto d = detail::make_model_data(y, x, covariates, options.weights, options.offset,
                                   options.family, fn);
  detail::expect_level(options.conf_level, fn, "options.conf_level");
  VASOSTAT_EXPECTS(options.tol > 0, f + ": options.tol must be positive");
  VASOSTAT_EXPECTS(options.max_iterations >= 1, f + ": options.max_iterations must be >= 1");
  const Eigen::Index n = d.n();
  const auto k = static_cast<Eigen::Index>(options.psi.empty() ? options.n_breakpoints
                                                                : static_cast<int>(options.psi.size()));
  VASOSTAT_EXPECTS(k >= 1, f + ": options.n_breakpoints must be >= 1");
  const Eigen::Index p = 2 + d.covariates.cols();
  VASOSTAT_EXPECTS(n > p + 2 * k,
                   f + ": options.n_breakpoints (" + std::to_string(k) +
                       ") is more breakpoints than the data support: n = " + std::to_string(n) +
                       " needs to exceed " + std::to_string(p + 2 * k) + " parameters");
  const double alpha = options.alpha > 0 ? options.alpha : std::max(0.05, 1.0 / static_cast<double>(n));
  VASOSTAT_EXPECTS(alpha < 0.5, f + ": options.alpha must lie in (0, 0.5)");

  std::vector<double> xs(d.x.data(), d.x.data() + n);
  std::sort(xs.begin(), xs.end());
  const double range_lo = xs.front();
  const double range_hi = xs.back();
  const double lim_lo = detail::quantile7_sorted(xs, alpha);
  const double lim_hi = detail::quantile7_sorted(xs, 1 - alpha);

  Eigen::VectorXd psi(k);
  if (options.psi.empty()) {
    for (Eigen::Index j = 0; j < k; ++j) {
      psi[j] = detail::quantile7_sorted(xs, static_cast<double>(j + 1) / static_cast<double>(k + 1));
    }
  } else {
    detail::expect_finite(options.psi, fn, "options.psi");
    for (Eigen::Index j = 0; j < k; ++j) {
      psi[j] = options.psi[static_cast<std::size_t>(j)];
    }
    std::sort(psi.data(), psi.data() + k);
  }
  breakpoint_fit out;
  out.family = d.fam;
  out.psi_initial = psi;
  for (Eigen::Index j = 0; j < k; ++j) {
    VASOSTAT_EXPECTS(psi[j] > lim_lo && psi[j] < lim_hi,
                     f + ": options.psi (starting breakpoint " + std::to_string(psi[j]) +
                         ") is outside the admissible range (" + std::to_string(lim_lo) + ", " +
                         std::to_string(lim_hi) + "), see options.alpha");
  }
  VASOSTAT_EXPECTS(detail::psi_far_enough(d.x, psi),
                   f + ": options.psi: starting breakpoints leave fewer than 2 observations in a "
                       "segment (too many or too close breakpoints)");

  const Eigen::MatrixXd X0 = d.null_design();
  Eigen::VectorXd eta0;
  auto fit_at = [&](const Eigen::VectorXd& ps, bool want_cov) {
    return detail::fit_glm(detail::hstack(X0, detail::hinge_columns(d.x, ps)), d.y, d.weights,
                           d.offset, d.fam, eta0.size() == n ? &eta0 : nullptr, 100, 1e-10,
                           want_cov);
  };
  // Gaussian line-search objective through the partial-regression identity
  // RSS(psi) = RSS_0 - c' S^-1 c with c = U'W r_0 and S = U'WU - U'WX0 (X0'WX0)^-1 X0'WU,
  // where r_0 are the residuals of the model without the hinge terms (R's search.min refits by
  // the normal equations instead). Every piece is a sum over x > psi_j of a polynomial in psi_j,
  // so with suffix sums over the x order (x centred at its mean, X0 as [1, x - mean, covariates],
  // which spans the same space) one evaluation costs O(k log n + k^2 p^2), not O(n k p).
  const Eigen::VectorXd yo = d.y - d.offset;
  const double xc = d.x.mean();
  Eigen::MatrixXd X0c = X0;
  X0c.col(1).array() -= xc;
  Eigen::MatrixXd A0;
  Eigen::VectorXd b0;
  VASOSTAT_EXPECTS(detail::wls(X0c, yo, d.weights, b0, &A0),
                   f + ": the design [1, x, covariates] is rank deficient");
  const double rss0 = ((yo - X0c * b0).array().square() * d.weights.array()).sum();
  // suffix table over the x order: row i holds sums over sorted positions >= i of
  // w, w t, w t^2, w r0, w t r0, w X0c_a (p columns), w t X0c_a (p columns); t = x - mean
  const Eigen::Index tw = 5 + 2 * p;
  Eigen::MatrixXd suffix;
  if (d.fam == family::gaussian) {
    const Eigen::VectorXd r0 = yo - X0c * b0;
    std::vector<Eigen::Index> ord(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) ord[static_cast<std::size_t>(i)] = i;
    std::stable_sort(ord.begin(), ord.end(), [&](Eigen::Index a, Eigen::Index b) { return d.x[a] < d.x[b]; });
    suffix.setZero(tw, n + 1);  // column-major: one column per position
    for (Eigen::Index s = n - 1; s >= 0; --s) {
      const Eigen::Index i = ord[static_cast<std::size_t>(s)];
      const double w = d.weights[i], t = d.x[i] - xc, r = r0[i];
      auto col = suffix.col(s);
      col = suffix.col(s + 1);
      col[0] += w;
      col[1] += w * t;
      col[2] += w * t * t;
      col[3] += w * r;
      col[4] += w * t * r;
      for (Eigen::Index a = 0; a < p; ++a) {
        col[5 + a] += w * X0c(i, a);
        col[5 + p + a] += w * t * X0c(i, a);
      }
    }
  }
  Eigen::VectorXd cvec(k);
  Eigen::MatrixXd UX(k, p);
  Eigen::MatrixXd UU(k, k);
  std::vector<Eigen::Index> pos(static_cast<std::size_t>(k));
  auto gaussian_rss = [&](const Eigen::VectorXd& ps) {
    for (Eigen::Index j = 0; j < k; ++j) {
      pos[static_cast<std::size_t>(j)] = std::upper_bound(xs.begin(), xs.end(), ps[j]) - xs.begin();
    }
    for (Eigen::Index j = 0; j < k; ++j) {
      const auto T = suffix.col(pos[static_cast<std::size_t>(j)]);
      const double tj = ps[j] - xc;
      cvec[j] = T[4] - tj * T[3];
      for (Eigen::Index a = 0; a < p; ++a) {
        UX(j, a) = T[5 + p + a] - tj * T[5 + a];
      }
      for (Eigen::Index b = 0; b <= j; ++b) {
        const auto Tb = suffix.col(std::max(pos[static_cast<std::size_t>(j)], pos[static_cast<std::size_t>(b)]));
        const double tb = ps[b] - xc;
        UU(j, b) = UU(b, j) = Tb[2] - (tj + tb) * Tb[1] + tj * tb * Tb[0];
      }
    }
    if (k == 1) {
      // scalar path (the common case): no temporaries
      double quad = 0;
      for (Eigen::Index a = 0; a < p; ++a) {
        for (Eigen::Index b = 0; b < p; ++b) {
          quad += UX(0, a) * A0(a, b) * UX(0, b);
        }
      }
      const double s = UU(0, 0) - quad;
      if (!(s > 1e-12 * UU(0, 0))) {
        return std::numeric_limits<double>::infinity();
      }
      return std::max(rss0 - cvec[0] * cvec[0] / s, 0.0);
    }
    const Eigen::MatrixXd S = UU - UX * A0 * UX.transpose();
    Eigen::LDLT<Eigen::MatrixXd> ldlt(S);
    if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().minCoeff() > 1e-12 * UU.diagonal().maxCoeff())) {
      return std::numeric_limits<double>::infinity();
    }
    return std::max(rss0 - cvec.dot(ldlt.solve(cvec)), 0.0);
  };
  // deviance at the start (Gaussian: the line-search objective itself, no refit)
  double L0 = 0;
  if (d.fam == family::gaussian) {
    L0 = gaussian_rss(psi);
    VASOSTAT_EXPECTS(std::isfinite(L0), f + ": the design [1, x, covariates, (x - psi)_+] is rank "
                                            "deficient at the starting breakpoints");
  } else {
    const auto first = fit_at(psi, false);
    VASOSTAT_EXPECTS(first.full_rank, f + ": the design [1, x, covariates, (x - psi)_+] is rank "
                                          "deficient at the starting breakpoints");
    eta0 = first.eta;
    L0 = first.deviance;
  }
  double epsilon = 10;
  int it = 0;
  constexpr double fc = 0.95;
  // One Muggeo step: linearise at psi, move towards psi + gamma/beta with a Brent line search
  // on the step length, keep psi inside the admissible range. Returns false if the linearised
  // model is rank deficient.
  auto muggeo_step = [&](bool full_step) -> bool {
    Eigen::MatrixXd V(n, k);
    for (Eigen::Index j = 0; j < k; ++j) {
      V.col(j) = (d.x.array() > psi[j]).cast<double>() * -1.0;
    }
    const auto lin = detail::fit_glm(
        detail::hstack(detail::hstack(X0, detail::hinge_columns(d.x, psi)), V), d.y, d.weights,
        d.offset, d.fam, eta0.size() == n ? &eta0 : nullptr, 100, 1e-10, false);
    if (!lin.full_rank) {
      out.warnings.emplace_back(
          "breakpoint estimate too close or at the boundary (rank-deficient linearised model); "
          "iteration stopped with the last estimate");
      return false;
    }
    if (d.fam != family::gaussian) {
      eta0 = lin.eta;
    }
    const Eigen::VectorXd psi_old = psi;
    Eigen::VectorXd psi_new(k);
    for (Eigen::Index j = 0; j < k; ++j) {
      const double beta = lin.coef[p + j];
      const double gamma = lin.coef[p + k + j];
      psi_new[j] = std::clamp(psi_old[j] + gamma / beta, range_lo, range_hi);
    }
    auto objective = [&](double h) {
      const Eigen::VectorXd ps = psi_new * h + psi_old * (1 - h);
      if (d.fam == family::gaussian) {
        const double r = gaussian_rss(ps);
        return std::isfinite(r) ? r : L0 + 10;
      }
      const auto fit = fit_at(ps, false);
      return fit.full_rank ? fit.deviance : L0 + 10;
    };
    if (full_step) {
      // polishing: near the stationary point the deviance is flat to rounding, so take the
      // Gauss-Newton step gamma/beta itself (accurate to the regression's precision) as long
      // as it does not increase the deviance beyond rounding
      const double L1 = objective(1.0);
      if (!(L1 <= L0 * (1 + 1e-12) + 1e-300)) {
        return false;
      }
      for (Eigen::Index j = 0; j < k; ++j) {
        psi[j] = std::clamp(psi_new[j], lim_lo, lim_hi);
      }
      epsilon = (L0 - L1) / (std::fabs(L0) + 0.1);
      L0 = L1;
      return detail::psi_far_enough(d.x, psi);
    }
    const auto line = detail::brent_minimize(objective, 0.0, 1.0);
    const double L1 = line.objective;
    psi = psi_new * line.minimum + psi_old * (1 - line.minimum);
    for (Eigen::Index j = 0; j < k; ++j) {
      psi[j] = std::clamp(psi[j], lim_lo, lim_hi);
    }
    epsilon = (L0 - L1) / (std::fabs(L0) + 0.1);
    L0 = L1;
    std::vector<int> counts;
    const bool far = detail::psi_far_enough(d.x, psi, &counts);
    bool inside = true;
    for (Eigen::Index j = 0; j < k; ++j) {
      inside = inside && psi[j] > lim_lo && psi[j] < lim_hi;
    }
    (void)inside;
    if (!far) {
      // R's fix.npsi = TRUE: nudge a breakpoint that left a segment too small
      for (Eigen::Index j = 0; j < k; ++j) {
        const auto a = static_cast<std::size_t>(j);
        const bool ok = counts[a] >= 2 && counts[a + 1] >= 2;
        if (!ok) {
          psi[j] *= counts[a + 1] > counts[a] ? 1 / fc : fc;
        }
      }
      out.warnings.emplace_back("a breakpoint left fewer than 2 observations in a segment and was "
                                "moved (R: 'psi changed after the last iter.')");
    }
    return true;
  };
  while (std::fabs(epsilon) > options.tol) {
    ++it;
    if (!muggeo_step(false)) {
      break;
    }
    if (it >= options.max_iterations) {
      break;
    }
  }
  out.iterations = it;
  out.converged = std::fabs(epsilon) <= options.tol;
  if (!out.converged) {
    out.warnings.emplace_back("max number of iterations (" + std::to_string(it) +
                              ") attained without convergence; returning the last estimate");
  } else if (options.polish) {
    // R stops at a 1e-5 relative change of the deviance; a few more steps reach the stationary
    // point itself, so the answer no longer depends on the path (R's is within its tolerance).
    for (int extra = 0; extra < 10; ++extra) {
      const Eigen::VectorXd psi_keep = psi;
      const double L_keep = L0;
      const std::size_t warn_keep = out.warnings.size();
      const bool ok = muggeo_step(true);
      const bool moved = ok && ((psi - psi_keep).array().abs() > 1e-13 * (psi_keep.array().abs() + 1)).any();
      if (ok && !moved) {
        break;
      }
      if (!ok) {
        psi = psi_keep;
        L0 = L_keep;
        out.warnings.resize(warn_keep);
        break;
      }
    }
  }
  std::sort(psi.data(), psi.data() + k);
  out.psi = psi;

  // Final fit at psi (R: gap = FALSE), then the covariance of the model with the V columns
  // scaled by the slope differences, whose coefficients are the breakpoint corrections.
  const Eigen::MatrixXd Xu = detail::hstack(X0, detail::hinge_columns(d.x, psi));
  const auto fin = detail::fit_glm(Xu, d.y, d.weights, d.offset, d.fam,
                                   eta0.size() == n ? &eta0 : nullptr, 100, 1e-10, false);
  VASOSTAT_EXPECTS(fin.full_rank, f + ": the final design is rank deficient (breakpoint at the "
                                      "boundary or too many breakpoints)");
  out.coefficients = fin.coef;
  out.linear_predictor = fin.eta;
  out.fitted = fin.mu;
  out.residuals = d.y - fin.mu;
  out.deviance = fin.deviance;
  out.df_residual = static_cast<double>(n - p - 2 * k);
  Eigen::MatrixXd Vb(n, k);
  for (Eigen::Index j = 0; j < k; ++j) {
    Vb.col(j) = (d.x.array() > psi[j]).cast<double>() * -fin.coef[p + j];
  }
  const Eigen::MatrixXd Xf = detail::hstack(Xu, Vb);
  Eigen::VectorXd unused;
  Eigen::MatrixXd cov_unscaled;
  const bool ok = detail::wls(Xf, Eigen::VectorXd::Zero(n), fin.working_weights, unused, &cov_unscaled);
  VASOSTAT_EXPECTS(ok, f + ": the breakpoint covariance is singular (breakpoint at the boundary "
                           "with many tied x values?)");
  out.dispersion = d.fam == family::gaussian ? fin.deviance / out.df_residual : 1.0;
  out.covariance = cov_unscaled * out.dispersion;
  const Eigen::Index pc = p + k;
  out.std_error = out.covariance.diagonal().head(pc).array().sqrt();
  const bool use_t = d.fam == family::gaussian;
  // R's confint.segmented uses t(df_residual) for the breakpoint of lm and glm fits alike
  const double qpsi = stats::t_quantile(0.5 + options.conf_level / 2, out.df_residual);
  const double q = use_t ? qpsi : stats::normal_quantile(0.5 + options.conf_level / 2);
  out.psi_std_error = out.covariance.diagonal().tail(k).array().sqrt();
  out.psi_lower = out.psi.array() - qpsi * out.psi_std_error.array();
  out.psi_upper = out.psi.array() + qpsi * out.psi_std_error.array();
  // slopes: cumulative sums of (b1, d_1, ..., d_k)
  std::vector<Eigen::Index> idx{1};
  for (Eigen::Index j = 0; j < k; ++j) {
    idx.push_back(p + j);
  }
  out.slope.resize(k + 1);
  out.slope_std_error.resize(k + 1);
  out.slope_statistic.resize(k + 1);
  out.slope_lower.resize(k + 1);
  out.slope_upper.resize(k + 1);
  for (Eigen::Index s = 0; s <= k; ++s) {
    double est = 0;
    double var = 0;
    for (Eigen::Index a = 0; a <= s; ++a) {
      est += out.coefficients[idx[static_cast<std::size_t>(a)]];
      for (Eigen::Index b = 0; b <= s; ++b) {
        var += out.covariance(idx[static_cast<std::size_t>(a)], idx[static_cast<std::size_t>(b)]);
      }
    }
    const double se = std::sqrt(var);
    out.slope[s] = est;
    out.slope_std_error[s] = se;
    out.slope_statistic[s] = est / se;
    out.slope_lower[s] = est - q * se;
    out.slope_upper[s] = est + q * se;
  }
  return out;
}

/// segmented() without covariates.
[[nodiscard]] inline breakpoint_fit segmented(std::span<const double> y, std::span<const double> x,
                                              const segmented_options& options = {}) {
  return segmented(y, x, Eigen::MatrixXd(0, 0), options);
}

}  // namespace vasostat::inline v0::threshold
