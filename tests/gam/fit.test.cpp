// vasostat::gam::fit against R mgcv 1.8-41 (tests/reference/gam/gam_reference.R) on real data:
// MASS::mcycle, airquality, trees (Gaussian, REML and GCV).

#include <vasostat/gam.hpp>

#include <doctest/doctest.h>

#include <support/gam_reference.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace {

struct gaussian_case {
  const char* name;
  std::vector<std::string> parametric;  // covariate columns, in mgcv's coefficient order
  std::vector<std::string> smooth_vars;
  std::vector<int> k;
  const char* response;
};

const std::vector<gaussian_case>& gaussian_cases() {
  static const std::vector<gaussian_case> cases = {
      {"mcycle_k20", {}, {"times"}, {20}, "accel"},
      {"mcycle_k10", {}, {"times"}, {10}, "accel"},
      {"airquality", {"Solar.R"}, {"Temp", "Wind"}, {10, 10}, "logOzone"},
      {"trees_gaussian", {"Height"}, {"Girth"}, {8}, "Volume"},
  };
  return cases;
}

struct loaded {
  std::map<std::string, std::vector<double>> data, ref;
  Eigen::MatrixXd covariates;
  std::vector<vasostat::gam::smooth_term> smooths;
};

loaded load(const gaussian_case& c) {
  loaded l;
  l.data = gam_test::read_csv(std::string(c.name) + ".data.csv");
  l.ref = gam_test::read_reference(c.name);
  const auto n = static_cast<Eigen::Index>(l.data.at(c.response).size());
  l.covariates.resize(n, static_cast<Eigen::Index>(c.parametric.size()));
  for (std::size_t j = 0; j < c.parametric.size(); ++j)
    for (Eigen::Index i = 0; i < n; ++i)
      l.covariates(i, static_cast<Eigen::Index>(j)) = l.data.at(c.parametric[j])[static_cast<std::size_t>(i)];
  for (std::size_t j = 0; j < c.smooth_vars.size(); ++j)
    l.smooths.push_back(vasostat::gam::smooth(l.data.at(c.smooth_vars[j]), {.k = c.k[j]}));
  return l;
}

void check_close(double got, double want, double rel, double abs_tol = 0) {
  CHECK(std::abs(got - want) <= std::max(rel * std::abs(want), abs_tol));
}

}  // namespace

TEST_CASE("gaussian REML fits match mgcv on mcycle, airquality and trees") {
  for (const auto& c : gaussian_cases()) {
    INFO("case " << c.name);
    auto l = load(c);
    const auto& y = l.data.at(c.response);
    const auto m = vasostat::gam::fit(y, l.smooths, l.covariates);
    CHECK(m.converged);
    const auto& r = l.ref;
    // fitted values: max |difference| relative to max |fitted|
    CHECK(gam_test::max_rel_diff(m.fitted, r.at("fitted")) < 1e-6);
    CHECK(gam_test::max_rel_diff(m.coefficients, r.at("coefficients")) < 1e-5);
    check_close(m.score, r.at("score")[0], 1e-6);
    check_close(m.scale, r.at("scale")[0], 1e-6);
    check_close(m.edf_total, r.at("edf_total")[0], 0, 1e-4);
    check_close(m.deviance_explained, r.at("dev_expl")[0], 1e-6);
    check_close(m.r_squared_adjusted, r.at("r_sq")[0], 1e-6);
    check_close(m.residual_df, r.at("residual_df")[0], 1e-6);
    for (std::size_t j = 0; j < m.smooth_tests.size(); ++j) {
      INFO("smooth " << j);
      check_close(m.smooth_tests[j].edf, r.at("s_edf")[j], 0, 1e-4);
      check_close(m.smooth_tests[j].ref_df, r.at("s_refdf")[j], 0, 1e-4);
      check_close(m.smooth_tests[j].statistic, r.at("s_stat")[j], 1e-5);
      check_close(m.smooth_tests[j].p_value, r.at("s_p")[j], 1e-3, 1e-6);
    }
    for (std::size_t j = 0; j < m.parametric.size(); ++j) {
      INFO("parametric " << j);
      check_close(m.parametric[j].estimate, r.at("p_est")[j], 1e-5);
      check_close(m.parametric[j].std_error, r.at("p_se")[j], 1e-5);
      check_close(m.parametric[j].statistic, r.at("p_stat")[j], 1e-5);
      check_close(m.parametric[j].p_value, r.at("p_p")[j], 1e-4, 1e-12);
    }
    // smoothing parameters, where finite and well determined
    for (Eigen::Index j = 0; j < m.smoothing_parameters.size(); ++j)
      if (r.at("sp")[static_cast<std::size_t>(j)] < 1e6)
        check_close(std::log(m.smoothing_parameters[j]), std::log(r.at("sp")[static_cast<std::size_t>(j)]), 1e-4, 1e-4);
  }
}

TEST_CASE("with smoothing parameters fixed at mgcv's values, coefficients agree to 1e-8") {
  for (const auto& c : gaussian_cases()) {
    INFO("case " << c.name);
    auto l = load(c);
    const auto& sp = l.ref.at("sp");
    for (std::size_t j = 0; j < l.smooths.size(); ++j) l.smooths[j].options.sp = sp[j];
    const auto m = vasostat::gam::fit(l.data.at(c.response), l.smooths, l.covariates,
                                      {.method = vasostat::gam::method::fixed});
    CHECK(gam_test::max_rel_diff(m.coefficients, l.ref.at("fixed_coefficients")) < 1e-8);
    CHECK(gam_test::max_rel_diff(m.fitted, l.ref.at("fixed_fitted")) < 1e-8);
    // Vp at the REML smoothing parameters equals mgcv's
    const auto& vp = l.ref.at("Vp");
    Eigen::VectorXd v = Eigen::Map<const Eigen::VectorXd>(m.vp.data(), m.vp.size());
    CHECK(gam_test::max_rel_diff(v, vp) < 1e-6);
  }
}
