#include <vasostat/core/random.hpp>
#include <vasostat/threshold/threshold_effect.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

TEST_CASE("threshold_effect table matches lm() at the exact profile-likelihood K") {
  const auto ref = read_reference("threshold_effect_ref.csv");
  struct data_case {
    const char* name;
    const char* file;
    const char* y;
    const char* x;
    std::vector<std::string> covs;
  };
  const std::vector<data_case> data{
      {"stagnant", "segmented_stagnant_data.csv", "y", "x", {}},
      {"plant", "segmented_plant_groups_data.csv", "y", "time", {"g2", "g3"}},
      {"airquality", "segmented_airquality_data.csv", "Ozone", "Temp", {"Wind"}},
      {"cars", "segmented_cars_data.csv", "dist", "speed", {}},
  };
  for (const auto& d : data) {
    const std::string case_name = d.name;
    CAPTURE(case_name);
    auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
    auto cols = read_columns(d.file);
    const auto& y = cols.at(d.y);
    const auto& x = cols.at(d.x);
    Eigen::MatrixXd cov(static_cast<Eigen::Index>(y.size()), static_cast<Eigen::Index>(d.covs.size()));
    for (std::size_t j = 0; j < d.covs.size(); ++j) {
      for (std::size_t i = 0; i < y.size(); ++i) {
        cov(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = cols.at(d.covs[j])[i];
      }
    }
#ifdef NDEBUG
    const int nb = 200;
#else
    const int nb = 50;
#endif
    const auto t = th::threshold_effect(y, x, cov, {.n_boot = nb, .seed = 1});
    CHECK(rel_diff(t.inflection_point, r("k")) < 1e-7);
    auto check_row = [&](const th::effect_estimate& e, const std::string& p, double tol) {
      CAPTURE(p);
      CHECK(std::abs(e.estimate - r(p + "_est")) < tol * (std::abs(r(p + "_est")) + r(p + "_se")));
      CHECK(rel_diff(e.std_error, r(p + "_se")) < tol);
      CHECK(rel_diff(e.lower, r(p + "_lower")) < tol);
      CHECK(rel_diff(e.upper, r(p + "_upper")) < tol);
      CHECK(rel_diff(e.p_value, r(p + "_p")) < tol * 100);
    };
    check_row(t.model1, "model1", 1e-10);
    // Model II depends on K, which both sides locate to ~1e-9 relative
    check_row(t.below, "below", 1e-6);
    check_row(t.above, "above", 1e-6);
    check_row(t.difference, "difference", 1e-6);
    CHECK(rel_diff(t.log_likelihood_1, r("loglik1")) < 1e-10);
    CHECK(rel_diff(t.log_likelihood_2, r("loglik2")) < 1e-9);
    CHECK(rel_diff(t.lr_statistic, r("lr")) < 1e-6);
    CHECK(rel_diff(t.p_lrt, r("p_lrt")) < 1e-5);
    CHECK(rel_diff(t.p_davies, r("p_davies")) < 1e-6);
    CHECK(t.k_lower <= t.inflection_point);
    CHECK(t.k_upper >= t.inflection_point);
    CHECK(t.p_sup_lr >= 1.0 / (nb + 1));
    CHECK(t.p_sup_lr <= 1);
    CHECK(t.n_boot_used > nb * 3 / 4);
  }
}

TEST_CASE("threshold_effect: bootstrap CI for K covers the truth near its nominal rate and sup-LR p is calibrated") {
  // Simulated two-piecewise data with a known K = 0.75: 100 replicate studies, 150 bootstrap
  // replicates each. Coverage of a nominal 90% percentile CI must be near 0.90 (binomial SD
  // 0.03); under no threshold the search-aware p must not be anti-conservative, while the
  // naive LRT is.
  vasostat::random_generator rng(2024);
#ifdef NDEBUG
  const int reps = 100;
  const int boots = 150;
#else
  const int reps = 8;  // sanitizer/debug builds: a smoke run; the calibration check is Release
  const int boots = 40;
#endif
  const int n = 120;
  int covered = 0;
  int reject_sup = 0;
  int reject_naive = 0;
  std::vector<double> x(n);
  std::vector<double> y(n);
  std::vector<double> y0(n);
  for (int r = 0; r < reps; ++r) {
    for (int i = 0; i < n; ++i) {
      const auto u = static_cast<std::size_t>(i);
      x[u] = rng.uniform(0.1, 1.5);
      const double e = 0.3 * rng.normal();
      y[u] = 1 + 0.2 * x[u] + 2.0 * std::max(0.0, x[u] - 0.75) + e;
      y0[u] = 1 + 0.8 * x[u] + e;
    }
    const auto t = th::threshold_effect(y, x, {.n_boot = boots, .seed = static_cast<std::uint64_t>(r + 1), .conf_level = 0.90});
    covered += (t.k_lower <= 0.75 && 0.75 <= t.k_upper) ? 1 : 0;
    const auto t0 = th::threshold_effect(y0, x, {.n_boot = boots, .seed = static_cast<std::uint64_t>(r + 7)});
    reject_sup += t0.p_sup_lr < 0.05 ? 1 : 0;
    reject_naive += t0.p_lrt < 0.05 ? 1 : 0;
  }
  const double coverage = covered / static_cast<double>(reps);
  CAPTURE(coverage);
  CAPTURE(reject_sup);
  CAPTURE(reject_naive);
  MESSAGE("coverage of the 90% CI for K: ", coverage, "; rejections at 5% under H0 (of ", reps, "): sup-LR ", reject_sup, ", naive LRT ", reject_naive);
  // binomial: 100 studies -> SD 0.03
  CHECK(coverage >= (reps >= 100 ? 0.80 : 0.5));
  CHECK(coverage <= (reps >= 100 ? 0.98 : 1.0));
  CHECK(reject_sup <= (reps >= 100 ? 11 : 3));
  CHECK(reject_naive >= reject_sup);
}

TEST_CASE("threshold_effect rejects bad input naming the argument") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const std::vector<double> y{1, 2, 3, 4, 6, 8, 10, 12, 14, 16, 18, 20};
  const std::vector<double> const_x(12, 1.0);
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(y, x, {.n_boot = 0}), doctest::Contains("options.n_boot"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(y, x, {.lower_quantile = 0}), doctest::Contains("options.lower_quantile"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(y, x, {.lower_quantile = 0.6, .upper_quantile = 0.4}),
                       doctest::Contains("crossed"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(y, const_x), doctest::Contains("x is constant"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(y, x, {.min_side = 7}), doctest::Contains("options.min_side"),
                       invalid_argument);
}
