// vasostat::gam::predict and gam::derivative: predictions, standard errors, per-term
// contributions and the linear-predictor matrix against mgcv predict.gam on new data; exact
// derivatives against finite differences of predictions; band coverage properties.

#include <vasostat/gam.hpp>

#include <doctest/doctest.h>

#include <support/gam_reference.hpp>

#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace gam = vasostat::gam;

namespace {

struct grid_data {
  Eigen::MatrixXd covariates;
  std::vector<std::vector<double>> smooth_x;
  std::vector<std::span<const double>> spans;
};

grid_data load_grid(const gam_test::reference_case& c) {
  auto g = gam_test::read_csv(std::string(c.name) + ".grid.csv");
  grid_data out;
  const auto rows = static_cast<Eigen::Index>(g.at(c.smooth_vars[0]).size());
  out.covariates.resize(rows, static_cast<Eigen::Index>(c.parametric.size()));
  for (std::size_t j = 0; j < c.parametric.size(); ++j)
    for (Eigen::Index i = 0; i < rows; ++i)
      out.covariates(i, static_cast<Eigen::Index>(j)) = g.at(c.parametric[j])[static_cast<std::size_t>(i)];
  for (const auto& v : c.smooth_vars) out.smooth_x.push_back(g.at(v));
  for (const auto& v : out.smooth_x) out.spans.emplace_back(v);
  return out;
}

Eigen::VectorXd flat(const Eigen::MatrixXd& m) {
  return Eigen::Map<const Eigen::VectorXd>(m.data(), m.size());
}

}  // namespace

TEST_CASE("predict matches mgcv predict.gam on new data (link, response, terms, lpmatrix)") {
  std::vector<gam_test::reference_case> all = gam_test::gaussian_cases();
  for (const auto& c : gam_test::glm_cases()) all.push_back(c);
  all.push_back(gam_test::gamma_cases()[0]);  // trees_gamma (the one with a grid)
  for (const auto& c : gam_test::cr_cases()) all.push_back(c);  // grids reach beyond the data
  for (const auto& c : gam_test::septic_cases()) all.push_back(c);
  for (const auto& c : all) {
    INFO("case " << std::string(c.name));
    auto l = gam_test::load(c);
    // predictions at mgcv's smoothing parameters isolate the prediction code (1e-8)
    for (std::size_t j = 0; j < l.smooths.size(); ++j) l.smooths[j].options.sp = l.ref.at("sp")[j];
    const auto m = gam::fit(*l.y, l.smooths, l.covariates, {.method = gam::method::fixed, .family = c.family});
    const auto g = load_grid(c);
    const auto link = gam::predict(m, g.covariates, g.spans, {.terms = true, .lpmatrix = true});
    const auto resp = gam::predict(m, g.covariates, g.spans, {.scale = gam::prediction_scale::response});
    const auto& r = l.ref;
    CHECK(gam_test::max_rel_diff(link.fit, r.at("pred_link")) < 1e-8);
    CHECK(gam_test::max_rel_diff(link.std_error, r.at("pred_link_se")) < 1e-6);
    CHECK(gam_test::max_rel_diff(resp.fit, r.at("pred_resp")) < 1e-8);
    CHECK(gam_test::max_rel_diff(resp.std_error, r.at("pred_resp_se")) < 1e-6);
    CHECK(gam_test::max_rel_diff(flat(link.terms), r.at("pred_terms")) < 1e-8);
    CHECK(gam_test::max_rel_diff(flat(link.terms_std_error), r.at("pred_terms_se")) < 1e-6);
    CHECK(gam_test::max_rel_diff(flat(link.lpmatrix), r.at("lpmatrix")) < 1e-10);
  }
}

TEST_CASE("predict at the data reproduces the fitted values") {
  const auto& c = gam_test::gaussian_cases()[2];  // airquality: two smooths + a covariate
  auto l = gam_test::load(c);
  const auto m = gam::fit(*l.y, l.smooths, l.covariates);
  std::vector<std::span<const double>> xs;
  for (const auto& s : l.smooths) xs.push_back(s.x);
  const auto p = gam::predict(m, l.covariates, xs);
  CHECK((p.fit - m.fitted).cwiseAbs().maxCoeff() < 1e-10);
}

