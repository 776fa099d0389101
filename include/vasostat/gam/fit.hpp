#pragma once
// Penalized-spline GAM fitting (Wood 2011 JRSSB 73:3-36; Wood 2017, Generalized Additive
// Models, 2nd ed.): y ~ 1 + covariates + sum_j f_j(x_j), f_j P-splines (gam/basis.hpp), with
// smoothing parameters chosen by REML (default), ML, GCV/UBRE, or fixed. Gaussian fits use the
// accumulated X'WX / X'Wy once (from sparse B-spline rows, gam/detail/design.hpp; then O(p^3)
// per Newton step); binomial and Poisson
// fits run penalized IRLS with step halving inside each outer step. The outer optimiser is
// Newton on log(lambda) with exact gradients and Hessians (Wood 2011 §4: through dW/deta
// for PIRLS fits, for REML, ML, GCV and UBRE alike), eigenvalue-flipped and step-capped as in Wood
// (2011), with Fellner-Schall updates (Wood & Fasiolo 2017) as the fallback.
// Matches R mgcv gam(..., method = "REML") - see docs/gam.md for the tolerances tested.

#include <vasostat/core/error.hpp>
#include <vasostat/gam/basis.hpp>
#include <vasostat/gam/detail/design.hpp>
#include <vasostat/gam/detail/family.hpp>
#include <vasostat/gam/detail/linalg.hpp>
#include <vasostat/gam/detail/smooth_test.hpp>
#include <vasostat/stats/distributions.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::gam {

/// Smoothing-parameter selection. mgcv's own default is GCV.Cp; vasostat's default is REML.
/// ml is the marginal likelihood (mgcv method = "ML": parametric and null-space coefficients
/// treated as fixed effects, so ML scores of models with different fixed effects compare).
enum class method : std::uint8_t { reml, gcv, fixed, ml };

struct fit_options {
  gam::method method = gam::method::reml;
  gam::family family = gam::family::gaussian;
  std::span<const double> weights = {};  ///< prior weights (binomial: number of trials)
  std::span<const double> offset = {};   ///< added to the linear predictor
  double gamma = 1.0;                    ///< GCV edf inflation (mgcv gamma)
  int max_iterations = 200;              ///< outer Newton iterations
  int max_pirls_iterations = 200;
  double tolerance = 1e-10;  ///< outer convergence: |gradient| <= tolerance * (1 + |score|)
  double pirls_tolerance = 1e-11;
};

/// One row of the parametric table (mgcv summary.gam p.table).
struct coefficient_test {
  double estimate = 0, std_error = 0, statistic = 0, p_value = 0;
};

/// One row of the smooth-term table (mgcv summary.gam s.table; Wood 2013a test).
struct smooth_test {
  double edf = 0;        ///< effective degrees of freedom
  double ref_df = 0;     ///< reference df of the test (mgcv Ref.df)
  double statistic = 0;  ///< F (scale estimated) or chi-squared (scale known)
  double p_value = 1;
};

/// A fitted GAM (a value: copy it, compare it, predict from it).
struct model {
  gam::family family = gam::family::gaussian;
  gam::method method = gam::method::reml;
  std::vector<smooth_basis> smooths;
  std::vector<Eigen::Index> smooth_first;  ///< index of each smooth's first coefficient
  Eigen::Index n_parametric = 1;           ///< intercept + covariates
  Eigen::VectorXd coefficients;            ///< intercept, covariates, then smooth blocks
  Eigen::MatrixXd vp;                      ///< Bayesian posterior covariance (mgcv Vp)
  Eigen::MatrixXd ve;                      ///< frequentist covariance (mgcv Ve)
  Eigen::VectorXd smoothing_parameters;    ///< lambda per smooth, on mgcv's penalty scale
  Eigen::VectorXd edf_per_coefficient;     ///< diag of F = (X'WX + S)^-1 X'WX
  std::vector<coefficient_test> parametric;  ///< intercept first
  std::vector<smooth_test> smooth_tests;
  double edf_total = 0;
  double residual_df = 0;
  double scale = 1;
  bool scale_estimated = true;
  double deviance = 0, null_deviance = 0, deviance_explained = 0, r_squared_adjusted = 0;
  double score = 0;  ///< minimised criterion: REML (negative log restricted likelihood) or GCV
  Eigen::VectorXd fitted;            ///< response scale
  Eigen::VectorXd linear_predictor;  ///< including the offset
  std::ptrdiff_t n = 0;
  bool converged = false;
  int iterations = 0;
  std::vector<std::string> warnings;
};

namespace detail {

struct rho_state {
  Eigen::VectorXd beta;
  Eigen::MatrixXd xtwx;
  Eigen::MatrixXd a;  // (X'WX + S)^-1
  double deviance = 0, penalty = 0, log_det_h = 0, score = 0;
  double saturated = 0;
  double reml_scale = 1;  ///< gamma: the scale profiled in the REML/ML criterion
  double reml_scale_curvature = 0;  ///< gamma: d2V/d(log phi)^2 at the profiled scale
  double rss_tail = 0, f_norm2 = 0;
  Eigen::VectorXd grad;
  Eigen::MatrixXd hess;
  // per smooth: tr(A S_j) and beta'S_j beta (the Fellner-Schall update); filled by the
  // spectral Gaussian evaluation, which forms neither beta nor A
  Eigen::VectorXd trace_as, quad_s;
  bool ok = true;
  bool pirls_converged = true;
  int pirls_iterations = 0;
};

/// B with B'B = D xtwx D (pivoted LDL', D the diagonal equilibration), stored in the
/// pivoted column order where it is upper triangular, and f solving B'f = P(d .* rhs).
/// Depends on the weights only, so Gaussian fits factor once for all smoothing parameters.
struct xtwx_factor {
  Eigen::VectorXd d, f;
  std::vector<Eigen::Index> perm, position;  // position[perm[j]] = j
  Eigen::MatrixXd top;
};

struct fitter {
  const design* x = nullptr;
  std::span<const double> y, w, off;
  gam::family fam = gam::family::gaussian;
  gam::method meth = gam::method::reml;
  const fit_options* opt = nullptr;
  const std::vector<smooth_basis>* bases = nullptr;
  std::vector<Eigen::Index> first;
  Eigen::Index p = 0, m = 0;
  double n = 0, mp = 0;  // observations, null-space dimension
  // gaussian sufficient statistics (z = y - offset - shift)
  Eigen::MatrixXd g_xtwx;
  Eigen::VectorXd g_xtwz;
  double g_zwz = 0, shift = 0;
  xtwx_factor g_factor;
  Eigen::MatrixXd u0;  ///< orthonormal basis of the null space of S_lambda (p x mp), for ML
  // Gaussian fits with one smoothing parameter: the Demmler-Reinsch form (spectral_prepare)
  bool spectral = false;
  /// T = Q'GG'Q (G = E C^-1, so GG' has the eigenvalues d_i > 0 of C^-T S C^-1): diagonal,
  /// sub-diagonal, and y = Q'G f
  std::vector<double> sp_diag, sp_off, sp_y;
  double sp_r0 = 0;             ///< z'z - ||C^-T X'z||^2: the unpenalized residual sum of squares
  double sp_log_det_xtx = 0;    ///< log|X'X|
  std::vector<double> sp_eigen;  ///< GCV only: the eigenvalues of T (tr K^-3 for the Hessian)

  /// ML needs log|H_RR| and H_RR^-1, H_RR = U1'HU1 the block of H on the range space of
  /// S_lambda (U1 fixed: the penalties act on disjoint blocks). With A = H^-1 and C = A U0:
  /// log|H_RR| = log|H| + log|U0'AU0| and U1 H_RR^-1 U1' = A - C (U0'C)^-1 C'. Writes the
  /// latter to `ar` and returns log|U0'AU0|.
  double range_inverse(const Eigen::MatrixXd& a, Eigen::MatrixXd& ar) const {
    const Eigen::MatrixXd c = a * u0;
    const Eigen::MatrixXd g = u0.transpose() * c;
    Eigen::MatrixXd r;
    cholesky_upper(0.5 * (g + g.transpose()), r);
    double ld = 0;
    for (Eigen::Index i = 0; i < r.rows(); ++i) ld += 2 * std::log(r(i, i));
    const Eigen::MatrixXd cr = c * upper_inverse(r, r.rows());
    ar = a - cr * cr.transpose();
    return ld;
  }

  [[nodiscard]] double wt(std::size_t i) const { return w.empty() ? 1.0 : w[i]; }

  [[nodiscard]] double of(std::size_t i) const { return off.empty() ? 0.0 : off[i]; }

  void add_penalty(Eigen::MatrixXd& h, const Eigen::VectorXd& lambda) const {
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto& s = (*bases)[static_cast<std::size_t>(j)].penalty;
      h.block(first[static_cast<std::size_t>(j)], first[static_cast<std::size_t>(j)], s.rows(),
              s.cols()) += lambda[j] * s;
    }
  }

  /// beta'S_j beta, as ||E_j beta_j||^2 (E_j'E_j = S_j): no cancellation when beta_j is
  /// nearly in the penalty null space, which matters once lambda_j is large
  [[nodiscard]] double quad(const Eigen::VectorXd& beta, Eigen::Index j) const {
    const auto& e = (*bases)[static_cast<std::size_t>(j)].penalty_root;
    const Eigen::Index f = first[static_cast<std::size_t>(j)];
    double q = 0;
    for (Eigen::Index r = 0; r < e.rows(); ++r) {
      double t = 0;
      for (Eigen::Index c = 0; c < e.cols(); ++c) t += e(r, c) * beta[f + c];
      q += t * t;
    }
    return q;
  }

  void factor(const Eigen::MatrixXd& xtwx, const Eigen::VectorXd& rhs, xtwx_factor& fa) const {
    fa.d.resize(p);
    for (Eigen::Index i = 0; i < p; ++i) {
      const double h = xtwx(i, i);
      fa.d[i] = h > 0 ? 1.0 / std::sqrt(h) : 1.0;
    }
    Eigen::MatrixXd xs(p, p);
    for (Eigen::Index j = 0; j < p; ++j)
      for (Eigen::Index i = 0; i < p; ++i) xs(i, j) = fa.d[i] * xtwx(i, j) * fa.d[j];
    const pivoted_ldlt ldlt(xs);
    const double dtol = std::max(ldlt.d.cwiseAbs().maxCoeff(), 1e-300) * 1e-14;
    fa.perm = ldlt.perm;
    fa.position.resize(static_cast<std::size_t>(p));
    for (Eigen::Index j = 0; j < p; ++j) fa.position[static_cast<std::size_t>(fa.perm[static_cast<std::size_t>(j)])] = j;
    fa.f.resize(p);
    for (Eigen::Index i = 0; i < p; ++i) {
      const Eigen::Index o = fa.perm[static_cast<std::size_t>(i)];
      fa.f[i] = fa.d[o] * rhs[o];
    }
    for (Eigen::Index i = 0; i < p; ++i)  // forward solve L g = P (d .* rhs)
      for (Eigen::Index k = 0; k < i; ++k) fa.f[i] -= ldlt.l(i, k) * fa.f[k];
    fa.top = Eigen::MatrixXd::Zero(p, p);
    for (Eigen::Index i = 0; i < p; ++i) {
      const double sq = ldlt.d[i] > dtol ? std::sqrt(ldlt.d[i]) : 0.0;
      fa.f[i] = sq > 0 ? fa.f[i] / sq : 0.0;
      for (Eigen::Index j = i; j < p; ++j) fa.top(i, j) = sq * ldlt.l(j, i);
    }
  }

