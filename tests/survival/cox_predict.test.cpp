#include <vasostat/core/random.hpp>
#include <vasostat/survival/cox_predict.hpp>
#include <vasostat/survival/proportional_hazards_test.hpp>

#include <doctest/doctest.h>
#include <support/survival_csv.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

using namespace vasostat;
using survival_test::close;

namespace {

struct fit_case {
  std::string name, file;
  std::vector<std::string> cov;
  survival::ties method;
  std::string strata, weights, entry, time, status;
  std::vector<double> newx;
};

struct data_set {
  std::vector<double> time, status, entry, weights;
  std::vector<int> strata;
  Eigen::MatrixXd x;
};

data_set load(const fit_case& fc) {
  const auto d = survival_test::read_csv(fc.file);
  data_set out;
  const auto n = static_cast<Eigen::Index>(d.rows.size());
  out.x.resize(n, static_cast<Eigen::Index>(fc.cov.size()));
  for (std::size_t r = 0; r < d.rows.size(); ++r) {
    for (std::size_t c = 0; c < fc.cov.size(); ++c)
      out.x(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = d.num(r, fc.cov[c]);
    out.time.push_back(d.num(r, fc.time));
    out.status.push_back(d.num(r, fc.status));
    if (!fc.entry.empty()) out.entry.push_back(d.num(r, fc.entry));
    if (!fc.weights.empty()) out.weights.push_back(d.num(r, fc.weights));
    if (!fc.strata.empty()) out.strata.push_back(static_cast<int>(d.num(r, fc.strata)));
  }
  return out;
}

std::vector<fit_case> fit_cases() {
  using survival::ties;
  return {
      {"lung_efron", "data_lung_cc.csv", {"age", "sex", "ph_ecog"}, ties::efron, "", "", "", "time", "status", {60, 1, 1}},
      {"lung_breslow", "data_lung_cc.csv", {"age", "sex", "ph_ecog"}, ties::breslow, "", "", "", "time", "status", {70, 2, 2}},
      {"lung_strata", "data_lung_cc.csv", {"age", "ph_ecog"}, ties::efron, "sex", "", "", "time", "status", {60, 1}},
      {"lung_weighted", "data_lung_cc.csv", {"age", "sex", "ph_ecog"}, ties::efron, "", "w", "", "time", "status", {55, 2, 0}},
      {"heart_efron", "data_heart.csv", {"age", "year", "surgery", "transplant"}, ties::efron, "", "", "start", "stop", "event", {-5, 2, 1, 0}},
  };
}

std::vector<double> parse_row(const std::string& s) {
  std::istringstream in(s);
  std::vector<double> out;
  std::string v;
  while (in >> v) out.push_back(survival_test::table::to_num(v));
  return out;
}

}  // namespace

TEST_CASE("residuals match residuals.coxph: martingale, deviance, score, dfbeta, Schoenfeld, scaled") {
  const auto ref = survival_test::read_csv("cox_resid.csv");
  for (const auto& fc : fit_cases()) {
    CAPTURE(fc.name);
    auto d = load(fc);
    survival::cox_options o{.method = fc.method, .strata = d.strata, .weights = d.weights, .entry = d.entry};
    auto m = survival::cox(d.time, d.status, d.x, o);
    auto res = survival::residuals(m, d.time, d.status, d.x, o);
    auto rows = survival_test::filter(ref, {{"fit", fc.name}});
    REQUIRE(rows.rows.size() == static_cast<std::size_t>(d.x.rows()));
    for (std::size_t r = 0; r < rows.rows.size(); ++r) {
      const auto i = static_cast<Eigen::Index>(r);
      CHECK(close(res.martingale[i], rows.num(r, "martingale"), 1e-7));
      CHECK(close(res.deviance[i], rows.num(r, "deviance"), 1e-7));
      auto sc = parse_row(rows.str(r, "score"));
      auto db = parse_row(rows.str(r, "dfbeta"));
      for (Eigen::Index c = 0; c < d.x.cols(); ++c) {
        CHECK(std::abs(res.score(i, c) - sc[static_cast<std::size_t>(c)]) <= 1e-7 * (1 + std::abs(sc[static_cast<std::size_t>(c)])));
        CHECK(std::abs(res.dfbeta(i, c) - db[static_cast<std::size_t>(c)]) <= 1e-7 * std::sqrt(m.naive_covariance(c, c)));
      }
    }
    auto sch = survival_test::filter(ref, {{"fit", fc.name + "_schoenfeld"}});
    REQUIRE(sch.rows.size() == static_cast<std::size_t>(res.schoenfeld.rows()));
    for (std::size_t r = 0; r < sch.rows.size(); ++r) {
      const auto i = static_cast<Eigen::Index>(r);
      CHECK(res.schoenfeld_time[r] == sch.num(r, "martingale"));
      auto a = parse_row(sch.str(r, "score"));
      auto b = parse_row(sch.str(r, "dfbeta"));
      for (Eigen::Index c = 0; c < d.x.cols(); ++c) {
        CHECK(std::abs(res.schoenfeld(i, c) - a[static_cast<std::size_t>(c)]) <= 1e-7 * (1 + std::abs(a[static_cast<std::size_t>(c)])));
        CHECK(std::abs(res.scaled_schoenfeld(i, c) - b[static_cast<std::size_t>(c)]) <= 1e-7 * (1 + std::abs(b[static_cast<std::size_t>(c)])));
      }
    }
  }
}

TEST_CASE("predict_survival matches survfit.coxph at the means and at new covariates") {
  const auto ref = survival_test::read_csv("cox_survfit.csv");
  for (const auto& fc : fit_cases()) {
    CAPTURE(fc.name);
    auto d = load(fc);
    survival::cox_options o{.method = fc.method, .strata = d.strata, .weights = d.weights, .entry = d.entry};
    auto m = survival::cox(d.time, d.status, d.x, o);
    for (std::string which : {"mean", "new"}) {
      CAPTURE(which);
      Eigen::VectorXd z = which == "mean" ? m.means : Eigen::Map<const Eigen::VectorXd>(fc.newx.data(), static_cast<Eigen::Index>(fc.newx.size())).eval();
      auto curves = survival::predict_survival(m, d.time, d.status, d.x, z, o);
      auto rows = survival_test::filter(ref, {{"fit", fc.name}, {"curve", which}});
      std::size_t r = 0;
      for (const auto& c : curves) {
        // survfit(fit, newdata) of a stratified fit gives the curve of newdata's stratum (sex = 1)
        if (fc.name == "lung_strata" && which == "new" && c.stratum != 1) continue;
        for (std::size_t k = 0; k < c.time.size(); ++k, ++r) {
          REQUIRE(r < rows.rows.size());
          CAPTURE(c.time[k]);
          CHECK(c.time[k] == rows.num(r, "time"));
          CHECK(close(c.n_risk[k], rows.num(r, "n_risk"), 1e-12));
          CHECK(close(c.n_event[k], rows.num(r, "n_event"), 1e-12));
          CHECK(close(c.cumhaz[k], rows.num(r, "cumhaz"), 1e-8));
          CHECK(close(c.surv[k], rows.num(r, "surv"), 1e-8));
          CHECK(close(c.std_err[k], rows.num(r, "std_err"), 1e-7));
          CHECK(close(c.lower[k], rows.num(r, "lower"), 1e-7));
          CHECK(close(c.upper[k], rows.num(r, "upper"), 1e-7));
        }
      }
      CHECK(r == rows.rows.size());
    }
  }
}

TEST_CASE("proportional_hazards_test matches cox.zph (exact score test; km, rank, identity)") {
  const auto ref = survival_test::read_csv("cox_zph.csv");
  const std::vector<std::pair<std::string, survival::time_transform>> transforms = {
      {"km", survival::time_transform::km},
      {"rank", survival::time_transform::rank},
      {"identity", survival::time_transform::identity}};
  for (const auto& fc : fit_cases()) {
    CAPTURE(fc.name);
    auto d = load(fc);
    survival::cox_options o{.method = fc.method, .strata = d.strata, .weights = d.weights, .entry = d.entry, .names = fc.cov};
    auto m = survival::cox(d.time, d.status, d.x, o);
    for (const auto& [tname, tr] : transforms) {
      CAPTURE(tname);
      auto z = survival::proportional_hazards_test(m, d.time, d.status, d.x, o, {.transform = tr});
      auto rows = survival_test::filter(ref, {{"fit", fc.name}, {"transform", tname}});
      REQUIRE(rows.rows.size() == fc.cov.size() + 1);
      for (std::size_t c = 0; c < fc.cov.size(); ++c) {
        CHECK(rows.str(c, "term") == fc.cov[c]);
        CHECK(close(z.chisq[static_cast<Eigen::Index>(c)], rows.num(c, "chisq"), 1e-6));
        CHECK(z.df[static_cast<Eigen::Index>(c)] == static_cast<int>(rows.num(c, "df")));
        CHECK(close(z.p_value[static_cast<Eigen::Index>(c)], rows.num(c, "p"), 1e-6));
      }
      CHECK(close(z.global_chisq, rows.num(fc.cov.size(), "chisq"), 1e-6));
      CHECK(z.global_df == static_cast<int>(rows.num(fc.cov.size(), "df")));
    }
  }
}

TEST_CASE("post-fit functions and concordance reject bad input naming the argument") {
  std::vector<double> t{1, 2, 3, 4, 5}, s{1, 0, 1, 1, 0};
  Eigen::MatrixXd x(5, 1);
  x << 0.3, 0.1, 0.9, 0.4, 0.5;
  auto m = survival::cox(t, s, x);
  Eigen::MatrixXd x2(5, 2);
  x2.setOnes();
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)survival::residuals(m, t, s, x2), doctest::Contains("X.cols()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::predict_survival(m, t, s, x, Eigen::VectorXd::Zero(2)), doctest::Contains("x.size()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::predict_survival(m, t, s, x, m.means, {}, {.conf_level = 2}), doctest::Contains("conf_level"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::proportional_hazards_test(m, t, s, x2), doctest::Contains("X.cols()"), invalid_argument);
  std::vector<double> sc{1, std::nan(""), 2, 3, 4}, sc_short{1, 2};
  CHECK_THROWS_WITH_AS((void)survival::concordance(t, s, sc), doctest::Contains("score[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::concordance(t, s, sc_short), doctest::Contains("score.size()"), invalid_argument);
  // a standalone concordance equals the one reported by the fit
  Eigen::VectorXd lp = x * m.coef;
  auto c = survival::concordance(t, s, std::span<const double>(lp.data(), 5));
  CHECK(c.concordance == doctest::Approx(m.concordance.concordance).epsilon(1e-14));
}

namespace cox_predict_test {

// Pair-by-pair weighted counts as R's concordance defines them (O(n^2)).
survival::concordance_result brute_force_concordance(const std::vector<double>& t, const std::vector<double>& s,
                                                     const std::vector<double>& sc, const std::vector<double>& w,
                                                     const std::vector<int>& st, bool reverse) {
  survival::concordance_result r;
  const std::size_t n = t.size();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j || s[i] != 1 || (!st.empty() && st[i] != st[j])) continue;
      const double ww = (w.empty() ? 1.0 : w[i] * w[j]);
      if (t[i] == t[j] && s[j] == 1) {
        if (i < j) (sc[i] == sc[j] ? r.tied_xy : r.tied_y) += ww;
        continue;
      }
      if (t[i] < t[j] || (t[i] == t[j] && s[j] == 0)) {
        const double d = reverse ? sc[i] - sc[j] : sc[j] - sc[i];
        (d > 0 ? r.concordant : d < 0 ? r.discordant : r.tied_x) += ww;
      }
    }
  return r;
}

}  // namespace cox_predict_test

TEST_CASE("the radix/bucket sort is a stable ascending order for ties, clusters, outliers and signed zeros") {
  vasostat::random_generator rng(11);
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{70}, std::size_t{5000}}) {
    for (int kind = 0; kind < 9; ++kind) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) {
        switch (kind) {
          case 0: v[i] = rng.normal(); break;                                        // a few keys per bucket
          case 1: v[i] = std::ceil(rng.uniform() * 50); break;                       // integer times, heavy ties
          case 2: v[i] = i % 2 ? 1e-9 : 0.0; break;                                  // two values in one bucket
          case 3: v[i] = i % 3 == 0 ? -0.0 : (i % 3 == 1 ? 0.0 : -1.5); break;       // signed zeros tie
          case 4: v[i] = i == n / 2 ? 1e300 : rng.normal(); break;                  // far outlier: radix fallback
          case 5: v[i] = std::floor(rng.uniform() * 40) * (i % 7 == 0 ? 1 : 1.0000001); break;  // unsorted big buckets
          case 6: v[i] = -std::log(1 - rng.uniform()) * 365; break;                 // positive, many binades: log buckets
          case 7: v[i] = std::ceil(-std::log(1 - rng.uniform()) * 30) - (i % 3 ? 0.5 : 0.0); break;  // log buckets, ties
          default: v[i] = std::exp(20 * rng.uniform()) * (i % 5 ? 1 : 1 + 1e-15); break;  // e^0..e^20, near-ties
        }
      }
      std::vector<std::size_t> ref(n);
      for (std::size_t i = 0; i < n; ++i) ref[i] = i;
      std::stable_sort(ref.begin(), ref.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
      std::vector<std::uint64_t> bits;
      const auto got = survival::detail::order_ascending(v, &bits);
      CHECK(got == ref);
      bool keys_ok = bits.size() == n;
      for (std::size_t k = 0; k < n && keys_ok; ++k) keys_ok = bits[k] == survival::detail::sort_key_bits(v[got[k]]);
      CHECK(keys_ok);
      // the same order carrying a payload instead of the index
      std::vector<std::uint32_t> payload(n), want(n);
      for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint32_t>(rng.below(1000));
      for (std::size_t k = 0; k < n; ++k) want[k] = payload[ref[k]];
      std::vector<std::uint64_t> pbits;
      CHECK(survival::detail::sort_payload_ascending(v, payload, pbits) == want);
      CHECK(pbits == bits);
    }
  }
}

