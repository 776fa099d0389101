#pragma once
// Maximally selected rank statistics (Lausen & Schumacher 1992, Biometrics 48:73-85; Hothorn &
// Lausen 2003, CSDA 43:121-137): standardised two-sample linear rank statistics over every cut
// of x with minimum group proportions, the cut (x <= cut vs x > cut) maximising |T|, and
// selection-adjusted p-values: Lau92 (Miller & Siegmund's Brownian-bridge bound), Lau94
// (Worsley's improved Bonferroni), exact Gaussian (the T's are a Gaussian Markov sequence,
// so P(max|T| >= b) is integrated exactly by a one-dimensional recursion), and conditional
// Monte Carlo (seeded permutations). Matches R maxstat 0.7-25's maxstat.test. For survival
// outcomes also the hazard ratio at the cut with selection-aware corrections.
// Cost O(n log n) plus O(K G^2) for the exact Gaussian p (K cuts, G grid nodes).

#include <vasostat/core/error.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/stats/distributions.hpp>
#include <vasostat/threshold/detail/cox1.hpp>
#include <vasostat/threshold/detail/numeric.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::threshold {

/// Scores of the linear rank statistic (R maxstat `smethod`).
enum class maxstat_scores : std::uint8_t {
  log_rank,         ///< survival outcome: log-rank scores (maxstat's tie convention)
  data,             ///< the raw outcome ("Data"; a standardised Gaussian statistic)
  wilcoxon,         ///< mid-ranks
  normal_quantile,  ///< van der Waerden, qnorm(rank / (n + 1))
  median            ///< 1 above the median rank, else 0
};

struct maxstat_options {
  double min_prop = 0.1;  ///< smallest proportion in the lower group (R minprop)
  double max_prop = 0.9;  ///< largest proportion in the lower group (R maxprop)
  maxstat_scores scores = maxstat_scores::data;  ///< ignored by the survival overload
  bool exact_gauss = false;     ///< compute p_exact_gauss: O(K G^2), G ~ 100-400 grid nodes
                                ///< (tens of ms for K ~ 50 cuts; seconds for thousands)
  int n_permutations = 0;       ///< > 0: conditional Monte Carlo p (R pmethod "condMC")
  int n_boot = 0;               ///< > 0: bootstrap optimism correction of the HR (survival)
  std::uint64_t seed = 1;
  double conf_level = 0.95;
};

struct maxstat_result {
  double cutpoint = 0;       ///< lower group is x <= cutpoint (R "estimated cutpoint")
  double statistic = 0;      ///< max |T|
  double p_lau92 = 1;
  double p_lau94 = 1;
  double p_exact_gauss = std::numeric_limits<double>::quiet_NaN();
  double p_permutation = std::numeric_limits<double>::quiet_NaN();
  double p_naive = 1;        ///< 2 (1 - Phi(M)): ignores the search (for comparison only)
  std::ptrdiff_t n_below = 0;
  Eigen::VectorXd cuts;      ///< candidate cut-points (distinct x within the proportions)
  Eigen::VectorXd statistics;  ///< |T| at each candidate
  // survival overload only: Cox model with indicator x > cutpoint (Efron ties)
  double hazard_ratio = std::numeric_limits<double>::quiet_NaN();
  double hr_lower = std::numeric_limits<double>::quiet_NaN();
  double hr_upper = std::numeric_limits<double>::quiet_NaN();
  double hr_p_naive = std::numeric_limits<double>::quiet_NaN();  ///< Wald p, cut treated as known
  double p_altman = std::numeric_limits<double>::quiet_NaN();    ///< Altman et al. (1994) corrected p
  double hr_shrunk = std::numeric_limits<double>::quiet_NaN();   ///< heuristic shrinkage (van Houwelingen & le Cessie 1990)
  double hr_bootstrap_corrected = std::numeric_limits<double>::quiet_NaN();  ///< optimism-corrected (n_boot > 0)
  double shrinkage = std::numeric_limits<double>::quiet_NaN();   ///< factor applied to log HR for hr_shrunk
  std::vector<std::string> warnings;  ///< e.g. an infinite HR when one group has no events
};

