#pragma once
// Small dense factorisations for the GAM fitter (p is tens, not thousands), written as plain
// loops over Eigen storage. Eigen is used only as a container here: its decomposition classes
// (SelfAdjointEigenSolver, HouseholderQR, LDLT, LLT) each cost seconds of template
// instantiation in every translation unit that includes gam/fit.hpp, which is what made the
// header slow to compile. The algorithms are the textbook ones (Golub & Van Loan 2013:
// tridiagonal QR §8.3, Householder QR §5.2, diagonally pivoted LDL' §4.2, Cholesky §4.2).

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace vasostat::inline v0::gam::detail {

/// sqrt(x^2 + z^2) without std::hypot's cost (a third of the QR sweep's time) unless the
/// squares would overflow or underflow.
inline double givens_norm(double x, double z) noexcept {
  const double r2 = x * x + z * z;
  return r2 > 1e-290 && r2 < 1e290 ? std::sqrt(r2) : std::hypot(x, z);
}

/// Dot product with four partial sums (one vector register; a single running sum would be a
/// serial chain of dependent additions).
inline double dot4(const double* a, const double* b, Eigen::Index n) noexcept {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  Eigen::Index i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

/// First stage of sym_eigen_core: Householder reduction of the symmetric a_in to tridiagonal
/// T = Q'a_in Q, diagonal in `d` and sub-diagonal in `e` (e[n - 1] = 0), each reflector
/// accumulated into the columns of `q` or applied to the rows of `x` (whichever is non-null).
/// O(4n^3/3); used alone where T itself suffices (the Demmler-Reinsch form in gam/fit.hpp).
inline void sym_tridiagonalize(const Eigen::MatrixXd& a_in, std::vector<double>& d, std::vector<double>& e,
                               Eigen::MatrixXd* q, Eigen::MatrixXd* x) {
  const Eigen::Index n = a_in.rows();
  // a full symmetric working copy, column-major, plus v, w and a scratch vector: every inner
  // loop below is an axpy over contiguous memory (A22 v as a sum of columns, the rank-2
  // update on both triangles), which vectorises; the half-storage form needs a dot product
  // per column, a serial chain of dependent additions
  std::vector<double> buf(static_cast<std::size_t>(n * n) + 3 * static_cast<std::size_t>(n));
  double* const a = buf.data();
  double* const v = a + n * n;
  double* const w = v + n;
  double* const t = w + n;
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) a[i + j * n] = a_in(i, j);
  for (Eigen::Index k = 0; k + 2 < n; ++k) {
    double* const ak = a + k * n;
    const Eigen::Index len = n - k - 1;
    const double alpha2 = dot4(ak + k + 1, ak + k + 1, len);
    const double x0 = ak[k + 1];
    if (alpha2 - x0 * x0 <= 0) continue;  // already tridiagonal in this column
    const double norm = std::sqrt(alpha2);
    const double alpha = x0 > 0 ? -norm : norm;
    for (Eigen::Index i = k + 1; i < n; ++i) v[i] = ak[i];
    v[k + 1] -= alpha;
    // v'v = ||x||^2 - 2 alpha x0 + alpha^2 = 2 norm (norm + |x0|), without cancellation
    const double beta = 1 / (norm * (norm + std::abs(x0)));
    // p = beta A22 v, w = p - (beta/2)(p'v) v, A22 <- A22 - v w' - w v'; A22 v as a sum of
    // columns, four at a time (one load and store of w per four columns)
    for (Eigen::Index i = k + 1; i < n; ++i) w[i] = 0;
    Eigen::Index jc = k + 1;
    for (; jc + 4 <= n; jc += 4) {
      const double* a0 = a + jc * n;
      const double* a1 = a0 + n;
      const double* a2 = a1 + n;
      const double* a3 = a2 + n;
      const double v0 = v[jc], v1 = v[jc + 1], v2 = v[jc + 2], v3 = v[jc + 3];
      for (Eigen::Index i = k + 1; i < n; ++i) w[i] += (a0[i] * v0 + a1[i] * v1) + (a2[i] * v2 + a3[i] * v3);
    }
    for (; jc < n; ++jc) {
      const double* aj = a + jc * n;
      const double vj = v[jc];
      for (Eigen::Index i = k + 1; i < n; ++i) w[i] += aj[i] * vj;
    }
    for (Eigen::Index i = k + 1; i < n; ++i) w[i] *= beta;
    const double pv = dot4(w + k + 1, v + k + 1, len);
    const double kk = 0.5 * beta * pv;
    for (Eigen::Index i = k + 1; i < n; ++i) w[i] -= kk * v[i];
    for (Eigen::Index j = k + 1; j < n; ++j) {
      double* aj = a + j * n;
      const double vj = v[j], wj = w[j];
      for (Eigen::Index i = k + 1; i < n; ++i) aj[i] -= v[i] * wj + w[i] * vj;
    }
    ak[k + 1] = alpha;
    if (q != nullptr) {  // q <- q (I - beta v v'): t = beta q v as a sum of columns, then q -= t v'
      for (Eigen::Index r = 0; r < n; ++r) t[r] = 0;
      for (Eigen::Index j = k + 1; j < n; ++j) {
        const double* qj = &(*q)(0, j);
        const double vj = v[j];
        for (Eigen::Index r = 0; r < n; ++r) t[r] += qj[r] * vj;
      }
      for (Eigen::Index j = k + 1; j < n; ++j) {
        double* qj = &(*q)(0, j);
        const double bvj = beta * v[j];
        for (Eigen::Index r = 0; r < n; ++r) qj[r] -= t[r] * bvj;
      }
    }
    if (x != nullptr) {
      for (Eigen::Index c = 0; c < x->cols(); ++c) {  // x <- (I - beta v v') x
        double* xc = &(*x)(0, c);
        const double tc = beta * dot4(xc + k + 1, v + k + 1, len);
        for (Eigen::Index i = k + 1; i < n; ++i) xc[i] -= tc * v[i];
      }
    }
  }
  d.assign(static_cast<std::size_t>(n), 0.0);
  e.assign(static_cast<std::size_t>(std::max<Eigen::Index>(n, 1)), 0.0);
  for (Eigen::Index i = 0; i < n; ++i) {
    d[static_cast<std::size_t>(i)] = a[i + i * n];
    if (i + 1 < n) e[static_cast<std::size_t>(i)] = a[i + 1 + i * n];
  }
}

/// Core of sym_eigen and sym_eigen_project: Householder reduction to tridiagonal form, then
/// implicit QR steps with the Wilkinson shift (Golub & Van Loan 2013, §8.3.1 and Algorithm
/// 8.3.3). Every orthogonal transformation Q_k is either accumulated into the columns of
/// `q` (n x n, starting from I: eigenvectors) or applied from the left to the rows of `x`
/// (n x c: Q'x, the coordinates of c given vectors in the eigenbasis), whichever is non-null;
/// the latter costs O(n c) per sweep instead of O(n^2). Unsorted eigenvalues in `d`.
inline void sym_eigen_core(const Eigen::MatrixXd& a_in, std::vector<double>& d, Eigen::MatrixXd* q,
                           Eigen::MatrixXd* x) {
  const Eigen::Index n = a_in.rows();
  std::vector<double> e;
  sym_tridiagonalize(a_in, d, e, q, x);
  double* const x2 = x != nullptr && q == nullptr && x->cols() == 2 ? x->data() : nullptr;
  const auto at = [](std::vector<double>& z, Eigen::Index i) -> double& { return z[static_cast<std::size_t>(i)]; };
  constexpr double eps = 2.220446049250313e-16;
  Eigen::Index hi = n - 1;
  int guard = 0;
  while (hi > 0 && guard < 60 * static_cast<int>(n)) {
    if (std::abs(at(e, hi - 1)) <= eps * (std::abs(at(d, hi - 1)) + std::abs(at(d, hi)))) {
      at(e, hi - 1) = 0;
      --hi;
      continue;
    }
    Eigen::Index lo = hi - 1;
    while (lo > 0 && std::abs(at(e, lo - 1)) > eps * (std::abs(at(d, lo - 1)) + std::abs(at(d, lo)))) --lo;
    if (lo > 0) at(e, lo - 1) = 0;
    ++guard;
    // Wilkinson shift from the trailing 2 x 2 block
    const double delta = 0.5 * (at(d, hi - 1) - at(d, hi));
    const double b = at(e, hi - 1);
    const double mu = at(d, hi) - b * b / (delta + (delta >= 0 ? 1.0 : -1.0) * givens_norm(delta, b));
    double xk = at(d, lo) - mu, z = at(e, lo);
    double z2 = z * z;  // z^2, carried as s^2 e^2 (see below)
    double x0 = x2 != nullptr ? x2[lo] : 0.0, x1 = x2 != nullptr ? x2[n + lo] : 0.0;
    for (Eigen::Index k = lo; k < hi; ++k) {
      // The sweep is a serial chain of rotations. The new diagonal and off-diagonal entries
      // need only c^2, s^2 and cs, i.e. x^2/r^2, z^2/r^2 and xz/r^2, and the next rotation's
      // r^2 = x'^2 + s^2 e^2 likewise, so the chain carries one division per rotation; the
      // square root (for c and s themselves: e[k+1] *= c, the bulge z = s e[k+1], r, and the
      // rotation of q or x) is off it, computed while the next rotation waits for its division.
      const double r2 = xk * xk + z2;
      double r = 0, c = 1, s = 0, cc = 1, ss = 0, cs = 0;
      if (r2 > 1e-290 && r2 < 1e290) {
        const double inv2 = 1 / r2;
        cc = xk * xk * inv2;
        ss = z2 * inv2;
        cs = xk * z * inv2;
        const double inv = std::sqrt(inv2);
        r = r2 * inv;
        c = xk * inv;
        s = z * inv;
      } else if (r2 != 0) {  // scaled, or NaN propagated
        r = std::hypot(xk, z);
        c = r > 0 ? xk / r : 1.0;
        s = r > 0 ? z / r : 0.0;
        cc = c * c;
        ss = s * s;
        cs = c * s;
      }
      if (k > lo) at(e, k - 1) = r;
      const double dk = at(d, k), dk1 = at(d, k + 1), ek = at(e, k);
      at(d, k) = cc * dk + 2 * cs * ek + ss * dk1;
      at(d, k + 1) = ss * dk - 2 * cs * ek + cc * dk1;
      at(e, k) = (cc - ss) * ek + cs * (dk1 - dk);
      if (k + 1 < hi) {
        const double en = at(e, k + 1);
        z = s * en;
        z2 = ss * en * en;
        at(e, k + 1) = c * en;
      }
      xk = at(e, k);
      if (q != nullptr) {
        double* qk = &(*q)(0, k);
        double* qk1 = &(*q)(0, k + 1);
        for (Eigen::Index i = 0; i < n; ++i) {
          const double u0 = qk[i], u1 = qk1[i];
          qk[i] = c * u0 + s * u1;
          qk1[i] = -s * u0 + c * u1;
        }
      }
      if (x2 != nullptr) {  // two columns: row k + 1 stays in registers for the next rotation
        const double a0 = x0, a1 = x1, b0 = x2[k + 1], b1 = x2[n + k + 1];
        x2[k] = c * a0 + s * b0;
        x2[n + k] = c * a1 + s * b1;
        x0 = -s * a0 + c * b0;
        x1 = -s * a1 + c * b1;
        if (k + 1 == hi) {
          x2[k + 1] = x0;
          x2[n + k + 1] = x1;
        }
      } else if (x != nullptr) {
        for (Eigen::Index col = 0; col < x->cols(); ++col) {
          const double u0 = (*x)(k, col), u1 = (*x)(k + 1, col);
          (*x)(k, col) = c * u0 + s * u1;
          (*x)(k + 1, col) = -s * u0 + c * u1;
        }
      }
    }
  }
}

/// Symmetric eigen-decomposition (sym_eigen_core): backward stable (errors ~ eps ||a||),
/// O(n^3) with a small constant. Eigenvalues ascending; vectors in the columns of `vectors`.
inline void sym_eigen(const Eigen::MatrixXd& a_in, Eigen::VectorXd& values, Eigen::MatrixXd& vectors) {
  const Eigen::Index n = a_in.rows();
  Eigen::MatrixXd q = Eigen::MatrixXd::Identity(n, n);
  std::vector<double> d;
  sym_eigen_core(a_in, d, &q, nullptr);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](Eigen::Index i, Eigen::Index j) {
    return d[static_cast<std::size_t>(i)] < d[static_cast<std::size_t>(j)];
  });
  values.resize(n);
  vectors.resize(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index o = order[static_cast<std::size_t>(j)];
    values[j] = d[static_cast<std::size_t>(o)];
    for (Eigen::Index i = 0; i < n; ++i) vectors(i, j) = q(i, o);
  }
}

