#pragma once
// K-sample log-rank test and its weighted G(rho, gamma) family, optionally stratified, with the
// 1-df test for trend. Weight at an event time: S(t-)^rho (1 - S(t-))^gamma with S the pooled
// Kaplan–Meier curve of the stratum; rho = gamma = 0 is the log-rank test (Mantel 1966),
// rho = 1 Peto–Peto as in R's survdiff(rho = 1) (Harrington & Fleming 1982). Matches
// survival::survdiff (observed, expected, variance, chi-squared). O(n k + d k^2) after an O(n) sort.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/kaplan_meier.hpp>
#include <vasostat/survival/detail/timefix.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::survival {

struct logrank_options {
  std::span<const int> strata = {};  ///< one label (>= 0) per subject; empty = unstratified
  double rho = 0;                    ///< R survdiff's rho: weight S(t-)^rho
  double gamma = 0;                  ///< Fleming–Harrington: extra factor (1 - S(t-))^gamma
  std::vector<double> trend_scores = {};  ///< one score per group (label order); empty = 1..k
  bool timefix = true;               ///< R's timefix: merge times equal up to rounding (aeqSurv)
};

struct logrank_result {
  std::vector<int> group;          ///< group labels present, increasing
  std::vector<double> n;           ///< subjects per group
  std::vector<double> observed;    ///< (weighted) observed events per group, summed over strata
  std::vector<double> expected;    ///< (weighted) expected events per group
  Eigen::MatrixXd variance;        ///< k x k covariance of observed - expected
  double chisq = 0;                ///< (O-E)' V^- (O-E) over groups with expected > 0
  int df = 0;                      ///< (number of groups with expected > 0) - 1
  double p_value = 1;              ///< chi-squared(df) upper tail
  double trend_statistic = 0;      ///< z = c'(O-E) / sqrt(c'Vc) for the trend scores c
  double trend_chisq = 0;          ///< z^2, 1 df
  double trend_p_value = 1;        ///< chi-squared(1) upper tail of trend_chisq
  std::string test;                ///< "log-rank", "Peto-Peto", or "G(rho, gamma)"
};

