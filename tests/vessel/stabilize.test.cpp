// vessel::stabilize recovers a known ±20 px sub-pixel jitter on synthetic clips (noise, flicker,
// 8-bit quantisation) to 0.25 px; resample_frame aligns; bad input is named.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/stabilize.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;

namespace {

struct jittered_clip {
  std::vector<image<float>> frames;
  std::vector<vessel::translation> truth;
};

jittered_clip make_jittered_clip(std::ptrdiff_t w, std::ptrdiff_t h, int n, double amplitude,
                                 double noise, std::uint64_t seed) {
  const auto scene = vasostat_test::make_blob_scene(static_cast<double>(w), static_cast<double>(h),
                                                    static_cast<int>(w * h / 150), seed);
  random_generator rng(seed + 1);
  jittered_clip c;
  for (int t = 0; t < n; ++t) {
    const double dx = t == 0 ? 0 : rng.uniform(-amplitude, amplitude);
    const double dy = t == 0 ? 0 : rng.uniform(-amplitude, amplitude);
    const double gain = rng.uniform(0.9, 1.1);  // flicker
    c.frames.push_back(vasostat_test::render_blob_scene(scene, w, h, dx, dy, gain, noise, rng));
    c.truth.push_back({dx, dy});
  }
  return c;
}

}  // namespace

TEST_CASE("the phase-correlation FFT equals a direct DFT; inverse(forward) = n² · identity") {
  vasostat::random_generator rng(9);
  for (const std::ptrdiff_t n : {1, 2, 8, 32}) {
    std::vector<std::complex<double>> a(static_cast<std::size_t>(n * n));
    for (auto& v : a) {
      v = {rng.normal(), rng.normal()};
    }
    std::vector<std::complex<double>> f = a;
    vessel::detail::fft_2d(f, n, false);
    double worst = 0;
    for (std::ptrdiff_t v = 0; v < n; ++v) {
      for (std::ptrdiff_t u = 0; u < n; ++u) {
        std::complex<double> sum = 0;
        for (std::ptrdiff_t y = 0; y < n; ++y) {
          for (std::ptrdiff_t x = 0; x < n; ++x) {
            const double ang = -2 * std::numbers::pi * static_cast<double>(u * x + v * y) / static_cast<double>(n);
            sum += a[static_cast<std::size_t>(y * n + x)] * std::polar(1.0, ang);
          }
        }
        worst = std::max(worst, std::abs(sum - f[static_cast<std::size_t>(v * n + u)]));
      }
    }
    vessel::detail::fft_2d(f, n, true);
    double round_trip = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      round_trip = std::max(round_trip, std::abs(f[i] / static_cast<double>(n * n) - a[i]));
    }
    CAPTURE(n);
    CHECK(worst < 1e-9);
    CHECK(round_trip < 1e-12);
  }
}

TEST_CASE("stabilize recovers a ±20 px sub-pixel jitter to 0.25 px") {
  for (std::uint64_t seed : {11u, 12u, 13u}) {
    const auto c = make_jittered_clip(320, 240, 10, 20.0, 3.0, seed);
    std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
    const auto r = vessel::stabilize(vessel::clip<float>{views, {1.0, 25.0}});
    REQUIRE(r.offsets.size() == 10);
    double worst = 0, max_true = 0;
    for (std::size_t t = 0; t < 10; ++t) {
      worst = std::max({worst, std::abs(r.offsets[t].dx - c.truth[t].dx),
                        std::abs(r.offsets[t].dy - c.truth[t].dy)});
      max_true = std::max(max_true, std::hypot(c.truth[t].dx, c.truth[t].dy));
    }
    CAPTURE(seed);
    MESSAGE("worst offset error " << worst << " px");
    CHECK(worst <= 0.25);
    CHECK(r.max_displacement_px == doctest::Approx(max_true).epsilon(0.02));
    CHECK(r.max_fraction_of_fov > 0.02);
    CHECK(r.max_fraction_of_fov < 0.1);
  }
}

