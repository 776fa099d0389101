#pragma once
// Harrell's concordance between a risk score and (entry, stop] survival data with R
// survival's tie rules (concordance(), timewt = "n"): a pair is comparable when the earlier
// time is an event and the other subject is at risk then; a censoring at the event time counts
// as later; two events at one time are "tied in y" and left out of C. C = (c + t_x/2) /
// (c + d + t_x). Standard error by the infinitesimal jackknife, as R reports it.
// O(n log n) with Fenwick trees over the ranks of the score.

#include <vasostat/survival/common.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::survival {

struct concordance_result {
  double concordant = 0, discordant = 0, tied_x = 0, tied_y = 0, tied_xy = 0;  ///< weighted pair counts
  double concordance = detail::nan;
  double std_error = detail::nan;  ///< infinitesimal-jackknife SE (R's concordance std)
};

struct concordance_options {
  std::span<const double> entry = {};
  std::span<const int> strata = {};
  std::span<const double> weights = {};
  std::span<const int> cluster = {};  ///< IJ influence summed within cluster before squaring
  bool reverse = true;  ///< true: a higher score predicts a shorter time (Cox risk scores)
};

namespace detail {

struct fenwick {
  std::vector<double> t;
  explicit fenwick(std::size_t n) : t(n + 1, 0.0) {}
  void add(std::size_t i, double v) {
    for (++i; i < t.size(); i += i & (~i + 1)) t[i] += v;
  }
  [[nodiscard]] double prefix(std::size_t i) const {  // sum over [0, i)
    double s = 0;
    for (; i > 0; i -= i & (~i + 1)) s += t[i];
    return s;
  }
};

/// Weighted counts by rank with O(log(m/32)) prefix sums: a Fenwick tree over blocks of 32
/// ranks (small enough to stay in cache) plus the per-rank weights for the partial block.
struct rank_counter {
  static constexpr std::size_t block = 32;
  std::vector<double> fine;
  fenwick coarse;
  explicit rank_counter(std::size_t m) : fine(m, 0.0), coarse(m / block + 1) {}
  void add(std::size_t r, double v) {
    fine[r] += v;
    coarse.add(r / block, v);
  }
  [[nodiscard]] double prefix(std::size_t r) const {  // sum over ranks [0, r)
    const std::size_t b = r / block;
    double s = coarse.prefix(b);
    for (std::size_t q = b * block; q < r; ++q) s += fine[q];
    return s;
  }
};

/// Fenwick tree over time keys holding two sums per key (all subjects, events): one walk
/// answers both prefix sums.
struct fenwick2 {
  std::vector<double> t;  // interleaved (all, event) per node
  explicit fenwick2(std::size_t n) : t(2 * (n + 1), 0.0) {}
  void add(std::size_t i, double all, double event) {
    for (++i; 2 * i < t.size(); i += i & (~i + 1)) {
      t[2 * i] += all;
      t[2 * i + 1] += event;
    }
  }
  void prefix(std::size_t i, double& all, double& event) const {  // sums over [0, i)
    all = event = 0;
    for (; i > 0; i -= i & (~i + 1)) {
      all += t[2 * i];
      event += t[2 * i + 1];
    }
  }
};

/// Time keys of right-censored subjects: key = 2 * (rank of the time within its stratum) +
/// censored, so a censoring at an event time sorts after the events; nkeys per stratum.
struct concordance_keys {
  std::vector<std::uint32_t> key;   ///< per subject, original order
  std::vector<std::size_t> nkeys;   ///< per stratum code
};

/// Keys from the (stratum, time) ascending order `asc` (ties in any order); `sorted_bits`
/// (optional) are the order-preserving images of time[asc[k]], compared instead of the times.
inline concordance_keys make_concordance_keys(std::span<const double> time, std::span<const double> status,
                                              const label_codes& scodes, const std::vector<std::size_t>& asc,
                                              const std::vector<std::uint64_t>* sorted_bits) {
  const std::size_t n = time.size();
  const std::size_t ns = scodes.labels.size();
  concordance_keys out;
  out.key.resize(n);
  out.nkeys.assign(ns, 0);
  for (std::size_t k = 0, rank = 0; k < n; ++k) {
    const std::size_t i = asc[k];
    if (k > 0) {
      const std::size_t ip = asc[k - 1];
      if (ns > 1 && scodes.code[i] != scodes.code[ip])
        rank = 0;
      else if (sorted_bits ? (*sorted_bits)[k] != (*sorted_bits)[k - 1] : time[i] != time[ip])
        ++rank;
    }
    out.key[i] = static_cast<std::uint32_t>(2 * rank + (status[i] == 0 ? 1 : 0));
    out.nkeys[ns > 1 ? static_cast<std::size_t>(scodes.code[i]) : 0] = 2 * rank + 2;
  }
  return out;
}

/// Right-censored concordance (no entry times) from the subjects' time keys. Sweeps each
/// stratum's subjects in score order with a Fenwick tree over the few distinct time keys; each
/// subject's jackknife terms are complete when it is reached, so nothing of size n is revisited
/// at random.
inline concordance_result concordance_right_censored(std::span<const double> score, std::span<const double> weights,
                                                     std::span<const int> cluster, const label_codes& scodes,
                                                     concordance_keys keys, bool reverse) {
  const std::size_t n = score.size();
  const std::size_t ns = scodes.labels.size();
  std::vector<std::uint32_t>& key = keys.key;
  const std::vector<std::size_t>& nkeys = keys.nkeys;
  // score order (ascending = earlier predicted death when reverse), grouped by stratum
  std::vector<double> neg;
  std::span<const double> sc = score;
  if (!reverse) {
    neg.resize(n);
    for (std::size_t i = 0; i < n; ++i) neg[i] = -score[i];
    sc = neg;
  }
  std::vector<std::uint64_t> bits;
  // records in (stratum, score) order: key, weight, "same score as the previous record"
  std::vector<std::uint32_t> rkey;
  std::vector<std::uint8_t> same_prev(n, 0);
  std::vector<double> rw(weights.empty() ? 0 : n);
  std::vector<int> rcl(cluster.empty() ? 0 : n);
  std::vector<std::size_t> stratum_end(ns, 0);
  if (ns == 1 && weights.empty() && cluster.empty()) {
    // the time keys travel through the sort by score (no gather in score order)
    rkey = sort_ascending_carrying<std::uint32_t>(sc, [&](std::size_t i) { return key[i]; }, &bits);
    for (std::size_t r = 1; r < n; ++r) same_prev[r] = bits[r] == bits[r - 1];
    stratum_end[0] = n;
  } else {
    std::vector<std::size_t> by_score = order_ascending(sc, &bits);
    rkey.resize(n);
    std::vector<std::size_t> start(ns + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++start[static_cast<std::size_t>(scodes.code[i]) + 1];
    for (std::size_t g = 0; g < ns; ++g) start[g + 1] += start[g];
    for (std::size_t g = 0; g < ns; ++g) stratum_end[g] = start[g + 1];
    std::vector<std::uint64_t> last_bits(ns, 0);
    std::vector<std::uint8_t> has_last(ns, 0);
    for (std::size_t q = 0; q < n; ++q) {
      const std::size_t i = by_score[q];
      const auto g = static_cast<std::size_t>(scodes.code[i]);
      const std::size_t r = start[g]++;
      rkey[r] = key[i];
      same_prev[r] = has_last[g] && last_bits[g] == bits[q];
      has_last[g] = 1;
      last_bits[g] = bits[q];
      if (!weights.empty()) rw[r] = weights[i];
      if (!cluster.empty()) rcl[r] = cluster[i];
    }
  }
  std::vector<std::uint64_t>().swap(bits);
  std::vector<std::uint32_t>().swap(key);
  auto wt = [&](std::size_t r) { return weights.empty() ? 1.0 : rw[r]; };
  // per record: A = c + t/2 and B = c + d + t (partner sums for the jackknife)
  std::vector<double> ra(n), rb(n);
  concordance_result res;
  std::vector<double> all_w, death_w, death_w2, all_after, death_before, death_at;
  std::vector<std::size_t> grp;
  std::vector<double> after_in, deaths_before_in;
  std::size_t r0 = 0;
  for (std::size_t g = 0; g < ns; ++g) {
    const std::size_t r1 = stratum_end[g];
    const std::size_t nk = nkeys[g];
    all_w.assign(nk, 0.0);
    death_w.assign(nk, 0.0);
    death_w2.assign(nk, 0.0);
    for (std::size_t r = r0; r < r1; ++r) {
      const double w = wt(r);
      all_w[rkey[r]] += w;
      if ((rkey[r] & 1) == 0) {
        death_w[rkey[r]] += w;
        death_w2[rkey[r]] += w * w;
      }
    }
    all_after.assign(nk, 0.0);
    death_before.assign(nk, 0.0);
    for (std::size_t q = nk; q-- > 1;) all_after[q - 1] = all_after[q] + all_w[q];
    for (std::size_t q = 1; q < nk; ++q) death_before[q] = death_before[q - 1] + death_w[q - 1];
    // tied in y (both events at one time), including the pairs also tied in x (found below)
    for (std::size_t q = 0; q < nk; q += 2) res.tied_y += (death_w[q] * death_w[q] - death_w2[q]) / 2;
    fenwick2 tree(nk);
    death_at.assign(nk, 0.0);
    double all_total = 0;
    for (std::size_t r = r0; r < r1;) {
      std::size_t e = r + 1;
      while (e < r1 && same_prev[e]) ++e;
      if (e == r + 1) {
        // a score of its own: no partner tied in x
        const std::uint32_t kj = rkey[r];
        const double w = wt(r);
        double pa, pd;
        tree.prefix(kj + 1, pa, pd);
        double c = 0, d = 0;
        if ((kj & 1) == 0) {
          const double below = all_total - pa;  // lower score, later: concordant
          const double above = all_after[kj] - below;
          res.concordant += w * below;
          res.discordant += w * above;
          c += below;
          d += above;
          pd -= death_at[kj];
        }
        d += pd;                          // earlier events with a lower score
        c += death_before[kj] - pd;       // earlier events with a higher score
        ra[r] = c;
        rb[r] = c + d;
        tree.add(kj, w, (kj & 1) == 0 ? w : 0.0);
        if ((kj & 1) == 0) death_at[kj] += w;
        all_total += w;
        r = e;
        continue;
      }
      // a group of equal scores: sorted by key, partners inside the group are tied in x
      grp.resize(e - r);
      for (std::size_t q = r; q < e; ++q) grp[q - r] = q;
      std::sort(grp.begin(), grp.end(), [&](std::size_t x, std::size_t y) { return rkey[x] < rkey[y]; });
      const std::size_t gs = grp.size();
      after_in.assign(gs + 1, 0.0);
      deaths_before_in.assign(gs + 1, 0.0);
      for (std::size_t q = gs; q-- > 0;) after_in[q] = after_in[q + 1] + wt(grp[q]);
      for (std::size_t q = 0; q < gs; ++q)
        deaths_before_in[q + 1] = deaths_before_in[q] + ((rkey[grp[q]] & 1) == 0 ? wt(grp[q]) : 0.0);
      for (std::size_t q = 0, hi = 0, lo = 0; q < gs; ++q) {
        const std::size_t j = grp[q];
        const std::uint32_t kj = rkey[j];
        const double w = wt(j);
        while (hi < gs && rkey[grp[hi]] <= kj) ++hi;  // first with key > key_j
        while (lo < gs && rkey[grp[lo]] < kj) ++lo;   // first with key >= key_j
        double pa, pd;
        tree.prefix(kj + 1, pa, pd);
        double c = 0, d = 0, t = 0;
        if ((kj & 1) == 0) {
          const double below = all_total - pa;
          const double same = after_in[hi];
          const double above = all_after[kj] - below - same;
          res.concordant += w * below;
          res.discordant += w * above;
          res.tied_x += w * same;
          c += below;
          d += above;
          t += same;
          pd -= death_at[kj];
        }
        const double dsame = deaths_before_in[lo];
        d += pd;
        c += death_before[kj] - pd - dsame;
        t += dsame;
        ra[j] = c + t / 2;
        rb[j] = c + d + t;
      }
      // events tied in time and in score
      for (std::size_t q = 0; q < gs;) {
        std::size_t q2 = q;
        double gw = 0, gw2 = 0;
        for (; q2 < gs && rkey[grp[q2]] == rkey[grp[q]]; ++q2) {
          gw += wt(grp[q2]);
          gw2 += wt(grp[q2]) * wt(grp[q2]);
        }
        if ((rkey[grp[q]] & 1) == 0) {
          const double xy = (gw * gw - gw2) / 2;
          res.tied_xy += xy;
          res.tied_y -= xy;
        }
        q = q2;
      }
      for (std::size_t q = r; q < e; ++q) {
        const std::uint32_t kq = rkey[q];
        const double w = wt(q);
        tree.add(kq, w, (kq & 1) == 0 ? w : 0.0);
        if ((kq & 1) == 0) death_at[kq] += w;
        all_total += w;
      }
      r = e;
    }
    r0 = r1;
  }
  const double den = res.concordant + res.discordant + res.tied_x;
  if (den > 0) {
    res.concordance = (res.concordant + res.tied_x / 2) / den;
    // IJ: dC/dw_i = [(c_i + t_i/2) - C (c_i + d_i + t_i)] / den; var = sum (w_i dC/dw_i)^2
    double var = 0;
    if (cluster.empty()) {
      for (std::size_t r = 0; r < n; ++r) {
        const double v = wt(r) * (ra[r] - res.concordance * rb[r]) / den;
        var += v * v;
      }
    } else {
      int max_label = 0;
      for (int c : rcl) max_label = std::max(max_label, c);
      std::vector<double> sum(static_cast<std::size_t>(max_label) + 1, 0.0);
      for (std::size_t r = 0; r < n; ++r)
        sum[static_cast<std::size_t>(rcl[r])] += wt(r) * (ra[r] - res.concordance * rb[r]) / den;
      for (double v : sum) var += v * v;
    }
    res.std_error = std::sqrt(var);
  }
  return res;
}

}  // namespace detail

/// Concordance of `score` with survival data (see header comment).
/// @throws vasostat::invalid_argument on size mismatches, bad times/status, NaN scores.
[[nodiscard]] inline concordance_result concordance(std::span<const double> time,
                                                    std::span<const double> status,
                                                    std::span<const double> score,
                                                    const concordance_options& options = {}) {
  constexpr const char* fn = "concordance";
  detail::check_time_status(fn, time, status);
  const std::size_t n = time.size();
  if (score.size() != n)
    detail::fail(fn, "score.size() (" + std::to_string(score.size()) + ") != time.size() (" + std::to_string(n) + ")");
  for (std::size_t i = 0; i < n; ++i)
    if (std::isnan(score[i])) detail::fail(fn, "score[" + std::to_string(i) + "] is NaN");
  detail::check_entry(fn, options.entry, time);
  detail::check_labels(fn, "strata", options.strata, n);
  detail::check_labels(fn, "cluster", options.cluster, n);
  detail::check_weights(fn, options.weights, n);
  auto scodes = detail::encode_labels(options.strata, n);
  const std::size_t ns = scodes.labels.size();
  std::vector<std::uint64_t> time_bits;
  const auto asc = detail::stable_by_code(detail::order_ascending(time, &time_bits), scodes.code, ns);
  if (options.entry.empty())
    return detail::concordance_right_censored(
        score, options.weights, options.cluster, scodes,
        detail::make_concordance_keys(time, status, scodes, asc, ns > 1 ? nullptr : &time_bits), options.reverse);
  // (entry, stop] data: two sweeps in time with a tree over the ranks of the score
  // dense ranks of the score (reverse: larger score = "earlier" prediction)
  std::vector<std::uint64_t> sorted_bits;
  const auto by_score = detail::order_ascending(score, &sorted_bits);
  std::vector<std::size_t> rank_of(n);
  std::size_t m = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (k > 0 && sorted_bits[k] != sorted_bits[k - 1]) ++m;
    rank_of[by_score[k]] = m;
  }
  ++m;
  if (!options.reverse)
    for (auto& r : rank_of) r = m - 1 - r;
  // everything by position in (stratum, time) order, contiguous
  std::vector<double> ts(n), ss(n), ws(n), es(n);
  std::vector<std::size_t> rk(n);
  std::vector<int> st(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = asc[k];
    ts[k] = time[i];
    ss[k] = status[i];
    ws[k] = options.weights.empty() ? 1.0 : options.weights[i];
    rk[k] = rank_of[i];
    st[k] = scodes.code[i];
    es[k] = options.entry[i];
  }
  // per-position partner sums for the jackknife: concordant, discordant, tied-x
  std::vector<double> pc(n, 0.0), pd(n, 0.0), pt(n, 0.0);
  concordance_result res;
  {
  detail::rank_counter tree(m);
  double total = 0;
  auto insert = [&](std::size_t k, double sign) {
    tree.add(rk[k], sign * ws[k]);
    total += sign * ws[k];
  };
  // (below, same, above) weights in the tree relative to rank r
  auto query = [&](std::size_t r, double& below, double& same, double& above) {
    below = tree.prefix(r);
    same = tree.fine[r];
    above = total - below - same;
  };
  std::vector<std::size_t> deaths;
  std::size_t pos = 0;
  for (std::size_t g = 0; g < ns; ++g) {
    std::size_t end = pos;
    while (end < n && st[end] == static_cast<int>(g)) ++end;
    std::vector<std::size_t> by_entry;  // positions, entry descending
    for (std::size_t k = pos; k < end; ++k) by_entry.push_back(k);
    std::sort(by_entry.begin(), by_entry.end(), [&](std::size_t a, std::size_t b) { return es[a] > es[b]; });
    // Sweep 1, time descending: the tree holds subjects at risk after the current time
    // (censored at the time included); (entry, stop] subjects leave at their entry.
    std::size_t rem = 0;
    for (std::size_t k = end; k > pos;) {
      const double t = ts[k - 1];
      std::size_t b = k;
      while (b > pos && ts[b - 1] == t) --b;
      for (; rem < by_entry.size() && es[by_entry[rem]] >= t; ++rem) insert(by_entry[rem], -1);
      for (std::size_t q = b; q < k; ++q)
        if (ss[q] == 0) insert(q, 1);
      deaths.clear();
      for (std::size_t q = b; q < k; ++q)
        if (ss[q] == 1) deaths.push_back(q);
      for (std::size_t q : deaths) {
        double below, same, above;
        query(rk[q], below, same, above);
        res.concordant += ws[q] * below;
        res.discordant += ws[q] * above;
        res.tied_x += ws[q] * same;
        pc[q] += below;
        pd[q] += above;
        pt[q] += same;
      }
      // tied in y: pairs of events at this time (tied in x too when their ranks agree)
      std::sort(deaths.begin(), deaths.end(), [&](std::size_t a, std::size_t c) { return rk[a] < rk[c]; });
      double sw = 0, sw2 = 0, xy = 0;
      for (std::size_t a = 0; a < deaths.size();) {
        std::size_t c = a;
        double gw = 0, gw2 = 0;
        for (; c < deaths.size() && rk[deaths[c]] == rk[deaths[a]]; ++c) {
          gw += ws[deaths[c]];
          gw2 += ws[deaths[c]] * ws[deaths[c]];
        }
        xy += (gw * gw - gw2) / 2;
        sw += gw;
        sw2 += gw2;
        a = c;
      }
      res.tied_xy += xy;
      res.tied_y += (sw * sw - sw2) / 2 - xy;
      for (std::size_t q : deaths) insert(q, 1);
      k = b;
    }
    for (; rem < by_entry.size(); ++rem) insert(by_entry[rem], -1);
    // Sweep 2, time ascending: the tree holds events; each subject collects the events it
    // was at risk for, as the later member of the pair (events before its entry subtracted).
    auto collect = [&](std::size_t j, double sign) {
      double below, same, above;
      query(rk[j], below, same, above);
      pc[j] += sign * above;  // an event with a larger score than j's is concordant with j
      pd[j] += sign * below;
      pt[j] += sign * same;
    };
    std::size_t eq = by_entry.size();  // walk by_entry backwards = entry ascending
    for (std::size_t k = pos; k < end;) {
      const double t = ts[k];
      std::size_t e = k;
      while (e < end && ts[e] == t) ++e;
      for (; eq > 0 && es[by_entry[eq - 1]] < t; --eq) collect(by_entry[eq - 1], -1);
      for (std::size_t q = k; q < e; ++q)
        if (ss[q] == 1) collect(q, 1);
      for (std::size_t q = k; q < e; ++q)
        if (ss[q] == 1) insert(q, 1);
      for (std::size_t q = k; q < e; ++q)
        if (ss[q] == 0) collect(q, 1);
      k = e;
    }
    for (std::size_t k = pos; k < end; ++k)
      if (ss[k] == 1) insert(k, -1);
    pos = end;
  }
  }
  const double den = res.concordant + res.discordant + res.tied_x;
  if (den > 0) {
    res.concordance = (res.concordant + res.tied_x / 2) / den;
    // IJ: dC/dw_i = [(c_i + t_i/2) - C (c_i + d_i + t_i)] / den; var = sum (w_i dC/dw_i)^2
    std::vector<double> infl(n);
    for (std::size_t k = 0; k < n; ++k)
      infl[k] = ws[k] * ((pc[k] + pt[k] / 2) - res.concordance * (pc[k] + pd[k] + pt[k])) / den;
    double var = 0;
    if (options.cluster.empty()) {
      for (double v : infl) var += v * v;
    } else {
      auto cc = detail::encode_labels(options.cluster, n);
      std::vector<double> sum(cc.labels.size(), 0.0);
      for (std::size_t k = 0; k < n; ++k) sum[static_cast<std::size_t>(cc.code[asc[k]])] += infl[k];
      for (double v : sum) var += v * v;
    }
    res.std_error = std::sqrt(var);
  }
  return res;
}

}  // namespace vasostat::inline v0::survival