  /// Solves (xtwx + S) beta = rhs stably (Wood 2011 §3): QR of [B; E D] with E'E = S_lambda
  /// (the condition number of the augmented factor is the square root of that of H). B is
  /// already triangular, so each Householder vector has 1 + rank(S) non-zeros. Fills beta,
  /// a = H^-1, log_det_h, rss_tail and f_norm2 (penalized deviance without cancellation).
  bool solve_factored(const xtwx_factor& fa, const Eigen::VectorXd& lambda, rho_state& st) const {
    Eigen::Index q = 0;
    for (Eigen::Index j = 0; j < m; ++j) q += (*bases)[static_cast<std::size_t>(j)].penalty_rank;
    Eigen::MatrixXd r = fa.top;                        // p x p, pivoted column order
    Eigen::MatrixXd pen = Eigen::MatrixXd::Zero(q, p);  // penalty rows, pivoted column order
    Eigen::Index r0 = 0;
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto& e = (*bases)[static_cast<std::size_t>(j)].penalty_root;
      const Eigen::Index fj = first[static_cast<std::size_t>(j)];
      const double sl = std::sqrt(lambda[j]);
      for (Eigen::Index c = 0; c < e.cols(); ++c) {
        const Eigen::Index col = fa.position[static_cast<std::size_t>(fj + c)];
        for (Eigen::Index rr = 0; rr < e.rows(); ++rr) pen(r0 + rr, col) = sl * e(rr, c) * fa.d[fj + c];
      }
      r0 += e.rows();
    }
    Eigen::VectorXd top_rhs = fa.f, tail = Eigen::VectorXd::Zero(q), work(p);
    for (Eigen::Index k = 0; k < p; ++k) {
      // Householder on (r(k,k), pen(:,k)); rows above k are untouched
      double tail2 = 0;
      for (Eigen::Index i = 0; i < q; ++i) tail2 += pen(i, k) * pen(i, k);
      if (tail2 == 0) continue;
      const double x0 = r(k, k);
      const double norm = std::sqrt(x0 * x0 + tail2);
      const double alpha = x0 > 0 ? -norm : norm;
      const double v0 = x0 - alpha;
      const double beta = 2 / (v0 * v0 + tail2);
      r(k, k) = alpha;
      const Eigen::Index rest = p - k - 1;
      if (rest > 0) {  // t = beta (v0 r(k, j) + pen(:, k)'pen(:, j)) for j > k, then the update
        auto t = work.head(rest);
        t.noalias() = pen.rightCols(rest).transpose() * pen.col(k);
        t += v0 * r.row(k).tail(rest).transpose();
        t *= beta;
        r.row(k).tail(rest) -= v0 * t.transpose();
        pen.rightCols(rest).noalias() -= pen.col(k) * t.transpose();
      }
      double t = v0 * top_rhs[k];
      for (Eigen::Index i = 0; i < q; ++i) t += pen(i, k) * tail[i];
      t *= beta;
      top_rhs[k] -= t * v0;
      for (Eigen::Index i = 0; i < q; ++i) tail[i] -= t * pen(i, k);
      for (Eigen::Index i = 0; i < q; ++i) pen(i, k) = 0;
    }
    double ld = 0;
    double rmax = 0;
    for (Eigen::Index i = 0; i < p; ++i) rmax = std::max(rmax, std::abs(r(i, i)));
    for (Eigen::Index i = 0; i < p; ++i) {
      if (!(std::abs(r(i, i)) > 1e-12 * rmax)) return false;
      ld += 2 * std::log(std::abs(r(i, i))) - 2 * std::log(fa.d[i]);
    }
    st.log_det_h = ld;
    Eigen::VectorXd beta_eq = top_rhs;
    upper_solve(r, beta_eq);
    st.beta.resize(p);
    for (Eigen::Index j = 0; j < p; ++j) {
      const Eigen::Index o = fa.perm[static_cast<std::size_t>(j)];
      st.beta[o] = fa.d[o] * beta_eq[j];
    }
    // ||[f;0] - M beta||^2 = ||Q'[f;0] tail||^2 ; f'f = the explained part of z'Wz
    st.rss_tail = tail.squaredNorm();
    st.f_norm2 = fa.f.squaredNorm();
    // A = D P' R^-1 R^-T P D; the dense product (twice the flops of a triangular one) is
    // vectorised and cheaper at these sizes than a strided triangular loop
    const Eigen::MatrixXd rinv = upper_inverse(r, p);
    const Eigen::MatrixXd rr = rinv * rinv.transpose();
    st.a.resize(p, p);
    for (Eigen::Index j = 0; j < p; ++j) {
      const Eigen::Index oj = fa.perm[static_cast<std::size_t>(j)];
      for (Eigen::Index i = 0; i < p; ++i) {
        const Eigen::Index oi = fa.perm[static_cast<std::size_t>(i)];
        st.a(oi, oj) = fa.d[oi] * rr(i, j) * fa.d[oj];
      }
    }
    return true;
  }

  bool solve(const Eigen::MatrixXd& xtwx, const Eigen::VectorXd& rhs, const Eigen::VectorXd& lambda,
             rho_state& st) const {
    xtwx_factor fa;
    factor(xtwx, rhs, fa);
    return solve_factored(fa, lambda, st);
  }

  [[nodiscard]] double log_det_s(const Eigen::VectorXd& rho) const {
    double s = 0;
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto& b = (*bases)[static_cast<std::size_t>(j)];
      s += b.penalty_rank * rho[j] + b.log_det_penalty;
    }
    return s;
  }

  // ---------------------------------------------------------------- gaussian
  void gaussian_accumulate() {
    g_xtwx = Eigen::MatrixXd::Zero(p, p);
    g_xtwz = Eigen::VectorXd::Zero(p);
    double sw = 0, swz = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      sw += wt(i);
      swz += wt(i) * (y[i] - of(i));
    }
    shift = sw > 0 ? swz / sw : 0.0;
    x->accumulate(
        [&](Eigen::Index i, double, double& wi, double& zi) {
          const auto ii = static_cast<std::size_t>(i);
          wi = wt(ii);
          zi = y[ii] - of(ii) - shift;
        },
        g_xtwx, g_xtwz, g_zwz);
    factor(g_xtwx, g_xtwz, g_factor);
    spectral_prepare();
  }

  /// Demmler-Reinsch form of a Gaussian fit with one penalty (Wood 2017 §5.4.2, §6.2): with
  /// X'X = C'C and G = E C^-1 (E'E = S, q x p, q = rank S), H = X'X + lambda S =
  /// C'(I + lambda G'G)C, and every quantity REML and GCV need is a function of the q x q
  /// K = I + lambda GG' and of Gf (f = C^-T X'z): log|H| = log|X'X| + log|K|, D_p = r0 +
  /// lambda (Gf)'K^-1(Gf), tr(A S) = tr(G'G (I + lambda G'G)^-1) = (q - tr K^-1)/lambda, and so
  /// on. GG' is reduced once to tridiagonal form T = Q'GG'Q (y = Q'Gf), O(q^3); then K =
  /// I + lambda T is tridiagonal for every lambda and each Newton evaluation is O(q)
  /// (spectral_eval) - no eigen-decomposition (its QR sweeps were a fifth of a small fit) and
  /// no QR of [B; sqrt(lambda) E] and H^-1 per trial lambda. C = B P D^-1 comes from the
  /// pivoted LDL' of X'X (factor), so this needs X'X itself well conditioned; if it is not (a
  /// penalty is what makes H invertible), or GG' is nearly singular, the QR path stays in use.
  /// Returns false then.
  bool spectral_prepare() {
    spectral = false;
    if (m != 1 || meth == gam::method::ml) return false;
    const xtwx_factor& fa = g_factor;
    double bmax = 0, bmin = std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < p; ++i) {
      bmax = std::max(bmax, std::abs(fa.top(i, i)));
      bmin = std::min(bmin, std::abs(fa.top(i, i)));
    }
    // cond(B) <= 1e6, i.e. the equilibrated X'X has condition number <= 1e12
    if (!(bmin > 1e-6 * bmax)) return false;
    const auto& e = (*bases)[0].penalty_root;
    const Eigen::Index f0 = first[0], q = e.rows();
    if (q < 1) return false;
    // G = E~ B^-1 (q x p) with E~ = E in the pivoted, equilibrated coordinates: B'G' = E~'
    Eigen::MatrixXd g = Eigen::MatrixXd::Zero(q, p);
    for (Eigen::Index c = 0; c < e.cols(); ++c) {
      const Eigen::Index col = fa.position[static_cast<std::size_t>(f0 + c)];
      for (Eigen::Index r = 0; r < q; ++r) g(r, col) = e(r, c) * fa.d[f0 + c];
    }
    for (Eigen::Index j = 0; j < p; ++j) {  // column by column: G(:, j) B(j, j) = E~(:, j) - ...
      for (Eigen::Index k = 0; k < j; ++k) g.col(j) -= fa.top(k, j) * g.col(k);
      g.col(j) /= fa.top(j, j);
    }
    const Eigen::MatrixXd ggt = g * g.transpose();
    Eigen::MatrixXd proj = g * fa.f;
    sym_tridiagonalize(ggt, sp_diag, sp_off, nullptr, &proj);
    sp_y.assign(proj.data(), proj.data() + q);
    // conditioning of GG' (the eigen form asked d_min > 1e-10 d_max): 1/tr(T^-1) lies in
    // [d_min/q, d_min] and tr T >= d_max, so this is that test, at most q^2 times stricter.
    // T's pivots are all >= d_min > 0 in exact arithmetic; a non-positive one means no.
    double trace_t = 0;
    for (Eigen::Index i = 0; i < q; ++i) trace_t += sp_diag[static_cast<std::size_t>(i)];
    const double tr_inv = tridiagonal_inverse_trace(0.0, 1.0);
    if (!(tr_inv > 0) || !(1 / tr_inv > 1e-10 * trace_t)) return false;
    sp_r0 = g_zwz - fa.f.squaredNorm();
    sp_log_det_xtx = 0;
    for (Eigen::Index i = 0; i < p; ++i)
      sp_log_det_xtx += 2 * std::log(std::abs(fa.top(i, i))) - 2 * std::log(fa.d[i]);
    sp_eigen.clear();
    if (meth == gam::method::gcv) {
      Eigen::MatrixXd t = Eigen::MatrixXd::Zero(q, q);
      for (Eigen::Index i = 0; i < q; ++i) {
        t(i, i) = sp_diag[static_cast<std::size_t>(i)];
        if (i + 1 < q) t(i + 1, i) = t(i, i + 1) = sp_off[static_cast<std::size_t>(i)];
      }
      Eigen::VectorXd ev;
      Eigen::MatrixXd evec;
      sym_eigen(t, ev, evec);
      sp_eigen.assign(ev.data(), ev.data() + q);
    }
    spectral = true;
    return true;
  }

  /// tr(K^-1) for K = c0 I + c1 T (T = sp_diag, sp_off), from the forward and backward pivots:
  /// (K^-1)_ii = 1/(pi+_i + pi-_i - K_ii). Returns -1 if a pivot is not positive.
  [[nodiscard]] double tridiagonal_inverse_trace(double c0, double c1) const {
    const std::size_t q = sp_diag.size();
    std::vector<double> fwd(q);
    double prev = 0;
    for (std::size_t i = 0; i < q; ++i) {
      const double k = c0 + c1 * sp_diag[i];
      const double c = i > 0 ? c1 * sp_off[i - 1] : 0.0;
      fwd[i] = i > 0 ? k - c * c / prev : k;
      if (!(fwd[i] > 0)) return -1;
      prev = fwd[i];
    }
    double tr = 0, bwd = 0;
    for (std::size_t i = q; i-- > 0;) {
      const double k = c0 + c1 * sp_diag[i];
      const double c = i + 1 < q ? c1 * sp_off[i] : 0.0;
      bwd = i + 1 < q ? k - c * c / bwd : k;
      if (!(bwd > 0)) return -1;
      const double gam = fwd[i] + bwd - k;
      if (!(gam > 0)) return -1;
      tr += 1 / gam;
    }
    return tr;
  }

  /// Gaussian REML / GCV score, gradient and (REML) Hessian in the Demmler-Reinsch form:
  /// O(q) per call (see spectral_prepare). beta and A are not formed; trace_as and quad_s are.
  rho_state spectral_eval(const Eigen::VectorXd& rho, int order) const {
    rho_state st;
    const double lambda = std::exp(rho[0]);
    const std::size_t q = sp_diag.size();
    // K = I + lambda T (K >= I, so every pivot is >= 1): LDL' pivots forward (pf) and backward,
    // log|K| = sum log pf; (K^-1)_jj = 1/(pf_j + pb_j - K_jj); for i < j
    // (K^-1)_ij = (K^-1)_jj prod_{m=i}^{j-1} (-c_m/pf_m) (c = lambda sp_off), so
    // ||K^-1||_F^2 = sum_j (K^-1)_jj^2 (1 + 2 S_j), S_j = r_{j-1} (1 + S_{j-1}), r_m = (c_m/pf_m)^2.
    // With s1 = K^-1 y, s2 = K^-1 s1 (y = Q'Gf) and, in the eigenbasis of T, t_i = lambda d_i:
    //   l1 = sum t/(1+t) = q - tr K^-1,  l2 = sum t/(1+t)^2 = tr K^-1 - ||K^-1||_F^2,
    //   D_p = r0 + lambda y's1, dD_p/drho = lambda beta'S beta = lambda s1's1,
    //   d2D_p/drho2 = lambda (2 s1's2 - s1's1), deviance D = D_p - lambda s1's1,
    //   dD/drho = 2 lambda (s1's1 - s1's2).
    double buf[256];
    std::vector<double> heap;
    double* pf = buf;
    if (q > 64) {
      heap.resize(4 * q);
      pf = heap.data();
    }
    double* const fw = pf + q;       // forward-substituted right-hand sides
    double* const s1 = pf + 2 * q;   // K^-1 y
    double* const dinv = pf + 3 * q;  // (K^-1)_jj; first the reciprocal pivots 1/pf
    double l0 = 0, prod = 1;  // log|K| = sum log pf: a running product, one log per 1e150
    for (std::size_t i = 0; i < q; ++i) {
      const double k = 1 + lambda * sp_diag[i];
      if (i == 0) {
        pf[i] = k;
        fw[i] = sp_y[i];
      } else {
        const double c = lambda * sp_off[i - 1], l = c * dinv[i - 1];
        pf[i] = k - l * c;
        fw[i] = sp_y[i] - l * fw[i - 1];
      }
      dinv[i] = 1 / pf[i];
      if (pf[i] > 1e100) {
        l0 += std::log(pf[i]);
      } else {
        prod *= pf[i];
        if (prod > 1e150) {
          l0 += std::log(prod);
          prod = 1;
        }
      }
    }
    l0 += std::log(prod);
    for (std::size_t i = q; i-- > 0;)  // s1 = L'^-1 D^-1 w
      s1[i] = i + 1 < q ? (fw[i] - lambda * sp_off[i] * s1[i + 1]) * dinv[i] : fw[i] * dinv[i];
    for (std::size_t i = 0; i < q; ++i)  // forward sweep for s2 = K^-1 s1 (reuses w)
      fw[i] = i == 0 ? s1[i] : s1[i] - lambda * sp_off[i - 1] * dinv[i - 1] * fw[i - 1];
    double ys1 = 0, s1s1 = 0, s1s2 = 0, s2s2 = 0, tr_inv = 0, fro = 0, pb = 0, s2 = 0;
    for (std::size_t i = q; i-- > 0;) {  // back sweep for s2, backward pivots, (K^-1)_ii
      const double k = 1 + lambda * sp_diag[i];
      const double c = i + 1 < q ? lambda * sp_off[i] : 0.0;
      s2 = (fw[i] - c * s2) * dinv[i];
      pb = i + 1 < q ? k - c * c / pb : k;
      fw[i] = lambda * sp_off[i] * dinv[i];  // r_i = c_i / pf_i for the Frobenius norm below
      dinv[i] = 1 / (pf[i] + pb - k);
      ys1 += sp_y[i] * s1[i];
      s1s1 += s1[i] * s1[i];
      s1s2 += s1[i] * s2;
      s2s2 += s2 * s2;
      tr_inv += dinv[i];
      fro += dinv[i] * dinv[i];
    }
    {  // the off-diagonal part of ||K^-1||_F^2
      double sj = 0;
      for (std::size_t j = 1; j < q; ++j) {
        const double r = fw[j - 1];
        sj = r * r * (1 + sj);
        fro += 2 * dinv[j] * dinv[j] * sj;
      }
    }
    const double dq = static_cast<double>(q);
    const double l1 = dq - tr_inv, l2 = tr_inv - fro;
    double dp = sp_r0 + lambda * ys1;
    const double dp1 = lambda * s1s1, dp2 = lambda * (2 * s1s2 - s1s1);
    const double dev = dp - dp1, dd = 2 * lambda * (s1s1 - s1s2);
    dp = std::max(dp, 1e-300);
    st.log_det_h = sp_log_det_xtx + l0;
    st.penalty = dp1;
    st.deviance = std::max(dev, 0.0);
    st.trace_as = Eigen::VectorXd::Constant(1, l1 / lambda);
    st.quad_s = Eigen::VectorXd::Constant(1, dp1 / lambda);
    if (meth != gam::method::gcv) {
      const double nu = n - mp;
      st.score = 0.5 * nu * (1 + std::log(2 * std::numbers::pi * dp / nu)) + 0.5 * st.log_det_h -
                 0.5 * log_det_s(rho);
      // 0.5 (l1 - rank) = 0.5 (q - rank) - 0.5 tr K^-1 (rank = q): no cancellation
      const double rank = (*bases)[0].penalty_rank;
      if (order >= 1)
        st.grad = Eigen::VectorXd::Constant(1, nu * dp1 / (2 * dp) + 0.5 * (dq - rank) - 0.5 * tr_inv);
      if (order >= 2)
        st.hess = Eigen::MatrixXd::Constant(1, 1, nu / (2 * dp) * dp2 - nu / (2 * dp * dp) * dp1 * dp1 + 0.5 * l2);
    } else {
      // GCV: n D / (n - gamma tau)^2, tau = tr F = p - L1, dtau/drho = -L2,
      // d2tau/drho2 = tr K^-1 - 3 tr K^-2 + 2 tr K^-3, d2D/drho2 = 2 lambda (4 s1's2 - s1's1 - 3 s2's2)
      const double g = opt->gamma;
      const double denom = n - g * (static_cast<double>(p) - l1);
      const double d = st.deviance;
      st.score = n * d / (denom * denom);
      const double dtau = -l2;
      if (order >= 1)
        st.grad = Eigen::VectorXd::Constant(
            1, n * dd / (denom * denom) + 2 * n * g * d * dtau / (denom * denom * denom));
      if (order >= 2) {
        double tr3 = 0;
        for (const double ev : sp_eigen) {
          const double u = 1 / (1 + lambda * ev);
          tr3 += u * u * u;
        }
        const double d2tau = tr_inv - 3 * fro + 2 * tr3;
        const double d2d = 2 * lambda * (4 * s1s2 - s1s1 - 3 * s2s2);
        const double den2 = denom * denom, den3 = den2 * denom;
        st.hess = Eigen::MatrixXd::Constant(
            1, 1, n * d2d / den2 + 4 * n * g * dd * dtau / den3 + 2 * n * g * d * d2tau / den3 +
                      6 * n * g * g * d * dtau * dtau / (den3 * denom));
      }
    }
    return st;
  }

  /// Gaussian REML / GCV score, exact gradient, and (REML) exact Hessian at rho.
  rho_state gaussian_eval(const Eigen::VectorXd& rho, int order) const {
    if (spectral) return spectral_eval(rho, order);
    return gaussian_eval_qr(rho, order);
  }

  /// gaussian_eval through the QR of [B; sqrt(lambda) E]: any number of smooths; also forms
  /// beta and A = H^-1.
  rho_state gaussian_eval_qr(const Eigen::VectorXd& rho, int order) const {
    rho_state st;
    const Eigen::VectorXd lambda = rho.array().exp().matrix();
    st.xtwx = g_xtwx;
    if (!solve_factored(g_factor, lambda, st)) {
      st.ok = false;
      return st;
    }
    double pen = 0;
    std::vector<double> qk(static_cast<std::size_t>(m));
    for (Eigen::Index j = 0; j < m; ++j) {
      qk[static_cast<std::size_t>(j)] = quad(st.beta, j);
      pen += lambda[j] * qk[static_cast<std::size_t>(j)];
    }
    // penalized deviance = (z'Wz - f'f) + ||[f; 0] - [B; E] beta||^2, no cancellation
    const double dp = std::max(g_zwz - st.f_norm2 + st.rss_tail, 1e-300);
    st.penalty = pen;
    st.deviance = std::max(dp - pen, 0.0);
    // per-smooth pieces: P_k = A[:, J_k] S_k, t_k = lambda_k tr(A S_k), dbeta_k
    // ML: the log-determinant terms use A_R = U1 H_RR^-1 U1' in place of A (Wood 2011 §2.1)
    const bool ml = meth == gam::method::ml;
    Eigen::MatrixXd ar;
    double ld_null = 0;
    if (ml) ld_null = range_inverse(st.a, ar);
    std::vector<Eigen::MatrixXd> pk(static_cast<std::size_t>(m));
    Eigen::VectorXd tk(m), bk(m);
    Eigen::MatrixXd dbeta(p, m);
    // the REML/ML score alone (order 0) needs none of these
    for (Eigen::Index j = 0; j < m && (order >= 1 || meth == gam::method::gcv); ++j) {
      const auto& s = (*bases)[static_cast<std::size_t>(j)].penalty;
      const Eigen::Index f = first[static_cast<std::size_t>(j)];
      const Eigen::MatrixXd pa = st.a.middleCols(f, s.cols()) * s;
      bk[j] = lambda[j] * qk[static_cast<std::size_t>(j)];
      dbeta.col(j) = -lambda[j] * (pa * st.beta.segment(f, s.rows()));
      pk[static_cast<std::size_t>(j)] = ml ? Eigen::MatrixXd(ar.middleCols(f, s.cols()) * s) : pa;
      tk[j] = lambda[j] * pk[static_cast<std::size_t>(j)].middleRows(f, s.rows()).trace();
    }
    const auto trace_pp = [&](Eigen::Index k, Eigen::Index l) {
      const Eigen::Index fk = first[static_cast<std::size_t>(k)], fl = first[static_cast<std::size_t>(l)];
      const auto& a = pk[static_cast<std::size_t>(k)];
      const auto& b = pk[static_cast<std::size_t>(l)];
      return a.middleRows(fl, b.cols()).cwiseProduct(b.middleRows(fk, a.cols()).transpose()).sum();
    };
    if (meth != gam::method::gcv) {
      const double nu = ml ? n : n - mp;
      st.score = 0.5 * nu * (1 + std::log(2 * std::numbers::pi * dp / nu)) +
                 0.5 * (st.log_det_h + ld_null) - 0.5 * log_det_s(rho);
      if (order >= 1) {
        st.grad.resize(m);
        for (Eigen::Index k = 0; k < m; ++k)
          st.grad[k] = nu * bk[k] / (2 * dp) + 0.5 * tk[k] -
                       0.5 * (*bases)[static_cast<std::size_t>(k)].penalty_rank;
      }
      if (order >= 2) {
        st.hess.resize(m, m);
        for (Eigen::Index k = 0; k < m; ++k) {
          const auto& s = (*bases)[static_cast<std::size_t>(k)].penalty;
          const Eigen::Index fk = first[static_cast<std::size_t>(k)];
          for (Eigen::Index l = 0; l <= k; ++l) {
            const double skdb = st.beta.segment(fk, s.rows()).dot(s * dbeta.col(l).segment(fk, s.rows()));
            double d2dp = 2 * lambda[k] * skdb + (k == l ? bk[k] : 0.0);
            double d2h = -lambda[k] * lambda[l] * trace_pp(k, l) + (k == l ? tk[k] : 0.0);
            const double h = nu / (2 * dp) * d2dp - nu / (2 * dp * dp) * bk[k] * bk[l] + 0.5 * d2h;
            st.hess(k, l) = st.hess(l, k) = h;
          }
        }
      }
    } else {
      st.score = gcv_score(st, lambda);
      if (order >= 1) gcv_derivatives(lambda, st, st.a, dbeta, weight_sums{}, order);
    }
    return st;
  }

  // ---------------------------------------------------------------- glm (pirls)
  rho_state pirls(const Eigen::VectorXd& rho, const Eigen::VectorXd& start) const {
    rho_state st;
    const Eigen::VectorXd lambda = rho.array().exp().matrix();
    Eigen::VectorXd beta = start;
    Eigen::VectorXd beta_old = start;
    double pdev_old = std::numeric_limits<double>::infinity();
    Eigen::MatrixXd xtwx(p, p);
    Eigen::VectorXd xtwz(p);
    st.pirls_converged = false;
    // gamma-log is not canonical: the Laplace REML/ML needs H with the Newton weights y / mu
    // (Wood 2011 §3.3), which are positive, so PIRLS runs with them (same fixed point); GCV
    // uses the Fisher weights, as mgcv does
    const bool newton_weights = fam == gam::family::gamma && meth != gam::method::gcv;
    int halvings = 0, polish = 0;
    for (int it = 0; it < opt->max_pirls_iterations; ++it) {
      // pass: deviance at beta, weights and working response
      double dev = 0, zwz = 0;
      const Eigen::VectorXd beta_raw = x->to_raw(beta);
      x->accumulate(
          [&](Eigen::Index i, double eta, double& wi, double& zi) {
            const auto ii = static_cast<std::size_t>(i);
            const double e = eta + of(ii);
            const double mu = linkinv(fam, e);
            const double me = mu_eta(fam, e, mu);
            dev += deviance_residual(fam, y[ii], mu, wt(ii));
            if (newton_weights) {
              double wn = 0, dwn = 0;
              irls_weight(fam, y[ii], mu, wn, dwn);
              wi = wt(ii) * wn;
              zi = working_response(fam, eta, y[ii], mu, me);
            } else {
              wi = wt(ii) * me * me / variance(fam, mu);
              zi = eta + (y[ii] - mu) / me;
            }
          },
          xtwx, xtwz, zwz, beta_raw.data());
      double pen = 0;
      for (Eigen::Index j = 0; j < m; ++j) pen += lambda[j] * quad(beta, j);
      const double pdev = dev + pen;
      const bool conv = std::abs(pdev - pdev_old) < opt->pirls_tolerance * (std::abs(pdev) + 0.1);
      if (!std::isfinite(pdev) || (!conv && pdev > pdev_old && it > 0)) {
        // step halving towards the previous iterate
        if (++halvings > 30) break;
        beta = 0.5 * (beta + beta_old);
        --it;
        continue;
      }
      halvings = 0;
      st.deviance = dev;
      st.penalty = pen;
      st.beta = beta;
      st.xtwx = xtwx;
      st.pirls_iterations = it + 1;
      rho_state next;
      if (!solve(xtwx, xtwz, lambda, next)) {
        st.ok = false;
        return st;
      }
      st.a = next.a;
      st.log_det_h = next.log_det_h;
      // the penalized deviance is stationary in beta, so its change alone leaves beta accurate
      // to only ~sqrt(tolerance), while the outer derivatives (and GCV's deviance) are first
      // order in beta: a few more steps (each squares a Newton iteration's error; Fisher
      // scoring, gamma GCV, converges linearly) until the step is below the tolerance
      const double step = (next.beta - beta).cwiseAbs().maxCoeff();
      if (conv && (step <= opt->pirls_tolerance * (1 + beta.cwiseAbs().maxCoeff()) || ++polish > 4)) {
        st.pirls_converged = true;
        break;
      }
      pdev_old = pdev;
      beta_old = beta;
      beta = next.beta;
    }
    return st;
  }

  /// Minimises f(u) = dp e^-u / 2 - ls(e^u) - (mp/2) u over u = log phi (gamma family) by
  /// safeguarded Newton from phi = dp / (n - mp); writes ls and f''(u) at the optimum to
  /// `ls_out` and `curvature`.
  double gamma_profile_scale(double dp, double mpp, double& ls_out, double& curvature) const {
    const double* wp = w.empty() ? nullptr : w.data();
    double u = std::log(std::max(dp, 1e-300) / std::max(n - mpp, 1.0));
    double ls = 0, d1 = 0, d2 = 0;
    const auto value = [&](double uu) {
      gamma_saturated(y.data(), wp, y.size(), std::exp(uu), ls, d1, d2);
      return 0.5 * dp * std::exp(-uu) - ls - 0.5 * mpp * uu;
    };
    double f = value(u);
    for (int it = 0; it < 100; ++it) {
      const double g = -0.5 * dp * std::exp(-u) - d1 - 0.5 * mpp;
      const double h = 0.5 * dp * std::exp(-u) - d2;
      double step = h > 0 ? -g / h : (g > 0 ? -1.0 : 1.0);
      step = std::clamp(step, -5.0, 5.0);
      // near the optimum f is flat to rounding: a small Newton step is taken even if f rises by
      // rounding (refusing it would leave u off the optimum by up to ~sqrt(eps |f| / f''), and
      // the REML gradient and Hessian with it)
      const auto acceptable = [&](double fv, double sv) {
        return fv <= f || (std::abs(sv) < 1e-6 && fv <= f + 1e-12 * (1 + std::abs(f)));
      };
      double un = u + step, fn = value(un);
      for (int half = 0; half < 60 && !acceptable(fn, step); ++half) {
        step *= 0.5;
        un = u + step;
        fn = value(un);
      }
      if (!acceptable(fn, step)) break;
      u = un;
      f = fn;
      if (std::abs(step) < 1e-14 * (1 + std::abs(u))) break;
    }
    value(u);
    ls_out = ls;
    curvature = 0.5 * dp * std::exp(-u) - d2;
    return std::exp(u);
  }

  rho_state glm_eval(const Eigen::VectorXd& rho, const Eigen::VectorXd& start, int order) const {
    rho_state st = pirls(rho, start);
    if (!st.ok) return st;
    const Eigen::VectorXd lambda = rho.array().exp().matrix();
    st.saturated = 0;
    for (std::size_t i = 0; i < y.size(); ++i) st.saturated += saturated_loglik(fam, y[i], wt(i));
    if (meth == gam::method::gcv) {
      st.score = gcv_score(st, lambda);
      if (order >= 1) glm_derivatives(rho, st, order);
      return st;
    }
    const bool ml = meth == gam::method::ml;
    Eigen::MatrixXd ar;
    double ld_null = 0;
    if (ml) ld_null = range_inverse(st.a, ar);
    if (fam == gam::family::gamma) {
      // unknown scale (Wood 2011 §4; mgcv treats log phi as one more Newton coordinate):
      // V = D_p/(2 phi) - ls(phi) + log|H|/2 - log|S|+/2 - (M_p/2) log(2 pi phi) with ls the
      // exact gamma saturated log-likelihood (ML: no M_p term). Minimised here over u = log phi
      // for the current beta (which does not depend on phi), so V(rho) is the profile and its
      // rho-gradient at the profiled phi is the joint gradient (envelope theorem).
      const double phi = st.reml_scale =
          gamma_profile_scale(st.deviance + st.penalty, ml ? 0.0 : mp, st.saturated, st.reml_scale_curvature);
      st.score = (st.deviance + st.penalty) / (2 * phi) - st.saturated + 0.5 * (st.log_det_h + ld_null) -
                 0.5 * log_det_s(rho) - (ml ? 0.0 : 0.5 * mp * std::log(2 * std::numbers::pi * phi));
    } else {
      st.score = 0.5 * st.deviance - st.saturated + 0.5 * st.penalty + 0.5 * (st.log_det_h + ld_null) -
                 0.5 * log_det_s(rho) - (ml ? 0.0 : 0.5 * mp * std::log(2 * std::numbers::pi));
    }
    if (order >= 1) glm_derivatives(rho, st, order);
    return st;
  }

  // ---------------------------------------------------------------- exact outer derivatives
  // Wood (2011 §4): with H = X'WX + S_lambda, W the Newton weights (which depend on eta),
  // dbeta_k = -lambda_k H^-1 S_k beta, dH_k = X' diag(w' . X dbeta_k) X + lambda_k S_k and
  // d2beta_kl = -H^-1 (dH_k dbeta_l + lambda_l S_l dbeta_k + [k = l] lambda_k S_k beta);
  // d2H_kl adds X' diag(w'' . X dbeta_k . X dbeta_l + w' . X d2beta_kl) X. Every trace these
  // need is either p x p algebra or a per-row sum, collected in one pass over the data.

  /// Per-row sums of one pass (zero for Gaussian fits, whose weights do not depend on eta),
  /// for a symmetric p x p matrix M and c_i = x_i'M x_i, e_k = X dbeta_k:
  struct weight_sums {
    Eigen::VectorXd t;        ///< sum_i w'_i c_i e_ki  (empty: zero)
    Eigen::MatrixXd q;        ///< sum_i w''_i c_i e_ki e_li  (empty: zero)
    Eigen::VectorXd u_raw;    ///< sum_i w'_i c_i x_i, raw space  (empty: zero)
    std::vector<Eigen::MatrixXd> dh_beta;  ///< X' diag(w'_i e_ki) X, Newton weights  (empty: zero)
    bool criterion_weights = true;  ///< the criterion's H has these eta-dependent weights too
  };

  /// S_j v (v in the full coefficient space), embedded in the full space.
  [[nodiscard]] Eigen::VectorXd penalty_times(Eigen::Index j, const Eigen::VectorXd& v) const {
    const auto& s = (*bases)[static_cast<std::size_t>(j)].penalty;
    const Eigen::Index f = first[static_cast<std::size_t>(j)];
    Eigen::VectorXd r = Eigen::VectorXd::Zero(p);
    r.segment(f, s.rows()).noalias() = s * v.segment(f, s.rows());
    return r;
  }

  /// tr(M_jj S_j) for a p x p matrix M (S_j symmetric).
  [[nodiscard]] double block_trace(const Eigen::MatrixXd& mat, Eigen::Index j) const {
    const auto& s = (*bases)[static_cast<std::size_t>(j)].penalty;
    const Eigen::Index f = first[static_cast<std::size_t>(j)];
    return mat.block(f, f, s.rows(), s.cols()).cwiseProduct(s).sum();
  }

  /// dbeta_k = -lambda_k A S_k beta, one column per smooth.
  [[nodiscard]] Eigen::MatrixXd beta_derivatives(const Eigen::VectorXd& lambda, const Eigen::VectorXd& beta,
                                                 const Eigen::MatrixXd& a) const {
    Eigen::MatrixXd db(p, m);
    for (Eigen::Index j = 0; j < m; ++j) {
      const auto& s = (*bases)[static_cast<std::size_t>(j)].penalty;
      const Eigen::Index f = first[static_cast<std::size_t>(j)];
      db.col(j).noalias() = -lambda[j] * (a.middleCols(f, s.cols()) * (s * beta.segment(f, s.rows())));
    }
    return db;
  }

  /// d2beta_kl for l <= k, stored at k (k + 1) / 2 + l.
  [[nodiscard]] std::vector<Eigen::VectorXd> beta_second_derivatives(const Eigen::VectorXd& lambda,
                                                                     const Eigen::VectorXd& beta,
                                                                     const Eigen::MatrixXd& a,
                                                                     const Eigen::MatrixXd& dbeta,
                                                                     const weight_sums& ws) const {
    std::vector<Eigen::VectorXd> out;
    for (Eigen::Index k = 0; k < m; ++k)
      for (Eigen::Index l = 0; l <= k; ++l) {
        Eigen::VectorXd r = lambda[k] * penalty_times(k, dbeta.col(l)) + lambda[l] * penalty_times(l, dbeta.col(k));
        if (!ws.dh_beta.empty()) r.noalias() += ws.dh_beta[static_cast<std::size_t>(k)] * dbeta.col(l);
        if (k == l) r += lambda[k] * penalty_times(k, beta);
        out.emplace_back(-(a * r));
      }
    return out;
  }

  /// dH_k = X' diag(w' e_k) X + lambda_k S_k (the weight part only when `with_weights`).
  [[nodiscard]] Eigen::MatrixXd h_derivative(Eigen::Index k, const Eigen::VectorXd& lambda, const weight_sums& ws,
                                             bool with_weights) const {
    Eigen::MatrixXd dh = with_weights && !ws.dh_beta.empty() ? ws.dh_beta[static_cast<std::size_t>(k)]
                                                              : Eigen::MatrixXd::Zero(p, p);
    const auto& s = (*bases)[static_cast<std::size_t>(k)].penalty;
    const Eigen::Index f = first[static_cast<std::size_t>(k)];
    dh.block(f, f, s.rows(), s.cols()) += lambda[k] * s;
    return dh;
  }

  /// u'd2beta for the raw-space sum u (zero when u is empty).
  [[nodiscard]] double raw_dot(const Eigen::VectorXd& u_raw, const Eigen::VectorXd& v) const {
    return u_raw.size() == 0 ? 0.0 : u_raw.dot(x->to_raw(v));
  }

  /// One pass over the data at beta: the weight_sums for c_i = x_i'M x_i (criterion_weights
  /// false: the criterion's weights do not depend on eta, only dh_beta is formed), and with
  /// order >= 2 the m matrices X' diag(w' e_k) X (m more passes).
  weight_sums weight_pass(const Eigen::VectorXd& beta, const Eigen::MatrixXd& dbeta, const Eigen::MatrixXd& c_mat,
                          bool criterion_weights, int order) const {
    weight_sums ws;
    ws.criterion_weights = criterion_weights;
    const Eigen::Index pr = x->p_raw;
    ws.t = Eigen::VectorXd::Zero(m);
    ws.q = Eigen::MatrixXd::Zero(m, m);
    ws.u_raw = Eigen::VectorXd::Zero(pr);
    const Eigen::VectorXd beta_raw = x->to_raw(beta);
    Eigen::MatrixXd db_raw(pr, m);
    for (Eigen::Index j = 0; j < m; ++j) db_raw.col(j) = x->to_raw(Eigen::VectorXd(dbeta.col(j)));
    const Eigen::MatrixXd c_raw = criterion_weights ? x->to_raw(c_mat) : Eigen::MatrixXd();
    std::vector<double> dw(order >= 2 ? y.size() : 0);
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(pr));
    std::vector<double> val(static_cast<std::size_t>(pr));
    std::vector<double> e(static_cast<std::size_t>(m));
    x->for_each_row([&](Eigen::Index i, const double* par, const Eigen::Index* nf, const double* nv) {
      const auto ii = static_cast<std::size_t>(i);
      const double mu = linkinv(fam, x->row_dot(par, nf, nv, beta_raw.data()) + of(ii));
      double w0 = 0, w1 = 0, w2 = 0;
      irls_weight(fam, y[ii], mu, w0, w1, w2);
      w1 *= wt(ii);
      w2 *= wt(ii);
      if (order >= 2) dw[ii] = w1;
      if (!criterion_weights) return;
      const double c = x->row_quad(par, nf, nv, c_raw, idx.data(), val.data());
      for (Eigen::Index k = 0; k < m; ++k) e[static_cast<std::size_t>(k)] = x->row_dot(par, nf, nv, &db_raw(0, k));
      for (Eigen::Index k = 0; k < m; ++k) {
        const double ek = e[static_cast<std::size_t>(k)];
        ws.t[k] += w1 * c * ek;
        for (Eigen::Index l = 0; l <= k; ++l) ws.q(k, l) += w2 * c * ek * e[static_cast<std::size_t>(l)];
      }
      const double s = w1 * c;
      for (Eigen::Index col = 0; col < x->n_parametric; ++col) ws.u_raw[col] += s * par[col];
      for (std::size_t sm = 0; sm < x->xs.size(); ++sm)
        for (int r = 0; r < x->nnz(sm); ++r) ws.u_raw[nf[sm] + r] += s * nv[sm * 16 + static_cast<std::size_t>(r)];
    });
    ws.q = ws.q.selfadjointView<Eigen::Lower>();
    if (order >= 2) {
      ws.dh_beta.resize(static_cast<std::size_t>(m));
      for (Eigen::Index k = 0; k < m; ++k) {
        Eigen::MatrixXd u;
        Eigen::VectorXd v;
        double unused = 0;
        // eta of this pass is e_k = x_i'dbeta_k
        x->accumulate_raw(
            [&](Eigen::Index i, double ek, double& wi, double& zi) {
              wi = dw[static_cast<std::size_t>(i)] * ek;
              zi = 0;
            },
            u, v, unused, &db_raw(0, k));
        ws.dh_beta[static_cast<std::size_t>(k)] = x->from_raw(u);
      }
    }
    return ws;
  }

  /// tau = tr F = p - sum_j lambda_j tr(A S_j).
  [[nodiscard]] double effective_df(const rho_state& st, const Eigen::VectorXd& lambda) const {
    double tau = static_cast<double>(p);
    for (Eigen::Index j = 0; j < m; ++j) tau -= lambda[j] * block_trace(st.a, j);
    return tau;
  }

  /// Known scale (binomial, poisson): UBRE D/n - 1 + 2 gamma tau/n; otherwise GCV
  /// n D/(n - gamma tau)^2 (mgcv's GCV.Cp).
  [[nodiscard]] bool ubre() const { return fam == gam::family::binomial || fam == gam::family::poisson; }

  [[nodiscard]] double gcv_score(const rho_state& st, const Eigen::VectorXd& lambda) const {
    const double tau = effective_df(st, lambda);
    if (ubre()) return st.deviance / n - 1 + 2 * opt->gamma * tau / n;
    const double denom = n - opt->gamma * tau;
    return n * st.deviance / (denom * denom);
  }

  /// Exact gradient (and Hessian, order 2) of the GCV/UBRE score of `st` (A_c = st.a, the
  /// criterion's H^-1; a_beta the Newton-weight H^-1 that moves beta). With S = S_lambda,
  /// C = A_c S, G = C A_c, B_k = A_c dH_k: dD_k = -2 (S beta)'dbeta_k,
  /// d2D_kl = -2 [lambda_l (S_l beta)'dbeta_k + dbeta_l'S dbeta_k + (S beta)'d2beta_kl],
  /// dtau_k = tr(B_k C) - lambda_k tr(A_c S_k),
  /// d2tau_kl = -tr(B_l B_k C) - tr(B_k B_l C) + tr(d2H_kl G) + lambda_l tr(B_k A_c S_l)
  ///            + lambda_k tr(B_l A_c S_k) - [k = l] lambda_k tr(A_c S_k).
  void gcv_derivatives(const Eigen::VectorXd& lambda, rho_state& st, const Eigen::MatrixXd& a_beta,
                       const Eigen::MatrixXd& dbeta, const weight_sums& ws, int order) const {
    const Eigen::MatrixXd& a = st.a;
    Eigen::MatrixXd sl = Eigen::MatrixXd::Zero(p, p);
    add_penalty(sl, lambda);
    const Eigen::VectorXd sb = sl * st.beta;
    const Eigen::MatrixXd c = a * sl;
    const Eigen::MatrixXd g = c * a;
    Eigen::VectorXd dd(m), dtau(m), tas(m), tsg(m);
    for (Eigen::Index k = 0; k < m; ++k) {
      tas[k] = lambda[k] * block_trace(a, k);
      tsg[k] = lambda[k] * block_trace(g, k);
      dd[k] = -2 * sb.dot(dbeta.col(k));
      dtau[k] = (ws.t.size() ? ws.t[k] : 0.0) + tsg[k] - tas[k];
    }
    const double gm = opt->gamma, d = st.deviance;
    const double denom = n - gm * effective_df(st, lambda);
    const double den2 = denom * denom, den3 = den2 * denom;
    st.grad.resize(m);
    for (Eigen::Index k = 0; k < m; ++k)
      st.grad[k] = ubre() ? dd[k] / n + 2 * gm * dtau[k] / n : n * dd[k] / den2 + 2 * n * gm * d * dtau[k] / den3;
    if (order < 2) return;
    const auto d2b = beta_second_derivatives(lambda, st.beta, a_beta, dbeta, ws);
    std::vector<Eigen::MatrixXd> b(static_cast<std::size_t>(m)), bc(static_cast<std::size_t>(m));
    for (Eigen::Index k = 0; k < m; ++k) {
      b[static_cast<std::size_t>(k)] = a * h_derivative(k, lambda, ws, ws.criterion_weights);
      bc[static_cast<std::size_t>(k)] = b[static_cast<std::size_t>(k)] * c;
    }
    // lambda_l tr(B_k A S_l): only the rows of block l of B_k meet A S_l's non-zero columns
    const auto tr_bas = [&](Eigen::Index k, Eigen::Index l) {
      const auto& s = (*bases)[static_cast<std::size_t>(l)].penalty;
      const Eigen::Index f = first[static_cast<std::size_t>(l)];
      const Eigen::MatrixXd as = a.middleCols(f, s.cols()) * s;
      return lambda[l] * b[static_cast<std::size_t>(k)].middleRows(f, s.rows()).cwiseProduct(as.transpose()).sum();
    };
    st.hess.resize(m, m);
    for (Eigen::Index k = 0; k < m; ++k)
      for (Eigen::Index l = 0; l <= k; ++l) {
        const Eigen::VectorXd& d2 = d2b[static_cast<std::size_t>(k * (k + 1) / 2 + l)];
        const auto ku = static_cast<std::size_t>(k), lu = static_cast<std::size_t>(l);
        const double d2d =
            -2 * (lambda[l] * penalty_times(l, st.beta).dot(dbeta.col(k)) + dbeta.col(l).dot(sl * dbeta.col(k)) +
                  sb.dot(d2));
        double d2tau = -bc[ku].cwiseProduct(b[lu].transpose()).sum() - bc[lu].cwiseProduct(b[ku].transpose()).sum() +
                       (ws.q.size() ? ws.q(k, l) : 0.0) + raw_dot(ws.u_raw, d2) + tr_bas(k, l) + tr_bas(l, k);
        if (k == l) d2tau += tsg[k] - tas[k];
        const double h = ubre() ? d2d / n + 2 * gm * d2tau / n
                                : n * d2d / den2 + 2 * n * gm * (dd[k] * dtau[l] + dd[l] * dtau[k]) / den3 +
                                      2 * n * gm * d * d2tau / den3 +
                                      6 * n * gm * gm * d * dtau[k] * dtau[l] / (den3 * denom);
        st.hess(k, l) = st.hess(l, k) = h;
      }
  }

  /// Exact gradient (order 1) and Hessian (order 2) of a glm_eval state's REML/ML or GCV/UBRE
  /// score (Wood 2011 §3.3, §4): one pass over the data for the weight terms, m more for the
  /// Hessian. Split from glm_eval so that an accepted trial point, scored without them, gets
  /// them without a second PIRLS. Gamma REML/ML: the Hessian of the profile in log phi.
  void glm_derivatives(const Eigen::VectorXd& rho, rho_state& st, int order) const {
    const Eigen::VectorXd lambda = rho.array().exp().matrix();
    if (meth == gam::method::gcv) {
      // gamma GCV runs PIRLS with the Fisher weights (constant for the log link, so the
      // criterion's H does not move with eta); beta moves with the Newton-weight H
      const bool fisher = fam == gam::family::gamma;
      Eigen::MatrixXd a_newton;
      if (fisher) {
        Eigen::MatrixXd xtwx;
        Eigen::VectorXd unused;
        double unused_zwz = 0;
        const Eigen::VectorXd beta_raw = x->to_raw(st.beta);
        x->accumulate(
            [&](Eigen::Index i, double eta, double& wi, double& zi) {
              const auto ii = static_cast<std::size_t>(i);
              double dwn = 0;
              irls_weight(fam, y[ii], linkinv(fam, eta + of(ii)), wi, dwn);
              wi *= wt(ii);
              zi = 0;
            },
            xtwx, unused, unused_zwz, beta_raw.data());
        rho_state newton;
        if (!solve(xtwx, Eigen::VectorXd::Zero(p), lambda, newton)) {
          st.ok = false;
          return;
        }
        a_newton = std::move(newton.a);
      }
      const Eigen::MatrixXd& a_beta = fisher ? a_newton : st.a;
      const Eigen::MatrixXd dbeta = beta_derivatives(lambda, st.beta, a_beta);
      Eigen::MatrixXd sl = Eigen::MatrixXd::Zero(p, p);
      add_penalty(sl, lambda);
      const weight_sums ws = weight_pass(st.beta, dbeta, st.a * sl * st.a, !fisher, order);
      gcv_derivatives(lambda, st, a_beta, dbeta, ws, order);
      return;
    }
    const bool ml = meth == gam::method::ml;
    Eigen::MatrixXd ar;
    if (ml) range_inverse(st.a, ar);
    const Eigen::MatrixXd& adet = ml ? ar : st.a;
    const double phi = fam == gam::family::gamma ? st.reml_scale : 1.0;
    const Eigen::MatrixXd dbeta = beta_derivatives(lambda, st.beta, st.a);
    const weight_sums ws = weight_pass(st.beta, dbeta, adet, true, order);
    Eigen::VectorXd qk(m), tk(m);
    st.grad.resize(m);
    for (Eigen::Index j = 0; j < m; ++j) {
      qk[j] = quad(st.beta, j);
      tk[j] = lambda[j] * block_trace(adet, j);
      // d log|H| through the weights: sum_i w_i' h_i (X dbeta_k)_i = t_k
      st.grad[j] = 0.5 * lambda[j] * qk[j] / phi + 0.5 * tk[j] -
                   0.5 * (*bases)[static_cast<std::size_t>(j)].penalty_rank + 0.5 * ws.t[j];
    }
    if (order < 2) return;
    // d2V_kl = ([k = l] lambda_k b'S_k b / 2 + lambda_k b'S_k dbeta_l) / phi
    //          + (tr(A d2H_kl) - tr(B_l B_k)) / 2,  B_k = A dH_k (A here the log-det inverse)
    const auto d2b = beta_second_derivatives(lambda, st.beta, st.a, dbeta, ws);
    std::vector<Eigen::MatrixXd> b(static_cast<std::size_t>(m));
    for (Eigen::Index k = 0; k < m; ++k) b[static_cast<std::size_t>(k)] = adet * h_derivative(k, lambda, ws, true);
    st.hess.resize(m, m);
    for (Eigen::Index k = 0; k < m; ++k)
      for (Eigen::Index l = 0; l <= k; ++l) {
        const Eigen::VectorXd& d2 = d2b[static_cast<std::size_t>(k * (k + 1) / 2 + l)];
        double pd = lambda[k] * penalty_times(k, st.beta).dot(dbeta.col(l));
        double tr_d2h = ws.q(k, l) + raw_dot(ws.u_raw, d2);
        if (k == l) {
          pd += 0.5 * lambda[k] * qk[k];
          tr_d2h += tk[k];
        }
        const double tr_bb =
            b[static_cast<std::size_t>(l)].cwiseProduct(b[static_cast<std::size_t>(k)].transpose()).sum();
        st.hess(k, l) = st.hess(l, k) = pd / phi + 0.5 * (tr_d2h - tr_bb);
      }
    if (fam == gam::family::gamma && st.reml_scale_curvature > 0) {
      // profile out u = log phi: V_rho_k,u = -lambda_k b'S_k b / (2 phi)
      const Eigen::VectorXd v = -0.5 * lambda.cwiseProduct(qk) / phi;
      st.hess -= v * v.transpose() / st.reml_scale_curvature;
    }
  }
};

