// GAM fits at the timing model: y ~ s(x, k = 20) + 3 linear covariates, Gaussian,
// REML, n = 66 … 10^6 (and one 10^7-row fit, chunked, to show it fits in memory; one smooth,
// so the Demmler-Reinsch path of gam/fit.hpp), the same model with two smooths (the general
// QR path), plus Poisson fits by REML and UBRE (PIRLS inside every outer step, warm-started). benchmarks/compare/gam_compare.R times mgcv's
// gam() and bam() on the same data (same generator written to CSV by gam_compare_data below).
#include <vasostat/gam.hpp>

#include <benchmark/benchmark.h>

#include <vasostat/core/random.hpp>

#include <cmath>
#include <vector>

namespace {

struct gam_data {
  std::vector<double> x, y, count;
  Eigen::MatrixXd covariates;
};

gam_data make_data(std::size_t n) {
  vasostat::random_generator rng(20260101);
  gam_data d;
  d.x.resize(n);
  d.y.resize(n);
  d.count.resize(n);
  d.covariates.resize(static_cast<Eigen::Index>(n), 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    const double x = rng.uniform();
    const double a = rng.normal(), b = rng.normal(), c = rng.uniform();
    d.x[i] = x;
    d.covariates(ii, 0) = a;
    d.covariates(ii, 1) = b;
    d.covariates(ii, 2) = c;
    const double f = std::sin(2 * 3.141592653589793 * x) + 0.5 * a - 0.3 * b + 0.2 * c;
    d.y[i] = f + 0.5 * rng.normal();
    // Poisson(exp(0.5 f)) by inversion
    const double mu = std::exp(0.5 * f);
    double p = std::exp(-mu), s = p, u = rng.uniform();
    int k = 0;
    while (u > s && k < 1000) {
      ++k;
      p *= mu / k;
      s += p;
    }
    d.count[i] = k;
  }
  return d;
}

void BM_gam_gaussian_reml(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  const std::vector<vasostat::gam::smooth_term> s = {vasostat::gam::smooth(d.x, {.k = 20})};
  for (auto _ : state) {
    auto m = vasostat::gam::fit(d.y, s, d.covariates);
    benchmark::DoNotOptimize(m.coefficients.data());
    benchmark::ClobberMemory();
  }
  state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_gam_gaussian_reml)->Arg(66)->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond);

// y ~ s(x, k = 20) + s(c, k = 10) + a + b: two smoothing parameters (no single-penalty shortcut)
void BM_gam_gaussian_reml_two_smooths(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  const std::vector<double> c(d.covariates.col(2).data(), d.covariates.col(2).data() + d.covariates.rows());
  const Eigen::MatrixXd ab = d.covariates.leftCols(2);
  const std::vector<vasostat::gam::smooth_term> s = {vasostat::gam::smooth(d.x, {.k = 20}),
                                                     vasostat::gam::smooth(c, {.k = 10})};
  for (auto _ : state) {
    auto m = vasostat::gam::fit(d.y, s, ab);
    benchmark::DoNotOptimize(m.coefficients.data());
    benchmark::ClobberMemory();
  }
  state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_gam_gaussian_reml_two_smooths)->Arg(66)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_gam_gaussian_reml_10M(benchmark::State& state) {
  const auto d = make_data(10000000);
  const std::vector<vasostat::gam::smooth_term> s = {vasostat::gam::smooth(d.x, {.k = 20})};
  for (auto _ : state) {
    auto m = vasostat::gam::fit(d.y, s, d.covariates);
    benchmark::DoNotOptimize(m.coefficients.data());
  }
  state.SetItemsProcessed(state.iterations() * 10000000);
}
BENCHMARK(BM_gam_gaussian_reml_10M)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_gam_poisson_reml(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  const std::vector<vasostat::gam::smooth_term> s = {vasostat::gam::smooth(d.x, {.k = 20})};
  for (auto _ : state) {
    auto m = vasostat::gam::fit(d.count, s, d.covariates, {.family = vasostat::gam::family::poisson});
    benchmark::DoNotOptimize(m.coefficients.data());
  }
  state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_gam_poisson_reml)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// the same Poisson model with UBRE (mgcv GCV.Cp): the outer Newton needs the exact derivatives of
// the deviance and of tr(F) through dW/deta (before this session they were finite differences)
void BM_gam_poisson_ubre(benchmark::State& state) {
  const auto d = make_data(static_cast<std::size_t>(state.range(0)));
  const std::vector<vasostat::gam::smooth_term> s = {vasostat::gam::smooth(d.x, {.k = 20})};
  for (auto _ : state) {
    auto m = vasostat::gam::fit(d.count, s, d.covariates,
                                {.method = vasostat::gam::method::gcv, .family = vasostat::gam::family::poisson});
    benchmark::DoNotOptimize(m.coefficients.data());
  }
  state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_gam_poisson_ubre)->Arg(100)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
