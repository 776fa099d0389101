// vessel::vessel_paths on rendered crossings and branches: a path follows its vessel straight
// through an X crossing (which the skeleton splits into two junctions and a bridge), stops at a
// T branch and at free ends, is 8-connected, is as long as asked; bad input. And analyze_clip
// measuring a piece between two crossings, too short on its own, along its vessel.

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/clip_analysis.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/trace.hpp>
#include <vasostat/vessel/vessel_path.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "support/vessel_geometry_support.hpp"
#include "support/vessel_video_synthetic.hpp"

namespace vessel_path_test {

namespace vs = vasostat::vessel;
using vessel_test::vec2;

vs::graph traced(const vasostat::image<std::uint8_t>& m) {
  const auto skel = vs::skeletonize(m.view());
  const auto dist = vs::distance_transform(m.view());
  return vs::trace(skel.view(), dist.view());
}

/// The segment whose centreline passes closest to (x, y).
std::size_t segment_near(const vs::graph& g, double x, double y) {
  std::size_t best = 0;
  double best_d = 1e300;
  for (std::size_t s = 0; s < g.segments.size(); ++s) {
    for (const auto& p : g.segments[s].centreline) {
      const double d = std::hypot(p.x - x, p.y - y);
      if (d < best_d) {
        best_d = d;
        best = s;
      }
    }
  }
  return best;
}

double arc_length(const std::vector<vs::point>& path) {
  double len = 0;
  for (std::size_t i = 1; i < path.size(); ++i) {
    len += std::hypot(path[i].x - path[i - 1].x, path[i].y - path[i - 1].y);
  }
  return len;
}

bool eight_connected(const std::vector<vs::point>& path) {
  for (std::size_t i = 1; i < path.size(); ++i) {
    if (std::abs(path[i].x - path[i - 1].x) > 1 || std::abs(path[i].y - path[i - 1].y) > 1) return false;
  }
  return true;
}

}  // namespace vessel_path_test

TEST_CASE("vessel_paths: a path follows its vessel straight through X crossings") {
  using namespace vessel_path_test;
  // A horizontal vessel crossed by two others at 60 and 115 degrees, of several widths.
  for (const double width : {3.0, 5.0, 7.0}) {
    vasostat::image<std::uint8_t> m(320, 200, 0);
    vessel_test::draw(m, vessel_test::line_tube({5, 100}, {314, 100}, width));
    vessel_test::draw(m, vessel_test::line_tube({100 - 90 / std::tan(1.047), 10}, {100 + 90 / std::tan(1.047), 190}, width));
    vessel_test::draw(m, vessel_test::line_tube({220 - 90 / std::tan(2.007), 10}, {220 + 90 / std::tan(2.007), 190}, width));
    const vs::graph g = traced(m);
    const vs::vessel_paths paths(g);
    const std::size_t left = segment_near(g, 30, 100);
    const auto path = paths.path(left, {.min_length_px = 1000});
    CAPTURE(width);
    CHECK(eight_connected(path));
    // it crossed both crossings and stayed on the horizontal vessel
    int min_x = 1000, max_x = -1;
    for (const auto& p : path) {
      CHECK(std::abs(p.y - 100) <= width);
      min_x = std::min(min_x, p.x);
      max_x = std::max(max_x, p.x);
    }
    CHECK(min_x <= 10);
    CHECK(max_x >= 305);
    // from a piece between the two crossings, as far as asked, on both sides about equally
    const std::size_t middle = segment_near(g, 160, 100);
    const double own = g.segments[middle].length_px;
    const auto longer = paths.path(middle, {.min_length_px = own + 60});
    CHECK(eight_connected(longer));
    CHECK(arc_length(longer) >= own + 55);
    CHECK(arc_length(longer) <= own + 70);
    // the crossing vessel is followed as itself, not turned into the horizontal one
    const std::size_t up = segment_near(g, 100 - 80 / std::tan(1.047), 20);
    for (const auto& p : paths.path(up, {.min_length_px = 1000})) {
      CHECK(std::abs((p.x - 100) * std::sin(1.047) - (p.y - 100) * std::cos(1.047)) <= width + 1);
    }
  }
}

TEST_CASE("vessel_paths: no extension at a T branch, at free ends, or when not asked") {
  using namespace vessel_path_test;
  vasostat::image<std::uint8_t> m(300, 200, 0);
  vessel_test::draw(m, vessel_test::line_tube({10, 60}, {290, 60}, 5));
  vessel_test::draw(m, vessel_test::line_tube({150, 60}, {150, 190}, 5));  // a branch at 90 degrees
  const vs::graph g = traced(m);
  const vs::vessel_paths paths(g);
  const std::size_t branch = segment_near(g, 150, 150);
  CHECK(paths.path(branch, {.min_length_px = 1000}) == g.segments[branch].centreline);
  const std::size_t left = segment_near(g, 40, 60);
  const auto through = paths.path(left, {.min_length_px = 1000});
  CHECK(eight_connected(through));
  for (const auto& p : through) CHECK(std::abs(p.y - 60) <= 3);  // on along the main vessel
  CHECK(paths.path(left) == g.segments[left].centreline);         // min_length 0: the segment
}