/// Eigenvalues of a symmetric matrix (ascending) and, in place of the eigenvectors U, the
/// projections U'x of the columns of `x` (n x c), row j belonging to eigenvalue j. For callers
/// that need a few coordinates in the eigenbasis rather than the basis itself: the QR sweeps
/// then cost O(n^2) instead of O(n^3).
inline void sym_eigen_project(const Eigen::MatrixXd& a_in, Eigen::VectorXd& values, Eigen::MatrixXd& x) {
  const Eigen::Index n = a_in.rows();
  std::vector<double> d;
  sym_eigen_core(a_in, d, nullptr, &x);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](Eigen::Index i, Eigen::Index j) {
    return d[static_cast<std::size_t>(i)] < d[static_cast<std::size_t>(j)];
  });
  values.resize(n);
  Eigen::MatrixXd sorted(n, x.cols());
  for (Eigen::Index j = 0; j < n; ++j) {
    const Eigen::Index o = order[static_cast<std::size_t>(j)];
    values[j] = d[static_cast<std::size_t>(o)];
    sorted.row(j) = x.row(o);
  }
  x = sorted;
}

/// In-place Householder QR of a (rows >= cols): on return the upper triangle of the first
/// cols rows holds R, and `rhs` has been overwritten by Q' rhs.
inline void householder_qr(Eigen::MatrixXd& a, Eigen::VectorXd& rhs) {
  const Eigen::Index m = a.rows(), n = a.cols();
  std::vector<double> v(static_cast<std::size_t>(m));
  for (Eigen::Index k = 0; k < n; ++k) {
    double norm2 = 0;
    for (Eigen::Index i = k; i < m; ++i) norm2 += a(i, k) * a(i, k);
    const double norm = std::sqrt(norm2);
    if (norm == 0) continue;
    const double alpha = a(k, k) > 0 ? -norm : norm;
    // v = x - alpha e1, H = I - 2 v v' / v'v
    double vv = 0;
    for (Eigen::Index i = k; i < m; ++i) {
      v[static_cast<std::size_t>(i)] = a(i, k);
      if (i == k) v[static_cast<std::size_t>(i)] -= alpha;
      vv += v[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
    }
    if (vv == 0) continue;
    a(k, k) = alpha;
    for (Eigen::Index i = k + 1; i < m; ++i) a(i, k) = 0;
    for (Eigen::Index j = k + 1; j < n; ++j) {
      double d = 0;
      for (Eigen::Index i = k; i < m; ++i) d += v[static_cast<std::size_t>(i)] * a(i, j);
      d *= 2 / vv;
      for (Eigen::Index i = k; i < m; ++i) a(i, j) -= d * v[static_cast<std::size_t>(i)];
    }
    double d = 0;
    for (Eigen::Index i = k; i < m; ++i) d += v[static_cast<std::size_t>(i)] * rhs[i];
    d *= 2 / vv;
    for (Eigen::Index i = k; i < m; ++i) rhs[i] -= d * v[static_cast<std::size_t>(i)];
  }
}

/// Diagonally pivoted LDL' of a symmetric positive semi-definite matrix: P a P' = L D L' with
/// L unit lower triangular; perm[i] is the row of `a` that lands at position i. Pivots at or
/// below `tolerance` times the largest diagonal end the factorisation (remaining D = 0).
struct pivoted_ldlt {
  Eigen::MatrixXd l;
  Eigen::VectorXd d;
  std::vector<Eigen::Index> perm;

  explicit pivoted_ldlt(const Eigen::MatrixXd& a_in, double tolerance = 1e-300) {
    const Eigen::Index n = a_in.rows();
    Eigen::MatrixXd a = a_in;
    perm.resize(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), Eigen::Index{0});
    l = Eigen::MatrixXd::Zero(n, n);
    d = Eigen::VectorXd::Zero(n);
    double dmax = 0;
    for (Eigen::Index i = 0; i < n; ++i) dmax = std::max(dmax, a(i, i));
    for (Eigen::Index k = 0; k < n; ++k) {
      Eigen::Index piv = k;
      for (Eigen::Index i = k + 1; i < n; ++i)
        if (a(i, i) > a(piv, piv)) piv = i;
      if (piv != k) {  // rows and columns before k of `a` are no longer read: swap the rest
        for (Eigen::Index j = k; j < n; ++j) std::swap(a(k, j), a(piv, j));
        for (Eigen::Index i = k; i < n; ++i) std::swap(a(i, k), a(i, piv));
        for (Eigen::Index j = 0; j < k; ++j) std::swap(l(k, j), l(piv, j));
        std::swap(perm[static_cast<std::size_t>(k)], perm[static_cast<std::size_t>(piv)]);
      }
      const double dk = a(k, k);
      l(k, k) = 1;
      if (!(dk > tolerance * dmax)) {
        for (Eigen::Index i = k + 1; i < n; ++i) l(i, i) = 1;
        break;
      }
      d[k] = dk;
      const double inv = 1 / dk;
      for (Eigen::Index i = k + 1; i < n; ++i) l(i, k) = a(i, k) * inv;
      // the whole trailing block, column by column (contiguous; cheaper than mirroring a
      // triangle through strided writes at these sizes)
      for (Eigen::Index j = k + 1; j < n; ++j) {
        const double ljk = l(j, k) * dk;
        for (Eigen::Index i = k + 1; i < n; ++i) a(i, j) -= l(i, k) * ljk;
      }
    }
  }
};

