#pragma once
// The clinical "threshold effect analysis" table (two-piecewise linear regression): Model I, one
// linear effect of x; Model II, the inflection point K by exact profile likelihood over the
// data points within the 5-95% quantiles, refined continuously between neighbours, with the
// effects below and above K. Reports the likelihood-ratio test of Model II vs Model I as
// papers do (chi-square, 1 df, K treated as known) and, in addition, p-values that account for
// searching K: the sup-LR statistic calibrated by a seeded residual bootstrap under Model I and
// Davies' bound; plus a seeded nonparametric bootstrap percentile CI for K (the honest
// "threshold range"). Gaussian outcome. Cost O(B (n log n + n q^2)).

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/breakpoint_tests.hpp>
#include <vasostat/threshold/detail/design.hpp>
#include <vasostat/threshold/detail/glm.hpp>
#include <vasostat/threshold/detail/numeric.hpp>
#include <vasostat/threshold/hinge.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

struct threshold_effect_options {
  double lower_quantile = 0.05;  ///< K searched within these quantiles of x (EmpowerStats 5-95%)
  double upper_quantile = 0.95;
  int min_side = 2;              ///< observations required on each side of K
  bool refine = true;            ///< K between data points (exact continuous profile maximum)
  int n_boot = 1000;             ///< replicates for the sup-LR p and the CI for K (>= 1)
  std::uint64_t seed = 1;
  double conf_level = 0.95;
  /// gaussian (default), binomial (y a proportion, `weights` = trials, logit) or poisson (log)
  threshold::family family = threshold::family::gaussian;
  std::span<const double> weights = {};  ///< prior weights (binomial trials); GLM families only
  std::span<const double> offset = {};   ///< e.g. log exposure; GLM families only
};

/// One row of the table: estimate, model-based SE, CI (t, df of the model) and p.
struct effect_estimate {
  double estimate = 0;
  double std_error = 0;
  double lower = 0;
  double upper = 0;
  double p_value = 1;
};

struct threshold_effect_result {
  effect_estimate model1;        ///< Model I: slope of x
  double inflection_point = 0;   ///< Model II: K
  double k_lower = std::numeric_limits<double>::quiet_NaN();  ///< bootstrap percentile CI for K
  double k_upper = std::numeric_limits<double>::quiet_NaN();
  effect_estimate below;         ///< slope for x <= K
  effect_estimate above;         ///< slope for x > K
  effect_estimate difference;    ///< above - below
  double log_likelihood_1 = 0;
  double log_likelihood_2 = 0;
  double lr_statistic = 0;       ///< 2 (l_II - l_I)
  double p_lrt = 1;              ///< chi-square(1): K treated as known (as papers report it)
  double p_sup_lr = 1;           ///< search-aware: sup-LR, residual bootstrap under Model I
  double p_davies = 1;           ///< search-aware: Davies' bound (segmented::davies.test)
  int n_boot_used = 0;
  std::string k_method;          ///< how K and its CI were obtained
};

namespace detail {

/// log-likelihood of a binomial (y proportion, w trials) or Poisson fit, as R's logLik.glm.
inline double glm_log_likelihood(family fam, const Eigen::VectorXd& y, const Eigen::VectorXd& mu,
                                 const Eigen::VectorXd& w) {
  double ll = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (fam == family::binomial) {
      const double m = std::round(w[i]);
      const double k = std::round(w[i] * y[i]);
      ll += std::lgamma(m + 1) - std::lgamma(k + 1) - std::lgamma(m - k + 1);
      if (k > 0) ll += k * std::log(mu[i]);
      if (m - k > 0) ll += (m - k) * std::log1p(-mu[i]);
    } else {
      ll += w[i] * ((y[i] > 0 ? y[i] * std::log(mu[i]) : 0.0) - mu[i] - std::lgamma(y[i] + 1));
    }
  }
  return ll;
}

