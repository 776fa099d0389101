// vessel::lumen_diameter on rendered lumens of known width (anti-aliased, blurred by a Gaussian
// PSF of σ = 1 px, noise), at many angles and with poor mask-based starting diameters; and
// analyze_clip's use of it: per-segment diameters within 1 px of the rendered lumens, and the
// small-vessel (< 20 µm) TVD and PPV from those diameters, where the Frangi mask's widths would
// put 10- and 16-µm capillaries among the large vessels.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/clip_analysis.hpp>
#include <vasostat/vessel/lumen.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;

namespace lumen_test {

/// The digital centreline (rounded points, consecutive 8-neighbours) of the line through
/// (cx, cy) at `angle`, from t = -half_length to half_length.
vessel::segment straight_segment(double cx, double cy, double angle, double half_length,
                                 double mask_diameter) {
  vessel::segment s;
  const double ux = std::cos(angle), uy = std::sin(angle);
  for (double t = -half_length; t <= half_length; t += 0.25) {
    const vessel::point p{static_cast<std::int32_t>(std::lround(cx + t * ux)),
                          static_cast<std::int32_t>(std::lround(cy + t * uy))};
    if (s.centreline.empty() || !(s.centreline.back() == p)) {
      s.centreline.push_back(p);
    }
  }
  s.diameter_px = mask_diameter;
  return s;
}

}  // namespace lumen_test

TEST_CASE("lumen_diameter reads lumens of 4-30 px within 0.5 px (PSF σ = 1 px, noise, any angle)") {
  random_generator rng(17);
  double worst = 0;
  for (const double d : {4.0, 5.0, 6.0, 8.0, 12.0, 16.0, 22.0, 30.0}) {
    const std::ptrdiff_t size = d < 10 ? 64 : 96;
    const double c = 0.5 * static_cast<double>(size) + 0.3;
    for (const double deg : {0.0, 17.0, 45.0, 71.0, 90.0, 128.0}) {
      const double angle = deg * std::numbers::pi / 180;
      auto img = vasostat_test::render_bar(size, size, c, c - 0.6, angle, d / 2, 180.0f, 120.0f, 4);
      vasostat_test::gaussian_blur(img, 1.0);
      for (std::ptrdiff_t y = 0; y < size; ++y) {
        for (std::ptrdiff_t x = 0; x < size; ++x) {
          img(x, y) += static_cast<float>(1.5 * rng.normal());
        }
      }
      // the mask's diameter only steers the search: too thin, too wide (Frangi) or unknown
      for (const double mask_d : {0.6 * d, d + 5, 2 * d + 6, 0.0}) {
        const auto s = lumen_test::straight_segment(c, c - 0.6, angle, 0.5 * static_cast<double>(size) - 4, mask_d);
        const auto m = vessel::lumen_diameter(image_view<const float>(img.view()), s);
        CAPTURE(d);
        CAPTURE(deg);
        CAPTURE(mask_d);
        REQUIRE(m.measured);
        CHECK(m.profiles >= 16);
        CHECK(m.depth == doctest::Approx(60.0 * (d < 5 ? 0.95 : 1.0)).epsilon(0.1));
        CHECK(std::abs(m.diameter_px - d) <= 0.5);
        worst = std::max(worst, std::abs(m.diameter_px - d));
      }
    }
  }
  MESSAGE("worst lumen diameter error " << worst << " px");
}

TEST_CASE("lumen_diameter: bright vessels, neighbours, a segment without lumen, bad input") {
  // two parallel dark lumens 6 px apart (edge to edge): each reads its own width
  auto img = vasostat_test::render_bar(80, 64, 40, 24, 0, 2.5, 180.0f, 120.0f, 4);
  const auto other = vasostat_test::render_bar(80, 64, 40, 38, 0, 4, 180.0f, 120.0f, 4);
  for (std::ptrdiff_t y = 0; y < 64; ++y) {
    for (std::ptrdiff_t x = 0; x < 80; ++x) {
      img(x, y) = std::min(img(x, y), other(x, y));
    }
  }
  vasostat_test::gaussian_blur(img, 1.0);
  const image_view<const float> v(img.view());
  auto s1 = lumen_test::straight_segment(40, 24, 0, 30, 11);
  auto s2 = lumen_test::straight_segment(40, 38, 0, 30, 14);
  CHECK(vessel::lumen_diameter(v, s1).diameter_px == doctest::Approx(5.0).epsilon(0.06));
  CHECK(vessel::lumen_diameter(v, s2).diameter_px == doctest::Approx(8.0).epsilon(0.06));
  vessel::graph g{80, 64, {}, {s1, s2}};
  const auto both = vessel::lumen_diameters(v, g);
  REQUIRE(both.size() == 2);
  CHECK(both[1].diameter_px == doctest::Approx(8.0).epsilon(0.06));
  // bright lumen
  image<float> neg(80, 64);
  for (std::ptrdiff_t y = 0; y < 64; ++y) {
    for (std::ptrdiff_t x = 0; x < 80; ++x) {
      neg(x, y) = 255.0f - img(x, y);
    }
  }
  CHECK(vessel::lumen_diameter(image_view<const float>(neg.view()), s2, {.dark_vessels = false})
            .diameter_px == doctest::Approx(8.0).epsilon(0.06));
  // a flat image has no lumen: not measured, NaN
  image<std::uint8_t> flat(80, 64, 100);
  const auto m = vessel::lumen_diameter(image_view<const std::uint8_t>(flat.view()), s1);
  CHECK_FALSE(m.measured);
  CHECK(std::isnan(m.diameter_px));
  using E = vasostat::invalid_argument;
  auto outside = s1;
  outside.centreline.push_back({80, 10});
  CHECK_THROWS_WITH_AS((void)vessel::lumen_diameter(v, outside), doctest::Contains("outside the image"), E);
  CHECK_THROWS_WITH_AS((void)vessel::lumen_diameter(v, s1, {.max_profiles = 0}), doctest::Contains("max_profiles"), E);
  CHECK_THROWS_WITH_AS((void)vessel::lumen_diameter(v, s1, {.step_px = 0}), doctest::Contains("step_px"), E);
  img(3, 3) = NAN;
  CHECK_THROWS_WITH_AS((void)vessel::lumen_diameter(v, s1), doctest::Contains("NaN"), E);
  CHECK_THROWS_WITH_AS((void)vessel::lumen_diameters(v, g), doctest::Contains("image"), E);
}

