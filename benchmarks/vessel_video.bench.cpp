// Vessel video pipeline at the vendors' frame sizes (MicroScan 1280×960, CytoCam ≈2214×1657):
// vesselness (4 scales, SIMD vs scalar twin, Frangi's automatic c vs a given c), stabilisation,
// mean image, space-time diagram + velocity, per-frame quality, and the clip chain on a
// 100-frame (4 s at 25 fps) 1280×960 clip.

#include <vasostat/vessel/clip_analysis.hpp>
#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/perfusion.hpp>
#include <vasostat/vessel/quality.hpp>
#include <vasostat/vessel/segment.hpp>
#include <vasostat/vessel/space_time.hpp>
#include <vasostat/vessel/stabilize.hpp>
#include <vasostat/vessel/vesselness.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "../tests/support/vessel_video_synthetic.hpp"

namespace {

namespace vs = vasostat::vessel;
using vasostat::image;
using vasostat::image_view;

/// A frame-filling set of straight vessels (3-12 px wide, random angles), 25 fps texture.
std::vector<vasostat_test::rbc_vessel> bench_vessels(std::ptrdiff_t w, std::ptrdiff_t h, int n,
                                                     int frames) {
  vasostat::random_generator rng(77);
  std::vector<vasostat_test::rbc_vessel> vs;
  const int count = static_cast<int>(w * h / 12000);
  for (int i = 0; i < count; ++i) {
    vasostat_test::rbc_vessel v;
    v.x0 = rng.uniform(10, static_cast<double>(w - 10));
    v.y0 = rng.uniform(10, static_cast<double>(h - 10));
    const double a = rng.uniform(0, 6.283), len = rng.uniform(60, 300);
    v.x1 = std::clamp(v.x0 + len * std::cos(a), 5.0, static_cast<double>(w - 6));
    v.y1 = std::clamp(v.y0 + len * std::sin(a), 5.0, static_cast<double>(h - 6));
    v.radius_px = rng.uniform(1.5, 6);
    v.velocity_px = vasostat_test::constant_velocity(frames, rng.uniform(-30, 30));
    v.seed = static_cast<std::uint64_t>(i + 1);
    vs.push_back(v);
  }
  (void)n;
  return vs;
}

struct bench_clip {
  std::vector<image<std::uint8_t>> frames;  // unique frames
  std::vector<image_view<const std::uint8_t>> views;  // the clip (unique frames repeated)
  std::vector<vasostat_test::rbc_vessel> vessels;
};

const bench_clip& get_clip(std::ptrdiff_t w, std::ptrdiff_t h, int unique, int total) {
  static std::map<std::pair<std::ptrdiff_t, int>, bench_clip> cache;
  auto key = std::make_pair(w * 100000 + h, unique * 1000 + total);
  auto it = cache.find(key);
  if (it != cache.end()) {
    return it->second;
  }
  bench_clip c;
  c.vessels = bench_vessels(w, h, unique, unique);
  const auto f = vasostat_test::render_rbc_clip(w, h, unique, c.vessels, 180.0, 4.0, 0.03, 5);
  for (const auto& fr : f.frames) {
    image<std::uint8_t> g(w, h);
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        g(x, y) = static_cast<std::uint8_t>(std::clamp(fr(x, y), 0.0f, 255.0f));
      }
    }
    c.frames.push_back(std::move(g));
  }
  for (int t = 0; t < total; ++t) {
    c.views.push_back(c.frames[static_cast<std::size_t>(t % unique)].view());
  }
  return cache.emplace(key, std::move(c)).first->second;
}

void frame_sizes(benchmark::internal::Benchmark* b) {
  b->Args({1280, 960})->Args({2214, 1657})->ArgNames({"w", "h"})->Unit(benchmark::kMillisecond);
}

