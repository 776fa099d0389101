#pragma once
// The Cox partial-likelihood engine behind survival::cox and its post-fit functions: one sort
// per stratum, then per Newton step O(n p) sweeps plus one weighted cross-product X'diag(v)X.
//
// Notation (Therneau & Grambsch 2000, ch. 3): event block j = the tied deaths at one time in
// one stratum; S0_j, S1_j = sums of r_i = w_i exp(eta_i) and r_i x_i over the risk set; D0_j,
// D1_j the same over the deaths; Efron sub-step r = 0..d-1 uses s0_r = S0 - (r/d) D0 with the
// mean death weight wbar = wd/d (survival's weighted convention). Everything a subject needs is
// a sum over the blocks in (entry_i, stop_i], kept as suffix sums over blocks, so the score,
// the information, residuals and the baseline hazard all cost O(n p) after the sweep:
//   U = X'(w delta - v),  v_i = r_i (A_i - delta_i b_j(i)),
//   I = X'diag(v)X - sum_j [alpha_j S1 S1' - beta_j (S1 D1' + D1 S1') + gamma_j D1 D1'],
// with a_j = sum_r wbar/s0_r, b_j = sum_r wbar c_r/s0_r, alpha/beta/gamma = sum_r wbar c_r^{0,1,2}/s0_r^2.
// Exact (discrete) ties replace blocks with d >= 2 by the Gail-Lubin-Rubinstein (1981) recursion.

#include <vasostat/survival/common.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <vector>

