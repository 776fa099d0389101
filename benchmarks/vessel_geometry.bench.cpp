// Vessel geometry kernels at the vendors' frame sizes (MicroScan 1280×960, CytoCam 2214×1657) on
// rendered vessel masks (≈18 % vessel pixels, widths 3–30 px): SIMD vs scalar twins.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/trace.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "../tests/support/vessel_geometry_support.hpp"

namespace {

namespace vs = vasostat::vessel;

const vasostat::image<std::uint8_t>& bench_mask(std::ptrdiff_t w, std::ptrdiff_t h) {
  static std::map<std::pair<std::ptrdiff_t, std::ptrdiff_t>, vasostat::image<std::uint8_t>> cache;
  auto it = cache.find({w, h});
  if (it == cache.end()) {
    vasostat::random_generator rng(2024);
    it = cache.emplace(std::make_pair(w, h), vessel_test::render_network(w, h, 0.18, rng)).first;
    // benchmarks/compare/vessel_geometry.py times skimage and OpenCV on these very masks.
    if (const char* dir = std::getenv("VASOSTAT_BENCH_DUMP_DIR")) {
      std::ofstream f(std::string(dir) + "/mask_" + std::to_string(w) + "x" + std::to_string(h) + ".pgm",
                      std::ios::binary);
      f << "P5\n" << w << " " << h << "\n255\n";
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          f.put(static_cast<char>(it->second(x, y) != 0 ? 255 : 0));
        }
      }
    }
  }
  return it->second;
}

void frame_sizes(benchmark::internal::Benchmark* b) {
  b->Args({1280, 960})->Args({2214, 1657})->ArgNames({"w", "h"})->Unit(benchmark::kMillisecond);
}

template <int Kind>  // 0 = SIMD batches of words, 1 = 64-bit words, 2 = scalar pixel twin
void BM_skeletonize(benchmark::State& state) {
  const auto& mask = bench_mask(state.range(0), state.range(1));
  vasostat::image<std::uint8_t> out(mask.width(), mask.height());
  vs::skeletonize_workspace ws;
  for (auto _ : state) {
    if constexpr (Kind == 0) {
      vs::skeletonize(mask.view(), out.view(), ws);
    } else if constexpr (Kind == 1) {
      vs::detail::skeletonize_kernel<std::uint64_t>(mask.view(), out.view(), ws, false);
    } else {
      vs::detail::skeletonize_scalar(mask.view(), out.view(), false);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * mask.width() * mask.height());
  state.SetBytesProcessed(state.iterations() * mask.width() * mask.height() * 2);
}

void BM_skeletonize_guo_hall(benchmark::State& state) {
  const auto& mask = bench_mask(state.range(0), state.range(1));
  vasostat::image<std::uint8_t> out(mask.width(), mask.height());
  vs::skeletonize_workspace ws;
  for (auto _ : state) {
    vs::skeletonize(mask.view(), out.view(), ws, {.method = vs::thinning::guo_hall});
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * mask.width() * mask.height());
}

template <bool Simd>
void BM_distance_transform(benchmark::State& state) {
  const auto& mask = bench_mask(state.range(0), state.range(1));
  vasostat::image<float> out(mask.width(), mask.height());
  vs::distance_transform_workspace ws;
  for (auto _ : state) {
    vs::detail::distance_transform_kernel(mask.view(), out.view(), ws, Simd);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * mask.width() * mask.height());
  state.SetBytesProcessed(state.iterations() * mask.width() * mask.height() * 5);
}

void BM_trace(benchmark::State& state) {
  const auto& mask = bench_mask(state.range(0), state.range(1));
  const vasostat::image<std::uint8_t> skel = vs::skeletonize(mask.view());
  const vasostat::image<float> dist = vs::distance_transform(mask.view());
  std::size_t segments = 0;
  vs::trace_workspace ws;  // a video loop: scratch and the graph's buffers reused
  vs::graph g;
  for (auto _ : state) {
    vs::trace(skel.view(), dist.view(), {}, ws, g);
    segments = g.segments.size();
    benchmark::DoNotOptimize(g.segments.data());
  }
  state.counters["segments"] = static_cast<double>(segments);
  state.SetItemsProcessed(state.iterations() * mask.width() * mask.height());
}

/// The whole mask -> density metrics path (skeletonize, distance transform, trace, density).
void BM_analyze_mask(benchmark::State& state) {
  const auto& mask = bench_mask(state.range(0), state.range(1));
  vs::analyze_workspace ws;
  vs::mask_analysis a;  // reused: no allocation per frame
  for (auto _ : state) {
    vs::analyze_mask(mask.view(), {.density = {.um_per_px = 1.0}}, ws, a);
    benchmark::DoNotOptimize(a.metrics.tvd_mm_per_mm2);
  }
  state.SetItemsProcessed(state.iterations() * mask.width() * mask.height());
}

}  // namespace

BENCHMARK(BM_trace)->Name("trace")->Apply(frame_sizes);
BENCHMARK(BM_analyze_mask)->Name("analyze_mask")->Apply(frame_sizes);
BENCHMARK(BM_skeletonize<0>)->Name("skeletonize/simd")->Apply(frame_sizes);
BENCHMARK(BM_skeletonize<1>)->Name("skeletonize/words64")->Apply(frame_sizes);
BENCHMARK(BM_skeletonize<2>)->Name("skeletonize/scalar")->Apply(frame_sizes);
BENCHMARK(BM_skeletonize_guo_hall)->Name("skeletonize_guo_hall/simd")->Apply(frame_sizes);
BENCHMARK(BM_distance_transform<true>)->Name("distance_transform/simd")->Apply(frame_sizes);
BENCHMARK(BM_distance_transform<false>)->Name("distance_transform/scalar")->Apply(frame_sizes);
