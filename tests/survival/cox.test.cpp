#include <vasostat/survival/cox.hpp>
#include <vasostat/survival/cox_predict.hpp>
#include <vasostat/core/random.hpp>

#include <doctest/doctest.h>
#include <support/survival_csv.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace vasostat;
using survival_test::close;

namespace {

struct cox_case {
  std::string name, file;
  std::vector<std::string> covariates;
  survival::ties method = survival::ties::efron;
  std::string strata, weights, cluster, offset, entry, time = "time", status = "status";
  bool robust = false;
};

struct prepared {
  std::vector<double> time, status, entry, weights, offset;
  std::vector<int> strata, cluster;
  Eigen::MatrixXd x;
};

prepared prepare(const cox_case& cs) {
  const auto d = survival_test::read_csv(cs.file);
  prepared out;
  std::vector<std::vector<double>> cols;
  for (std::size_t r = 0; r < d.rows.size(); ++r) {
    std::vector<double> row;
    bool ok = true;
    for (const auto& c : cs.covariates) {
      row.push_back(d.num(r, c));
      ok = ok && !std::isnan(row.back());
    }
    if (!cs.cluster.empty()) ok = ok && !std::isnan(d.num(r, cs.cluster));
    if (!ok) continue;
    cols.push_back(row);
    out.time.push_back(d.num(r, cs.time));
    out.status.push_back(d.num(r, cs.status));
    if (!cs.entry.empty()) out.entry.push_back(d.num(r, cs.entry));
    if (!cs.weights.empty()) out.weights.push_back(d.num(r, cs.weights));
    if (!cs.offset.empty()) out.offset.push_back(d.num(r, cs.offset));
    if (!cs.strata.empty()) out.strata.push_back(static_cast<int>(d.num(r, cs.strata)));
    if (!cs.cluster.empty()) out.cluster.push_back(static_cast<int>(d.num(r, cs.cluster)));
  }
  out.x.resize(static_cast<Eigen::Index>(cols.size()), static_cast<Eigen::Index>(cs.covariates.size()));
  for (std::size_t r = 0; r < cols.size(); ++r)
    for (std::size_t c = 0; c < cs.covariates.size(); ++c)
      out.x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = cols[r][c];
  return out;
}

std::vector<cox_case> cases() {
  using survival::ties;
  std::vector<std::string> lung3{"age", "sex", "ph_ecog"};
  std::vector<std::string> heart4{"age", "year", "surgery", "transplant"};
  auto c = [](std::string name, std::string file, std::vector<std::string> cov, ties m) {
    cox_case k;
    k.name = std::move(name);
    k.file = std::move(file);
    k.covariates = std::move(cov);
    k.method = m;
    return k;
  };
  auto heart = [&](std::string name, ties m) {
    auto k = c(std::move(name), "data_heart.csv", heart4, m);
    k.entry = "start";
    k.time = "stop";
    k.status = "event";
    return k;
  };
  std::vector<cox_case> out{
      c("test1_breslow", "data_test1.csv", {"x"}, ties::breslow),
      c("test1_efron", "data_test1.csv", {"x"}, ties::efron),
      c("test3_efron", "data_test3.csv", {"x"}, ties::efron),
      c("test3_breslow", "data_test3.csv", {"x"}, ties::breslow),
      c("lung_efron", "data_lung_cc.csv", lung3, ties::efron),
      c("lung_breslow", "data_lung_cc.csv", lung3, ties::breslow),
      c("lung_exact", "data_lung_cc.csv", lung3, ties::exact),
      c("lung_five", "data_lung_cc.csv", {"age", "sex", "ph_ecog", "ph_karno", "wt_loss"}, ties::efron),
      c("lung_strata", "data_lung_cc.csv", {"age", "ph_ecog"}, ties::efron),
      c("veteran_strata", "data_veteran.csv", {"karno", "age", "trt", "diagtime"}, ties::efron),
      heart("heart_efron", ties::efron),
      heart("heart_breslow", ties::breslow),
      heart("heart_exact", ties::exact),
      heart("heart_cluster", ties::efron),
      c("lung_weighted", "data_lung_cc.csv", lung3, ties::efron),
      c("lung_weighted_breslow", "data_lung_cc.csv", lung3, ties::breslow),
      c("lung_cluster", "data_lung_cc.csv", lung3, ties::efron),
      c("ovarian_robust", "data_ovarian.csv", {"age", "rx"}, ties::efron),
      c("lung_offset", "data_lung_cc.csv", {"age", "sex"}, ties::efron),
      c("lung_aliased", "data_lung_cc.csv", {"age", "sex", "age2"}, ties::efron),
  };
  for (auto& k : out) {
    if (k.name.rfind("test3", 0) == 0) k.weights = "wt";
    if (k.name == "lung_strata") k.strata = "sex";
    if (k.name == "veteran_strata") k.strata = "celltype";
    if (k.name == "heart_cluster") k.cluster = "id";
    if (k.name.rfind("lung_weighted", 0) == 0) {
      k.weights = "w";
      k.robust = true;
    }
    if (k.name == "lung_cluster") k.cluster = "inst";
    if (k.name == "ovarian_robust") k.robust = true;
    if (k.name == "lung_offset") k.offset = "off";
  }
  return out;
}

}  // namespace