namespace vasostat::inline v0::survival {

/// How tied event times enter the partial likelihood (R coxph's `ties`).
enum class ties : std::uint8_t { efron, breslow, exact };

namespace detail {

using index = Eigen::Index;

struct cox_block {
  index stratum = 0;
  double time = 0;
  index begin = 0, end = 0;   ///< positions (stop order) of everyone with stop == time
  index rem_end = 0;          ///< entry_order[0, rem_end) of this stratum have entry >= time
  index death_begin = 0, death_end = 0;  ///< into cox_setup::death_pos
};

/// Everything that depends only on the data, computed once.
struct cox_setup {
  index n = 0, p = 0;
  bool counting = false;
  ties method = ties::efron;
  std::vector<index> orig;                 ///< position -> original row
  std::vector<index> stratum_begin;        ///< positions, size n_strata + 1
  std::vector<index> stratum_block_begin;  ///< blocks, size n_strata + 1
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x;  ///< sorted, centred, scaled covariates (row-major: a subject's p values together)
  Eigen::VectorXd center, scale;           ///< x_sorted = (X - center) * scale
  Eigen::VectorXd wt, status, stop;        ///< sorted
  Eigen::VectorXd offset, entry;           ///< sorted; empty when not given
  std::vector<index> entry_order;          ///< positions sorted by entry descending within stratum
  std::vector<cox_block> blocks;           ///< stratum ascending, time descending
  std::vector<index> death_pos;
  std::vector<index> blk_stop, blk_entry;  ///< per position: first block with time <= stop / <= entry (or the stratum's block end)
  std::vector<index> own_block;            ///< per position: its block if it is a death, else -1
  std::vector<index> stratum_of;           ///< per position
  double n_events = 0;
};

/// Per-row block indices for residuals and post-fit sums: stratum_of; blk_stop / blk_entry = the
/// first block (time descending) with time <= stop / <= entry (or the stratum's block end);
/// own_block = the row's block when it is a death, else -1.
inline void add_row_blocks(cox_setup& s) {
  const auto n = static_cast<std::size_t>(s.n);
  const std::size_t ns = s.stratum_begin.size() - 1;
  if (s.stratum_of.size() == n && s.blk_stop.size() == n) return;
  s.stratum_of.resize(n);
  s.blk_stop.assign(n, 0);
  s.blk_entry.assign(n, 0);
  s.own_block.assign(n, -1);
  for (std::size_t g = 0; g < ns; ++g) {
    const index b0 = s.stratum_begin[g], b1 = s.stratum_begin[g + 1];
    const index bb = s.stratum_block_begin[g], bend = s.stratum_block_begin[g + 1];
    for (index k = b0; k < b1; ++k) s.stratum_of[static_cast<std::size_t>(k)] = static_cast<index>(g);
    // positions run time-descending; a row's blk_stop is the first block at or after it
    index j = bb;
    for (index k = b0; k < b1; ++k) {
      while (j < bend && s.blocks[static_cast<std::size_t>(j)].end <= k) ++j;
      s.blk_stop[static_cast<std::size_t>(k)] = j;
    }
    for (index jj = bb; jj < bend; ++jj) {
      const cox_block& b = s.blocks[static_cast<std::size_t>(jj)];
      for (index q = b.death_begin; q < b.death_end; ++q)
        s.own_block[static_cast<std::size_t>(s.death_pos[static_cast<std::size_t>(q)])] = jj;
    }
    for (index k = b0; k < b1; ++k) {
      if (!s.counting) {
        s.blk_entry[static_cast<std::size_t>(k)] = bend;
        continue;
      }
      // blocks times descend: binary search for the first with time <= entry
      index lo = bb, hi = bend;
      const double en = s.entry[k];
      while (lo < hi) {
        index mid = (lo + hi) / 2;
        if (s.blocks[static_cast<std::size_t>(mid)].time <= en)
          hi = mid;
        else
          lo = mid + 1;
      }
      s.blk_entry[static_cast<std::size_t>(k)] = lo;
    }
  }
}

/// Weighted centring (R: means of columns not all in {-1, 0, 1}) and scaling by the inverse mean
/// absolute deviation (keeps the Cholesky tolerance scale-free, as coxph does): x_scaled =
/// (x - center) * scale. Unweighted columns are summed in one pass of 1024-element segments (sum
/// and the {-1, 0, 1} test together). Returns false when a column sum is not finite (X holds a
/// NaN or an infinity, or its sum overflows).
inline bool cox_center_scale(const Eigen::Ref<const Eigen::MatrixXd>& X, std::span<const double> weights,
                             Eigen::VectorXd& center, Eigen::VectorXd& scale) {
  const index n = X.rows(), p = X.cols();
  center = Eigen::VectorXd::Zero(p);
  scale = Eigen::VectorXd::Ones(p);
  double wsum = 0;
  if (weights.empty())
    wsum = static_cast<double>(n);
  else
    for (double w : weights) wsum += w;
  bool finite = true;
  for (index c = 0; c < p; ++c) {
    const auto col = X.col(c);
    bool zero_one = true;  // every value in {-1, 0, 1}
    double m = 0;
    if (weights.empty()) {
      constexpr index seg = 1024;
      for (index r0 = 0; r0 < n; r0 += seg) {
        const auto a = col.segment(r0, std::min(seg, n - r0)).array();
        m += a.sum();
        if (zero_one) zero_one = (a.abs() * (a.abs() - 1.0) == 0.0).all();
      }
    } else {
      for (index i = 0; i < n; ++i) {
        const double v = col[i];
        zero_one = zero_one && (v == 0 || v == 1 || v == -1);
        m += weights[static_cast<std::size_t>(i)] * v;
      }
    }
    finite = finite && std::isfinite(m);
    m = wsum > 0 ? m / wsum : 0;
    if (!zero_one) center[c] = m;
    const double ce = center[c];
    double mad = 0;
    if (weights.empty())
      mad = (col.array() - ce).abs().sum();
    else
      for (index i = 0; i < n; ++i) mad += weights[static_cast<std::size_t>(i)] * std::abs(col[i] - ce);
    mad = wsum > 0 ? mad / wsum : 0;
    if (mad > 0 && std::isfinite(mad)) scale[c] = 1 / mad;
  }
  return finite;
}

/// Sorts and copies the data once. `time_order` (optional): a stable ascending order of `time`
/// already computed by the caller. `row_blocks` = false leaves out the per-row block indices
/// (blk_stop, blk_entry, own_block, stratum_of: only residuals and post-fit sums need them; the
/// fit's sweep does not); add_row_blocks adds them later.
inline cox_setup make_cox_setup(std::span<const double> time, std::span<const double> status,
                                const Eigen::Ref<const Eigen::MatrixXd>& X,
                                std::span<const double> entry, std::span<const int> strata,
                                std::span<const double> weights, std::span<const double> offset,
                                ties method, const std::vector<std::size_t>* time_order = nullptr,
                                bool row_blocks = true) {
  cox_setup s;
  s.n = static_cast<index>(time.size());
  s.p = X.cols();
  s.counting = !entry.empty();
  s.method = method;
  const auto n = static_cast<std::size_t>(s.n);
  label_codes codes;  // stratum codes (left empty without strata)
  if (!strata.empty()) codes = encode_labels(strata, n);
  const std::size_t ns = strata.empty() ? 1 : codes.labels.size();
  // stop descending within stratum: ascending order reversed, then stable by stratum
  std::vector<std::size_t> asc_own;
  if (!time_order) asc_own = order_ascending(time);
  const std::vector<std::size_t>& asc = time_order ? *time_order : asc_own;
  s.orig.resize(n);
  if (ns == 1) {
    for (std::size_t k = 0; k < n; ++k) s.orig[k] = static_cast<index>(asc[n - 1 - k]);
  } else {
    // deaths before censorings at equal times is irrelevant (blocks take all), keep stable
    const auto desc = stable_by_code(std::vector<std::size_t>(asc.rbegin(), asc.rend()), codes.code, ns);
    for (std::size_t k = 0; k < n; ++k) s.orig[k] = static_cast<index>(desc[k]);
  }
  std::vector<std::size_t>().swap(asc_own);
  s.stratum_begin.assign(ns + 1, 0);
  if (ns == 1)
    s.stratum_begin[1] = s.n;
  else
    for (int c : codes.code) ++s.stratum_begin[static_cast<std::size_t>(c) + 1];
  for (std::size_t g = 0; g < ns; ++g) s.stratum_begin[g + 1] += s.stratum_begin[g];

  // Copies in sorted order are written by scattering the rows as given (sequential reads): with
  // tied times the writes advance in one run per distinct time, which caches serve well.
  std::vector<index> pos_of(n);
  for (std::size_t k = 0; k < n; ++k) pos_of[static_cast<std::size_t>(s.orig[k])] = static_cast<index>(k);
  s.wt.resize(s.n);
  s.status.resize(s.n);
  s.stop.resize(s.n);
  for (std::size_t i = 0; i < n; ++i) {
    const index k = pos_of[i];
    s.wt[k] = weights.empty() ? 1.0 : weights[i];
    s.status[k] = status[i];
    s.stop[k] = time[i];
  }
  // offset and entry are empty when not given
  if (!offset.empty()) {
    s.offset.resize(s.n);
    for (std::size_t i = 0; i < n; ++i) s.offset[pos_of[i]] = offset[i];
  }
  if (!entry.empty()) {
    s.entry.resize(s.n);
    for (std::size_t i = 0; i < n; ++i) s.entry[pos_of[i]] = entry[i];
  }
  // weighted centring and scaling (cox_center_scale), computed on the columns as given; the
  // sorted copy is centred and scaled as it is gathered
  cox_center_scale(X, weights, s.center, s.scale);
  s.x.resize(s.n, s.p);
  {
    const auto pu = static_cast<std::size_t>(s.p);
    double* dst = s.x.data();
    for (std::size_t i = 0; i < n; ++i) {
      double* row = dst + static_cast<std::size_t>(pos_of[i]) * pu;
      for (index c = 0; c < s.p; ++c) row[c] = (X(static_cast<index>(i), c) - s.center[c]) * s.scale[c];
    }
  }
  // entry order: positions by entry descending within stratum
  if (s.counting) {
    std::vector<double> ent(n);
    for (std::size_t k = 0; k < n; ++k) ent[k] = s.entry[static_cast<index>(k)];
    auto easc = order_ascending(ent);
    std::vector<std::size_t> edesc(easc.rbegin(), easc.rend());
    std::vector<int> scode(n);
    for (std::size_t g = 0; g < ns; ++g)
      for (index k = s.stratum_begin[g]; k < s.stratum_begin[g + 1]; ++k) scode[static_cast<std::size_t>(k)] = static_cast<int>(g);
    auto eo = stable_by_code(edesc, scode, ns);
    s.entry_order.assign(eo.begin(), eo.end());
  }
  // blocks
  s.stratum_block_begin.assign(ns + 1, 0);
  s.death_pos.reserve(n);  // address space only: pages are touched as deaths are added
  for (std::size_t g = 0; g < ns; ++g) {
    s.stratum_block_begin[g] = static_cast<index>(s.blocks.size());
    const index b0 = s.stratum_begin[g], b1 = s.stratum_begin[g + 1];
    index rem = b0;  // entry_order uses the same stratum ranges
    for (index k = b0; k < b1;) {
      const double t = s.stop[k];
      index e = k;
      bool any_death = false;
      for (; e < b1 && s.stop[e] == t; ++e) any_death = any_death || s.status[e] == 1;
      if (any_death) {
        cox_block b;
        b.stratum = static_cast<index>(g);
        b.time = t;
        b.begin = k;
        b.end = e;
        if (s.counting)
          while (rem < b1 && s.entry[s.entry_order[static_cast<std::size_t>(rem)]] >= t) ++rem;
        b.rem_end = rem;
        b.death_begin = static_cast<index>(s.death_pos.size());
        for (index q = k; q < e; ++q)
          if (s.status[q] == 1) {
            s.death_pos.push_back(q);
            s.n_events += s.wt[q];
          }
        b.death_end = static_cast<index>(s.death_pos.size());
        s.blocks.push_back(b);
      }
      k = e;
    }
  }
  s.stratum_block_begin[ns] = static_cast<index>(s.blocks.size());
  if (row_blocks || s.counting) add_row_blocks(s);  // (entry, stop] fits use blk_entry
  return s;
}

/// Per-block quantities of one evaluation at beta (all in the shifted, centred, scaled frame).
struct cox_eval {
  double loglik = 0;
  Eigen::VectorXd u;
  Eigen::MatrixXd imat;
  Eigen::VectorXd eta;        ///< x beta + offset (centred frame), sorted
  Eigen::VectorXd risk;       ///< exp(eta - shift of its stratum), sorted (no weight)
  // per block: hazard-type coefficients (Efron or Breslow, never exact) and sums
  Eigen::VectorXd a, b, alpha, beta, gamma, e1, e2, s0, d0, wd, nd;
  Eigen::MatrixXd s1, d1;     ///< blocks x p
  std::vector<double> shift;  ///< per stratum: max eta, subtracted before exp()
  bool finite = true;
};

/// Suffix sums over blocks within each stratum: out[j] = sum_{j' >= j, same stratum} v[j'];
/// out has one extra zero slot per stratum end, addressed by the stratum's block end.
inline void block_suffix(const cox_setup& s, const Eigen::Ref<const Eigen::VectorXd>& v,
                         std::vector<double>& out) {
  const auto nb = s.blocks.size();
  out.assign(nb + 1, 0.0);
  for (std::size_t g = 0; g + 1 < s.stratum_block_begin.size(); ++g) {
    auto b0 = static_cast<std::size_t>(s.stratum_block_begin[g]);
    auto b1 = static_cast<std::size_t>(s.stratum_block_begin[g + 1]);
    double acc = 0;
    for (std::size_t j = b1; j-- > b0;) {
      acc += v[static_cast<index>(j)];
      out[j] = acc;
    }
  }
}

/// Cumulative over the blocks in (entry_i, stop_i] of per-block values (suffix sums `cum`).
inline double at_risk_sum(const cox_setup& s, const std::vector<double>& cum, std::size_t k) {
  auto j1 = static_cast<std::size_t>(s.blk_stop[k]);
  auto j0 = static_cast<std::size_t>(s.blk_entry[k]);
  auto bend = static_cast<std::size_t>(s.stratum_block_begin[static_cast<std::size_t>(s.stratum_of[k]) + 1]);
  double hi = j1 < bend ? cum[j1] : 0.0;
  double lo = j0 < bend ? cum[j0] : 0.0;
  return hi - lo;
}

/// Adds the exact (discrete) partial-likelihood term of a block with d >= 2 deaths.
inline void exact_block(const cox_setup& s, const cox_eval& ev, const cox_block& blk,
                        double& loglik, Eigen::VectorXd& u, Eigen::MatrixXd* imat) {
  const index p = s.p;
  const index d = blk.death_end - blk.death_begin;
  const index sb = s.stratum_begin[static_cast<std::size_t>(blk.stratum)];
  double mean = 0;
  index m = 0;
  for (index k = sb; k < blk.end; ++k) {
    if (s.counting && !(s.entry[k] < blk.time)) continue;
    mean += ev.risk[k];
    ++m;
  }
  mean /= static_cast<double>(m);
  std::vector<double> f(static_cast<std::size_t>(d) + 1, 0.0);
  Eigen::MatrixXd f1 = Eigen::MatrixXd::Zero(p, d + 1);
  std::vector<Eigen::MatrixXd> f2;
  if (imat) f2.assign(static_cast<std::size_t>(d) + 1, Eigen::MatrixXd::Zero(p, p));
  f[0] = 1;
  index count = 0;
  for (index k = sb; k < blk.end; ++k) {
    if (s.counting && !(s.entry[k] < blk.time)) continue;
    ++count;
    const double rho = ev.risk[k] / mean;
    const Eigen::VectorXd xk = s.x.row(k).transpose();
    for (index q = std::min(d, count); q >= 1; --q) {
      const auto qu = static_cast<std::size_t>(q);
      if (imat) {
        Eigen::MatrixXd t = f2[qu - 1] + xk * f1.col(q - 1).transpose();
        t += f1.col(q - 1) * xk.transpose();
        t += (f[qu - 1] * xk) * xk.transpose();
        f2[qu] += rho * t;
      }
      f1.col(q) += rho * (f1.col(q - 1) + f[qu - 1] * xk);
      f[qu] += rho * f[qu - 1];
    }
  }
  const double fd = f[static_cast<std::size_t>(d)];
  loglik -= std::log(fd) + static_cast<double>(d) * std::log(mean);
  Eigen::VectorXd mu = f1.col(d) / fd;
  u -= mu;
  if (imat) *imat += f2[static_cast<std::size_t>(d)] / fd - mu * mu.transpose();
}

/// v_i = r_i (A_i - delta_i b_j(i)) for per-block coefficients a, b (A_i = sum of a over the
/// blocks subject i is at risk in).
inline void block_weights(const cox_setup& s, const cox_eval& ev, const Eigen::VectorXd& a,
                          const Eigen::VectorXd& b, Eigen::VectorXd& v) {
  std::vector<double> cum_a;
  block_suffix(s, a, cum_a);
  v.resize(s.n);
  for (index k = 0; k < s.n; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    double A = at_risk_sum(s, cum_a, ku);
    const index ob = s.own_block[ku];
    if (ob >= 0) A -= b[ob];
    v[k] = ev.risk[k] * s.wt[k] * A;
  }
}

/// sum_j [alpha_j S1 S1' - beta_j (S1 D1' + D1 S1') + gamma_j D1 D1'] (the per-block part of I).
inline Eigen::MatrixXd information_block_terms(const cox_eval& ev, const Eigen::VectorXd& al,
                                               const Eigen::VectorXd& be, const Eigen::VectorXd& ga) {
  Eigen::MatrixXd sa = ev.s1.array().colwise() * al.array();
  Eigen::MatrixXd sb = ev.s1.array().colwise() * be.array();
  Eigen::MatrixXd dg = ev.d1.array().colwise() * ga.array();
  Eigen::MatrixXd outer = sa.transpose() * ev.s1;
  Eigen::MatrixXd cross = sb.transpose() * ev.d1;
  outer -= cross + cross.transpose();
  outer += dg.transpose() * ev.d1;
  return outer;
}

/// Adds X' diag(v) X for the rows [r0, r0 + v.size()) to pos (v >= 0 part) and neg (v < 0
/// part), lower triangles; xs is scratch of at least v.size() rows.
inline void add_weighted_cross(const cox_setup& s, index r0, const Eigen::Ref<const Eigen::VectorXd>& v,
                               Eigen::MatrixXd& xs, Eigen::MatrixXd& pos, Eigen::MatrixXd& neg, bool& any_neg) {
  const index len = v.size();
  xs.topRows(len) = s.x.middleRows(r0, len).array().colwise() * v.cwiseMax(0.0).cwiseSqrt().array();
  pos.selfadjointView<Eigen::Lower>().rankUpdate(xs.topRows(len).transpose());
  if ((v.array() < 0).any()) {
    any_neg = true;
    xs.topRows(len) = s.x.middleRows(r0, len).array().colwise() * (-v).cwiseMax(0.0).cwiseSqrt().array();
    neg.selfadjointView<Eigen::Lower>().rankUpdate(xs.topRows(len).transpose());
  }
}

/// X' diag(v) X - sum_j [alpha_j S1 S1' - beta_j (S1 D1' + D1 S1') + gamma_j D1 D1'].
inline Eigen::MatrixXd information_sum(const cox_setup& s, const cox_eval& ev, const Eigen::VectorXd& v,
                                       const Eigen::VectorXd& al, const Eigen::VectorXd& be,
                                       const Eigen::VectorXd& ga) {
  const index n = s.n, p = s.p;
  // X' diag(v) X in row chunks, split by the sign of v (v >= 0 for the fit itself)
  Eigen::MatrixXd pos = Eigen::MatrixXd::Zero(p, p), neg = Eigen::MatrixXd::Zero(p, p);
  constexpr index chunk = 4096;
  Eigen::MatrixXd xs(std::min(chunk, n), p);
  bool any_neg = false;
  for (index r0 = 0; r0 < n; r0 += chunk) {
    const index len = std::min(chunk, n - r0);
    add_weighted_cross(s, r0, v.segment(r0, len), xs, pos, neg, any_neg);
  }
  Eigen::MatrixXd out = pos.selfadjointView<Eigen::Lower>();
  if (any_neg) out -= Eigen::MatrixXd(neg.selfadjointView<Eigen::Lower>());
  out -= information_block_terms(ev, al, be, ga);
  return out;
}

/// Sum of log(S0 - (r/d) D0) over the Efron sub-steps r = 0..d-1 as d log S0 + log of the
/// product of the factors 1 - (r/d) (D0/S0) (each in [1/d, 1]): one log per block instead of
/// one per death (the product is logged and restarted before it could underflow).
inline double efron_log_sum(double S0, double d0, index d) {
  const double f = d0 / S0, dd = static_cast<double>(d);
  double ll = dd * std::log(S0), prod = 1;
  for (index q = 1; q < d; ++q) {
    prod *= 1 - (static_cast<double>(q) / dd) * f;
    if (prod < 1e-250) {
      ll += std::log(prod);
      prod = 1;
    }
  }
  return ll + std::log(prod);
}

/// Sizes the per-block columns that store_block_terms fills (reused across evaluations).
inline void resize_block_terms(cox_eval& ev, index nb) {
  for (Eigen::VectorXd* v : {&ev.s0, &ev.d0, &ev.wd, &ev.nd, &ev.a, &ev.b, &ev.alpha, &ev.beta, &ev.gamma,
                             &ev.e1, &ev.e2})
    v->resize(nb);
}

/// Block j's sums and hazard-type coefficients into `ev` — Efron's when `efron` and d >= 2
/// deaths tie, Breslow's otherwise — and the block's log-likelihood decrement (Breslow
/// wd log S0, Efron wbar Σ log(S0 − (q/d) D0)). Shared by the sorted and the row-order evaluation.
inline double store_block_terms(cox_eval& ev, index j, double S0, double d0, double wd, double nd,
                                bool efron) {
  const auto nd_i = static_cast<index>(nd);
  ev.s0[j] = S0;
  ev.d0[j] = d0;
  ev.wd[j] = wd;
  ev.nd[j] = nd;
  if (efron && nd_i > 1) {
    const double wbar = wd / nd;
    double a = 0, b = 0, al = 0, be = 0, ga = 0;
    for (index q = 0; q < nd_i; ++q) {
      const double c = static_cast<double>(q) / nd;
      const double inv = 1 / (S0 - c * d0);
      a += inv;
      b += c * inv;
      al += inv * inv;
      be += c * inv * inv;
      ga += c * c * inv * inv;
    }
    ev.a[j] = wbar * a;
    ev.b[j] = wbar * b;
    ev.alpha[j] = wbar * al;
    ev.beta[j] = wbar * be;
    ev.gamma[j] = wbar * ga;
    ev.e1[j] = a / nd;
    ev.e2[j] = b / nd;
    return wbar * efron_log_sum(S0, d0, nd_i);
  }
  ev.a[j] = wd / S0;
  ev.b[j] = 0;
  ev.alpha[j] = wd / (S0 * S0);
  ev.beta[j] = 0;
  ev.gamma[j] = 0;
  ev.e1[j] = 1 / S0;
  ev.e2[j] = 0;
  return wd * std::log(S0);
}

/// log-likelihood, score and (optionally) information at beta (centred-scaled frame), written
/// into `ev` (its n-sized buffers are reused when `ev` comes from an earlier evaluation).
/// Pass 1 (no covariates read): r = w exp(eta - shift) and the risk-set sums S0 by one running
/// sweep per stratum in time-descending order (rows leave at their entry time), hence every
/// block's hazard-type coefficients and log-likelihood term. Pass 2 reads each sorted row once,
/// in chunks that stay in cache: S1 and D1 at each block by the same running sweep, and
/// v_i = r_i (A_i - delta_i b_j(i)) (A_i = the sum of a over the blocks subject i is at risk in),
/// the score U = X'(w delta - v) and the information X'diag(v)X as a rank update per chunk.
inline void cox_evaluate_into(const cox_setup& s, const Eigen::VectorXd& beta, bool want_info, cox_eval& ev) {
  const index n = s.n, p = s.p;
  const auto nb = static_cast<index>(s.blocks.size());
  const auto pu = static_cast<std::size_t>(p);
  ev.eta.resize(n);
  ev.eta.noalias() = s.x * beta;
  if (s.offset.size() == n) ev.eta += s.offset;
  ev.risk.resize(n);
  std::vector<double>& shift = ev.shift;
  shift.assign(s.stratum_begin.size() - 1, 0.0);
  for (std::size_t g = 0; g + 1 < s.stratum_begin.size(); ++g) {
    double mx = -inf;
    for (index k = s.stratum_begin[g]; k < s.stratum_begin[g + 1]; ++k) mx = std::max(mx, ev.eta[k]);
    shift[g] = std::isfinite(mx) ? mx : 0.0;
  }
  ev.s1.resize(nb, p);
  ev.d1.resize(nb, p);
  resize_block_terms(ev, nb);
  const bool efron = s.method == ties::efron;
  const bool exact = s.method == ties::exact;
  const double* wt = s.wt.data();
  const double* eta = ev.eta.data();
  double* risk = ev.risk.data();
  std::vector<index> exact_blocks;
  // pass 1: risk, S0, per-block coefficients and the log-likelihood
  double loglik = 0;
  for (std::size_t g = 0; g + 1 < s.stratum_begin.size(); ++g) {
    const double sh = shift[g];
    const index b0 = s.stratum_begin[g], b1 = s.stratum_begin[g + 1];
    for (index k = b0; k < b1; ++k) risk[k] = std::exp(eta[k] - sh);
    double S0 = 0;
    index k = b0, rem = b0;
    for (index j = s.stratum_block_begin[g]; j < s.stratum_block_begin[g + 1]; ++j) {
      const cox_block& blk = s.blocks[static_cast<std::size_t>(j)];
      for (; k < blk.end; ++k) S0 += risk[k] * wt[k];
      double d0 = 0, wd = 0, weta = 0;
      for (index q = blk.death_begin; q < blk.death_end; ++q) {
        const index kk = s.death_pos[static_cast<std::size_t>(q)];
        d0 += risk[kk] * wt[kk];
        wd += wt[kk];
        weta += wt[kk] * (eta[kk] - sh);
      }
      for (; rem < blk.rem_end; ++rem) {
        const index q = s.entry_order[static_cast<std::size_t>(rem)];
        S0 -= risk[q] * wt[q];
      }
      const index nd_i = blk.death_end - blk.death_begin;
      const double nd = static_cast<double>(nd_i);
      loglik += weta;
      const double term = store_block_terms(ev, j, S0, d0, wd, nd, efron);
      if (exact && nd_i > 1)
        exact_blocks.push_back(j);  // the exact term (below) replaces the Breslow one
      else
        loglik -= term;
    }
  }
  // coefficients that enter U and I (exact blocks with d >= 2 are handled separately)
  Eigen::VectorXd fa = ev.a, fb = ev.b;
  for (index j : exact_blocks) fa[j] = fb[j] = 0;
  // suffix sums of a over the blocks of each stratum: A_i for a right-censored row is
  // cum_a[first block at or after it]; (entry, stop] rows subtract the blocks before their entry
  std::vector<double> cum_a;
  block_suffix(s, fa, cum_a);
  // pass 2: S1, D1, U and the information, chunk by chunk
  constexpr index chunk = 512;
  Eigen::VectorXd v(std::min(chunk, n)), resid(std::min(chunk, n));
  Eigen::MatrixXd xs(want_info ? std::min(chunk, n) : 0, p);
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(want_info ? p : 0, want_info ? p : 0);
  ev.u = Eigen::VectorXd::Zero(p);
  std::vector<double> acc(pu);
  const double* X = s.x.data();
  bool any_neg = false;
  for (std::size_t g = 0; g + 1 < s.stratum_begin.size(); ++g) {
    const index b0 = s.stratum_begin[g], b1 = s.stratum_begin[g + 1];
    const index jb = s.stratum_block_begin[g], je = s.stratum_block_begin[g + 1];
    std::fill(acc.begin(), acc.end(), 0.0);
    index j = jb, rem = b0;
    for (index c0 = b0; c0 < b1; c0 += chunk) {
      const index len = std::min(chunk, b1 - c0);
      for (index q = 0; q < len; ++q) {
        const index k = c0 + q;
        const double* x = X + static_cast<std::size_t>(k) * pu;
        while (j < je && s.blocks[static_cast<std::size_t>(j)].end <= k) ++j;  // first block at or after k
        const double r = risk[k] * wt[k];
        double vk = 0;
        if (j < je) {
          double A = cum_a[static_cast<std::size_t>(j)];
          if (s.counting) {
            const auto j0 = static_cast<std::size_t>(s.blk_entry[static_cast<std::size_t>(k)]);
            if (j0 < static_cast<std::size_t>(je)) A -= cum_a[j0];
          }
          const bool death = s.status[k] == 1;
          if (death) A -= fb[j];
          vk = r * A;
          for (std::size_t c = 0; c < pu; ++c) acc[c] += r * x[c];
          const cox_block& blk = s.blocks[static_cast<std::size_t>(j)];
          if (k + 1 == blk.end) {
            // the block is complete: rows whose entry is at or after its time leave, S1 and D1 stored
            for (; rem < blk.rem_end; ++rem) {
              const index qq = s.entry_order[static_cast<std::size_t>(rem)];
              const double rq = risk[qq] * wt[qq];
              const double* xq = X + static_cast<std::size_t>(qq) * pu;
              for (std::size_t c = 0; c < pu; ++c) acc[c] -= rq * xq[c];
            }
            for (index c = 0; c < p; ++c) {
              ev.s1(j, c) = acc[static_cast<std::size_t>(c)];
              ev.d1(j, c) = 0;
            }
            for (index dq = blk.death_begin; dq < blk.death_end; ++dq) {
              const index kk = s.death_pos[static_cast<std::size_t>(dq)];
              const double rk = risk[kk] * wt[kk];
              const double* xk = X + static_cast<std::size_t>(kk) * pu;
              for (index c = 0; c < p; ++c) ev.d1(j, c) += rk * xk[c];
            }
          }
        }
        v[q] = vk;
        resid[q] = wt[k] * s.status[k] - vk;
      }
      const auto xc = s.x.middleRows(c0, len);
      ev.u.noalias() += xc.transpose() * resid.head(len);
      if (want_info) {
        if ((v.head(len).array() < 0).any()) any_neg = true;
        xs.topRows(len) = xc.array().colwise() * v.head(len).cwiseMax(0.0).cwiseSqrt().array();
        info.selfadjointView<Eigen::Lower>().rankUpdate(xs.topRows(len).transpose());
        if (any_neg) {
          // not for a plain fit (v >= 0): kept exact for general coefficients
          xs.topRows(len) = xc.array().colwise() * (-v.head(len)).cwiseMax(0.0).cwiseSqrt().array();
          info.selfadjointView<Eigen::Lower>().rankUpdate(xs.topRows(len).transpose(), -1.0);
        }
      }
    }
  }
  if (want_info) {
    ev.imat = info.selfadjointView<Eigen::Lower>();
    Eigen::VectorXd fal = ev.alpha, fbe = ev.beta, fga = ev.gamma;
    for (index jx : exact_blocks) fal[jx] = fbe[jx] = fga[jx] = 0;
    ev.imat -= information_block_terms(ev, fal, fbe, fga);
  }
  for (index jx : exact_blocks)
    exact_block(s, ev, s.blocks[static_cast<std::size_t>(jx)], loglik, ev.u, want_info ? &ev.imat : nullptr);
  ev.loglik = loglik;
  ev.finite = std::isfinite(loglik) && ev.u.allFinite() && (!want_info || ev.imat.allFinite());
}

/// log-likelihood, score and (optionally) information at beta (centred-scaled frame).
inline cox_eval cox_evaluate(const cox_setup& s, const Eigen::VectorXd& beta, bool want_info) {
  cox_eval ev;
  cox_evaluate_into(s, beta, want_info, ev);
  return ev;
}

/// Cholesky (LDL') with a pivot tolerance relative to the largest diagonal element; columns
/// whose pivot falls below it are marked singular and dropped (R's toler.chol rule).
struct chol_tol {
  Eigen::MatrixXd ld;
  std::vector<bool> singular;
  int rank = 0;

