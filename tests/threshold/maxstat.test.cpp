#include <vasostat/core/random.hpp>
#include <vasostat/survival/cox.hpp>
#include <vasostat/threshold/maxstat.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

namespace {

struct ms_case {
  const char* name;
  const char* file;
  const char* time;    // or y
  const char* status;  // nullptr for non-survival
  const char* x;
  th::maxstat_scores scores;
  double minprop;
  double maxprop;
};

}  // namespace

TEST_CASE("maxstat_cutpoint matches R maxstat 0.7-25") {
  const auto ref = read_reference("maxstat_ref.csv");
  const std::vector<ms_case> cases{
      {"veteran_karno", "veteran", "time", "status", "karno", th::maxstat_scores::log_rank, 0.1, 0.9},
      {"veteran_age", "veteran", "time", "status", "age", th::maxstat_scores::log_rank, 0.2, 0.8},
      {"lung_age", "lung", "time", "status", "age", th::maxstat_scores::log_rank, 0.1, 0.9},
      {"lung_karno", "lung", "time", "status", "ph.karno", th::maxstat_scores::log_rank, 0.1, 0.9},
      {"dlbcl_mge", "dlbcl", "time", "cens", "MGE", th::maxstat_scores::log_rank, 0.1, 0.9},
      {"treepipit_data", "treepipit", "counts", nullptr, "coverstorey", th::maxstat_scores::data, 0.1, 0.9},
      {"treepipit_wilcoxon", "treepipit", "counts", nullptr, "coverstorey", th::maxstat_scores::wilcoxon, 0.1, 0.9},
      {"airquality_data", "airquality", "Ozone", nullptr, "Temp", th::maxstat_scores::data, 0.1, 0.9},
      {"airquality_normal", "airquality", "Ozone", nullptr, "Temp", th::maxstat_scores::normal_quantile, 0.1, 0.9},
      {"airquality_median", "airquality", "Ozone", nullptr, "Temp", th::maxstat_scores::median, 0.1, 0.9},
  };
  for (const auto& c : cases) {
    const std::string case_name = c.name;
    CAPTURE(case_name);
    auto cols = read_columns(std::string("maxstat_") + c.file + "_data.csv");
    auto r = [&](const std::string& key) { return ref.at({c.name, key}); };
    th::maxstat_options opt;
    opt.min_prop = c.minprop;
    opt.max_prop = c.maxprop;
    opt.scores = c.scores;
    opt.exact_gauss = true;
    const auto res = c.status != nullptr ? th::maxstat_cutpoint(cols.at(c.time), cols.at(c.status), cols.at(c.x), opt)
                                         : th::maxstat_cutpoint(cols.at(c.time), cols.at(c.x), opt);
    CHECK(res.cutpoint == doctest::Approx(r("estimate")).epsilon(1e-12));
    CHECK(rel_diff(res.statistic, r("statistic")) < 1e-10);
    CHECK(rel_diff(res.p_lau92, r("p_lau92")) < 1e-10);
    // R computes 1 - (pnorm(b) - pnorm(-b)), which cancels for tiny p; we use 2 * sf(b)
    CHECK(std::abs(res.p_lau94 - r("p_lau94")) < 1e-10 * r("p_lau94") + 1e-15);
    // R's exactGauss is Genz's randomised QMC (pmvnorm); ours integrates the Markov chain
    CHECK(std::abs(res.p_exact_gauss - r("p_exact_gauss")) < 1e-4);
    REQUIRE(res.cuts.size() == static_cast<Eigen::Index>(r("n_cuts")));
    double worst = 0;
    for (Eigen::Index i = 0; i < res.cuts.size(); ++i) {
      CHECK(res.cuts[i] == doctest::Approx(r("cut" + std::to_string(i + 1))).epsilon(1e-12));
      worst = std::max(worst, rel_diff(res.statistics[i], r("stat" + std::to_string(i + 1))));
    }
    CHECK(worst < 1e-10);
    if (c.status != nullptr && std::isinf(r("hr_upper"))) {
      CHECK(res.hazard_ratio == 0);
      CHECK_FALSE(res.warnings.empty());
    } else if (c.status != nullptr) {
      CHECK(rel_diff(res.hazard_ratio, r("hr")) < 1e-6);
      CHECK(rel_diff(res.hr_lower, r("hr_lower")) < 1e-6);
      CHECK(rel_diff(res.hr_upper, r("hr_upper")) < 1e-6);
      CHECK(rel_diff(res.hr_p_naive, r("hr_p")) < 1e-5);
      const double lr = r("lr");
      CHECK(res.shrinkage == doctest::Approx((lr - 1) / lr).epsilon(1e-6));
    }
  }
}

