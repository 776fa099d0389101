#pragma once
// All pairwise correlation tests between the columns of a data matrix, with p-values adjusted
// for multiplicity over the m(m-1)/2 distinct pairs (Holm by default, as psych::corr.test).

#include <vasostat/stats/correlation.hpp>
#include <vasostat/stats/p_adjust.hpp>

#include <Eigen/Dense>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace vasostat::inline v0::stats {

enum class correlation_method : std::uint8_t { pearson, spearman, kendall };

struct correlation_matrix_options {
  correlation_method method = correlation_method::pearson;
  p_adjust_method adjust = p_adjust_method::holm;
  correlation_options test = {};
};

struct correlation_matrix_result {
  Eigen::MatrixXd estimate;    ///< 1 on the diagonal
  Eigen::MatrixXd statistic;   ///< NaN on the diagonal
  Eigen::MatrixXd p_value;     ///< unadjusted; 0 on the diagonal
  Eigen::MatrixXd p_adjusted;  ///< adjusted over the distinct pairs; 0 on the diagonal
  Eigen::MatrixXd ci_lower, ci_upper;
  int n = 0;
};

/// Tests every pair of columns of `data` (rows = observations).
/// @throws vasostat::invalid_argument if data has fewer than 2 columns, or as the chosen test.
[[nodiscard]] inline correlation_matrix_result correlation_matrix(
    const Eigen::Ref<const Eigen::MatrixXd>& data, const correlation_matrix_options& options = {}) {
  VASOSTAT_EXPECTS(data.cols() >= 2, "vasostat::stats::correlation_matrix: data has fewer than 2 columns");
  const Eigen::Index m = data.cols();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  correlation_matrix_result out;
  out.n = static_cast<int>(data.rows());
  out.estimate = Eigen::MatrixXd::Identity(m, m);
  out.statistic = Eigen::MatrixXd::Constant(m, m, nan);
  out.p_value = Eigen::MatrixXd::Zero(m, m);
  out.p_adjusted = Eigen::MatrixXd::Zero(m, m);
  out.ci_lower = Eigen::MatrixXd::Ones(m, m);
  out.ci_upper = Eigen::MatrixXd::Ones(m, m);
  const Eigen::MatrixXd columns = data;  // contiguous columns for spans
  std::vector<double> p_pairs;
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = i + 1; j < m; ++j) {
      const std::span<const double> a(columns.col(i).data(), static_cast<std::size_t>(columns.rows()));
      const std::span<const double> b(columns.col(j).data(), static_cast<std::size_t>(columns.rows()));
      correlation_test t;
      switch (options.method) {
        case correlation_method::pearson:
          t = pearson(a, b, options.test);
          break;
        case correlation_method::spearman:
          t = spearman(a, b, options.test);
          break;
        case correlation_method::kendall:
          t = kendall(a, b, options.test);
          break;
      }
      out.estimate(i, j) = out.estimate(j, i) = t.estimate;
      out.statistic(i, j) = out.statistic(j, i) = t.statistic;
      out.p_value(i, j) = out.p_value(j, i) = t.p_value;
      out.ci_lower(i, j) = out.ci_lower(j, i) = t.ci_lower;
      out.ci_upper(i, j) = out.ci_upper(j, i) = t.ci_upper;
      p_pairs.push_back(t.p_value);
    }
  }
  const std::vector<double> adjusted = p_adjust(p_pairs, options.adjust);
  std::size_t k = 0;
  for (Eigen::Index i = 0; i < m; ++i) {
    for (Eigen::Index j = i + 1; j < m; ++j) {
      out.p_adjusted(i, j) = out.p_adjusted(j, i) = adjusted[k++];
    }
  }
  return out;
}

}  // namespace vasostat::inline v0::stats
