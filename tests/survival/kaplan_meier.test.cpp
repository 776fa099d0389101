#include <vasostat/core/random.hpp>
#include <vasostat/survival/kaplan_meier.hpp>

#include <doctest/doctest.h>
#include <support/survival_csv.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace vasostat;
using survival_test::close;

namespace {

struct km_case {
  std::string name, file, group, weight;
  bool drop_na_group = false;
};

survival::conf_type parse_conf(const std::string& s) {
  if (s == "log") return survival::conf_type::log;
  if (s == "log-log") return survival::conf_type::log_log;
  return survival::conf_type::plain;
}

}  // namespace

TEST_CASE("kaplan_meier matches survfit and quantile.survfit on lung, veteran, ovarian, aml to 1e-10") {
  const std::vector<km_case> cases = {
      {"lung_all", "data_lung.csv", "", ""},         {"lung_sex", "data_lung.csv", "sex", ""},
      {"lung_ecog", "data_lung.csv", "ph_ecog", "", true},
      {"veteran_celltype", "data_veteran.csv", "celltype", ""},
      {"veteran_trt", "data_veteran.csv", "trt", ""}, {"ovarian_rx", "data_ovarian.csv", "rx", ""},
      {"aml_x", "data_aml.csv", "x", ""},            {"flat", "data_flat.csv", "", ""},
      {"lung_weighted", "data_lung.csv", "sex", "inst"}};
  const auto ref = survival_test::read_csv("km.csv");
  const auto refq = survival_test::read_csv("km_quantiles.csv");
  int compared = 0;
  for (const auto& cs : cases) {
    const auto data = survival_test::read_csv(cs.file);
    std::vector<double> time, status, weight;
    std::vector<int> group;
    for (std::size_t r = 0; r < data.rows.size(); ++r) {
      double g = cs.group.empty() ? 0 : data.num(r, cs.group);
      if (std::isnan(g)) continue;
      if (!cs.weight.empty()) {
        double w = data.num(r, cs.weight);
        if (std::isnan(w) || w <= 0) continue;
        weight.push_back(w);
      }
      time.push_back(data.num(r, "time"));
      status.push_back(data.num(r, "status"));
      group.push_back(static_cast<int>(g));
    }
    for (std::string ct : {"log", "log-log", "plain"}) {
      for (std::string cl : {"0.95", "0.9"}) {
        auto rows = survival_test::filter(ref, {{"case", cs.name}, {"conf_type", ct}, {"conf_level", cl}});
        if (rows.rows.empty()) continue;
        CAPTURE(cs.name);
        CAPTURE(ct);
        CAPTURE(cl);
        auto km = survival::kaplan_meier(
            time, status,
            {.group = group, .weights = weight, .conf = parse_conf(ct), .conf_level = std::stod(cl),
             .quantiles = {0.1, 0.25, 0.5, 0.75, 0.9}});
        std::size_t r = 0;
        for (const auto& c : km.curves) {
          for (std::size_t i = 0; i < c.time.size(); ++i, ++r) {
            REQUIRE(r < rows.rows.size());
            CAPTURE(c.time[i]);
            CHECK(rows.num(r, "group") == c.group);
            CHECK(rows.num(r, "time") == c.time[i]);
            CHECK(close(c.n_risk[i], rows.num(r, "n_risk"), 1e-12));
            CHECK(close(c.n_event[i], rows.num(r, "n_event"), 1e-12));
            CHECK(close(c.n_censor[i], rows.num(r, "n_censor"), 1e-12));
            CHECK(close(c.surv[i], rows.num(r, "surv"), 1e-10));
            CHECK(close(c.std_err_log[i], rows.num(r, "std_err"), 1e-10));
            CHECK(close(c.lower[i], rows.num(r, "lower"), 1e-10));
            CHECK(close(c.upper[i], rows.num(r, "upper"), 1e-10));
            CHECK(close(c.cumhaz[i], rows.num(r, "cumhaz"), 1e-10));
            ++compared;
          }
          auto qrows = survival_test::filter(
              refq, {{"case", cs.name}, {"conf_type", ct}, {"conf_level", cl},
                     {"group", std::to_string(c.group)}});
          REQUIRE(qrows.rows.size() == c.quantile.size());
          for (std::size_t j = 0; j < c.quantile.size(); ++j) {
            CAPTURE(c.quantile_prob[j]);
            CHECK(close(c.quantile[j], qrows.num(j, "quantile"), 1e-12));
            CHECK(close(c.quantile_lower[j], qrows.num(j, "lower"), 1e-12));
            CHECK(close(c.quantile_upper[j], qrows.num(j, "upper"), 1e-12));
            if (c.quantile_prob[j] == 0.5) {
              CHECK(close(c.median, qrows.num(j, "quantile"), 1e-12));
              CHECK(close(c.median_lower, qrows.num(j, "lower"), 1e-12));
              CHECK(close(c.median_upper, qrows.num(j, "upper"), 1e-12));
            }
          }
        }
        CHECK(r == rows.rows.size());
      }
    }
  }
  CHECK(compared > 3000);
}