TEST_CASE("maxstat_cutpoint permutation p agrees with the exact Gaussian p within Monte Carlo error") {
  const auto cols = read_columns("maxstat_veteran_data.csv");
  th::maxstat_options opt{.min_prop = 0.2, .max_prop = 0.8, .exact_gauss = true, .n_permutations = 2000, .seed = 3};
  const auto res = th::maxstat_cutpoint(cols.at("time"), cols.at("status"), cols.at("age"), opt);
  const double p = res.p_exact_gauss;
  CHECK(std::abs(res.p_permutation - p) < 4 * std::sqrt(p * (1 - p) / 2000) + 0.02);
  const auto again = th::maxstat_cutpoint(cols.at("time"), cols.at("status"), cols.at("age"), opt);
  CHECK(again.p_permutation == res.p_permutation);
}

TEST_CASE("maxstat_cutpoint bootstrap-corrected HR shrinks toward 1 under no effect") {
  vasostat::random_generator rng(5);
  const int n = 150;
  std::vector<double> t(n);
  std::vector<double> s(n);
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    x[u] = rng.normal();
    t[u] = -std::log(1 - rng.uniform());
    s[u] = rng.uniform() < 0.8 ? 1.0 : 0.0;
  }
  const auto res = th::maxstat_cutpoint(t, s, x, {.n_boot = 100, .seed = 9});
  REQUIRE(std::isfinite(res.hr_bootstrap_corrected));
  CHECK(std::abs(std::log(res.hr_bootstrap_corrected)) < std::abs(std::log(res.hazard_ratio)));
  CHECK(std::abs(std::log(res.hr_shrunk)) <= std::abs(std::log(res.hazard_ratio)));
  CHECK(res.p_lau94 > res.p_naive);
}

TEST_CASE("maxstat_cutpoint rejects bad input naming the argument") {
  const std::vector<double> t{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> s{1, 0, 1, 1, 0, 1, 1, 0, 1, 1};
  const std::vector<double> x{5, 3, 4, 1, 2, 9, 8, 7, 6, 10};
  const std::vector<double> bad_s{1, 0, 2, 1, 0, 1, 1, 0, 1, 1};
  const std::vector<double> short_x{1, 2};
  const std::vector<double> const_x(10, 1.0);
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, s, short_x), doctest::Contains("x has size"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, bad_s, x), doctest::Contains("status[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, s, const_x), doctest::Contains("x is constant"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, s, x, {.min_prop = 0.8, .max_prop = 0.2}),
                       doctest::Contains("crossed"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, s, x, {.min_prop = 0, .max_prop = 0.9}),
                       doctest::Contains("options.min_prop"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, s, x, {.min_prop = 0.01, .max_prop = 0.05}),
                       doctest::Contains("options.min_prop"), invalid_argument);
  std::vector<double> nan_t = t;
  nan_t[1] = NAN;
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(nan_t, s, x), doctest::Contains("time[1]"), invalid_argument);
  const std::vector<double> no_events(10, 0.0);
  CHECK_THROWS_WITH_AS((void)th::maxstat_cutpoint(t, no_events, x), doctest::Contains("no events"), invalid_argument);
}

namespace maxstat_test {

// the keys of the radix-sort tests: ties, skew, outliers, signed zeros, huge ranges
std::vector<double> sort_keys_case(vasostat::random_generator& rng, int kind, std::size_t n) {
  std::vector<double> k(n);
  for (auto& v : k) {
    switch (kind) {
      case 0: v = rng.uniform(); break;
      case 1: v = std::floor(rng.uniform() * 10); break;
      case 2: v = rng.uniform() < 0.01 ? 1e300 : rng.uniform(); break;
      case 3: v = rng.uniform() < 0.5 ? -0.0 : 0.0; v = rng.uniform() < 0.01 ? 1.0 : v; break;
      case 4: v = -std::log(1 - rng.uniform()); break;
      case 5: v = 1000 + rng.uniform() * 1e-9; break;
      case 6: v = rng.uniform() < 0.5 ? -1e308 : 1e308 * rng.uniform(); break;
      case 7: v = std::exp(30 * rng.normal()); break;
      default: v = rng.uniform() < 0.9 ? 5.0 : rng.normal(); break;
    }
  }
  return k;
}

}  // namespace maxstat_test

