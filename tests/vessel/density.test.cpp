// vessel::density and vessel::analyze_mask: exact TVD and De Backer score on hand-built grids,
// rendered networks with known centreline length and small-vessel length, calibration and ROI
// handling, bad input.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/density.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "support/vessel_geometry_support.hpp"

namespace {

using vasostat::image;
namespace vs = vasostat::vessel;
using vessel_test::vec2;

/// A grid of 1-px lines: `nh` horizontal lines at rows ys and `nv` vertical lines at columns xs,
/// each running across the whole image.
image<std::uint8_t> grid(std::ptrdiff_t w, std::ptrdiff_t h, const std::vector<std::ptrdiff_t>& ys,
                         const std::vector<std::ptrdiff_t>& xs, int width = 1) {
  image<std::uint8_t> m(w, h, 0);
  for (std::ptrdiff_t y0 : ys) {
    for (std::ptrdiff_t y = y0 - width / 2; y <= y0 + (width - 1) / 2; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        m(x, y) = 1;
      }
    }
  }
  for (std::ptrdiff_t x0 : xs) {
    for (std::ptrdiff_t x = x0 - width / 2; x <= x0 + (width - 1) / 2; ++x) {
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        m(x, y) = 1;
      }
    }
  }
  return m;
}

}  // namespace

TEST_CASE("density: a hand-built grid of lines gives the exact TVD and De Backer score") {
  // 400 x 300 px, 2 µm/px: 3 horizontal and 4 vertical lines across the image.
  const image<std::uint8_t> m = grid(400, 300, {37, 140, 262}, {20, 130, 233, 351});
  const vs::mask_analysis a = vs::analyze_mask(m.view(), {.density = {.um_per_px = 2.0}});
  const double length_um = (3 * 400 + 4 * 300) * 2.0;
  const double area_mm2 = 400 * 300 * 4.0 * 1e-6;
  CHECK(a.metrics.total_length_um == doctest::Approx(length_um).epsilon(1e-9));
  CHECK(a.metrics.area_mm2 == doctest::Approx(area_mm2).epsilon(1e-12));
  CHECK(a.metrics.tvd_mm_per_mm2 == doctest::Approx(length_um * 1e-3 / area_mm2).epsilon(1e-9));
  // The 3 horizontal grid lines (y = 74.5, 149.5, 224.5) cross the 4 vertical vessels, the 3
  // vertical grid lines (x = 99.5, 199.5, 299.5) the 3 horizontal vessels: 12 + 9 crossings over
  // 3 · 400 · 2 µm + 3 · 300 · 2 µm of line.
  CHECK(a.metrics.crossings == 21);
  CHECK(a.metrics.grid_line_length_mm == doctest::Approx((3 * 400 + 3 * 300) * 2e-3));
  CHECK(a.metrics.de_backer_per_mm == doctest::Approx(21.0 / 4.2).epsilon(1e-12));
  // 1-px vessels are small; every one of them is in the smallest class.
  CHECK(a.metrics.small_length_um == doctest::Approx(length_um).epsilon(1e-9));
  CHECK(a.metrics.small_tvd_mm_per_mm2 == doctest::Approx(a.metrics.tvd_mm_per_mm2));
  CHECK(a.metrics.count_per_class[0] == a.metrics.vessel_count);
}

TEST_CASE("density: thick grid vessels (5 px) keep the De Backer count and TVD within 1 %") {
  const image<std::uint8_t> m = grid(500, 400, {60, 180, 330}, {45, 160, 290, 420}, 5);
  const vs::mask_analysis a = vs::analyze_mask(m.view(), {.density = {.um_per_px = 1.5}});
  const double length_um = (3 * 500 + 4 * 400) * 1.5;
  CHECK(std::abs(a.metrics.total_length_um / length_um - 1) < 0.01);
  CHECK(a.metrics.crossings == 21);
  // 5 px at 1.5 µm/px = 7.5 µm: small; with 5 µm/px = 25 µm: large.
  CHECK(a.metrics.small_length_um == doctest::Approx(a.metrics.total_length_um));
  const vs::mask_analysis b = vs::analyze_mask(m.view(), {.density = {.um_per_px = 5.0}});
  CHECK(b.metrics.small_length_um == 0.0);
  CHECK(b.metrics.tvd_mm_per_mm2 == doctest::Approx(a.metrics.tvd_mm_per_mm2 * 1.5 / 5.0).epsilon(1e-9));
}

