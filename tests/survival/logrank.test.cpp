#include <vasostat/core/random.hpp>
#include <vasostat/survival/logrank.hpp>

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
struct lr_case {
  std::string name, file, group, strata;
};
}  // namespace

TEST_CASE("logrank matches survdiff (rho 0, 0.5, 1; strata) and the trend test to 1e-10") {
  const std::vector<lr_case> cases = {
      {"lung_sex", "data_lung.csv", "sex", ""},
      {"lung_ecog", "data_lung.csv", "ph_ecog", ""},
      {"veteran_celltype", "data_veteran.csv", "celltype", ""},
      {"veteran_trt_strata", "data_veteran.csv", "trt", "celltype"},
      {"veteran_celltype_strata", "data_veteran.csv", "celltype", "prior"},
      {"ovarian_rx", "data_ovarian.csv", "rx", ""},
      {"ovarian_rx_strata", "data_ovarian.csv", "rx", "resid_ds"},
      {"aml_x", "data_aml.csv", "x", ""}};
  const auto ref = survival_test::read_csv("logrank.csv");
  const auto refoe = survival_test::read_csv("logrank_oe.csv");
  int compared = 0;
  for (const auto& cs : cases) {
    const auto data = survival_test::read_csv(cs.file);
    std::vector<double> time, status;
    std::vector<int> group, strata;
    for (std::size_t r = 0; r < data.rows.size(); ++r) {
      double g = data.num(r, cs.group);
      if (std::isnan(g)) continue;
      time.push_back(data.num(r, "time"));
      status.push_back(data.num(r, "status"));
      group.push_back(static_cast<int>(g));
      if (!cs.strata.empty()) strata.push_back(static_cast<int>(data.num(r, cs.strata)));
    }
    for (std::string rho : {"0", "1", "0.5"}) {
      CAPTURE(cs.name);
      CAPTURE(rho);
      auto row = survival_test::filter(ref, {{"case", cs.name}, {"rho", rho}});
      REQUIRE(row.rows.size() == 1);
      auto lr = survival::logrank(time, status, group, {.strata = strata, .rho = std::stod(rho)});
      CHECK(close(lr.chisq, row.num(0, "chisq"), 1e-10));
      CHECK(lr.df == static_cast<int>(row.num(0, "df")));
      CHECK(close(lr.p_value, row.num(0, "p"), 1e-9));
      CHECK(close(lr.trend_chisq, row.num(0, "trend_chisq"), 1e-10));
      CHECK(close(lr.trend_p_value, row.num(0, "trend_p"), 1e-9));
      auto oe = survival_test::filter(refoe, {{"case", cs.name}, {"rho", rho}});
      REQUIRE(oe.rows.size() == lr.group.size());
      for (std::size_t k = 0; k < lr.group.size(); ++k) {
        CHECK(lr.group[k] == static_cast<int>(oe.num(k, "group")));
        CHECK(lr.n[k] == oe.num(k, "n"));
        CHECK(close(lr.observed[k], oe.num(k, "observed"), 1e-10));
        CHECK(close(lr.expected[k], oe.num(k, "expected"), 1e-10));
        std::istringstream vr(oe.str(k, "var_row"));
        for (Eigen::Index l = 0; l < lr.variance.cols(); ++l) {
          std::string v;
          vr >> v;
          CHECK(std::abs(lr.variance(static_cast<Eigen::Index>(k), l) - std::stod(v)) <=
                1e-10 * std::abs(lr.variance(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k))));
        }
        ++compared;
      }
    }
  }
  CHECK(compared > 40);
}

