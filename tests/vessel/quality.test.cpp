// vessel::quality: MIQS-style sub-scores with their measured numbers; black, saturated and
// constant clips return flags, not garbage; bad input is named.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/quality.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

using namespace vasostat;

namespace {
std::vector<image<float>> vessel_frames(int n, double noise = 2.0) {
  std::vector<vasostat_test::rbc_vessel> vs;
  for (int i = 0; i < 4; ++i) {
    vasostat_test::rbc_vessel v{.x0 = 10, .y0 = 15.0 + 25 * i, .x1 = 150, .y1 = 20.0 + 25 * i};
    v.velocity_px = vasostat_test::constant_velocity(n, 10.0);
    v.seed = 3 + static_cast<std::uint64_t>(i);
    vs.push_back(v);
  }
  return vasostat_test::render_rbc_clip(160, 110, n, vs, 180.0, noise, 0.02, 1).frames;
}

image<float> box_blur(const image<float>& f, int r) {
  image<float> out(f.width(), f.height());
  for (std::ptrdiff_t y = 0; y < f.height(); ++y) {
    for (std::ptrdiff_t x = 0; x < f.width(); ++x) {
      double s = 0;
      int n = 0;
      for (std::ptrdiff_t dy = -r; dy <= r; ++dy) {
        for (std::ptrdiff_t dx = -r; dx <= r; ++dx) {
          const auto xx = std::clamp<std::ptrdiff_t>(x + dx, 0, f.width() - 1);
          const auto yy = std::clamp<std::ptrdiff_t>(y + dy, 0, f.height() - 1);
          s += f(xx, yy);
          ++n;
        }
      }
      out(x, y) = static_cast<float>(s / n);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("quality scores a good synthetic clip and grades duration, stability, content, pressure") {
  const auto frames = vessel_frames(10);
  std::vector<image_view<const float>> views;
  for (int rep = 0; rep < 13; ++rep) {  // 130 frames at 25 fps = 5.2 s
    views.insert(views.end(), frames.begin(), frames.end());
  }
  const vessel::clip<float> c{views, {1.0, 25.0}};
  vessel::stabilize_result st;
  st.offsets.assign(views.size(), {});
  st.max_fraction_of_fov = 0.3;
  const auto q = vessel::quality(c, {.stability = &st, .tvd_mm_per_mm2 = 12.0,
                                     .venular_perfused_fraction = 0.4});
  CHECK(q.duration.measured == doctest::Approx(5.2));
  CHECK(q.duration.score == 0);
  CHECK(q.illumination.measured == doctest::Approx(0.67).epsilon(0.05));
  CHECK(q.illumination.score == 0);
  CHECK(q.focus.score == 0);
  CHECK(q.stability.score == 1);
  CHECK(q.content.score == 0);
  CHECK(q.pressure.score == 10);
  CHECK(q.total == 11);
  CHECK_FALSE(q.acceptable);
  CHECK_FALSE(q.black);
  CHECK_FALSE(q.constant);
  // 3-5 s is acceptable, < 3 s unacceptable; untested categories are not assessed
  const vessel::clip<float> short_clip{std::span(views).first(100), {1.0, 25.0}};
  const auto qs = vessel::quality(short_clip);
  CHECK(qs.duration.score == 1);
  CHECK_FALSE(qs.stability.assessed);
  CHECK_FALSE(qs.content.assessed);
  CHECK(qs.total == 1);
  CHECK(qs.acceptable);
  CHECK(vessel::quality(vessel::clip<float>{std::span(views).first(50), {1.0, 25.0}}).duration.score == 10);
}

TEST_CASE("focus drops when the frames are blurred") {
  const auto frames = vessel_frames(5, 0.0);
  std::vector<image<float>> blurred;
  for (const auto& f : frames) {
    blurred.push_back(box_blur(f, 4));
  }
  std::vector<image_view<const float>> sharp_v(frames.begin(), frames.end()),
      blur_v(blurred.begin(), blurred.end());
  const auto qs = vessel::quality(vessel::clip<float>{sharp_v, {1.0, 25.0}});
  const auto qb = vessel::quality(vessel::clip<float>{blur_v, {1.0, 25.0}});
  MESSAGE("focus sharp " << qs.focus.measured << " blurred " << qb.focus.measured);
  CHECK(qb.focus.measured < 0.5 * qs.focus.measured);
  CHECK(qb.focus.score > qs.focus.score);
}

TEST_CASE("measure_frame: the integer paths (uint8, uint16) equal the floating-point formula") {
  // The integer sums are exact, so they must match the float path bit for bit; 4100 columns
  // cross the integer path's 4096-column accumulation blocks, odd strides test the views.
  vasostat::random_generator rng(5);
  for (const auto& [w, h] : {std::pair<std::ptrdiff_t, std::ptrdiff_t>{4100, 5}, {37, 23}, {3, 3}, {2, 7}}) {
    std::vector<std::uint8_t> b8(static_cast<std::size_t>((w + 3) * h));
    std::vector<std::uint16_t> b16(static_cast<std::size_t>((w + 1) * h));
    image<float> f8(w, h), f16(w, h);
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        const auto v8 = static_cast<std::uint8_t>(rng.below(256));
        const auto v16 = static_cast<std::uint16_t>(rng.below(65536));
        b8[static_cast<std::size_t>(y * (w + 3) + x)] = v8;
        b16[static_cast<std::size_t>(y * (w + 1) + x)] = v16;
        f8(x, y) = v8;
        f16(x, y) = v16;
      }
    }
    const auto q8 = vessel::measure_frame(image_view<const std::uint8_t>(b8.data(), w, h, w + 3));
    const auto r8 = vessel::measure_frame(image_view<const float>(f8.view()));
    const auto q16 = vessel::measure_frame(image_view<const std::uint16_t>(b16.data(), w, h, w + 1));
    const auto r16 = vessel::measure_frame(image_view<const float>(f16.view()), 65535.0);
    CAPTURE(w);
    for (const auto& [q, r] : {std::pair{q8, r8}, std::pair{q16, r16}}) {
      CHECK(q.brightness == r.brightness);
      CHECK(q.contrast == r.contrast);
      CHECK(q.clipped_low == r.clipped_low);
      CHECK(q.clipped_high == r.clipped_high);
      CHECK(q.focus == r.focus);
    }
    if (w == 4100) {
      CHECK(q8.focus > 0);
      CHECK(q8.clipped_low > 0);
      CHECK(q16.clipped_high > 0);
    }
  }
}

TEST_CASE("black, saturated and constant clips set flags") {
  image<std::uint8_t> black(64, 48, 0), white(64, 48, 255), grey(64, 48, 128);
  for (auto* f : {&black, &white, &grey}) {
    std::vector<image_view<const std::uint8_t>> v(30, f->view());
    const auto q = vessel::quality(vessel::clip<std::uint8_t>{v, {1.0, 25.0}});
    CHECK(q.constant);
    CHECK(q.illumination.score == 10);
    CHECK(q.focus.score == 10);
    CHECK_FALSE(q.acceptable);
    CHECK(q.black == (f == &black));
    CHECK(q.saturated == (f == &white));
  }
  image<std::uint16_t> dim(32, 32, 10000);
  dim(3, 3) = 3000;
  std::vector<image_view<const std::uint16_t>> v16(5, dim.view());
  const auto q16 = vessel::quality(vessel::clip<std::uint16_t>{v16, {1.0, 25.0}});
  CHECK(q16.illumination.measured == doctest::Approx((10000.0 * 1023 + 3000) / 1024 / 65535));
  CHECK(q16.black == false);
}

TEST_CASE("quality rejects bad input, naming the argument") {
  image<float> f(32, 32, 10.0f);
  std::vector<image_view<const float>> v(3, f.view()), none;
  using E = vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS((void)vessel::quality(vessel::clip<float>{none, {1, 25}}), doctest::Contains("empty"), E);
  CHECK_THROWS_WITH_AS((void)vessel::quality(vessel::clip<float>{v, {1, -1}}), doctest::Contains("fps"), E);
  CHECK_THROWS_WITH_AS((void)vessel::quality(vessel::clip<float>{v, {1, 25}}, {}, {.full_scale = -1}),
                       doctest::Contains("full_scale"), E);
  vessel::stabilize_result st;
  st.offsets.assign(2, {});
  CHECK_THROWS_WITH_AS((void)vessel::quality(vessel::clip<float>{v, {1, 25}}, {.stability = &st}),
                       doctest::Contains("stability"), E);
  CHECK_THROWS_WITH_AS((void)vessel::measure_frame(image_view<const float>(f.data(), 0, 0, 0)),
                       doctest::Contains("frame"), E);
}