TEST_CASE("maxstat sort_keys is std::stable_sort on tied, skewed and outlying keys") {
  vasostat::random_generator rng(11);
  std::vector<std::uint64_t> scratch;
  th::detail::sorted_keys sk;
  for (std::size_t n : {100U, 511U, 512U, 3000U, 5000U}) {
    for (int kind = 0; kind < 9; ++kind) {
      CAPTURE(n);
      CAPTURE(kind);
      const auto k = maxstat_test::sort_keys_case(rng, kind, n);
      std::vector<std::uint32_t> o(n);
      for (std::size_t i = 0; i < n; ++i) o[i] = static_cast<std::uint32_t>(i);
      std::stable_sort(o.begin(), o.end(), [&](std::uint32_t a, std::uint32_t b) { return k[a] < k[b]; });
      th::detail::sort_keys(k, sk, scratch);
      CHECK(sk.index == o);
      bool values = true;
      for (std::size_t i = 0; i < n; ++i) values = values && sk.value[i] == k[o[i]];
      CHECK(values);
    }
  }
}

TEST_CASE("maxstat_cutpoint at n = 3000 (radix orders) equals the direct definition and coxph-style Cox") {
  vasostat::random_generator rng(21);
  th::maxstat_workspace ws;
  for (int rep = 0; rep < 3; ++rep) {
    CAPTURE(rep);
    const std::size_t n = 3000;
    std::vector<double> t(n), s(n), x(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = rng.uniform(0, 2);
      if (rep == 1) x[i] = std::round(x[i] * 20) / 20;  // many tied x
      t[i] = -std::log(1 - rng.uniform()) / std::exp(0.7 * (x[i] > 1.1 ? 1.0 : 0.0));
      if (rep >= 1) t[i] = std::ceil(t[i] * 30) / 30;  // tied times
      s[i] = rng.uniform() < 0.75 ? 1.0 : 0.0;
    }
    const auto res = th::maxstat_cutpoint(t, s, x, {});
    const auto again = th::maxstat_cutpoint(t, s, x, {}, ws);  // workspace reused across reps
    CHECK(again.statistic == res.statistic);
    CHECK(again.hazard_ratio == res.hazard_ratio);
    // direct definition: log-rank scores with max-rank ties, standardised sums over x <= cut
    std::vector<std::size_t> ot(n), ox(n);
    for (std::size_t i = 0; i < n; ++i) ot[i] = ox[i] = i;
    std::stable_sort(ot.begin(), ot.end(), [&](std::size_t a, std::size_t b) { return t[a] < t[b]; });
    std::stable_sort(ox.begin(), ox.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
    std::vector<double> a(n);
    double c = 0;
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      while (j < n && t[ot[j]] == t[ot[i]]) ++j;
      for (std::size_t k = i; k < j; ++k) c += s[ot[k]] / (static_cast<double>(n) - static_cast<double>(j) + 1);
      for (std::size_t k = i; k < j; ++k) a[ot[k]] = s[ot[k]] - c;
      i = j;
    }
    double ss = 0, sq = 0;
    for (double v : a) {
      ss += v;
      sq += v * v;
    }
    const double nn = static_cast<double>(n);
    double cum = 0, best = -1, best_cut = 0;
    std::size_t n_cuts = 0;
    for (std::size_t i = 1; i < n; ++i) {
      cum += a[ox[i - 1]];
      if (x[ox[i]] == x[ox[i - 1]] || static_cast<double>(i) < std::floor(0.1 * nn) || static_cast<double>(i) > std::floor(0.9 * nn)) continue;
      const double m = static_cast<double>(i);
      const double T = std::fabs((cum - m / nn * ss) / std::sqrt(m * (nn - m) / (nn * nn * (nn - 1)) * (nn * sq - ss * ss)));
      ++n_cuts;
      if (T > best) {
        best = T;
        best_cut = x[ox[i - 1]];
      }
    }
    CHECK(res.cutpoint == best_cut);
    CHECK(rel_diff(res.statistic, best) < 1e-12);
    CHECK(res.cuts.size() == static_cast<Eigen::Index>(n_cuts));
    // the HR at the cut against the survival module's general Cox fit (Efron)
    Eigen::MatrixXd z(static_cast<Eigen::Index>(n), 1);
    for (std::size_t i = 0; i < n; ++i) z(static_cast<Eigen::Index>(i), 0) = x[i] > res.cutpoint ? 1.0 : 0.0;
    vasostat::survival::cox_options co;
    co.timefix = false;
    co.eps = 1e-12;
    const auto fit = vasostat::survival::cox(t, s, z, co);
    CHECK(rel_diff(res.hazard_ratio, std::exp(fit.coef[0])) < 1e-8);
    CHECK(rel_diff(res.hr_upper / res.hazard_ratio, std::exp(1.959963984540054 * fit.std_error[0])) < 1e-6);
  }
}