/// Reusable buffers for maxstat_cutpoint (grown on demand, never shrunk): a loop over data sets
/// or a benchmark passes one to avoid the per-call allocations (and, at n ~ 10^4, the page
/// faults of fresh memory). Not thread-shared.
struct maxstat_workspace {
  detail::sorted_keys time_order;
  detail::sorted_keys x_order;
  std::vector<std::uint64_t> scratch;
  std::vector<double> scores;
  std::vector<std::size_t> cut_sizes;
  std::vector<double> statistics;
  std::vector<detail::cox1_block> blocks;
};

namespace detail {

/// maxstat's log-rank scores: a_i = d_i - sum_{j: t_j <= t_i} d_j / (n - r_j + 1), r the
/// max-rank of t_j (ties share the largest rank), as R exactRankTests::cscores. ts: the ascending
/// time order (sort_keys), shared with the Cox fit. Writes a in the original order.
inline void logrank_scores(std::span<const double> status, const sorted_keys& ts, std::vector<double>& scores) {
  const std::size_t n = ts.index.size();
  scores.resize(n);
  const std::uint32_t* o = ts.index.data();
  const double* t = ts.value.data();
  double c = 0;
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i + 1;
    while (j < n && t[j] == t[i]) {
      ++j;
    }
    const double rmax = static_cast<double>(j);  // 1-based max rank of the block
    // d / (n - rmax + 1) for d in {0, 1} is exactly d * (1 / (n - rmax + 1))
    const double inv = 1 / (static_cast<double>(n) - rmax + 1);
    for (std::size_t k = i; k < j; ++k) {
      c += status[o[k]] * inv;
    }
    for (std::size_t k = i; k < j; ++k) {
      scores[o[k]] = status[o[k]] - c;
    }
    i = j;
  }
}

inline std::vector<double> mid_ranks(std::span<const double> y) {
  const std::size_t n = y.size();
  std::vector<std::size_t> o(n);
  std::iota(o.begin(), o.end(), std::size_t{0});
  std::stable_sort(o.begin(), o.end(), [&](std::size_t a, std::size_t b) { return y[a] < y[b]; });
  std::vector<double> r(n);
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j < n && y[o[j]] == y[o[i]]) {
      ++j;
    }
    const double mid = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) {
      r[o[k]] = mid;
    }
    i = j;
  }
  return r;
}

inline double p_lausen92(double b, double minprop, double maxprop) {
  if (b < 1) {
    return 1;
  }
  const double db = stats::normal_pdf(b);
  const double p = 4 * db / b + db * (b - 1 / b) * std::log((maxprop * (1 - minprop)) / ((1 - maxprop) * minprop));
  return std::max(p, 0.0);
}

/// Lau94 for the statistic b over the cuts with m[i] observations below (increasing).
inline double p_lausen94(double b, double n, const std::vector<std::size_t>& m) {
  double D = 0;
  const double c = (b * b / 4 - 1) / 6;
  for (std::size_t i = 0; i + 1 < m.size(); ++i) {
    const auto mi = static_cast<double>(m[i]);
    const auto mn = static_cast<double>(m[i + 1]);
    const double t = std::sqrt(1 - mi * (n - mn) / ((n - mi) * mn));
    D += t - c * t * t * t;
  }
  return 2 * stats::normal_sf(b) + D / std::numbers::pi * std::exp(-b * b / 2);
}