/// Orthonormal basis (p x M_p) of the null space of S_lambda, for ML: the parametric columns and
/// each penalty's null space (fixed, because the penalties act on disjoint blocks).
[[nodiscard]] inline Eigen::MatrixXd penalty_null_space(const std::vector<smooth_basis>& smooths,
                                                        const std::vector<Eigen::Index>& smooth_first,
                                                        Eigen::Index n_parametric, Eigen::Index p) {
  Eigen::Index mp = p;
  for (const auto& b : smooths) mp -= b.penalty_rank;
  Eigen::MatrixXd u0 = Eigen::MatrixXd::Zero(p, mp);
  Eigen::Index c = 0;
  for (; c < n_parametric; ++c) u0(c, c) = 1;
  for (std::size_t j = 0; j < smooths.size(); ++j) {
    const auto& b = smooths[j];
    Eigen::VectorXd ev;
    Eigen::MatrixXd evec;
    sym_eigen(b.penalty, ev, evec);  // ascending: the null space comes first
    for (Eigen::Index e = 0; e < b.columns() - b.penalty_rank; ++e, ++c)
      u0.col(c).segment(smooth_first[j], b.columns()) = evec.col(e);
  }
  return u0;
}

}  // namespace detail

/// Fits a GAM: y ~ 1 + covariates + sum of smooths, smoothing parameters by REML (default).
/// @param y response (binomial: proportions in [0, 1] with `weights` trials, or 0/1)
/// @param smooths one smooth_term per smooth (covariate values + options)
/// @param covariates n x q parametric covariates (q may be 0); an intercept is added
/// @throws vasostat::invalid_argument naming the argument for the bad inputs listed in
///         docs/gam.md (sizes, NaN/Inf, k, constant covariate, weights, response range)
/// Example:
///   auto m = gam::fit(accel, {gam::smooth(times, {.k = 20})}, Eigen::MatrixXd(n, 0));
[[nodiscard]] inline model fit(std::span<const double> y, std::span<const smooth_term> smooths,
                               const Eigen::Ref<const Eigen::MatrixXd>& covariates,
                               const fit_options& options = {}) {
  const std::string where = "vasostat::gam::fit";
  const auto n = static_cast<Eigen::Index>(y.size());
  VASOSTAT_EXPECTS(n > 0, where + ": y is empty");
  VASOSTAT_EXPECTS(covariates.rows() == n,
                   where + ": covariates has " + std::to_string(covariates.rows()) +
                       " rows but y has " + std::to_string(n) + " values");
  for (double v : y) VASOSTAT_EXPECTS(std::isfinite(v), where + ": y contains NaN or Inf");
  VASOSTAT_EXPECTS(covariates.allFinite(), where + ": covariates contains NaN or Inf");
  VASOSTAT_EXPECTS(options.weights.empty() || options.weights.size() == y.size(),
                   where + ": weights has " + std::to_string(options.weights.size()) +
                       " values but y has " + std::to_string(n));
  VASOSTAT_EXPECTS(options.offset.empty() || options.offset.size() == y.size(),
                   where + ": offset has " + std::to_string(options.offset.size()) +
                       " values but y has " + std::to_string(n));
  {
    double sw = 0;
    for (double v : options.weights) {
      VASOSTAT_EXPECTS(std::isfinite(v), where + ": weights contains NaN or Inf");
      VASOSTAT_EXPECTS(v >= 0, where + ": weights contains a negative value");
      sw += v;
    }
    VASOSTAT_EXPECTS(options.weights.empty() || sw > 0, where + ": weights are all zero");
  }
  for (double v : options.offset) VASOSTAT_EXPECTS(std::isfinite(v), where + ": offset contains NaN or Inf");
  VASOSTAT_EXPECTS(std::isfinite(options.gamma) && options.gamma > 0, where + ": options.gamma must be positive");
  VASOSTAT_EXPECTS(options.max_iterations >= 0, where + ": options.max_iterations must be >= 0");
  VASOSTAT_EXPECTS(options.max_pirls_iterations >= 1, where + ": options.max_pirls_iterations must be >= 1");
  VASOSTAT_EXPECTS(std::isfinite(options.tolerance) && options.tolerance > 0,
                   where + ": options.tolerance must be positive and finite");
  VASOSTAT_EXPECTS(std::isfinite(options.pirls_tolerance) && options.pirls_tolerance > 0,
                   where + ": options.pirls_tolerance must be positive and finite");
  switch (options.family) {
    case gam::family::binomial:
      for (double v : y) VASOSTAT_EXPECTS(v >= 0 && v <= 1, where + ": y must lie in [0, 1] for the binomial family");
      break;
    case gam::family::poisson:
      for (double v : y) VASOSTAT_EXPECTS(v >= 0, where + ": y must be non-negative for the poisson family");
      break;
    case gam::family::gamma:
      for (double v : y) VASOSTAT_EXPECTS(v > 0, where + ": y must be positive for the gamma family");
      break;
    case gam::family::gaussian:
      break;
  }
  model out;
  out.family = options.family;
  out.method = options.method;
  out.n = n;
  out.n_parametric = 1 + covariates.cols();
  Eigen::Index p = out.n_parametric;
  for (std::size_t j = 0; j < smooths.size(); ++j) {
    const std::string name = "smooths[" + std::to_string(j) + "]";
    VASOSTAT_EXPECTS(smooths[j].x.size() == y.size(),
                     where + ": " + name + ".x has " + std::to_string(smooths[j].x.size()) +
                         " values but y has " + std::to_string(n));
    for (double v : smooths[j].x) VASOSTAT_EXPECTS(std::isfinite(v), where + ": " + name + ".x contains NaN or Inf");
    VASOSTAT_EXPECTS(std::isfinite(smooths[j].options.sp), where + ": " + name + ".options.sp is not finite");
    out.smooths.push_back(make_smooth_basis(smooths[j].x, smooths[j].options, where, name));
    out.smooth_first.push_back(p);
    p += out.smooths.back().columns();
  }
  VASOSTAT_EXPECTS(n >= p, where + ": fewer observations (" + std::to_string(n) +
                               ") than coefficients (" + std::to_string(p) + ") in y");
  const auto m = static_cast<Eigen::Index>(smooths.size());

  detail::design des;
  des.n = n;
  des.p = p;
  des.n_parametric = out.n_parametric;
  des.covariates = &covariates;
  for (const auto& s : smooths) des.xs.push_back(s.x);
  des.bases = &out.smooths;
  des.first = out.smooth_first;
  des.prepare();

  detail::fitter ft;
  ft.x = &des;
  ft.y = y;
  ft.w = options.weights;
  ft.off = options.offset;
  ft.fam = options.family;
  ft.meth = options.method;
  ft.opt = &options;
  ft.bases = &out.smooths;
  ft.first = out.smooth_first;
  ft.p = p;
  ft.m = m;
  ft.n = static_cast<double>(n);
  double mp = static_cast<double>(p);
  for (const auto& b : out.smooths) mp -= b.penalty_rank;
  ft.mp = mp;
  if (options.method == gam::method::ml)
    ft.u0 = detail::penalty_null_space(out.smooths, out.smooth_first, out.n_parametric, p);
  const bool gaussian = options.family == gam::family::gaussian;
  const bool scale_known = options.family == gam::family::binomial || options.family == gam::family::poisson;
  out.scale_estimated = !scale_known;

  // starting coefficients for PIRLS: eta from a mustart as glm() does
  Eigen::VectorXd beta0 = Eigen::VectorXd::Zero(p);
  if (gaussian) {
    ft.gaussian_accumulate();
  } else {
    double sw = 0, sy = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      sw += ft.wt(i);
      sy += ft.wt(i) * y[i];
    }
    double mu0 = sy / sw;
    if (options.family == gam::family::binomial) mu0 = std::clamp(mu0, 1e-4, 1 - 1e-4);
    if (options.family != gam::family::binomial) mu0 = std::max(mu0, 1e-4);
    beta0[0] = detail::link(options.family, mu0);
  }

  // which smoothing parameters are estimated
  std::vector<Eigen::Index> free_idx;
  Eigen::VectorXd rho(m);
  Eigen::MatrixXd xtwx0;
  if (gaussian) {
    xtwx0 = ft.g_xtwx;
  } else {
    detail::rho_state st0 = ft.pirls(Eigen::VectorXd::Constant(m, std::log(1e3 * n)), beta0);
    xtwx0 = st0.xtwx.size() ? st0.xtwx : Eigen::MatrixXd::Identity(p, p);
    if (st0.beta.size() == p && st0.beta.allFinite()) beta0 = st0.beta;
  }
  for (Eigen::Index j = 0; j < m; ++j) {
    const double sp = smooths[static_cast<std::size_t>(j)].options.sp;
    if (sp >= 0 || options.method == gam::method::fixed) {
      VASOSTAT_EXPECTS(sp >= 0, where + ": smooths[" + std::to_string(j) +
                                    "].options.sp must be set (>= 0) with method::fixed");
      rho[j] = std::log(std::max(sp, 1e-300));
    } else {
      // initial lambda: penalty diagonal comparable to the X'WX diagonal (mgcv initial.sp idea)
      const auto& s = out.smooths[static_cast<std::size_t>(j)].penalty;
      const Eigen::Index f = out.smooth_first[static_cast<std::size_t>(j)];
      double num = 0, den = 0;
      for (Eigen::Index i = 0; i < s.rows(); ++i) {
        if (s(i, i) > 1e-10 * s.diagonal().maxCoeff()) {
          num += xtwx0(f + i, f + i);
          den += s(i, i);
        }
      }
      rho[j] = std::log(std::max(num / std::max(den, 1e-300), 1e-10));
      free_idx.push_back(j);
    }
  }

  // PIRLS is warm-started (as mgcv does) from the coefficients of the latest fully evaluated
  // point: neighbouring smoothing parameters have nearby fits, so PIRLS then converges in two
  // or three passes over the data instead of restarting from the glm-style start each time.
  const bool warm_start = !gaussian;
  Eigen::VectorXd warm = beta0;
  const auto evaluate = [&](const Eigen::VectorXd& r, int order) {
    if (gaussian) return ft.gaussian_eval(r, order);
    return ft.glm_eval(r, warm, order);
  };
  // score, exact gradient and exact Hessian at r. `scored`: a state already evaluated at r
  // with order 0 (an accepted trial point); for PIRLS fits only its derivatives are then
  // added, not a second PIRLS
  const auto full_eval = [&](const Eigen::VectorXd& r, detail::rho_state* scored = nullptr) {
    detail::rho_state st;
    if (scored != nullptr && !gaussian) {
      st = std::move(*scored);
      ft.glm_derivatives(r, st, 2);
    } else {
      st = evaluate(r, 2);
    }
    if (!st.ok) return st;
    if (warm_start && st.pirls_converged && st.beta.size() == p && st.beta.allFinite()) warm = st.beta;
    return st;
  };

  const Eigen::VectorXd rho_init = rho;
  const double rho_span = 30;
  // beyond rho_init + rho_flat a smooth is at its null-space limit to ~1e-9 in EDF, and the
  // gradient there is only accurate to about mgcv's own convergence tolerance (1e-6)
  const double rho_flat = 20, flat_tolerance = 1e-6;
  bool converged = free_idx.empty();
  int iterations = 0;
  detail::rho_state cur = full_eval(rho);

  const auto nf = static_cast<Eigen::Index>(free_idx.size());
  int fs_steps = 0;
  for (; !free_idx.empty() && cur.ok && iterations < options.max_iterations; ++iterations) {
    Eigen::VectorXd g(nf);
    Eigen::MatrixXd h(nf, nf);
    for (Eigen::Index a = 0; a < nf; ++a) {
      g[a] = cur.grad[free_idx[static_cast<std::size_t>(a)]];
      for (Eigen::Index b = 0; b < nf; ++b)
        h(a, b) = cur.hess(free_idx[static_cast<std::size_t>(a)], free_idx[static_cast<std::size_t>(b)]);
    }
    // A smoothing parameter running to infinity (the term shrinks to its penalty null space,
    // e.g. a straight line) leaves the criterion flat: V ~ V_inf + c exp(-rho). Once a
    // coordinate is far above its start and still descending slowly, try it at the upper bound
    // of the search box; coordinates at a bound whose gradient points outwards are optimal
    // there (projected gradient), so they neither block convergence nor take Newton steps.
    {
      std::vector<Eigen::Index> jump;
      for (Eigen::Index a = 0; a < nf; ++a) {
        const Eigen::Index j = free_idx[static_cast<std::size_t>(a)];
        if (g[a] < 0 && rho[j] >= rho_init[j] + 8 && rho[j] < rho_init[j] + rho_flat - 1e-9 &&
            -g[a] <= 1e-4 * (1 + std::abs(cur.score)))
          jump.push_back(j);
      }
      if (!jump.empty()) {
        Eigen::VectorXd trial = rho;
        for (const Eigen::Index j : jump) trial[j] = rho_init[j] + rho_flat;
        detail::rho_state cand = full_eval(trial);
        bool ok = cand.ok && cand.score <= cur.score + 1e-13 * std::abs(cur.score);
        for (const Eigen::Index j : jump) ok = ok && cand.grad[j] <= flat_tolerance * (1 + std::abs(cand.score));
        if (ok) {
          rho = trial;
          cur = cand;
          for (Eigen::Index a = 0; a < nf; ++a) {
            g[a] = cur.grad[free_idx[static_cast<std::size_t>(a)]];
            for (Eigen::Index b = 0; b < nf; ++b)
              h(a, b) = cur.hess(free_idx[static_cast<std::size_t>(a)], free_idx[static_cast<std::size_t>(b)]);
          }
        }
      }
    }
    for (Eigen::Index a = 0; a < nf; ++a) {
      const Eigen::Index j = free_idx[static_cast<std::size_t>(a)];
      const bool upper = (rho[j] >= rho_init[j] + rho_span - 1e-9 && g[a] <= 0) ||
                         (rho[j] >= rho_init[j] + rho_flat - 1e-9 &&
                          g[a] <= flat_tolerance * (1 + std::abs(cur.score)));
      const bool lower = rho[j] <= rho_init[j] - rho_span + 1e-9 && g[a] >= 0;
      if (upper || lower) {
        g[a] = 0;
        h.row(a).setZero();
        h.col(a).setZero();
        h(a, a) = 1;
      }
    }
    if (g.cwiseAbs().maxCoeff() <= options.tolerance * (1 + std::abs(cur.score))) {
      converged = true;
      break;
    }
    Eigen::VectorXd ev;
    Eigen::MatrixXd evec;
    detail::sym_eigen(h, ev, evec);
    ev = ev.cwiseAbs().eval();
    const double evmax = std::max(ev.maxCoeff(), 1e-300);
    for (Eigen::Index a = 0; a < nf; ++a) ev[a] = std::max(ev[a], evmax * 1e-7);
    Eigen::VectorXd step = -(evec * (evec.transpose() * g).cwiseQuotient(ev));
    const double cap = step.cwiseAbs().maxCoeff();
    if (cap > 5) step *= 5 / cap;
    bool improved = false, flat = false;
    for (int half = 0; half < 30; ++half) {
      Eigen::VectorXd trial = rho;
      for (Eigen::Index a = 0; a < nf; ++a) {
        const Eigen::Index j = free_idx[static_cast<std::size_t>(a)];
        trial[j] = std::clamp(trial[j] + step[a], rho_init[j] - rho_span, rho_init[j] + rho_span);
      }
      // a Gaussian trial point is evaluated fully once (cheap, kept if accepted); a PIRLS
      // one is scored first and gets its derivatives only if accepted
      detail::rho_state cand = evaluate(trial, gaussian ? 2 : 0);
      if (cand.ok && cand.score <= cur.score + 1e-13 * std::abs(cur.score)) {
        const bool same = (trial - rho).cwiseAbs().maxCoeff() < 1e-12;
        const double previous = cur.score;
        rho = trial;
        cur = gaussian ? std::move(cand) : full_eval(rho, &cand);
        improved = !same;
        // flat criterion (a smoothing parameter running to infinity): stop once the score no
        // longer changes and the gradient is small on mgcv's scale (conv.tol 1e-6)
        if (previous - cur.score <= 1e-13 * (1 + std::abs(cur.score)) &&
            g.cwiseAbs().maxCoeff() <= 1e-6 * (1 + std::abs(cur.score)))
          flat = true;
        break;
      }
      step *= 0.5;
    }
    if (flat) {
      converged = true;
      ++iterations;
      break;
    }
    if (!improved && g.cwiseAbs().maxCoeff() <= 1e-6 * (1 + std::abs(cur.score))) {
      converged = true;
      break;
    }
    if (!improved && options.method != gam::method::reml) break;
    if (!improved) {
      // Newton stalled: Fellner-Schall steps (Wood & Fasiolo 2017) on the free coordinates
      if (fs_steps++ > 20) break;
      Eigen::VectorXd trial = rho;
      const Eigen::VectorXd lambda = rho.array().exp().matrix();
      const double phi = gaussian ? (cur.deviance + cur.penalty) / std::max(ft.n - ft.mp, 1.0) : cur.reml_scale;
      for (Eigen::Index a = 0; a < nf; ++a) {
        const Eigen::Index j = free_idx[static_cast<std::size_t>(a)];
        const auto& b = out.smooths[static_cast<std::size_t>(j)];
        const bool formed = cur.a.size() > 0;  // the spectral evaluation keeps only the traces
        const double tr = formed ? ft.block_trace(cur.a, j) : cur.trace_as[j];
        const double q = formed ? ft.quad(cur.beta, j) : cur.quad_s[j];
        const double num = b.penalty_rank / lambda[j] - tr;
        if (q > 0 && num > 0)
          trial[j] = std::clamp(std::log(phi * num / q), rho_init[j] - rho_span, rho_init[j] + rho_span);
      }
      detail::rho_state cand = full_eval(trial);
      if (!cand.ok) break;
      if ((trial - rho).cwiseAbs().maxCoeff() < 1e-10) {
        converged = true;
        break;
      }
      rho = trial;
      cur = cand;
    }
  }
  if (converged && cur.ok) {
    // a smoothing parameter that stopped far above its start on a flat criterion (a term
    // shrunk towards its null space, where finite-difference gradients are noise) is moved to
    // the null-space limit when that does not worsen the score
    Eigen::VectorXd trial = rho;
    bool any = false;
    for (const Eigen::Index j : free_idx)
      if (rho[j] >= rho_init[j] + 8 && rho[j] < rho_init[j] + rho_flat - 1e-9) {
        trial[j] = rho_init[j] + rho_flat;
        any = true;
      }
    if (any) {
      detail::rho_state cand = full_eval(trial);
      if (cand.ok && cand.score <= cur.score + 1e-13 * std::abs(cur.score)) {
        rho = trial;
        cur = std::move(cand);
      }
    }
  }
  if (cur.ok && cur.a.size() == 0) {
    // spectral Gaussian path: beta, A = H^-1 and the score at the optimum from the QR form,
    // once (the same numbers the QR path would report there)
    cur = ft.gaussian_eval_qr(rho, 0);
  }
  if (!converged && !free_idx.empty())
    out.warnings.push_back("smoothing-parameter optimisation did not converge in " +
                           std::to_string(iterations) + " iterations");
  if (!cur.ok) {
    out.warnings.push_back(
        "penalized normal equations are singular (aliased parametric covariates?): no fit");
    out.converged = false;
    return out;
  }
  if (!cur.pirls_converged) out.warnings.push_back("penalized IRLS did not converge");
  out.converged = converged && cur.pirls_converged;
  out.iterations = iterations;
  out.smoothing_parameters = rho.array().exp().matrix();
  out.score = cur.score;

  // ---- final quantities
  Eigen::VectorXd beta = cur.beta;
  if (gaussian) beta[0] += ft.shift;
  out.coefficients = beta;
  if (options.family == gam::family::gamma) {
    // mgcv's EDF, Vp and smooth tests use the Fisher weights (prior weights for gamma-log),
    // while the REML criterion above uses the Newton ones
    Eigen::MatrixXd xtwx;
    Eigen::VectorXd unused;
    double unused_zwz = 0;
    des.accumulate(
        [&](Eigen::Index i, double, double& wi, double& zi) {
          wi = ft.wt(static_cast<std::size_t>(i));
          zi = 0;
        },
        xtwx, unused, unused_zwz);
    detail::rho_state fisher;
    if (ft.solve(xtwx, Eigen::VectorXd::Zero(p), rho.array().exp().matrix(), fisher)) {
      cur.xtwx = xtwx;
      cur.a = fisher.a;
    }
  }
  const Eigen::MatrixXd f_mat = cur.a * cur.xtwx;
  out.edf_per_coefficient = f_mat.diagonal();
  out.edf_total = f_mat.trace();
  out.residual_df = static_cast<double>(n) - out.edf_total;
  // fitted values and residual summaries
  out.linear_predictor.resize(n);
  out.fitted.resize(n);
  double dev = 0, sw = 0, swy = 0;
  des.multiply(beta, out.linear_predictor);
  double pearson = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    out.linear_predictor[i] += ft.of(ii);
    const double mu = detail::linkinv(options.family, out.linear_predictor[i]);
    out.fitted[i] = mu;
    dev += detail::deviance_residual(options.family, y[ii], mu, ft.wt(ii));
    pearson += ft.wt(ii) * (y[ii] - mu) * (y[ii] - mu) / detail::variance(options.family, mu);
    sw += ft.wt(ii);
    swy += ft.wt(ii) * y[ii];
  }
  out.deviance = dev;
  if (options.family == gam::family::binomial) {
    bool extreme = false;
    for (Eigen::Index i = 0; i < n; ++i)
      extreme = extreme || out.fitted[i] < 1e-8 || out.fitted[i] > 1 - 1e-8;
    if (extreme)
      out.warnings.push_back("fitted probabilities numerically 0 or 1 occurred (separation?)");
  }
  if (gaussian) {
    // GCV and ML report the residual-df scale estimate as mgcv does (ML's own D_p / n is biased)
    out.scale = options.method == gam::method::gcv || options.method == gam::method::ml
                    ? dev / out.residual_df
                                                    : (cur.deviance + cur.penalty) / (ft.n - ft.mp);
  } else if (scale_known) {
    out.scale = 1;
  } else {
    out.scale = pearson / out.residual_df;
  }
  out.vp = cur.a * out.scale;
  out.ve = f_mat * cur.a * out.scale;
  out.ve = 0.5 * (out.ve + out.ve.transpose()).eval();
  // null deviance: intercept (+ offset) only
  {
    double mu0 = swy / sw;
    if (!options.offset.empty()) {
      double b0 = detail::link(options.family, std::clamp(mu0, 1e-8, options.family == gam::family::binomial ? 1 - 1e-8 : 1e300));
      for (int it = 0; it < 50; ++it) {
        double score_b = 0, info = 0;
        for (Eigen::Index i = 0; i < n; ++i) {
          const auto ii = static_cast<std::size_t>(i);
          const double e = b0 + ft.of(ii);
          const double mu = detail::linkinv(options.family, e);
          const double me = detail::mu_eta(options.family, e, mu);
          const double v = detail::variance(options.family, mu);
          score_b += ft.wt(ii) * (y[ii] - mu) * me / v;
          info += ft.wt(ii) * me * me / v;
        }
        const double d = score_b / info;
        b0 += d;
        if (std::abs(d) < 1e-12 * (1 + std::abs(b0))) break;
      }
      double nd = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        nd += detail::deviance_residual(options.family, y[ii], detail::linkinv(options.family, b0 + ft.of(ii)), ft.wt(ii));
      }
      out.null_deviance = nd;
    } else {
      double nd = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto ii = static_cast<std::size_t>(i);
        nd += detail::deviance_residual(options.family, y[ii], mu0, ft.wt(ii));
      }
      out.null_deviance = nd;
    }
  }
  out.deviance_explained = out.null_deviance > 0 ? (out.null_deviance - dev) / out.null_deviance : 0.0;
  {
    // adjusted R^2 as summary.gam: 1 - var(sqrt(w)(y - mu)) (n-1) / (var(sqrt(w)(y - ybar)) rdf)
    const double ybar = swy / sw;
    double s1 = 0, s1q = 0, s2 = 0, s2q = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto ii = static_cast<std::size_t>(i);
      const double sq = std::sqrt(ft.wt(ii));
      const double r1 = sq * (y[ii] - out.fitted[i]), r2 = sq * (y[ii] - ybar);
      s1 += r1;
      s1q += r1 * r1;
      s2 += r2;
      s2q += r2 * r2;
    }
    const double dn = static_cast<double>(n);
    const double v1 = (s1q - s1 * s1 / dn) / (dn - 1), v2 = (s2q - s2 * s2 / dn) / (dn - 1);
    out.r_squared_adjusted = 1 - v1 * (dn - 1) / (v2 * out.residual_df);
  }
  // parametric table
  for (Eigen::Index j = 0; j < out.n_parametric; ++j) {
    coefficient_test t;
    t.estimate = beta[j];
    t.std_error = std::sqrt(out.vp(j, j));
    t.statistic = t.estimate / t.std_error;
    t.p_value = out.scale_estimated ? stats::t_two_sided_p(t.statistic, out.residual_df)
                                    : stats::normal_two_sided_p(t.statistic);
    out.parametric.push_back(t);
  }
  // smooth tests (Wood 2013a) with R_J from X_J'WX_J
  // edf1 = tr of 2F - FF over a smooth's block: only the diagonal of FF is needed (O(p^2))
  const auto edf1_of = [&](Eigen::Index f, Eigen::Index kj) {
    double t = 0;
    for (Eigen::Index i = f; i < f + kj; ++i) t += 2 * f_mat(i, i) - f_mat.row(i).dot(f_mat.col(i));
    return t;
  };
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::Index f = out.smooth_first[static_cast<std::size_t>(j)];
    const Eigen::Index kj = out.smooths[static_cast<std::size_t>(j)].columns();
    smooth_test t;
    t.edf = out.edf_per_coefficient.segment(f, kj).sum();
    const double edf1 = edf1_of(f, kj);
    Eigen::MatrixXd r;
    detail::cholesky_upper(cur.xtwx.block(f, f, kj, kj), r);
    const auto res = detail::wood_test(r, beta.segment(f, kj), out.vp.block(f, f, kj, kj),
                                       std::min(edf1, static_cast<double>(kj)),
                                       out.scale_estimated ? out.residual_df : -1.0);
    t.ref_df = res.rank;
    t.statistic = out.scale_estimated ? res.statistic / res.rank : res.statistic;
    t.p_value = res.p_value;
    out.smooth_tests.push_back(t);
  }
  return out;
}

/// Overload for a model without parametric covariates.
[[nodiscard]] inline model fit(std::span<const double> y, std::span<const smooth_term> smooths,
                               const fit_options& options = {}) {
  const Eigen::MatrixXd none(static_cast<Eigen::Index>(y.size()), 0);
  return fit(y, smooths, none, options);
}

}  // namespace vasostat::inline v0::gam
