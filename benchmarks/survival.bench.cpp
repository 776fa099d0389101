// Benchmarks for vasostat::survival: Cox fit (Efron, 10 covariates, ~30% censored, tied
// integer-day times), Kaplan–Meier and log-rank at n = 1e3 ... 1e6. The same design is timed
// in R by benchmarks/compare/survival_compare.R.
#include <vasostat/core/random.hpp>
#include <vasostat/survival.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

namespace {

struct sim_data {
  std::vector<double> time, status;
  std::vector<int> group;
  Eigen::MatrixXd x;
};

sim_data simulate(std::size_t n, Eigen::Index p, std::uint64_t seed) {
  vasostat::random_generator rng(seed);
  sim_data d;
  d.x.resize(static_cast<Eigen::Index>(n), p);
  d.time.resize(n);
  d.status.resize(n);
  d.group.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double eta = 0;
    for (Eigen::Index c = 0; c < p; ++c) {
      const double v = rng.normal();
      d.x(static_cast<Eigen::Index>(i), c) = v;
      eta += (c % 2 == 0 ? 0.2 : -0.1) * v;
    }
    d.group[i] = d.x(static_cast<Eigen::Index>(i), 0) > 0 ? 1 : 0;
    const double t = -std::log(1 - rng.uniform()) / std::exp(eta) * 365;
    const double c = -std::log(1 - rng.uniform()) / 0.45 * 365;
    d.time[i] = std::ceil(std::min(t, c));  // whole days: many tied times
    d.status[i] = t <= c ? 1 : 0;
  }
  return d;
}

void BM_cox_efron(benchmark::State& state) {
  const auto d = simulate(static_cast<std::size_t>(state.range(0)), 10, 42);
  for (auto _ : state) {
    auto m = vasostat::survival::cox(d.time, d.status, d.x);
    benchmark::DoNotOptimize(m.coef.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_cox_efron)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

void BM_cox_breslow(benchmark::State& state) {
  const auto d = simulate(static_cast<std::size_t>(state.range(0)), 10, 42);
  for (auto _ : state) {
    auto m = vasostat::survival::cox(d.time, d.status, d.x, {.method = vasostat::survival::ties::breslow});
    benchmark::DoNotOptimize(m.coef.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_cox_breslow)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

void BM_kaplan_meier_2groups(benchmark::State& state) {
  const auto d = simulate(static_cast<std::size_t>(state.range(0)), 1, 7);
  for (auto _ : state) {
    auto km = vasostat::survival::kaplan_meier(d.time, d.status, {.group = d.group});
    benchmark::DoNotOptimize(km.curves.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_kaplan_meier_2groups)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

void BM_logrank_2groups(benchmark::State& state) {
  const auto d = simulate(static_cast<std::size_t>(state.range(0)), 1, 7);
  for (auto _ : state) {
    auto lr = vasostat::survival::logrank(d.time, d.status, d.group);
    benchmark::DoNotOptimize(lr.chisq);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_logrank_2groups)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

template <class Data>
void time_km_plus_logrank(benchmark::State& state, const Data& d) {
  for (auto _ : state) {
    auto km = vasostat::survival::kaplan_meier(d.time, d.status, {.group = d.group});
    auto lr = vasostat::survival::logrank(d.time, d.status, d.group);
    benchmark::DoNotOptimize(km.curves.data());
    benchmark::DoNotOptimize(lr.chisq);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_km_plus_logrank(benchmark::State& state) {
  time_km_plus_logrank(state, simulate(static_cast<std::size_t>(state.range(0)), 1, 7));
}
BENCHMARK(BM_km_plus_logrank)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// The same design with times not rounded to days (continuous, almost no ties): the sorted path.
void BM_km_plus_logrank_continuous(benchmark::State& state) {
  auto d = simulate(static_cast<std::size_t>(state.range(0)), 1, 7);
  vasostat::random_generator rng(11);
  for (auto& t : d.time) t -= rng.uniform();  // (day - 1, day]: non-integer, order kept within a day at random
  time_km_plus_logrank(state, d);
}
BENCHMARK(BM_km_plus_logrank_continuous)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

// The same two results from one call (survival::kaplan_meier_logrank): one sort by time serves both.
void BM_kaplan_meier_logrank_continuous(benchmark::State& state) {
  auto d = simulate(static_cast<std::size_t>(state.range(0)), 1, 7);
  vasostat::random_generator rng(11);
  for (auto& t : d.time) t -= rng.uniform();
  for (auto _ : state) {
    auto both = vasostat::survival::kaplan_meier_logrank(d.time, d.status, d.group);
    benchmark::DoNotOptimize(both.km.curves.data());
    benchmark::DoNotOptimize(both.logrank.chisq);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_kaplan_meier_logrank_continuous)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);

}  // namespace