TEST_CASE("kaplan_meier on the Therneau-Grambsch test1 data") {
  std::vector<double> time{1, 1, 6, 6, 8, 9}, status{1, 0, 1, 1, 0, 1};
  auto km = survival::kaplan_meier(time, status);
  REQUIRE(km.curves.size() == 1);
  const auto& c = km.curves[0];
  REQUIRE(c.time.size() == 4);
  CHECK(c.surv[0] == doctest::Approx(5.0 / 6));
  CHECK(c.surv[1] == doctest::Approx(5.0 / 6 * 2.0 / 4));
  CHECK(c.surv[3] == 0.0);
  CHECK(c.lower[0] == doctest::Approx(0.583).epsilon(1e-3));
  CHECK(c.upper[0] == 1.0);
  CHECK(std::isnan(c.lower[3]));
  CHECK(c.median == 6.0);
  CHECK(c.n == 6.0);
  CHECK(c.events == 4.0);
}

TEST_CASE("kaplan_meier rejects bad input naming the argument") {
  std::vector<double> t{1, 2, 3}, s{1, 0, 1};
  std::vector<double> t_short{1, 2};
  std::vector<double> t_neg{1, -2, 3}, t_nan{1, std::nan(""), 3}, s_bad{1, 2, 0};
  std::vector<double> w_neg{1, -1, 1}, w_short{1};
  std::vector<int> g_neg{0, -1, 1}, g_short{0};
  using vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t_short, s), doctest::Contains("status.size()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(std::vector<double>{}, std::vector<double>{}), doctest::Contains("time is empty"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t_neg, s), doctest::Contains("time[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t_nan, s), doctest::Contains("time[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s_bad), doctest::Contains("status[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.weights = w_neg}), doctest::Contains("weights[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.weights = w_short}), doctest::Contains("weights.size()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.group = g_neg}), doctest::Contains("group[1]"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.group = g_short}), doctest::Contains("group.size()"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.conf_level = 1.0}), doctest::Contains("conf_level"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.conf_level = 0.0}), doctest::Contains("conf_level"), invalid_argument);
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t, s, {.quantiles = {1.5}}), doctest::Contains("quantiles"), invalid_argument);
}

