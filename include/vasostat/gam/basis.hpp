#pragma once
// Smooth bases as mgcv builds them, with the penalty scaled by ||S||_1 / ||X||_inf^2 (mgcv's
// S.scale) and the sum-to-zero constraint absorbed by one Householder reflection (Wood 2017
// §5.4.1); outside the knot range every smooth is extended linearly, as mgcv does.
//  - P-splines, s(x, bs = "ps") (Eilers & Marx 1996; Wood 2017 §5.3.3): equally spaced knots
//    over the covariate range widened by 0.1% each side, B-splines of a given degree and a
//    difference penalty. Rows by de Boor's recursion in O(degree^2).
//  - Cubic regression splines, s(x, bs = "cr") (Wood 2017 §5.3.1; Lancaster & Salkauskas
//    1986): k knots at equally spaced quantiles of the distinct covariate values (mgcv's
//    place.knots), the natural cubic spline parameterised by its values beta at the knots, its
//    second derivatives there delta = F beta (F = [0; B^-1 D; 0]) and the penalty
//    int f''^2 = beta' D' B^-1 D beta. A row is dense in beta but has 4 non-zeros in the
//    interleaved "raw" coordinates (beta_0, delta_0, beta_1, delta_1, ...), which is how the
//    design accumulates it (gam/detail/design.hpp).

#include <vasostat/core/config.hpp>
#include <vasostat/core/error.hpp>

#include <vasostat/gam/detail/linalg.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::gam {

/// The basis of a smooth term: mgcv's bs = "ps" (P-spline) or bs = "cr" (cubic regression
/// spline).
enum class basis_type : std::uint8_t { ps, cr };

/// Options of one smooth term; defaults are mgcv's s(x, bs = "ps").
struct smooth_options {
  int k = 10;              ///< basis dimension before the sum-to-zero constraint (cr: knots)
  basis_type basis = basis_type::ps;
  int degree = 3;          ///< B-spline degree (mgcv m[1] + 1); ps only
  int penalty_order = 2;   ///< order of the difference penalty (mgcv m[2]); ps only
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
  basis_type type = basis_type::ps;
  std::vector<double> knots;      ///< ps: k + degree + 1 equally spaced knots; cr: the k knots
  int k = 0;                      ///< unconstrained basis dimension
  int degree = 3;                 ///< cr: 3
  int penalty_order = 2;          ///< cr: 2 (the penalty is the integrated squared f'')
  Eigen::MatrixXd f_transpose;    ///< cr: F' (k x k), delta = F beta; empty for ps
  std::vector<int> cell_interval; ///< cr: knot interval at the left edge of 4(k-1) equal cells
  double cell_scale = 0;          ///< cr: cells per unit of x
  Eigen::VectorXd householder;    ///< v of the constraint reflection I - tau v v' (v[0] = 1)
  double tau = 0;
  double penalty_scale = 1;       ///< S = D'D / penalty_scale (mgcv's S.scale)
  Eigen::MatrixXd penalty;        ///< constrained penalty Z' S Z, (k-1) x (k-1)
  int penalty_rank = 0;
  double log_det_penalty = 0;     ///< log of the product of the non-zero eigenvalues of penalty
  Eigen::MatrixXd penalty_root;   ///< E (rank x (k-1)) with E'E = penalty

  [[nodiscard]] int columns() const noexcept { return k - 1; }

  /// Columns of the sparse raw form the design accumulates (ps: k B-splines; cr: 2k, the
  /// interleaved knot values and second derivatives).
  [[nodiscard]] int raw_columns() const noexcept { return type == basis_type::cr ? 2 * k : k; }

  [[nodiscard]] double lower() const noexcept {
    return type == basis_type::cr ? knots.front() : knots[static_cast<std::size_t>(degree)];
  }