TEST_CASE("concordance of right-censored data equals pair-by-pair counting and the counting-process (entry-time) path") {
  vasostat::random_generator rng(5);
  for (int trial = 0; trial < 24; ++trial) {
    const std::size_t n = 40 + rng.below(400);
    const bool weighted = trial % 3 == 1, stratified = trial % 4 == 2, clustered = trial % 5 == 3, reverse = trial % 6 != 5;
    std::vector<double> t(n), s(n), sc(n), w, entry(n, 0.0);
    std::vector<int> st, cl(n);
    if (weighted) w.resize(n);
    if (stratified) st.resize(n);
    const auto times = 1 + rng.below(trial % 2 ? 8 : 200);
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = 1.0 + static_cast<double>(rng.below(times));
      s[i] = rng.uniform() < 0.6 ? 1 : 0;
      sc[i] = trial % 2 ? static_cast<double>(rng.below(6)) : rng.normal();  // tied and untied scores
      if (weighted) w[i] = trial % 2 ? 1.0 + static_cast<double>(rng.below(3)) : 0.1 + rng.uniform();
      if (stratified) st[i] = static_cast<int>(rng.below(3));
      cl[i] = static_cast<int>(rng.below(30));
    }
    survival::concordance_options o{.strata = st, .weights = w, .reverse = reverse};
    if (clustered) o.cluster = cl;
    const auto a = survival::concordance(t, s, sc, o);
    const auto bf = cox_predict_test::brute_force_concordance(t, s, sc, w, st, reverse);
    CHECK(close(a.concordant, bf.concordant, 1e-12));
    CHECK(close(a.discordant, bf.discordant, 1e-12));
    CHECK(close(a.tied_x, bf.tied_x, 1e-12));
    CHECK(close(a.tied_y, bf.tied_y, 1e-12));
    CHECK(close(a.tied_xy, bf.tied_xy, 1e-12));
    o.entry = entry;  // (0, t] rows: the other algorithm, same pairs, same jackknife
    const auto b = survival::concordance(t, s, sc, o);
    CHECK(close(a.concordance, b.concordance, 1e-13));
    CHECK(close(a.std_error, b.std_error, 1e-10));
  }
}
