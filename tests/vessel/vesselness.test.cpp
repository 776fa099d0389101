// vessel::vesselness: scale selectivity of the sigma^2-normalised Hessian, rotation invariance,
// polarity, SIMD vs scalar within a ULP bound on odd sizes/strides, workspace reuse without
// allocation, and every bad input named.

#include <vasostat/vessel/vesselness.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "support/vessel_video_synthetic.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// Counting global allocation (this test file is its own executable). GCC 12 pairs the
// replaced new/delete with malloc/free by name and warns; the pairing here is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace vasostat;
using vasostat_test::render_bar;

namespace {

/// sigma^2-normalised lambda2 (the larger eigenvalue, dark polarity) at pixel (x, y).
float normalised_lambda2(const image<float>& img, double sigma, std::ptrdiff_t px,
                         std::ptrdiff_t py) {
  vessel::vesselness_workspace ws;
  float result = 0;
  vessel::detail::hessian_rows<true>(img.view(), sigma, 4.0, 1.0f, ws,
                                     [&](std::ptrdiff_t y, const float* a, const float* d,
                                         const float* b) {
                                       if (y == py) {
                                         const float tr = a[px] + d[px], df = a[px] - d[px];
                                         result = 0.5f * (tr + std::sqrt(df * df + 4 * b[px] * b[px]));
                                       }
                                     });
  return result;
}

std::int64_t ulp_distance(float a, float b) {
  auto key = [](float f) {
    const auto i = std::bit_cast<std::int32_t>(f);
    return i < 0 ? static_cast<std::int64_t>(std::int32_t{INT32_MIN}) - i : static_cast<std::int64_t>(i);
  };
  return std::llabs(key(a) - key(b));
}

}  // namespace

TEST_CASE("the sigma^2-normalised second derivative across a bar of half-width w peaks at sigma = w") {
  for (double w : {2.0, 3.0, 4.5}) {
    const auto img = render_bar(96, 64, 48.0, 32.0, 0.5 * M_PI, w, 200.0f, 80.0f);  // vertical bar
    double best_sigma = 0, best = -1;
    for (double s = 0.75; s <= 3 * w; s += 0.05) {
      const double v = normalised_lambda2(img, s, 48, 32);
      if (v > best) {
        best = v;
        best_sigma = s;
      }
    }
    CAPTURE(w);
    CHECK(best_sigma == doctest::Approx(w).epsilon(0.06));  // within 6% of w
    // 2 u phi(u) at u = 1: the continuous peak height times the contrast (120)
    CHECK(best == doctest::Approx(120.0 * 2 * std::exp(-0.5) / std::sqrt(2 * M_PI)).epsilon(0.05));
  }
}

TEST_CASE("vesselness picks the scale equal to the bar half-width at the bar centre") {
  for (double w : {2.0, 3.0, 5.0}) {
    const auto img = render_bar(128, 64, 64.0, 32.0, 0.5 * M_PI, w, 200.0f, 80.0f);
    image<float> v(128, 64), scale(128, 64);
    vessel::vesselness_workspace ws;
    vessel::vesselness(image_view<const float>(img.view()), v.view(), ws,
                       {.scales_um = {1, 2, 3, 4, 5, 6, 7}}, scale.view());
    CAPTURE(w);
    CHECK(scale(64, 32) == doctest::Approx(w));
    CHECK(v(64, 32) > 0.5f);
    CHECK(v(20, 32) < 0.01f);  // flat background far from the bar
  }
}

TEST_CASE("the half-resolution coarse scales agree with full resolution on a wide bar") {
  const auto img = render_bar(160, 120, 80.0, 60.0, 0.6, 6.0, 200.0f, 80.0f);
  const vessel::vesselness_options full{.scales_um = {6.0}, .c = 30.0, .half_resolution_sigma_px = 0};
  auto half = full;
  half.half_resolution_sigma_px = 4.0;
  const auto a = vessel::vesselness(img, full);
  const auto b = vessel::vesselness(img, half);
  double worst = 0;
  for (std::ptrdiff_t y = 30; y < 90; ++y) {
    for (std::ptrdiff_t x = 40; x < 120; ++x) {
      worst = std::max(worst, static_cast<double>(std::abs(a(x, y) - b(x, y))));
    }
  }
  MESSAGE("largest |full - half-resolution| response: " << worst);
  CHECK(a(80, 60) > 0.5f);
  CHECK(worst < 0.06);  // interpolation error at the steep flanks; 0 at half_resolution_sigma_px = 0
}

