#pragma once
// Kaplan–Meier product-limit curves by group with Greenwood standard errors, pointwise CIs
// (log / log-log / plain) and quantiles with CIs by R's rule for flat stretches.
// Matches R survival's survfit(Surv(time, status) ~ group, weights, conf.type) and
// quantile.survfit (Kaplan & Meier 1958; Greenwood 1926). With entry times, (entry, time] rows
// (left truncation, counting-process data): at risk at t are the rows with entry < t <= time, as
// survfit(Surv(entry, time, status) ~ group). Times equal up to rounding are ties (R's timefix).
// O(n) after an O(n) radix sort.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/detail/timefix.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace vasostat::inline v0::survival {

struct kaplan_meier_options {
  std::span<const int> group = {};    ///< one label (>= 0) per subject; empty = one curve
  std::span<const double> weights = {};  ///< case weights (>= 0); empty = all 1
  std::span<const double> entry = {};    ///< (entry, time] rows: left truncation / counting process; empty = 0
  bool timefix = true;                ///< R's timefix: merge times equal up to rounding (aeqSurv)
  conf_type conf = conf_type::log;    ///< R's default conf.type = "log"
  double conf_level = 0.95;           ///< in (0, 1)
  std::vector<double> quantiles = {0.25, 0.5, 0.75};  ///< probabilities in [0, 1]
};

/// One curve: a row per distinct observed time in the group (events and censorings), as
/// survfit reports it.
struct km_curve {
  int group = 0;            ///< the label this curve belongs to
  double n = 0;             ///< (weighted) number of subjects
  double events = 0;        ///< (weighted) number of events
  std::vector<double> time, n_risk, n_event, n_censor;
  std::vector<double> surv;         ///< product-limit estimate S(t)
  std::vector<double> std_err;      ///< Greenwood SE of S(t) (summary.survfit's std.err)
  std::vector<double> std_err_log;  ///< SE of -log S(t) (survfit object's std.err); inf once S = 0
  std::vector<double> lower, upper; ///< pointwise CI of S(t); NaN where R gives NA
  std::vector<double> cumhaz;       ///< Nelson–Aalen cumulative hazard
  double median = detail::nan, median_lower = detail::nan, median_upper = detail::nan;
  std::vector<double> quantile_prob, quantile, quantile_lower, quantile_upper;  ///< NaN = not reached
};

struct kaplan_meier_result {
  std::vector<km_curve> curves;  ///< one per group label present, in increasing label order
  conf_type conf = conf_type::log;
  double conf_level = 0.95;
};

