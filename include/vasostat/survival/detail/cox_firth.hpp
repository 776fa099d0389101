#pragma once
// Firth's penalised partial likelihood for the Cox model (Firth 1993; Heinze & Schemper 2002):
//   l*(beta) = l(beta) + 1/2 log det I(beta),   U*_k = U_k + 1/2 tr(I^-1 dI/dbeta_k).
// I is a sum over event blocks (and Efron sub-steps) of w * Cov_M(x) under the risk-set measure
// M with weights r_i = w_i exp(eta_i) (minus c times the tied deaths for Efron), so dI/dbeta_k
// is w times the third central moment of x under M, and with A = I^-1 and h_i = x_i' A x_i
//   tr(A dCov_M/dbeta_k) = E_M[(x - mu)' A (x - mu) (x_k - mu_k)]
//                        = N1_k/M0 - (N0/M0) mu_k - 2 (Cov_M A mu)_k,
// with M0, M1, M2 the sums of r, r x, r x x' and N0, N1 the sums of r h, r h x over the risk
// set: one sweep over the data in O(n p^2), like the information itself. The fit is Newton's
// method with I as the Hessian, a cap on the step and step halving (coxphf's scheme); profile
// penalised-likelihood CIs solve 2 (l*max - l*_profile(b)) = chi2_1(level) by regula falsi.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/detail/cox_engine.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace vasostat::inline v0::survival::detail {

/// sum over blocks of w * tr(A dI/dbeta_k), k = 0..p-1 (centred-scaled frame).
inline Eigen::VectorXd firth_trace_term(const cox_setup& s, const cox_eval& ev, const Eigen::MatrixXd& a) {
  const index n = s.n, p = s.p;
  const Eigen::VectorXd r = ev.risk.cwiseProduct(s.wt);
  const Eigen::VectorXd h = (s.x * a).cwiseProduct(s.x).rowwise().sum();
  Eigen::VectorXd g = Eigen::VectorXd::Zero(p);
  Eigen::MatrixXd m2(p, p), d2(p, p), cov(p, p);
  Eigen::VectorXd t1(p), e1(p), mu(p), n1(p), m1(p);
  const bool efron = s.method == ties::efron;
  auto add = [&](double m0, const Eigen::VectorXd& mm1, const Eigen::MatrixXd& mm2, double n0,
                 const Eigen::VectorXd& nn1, double w) {
    mu = mm1 / m0;
    cov = mm2 / m0 - mu * mu.transpose();
    g += w * (nn1 / m0 - (n0 / m0) * mu - 2 * (cov * (a * mu)));
  };
  for (std::size_t st = 0; st + 1 < s.stratum_begin.size(); ++st) {
    m2.setZero();
    t1.setZero();
    double t0 = 0;
    index k = s.stratum_begin[st], rem = s.stratum_begin[st];
    for (index j = s.stratum_block_begin[st]; j < s.stratum_block_begin[st + 1]; ++j) {
      const cox_block& blk = s.blocks[static_cast<std::size_t>(j)];
      for (; k < blk.end; ++k) {
        const auto xk = s.x.row(k).transpose();
        m2.selfadjointView<Eigen::Lower>().rankUpdate(xk, r[k]);
        t0 += r[k] * h[k];
        t1 += (r[k] * h[k]) * xk;
      }
      for (; rem < blk.rem_end; ++rem) {
        const index q = s.entry_order[static_cast<std::size_t>(rem)];
        const auto xq = s.x.row(q).transpose();
        m2.selfadjointView<Eigen::Lower>().rankUpdate(xq, -r[q]);
        t0 -= r[q] * h[q];
        t1 -= (r[q] * h[q]) * xq;
      }
      Eigen::MatrixXd full = m2.selfadjointView<Eigen::Lower>();
      const double nd = ev.nd[j], wd = ev.wd[j];
      m1 = ev.s1.row(j).transpose();
      if (efron && nd > 1) {
        d2.setZero();
        e1.setZero();
        double e0 = 0;
        for (index q = blk.death_begin; q < blk.death_end; ++q) {
          const index kk = s.death_pos[static_cast<std::size_t>(q)];
          const auto xk = s.x.row(kk).transpose();
          d2 += r[kk] * xk * xk.transpose();
          e0 += r[kk] * h[kk];
          e1 += (r[kk] * h[kk]) * xk;
        }
        const Eigen::VectorXd dd1 = ev.d1.row(j).transpose();
        for (index q = 0; q < static_cast<index>(nd); ++q) {
          const double c = static_cast<double>(q) / nd;
          n1 = t1 - c * e1;
          add(ev.s0[j] - c * ev.d0[j], m1 - c * dd1, full - c * d2, t0 - c * e0, n1, wd / nd);
        }
      } else {
        add(ev.s0[j], m1, full, t0, t1, wd);
      }
    }
  }
  (void)n;
  return g;
}