  chol_tol(const Eigen::MatrixXd& a, double toler) : ld(a), singular(static_cast<std::size_t>(a.rows()), false) {
    const index p = a.rows();
    double eps = 0;
    for (index i = 0; i < p; ++i) eps = std::max(eps, std::abs(a(i, i)));
    eps *= toler;
    std::vector<double> l(static_cast<std::size_t>(p));
    for (index i = 0; i < p; ++i) {
      const double piv = ld(i, i);
      if (!std::isfinite(piv) || !(piv > eps)) {
        singular[static_cast<std::size_t>(i)] = true;
        for (index j = i; j < p; ++j) ld(j, i) = 0;
        continue;
      }
      ++rank;
      for (index j = i + 1; j < p; ++j) l[static_cast<std::size_t>(j)] = ld(j, i) / piv;
      for (index j = i + 1; j < p; ++j)
        for (index k = i + 1; k <= j; ++k)
          ld(j, k) -= l[static_cast<std::size_t>(j)] * l[static_cast<std::size_t>(k)] * piv;
      for (index j = i + 1; j < p; ++j) ld(j, i) = l[static_cast<std::size_t>(j)];
    }
  }

  [[nodiscard]] Eigen::VectorXd solve(const Eigen::VectorXd& rhs) const {
    const index p = ld.rows();
    Eigen::VectorXd y = rhs;
    for (index i = 0; i < p; ++i) {
      if (singular[static_cast<std::size_t>(i)]) {
        y[i] = 0;
        continue;
      }
      for (index k = 0; k < i; ++k) y[i] -= ld(i, k) * y[k];
    }
    for (index i = 0; i < p; ++i) y[i] = singular[static_cast<std::size_t>(i)] ? 0.0 : y[i] / ld(i, i);
    for (index i = p; i-- > 0;) {
      if (singular[static_cast<std::size_t>(i)]) continue;
      for (index k = i + 1; k < p; ++k) y[i] -= ld(k, i) * y[k];
    }
    return y;
  }