/// Poisson(mu) by inversion (a normal approximation above mu = 500), from one stream.
inline double poisson_draw(random_generator& rng, double mu) {
  if (mu > 500) return std::max(0.0, std::round(mu + std::sqrt(mu) * rng.normal()));
  const double u = rng.uniform();
  double p = std::exp(-mu), f = p, k = 0;
  while (u > f && k < 10000) {
    k += 1;
    p *= mu / k;
    f += p;
  }
  return k;
}

/// Binomial(m, p) successes: Bernoulli sum for m <= 30, else inversion from the smaller tail
/// (a normal approximation when m min(p, 1 - p) > 500), from one stream.
inline double binomial_draw(random_generator& rng, double m, double prob) {
  if (m <= 30) {
    double hits = 0;
    for (int t = 0; t < static_cast<int>(m); ++t) hits += rng.uniform() < prob ? 1 : 0;
    return hits;
  }
  const bool flip = prob > 0.5;
  const double q = flip ? 1 - prob : prob;
  double k = 0;
  if (m * q > 500) {
    k = std::clamp(std::round(m * q + std::sqrt(m * q * (1 - q)) * rng.normal()), 0.0, m);
  } else {
    const double u = rng.uniform(), r = q / (1 - q);
    double pk = std::exp(m * std::log1p(-q)), f = pk;
    while (u > f && k < m) {
      pk *= (m - k) / (k + 1) * r;
      k += 1;
      f += pk;
    }
  }
  return flip ? m - k : k;
}

/// Profile deviance of the two-piece GLM [1, x, covariates, (x - K)_+] over candidate K: the
/// data points in [lo, hi] with >= min_side observations on each side (x <= K, x > K).
struct glm_scan {
  bool ok = false;
  double k = 0;
  double deviance = std::numeric_limits<double>::infinity();
  std::size_t best_index = 0;
  std::vector<double> candidates;
};