template <bool Simd, bool AutoC>
void BM_vesselness(benchmark::State& state) {
  const auto& c = get_clip(state.range(0), state.range(1), 1, 1);
  const image_view<const std::uint8_t> frame = c.frames[0].view();
  image<float> out(frame.width, frame.height);
  vs::vesselness_workspace ws;
  const vs::vesselness_options o{.scales_um = {2.0, 3.0, 4.5, 6.5}, .c = AutoC ? 0.0 : 15.0};
  for (auto _ : state) {
    if constexpr (Simd) {
      vs::vesselness(frame, out.view(), ws, o);
    } else {
      vs::detail::vesselness_scalar(frame, out.view(), ws, o);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * frame.width * frame.height);
  state.SetBytesProcessed(state.iterations() * frame.width * frame.height * 5);
}
BENCHMARK_TEMPLATE(BM_vesselness, true, true)->Apply(frame_sizes);
BENCHMARK_TEMPLATE(BM_vesselness, false, true)->Apply(frame_sizes);
BENCHMARK_TEMPLATE(BM_vesselness, true, false)->Apply(frame_sizes);
BENCHMARK_TEMPLATE(BM_vesselness, false, false)->Apply(frame_sizes);

void BM_segment_mask(benchmark::State& state) {
  const auto& c = get_clip(state.range(0), state.range(1), 1, 1);
  const auto v = vs::vesselness(c.frames[0], {.scales_um = {2.0, 3.0, 4.5, 6.5}});
  image<std::uint8_t> mask(v.width(), v.height());
  vs::segment_mask_workspace ws;
  for (auto _ : state) {
    auto info = vs::segment_mask(v.view(), mask.view(), ws);
    benchmark::DoNotOptimize(info);
    benchmark::DoNotOptimize(mask.data());
  }
  state.SetItemsProcessed(state.iterations() * v.width() * v.height());
}
BENCHMARK(BM_segment_mask)->Apply(frame_sizes);

/// mean_ref = 1: the default third pass against the weighted mean window; 0: without it.
void BM_stabilize_per_frame(benchmark::State& state) {
  const auto& c = get_clip(state.range(0), state.range(1), 8, 8);
  const vs::clip<std::uint8_t> clip{c.views, {1.0, 25.0}};
  const vs::stabilize_options o{.mean_reference = state.range(2) != 0};
  for (auto _ : state) {
    auto r = vs::stabilize(clip, o);
    benchmark::DoNotOptimize(r.offsets.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(c.views.size()));
  state.counters["frames_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * static_cast<double>(c.views.size()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_stabilize_per_frame)
    ->Args({1280, 960, 1})->Args({1280, 960, 0})->Args({2214, 1657, 1})->Args({2214, 1657, 0})
    ->ArgNames({"w", "h", "mean_ref"})->Unit(benchmark::kMillisecond);

void BM_measure_frame(benchmark::State& state) {
  const auto& c = get_clip(state.range(0), state.range(1), 1, 1);
  const image_view<const std::uint8_t> frame = c.frames[0].view();
  for (auto _ : state) {
    auto q = vs::measure_frame(frame);
    benchmark::DoNotOptimize(q);
  }
  state.SetItemsProcessed(state.iterations() * frame.width * frame.height);
  state.counters["frames_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_measure_frame)->Apply(frame_sizes);

void BM_space_time_velocity(benchmark::State& state) {
  const auto& c = get_clip(1280, 960, 25, 100);
  const vs::clip<std::uint8_t> clip{c.views, {1.0, 25.0}};
  const auto gains = vs::mean_image(clip).gain;
  const auto& v = c.vessels[0];
  const vs::centreline_point line[] = {{static_cast<float>(v.x0), static_cast<float>(v.y0)},
                                       {static_cast<float>(v.x1), static_cast<float>(v.y1)}};
  for (auto _ : state) {
    const auto d = vs::space_time(clip, line, {.frame_gain = gains});
    auto r = vs::velocity(d);
    benchmark::DoNotOptimize(r.windows.data());
  }
  state.counters["segment_px"] = std::hypot(v.x1 - v.x0, v.y1 - v.y0);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_space_time_velocity)->Unit(benchmark::kMillisecond);

/// The clip chain on 100 frames of 1280×960 (4 s at 25 fps): stabilise, flicker gains + mean
/// image, vesselness, mask, then for every rendered vessel (the traced graph stands in for
/// skeletonize + trace, benchmarked in vessel_geometry) space-time diagram, velocity, class,
/// and the site metrics.
void BM_clip_chain(benchmark::State& state) {
  const auto& c = get_clip(1280, 960, 25, 100);
  const vs::clip<std::uint8_t> clip{c.views, {1.0, 25.0}};
  vs::graph g;
  g.width = 1280;
  g.height = 960;
  for (const auto& v : c.vessels) {
    vs::segment s;
    const int n = static_cast<int>(std::max(std::abs(v.x1 - v.x0), std::abs(v.y1 - v.y0)));
    for (int k = 0; k <= n; ++k) {
      s.centreline.push_back({static_cast<int>(v.x0 + (v.x1 - v.x0) * k / n),
                              static_cast<int>(v.y0 + (v.y1 - v.y0) * k / n)});
    }
    s.length_px = std::hypot(v.x1 - v.x0, v.y1 - v.y0);
    s.diameter_px = 2 * v.radius_px;
    g.segments.push_back(std::move(s));
  }
  vs::vesselness_workspace vws;
  vs::segment_mask_workspace sws;
  image<float> vess(1280, 960);
  image<std::uint8_t> mask(1280, 960);
  for (auto _ : state) {
    const auto st = vs::stabilize(clip);
    const auto mean = vs::mean_image(clip, st.offsets);
    vs::vesselness(image_view<const float>(mean.mean.view()), vess.view(), vws,
                   {.scales_um = {2.0, 3.0, 4.5, 6.5}});
    (void)vs::segment_mask(vess.view(), mask.view(), sws);
    std::vector<vs::flow_class> classes;
    for (const auto& s : g.segments) {
      const auto d = vs::space_time(clip, s, {.offsets = st.offsets, .frame_gain = mean.gain});
      classes.push_back(vs::classify_flow(vs::velocity(d)).cls);
    }
    auto p = vs::perfusion(g, classes);
    benchmark::DoNotOptimize(p);
  }
  state.counters["segments"] = static_cast<double>(g.segments.size());
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_clip_chain)->Unit(benchmark::kMillisecond)->Iterations(2);

/// The real end-to-end call on the same 100-frame 1280×960 clip: analyze_clip (stabilise, mean
/// image, vesselness, mask, skeleton + distance + trace + density, a diagram + velocity + class
/// per traced segment, perfusion, quality of every frame).
/// lumen = 1 / mean_ref = 1 are the defaults (lumen diameters from profiles; stabilisation's
/// weighted mean-reference pass); 0 switches each off, for the cost of each in the same run.
void BM_analyze_clip(benchmark::State& state) {
  const auto& c = get_clip(1280, 960, 25, 100);
  const vs::clip<std::uint8_t> clip{c.views, {1.0, 25.0}};
  vs::analyze_clip_options o;
  o.lumen_diameter = state.range(0) != 0;
  o.stabilization.mean_reference = state.range(1) != 0;
  std::size_t segments = 0;
  for (auto _ : state) {
    const vs::clip_analysis a = vs::analyze_clip(clip, o);
    segments = a.vessels.segments.size();
    benchmark::DoNotOptimize(a.perfusion.all.ppv_percent);
  }
  state.counters["segments"] = static_cast<double>(segments);
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_analyze_clip)
    ->Args({1, 1})->Args({0, 0})->Args({1, 0})->ArgNames({"lumen", "mean_ref"})
    ->Unit(benchmark::kMillisecond)->Iterations(3);

/// lumen_diameters of every traced segment of the benchmark clip's mean image.
void BM_lumen_diameters(benchmark::State& state) {
  const auto& c = get_clip(1280, 960, 25, 100);
  const vs::clip<std::uint8_t> clip{c.views, {1.0, 25.0}};
  const vs::clip_analysis a = vs::analyze_clip(clip, {.lumen_diameter = false});
  const image_view<const float> mean(a.mean.mean.view());
  for (auto _ : state) {
    auto l = vs::lumen_diameters(mean, a.vessels);
    benchmark::DoNotOptimize(l.data());
  }
  state.counters["segments"] = static_cast<double>(a.vessels.segments.size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(a.vessels.segments.size()));
}
BENCHMARK(BM_lumen_diameters)->Unit(benchmark::kMillisecond);

}  // namespace
