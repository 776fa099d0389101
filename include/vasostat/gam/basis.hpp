#pragma once
// P-spline smooth bases as mgcv's s(x, bs = "ps") builds them (Eilers & Marx 1996; Wood 2017
// §5.3.3): equally spaced knots over the covariate range widened by 0.1% each side, B-splines
// of a given degree, a difference penalty, the penalty scaled by ||S||_1 / ||X||_inf^2 and the
// sum-to-zero constraint absorbed by one Householder reflection (Wood 2017 §5.4.1). Rows are
// evaluated by de Boor's recursion in O(degree^2); outside the interior knots the smooth is
// extended linearly, as mgcv does.

#include <vasostat/core/error.hpp>

#include <vasostat/gam/detail/linalg.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::gam {

/// Options of one smooth term; defaults are mgcv's s(x, bs = "ps").
struct smooth_options {
  int k = 10;              ///< basis dimension before the sum-to-zero constraint
  int degree = 3;          ///< B-spline degree (mgcv m[1] + 1)
  int penalty_order = 2;   ///< order of the difference penalty (mgcv m[2])
  double sp = -1;          ///< smoothing parameter; negative = estimate it
};

/// One smooth term of the model: covariate values (one per observation) and options.
struct smooth_term {
  std::span<const double> x;
  smooth_options options = {};
};

/// Shorthand: gam::smooth(x, {.k = 20}).
[[nodiscard]] inline smooth_term smooth(std::span<const double> x, smooth_options options = {}) {
  return smooth_term{x, options};
}

/// A fitted smooth's basis: everything needed to evaluate its (constrained) model-matrix
/// columns at new covariate values.
struct smooth_basis {
  std::vector<double> knots;      ///< k + degree + 1 equally spaced knots
  int k = 0;                      ///< unconstrained basis dimension
  int degree = 3;
  int penalty_order = 2;
  Eigen::VectorXd householder;    ///< v of the constraint reflection I - tau v v' (v[0] = 1)
  double tau = 0;
  double penalty_scale = 1;       ///< S = D'D / penalty_scale (mgcv's S.scale)
  Eigen::MatrixXd penalty;        ///< constrained penalty Z' S Z, (k-1) x (k-1)
  int penalty_rank = 0;
  double log_det_penalty = 0;     ///< log of the product of the non-zero eigenvalues of penalty
  Eigen::MatrixXd penalty_root;   ///< E (rank x (k-1)) with E'E = penalty

  [[nodiscard]] int columns() const noexcept { return k - 1; }

  [[nodiscard]] double lower() const noexcept { return knots[static_cast<std::size_t>(degree)]; }

  [[nodiscard]] double upper() const noexcept { return knots[static_cast<std::size_t>(k)]; }
};

