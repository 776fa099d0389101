#pragma once
// Kaplan–Meier product-limit curves by group with Greenwood standard errors, pointwise CIs
// (log / log-log / plain) and quantiles with CIs by R's rule for flat stretches.
// Matches R survival's survfit(Surv(time, status) ~ group, weights, conf.type) and
// quantile.survfit (Kaplan & Meier 1958; Greenwood 1926). With entry times, (entry, time] rows
// (left truncation, counting-process data): at risk at t are the rows with entry < t <= time, as
// survfit(Surv(entry, time, status) ~ group). Times equal up to rounding are ties (R's timefix).
// O(n) after an O(n) radix sort.

#include <vasostat/core/simd.hpp>
#include <vasostat/survival/common.hpp>
#include <vasostat/survival/detail/timefix.hpp>

#include <algorithm>
#include <bit>
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
  // x = (0, time...), y = (0, 1 - curve...), formed on the fly (no copy of the curve)
  const std::size_t m = time.size(), n = m + 1;
  const double* cv = curve.data();
  auto y = [cv](std::size_t i) { return i == 0 ? 0.0 : 1.0 - cv[i - 1]; };
  auto x = [&](std::size_t i) { return i == 0 ? 0.0 : time[i - 1]; };
  bool monotone = true, has_nan = false;
  double ymax = 0, yprev = 0;
  std::size_t i0 = 1;
#if VASOSTAT_HAS_SIMD
  {
    // y(i) = 1 - cv[i - 1] >= y(i - 1) for all i, its largest value and whether any is NaN
    using B = xsimd::batch<double, simd_arch>;
    constexpr std::size_t L = B::size;
    if (m > L) {
      const B one(1.0);
      B mx(0.0);
      auto ok = B(0.0) == B(0.0);
      auto nans = B(0.0) != B(0.0);
      for (std::size_t j = 1; j + L <= m; j += L) {
        const B cur = one - B::load_unaligned(cv + j), prev = one - B::load_unaligned(cv + j - 1);
        ok = ok & (cur >= prev);
        nans = nans | (cur != cur);
        mx = xsimd::select(cur > mx, cur, mx);
        i0 = j + L + 1;  // rows 1 .. j + L checked (y(1) against y(0) = 0 below)
      }
      const double y1 = 1.0 - cv[0];
      monotone = xsimd::all(ok) && y1 >= 0.0;
      has_nan = xsimd::any(nans) || std::isnan(y1);
      ymax = std::max(vasostat::detail::reduce_max(mx), y1 > 0 ? y1 : 0.0);
      yprev = 1.0 - cv[i0 - 2];
    }
  }