TEST_CASE("kaplan_meier with entry times and timefix matches survfit(Surv(entry, time, status)) to 1e-10") {
  const auto cases = survival_test::read_csv("km_entry_cases.csv");
  const auto ref = survival_test::read_csv("km_entry.csv");
  REQUIRE(cases.rows.size() >= 6);
  for (std::size_t k = 0; k < cases.rows.size(); ++k) {
    const std::string name = cases.str(k, "case");
    CAPTURE(name);
    const auto data = survival_test::read_csv(cases.str(k, "file"));
    const std::vector<double> time = data.column(cases.str(k, "time")), status = data.column(cases.str(k, "status"));
    const std::vector<double> entry = cases.str(k, "entry").empty() ? std::vector<double>{} : data.column(cases.str(k, "entry"));
    const std::vector<double> weights = cases.str(k, "weights").empty() ? std::vector<double>{} : data.column(cases.str(k, "weights"));
    const std::vector<int> group = data.int_column(cases.str(k, "group"));
    for (std::string ct : {"log", "log-log"}) {
      CAPTURE(ct);
      auto rows = survival_test::filter(ref, {{"case", name}, {"conf_type", ct}});
      auto km = survival::kaplan_meier(time, status, {.group = group, .weights = weights, .entry = entry, .conf = parse_conf(ct)});
      std::size_t r = 0;
      for (const auto& c : km.curves) {
        for (std::size_t i = 0; i < c.time.size(); ++i, ++r) {
          REQUIRE(r < rows.rows.size());
          CAPTURE(c.time[i]);
          CHECK(rows.num(r, "group") == c.group);
          CHECK(rows.num(r, "time") == c.time[i]);
          CHECK(close(c.n_risk[i], rows.num(r, "n_risk"), 1e-12));
          CHECK(close(c.n_event[i], rows.num(r, "n_event"), 1e-12));
          CHECK(close(c.n_censor[i], rows.num(r, "n_censor"), 1e-12));
          CHECK(close(c.surv[i], rows.num(r, "surv"), 1e-10));
          CHECK(close(c.std_err_log[i], rows.num(r, "std_err"), 1e-10));
          CHECK(close(c.lower[i], rows.num(r, "lower"), 1e-10));
          CHECK(close(c.upper[i], rows.num(r, "upper"), 1e-10));
          CHECK(close(c.cumhaz[i], rows.num(r, "cumhaz"), 1e-10));
          CHECK(close(c.median, rows.num(r, "median"), 1e-12));
        }
      }
      CHECK(r == rows.rows.size());
    }
  }
  // without timefix the perturbed times stay distinct: more rows than R reports
  const auto aml = survival_test::read_csv("data_timefix_aml.csv");
  const auto t = aml.column("time_fuzz"), s = aml.column("status");
  const auto g = aml.int_column("x");
  auto fixed = survival::kaplan_meier(t, s, {.group = g});
  auto raw = survival::kaplan_meier(t, s, {.group = g, .timefix = false});
  CHECK(raw.curves[0].time.size() + raw.curves[1].time.size() >
        fixed.curves[0].time.size() + fixed.curves[1].time.size());
  // 0.1 * 3 and 0.3 are one time; an entry equal to its exit up to rounding is rejected
  std::vector<double> t2{0.1 * 3, 0.3, 0.5}, s2{1, 1, 0};
  CHECK(survival::kaplan_meier(t2, s2).curves[0].time.size() == 2);
  std::vector<double> t3{1.0, 2.0, 3.0}, s3{1, 1, 1}, e3{0.0, 2.0 * (1 - 1e-15), 0.0};
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t3, s3, {.entry = e3}), doctest::Contains("entry[1]"), vasostat::invalid_argument);
  std::vector<double> e_bad{0.0, 2.5, 0.0};
  CHECK_THROWS_WITH_AS((void)survival::kaplan_meier(t3, s3, {.entry = e_bad}), doctest::Contains("entry[1]"), vasostat::invalid_argument);
}

namespace km_whole {
// equal element by element, NaN equal to NaN
bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}
}  // namespace km_whole

TEST_CASE("kaplan_meier: whole-number times (counted without a sort) equal the sorted sweep exactly") {
  // unit weights force the sorted sweep; the unweighted call counts per (day, group)
  vasostat::random_generator rng(11);
  for (double offset : {0.0, 1e9}) {  // 1e9: timefix merges neighbouring days, both sort
    CAPTURE(offset);
    const std::size_t n = 3000;
    std::vector<double> t(n), s(n), w(n, 1.0);
    std::vector<int> g(n);
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = offset + std::ceil(-std::log(1 - rng.uniform()) * 200);
      s[i] = rng.uniform() < 0.7 ? 1 : 0;
      g[i] = 2 * static_cast<int>(rng.below(3));
    }
    for (bool fix : {true, false}) {
      auto a = survival::kaplan_meier(t, s, {.group = g, .timefix = fix});
      auto b = survival::kaplan_meier(t, s, {.group = g, .weights = w, .timefix = fix});
      REQUIRE(a.curves.size() == 3);
      REQUIRE(b.curves.size() == 3);
      for (std::size_t c = 0; c < 3; ++c) {
        CHECK(a.curves[c].group == b.curves[c].group);
        CHECK(a.curves[c].n == b.curves[c].n);
        CHECK(a.curves[c].events == b.curves[c].events);
        CHECK(km_whole::same(a.curves[c].time, b.curves[c].time));
        CHECK(km_whole::same(a.curves[c].n_risk, b.curves[c].n_risk));
        CHECK(km_whole::same(a.curves[c].n_event, b.curves[c].n_event));
        CHECK(km_whole::same(a.curves[c].n_censor, b.curves[c].n_censor));
        CHECK(km_whole::same(a.curves[c].surv, b.curves[c].surv));
        CHECK(km_whole::same(a.curves[c].std_err, b.curves[c].std_err));
        CHECK(km_whole::same(a.curves[c].lower, b.curves[c].lower));
        CHECK(km_whole::same(a.curves[c].upper, b.curves[c].upper));
        CHECK(km_whole::same(a.curves[c].cumhaz, b.curves[c].cumhaz));
        CHECK(km_whole::same(a.curves[c].quantile, b.curves[c].quantile));
        CHECK(km_whole::same(a.curves[c].quantile_lower, b.curves[c].quantile_lower));
      }
    }
  }
}

