#pragma once
// The model matrix X = [1 | covariates | smooth bases] of a GAM, never formed: each row is
// produced on the fly in a sparse "raw" form (the covariates, and per smooth the degree + 1
// non-zero B-spline values before the sum-to-zero constraint, or for a cubic regression spline
// the 4 non-zeros in its interleaved (beta_j, delta_j) coordinates), and X = X_raw T with
// T = blockdiag(I, M_1, ..., M_m) the dense raw-to-constrained maps (ps: the constraint Z;
// cr: [I; F] Z with rows interleaved, gam/basis.hpp raw_map). X'WX and X'Wz are accumulated in the raw
// space (about (degree + 1 + q)^2 multiply-adds per row instead of p^2) and transformed once,
// so a pass over n rows costs O(n (degree + q)^2 + p_raw^2 p) time and O(p^2) memory beyond
// the data.

#include <vasostat/gam/basis.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace vasostat::inline v0::gam::detail {

struct design {
  Eigen::Index n = 0;
  Eigen::Index n_parametric = 0;  ///< intercept + covariates
  Eigen::Index p = 0;             ///< constrained coefficients
  const Eigen::Ref<const Eigen::MatrixXd>* covariates = nullptr;
  std::vector<std::span<const double>> xs;
  const std::vector<smooth_basis>* bases = nullptr;
  std::vector<Eigen::Index> first;      ///< first constrained coefficient of each smooth
  std::vector<Eigen::Index> raw_first;  ///< first raw column of each smooth
  Eigen::Index p_raw = 0;
  std::vector<Eigen::MatrixXd> z;       ///< per smooth: raw_columns x (k - 1) map (raw_map)
  std::vector<double> lo, hi;           ///< per smooth: the range rows are clamped to
  /// per smooth: 1 / knot spacing (0 unless a cubic P-spline) and the reciprocal width of
  /// each knot interval, so that a cubic P-spline row costs no division (row())
  std::vector<double> inv_dx;
  std::vector<std::vector<double>> inv_width;

  void prepare() {
    p_raw = n_parametric;
    raw_first.clear();
    z.clear();
    lo.clear();
    hi.clear();
    inv_dx.clear();
    inv_width.clear();
    for (const auto& b : *bases) {
      lo.push_back(b.lower());
      hi.push_back(b.upper());
      raw_first.push_back(p_raw);
      p_raw += b.raw_columns();
      z.push_back(raw_map(b));
      std::vector<double> iw;
      double idx = 0;
      if (b.type == basis_type::ps && b.degree == 3) {
        idx = 1 / (b.knots[4] - b.knots[3]);
        iw.resize(b.knots.size() - 1);
        for (std::size_t j = 0; j + 1 < b.knots.size(); ++j) iw[j] = 1 / (b.knots[j + 1] - b.knots[j]);
      }
      inv_dx.push_back(idx);
      inv_width.push_back(std::move(iw));
    }
  }

  /// The sparse raw row of smooth s at x (clamped to its range): raw_row, except that a cubic
  /// P-spline multiplies by the reciprocal spacings of prepare() where ps_raw_row divides
  /// (the same values to rounding; the two divisions were a third of a row's cost). Returns
  /// the raw column of the first non-zero.
  VASOSTAT_FORCEINLINE Eigen::Index row(std::size_t s, double x, double* out) const noexcept {
    const smooth_basis& b = (*bases)[s];
    const double xc = std::clamp(x, lo[s], hi[s]);
    if (inv_dx[s] == 0) return raw_first[s] + raw_row(b, xc, out);
    const double* t = b.knots.data();
    int i = 3 + static_cast<int>(std::floor((xc - t[3]) * inv_dx[s]));
    i = std::clamp(i, 3, b.k - 1);
    uniform_cubic_pieces((xc - t[i]) * inv_width[s][static_cast<std::size_t>(i)], out);
    return raw_first[s] + i - 3;
  }