#endif
  for (std::size_t i = i0; i < n; ++i) {
    const double yi = 1.0 - cv[i - 1];
    has_nan |= std::isnan(yi);
    ymax = yi > ymax ? yi : ymax;  // NaN never wins
    monotone &= yi >= yprev;       // false for NaN on either side
    yprev = yi;
  }
  monotone = monotone && !has_nan;
  split = std::min(split, probs.size());
  double pmin1 = inf, pmin2 = inf;
  for (std::size_t k = 0; k < probs.size(); ++k) (k < split ? pmin1 : pmin2) = std::min(k < split ? pmin1 : pmin2, probs[k]);
  if (ymax < pmin1 && ymax < pmin2) return;
  auto same = [](double a, double b) { return std::isnan(a) ? std::isnan(b) : a == b; };
  // the last value R keeps: the last row whose value did not occur before it
  double ylast = y(n - 1);
  if (!monotone) {
    std::size_t budget = 8 * n + 64;  // backwards scans; beyond this, R's rule by sorting
    std::ptrdiff_t last = -1;
    for (std::size_t i = n; i-- > 0 && budget > 0;) {
      bool seen = false;
      const double yi = y(i);
      if (std::isnan(yi)) {
        for (std::size_t j = i; j-- > 0 && budget > 0; --budget)
          if (std::isnan(y(j))) {
            seen = true;
            break;
          }
      } else {
        for (std::size_t j = i; j-- > 0 && budget > 0; --budget)
          if (y(j) == yi) {
            seen = true;
            break;
          }
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
        const double ya = y(a), yb = y(b);
        bool na = std::isnan(ya), nb = std::isnan(yb);
        if (na != nb) return nb;
        if (!na && ya != yb) return ya < yb;
        return a < b;
      });
      std::size_t lk = 0;
      for (std::size_t k = 0; k < n; ++k)
        if (k == 0 || !same(y(pos[k]), y(pos[k - 1]))) lk = std::max(lk, pos[k]);
      last = static_cast<std::ptrdiff_t>(lk);
    }
    ylast = y(static_cast<std::size_t>(last));
  }
  const double xmax = time.empty() ? 0.0 : time.back();
  // per probability: the index of the earliest row with the smallest y + shift >= p
  // (approx(..., "constant", f = 1)) for shift = +tol (i1) and -tol (i2); -1 = none
  const std::size_t np = probs.size();
  std::vector<std::ptrdiff_t> i1(np, -1), i2(np, -1);
  std::vector<char> wanted(np, 0);
  for (std::size_t k = 0; k < np; ++k) wanted[k] = !(ymax < (k < split ? pmin1 : pmin2)) && probs[k] != 0;
  if (monotone) {
    auto first_at_least = [&](double p, double shift) -> std::ptrdiff_t {
      std::size_t lo = 0, hi = n;  // first i with y(i) + shift >= p
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (y(mid) + shift >= p)
          hi = mid;
        else
          lo = mid + 1;
      }
      return lo < n ? static_cast<std::ptrdiff_t>(lo) : -1;
    };
    for (std::size_t k = 0; k < np; ++k)
      if (wanted[k]) {
        i1[k] = first_at_least(probs[k], tol);
        i2[k] = first_at_least(probs[k], -tol);
      }
  } else {
    // per probability and shift: the smallest v = y + shift >= p (a vectorised minimum), then
    // the earliest row holding it
    auto first_smallest = [&](double p, double shift) -> std::ptrdiff_t {
      const double v0 = 0.0 + shift;
      double best = v0 >= p ? v0 : inf;
      std::size_t j = 0;
#if VASOSTAT_HAS_SIMD
      using B = xsimd::batch<double, simd_arch>;
      constexpr std::size_t L = B::size;
      if (m >= L) {
        const B one(1.0), sh(shift), pp(p), big(inf);
        B acc(inf);
        for (; j + L <= m; j += L) {
          const B v = (one - B::load_unaligned(cv + j)) + sh;
          acc = xsimd::min(acc, xsimd::select(v >= pp, v, big));
        }
        best = std::min(best, vasostat::detail::reduce_min(acc));
      }
#endif
      for (; j < m; ++j) {
        const double v = (1.0 - cv[j]) + shift;  // NaN fails the comparison
        if (v >= p && v < best) best = v;
      }
      if (!(best < inf)) return -1;
      if (v0 == best) return 0;
      std::size_t q = 0;
#if VASOSTAT_HAS_SIMD
      {
        using Bq = xsimd::batch<double, simd_arch>;
        const Bq one(1.0), sh(shift), bb(best);
        while (q + Bq::size <= m && !xsimd::any((one - Bq::load_unaligned(cv + q)) + sh == bb)) q += Bq::size;
      }
#endif
      for (; q < m; ++q)
        if ((1.0 - cv[q]) + shift == best) return static_cast<std::ptrdiff_t>(q + 1);
      return -1;
    };
    for (std::size_t k = 0; k < np; ++k)
      if (wanted[k]) {
        i1[k] = first_smallest(probs[k], tol);
        i2[k] = first_smallest(probs[k], -tol);
      }
  }
  for (std::size_t k = 0; k < np; ++k) {
    if (ymax < (k < split ? pmin1 : pmin2)) continue;
    const double p = probs[k];
    if (p == 0) {
      out[k] = x(0);
      continue;
    }
    double q = nan;
    if (i1[k] >= 0 && i2[k] >= 0)
      q = (x(static_cast<std::size_t>(i1[k])) + x(static_cast<std::size_t>(i2[k]))) / 2;
    if (!std::isnan(ylast) && std::abs(p - ylast) < tol)
      q = i1[k] >= 0 ? (x(static_cast<std::size_t>(i1[k])) + xmax) / 2 : nan;
    out[k] = q;
  }
}

}  // namespace detail

