#include <vasostat/stats/correlation.hpp>
#include <vasostat/stats/correlation_matrix.hpp>
#include <vasostat/stats/partial_correlation.hpp>

#include <doctest/doctest.h>
#include <support/reference.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace st = vasostat::stats;

namespace {

const char* const case_names[] = {"women",  "mtcars",   "anscombe", "small",    "smallneg",
                                   "airq",   "faithful", "pressure", "stackloss"};

struct alternative_case {
  const char* r_name;
  st::alternative_hypothesis value;
};
const alternative_case alternatives[] = {{"two.sided", st::alternative_hypothesis::two_sided},
                                         {"less", st::alternative_hypothesis::less},
                                         {"greater", st::alternative_hypothesis::greater}};

}  // namespace

TEST_CASE("pearson, spearman and kendall agree with R's cor.test on R's data sets") {
  const vasostat_test::reference_values ref("stats/stats_reference.txt");
  int compared = 0;
  for (const char* name : case_names) {
    const vasostat_test::csv_table data(std::string("stats/data_") + name + ".csv");
    const auto& x = data.column("x");
    const auto& y = data.column("y");
    for (const auto& alt : alternatives) {
      for (double conf : {0.95, 0.9}) {
        const st::correlation_options options{.alternative = alt.value, .confidence_level = conf};
        const std::string conf_text = conf == 0.95 ? "0.95" : "0.9";
        const auto check = [&](const char* method, const st::correlation_test& t) {
          const std::string key = std::string(name) + "." + method + "." + alt.r_name + "." + conf_text;
          INFO(key);
          VASOSTAT_CHECK_CLOSE(t.estimate, ref[key + ".estimate"], 1e-10);
          // R forms S = (n³ - n)(1 - rho)/6 and upper tails as 1 - P(T <= q - 1): below an
          // absolute floor (1e-11 for S, 1e-15 for p) its digits are rounding noise.
          VASOSTAT_CHECK_CLOSE_OR_BELOW(t.statistic, ref[key + ".statistic"], 1e-10, 1e-11);
          VASOSTAT_CHECK_CLOSE_OR_BELOW(t.p_value, ref[key + ".p_value"], 1e-10, 1e-15);
          if (ref.has(key + ".ci_lower")) {
            VASOSTAT_CHECK_CLOSE(t.ci_lower, ref[key + ".ci_lower"], 1e-10);
            VASOSTAT_CHECK_CLOSE(t.ci_upper, ref[key + ".ci_upper"], 1e-10);
          }
          ++compared;
        };
        check("pearson", st::pearson(x, y, options));
        check("spearman", st::spearman(x, y, options));
        check("kendall", st::kendall(x, y, options));
      }
    }
  }
  CHECK(compared == 9 * 3 * 2 * 3);
}

TEST_CASE("pearson reports t on n - 2 df, Spearman/Kendall report no df") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7};
  const std::vector<double> y{2, 1, 4, 3, 7, 5, 6};
  const auto r = st::pearson(x, y);
  CHECK(r.df == 5);
  CHECK(r.statistic_name == "t");
  CHECK(std::isnan(st::spearman(x, y).df));
  CHECK(st::spearman(x, y).exact);
  CHECK(st::kendall(x, y).statistic_name == "T");
}

TEST_CASE("pearson with a non-zero null value uses Fisher's z") {
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<double> y{1.2, 1.9, 3.4, 3.8, 5.5, 5.9, 7.4, 7.7, 9.6, 9.9};
  const auto r = st::pearson(x, y, {.null_value = 0.9});
  const double z = (std::atanh(r.estimate) - std::atanh(0.9)) * std::sqrt(7.0);
  CHECK(r.statistic_name == "z");
  CHECK(r.statistic == doctest::Approx(z).epsilon(1e-14));
  CHECK(r.p_value == doctest::Approx(2 * st::normal_sf(std::abs(z))).epsilon(1e-14));
  // The interval does not depend on the null value, and contains the estimate.
  const auto r0 = st::pearson(x, y);
  CHECK(r.ci_lower == r0.ci_lower);
  CHECK(r.ci_lower < r.estimate);
  CHECK(r.estimate < r.ci_upper);
}

