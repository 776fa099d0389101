#pragma once
// K-sample log-rank test and its weighted G(rho, gamma) family, optionally stratified, with the
// 1-df test for trend. Weight at an event time: S(t-)^rho (1 - S(t-))^gamma with S the pooled
// Kaplan–Meier curve of the stratum; rho = gamma = 0 is the log-rank test (Mantel 1966),
// rho = 1 Peto–Peto as in R's survdiff(rho = 1) (Harrington & Fleming 1982). Matches
// survival::survdiff (observed, expected, variance, chi-squared). O(n k + d k^2) after an O(n) sort.

#include <vasostat/survival/common.hpp>
#include <vasostat/survival/detail/timefix.hpp>

#include <Eigen/Dense>

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
  auto gcodes = detail::encode_labels(group, n);
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
    // one stratum: one sweep over the rows in time order (the radix order of the times, carrying
    // each row's group and status); per
    // distinct time the deaths per group are counted (whole numbers: any order gives the same)
    std::vector<std::uint32_t> payload(n);  // group code and status in one word, sorted with the times
    for (std::size_t i = 0; i < n; ++i)
      payload[i] = static_cast<std::uint32_t>(gcodes.code[i]) * 2u + (status[i] == 1 ? 1u : 0u);
    std::vector<std::uint64_t> bits;
    const auto sorted_payload = detail::sort_payload_ascending(time, payload, bits);
    std::vector<std::uint32_t>().swap(payload);
    std::vector<double> fixed_sorted;
    const bool merged = options.timefix && detail::timefix_sorted(n, bits, fixed_sorted);
    for (std::size_t a = 0; a < k; ++a) at_risk[a] = res.n[a];
    double n_total = static_cast<double>(n), km = 1;
    for (std::size_t q = 0; q < n;) {
      const std::size_t q2 = detail::tied_block_end(q, n, merged, fixed_sorted, bits);
      std::fill(deaths.begin(), deaths.end(), 0.0);
      double d = 0;
      for (std::size_t r = q; r < q2; ++r) {
        const std::uint32_t pl = sorted_payload[r];
        if (pl & 1u) {
          deaths[pl >> 1] += 1;
          d += 1;
        }
      }
      if (d > 0) event_time(d, n_total, km);
      for (std::size_t r = q; r < q2; ++r) at_risk[sorted_payload[r] >> 1] -= 1;
      n_total -= static_cast<double>(q2 - q);
      q = q2;
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

}  // namespace vasostat::inline v0::survival