/// Penalised log-likelihood, modified score and information at beta; inactive (aliased)
/// columns are held at 0 and left out of the determinant.
struct firth_eval {
  cox_eval ev;
  double value = nan;        ///< l + 1/2 log det I (centred-scaled frame)
  Eigen::VectorXd grad;      ///< U* (zero for inactive columns)
  Eigen::MatrixXd inv;       ///< I^-1 over the active columns (zero elsewhere)
  bool ok = false;
};

inline firth_eval firth_evaluate(const cox_setup& s, const Eigen::VectorXd& beta, const std::vector<bool>& active) {
  firth_eval fe;
  fe.ev = cox_evaluate(s, beta, true);
  if (!fe.ev.finite) return fe;
  const index p = s.p;
  std::vector<index> act;
  for (index c = 0; c < p; ++c)
    if (active[static_cast<std::size_t>(c)]) act.push_back(c);
  const auto na = static_cast<index>(act.size());
  Eigen::MatrixXd sub(na, na);
  for (index i = 0; i < na; ++i)
    for (index j = 0; j < na; ++j) sub(i, j) = fe.ev.imat(act[static_cast<std::size_t>(i)], act[static_cast<std::size_t>(j)]);
  Eigen::LLT<Eigen::MatrixXd> llt(sub);
  if (llt.info() != Eigen::Success) return fe;
  double logdet = 0;
  for (index i = 0; i < na; ++i) logdet += 2 * std::log(llt.matrixL()(i, i));
  const Eigen::MatrixXd subinv = llt.solve(Eigen::MatrixXd::Identity(na, na));
  fe.inv = Eigen::MatrixXd::Zero(p, p);
  for (index i = 0; i < na; ++i)
    for (index j = 0; j < na; ++j) fe.inv(act[static_cast<std::size_t>(i)], act[static_cast<std::size_t>(j)]) = subinv(i, j);
  fe.grad = fe.ev.u + 0.5 * firth_trace_term(s, fe.ev, fe.inv);
  for (index c = 0; c < p; ++c)
    if (!active[static_cast<std::size_t>(c)]) fe.grad[c] = 0;
  fe.value = fe.ev.loglik + 0.5 * logdet;
  fe.ok = std::isfinite(fe.value) && fe.grad.allFinite();
  return fe;
}

struct firth_newton_result {
  Eigen::VectorXd beta;
  firth_eval fe;
  int iterations = 0;
  bool converged = false;
};