TEST_CASE("spearman and kendall confidence intervals are Fisher-z intervals around the estimate") {
  const vasostat_test::csv_table data("stats/data_mtcars.csv");
  const auto& x = data.column("x");
  const auto& y = data.column("y");
  const auto s = st::spearman(x, y);
  const double n = 32;
  const double q = st::normal_quantile(0.975);
  CHECK(s.ci_lower == doctest::Approx(std::tanh(std::atanh(s.estimate) - q * std::sqrt(1.06 / (n - 3)))).epsilon(1e-14));
  const auto bw = st::spearman(x, y, {.rank_interval_method = st::rank_interval::bonett_wright});
  const double se_bw = std::sqrt((1 + s.estimate * s.estimate / 2) / (n - 3));
  CHECK(bw.ci_upper == doctest::Approx(std::tanh(std::atanh(s.estimate) + q * se_bw)).epsilon(1e-14));
  const auto k = st::kendall(x, y);
  CHECK(k.ci_lower == doctest::Approx(std::tanh(std::atanh(k.estimate) - q * std::sqrt(0.437 / (n - 4)))).epsilon(1e-14));
  CHECK(k.ci_lower < k.estimate);
  CHECK(k.estimate < k.ci_upper);
}

TEST_CASE("exact null distributions sum to one and are symmetric") {
  // Kendall: P(T <= q) + P(T >= q + 1) = 1, and symmetry P(T <= k) = P(T >= m - k).
  for (int n : {3, 4, 7, 12, 30, 49}) {
    const double m = n * (n - 1) / 2.0;
    CHECK(st::detail::kendall_lower_tail(n, m) == doctest::Approx(1.0).epsilon(1e-13));
    const double k = std::floor(m / 3);
    CHECK(st::detail::kendall_lower_tail(n, k) + st::detail::kendall_upper_tail(n, k + 1) ==
          doctest::Approx(1.0).epsilon(1e-13));
    CHECK(st::detail::kendall_lower_tail(n, k) ==
          doctest::Approx(st::detail::kendall_upper_tail(n, m - k)).epsilon(1e-12));
  }
  CHECK(st::detail::kendall_upper_tail(15, 105) == doctest::Approx(1 / 1307674368000.0).epsilon(1e-12));
  // Spearman exact: P(S >= 0) = 1, P(S > max) = 0, P(S >= max) = 1/n!.
  CHECK(st::detail::spearman_upper_tail(5, 0) == 1.0);
  CHECK(st::detail::spearman_upper_tail(5, 41) == 0.0);
  CHECK(st::detail::spearman_upper_tail(5, 40) == doctest::Approx(1.0 / 120).epsilon(1e-15));
}

TEST_CASE("partial correlation matches the residual method of ppcor on mtcars") {
  const vasostat_test::reference_values ref("stats/stats_reference.txt");
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  Eigen::MatrixXd z(static_cast<Eigen::Index>(mt.rows()), 2);
  for (Eigen::Index i = 0; i < z.rows(); ++i) {
    z(i, 0) = mt.column("hp")[static_cast<std::size_t>(i)];
    z(i, 1) = mt.column("qsec")[static_cast<std::size_t>(i)];
  }
  const auto p = st::partial_correlation(mt.column("mpg"), mt.column("wt"), z);
  VASOSTAT_CHECK_CLOSE(p.estimate, ref["partial.pearson.estimate"], 1e-10);
  VASOSTAT_CHECK_CLOSE(p.statistic, ref["partial.pearson.statistic"], 1e-10);
  VASOSTAT_CHECK_CLOSE(p.p_value, ref["partial.pearson.p_value"], 1e-10);
  CHECK(p.df == 28);
  const auto s = st::partial_correlation(mt.column("mpg"), mt.column("wt"), z,
                                         {.method = st::partial_method::spearman});
  VASOSTAT_CHECK_CLOSE(s.estimate, ref["partial.spearman.estimate"], 1e-10);
  VASOSTAT_CHECK_CLOSE(s.p_value, ref["partial.spearman.p_value"], 1e-10);
}

TEST_CASE("correlation matrix tests each pair and adjusts over distinct pairs") {
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  Eigen::MatrixXd d(static_cast<Eigen::Index>(mt.rows()), 4);
  const char* cols[] = {"mpg", "wt", "hp", "qsec"};
  for (Eigen::Index j = 0; j < 4; ++j) {
    for (Eigen::Index i = 0; i < d.rows(); ++i) {
      d(i, j) = mt.column(cols[j])[static_cast<std::size_t>(i)];
    }
  }
  const auto m = st::correlation_matrix(d);
  const auto direct = st::pearson(mt.column("mpg"), mt.column("hp"));
  CHECK(m.estimate(0, 2) == direct.estimate);
  CHECK(m.p_value(2, 0) == direct.p_value);
  std::vector<double> raw;
  for (Eigen::Index i = 0; i < 4; ++i) {
    for (Eigen::Index j = i + 1; j < 4; ++j) {
      raw.push_back(m.p_value(i, j));
    }
  }
  const auto holm = st::p_adjust(raw, st::p_adjust_method::holm);
  CHECK(m.p_adjusted(0, 2) == holm[1]);
  CHECK(m.estimate(1, 1) == 1.0);
}