TEST_CASE("cox matches coxph: coefficients, SEs, tests, log-likelihoods, concordance") {
  const auto fits = survival_test::read_csv("cox_fit.csv");
  const auto coefs = survival_test::read_csv("cox_coef.csv");
  for (const auto& cs : cases()) {
    CAPTURE(cs.name);
    auto d = prepare(cs);
    auto m = survival::cox(d.time, d.status, d.x,
                           {.method = cs.method, .strata = d.strata, .weights = d.weights,
                            .offset = d.offset, .entry = d.entry, .cluster = d.cluster,
                            .robust = cs.robust, .names = cs.covariates});
    auto f = survival_test::filter(fits, {{"fit", cs.name}});
    REQUIRE(f.rows.size() == 1);
    CHECK(m.n == f.num(0, "n"));
    CHECK(close(m.log_likelihood_null, f.num(0, "loglik0"), 1e-11));
    CHECK(close(m.log_likelihood, f.num(0, "loglik"), 1e-11));
    CHECK(close(m.score.statistic, f.num(0, "score"), 1e-8));
    CHECK(close(m.wald.statistic, f.num(0, "wald"), 1e-8));
    CHECK(close(m.likelihood_ratio.statistic, f.num(0, "lr"), 1e-8));
    CHECK(m.likelihood_ratio.df == static_cast<int>(f.num(0, "df")));
    CHECK(m.iterations == static_cast<int>(f.num(0, "iter")));
    CHECK(m.converged);
    if (f.str(0, "robust") == "TRUE") CHECK(close(m.robust_score.statistic, f.num(0, "robust_score"), 1e-8));
    CHECK(close(m.concordance.concordant, f.num(0, "concordant"), 1e-12));
    CHECK(close(m.concordance.discordant, f.num(0, "discordant"), 1e-12));
    CHECK(close(m.concordance.tied_x, f.num(0, "tied_x"), 1e-12));
    CHECK(close(m.concordance.tied_y, f.num(0, "tied_y"), 1e-12));
    CHECK(close(m.concordance.tied_xy, f.num(0, "tied_xy"), 1e-12));
    CHECK(close(m.concordance.concordance, f.num(0, "concordance"), 1e-10));
    CHECK(close(m.concordance.std_error, f.num(0, "concordance_se"), 1e-8));
    std::istringstream means(f.str(0, "means"));
    for (Eigen::Index c = 0; c < m.means.size(); ++c) {
      std::string v;
      means >> v;
      CHECK(close(m.means[c], survival_test::table::to_num(v), 1e-12));
    }
    auto cf = survival_test::filter(coefs, {{"fit", cs.name}});
    REQUIRE(cf.rows.size() == static_cast<std::size_t>(m.coef.size()));
    for (Eigen::Index c = 0; c < m.coef.size(); ++c) {
      const auto r = static_cast<std::size_t>(c);
      CAPTURE(cf.str(r, "term"));
      CHECK(close(m.coef[c], cf.num(r, "coef"), 1e-8));
      CHECK(close(m.std_error[c], cf.num(r, "se"), 1e-8));
      CHECK(close(m.robust_std_error[c], cf.num(r, "robust_se"), 1e-8));
      CHECK(close(m.z[c], cf.num(r, "z"), 1e-8));
      CHECK(close(m.p_value[c], cf.num(r, "p"), 1e-8));
      CHECK(close(m.hr_lower[c], cf.num(r, "lower"), 1e-8));
      CHECK(close(m.hr_upper[c], cf.num(r, "upper"), 1e-8));
    }
  }
}