namespace km_quant {
// R's findq as written out (drop repeated y values keeping the first, then search): the
// reference for detail::km_quantiles, which searches all rows instead.
std::vector<double> findq(const std::vector<double>& time, const std::vector<double>& curve,
                          const std::vector<double>& probs) {
  const double tol = std::sqrt(std::numeric_limits<double>::epsilon());
  std::vector<double> out(probs.size(), std::numeric_limits<double>::quiet_NaN());
  if (probs.empty()) return out;
  const std::size_t m = time.size();
  std::vector<double> yall(m + 1), x, y;
  yall[0] = 0.0;
  for (std::size_t i = 0; i < m; ++i) yall[i + 1] = 1.0 - curve[i];
  double ymax = 0;
  for (std::size_t i = 0; i <= m; ++i) {
    if (!std::isnan(yall[i])) ymax = std::max(ymax, yall[i]);
    bool dup = false;
    for (std::size_t j = 0; j < i && !dup; ++j)
      dup = std::isnan(yall[i]) ? std::isnan(yall[j]) : yall[i] == yall[j];
    if (dup) continue;
    x.push_back(i == 0 ? 0.0 : time[i - 1]);
    y.push_back(yall[i]);
  }
  if (ymax < *std::min_element(probs.begin(), probs.end())) return out;
  const std::size_t n = y.size();
  auto first_at_least = [&](double p, double shift) {
    std::ptrdiff_t best = -1;
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isnan(y[i]) && y[i] + shift >= p && (best < 0 || y[i] + shift < y[static_cast<std::size_t>(best)] + shift))
        best = static_cast<std::ptrdiff_t>(i);
    return best;
  };
  for (std::size_t k = 0; k < probs.size(); ++k) {
    const double p = probs[k];
    if (p == 0) {
      out[k] = x[0];
      continue;
    }
    auto i1 = first_at_least(p, tol), i2 = first_at_least(p, -tol);
    double q = std::numeric_limits<double>::quiet_NaN();
    if (i1 >= 0 && i2 >= 0) q = (x[static_cast<std::size_t>(i1)] + x[static_cast<std::size_t>(i2)]) / 2;
    if (!std::isnan(y[n - 1]) && std::abs(p - y[n - 1]) < tol)
      q = i1 >= 0 ? (x[static_cast<std::size_t>(i1)] + (m ? time.back() : 0.0)) / 2 : std::numeric_limits<double>::quiet_NaN();
    out[k] = q;
  }
  return out;
}
}  // namespace km_quant

