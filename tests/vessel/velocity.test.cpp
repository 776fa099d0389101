// vessel::space_time + vessel::velocity on synthetic clips with moving red-cell texture at known
// speeds: speed within 10% for 100-1500 µm/s on a long enough segment, direction, saturation
// near v_max = L fps / 3, stopped and stop-and-go vessels, and bad input.

#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/space_time.hpp>
#include <vasostat/vessel/stabilize.hpp>
#include <vasostat/vessel/velocity.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;
using vasostat_test::rbc_vessel;

namespace {

constexpr double fps = 25.0;

struct one_vessel_result {
  vessel::space_time_diagram diagram;
  vessel::velocity_result velocity;
};

/// A 4-s clip (100 frames) of one vessel from (x0,y0) to (x1,y1) at 1 µm/px.
one_vessel_result run_one(const rbc_vessel& v, std::ptrdiff_t w, std::ptrdiff_t h, int frames = 100,
                          double noise = 4.0, std::uint64_t seed = 5) {
  const auto c = vasostat_test::render_rbc_clip(w, h, frames, {v}, 180.0, noise, 0.05, seed);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, fps}};
  const vessel::centreline_point line[] = {{static_cast<float>(v.x0), static_cast<float>(v.y0)},
                                           {static_cast<float>(v.x1), static_cast<float>(v.y1)}};
  one_vessel_result r;
  r.diagram = vessel::space_time(clip, line);
  r.velocity = vessel::velocity(r.diagram);
  return r;
}

}  // namespace

TEST_CASE("velocity recovers 100-1500 µm/s within 10% with the direction, on a 300-px segment") {
  for (double um_s : {100.0, 300.0, 700.0, 1500.0}) {
    for (int sign : {1, -1}) {
      rbc_vessel v{.x0 = 20, .y0 = 30, .x1 = 302, .y1 = 132};  // 300 px long, ~20 degrees
      v.velocity_px = vasostat_test::constant_velocity(100, sign * um_s / fps);
      v.seed = static_cast<std::uint64_t>(um_s) + (sign > 0 ? 1 : 2);
      const auto r = run_one(v, 320, 160);
      CAPTURE(um_s);
      CAPTURE(sign);
      CHECK(r.diagram.length_px == doctest::Approx(300.0).epsilon(0.01));
      CHECK(r.velocity.velocity_um_s == doctest::Approx(um_s).epsilon(0.10));
      CHECK(r.velocity.direction == sign);
      CHECK(r.velocity.confidence > 0.5);
      CHECK_FALSE(r.velocity.saturated);
      CHECK(r.velocity.windows.size() == 4);
      for (const auto& w : r.velocity.windows) {
        CHECK(w.coherent);
        CHECK(std::abs(w.velocity_um_s) == doctest::Approx(um_s).epsilon(0.10));
      }
      CHECK(r.velocity.v_max_um_s == doctest::Approx(299.0 / 3 * fps));
    }
  }
}