namespace detail {

/// Non-zero B-spline values (or their `deriv`-th derivative) at x, which must lie in
/// [knots[degree], knots[k]]. Writes degree + 1 values to `out` and returns the index of the
/// first basis function they belong to.
inline int bspline_nonzero(const std::vector<double>& t, int degree, int k, double x, int deriv,
                           double* out) noexcept {
  // interval index i with t[i] <= x < t[i+1], clamped to the interior
  int lo = degree, hi = k;  // search in [t[degree], t[k]]
  int i = static_cast<int>(std::upper_bound(t.begin() + lo, t.begin() + hi + 1, x) - t.begin()) - 1;
  i = std::clamp(i, degree, k - 1);
  // de Boor/Cox triangular recursion, up to degree - deriv, then derivative steps
  double b[16];
  double left[16], right[16];
  const int order_values = degree - deriv;
  b[0] = 1.0;
  for (int j = 1; j <= order_values; ++j) {
    left[j] = x - t[static_cast<std::size_t>(i + 1 - j)];
    right[j] = t[static_cast<std::size_t>(i + j)] - x;
    double saved = 0.0;
    for (int r = 0; r < j; ++r) {
      const double temp = b[r] / (right[r + 1] + left[j - r]);
      b[r] = saved + right[r + 1] * temp;
      saved = left[j - r] * temp;
    }
    b[j] = saved;
  }
  // b[0..order_values] are the degree-(degree-deriv) B-splines B_{i-order_values..i}.
  // Differentiate up: B'_{j,d} = d (B_{j,d-1}/(t_{j+d}-t_j) - B_{j+1,d-1}/(t_{j+d+1}-t_{j+1})).
  for (int d = order_values + 1; d <= degree; ++d) {
    // current values belong to functions i-(d-1) .. i of degree d-1; produce i-d .. i
    double nb[16];
    for (int r = 0; r <= d; ++r) {
      const int j = i - d + r;  // function index of degree d
      double v = 0.0;
      if (r >= 1) {  // B_{j,d-1} exists in current set at position r-1
        const double den = t[static_cast<std::size_t>(j + d)] - t[static_cast<std::size_t>(j)];
        v += b[r - 1] / den;
      }
      if (r <= d - 1) {  // B_{j+1,d-1} at position r
        const double den =
            t[static_cast<std::size_t>(j + d + 1)] - t[static_cast<std::size_t>(j + 1)];
        v -= b[r] / den;
      }
      nb[r] = d * v;
    }
    for (int r = 0; r <= d; ++r) b[r] = nb[r];
  }
  for (int r = 0; r <= degree; ++r) out[r] = b[r];
  return i - degree;
}

/// Non-zero values of the unconstrained basis row at x inside [lower, upper]; returns the
/// index of the first. Cubic P-splines on their equally spaced knots use the closed-form
/// uniform cubic B-spline pieces; other degrees de Boor's recursion.
inline int raw_row(const smooth_basis& s, double x, double* out) noexcept {
  if (s.degree == 3) {
    const double t0 = s.knots[3];
    const double dx = s.knots[4] - s.knots[3];
    int i = 3 + static_cast<int>(std::floor((x - t0) / dx));
    i = std::clamp(i, 3, s.k - 1);
    const double ti = s.knots[static_cast<std::size_t>(i)];
    const double u = (x - ti) / (s.knots[static_cast<std::size_t>(i + 1)] - ti);
    const double v = 1 - u, u2 = u * u, u3 = u2 * u;
    constexpr double sixth = 1.0 / 6.0;
    out[0] = v * v * v * sixth;
    out[1] = (3 * u3 - 6 * u2 + 4) * sixth;
    out[2] = (-3 * u3 + 3 * u2 + 3 * u + 1) * sixth;
    out[3] = u3 * sixth;
    return i - 3;
  }
  return bspline_nonzero(s.knots, s.degree, s.k, x, 0, out);
}

/// Unconstrained basis row (k values) of the deriv-th derivative at x, with mgcv's linear
/// extension outside [lower, upper].
inline void unconstrained_row(const smooth_basis& s, double x, int deriv, double* row) noexcept {
  std::fill(row, row + s.k, 0.0);
  double vals[16];
  const double lo = s.lower(), hi = s.upper();
  if (x >= lo && x <= hi) {
    const int first = bspline_nonzero(s.knots, s.degree, s.k, x, deriv, vals);
    for (int r = 0; r <= s.degree; ++r) row[first + r] = vals[r];
    return;
  }
  const double edge = x < lo ? lo : hi;
  if (deriv >= 2) return;  // linear extension: second and higher derivatives vanish
  double d1[16];
  const int first = bspline_nonzero(s.knots, s.degree, s.k, edge, 1, d1);
  if (deriv == 1) {
    for (int r = 0; r <= s.degree; ++r) row[first + r] = d1[r];
    return;
  }
  bspline_nonzero(s.knots, s.degree, s.k, edge, 0, vals);
  for (int r = 0; r <= s.degree; ++r) row[first + r] = vals[r] + (x - edge) * d1[r];
}

/// Applies the constraint: out (k-1) = (row * H) without its first element, H = I - tau v v'.
inline void constrain_row(const smooth_basis& s, const double* row, double* out) noexcept {
  double dot = 0.0;
  for (int j = 0; j < s.k; ++j) dot += row[j] * s.householder[j];
  dot *= s.tau;
  for (int j = 1; j < s.k; ++j) out[j - 1] = row[j] - dot * s.householder[j];
}

inline Eigen::MatrixXd difference_matrix(int k, int order) {
  Eigen::MatrixXd d = Eigen::MatrixXd::Identity(k, k);
  for (int o = 0; o < order; ++o) {
    const Eigen::Index r = d.rows() - 1;
    Eigen::MatrixXd next = d.bottomRows(r) - d.topRows(r);
    d = std::move(next);
  }
  return d;
}

}  // namespace detail