TEST_CASE("kaplan_meier quantile search equals R's drop-repeats-then-search rule on monotone and ragged curves") {
  vasostat::random_generator rng(21);
  const std::vector<double> levels{1.0, 0.875, 0.75, 0.5, 0.5 + 1e-9, 0.25, 0.1, 0.0};
  for (int rep = 0; rep < 400; ++rep) {
    const std::size_t m = 1 + rng.below(rep < 200 ? 12 : 60);
    std::vector<double> time(m), curve(m);
    double t = 0;
    for (std::size_t i = 0; i < m; ++i) time[i] = (t += 1 + static_cast<double>(rng.below(3)));
    const int kind = rep % 4;  // 0: non-increasing from levels; 1: random steps; 2: ragged with NaN; 3: flat at 0.5
    double s = 1;
    for (std::size_t i = 0; i < m; ++i) {
      if (kind == 0) s = std::min(s, levels[rng.below(levels.size())]);
      if (kind == 1) s *= rng.uniform() < 0.4 ? 1.0 : 0.6 + 0.4 * rng.uniform();
      if (kind == 2) s = rng.uniform() < 0.15 ? std::numeric_limits<double>::quiet_NaN() : levels[rng.below(levels.size())];
      if (kind == 3) s = i < m / 3 ? 0.8 : (i < 2 * m / 3 ? 0.5 : (rng.uniform() < 0.5 ? 0.5 : 0.2));
      curve[i] = s;
    }
    if (kind == 3 && rep % 8 == 3) std::sort(curve.begin(), curve.end(), std::greater<>());
    for (const std::vector<double>& call : {std::vector<double>{0.25, 0.5, 0.75}, std::vector<double>{0.9},
                                            std::vector<double>{0.0, 0.5, 1.0}, std::vector<double>{}}) {
      std::vector<double> probs = call;
      probs.push_back(0.5);
      std::vector<double> got;
      survival::detail::km_quantiles(time, curve, probs, got, call.size());
      const auto want = km_quant::findq(time, curve, call);
      const auto want_med = km_quant::findq(time, curve, {0.5});
      REQUIRE(got.size() == call.size() + 1);
      for (std::size_t k = 0; k < call.size(); ++k) CHECK(km_whole::same({got[k]}, {want[k]}));
      CHECK(km_whole::same({got.back()}, {want_med[0]}));
    }
  }
}

namespace km_sweep {
struct rows {
  std::vector<double> time, n_risk, n_event, n_censor;
  double n = 0, events = 0;
};
// The per-group sorted sweep (stable sort by (group, time), then each group's runs of equal
// times): the reference for kaplan_meier's single sweep over all groups.
std::vector<rows> reference(const std::vector<double>& time, const std::vector<double>& status,
                            const std::vector<double>& w, const std::vector<int>& group, bool timefix) {
  const std::size_t n = time.size();
  auto codes = survival::detail::encode_labels(group, n);
  std::vector<std::uint64_t> bits;
  const auto asc = survival::detail::order_ascending(time, &bits);
  std::vector<double> fixed;
  const std::vector<double>& t = timefix && survival::detail::timefix_from_order(n, asc, bits, fixed) ? fixed : time;
  std::vector<std::size_t> ord(n);
  for (std::size_t i = 0; i < n; ++i) ord[i] = i;
  std::stable_sort(ord.begin(), ord.end(), [&](std::size_t a, std::size_t b) {
    return codes.code[a] != codes.code[b] ? codes.code[a] < codes.code[b] : time[a] < time[b];
  });
  std::vector<rows> out(codes.labels.size());
  std::size_t pos = 0;
  for (std::size_t g = 0; g < out.size(); ++g) {
    std::size_t end = pos;
    while (end < n && codes.code[ord[end]] == static_cast<int>(g)) ++end;
    double at_risk = 0;
    for (std::size_t k = pos; k < end; ++k) {
      at_risk += w.empty() ? 1.0 : w[ord[k]];
      out[g].events += (w.empty() ? 1.0 : w[ord[k]]) * status[ord[k]];
    }
    out[g].n = at_risk;
    for (std::size_t k = pos; k < end;) {
      const double tk = t[ord[k]];
      double d = 0, cens = 0;
      std::size_t j = k;
      for (; j < end && t[ord[j]] == tk; ++j) (status[ord[j]] == 1 ? d : cens) += w.empty() ? 1.0 : w[ord[j]];
      out[g].time.push_back(tk);
      out[g].n_risk.push_back(at_risk);
      out[g].n_event.push_back(d);
      out[g].n_censor.push_back(cens);
      at_risk -= d + cens;
      k = j;
    }
    pos = end;
  }
  return out;
}
bool bitwise(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}
}  // namespace km_sweep

