#pragma once
// Weighted least squares with R's lm() conventions: coefficients, standard errors, t and p,
// residual df, sigma, R², adjusted R², overall F, log-likelihood and AIC/BIC as logLik.lm.
// Rank deficiency is reported as R does: a column that is (numerically) a linear combination of
// earlier ones — residual norm below 1e-7 of its own norm after projecting out the kept columns,
// the tolerance of R's dqrdc2 — is marked aliased and gets NaN estimates. O(n p²).

#include <vasostat/stats/detail/validate.hpp>
#include <vasostat/stats/distributions.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::stats {

struct linear_model_options {
  /// Prior weights (empty = all 1); non-negative and finite; zero-weight rows are dropped from
  /// the residual df and the log-likelihood, as in R.
  std::span<const double> weights = {};
  /// Prepend a column of ones (R's default intercept); it is coefficient 0.
  bool add_intercept = true;
  double confidence_level = 0.95;
};

struct linear_model_fit {
  Eigen::VectorXd coefficients;  ///< NaN where aliased
  Eigen::VectorXd std_error;
  Eigen::VectorXd statistic;  ///< t value
  Eigen::VectorXd p_value;    ///< two-sided, t on df_residual
  Eigen::VectorXd ci_lower, ci_upper;
  std::vector<bool> aliased;  ///< per column (intercept first when added)
  Eigen::MatrixXd covariance;  ///< sigma² (X'WX)⁻¹ over the non-aliased columns (NaN elsewhere)
  Eigen::VectorXd fitted, residuals;  ///< residuals are y - fitted (unweighted)
  int n = 0;                          ///< observations with non-zero weight
  int rank = 0;
  int df_residual = 0;
  double sigma = 0;  ///< residual standard error
  double rss = 0;    ///< weighted residual sum of squares
  double r_squared = 0, adj_r_squared = 0;
  double f_statistic = 0, f_df1 = 0, f_df2 = 0, f_p_value = 0;
  double log_likelihood = 0, aic = 0, bic = 0;
  bool has_intercept = false;
};