/// Upper Cholesky factor r (r'r = a) of a positive definite matrix; false if not.
inline bool cholesky_upper(const Eigen::MatrixXd& a, Eigen::MatrixXd& r) {
  const Eigen::Index n = a.rows();
  r = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    double s = a(j, j);
    for (Eigen::Index k = 0; k < j; ++k) s -= r(k, j) * r(k, j);
    if (!(s > 0)) return false;
    r(j, j) = std::sqrt(s);
    const double inv = 1 / r(j, j);
    for (Eigen::Index i = j + 1; i < n; ++i) {
      double t = a(j, i);
      for (Eigen::Index k = 0; k < j; ++k) t -= r(k, j) * r(k, i);
      r(j, i) = t * inv;
    }
  }
  return true;
}

/// Solves r x = b in place for upper triangular r (first n rows/cols of r used).
inline void upper_solve(const Eigen::MatrixXd& r, Eigen::VectorXd& b) {
  const Eigen::Index n = b.size();
  for (Eigen::Index i = n - 1; i >= 0; --i) {
    double s = b[i];
    for (Eigen::Index j = i + 1; j < n; ++j) s -= r(i, j) * b[j];
    b[i] = s / r(i, i);
  }
}

/// Inverse of the upper triangular n x n leading block of r.
inline Eigen::MatrixXd upper_inverse(const Eigen::MatrixXd& r, Eigen::Index n) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(n, n);
  // reciprocal pivots once: a division inside the substitution is a serial latency chain
  Eigen::VectorXd inv(n);
  for (Eigen::Index i = 0; i < n; ++i) inv[i] = 1 / r(i, i);
  for (Eigen::Index j = 0; j < n; ++j) {  // column j: r x = e_j by column-oriented back substitution
    double* col = &x(0, j);
    col[j] = 1;
    for (Eigen::Index i = j; i >= 0; --i) {
      col[i] *= inv[i];
      const double* ri = &r(0, i);  // contiguous column of r above the diagonal
      const double xi = col[i];
      for (Eigen::Index k = 0; k < i; ++k) col[k] -= xi * ri[k];
    }
  }
  return x;
}

}  // namespace vasostat::inline v0::gam::detail