TEST_CASE("logrank: lung by sex reproduces the published chi-squared 10.3 and O/E") {
  const auto data = survival_test::read_csv("data_lung.csv");
  auto lr = survival::logrank(data.column("time"), data.column("status"), data.int_column("sex"));
  CHECK(lr.chisq == doctest::Approx(10.3).epsilon(0.01));
  CHECK(lr.observed[0] == 112);
  CHECK(lr.expected[0] == doctest::Approx(91.6).epsilon(1e-3));
  CHECK(lr.test == "log-rank");
  // two groups: trend test is the same test
  CHECK(lr.trend_chisq == doctest::Approx(lr.chisq).epsilon(1e-12));
  // Fleming-Harrington gamma weights: G(0, 1) emphasises late differences; a valid statistic
  auto fh = survival::logrank(data.column("time"), data.column("status"), data.int_column("sex"),
                              {.gamma = 1});
  CHECK(fh.chisq > 0);
  CHECK(fh.test == "G(0, 1)");
}

TEST_CASE("logrank rejects bad input naming the argument") {
  std::vector<double> t{1, 2, 3, 4}, s{1, 0, 1, 1}, s0{0, 0, 0, 0}, t_neg{1, -2, 3, 4};
  std::vector<int> g{0, 1, 0, 1}, g1{2, 2, 2, 2}, g_neg{0, -1, 0, 1}, g_short{0, 1};
  std::vector<int> st_neg{0, 0, -3, 0};
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g1), doctest::Contains("group has fewer than 2"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s0, g), doctest::Contains("status has no events"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g_neg), doctest::Contains("group[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g_short), doctest::Contains("group.size()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t_neg, s, g), doctest::Contains("time[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g, {.strata = st_neg}), doctest::Contains("strata[2]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g, {.rho = -1}), doctest::Contains("rho"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::logrank(t, s, g, {.trend_scores = {1, 2, 3}}), doctest::Contains("trend_scores"), invalid_argument);
}

TEST_CASE("logrank treats times equal up to rounding as ties (R's timefix) and matches survdiff") {
  const auto ref = survival_test::read_csv("timefix_logrank.csv");
  const auto aml = survival_test::read_csv("data_timefix_aml.csv");
  const auto s = aml.column("status");
  const auto g = aml.int_column("x");
  for (std::string col : {"time", "time_fuzz"}) {
    CAPTURE(col);
    const auto t = aml.column(col);
    auto r = survival_test::filter(ref, {{"time", col}});
    REQUIRE(r.rows.size() == 1);
    auto lr = survival::logrank(t, s, g);
    CHECK(close(lr.chisq, r.num(0, "chisq"), 1e-10));
    std::istringstream ex(r.str(0, "expected"));
    for (double e : lr.expected) {
      std::string v;
      ex >> v;
      CHECK(close(e, std::stod(v), 1e-10));
    }
    if (col == "time_fuzz") {
      auto raw = survival::logrank(t, s, g, {.timefix = false});
      CHECK(!close(raw.chisq, r.num(0, "chisq"), 1e-6));
    }
  }
}

TEST_CASE("logrank: whole-number times (counted without a sort) equal the sorted sweep exactly") {
  // a single stratum label forces the sorted sweep; no strata counts per (day, group)
  vasostat::random_generator rng(12);
  for (double offset : {0.0, 1e9}) {  // 1e9: timefix merges neighbouring days, both sort
    CAPTURE(offset);
    const std::size_t n = 3000;
    std::vector<double> t(n), s(n);
    std::vector<int> g(n), one(n, 4);
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = offset + std::ceil(-std::log(1 - rng.uniform()) * 200);
      s[i] = rng.uniform() < 0.7 ? 1 : 0;
      g[i] = 1 + static_cast<int>(rng.below(3));
    }
    for (double rho : {0.0, 1.0}) {
      auto a = survival::logrank(t, s, g, {.rho = rho});
      auto b = survival::logrank(t, s, g, {.strata = one, .rho = rho});
      CHECK(a.observed == b.observed);
      CHECK(a.expected == b.expected);
      CHECK(a.variance == b.variance);
      CHECK(a.chisq == b.chisq);
      CHECK(a.trend_statistic == b.trend_statistic);
    }
  }
}

