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
    const double shift = Xv.mean();
    std::vector<double> xs(x.begin(), x.end());
    std::sort(xs.begin(), xs.end());
    const double lo = detail::quantile7_sorted(xs, options.lower_quantile) - shift;
    const double hi = detail::quantile7_sorted(xs, options.upper_quantile) - shift;
    std::vector<std::size_t> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), std::size_t{0});
    // sort permutation shared by the bootstrap problems
    std::vector<std::size_t> order = rows;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    auto g = detail::make_grid_problem(threshold_type::segmented, Y, Xv, C, rows, shift);
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