TEST_CASE("kaplan_meier: the one-sweep path equals the per-group sorted sweep bit for bit (ties, no ties, weights, timefix, -0)") {
  vasostat::random_generator rng(31);
  for (int kind = 0; kind < 4; ++kind) {
    CAPTURE(kind);
    const std::size_t n = 4000;
    std::vector<double> t(n), s(n), w(n);
    std::vector<int> g(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double e = -std::log(1 - rng.uniform()) * 300;
      if (kind == 0) t[i] = std::ceil(e) - 0.25;                   // many ties, not whole numbers
      if (kind == 1) t[i] = e;                                     // no ties
      if (kind == 2) t[i] = (std::ceil(e / 7) * 7 / 3) * (i % 2 ? 1 : 1 + 4e-16);  // ties up to rounding: timefix merges
      if (kind == 3) t[i] = i % 50 == 0 ? (i % 100 == 0 ? -0.0 : 0.0) : std::ceil(e) + 0.5;  // signed zeros
      s[i] = rng.uniform() < 0.7 ? 1 : 0;
      w[i] = 0.25 + rng.uniform();
      g[i] = 2 * static_cast<int>(rng.below(3));
    }
    for (bool weighted : {false, true})
      for (bool fix : {true, false}) {
        CAPTURE(weighted);
        CAPTURE(fix);
        const std::vector<double> ww = weighted ? w : std::vector<double>{};
        const auto ref = km_sweep::reference(t, s, ww, g, fix);
        const auto km = survival::kaplan_meier(t, s, {.group = g, .weights = ww, .timefix = fix});
        REQUIRE(km.curves.size() == ref.size());
        for (std::size_t c = 0; c < ref.size(); ++c) {
          CHECK(km.curves[c].n == ref[c].n);
          CHECK(km.curves[c].events == ref[c].events);
          CHECK(km_sweep::bitwise(km.curves[c].time, ref[c].time));
          CHECK(km_sweep::bitwise(km.curves[c].n_risk, ref[c].n_risk));
          CHECK(km_sweep::bitwise(km.curves[c].n_event, ref[c].n_event));
          CHECK(km_sweep::bitwise(km.curves[c].n_censor, ref[c].n_censor));
        }
      }
  }
}

namespace km_sort {
// time order by std::stable_sort: the reference for the shared sorts
std::vector<std::size_t> stable_order(const std::vector<double>& v) {
  std::vector<std::size_t> ord(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) ord[i] = i;
  std::stable_sort(ord.begin(), ord.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  return ord;
}
std::vector<double> sample(int kind, std::size_t n, vasostat::random_generator& rng) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double e = -std::log(1 - rng.uniform()) * 300;
    switch (kind) {
      case 0: v[i] = std::ceil(e) - rng.uniform(); break;                         // continuous, skewed
      case 1: v[i] = std::ceil(e) - 0.5; break;                                   // many ties
      case 2: v[i] = e * 1e-310; break;                                           // denormals
      case 3: v[i] = i % 7 == 0 ? (i % 14 == 0 ? -0.0 : 0.0) : std::ceil(e) + 0.25; break;  // signed zeros
      case 4: v[i] = i % 97 == 0 ? 1e308 : (i % 89 == 0 ? -1e308 : rng.normal()); break;    // +-1e308
      default: v[i] = 1.0 + static_cast<double>(rng.below(3)) * 2.220446049250313e-16; break;  // ties one ulp apart
    }
  }
  return v;
}
}  // namespace km_sort

