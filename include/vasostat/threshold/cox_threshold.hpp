#pragma once
// Threshold models with a Cox proportional-hazards outcome (chngpt's hinge, segmented, step and
// upper-hinge types): the cut e maximises the Cox partial likelihood (Efron ties) profiled over
// every candidate data point within the lower..upper quantiles of x that leaves min_side
// observations on each side; each candidate is a full vasostat::survival::cox fit (the partial
// likelihood has no closed-form update in e). Cost O(C n log n) for C candidates; an optional
// seeded case-resampling bootstrap gives a percentile CI for the cut (O(B C n log n)).

#include <vasostat/core/config.hpp>
#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/survival/cox.hpp>
#include <vasostat/threshold/detail/numeric.hpp>
#include <vasostat/threshold/hinge.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

struct threshold_cox_options {
  double lower_quantile = 0.05;  ///< candidates are x values within these quantiles (R type 7)
  double upper_quantile = 0.95;
  int min_side = 2;              ///< observations required on each side of a candidate
  survival::ties ties = survival::ties::efron;
  int n_boot = 0;                ///< case-resampling bootstrap replicates for a CI of the cut (0 = none)
  std::uint64_t seed = 1;        ///< vasostat::random_generator seed (identical on every platform)
  double conf_level = 0.95;      ///< for the percentile CI of the cut
};

/// Coefficient order: [x for segmented], covariates, threshold term (as threshold_fit).
struct threshold_cox_fit {
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double threshold_lower = std::numeric_limits<double>::quiet_NaN();  ///< bootstrap percentile CI (n_boot > 0)
  double threshold_upper = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> boot_thresholds;  ///< the cut re-selected in each usable resample
  Eigen::VectorXd coefficients, std_error, hazard_ratio, p_value;
  double log_likelihood = 0;       ///< partial log-likelihood at the chosen cut
  double log_likelihood_null = 0;  ///< without the threshold term
  double lr_statistic = 0;         ///< 2 (l - l_null): threshold treated as known
  std::vector<double> candidates;
  std::vector<double> profile_log_likelihood;  ///< per candidate (NaN where the fit failed)
  survival::cox_model model;       ///< the Cox fit at the chosen cut
};

namespace detail {

inline Eigen::MatrixXd cox_threshold_design(threshold_type type, const Eigen::VectorXd& x,
                                            const Eigen::MatrixXd& cov, double e) {
  const Eigen::Index n = x.size();
  const Eigen::Index lead = type == threshold_type::segmented ? 1 : 0;
  Eigen::MatrixXd d(n, lead + cov.cols() + 1);
  if (lead == 1) d.col(0) = x;
  if (cov.cols() > 0) d.middleCols(lead, cov.cols()) = cov;
  for (Eigen::Index i = 0; i < n; ++i) {
    double t = 0;
    switch (type) {
      case threshold_type::hinge:
      case threshold_type::segmented:
        t = std::max(0.0, x[i] - e);
        break;
      case threshold_type::step:
        t = x[i] > e ? 1.0 : 0.0;
        break;
      case threshold_type::upper_hinge:
        t = std::max(0.0, e - x[i]);
        break;
    }
    d(i, d.cols() - 1) = t;
  }
  return d;
}

/// The candidate cuts (distinct x within the quantiles with min_side on each side) and the one
/// maximising the Cox partial likelihood; profile (per candidate, NaN where the fit failed) if
/// asked. Returns NaN if no candidate could be fitted.
inline double cox_threshold_scan(std::span<const double> time, std::span<const double> status,
                                 const Eigen::VectorXd& xv, const Eigen::MatrixXd& cov, threshold_type type,
                                 const threshold_cox_options& options, std::vector<double>& candidates,
                                 std::vector<double>* profile) {
  const Eigen::Index n = xv.size();
  std::vector<double> xs(xv.data(), xv.data() + n);
  std::sort(xs.begin(), xs.end());
  const double lo = quantile7_sorted(xs, options.lower_quantile);
  const double hi = quantile7_sorted(xs, options.upper_quantile);
  candidates.clear();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i + 1 < xs.size() && xs[i + 1] == xs[i]) continue;
    const auto left = static_cast<Eigen::Index>(i + 1);
    if (xs[i] < lo || xs[i] > hi || left < options.min_side || n - left < options.min_side) continue;
    candidates.push_back(xs[i]);
  }
  survival::cox_options copt;
  copt.method = options.ties;
  double best = -std::numeric_limits<double>::infinity();
  double cut = std::numeric_limits<double>::quiet_NaN();
  for (double e : candidates) {
    const survival::cox_model m = survival::cox(time, status, cox_threshold_design(type, xv, cov, e), copt);
    const bool ok = std::isfinite(m.log_likelihood) && m.coef.allFinite();
    if (profile != nullptr) profile->push_back(ok ? m.log_likelihood : std::numeric_limits<double>::quiet_NaN());
    if (ok && m.log_likelihood > best) {
      best = m.log_likelihood;
      cut = e;
    }
  }
  return cut;
}

}  // namespace detail