/// Builds the P-spline basis of one smooth from its covariate values (mgcv's bs = "ps" knots,
/// penalty scaling and sum-to-zero constraint). `name` is used in error messages.
[[nodiscard]] inline smooth_basis make_ps_basis(std::span<const double> x,
                                                const smooth_options& o, const std::string& where,
                                                const std::string& name) {
  VASOSTAT_EXPECTS(o.degree >= 1 && o.degree <= 10,
                   where + ": " + name + ".degree must be in 1..10 (got " +
                       std::to_string(o.degree) + ")");
  VASOSTAT_EXPECTS(o.penalty_order >= 1 && o.penalty_order <= o.degree + 1,
                   where + ": " + name + ".penalty_order must be in 1..degree+1 (got " +
                       std::to_string(o.penalty_order) + ")");
  VASOSTAT_EXPECTS(o.k >= o.penalty_order + 2,
                   where + ": " + name + ".k (" + std::to_string(o.k) +
                       ") is smaller than the penalty order + 2");
  VASOSTAT_EXPECTS(o.k >= o.degree + 1, where + ": " + name + ".k (" + std::to_string(o.k) +
                                            ") must be at least degree + 1");
  double lo = x[0], hi = x[0];
  for (double v : x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  VASOSTAT_EXPECTS(hi > lo, where + ": " + name + " is constant (a smooth needs a varying covariate)");
  {
    // at least k distinct values: collect distinct values until k are seen (O(n k) at worst)
    std::vector<double> seen;
    seen.reserve(static_cast<std::size_t>(o.k));
    for (double v : x) {
      if (std::find(seen.begin(), seen.end(), v) == seen.end()) seen.push_back(v);
      if (static_cast<int>(seen.size()) >= o.k) break;
    }
    const auto distinct = static_cast<std::ptrdiff_t>(seen.size());
    VASOSTAT_EXPECTS(distinct >= o.k, where + ": " + name + ".k (" + std::to_string(o.k) +
                                          ") is larger than the number of distinct values (" +
                                          std::to_string(distinct) + ")");
  }
  smooth_basis s;
  s.k = o.k;
  s.degree = o.degree;
  s.penalty_order = o.penalty_order;
  const double range = hi - lo;
  const double a = lo - 0.001 * range, b = hi + 0.001 * range;
  const int intervals = o.k - o.degree;
  const double dx = (b - a) / intervals;
  s.knots.resize(static_cast<std::size_t>(o.k + o.degree + 1));
  for (int j = 0; j < o.k + o.degree + 1; ++j)
    s.knots[static_cast<std::size_t>(j)] = a + (j - o.degree) * dx;
  // column sums and infinity norm of the unconstrained basis at the data
  Eigen::VectorXd colsum = Eigen::VectorXd::Zero(o.k);
  double max_row = 0.0;
  double vals[16];
  for (double v : x) {
    const int first = detail::raw_row(s, v, vals);
    double row_abs = 0.0;
    for (int r = 0; r <= s.degree; ++r) {
      colsum[first + r] += vals[r];
      row_abs += std::abs(vals[r]);
    }
    max_row = std::max(max_row, row_abs);
  }
  // Householder reflection H with H c = -sign(c0)||c|| e1 (LAPACK/LINPACK convention)
  const double norm = colsum.norm();
  const double beta = colsum[0] >= 0 ? -norm : norm;
  s.householder = colsum;
  s.householder[0] -= beta;
  const double v0 = s.householder[0];
  s.householder /= v0;
  s.tau = (beta - colsum[0]) / beta;
  const Eigen::MatrixXd d = detail::difference_matrix(o.k, o.penalty_order);
  const Eigen::MatrixXd dd = d.transpose() * d;
  const double norm1 = dd.cwiseAbs().colwise().sum().maxCoeff();
  s.penalty_scale = norm1 / (max_row * max_row);
  // Penalty root E = D Z / sqrt(scale) with Z = H[:, 1:] (H = I - tau v v'), so E'E = Z'SZ.
  // E has full row rank k - m (the constraint direction is not orthogonal to the penalty null
  // space: the column sums add up to n), so the product of the non-zero eigenvalues of E'E is
  // det(E E'), from a Cholesky factor
  const Eigen::VectorXd dv = d * s.householder;
  Eigen::MatrixXd dz = d.rightCols(o.k - 1);
  for (Eigen::Index c = 0; c < dz.cols(); ++c)
    for (Eigen::Index r = 0; r < dz.rows(); ++r) dz(r, c) -= s.tau * dv[r] * s.householder[c + 1];
  s.penalty_root = dz / std::sqrt(s.penalty_scale);
  s.penalty = s.penalty_root.transpose() * s.penalty_root;
  s.penalty_rank = static_cast<int>(s.penalty_root.rows());
  Eigen::MatrixXd chol;
  detail::cholesky_upper(s.penalty_root * s.penalty_root.transpose(), chol);
  s.log_det_penalty = 0;
  for (Eigen::Index j = 0; j < chol.rows(); ++j) s.log_det_penalty += 2 * std::log(chol(j, j));
  return s;
}

/// Builds the basis of one smooth term as its options ask (the single entry point gam::fit uses).
[[nodiscard]] inline smooth_basis make_smooth_basis(std::span<const double> x,
                                                    const smooth_options& o,
                                                    const std::string& where,
                                                    const std::string& name) {
  return make_ps_basis(x, o, where, name);
}

/// The constrained model-matrix columns (k - 1 of them) of `basis` at the values `x`, or of
/// their `deriv`-th derivative with respect to x.
[[nodiscard]] inline Eigen::MatrixXd basis_matrix(const smooth_basis& basis,
                                                  std::span<const double> x, int deriv = 0) {
  Eigen::MatrixXd out(static_cast<Eigen::Index>(x.size()), basis.columns());
  std::vector<double> row(static_cast<std::size_t>(basis.k)), c(static_cast<std::size_t>(basis.k));
  for (std::size_t i = 0; i < x.size(); ++i) {
    detail::unconstrained_row(basis, x[i], deriv, row.data());
    detail::constrain_row(basis, row.data(), c.data());
    for (int j = 0; j < basis.columns(); ++j) out(static_cast<Eigen::Index>(i), j) = c[static_cast<std::size_t>(j)];
  }
  return out;
}

}  // namespace vasostat::inline v0::gam
