// Threshold module benchmarks: segmented (Muggeo), exact hinge grid, threshold_effect with 1000
// bootstrap replicates, maxstat log-rank. Inputs come from a fixed seed, built outside the loop.
#include <vasostat/core/random.hpp>
#include <vasostat/threshold.hpp>
#include <vasostat/threshold/detail/glm.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

namespace th = vasostat::threshold;

namespace {

struct kink_data {
  std::vector<double> x, y, time, status;
};

kink_data make_data(std::size_t n) {
  vasostat::random_generator rng(42);
  kink_data d;
  d.x.resize(n);
  d.y.resize(n);
  d.time.resize(n);
  d.status.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double x = rng.uniform(0.05, 1.6);  // a norepinephrine-like dose range
    d.x[i] = x;
    d.y[i] = 10 - 1.0 * x - 6.0 * std::max(0.0, x - 0.8) + rng.normal();
    const double rate = std::exp(0.9 * (x > 0.8 ? 1.0 : 0.0));
    d.time[i] = -std::log(1 - rng.uniform()) / rate;
    d.status[i] = rng.uniform() < 0.7 ? 1.0 : 0.0;
  }
  return d;
}

void BM_segmented(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto fit = th::segmented(d.y, d.x);
    benchmark::DoNotOptimize(fit.psi.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_segmented)->Arg(66)->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_hinge_grid(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto fit = th::threshold_grid(d.y, d.x, Eigen::MatrixXd(0, 0), th::threshold_type::segmented, {});
    benchmark::DoNotOptimize(fit.threshold);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_hinge_grid)->Arg(66)->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// Scalar reference twin: refit the model by QR at every candidate (what the updating sums avoid).
void BM_hinge_refit_per_candidate(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  const auto n = static_cast<Eigen::Index>(d.x.size());
  const Eigen::VectorXd Y = Eigen::Map<const Eigen::VectorXd>(d.y.data(), n);
  for (auto _ : state) {
    double best = 1e300;
    Eigen::MatrixXd X(n, 3);
    X.col(0).setOnes();
    X.col(1) = Eigen::Map<const Eigen::VectorXd>(d.x.data(), n);
    Eigen::VectorXd coef;
    for (double e : d.x) {
      for (Eigen::Index i = 0; i < n; ++i) {
        X(i, 2) = std::max(0.0, X(i, 1) - e);
      }
      if (th::detail::wls(X, Y, Eigen::VectorXd::Ones(n), coef, nullptr)) {
        best = std::min(best, (Y - X * coef).squaredNorm());
      }
    }
    benchmark::DoNotOptimize(best);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_hinge_refit_per_candidate)->Arg(66)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_threshold_effect_1000_boot(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto t = th::threshold_effect(d.y, d.x, {.n_boot = 1000, .seed = 1});
    benchmark::DoNotOptimize(t.p_sup_lr);
  }
}
BENCHMARK(BM_threshold_effect_1000_boot)->Arg(66)->Unit(benchmark::kMillisecond);

void BM_maxstat_logrank(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto m = th::maxstat_cutpoint(d.time, d.status, d.x, {.exact_gauss = false});
    benchmark::DoNotOptimize(m.statistic);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_maxstat_logrank)->Arg(66)->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// The same call through the workspace overload (STYLE 4.12: the kernel, not malloc): the buffers
// (orders, scores, Cox blocks) are reused, so fresh memory is not page-faulted in on every call.
void BM_maxstat_logrank_workspace(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  th::maxstat_workspace ws;
  for (auto _ : state) {
    auto m = th::maxstat_cutpoint(d.time, d.status, d.x, {.exact_gauss = false}, ws);
    benchmark::DoNotOptimize(m.statistic);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_maxstat_logrank_workspace)->Arg(66)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_maxstat_logrank_exact_gauss(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto m = th::maxstat_cutpoint(d.time, d.status, d.x, {.exact_gauss = true});
    benchmark::DoNotOptimize(m.p_exact_gauss);
  }
}
BENCHMARK(BM_maxstat_logrank_exact_gauss)->Arg(66)->Arg(200)->Unit(benchmark::kMillisecond);

void BM_roc(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = th::roc_cutpoint(d.status, d.x);
    benchmark::DoNotOptimize(r.auc);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_roc)->Arg(66)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace

namespace {

void BM_segmented_20_restarts(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = th::segmented(d.y, d.x, {.n_boot = 20});
    benchmark::DoNotOptimize(r.psi.data());
  }
}
BENCHMARK(BM_segmented_20_restarts)->Arg(66)->Unit(benchmark::kMillisecond);

void BM_threshold_effect_binomial_1000_boot(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  std::vector<double> died(d.y.size());
  for (std::size_t i = 0; i < died.size(); ++i) died[i] = d.y[i] < 9 ? 1.0 : 0.0;
  for (auto _ : state) {
    auto r = th::threshold_effect(died, d.x, {.n_boot = 1000, .family = th::family::binomial});
    benchmark::DoNotOptimize(r.p_sup_lr);
  }
}
BENCHMARK(BM_threshold_effect_binomial_1000_boot)->Arg(66)->Unit(benchmark::kMillisecond);

void BM_threshold_grid_cox_step(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto r = th::threshold_grid_cox(d.time, d.status, d.x, Eigen::MatrixXd(0, 0), th::threshold_type::step);
    benchmark::DoNotOptimize(r.threshold);
  }
}
BENCHMARK(BM_threshold_grid_cox_step)->Arg(66)->Arg(1000)->Unit(benchmark::kMillisecond);


}  // namespace
