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
  auto scodes = detail::encode_labels(options.strata, n);
  const std::size_t ns = scodes.labels.size();
  const auto asc = detail::stable_by_code(detail::order_ascending(time), scodes.code, ns);
  const bool counting = !options.entry.empty();
  // everything by position in (stratum, time) order, contiguous
  std::vector<double> ts(n), ss(n), ws(n), es(counting ? n : 0);
  std::vector<std::size_t> rk(n);
  std::vector<int> st(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = asc[k];
    ts[k] = time[i];
    ss[k] = status[i];
    ws[k] = options.weights.empty() ? 1.0 : options.weights[i];
    rk[k] = rank_of[i];
    st[k] = scodes.code[i];
    if (counting) es[k] = options.entry[i];
  }
  // per-position partner sums for the jackknife: concordant, discordant, tied-x
  std::vector<double> pc(n, 0.0), pd(n, 0.0), pt(n, 0.0);
  concordance_result res;
  if (!counting) {
    // Right-censored data: sweep the subjects in score order with Fenwick trees over the
    // (few, when times are tied) distinct time keys: key = 2 * time block + censored, so a
    // censoring at an event time counts as later. Cache-resident when times are tied.
    std::vector<std::size_t> pos_of(n);
    for (std::size_t k = 0; k < n; ++k) pos_of[asc[k]] = k;
    std::vector<std::size_t> by_rank_pos(n);
    for (std::size_t k = 0; k < n; ++k) by_rank_pos[k] = pos_of[by_score[k]];
    std::vector<int> st_by_rank(n);
    for (std::size_t k = 0; k < n; ++k) st_by_rank[k] = st[by_rank_pos[k]];
    std::vector<std::size_t> ident(n);
    for (std::size_t k = 0; k < n; ++k) ident[k] = k;
    const auto grouped = detail::stable_by_code(ident, st_by_rank, ns);  // rank order within stratum
    std::vector<std::size_t> key(n);
    std::size_t pos = 0, rpos = 0;
    std::vector<std::size_t> dth;
    for (std::size_t g = 0; g < ns; ++g) {
      std::size_t end = pos;
      while (end < n && st[end] == static_cast<int>(g)) ++end;
      std::size_t nb = 0;
      for (std::size_t k = pos; k < end; ++k) {
        if (k > pos && ts[k] != ts[k - 1]) ++nb;
        key[k] = 2 * nb + (ss[k] == 0 ? 1 : 0);
      }
      const std::size_t nk = 2 * nb + 2;
      std::vector<double> all_w(nk, 0.0), death_w(nk, 0.0);
      for (std::size_t k = pos; k < end; ++k) {
        all_w[key[k]] += ws[k];
        if (ss[k] == 1) death_w[key[k]] += ws[k];
      }
      std::vector<double> all_after(nk, 0.0), death_before(nk, 0.0);
      for (std::size_t q = nk - 1; q-- > 0;) all_after[q] = all_after[q + 1] + all_w[q + 1];
      for (std::size_t q = 1; q < nk; ++q) death_before[q] = death_before[q - 1] + death_w[q - 1];
      detail::fenwick t_all(nk), t_death(nk);
      double all_total = 0;
      const std::size_t rend = rpos + (end - pos);
      // the stratum's subjects in score order, gathered once into one contiguous record each
      struct rec {
        std::size_t key, rank, pos;
        double w, s, c, d, t;
      };
      std::vector<rec> byp(end - pos);  // built in position order (sequential reads)
      for (std::size_t k = pos; k < end; ++k) byp[k - pos] = rec{key[k], rk[k], k, ws[k], ss[k], 0.0, 0.0, 0.0};
      std::vector<rec> rr(rend - rpos);
      for (std::size_t r = rpos; r < rend; ++r) rr[r - rpos] = byp[by_rank_pos[grouped[r]] - pos];
      std::vector<double> after_in, deaths_before_in;
      for (std::size_t r = 0; r < rr.size();) {
        std::size_t e = r;
        while (e < rr.size() && rr[e].rank == rr[r].rank) ++e;
        // one group of equal scores, sorted by key
        std::sort(rr.begin() + static_cast<std::ptrdiff_t>(r), rr.begin() + static_cast<std::ptrdiff_t>(e),
                  [](const rec& x, const rec& y) { return x.key < y.key; });
        const std::size_t gs = e - r;
        // within the group: weight with a larger key (all) and deaths with a smaller key
        after_in.assign(gs + 1, 0.0);
        deaths_before_in.assign(gs + 1, 0.0);
        for (std::size_t q = gs; q-- > 0;) after_in[q] = after_in[q + 1] + rr[r + q].w;
        for (std::size_t q = 0; q < gs; ++q)
          deaths_before_in[q + 1] = deaths_before_in[q] + (rr[r + q].s == 1 ? rr[r + q].w : 0.0);
        for (std::size_t q = 0, hi = 0, lo = 0; q < gs; ++q) {
          rec& j = rr[r + q];
          while (hi < gs && rr[r + hi].key <= j.key) ++hi;  // first with key > key_j
          while (lo < gs && rr[r + lo].key < j.key) ++lo;   // first with key >= key_j
          if (j.s == 1) {
            const double below = all_total - t_all.prefix(j.key + 1);
            const double same = after_in[hi];
            const double above = all_after[j.key] - below - same;
            res.concordant += j.w * below;
            res.discordant += j.w * above;
            res.tied_x += j.w * same;
            j.c += below;
            j.d += above;
            j.t += same;
          }
          const double dbelow = t_death.prefix(j.key);
          const double dsame = deaths_before_in[lo];
          j.d += dbelow;
          j.c += death_before[j.key] - dbelow - dsame;
          j.t += dsame;
        }
        for (std::size_t q = r; q < e; ++q) {
          t_all.add(rr[q].key, rr[q].w);
          all_total += rr[q].w;
          if (rr[q].s == 1) t_death.add(rr[q].key, rr[q].w);
        }
        r = e;
      }
      for (const rec& x : rr) {
        pc[x.pos] = x.c;
        pd[x.pos] = x.d;
        pt[x.pos] = x.t;
      }
      // tied in y: pairs of events at one time (tied in x as well when ranks agree)
      for (std::size_t k = pos; k < end;) {
        std::size_t e = k;
        dth.clear();
        for (; e < end && ts[e] == ts[k]; ++e)
          if (ss[e] == 1) dth.push_back(e);
        std::sort(dth.begin(), dth.end(), [&](std::size_t x, std::size_t y) { return rk[x] < rk[y]; });
        double sw = 0, sw2 = 0, xy = 0;
        for (std::size_t a2 = 0; a2 < dth.size();) {
          std::size_t c = a2;
          double gw = 0, gw2 = 0;
          for (; c < dth.size() && rk[dth[c]] == rk[dth[a2]]; ++c) {
            gw += ws[dth[c]];
            gw2 += ws[dth[c]] * ws[dth[c]];
          }
          xy += (gw * gw - gw2) / 2;
          sw += gw;
          sw2 += gw2;
          a2 = c;
        }
        res.tied_xy += xy;
        res.tied_y += (sw * sw - sw2) / 2 - xy;
        k = e;
      }
      pos = end;
      rpos = rend;
    }
  } else {
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
    if (counting) {
      for (std::size_t k = pos; k < end; ++k) by_entry.push_back(k);
      std::sort(by_entry.begin(), by_entry.end(), [&](std::size_t a, std::size_t b) { return es[a] > es[b]; });
    }
    // Sweep 1, time descending: the tree holds subjects at risk after the current time
    // (censored at the time included); (entry, stop] subjects leave at their entry.
    std::size_t rem = 0;
    for (std::size_t k = end; k > pos;) {
      const double t = ts[k - 1];
      std::size_t b = k;
      while (b > pos && ts[b - 1] == t) --b;
      if (counting)
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
    if (counting)
      for (; rem < by_entry.size(); ++rem) insert(by_entry[rem], -1);
    else
      for (std::size_t k = pos; k < end; ++k) insert(k, -1);
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
      if (counting)
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