TEST_CASE("analyze_clip: lumen diameters within 1 px; small-vessel TVD and PPV use them") {
  // four capillaries/venules of 6, 10, 16 and 26 µm lumen, PSF σ = 1 px, moving cells; scales
  // up to 14 µm so that the 26-µm venule is found whole — the Frangi mask then reads the 10-
  // and 16-µm vessels as > 20 µm wide
  constexpr int frames = 30;
  constexpr double fps = 25;
  const double diam[] = {6, 10, 16, 26};
  const double speeds[] = {600, 0, 500, 700};
  std::vector<vasostat_test::rbc_vessel> vessels;
  for (int i = 0; i < 4; ++i) {
    vasostat_test::rbc_vessel v{.x0 = 30, .y0 = 40.0 + 60 * i, .x1 = 330, .y1 = 50.0 + 56 * i};
    v.radius_px = diam[i] / 2;
    v.velocity_px = vasostat_test::constant_velocity(frames, speeds[i] / fps);
    v.seed = 60 + static_cast<std::uint64_t>(i);
    vessels.push_back(v);
  }
  const auto c = vasostat_test::render_rbc_clip(360, 280, frames, vessels, 180.0, 4.0, 0.05, 8, {},
                                                nullptr, 1.0);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, fps}};
  vessel::analyze_clip_options o;
  o.vesselness.scales_um = {2, 3, 4.5, 6.5, 10, 14};
  const auto a = vessel::analyze_clip(clip, o);
  REQUIRE(a.segments.size() == a.vessels.segments.size());
  // truth per traced segment from the nearest rendered vessel
  std::vector<vessel::flow_class> cls;
  double small_len = 0, small_perfused = 0, all_len = 0;
  std::vector<int> found(4, 0);
  for (std::size_t k = 0; k < a.segments.size(); ++k) {
    const auto& seg = a.vessels.segments[k];
    const auto& mid = seg.centreline[seg.centreline.size() / 2];
    int i = 0;
    for (int j = 1; j < 4; ++j) {
      const auto& v = vessels[static_cast<std::size_t>(j)];
      const auto& b = vessels[static_cast<std::size_t>(i)];
      const double t = (mid.x - v.x0) / (v.x1 - v.x0), tb = (mid.x - b.x0) / (b.x1 - b.x0);
      if (std::abs(mid.y - (v.y0 + t * (v.y1 - v.y0))) < std::abs(mid.y - (b.y0 + tb * (b.y1 - b.y0)))) {
        i = j;
      }
    }
    const auto& r = a.segments[k];
    CAPTURE(i);
    CHECK(r.length_um > 200);  // each vessel traced as one segment
    ++found[static_cast<std::size_t>(i)];
    REQUIRE(r.lumen.measured);
    CHECK(std::abs(r.diameter_um - diam[i]) <= 1.0);
    CHECK(a.vessels.segments[k].diameter_px == r.diameter_um);  // um_per_px = 1
    MESSAGE("lumen " << diam[i] << " um: lumen diameter " << r.diameter_um << ", mask diameter "
                     << r.mask_diameter_um);
    cls.push_back(speeds[i] == 0 ? vessel::flow_class::no_flow : vessel::flow_class::continuous);
    CHECK(r.flow.cls == cls.back());
    all_len += r.length_um;
    if (diam[i] < 20) {
      small_len += r.length_um;
      small_perfused += speeds[i] != 0 ? r.length_um : 0.0;
    }
  }
  CHECK(found == std::vector<int>{1, 1, 1, 1});
  const double area_mm2 = 360.0 * 280.0 * 1e-6;
  CHECK(a.density.small_tvd_mm_per_mm2 == doctest::Approx(small_len * 1e-3 / area_mm2));
  CHECK(a.perfusion.small.tvd_mm_per_mm2 == doctest::Approx(small_len * 1e-3 / area_mm2));
  CHECK(a.perfusion.small.ppv_percent == doctest::Approx(100 * small_perfused / small_len));
  CHECK(a.perfusion.small.vessels == 3);
  CHECK(a.perfusion.all.vessels == 4);
  CHECK(a.density.tvd_mm_per_mm2 == doctest::Approx(all_len * 1e-3 / area_mm2));
  // the mask-based diameters (what lumen_diameter = false uses) put some of the small vessels
  // among the large ones
  int mask_small = 0;
  for (const auto& r : a.segments) {
    mask_small += r.mask_diameter_um < 20 ? 1 : 0;
  }
  CHECK(mask_small < 3);
}