/// P(max_i |T_i| >= b) for the Gaussian Markov sequence with corr(T_i, T_i+1) = rho_i:
/// forward recursion of the sub-density on [-b, b], piecewise linear between nodes and
/// integrated exactly against the Gaussian transition kernel; Richardson-extrapolated over two
/// grids (h, h/2).
inline double p_gauss_markov(double b, const std::vector<double>& rho) {
  if (!(b > 0)) {
    return 1.0;
  }
  auto run = [&](int G) {
    const double h = 2 * b / (G - 1);
    std::vector<double> u(static_cast<std::size_t>(G));
    for (int j = 0; j < G; ++j) {
      u[static_cast<std::size_t>(j)] = -b + h * j;
    }
    u.back() = b;
    std::vector<double> f(u.size());
    for (std::size_t j = 0; j < u.size(); ++j) {
      f[j] = stats::normal_pdf(u[j]);
    }
    std::vector<double> g(u.size());
    std::vector<double> Phi(u.size());
    std::vector<double> phi(u.size());
    for (double r : rho) {
      const double s = std::sqrt(std::max(1 - r * r, 1e-300));
      for (std::size_t i = 0; i < u.size(); ++i) {
        const double v = u[i];
        for (std::size_t j = 0; j < u.size(); ++j) {
          const double z = (v - r * u[j]) / s;
          Phi[j] = 0.5 * std::erfc(-z / std::numbers::sqrt2);
          phi[j] = std::exp(-0.5 * z * z) / std::sqrt(2 * std::numbers::pi);
        }
        double acc = 0;
        for (std::size_t j = 0; j + 1 < u.size(); ++j) {
          // f(u) = a + c u on [u_j, u_j+1]
          const double c = (f[j + 1] - f[j]) / h;
          const double a = f[j] - c * u[j];
          const double dPhi = Phi[j] - Phi[j + 1];
          const double dphi = phi[j + 1] - phi[j];  // integral of z phi(z) from z_j+1 to z_j
          acc += ((a + c * v / r) * dPhi - (c * s / r) * dphi) / r;
        }
        g[i] = std::max(acc, 0.0);
      }
      std::swap(f, g);
    }
    double total = 0;
    for (std::size_t j = 0; j + 1 < u.size(); ++j) {
      total += 0.5 * h * (f[j] + f[j + 1]);
    }
    return total;
  };
  const int G = std::clamp(static_cast<int>(std::ceil(2 * b / 0.08)) + 1, 41, 401);
  const double coarse = run(G);
  const double fine = run(2 * G - 1);
  const double inside = (4 * fine - coarse) / 3;
  return std::clamp(1 - inside, 0.0, 1.0);
}

/// Standardised statistics over the candidate cuts for scores a (in the original order). Two
/// loops: the running sum at each cut (a gather along the x order), then the standardisation,
/// whose divisions and square roots are independent across cuts (throughput- not latency-bound).
inline void maxstat_scan(const std::vector<double>& a, std::span<const std::uint32_t> order,
                         const std::vector<std::size_t>& m, std::vector<double>& stat) {
  const double n = static_cast<double>(a.size());
  double ss = 0;
  double sq = 0;
  for (double v : a) {
    ss += v;
    sq += v * v;
  }
  const double spread = n * sq - ss * ss;
  stat.resize(m.size());
  double cum = 0;
  std::size_t pos = 0;
  for (std::size_t c = 0; c < m.size(); ++c) {
    const std::size_t end = m[c];
    for (; pos < end; ++pos) {
      cum += a[order[pos]];
    }
    stat[c] = cum;
  }
  const double scale = n * n * (n - 1);
  for (std::size_t c = 0; c < m.size(); ++c) {
    const double mm = static_cast<double>(m[c]);
    const double E = mm / n * ss;
    const double V = mm * (n - mm) / scale * spread;
    stat[c] = std::fabs((stat[c] - E) / std::sqrt(V));
  }
}