/// Fits y = X b (+ intercept) by weighted least squares.
/// @throws vasostat::invalid_argument if sizes differ, values are not finite, weights are
///         negative, or there are fewer observations than columns.
/// Example: `auto fit = stats::linear_model(y, X); fit.p_value[1];`
[[nodiscard]] inline linear_model_fit linear_model(const Eigen::Ref<const Eigen::VectorXd>& y,
                                                   const Eigen::Ref<const Eigen::MatrixXd>& x,
                                                   const linear_model_options& options = {}) {
  constexpr const char* where = "vasostat::stats::linear_model";
  const Eigen::Index n_rows = y.size();
  detail::expect_same_size(static_cast<std::size_t>(n_rows), static_cast<std::size_t>(x.rows()),
                           where, "y", "x (rows)");
  detail::expect_finite({y.data(), static_cast<std::size_t>(n_rows)}, where, "y");
  VASOSTAT_EXPECTS(x.allFinite(), std::string(where) + ": x contains a non-finite value");
  detail::expect_confidence_level(options.confidence_level, where);
  if (!options.weights.empty()) {
    detail::expect_same_size(options.weights.size(), static_cast<std::size_t>(n_rows), where,
                             "weights", "y");
    detail::expect_finite(options.weights, where, "weights");
    for (double w : options.weights) {
      VASOSTAT_EXPECTS(w >= 0, std::string(where) + ": weights contain a negative value");
    }
  }
  const Eigen::Index p = x.cols() + (options.add_intercept ? 1 : 0);
  VASOSTAT_EXPECTS(p > 0, std::string(where) + ": x has no columns and no intercept");

  Eigen::VectorXd w = options.weights.empty()
                          ? Eigen::VectorXd::Ones(n_rows)
                          : Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(
                                options.weights.data(), n_rows));
  const int n_used = static_cast<int>((w.array() > 0).count());
  VASOSTAT_EXPECTS(n_used >= p, std::string(where) + ": x has fewer usable rows (" +
                                    std::to_string(n_used) + ") than columns (" +
                                    std::to_string(p) + ")");

  Eigen::MatrixXd design(n_rows, p);
  if (options.add_intercept) {
    design.col(0).setOnes();
    design.rightCols(x.cols()) = x;
  } else {
    design = x;
  }
  const Eigen::VectorXd sw = w.array().sqrt();
  const Eigen::MatrixXd wx = sw.asDiagonal() * design;
  const Eigen::VectorXd wy = sw.cwiseProduct(y);

  // Aliasing: Gram–Schmidt in column order (twice, for orthogonality), R's limited pivoting.
  linear_model_fit fit;
  fit.aliased.assign(static_cast<std::size_t>(p), false);
  std::vector<Eigen::Index> kept;
  Eigen::MatrixXd basis(n_rows, p);
  for (Eigen::Index j = 0; j < p; ++j) {
    Eigen::VectorXd r = wx.col(j);
    const double norm0 = r.norm();
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t k = 0; k < kept.size(); ++k) {
        const auto b = basis.col(static_cast<Eigen::Index>(k));
        r -= b.dot(r) * b;
      }
    }
    const double norm = r.norm();
    if (norm0 == 0 || norm < 1e-7 * norm0) {
      fit.aliased[static_cast<std::size_t>(j)] = true;
      continue;
    }
    basis.col(static_cast<Eigen::Index>(kept.size())) = r / norm;
    kept.push_back(j);
  }
  const auto rank = static_cast<Eigen::Index>(kept.size());
  Eigen::MatrixXd wx_kept(n_rows, rank);
  for (Eigen::Index k = 0; k < rank; ++k) {
    wx_kept.col(k) = wx.col(kept[static_cast<std::size_t>(k)]);
  }
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(wx_kept);
  const Eigen::VectorXd beta_kept = qr.solve(wy);
  const Eigen::MatrixXd r_upper =
      qr.matrixQR().topRows(rank).template triangularView<Eigen::Upper>();
  const Eigen::MatrixXd r_inv = r_upper.template triangularView<Eigen::Upper>().solve(
      Eigen::MatrixXd::Identity(rank, rank));
  const Eigen::MatrixXd unscaled = r_inv * r_inv.transpose();

  const double nan = std::numeric_limits<double>::quiet_NaN();
  fit.n = n_used;
  fit.rank = static_cast<int>(rank);
  fit.df_residual = n_used - fit.rank;
  fit.has_intercept = options.add_intercept;
  fit.coefficients = Eigen::VectorXd::Constant(p, nan);
  for (Eigen::Index k = 0; k < rank; ++k) {
    fit.coefficients[kept[static_cast<std::size_t>(k)]] = beta_kept[k];
  }
  fit.fitted = design * fit.coefficients.unaryExpr([](double b) { return std::isnan(b) ? 0.0 : b; });
  fit.residuals = y - fit.fitted;
  fit.rss = (w.array() * fit.residuals.array().square()).sum();
  const double sigma2 = fit.df_residual > 0 ? fit.rss / fit.df_residual : nan;
  fit.sigma = std::sqrt(sigma2);

  fit.covariance = Eigen::MatrixXd::Constant(p, p, nan);
  fit.std_error = Eigen::VectorXd::Constant(p, nan);
  fit.statistic = Eigen::VectorXd::Constant(p, nan);
  fit.p_value = Eigen::VectorXd::Constant(p, nan);
  fit.ci_lower = Eigen::VectorXd::Constant(p, nan);
  fit.ci_upper = Eigen::VectorXd::Constant(p, nan);
  const double t_crit = t_quantile(0.5 + options.confidence_level / 2, fit.df_residual);
  for (Eigen::Index a = 0; a < rank; ++a) {
    const Eigen::Index ia = kept[static_cast<std::size_t>(a)];
    for (Eigen::Index b = 0; b < rank; ++b) {
      fit.covariance(ia, kept[static_cast<std::size_t>(b)]) = sigma2 * unscaled(a, b);
    }
    const double se = std::sqrt(sigma2 * unscaled(a, a));
    fit.std_error[ia] = se;
    fit.statistic[ia] = fit.coefficients[ia] / se;
    fit.p_value[ia] = t_two_sided_p(fit.statistic[ia], fit.df_residual);
    fit.ci_lower[ia] = fit.coefficients[ia] - t_crit * se;
    fit.ci_upper[ia] = fit.coefficients[ia] + t_crit * se;
  }

  // R²: centred on the weighted mean with an intercept, uncentred without (as summary.lm).
  double mss = 0;
  if (options.add_intercept) {
    const double mean_fitted = (w.cwiseProduct(fit.fitted)).sum() / w.sum();
    mss = (w.array() * (fit.fitted.array() - mean_fitted).square()).sum();
  } else {
    mss = (w.array() * fit.fitted.array().square()).sum();
  }
  const int df_int = options.add_intercept ? 1 : 0;
  fit.r_squared = mss / (mss + fit.rss);
  fit.adj_r_squared =
      1 - (1 - fit.r_squared) * static_cast<double>(n_used - df_int) / fit.df_residual;
  fit.f_df1 = fit.rank - df_int;
  fit.f_df2 = fit.df_residual;
  fit.f_statistic = fit.f_df1 > 0 ? (mss / fit.f_df1) / sigma2 : nan;
  fit.f_p_value = fit.f_df1 > 0 ? f_sf(fit.f_statistic, fit.f_df1, fit.f_df2) : nan;

  // logLik.lm: 0.5 (sum log w - n (log 2π + 1 - log n + log RSS)), zero weights excluded.
  double sum_log_w = 0;
  for (Eigen::Index i = 0; i < n_rows; ++i) {
    if (w[i] > 0) {
      sum_log_w += std::log(w[i]);
    }
  }
  const double nu = n_used;
  fit.log_likelihood =
      0.5 * (sum_log_w - nu * (std::log(2 * std::numbers::pi) + 1 - std::log(nu) + std::log(fit.rss)));
  fit.aic = -2 * fit.log_likelihood + 2 * (fit.rank + 1);
  fit.bic = -2 * fit.log_likelihood + std::log(nu) * (fit.rank + 1);
  return fit;
}

}  // namespace vasostat::inline v0::stats