TEST_CASE("the shared sorts: order_ascending is std::stable_sort's order; packed rows are its keys with their payloads") {
  vasostat::random_generator rng(41);
  for (int kind = 0; kind < 6; ++kind)
    for (std::size_t n : {std::size_t{1}, std::size_t{40}, std::size_t{3000}, std::size_t{20000}}) {
      CAPTURE(kind);
      CAPTURE(n);
      const auto v = km_sort::sample(kind, n, rng);
      const auto want = km_sort::stable_order(v);
      std::vector<std::uint64_t> bits;
      const auto got = survival::detail::order_ascending(v, &bits);
      CHECK(got == want);
      bool keys_ok = bits.size() == n;
      for (std::size_t k = 0; k < n && keys_ok; ++k) keys_ok = bits[k] == survival::detail::sort_key_bits(v[want[k]]);
      CHECK(keys_ok);
      // radix_sort_bits alone (the fallback of order_ascending), carrying the index
      std::vector<std::uint64_t> rb(n);
      std::vector<std::size_t> ri(n);
      for (std::size_t i = 0; i < n; ++i) {
        rb[i] = survival::detail::sort_key_bits(v[i]);
        ri[i] = i;
      }
      survival::detail::radix_sort_bits(rb, ri);
      CHECK(ri == want);
      // packed rows: the sorted keys, and per run of equal keys the same payloads (any order)
      std::vector<std::uint32_t> payload(n);
      for (auto& p : payload) p = static_cast<std::uint32_t>(rng.below(6));
      survival::detail::packed_time_rows rows;
      const bool fits = survival::detail::sort_packed_by_time(v, [&](std::size_t i) { return payload[i]; }, 3, rows);
      if (kind == 0 || kind == 1 || kind == 2 || kind == 5) CHECK(fits);  // ranges narrow enough
      if (kind == 4 && n > 200) CHECK_FALSE(fits);                      // -1e308 .. 1e308: 64 key bits
      if (!fits) continue;
      REQUIRE(rows.word.size() == n);
      bool same_keys = true, same_payloads = true;
      for (std::size_t q = 0; q < n;) {
        std::size_t e = q + 1;
        while (e < n && rows.key(e) == rows.key(q)) ++e;
        std::vector<std::uint32_t> a, b;
        for (std::size_t r = q; r < e; ++r) {
          same_keys = same_keys && rows.key(r) == survival::detail::sort_key_bits(v[want[r]]);
          a.push_back(rows.payload(r));
          b.push_back(payload[want[r]]);
        }
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        same_payloads = same_payloads && a == b;
        q = e;
      }
      CHECK(same_keys);
      CHECK(same_payloads);
    }
}

TEST_CASE("kaplan_meier CI columns (vectorised log/exp) agree with surv_confint to 4e-15 relative, NaN where it gives NaN") {
  vasostat::random_generator rng(43);
  for (auto type : {survival::conf_type::log, survival::conf_type::log_log, survival::conf_type::plain, survival::conf_type::none}) {
    survival::km_curve c;
    double s = 1, var = 0;
    for (int i = 0; i < 1003; ++i) {
      if (i % 5 != 0) s *= 1 - 0.01 * rng.uniform();
      if (i == 1000) s = 0;  // S = 0, then an infinite SE
      var += 1e-4 * rng.uniform();
      c.surv.push_back(s);
      c.std_err_log.push_back(i == 1001 ? std::numeric_limits<double>::infinity()
                                        : (i == 7 ? std::numeric_limits<double>::quiet_NaN() : std::sqrt(var)));
    }
    c.surv[3] = 1.0;  // log-log: NaN at S = 1
    survival::detail::km_conf_columns(c, 1.959963984540054, type);
    REQUIRE(c.lower.size() == c.surv.size());
    REQUIRE(c.std_err.size() == c.surv.size());
    for (std::size_t i = 0; i < c.surv.size(); ++i) {
      double lo = 0, hi = 0;
      survival::detail::surv_confint(c.surv[i], c.std_err_log[i], 1.959963984540054, type, lo, hi);
      const double se = c.surv[i] == 0 ? std::numeric_limits<double>::quiet_NaN() : c.std_err_log[i] * c.surv[i];
      CAPTURE(i);
      CHECK(std::isnan(c.lower[i]) == std::isnan(lo));
      CHECK(std::isnan(c.upper[i]) == std::isnan(hi));
      CHECK(std::isnan(c.std_err[i]) == std::isnan(se));
      if (!std::isnan(lo)) CHECK(std::abs(c.lower[i] - lo) <= 4e-15 * std::abs(lo));
      if (!std::isnan(hi)) CHECK(std::abs(c.upper[i] - hi) <= 4e-15 * std::abs(hi));
      if (!std::isnan(se)) CHECK(c.std_err[i] == se);
    }
  }
}