inline glm_scan scan_glm_threshold(const Eigen::MatrixXd& base, const Eigen::VectorXd& x, const Eigen::VectorXd& y,
                                   const Eigen::VectorXd& w, const Eigen::VectorXd& offset, family fam, double lo,
                                   double hi, int min_side) {
  glm_scan out;
  const Eigen::Index n = x.size();
  std::vector<double> xs(x.data(), x.data() + n);
  std::sort(xs.begin(), xs.end());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i + 1 < xs.size() && xs[i + 1] == xs[i]) continue;  // last of a tie run: count x <= e
    const auto left = static_cast<Eigen::Index>(i + 1);
    if (xs[i] < lo || xs[i] > hi || left < min_side || n - left < min_side) continue;
    out.candidates.push_back(xs[i]);
  }
  // the deviance is invariant to reparametrising the columns: centre x (column 1 of base; the
  // intercept absorbs the shift) for a better-conditioned Gram matrix in the normal-equation
  // IRLS. The threshold term stays uncentred: near separation its weights above K vanish and a
  // centred copy would be collinear with the intercept in the weighted metric.
  const double xc = x.mean();
  Eigen::MatrixXd X(n, base.cols() + 1);
  X.leftCols(base.cols()) = base;
  X.col(1).array() -= xc;
  // Binomial separation at a candidate K, taken to its limit instead of iterating toward it:
  // (a) every observation above K (positive weight) a success, or every one a failure: the
  //     threshold term (x - K)_+ separates them, its coefficient diverges and the deviance falls
  //     to that of [1, x, covariates] fitted to x <= K alone (the terms above K vanish);
  // (b) every observation below K alike: min(x - K, 0) = (x - K) - (x - K)_+ lies in the span
  //     of the design and separates them, and the limit is the fit to x >= K alone.
  // R's glm.fit creeps toward these limits ("fitted probabilities numerically 0 or 1") and stops
  // within its 1e-8 relative deviance tolerance or at the 25-iteration cap; near such K the
  // normal-equation IRLS also loses its pivots and falls back to the QR fit. Both limits are
  // smaller fits with ordinary convergence. sep_above: smallest x with (a) for every K >= it;
  // sep_below: largest x with (b) for every K <= it.
  double sep_above = std::numeric_limits<double>::infinity();
  double sep_below = -std::numeric_limits<double>::infinity();
  if (fam == family::binomial && n > 0) {
    std::vector<Eigen::Index> by_x(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) by_x[static_cast<std::size_t>(i)] = i;
    std::sort(by_x.begin(), by_x.end(), [&](Eigen::Index a, Eigen::Index b) { return x[a] < x[b]; });
    bool all1 = true, all0 = true;
    for (std::size_t j = by_x.size(); j-- > 0;) {
      const Eigen::Index i = by_x[j];
      if ((j + 1 == by_x.size() || x[by_x[j + 1]] != x[i]) && (all1 || all0)) sep_above = x[i];
      if (w[i] > 0) {
        all1 = all1 && y[i] == 1;
        all0 = all0 && y[i] == 0;
      }
    }
    all1 = all0 = true;
    for (std::size_t j = 0; j < by_x.size(); ++j) {
      const Eigen::Index i = by_x[j];
      if ((j == 0 || x[by_x[j - 1]] != x[i]) && (all1 || all0)) sep_below = x[i];
      if (w[i] > 0) {
        all1 = all1 && y[i] == 1;
        all0 = all0 && y[i] == 0;
      }
    }
  }
  Eigen::MatrixXd Xs;
  Eigen::VectorXd ys, wsub, os;
  irls_workspace ws_sub;
  // deviance of [1, x, covariates] on the rows with keep(x) (false if it cannot be fitted)
  auto sub_deviance = [&](auto keep, double& dev) {
    Eigen::Index m = 0;
    for (Eigen::Index i = 0; i < n; ++i) m += keep(x[i]) ? 1 : 0;
    Xs.resize(m, base.cols());
    ys.resize(m);
    wsub.resize(m);
    os.resize(m);
    Eigen::Index r = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (!keep(x[i])) continue;
      Xs.row(r) = X.row(i).head(base.cols());
      ys[r] = y[i];
      wsub[r] = w[i];
      os[r] = offset[i];
      ++r;
    }
    return glm_deviance(Xs, ys, wsub, os, fam, nullptr, 25, 1e-8, ws_sub, dev) && std::isfinite(dev);
  };
  Eigen::VectorXd start;
  irls_workspace ws;
  bool have_start = false;
  for (std::size_t c = 0; c < out.candidates.size(); ++c) {
    const double e = out.candidates[c];
    double dev = 0;
    const bool above = e >= sep_above, below = e <= sep_below;
    bool limit = false;
    if (above != below) {
      limit = above ? sub_deviance([e](double v) { return v <= e; }, dev)
                    : sub_deviance([e](double v) { return v >= e; }, dev);
    }
    if (!limit) {
      X.col(base.cols()) = (x.array() - e).cwiseMax(0.0).matrix();
      // R's glm.control defaults (25 iterations, 1e-8); the chosen K is refitted tightly. A warm
      // start comes only from a converged fit at a neighbouring K; if the normal-equation IRLS
      // declines from it, it is retried from R's starting values before the QR fallback.
      irls_result r = irls_deviance(X, y, w, offset, fam, have_start ? &start : nullptr, 25, 1e-8, ws);
      if (!r.ok && have_start) r = irls_deviance(X, y, w, offset, fam, nullptr, 25, 1e-8, ws);
      if (r.ok) {
        dev = r.deviance;
        if (r.converged) {
          start = ws.eta;
          have_start = true;
        }
      } else if (!glm_deviance(X, y, w, offset, fam, nullptr, 25, 1e-8, ws, dev) || !std::isfinite(dev)) {
        continue;
      }
    }
    if (dev < out.deviance) {
      out.deviance = dev;
      out.k = e;
      out.best_index = c;
      out.ok = true;
    }
  }
  return out;
}