TEST_CASE("exact derivatives agree with central differences and bands nest") {
  const auto& c = gam_test::gaussian_cases()[0];  // mcycle, k = 20
  auto l = gam_test::load(c);
  const auto m = gam::fit(*l.y, l.smooths, l.covariates);
  std::vector<double> x;
  for (double t = 1.0; t <= 60.0; t += 0.5) x.push_back(t);  // includes extrapolation at both ends
  const auto d1 = gam::derivative(m, 0, x);
  const auto d2 = gam::derivative(m, 0, x, {.order = 2});
  const double h = 1e-4;
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::vector<double> xp = {x[i] + h}, xm = {x[i] - h}, x0 = {x[i]};
    const Eigen::MatrixXd none(1, 0);
    const std::span<const double> sp(xp), sm(xm);
    const double fp = gam::predict(m, none, std::span<const std::span<const double>>(&sp, 1)).fit[0];
    const double fm = gam::predict(m, none, std::span<const std::span<const double>>(&sm, 1)).fit[0];
    INFO("x = " << x[i]);
    CHECK(std::abs(d1.derivative[static_cast<Eigen::Index>(i)] - (fp - fm) / (2 * h)) < 1e-5 * (1 + std::abs(d1.derivative[static_cast<Eigen::Index>(i)])));
    // second derivative: difference of exact first derivatives
    const auto a = gam::derivative(m, 0, xp, {.simulations = 100});
    const auto b = gam::derivative(m, 0, xm, {.simulations = 100});
    if (x[i] > 3 && x[i] < 57)  // inside the knot range (linear, so zero, outside)
      CHECK(std::abs(d2.derivative[static_cast<Eigen::Index>(i)] - (a.derivative[0] - b.derivative[0]) / (2 * h)) <
            1e-4 * (1 + std::abs(d2.derivative[static_cast<Eigen::Index>(i)])));
  }
  // the simultaneous multiplier exceeds the pointwise one, and both bands contain the estimate
  CHECK(d1.critical_value > 1.96);
  CHECK(d1.critical_value < 5.0);
  CHECK((d1.simultaneous_lower.array() <= d1.lower.array()).all());
  CHECK((d1.simultaneous_upper.array() >= d1.upper.array()).all());
  // beyond the data the smooth is linear: the second derivative vanishes there
  CHECK(std::abs(d2.derivative[0]) < 1e-12);
  // same seed, same band
  const auto again = gam::derivative(m, 0, x);
  CHECK(again.critical_value == d1.critical_value);
}

TEST_CASE("simultaneous bands cover a known curve at about the nominal rate") {
  // y = sin(2 pi x) + N(0, 0.3^2): the 95% simultaneous band for f' covers the true f' on the
  // grid in most replicates (Bayesian bands have close-to-nominal across-the-function coverage)
  int covered = 0;
  const int reps = 40;
  for (int rep = 0; rep < reps; ++rep) {
    vasostat::random_generator rng(1000 + static_cast<std::uint64_t>(rep));
    const int n = 200;
    std::vector<double> x(n), y(n);
    for (int i = 0; i < n; ++i) {
      x[static_cast<std::size_t>(i)] = rng.uniform();
      y[static_cast<std::size_t>(i)] = std::sin(2 * M_PI * x[static_cast<std::size_t>(i)]) + 0.3 * rng.normal();
    }
    const std::vector<gam::smooth_term> s = {gam::smooth(x, {.k = 15})};
    const auto m = gam::fit(y, s);
    std::vector<double> grid;
    for (double t = 0.05; t <= 0.95; t += 0.05) grid.push_back(t);
    const auto d = gam::derivative(m, 0, grid, {.simulations = 2000, .seed = 7});
    bool ok = true;
    for (std::size_t i = 0; i < grid.size(); ++i) {
      const double truth = 2 * M_PI * std::cos(2 * M_PI * grid[i]);
      const auto ii = static_cast<Eigen::Index>(i);
      ok = ok && truth >= d.simultaneous_lower[ii] && truth <= d.simultaneous_upper[ii];
    }
    covered += ok ? 1 : 0;
  }
  CHECK(covered >= 30);  // nominal 38 of 40
}

TEST_CASE("cr derivatives match differences of mgcv's lpmatrix, also where cr extends linearly") {
  const auto& c = gam_test::cr_cases()[0];  // mcycle, s(times, bs = "cr", k = 20)
  auto l = gam_test::load(c);
  l.smooths[0].options.sp = l.ref.at("sp")[0];
  const auto m = gam::fit(*l.y, l.smooths, l.covariates, {.method = gam::method::fixed});
  const auto g = load_grid(c);  // -3 .. 65.3 around the data's 2.4 .. 57.6
  const auto d1 = gam::derivative(m, 0, g.smooth_x[0], {.simulations = 500});
  const auto d2 = gam::derivative(m, 0, g.smooth_x[0], {.order = 2, .simulations = 500});
  const auto& r = l.ref;
  // mgcv's central differences (h = 1e-5; second differences h = 1e-3) carry rounding of
  // about 1e-16 |f| / h and 1e-16 |f| / h^2 relative to the curve's scale
  CHECK(gam_test::max_rel_diff(d1.derivative, r.at("deriv1")) < 1e-8);
  CHECK(gam_test::max_rel_diff(d1.std_error, r.at("deriv1_se")) < 1e-8);
  CHECK(gam_test::max_rel_diff(d2.derivative, r.at("deriv2")) < 1e-6);
  CHECK(gam_test::max_rel_diff(d2.std_error, r.at("deriv2_se")) < 1e-6);
  // linear beyond the knots: constant slope, zero curvature, exactly
  const auto n = d1.derivative.size();
  CHECK(d1.derivative[0] == doctest::Approx(d1.derivative[1]).epsilon(1e-12));
  CHECK(d1.derivative[n - 1] == doctest::Approx(d1.derivative[n - 2]).epsilon(1e-12));
  CHECK(d2.derivative[0] == 0.0);
  CHECK(d2.derivative[n - 1] == 0.0);
  CHECK((d1.simultaneous_lower.array() <= d1.lower.array()).all());
  CHECK_THROWS_AS((void)gam::derivative(m, 0, g.smooth_x[0], {.order = 3}), vasostat::invalid_argument);
}