namespace detail {

/// logrank, with the rows optionally already sorted by time (`presorted`: packed_time_rows of
/// time with payload group code * 2 + status, codes as encode_labels(group) gives them; used
/// only without strata), and the group codes optionally given (encode_labels(group, n)).
inline logrank_result logrank_impl(std::span<const double> time, std::span<const double> status,
                                   std::span<const int> group, const logrank_options& options,
                                   const packed_time_rows* presorted,
                                   const label_codes* given_codes = nullptr) {
  constexpr const char* fn = "logrank";
  detail::check_time_status(fn, time, status);
  const std::size_t n = time.size();
  if (group.size() != n)
    detail::fail(fn, "group.size() (" + std::to_string(group.size()) + ") != time.size() (" +
                         std::to_string(n) + ")");
  detail::check_labels(fn, "group", group, n);
  detail::check_labels(fn, "strata", options.strata, n);
  if (!(options.rho >= 0) || !std::isfinite(options.rho))
    detail::fail(fn, "rho is negative or not finite (" + detail::num(options.rho) + ")");
  if (!(options.gamma >= 0) || !std::isfinite(options.gamma))
    detail::fail(fn, "gamma is negative or not finite (" + detail::num(options.gamma) + ")");
  label_codes own_codes;
  if (!given_codes) own_codes = encode_labels(group, n);
  const label_codes& gcodes = given_codes ? *given_codes : own_codes;
  const std::size_t k = gcodes.labels.size();
  if (k < 2) detail::fail(fn, "group has fewer than 2 distinct labels");
  bool any_event = false;
  for (double s : status) any_event = any_event || s == 1;
  if (!any_event) detail::fail(fn, "status has no events at all");
  if (!options.trend_scores.empty() && options.trend_scores.size() != k)
    detail::fail(fn, "trend_scores.size() (" + std::to_string(options.trend_scores.size()) +
                         ") != number of groups (" + std::to_string(k) + ")");
  auto scodes = detail::encode_labels(options.strata, n);
  const std::size_t ns = scodes.labels.size();
  logrank_result res;
  res.group = gcodes.labels;
  res.n.assign(k, 0);
  for (int c : gcodes.code) res.n[static_cast<std::size_t>(c)] += 1;
  Eigen::VectorXd obs = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k));
  Eigen::VectorXd exp = obs;
  Eigen::MatrixXd var = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
  std::vector<double> at_risk(k), deaths(k);
  // a distinct time with d > 0 deaths (deaths[] per group), at_risk[] and n_total just before it
  auto event_time = [&](double d, double n_total, double& km) {
    double wt = 1;
    if (options.rho != 0) wt *= std::pow(km, options.rho);
    if (options.gamma != 0) wt *= std::pow(1 - km, options.gamma);
    const double vfac = n_total > 1 ? wt * wt * d * (n_total - d) / (n_total - 1) : 0.0;
    for (std::size_t a = 0; a < k; ++a) {
      const auto ia = static_cast<Eigen::Index>(a);
      const double pa = at_risk[a] / n_total;
      obs[ia] += wt * deaths[a];
      exp[ia] += wt * d * pa;
      if (vfac == 0 || pa == 0) continue;
      var(ia, ia) += vfac * pa * (1 - pa);
      for (std::size_t b = a + 1; b < k; ++b) {
        const auto ib = static_cast<Eigen::Index>(b);
        double v = vfac * pa * (at_risk[b] / n_total);
        var(ia, ib) -= v;
        var(ib, ia) -= v;
      }
    }
    km *= 1 - d / n_total;
  };
  // no strata and whole-number times (days, months): counts per (time, group) replace the sort;
  // every count is a whole number, so the sums equal the sorted sweep's
  detail::tied_time_counts tc;
  if (ns == 1 && detail::whole_time_counts(time, status, gcodes.code, k, options.timefix, tc)) {
    const std::size_t m = tc.value.size();
    std::fill(at_risk.begin(), at_risk.end(), 0.0);
    for (std::size_t a = 0; a < k; ++a) at_risk[a] = res.n[a];
    double n_total = static_cast<double>(n), km = 1;
    for (std::size_t j = 0; j < m; ++j) {
      double d = 0, leaving = 0;
      for (std::size_t a = 0; a < k; ++a) {
        deaths[a] = tc.events[j * k + a];
        d += deaths[a];
        leaving += deaths[a] + tc.censored[j * k + a];
      }
      if (leaving == 0) continue;
      if (d > 0) event_time(d, n_total, km);
      for (std::size_t a = 0; a < k; ++a) at_risk[a] -= deaths[a] + tc.censored[j * k + a];
      n_total -= leaving;
    }
  } else if (ns == 1) {
    // one stratum: one sweep over the rows in time order, each row's group and status sorted
    // along with its time (no gather in time order); per distinct time the deaths per group are
    // counted (whole numbers: any order within a time gives the same sums)
    auto sweep = [&](auto key_at, auto payload_at) {
      std::vector<double> fixed_sorted;
      const bool merged = options.timefix && timefix_sorted_keys(n, key_at, fixed_sorted);
      for (std::size_t a = 0; a < k; ++a) at_risk[a] = res.n[a];
      double n_total = static_cast<double>(n), km = 1;
      if (k == 2) {
        // two groups (the common case): event_time with its sums in registers, the same
        // operations in the same order (bit-identical)
        double o0 = 0, o1 = 0, e0 = 0, e1 = 0, v00 = 0, v01 = 0, v11 = 0, r0 = at_risk[0], r1 = at_risk[1];
        const bool plain = options.rho == 0 && options.gamma == 0;
        for (std::size_t q = 0; q < n;) {
          const std::size_t q2 = tied_block_end(q, n, merged, fixed_sorted, key_at);
          double d0 = 0, d1 = 0, l0 = 0, l1 = 0;
          for (std::size_t r = q; r < q2; ++r) {  // whole numbers, without branches
            const std::uint32_t pl = payload_at(r);
            const double dead = static_cast<double>(pl & 1u), in1 = static_cast<double>(pl >> 1);
            d1 += dead * in1;
            l1 += in1;
            d0 += dead * (1 - in1);
            l0 += 1 - in1;
          }
          const double d = d0 + d1;
          if (plain) {
            // log-rank weights (1): a time without deaths adds exact zeros (and km *= 1), so
            // every time goes through the same branch-free arithmetic
            const double vfac = n_total > 1 ? 1.0 * 1.0 * d * (n_total - d) / (n_total - 1) : 0.0;
            const double p0 = r0 / n_total, p1 = r1 / n_total;
            o0 += 1.0 * d0;
            e0 += 1.0 * d * p0;
            v00 += vfac * p0 * (1 - p0);
            v01 -= vfac * p0 * p1;
            o1 += 1.0 * d1;
            e1 += 1.0 * d * p1;
            v11 += vfac * p1 * (1 - p1);
            km *= 1 - d / n_total;
          } else if (d > 0) {
            double wt = 1;
            if (options.rho != 0) wt *= std::pow(km, options.rho);
            if (options.gamma != 0) wt *= std::pow(1 - km, options.gamma);
            const double vfac = n_total > 1 ? wt * wt * d * (n_total - d) / (n_total - 1) : 0.0;
            const double p0 = r0 / n_total, p1 = r1 / n_total;
            o0 += wt * d0;
            e0 += wt * d * p0;
            if (vfac != 0 && p0 != 0) {
              v00 += vfac * p0 * (1 - p0);
              v01 -= vfac * p0 * p1;
            }
            o1 += wt * d1;
            e1 += wt * d * p1;
            if (vfac != 0 && p1 != 0) v11 += vfac * p1 * (1 - p1);
            km *= 1 - d / n_total;
          }
          r0 -= l0;
          r1 -= l1;
          n_total -= static_cast<double>(q2 - q);
          q = q2;
        }
        obs[0] += o0;
        obs[1] += o1;
        exp[0] += e0;
        exp[1] += e1;
        var(0, 0) += v00;
        var(0, 1) += v01;
        var(1, 0) += v01;
        var(1, 1) += v11;
        return;
      }
      for (std::size_t q = 0; q < n;) {
        const std::size_t q2 = tied_block_end(q, n, merged, fixed_sorted, key_at);
        std::fill(deaths.begin(), deaths.end(), 0.0);
        double d = 0;
        for (std::size_t r = q; r < q2; ++r) {
          const std::uint32_t pl = payload_at(r);
          if (pl & 1u) {
            deaths[pl >> 1] += 1;
            d += 1;
          }
        }
        if (d > 0) event_time(d, n_total, km);
        for (std::size_t r = q; r < q2; ++r) at_risk[payload_at(r) >> 1] -= 1;
        n_total -= static_cast<double>(q2 - q);
        q = q2;
      }
    };
    auto payload_of = [&](std::size_t i) {
      return static_cast<std::uint32_t>(gcodes.code[i]) * 2u + (status[i] == 1 ? 1u : 0u);
    };
    packed_time_rows own;
    const packed_time_rows* rows = presorted;
    if (!rows && sort_packed_by_time(time, payload_of, std::bit_width(2 * k - 1), own)) rows = &own;
    if (rows) {
      const std::uint64_t* word = rows->word.data();
      const int shift = rows->shift;
      const std::uint64_t lo = rows->lo;
      const std::uint64_t mask = (std::uint64_t{1} << shift) - 1;
      sweep([=](std::size_t q) { return (word[q] >> shift) + lo; },
            [=](std::size_t q) { return static_cast<std::uint32_t>(word[q] & mask); });
    } else {
      std::vector<std::uint32_t> payload(n);
      for (std::size_t i = 0; i < n; ++i) payload[i] = payload_of(i);
      std::vector<std::uint64_t> bits;
      const auto sorted_payload = sort_payload_ascending(time, payload, bits);
      std::vector<std::uint32_t>().swap(payload);
      sweep([&](std::size_t q) { return bits[q]; }, [&](std::size_t q) { return sorted_payload[q]; });
    }
  } else {
    std::vector<std::uint64_t> bits;
    auto asc = detail::order_ascending(time, options.timefix ? &bits : nullptr);
    std::vector<double> t_fixed;
    std::span<const double> t_in = time;
    if (options.timefix && detail::timefix_from_order(n, asc, bits, t_fixed)) t_in = t_fixed;
    auto order = detail::stable_by_code(asc, scodes.code, ns);

    // sorted copies, written by scattering the rows as given (sequential reads; with tied times
    // the writes advance in one run per distinct time)
    std::vector<double> ts(n), ss(n);
    std::vector<int> gs(n), sts(n);
    {
      std::vector<std::size_t> pos_of(n);
      for (std::size_t q = 0; q < n; ++q) pos_of[order[q]] = q;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t q = pos_of[i];
        ts[q] = t_in[i];
        ss[q] = status[i];
        gs[q] = gcodes.code[i];
        sts[q] = scodes.code[i];
      }
    }
    std::size_t pos = 0;
    for (std::size_t s = 0; s < ns; ++s) {
      std::size_t end = pos;
      while (end < n && sts[end] == static_cast<int>(s)) ++end;
      std::fill(at_risk.begin(), at_risk.end(), 0.0);
      for (std::size_t j = pos; j < end; ++j) at_risk[static_cast<std::size_t>(gs[j])] += 1;
      double n_total = static_cast<double>(end - pos);
      double km = 1;  // pooled S(t-) within the stratum
      for (std::size_t j = pos; j < end;) {
        const double t = ts[j];
        std::fill(deaths.begin(), deaths.end(), 0.0);
        double d = 0, leaving = 0;
        std::size_t e = j;
        for (; e < end && ts[e] == t; ++e) {
          if (ss[e] == 1) {
            deaths[static_cast<std::size_t>(gs[e])] += 1;
            d += 1;
          }
          leaving += 1;
        }
        if (d > 0) event_time(d, n_total, km);
        for (std::size_t q = j; q < e; ++q) at_risk[static_cast<std::size_t>(gs[q])] -= 1;
        n_total -= leaving;
        j = e;
      }
      pos = end;
    }
  }
  res.observed.assign(obs.data(), obs.data() + k);
  res.expected.assign(exp.data(), exp.data() + k);
  res.variance = var;
  // chi-squared over the groups with expected > 0, dropping the first of them.
  std::vector<Eigen::Index> keep;
  for (std::size_t a = 0; a < k; ++a)
    if (res.expected[a] > 0) keep.push_back(static_cast<Eigen::Index>(a));
  res.df = static_cast<int>(keep.size()) - 1;
  if (keep.size() >= 2) {
    const auto m = static_cast<Eigen::Index>(keep.size()) - 1;
    Eigen::MatrixXd vv(m, m);
    Eigen::VectorXd u(m);
    for (Eigen::Index a = 0; a < m; ++a) {
      u[a] = obs[keep[static_cast<std::size_t>(a) + 1]] - exp[keep[static_cast<std::size_t>(a) + 1]];
      for (Eigen::Index b = 0; b < m; ++b)
        vv(a, b) = var(keep[static_cast<std::size_t>(a) + 1], keep[static_cast<std::size_t>(b) + 1]);
    }
    Eigen::VectorXd sol = vv.fullPivLu().solve(u);
    res.chisq = u.dot(sol);
    res.p_value = stats::chi_squared_sf(res.chisq, res.df);
  } else {
    res.chisq = 0;
    res.p_value = 1;
  }
  Eigen::VectorXd c(static_cast<Eigen::Index>(k));
  for (std::size_t a = 0; a < k; ++a)
    c[static_cast<Eigen::Index>(a)] =
        options.trend_scores.empty() ? static_cast<double>(a + 1) : options.trend_scores[a];
  const double cv = c.dot(var * c);
  if (cv > 0) {
    res.trend_statistic = c.dot(obs - exp) / std::sqrt(cv);
    res.trend_chisq = res.trend_statistic * res.trend_statistic;
    res.trend_p_value = stats::chi_squared_sf(res.trend_chisq, 1);
  } else {
    res.trend_statistic = res.trend_chisq = 0;
    res.trend_p_value = 1;
  }
  if (options.rho == 0 && options.gamma == 0)
    res.test = "log-rank";
  else if (options.rho == 1 && options.gamma == 0)
    res.test = "Peto-Peto";
  else
    res.test = "G(" + detail::num(options.rho) + ", " + detail::num(options.gamma) + ")";
  return res;
}

}  // namespace detail

