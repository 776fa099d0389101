// vessel::analyze_clip end to end on a synthetic clip with ground truth: every rendered vessel
// is found, gets its rendered flow class and speed; PPV and MFI equal the truth computed from
// the rendered classes on the traced graph; bad input is named.

#include <vasostat/vessel/clip_analysis.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;
using vessel::flow_class;

TEST_CASE("analyze_clip finds each vessel with its flow class and speed; PPV/MFI match the truth") {
  constexpr int frames = 100;
  constexpr double fps = 25;
  const double speeds[] = {800, 150, 0, 600, -500};
  const flow_class truth[] = {flow_class::continuous, flow_class::sluggish, flow_class::no_flow,
                              flow_class::intermittent, flow_class::continuous};
  std::vector<vasostat_test::rbc_vessel> vessels;
  for (int i = 0; i < 5; ++i) {
    vasostat_test::rbc_vessel v{.x0 = 30, .y0 = 30.0 + 40 * i, .x1 = 330, .y1 = 36.0 + 40 * i};
    v.velocity_px = vasostat_test::constant_velocity(frames, speeds[i] / fps);
    if (i == 3) {
      for (int t = 25; t < 75; ++t) {
        v.velocity_px[static_cast<std::size_t>(t)] = 0;
      }
    }
    v.seed = 40 + static_cast<std::uint64_t>(i);
    vessels.push_back(v);
  }
  const auto c = vasostat_test::render_rbc_clip(360, 220, frames, vessels, 180.0, 4.0, 0.05, 3);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const auto a = vessel::analyze_clip(vessel::clip<float>{views, {1.0, fps}});
  REQUIRE(a.segments.size() == a.vessels.segments.size());
  // no jitter was rendered; with a flat background only the moving cells carry texture, which
  // pulled frame-to-frame registration by up to ~1.5 px; the weighted mean reference does not
  CHECK(a.stabilization.max_displacement_px < 0.25);
  CHECK(a.quality.duration.score == 1);  // 4 s
  // match each traced segment to the nearest rendered vessel (mean distance of its pixels)
  std::vector<flow_class> truth_classes;
  std::vector<double> longest(5, 0.0);
  std::vector<std::size_t> best_seg(5, 0);
  for (std::size_t s = 0; s < a.vessels.segments.size(); ++s) {
    const auto& seg = a.vessels.segments[s];
    int best = 0;
    double best_d = 1e9;
    for (int i = 0; i < 5; ++i) {
      const auto& v = vessels[static_cast<std::size_t>(i)];
      double d = 0;
      for (const auto& p : seg.centreline) {
        const double t = (p.x - v.x0) / (v.x1 - v.x0);
        d += std::abs(p.y - (v.y0 + t * (v.y1 - v.y0)));
      }
      d /= static_cast<double>(seg.centreline.size());
      if (d < best_d) {
        best_d = d;
        best = i;
      }
    }
    CHECK(best_d < 3.0);  // nothing traced away from the vessels
    truth_classes.push_back(truth[best]);
    if (seg.length_px > longest[static_cast<std::size_t>(best)]) {
      longest[static_cast<std::size_t>(best)] = seg.length_px;
      best_seg[static_cast<std::size_t>(best)] = s;
    }
  }
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(longest[static_cast<std::size_t>(i)] > 250);  // each 300-px vessel found almost whole
    const auto& r = a.segments[best_seg[static_cast<std::size_t>(i)]];
    CHECK(r.measured);
    CHECK(r.flow.cls == truth[i]);
    // the lumen diameter (profile across the vessel on the mean image) is the rendered 6 µm;
    // the Frangi mask is wider (its scales >= 2 µm smear the edges)
    CHECK(r.lumen.measured);
    CHECK(std::abs(r.diameter_um - 6.0) <= 1.0);
    CHECK(r.mask_diameter_um > r.diameter_um);
    if (truth[i] == flow_class::continuous || truth[i] == flow_class::sluggish) {
      CHECK(r.flow.velocity_um_s == doctest::Approx(std::abs(speeds[i])).epsilon(0.1));
    }
  }
  const auto t = vessel::perfusion(a.vessels, truth_classes);
  CHECK(a.perfusion.all.ppv_percent == doctest::Approx(t.all.ppv_percent));
  CHECK(a.perfusion.all.mfi_vessel == doctest::Approx(t.all.mfi_vessel));
  CHECK(a.perfusion.all.mfi_quadrant == doctest::Approx(t.all.mfi_quadrant));
  CHECK(a.perfusion.all.ppv_count_percent == doctest::Approx(t.all.ppv_count_percent));
  CHECK(a.perfusion.all.ppv_percent == doctest::Approx(60.0).epsilon(0.05));
}

TEST_CASE("analyze_clip rejects bad clips, naming the argument") {
  image<float> f(64, 48, 100.0f);
  std::vector<image_view<const float>> one{f.view()}, none;
  using E = vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)vessel::analyze_clip(vessel::clip<float>{one, {1, 25}}),
                       doctest::Contains("at least 2"), E);
  CHECK_THROWS_WITH_AS((void)vessel::analyze_clip(vessel::clip<float>{none, {1, 25}}),
                       doctest::Contains("empty"), E);
  std::vector<image_view<const float>> two{f.view(), f.view()};
  CHECK_THROWS_WITH_AS((void)vessel::analyze_clip(vessel::clip<float>{two, {0, 25}}),
                       doctest::Contains("um_per_px"), E);
}

TEST_CASE("analyze_clip of a constant clip returns flags and no vessels") {
  image<std::uint8_t> f(64, 48, 200);
  std::vector<image_view<const std::uint8_t>> v(10, f.view());
  const auto a = vessel::analyze_clip(vessel::clip<std::uint8_t>{v, {1, 25}});
  CHECK(a.vessels.segments.empty());
  CHECK(a.quality.constant);
  CHECK_FALSE(a.quality.acceptable);
  CHECK(a.density.tvd_mm_per_mm2 == 0.0);
}