namespace detail {

/// R's rule (quantile.survfit/findq): the p-quantile is the first time the cumulative
/// failure probability y = 1 - S reaches p; when y equals p (within tol = sqrt(eps)) on a flat
/// stretch, the midpoint of that stretch; applied to the curve and to the CI bands.
/// R drops repeated y values (keeping the first) before searching; the search below runs over
/// all rows instead, which picks the same row: the earliest row holding the smallest y + shift
/// >= p is always a first occurrence. Only the last kept value matters otherwise. When y never
/// decreases (the curve itself; usually the lower band) the search is a binary search. O(m)
/// per curve plus O(log m) (monotone) or O(m) per probability. `split` answers two R calls at
/// once: probs[0, split) and probs[split, end) (R returns all NA for a call when y never
/// reaches the smallest probability of that call).
inline void km_quantiles(const std::vector<double>& time, const std::vector<double>& curve,
                         const std::vector<double>& probs, std::vector<double>& out,
                         std::size_t split = std::numeric_limits<std::size_t>::max()) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  out.assign(probs.size(), nan);
  if (probs.empty()) return;
  // x = (0, time...), y = (0, 1 - curve...)
  const std::size_t m = time.size(), n = m + 1;
  std::vector<double> y(n);
  y[0] = 0.0;
  for (std::size_t i = 0; i < m; ++i) y[i + 1] = 1.0 - curve[i];
  auto x = [&](std::size_t i) { return i == 0 ? 0.0 : time[i - 1]; };
  bool monotone = true;
  double ymax = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(y[i])) {
      monotone = false;
      continue;
    }
    ymax = std::max(ymax, y[i]);
    monotone = monotone && (i == 0 || y[i] >= y[i - 1]);
  }
  split = std::min(split, probs.size());
  double pmin1 = inf, pmin2 = inf;
  for (std::size_t k = 0; k < probs.size(); ++k) (k < split ? pmin1 : pmin2) = std::min(k < split ? pmin1 : pmin2, probs[k]);
  if (ymax < pmin1 && ymax < pmin2) return;
  auto same = [](double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; };
  // the last value R keeps: the last row whose value did not occur before it
  double ylast = y[n - 1];
  if (!monotone) {
    std::size_t budget = 8 * n + 64;  // backwards scans; beyond this, R's rule by sorting
    std::ptrdiff_t last = -1;
    for (std::size_t i = n; i-- > 0 && budget > 0;) {
      bool seen = false;
      for (std::size_t j = i; j-- > 0 && budget > 0; --budget)
        if (same(y[j], y[i])) {
          seen = true;
          break;
        }
      if (budget == 0) break;
      if (!seen) {
        last = static_cast<std::ptrdiff_t>(i);
        break;
      }
    }
    if (last < 0) {
      std::vector<std::size_t> pos(n);
      for (std::size_t i = 0; i < n; ++i) pos[i] = i;
      std::sort(pos.begin(), pos.end(), [&](std::size_t a, std::size_t b) {
        bool na = std::isnan(y[a]), nb = std::isnan(y[b]);
        if (na != nb) return nb;
        if (!na && y[a] != y[b]) return y[a] < y[b];
        return a < b;
      });
      std::size_t lk = 0;
      for (std::size_t k = 0; k < n; ++k)
        if (k == 0 || !same(y[pos[k]], y[pos[k - 1]])) lk = std::max(lk, pos[k]);
      last = static_cast<std::ptrdiff_t>(lk);
    }
    ylast = y[static_cast<std::size_t>(last)];
  }
  const double xmax = time.empty() ? 0.0 : time.back();
  // index of the earliest row with the smallest y + shift >= p (approx(..., "constant", f = 1))
  auto first_at_least = [&](double p, double shift) -> std::ptrdiff_t {
    if (monotone) {
      std::size_t lo = 0, hi = n;  // first i with y[i] + shift >= p
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (y[mid] + shift >= p)
          hi = mid;
        else
          lo = mid + 1;
      }
      return lo < n ? static_cast<std::ptrdiff_t>(lo) : -1;
    }
    std::ptrdiff_t best = -1;
    double bv = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = y[i] + shift;  // NaN fails both comparisons
      if (v >= p && (best < 0 || v < bv)) {
        best = static_cast<std::ptrdiff_t>(i);
        bv = v;
      }
    }
    return best;
  };
  for (std::size_t k = 0; k < probs.size(); ++k) {
    if (ymax < (k < split ? pmin1 : pmin2)) continue;
    double p = probs[k];
    if (p == 0) {
      out[k] = x(0);
      continue;
    }
    std::ptrdiff_t i1 = first_at_least(p, tol), i2 = first_at_least(p, -tol);
    double q = nan;
    if (i1 >= 0 && i2 >= 0)
      q = (x(static_cast<std::size_t>(i1)) + x(static_cast<std::size_t>(i2))) / 2;
    if (!std::isnan(ylast) && std::abs(p - ylast) < tol)
      q = i1 >= 0 ? (x(static_cast<std::size_t>(i1)) + xmax) / 2 : nan;
    out[k] = q;
  }
}

}  // namespace detail