TEST_CASE("cox reproduces the closed-form answers of Therneau & Grambsch's test data 1 and 3") {
  std::vector<double> time{1, 1, 6, 6, 8, 9}, status{1, 0, 1, 1, 0, 1};
  Eigen::MatrixXd x(6, 1);
  x << 1, 1, 1, 0, 0, 0;
  auto br = survival::cox(time, status, x, {.method = survival::ties::breslow});
  CHECK(br.coef[0] == doctest::Approx(std::log((3 + std::sqrt(33.0)) / 2)).epsilon(1e-9));
  CHECK(br.std_error[0] == doctest::Approx(1.255734393).epsilon(1e-8));
  CHECK(br.log_likelihood_null == doctest::Approx(-4.564348191).epsilon(1e-9));
  CHECK(br.log_likelihood == doctest::Approx(-3.824749505).epsilon(1e-9));
  auto ef = survival::cox(time, status, x);
  const double r = std::exp(ef.coef[0]);  // root of -r^3 + 23 r + 30 = 0
  CHECK(-r * r * r + 23 * r + 30 == doctest::Approx(0.0).epsilon(1e-7));
  CHECK(ef.std_error[0] == doctest::Approx(1.277615576).epsilon(1e-8));
  CHECK(ef.log_likelihood == doctest::Approx(-3.358974840).epsilon(1e-9));
  CHECK(ef.warnings.empty());
  // exact ties: the likelihood is monotone, the coefficient diverges and the warning names x
  auto ex = survival::cox(time, status, x, {.method = survival::ties::exact, .names = {"arm"}});
  CHECK(ex.coef[0] > 10);
  REQUIRE(!ex.warnings.empty());
  bool named = false;
  for (const auto& w : ex.warnings) named = named || w.find("arm") != std::string::npos;
  CHECK(named);
  CHECK(ex.log_likelihood == doctest::Approx(-2.197224578574243).epsilon(1e-6));

  std::vector<double> t3{1, 1, 2, 2, 2, 2, 3, 4, 5}, s3{1, 0, 1, 1, 1, 0, 0, 1, 0}, w3{1, 2, 3, 4, 3, 2, 1, 2, 1};
  Eigen::MatrixXd x3(9, 1);
  x3 << 2, 0, 1, 1, 0, 1, 0, 1, 0;
  auto f3 = survival::cox(t3, s3, x3, {.weights = w3});
  CHECK(f3.coef[0] == doctest::Approx(0.872604246).epsilon(1e-9));
  CHECK(f3.log_likelihood_null == doctest::Approx(-30.2921796).epsilon(1e-9));
  CHECK(f3.log_likelihood == doctest::Approx(-29.4167846).epsilon(1e-9));
}

TEST_CASE("cox reports separation and aliased columns in the result, not as errors") {
  // every event in the x = 1 group happens before any x = 0 subject fails: beta -> +inf
  std::vector<double> time{1, 2, 3, 4, 5, 6, 7, 8}, status{1, 1, 1, 0, 1, 1, 0, 1};
  Eigen::MatrixXd x(8, 2);
  x << 1, 0.3, 1, 0.1, 1, 0.7, 1, 0.2, 0, 0.5, 0, 0.9, 0, 0.4, 0, 0.6;
  auto m = survival::cox(time, status, x, {.names = {"high_dose", "apache"}});
  bool named = false;
  for (const auto& w : m.warnings) named = named || (w.find("high_dose") != std::string::npos && w.find("infinite") != std::string::npos);
  CHECK(named);
  // a constant column is aliased and its coefficient is NaN, the others are estimated
  Eigen::MatrixXd xc(8, 2);
  xc << 1, 0.3, 1, 0.1, 0, 0.7, 1, 0.2, 0, 0.5, 1, 0.9, 0, 0.4, 0, 0.6;
  xc.col(0).setConstant(2.0);
  auto a = survival::cox(time, status, xc);
  CHECK(a.aliased[0]);
  CHECK(!a.aliased[1]);
  CHECK(std::isnan(a.coef[0]));
  CHECK(std::isfinite(a.coef[1]));
  CHECK(a.likelihood_ratio.df == 1);
}

