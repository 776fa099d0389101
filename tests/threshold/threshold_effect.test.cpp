#include <vasostat/core/random.hpp>
#include <vasostat/threshold/threshold_effect.hpp>
#include <vasostat/threshold/from_smooth.hpp>
#include <vasostat/gam/fit.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

TEST_CASE("threshold_effect table matches lm() at the exact profile-likelihood K") {
  const auto ref = read_reference("threshold_effect_ref.csv");
  for (const auto& d : threshold_test::gaussian_cases()) {
    const std::string case_name = d.name;
    CAPTURE(case_name);
    auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
    const auto data = threshold_test::load_case(d);
    const auto& y = data.y;
    const auto& x = data.x;
    const auto& cov = data.cov;
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

TEST_CASE("threshold_effect for binomial and Poisson outcomes matches glm() at the exact profile-deviance K") {
  const auto ref = read_reference("threshold_effect_glm_ref.csv");
  auto down = read_columns("segmented_down_binomial_data.csv");
  std::vector<double> log_births;
  for (double b : down.at("births")) log_births.push_back(std::log(b));
  auto bw = read_columns("from_smooth_birthwt_data.csv");
  const auto& smoke = bw.at("smoke");
  Eigen::MatrixXd bw_cov(static_cast<Eigen::Index>(smoke.size()), 1);
  for (std::size_t i = 0; i < smoke.size(); ++i) bw_cov(static_cast<Eigen::Index>(i), 0) = smoke[i];
#ifdef NDEBUG
  const int nb = 200;
#else
  const int nb = 20;
#endif
  struct glm_case {
    std::string name;
    th::threshold_effect_result t;
  };
  std::vector<glm_case> results;
  results.push_back({"down_binomial", th::threshold_effect(down.at("rate"), down.at("age"), Eigen::MatrixXd(0, 0),
                                                           {.n_boot = nb, .family = th::family::binomial,
                                                            .weights = down.at("births")})});
  results.push_back({"down_poisson", th::threshold_effect(down.at("cases"), down.at("age"), Eigen::MatrixXd(0, 0),
                                                          {.n_boot = nb, .family = th::family::poisson,
                                                           .offset = log_births})});
  results.push_back({"birthwt", th::threshold_effect(bw.at("low"), bw.at("lwt"), bw_cov,
                                                     {.n_boot = nb, .family = th::family::binomial})});
  for (const auto& [case_name, t] : results) {
    CAPTURE(case_name);
    auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
    CHECK(rel_diff(t.inflection_point, r("k")) < 1e-6);
    auto check_row = [&](const th::effect_estimate& e, const std::string& p, double tol) {
      CAPTURE(p);
      CHECK(std::abs(e.estimate - r(p + "_est")) < tol * (std::abs(r(p + "_est")) + r(p + "_se")));
      CHECK(rel_diff(e.std_error, r(p + "_se")) < tol);
      CHECK(std::abs(e.lower - r(p + "_lower")) < tol * (std::abs(r(p + "_lower")) + r(p + "_se")));
      CHECK(std::abs(e.upper - r(p + "_upper")) < tol * (std::abs(r(p + "_upper")) + r(p + "_se")));
      CHECK(rel_diff(e.p_value, r(p + "_p")) < tol * 1000);
    };
    // the module's IRLS solves normal equations: ~1e-7 relative on birthwt's lwt (values ~100)
    check_row(t.model1, "model1", 1e-6);
    check_row(t.below, "below", 1e-5);
    check_row(t.above, "above", 1e-5);
    check_row(t.difference, "difference", 1e-5);
    CHECK(rel_diff(t.log_likelihood_1, r("loglik1")) < 1e-9);
    CHECK(rel_diff(t.log_likelihood_2, r("loglik2")) < 1e-8);
    CHECK(rel_diff(t.lr_statistic, r("lr")) < 1e-6);
    CHECK(rel_diff(t.p_lrt, r("p_lrt")) < 1e-4);
    CHECK(rel_diff(t.p_davies, r("p_davies")) < 1e-4);
    CHECK(t.k_lower <= t.inflection_point + 1e-9);
    CHECK(t.k_upper >= t.inflection_point - 1e-9);
    CHECK(t.p_sup_lr >= 1.0 / (nb + 1));
    CHECK(t.p_sup_lr <= 1);
    CHECK(t.n_boot_used > nb * 3 / 4);
  }
  // the Down syndrome threshold is overwhelming: no bootstrap LR reaches the observed one
  CHECK(results[0].t.p_sup_lr == doctest::Approx(1.0 / (nb + 1)));
  using vasostat::invalid_argument;
  std::vector<double> bad = bw.at("low");
  bad[3] = 2;
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(bad, bw.at("lwt"), {.n_boot = 5, .family = th::family::binomial}),
                       doctest::Contains("y must be a proportion"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(bw.at("low"), bw.at("lwt"), {.n_boot = 5, .weights = smoke}),
                       doctest::Contains("options.weights"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::threshold_effect(down.at("cases"), down.at("age"),
                                                  {.n_boot = 5, .family = th::family::poisson, .offset = smoke}),
                       doctest::Contains("offset"), invalid_argument);
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

// ---------------------------------------------------------------------------------------------
// from_smooth: thresholds read off a fitted GAM smooth

namespace {

struct smooth_case {
  const char* name;
  const char* y;
  const char* var;
  std::vector<std::string> covs;
  std::vector<std::string> other;  // further smooths after var, in model order
  vasostat::gam::family family;
  int k;
  th::from_smooth_options opts;
};

}  // namespace

TEST_CASE("from_smooth: events on the fitted curve match mgcv lpmatrix root-finding") {
  namespace gam = vasostat::gam;
  const auto ref = read_reference("from_smooth_ref.csv");
  using th::crossing_direction;
  double worst = 0;
  std::vector<double> cov_aq{200.0}, other_aq{0.0, 10.0}, cov_bw{23.0, 1.0};
  const std::vector<smooth_case> cases{
      {"mcycle", "accel", "times", {}, {}, gam::family::gaussian, 20,
       {.level = -50, .scale = th::smooth_scale::link, .direction = crossing_direction::decreasing,
        .derivative_level = 0, .derivative_direction = crossing_direction::increasing}},
      {"mcycle_fall", "accel", "times", {}, {}, gam::family::gaussian, 20,
       {.level = 0, .scale = th::smooth_scale::term, .direction = crossing_direction::any,
        .derivative_level = -2, .derivative_direction = crossing_direction::decreasing}},
      {"airquality", "logOzone", "Temp", {"Solar.R"}, {"Wind"}, gam::family::gaussian, 10,
       {.level = std::log(60.0), .scale = th::smooth_scale::link, .direction = crossing_direction::increasing,
        .derivative_level = 0.046, .derivative_direction = crossing_direction::increasing, .covariates = cov_aq,
        .other_smooths = other_aq}},
      {"birthwt", "low", "lwt", {"age", "smoke"}, {}, gam::family::binomial, 10,
       {.level = 0.3, .scale = th::smooth_scale::response, .direction = crossing_direction::decreasing,
        .derivative_level = -0.01, .derivative_direction = crossing_direction::decreasing, .covariates = cov_bw}},
  };
  for (auto c : cases) {
    const std::string case_name = c.name;
    CAPTURE(case_name);
    auto cols = read_columns(std::string("from_smooth_") + c.name + "_data.csv");
    const auto& y = cols.at(c.y);
    const auto n = static_cast<Eigen::Index>(y.size());
    Eigen::MatrixXd cov(n, static_cast<Eigen::Index>(c.covs.size()));
    for (std::size_t j = 0; j < c.covs.size(); ++j)
      for (Eigen::Index i = 0; i < n; ++i) cov(i, static_cast<Eigen::Index>(j)) = cols.at(c.covs[j])[static_cast<std::size_t>(i)];
    std::vector<gam::smooth_term> smooths{gam::smooth(cols.at(c.var), {.k = c.k})};
    for (const auto& o : c.other) smooths.push_back(gam::smooth(cols.at(o)));
    gam::fit_options fo;
    fo.family = c.family;
    // (birthwt's smooth is linear, lambda -> Inf: REML may flag non-convergence; the curve is
    // what is compared)
    const gam::model m = gam::fit(y, smooths, cov, fo);
    c.opts.n_simulations = 200;
    const auto r = th::from_smooth(m, 0, c.opts);
    auto has = [&](const std::string& key) { return ref.count({case_name, key}) > 0; };
    auto rv = [&](const std::string& key) { return ref.at({case_name, key}); };
    CHECK(rel_diff(r.grid[0], rv("lower")) < 1e-12);
    CHECK(rel_diff(r.grid[r.grid.size() - 1], rv("upper")) < 1e-12);
    const double span = rv("upper") - rv("lower");
    // the curve (fit, slope, slope SE) at grid points: the gam module matches mgcv to ~1e-6
    const Eigen::Index idx[5] = {0, 136, 249, 400, 499};
    for (int j = 0; j < 5; ++j) {
      const std::string s = std::to_string(j + 1);
      CAPTURE(j);
      CHECK(std::abs(r.fit[idx[j]] - rv("grid_fit_" + s)) < 1e-5 * (1 + std::abs(rv("grid_fit_" + s))));
      CHECK(std::abs(r.derivative[idx[j]] - rv("grid_derivative_" + s)) < 1e-5 * (std::abs(rv("grid_derivative_" + s)) + rv("grid_derivative_se_" + s)));
      CHECK(rel_diff(r.derivative_std_error[idx[j]], rv("grid_derivative_se_" + s)) < 1e-4);
    }
    // event locations: absolute error relative to the dose range
    if (has("crossing")) {
      CHECK(std::abs(r.crossing.estimate - rv("crossing")) < 1e-8 * span);
    } else {
      CHECK(std::isnan(r.crossing.estimate));
    }
    if (has("turning")) {
      CHECK(std::abs(r.turning_point.estimate - rv("turning")) < 1e-8 * span);
    } else {
      CHECK(std::isnan(r.turning_point.estimate));
    }
    CHECK(std::abs(r.onset_pointwise - rv("onset_pointwise")) < 1e-8 * span);
    CHECK(r.onset_sign_pointwise == static_cast<int>(rv("onset_sign")));
    // intervals bracket the estimate; the simultaneous onset is no earlier than the pointwise one
    if (!std::isnan(r.crossing.estimate)) {
      CHECK(r.crossing.lower <= r.crossing.estimate);
      CHECK(r.crossing.upper >= r.crossing.estimate);
    }
    if (r.onset_sign_simultaneous == r.onset_sign_pointwise && r.onset_sign_pointwise != 0) {
      CHECK(r.onset_simultaneous >= r.onset_pointwise);
    }
    // a wiggly smooth: the simultaneous multiplier exceeds the pointwise one (a linear smooth,
    // birthwt, has one degree of freedom in its slope and a multiplier near 1.96)
    if (case_name.rfind("mcycle", 0) == 0) CHECK(r.critical_value > 2.2);
    worst = std::max({worst, has("crossing") ? std::abs(r.crossing.estimate - rv("crossing")) / span : 0.0,
                      has("turning") ? std::abs(r.turning_point.estimate - rv("turning")) / span : 0.0,
                      std::abs(r.onset_pointwise - rv("onset_pointwise")) / span});
  }
  MESSAGE("from_smooth vs mgcv: worst event location error / dose range ", worst);
}

TEST_CASE("from_smooth: posterior-simulation intervals cover the true threshold near the nominal rate") {
  // y = 3 (x - 0.75)^2 + N(0, 0.3^2), x ~ U(0, 1.5), n = 150: the turning point (minimum) is at
  // 0.75 and the curve falls through 0.48 at x = 0.35. 95% intervals, fixed seeds.
  namespace gam = vasostat::gam;
  vasostat::random_generator rng(77);
#ifdef NDEBUG
  const int reps = 100;
#else
  const int reps = 6;  // sanitizer/debug builds: a smoke run; the coverage check is Release
#endif
  const int n = 150;
  int cover_turn = 0, cover_cross = 0;
  double width = 0;
  std::vector<double> x(n), y(n);
  for (int rep = 0; rep < reps; ++rep) {
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = rng.uniform(0.0, 1.5);
      y[i] = 3 * (x[i] - 0.75) * (x[i] - 0.75) + 0.3 * rng.normal();
    }
    const std::vector<gam::smooth_term> sm{gam::smooth(x)};
    const gam::model m = gam::fit(y, sm);
    const auto r = th::from_smooth(m, 0, {.level = 0.48, .scale = th::smooth_scale::link,
                                          .direction = th::crossing_direction::decreasing,
                                          .derivative_direction = th::crossing_direction::increasing,
                                          .n_simulations = 400, .seed = static_cast<std::uint64_t>(rep + 1)});
    cover_turn += (r.turning_point.lower <= 0.75 && 0.75 <= r.turning_point.upper) ? 1 : 0;
    cover_cross += (r.crossing.lower <= 0.35 && 0.35 <= r.crossing.upper) ? 1 : 0;
    width += r.turning_point.upper - r.turning_point.lower;
  }
  MESSAGE("from_smooth 95% coverage over ", reps, " studies: turning point ", cover_turn, ", level crossing ",
          cover_cross, "; mean width of the turning-point interval ", width / reps);
  // binomial SD at 95% over 100 studies: 2.2 studies
  CHECK(cover_turn >= (reps >= 100 ? 88 : reps / 2));
  CHECK(cover_cross >= (reps >= 100 ? 88 : reps / 2));
  CHECK(width / reps < 0.5);  // informative: well inside the dose range
}

TEST_CASE("from_smooth is seeded and rejects bad input naming the argument") {
  namespace gam = vasostat::gam;
  vasostat::random_generator rng(5);
  std::vector<double> x(80), y(80);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = rng.uniform(0.0, 2.0);
    y[i] = std::sin(2 * x[i]) + 0.2 * rng.normal();
  }
  const std::vector<gam::smooth_term> sm{gam::smooth(x)};
  const gam::model m = gam::fit(y, sm);
  const auto a = th::from_smooth(m, 0, {.level = 0.5, .n_simulations = 200, .seed = 3});
  const auto b = th::from_smooth(m, 0, {.level = 0.5, .n_simulations = 200, .seed = 3});
  const auto c = th::from_smooth(m, 0, {.level = 0.5, .n_simulations = 200, .seed = 4});
  CHECK(a.crossing.lower == b.crossing.lower);
  CHECK(a.turning_point.upper == b.turning_point.upper);
  CHECK(a.critical_value == b.critical_value);
  CHECK(a.crossing.estimate == c.crossing.estimate);
  CHECK(a.critical_value != c.critical_value);
  // no crossing of a level the curve never reaches: NaN estimate, interval open above
  const auto none = th::from_smooth(m, 0, {.level = 50, .n_simulations = 200});
  CHECK(std::isnan(none.crossing.estimate));
  CHECK(std::isinf(none.crossing.upper));
  CHECK(none.crossing.found_fraction == 0);
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 1), doctest::Contains("term"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.n_simulations = 10}), doctest::Contains("options.n_simulations"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.conf_level = 1}), doctest::Contains("options.conf_level"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.lower = 1, .upper = 0.5}), doctest::Contains("options.lower"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.grid_points = 1}), doctest::Contains("options.grid_points"),
                       invalid_argument);
  const std::vector<double> two{1.0, 2.0};
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.scale = th::smooth_scale::link, .covariates = two}),
                       doctest::Contains("options.covariates"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.other_smooths = two}), doctest::Contains("options.other_smooths"),
                       invalid_argument);
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS((void)th::from_smooth(m, 0, {.level = inf}), doctest::Contains("options.level"), invalid_argument);
  gam::model pm = m;
  pm.family = gam::family::poisson;
  CHECK_THROWS_WITH_AS((void)th::from_smooth(pm, 0, {.level = -1, .scale = th::smooth_scale::response}),
                       doctest::Contains("options.level"), invalid_argument);
}