/// Kaplan–Meier estimate per group.
/// @throws vasostat::invalid_argument naming the argument: sizes that disagree, negative or
///   NaN times, status not 0/1, entry >= time (also after timefix), negative weights, a negative
///   group label, conf_level outside (0, 1), a quantile probability outside [0, 1].
/// Example:
///   auto km = survival::kaplan_meier(time, status, {.group = arm, .conf = survival::conf_type::log_log});
///   double m = km.curves[0].median;
[[nodiscard]] inline kaplan_meier_result kaplan_meier(std::span<const double> time,
                                                      std::span<const double> status,
                                                      const kaplan_meier_options& options = {}) {
  constexpr const char* fn = "kaplan_meier";
  detail::check_time_status(fn, time, status);
  const std::size_t n = time.size();
  detail::check_labels(fn, "group", options.group, n);
  detail::check_weights(fn, options.weights, n);
  detail::check_conf_level(fn, options.conf_level);
  for (double p : options.quantiles)
    if (!(p >= 0 && p <= 1)) detail::fail(fn, "quantiles has a probability outside [0, 1] (" + detail::num(p) + ")");

  detail::check_entry(fn, options.entry, time);

  auto codes = detail::encode_labels(options.group, n);
  const double z = stats::normal_quantile(1 - (1 - options.conf_level) / 2);
  kaplan_meier_result res;
  res.conf = options.conf;
  res.conf_level = options.conf_level;
  res.curves.resize(codes.labels.size());
  // one curve's row at time t: (weighted) d events and cens censorings, at_risk just before t
  auto add_row = [&](km_curve& c, double t, double at_risk, double d, double cens, double& s,
                     double& var, double& h) {
    if (d > 0) {
      s *= 1 - d / at_risk;
      h += d / at_risk;
      var += at_risk > d ? d / (at_risk * (at_risk - d)) : detail::inf;
    }
    double se = std::sqrt(var), lo = detail::nan, hi = detail::nan;
    detail::surv_confint(s, se, z, options.conf, lo, hi);
    c.time.push_back(t);
    c.n_risk.push_back(at_risk);
    c.n_event.push_back(d);
    c.n_censor.push_back(cens);
    c.surv.push_back(s);
    c.std_err_log.push_back(se);
    c.std_err.push_back(s == 0 ? detail::nan : se * s);
    c.lower.push_back(lo);
    c.upper.push_back(hi);
    c.cumhaz.push_back(h);
  };
  // quantiles and the median in one search per curve (each probability is answered alone)
  std::vector<double> probs = options.quantiles;
  probs.push_back(0.5);
  const std::size_t nq = options.quantiles.size();
  auto finish = [&](km_curve& c) {
    c.quantile_prob = options.quantiles;
    std::vector<double> q;
    detail::km_quantiles(c.time, c.surv, probs, q, nq);
    c.median = q[nq];
    c.quantile.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
    if (options.conf != conf_type::none) {
      detail::km_quantiles(c.time, c.lower, probs, q, nq);
      c.median_lower = q[nq];
      c.quantile_lower.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
      detail::km_quantiles(c.time, c.upper, probs, q, nq);
      c.median_upper = q[nq];
      c.quantile_upper.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
    } else {
      c.quantile_lower.assign(nq, detail::nan);
      c.quantile_upper.assign(nq, detail::nan);
    }
  };
  // Unweighted right-censored data with whole-number times (days, months): counts per (time,
  // group) replace the sort; every count is a whole number, so the sums equal the sorted sweep's.
  if (options.weights.empty() && options.entry.empty()) {
    detail::tied_time_counts tc;
    const std::size_t k = codes.labels.size();
    if (detail::whole_time_counts(time, status, codes.code, k, options.timefix, tc)) {
      const std::size_t m = tc.value.size();
      for (std::size_t g = 0; g < k; ++g) {
        km_curve& c = res.curves[g];
        c.group = codes.labels[g];
        std::uint64_t rows = 0, events = 0;
        for (std::size_t j = 0; j < m; ++j) {
          rows += tc.events[j * k + g] + tc.censored[j * k + g];
          events += tc.events[j * k + g];
        }
        double at_risk = static_cast<double>(rows);
        c.n = at_risk;
        c.events = static_cast<double>(events);
        double s = 1, var = 0, h = 0;
        for (std::size_t j = 0; j < m; ++j) {
          const double d = tc.events[j * k + g], cens = tc.censored[j * k + g];
          if (d + cens == 0) continue;
          add_row(c, tc.value[j], at_risk, d, cens, s, var, h);
          at_risk -= d + cens;
        }
        finish(c);
      }
      return res;
    }
  }
  // Right-censored data: one sweep over the rows in time order (the radix order of the times)
  // serves every group at once: per distinct time, each group present there gets its row.
  // Each group's sums run over its rows in the same order as a per-group sorted sweep.
  if (options.entry.empty()) {
    const std::size_t k = codes.labels.size();
    // per row: group code and status in one word, sorted along with the times (no gather in
    // time order); weights and a -0.0 time (reported as given; its key is +0.0's) need the
    // rows' indices instead
    std::vector<std::uint32_t> payload(n);
    bool neg_zero = false;
    for (std::size_t i = 0; i < n; ++i) {
      payload[i] = static_cast<std::uint32_t>(codes.code[i]) * 2u + (status[i] == 1 ? 1u : 0u);
      neg_zero = neg_zero || std::signbit(time[i]);
    }
    const bool weighted = !options.weights.empty();
    const bool indexed = weighted || neg_zero;
    std::vector<std::uint64_t> bits;
    std::vector<std::size_t> asc;
    std::vector<std::uint32_t> sorted_payload;
    if (indexed)
      asc = detail::order_ascending(time, &bits);
    else
      sorted_payload = detail::sort_payload_ascending(time, payload, bits);
    std::vector<double> fixed_sorted;
    const bool merged = options.timefix && detail::timefix_sorted(n, bits, fixed_sorted);
    std::vector<double> at_risk(k, 0.0), s(k, 1.0), var(k, 0.0), h(k, 0.0), d(k, 0.0), cens(k, 0.0);
    std::vector<std::size_t> first_row(k), size(k, 0);
    for (std::size_t q = 0; q < n; ++q) {
      const std::uint32_t pl = indexed ? payload[asc[q]] : sorted_payload[q];
      const double w = weighted ? options.weights[asc[q]] : 1.0;
      km_curve& c = res.curves[pl >> 1];
      at_risk[pl >> 1] += w;
      c.events += w * ((pl & 1u) ? 1.0 : 0.0);
      ++size[pl >> 1];
    }
    std::size_t distinct = n == 0 ? 0 : 1;
    for (std::size_t q = 1; q < n; ++q) distinct += bits[q] != bits[q - 1] ? 1 : 0;
    for (std::size_t g = 0; g < k; ++g) {
      km_curve& c = res.curves[g];
      c.group = codes.labels[g];
      c.n = at_risk[g];
      const std::size_t rows = std::min(size[g], distinct);
      for (auto* v : {&c.time, &c.n_risk, &c.n_event, &c.n_censor, &c.surv, &c.std_err, &c.std_err_log, &c.lower,
                      &c.upper, &c.cumhaz})
        v->reserve(rows);
    }
    std::vector<std::uint32_t> touched;
    std::vector<char> is_touched(k, 0);
    for (std::size_t q = 0; q < n;) {
      const std::size_t q2 = detail::tied_block_end(q, n, merged, fixed_sorted, bits);
      for (std::size_t r = q; r < q2; ++r) {
        const std::uint32_t pl = indexed ? payload[asc[r]] : sorted_payload[r];
        const std::uint32_t g = pl >> 1;
        const double w = weighted ? options.weights[asc[r]] : 1.0;
        if (!is_touched[g]) {
          is_touched[g] = 1;
          touched.push_back(g);
          if (indexed) first_row[g] = asc[r];
        }
        if (pl & 1u)
          d[g] += w;
        else
          cens[g] += w;
      }
      const double t_run = merged ? fixed_sorted[q] : detail::decode_sort_key(bits[q]);
      for (std::uint32_t g : touched) {
        const double t = neg_zero && !merged ? time[first_row[g]] : t_run;
        add_row(res.curves[g], t, at_risk[g], d[g], cens[g], s[g], var[g], h[g]);
        at_risk[g] -= d[g] + cens[g];
        d[g] = cens[g] = 0;
        is_touched[g] = 0;
      }
      touched.clear();
      q = q2;
    }
    for (std::size_t g = 0; g < k; ++g) finish(res.curves[g]);
    return res;
  }
  std::span<const double> t_in = time, entry = options.entry;
  std::vector<double> t_fixed, e_fixed;
  std::vector<std::size_t> asc;
  if (options.timefix) detail::timefix(fn, t_in, entry, t_fixed, e_fixed);
  asc = detail::order_ascending(t_in);
  auto order = detail::stable_by_code(asc, codes.code, codes.labels.size());
  // gather once into sorted contiguous arrays: the sweeps below then read memory in order
  // (by scattering the rows as given: sequential reads, and with tied times the writes advance
  // in one run per distinct time)
  std::vector<double> ts(n), ss(n), ws(n);
  std::vector<int> gs(n);
  {
    std::vector<std::size_t> pos_of(n);
    for (std::size_t k = 0; k < n; ++k) pos_of[order[k]] = k;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t k = pos_of[i];
      ts[k] = t_in[i];
      ss[k] = status[i];
      ws[k] = options.weights.empty() ? 1.0 : options.weights[i];
      gs[k] = codes.code[i];
    }
  }
  // entries sorted within group (same group ranges as ts)
  std::vector<double> es, ews;
  if (!entry.empty()) {
    auto eorder = detail::stable_by_code(detail::order_ascending(entry), codes.code, codes.labels.size());
    es.resize(n);
    ews.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      es[k] = entry[eorder[k]];
      ews[k] = options.weights.empty() ? 1.0 : options.weights[eorder[k]];
    }
  }

  std::size_t pos = 0;
  for (std::size_t g = 0; g < codes.labels.size(); ++g) {
    km_curve& c = res.curves[g];
    c.group = codes.labels[g];
    std::size_t end = pos;
    while (end < n && gs[end] == static_cast<int>(g)) ++end;
    double at_risk = 0;
    for (std::size_t k = pos; k < end; ++k) {
      at_risk += ws[k];
      c.events += ws[k] * ss[k];
    }
    c.n = at_risk;
    double s = 1, var = 0, h = 0;
    double entered = 0, left = 0;  // (entry, time] rows: weight with entry < t, with time < t
    std::size_t ep = pos;
    for (std::size_t k = pos; k < end;) {
      const double t = ts[k];
      if (!es.empty()) {
        for (; ep < end && es[ep] < t; ++ep) entered += ews[ep];
        at_risk = entered - left;
      }
      double d = 0, cens = 0;
      std::size_t j = k;
      for (; j < end && ts[j] == t; ++j) {
        if (ss[j] == 1)
          d += ws[j];
        else
          cens += ws[j];
      }
      add_row(c, t, at_risk, d, cens, s, var, h);
      at_risk -= d + cens;
      left += d + cens;
      k = j;
    }
    finish(c);
    pos = end;
  }
  return res;
}

}  // namespace vasostat::inline v0::survival