  [[nodiscard]] double upper() const noexcept {
    return type == basis_type::cr ? knots.back() : knots[static_cast<std::size_t>(k)];
  }
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
/// The four non-zero uniform cubic B-spline values at the fraction u in [0, 1] of a knot interval.
inline void uniform_cubic_pieces(double u, double* out) noexcept {
  const double v = 1 - u, u2 = u * u, u3 = u2 * u;
  constexpr double sixth = 1.0 / 6.0;
  out[0] = v * v * v * sixth;
  out[1] = (3 * u3 - 6 * u2 + 4) * sixth;
  out[2] = (-3 * u3 + 3 * u2 + 3 * u + 1) * sixth;
  out[3] = u3 * sixth;
}

inline int ps_raw_row(const smooth_basis& s, double x, double* out) noexcept {
  if (s.degree == 3) {
    const double t0 = s.knots[3];
    const double dx = s.knots[4] - s.knots[3];
    int i = 3 + static_cast<int>(std::floor((x - t0) / dx));
    i = std::clamp(i, 3, s.k - 1);
    const double ti = s.knots[static_cast<std::size_t>(i)];
    uniform_cubic_pieces((x - ti) / (s.knots[static_cast<std::size_t>(i + 1)] - ti), out);
    return i - 3;
  }
  return bspline_nonzero(s.knots, s.degree, s.k, x, 0, out);
}

inline int cr_raw_row(const smooth_basis& s, double x, int deriv, double* out) noexcept;

/// The sparse raw row of any basis (ps: degree + 1 B-spline values; cr: 4 values at 2j).
VASOSTAT_FORCEINLINE int raw_row(const smooth_basis& s, double x, double* out) noexcept {
  return s.type == basis_type::cr ? cr_raw_row(s, x, 0, out) : ps_raw_row(s, x, out);
}

/// cr: the interval j of x (clamped to the knot range) and the 4 values of the deriv-th
/// derivative of the functions multiplying (beta_j, delta_j, beta_j+1, delta_j+1); returns 2j,
/// the first of them in the interleaved raw coordinates.
inline int cr_raw_row(const smooth_basis& s, double x, int deriv, double* out) noexcept {
  // the last knot interval starting at or below x (clamped to 0..k-2): a uniform cell table
  // gives a start, a short walk the exact interval (the knots are quantiles, not equally spaced)
  const auto& t = s.knots;
  const auto cells = static_cast<int>(s.cell_interval.size());
  const double pos = (x - t.front()) * s.cell_scale;
  const int cell = pos <= 0 ? 0 : (pos >= cells - 1 ? cells - 1 : static_cast<int>(pos));
  int j = s.cell_interval[static_cast<std::size_t>(cell)];
  while (j < s.k - 2 && t[static_cast<std::size_t>(j + 1)] <= x) ++j;
  while (j > 0 && t[static_cast<std::size_t>(j)] > x) --j;
  const double xl = t[static_cast<std::size_t>(j)], xr = t[static_cast<std::size_t>(j + 1)];
  const double h = xr - xl, am = xr - x, ap = x - xl;
  constexpr double sixth = 1.0 / 6.0;
  switch (deriv) {
    case 0:
      out[0] = am / h;
      out[1] = (am * am * am / h - h * am) * sixth;
      out[2] = ap / h;
      out[3] = (ap * ap * ap / h - h * ap) * sixth;
      break;
    case 1:
      out[0] = -1 / h;
      out[1] = -(3 * am * am / h - h) * sixth;
      out[2] = 1 / h;
      out[3] = (3 * ap * ap / h - h) * sixth;
      break;
    case 2:
      out[0] = 0;
      out[1] = am / h;
      out[2] = 0;
      out[3] = ap / h;
      break;
    default:
      out[0] = 0;
      out[1] = deriv == 3 ? -1 / h : 0;
      out[2] = 0;
      out[3] = deriv == 3 ? 1 / h : 0;
      break;
  }
  return 2 * j;
}

/// cr: adds the dense k-row of the raw values v (4 of them from cr_raw_row at `first`) to row:
/// v0 e_j + v2 e_j+1 + v1 F_j + v3 F_j+1 (F_j = row j of F).
inline void cr_dense_row(const smooth_basis& s, int first, const double* v, double* row) noexcept {
  const int j = first / 2;
  row[j] += v[0];
  row[j + 1] += v[2];
  const double* f0 = s.f_transpose.data() + static_cast<std::ptrdiff_t>(j) * s.k;
  const double* f1 = f0 + s.k;
  for (int c = 0; c < s.k; ++c) row[c] += v[1] * f0[c] + v[3] * f1[c];
}

/// Unconstrained basis row (k values) of the deriv-th derivative at x, with mgcv's linear
/// extension outside [lower, upper].
inline void unconstrained_row(const smooth_basis& s, double x, int deriv, double* row) noexcept {
  std::fill(row, row + s.k, 0.0);
  if (s.type == basis_type::cr) {
    double v[4];
    const double lo = s.lower(), hi = s.upper();
    if (x >= lo && x <= hi) {
      cr_dense_row(s, cr_raw_row(s, x, deriv, v), v, row);
      return;
    }
    if (deriv >= 2) return;
    const double edge = x < lo ? lo : hi;
    const int first = cr_raw_row(s, edge, 1, v);
    if (deriv == 0) {
      for (double& e : v) e *= x - edge;
      cr_dense_row(s, first, v, row);
      cr_raw_row(s, edge, 0, v);
    }
    cr_dense_row(s, first, v, row);
    return;
  }
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

/// The order-th difference matrix ((k - order) x k): row i holds (-1)^(order-j) C(order, j) at
/// column i + j (integers, so exact).
inline Eigen::MatrixXd difference_matrix(int k, int order) {
  std::vector<double> coef(static_cast<std::size_t>(order) + 1, 0.0);
  coef[0] = 1;
  for (int o = 0; o < order; ++o)  // (x - 1)^order by repeated multiplication
    for (int j = o + 1; j >= 0; --j)
      coef[static_cast<std::size_t>(j)] = (j > 0 ? coef[static_cast<std::size_t>(j - 1)] : 0.0) -
                                          (j <= o ? coef[static_cast<std::size_t>(j)] : 0.0);
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(k - order, k);
  for (int i = 0; i < k - order; ++i)
    for (int j = 0; j <= order; ++j) d(i, i + j) = coef[static_cast<std::size_t>(j)];
  return d;
}

/// The distinct values of x in increasing order. Large inputs by an LSD radix sort on the
/// order-preserving integer image of the doubles (11-bit digits, passes on which all keys
/// agree skipped): O(n) instead of O(n log n), 2 x 8n bytes of scratch.
inline std::vector<double> sorted_distinct(std::span<const double> x) {
  std::vector<double> u;
  if (x.size() < (std::size_t{1} << 15)) {
    u.assign(x.begin(), x.end());
    std::sort(u.begin(), u.end());
  } else {
    constexpr int bits = 11, passes = 6;
    constexpr std::uint64_t digit_mask = (std::uint64_t{1} << bits) - 1;
    constexpr std::size_t buckets = std::size_t{1} << bits;
    const std::size_t n = x.size();
    std::vector<std::uint64_t> a(n), b(n);
    std::vector<std::size_t> hist(passes * buckets, 0);
    for (std::size_t i = 0; i < n; ++i) {
      auto key = std::bit_cast<std::uint64_t>(x[i]);
      key ^= (key >> 63) != 0 ? ~std::uint64_t{0} : std::uint64_t{1} << 63;
      a[i] = key;
      for (int p = 0; p < passes; ++p)
        ++hist[static_cast<std::size_t>(p) * buckets + ((key >> (p * bits)) & digit_mask)];
    }
    for (int p = 0; p < passes; ++p) {
      std::size_t* h = hist.data() + static_cast<std::size_t>(p) * buckets;
      if (h[(a[0] >> (p * bits)) & digit_mask] == n) continue;  // one bucket: nothing to move
      std::size_t sum = 0;
      for (std::size_t d = 0; d < buckets; ++d) {
        const std::size_t c = h[d];
        h[d] = sum;
        sum += c;
      }
      for (std::size_t i = 0; i < n; ++i) b[h[(a[i] >> (p * bits)) & digit_mask]++] = a[i];
      a.swap(b);
    }
    b = {};
    u.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t key = a[i];
      key ^= (key >> 63) != 0 ? std::uint64_t{1} << 63 : ~std::uint64_t{0};
      u[i] = std::bit_cast<double>(key);
    }
  }
  u.erase(std::unique(u.begin(), u.end()), u.end());
  return u;
}

/// The common end of every basis: the sum-to-zero constraint of the column sums `colsum` of the
/// unconstrained basis at the data as a Householder reflection (mgcv's Z), the penalty
/// S = root' root scaled by ||S||_1 / max_row^2 (mgcv's S.scale; max_row = ||X||_inf), and the
/// constrained penalty, its root and log pseudo-determinant.
inline void finish_basis(smooth_basis& s, const Eigen::VectorXd& colsum, double max_row,
                         const Eigen::MatrixXd& d) {
  // Householder reflection H with H c = -sign(c0)||c|| e1 (LAPACK/LINPACK convention)
  const double norm = colsum.norm();
  const double beta = colsum[0] >= 0 ? -norm : norm;
  s.householder = colsum;
  s.householder[0] -= beta;
  const double v0 = s.householder[0];
  s.householder /= v0;
  s.tau = (beta - colsum[0]) / beta;
  // Every product below runs over the non-zero column range of each row of d (a band of
  // order + 1 for a P-spline's difference matrix), so a P-spline basis costs O(k^2), not the
  // O(k^3) of dense products.
  const Eigen::Index r = d.rows(), k = d.cols();
  std::vector<Eigen::Index> row_lo(static_cast<std::size_t>(r)), row_hi(static_cast<std::size_t>(r));
  for (Eigen::Index i = 0; i < r; ++i) {
    Eigen::Index lo = 0, hi = k;
    while (lo < k && d(i, lo) == 0) ++lo;
    while (hi > lo && d(i, hi - 1) == 0) --hi;
    row_lo[static_cast<std::size_t>(i)] = lo;
    row_hi[static_cast<std::size_t>(i)] = hi;
  }
  // P = D'D (full symmetric), dv = D v
  Eigen::MatrixXd pm = Eigen::MatrixXd::Zero(k, k);
  Eigen::VectorXd dv(r);
  for (Eigen::Index i = 0; i < r; ++i) {
    const Eigen::Index lo = row_lo[static_cast<std::size_t>(i)], hi = row_hi[static_cast<std::size_t>(i)];
    double t = 0;
    for (Eigen::Index a = lo; a < hi; ++a) {
      const double da = d(i, a);
      t += da * s.householder[a];
      for (Eigen::Index b = lo; b < hi; ++b) pm(b, a) += d(i, b) * da;
    }
    dv[i] = t;
  }
  const double norm1 = pm.cwiseAbs().colwise().sum().maxCoeff();
  s.penalty_scale = norm1 / (max_row * max_row);
  const double inv_sqrt_scale = 1 / std::sqrt(s.penalty_scale);
  // Penalty root E = D Z / sqrt(scale) with Z = H[:, 1:] (H = I - tau v v'), so E'E = Z'SZ.
  s.penalty_rank = static_cast<int>(r);
  s.penalty_root.resize(r, k - 1);
  for (Eigen::Index c = 0; c + 1 < k; ++c)
    for (Eigen::Index i = 0; i < r; ++i)
      s.penalty_root(i, c) = (d(i, c + 1) - s.tau * dv[i] * s.householder[c + 1]) * inv_sqrt_scale;
  // Z'SZ from P: H P H = P - tau (v q' + q v') + tau^2 (v'q) v v' with q = P v, without its
  // first row and column, divided by the scale
  const Eigen::VectorXd q = pm * s.householder;
  const double vq = s.householder.dot(q), tau2vq = s.tau * s.tau * vq;
  const double inv_scale = 1 / s.penalty_scale;
  s.penalty.resize(k - 1, k - 1);
  for (Eigen::Index c = 1; c < k; ++c) {
    const double vc = s.householder[c], qc = q[c];
    for (Eigen::Index i = 1; i < k; ++i) {
      const double vi = s.householder[i];
      s.penalty(i - 1, c - 1) =
          (pm(i, c) - s.tau * (vi * qc + q[i] * vc) + tau2vq * vi * vc) * inv_scale;
    }
  }
  // E has full row rank (rank of S): the constraint direction is not orthogonal to the penalty
  // null space (the column sums add up to n), so the product of the non-zero eigenvalues of
  // E'E is det(E E'), from a Cholesky factor. E E' = D Z Z' D' / scale with Z Z' = I - w w',
  // w = H e1 = e1 - tau v, so E E' = (D D' - u u') / scale with u = D w; the scale enters the
  // log-determinant as - r log(scale).
  Eigen::MatrixXd g(r, r);
  for (Eigen::Index i = 0; i < r; ++i) {
    const double ui = d(i, 0) - s.tau * dv[i];
    for (Eigen::Index j = i; j < r; ++j) {
      const double uj = d(j, 0) - s.tau * dv[j];
      const Eigen::Index lo = std::max(row_lo[static_cast<std::size_t>(i)], row_lo[static_cast<std::size_t>(j)]);
      const Eigen::Index hi = std::min(row_hi[static_cast<std::size_t>(i)], row_hi[static_cast<std::size_t>(j)]);
      double t = 0;
      for (Eigen::Index a = lo; a < hi; ++a) t += d(i, a) * d(j, a);
      g(i, j) = g(j, i) = t - ui * uj;
    }
  }
  Eigen::MatrixXd chol;
  detail::cholesky_upper(g, chol);
  double prod = 1;  // one log for the whole product of the pivots unless it could overflow
  s.log_det_penalty = -static_cast<double>(r) * std::log(s.penalty_scale);
  for (Eigen::Index j = 0; j < chol.rows(); ++j) {
    prod *= chol(j, j);
    if (!(prod > 1e-100 && prod < 1e100)) {
      s.log_det_penalty += 2 * std::log(prod);
      prod = 1;
    }
  }
  s.log_det_penalty += 2 * std::log(prod);
}

/// The dense map from a smooth's raw coordinates to its k - 1 constrained coefficients'
/// columns: raw = M beta_constrained. ps: Z (k x (k-1)); cr: the rows of Z and F Z interleaved
/// (2k x (k-1)).
inline Eigen::MatrixXd raw_map(const smooth_basis& b) {
  Eigen::MatrixXd z(b.k, b.k - 1);
  for (int c = 1; c < b.k; ++c)
    for (int r = 0; r < b.k; ++r)
      z(r, c - 1) = (r == c ? 1.0 : 0.0) - b.tau * b.householder[r] * b.householder[c];
  if (b.type != basis_type::cr) return z;
  const Eigen::MatrixXd fz = b.f_transpose.transpose() * z;
  Eigen::MatrixXd m(2 * b.k, b.k - 1);
  for (int r = 0; r < b.k; ++r) {
    m.row(2 * r) = z.row(r);
    m.row(2 * r + 1) = fz.row(r);
  }
  return m;
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
    const int first = detail::ps_raw_row(s, v, vals);
    double row_abs = 0.0;
    for (int r = 0; r <= s.degree; ++r) {
      colsum[first + r] += vals[r];
      row_abs += std::abs(vals[r]);
    }
    max_row = std::max(max_row, row_abs);
  }
  detail::finish_basis(s, colsum, max_row, detail::difference_matrix(o.k, o.penalty_order));
  return s;
}

