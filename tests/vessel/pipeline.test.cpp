// The video chain on a synthetic clip with ground truth: six vessels (continuous, sluggish,
// stopped, stop-and-go, fast, reversed) -> mean image (flicker gains) -> space-time diagrams
// -> velocity -> flow classes -> perfusion; PPV / MFI equal the truth computed from the
// rendered classes.

#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/perfusion.hpp>
#include <vasostat/vessel/space_time.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;
using vessel::flow_class;

TEST_CASE("a synthetic clip's flow classes, PPV and MFI equal the rendered truth") {
  constexpr int frames = 100;
  constexpr double fps = 25;
  const double speeds[] = {800, 150, 0, 600, 1500, -500};  // µm/s at 1 µm/px
  const flow_class truth[] = {flow_class::continuous, flow_class::sluggish, flow_class::no_flow,
                              flow_class::intermittent, flow_class::continuous,
                              flow_class::continuous};
  std::vector<vasostat_test::rbc_vessel> vessels;
  for (int i = 0; i < 6; ++i) {
    vasostat_test::rbc_vessel v{.x0 = 20, .y0 = 20.0 + 30 * i, .x1 = 320, .y1 = 20.0 + 30 * i};
    v.velocity_px = vasostat_test::constant_velocity(frames, speeds[i] / fps);
    if (i == 3) {  // stop-and-go: moving in the 1st and 4th second only
      for (int t = 25; t < 75; ++t) {
        v.velocity_px[static_cast<std::size_t>(t)] = 0;
      }
    }
    v.seed = 100 + static_cast<std::uint64_t>(i);
    vessels.push_back(v);
  }
  const auto c = vasostat_test::render_rbc_clip(340, 200, frames, vessels, 180.0, 4.0, 0.08, 9);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, fps}};

  // flicker: the gains undo the rendered per-frame brightness factor
  const auto mean = vessel::mean_image(clip);
  for (int t = 0; t < frames; ++t) {
    CHECK(mean.gain[static_cast<std::size_t>(t)] * c.gain[static_cast<std::size_t>(t)] ==
          doctest::Approx(mean.gain[0] * c.gain[0]).epsilon(0.01));
  }
  CHECK(mean.mean(170, 20) < mean.mean(170, 35) - 20);  // the vessel is dark in the mean image

  vessel::graph g;
  g.width = 340;
  g.height = 200;
  for (const auto& v : vessels) {
    vessel::segment s;
    for (int x = static_cast<int>(v.x0); x <= static_cast<int>(v.x1); ++x) {
      s.centreline.push_back({x, static_cast<int>(v.y0)});
    }
    s.length_px = v.x1 - v.x0;
    s.diameter_px = 2 * v.radius_px;
    g.segments.push_back(s);
  }
  std::vector<flow_class> classes;
  for (std::size_t i = 0; i < g.segments.size(); ++i) {
    const auto d = vessel::space_time(clip, g.segments[i], {.frame_gain = mean.gain});
    const auto v = vessel::velocity(d);
    const auto f = vessel::classify_flow(v);
    CAPTURE(i);
    CHECK(f.cls == truth[i]);
    if (truth[i] == flow_class::continuous || truth[i] == flow_class::sluggish) {
      CHECK(f.velocity_um_s == doctest::Approx(std::abs(speeds[i])).epsilon(0.1));
      CHECK(v.direction == (speeds[i] > 0 ? 1 : -1));
    }
    classes.push_back(f.cls);
  }
  const auto p = vessel::perfusion(g, classes);
  const auto t = vessel::perfusion(g, truth);
  CHECK(p.all.ppv_percent == doctest::Approx(t.all.ppv_percent));
  CHECK(p.all.ppv_percent == doctest::Approx(100.0 * 4 / 6));
  CHECK(p.all.mfi_vessel == doctest::Approx(t.all.mfi_vessel));
  CHECK(p.all.mfi_quadrant == doctest::Approx(t.all.mfi_quadrant));
  CHECK(p.small.pvd_mm_per_mm2 == doctest::Approx(t.small.pvd_mm_per_mm2));
}
