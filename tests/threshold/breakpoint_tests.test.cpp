#include <vasostat/core/random.hpp>
#include <vasostat/threshold/breakpoint_tests.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

namespace {

struct test_case {
  const char* name;
  const char* y;
  const char* x;
  std::vector<std::string> covariates;
  th::family fam;
};

}  // namespace

TEST_CASE("davies_test and pscore_test match R segmented 1.6-2") {
  const auto ref = read_reference("segmented_ref.csv");
  const std::vector<test_case> cases{
      {"stagnant", "y", "x", {}, th::family::gaussian},
      {"plant_rkw", "y", "time", {}, th::family::gaussian},
      {"plant_groups", "y", "time", {"g2", "g3"}, th::family::gaussian},
      {"cars", "dist", "speed", {}, th::family::gaussian},
      {"airquality", "Ozone", "Temp", {"Wind"}, th::family::gaussian},
      {"down_binomial", "rate", "age", {}, th::family::binomial},
      {"down_poisson", "cases", "age", {}, th::family::poisson},
  };
  for (const auto& c : cases) {
    const std::string case_name = c.name;
    CAPTURE(case_name);
    auto cols = read_columns(std::string("segmented_") + c.name + "_data.csv");
    const auto& y = cols.at(c.y);
    const auto& x = cols.at(c.x);
    Eigen::MatrixXd cov(static_cast<Eigen::Index>(y.size()), static_cast<Eigen::Index>(c.covariates.size()));
    for (std::size_t j = 0; j < c.covariates.size(); ++j) {
      for (std::size_t i = 0; i < y.size(); ++i) {
        cov(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = cols.at(c.covariates[j])[i];
      }
    }
    std::vector<double> w;
    std::vector<double> off;
    if (c.fam == th::family::binomial) {
      w = cols.at("births");
    }
    if (c.fam == th::family::poisson) {
      for (double b : cols.at("births")) {
        off.push_back(std::log(b));
      }
    }
    auto r = [&](const std::string& key) { return ref.at({c.name, key}); };
    th::davies_options dopt;
    dopt.family = c.fam;
    dopt.weights = w;
    dopt.offset = off;
    const auto dv = th::davies_test(y, x, cov, dopt);
    CHECK(dv.best_at == doctest::Approx(r("davies_best")).epsilon(1e-12));
    CHECK(rel_diff(dv.p_value, r("davies_p")) < 1e-6);
    th::pscore_options popt;
    popt.family = c.fam;
    popt.weights = w;
    popt.offset = off;
    const auto ps = th::pscore_test(y, x, cov, popt);
    CHECK(rel_diff(ps.statistic, r("pscore_statistic")) < 1e-7);
    CHECK(rel_diff(ps.p_value, r("pscore_p")) < 1e-6);
    if (c.fam != th::family::gaussian) {
      dopt.statistic = th::davies_statistic::wald;
      const auto dw = th::davies_test(y, x, cov, dopt);
      CHECK(dw.best_at == doctest::Approx(r("davies_wald_best")).epsilon(1e-12));
      // p ~ 1e-30: R's glm.fit stops at a 1e-8 deviance change, amplified by exp(-M^2/2)
    CHECK(rel_diff(dw.p_value, r("davies_wald_p")) < 1e-4);
    }
  }
}

TEST_CASE("davies_test is uniform-ish under no breakpoint and small under a clear kink") {
  vasostat::random_generator rng(7);
  const int n = 80;
  std::vector<double> x(n);
  std::vector<double> y0(n);
  std::vector<double> y1(n);
  for (int i = 0; i < n; ++i) {
    x[static_cast<std::size_t>(i)] = rng.uniform(0, 10);
    const double e = rng.normal();
    y0[static_cast<std::size_t>(i)] = 1 + 0.5 * x[static_cast<std::size_t>(i)] + e;
    y1[static_cast<std::size_t>(i)] = y0[static_cast<std::size_t>(i)] + 2 * std::max(0.0, x[static_cast<std::size_t>(i)] - 5);
  }
  CHECK(th::davies_test(y1, x).p_value < 1e-6);
  CHECK(th::pscore_test(y1, x).p_value < 1e-6);
  CHECK(th::davies_test(y0, x).p_value > 0.001);
}

TEST_CASE("davies_test and pscore_test reject bad input naming the argument") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<double> y{1, 2, 3, 4, 6, 8, 10, 12};
  const std::vector<double> short_y{1, 2, 3};
  const std::vector<double> nan_y{1, 2, NAN, 4, 6, 8, 10, 12};
  const std::vector<double> const_x(8, 1.0);
  CHECK_THROWS_WITH_AS((void)th::davies_test(short_y, x), doctest::Contains("x"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::davies_test(nan_y, x), doctest::Contains("y["), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::pscore_test(y, const_x), doctest::Contains("x is constant"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::davies_test(y, x, {.k = 1}), doctest::Contains("options.k"), vasostat::invalid_argument);
}