  /// Calls f(i, par, nnz_first, nnz_values) for every row: par points at the q parametric
  /// values (1, covariates), nnz_first[s] is the raw column of smooth s's first non-zero and
  /// nnz_values + s * 16 its degree + 1 values.
  template <class F>
  void for_each_row(F&& f) const {
    const auto ms = xs.size();
    double par[64];
    std::vector<double> parv;
    double* pr = par;
    if (n_parametric > 64) {
      parv.resize(static_cast<std::size_t>(n_parametric));
      pr = parv.data();
    }
    std::vector<Eigen::Index> nf(ms);
    std::vector<double> nv(ms * 16);
    const Eigen::Index q = n_parametric;
    pr[0] = 1;
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index c = 1; c < q; ++c) pr[c] = (*covariates)(i, c - 1);
      for (std::size_t s = 0; s < ms; ++s) nf[s] = row(s, xs[s][static_cast<std::size_t>(i)], nv.data() + s * 16);
      f(i, static_cast<const double*>(pr), static_cast<const Eigen::Index*>(nf.data()),
        static_cast<const double*>(nv.data()));
    }
  }

  /// Raw coefficients T beta.
  [[nodiscard]] Eigen::VectorXd to_raw(const Eigen::VectorXd& beta) const {
    Eigen::VectorXd r(p_raw);
    r.head(n_parametric) = beta.head(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s)
      r.segment(raw_first[s], z[s].rows()).noalias() = z[s] * beta.segment(first[s], z[s].cols());
    return r;
  }

  /// T' u T for a symmetric raw-space matrix u (only its lower triangle is read).
  [[nodiscard]] Eigen::MatrixXd from_raw(const Eigen::MatrixXd& u_lower) const {
    Eigen::MatrixXd u = u_lower.selfadjointView<Eigen::Lower>();
    // right multiplication by T, then left by T'. A P-spline's map is the constraint
    // reflection Z = H[:, 1:], H = I - tau v v', applied as a rank-one update (O(k) per row or
    // column instead of the O(k^2) of a dense product)
    Eigen::MatrixXd ut(p_raw, p);
    ut.leftCols(n_parametric) = u.leftCols(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s) {
      const smooth_basis& b = (*bases)[s];
      const auto us = u.middleCols(raw_first[s], z[s].rows());
      if (b.type == basis_type::ps) {
        const Eigen::VectorXd uv = b.tau * (us * b.householder);
        for (Eigen::Index c = 1; c < b.k; ++c)
          ut.col(first[s] + c - 1) = us.col(c) - b.householder[c] * uv;
      } else {
        ut.middleCols(first[s], z[s].cols()).noalias() = us * z[s];
      }
    }
    Eigen::MatrixXd out(p, p);
    out.topRows(n_parametric) = ut.topRows(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s) {
      const smooth_basis& b = (*bases)[s];
      const auto us = ut.middleRows(raw_first[s], z[s].rows());
      if (b.type == basis_type::ps) {
        const Eigen::RowVectorXd vu = b.tau * (b.householder.transpose() * us);
        for (Eigen::Index c = 1; c < b.k; ++c)
          out.row(first[s] + c - 1) = us.row(c) - b.householder[c] * vu;
      } else {
        out.middleRows(first[s], z[s].cols()).noalias() = z[s].transpose() * us;
      }
    }
    return out;
  }

  /// T a T' (raw-space form of a constrained-space matrix).
  [[nodiscard]] Eigen::MatrixXd to_raw(const Eigen::MatrixXd& a) const {
    Eigen::MatrixXd at(p, p_raw);
    at.leftCols(n_parametric) = a.leftCols(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s)
      at.middleCols(raw_first[s], z[s].rows()).noalias() = a.middleCols(first[s], z[s].cols()) * z[s].transpose();
    Eigen::MatrixXd out(p_raw, p_raw);
    out.topRows(n_parametric) = at.topRows(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s)
      out.middleRows(raw_first[s], z[s].rows()).noalias() = z[s] * at.middleRows(first[s], z[s].cols());
    return out;
  }

  [[nodiscard]] int nnz(std::size_t s) const { return (*bases)[s].degree + 1; }

  /// x_raw' b for one row.
  [[nodiscard]] double row_dot(const double* par, const Eigen::Index* nf, const double* nv,
                               const double* b) const {
    double t = 0;
    for (Eigen::Index c = 0; c < n_parametric; ++c) t += par[c] * b[c];
    for (std::size_t s = 0; s < xs.size(); ++s) {
      const double* v = nv + s * 16;
      const double* bb = b + nf[s];
      for (int r = 0; r < nnz(s); ++r) t += v[r] * bb[r];
    }
    return t;
  }

  /// x_raw' a x_raw for one row (a symmetric, raw space); idx and val are scratch buffers of
  /// at least p_raw entries.
  [[nodiscard]] double row_quad(const double* par, const Eigen::Index* nf, const double* nv,
                                const Eigen::MatrixXd& a, Eigen::Index* idx, double* val) const {
    // gather the row's non-zeros, then a dense quadratic form on them
    int cnt = 0;
    for (Eigen::Index c = 0; c < n_parametric; ++c, ++cnt) {
      idx[cnt] = c;
      val[cnt] = par[c];
    }
    for (std::size_t s = 0; s < xs.size(); ++s)
      for (int r = 0; r < nnz(s); ++r, ++cnt) {
        idx[cnt] = nf[s] + r;
        val[cnt] = nv[s * 16 + static_cast<std::size_t>(r)];
      }
    double t = 0;
    for (int j = 0; j < cnt; ++j) {
      const double* col = &a(0, idx[j]);
      double sj = 0;
      for (int i = 0; i < j; ++i) sj += val[i] * col[idx[i]];
      t += val[j] * (2 * sj + val[j] * col[idx[j]]);
    }
    return t;
  }

  /// Accumulates X'WX (lower triangle, raw space; the upper triangle is scratch) and X'Wz (raw space): weights w_i and
  /// working responses z_i come from wz(i, eta_i, w, z) for each row, eta_i = x_i'beta when
  /// beta_raw (raw coefficients, to_raw) is given, else 0.
  template <class WZ>
  void accumulate_raw(WZ&& wz, Eigen::MatrixXd& u, Eigen::VectorXd& v, double& zwz,
                      const double* beta_raw = nullptr) const {
    bool cubic = true;
    for (const auto& b : *bases) cubic = cubic && b.degree == 3;
    if (cubic)
      accumulate_impl<4>(wz, u, v, zwz, beta_raw);
    else
      accumulate_impl<0>(wz, u, v, zwz, beta_raw);
  }

  /// The row loop of accumulate_raw; NNZ = non-zeros per smooth row when all smooths share
  /// it (compile-time, so the small loops unroll), 0 = read it per smooth.
  template <int NNZ, class WZ>
  void accumulate_impl(WZ& wz, Eigen::MatrixXd& u, Eigen::VectorXd& v, double& zwz,
                       const double* beta_raw) const {
    u = Eigen::MatrixXd::Zero(p_raw, p_raw);
    v = Eigen::VectorXd::Zero(p_raw);
    zwz = 0;
    const Eigen::Index q = n_parametric, ld = p_raw;
    const auto ms = xs.size();
    std::vector<double> par(static_cast<std::size_t>(q)), nv(ms * 16);
    std::vector<Eigen::Index> nf(ms);
    std::vector<int> kk(ms);
    for (std::size_t s = 0; s < ms; ++s) kk[s] = nnz(s);
    double* uu = u.data();
    double* vv = v.data();
    par[0] = 1;
    for (Eigen::Index i = 0; i < n; ++i) {
      for (Eigen::Index c = 1; c < q; ++c) par[static_cast<std::size_t>(c)] = (*covariates)(i, c - 1);
      double eta = 0;
      if (beta_raw)
        for (Eigen::Index c = 0; c < q; ++c) eta += par[static_cast<std::size_t>(c)] * beta_raw[c];
      for (std::size_t s = 0; s < ms; ++s) {
        double* vals = nv.data() + s * 16;
        nf[s] = row(s, xs[s][static_cast<std::size_t>(i)], vals);
        if (beta_raw) {
          const int ks = NNZ > 0 ? NNZ : kk[s];
          for (int r = 0; r < ks; ++r) eta += vals[r] * beta_raw[nf[s] + r];
        }
      }
      double w = 0, zi = 0;
      wz(i, eta, w, zi);
      if (w == 0) continue;
      const double wzi = w * zi;
      zwz += wzi * zi;
      for (Eigen::Index a = 0; a < q; ++a) {
        const double pa = par[static_cast<std::size_t>(a)];
        const double wa = w * pa;
        vv[a] += wzi * pa;
        double* col = uu + a * ld;
        for (Eigen::Index b = a; b < q; ++b) col[b] += wa * par[static_cast<std::size_t>(b)];
      }
      // smooth rows fs .. fs + ks - 1: every update below runs down a column over those ks
      // contiguous rows (one vector operation for a cubic spline), entry (fs + r, c) gaining
      // (w vs[r]) x_c as before. The diagonal block is updated whole: its entries above the
      // diagonal are scratch (only the lower triangle of u is the result).
      for (std::size_t s = 0; s < ms; ++s) {
        const double* vs = nv.data() + s * 16;
        const Eigen::Index fs = nf[s];
        const int ks = NNZ > 0 ? NNZ : kk[s];
        double wv[16];
        for (int r = 0; r < ks; ++r) {
          wv[r] = w * vs[r];
          vv[fs + r] += wzi * vs[r];
        }
        for (Eigen::Index a = 0; a < q; ++a) {
          double* col = uu + a * ld + fs;
          const double pa = par[static_cast<std::size_t>(a)];
          for (int r = 0; r < ks; ++r) col[r] += wv[r] * pa;
        }
        for (std::size_t s2 = 0; s2 < s; ++s2) {
          const double* v2 = nv.data() + s2 * 16;
          const int k2 = NNZ > 0 ? NNZ : kk[s2];
          for (int t = 0; t < k2; ++t) {
            double* col = uu + (nf[s2] + t) * ld + fs;
            const double vt = v2[t];
            for (int r = 0; r < ks; ++r) col[r] += wv[r] * vt;
          }
        }
        for (int t = 0; t < ks; ++t) {
          double* col = uu + (fs + t) * ld + fs;
          const double vt = vs[t];
          for (int r = 0; r < ks; ++r) col[r] += wv[r] * vt;
        }
      }
    }
  }

  /// X'WX and X'Wz in the constrained basis (full symmetric matrix).
  template <class WZ>
  void accumulate(WZ&& wz, Eigen::MatrixXd& xtwx, Eigen::VectorXd& xtwz, double& zwz,
                  const double* beta_raw = nullptr) const {
    Eigen::MatrixXd u;
    Eigen::VectorXd v;
    accumulate_raw(wz, u, v, zwz, beta_raw);
    xtwx = from_raw(u);
    xtwz.resize(p);
    xtwz.head(n_parametric) = v.head(n_parametric);
    for (std::size_t s = 0; s < z.size(); ++s)
      xtwz.segment(first[s], z[s].cols()).noalias() = z[s].transpose() * v.segment(raw_first[s], z[s].rows());
  }

  /// eta = X beta (without offset).
  void multiply(const Eigen::VectorXd& beta, Eigen::VectorXd& eta) const {
    const Eigen::VectorXd br = to_raw(beta);
    eta.resize(n);
    for_each_row([&](Eigen::Index i, const double* par, const Eigen::Index* nf, const double* nv) {
      eta[i] = row_dot(par, nf, nv, br.data());
    });
  }
};

}  // namespace vasostat::inline v0::gam::detail