TEST_CASE("vessel_paths: bad input") {
  using namespace vessel_path_test;
  vasostat::image<std::uint8_t> m(60, 40, 0);
  vessel_test::draw(m, vessel_test::line_tube({5, 20}, {55, 20}, 3));
  const vs::graph g = traced(m);
  const vs::vessel_paths paths(g);
  CHECK_THROWS_AS((void)paths.path(g.segments.size()), vasostat::invalid_argument);
  CHECK_THROWS_AS((void)paths.path(0, {.min_length_px = -1}), vasostat::invalid_argument);
  CHECK_THROWS_AS((void)paths.path(0, {.min_length_px = NAN}), vasostat::invalid_argument);
  CHECK_THROWS_AS((void)paths.path(0, {.max_turn_deg = 200}), vasostat::invalid_argument);
  CHECK_THROWS_AS((void)paths.path(0, {.direction_px = 0}), vasostat::invalid_argument);
  CHECK_THROWS_AS(vs::vessel_paths(g, -1.0), vasostat::invalid_argument);
  const vs::graph empty;
  const vs::vessel_paths none(empty);
  CHECK_THROWS_AS((void)none.path(0), vasostat::invalid_argument);
}

TEST_CASE("analyze_clip follows a vessel through crossings to measure a piece too short on its own") {
  namespace vs = vasostat::vessel;
  constexpr int frames = 75;  // 3 s at 25 fps, 1 um/px
  auto vessel = [](double x0, double y0, double x1, double y1, double px_per_frame, std::uint64_t seed) {
    vasostat_test::rbc_vessel v;
    v.x0 = x0, v.y0 = y0, v.x1 = x1, v.y1 = y1;
    v.radius_px = 3;
    v.velocity_px.assign(frames, px_per_frame);
    v.seed = seed;
    return v;
  };
  // a horizontal vessel at 900 um/s crossed at x = 150 and x = 220 by two at 500 um/s: the
  // 70-px piece between the crossings measures at most 70 * 25 / 3 = 583 um/s on its own
  const std::vector<vasostat_test::rbc_vessel> vessels = {
      vessel(0, 110, 359, 110, 36, 11), vessel(150, 0, 150, 219, 20, 12), vessel(220, 0, 220, 219, -20, 13)};
  const auto c = vasostat_test::render_rbc_clip(360, 220, frames, vessels, 180.0, 4.0, 0.03, 5);
  std::vector<vasostat::image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vs::clip<float> clip{views, {1.0, 25.0}};
  vs::analyze_clip_options along;  // a still clip: registration is another test's subject
  along.stabilize = false;
  const auto followed = vs::analyze_clip(clip, along);
  vs::analyze_clip_options alone = along;
  alone.follow_vessels = false;
  const auto separate = vs::analyze_clip(clip, alone);
  const std::size_t piece = vessel_path_test::segment_near(followed.vessels, 185, 110);
  REQUIRE(followed.segments.size() == followed.vessels.segments.size());
  CHECK(followed.vessels.segments[piece].length_px < 90);
  CHECK(followed.segments[piece].flow.cls == vs::flow_class::continuous);
  CHECK(followed.segments[piece].flow.velocity_um_s == doctest::Approx(900).epsilon(0.1));
  CHECK(followed.segments[piece].velocity.v_max_um_s >= 1000);
  // measured alone, the piece's range is too small for the speed
  const std::size_t alone_piece = vessel_path_test::segment_near(separate.vessels, 185, 110);
  CHECK(separate.segments[alone_piece].velocity.v_max_um_s < 700);
  CHECK_FALSE(separate.segments[alone_piece].flow.velocity_um_s == doctest::Approx(900).epsilon(0.1));
  // every piece of the vertical vessels keeps its own speed and direction
  for (std::size_t s = 0; s < followed.segments.size(); ++s) {
    const auto& seg = followed.vessels.segments[s];
    if (seg.length_px < 40) continue;
    const auto mid = seg.centreline[seg.centreline.size() / 2];
    const bool vertical = std::abs(mid.y - 110) > 10;
    CAPTURE(s);
    CHECK(followed.segments[s].flow.velocity_um_s == doctest::Approx(vertical ? 500 : 900).epsilon(0.1));
  }
}
