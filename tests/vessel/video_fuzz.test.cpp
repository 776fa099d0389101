// Fuzzing the video front doors with random sizes, strides, pixel values (uint8, uint16, float
// up to ±1e6), scales and centrelines: every call either succeeds with finite, in-range results
// or throws vasostat::invalid_argument — never anything else (sanitizer builds check for UB).

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/clip_analysis.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

using namespace vasostat;

namespace {

template <class T>
T random_pixel(random_generator& rng) {
  const auto kind = rng.below(4);
  if constexpr (std::is_same_v<T, float>) {
    if (kind == 0) return 0.0f;
    if (kind == 1) return static_cast<float>(rng.uniform(-1e6, 1e6));
    return static_cast<float>(rng.uniform(0, 255));
  } else {
    constexpr double top = std::is_same_v<T, std::uint8_t> ? 255.0 : 65535.0;
    if (kind == 0) return T(0);
    if (kind == 1) return static_cast<T>(top);
    return static_cast<T>(rng.uniform(0, top));
  }
}

template <class F>
void either_ok_or_invalid(F&& f) {
  try {
    f();
  } catch (const vasostat::invalid_argument&) {
  }
}

}  // namespace

TEST_CASE_TEMPLATE("video front doors survive random frames", T, std::uint8_t, std::uint16_t, float) {
  random_generator rng(2025);
#ifdef NDEBUG
  const int rounds = 60;
#else
  const int rounds = 20;
#endif
  for (int round = 0; round < rounds; ++round) {
    const auto w = static_cast<std::ptrdiff_t>(1 + rng.below(40));
    const auto h = static_cast<std::ptrdiff_t>(1 + rng.below(40));
    const auto stride = w + static_cast<std::ptrdiff_t>(rng.below(8));
    const auto nf = 1 + static_cast<int>(rng.below(5));
    std::vector<std::vector<T>> px(static_cast<std::size_t>(nf));
    std::vector<image_view<const T>> views;
    for (auto& p : px) {
      p.resize(static_cast<std::size_t>(stride * h));
      for (auto& v : p) {
        v = random_pixel<T>(rng);
      }
      views.emplace_back(p.data(), w, h, stride);
    }
    const vessel::clip<T> c{views, {rng.uniform(0.3, 2.0), rng.uniform(5, 60)}};
    CAPTURE(w);
    CAPTURE(h);
    CAPTURE(nf);
    // vesselness with random (possibly invalid) scales
    either_ok_or_invalid([&] {
      const double s = rng.uniform(-1.0, 12.0);
      image<float> out(w, h);
      vessel::vesselness_workspace ws;
      vessel::vesselness(views[0], out.view(), ws, {.scales_um = {s, 1.0}, .c = rng.below(2) ? 0.0 : 5.0});
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          REQUIRE(out(x, y) >= 0.0f);
          REQUIRE(out(x, y) <= 1.0f);
        }
      }
      (void)vessel::segment_mask(out.view());
    });
    either_ok_or_invalid([&] { (void)vessel::stabilize(c); });
    either_ok_or_invalid([&] { (void)vessel::mean_image(c); });
    either_ok_or_invalid([&] {
      const vessel::centreline_point line[] = {
          {static_cast<float>(rng.uniform(-2, static_cast<double>(w) + 2)),
           static_cast<float>(rng.uniform(-2, static_cast<double>(h) + 2))},
          {static_cast<float>(rng.uniform(-2, static_cast<double>(w) + 2)),
           static_cast<float>(rng.uniform(-2, static_cast<double>(h) + 2))}};
      const auto d = vessel::space_time(c, line, {.ribbon_half_width_px = rng.uniform(0, 3)});
      const auto v = vessel::velocity(d);
      REQUIRE(std::isfinite(v.velocity_um_s));
      (void)vessel::classify_flow(v);
    });
    either_ok_or_invalid([&] {
      const auto q = vessel::quality(c);
      REQUIRE(q.total >= 0);
    });
    either_ok_or_invalid([&] { (void)vessel::analyze_clip(c); });
    either_ok_or_invalid([&] {  // random chains (partly outside), mask diameters and options
      vessel::segment s;
      const auto len = rng.below(30);
      for (std::uint64_t k = 0; k < len; ++k) {
        s.centreline.push_back({static_cast<std::int32_t>(rng.uniform(-1, static_cast<double>(w) + 0.5)),
                                static_cast<std::int32_t>(rng.uniform(-1, static_cast<double>(h) + 0.5))});
      }
      const double diam[] = {0.0, -3.0, NAN, rng.uniform(0, 50), 1e9};
      s.diameter_px = diam[rng.below(5)];
      s.is_loop = rng.below(4) == 0;
      const vessel::lumen_options lo{.dark_vessels = rng.below(2) == 0,
                                     .max_profiles = static_cast<int>(rng.below(40)),
                                     .step_px = rng.uniform(0, 1.2)};
      const auto m = vessel::lumen_diameter(views[0], s, lo);
      REQUIRE((m.measured ? m.diameter_px > 0 && m.diameter_px <= 2 * lo.max_half_length_px
                          : std::isnan(m.diameter_px)));
    });
  }
}
