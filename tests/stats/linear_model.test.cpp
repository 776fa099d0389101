#include <vasostat/stats/linear_model.hpp>

#include <doctest/doctest.h>
#include <support/reference.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace st = vasostat::stats;

namespace {

Eigen::MatrixXd columns(const vasostat_test::csv_table& t, std::initializer_list<const char*> names) {
  Eigen::MatrixXd m(static_cast<Eigen::Index>(t.rows()), static_cast<Eigen::Index>(names.size()));
  Eigen::Index j = 0;
  for (const char* name : names) {
    const auto& c = t.column(name);
    for (Eigen::Index i = 0; i < m.rows(); ++i) {
      m(i, j) = c[static_cast<std::size_t>(i)];
    }
    ++j;
  }
  return m;
}

void check_against_r(const std::string& prefix, const st::linear_model_fit& fit) {
  const vasostat_test::reference_values ref("stats/stats_reference.txt");
  INFO(prefix);
  for (Eigen::Index j = 0; j < fit.coefficients.size(); ++j) {
    const std::string s = "." + std::to_string(j);
    VASOSTAT_CHECK_CLOSE(fit.coefficients[j], ref[prefix + ".coef" + s], 1e-10);
    if (ref.has(prefix + ".se" + s)) {
      VASOSTAT_CHECK_CLOSE(fit.std_error[j], ref[prefix + ".se" + s], 1e-10);
      VASOSTAT_CHECK_CLOSE(fit.statistic[j], ref[prefix + ".t" + s], 1e-10);
      VASOSTAT_CHECK_CLOSE(fit.p_value[j], ref[prefix + ".p" + s], 1e-10);
      VASOSTAT_CHECK_CLOSE(fit.ci_lower[j], ref[prefix + ".ci_lower" + s], 1e-10);
      VASOSTAT_CHECK_CLOSE(fit.ci_upper[j], ref[prefix + ".ci_upper" + s], 1e-10);
    } else {
      CHECK(fit.aliased[static_cast<std::size_t>(j)]);
      CHECK(std::isnan(fit.std_error[j]));
    }
  }
  CHECK(fit.df_residual == static_cast<int>(ref[prefix + ".df_residual"]));
  VASOSTAT_CHECK_CLOSE(fit.sigma, ref[prefix + ".sigma"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.r_squared, ref[prefix + ".r_squared"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.adj_r_squared, ref[prefix + ".adj_r_squared"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.f_statistic, ref[prefix + ".f_statistic"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.f_p_value, ref[prefix + ".f_p_value"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.log_likelihood, ref[prefix + ".log_likelihood"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.aic, ref[prefix + ".aic"], 1e-10);
  VASOSTAT_CHECK_CLOSE(fit.bic, ref[prefix + ".bic"], 1e-10);
}

}  // namespace

TEST_CASE("linear_model matches R's lm on mtcars: mpg ~ wt + hp + qsec") {
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  const Eigen::MatrixXd x = columns(mt, {"wt", "hp", "qsec"});
  const Eigen::VectorXd y = columns(mt, {"mpg"}).col(0);
  check_against_r("lm_plain", st::linear_model(y, x));
}

TEST_CASE("linear_model matches R's weighted lm (weights = cyl)") {
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  const Eigen::MatrixXd x = columns(mt, {"wt", "hp", "qsec"});
  const Eigen::VectorXd y = columns(mt, {"mpg"}).col(0);
  const auto& w = mt.column("cyl");
  check_against_r("lm_weighted", st::linear_model(y, x, {.weights = w}));
}

TEST_CASE("linear_model reports an aliased column with NaN as R does") {
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  Eigen::MatrixXd x = columns(mt, {"wt", "hp", "wt", "qsec"});
  x.col(2) = 2 * x.col(0) + x.col(1);
  const Eigen::VectorXd y = columns(mt, {"mpg"}).col(0);
  const auto fit = st::linear_model(y, x);
  CHECK(fit.rank == 4);
  CHECK(fit.aliased == std::vector<bool>{false, false, false, true, false});
  check_against_r("lm_aliased", fit);
}

TEST_CASE("linear_model without intercept uses uncentred R² as R does") {
  const vasostat_test::csv_table mt("stats/data_mtcars_full.csv");
  const Eigen::MatrixXd x = columns(mt, {"wt", "hp"});
  const Eigen::VectorXd y = columns(mt, {"mpg"}).col(0);
  check_against_r("lm_noint", st::linear_model(y, x, {.add_intercept = false}));
}

TEST_CASE("zero weights drop rows: same fit as without those rows") {
  const Eigen::VectorXd y = (Eigen::VectorXd(6) << 1.0, 2.5, 2.9, 4.2, 5.1, 100.0).finished();
  const Eigen::MatrixXd x = (Eigen::MatrixXd(6, 1) << 1, 2, 3, 4, 5, 6).finished();
  const std::vector<double> w{1, 1, 1, 1, 1, 0};
  const auto with_zero = st::linear_model(y, x, {.weights = w});
  const auto dropped = st::linear_model(y.head(5), x.topRows(5));
  CHECK(with_zero.df_residual == 3);
  CHECK(with_zero.coefficients[1] == doctest::Approx(dropped.coefficients[1]).epsilon(1e-12));
  CHECK(with_zero.log_likelihood == doctest::Approx(dropped.log_likelihood).epsilon(1e-12));
}

TEST_CASE("linear_model rejects bad input, naming the argument") {
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(5, 0, 1);
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(5, 2);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH_AS((void)st::linear_model(y.head(4), x), doctest::Contains("different lengths"),
                       vasostat::invalid_argument);
  Eigen::VectorXd y_nan = y;
  y_nan[3] = nan;
  CHECK_THROWS_WITH_AS((void)st::linear_model(y_nan, x), doctest::Contains("y[3] is not finite"),
                       vasostat::invalid_argument);
  Eigen::MatrixXd x_inf = x;
  x_inf(1, 1) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH_AS((void)st::linear_model(y, x_inf), doctest::Contains("x contains"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)st::linear_model(y.head(2), x.topRows(2)), doctest::Contains("fewer usable rows"),
                       vasostat::invalid_argument);
  const std::vector<double> negative{1, 1, -1, 1, 1};
  CHECK_THROWS_WITH_AS((void)st::linear_model(y, x, {.weights = negative}), doctest::Contains("weights"),
                       vasostat::invalid_argument);
  const std::vector<double> short_w{1, 1};
  CHECK_THROWS_WITH_AS((void)st::linear_model(y, x, {.weights = short_w}), doctest::Contains("weights"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)st::linear_model(y, x, {.confidence_level = 1.0}),
                       doctest::Contains("confidence_level"), vasostat::invalid_argument);
}