TEST_CASE("cox rejects bad input naming the argument") {
  std::vector<double> t{1, 2, 3, 4}, s{1, 0, 1, 1}, s0{0, 0, 0, 0}, s_bad{1, 0, 3, 1};
  std::vector<double> t_neg{1, -2, 3, 4}, t_nan{1, std::nan(""), 3, 4};
  std::vector<double> entry_bad{0, 2, 0, 0}, w_neg{1, 1, -1, 1}, off_nan{0, 0, std::nan(""), 0};
  std::vector<int> st_neg{0, 0, -1, 0}, cl_neg{0, -5, 1, 1};
  Eigen::MatrixXd x(4, 1), x_short(3, 1), x_nan(4, 1);
  x << 0.1, 0.5, 0.2, 0.9;
  x_short << 1, 2, 3;
  x_nan << 1, std::nan(""), 2, 3;
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x_short), doctest::Contains("X.rows()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t_neg, s, x), doctest::Contains("time[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t_nan, s, x), doctest::Contains("time[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s_bad, x), doctest::Contains("status[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s0, x), doctest::Contains("no events"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x_nan), doctest::Contains("X(1, 0)"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.entry = entry_bad}), doctest::Contains("entry[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.weights = w_neg}), doctest::Contains("weights[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.offset = off_nan}), doctest::Contains("offset[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.strata = st_neg}), doctest::Contains("strata[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.cluster = cl_neg}), doctest::Contains("cluster[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.conf_level = 1.5}), doctest::Contains("conf_level"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.names = {"a", "b"}}), doctest::Contains("names"), invalid_argument);
}

namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

TEST_CASE("ridge-penalised cox matches coxph(~ ridge(..., theta, scale)): coef, var, var2, df, loglik") {
  const auto fits = survival_test::read_csv("cox_ridge_fit.csv");
  const auto coefs = survival_test::read_csv("cox_ridge_coef.csv");
  REQUIRE(fits.rows.size() >= 6);
  for (std::size_t f = 0; f < fits.rows.size(); ++f) {
    const std::string name = fits.str(f, "fit");
    CAPTURE(name);
    cox_case cs;
    cs.name = name;
    cs.file = fits.str(f, "file");
    cs.covariates = words(fits.str(f, "covariates"));
    cs.time = fits.str(f, "time");
    cs.status = fits.str(f, "status");
    cs.entry = fits.str(f, "entry");
    cs.strata = fits.str(f, "strata");
    cs.cluster = fits.str(f, "cluster");
    cs.method = fits.str(f, "ties") == "breslow" ? survival::ties::breslow : survival::ties::efron;
    auto d = prepare(cs);
    survival::ridge_penalty rp{.theta = fits.num(f, "theta"), .columns = {}, .scale = fits.str(f, "scale") == "TRUE"};
    const auto ridge_names = words(fits.str(f, "ridge"));
    for (std::size_t c = 0; c < cs.covariates.size(); ++c)
      for (const auto& r : ridge_names)
        if (r == cs.covariates[c]) rp.columns.push_back(static_cast<int>(c));
    auto m = survival::cox(d.time, d.status, d.x,
                           {.method = cs.method, .strata = d.strata, .entry = d.entry, .cluster = d.cluster,
                            .names = cs.covariates, .ridge = rp});
    CHECK(m.converged);
    CHECK(m.n == fits.num(f, "n"));
    CHECK(close(m.log_likelihood_null, fits.num(f, "loglik0"), 1e-10));
    CHECK(close(m.log_likelihood, fits.num(f, "loglik"), 1e-9));
    CHECK(close(m.penalty, fits.num(f, "penalty"), 1e-8));
    CHECK(close(m.penalized_log_likelihood, fits.num(f, "loglik") - fits.num(f, "penalty"), 1e-9));
    CHECK(close(m.wald.statistic, fits.num(f, "wald"), 1e-8));
    CHECK(close(m.likelihood_ratio.statistic, fits.num(f, "lr"), 1e-8));
    CHECK(close(m.likelihood_ratio.df, fits.num(f, "df_total"), 1e-8));
    CHECK(close(m.likelihood_ratio.p_value, fits.num(f, "lr_p"), 1e-8));
    double df_ridge = 0;
    for (int c : rp.columns) df_ridge += m.edf[c];
    CHECK(close(df_ridge, fits.num(f, "df_ridge"), 1e-8));
    CHECK(close(m.concordance.concordance, fits.num(f, "concordance"), 1e-9));
    CHECK((m.inference_se == "robust") == (fits.str(f, "robust") == "TRUE"));
    auto cf = survival_test::filter(coefs, {{"fit", name}});
    REQUIRE(cf.rows.size() == cs.covariates.size());
    for (Eigen::Index c = 0; c < m.coef.size(); ++c) {
      const auto r = static_cast<std::size_t>(c);
      CAPTURE(cf.str(r, "term"));
      CHECK(close(m.coef[c], cf.num(r, "coef"), 1e-8));
      CHECK(close(m.std_error[c], cf.num(r, "se"), 1e-8));
      CHECK(close(m.std_error2[c], cf.num(r, "se2"), 1e-8));
      CHECK(close(m.robust_std_error[c], cf.num(r, "robust_se"), 1e-8));
      CHECK(close(m.z[c], cf.num(r, "z"), 1e-8));
      CHECK(close(m.p_value[c], cf.num(r, "p"), 1e-8));
      CHECK(close(m.hr_lower[c], cf.num(r, "lower"), 1e-8));
      CHECK(close(m.hr_upper[c], cf.num(r, "upper"), 1e-8));
    }
  }
}

TEST_CASE("ridge: theta = 0 is the plain fit, a growing theta shrinks, bad penalties are rejected") {
  const auto d = prepare([] {
    cox_case k;
    k.file = "data_lung_cc.csv";
    k.covariates = {"age", "sex", "ph_ecog"};
    return k;
  }());
  auto plain = survival::cox(d.time, d.status, d.x);
  auto zero = survival::cox(d.time, d.status, d.x, {.ridge = {.theta = 0}});
  for (Eigen::Index c = 0; c < 3; ++c) CHECK(zero.coef[c] == plain.coef[c]);
  CHECK(plain.likelihood_ratio.df == 3);
  double prev = plain.coef.norm();
  for (double theta : {1.0, 10.0, 100.0, 1000.0}) {
    auto r = survival::cox(d.time, d.status, d.x, {.ridge = {.theta = theta, .scale = false}});
    CHECK(r.coef.norm() < prev);
    CHECK(r.likelihood_ratio.df < 3);
    CHECK(r.log_likelihood <= plain.log_likelihood + 1e-12);
    prev = r.coef.norm();
  }
  using vasostat::invalid_argument;
  const Eigen::MatrixXd& x = d.x;
  CHECK_THROWS_WITH_AS((void)survival::cox(d.time, d.status, x, {.ridge = {.theta = -1}}), doctest::Contains("ridge.theta"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(d.time, d.status, x, {.ridge = {.theta = std::nan("")}}), doctest::Contains("ridge.theta"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(d.time, d.status, x, {.ridge = {.theta = 1, .columns = {0, 3}}}), doctest::Contains("ridge.columns[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(d.time, d.status, x, {.ridge = {.theta = 1, .columns = {1, 1}}}), doctest::Contains("ridge.columns[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(d.time, d.status, x, {.ridge = {.theta = 1}, .firth = true}), doctest::Contains("firth"), invalid_argument);
}

TEST_CASE("firth-penalised cox matches an independent R maximisation of l + 1/2 log det I") {
  const auto fits = survival_test::read_csv("cox_firth_fit.csv");
  const auto coefs = survival_test::read_csv("cox_firth_coef.csv");
  REQUIRE(fits.rows.size() >= 4);
  for (std::size_t f = 0; f < fits.rows.size(); ++f) {
    const std::string name = fits.str(f, "fit");
    CAPTURE(name);
    cox_case cs;
    cs.file = fits.str(f, "file");
    cs.covariates = words(fits.str(f, "covariates"));
    cs.time = fits.str(f, "time");
    cs.status = fits.str(f, "status");
    cs.entry = fits.str(f, "entry");
    cs.method = fits.str(f, "ties") == "breslow" ? survival::ties::breslow : survival::ties::efron;
    auto d = prepare(cs);
    const survival::cox_options opt{.method = cs.method, .entry = d.entry, .names = cs.covariates, .firth = true};
    auto m = survival::cox(d.time, d.status, d.x, opt);
    CHECK(m.converged);
    CHECK(m.warnings.empty());
    CHECK(m.inference_se == "profile penalized likelihood");
    CHECK(close(m.log_likelihood_null, fits.num(f, "loglik0"), 1e-10));
    CHECK(close(m.log_likelihood, fits.num(f, "loglik"), 1e-8));
    CHECK(close(m.penalized_log_likelihood_null, fits.num(f, "pl0"), 1e-10));
    CHECK(close(m.penalized_log_likelihood, fits.num(f, "pl"), 1e-9));
    CHECK(close(m.likelihood_ratio.statistic, fits.num(f, "lr"), 1e-6));
    CHECK(m.likelihood_ratio.df == static_cast<double>(cs.covariates.size()));
    auto cf = survival_test::filter(coefs, {{"fit", name}});
    REQUIRE(cf.rows.size() == cs.covariates.size());
    for (Eigen::Index c = 0; c < m.coef.size(); ++c) {
      const auto r = static_cast<std::size_t>(c);
      CAPTURE(cf.str(r, "term"));
      CHECK(std::isfinite(m.coef[c]));
      CHECK(close(m.coef[c], cf.num(r, "coef"), 1e-6));
      CHECK(close(m.std_error[c], cf.num(r, "se"), 1e-6));
      CHECK(close(m.hr_lower[c], cf.num(r, "lower"), 1e-6));
      CHECK(close(m.hr_upper[c], cf.num(r, "upper"), 1e-6));
      CHECK(close(m.chisq[c], cf.num(r, "chisq"), 1e-6));
      CHECK(close(m.p_value[c], cf.num(r, "p"), 1e-6));
      // the row's CI excludes HR 1 exactly when its penalised LR p is below 0.05
      CHECK((m.hr_lower[c] > 1 || m.hr_upper[c] < 1) == (m.p_value[c] < 0.05));
    }
    // on separated data the plain fit diverges with a warning naming the column; Firth is finite
    if (fits.str(f, "coxph_warns") == "TRUE") {
      survival::cox_options plain_opt = opt;
      plain_opt.firth = false;
      auto plain = survival::cox(d.time, d.status, d.x, plain_opt);
      REQUIRE(!plain.warnings.empty());
      CHECK(plain.warnings.back().find(cs.covariates[0]) != std::string::npos);
      CHECK(std::abs(plain.coef[0]) > 5 * std::abs(m.coef[0]));
      CHECK(std::abs(plain.coef[0]) > 10);
    }
    // Wald inference when profile CIs are switched off: CI and p from coef / se
    survival::cox_options wald_opt = opt;
    wald_opt.firth_options.profile_ci = false;
    auto w = survival::cox(d.time, d.status, d.x, wald_opt);
    CHECK(w.inference_se == "model");
    CHECK(close(w.coef[0], m.coef[0], 1e-12));
    CHECK(close(w.hr_lower[0], std::exp(w.coef[0] - 1.959963984540054 * w.std_error[0]), 1e-12));
  }
}

TEST_CASE("firth rejects bad settings naming the argument") {
  std::vector<double> t{1, 2, 3, 4, 5}, s{1, 0, 1, 1, 0};
  std::vector<int> cl{0, 0, 1, 1, 2};
  Eigen::MatrixXd x(5, 1);
  x << 0.1, 0.5, 0.2, 0.9, 0.3;
  using vasostat::invalid_argument;
  using survival::ties;
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.method = ties::exact, .firth = true}), doctest::Contains("ties::exact"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.cluster = cl, .firth = true}), doctest::Contains("cluster"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.firth = true, .firth_options = {.max_step = 0}}), doctest::Contains("firth_options.max_step"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.firth = true, .firth_options = {.epsilon = -1}}), doctest::Contains("firth_options.epsilon"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::cox(t, s, x, {.firth = true, .firth_options = {.max_iter = 0}}), doctest::Contains("firth_options.max_iter"), invalid_argument);
}