/// Maximises l* over the columns marked `free` from `beta` (others held fixed). Steps are
/// measured in coefficient units (scaled-frame step times `scale`).
inline firth_newton_result firth_newton(const cox_setup& s, Eigen::VectorXd beta, const std::vector<bool>& free,
                                        const std::vector<bool>& active, int max_iter, int max_halving,
                                        double max_step, double epsilon) {
  const index p = s.p;
  std::vector<index> fr;
  for (index c = 0; c < p; ++c)
    if (free[static_cast<std::size_t>(c)]) fr.push_back(c);
  const auto nf = static_cast<index>(fr.size());
  firth_newton_result out;
  out.fe = firth_evaluate(s, beta, active);
  if (!out.fe.ok) {
    out.beta = beta;
    return out;
  }
  for (int iter = 0; iter <= max_iter; ++iter) {
    out.iterations = iter;
    Eigen::VectorXd step = Eigen::VectorXd::Zero(p);
    if (nf > 0) {
      Eigen::MatrixXd sub(nf, nf);
      Eigen::VectorXd g(nf);
      for (index i = 0; i < nf; ++i) {
        g[i] = out.fe.grad[fr[static_cast<std::size_t>(i)]];
        for (index j = 0; j < nf; ++j) sub(i, j) = out.fe.ev.imat(fr[static_cast<std::size_t>(i)], fr[static_cast<std::size_t>(j)]);
      }
      const Eigen::VectorXd d = sub.ldlt().solve(g);
      for (index i = 0; i < nf; ++i) step[fr[static_cast<std::size_t>(i)]] = d[i];
    }
    const double largest = (step.cwiseProduct(s.scale)).cwiseAbs().maxCoeff();
    if (!std::isfinite(largest)) break;
    if (largest <= epsilon) {
      out.converged = true;
      break;
    }
    if (iter == max_iter) break;
    if (largest > max_step) step *= max_step / largest;
    Eigen::VectorXd trial = beta + step;
    firth_eval ft = firth_evaluate(s, trial, active);
    for (int hv = 0; hv < max_halving && (!ft.ok || ft.value < out.fe.value); ++hv) {
      step /= 2;
      trial = beta + step;
      ft = firth_evaluate(s, trial, active);
    }
    if (!ft.ok) break;
    beta = trial;
    out.fe = std::move(ft);
  }
  out.beta = beta;
  return out;
}

/// Profile of l* in coefficient c: maximum over the other active columns with beta_c = b.
struct firth_profile {
  const cox_setup* s;
  std::vector<bool> active, free;
  index c;
  Eigen::VectorXd warm;  ///< last solution (warm start)
  int max_iter, max_halving;
  double max_step, epsilon;

  double operator()(double b) {
    Eigen::VectorXd start = warm;
    start[c] = b;
    auto r = firth_newton(*s, start, free, active, max_iter, max_halving, max_step, epsilon);
    if (!r.fe.ok) return -inf;
    warm = r.beta;
    return r.fe.value;
  }
};

/// Root of f (increasing away from b0 along `dir`) with f(b0) < 0: expands the bracket by
/// doubling the step, then regula falsi (Illinois). Returns +-inf if no sign change is found
/// before |b - b0| exceeds `limit`.
template <class F>
double profile_root(F&& f, double b0, double dir, double first_step, double limit, double tol) {
  double lo = b0, flo = f(b0);
  double stepv = first_step;
  double hi = b0 + dir * stepv, fhi = f(hi);
  while (!(fhi > 0)) {
    if (std::isfinite(fhi)) {
      lo = hi;
      flo = fhi;
    }
    stepv *= 2;
    if (stepv > limit) return dir * inf;
    hi = b0 + dir * stepv;
    fhi = f(hi);
  }
  if (!std::isfinite(fhi)) fhi = 1e300;
  int side = 0;
  double prev = nan;
  for (int it = 0; it < 200; ++it) {
    const double mid = (lo * fhi - hi * flo) / (fhi - flo);
    const double fm = f(mid);
    if (fm == 0 || (!std::isnan(prev) && std::abs(mid - prev) <= tol * (1 + std::abs(mid)))) return mid;
    prev = mid;
    if (fm > 0 || !std::isfinite(fm)) {
      hi = mid;
      fhi = std::isfinite(fm) ? fm : 1e300;
      if (side == 1) flo /= 2;
      side = 1;
    } else {
      lo = mid;
      flo = fm;
      if (side == -1) fhi /= 2;
      side = -1;
    }
  }
  return (lo + hi) / 2;
}

}  // namespace vasostat::inline v0::survival::detail