TEST_CASE("stabilize recovers ±20 px jitter to 0.25 px when moving red cells are the only texture") {
  // vessels in seven directions on a flat background (PSF σ = 1 px, noise, flicker); the cells
  // move 5-30 px per frame, so matching frames to the reference frame follows them
  constexpr int n = 24;
  random_generator rng(7);
  std::vector<vasostat_test::rbc_vessel> vessels;
  for (int i = 0; i < 7; ++i) {
    const double ang = i * std::numbers::pi / 7 + rng.uniform(0, 0.3);
    const double cx = 160 + rng.uniform(-50, 50), cy = 120 + rng.uniform(-40, 40);
    vasostat_test::rbc_vessel v{.x0 = cx - 200 * std::cos(ang), .y0 = cy - 200 * std::sin(ang),
                                .x1 = cx + 200 * std::cos(ang), .y1 = cy + 200 * std::sin(ang)};
    v.radius_px = rng.uniform(2.5, 4.5);
    v.velocity_px = vasostat_test::constant_velocity(n, rng.uniform(5, 30) * (rng.uniform() < 0.5 ? -1 : 1));
    v.seed = 700 + static_cast<std::uint64_t>(i);
    vessels.push_back(v);
  }
  std::vector<std::array<double, 2>> jitter(n, {0.0, 0.0});
  for (int t = 1; t < n; ++t) {
    jitter[static_cast<std::size_t>(t)] = {rng.uniform(-20, 20), rng.uniform(-20, 20)};
  }
  const auto c = vasostat_test::render_rbc_clip(320, 240, n, vessels, 180.0, 3.0, 0.05, 14, jitter,
                                                nullptr, 1.0);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, 25.0}};
  auto worst_error = [&](const vessel::stabilize_result& r) {
    double worst = 0;
    for (std::size_t t = 0; t < static_cast<std::size_t>(n); ++t) {
      worst = std::max({worst, std::abs(r.offsets[t].dx - jitter[t][0]),
                        std::abs(r.offsets[t].dy - jitter[t][1])});
    }
    return worst;
  };
  const double robust = worst_error(vessel::stabilize(clip));
  const double plain = worst_error(vessel::stabilize(clip, {.mean_reference = false}));
  MESSAGE("worst offset error: " << robust << " px against the weighted mean window, " << plain
                                 << " px frame to frame");
  CHECK(robust <= 0.25);
  CHECK(plain > 0.25);  // the scene is one where matching to a single frame fails
}

TEST_CASE("stabilize works on 8-bit frames and another reference frame") {
  const auto c = make_jittered_clip(300, 200, 6, 15.0, 2.0, 21);
  std::vector<image<std::uint8_t>> u8;
  for (const auto& f : c.frames) {
    image<std::uint8_t> g(f.width(), f.height());
    for (std::ptrdiff_t y = 0; y < f.height(); ++y) {
      for (std::ptrdiff_t x = 0; x < f.width(); ++x) {
        g(x, y) = static_cast<std::uint8_t>(std::clamp(std::lround(f(x, y)), 0L, 255L));
      }
    }
    u8.push_back(std::move(g));
  }
  std::vector<image_view<const std::uint8_t>> views(u8.begin(), u8.end());
  const auto r = vessel::stabilize(vessel::clip<std::uint8_t>{views, {1.0, 25.0}},
                                   {.reference_frame = 3});
  CHECK(r.offsets[3].dx == 0.0);
  for (std::size_t t = 0; t < 6; ++t) {
    CHECK(std::abs(r.offsets[t].dx - (c.truth[t].dx - c.truth[3].dx)) <= 0.25);
    CHECK(std::abs(r.offsets[t].dy - (c.truth[t].dy - c.truth[3].dy)) <= 0.25);
  }
  // resample_frame brings a frame onto the reference
  image<float> aligned(300, 200);
  vessel::resample_frame(views[5], r.offsets[5], aligned.view());
  double err = 0, n = 0;
  for (std::ptrdiff_t y = 40; y < 160; ++y) {
    for (std::ptrdiff_t x = 40; x < 260; ++x) {
      err += std::abs(aligned(x, y) - static_cast<float>(u8[3](x, y)));
      n += 1;
    }
  }
  CHECK(err / n < 4.0);  // noise sd 2 each + flicker; misaligned frames differ by ~15
}

