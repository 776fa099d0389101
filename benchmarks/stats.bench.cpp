// Correlation tests and least squares at cohort sizes (n = 64 … 16384): the per-call cost a
// correlation matrix, a bootstrap or a simulation study pays.
#include <vasostat/stats/correlation.hpp>
#include <vasostat/stats/linear_model.hpp>

#include <benchmark/benchmark.h>

#include <vasostat/core/random.hpp>

#include <vector>

namespace {

struct paired_data {
  std::vector<double> x, y;
};

paired_data make_pairs(std::size_t n) {
  vasostat::random_generator rng(1234);
  paired_data d;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = rng.normal();
    d.x.push_back(x);
    d.y.push_back(0.5 * x + rng.normal());
  }
  return d;
}

void BM_pearson(benchmark::State& state) {
  const auto d = make_pairs(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = vasostat::stats::pearson(d.x, d.y);
    benchmark::DoNotOptimize(r.p_value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_pearson)->RangeMultiplier(4)->Range(64, 1 << 14)->Complexity();

void BM_spearman(benchmark::State& state) {
  const auto d = make_pairs(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = vasostat::stats::spearman(d.x, d.y);
    benchmark::DoNotOptimize(r.p_value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_spearman)->RangeMultiplier(4)->Range(64, 1 << 14)->Complexity();

void BM_kendall(benchmark::State& state) {
  const auto d = make_pairs(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = vasostat::stats::kendall(d.x, d.y);
    benchmark::DoNotOptimize(r.p_value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_kendall)->RangeMultiplier(4)->Range(64, 1 << 12)->Complexity();

void BM_linear_model(benchmark::State& state) {
  const auto n = static_cast<Eigen::Index>(state.range(0));
  vasostat::random_generator rng(99);
  Eigen::MatrixXd x(n, 4);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < 4; ++j) {
      x(i, j) = rng.normal();
    }
    y[i] = x.row(i).sum() + rng.normal();
  }
  for (auto _ : state) {
    auto fit = vasostat::stats::linear_model(y, x);
    benchmark::DoNotOptimize(fit.sigma);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_linear_model)->RangeMultiplier(4)->Range(64, 1 << 14)->Complexity();

}  // namespace