/// The scan over the cuts of x for scores a (original order); xs: the stable ascending order of
/// x (sort_keys).
inline maxstat_result maxstat_run(const std::vector<double>& a, const sorted_keys& xs,
                                  const maxstat_options& opt, const char* fn, std::vector<std::size_t>& m,
                                  std::vector<double>& stat) {
  const std::size_t N = xs.index.size();
  const std::span<const std::uint32_t> order(xs.index);
  const double* xv = xs.value.data();
  m.clear();
  const auto lo = std::max<std::size_t>(1, static_cast<std::size_t>(std::floor(static_cast<double>(N) * opt.min_prop)));
  const auto hi = std::min(N - 1, static_cast<std::size_t>(std::floor(static_cast<double>(N) * opt.max_prop)));
  m.reserve(hi + 1);
  for (std::size_t i = lo; i <= hi; ++i) {
    if (xv[i] != xv[i - 1]) {
      m.push_back(i);  // i observations have x <= xv[i - 1]
    }
  }
  VASOSTAT_EXPECTS(!m.empty(), std::string(fn) + ": no candidate cut leaves between options.min_prop and "
                                                 "options.max_prop of the observations on either side");
  double spread = 0;
  {
    double mean = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(N);
    for (double v : a) {
      spread += (v - mean) * (v - mean);
    }
  }
  VASOSTAT_EXPECTS(spread > 0, std::string(fn) + ": the outcome scores are constant (no events or constant y)");
  maxstat_result out;
  maxstat_scan(a, order, m, stat);
  std::size_t best = 0;
  for (std::size_t c = 1; c < stat.size(); ++c) {
    if (stat[c] > stat[best]) {
      best = c;
    }
  }
  const double M = stat[best];
  out.statistic = M;
  out.cutpoint = xv[m[best] - 1];
  out.n_below = static_cast<std::ptrdiff_t>(m[best]);
  out.cuts.resize(static_cast<Eigen::Index>(m.size()));
  out.statistics.resize(static_cast<Eigen::Index>(m.size()));
  for (std::size_t c = 0; c < m.size(); ++c) {
    out.cuts[static_cast<Eigen::Index>(c)] = xv[m[c] - 1];
    out.statistics[static_cast<Eigen::Index>(c)] = stat[c];
  }
  const double n = static_cast<double>(N);
  out.p_naive = 2 * stats::normal_sf(M);
  out.p_lau92 = p_lausen92(M, opt.min_prop, opt.max_prop);
  out.p_lau94 = m.size() <= 1 ? out.p_naive : p_lausen94(M, n, m);
  if (opt.exact_gauss) {
    std::vector<double> rho;
    for (std::size_t c = 0; c + 1 < m.size(); ++c) {
      const auto mc = static_cast<double>(m[c]);
      const auto mn = static_cast<double>(m[c + 1]);
      rho.push_back(std::sqrt(mc * (n - mn) / (mn * (n - mc))));
    }
    out.p_exact_gauss = rho.empty() ? out.p_naive : p_gauss_markov(M, rho);
  }
  if (opt.n_permutations > 0) {
    random_generator rng(opt.seed);
    std::vector<double> perm = a;
    std::vector<double> ps;
    int count = 0;
    for (int b = 0; b < opt.n_permutations; ++b) {
      for (std::size_t i = N - 1; i > 0; --i) {
        std::swap(perm[i], perm[static_cast<std::size_t>(rng.below(i + 1))]);
      }
      maxstat_scan(perm, order, m, ps);
      const double mx = *std::max_element(ps.begin(), ps.end());
      count += mx >= M * (1 - 1e-12) ? 1 : 0;
    }
    out.p_permutation = static_cast<double>(count) / opt.n_permutations;
  }
  return out;
}

inline void validate_maxstat_options(const maxstat_options& opt, const char* fn) {
  const std::string f(fn);
  VASOSTAT_EXPECTS(opt.min_prop > 0 && opt.min_prop < 1, f + ": options.min_prop must lie in (0, 1)");
  VASOSTAT_EXPECTS(opt.max_prop > 0 && opt.max_prop < 1, f + ": options.max_prop must lie in (0, 1)");
  VASOSTAT_EXPECTS(opt.min_prop < opt.max_prop, f + ": options.min_prop must be below options.max_prop (crossed)");
  VASOSTAT_EXPECTS(opt.n_permutations >= 0, f + ": options.n_permutations must be >= 0");
  VASOSTAT_EXPECTS(opt.n_boot >= 0, f + ": options.n_boot must be >= 0");
  expect_level(opt.conf_level, fn, "options.conf_level");
}

}  // namespace detail

/// Maximally selected statistic for a continuous or ordinal outcome y (scores from
/// options.scores: data, wilcoxon, normal_quantile or median).
/// @throws vasostat::invalid_argument for sizes that disagree, NaN/Inf, a constant x,
///   proportions outside (0, 1) or crossed, or no admissible cut.
[[nodiscard]] inline maxstat_result maxstat_cutpoint(std::span<const double> y, std::span<const double> x,
                                                     const maxstat_options& options = {}) {
  constexpr const char* fn = "vasostat::threshold::maxstat_cutpoint";
  detail::expect_size(x.size(), y.size(), fn, "x", "y");
  VASOSTAT_EXPECTS(y.size() >= 3, std::string(fn) + ": y needs at least 3 observations");
  detail::expect_finite(y, fn, "y");
  detail::expect_finite(x, fn, "x");
  detail::expect_not_constant(x, fn, "x");
  detail::validate_maxstat_options(options, fn);
  VASOSTAT_EXPECTS(options.scores != maxstat_scores::log_rank,
                   std::string(fn) + ": options.scores = log_rank needs the (time, status, x) overload");
  std::vector<double> a;
  const std::size_t N = y.size();
  switch (options.scores) {
    case maxstat_scores::data:
      a.assign(y.begin(), y.end());
      break;
    case maxstat_scores::wilcoxon:
      a = detail::mid_ranks(y);
      break;
    case maxstat_scores::normal_quantile: {
      a = detail::mid_ranks(y);
      for (double& v : a) {
        v = stats::normal_quantile(v / (static_cast<double>(N) + 1));
      }
      break;
    }
    case maxstat_scores::median: {
      a = detail::mid_ranks(y);
      for (double& v : a) {
        v = v <= (static_cast<double>(N) + 1) / 2 ? 0.0 : 1.0;
      }
      break;
    }
    case maxstat_scores::log_rank:
      break;
  }
  maxstat_workspace ws;
  detail::sort_keys(x, ws.x_order, ws.scratch);
  return detail::maxstat_run(a, ws.x_order, options, fn, ws.cut_sizes, ws.statistics);
}