TEST_CASE("cox treats times equal up to rounding as ties (R's timefix), with and without entry times") {
  const auto ref = survival_test::read_csv("timefix_cox.csv");
  struct spec {
    std::string fit, file, time, status, entry;
    std::vector<std::string> cov;
    survival::ties method;
  };
  const std::vector<spec> specs{
      {"aml_fuzz_efron", "data_timefix_aml.csv", "time_fuzz", "status", "", {"x"}, survival::ties::efron},
      {"aml_fuzz_breslow", "data_timefix_aml.csv", "time_fuzz", "status", "", {"x"}, survival::ties::breslow},
      {"heart_fuzz_efron", "data_timefix_heart.csv", "stop_fuzz", "event", "start_fuzz", {"age", "surgery", "transplant"}, survival::ties::efron}};
  for (const auto& sp : specs) {
    CAPTURE(sp.fit);
    cox_case cs;
    cs.file = sp.file;
    cs.time = sp.time;
    cs.status = sp.status;
    cs.entry = sp.entry;
    cs.covariates = sp.cov;
    auto d = prepare(cs);
    auto r = survival_test::filter(ref, {{"fit", sp.fit}});
    REQUIRE(r.rows.size() == 1);
    auto m = survival::cox(d.time, d.status, d.x, {.method = sp.method, .entry = d.entry});
    CHECK(close(m.log_likelihood, r.num(0, "loglik"), 1e-10));
    CHECK(close(m.concordance.concordance, r.num(0, "concordance"), 1e-10));
    const auto coef = words(r.str(0, "coef")), se = words(r.str(0, "se"));
    for (Eigen::Index c = 0; c < m.coef.size(); ++c) {
      CHECK(close(m.coef[c], std::stod(coef[static_cast<std::size_t>(c)]), 1e-8));
      CHECK(close(m.std_error[c], std::stod(se[static_cast<std::size_t>(c)]), 1e-8));
    }
    auto raw = survival::cox(d.time, d.status, d.x, {.method = sp.method, .entry = d.entry, .timefix = false});
    CHECK(!close(raw.log_likelihood, r.num(0, "loglik"), 1e-8));
    // residuals refit the model on the same merged times: the score residuals sum to U(beta) = 0
    auto res = survival::residuals(m, d.time, d.status, d.x, {.method = sp.method, .entry = d.entry});
    CHECK(res.score.colwise().sum().cwiseAbs().maxCoeff() < 1e-6);
  }
}

