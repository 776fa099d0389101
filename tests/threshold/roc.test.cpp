#include <vasostat/threshold/roc.hpp>

#include <doctest/doctest.h>
#include <support/threshold_reference.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace th = vasostat::threshold;
using threshold_test::read_columns;
using threshold_test::read_reference;
using threshold_test::rel_diff;

TEST_CASE("roc_cutpoint matches wilcox.test AUC, DeLong SE and the Youden cut in R") {
  const auto ref = read_reference("roc_ref.csv");
  struct c {
    const char* name;
    const char* file;
    const char* y;
    const char* x;
  };
  for (const auto& k : std::vector<c>{{"pima_glu", "roc_pima_data.csv", "diabetes", "glu"},
                                      {"pima_bmi", "roc_pima_data.csv", "diabetes", "bmi"},
                                      {"infert_spontaneous", "roc_infert_data.csv", "case", "spontaneous"},
                                      {"infert_age", "roc_infert_data.csv", "case", "age"}}) {
    const std::string case_name = k.name;
    CAPTURE(case_name);
    auto r = [&](const std::string& key) { return ref.at({case_name, key}); };
    auto cols = read_columns(k.file);
    const auto res = th::roc_cutpoint(cols.at(k.y), cols.at(k.x));
    CHECK(rel_diff(res.auc, r("auc")) < 1e-12);
    CHECK(rel_diff(res.auc_std_error, r("auc_se")) < 1e-10);
    CHECK(rel_diff(res.auc_lower, r("auc_lower")) < 1e-10);
    CHECK(rel_diff(res.auc_upper, r("auc_upper")) < 1e-10);
    CHECK(res.threshold == doctest::Approx(r("youden_threshold")).epsilon(1e-12));
    CHECK(rel_diff(res.youden_j, r("youden_j")) < 1e-12);
    CHECK(rel_diff(res.sensitivity, r("sensitivity")) < 1e-12);
    CHECK(rel_diff(res.specificity, r("specificity")) < 1e-12);
    CHECK(res.thresholds.size() == static_cast<Eigen::Index>(r("n_thresholds")));
    // reversing the direction mirrors the curve: AUC -> 1 - AUC, same Youden J
    const auto rev = th::roc_cutpoint(cols.at(k.y), cols.at(k.x), {.direction = th::roc_direction::lower_is_positive});
    CHECK(rev.auc == doctest::Approx(1 - res.auc).epsilon(1e-12));
    CHECK(rev.auc_std_error == doctest::Approx(res.auc_std_error).epsilon(1e-10));
  }
}

TEST_CASE("roc_cutpoint bootstrap CI brackets the cut and is reproducible") {
  auto cols = read_columns("roc_pima_data.csv");
  const auto a = th::roc_cutpoint(cols.at("diabetes"), cols.at("glu"), {.n_boot = 300, .seed = 8});
  const auto b = th::roc_cutpoint(cols.at("diabetes"), cols.at("glu"), {.n_boot = 300, .seed = 8});
  CHECK(a.threshold_lower == b.threshold_lower);
  CHECK(a.threshold_lower <= a.threshold);
  CHECK(a.threshold_upper >= a.threshold);
  CHECK(a.youden_j_lower <= a.youden_j);
}

TEST_CASE("roc_cutpoint rejects bad input naming the argument") {
  const std::vector<double> y{0, 1, 0, 1, 1, 0};
  const std::vector<double> x{1, 2, 3, 4, 5, 6};
  const std::vector<double> y2{0, 2, 0, 1, 1, 0};
  const std::vector<double> ones(6, 1.0);
  std::vector<double> xn = x;
  xn[2] = NAN;
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)th::roc_cutpoint(y2, x), doctest::Contains("not binary"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::roc_cutpoint(ones, x), doctest::Contains("outcome needs both"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::roc_cutpoint(y, xn), doctest::Contains("predictor[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::roc_cutpoint(y, std::vector<double>{1, 2}), doctest::Contains("predictor has size"),
                       invalid_argument);
  CHECK_THROWS_WITH_AS((void)th::roc_cutpoint(y, x, {.n_boot = -2}), doctest::Contains("options.n_boot"), invalid_argument);
}
