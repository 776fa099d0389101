#include <vasostat/core/random.hpp>
#include <vasostat/threshold/cox_threshold.hpp>
#include <vasostat/threshold/hinge.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

TEST_CASE("threshold_grid matches brute-force lm refits in R for every type") {
  const auto ref = read_reference("hinge_ref.csv");
  const std::vector<std::pair<const char*, th::threshold_type>> types{
      {"hinge", th::threshold_type::hinge},
      {"segmented", th::threshold_type::segmented},
      {"step", th::threshold_type::step},
      {"upper_hinge", th::threshold_type::upper_hinge}};
  for (const auto& d : threshold_test::gaussian_cases()) {
    const auto data = threshold_test::load_case(d);
    const auto& y = data.y;
    const auto& x = data.x;
    const auto& cov = data.cov;
    for (const auto& [tname, type] : types) {
      const std::string case_name = std::string(d.name) + "_" + tname;
      CAPTURE(case_name);
      auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
      const auto fit = th::threshold_grid(y, x, cov, type, {});
      REQUIRE(fit.candidates.size() == static_cast<Eigen::Index>(r("n_cand")));
      double worst = 0;
      for (Eigen::Index i = 0; i < fit.candidates.size(); ++i) {
        CHECK(fit.candidates[i] == doctest::Approx(r("cand" + std::to_string(i + 1))).epsilon(1e-13));
        worst = std::max(worst, rel_diff(fit.profile_rss[i], r("rss" + std::to_string(i + 1))));
      }
      CAPTURE(worst);
      CHECK(worst < 1e-9);
      CHECK(fit.threshold == doctest::Approx(r("threshold")).epsilon(1e-13));
      for (Eigen::Index k = 0; k < fit.coefficients.size(); ++k) {
        const auto s = std::to_string(k + 1);
        CHECK(rel_diff(fit.coefficients[k], r("coef" + s)) < 1e-8);
        CHECK(rel_diff(fit.std_error[k], r("se" + s)) < 1e-8);
        CHECK(std::abs(fit.p_value[k] - r("p" + s)) < 1e-8 * std::max(1e-300, r("p" + s)) + 1e-15);
      }
      CHECK(fit.log_likelihood == doctest::Approx(r("loglik")).epsilon(1e-10));
    }
  }
}

TEST_CASE("threshold_grid refinement never worsens the profile and bootstrap is reproducible") {
  auto cols = read_columns("segmented_plant_rkw_data.csv");
  const auto& y = cols.at("y");
  const auto& x = cols.at("time");
  const auto grid = th::threshold_grid(y, x, Eigen::MatrixXd(0, 0), th::threshold_type::segmented, {});
  const auto fine = th::threshold_grid(y, x, Eigen::MatrixXd(0, 0), th::threshold_type::segmented, {.refine = true});
  CHECK(fine.rss <= grid.rss * (1 + 1e-12));
  const auto b1 = th::hinge(y, x, {.n_boot = 200, .seed = 4});
  const auto b2 = th::hinge(y, x, {.n_boot = 200, .seed = 4});
  CHECK(b1.threshold_lower == b2.threshold_lower);
  CHECK(b1.threshold_upper == b2.threshold_upper);
  CHECK(b1.threshold_lower <= b1.threshold);
  CHECK(b1.threshold_upper >= b1.threshold);
}

TEST_CASE("threshold_grid recovers a known step and hinge") {
  vasostat::random_generator rng(21);
  const int n = 2000;
  std::vector<double> x(n);
  std::vector<double> ys(n);
  std::vector<double> yh(n);
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    x[u] = rng.uniform(0, 1);
    ys[u] = 1 + (x[u] > 0.6 ? 1.0 : 0.0) + 0.2 * rng.normal();
    yh[u] = 1 + 3 * std::max(0.0, x[u] - 0.4) + 0.1 * rng.normal();
  }
  CHECK(th::step(ys, x).threshold == doctest::Approx(0.6).epsilon(0.02));
  CHECK(th::hinge(yh, x).threshold == doctest::Approx(0.4).epsilon(0.05));
}