TEST_CASE("the mean image of the stabilised clip is sharp, the unaligned one is not") {
  const auto c = make_jittered_clip(320, 240, 8, 20.0, 3.0, 31);
  std::vector<image_view<const float>> views(c.frames.begin(), c.frames.end());
  const vessel::clip<float> clip{views, {1.0, 25.0}};
  const auto st = vessel::stabilize(clip);
  const auto aligned = vessel::mean_image(clip, st.offsets);
  const auto blurred = vessel::mean_image(clip);
  double e_aligned = 0, e_blurred = 0, n = 0;
  for (std::ptrdiff_t y = 30; y < 210; ++y) {
    for (std::ptrdiff_t x = 30; x < 290; ++x) {
      // frame 0 is the reference; remove its flicker gain with the mean image's gain
      const double ref = aligned.gain[0] * c.frames[0](x, y);
      e_aligned += std::abs(aligned.mean(x, y) - ref);
      e_blurred += std::abs(blurred.mean(x, y) - ref);
      n += 1;
    }
  }
  MESSAGE("mean |mean image - reference|: aligned " << e_aligned / n << ", unaligned " << e_blurred / n);
  CHECK(e_aligned / n < 3.0);  // noise sd 3 in the reference alone gives ~2.4
  CHECK(e_blurred / n > 2 * e_aligned / n);
  const vessel::translation wrong[] = {{0, 0}};
  CHECK_THROWS_WITH_AS((void)vessel::mean_image(clip, wrong), doctest::Contains("offsets"),
                       vasostat::invalid_argument);
}

TEST_CASE("stabilize of a constant clip returns zero offsets") {
  image<std::uint8_t> f(64, 64, 0);
  std::vector<image_view<const std::uint8_t>> views(3, f.view());
  const auto r = vessel::stabilize(vessel::clip<std::uint8_t>{views, {1.0, 25.0}});
  for (const auto& o : r.offsets) {
    CHECK(std::abs(o.dx) < 1e-9);
    CHECK(std::abs(o.dy) < 1e-9);
  }
}

TEST_CASE("stabilize rejects bad input, naming the argument") {
  image<float> a(64, 64, 1.0f), b(64, 63, 1.0f);
  using E = vasostat::invalid_argument;
  std::vector<image_view<const float>> none;
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{none, {1, 25}}),
                       doctest::Contains("clip is empty"), E);
  std::vector<image_view<const float>> mixed{a.view(), b.view()};
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{mixed, {1, 25}}),
                       doctest::Contains("different sizes"), E);
  std::vector<image_view<const float>> two{a.view(), a.view()};
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {1, 0}}),
                       doctest::Contains("fps"), E);
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {NAN, 25}}),
                       doctest::Contains("um_per_px"), E);
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {-1, 25}}),
                       doctest::Contains("um_per_px"), E);
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {1, 25}}, {.reference_frame = 2}),
                       doctest::Contains("reference_frame"), E);
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {1, 25}}, {.window_px = 8}),
                       doctest::Contains("window_px"), E);
  image<float> tiny(8, 8, 1.0f);
  std::vector<image_view<const float>> small{tiny.view(), tiny.view()};
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{small, {1, 25}}),
                       doctest::Contains("16 x 16"), E);
  a(5, 5) = NAN;
  CHECK_THROWS_WITH_AS((void)vessel::stabilize(vessel::clip<float>{two, {1, 25}}),
                       doctest::Contains("NaN"), E);
  image<float> out(64, 64);
  CHECK_THROWS_WITH_AS(vessel::resample_frame(image_view<const float>(b.view()), {0, 0}, out.view()),
                       doctest::Contains("out"), E);
}
