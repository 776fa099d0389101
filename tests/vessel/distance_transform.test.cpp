// vessel::distance_transform: exact against brute force (outside the image = background), SIMD
// vertical pass equal to its scalar twin, strides, borders, bad input.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/distance_transform.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/vessel_geometry_support.hpp"

namespace {

using vasostat::image;
using vasostat::image_view;
namespace vs = vasostat::vessel;

/// Brute force: squared distance to the nearest zero pixel or to the frame just outside.
image<double> brute_force(image_view<const std::uint8_t> m) {
  image<double> out(m.width, m.height, 0);
  std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> bg;
  for (std::ptrdiff_t y = -1; y <= m.height; ++y) {
    for (std::ptrdiff_t x = -1; x <= m.width; ++x) {
      const bool outside = x < 0 || y < 0 || x >= m.width || y >= m.height;
      if (outside || m(x, y) == 0) {
        bg.push_back({x, y});
      }
    }
  }
  for (std::ptrdiff_t y = 0; y < m.height; ++y) {
    for (std::ptrdiff_t x = 0; x < m.width; ++x) {
      if (m(x, y) == 0) {
        continue;
      }
      double best = std::numeric_limits<double>::infinity();
      for (auto [bx, by] : bg) {
        const double dx = static_cast<double>(x - bx), dy = static_cast<double>(y - by);
        best = std::min(best, dx * dx + dy * dy);
      }
      out(x, y) = std::sqrt(best);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("distance_transform: exact Euclidean distance equal to brute force on random masks") {
  vasostat::random_generator rng(31337);
  int compared = 0;
  for (int i = 0; i < 120; ++i) {
    const std::ptrdiff_t w = 1 + static_cast<std::ptrdiff_t>(rng.below(70));
    const std::ptrdiff_t h = 1 + static_cast<std::ptrdiff_t>(rng.below(50));
    const image<std::uint8_t> m = (i % 3 == 0)   ? vessel_test::random_mask(w, h, 0.9, rng)
                                  : (i % 3 == 1) ? vessel_test::random_blobs(w, h, 5, 25, rng)
                                                 : vessel_test::random_mask(w, h, 0.995, rng);
    const image<double> ref = brute_force(m.view());
    // Strided input and output views.
    std::vector<std::uint8_t> in_buf(static_cast<std::size_t>((w + 3) * h));
    image_view<std::uint8_t> in(in_buf.data(), w, h, w + 3);
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        in(x, y) = m(x, y);
      }
    }
    std::vector<float> out_buf(static_cast<std::size_t>((w + 5) * h), -7.0f);
    image_view<float> out(out_buf.data(), w, h, w + 5);
    vs::distance_transform_workspace ws;
    vs::distance_transform(image_view<const std::uint8_t>(in), out, ws);
    image<float> scalar(w, h);
    vs::detail::distance_transform_kernel(m.view(), scalar.view(), ws, false);
    bool exact = true, twins = true, padding = true;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        exact = exact && out(x, y) == static_cast<float>(ref(x, y));
        twins = twins && out(x, y) == scalar(x, y);
        ++compared;
      }
      for (std::ptrdiff_t x = w; x < w + 5; ++x) {
        padding = padding && out.row(y)[x] == -7.0f;
      }
    }
    CAPTURE(i);
    CHECK(exact);
    CHECK(twins);
    CHECK(padding);
  }
  CHECK(compared > 50000);
}

TEST_CASE("distance_transform: wide runs (envelope) and narrow runs (SIMD window) agree with the twin") {
  // The SIMD row pass minimises directly over a window of up to 32 columns and falls back to
  // the envelope beyond; blobs up to 110 px across exercise both, bands of every width the
  // switch-over itself. One mask is checked against brute force, all against the scalar twin.
  vasostat::random_generator rng(4242);
  for (int i = 0; i < 6; ++i) {
    const std::ptrdiff_t w = i == 0 ? 97 : 150 + static_cast<std::ptrdiff_t>(rng.below(180));
    const std::ptrdiff_t h = i == 0 ? 91 : 100 + static_cast<std::ptrdiff_t>(rng.below(100));
    image<std::uint8_t> m = vessel_test::random_blobs(w, h, i == 0 ? 2 : 8, i == 0 ? 90 : 110, rng);
    const auto rad = static_cast<std::ptrdiff_t>(38 + rng.below(7));  // a disc 76-88 px across
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        if ((x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) <= rad * rad) {
          m(x, y) = 1;
        }
      }
    }
    for (std::ptrdiff_t y = 0; y < h; ++y) {  // horizontal bands 7 rows thick
      if (i > 0 && (y / 7) % 3 == 0) {
        for (std::ptrdiff_t x = y % 11; x < w - y % 5; ++x) {
          m(x, y) = 1;
        }
      }
    }
    image<float> simd(w, h), scalar(w, h);
    vs::distance_transform_workspace ws;
    vs::distance_transform(m.view(), simd.view(), ws);
    vs::detail::distance_transform_kernel(m.view(), scalar.view(), ws, false);
    bool twins = true, wide = false;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        twins = twins && simd(x, y) == scalar(x, y);
        wide = wide || simd(x, y) > 34.0f;
      }
    }
    CAPTURE(i);
    CHECK(twins);
    CHECK(wide);
    if (i == 0) {
      const image<double> ref = brute_force(m.view());
      bool exact = true;
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          exact = exact && simd(x, y) == static_cast<float>(ref(x, y));
        }
      }
      CHECK(exact);
    }
  }
}

TEST_CASE("distance_transform: a disc's centre and a full frame") {
  image<std::uint8_t> m(41, 41, 0);
  for (std::ptrdiff_t y = 0; y < 41; ++y) {
    for (std::ptrdiff_t x = 0; x < 41; ++x) {
      m(x, y) = (x - 20) * (x - 20) + (y - 20) * (y - 20) <= 15 * 15 ? 1 : 0;
    }
  }
  const image<float> d = vs::distance_transform(m.view());
  CHECK(d(20, 20) == doctest::Approx(std::sqrt(226.0)));  // nearest outside: (35, 21)
  CHECK(d(0, 0) == 0.0f);
  image<std::uint8_t> full(9, 5, 1);
  const image<float> f = vs::distance_transform(full.view());
  CHECK(f(4, 2) == 3.0f);   // 3 rows to the virtual background below/above
  CHECK(f(0, 0) == 1.0f);
  image<std::uint8_t> one(1, 1, 1);
  CHECK(vs::distance_transform(one.view())(0, 0) == 1.0f);
}

TEST_CASE("distance_transform: bad input throws invalid_argument naming the argument") {
  image<std::uint8_t> m(10, 10, 0);
  image<float> small(10, 9);
  vs::distance_transform_workspace ws;
  const image_view<const std::uint8_t> null_data(nullptr, 4, 4, 4);
  CHECK_THROWS_WITH_AS((void)vs::distance_transform(null_data), doctest::Contains("mask"),
                       vasostat::invalid_argument);
  const image_view<const std::uint8_t> short_stride(m.data(), 10, 10, 3);
  CHECK_THROWS_WITH_AS((void)vs::distance_transform(short_stride), doctest::Contains("stride"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS(vs::distance_transform(m.view(), small.view(), ws), doctest::Contains("out"),
                       vasostat::invalid_argument);
  const image_view<const std::uint8_t> empty(nullptr, 0, 3, 0);
  CHECK(vs::distance_transform(empty).empty());
}