TEST_CASE("velocities survive a ±10 px jitter once the clip is stabilised") {
  // three vessels in different directions over static tissue texture: a single long straight
  // vessel alone is ambiguous along its own direction for any global translation estimate
  constexpr int n = 100;
  const auto tissue = vasostat_test::make_blob_scene(320, 200, 300, 17);
  random_generator rng(8);
  std::vector<std::array<double, 2>> jitter(n, {0.0, 0.0});
  for (int t = 1; t < n; ++t) {
    jitter[static_cast<std::size_t>(t)] = {rng.uniform(-10, 10), rng.uniform(-10, 10)};
  }
  const double speeds[] = {600, 300, 900};
  std::vector<rbc_vessel> vs = {{.x0 = 40, .y0 = 60, .x1 = 290, .y1 = 150},
                                {.x0 = 60, .y0 = 180, .x1 = 200, .y1 = 20},
                                {.x0 = 20, .y0 = 110, .x1 = 300, .y1 = 100}};
  for (std::size_t i = 0; i < vs.size(); ++i) {
    vs[i].velocity_px = vasostat_test::constant_velocity(n, speeds[i] / fps);
    vs[i].seed = 60 + i;
  }
  const auto c = vasostat_test::render_rbc_clip(320, 200, n, vs, 180.0, 3.0, 0.05, 4, jitter, &tissue);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, fps}};
  const auto st = vessel::stabilize(clip);
  double worst = 0;
  for (std::size_t t = 0; t < static_cast<std::size_t>(n); ++t) {
    worst = std::max({worst, std::abs(st.offsets[t].dx - jitter[t][0]),
                      std::abs(st.offsets[t].dy - jitter[t][1])});
  }
  MESSAGE("worst stabilisation error with moving cells: " << worst << " px");
  CHECK(worst < 0.5);
  const auto gains = vessel::mean_image(clip, st.offsets).gain;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const vessel::centreline_point line[] = {{static_cast<float>(vs[i].x0), static_cast<float>(vs[i].y0)},
                                             {static_cast<float>(vs[i].x1), static_cast<float>(vs[i].y1)}};
    const auto r = vessel::velocity(
        vessel::space_time(clip, line, {.offsets = st.offsets, .frame_gain = gains}));
    CAPTURE(i);
    CHECK(r.velocity_um_s == doctest::Approx(speeds[i]).epsilon(0.10));
    CHECK(r.direction == 1);
    // without the offsets the diagram is scrambled by the jitter
    const auto raw = vessel::velocity(vessel::space_time(clip, line));
    CHECK(raw.confidence < r.confidence);
  }
}

TEST_CASE("velocity flags saturation when the speed exceeds L fps / 3") {
  // 60-px segment: v_max = 60/3 * 25 = 500 µm/s; cells at 1500 µm/s cross it in 1 frame
  rbc_vessel v{.x0 = 20, .y0 = 20, .x1 = 80, .y1 = 20};
  v.velocity_px = vasostat_test::constant_velocity(100, 1500.0 / fps);
  const auto r = run_one(v, 100, 40);
  CHECK(r.velocity.v_max_um_s == doctest::Approx(60.0 / 3 * fps));
  // either flagged as saturated, or no coherent streak: never a confident in-range speed
  for (const auto& w : r.velocity.windows) {
    CHECK((w.saturated || !w.coherent));
  }
  // the same segment measures a speed inside its range
  v.velocity_px = vasostat_test::constant_velocity(100, 300.0 / fps);
  const auto ok = run_one(v, 100, 40);
  CHECK(ok.velocity.velocity_um_s == doctest::Approx(300.0).epsilon(0.10));
  CHECK_FALSE(ok.velocity.saturated);
}

TEST_CASE("a stopped vessel has no coherent window; stop-and-go shows stopped windows") {
  rbc_vessel v{.x0 = 10, .y0 = 20, .x1 = 210, .y1 = 20};
  v.velocity_px = vasostat_test::constant_velocity(100, 0.0);
  const auto stopped = run_one(v, 220, 40);
  for (const auto& w : stopped.velocity.windows) {
    CAPTURE(w.confidence);
    CHECK((!w.coherent || std::abs(w.velocity_um_s) < 30.0));
  }
  CHECK(stopped.velocity.velocity_um_s < 30.0);
  // go 1 s, stop 2 s, go 1 s at 500 µm/s
  v.velocity_px.assign(100, 0.0);
  for (int t = 0; t < 100; ++t) {
    v.velocity_px[static_cast<std::size_t>(t)] = (t < 25 || t >= 75) ? 500.0 / fps : 0.0;
  }
  const auto sg = run_one(v, 220, 40);
  REQUIRE(sg.velocity.windows.size() == 4);
  CHECK(std::abs(sg.velocity.windows[0].velocity_um_s) == doctest::Approx(500.0).epsilon(0.1));
  for (int i : {1, 2}) {
    const auto& w = sg.velocity.windows[static_cast<std::size_t>(i)];
    CAPTURE(w.confidence);
    CHECK((!w.coherent || std::abs(w.velocity_um_s) < 30.0));
  }
  CHECK(std::abs(sg.velocity.windows[3].velocity_um_s) == doctest::Approx(500.0).epsilon(0.1));
}

