#pragma once
// Partial correlation of x and y adjusted for covariates (as ppcor's pcor.test): both are
// residualised on the covariates (with intercept) by least squares and correlated; the t test
// has n - 2 - q degrees of freedom and the Fisher-z interval se 1/sqrt(n - 3 - q). The Spearman
// variant ranks x, y and every covariate first. O(n q²).

#include <vasostat/stats/correlation.hpp>
#include <vasostat/stats/linear_model.hpp>
#include <vasostat/stats/ranks.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::stats {

enum class partial_method : std::uint8_t { pearson, spearman };

struct partial_correlation_options {
  partial_method method = partial_method::pearson;
  alternative_hypothesis alternative = alternative_hypothesis::two_sided;
  double confidence_level = 0.95;
};

/// Correlation of x and y given the columns of `covariates` (one row per observation).
/// @throws vasostat::invalid_argument on length mismatch, NaN/Inf, constant x or y, too few
///         observations (n - 3 - q < 1) or a confidence level outside (0, 1).
[[nodiscard]] inline correlation_test partial_correlation(
    std::span<const double> x, std::span<const double> y,
    const Eigen::Ref<const Eigen::MatrixXd>& covariates,
    const partial_correlation_options& options = {}) {
  constexpr const char* where = "vasostat::stats::partial_correlation";
  detail::expect_confidence_level(options.confidence_level, where);
  detail::check_pairs(x, y, where, 3);
  detail::expect_same_size(x.size(), static_cast<std::size_t>(covariates.rows()), where, "x",
                           "covariates (rows)");
  VASOSTAT_EXPECTS(covariates.allFinite(), std::string(where) + ": covariates contain a non-finite value");
  const auto q = static_cast<double>(covariates.cols());
  const auto n = static_cast<double>(x.size());
  VASOSTAT_EXPECTS(n - 3 - q >= 1, std::string(where) + ": too few observations (" +
                                       std::to_string(x.size()) + ") for " +
                                       std::to_string(covariates.cols()) + " covariates");
  Eigen::VectorXd vx = Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
  Eigen::VectorXd vy = Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  Eigen::MatrixXd z = covariates;
  if (options.method == partial_method::spearman) {
    const auto to_vector = [](const std::vector<double>& v) {
      return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())).eval();
    };
    vx = to_vector(average_ranks(x));
    vy = to_vector(average_ranks(y));
    for (Eigen::Index j = 0; j < z.cols(); ++j) {
      const Eigen::VectorXd col = z.col(j);
      z.col(j) = to_vector(average_ranks({col.data(), static_cast<std::size_t>(col.size())}));
    }
  }
  const Eigen::VectorXd rx = linear_model(vx, z).residuals;
  const Eigen::VectorXd ry = linear_model(vy, z).residuals;
  correlation_test out;
  out.method = options.method == partial_method::spearman ? "partial Spearman correlation"
                                                          : "partial Pearson correlation";
  out.n = static_cast<int>(x.size());
  out.estimate = detail::pearson_r({rx.data(), x.size()}, {ry.data(), y.size()});
  out.df = n - 2 - q;
  out.statistic = out.estimate * std::sqrt(out.df / (1 - out.estimate * out.estimate));
  out.statistic_name = "t";
  out.p_value = detail::p_from_tails(options.alternative, t_cdf(out.statistic, out.df),
                                     t_sf(out.statistic, out.df));
  correlation_options interval_options;
  interval_options.alternative = options.alternative;
  interval_options.confidence_level = options.confidence_level;
  detail::fisher_interval(out, 1 / std::sqrt(n - 3 - q), interval_options);
  return out;
}

}  // namespace vasostat::inline v0::stats