namespace lr_sweep {
// The sorted sweep (stable sort by time, runs of equal times): the reference for logrank's
// one-stratum sweep. Returns observed, expected and the variance matrix in row order.
std::vector<double> reference(const std::vector<double>& time, const std::vector<double>& status,
                              const std::vector<int>& group, double rho, bool timefix) {
  const std::size_t n = time.size();
  auto codes = survival::detail::encode_labels(group, n);
  const std::size_t k = codes.labels.size();
  std::vector<std::uint64_t> bits;
  const auto asc = survival::detail::order_ascending(time, &bits);
  std::vector<double> fixed;
  const std::vector<double>& t = timefix && survival::detail::timefix_from_order(n, asc, bits, fixed) ? fixed : time;
  std::vector<std::size_t> ord(n);
  for (std::size_t i = 0; i < n; ++i) ord[i] = i;
  std::stable_sort(ord.begin(), ord.end(), [&](std::size_t a, std::size_t b) { return time[a] < time[b]; });
  std::vector<double> obs(k, 0.0), exp(k, 0.0), var(k * k, 0.0), at_risk(k, 0.0), deaths(k);
  for (int c : codes.code) at_risk[static_cast<std::size_t>(c)] += 1;
  double n_total = static_cast<double>(n), km = 1;
  for (std::size_t j = 0; j < n;) {
    const double tj = t[ord[j]];
    std::fill(deaths.begin(), deaths.end(), 0.0);
    double d = 0, leaving = 0;
    std::size_t e = j;
    for (; e < n && t[ord[e]] == tj; ++e) {
      if (status[ord[e]] == 1) {
        deaths[static_cast<std::size_t>(codes.code[ord[e]])] += 1;
        d += 1;
      }
      leaving += 1;
    }
    if (d > 0) {
      double wt = 1;
      if (rho != 0) wt *= std::pow(km, rho);
      const double vfac = n_total > 1 ? wt * wt * d * (n_total - d) / (n_total - 1) : 0.0;
      for (std::size_t a = 0; a < k; ++a) {
        const double pa = at_risk[a] / n_total;
        obs[a] += wt * deaths[a];
        exp[a] += wt * d * pa;
        if (vfac == 0 || pa == 0) continue;
        var[a * k + a] += vfac * pa * (1 - pa);
        for (std::size_t b = a + 1; b < k; ++b) {
          const double v = vfac * pa * (at_risk[b] / n_total);
          var[a * k + b] -= v;
          var[b * k + a] -= v;
        }
      }
      km *= 1 - d / n_total;
    }
    for (std::size_t q = j; q < e; ++q) at_risk[static_cast<std::size_t>(codes.code[ord[q]])] -= 1;
    n_total -= leaving;
    j = e;
  }
  std::vector<double> out = obs;
  out.insert(out.end(), exp.begin(), exp.end());
  out.insert(out.end(), var.begin(), var.end());
  return out;
}
}  // namespace lr_sweep

TEST_CASE("logrank: the one-stratum sweep equals the sorted sweep bit for bit (ties, no ties, timefix)") {
  vasostat::random_generator rng(32);
  for (int kind = 0; kind < 3; ++kind) {
    CAPTURE(kind);
    const std::size_t n = 4000;
    std::vector<double> t(n), s(n);
    std::vector<int> g(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double e = -std::log(1 - rng.uniform()) * 300;
      if (kind == 0) t[i] = std::ceil(e) - 0.25;  // many ties, not whole numbers
      if (kind == 1) t[i] = e;                    // no ties
      if (kind == 2) t[i] = (std::ceil(e / 7) * 7 / 3) * (i % 2 ? 1 : 1 + 4e-16);  // timefix merges
      s[i] = rng.uniform() < 0.7 ? 1 : 0;
      g[i] = 1 + static_cast<int>(rng.below(3));
    }
    for (double rho : {0.0, 1.0})
      for (bool fix : {true, false}) {
        CAPTURE(rho);
        CAPTURE(fix);
        const auto ref = lr_sweep::reference(t, s, g, rho, fix);
        const auto lr = survival::logrank(t, s, g, {.rho = rho, .timefix = fix});
        std::vector<double> got = lr.observed;
        got.insert(got.end(), lr.expected.begin(), lr.expected.end());
        for (Eigen::Index a = 0; a < lr.variance.rows(); ++a)
          for (Eigen::Index b = 0; b < lr.variance.cols(); ++b) got.push_back(lr.variance(a, b));
        CHECK(got == ref);
      }
  }
}

