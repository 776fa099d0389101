#pragma once
// The model matrix [1 | covariates | smooth bases] of a GAM, produced in row chunks so that
// X'WX and X'Wz can be accumulated with O(p^2) memory beyond the data; small designs are
// cached once.

#include <vasostat/gam/basis.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <span>
#include <vector>

namespace vasostat::inline v0::gam::detail {

struct design {
  Eigen::Index n = 0;
  Eigen::Index n_parametric = 0;  ///< intercept + covariates
  Eigen::Index p = 0;
  const Eigen::Ref<const Eigen::MatrixXd>* covariates = nullptr;
  std::vector<std::span<const double>> xs;
  const std::vector<smooth_basis>* bases = nullptr;
  std::vector<Eigen::Index> first;  ///< first coefficient of each smooth
  Eigen::MatrixXd cache;            ///< n x p when small enough
  Eigen::Index chunk = 8192;

  /// Fills out (m x p) with rows i0 .. i0 + m - 1.
  void build(Eigen::Index i0, Eigen::Index m, Eigen::MatrixXd& out) const {
    out.resize(m, p);
    out.col(0).setOnes();
    if (n_parametric > 1) out.middleCols(1, n_parametric - 1) = covariates->middleRows(i0, m);
    std::vector<double> row, con;
    for (std::size_t s = 0; s < xs.size(); ++s) {
      const smooth_basis& b = (*bases)[s];
      row.resize(static_cast<std::size_t>(b.k));
      con.resize(static_cast<std::size_t>(b.k));
      const Eigen::Index c0 = first[s];
      for (Eigen::Index i = 0; i < m; ++i) {
        detail::unconstrained_row(b, xs[s][static_cast<std::size_t>(i0 + i)], 0, row.data());
        detail::constrain_row(b, row.data(), con.data());
        for (int j = 0; j < b.columns(); ++j) out(i, c0 + j) = con[static_cast<std::size_t>(j)];
      }
    }
  }

  void prepare_cache(Eigen::Index max_entries) {
    if (n * p <= max_entries) build(0, n, cache);
  }

  /// Calls f(i0, X_chunk) over all rows.
  template <class F>
  void for_each_chunk(F&& f) const {
    if (cache.rows() == n && n > 0) {
      f(Eigen::Index{0}, Eigen::Ref<const Eigen::MatrixXd>(cache));
      return;
    }
    Eigen::MatrixXd buffer;
    for (Eigen::Index i0 = 0; i0 < n; i0 += chunk) {
      const Eigen::Index m = std::min(chunk, n - i0);
      build(i0, m, buffer);
      f(i0, Eigen::Ref<const Eigen::MatrixXd>(buffer));
    }
  }
};

}  // namespace vasostat::inline v0::gam::detail