/// Log-rank / G-rho test comparing the survival of k >= 2 groups.
/// @throws vasostat::invalid_argument naming the argument: sizes that disagree, negative or
///   NaN times, status not 0/1, a negative group or strata label, fewer than 2 groups, no
///   events at all, trend_scores of the wrong size, rho or gamma negative or not finite.
/// Example:
///   auto lr = survival::logrank(time, status, arm);          // lr.chisq, lr.df, lr.p_value
[[nodiscard]] inline logrank_result logrank(std::span<const double> time,
                                            std::span<const double> status,
                                            std::span<const int> group,
                                            const logrank_options& options = {}) {
  return detail::logrank_impl(time, status, group, options, nullptr);
}

/// Kaplan–Meier curves by group and the log-rank (G-rho) test of the same groups from one call:
/// km_options.group is ignored (`group` is used for both).
struct kaplan_meier_logrank_result {
  kaplan_meier_result km;
  logrank_result logrank;
};

/// kaplan_meier(time, status, {km_options with .group = group}) and logrank(time, status, group,
/// lr_options) at once; the results are the two calls' exactly. For unweighted right-censored
/// data without strata (and without -0.0 times), both share one sort by time, which is most of
/// the cost of either call when the times are not whole numbers (R: survfit + survdiff).
/// @throws vasostat::invalid_argument as the two functions do.
/// Example:
///   auto both = survival::kaplan_meier_logrank(time, status, arm);   // both.km.curves, both.logrank.p_value
[[nodiscard]] inline kaplan_meier_logrank_result kaplan_meier_logrank(std::span<const double> time,
                                                                      std::span<const double> status,
                                                                      std::span<const int> group,
                                                                      const kaplan_meier_options& km_options = {},
                                                                      const logrank_options& lr_options = {}) {
  kaplan_meier_options kmo = km_options;
  kmo.group = group;
  kaplan_meier_logrank_result out;
  detail::packed_time_rows rows;
  detail::label_codes codes;
  const detail::packed_time_rows* shared = nullptr;
  const std::size_t n = time.size();
  if (kmo.weights.empty() && kmo.entry.empty() && lr_options.strata.empty() && !time.empty() &&
      status.size() == n && group.size() == n) {
    // the sort only runs on input that both calls accept (they check it again and throw)
    bool ok = true;
    for (std::size_t i = 0; i < n && ok; ++i) {
      ok = time[i] >= 0 && std::isfinite(time[i]) && !std::signbit(time[i]) && (status[i] == 0 || status[i] == 1) &&
           group[i] >= 0;
    }
    if (ok) {
      codes = detail::encode_labels(group, n);
      const std::size_t k = codes.labels.size();
      if (k >= 2 &&
          detail::sort_packed_by_time(
              time,
              [&](std::size_t i) {
                return static_cast<std::uint32_t>(codes.code[i]) * 2u + (status[i] == 1 ? 1u : 0u);
              },
              std::bit_width(2 * k - 1), rows))
        shared = &rows;
    }
  }
  const detail::label_codes* given = shared ? &codes : nullptr;
  out.km = detail::kaplan_meier_impl(time, status, kmo, shared, given);
  out.logrank = detail::logrank_impl(time, status, group, lr_options, shared, given);
  return out;
}

}  // namespace vasostat::inline v0::survival