namespace detail {

/// v[i] = sqrt(v[i]) (vectorised; IEEE square roots, so equal to std::sqrt's).
inline void sqrt_in_place(std::vector<double>& v) {
  std::size_t i = 0;
  const std::size_t m = v.size();
#if VASOSTAT_HAS_SIMD
  using B = xsimd::batch<double, simd_arch>;
  for (; i + B::size <= m; i += B::size) xsimd::sqrt(B::load_unaligned(v.data() + i)).store_unaligned(v.data() + i);
#endif
  for (; i < m; ++i) v[i] = std::sqrt(v[i]);
}

/// The columns std_err (Greenwood SE of S), lower and upper (surv_confint) of a curve from its
/// surv and std_err_log, in one pass without per-row branches: log and log-log CIs by xsimd's
/// vectorised log/exp (within an ulp or two of the C library's, which the scalar rows at the
/// end of each chunk use). NaN where surv_confint gives NaN.
inline void km_conf_columns(km_curve& c, double z, conf_type type) {
  const std::size_t m = c.surv.size();
  for (auto* v : {&c.std_err, &c.lower, &c.upper}) {
    v->clear();
    reserve_large(*v, m);
  }
  constexpr std::size_t chunk = 256;
  double se_s[chunk], lo[chunk], hi[chunk];
  for (std::size_t i0 = 0; i0 < m; i0 += chunk) {
    const std::size_t len = std::min(chunk, m - i0);
    const double* s = c.surv.data() + i0;
    const double* se = c.std_err_log.data() + i0;
    std::size_t i = 0;
#if VASOSTAT_HAS_SIMD
    if (type == conf_type::log || type == conf_type::log_log) {
      using B = xsimd::batch<double, simd_arch>;
      constexpr std::size_t L = B::size;
      const B zb(z), zero(0.0), one(1.0), nanb(nan);
      for (; i + L <= len; i += L) {
        const B sv = B::load_unaligned(s + i), sev = B::load_unaligned(se + i);
        const auto s_zero = sv == zero;
        xsimd::select(s_zero, nanb, sev * sv).store_unaligned(se_s + i);
        const B ls = xsimd::log(sv);
        B l, u;
        auto na = s_zero | xsimd::isnan(sev);
        if (type == conf_type::log) {
          l = xsimd::exp(ls - zb * sev);
          u = xsimd::min(xsimd::exp(ls + zb * sev), one);
        } else {
          na = na | (sv == one);
          const B h = zb * sev / ls, lls = xsimd::log(-ls);
          l = xsimd::exp(-xsimd::exp(lls - h));
          u = xsimd::exp(-xsimd::exp(lls + h));
        }
        xsimd::select(na, nanb, l).store_unaligned(lo + i);
        xsimd::select(na, nanb, u).store_unaligned(hi + i);
      }
    }
#endif
    for (; i < len; ++i) {
      se_s[i] = s[i] == 0 ? nan : se[i] * s[i];
      surv_confint(s[i], se[i], z, type, lo[i], hi[i]);
    }
    c.std_err.insert(c.std_err.end(), se_s, se_s + len);
    c.lower.insert(c.lower.end(), lo, lo + len);
    c.upper.insert(c.upper.end(), hi, hi + len);
  }
}

/// kaplan_meier, with the rows optionally already sorted by time (`presorted`: packed_time_rows
/// of time with payload group code * 2 + status, codes as encode_labels(options.group) gives
/// them; only used for unweighted right-censored data without -0.0 times) and the group codes
/// optionally given (encode_labels(options.group, n)).
inline kaplan_meier_result kaplan_meier_impl(std::span<const double> time, std::span<const double> status,
                                             const kaplan_meier_options& options,
                                             const packed_time_rows* presorted,
                                             const label_codes* given_codes = nullptr) {
  constexpr const char* fn = "kaplan_meier";
  check_time_status(fn, time, status);
  const std::size_t n = time.size();
  check_labels(fn, "group", options.group, n);
  check_weights(fn, options.weights, n);
  check_conf_level(fn, options.conf_level);
  for (double p : options.quantiles)
    if (!(p >= 0 && p <= 1)) fail(fn, "quantiles has a probability outside [0, 1] (" + num(p) + ")");

  check_entry(fn, options.entry, time);

  label_codes own_codes;
  if (!given_codes) own_codes = encode_labels(options.group, n);
  const label_codes& codes = given_codes ? *given_codes : own_codes;
  const double z = stats::normal_quantile(1 - (1 - options.conf_level) / 2);
  kaplan_meier_result res;
  res.conf = options.conf;
  res.conf_level = options.conf_level;
  res.curves.resize(codes.labels.size());
  // one curve's row at time t: (weighted) d events and cens censorings, at_risk just before t;
  // the CI columns follow per curve in finish()
  auto add_row = [&](km_curve& c, double t, double at_risk, double d, double cens, double& s,
                     double& var, double& h) {
    if (d > 0) {
      s *= 1 - d / at_risk;
      h += d / at_risk;
      var += at_risk > d ? d / (at_risk * (at_risk - d)) : inf;
    }
    c.time.push_back(t);
    c.n_risk.push_back(at_risk);
    c.n_event.push_back(d);
    c.n_censor.push_back(cens);
    c.surv.push_back(s);
    c.std_err_log.push_back(var);  // the variance until finish() takes its square root
    c.cumhaz.push_back(h);
  };
  // quantiles and the median in one search per curve (each probability is answered alone)
  std::vector<double> probs = options.quantiles;
  probs.push_back(0.5);
  const std::size_t nq = options.quantiles.size();
  auto finish = [&](km_curve& c) {
    sqrt_in_place(c.std_err_log);
    km_conf_columns(c, z, options.conf);
    c.quantile_prob = options.quantiles;
    std::vector<double> q;
    km_quantiles(c.time, c.surv, probs, q, nq);
    c.median = q[nq];
    c.quantile.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
    if (options.conf != conf_type::none) {
      km_quantiles(c.time, c.lower, probs, q, nq);
      c.median_lower = q[nq];
      c.quantile_lower.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
      km_quantiles(c.time, c.upper, probs, q, nq);
      c.median_upper = q[nq];
      c.quantile_upper.assign(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(nq));
    } else {
      c.quantile_lower.assign(nq, nan);
      c.quantile_upper.assign(nq, nan);
    }
  };
  // Unweighted right-censored data with whole-number times (days, months): counts per (time,
  // group) replace the sort; every count is a whole number, so the sums equal the sorted sweep's.
  if (options.weights.empty() && options.entry.empty()) {
    tied_time_counts tc;
    const std::size_t k = codes.labels.size();
    if (whole_time_counts(time, status, codes.code, k, options.timefix, tc)) {
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
  // Right-censored data: one sweep over the rows in time order serves every group at once: per
  // distinct time, each group present there gets its row. Each group's sums run over its rows in
  // the same order as a per-group sorted sweep (weighted: the stable order; unweighted, every sum
  // is of whole numbers and the order within a time does not matter).
  if (options.entry.empty()) {
    const std::size_t k = codes.labels.size();
    bool neg_zero = false;  // a -0.0 time is reported as given (its key is +0.0's): needs the row
    for (const double t : time) neg_zero = neg_zero || std::signbit(t);
    const bool weighted = !options.weights.empty();
    const bool indexed = weighted || neg_zero;
    auto sweep = [&](auto key_at, auto payload_at, auto weight_at, auto index_at) {
      std::vector<double> fixed_sorted;
      const bool merged = options.timefix && timefix_sorted_keys(n, key_at, fixed_sorted);
      std::vector<double> at_risk(k, 0.0), s(k, 1.0), var(k, 0.0), h(k, 0.0), d(k, 0.0), cens(k, 0.0);
      std::vector<std::size_t> first_row(k), rows(k, 0), last_block(k, n);
      // pass 1: each group's (weighted) size and events in time order, and its number of rows
      // (distinct times), so that every column is sized once
      for (std::size_t q = 0, block = 0; q < n; ++block) {
        const std::size_t q2 = tied_block_end(q, n, merged, fixed_sorted, key_at);
        for (std::size_t r = q; r < q2; ++r) {
          const std::uint32_t pl = payload_at(r);
          const std::uint32_t g = pl >> 1;
          const double w = weight_at(r);
          at_risk[g] += w;
          res.curves[g].events += w * ((pl & 1u) ? 1.0 : 0.0);
          rows[g] += last_block[g] != block ? 1 : 0;
          last_block[g] = block;
        }
        q = q2;
      }
      struct columns {
        double *time, *n_risk, *n_event, *n_censor, *surv, *var, *cumhaz;
      };
      std::vector<columns> out(k);
      std::vector<std::size_t> at(k, 0);
      for (std::size_t g = 0; g < k; ++g) {
        km_curve& c = res.curves[g];
        c.group = codes.labels[g];
        c.n = at_risk[g];
        for (auto* v : {&c.time, &c.n_risk, &c.n_event, &c.n_censor, &c.surv, &c.std_err_log, &c.cumhaz}) {
          reserve_large(*v, rows[g]);
          v->resize(rows[g]);
        }
        out[g] = {c.time.data(), c.n_risk.data(), c.n_event.data(), c.n_censor.data(),
                  c.surv.data(), c.std_err_log.data(), c.cumhaz.data()};
      }
      // one row of group g at time t (add_row's arithmetic; std_err_log holds the variance
      // until finish() takes its square root)
      auto put = [&](std::size_t g, double t, double dg, double cg) {
        const double ar = at_risk[g];
        if (dg > 0) {
          s[g] *= 1 - dg / ar;
          h[g] += dg / ar;
          var[g] += ar > dg ? dg / (ar * (ar - dg)) : inf;
        }
        const columns& o = out[g];
        const std::size_t i = at[g]++;
        o.time[i] = t;
        o.n_risk[i] = ar;
        o.n_event[i] = dg;
        o.n_censor[i] = cg;
        o.surv[i] = s[g];
        o.var[i] = var[g];
        o.cumhaz[i] = h[g];
        at_risk[g] = ar - (dg + cg);
      };
      std::vector<std::uint32_t> touched;
      std::vector<char> is_touched(k, 0);
      for (std::size_t q = 0; q < n;) {
        const std::size_t q2 = tied_block_end(q, n, merged, fixed_sorted, key_at);
        const double t_run = merged ? fixed_sorted[q] : decode_sort_key(key_at(q));
        if (q2 == q + 1 && !neg_zero) {  // a time of one row (no ties: most of them)
          const std::uint32_t pl = payload_at(q);
          const double w = weight_at(q);
          put(pl >> 1, t_run, (pl & 1u) ? w : 0.0, (pl & 1u) ? 0.0 : w);
          q = q2;
          continue;
        }
        for (std::size_t r = q; r < q2; ++r) {
          const std::uint32_t pl = payload_at(r);
          const std::uint32_t g = pl >> 1;
          const double w = weight_at(r);
          if (!is_touched[g]) {
            is_touched[g] = 1;
            touched.push_back(g);
            if (neg_zero) first_row[g] = index_at(r);
          }
          if (pl & 1u)
            d[g] += w;
          else
            cens[g] += w;
        }
        for (std::uint32_t g : touched) {
          const double t = neg_zero && !merged ? time[first_row[g]] : t_run;
          put(g, t, d[g], cens[g]);
          d[g] = cens[g] = 0;
          is_touched[g] = 0;
        }
        touched.clear();
        q = q2;
      }
    };
    auto payload_of = [&](std::size_t i) {
      return static_cast<std::uint32_t>(codes.code[i]) * 2u + (status[i] == 1 ? 1u : 0u);
    };
    auto unit = [](std::size_t) { return 1.0; };
    auto no_index = [](std::size_t) { return std::size_t{0}; };
    // unweighted: time key and payload sorted together as one word
    packed_time_rows own;
    const packed_time_rows* rows = indexed ? nullptr : presorted;
    if (!indexed && !rows &&
        sort_packed_by_time(time, payload_of, std::bit_width(2 * k - 1), own))
      rows = &own;
    if (rows) {
      const std::uint64_t* word = rows->word.data();
      const int shift = rows->shift;
      const std::uint64_t lo = rows->lo;
      const std::uint64_t mask = (std::uint64_t{1} << shift) - 1;
      sweep([=](std::size_t q) { return (word[q] >> shift) + lo; },
            [=](std::size_t q) { return static_cast<std::uint32_t>(word[q] & mask); }, unit, no_index);
    } else {
      // per row: group code and status in one word, sorted along with the times (no gather in
      // time order); weights and a -0.0 time need the rows' indices instead
      std::vector<std::uint32_t> payload(n);
      for (std::size_t i = 0; i < n; ++i) payload[i] = payload_of(i);
      std::vector<std::uint64_t> bits;
      if (indexed) {
        const std::vector<std::size_t> asc = order_ascending(time, &bits);
        auto key_at = [&](std::size_t q) { return bits[q]; };
        auto pl_at = [&](std::size_t q) { return payload[asc[q]]; };
        auto idx_at = [&](std::size_t q) { return asc[q]; };
        if (weighted)
          sweep(key_at, pl_at, [&](std::size_t q) { return options.weights[asc[q]]; }, idx_at);
        else
          sweep(key_at, pl_at, unit, idx_at);
      } else {
        const std::vector<std::uint32_t> sorted_payload = sort_payload_ascending(time, payload, bits);
        sweep([&](std::size_t q) { return bits[q]; }, [&](std::size_t q) { return sorted_payload[q]; }, unit,
              no_index);
      }
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
  return detail::kaplan_meier_impl(time, status, options, nullptr);
}

}  // namespace vasostat::inline v0::survival
