// vessel::trace on rendered masks with known centreline length and diameter: lines at many
// angles, arcs, circles, branching trees, border crossings; spur pruning with re-merge; graph
// invariants; bad input.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/trace.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numbers>
#include <vector>

#include "support/vessel_geometry_support.hpp"

namespace {

using vasostat::image;
namespace vs = vasostat::vessel;
using vessel_test::vec2;

vs::graph pipeline(const image<std::uint8_t>& m, const vs::trace_options& opt = {}) {
  const image<std::uint8_t> skel = vs::skeletonize(m.view());
  const image<float> dist = vs::distance_transform(m.view());
  return vs::trace(skel.view(), dist.view(), opt);
}

double total_length(const vs::graph& g) {
  double l = 0;
  for (const auto& s : g.segments) {
    l += s.length_px;
  }
  return l;
}

/// Structural invariants every traced graph keeps.
bool invariants(const vs::graph& g) {
  for (const auto& s : g.segments) {
    if (s.centreline.empty()) {
      return false;
    }
    for (std::size_t i = 1; i < s.centreline.size(); ++i) {
      const auto a = s.centreline[i - 1], b = s.centreline[i];
      if (std::abs(a.x - b.x) > 1 || std::abs(a.y - b.y) > 1 || (a == b)) {
        return false;
      }
    }
    if (!s.is_loop && (s.first_node < 0 || s.last_node < 0)) {
      return false;
    }
    if (s.first_node >= static_cast<std::int32_t>(g.nodes.size()) ||
        s.last_node >= static_cast<std::int32_t>(g.nodes.size())) {
      return false;
    }
    if (!(s.length_px >= 0) || !(s.diameter_px >= 0)) {
      return false;
    }
  }
  for (const auto& n : g.nodes) {
    if (n.kind == vs::node_kind::end && n.degree != 1) {
      return false;
    }
    if (n.kind == vs::node_kind::junction && n.degree < 3) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("trace: straight tubes at many angles and widths 3-30 px: length within 2 %, diameter within 1 px") {
  vasostat::random_generator rng(2718);
  double worst_length = 0, worst_diameter = 0;
  int cases = 0;
  for (int i = 0; i < 80; ++i) {
    const double angle = std::numbers::pi * i / 80.0 + 0.01 * rng.uniform();
    const double d = 3 + 27 * rng.uniform();
    const double half = 90 + 40 * rng.uniform();
    const vec2 c{160 + rng.uniform(), 160 + rng.uniform()};
    const vessel_test::tube t = vessel_test::line_tube(
        {c.x - half * std::cos(angle), c.y - half * std::sin(angle)},
        {c.x + half * std::cos(angle), c.y + half * std::sin(angle)}, d);
    image<std::uint8_t> m(320, 320, 0);
    vessel_test::draw(m, t);
    const vs::graph g = pipeline(m);
    CAPTURE(angle);
    CAPTURE(d);
    REQUIRE(g.segments.size() == 1);
    CHECK(invariants(g));
    const double rel = std::abs(g.segments[0].length_px / t.length() - 1);
    const double derr = std::abs(g.segments[0].diameter_px - d);
    CHECK(rel < 0.02);
    CHECK(derr <= 1.0);
    worst_length = std::max(worst_length, rel);
    worst_diameter = std::max(worst_diameter, derr);
    ++cases;
  }
  MESSAGE("lines: worst length error " << worst_length * 100 << " %, worst diameter error "
                                       << worst_diameter << " px over " << cases << " tubes");
}

TEST_CASE("trace: arcs and closed circles: length within 2 %, diameter within 1 px; a circle is one loop") {
  vasostat::random_generator rng(1618);
  for (int i = 0; i < 40; ++i) {
    const double d = 3 + 17 * rng.uniform();
    const double r = 35 + 60 * rng.uniform();
    const double a0 = 2 * std::numbers::pi * rng.uniform();
    const bool closed = i % 2 == 1;
    const double span = closed ? 2 * std::numbers::pi : 1.0 + 3.0 * rng.uniform();
    const vessel_test::tube t = vessel_test::arc_tube({150 + rng.uniform(), 150 + rng.uniform()}, r,
                                                      a0, a0 + span, d);
    image<std::uint8_t> m(300, 300, 0);
    vessel_test::draw(m, t);
    const vs::graph g = pipeline(m);
    CAPTURE(i);
    CAPTURE(d);
    CAPTURE(r);
    REQUIRE(g.segments.size() == 1);
    CHECK(invariants(g));
    CHECK(g.segments[0].is_loop == closed);
    CHECK(g.nodes.size() == (closed ? 0U : 2U));
    CHECK(std::abs(g.segments[0].length_px / t.length() - 1) < 0.02);
    CHECK(std::abs(g.segments[0].diameter_px - d) <= 1.0);
  }
}

TEST_CASE("trace: branching trees: total length within 2 % of the union of centrelines; per-vessel diameters within 1 px") {
  vasostat::random_generator rng(31);
  for (int i = 0; i < 25; ++i) {
    image<std::uint8_t> m(400, 300, 0);
    const double d0 = 8 + 10 * rng.uniform();
    // A trunk across the frame (edge to edge), with branches leaving it at its centreline.
    const double y0 = 150 + 20 * (rng.uniform() - 0.5);
    const double slope = 0.3 * (rng.uniform() - 0.5);
    const vessel_test::tube trunk = vessel_test::line_tube({-0.5, y0}, {399.5, y0 + 400 * slope}, d0);
    double truth = trunk.length();
    vessel_test::draw(m, trunk);
    std::vector<std::pair<vessel_test::tube, double>> branches;
    for (int b = 0; b < 4; ++b) {
      // Alternately up and down, within ±35° of the vertical, so branches never overlap.
      const double x = 70 + 85 * b + 10 * rng.uniform();
      const vec2 start{x, y0 + (x + 0.5) * slope};
      const double tilt = (rng.uniform() - 0.5) * 1.2;
      const double len = 60 + 40 * rng.uniform();
      const double sign = b % 2 == 0 ? -1.0 : 1.0;
      const double db = 3 + 0.5 * d0 * rng.uniform();
      const vessel_test::tube br = vessel_test::line_tube(
          start, {start.x + len * std::sin(tilt), start.y + sign * len * std::cos(tilt)}, db);
      truth += br.length();
      vessel_test::draw(m, br);
      branches.push_back({br, db});
    }
    const vs::graph g = pipeline(m);
    CAPTURE(i);
    CHECK(invariants(g));
    CHECK(std::abs(total_length(g) / truth - 1) < 0.02);
    // Every segment's diameter is one of the drawn diameters within 1 px.
    for (const auto& s : g.segments) {
      bool matches = std::abs(s.diameter_px - d0) <= 1.0;
      for (const auto& [br, db] : branches) {
        matches = matches || std::abs(s.diameter_px - db) <= 1.0;
      }
      CAPTURE(s.diameter_px);
      CHECK(matches);
    }
    // 4 branches on one trunk: 4 junctions, 4 free ends, 2 border ends, 9 segments.
    CHECK(g.segments.size() == 9);
    int border_ends = 0;
    for (const auto& n : g.nodes) {
      border_ends += (n.kind == vs::node_kind::end && n.touches_border) ? 1 : 0;
    }
    CHECK(border_ends == 2);
  }
}

TEST_CASE("trace: spurs from wall bumps are pruned iteratively and the vessel re-merged into one segment") {
  image<std::uint8_t> m(300, 80, 0);
  vessel_test::draw(m, vessel_test::line_tube({20, 40}, {280, 40}, 15));
  // Bumps on both walls at different places: each gives a short spur.
  vessel_test::draw(m, vessel_test::line_tube({80, 40}, {80, 52}, 5));
  vessel_test::draw(m, vessel_test::line_tube({180, 40}, {183, 28}, 5));
  const vs::graph raw = pipeline(m, {.prune_spurs = false});
  CHECK(raw.segments.size() >= 5);
  const vs::graph g = pipeline(m);
  REQUIRE(g.segments.size() == 1);
  CHECK(g.nodes.size() == 2);
  CHECK(invariants(g));
  CHECK(std::abs(g.segments[0].length_px / 260.0 - 1) < 0.02);
  CHECK(std::abs(g.segments[0].diameter_px - 15) <= 1.0);
  // A real side branch, longer than the limits, is kept.
  vessel_test::draw(m, vessel_test::line_tube({130, 40}, {130, 79.5}, 5));
  const vs::graph kept = pipeline(m);
  CHECK(kept.segments.size() == 3);
}

TEST_CASE("trace: a line across the whole frame is measured edge to edge and touches the border") {
  for (double d : {3.0, 7.0, 12.0}) {
    image<std::uint8_t> m(200, 60, 0);
    const vessel_test::tube t = vessel_test::line_tube({-0.5, 30.2}, {199.5, 30.2}, d);
    vessel_test::draw(m, t);
    const vs::graph g = pipeline(m);
    REQUIRE(g.segments.size() == 1);
    CHECK(g.segments[0].touches_border);
    CHECK(std::abs(g.segments[0].length_px - 200.0) < 2.0);
  }
}

TEST_CASE("trace: empty, single pixel, full mask and tiny images give valid graphs") {
  for (auto [w, h, v] : {std::tuple{0, 0, 0}, std::tuple{1, 1, 1}, std::tuple{1, 1, 0},
                         std::tuple{50, 30, 1}, std::tuple{1, 40, 1}, std::tuple{40, 1, 1}}) {
    image<std::uint8_t> m(w, h, static_cast<std::uint8_t>(v));
    const vs::graph g = pipeline(m);
    CHECK(invariants(g));
    CHECK(total_length(g) >= 0);
  }
  image<std::uint8_t> line(40, 1, 1);
  const vs::graph g = pipeline(line);
  REQUIRE(g.segments.size() == 1);
  CHECK(g.segments[0].length_px == doctest::Approx(40.0).epsilon(0.03));
}

TEST_CASE("trace: bad input throws invalid_argument naming the argument") {
  image<std::uint8_t> s(10, 10, 0);
  image<float> d(10, 10, 0.0f), small(9, 10, 0.0f);
  CHECK_THROWS_WITH_AS((void)vs::trace(s.view(), small.view()), doctest::Contains("distance"),
                       vasostat::invalid_argument);
  const vasostat::image_view<const std::uint8_t> null_skel(nullptr, 10, 10, 10);
  CHECK_THROWS_WITH_AS((void)vs::trace(null_skel, d.view()), doctest::Contains("skeleton"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)vs::trace(s.view(), d.view(), {.min_spur_length_px = -1}),
                       doctest::Contains("min_spur_length_px"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)vs::trace(s.view(), d.view(), {.spur_radius_factor = NAN}),
                       doctest::Contains("spur_radius_factor"), vasostat::invalid_argument);
}

TEST_CASE("trace: without pruning every end and path pixel of the skeleton lies on a segment") {
  vasostat::random_generator rng(4242);
  int cases = 0;
  for (int i = 0; i < 200; ++i) {
    const std::ptrdiff_t w = 3 + static_cast<std::ptrdiff_t>(rng.below(60));
    const std::ptrdiff_t h = 3 + static_cast<std::ptrdiff_t>(rng.below(60));
    const image<std::uint8_t> m = i % 2 == 0 ? vessel_test::random_mask(w, h, 0.2 + 0.6 * rng.uniform(), rng)
                                             : vessel_test::random_blobs(w, h, 6, 10, rng);
    const image<std::uint8_t> skel = vs::skeletonize(m.view());
    const image<float> dist = vs::distance_transform(m.view());
    const vs::graph g = vs::trace(skel.view(), dist.view(), {.prune_spurs = false});
    image<std::uint8_t> covered(w, h, 0);
    for (const auto& s : g.segments) {
      for (const auto& p : s.centreline) {
        covered(p.x, p.y) = 1;
      }
    }
    bool all = true;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        int neighbours = 0;  // junction-cluster pixels (>= 3) are inside nodes, not on chains
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const std::ptrdiff_t nx = x + dx, ny = y + dy;
            if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < w && ny < h && skel(nx, ny) != 0) {
              ++neighbours;
            }
          }
        }
        all = all && (skel(x, y) == 0 || neighbours == 0 || neighbours >= 3 || covered(x, y) != 0);
      }
    }
    CAPTURE(i);
    CHECK(all);
    CHECK(invariants(g));
    ++cases;
  }
  CHECK(cases == 200);
}