/// threshold_effect for the binomial and Poisson families (Wald z rows, deviance LR test).
[[nodiscard]] inline threshold_effect_result threshold_effect_glm(std::span<const double> y, std::span<const double> x,
                                                                  const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                                                  const threshold_effect_options& options) {
  constexpr const char* fn = "vasostat::threshold::threshold_effect";
  const model_data d = make_model_data(y, x, covariates, options.weights, options.offset, options.family, fn);
  const Eigen::Index n = d.n();
  VASOSTAT_EXPECTS(options.min_side >= 1, std::string(fn) + ": options.min_side must be >= 1");
  const Eigen::MatrixXd base = d.null_design();
  std::vector<double> xs(x.begin(), x.end());
  std::sort(xs.begin(), xs.end());
  const double lo = quantile7_sorted(xs, options.lower_quantile);
  const double hi = quantile7_sorted(xs, options.upper_quantile);
  const family fam = d.fam;
  // Model I
  const glm_fit m1 = fit_glm(base, d.y, d.weights, d.offset, fam, nullptr, 100, 1e-13, true);
  VASOSTAT_EXPECTS(m1.full_rank, std::string(fn) + ": Model I design [1, x, covariates] is rank deficient");
  const glm_scan scan = scan_glm_threshold(base, d.x, d.y, d.weights, d.offset, fam, lo, hi, options.min_side);
  VASOSTAT_EXPECTS(!scan.candidates.empty(),
                   std::string(fn) + ": no candidate K leaves options.min_side = " + std::to_string(options.min_side) +
                       " observations on each side within the quantile bounds");
  VASOSTAT_EXPECTS(scan.ok, std::string(fn) + ": Model II could not be fitted at any candidate K");
  Eigen::MatrixXd X2(n, base.cols() + 1);
  X2.leftCols(base.cols()) = base;
  auto fit_at = [&](double k, double tol, bool cov) {
    X2.col(base.cols()) = (d.x.array() - k).cwiseMax(0.0).matrix();
    return fit_glm(X2, d.y, d.weights, d.offset, fam, nullptr, 100, tol, cov);
  };
  double k = scan.k;
  double best = fit_at(k, 1e-13, false).deviance;
  if (options.refine) {
    // continuous K between the neighbouring distinct x values (as for the Gaussian table)
    std::vector<double> ux = xs;
    ux.erase(std::unique(ux.begin(), ux.end()), ux.end());
    const auto j = static_cast<std::size_t>(std::lower_bound(ux.begin(), ux.end(), scan.k) - ux.begin());
    const double k0 = scan.k;
    const double left = j > 0 ? ux[j - 1] : k0;
    const double right = j + 1 < ux.size() ? ux[j + 1] : k0;
    for (const auto& iv : {std::pair{left, k0}, std::pair{k0, right}}) {
      const double a = std::max(iv.first, lo), b = std::min(iv.second, hi);
      if (!(b > a)) continue;
      const auto r = brent_minimize([&](double e) { return fit_at(e, 1e-13, false).deviance; }, a, b, 1e-12);
      if (r.objective < best) {
        best = r.objective;
        k = r.minimum;
      }
    }
  }
  const glm_fit m2 = fit_at(k, 1e-13, true);
  VASOSTAT_EXPECTS(m2.full_rank, std::string(fn) + ": Model II design is rank deficient at K");
  threshold_effect_result out;
  const double zq = stats::normal_quantile(0.5 + options.conf_level / 2);
  auto make_effect = [&](double est, double var) {
    effect_estimate e;
    e.estimate = est;
    e.std_error = std::sqrt(std::max(0.0, var));
    e.lower = est - zq * e.std_error;
    e.upper = est + zq * e.std_error;
    e.p_value = stats::normal_two_sided_p(est / e.std_error);
    return e;
  };
  out.model1 = make_effect(m1.coef[1], m1.cov_unscaled(1, 1));
  const Eigen::Index h = X2.cols() - 1;
  const Eigen::MatrixXd& v = m2.cov_unscaled;
  out.inflection_point = k;
  out.below = make_effect(m2.coef[1], v(1, 1));
  out.above = make_effect(m2.coef[1] + m2.coef[h], v(1, 1) + v(h, h) + 2 * v(1, h));
  out.difference = make_effect(m2.coef[h], v(h, h));
  out.log_likelihood_1 = glm_log_likelihood(fam, d.y, m1.mu, d.weights);
  out.log_likelihood_2 = glm_log_likelihood(fam, d.y, m2.mu, d.weights);
  out.lr_statistic = std::max(0.0, m1.deviance - m2.deviance);
  out.p_lrt = stats::chi_squared_sf(out.lr_statistic, 1);
  // search-aware p: sup-LR over the candidate grid, parametric bootstrap under Model I
  random_generator rng(options.seed ^ 0x5bd1e995ULL);
  const double lr_grid = std::max(0.0, m1.deviance - scan.deviance);
  Eigen::VectorXd ys(n);
  Eigen::MatrixXd base_c = base;  // x centred (same deviance, better-conditioned Gram matrix)
  base_c.col(1).array() -= d.x.mean();
  irls_workspace ws1;
  int exceed = 0, used = 0;
  for (int b = 0; b < options.n_boot; ++b) {
    for (Eigen::Index i = 0; i < n; ++i) {
      if (fam == family::binomial) {
        const double trials = std::round(d.weights[i]);
        ys[i] = trials > 0 ? binomial_draw(rng, trials, m1.mu[i]) / trials : 0.0;
      } else {
        ys[i] = poisson_draw(rng, m1.mu[i]);
      }
    }
    double dev1 = 0;
    if (!glm_deviance(base_c, ys, d.weights, d.offset, fam, &m1.eta, 25, 1e-8, ws1, dev1)) continue;
    const glm_scan bs = scan_glm_threshold(base, d.x, ys, d.weights, d.offset, fam, lo, hi, options.min_side);
    if (!bs.ok) continue;
    exceed += (dev1 - bs.deviance) >= lr_grid * (1 - 1e-9) ? 1 : 0;
    ++used;
  }
  out.p_sup_lr = static_cast<double>(1 + exceed) / static_cast<double>(1 + used);
  // CI for K: nonparametric case bootstrap of the grid estimate
  std::vector<double> ks;
  ks.reserve(static_cast<std::size_t>(options.n_boot));
  random_generator rng2(options.seed);
  Eigen::MatrixXd bb(n, base.cols());
  Eigen::VectorXd bx(n), by(n), bw(n), bo(n);
  for (int b = 0; b < options.n_boot; ++b) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto r = static_cast<Eigen::Index>(rng2.below(static_cast<std::uint64_t>(n)));
      bb.row(i) = base.row(r);
      bx[i] = d.x[r];
      by[i] = d.y[r];
      bw[i] = d.weights[r];
      bo[i] = d.offset[r];
    }
    std::vector<double> bxs(bx.data(), bx.data() + n);
    std::sort(bxs.begin(), bxs.end());
    if (bxs.front() == bxs.back()) continue;
    const glm_scan bs = scan_glm_threshold(bb, bx, by, bw, bo, fam, quantile7_sorted(bxs, options.lower_quantile),
                                           quantile7_sorted(bxs, options.upper_quantile), options.min_side);
    if (bs.ok) ks.push_back(bs.k);
  }
  out.n_boot_used = static_cast<int>(ks.size());
  if (!ks.empty()) {
    std::sort(ks.begin(), ks.end());
    out.k_lower = quantile7_sorted(ks, 0.5 - options.conf_level / 2);
    out.k_upper = quantile7_sorted(ks, 0.5 + options.conf_level / 2);
  }
  {
    davies_options dopt;
    dopt.family = fam;
    dopt.weights = options.weights;
    dopt.offset = options.offset;
    out.p_davies = davies_test(y, x, covariates, dopt).p_value;
  }
  out.k_method = std::string("K: exact profile deviance (") +
                 (fam == family::binomial ? "binomial logit" : "Poisson log") +
                 " GLM) over the data points within the " + std::to_string(options.lower_quantile) + "-" +
                 std::to_string(options.upper_quantile) + " quantiles of x" +
                 (options.refine ? ", refined between neighbouring points" : "") +
                 "; CI: nonparametric bootstrap percentile of the grid K (" + std::to_string(out.n_boot_used) +
                 " replicates); sup-LR p: parametric bootstrap under Model I";
  return out;
}

}  // namespace detail