namespace cox_rows_test {

// max |a - b| relative to max(1, max |b|)
inline double rel_diff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return std::numeric_limits<double>::infinity();
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

}  // namespace cox_rows_test

TEST_CASE("the fit's row-order evaluation equals the sorted evaluation (strata, weights, offsets, entry, ties, sinks)") {
  // 400 random rows with whole-number times (many ties), a stratum without events, rows below each
  // stratum's first event time, a 0/1 column (not centred), a column with a large mean
  const std::size_t n = 400;
  vasostat::random_generator rng(2026);
  std::vector<double> whole(n), status(n), weights(n), offset(n), entry(n);
  std::vector<int> strata(n);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), 3);
  const int labels[4] = {0, 2, 5, 9};
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<Eigen::Index>(i);
    x(r, 0) = rng.normal();
    x(r, 1) = rng.uniform() < 0.4 ? 1.0 : 0.0;
    x(r, 2) = 1000 + 3 * rng.normal();
    strata[i] = labels[rng.below(4)];
    whole[i] = static_cast<double>(1 + rng.below(40));
    status[i] = strata[i] == 9 ? 0.0 : (rng.uniform() < 0.7 ? 1.0 : 0.0);
    weights[i] = 0.2 + 1.8 * rng.uniform();
    offset[i] = 0.3 * rng.normal();
    entry[i] = std::floor(whole[i] * rng.uniform() * 0.8);
  }
  std::vector<double> time_frac(n);  // the same ties, not whole numbers (the sorted grouping)
  for (std::size_t i = 0; i < n; ++i) time_frac[i] = whole[i] * 1.5 + 0.25;
  struct config {
    const char* name;
    bool strata, weights, offset, entry;
    survival::ties method;
  };
  const config configs[] = {{"plain efron", false, false, false, false, survival::ties::efron},
                            {"plain breslow", false, false, false, false, survival::ties::breslow},
                            {"strata weights offset efron", true, true, true, false, survival::ties::efron},
                            {"strata weights offset breslow", true, true, true, false, survival::ties::breslow},
                            {"entry strata efron", true, false, false, true, survival::ties::efron},
                            {"entry weights offset breslow", false, true, true, true, survival::ties::breslow}};
  for (int tv = 0; tv < 2; ++tv)
  for (const auto& cf : configs) {
    const std::vector<double>& time = tv == 0 ? whole : time_frac;
    const std::string name = std::string(cf.name) + (tv == 0 ? ", whole-number times" : ", non-integer times");
    CAPTURE(name);
    const std::span<const int> st = cf.strata ? std::span<const int>(strata) : std::span<const int>();
    const std::span<const double> wt = cf.weights ? std::span<const double>(weights) : std::span<const double>();
    const std::span<const double> off = cf.offset ? std::span<const double>(offset) : std::span<const double>();
    const std::span<const double> en = cf.entry ? std::span<const double>(entry) : std::span<const double>();
    auto s = survival::detail::make_cox_setup(time, status, x, en, st, wt, off, cf.method, nullptr, true);
    // the caller's sort (as cox() with non-integer times), and none (whole numbers: a table)
    survival::detail::cox_rows rows, rows_table;
    const auto asc = survival::detail::order_ascending(time);
    REQUIRE(survival::detail::make_cox_rows(rows, time, status, x, en, st, wt, off, cf.method, asc, nullptr));
    REQUIRE(survival::detail::make_cox_rows(rows_table, time, status, x, en, st, wt, off, cf.method, {}, nullptr));
    CHECK(rows_table.blk == rows.blk);
    CHECK(rows_table.blk_in == rows.blk_in);
    CHECK(rows_table.key == rows.key);
    CHECK(rows_table.nkeys == rows.nkeys);
    CHECK(rows_table.block_time == rows.block_time);
    CHECK(rows_table.block_wd == rows.block_wd);
    REQUIRE(rows.sink == s.blocks.size());
    CHECK(rows.stratum_block_begin == s.stratum_block_begin);
    CHECK(rows.n_events == doctest::Approx(s.n_events).epsilon(1e-14));
    CHECK((rows.center.array() == s.center.array()).all());
    CHECK((rows.scale.array() == s.scale.array()).all());
    for (std::size_t j = 0; j < s.blocks.size(); ++j) CHECK(rows.block_time[j] == s.blocks[j].time);
    // each row's first block and (entry) the block it leaves at, as the sorted set-up has them
    for (std::size_t k = 0; k < n; ++k) {
      const auto i = static_cast<std::size_t>(s.orig[k]);
      const std::size_t bend = static_cast<std::size_t>(s.stratum_block_begin[static_cast<std::size_t>(s.stratum_of[k]) + 1]);
      const auto want = static_cast<std::size_t>(s.blk_stop[k]);
      CHECK(rows.blk[i] == (want < bend ? want : rows.sink));
      if (cf.entry) {
        const auto want_in = static_cast<std::size_t>(s.blk_entry[k]);
        CHECK(rows.blk_in[i] == (want_in < bend ? want_in : rows.sink));
      }
    }
    if (!cf.entry) {
      const auto keys = survival::detail::cox_concordance_keys(s);
      CHECK(rows.key == keys.key);
      CHECK(rows.nkeys == keys.nkeys);
    }
    for (int trial = 0; trial < 3; ++trial) {
      Eigen::VectorXd beta(3);
      for (Eigen::Index c = 0; c < 3; ++c) beta[c] = trial == 0 ? 0.0 : 0.5 * rng.normal();
      const auto ev_s = survival::detail::cox_evaluate(s, beta, true);
      survival::detail::cox_eval ev_r;
      survival::detail::cox_evaluate_rows(rows, beta, true, ev_r);
      CHECK(ev_r.finite);
      CHECK(close(ev_r.loglik, ev_s.loglik, 1e-12));
      CHECK(cox_rows_test::rel_diff(ev_r.u, ev_s.u) < 1e-11);
      CHECK(cox_rows_test::rel_diff(ev_r.imat, ev_s.imat) < 1e-11);
      CHECK(cox_rows_test::rel_diff(ev_r.s0, ev_s.s0) < 1e-12);
      CHECK(cox_rows_test::rel_diff(ev_r.d0, ev_s.d0) < 1e-12);
      CHECK(cox_rows_test::rel_diff(ev_r.s1, ev_s.s1) < 1e-11);
      CHECK(cox_rows_test::rel_diff(ev_r.d1, ev_s.d1) < 1e-11);
      CHECK(cox_rows_test::rel_diff(ev_r.a, ev_s.a) < 1e-12);
      CHECK(cox_rows_test::rel_diff(ev_r.b, ev_s.b) < 1e-12);
      CHECK(cox_rows_test::rel_diff(ev_r.gamma, ev_s.gamma) < 1e-12);
      // per-row linear predictor and relative risk (rows as given vs sorted positions)
      double eta_err = 0, risk_err = 0;
      for (std::size_t k = 0; k < n; ++k) {
        const auto i = static_cast<Eigen::Index>(s.orig[k]);
        const auto kk = static_cast<Eigen::Index>(k);
        eta_err = std::max(eta_err, std::abs(ev_r.eta[i] - ev_s.eta[kk]));
        risk_err = std::max(risk_err, std::abs(ev_r.risk[i] - ev_s.risk[kk]) / ev_s.risk[kk]);
      }
      CHECK(eta_err < 1e-10);
      CHECK(risk_err < 1e-10);
    }
    // the fit itself (row order) against a Newton iteration on the sorted evaluation
    // (converged to a relative log-likelihood change of 1e-13, not coxph's 1e-9)
    survival::cox_options o{.method = cf.method, .strata = st, .weights = wt, .offset = off, .entry = en,
                            .max_iter = 50, .eps = 1e-13};
    const auto m = survival::cox(time, status, x, o);
    CHECK(m.converged);
    Eigen::VectorXd b = Eigen::VectorXd::Zero(3);
    for (int it = 0; it < 12; ++it) {
      const auto e = survival::detail::cox_evaluate(s, b, true);
      b += e.imat.ldlt().solve(e.u);
    }
    const auto e = survival::detail::cox_evaluate(s, b, true);
    CHECK(close(m.log_likelihood, e.loglik, 1e-12));
    for (Eigen::Index c = 0; c < 3; ++c) CHECK(close(m.coef[c], b[c] * s.scale[c], 1e-8));
    const Eigen::MatrixXd vs = e.imat.inverse();
    for (Eigen::Index c = 0; c < 3; ++c) CHECK(close(m.std_error[c], std::sqrt(vs(c, c)) * s.scale[c], 1e-8));
  }
}