TEST_CASE("threshold_grid rejects bad input naming the argument") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> y{1, 2, 3, 4, 6, 8, 10, 12, 14, 16};
  const std::vector<double> const_x(10, 3.0);
  const std::vector<double> short_y{1, 2};
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)th::hinge(short_y, x), doctest::Contains("x has size"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::hinge(y, const_x), doctest::Contains("x is constant"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::hinge(y, x, {.lower_quantile = 0.9, .upper_quantile = 0.1}),
                       doctest::Contains("crossed"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::hinge(y, x, {.lower_quantile = -0.1}), doctest::Contains("options.lower_quantile"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::hinge(y, x, {.upper_quantile = 1.5}), doctest::Contains("options.upper_quantile"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::step(y, x, {.min_side = 6}), doctest::Contains("options.min_side"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::step(y, x, {.n_boot = -1}), doctest::Contains("options.n_boot"), invalid_argument);
  std::vector<double> nan_y = y;
  nan_y[4] = NAN;
  CHECK_THROWS_WITH_AS((void)th::step(nan_y, x), doctest::Contains("y[4]"), invalid_argument);
}

TEST_CASE("threshold_grid_cox matches brute-force coxph at every candidate cut") {
  const auto ref = read_reference("cox_threshold_ref.csv");
  auto vet = read_columns("maxstat_veteran_data.csv");
  auto lung = read_columns("maxstat_lung_data.csv");
  auto column = [](const std::vector<double>& v) {
    Eigen::MatrixXd m(static_cast<Eigen::Index>(v.size()), 1);
    for (std::size_t i = 0; i < v.size(); ++i) m(static_cast<Eigen::Index>(i), 0) = v[i];
    return m;
  };
  struct cox_case {
    std::string name;
    std::map<std::string, std::vector<double>>* data;
    std::string x;
    Eigen::MatrixXd cov;
    th::threshold_type type;
  };
  const std::vector<cox_case> cases{
      {"veteran_hinge", &vet, "karno", column(vet.at("age")), th::threshold_type::hinge},
      {"veteran_step", &vet, "karno", column(vet.at("age")), th::threshold_type::step},
      {"veteran_segmented", &vet, "karno", Eigen::MatrixXd(0, 0), th::threshold_type::segmented},
      {"lung_upper_hinge", &lung, "age", column(lung.at("ph.karno")), th::threshold_type::upper_hinge},
  };
  for (const auto& c : cases) {
    const std::string case_name = c.name;
    CAPTURE(case_name);
    auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
    const auto& d = *c.data;
    const auto fit = th::threshold_grid_cox(d.at("time"), d.at("status"), d.at(c.x), c.cov, c.type);
    CHECK(static_cast<double>(fit.candidates.size()) == r("n_candidates"));
    CHECK(fit.threshold == r("cut"));
    REQUIRE(fit.coefficients.size() == 2);
    for (Eigen::Index j = 0; j < 2; ++j) {
      const std::string s = std::to_string(j + 1);
      CHECK(rel_diff(fit.coefficients[j], r("coef_" + s)) < 1e-6);
      CHECK(rel_diff(fit.std_error[j], r("se_" + s)) < 1e-6);
    }
    CHECK(rel_diff(fit.log_likelihood, r("loglik")) < 1e-10);
    const std::size_t m = fit.candidates.size();
    for (std::size_t i : {std::size_t{1}, m / 2, m}) {
      CHECK(rel_diff(fit.profile_log_likelihood[i - 1], r("profile_" + std::to_string(i))) < 1e-10);
    }
    CHECK(fit.lr_statistic >= 0);
  }
  using vasostat::invalid_argument;
  const auto& t = vet.at("time");
  CHECK_THROWS_WITH_AS((void)th::threshold_grid_cox(t, vet.at("status"), std::span<const double>(t).first(10),
                                                    Eigen::MatrixXd(0, 0), th::threshold_type::step),
                       doctest::Contains("time"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_grid_cox(t, vet.at("status"), vet.at("karno"), Eigen::MatrixXd(0, 0),
                                                    th::threshold_type::step, {.lower_quantile = 0.9, .upper_quantile = 0.2}),
                       doctest::Contains("crossed"), invalid_argument);
  const std::vector<double> constant(t.size(), 3.0);
  CHECK_THROWS_WITH_AS((void)th::threshold_grid_cox(t, vet.at("status"), constant, Eigen::MatrixXd(0, 0),
                                                    th::threshold_type::hinge),
                       doctest::Contains("x is constant"), invalid_argument);
}

TEST_CASE("threshold_grid_cox bootstrap CI for the cut: seeded, reproducible, covers a known cut") {
  // hazard triples above a known cut 0.6; exponential times, ~20% censoring (kept small: each
  // replicate refits a Cox model at every candidate cut)
  vasostat::random_generator rng(5);
  const int n = 80;
  std::vector<double> x(n), t(n), s(n);
  for (int i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    x[u] = rng.uniform(0, 1);
    const double rate = x[u] > 0.6 ? 3.0 : 1.0;
    t[u] = -std::log(1 - rng.uniform()) / rate;
    s[u] = rng.uniform() < 0.8 ? 1.0 : 0.0;
  }
  const auto a = th::threshold_grid_cox(t, s, x, Eigen::MatrixXd(0, 0), th::threshold_type::step,
                                        {.n_boot = 20, .seed = 11});
  // the same seed replays the same resamples: a shorter run reproduces the first replicates
  const auto b = th::threshold_grid_cox(t, s, x, Eigen::MatrixXd(0, 0), th::threshold_type::step,
                                        {.n_boot = 4, .seed = 11});
  REQUIRE(a.boot_thresholds.size() == 20);
  REQUIRE(b.boot_thresholds.size() == 4);
  CHECK(std::equal(b.boot_thresholds.begin(), b.boot_thresholds.end(), a.boot_thresholds.begin()));
  CHECK(a.threshold == b.threshold);
  CHECK(a.threshold_lower <= a.threshold);
  CHECK(a.threshold_upper >= a.threshold);
  CHECK(a.threshold_lower <= 0.6);
  CHECK(a.threshold_upper >= 0.6);
  // every bootstrap cut is a data point of x (the search is over data points)
  for (double c : a.boot_thresholds) CHECK(std::find(x.begin(), x.end(), c) != x.end());
  CHECK_THROWS_WITH_AS((void)th::threshold_grid_cox(t, s, x, Eigen::MatrixXd(0, 0), th::threshold_type::step,
                                                    {.n_boot = -1}),
                       doctest::Contains("options.n_boot"), vasostat::invalid_argument);
}