/// Builds the cubic regression spline basis of one smooth (mgcv's bs = "cr": knots at
/// place.knots of the distinct values, penalty int f''^2, S.scale and the sum-to-zero
/// constraint). The options' degree and penalty_order do not apply. O(n log n + n k + k^3).
[[nodiscard]] inline smooth_basis make_cr_basis(std::span<const double> x, const smooth_options& o,
                                                const std::string& where, const std::string& name) {
  VASOSTAT_EXPECTS(o.k >= 3, where + ": " + name + ".k (" + std::to_string(o.k) +
                                 ") must be at least 3 for a cubic regression spline");
  const std::vector<double> u = detail::sorted_distinct(x);
  VASOSTAT_EXPECTS(u.size() > 1, where + ": " + name + " is constant (a smooth needs a varying covariate)");
  const auto nu = static_cast<std::ptrdiff_t>(u.size());
  VASOSTAT_EXPECTS(nu >= o.k, where + ": " + name + ".k (" + std::to_string(o.k) +
                                  ") is larger than the number of distinct values (" +
                                  std::to_string(nu) + ")");
  smooth_basis s;
  s.type = basis_type::cr;
  s.k = o.k;
  s.degree = 3;
  s.penalty_order = 2;
  // knots: the sorted distinct values at positions (nu - 1) j / (k - 1), linearly interpolated
  s.knots.resize(static_cast<std::size_t>(o.k));
  s.knots.front() = u.front();
  s.knots.back() = u.back();
  const double delta = static_cast<double>(nu - 1) / (o.k - 1);
  for (int j = 1; j < o.k - 1; ++j) {
    const double pos = delta * j;
    const auto lb = static_cast<std::ptrdiff_t>(std::floor(pos));
    const double frac = pos - static_cast<double>(lb);
    s.knots[static_cast<std::size_t>(j)] =
        u[static_cast<std::size_t>(lb)] * (1 - frac) + u[static_cast<std::size_t>(std::min(lb + 1, nu - 1))] * frac;
  }
  const int cells = 4 * (o.k - 1);
  s.cell_scale = cells / (s.knots.back() - s.knots.front());
  s.cell_interval.resize(static_cast<std::size_t>(cells));
  for (int c = 0, j = 0; c < cells; ++c) {
    const double left = s.knots.front() + c / s.cell_scale;
    while (j < o.k - 2 && s.knots[static_cast<std::size_t>(j + 1)] <= left) ++j;
    s.cell_interval[static_cast<std::size_t>(c)] = j;
  }
  // B ((k-2) x (k-2), tridiagonal) and D ((k-2) x k) with D beta = B delta_interior
  const int k = o.k, ki = o.k - 2;
  Eigen::VectorXd h(k - 1);
  for (int j = 0; j < k - 1; ++j) h[j] = s.knots[static_cast<std::size_t>(j + 1)] - s.knots[static_cast<std::size_t>(j)];
  Eigen::MatrixXd bm = Eigen::MatrixXd::Zero(ki, ki), dm = Eigen::MatrixXd::Zero(ki, k);
  for (int i = 0; i < ki; ++i) {
    bm(i, i) = (h[i] + h[i + 1]) / 3;
    if (i + 1 < ki) bm(i, i + 1) = bm(i + 1, i) = h[i + 1] / 6;
    dm(i, i) = 1 / h[i];
    dm(i, i + 1) = -1 / h[i] - 1 / h[i + 1];
    dm(i, i + 2) = 1 / h[i + 1];
  }
  Eigen::MatrixXd chol;  // B = R'R
  detail::cholesky_upper(bm, chol);
  // root of S = D' B^-1 D: R^-T D; F interior rows = B^-1 D = R^-1 (R^-T D)
  const Eigen::MatrixXd root = chol.transpose().triangularView<Eigen::Lower>().solve(dm);
  const Eigen::MatrixXd fi = chol.triangularView<Eigen::Upper>().solve(root);
  s.f_transpose = Eigen::MatrixXd::Zero(k, k);
  s.f_transpose.middleCols(1, ki) = fi.transpose();
  // column sums of the dense basis at the data (from the sparse raw rows), and its infinity
  // norm (a row depends on the value only: the maximum over the distinct values)
  Eigen::VectorXd raw_sum = Eigen::VectorXd::Zero(2 * k);
  double v[4];
  for (double xv : x) {
    const int first = detail::cr_raw_row(s, xv, 0, v);
    for (int r = 0; r < 4; ++r) raw_sum[first + r] += v[r];
  }
  std::vector<double> row(static_cast<std::size_t>(k));
  double max_row = 0.0;
  for (double xv : u) {
    const int first = detail::cr_raw_row(s, xv, 0, v);
    std::fill(row.begin(), row.end(), 0.0);
    detail::cr_dense_row(s, first, v, row.data());
    double a = 0;
    for (double e : row) a += std::abs(e);
    max_row = std::max(max_row, a);
  }
  Eigen::VectorXd colsum(k);
  for (int j = 0; j < k; ++j) colsum[j] = raw_sum[2 * j];
  for (int j = 0; j < k; ++j) colsum += raw_sum[2 * j + 1] * s.f_transpose.col(j);
  detail::finish_basis(s, colsum, max_row, root);
  return s;
}

/// Builds the basis of one smooth term as its options ask (the single entry point gam::fit uses).
[[nodiscard]] inline smooth_basis make_smooth_basis(std::span<const double> x,
                                                    const smooth_options& o,
                                                    const std::string& where,
                                                    const std::string& name) {
  if (o.basis == basis_type::cr) return make_cr_basis(x, o, where, name);
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