/// Maximally selected log-rank statistic for a survival outcome, with the Cox hazard ratio of
/// x > cutpoint vs x <= cutpoint (Efron ties), its naive CI and p, the Altman et al. (1994)
/// corrected p (formula for the 10-90% range, valid for 1e-4 < p_min < 0.1), a heuristic
/// shrunk HR, and with options.n_boot > 0 a bootstrap optimism-corrected HR (the cut re-selected
/// in each bootstrap sample; optimism = mean of log HR at the bootstrap cut in the bootstrap
/// sample minus in the original data).
/// @throws vasostat::invalid_argument as above, for status not 0/1, negative times, or no events.
/// This overload takes its buffers from (and leaves them in) ws; the one below allocates them.
[[nodiscard]] inline maxstat_result maxstat_cutpoint(std::span<const double> time, std::span<const double> status,
                                                     std::span<const double> x, const maxstat_options& options,
                                                     maxstat_workspace& ws) {
  constexpr const char* fn = "vasostat::threshold::maxstat_cutpoint";
  const std::string f(fn);
  detail::expect_size(status.size(), time.size(), fn, "status", "time");
  detail::expect_size(x.size(), time.size(), fn, "x", "time");
  VASOSTAT_EXPECTS(time.size() >= 3, f + ": time needs at least 3 observations");
  detail::expect_finite(time, fn, "time");
  detail::expect_finite(x, fn, "x");
  for (std::size_t i = 0; i < time.size(); ++i) {
    VASOSTAT_EXPECTS(time[i] >= 0, f + ": time[" + std::to_string(i) + "] is negative");
    VASOSTAT_EXPECTS(status[i] == 0 || status[i] == 1, f + ": status[" + std::to_string(i) + "] is not 0 or 1");
  }
  const auto n_events = static_cast<std::size_t>(std::accumulate(status.begin(), status.end(), 0.0));
  VASOSTAT_EXPECTS(n_events > 0, f + ": status has no events");
  detail::expect_not_constant(x, fn, "x");
  detail::validate_maxstat_options(options, fn);
  // time and x are each ordered once (radix sort for large n); the log-rank scores, the scan
  // and the Cox fit at the cut all work from these orders
  std::vector<std::uint64_t>& scratch = ws.scratch;
  const detail::sorted_keys& ts = ws.time_order;
  const detail::sorted_keys& xs = ws.x_order;
  detail::sort_keys(time, ws.time_order, scratch);
  detail::sort_keys(x, ws.x_order, scratch);
  detail::logrank_scores(status, ts, ws.scores);
  auto out = detail::maxstat_run(ws.scores, xs, options, fn, ws.cut_sizes, ws.statistics);

  const std::size_t N = time.size();
  std::vector<detail::cox1_block>& blocks = ws.blocks;
  const auto cox = detail::cox_binary(
      std::span<const detail::cox1_block>(blocks.data(), detail::cox1_blocks(ts.value, ts.index, status, n_events, x,
                                                                             out.cutpoint, blocks)),
      true);
  const double q = stats::normal_quantile(0.5 + options.conf_level / 2);
  // events on each side of the cut: x <= cut are the first n_below of the x order
  double events_low = 0;
  for (std::size_t k = 0; k < static_cast<std::size_t>(out.n_below); ++k) {
    events_low += status[xs.index[k]];
  }
  const double events_high = static_cast<double>(n_events) - events_low;
  const double pmin = out.p_naive;
  // Altman, Lausen, Sauerbrei & Schumacher (1994): for the minimum-p approach over 10-90%.
  out.p_altman = std::clamp(-3.13 * pmin * (1 + 1.65 * std::log(pmin)), pmin, 1.0);
  if (events_high == 0 || events_low == 0) {
    // monotone likelihood: the Cox estimate is infinite (R: "coefficient may be infinite")
    out.hazard_ratio = events_high == 0 ? 0.0 : std::numeric_limits<double>::infinity();
    out.hr_lower = events_high == 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
    out.hr_upper = events_high == 0 ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    out.warnings.emplace_back("one group at the cut-point has no events: the hazard ratio is infinite");
    return out;
  }
  out.hazard_ratio = std::exp(cox.beta);
  out.hr_lower = std::exp(cox.beta - q * cox.std_error);
  out.hr_upper = std::exp(cox.beta + q * cox.std_error);
  out.hr_p_naive = 2 * stats::normal_sf(std::fabs(cox.beta / cox.std_error));
  const double lr = 2 * (cox.loglik - cox.loglik0);
  out.shrinkage = lr > 1 ? (lr - 1) / lr : 0.0;
  out.hr_shrunk = std::exp(out.shrinkage * cox.beta);
  if (options.n_boot > 0) {
    random_generator rng(options.seed);
    std::vector<double> bt(N);
    std::vector<double> bs(N);
    std::vector<double> bx(N);
    detail::sorted_keys bts;
    detail::sorted_keys bxs;
    std::vector<double> ba;
    double optimism = 0;
    int used = 0;
    maxstat_options inner = options;
    inner.exact_gauss = false;
    inner.n_permutations = 0;
    inner.n_boot = 0;
    for (int b = 0; b < options.n_boot; ++b) {
      for (std::size_t i = 0; i < N; ++i) {
        const auto k = static_cast<std::size_t>(rng.below(N));
        bt[i] = time[k];
        bs[i] = status[k];
        bx[i] = x[k];
      }
      const auto b_events = static_cast<std::size_t>(std::accumulate(bs.begin(), bs.end(), 0.0));
      const bool ok = b_events > 0 && std::any_of(bx.begin(), bx.end(), [&](double v) { return v != bx[0]; });
      if (!ok) {
        continue;
      }
      detail::sort_keys(bt, bts, scratch);
      detail::logrank_scores(bs, bts, ba);
      double spread = 0;
      for (double v : ba) {
        spread += v * v;
      }
      if (!(spread > 0)) {
        continue;
      }
      detail::sort_keys(bx, bxs, scratch);
      maxstat_result br;
#if VASOSTAT_HAS_EXCEPTIONS
      try {
        br = detail::maxstat_run(ba, bxs, inner, fn, ws.cut_sizes, ws.statistics);
      } catch (const vasostat::invalid_argument&) {
        continue;
      }
#else
      br = detail::maxstat_run(ba, bxs, inner, fn, ws.cut_sizes, ws.statistics);
#endif
      const auto app = detail::cox_binary(
          std::span<const detail::cox1_block>(
              blocks.data(), detail::cox1_blocks(bts.value, bts.index, bs, b_events, bx, br.cutpoint, blocks)),
          false);
      const auto test = detail::cox_binary(
          std::span<const detail::cox1_block>(
              blocks.data(), detail::cox1_blocks(ts.value, ts.index, status, n_events, x, br.cutpoint, blocks)),
          false);
      if (std::isfinite(app.beta) && std::isfinite(test.beta)) {
        optimism += app.beta - test.beta;
        ++used;
      }
    }
    if (used > 0) {
      out.hr_bootstrap_corrected = std::exp(cox.beta - optimism / used);
    }
  }
  return out;
}

/// Maximally selected log-rank statistic for a survival outcome (see the workspace overload).
[[nodiscard]] inline maxstat_result maxstat_cutpoint(std::span<const double> time, std::span<const double> status,
                                                     std::span<const double> x, const maxstat_options& options = {}) {
  maxstat_workspace ws;
  return maxstat_cutpoint(time, status, x, options, ws);
}

}  // namespace vasostat::inline v0::threshold
