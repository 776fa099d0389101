// Every bad input listed in issue 5 throws vasostat::invalid_argument naming the argument;
// data-dependent trouble is reported in the result instead.

#include <vasostat/gam.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace gam = vasostat::gam;
using doctest::Contains;

namespace {

struct data {
  std::vector<double> x, y, z;
  Eigen::MatrixXd covariates;
};

data make(int n = 60) {
  data d;
  vasostat::random_generator rng(11);
  for (int i = 0; i < n; ++i) {
    d.x.push_back(i / double(n));
    d.z.push_back(rng.uniform());
    d.y.push_back(std::sin(3 * d.x.back()) + 0.2 * rng.normal());
  }
  d.covariates = Eigen::Map<const Eigen::VectorXd>(d.z.data(), n);
  return d;
}

}  // namespace

TEST_CASE("bad inputs throw invalid_argument naming the argument") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto d = make();
  const std::vector<gam::smooth_term> s = {gam::smooth(d.x)};

  SUBCASE("sizes that disagree") {
    Eigen::MatrixXd short_cov = d.covariates.topRows(10);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, short_cov), Contains("covariates"), vasostat::invalid_argument);
    std::vector<double> short_x(d.x.begin(), d.x.begin() + 30);
    const std::vector<gam::smooth_term> s2 = {gam::smooth(short_x)};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s2, d.covariates), Contains("smooths[0].x"), vasostat::invalid_argument);
    std::vector<double> w(5, 1.0);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.weights = w}), Contains("weights"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.offset = w}), Contains("offset"), vasostat::invalid_argument);
  }
  SUBCASE("NaN or Inf anywhere") {
    auto y = d.y;
    y[3] = nan;
    CHECK_THROWS_WITH_AS(gam::fit(y, s, d.covariates), Contains("y contains NaN"), vasostat::invalid_argument);
    auto cov = d.covariates;
    cov(4, 0) = inf;
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, cov), Contains("covariates contains NaN"), vasostat::invalid_argument);
    auto x = d.x;
    x[5] = nan;
    const std::vector<gam::smooth_term> s2 = {gam::smooth(x)};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s2, d.covariates), Contains("smooths[0].x contains NaN"), vasostat::invalid_argument);
    std::vector<double> w(d.y.size(), 1.0);
    w[0] = inf;
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.weights = w}), Contains("weights contains NaN"), vasostat::invalid_argument);
    std::vector<double> o(d.y.size(), 0.0);
    o[1] = nan;
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.offset = o}), Contains("offset contains NaN"), vasostat::invalid_argument);
  }
  SUBCASE("iteration limits and tolerances") {
    // max_pirls_iterations = 0 left PIRLS without a fit (an empty H^-1 was then read)
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.family = gam::family::poisson, .max_pirls_iterations = 0}),
                         Contains("max_pirls_iterations"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.max_iterations = -1}), Contains("max_iterations"),
                         vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.tolerance = nan}), Contains("options.tolerance"),
                         vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.pirls_tolerance = -1}), Contains("pirls_tolerance"),
                         vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.gamma = 0}), Contains("gamma"), vasostat::invalid_argument);
  }
  SUBCASE("k against the penalty order and the number of distinct values") {
    const std::vector<gam::smooth_term> small = {gam::smooth(d.x, {.k = 3})};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, small, d.covariates), Contains("smooths[0].k"), vasostat::invalid_argument);
    std::vector<double> few(d.x.size());
    for (std::size_t i = 0; i < few.size(); ++i) few[i] = static_cast<double>(i % 6);
    const std::vector<gam::smooth_term> s2 = {gam::smooth(few, {.k = 8})};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s2, d.covariates), Contains("distinct"), vasostat::invalid_argument);
  }
  SUBCASE("cr: k below 3, k above the number of distinct values, a constant covariate") {
    const auto cr = gam::basis_type::cr;
    const std::vector<gam::smooth_term> small = {gam::smooth(d.x, {.k = 2, .basis = cr})};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, small, d.covariates), Contains("smooths[0].k (2) must be at least 3"), vasostat::invalid_argument);
    // k = 3 is the smallest cr (a straight line plus one penalised wiggle) and fits
    const std::vector<gam::smooth_term> three = {gam::smooth(d.x, {.k = 3, .basis = cr})};
    CHECK(gam::fit(d.y, three, d.covariates).smooth_tests.size() == 1);
    std::vector<double> few(d.x.size());
    for (std::size_t i = 0; i < few.size(); ++i) few[i] = static_cast<double>(i % 6);
    const std::vector<gam::smooth_term> s2 = {gam::smooth(few, {.k = 7, .basis = cr})};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s2, d.covariates), Contains("smooths[0].k (7) is larger than the number of distinct values (6)"), vasostat::invalid_argument);
    const std::vector<gam::smooth_term> s6 = {gam::smooth(few, {.k = 6, .basis = cr})};
    CHECK(gam::fit(d.y, s6, d.covariates).smooth_tests.size() == 1);
    std::vector<double> c(d.x.size(), 2.0);
    const std::vector<gam::smooth_term> s3 = {gam::smooth(d.x), gam::smooth(c, {.basis = cr})};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s3, d.covariates), Contains("smooths[1] is constant"), vasostat::invalid_argument);
  }
  SUBCASE("fewer observations than coefficients") {
    auto small = make(12);
    const std::vector<gam::smooth_term> big = {gam::smooth(small.x, {.k = 12})};
    CHECK_THROWS_WITH_AS(gam::fit(small.y, big, small.covariates), Contains("fewer observations"), vasostat::invalid_argument);
  }
  SUBCASE("a constant smooth covariate") {
    std::vector<double> c(d.x.size(), 2.0);
    const std::vector<gam::smooth_term> s2 = {gam::smooth(c)};
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s2, d.covariates), Contains("smooths[0] is constant"), vasostat::invalid_argument);
  }
  SUBCASE("negative or all-zero weights") {
    std::vector<double> w(d.y.size(), 1.0);
    w[2] = -1;
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.weights = w}), Contains("weights contains a negative"), vasostat::invalid_argument);
    std::vector<double> zero(d.y.size(), 0.0);
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.weights = zero}), Contains("weights are all zero"), vasostat::invalid_argument);
  }
  SUBCASE("responses outside the family's support") {
    auto y = d.y;  // has values outside [0, 1] and negative values
    CHECK_THROWS_WITH_AS(gam::fit(y, s, d.covariates, {.family = gam::family::binomial}), Contains("y must lie in [0, 1]"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::fit(y, s, d.covariates, {.family = gam::family::poisson}), Contains("y must be non-negative"), vasostat::invalid_argument);
    std::vector<double> zero_y(d.y.size(), 1.0);
    zero_y[7] = 0;
    CHECK_THROWS_WITH_AS(gam::fit(zero_y, s, d.covariates, {.family = gam::family::gamma}), Contains("y must be positive"), vasostat::invalid_argument);
  }
  SUBCASE("fixed method without smoothing parameters") {
    CHECK_THROWS_WITH_AS(gam::fit(d.y, s, d.covariates, {.method = gam::method::fixed}), Contains("options.sp"), vasostat::invalid_argument);
  }
  SUBCASE("predict and derivative check their inputs") {
    const auto m = gam::fit(d.y, s, d.covariates);
    const Eigen::MatrixXd two_cols(3, 2);
    std::vector<double> g = {0.1, 0.5, 0.9};
    const std::vector<std::span<const double>> xs = {g};
    CHECK_THROWS_WITH_AS(gam::predict(m, two_cols, xs), Contains("covariates has 2 columns"), vasostat::invalid_argument);
    const Eigen::MatrixXd one_col = Eigen::MatrixXd::Zero(3, 1);
    const std::vector<std::span<const double>> none;
    CHECK_THROWS_WITH_AS(gam::predict(m, one_col, none), Contains("smooth_x"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::derivative(m, 1, g), Contains("term"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS(gam::derivative(m, 0, g, {.level = 1.5}), Contains("level"), vasostat::invalid_argument);
  }
}

TEST_CASE("data-dependent trouble is reported in the result, not thrown") {
  auto d = make();
  const std::vector<gam::smooth_term> s = {gam::smooth(d.x)};
  SUBCASE("aliased parametric covariates") {
    Eigen::MatrixXd cov(d.covariates.rows(), 2);
    cov.col(0) = d.covariates.col(0);
    cov.col(1) = 2 * d.covariates.col(0);
    const auto m = gam::fit(d.y, s, cov);
    CHECK_FALSE(m.converged);
    CHECK_FALSE(m.warnings.empty());
  }
  SUBCASE("complete separation in a binomial fit") {
    std::vector<double> y(d.x.size());
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = d.z[i] > 0.5 ? 1.0 : 0.0;
    const auto m = gam::fit(y, s, d.covariates, {.family = gam::family::binomial});
    // the fit finishes and says what happened, as glm() does
    CHECK(m.coefficients.size() == 11);
    bool flagged = false;
    for (const auto& w : m.warnings) flagged = flagged || w.find("separation") != std::string::npos;
    CHECK(flagged);
    CHECK((m.fitted.array() >= 0).all());
    CHECK((m.fitted.array() <= 1).all());
  }
}
