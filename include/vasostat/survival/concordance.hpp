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
#include <span>
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
  auto w = [&](std::size_t i) { return options.weights.empty() ? 1.0 : options.weights[i]; };
  // dense ranks of the score (reverse: larger score = "earlier" prediction)
  std::vector<std::size_t> by_score(n);
  for (std::size_t i = 0; i < n; ++i) by_score[i] = i;
  std::sort(by_score.begin(), by_score.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  std::vector<std::size_t> rank(n);
  std::size_t m = 0;
  for (std::size_t k = 0; k < n; ++k) {
    if (k > 0 && score[by_score[k]] != score[by_score[k - 1]]) ++m;
    rank[by_score[k]] = m;
  }
  ++m;
  if (!options.reverse)
    for (auto& r : rank) r = m - 1 - r;
  auto scodes = detail::encode_labels(options.strata, n);
  const std::size_t ns = scodes.labels.size();
  auto asc = detail::stable_by_code(detail::order_ascending(time), scodes.code, ns);
  const bool counting = !options.entry.empty();
  // per-subject partner sums for the jackknife: concordant, discordant, tied-x
  std::vector<double> pc(n, 0.0), pd(n, 0.0), pt(n, 0.0);
  concordance_result res;
  detail::fenwick tree(m);
  std::vector<std::size_t> entry_sorted;
  std::size_t pos = 0;
  for (std::size_t g = 0; g < ns; ++g) {
    std::size_t end = pos;
    while (end < n && scodes.code[asc[end]] == static_cast<int>(g)) ++end;
    // Sweep 1, time descending: tree holds subjects at risk after the current time.
    // (entry, stop] data: a subject enters the tree at its stop and leaves at its entry.
    std::vector<std::size_t> by_entry;
    if (counting) {
      by_entry.assign(asc.begin() + static_cast<std::ptrdiff_t>(pos), asc.begin() + static_cast<std::ptrdiff_t>(end));
      std::sort(by_entry.begin(), by_entry.end(), [&](std::size_t a, std::size_t b) {
        return options.entry[a] > options.entry[b];
      });
    }
    std::size_t rem = 0;
    std::vector<std::size_t> inserted;
    for (std::size_t k = end; k > pos;) {
      const double t = time[asc[k - 1]];
      std::size_t b = k;
      while (b > pos && time[asc[b - 1]] == t) --b;
      if (counting)
        for (; rem < by_entry.size() && options.entry[by_entry[rem]] >= t; ++rem)
          tree.add(rank[by_entry[rem]], -w(by_entry[rem]));
      for (std::size_t q = b; q < k; ++q)
        if (status[asc[q]] == 0) {
          tree.add(rank[asc[q]], w(asc[q]));
          inserted.push_back(asc[q]);
        }
      // events of the block against everyone at risk who is not an event here
      std::vector<std::size_t> deaths;
      for (std::size_t q = b; q < k; ++q)
        if (status[asc[q]] == 1) deaths.push_back(asc[q]);
      for (std::size_t i : deaths) {
        const double below = tree.prefix(rank[i]);
        const double same = tree.prefix(rank[i] + 1) - below;
        const double above = tree.prefix(m) - below - same;
        const double wi = w(i);
        res.concordant += wi * below;
        res.discordant += wi * above;
        res.tied_x += wi * same;
        pc[i] += below;
        pd[i] += above;
        pt[i] += same;
      }
      // tied in y: pairs of events at this time
      std::sort(deaths.begin(), deaths.end(), [&](std::size_t a, std::size_t c) { return rank[a] < rank[c]; });
      double sw = 0, sw2 = 0;
      for (std::size_t i : deaths) {
        sw += w(i);
        sw2 += w(i) * w(i);
      }
      const double all_pairs = (sw * sw - sw2) / 2;
      double xy = 0;
      for (std::size_t a = 0; a < deaths.size();) {
        std::size_t c = a;
        double gw = 0, gw2 = 0;
        for (; c < deaths.size() && rank[deaths[c]] == rank[deaths[a]]; ++c) {
          gw += w(deaths[c]);
          gw2 += w(deaths[c]) * w(deaths[c]);
        }
        xy += (gw * gw - gw2) / 2;
        a = c;
      }
      res.tied_xy += xy;
      res.tied_y += all_pairs - xy;
      for (std::size_t i : deaths) {
        tree.add(rank[i], w(i));
        inserted.push_back(i);
      }
      k = b;
    }
    // empty the tree: subtract what is still in it
    if (counting)
      for (; rem < by_entry.size(); ++rem) tree.add(rank[by_entry[rem]], -w(by_entry[rem]));
    else
      for (std::size_t i : inserted) tree.add(rank[i], -w(i));
    // Sweep 2, time ascending: tree holds events; each subject collects the events it was
    // at risk for (as the later member of a pair).
    std::vector<std::size_t> entry_asc;
    if (counting) entry_asc.assign(by_entry.rbegin(), by_entry.rend());
    std::size_t eq = 0;
    std::vector<std::size_t> deaths_in;
    auto query_sign = [&](std::size_t j, double sign) {
      const double below = tree.prefix(rank[j]);
      const double same = tree.prefix(rank[j] + 1) - below;
      const double above = tree.prefix(m) - below - same;
      // events with a larger score than j's are concordant with j
      pc[j] += sign * above;
      pd[j] += sign * below;
      pt[j] += sign * same;
    };
    for (std::size_t k = pos; k < end;) {
      const double t = time[asc[k]];
      std::size_t e = k;
      while (e < end && time[asc[e]] == t) ++e;
      // entries strictly before t: subtract the events up to the entry time
      if (counting)
        for (; eq < entry_asc.size() && options.entry[entry_asc[eq]] < t; ++eq) query_sign(entry_asc[eq], -1);
      for (std::size_t q = k; q < e; ++q)
        if (status[asc[q]] == 1) query_sign(asc[q], 1);
      for (std::size_t q = k; q < e; ++q)
        if (status[asc[q]] == 1) {
          tree.add(rank[asc[q]], w(asc[q]));
          deaths_in.push_back(asc[q]);
        }
      for (std::size_t q = k; q < e; ++q)
        if (status[asc[q]] == 0) query_sign(asc[q], 1);
      k = e;
    }
    for (std::size_t i : deaths_in) tree.add(rank[i], -w(i));
    pos = end;
  }
  const double den = res.concordant + res.discordant + res.tied_x;
  if (den > 0) {
    res.concordance = (res.concordant + res.tied_x / 2) / den;
    // IJ: dC/dw_i = [(c_i + t_i/2) - C (c_i + d_i + t_i)] / den; var = sum (w_i dC/dw_i)^2
    std::vector<double> infl(n);
    for (std::size_t i = 0; i < n; ++i)
      infl[i] = w(i) * ((pc[i] + pt[i] / 2) - res.concordance * (pc[i] + pd[i] + pt[i])) / den;
    double var = 0;
    if (options.cluster.empty()) {
      for (double v : infl) var += v * v;
    } else {
      auto cc = detail::encode_labels(options.cluster, n);
      std::vector<double> sum(cc.labels.size(), 0.0);
      for (std::size_t i = 0; i < n; ++i) sum[static_cast<std::size_t>(cc.code[i])] += infl[i];
      for (double v : sum) var += v * v;
    }
    res.std_error = std::sqrt(var);
  }
  return res;
}

}  // namespace vasostat::inline v0::survival