TEST_CASE("space_time samples at 1-px arc length, removes background and flicker") {
  image<float> f(40, 20, 100.0f);
  for (std::ptrdiff_t x = 0; x < 40; ++x) {
    for (std::ptrdiff_t y = 0; y < 20; ++y) {
      f(x, y) = static_cast<float>(100 + x);  // a ramp along the vessel
    }
  }
  image<float> g(40, 20);
  for (std::ptrdiff_t y = 0; y < 20; ++y) {
    for (std::ptrdiff_t x = 0; x < 40; ++x) {
      g(x, y) = 2 * f(x, y);  // the same scene, twice as bright (flicker)
    }
  }
  std::vector<image_view<const float>> views{f.view(), g.view()};
  const vessel::clip<float> c{views, {1.0, 25.0}};
  const vessel::centreline_point line[] = {{5, 10}, {15, 10}, {15, 18}};
  const auto raw = vessel::space_time(c, line, {.remove_background = false, .normalize_brightness = false});
  CHECK(raw.length_px == doctest::Approx(18.0));
  REQUIRE(raw.values.width() == 19);
  CHECK(raw.values(0, 0) == doctest::Approx(105.0));
  CHECK(raw.values(10, 0) == doctest::Approx(115.0));
  CHECK(raw.values(18, 0) == doctest::Approx(115.0));
  CHECK(raw.values(3, 1) == doctest::Approx(216.0));
  const auto clean = vessel::space_time(c, line);
  for (std::ptrdiff_t k = 0; k < clean.values.width(); ++k) {
    CHECK(std::abs(clean.values(k, 0)) < 1e-3f);  // flicker undone, static scene removed
    CHECK(std::abs(clean.values(k, 1)) < 1e-3f);
  }
}

TEST_CASE("space_time and velocity reject bad input, naming the argument") {
  image<float> f(40, 20, 100.0f);
  std::vector<image_view<const float>> two{f.view(), f.view()}, one{f.view()};
  const vessel::clip<float> c{two, {1.0, 25.0}};
  using E = vasostat::invalid_argument;
  const vessel::centreline_point ok[] = {{1, 1}, {30, 10}};
  const vessel::centreline_point outside[] = {{1, 1}, {45, 10}};
  const vessel::centreline_point nan_pt[] = {{1, 1}, {NAN, 10}};
  const vessel::centreline_point single[] = {{1, 1}};
  CHECK_THROWS_WITH_AS((void)vessel::space_time(c, outside), doctest::Contains("outside the frame"), E);
  CHECK_THROWS_WITH_AS((void)vessel::space_time(c, nan_pt), doctest::Contains("centreline"), E);
  CHECK_THROWS_WITH_AS((void)vessel::space_time(c, single), doctest::Contains("centreline"), E);
  CHECK_THROWS_WITH_AS((void)vessel::space_time(c, ok, {.ribbon_half_width_px = -1}),
                       doctest::Contains("ribbon_half_width_px"), E);
  const vessel::translation offs[] = {{0, 0}};
  CHECK_THROWS_WITH_AS((void)vessel::space_time(c, ok, {.offsets = offs}), doctest::Contains("offsets"), E);
  CHECK_THROWS_WITH_AS((void)vessel::space_time(vessel::clip<float>{two, {1.0, 0.0}}, ok),
                       doctest::Contains("fps"), E);
  const auto d1 = vessel::space_time(vessel::clip<float>{one, {1.0, 25.0}}, ok);
  CHECK_THROWS_WITH_AS((void)vessel::velocity(d1), doctest::Contains("fewer than 2 frames"), E);
  auto d = vessel::space_time(c, ok);
  CHECK_THROWS_WITH_AS((void)vessel::velocity(d, {.window_s = -1}), doctest::Contains("window_s"), E);
  CHECK_THROWS_WITH_AS((void)vessel::velocity(d, {.min_confidence = 2}), doctest::Contains("min_confidence"), E);
  CHECK_THROWS_WITH_AS((void)vessel::velocity(d, {.v_max_fraction = 0}), doctest::Contains("v_max_fraction"), E);
  d.values(2, 1) = NAN;
  CHECK_THROWS_WITH_AS((void)vessel::velocity(d), doctest::Contains("NaN"), E);
}