TEST_CASE("vesselness of a bar is rotation invariant within 3%") {
  std::vector<float> responses;
  for (int deg = 0; deg < 180; deg += 15) {
    const double a = deg * M_PI / 180.0;
    const auto img = render_bar(81, 81, 40.0, 40.0, a, 3.0, 200.0f, 80.0f);
    // fixed c so that each image is scored on the same scale
    const auto v = vessel::vesselness(img, {.scales_um = {2, 3, 4}, .c = 30.0});
    responses.push_back(v(40, 40));
  }
  const auto [lo, hi] = std::minmax_element(responses.begin(), responses.end());
  CAPTURE(*lo);
  CAPTURE(*hi);
  CHECK(*lo > 0.5f);
  CHECK((*hi - *lo) / *hi < 0.03f);
}

TEST_CASE("vesselness follows the polarity option") {
  const auto dark = render_bar(64, 64, 32.0, 32.0, 0.3, 3.0, 200.0f, 80.0f);
  const auto bright = render_bar(64, 64, 32.0, 32.0, 0.3, 3.0, 80.0f, 200.0f);
  const vessel::vesselness_options o{.scales_um = {2, 3, 4}, .c = 30.0};
  auto ob = o;
  ob.dark_vessels = false;
  CHECK(vessel::vesselness(dark, o)(32, 32) > 0.5f);
  CHECK(vessel::vesselness(bright, o)(32, 32) == 0.0f);
  CHECK(vessel::vesselness(bright, ob)(32, 32) > 0.5f);
  CHECK(vessel::vesselness(dark, ob)(32, 32) == 0.0f);
}

TEST_CASE("vesselness gives the same response for uint8, uint16 and float frames") {
  const auto f = render_bar(50, 40, 25.0, 20.0, 0.7, 2.5, 200.0f, 80.0f, 1);
  image<std::uint8_t> u8(50, 40);
  image<std::uint16_t> u16(50, 40);
  for (std::ptrdiff_t y = 0; y < 40; ++y) {
    for (std::ptrdiff_t x = 0; x < 50; ++x) {
      u8(x, y) = static_cast<std::uint8_t>(f(x, y));
      u16(x, y) = static_cast<std::uint16_t>(f(x, y));
    }
  }
  const auto a = vessel::vesselness(f, {.scales_um = {2, 3}});
  const auto b = vessel::vesselness(u8, {.scales_um = {2, 3}});
  const auto c = vessel::vesselness(u16, {.scales_um = {2, 3}});
  for (std::ptrdiff_t y = 0; y < 40; ++y) {
    for (std::ptrdiff_t x = 0; x < 50; ++x) {
      REQUIRE(a(x, y) == b(x, y));
      REQUIRE(a(x, y) == c(x, y));
    }
  }
}

// Bound: the filters run the same fma sequence in both paths (bit-equal where the CPU has FMA);
// exp/expm1 differ (xsimd's polynomial vs libm), and without hardware FMA xsimd::fma rounds
// twice. Measured worst case is a few ULP; we require <= 64 ULP or <= 1e-6 absolute.
TEST_CASE_TEMPLATE("SIMD vesselness matches the scalar twin on odd sizes and strides", T,
                   std::uint8_t, std::uint16_t, float) {
  const std::ptrdiff_t lanes = VASOSTAT_HAS_SIMD ? xsimd::batch<float, simd_arch>::size : 4;
  const std::ptrdiff_t widths[] = {1, lanes - 1, lanes + 1, 2 * lanes + 3, 131};
  const std::ptrdiff_t heights[] = {1, 3, 17, 40};
  std::uint64_t seed = 7;
  std::int64_t worst = 0, worst_any = 0;
  for (auto w : widths) {
    for (auto h : heights) {
      if (w < 1) {
        continue;
      }
      for (int mode = 0; mode < 3; ++mode) {
        const std::ptrdiff_t stride = w + 5;
        const auto px = vasostat_test::random_pixels<T>(w, h, stride, 250.0, ++seed, T(77));
        const image_view<const T> frame(px.data(), w, h, stride);
        const double small = static_cast<double>(std::min(w, h));
        // 5 px runs on the 2x2-binned frame (half_resolution_sigma_px = 4) where the frame allows
        vessel::vesselness_options o{
            .scales_um = {std::min(1.0, small), std::min(2.5, small), std::min(5.0, small)}};
        o.c = mode == 1 ? 40.0 : 0.0;
        o.dark_vessels = mode != 2;
        const float sentinel = -12345.0f;
        std::vector<float> a(static_cast<std::size_t>(stride * h), sentinel), b = a, sa = a, sb = a;
        vessel::vesselness_workspace ws1, ws2;
        vessel::vesselness(frame, image_view<float>(a.data(), w, h, stride), ws1, o,
                           image_view<float>(sa.data(), w, h, stride));
        vessel::detail::vesselness_scalar(frame, image_view<float>(b.data(), w, h, stride), ws2,
                                          o, image_view<float>(sb.data(), w, h, stride));
        for (std::ptrdiff_t y = 0; y < h; ++y) {
          for (std::ptrdiff_t x = 0; x < stride; ++x) {
            const auto i = static_cast<std::size_t>(y * stride + x);
            if (x >= w) {
              REQUIRE(a[i] == sentinel);
              REQUIRE(sa[i] == sentinel);
              continue;
            }
            const auto d = ulp_distance(a[i], b[i]);
            worst_any = std::max(worst_any, d);
            if (std::abs(a[i] - b[i]) > 1e-6f) {
              worst = std::max(worst, d);
              CAPTURE(w);
              CAPTURE(h);
              CAPTURE(mode);
              REQUIRE(d <= 64);
            }
          }
        }
      }
    }
  }
  MESSAGE("worst ULP distance: " << worst_any << " (where the difference exceeds 1e-6: " << worst
                                   << ")");
}