TEST_CASE("p_adjust matches R's p.adjust") {
  const vasostat_test::reference_values ref("stats/stats_reference.txt");
  const std::vector<double> p{0.01, 0.02, 0.03, 0.04, 0.05, 0.5, 0.001, 0.2, 0.04, 0.9};
  const std::pair<const char*, st::p_adjust_method> methods[] = {
      {"bonferroni", st::p_adjust_method::bonferroni}, {"holm", st::p_adjust_method::holm},
      {"hochberg", st::p_adjust_method::hochberg},     {"BH", st::p_adjust_method::bh},
      {"BY", st::p_adjust_method::by}};
  for (const auto& [name, method] : methods) {
    const auto a = st::p_adjust(p, method);
    for (std::size_t i = 0; i < p.size(); ++i) {
      VASOSTAT_CHECK_CLOSE(a[i], ref[std::string("p_adjust.") + name + "." + std::to_string(i)], 1e-14);
    }
  }
  CHECK_THROWS_WITH_AS((void)st::p_adjust(std::vector<double>{0.5, 1.5}, st::p_adjust_method::bh),
                       doctest::Contains("p[1]"), vasostat::invalid_argument);
}

TEST_CASE("correlation tests reject bad input, naming the argument") {
  const std::vector<double> x{1, 2, 3, 4, 5};
  const std::vector<double> y{2, 1, 4, 3, 5};
  const std::vector<double> short_y{1, 2, 3};
  const std::vector<double> two{1, 2};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (auto test : {&st::pearson, &st::spearman, &st::kendall}) {
    CHECK_THROWS_WITH_AS((void)test(x, short_y, {}), doctest::Contains("different lengths"),
                         vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS((void)test(two, two, {}), doctest::Contains("fewer than 3 pairs"),
                         vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS((void)test(std::vector<double>{1, nan, 3, 4}, std::vector<double>{1, 2, 3, 4}, {}),
                         doctest::Contains("x[1] is not finite"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS((void)test(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 2, inf, 4}, {}),
                         doctest::Contains("y[2] is not finite"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS((void)test(std::vector<double>{3, 3, 3, 3}, std::vector<double>{1, 2, 3, 4}, {}),
                         doctest::Contains("x is constant"), vasostat::invalid_argument);
    CHECK_THROWS_WITH_AS((void)test(x, std::vector<double>{2, 2, 2, 2, 2}, {}),
                         doctest::Contains("y is constant"), vasostat::invalid_argument);
    for (double level : {0.0, 1.0, -0.5, 1.5, nan}) {
      CHECK_THROWS_WITH_AS((void)test(x, y, {.confidence_level = level}),
                           doctest::Contains("confidence_level"), vasostat::invalid_argument);
    }
    for (double rho0 : {-1.0, 1.0, 2.0, nan}) {
      CHECK_THROWS_WITH_AS((void)test(x, y, {.null_value = rho0}), doctest::Contains("null_value"),
                           vasostat::invalid_argument);
    }
  }
  // Pearson's Fisher-z interval needs 4 pairs; the test alone needs 3.
  const std::vector<double> three_x{1, 2, 3};
  const std::vector<double> three_y{1, 3, 2};
  CHECK_THROWS_WITH_AS((void)st::pearson(three_x, three_y), doctest::Contains("fewer than 4 pairs"),
                       vasostat::invalid_argument);
  CHECK(st::pearson(three_x, three_y, {.confidence_interval = false}).estimate == doctest::Approx(0.5));
  // Partial correlation: too few rows for the covariates, covariates with NaN.
  Eigen::MatrixXd z = Eigen::MatrixXd::Random(5, 2);
  CHECK_THROWS_WITH_AS((void)st::partial_correlation(x, y, z), doctest::Contains("too few observations"),
                       vasostat::invalid_argument);
  Eigen::MatrixXd z1 = Eigen::MatrixXd::Random(5, 1);
  z1(2, 0) = nan;
  CHECK_THROWS_WITH_AS((void)st::partial_correlation(x, y, z1), doctest::Contains("covariates"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)st::correlation_matrix(Eigen::MatrixXd::Random(5, 1)),
                       doctest::Contains("fewer than 2 columns"), vasostat::invalid_argument);
}