TEST_CASE("density: rendered curved networks: total length within 2 %, small-vessel length within 3 %") {
  vasostat::random_generator rng(777);
  for (int i = 0; i < 12; ++i) {
    image<std::uint8_t> m(640, 480, 0);
    double truth = 0, small_truth = 0;
    // Separate curved vessels (no crossings) of random widths: arcs in distinct cells.
    for (int cell = 0; cell < 6; ++cell) {
      const double cx = 110 + 210 * (cell % 3), cy = 120 + 240 * (cell / 3);
      const double d = 3 + 22 * rng.uniform();
      const double r = 45 + 40 * rng.uniform();
      const double a0 = 2 * std::numbers::pi * rng.uniform();
      const vessel_test::tube t =
          vessel_test::arc_tube({cx + rng.uniform(), cy + rng.uniform()}, r, a0, a0 + 1.5 + 2.5 * rng.uniform(), d);
      vessel_test::draw(m, t);
      truth += t.length();
      if (d * 1.0 < 12.0) {  // 1 µm/px, cut-off 12 µm
        small_truth += t.length();
      }
    }
    const vs::mask_analysis a =
        vs::analyze_mask(m.view(), {.density = {.um_per_px = 1.0, .small_vessel_um = 12.0}});
    CAPTURE(i);
    CHECK(std::abs(a.metrics.total_length_um / truth - 1) < 0.02);
    if (small_truth > 0) {
      CHECK(std::abs(a.metrics.small_length_um / small_truth - 1) < 0.03);
    } else {
      CHECK(a.metrics.small_length_um < 0.03 * truth);
    }
  }
}

TEST_CASE("density: anisotropic calibration scales lengths by direction; ROI restricts length and area") {
  const image<std::uint8_t> m = grid(300, 200, {100}, {150});
  const vs::mask_analysis a = vs::analyze_mask(m.view(), {.density = {.um_per_px = 1.0, .um_per_px_y = 2.0}});
  CHECK(a.metrics.total_length_um == doctest::Approx(300 * 1.0 + 200 * 2.0).epsilon(1e-9));
  CHECK(a.metrics.area_mm2 == doctest::Approx(300 * 200 * 2.0 * 1e-6));
  // ROI = left half: the horizontal line's left half and the vertical line... which is at x = 150
  // (outside the ROI x < 150).
  image<std::uint8_t> roi(300, 200, 0);
  for (std::ptrdiff_t y = 0; y < 200; ++y) {
    for (std::ptrdiff_t x = 0; x < 150; ++x) {
      roi(x, y) = 1;
    }
  }
  const vs::density_metrics d = vs::density(a.vessels, {.um_per_px = 1.0, .roi = roi.view()});
  CHECK(d.area_mm2 == doctest::Approx(150 * 200 * 1e-6));
  CHECK(d.total_length_um == doctest::Approx(150.0).epsilon(0.02));
}

TEST_CASE("density: empty, full and 1x1 masks give finite zero-safe results") {
  for (auto [w, h, v] : {std::tuple{0, 0, 0}, std::tuple{1, 1, 1}, std::tuple{64, 48, 0},
                         std::tuple{64, 48, 1}, std::tuple{3, 1, 1}}) {
    image<std::uint8_t> m(w, h, static_cast<std::uint8_t>(v));
    const vs::mask_analysis a = vs::analyze_mask(m.view(), {.density = {.um_per_px = 1.3}});
    CHECK(std::isfinite(a.metrics.tvd_mm_per_mm2));
    CHECK(std::isfinite(a.metrics.de_backer_per_mm));
    CHECK(a.metrics.tvd_mm_per_mm2 >= 0);
    if (v == 0) {
      CHECK(a.metrics.total_length_um == 0);
      CHECK(a.metrics.tvd_mm_per_mm2 == 0);
      CHECK(a.metrics.de_backer_per_mm == 0);
    }
  }
}

TEST_CASE("density: bad input throws invalid_argument naming the argument") {
  const vs::graph g{.width = 10, .height = 10, .nodes = {}, .segments = {}};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (double bad : {0.0, -1.0, nan, inf}) {
    CHECK_THROWS_WITH_AS((void)vs::density(g, {.um_per_px = bad}), doctest::Contains("um_per_px"),
                         vasostat::invalid_argument);
  }
  CHECK_THROWS_WITH_AS((void)vs::density(g, {}), doctest::Contains("um_per_px"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)vs::density(g, {.um_per_px = 1, .um_per_px_y = -2}),
                       doctest::Contains("um_per_px_y"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)vs::density(g, {.um_per_px = 1, .small_vessel_um = 0}),
                       doctest::Contains("small_vessel_um"), vasostat::invalid_argument);
  image<std::uint8_t> small(9, 10, 1), empty(10, 10, 0);
  CHECK_THROWS_WITH_AS((void)vs::density(g, {.um_per_px = 1, .roi = small.view()}),
                       doctest::Contains("roi"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS((void)vs::density(g, {.um_per_px = 1, .roi = empty.view()}),
                       doctest::Contains("roi"), vasostat::invalid_argument);
  image<std::uint8_t> m(10, 10, 0);
  CHECK_THROWS_WITH_AS((void)vs::analyze_mask(m.view(), {}), doctest::Contains("um_per_px"),
                       vasostat::invalid_argument);
}