TEST_CASE("the workspace overload allocates nothing after the first frame") {
  for (double c : {0.0, 25.0}) {
    const auto f1 = render_bar(200, 150, 100.0, 75.0, 0.4, 3.0, 200.0f, 80.0f, 1);
    const auto f2 = render_bar(200, 150, 90.0, 70.0, 1.1, 2.0, 190.0f, 90.0f, 1);
    image<float> out(200, 150), scale(200, 150);
    vessel::vesselness_workspace ws;
    const vessel::vesselness_options o{.scales_um = {1.5, 2.5, 4.0}, .c = c};
    vessel::vesselness(image_view<const float>(f1.view()), out.view(), ws, o, scale.view());
    const long before = g_allocations.load();
    vessel::vesselness(image_view<const float>(f2.view()), out.view(), ws, o, scale.view());
    CHECK(g_allocations.load() - before == 0);
  }
}

TEST_CASE("vesselness of a constant frame is (numerically) zero everywhere") {
  for (std::uint8_t level : {0, 1, 200, 255}) {
    image<std::uint8_t> f(40, 30, level);
    const auto v = vessel::vesselness(f, {.scales_um = {1, 2, 3.5}});
    for (std::ptrdiff_t y = 0; y < 30; ++y) {
      for (std::ptrdiff_t x = 0; x < 40; ++x) {
        REQUIRE(v(x, y) < 1e-6f);
      }
    }
  }
}

TEST_CASE("vesselness rejects bad input, naming the argument") {
  image<float> f(32, 24, 1.0f);
  image<float> out(32, 24);
  vessel::vesselness_workspace ws;
  const image_view<const float> fv = f.view();
  using E = vasostat::invalid_argument;
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.scales_um = {}}), doctest::Contains("scales_um"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.scales_um = {0.0}}), doctest::Contains("scales_um"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.scales_um = {-1.0}}), doctest::Contains("scales_um"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.scales_um = {30.0}}), doctest::Contains("larger than the frame"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.scales_um = {NAN}}), doctest::Contains("scales_um"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.um_per_px = 0.0}), doctest::Contains("um_per_px"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.um_per_px = NAN}), doctest::Contains("um_per_px"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.beta = 0.0}), doctest::Contains("beta"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.c = -1.0}), doctest::Contains("c ("), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, {.truncate = 0.1}), doctest::Contains("truncate"), E);
  image<float> wrong(31, 24);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, wrong.view(), ws), doctest::Contains("out"), E);
  image<float> wrong_scale(32, 23);
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv, out.view(), ws, {}, wrong_scale.view()),
                       doctest::Contains("best_scale_um"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(image_view<const float>(f.data(), 0, 0, 0)),
                       doctest::Contains("frame"), E);
  CHECK_THROWS_WITH_AS(vessel::vesselness(image_view<const float>(f.data(), 32, 24, 16)),
                       doctest::Contains("frame.stride"), E);
  f(3, 4) = NAN;
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv), doctest::Contains("NaN"), E);
  f(3, 4) = INFINITY;
  CHECK_THROWS_WITH_AS(vessel::vesselness(fv), doctest::Contains("frame"), E);
}