namespace lr_both {
bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}
}  // namespace lr_both

TEST_CASE("kaplan_meier_logrank (one shared sort) equals kaplan_meier and logrank called alone") {
  vasostat::random_generator rng(33);
  for (int kind = 0; kind < 5; ++kind) {
    CAPTURE(kind);
    const std::size_t n = 2000;
    std::vector<double> t(n), s(n), w(n);
    std::vector<int> g(n), st(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double e = -std::log(1 - rng.uniform()) * 300;
      t[i] = kind == 1 ? std::ceil(e) - 0.25 : (kind == 3 && i % 100 == 0 ? 0.0 : e);  // kind 3: zero times (no packing)
      if (kind == 4) t[i] = std::ceil(e / 7) * 7 / 3 * (i % 2 ? 1 : 1 + 4e-16);          // timefix merges
      s[i] = rng.uniform() < 0.65 ? 1 : 0;
      w[i] = 0.5 + rng.uniform();
      g[i] = 3 + 2 * static_cast<int>(rng.below(kind == 2 ? 4 : 2));
      st[i] = static_cast<int>(rng.below(2));
    }
    for (int variant = 0; variant < 3; ++variant) {
      CAPTURE(variant);
      survival::kaplan_meier_options ko{.conf = survival::conf_type::log_log};
      survival::logrank_options lo{.rho = variant == 1 ? 1.0 : 0.0};
      if (variant == 2) {
        ko.weights = w;  // no sharing: both sort alone
        lo.strata = st;
      }
      const auto both = survival::kaplan_meier_logrank(t, s, g, ko, lo);
      ko.group = g;
      const auto km = survival::kaplan_meier(t, s, ko);
      const auto lr = survival::logrank(t, s, g, lo);
      CHECK(both.logrank.observed == lr.observed);
      CHECK(both.logrank.expected == lr.expected);
      CHECK(both.logrank.variance == lr.variance);
      CHECK(both.logrank.chisq == lr.chisq);
      CHECK(both.logrank.p_value == lr.p_value);
      REQUIRE(both.km.curves.size() == km.curves.size());
      for (std::size_t c = 0; c < km.curves.size(); ++c) {
        const auto& a = both.km.curves[c];
        const auto& b = km.curves[c];
        CHECK(a.group == b.group);
        CHECK(a.n == b.n);
        CHECK(a.events == b.events);
        for (auto col : {&survival::km_curve::time, &survival::km_curve::n_risk, &survival::km_curve::n_event,
                         &survival::km_curve::n_censor, &survival::km_curve::surv, &survival::km_curve::std_err,
                         &survival::km_curve::lower, &survival::km_curve::upper, &survival::km_curve::cumhaz,
                         &survival::km_curve::quantile, &survival::km_curve::quantile_lower,
                         &survival::km_curve::quantile_upper})
          CHECK(lr_both::same(a.*col, b.*col));
        CHECK(lr_both::same({a.median, a.median_lower, a.median_upper}, {b.median, b.median_lower, b.median_upper}));
      }
    }
  }
  // bad input is rejected as the two functions reject it
  std::vector<double> t{1, 2, 3}, s{1, 0, 2};
  std::vector<int> g{0, 1, 0};
  CHECK_THROWS_AS((void)survival::kaplan_meier_logrank(t, s, g), vasostat::invalid_argument);
}