/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, a constant x, quantile
///   bounds outside (0, 1) or crossed, too few observations on either side of every candidate,
///   options.n_boot < 1.
[[nodiscard]] inline threshold_effect_result threshold_effect(std::span<const double> y, std::span<const double> x,
                                                              const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                                              const threshold_effect_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::threshold_effect";
  VASOSTAT_EXPECTS(options.n_boot >= 1, std::string(fn) + ": options.n_boot must be >= 1");
  VASOSTAT_EXPECTS(options.lower_quantile > 0 && options.upper_quantile < 1,
                   std::string(fn) + ": options.lower_quantile and options.upper_quantile must lie in (0, 1)");
  if (options.family != family::gaussian) {
    VASOSTAT_EXPECTS(options.lower_quantile < options.upper_quantile,
                     std::string(fn) + ": options.lower_quantile and options.upper_quantile are crossed");
    detail::expect_level(options.conf_level, fn, "options.conf_level");
    return detail::threshold_effect_glm(y, x, covariates, options);
  }
  VASOSTAT_EXPECTS(options.weights.empty() && options.offset.empty(),
                   std::string(fn) + ": options.weights and options.offset apply to the binomial/Poisson families only");
  threshold_grid_options gopt;
  gopt.lower_quantile = options.lower_quantile;
  gopt.upper_quantile = options.upper_quantile;
  gopt.min_side = options.min_side;
  gopt.refine = options.refine;
  gopt.n_boot = options.n_boot;
  gopt.seed = options.seed;
  gopt.conf_level = options.conf_level;
  const auto m2 = threshold_grid(y, x, covariates, threshold_type::segmented, gopt);
  threshold_effect_result out;
  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::MatrixXd C = covariates.size() > 0 ? Eigen::MatrixXd(covariates) : Eigen::MatrixXd(n, 0);
  const Eigen::VectorXd Y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  const Eigen::VectorXd Xv = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  // Model I
  Eigen::MatrixXd X1(n, 2 + C.cols());
  X1.col(0).setOnes();
  X1.col(1) = Xv;
  if (C.cols() > 0) {
    X1.rightCols(C.cols()) = C;
  }
  Eigen::VectorXd b1;
  Eigen::MatrixXd v1;
  VASOSTAT_EXPECTS(detail::wls(X1, Y, Eigen::VectorXd::Ones(n), b1, &v1),
                   std::string(fn) + ": Model I design [1, x, covariates] is rank deficient");
  const Eigen::VectorXd fitted1 = X1 * b1;
  const Eigen::VectorXd res1 = Y - fitted1;
  const double rss1 = res1.squaredNorm();
  const double df1 = static_cast<double>(n - X1.cols());
  const double s2_1 = rss1 / df1;
  auto make_effect = [&](double est, double var, double df) {
    effect_estimate e;
    e.estimate = est;
    e.std_error = std::sqrt(var);
    const double q = stats::t_quantile(0.5 + options.conf_level / 2, df);
    e.lower = est - q * e.std_error;
    e.upper = est + q * e.std_error;
    e.p_value = stats::t_two_sided_p(est / e.std_error, df);
    return e;
  };
  out.model1 = make_effect(b1[1], v1(1, 1) * s2_1, df1);
  // Model II: coefficients (1, x, covariates, (x-K)_+)
  const Eigen::Index h = m2.coefficients.size() - 1;
  out.inflection_point = m2.threshold;
  out.k_lower = m2.threshold_lower;
  out.k_upper = m2.threshold_upper;
  out.n_boot_used = static_cast<int>(m2.boot_thresholds.size());
  // the refined K is a continuous estimate: the model df counts it as a parameter only in the
  // LR test; slopes use the df of the fit at fixed K, as papers do
  out.below = make_effect(m2.coefficients[1], m2.covariance(1, 1), m2.df_residual);
  out.above = make_effect(m2.coefficients[1] + m2.coefficients[h],
                          m2.covariance(1, 1) + m2.covariance(h, h) + 2 * m2.covariance(1, h), m2.df_residual);
  out.difference = make_effect(m2.coefficients[h], m2.covariance(h, h), m2.df_residual);
  const double nd = static_cast<double>(n);
  out.log_likelihood_1 = -nd / 2 * (std::log(2 * std::numbers::pi * rss1 / nd) + 1);
  out.log_likelihood_2 = m2.log_likelihood;
  out.lr_statistic = std::max(0.0, 2 * (out.log_likelihood_2 - out.log_likelihood_1));
  out.p_lrt = stats::chi_squared_sf(out.lr_statistic, 1);
  // sup-LR under H0 (Model I) by residual bootstrap: x and covariates fixed, so the sorted
  // problem is built once and only y changes.
  {
    auto setup = detail::make_grid_setup(threshold_type::segmented, Y, Xv, C, options.lower_quantile,
                                         options.upper_quantile);
    detail::grid_problem& g = setup.problem;
    const double lo = setup.lo, hi = setup.hi;
    const std::vector<std::size_t>& order = setup.order;  // shared by the bootstrap problems
    random_generator rng(options.seed ^ 0x5bd1e995ULL);
    int exceed = 0;
    int used = 0;
    const double lr_obs = out.lr_statistic;
    for (int b = 0; b < options.n_boot; ++b) {
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto src = static_cast<Eigen::Index>(order[static_cast<std::size_t>(i)]);
        const auto pick = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n)));
        g.y[i] = fitted1[src] + res1[pick];
      }
      const auto s = detail::scan_grid(g, lo, hi, options.min_side, options.refine);
      if (!s.ok || !(s.rss_null > 0)) {
        continue;
      }
      const double rb = std::max(s.rss[s.best], 1e-300);
      const double lr = nd * std::log(s.rss_null / rb);
      exceed += lr >= lr_obs * (1 - 1e-12) ? 1 : 0;
      ++used;
    }
    out.p_sup_lr = static_cast<double>(1 + exceed) / static_cast<double>(1 + used);
  }
  {
    davies_options dopt;
    dopt.values.clear();
    out.p_davies = davies_test(y, x, covariates, dopt).p_value;
  }
  out.k_method = std::string("K: exact profile likelihood over the data points within the ") +
                 std::to_string(options.lower_quantile) + "-" + std::to_string(options.upper_quantile) +
                 " quantiles of x" + (options.refine ? ", refined between neighbouring points" : "") +
                 "; CI: nonparametric bootstrap percentile (" + std::to_string(out.n_boot_used) + " replicates)";
  return out;
}

[[nodiscard]] inline threshold_effect_result threshold_effect(std::span<const double> y, std::span<const double> x,
                                                              const threshold_effect_options& options = {}) {
  return threshold_effect(y, x, Eigen::MatrixXd(0, 0), options);
}

}  // namespace vasostat::inline v0::threshold