/// Cox threshold model of `type` by exact profile partial likelihood over the candidate cuts.
/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, a constant x, quantile
///   bounds outside (0, 1) or crossed, or no candidate with min_side observations on each side
///   (and whatever vasostat::survival::cox rejects in time/status).
[[nodiscard]] inline threshold_cox_fit threshold_grid_cox(std::span<const double> time, std::span<const double> status,
                                                          std::span<const double> x,
                                                          const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                                                          threshold_type type, const threshold_cox_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::threshold_grid_cox";
  const std::string f(fn);
  detail::expect_size(time.size(), x.size(), fn, "time", "x");
  detail::expect_size(status.size(), x.size(), fn, "status", "x");
  detail::expect_finite(x, fn, "x");
  detail::expect_not_constant(x, fn, "x");
  const auto n = static_cast<Eigen::Index>(x.size());
  if (covariates.size() > 0) {
    VASOSTAT_EXPECTS(covariates.rows() == n, f + ": covariates has " + std::to_string(covariates.rows()) +
                                                 " rows but x has size " + std::to_string(n));
    VASOSTAT_EXPECTS(covariates.allFinite(), f + ": covariates contains NaN or Inf");
  }
  VASOSTAT_EXPECTS(options.lower_quantile > 0 && options.upper_quantile < 1,
                   f + ": options.lower_quantile and options.upper_quantile must lie in (0, 1)");
  VASOSTAT_EXPECTS(options.lower_quantile < options.upper_quantile,
                   f + ": options.lower_quantile and options.upper_quantile are crossed");
  VASOSTAT_EXPECTS(options.min_side >= 1, f + ": options.min_side must be >= 1");
  const Eigen::VectorXd xv = Eigen::Map<const Eigen::VectorXd>(x.data(), n);
  const Eigen::MatrixXd cov = covariates.size() > 0 ? Eigen::MatrixXd(covariates) : Eigen::MatrixXd(n, 0);
  VASOSTAT_EXPECTS(options.n_boot >= 0, f + ": options.n_boot must be >= 0");
  detail::expect_level(options.conf_level, fn, "options.conf_level");
  survival::cox_options copt;
  copt.method = options.ties;
  threshold_cox_fit out;
  out.threshold = detail::cox_threshold_scan(time, status, xv, cov, type, options, out.candidates,
                                             &out.profile_log_likelihood);
  VASOSTAT_EXPECTS(!out.candidates.empty(), f + ": no candidate cut leaves options.min_side = " +
                                                std::to_string(options.min_side) +
                                                " observations on each side within the quantile bounds");
  VASOSTAT_EXPECTS(std::isfinite(out.threshold), f + ": the Cox model could not be fitted at any candidate cut");
  out.model = survival::cox(time, status, detail::cox_threshold_design(type, xv, cov, out.threshold), copt);
  out.coefficients = out.model.coef;
  out.std_error = out.model.std_error;
  out.hazard_ratio = out.model.hazard_ratio;
  out.p_value = out.model.p_value;
  out.log_likelihood = out.model.log_likelihood;
  if (type == threshold_type::segmented || cov.cols() > 0) {
    Eigen::MatrixXd d0 = detail::cox_threshold_design(type, xv, cov, out.threshold);
    out.log_likelihood_null = survival::cox(time, status, d0.leftCols(d0.cols() - 1), copt).log_likelihood;
  } else {
    out.log_likelihood_null = out.model.log_likelihood_null;
  }
  out.lr_statistic = std::max(0.0, 2 * (out.log_likelihood - out.log_likelihood_null));
  if (options.n_boot > 0) {
    // case resampling: the cut re-selected by the same profile search in each resample
    // (candidates from the resample's own quantiles); resamples where no cut can be fitted or
    // survival::cox rejects the data (e.g. no events) are skipped
    random_generator rng(options.seed);
    std::vector<double> bt(static_cast<std::size_t>(n)), bs(bt.size()), cand;
    Eigen::VectorXd bx(n);
    Eigen::MatrixXd bc(n, cov.cols());
    for (int b = 0; b < options.n_boot; ++b) {
      double events = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto r = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n)));
        bt[static_cast<std::size_t>(i)] = time[static_cast<std::size_t>(r)];
        bs[static_cast<std::size_t>(i)] = status[static_cast<std::size_t>(r)];
        events += status[static_cast<std::size_t>(r)];
        bx[i] = xv[r];
        if (cov.cols() > 0) bc.row(i) = cov.row(r);
      }
      if (events == 0 || bx.minCoeff() == bx.maxCoeff()) continue;
      double cut = std::numeric_limits<double>::quiet_NaN();
#if VASOSTAT_HAS_EXCEPTIONS
      try {
        cut = detail::cox_threshold_scan(bt, bs, bx, bc, type, options, cand, nullptr);
      } catch (const vasostat::invalid_argument&) {
        continue;
      }
#else
      cut = detail::cox_threshold_scan(bt, bs, bx, bc, type, options, cand, nullptr);
#endif
      if (std::isfinite(cut)) out.boot_thresholds.push_back(cut);
    }
    if (!out.boot_thresholds.empty()) {
      std::vector<double> sorted = out.boot_thresholds;
      std::sort(sorted.begin(), sorted.end());
      const double a = (1 - options.conf_level) / 2;
      out.threshold_lower = detail::quantile7_sorted(sorted, a);
      out.threshold_upper = detail::quantile7_sorted(sorted, 1 - a);
    }
  }
  return out;
}

}  // namespace vasostat::inline v0::threshold