  [[nodiscard]] Eigen::MatrixXd inverse() const {
    const index p = ld.rows();
    Eigen::MatrixXd out(p, p);
    for (index c = 0; c < p; ++c) out.col(c) = solve(Eigen::VectorXd::Unit(p, c));
    for (index i = 0; i < p; ++i)
      if (singular[static_cast<std::size_t>(i)]) {
        out.row(i).setZero();
        out.col(i).setZero();
      }
    return (out + out.transpose()) / 2;
  }
};

/// Score residuals (n x p, sorted positions, centred-scaled frame) and martingale residuals
/// at the evaluation `ev`, using its hazard-type (Efron or Breslow) increments.
inline void cox_residual_parts(const cox_setup& s, const cox_eval& ev, Eigen::VectorXd* mart,
                               Eigen::MatrixXd* score) {
  const index n = s.n, p = s.p;
  const auto nb = static_cast<index>(s.blocks.size());
  std::vector<double> cum_a;
  block_suffix(s, ev.a, cum_a);
  if (mart) {
    mart->resize(n);
    for (index k = 0; k < n; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      double A = at_risk_sum(s, cum_a, ku);
      if (s.own_block[ku] >= 0) A -= ev.b[s.own_block[ku]];
      (*mart)[k] = s.status[k] - ev.risk[k] * A;
    }
  }
  if (!score) return;
  // g_j = S1 alpha - D1 beta, h_j = S1 beta - D1 gamma, mbar_j = S1 e1 - D1 e2
  Eigen::MatrixXd g = ev.s1.array().colwise() * ev.alpha.array() - ev.d1.array().colwise() * ev.beta.array();
  Eigen::MatrixXd h = ev.s1.array().colwise() * ev.beta.array() - ev.d1.array().colwise() * ev.gamma.array();
  Eigen::MatrixXd mbar = ev.s1.array().colwise() * ev.e1.array() - ev.d1.array().colwise() * ev.e2.array();
  std::vector<std::vector<double>> cum_g(static_cast<std::size_t>(p));
  for (index c = 0; c < p; ++c) block_suffix(s, g.col(c), cum_g[static_cast<std::size_t>(c)]);
  score->resize(n, p);
  (void)nb;
  for (index k = 0; k < n; ++k) {
    const auto ku = static_cast<std::size_t>(k);
    double A = at_risk_sum(s, cum_a, ku);
    const index ob = s.own_block[ku];
    if (ob >= 0) A -= ev.b[ob];
    for (index c = 0; c < p; ++c) {
      double G = at_risk_sum(s, cum_g[static_cast<std::size_t>(c)], ku);
      if (ob >= 0) G -= h(ob, c);
      double val = -ev.risk[k] * (s.x(k, c) * A - G);
      if (ob >= 0) val += s.x(k, c) - mbar(ob, c);
      (*score)(k, c) = val;
    }
  }
}


/// The fit's data in the caller's row order: no sorted copy of X (an n x p copy costs a pass
/// over X, its page faults and a scattered write; the evaluation reads X as given, centred and
/// scaled per chunk). The one sort by time gives each row the event blocks it is at risk in:
/// [blk, blk_in) in the block numbering of cox_setup (stratum ascending, time descending, only
/// times with an event), `sink` (= the number of blocks) standing for "no block". Every sum over
/// a risk set is then a sum of per-block buckets along the blocks of a stratum.
struct cox_rows {
  index n = 0, p = 0;
  bool counting = false;
  ties method = ties::efron;
  const double* x = nullptr;  ///< X as given (column-major, columns x_stride apart); the caller keeps it alive
  index x_stride = 0;
  Eigen::VectorXd center, scale;                    ///< x_scaled = (X - center) * scale (cox_center_scale)
  std::span<const double> status, weights, offset;  ///< as given (weights/offset may be empty)
  std::vector<int> stratum;                         ///< per row: stratum code (empty: one stratum)
  std::vector<index> stratum_block_begin;           ///< blocks, size n_strata + 1
  std::vector<std::uint32_t> blk, blk_in;           ///< per row: first block at risk / first block after it (blk_in: (entry, stop] only)
  std::uint32_t sink = 0;
  std::vector<double> block_time, block_wd, block_nd;  ///< per block: time, death weight, deaths
  std::vector<std::uint32_t> key;                   ///< per row: concordance time key (2 * time rank in stratum + censored)
  std::vector<std::size_t> nkeys;                   ///< per stratum: number of time keys
  double n_events = 0;
};

/// True when every time is a whole number in [0, 1e7) and their range is at most max(4n, 65536):
/// the fit's time groups then come from a table over the range (no sort; whole numbers this
/// small are never merged by timefix, whose tolerance is 1.5e-8 relative).
inline bool cox_whole_number_times(std::span<const double> time, double& tmin, std::size_t& range) {
  double lo = inf, hi = -inf;
  bool whole = true;
  for (double t : time) {
    whole = whole && t == std::floor(t);
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (!whole || time.empty() || !(lo >= 0) || !(hi < 1e7)) return false;
  const double lim = static_cast<double>(std::max<std::size_t>(4 * time.size(), 65536));
  if (hi - lo > lim) return false;
  tmin = lo;
  range = static_cast<std::size_t>(hi - lo) + 1;
  return true;
}

/// Builds cox_rows from `asc`, a stable ascending order of `time` (with its sort_key_bits when
/// `bits` is not null); `asc` empty: whole-number times of small range with one stratum are
/// grouped by a table (cox_whole_number_times), other times are sorted here. Centring/scaling as cox_center_scale; returns false when a column sum of
/// X is not finite (a NaN or infinity in X, or an overflow).
inline bool make_cox_rows(cox_rows& r, std::span<const double> time, std::span<const double> status,
                          const Eigen::Ref<const Eigen::MatrixXd>& X, std::span<const double> entry,
                          std::span<const int> strata, std::span<const double> weights,
                          std::span<const double> offset, ties method, const std::vector<std::size_t>& asc,
                          const std::vector<std::uint64_t>* bits) {
  const std::size_t n = time.size();
  r.n = static_cast<index>(n);
  r.p = X.cols();
  r.counting = !entry.empty();
  r.method = method;
  r.x = X.data();
  r.x_stride = X.outerStride();
  r.status = status;
  r.weights = weights;
  r.offset = offset;
  const bool finite = cox_center_scale(X, weights, r.center, r.scale);
  std::size_t ns = 1;
  const std::vector<std::size_t>* ord = &asc;
  std::vector<std::size_t> by_stratum;
  if (!strata.empty()) {
    label_codes codes = encode_labels(strata, n);
    ns = codes.labels.size();
    if (ns > 1) {
      by_stratum = stable_by_code(asc, codes.code, ns);
      ord = &by_stratum;
      r.stratum = std::move(codes.code);
    }
  }
  const bool use_bits = bits && ns == 1;
  // distinct (stratum, time) groups in ascending order: each row's group (in key for now)
  r.key.resize(n);
  std::vector<index> group_first(1, 0);  // per stratum: its first group (+ the total at the end)
  std::vector<double> gtime;
  gtime.reserve(1024);
  double tmin = 0;
  std::size_t range = 0;
  if (asc.empty() && ns == 1 && cox_whole_number_times(time, tmin, range)) {
    // whole-number times of small range, one stratum: a table over the range numbers the groups
    std::vector<std::uint32_t> gidx(range, 0);
    for (std::size_t i = 0; i < n; ++i) gidx[static_cast<std::size_t>(time[i] - tmin)] = 1;
    std::uint32_t g = 0;
    for (std::size_t t = 0; t < range; ++t)
      if (gidx[t]) {
        gidx[t] = g++;
        gtime.push_back(tmin + static_cast<double>(t));
      }
    for (std::size_t i = 0; i < n; ++i) r.key[i] = gidx[static_cast<std::size_t>(time[i] - tmin)];
    group_first.push_back(static_cast<index>(g));
  } else {
    std::vector<std::size_t> own;
    if (asc.empty()) {
      own = order_ascending(time);
      if (ns > 1) own = stable_by_code(own, r.stratum, ns);
      ord = &own;
    }
    std::size_t g = 0, gs = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (*ord)[k];
      if (k == 0) {
        gtime.push_back(time[i]);
      } else {
        const std::size_t ip = (*ord)[k - 1];
        const std::size_t si = ns > 1 ? static_cast<std::size_t>(r.stratum[i]) : 0;
        const std::size_t sp = ns > 1 ? static_cast<std::size_t>(r.stratum[ip]) : 0;
        const bool new_time = use_bits ? (*bits)[k] != (*bits)[k - 1] : time[i] != time[ip];
        if (si != sp) {
          while (gs < si) {
            group_first.push_back(static_cast<index>(g + 1));
            ++gs;
          }
          ++g;
          gtime.push_back(time[i]);
        } else if (new_time) {
          ++g;
          gtime.push_back(time[i]);
        }
      }
      r.key[i] = static_cast<std::uint32_t>(g);
    }
    while (group_first.size() < ns + 1) group_first.push_back(static_cast<index>(g + 1));
  }
  const std::size_t ng = gtime.size();
  // deaths (count and weight) per group, in row order
  std::vector<double> gnd(ng, 0.0), gwd(ng, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    if (status[i] == 1) {
      const std::uint32_t g = r.key[i];
      gnd[g] += 1;
      const double w = weights.empty() ? 1.0 : weights[i];
      gwd[g] += w;
      r.n_events += w;
    }
  // blocks: per stratum, the groups with a death, time descending; gblk = first block at or
  // below the group's time (the group's own block when it has a death), sink when none
  std::vector<std::uint32_t> gblk(ng);
  std::size_t nb = 0;
  for (std::size_t g = 0; g < ng; ++g) nb += gnd[g] > 0 ? 1 : 0;
  r.sink = static_cast<std::uint32_t>(nb);
  r.stratum_block_begin.assign(ns + 1, 0);
  r.block_time.clear();
  r.block_wd.clear();
  r.block_nd.clear();
  r.block_time.reserve(nb);
  r.block_wd.reserve(nb);
  r.block_nd.reserve(nb);
  for (std::size_t st = 0; st < ns; ++st) {
    r.stratum_block_begin[st] = static_cast<index>(r.block_time.size());
    const auto g0 = static_cast<std::size_t>(group_first[st]), g1 = static_cast<std::size_t>(group_first[st + 1]);
    std::size_t last_death = g1;  // groups below the lowest event time are at risk in no block
    for (std::size_t g = g1; g-- > g0;) {
      gblk[g] = static_cast<std::uint32_t>(r.block_time.size());
      if (gnd[g] > 0) {
        r.block_time.push_back(gtime[g]);
        r.block_wd.push_back(gwd[g]);
        r.block_nd.push_back(gnd[g]);
        last_death = g;
      }
    }
    for (std::size_t g = g0; g < last_death && g < g1; ++g) gblk[g] = r.sink;
  }
  r.stratum_block_begin[ns] = static_cast<index>(nb);
  // per row: blocks and the concordance key (2 * time rank in the stratum + censored)
  r.blk.resize(n);
  r.nkeys.assign(ns, 0);
  for (std::size_t st = 0; st < ns; ++st)
    r.nkeys[st] = 2 * static_cast<std::size_t>(group_first[st + 1] - group_first[st]);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t g = r.key[i];
    r.blk[i] = gblk[g];
    const auto first = static_cast<std::uint32_t>(group_first[ns > 1 ? static_cast<std::size_t>(r.stratum[i]) : 0]);
    r.key[i] = 2 * (g - first) + (status[i] == 0 ? 1u : 0u);
  }
  if (r.counting) {
    // first block (time descending) with time <= entry, within the row's stratum
    r.blk_in.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t st = ns > 1 ? static_cast<std::size_t>(r.stratum[i]) : 0;
      index lo = r.stratum_block_begin[st];
      const index bend = r.stratum_block_begin[st + 1];
      index hi = bend;
      const double en = entry[i];
      while (lo < hi) {
        const index mid = (lo + hi) / 2;
        if (r.block_time[static_cast<std::size_t>(mid)] <= en)
          hi = mid;
        else
          lo = mid + 1;
      }
      r.blk_in[i] = lo < bend ? static_cast<std::uint32_t>(lo) : r.sink;
    }
  }
  return finite;
}

/// log-likelihood, score and (optionally) information at beta (centred-scaled frame) from the
/// rows as given (cox_rows), written into `ev` (per-row buffers eta, risk in row order, reused
/// across calls). Pass 1: eta = x beta + offset, r = w exp(eta - shift); per block bucket sums
/// of r over the rows whose risk interval starts there (and minus at its end), so a running sum
/// along the blocks gives S0; D0 and the log-likelihood likewise; hence every block's Efron or
/// Breslow coefficients. Pass 2 in chunks of rows (centred and scaled into a small buffer):
/// v_i = r_i (A_i - delta_i b_j(i)), the score X'(w delta - v), the information X'diag(v)X as one
/// small matrix product per chunk, and the buckets of r x that give S1 (running sums) and D1.
/// Not for exact ties (the exact term needs the risk sets row by row: cox_evaluate_into).
inline void cox_evaluate_rows(const cox_rows& s, const Eigen::VectorXd& beta, bool want_info, cox_eval& ev) {
  const index n = s.n, p = s.p;
  const std::size_t nb = s.sink;
  const std::size_t ns = s.stratum_block_begin.size() - 1;
  const auto pu = static_cast<std::size_t>(p);
  const bool has_w = !s.weights.empty();
  const Eigen::Map<const Eigen::MatrixXd, 0, Eigen::OuterStride<>> X(s.x, n, p, Eigen::OuterStride<>(s.x_stride));
  // eta in the centred frame: X (scale beta) - center'(scale beta) + offset
  const Eigen::VectorXd bs = beta.cwiseProduct(s.scale);
  ev.eta.resize(n);
  if (bs.isZero(0)) {
    ev.eta.setZero();
  } else {
    ev.eta.noalias() = X * bs;
    ev.eta.array() -= s.center.dot(bs);
  }
  if (!s.offset.empty()) ev.eta += Eigen::Map<const Eigen::VectorXd>(s.offset.data(), n);
  std::vector<double>& shift = ev.shift;
  shift.assign(ns, -inf);
  if (ns == 1) {
    shift[0] = ev.eta.maxCoeff();
  } else {
    for (index i = 0; i < n; ++i) {
      double& sh = shift[static_cast<std::size_t>(s.stratum[static_cast<std::size_t>(i)])];
      sh = std::max(sh, ev.eta[i]);
    }
  }
  for (double& sh : shift) sh = std::isfinite(sh) ? sh : 0.0;
  ev.risk.resize(n);
  const double* eta = ev.eta.data();
  double* risk = ev.risk.data();
  const double* st = s.status.data();
  const std::uint32_t* blk = s.blk.data();
  const std::uint32_t* blk_in = s.counting ? s.blk_in.data() : nullptr;
  // pass 1: buckets of r (rows entering / leaving the risk set at a block) and of the deaths
  std::vector<double> s0b(nb + 1, 0.0), d0b(nb + 1, 0.0);
  double weta = 0;
  if (ns == 1) {
    ev.risk.array() = (ev.eta.array() - shift[0]).exp();
  } else {
    for (index i = 0; i < n; ++i) risk[i] = std::exp(eta[i] - shift[static_cast<std::size_t>(s.stratum[static_cast<std::size_t>(i)])]);
  }
  for (index i = 0; i < n; ++i) {
    const auto iu = static_cast<std::size_t>(i);
    const double w = has_w ? s.weights[iu] : 1.0;
    const double rw = risk[i] * w;
    s0b[blk[i]] += rw;
    if (blk_in) s0b[blk_in[i]] -= rw;
    if (st[i] == 1) {
      d0b[blk[i]] += rw;
      weta += w * (eta[i] - shift[ns == 1 ? 0 : static_cast<std::size_t>(s.stratum[iu])]);
    }
  }
  const auto nbi = static_cast<index>(nb);
  resize_block_terms(ev, nbi);
  const bool efron = s.method == ties::efron;
  double loglik = weta;
  for (std::size_t g = 0; g < ns; ++g) {
    double S0 = 0;
    for (auto j = static_cast<std::size_t>(s.stratum_block_begin[g]); j < static_cast<std::size_t>(s.stratum_block_begin[g + 1]); ++j) {
      const auto ji = static_cast<index>(j);
      S0 += s0b[j];
      const double d0 = d0b[j], wd = s.block_wd[j], nd = s.block_nd[j];
      loglik -= store_block_terms(ev, ji, S0, d0, wd, nd, efron);
    }
  }
  // A_i = cum_a[blk_i] - cum_a[blk_in_i]: suffix sums of a along each stratum's blocks (sink: 0)
  std::vector<double> cum_a(nb + 1, 0.0), fb(nb + 1, 0.0);
  for (std::size_t g = 0; g < ns; ++g) {
    double acc = 0;
    for (auto j = static_cast<std::size_t>(s.stratum_block_begin[g + 1]); j-- > static_cast<std::size_t>(s.stratum_block_begin[g]);) {
      acc += ev.a[static_cast<index>(j)];
      cum_a[j] = acc;
      fb[j] = ev.b[static_cast<index>(j)];
    }
  }
  // pass 2: chunks of centred, scaled rows (column-major, in cache); per block one bucket row
  // [r x of its censored rows (minus the rows leaving there) | r x of its deaths], filled column
  // by column (each row adds to one half); the information's lower triangle by column dot
  // products of the chunk
  constexpr index chunk = 256;
  const index cl = std::min(chunk, n);
  Eigen::MatrixXd xs(cl, p), vx(want_info ? cl : 0, p);
  Eigen::VectorXd v(cl), resid(cl), rwc(cl);
  std::vector<std::size_t> off(static_cast<std::size_t>(cl));
  const std::size_t bw = 2 * pu;  // bucket row width
  std::vector<double> bucket((nb + 1) * bw, 0.0);
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(want_info ? p : 0, want_info ? p : 0);
  ev.u = Eigen::VectorXd::Zero(p);
  for (index r0 = 0; r0 < n; r0 += chunk) {
    const index len = std::min(chunk, n - r0);
    for (index c = 0; c < p; ++c)
      xs.col(c).head(len) = (X.col(c).segment(r0, len).array() - s.center[c]) * s.scale[c];
    for (index q = 0; q < len; ++q) {
      const index i = r0 + q;
      const double w = has_w ? s.weights[static_cast<std::size_t>(i)] : 1.0;
      const double rw = risk[i] * w;
      const std::uint32_t j = blk[i];
      const bool death = st[i] == 1;
      double A = cum_a[j];
      if (blk_in) A -= cum_a[blk_in[i]];
      if (death) A -= fb[j];
      const double vq = rw * A;
      v[q] = vq;
      resid[q] = (death ? w : 0.0) - vq;
      rwc[q] = rw;
      off[static_cast<std::size_t>(q)] = static_cast<std::size_t>(j) * bw + (death ? pu : 0);
    }
    for (std::size_t c = 0; c < pu; ++c) {
      const double* xc = xs.col(static_cast<index>(c)).data();
      double* b1 = bucket.data() + c;
      for (index q = 0; q < len; ++q) b1[off[static_cast<std::size_t>(q)]] += rwc[q] * xc[q];
      if (blk_in) {
        const std::uint32_t* bi = blk_in + r0;
        for (index q = 0; q < len; ++q) b1[static_cast<std::size_t>(bi[q]) * bw] -= rwc[q] * xc[q];
      }
    }
    const auto xc = xs.topRows(len);
    ev.u.noalias() += xc.transpose() * resid.head(len);
    if (want_info) {
      vx.topRows(len) = xc.array().colwise() * v.head(len).array();
      for (index a = 0; a < p; ++a)
        for (index b = 0; b <= a; ++b) info(a, b) += xs.col(a).head(len).dot(vx.col(b).head(len));
    }
  }
  // S1 = running sums of the buckets along each stratum's blocks; D1 as summed
  ev.s1.resize(nbi, p);
  ev.d1.resize(nbi, p);
  for (std::size_t g = 0; g < ns; ++g) {
    std::vector<double> acc(pu, 0.0);
    for (auto j = static_cast<std::size_t>(s.stratum_block_begin[g]); j < static_cast<std::size_t>(s.stratum_block_begin[g + 1]); ++j)
      for (std::size_t c = 0; c < pu; ++c) {
        acc[c] += bucket[j * bw + c] + bucket[j * bw + pu + c];
        ev.s1(static_cast<index>(j), static_cast<index>(c)) = acc[c];
        ev.d1(static_cast<index>(j), static_cast<index>(c)) = bucket[j * bw + pu + c];
      }
  }
  if (want_info) {
    ev.imat = info.selfadjointView<Eigen::Lower>();
    ev.imat -= information_block_terms(ev, ev.alpha, ev.beta, ev.gamma);
  }
  ev.loglik = loglik;
  ev.finite = std::isfinite(loglik) && ev.u.allFinite() && (!want_info || ev.imat.allFinite());
}

}  // namespace detail
}  // namespace vasostat::inline v0::survival
