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
inline void km_quantiles(const std::vector<double>& time, const std::vector<double>& curve,
                         const std::vector<double>& probs, std::vector<double>& out) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  out.assign(probs.size(), nan);
  if (probs.empty()) return;
  // x = (0, time...), y = (0, 1 - curve...), keeping the first of each repeated y value.
  const std::size_t m = time.size();
  std::vector<double> yall(m + 1);
  yall[0] = 0.0;
  for (std::size_t i = 0; i < m; ++i) yall[i + 1] = 1.0 - curve[i];
  // first occurrence of each value (NaN counts as one value), found by sorting (y, position)
  std::vector<std::size_t> pos(m + 1);
  for (std::size_t i = 0; i <= m; ++i) pos[i] = i;
  std::sort(pos.begin(), pos.end(), [&](std::size_t a, std::size_t b) {
    bool na = std::isnan(yall[a]), nb = std::isnan(yall[b]);
    if (na != nb) return nb;
    if (!na && yall[a] != yall[b]) return yall[a] < yall[b];
    return a < b;
  });
  std::vector<char> keep(m + 1, 0);
  for (std::size_t k = 0; k <= m; ++k) {
    std::size_t a = pos[k];
    if (k == 0) {
      keep[a] = 1;
      continue;
    }
    std::size_t b = pos[k - 1];
    bool same = std::isnan(yall[a]) ? std::isnan(yall[b]) : yall[a] == yall[b];
    keep[a] = same ? 0 : 1;
  }
  std::vector<double> x, y;
  const double xmax = time.empty() ? 0.0 : time.back();
  double ymax = 0;
  for (std::size_t i = 0; i <= m; ++i) {
    if (!std::isnan(yall[i])) ymax = std::max(ymax, yall[i]);
    if (!keep[i]) continue;
    x.push_back(i == 0 ? 0.0 : time[i - 1]);
    y.push_back(yall[i]);
  }
  const double pmin = *std::min_element(probs.begin(), probs.end());
  if (ymax < pmin) return;
  const std::size_t n = y.size();
  // index of the smallest y with y + shift >= p (approx(..., method = "constant", f = 1))
  auto first_at_least = [&](double p, double shift) -> std::ptrdiff_t {
    std::ptrdiff_t best = -1;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::isnan(y[i])) continue;
      double v = y[i] + shift;
      if (v >= p && (best < 0 || v < y[static_cast<std::size_t>(best)] + shift))
        best = static_cast<std::ptrdiff_t>(i);
    }
    return best;
  };
  for (std::size_t k = 0; k < probs.size(); ++k) {
    double p = probs[k];
    if (p == 0) {
      out[k] = x[0];
      continue;
    }
    std::ptrdiff_t i1 = first_at_least(p, tol), i2 = first_at_least(p, -tol);
    double q = nan;
    if (i1 >= 0 && i2 >= 0)
      q = (x[static_cast<std::size_t>(i1)] + x[static_cast<std::size_t>(i2)]) / 2;
    if (!std::isnan(y[n - 1]) && std::abs(p - y[n - 1]) < tol)
      q = i1 >= 0 ? (x[static_cast<std::size_t>(i1)] + xmax) / 2 : nan;
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
  auto finish = [&](km_curve& c) {
    c.quantile_prob = options.quantiles;
    detail::km_quantiles(c.time, c.surv, c.quantile_prob, c.quantile);
    if (options.conf != conf_type::none) {
      detail::km_quantiles(c.time, c.lower, c.quantile_prob, c.quantile_lower);
      detail::km_quantiles(c.time, c.upper, c.quantile_prob, c.quantile_upper);
    } else {
      c.quantile_lower.assign(c.quantile_prob.size(), detail::nan);
      c.quantile_upper.assign(c.quantile_prob.size(), detail::nan);
    }
    std::vector<double> half{0.5}, q;
    detail::km_quantiles(c.time, c.surv, half, q);
    c.median = q[0];
    if (options.conf != conf_type::none) {
      detail::km_quantiles(c.time, c.lower, half, q);
      c.median_lower = q[0];
      detail::km_quantiles(c.time, c.upper, half, q);
      c.median_upper = q[0];
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
  std::span<const double> t_in = time, entry = options.entry;
  std::vector<double> t_fixed, e_fixed;
  std::vector<std::size_t> asc;
  if (entry.empty()) {
    std::vector<std::uint64_t> bits;
    asc = detail::order_ascending(time, options.timefix ? &bits : nullptr);
    if (options.timefix && detail::timefix_from_order(n, asc, bits, t_fixed)) t_in = t_fixed;
  } else {
    if (options.timefix) detail::timefix(fn, t_in, entry, t_fixed, e_fixed);
    asc = detail::order_ascending(t_in);
  }
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
