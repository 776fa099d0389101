// vessel::skeletonize: bit-parallel SIMD output identical to the pixel-by-pixel scalar twin, and
// the thinning properties (thin, topology kept, ends kept, idempotent) on random and rendered masks.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/skeletonize.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "support/vessel_geometry_support.hpp"

namespace {

using vasostat::image;
using vasostat::image_view;
namespace vs = vasostat::vessel;
using vs::thinning;

constexpr std::uint8_t sentinel = 0xA5;
#ifdef NDEBUG
constexpr int random_property_cases = 1500;  // per method
constexpr int rendered_cases = 60;
#else
constexpr int random_property_cases = 400;  // sanitizer builds: same checks, fewer masks
constexpr int rendered_cases = 20;
#endif

/// Mask copied into a buffer with row stride > width, padding filled with a sentinel.
struct strided {
  std::vector<std::uint8_t> buf;
  image_view<std::uint8_t> view;
  strided(image_view<const std::uint8_t> m, std::ptrdiff_t extra) {
    const std::ptrdiff_t stride = m.width + extra;
    buf.assign(static_cast<std::size_t>(stride * m.height + 1), sentinel);
    view = image_view<std::uint8_t>(buf.data(), m.width, m.height, stride);
    for (std::ptrdiff_t y = 0; y < m.height; ++y) {
      for (std::ptrdiff_t x = 0; x < m.width; ++x) {
        view(x, y) = m(x, y);
      }
    }
  }
  [[nodiscard]] bool padding_intact() const {
    for (std::ptrdiff_t y = 0; y < view.height; ++y) {
      for (std::ptrdiff_t x = view.width; x < view.stride; ++x) {
        if (view(x, y) != sentinel) {
          return false;
        }
      }
    }
    return buf.back() == sentinel;
  }
};

image<std::uint8_t> scalar_skeleton(image_view<const std::uint8_t> m, thinning method) {
  image<std::uint8_t> out(m.width, m.height, 0);
  vs::detail::skeletonize_scalar(m, out.view(), method == thinning::guo_hall);
  return out;
}

template <class W>
image<std::uint8_t> word_skeleton(image_view<const std::uint8_t> m, thinning method) {
  image<std::uint8_t> out(m.width, m.height, 0);
  vs::skeletonize_workspace ws;
  vs::detail::skeletonize_kernel<W>(m, out.view(), ws, method == thinning::guo_hall);
  return out;
}

bool same(image_view<const std::uint8_t> a, image_view<const std::uint8_t> b) {
  if (a.width != b.width || a.height != b.height) {
    return false;
  }
  for (std::ptrdiff_t y = 0; y < a.height; ++y) {
    for (std::ptrdiff_t x = 0; x < a.width; ++x) {
      if (a(x, y) != b(x, y)) {
        return false;
      }
    }
  }
  return true;
}

int neighbours(image_view<const std::uint8_t> m, std::ptrdiff_t x, std::ptrdiff_t y) {
  int n = 0;
  for (int dy = -1; dy <= 1; ++dy) {
    for (int dx = -1; dx <= 1; ++dx) {
      const std::ptrdiff_t nx = x + dx, ny = y + dy;
      if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < m.width && ny < m.height &&
          m(nx, ny) != 0) {
        ++n;
      }
    }
  }
  return n;
}

/// True if deleting pixel (x, y) keeps the topology and it has >= 3 neighbours or is the corner
/// of an L (two orthogonal 4-neighbours); other pixels with 2 are line ends: the pixel is removable. Checked by brute force on the 3×3 neighbourhood (Yokoi number == 1).
bool removable(image_view<const std::uint8_t> m, std::ptrdiff_t x, std::ptrdiff_t y) {
  auto at = [&](int dx, int dy) {
    const std::ptrdiff_t nx = x + dx, ny = y + dy;
    return (nx >= 0 && ny >= 0 && nx < m.width && ny < m.height && m(nx, ny) != 0) ? 1 : 0;
  };
  const int ring[8] = {at(1, 0), at(1, -1), at(0, -1), at(-1, -1),
                       at(-1, 0), at(-1, 1), at(0, 1), at(1, 1)};
  int yokoi = 0;
  for (int k = 0; k < 8; k += 2) {
    const int a = 1 - ring[k], b = 1 - ring[(k + 1) % 8], c = 1 - ring[(k + 2) % 8];
    yokoi += a - a * b * c;
  }
  const int b = neighbours(m, x, y);
  const bool corner = b == 2 && ((ring[0] & ring[2]) | (ring[2] & ring[4]) | (ring[4] & ring[6]) |
                                 (ring[6] & ring[0])) != 0;
  return yokoi == 1 && (b >= 3 || corner);
}

struct property_report {
  bool topology = true, ends = true, subset = true, idempotent = true, irreducible = true;
  int blocks = 0;
};

property_report check_properties(image_view<const std::uint8_t> mask, thinning method) {
  property_report r;
  const image<std::uint8_t> skel = vs::skeletonize(mask, {.method = method});
  r.topology = vessel_test::count_components8(mask) == vessel_test::count_components8(skel) &&
               vessel_test::count_holes4(mask) == vessel_test::count_holes4(skel);
  for (std::ptrdiff_t y = 0; y < mask.height; ++y) {
    for (std::ptrdiff_t x = 0; x < mask.width; ++x) {
      if (skel(x, y) != 0 && mask(x, y) == 0) {
        r.subset = false;
      }
      if (mask(x, y) != 0 && neighbours(mask, x, y) <= 1 && skel(x, y) == 0) {
        r.ends = false;
      }
      if (skel(x, y) != 0 && removable(skel.view(), x, y)) {
        r.irreducible = false;
      }
      if (x + 1 < mask.width && y + 1 < mask.height && skel(x, y) && skel(x + 1, y) &&
          skel(x, y + 1) && skel(x + 1, y + 1)) {
        ++r.blocks;
      }
    }
  }
  const image<std::uint8_t> again = vs::skeletonize(skel.view(), {.method = method});
  r.idempotent = same(skel.view(), again.view());
  return r;
}

}  // namespace

TEST_CASE("skeletonize: SIMD and 64-bit-word kernels equal the scalar twin on odd sizes and strides") {
  vasostat::random_generator rng(20260101);
  const std::ptrdiff_t lanes = vs::detail::word_ops<vs::detail::thinning_word>::size;
  const std::ptrdiff_t widths[] = {1, 2, 3, 7, 63, 64, 65, 64 * lanes - 1, 64 * lanes + 1,
                                   127, 129, 200, 1021};
  const std::ptrdiff_t heights[] = {1, 2, 3, 9, 40};
  int cases = 0;
  for (thinning method : {thinning::zhang_suen, thinning::guo_hall}) {
    for (std::ptrdiff_t w : widths) {
      for (std::ptrdiff_t h : heights) {
        for (int kind = 0; kind < 3; ++kind) {
          const image<std::uint8_t> m =
              kind == 0   ? vessel_test::random_mask(w, h, 0.55, rng)
              : kind == 1 ? vessel_test::random_mask(w, h, 0.85, rng)
                          : vessel_test::random_blobs(w, h, 6, 12, rng);
          CAPTURE(w);
          CAPTURE(h);
          CAPTURE(kind);
          const image<std::uint8_t> ref = scalar_skeleton(m.view(), method);
          // SIMD front door, with strided input and output whose padding must survive.
          strided in(m.view(), 5 + w % 3);
          strided out(m.view(), 3);
          vs::skeletonize_workspace ws;
          vs::skeletonize(image_view<const std::uint8_t>(in.view), out.view, ws, {.method = method});
          CHECK(same(ref.view(), image_view<const std::uint8_t>(out.view)));
          CHECK(out.padding_intact());
          CHECK(in.padding_intact());
          CHECK(same(ref.view(), word_skeleton<std::uint64_t>(m.view(), method).view()));
          ++cases;
        }
      }
    }
  }
  CHECK(cases == 2 * 13 * 5 * 3);
}

TEST_CASE("skeletonize: in place (out aliases the mask) and a reused workspace give the same skeleton") {
  vasostat::random_generator rng(7);
  vs::skeletonize_workspace ws;
  for (std::ptrdiff_t w : {300, 17, 130}) {
    image<std::uint8_t> m = vessel_test::random_blobs(w, 90, 10, 15, rng);
    const image<std::uint8_t> ref = scalar_skeleton(m.view(), thinning::zhang_suen);
    vs::skeletonize(m.view(), m.view(), ws);
    CHECK(same(ref.view(), m.view()));
  }
}

TEST_CASE("skeletonize: thin, topology-preserving, ends kept and idempotent on random masks") {
  vasostat::random_generator rng(424242);
  for (thinning method : {thinning::zhang_suen, thinning::guo_hall}) {
    int failures = 0, cases = 0;
    for (int i = 0; i < random_property_cases; ++i) {
      const std::ptrdiff_t w = 4 + static_cast<std::ptrdiff_t>(rng.below(30));
      const std::ptrdiff_t h = 4 + static_cast<std::ptrdiff_t>(rng.below(30));
      const image<std::uint8_t> m = (i % 2 == 0) ? vessel_test::random_mask(w, h, 0.3 + 0.6 * rng.uniform(), rng)
                                                 : vessel_test::random_blobs(w, h, 4, 8, rng);
      const property_report r = check_properties(m.view(), method);
      CAPTURE(i);
      CHECK(r.topology);
      CHECK(r.ends);
      CHECK(r.subset);
      CHECK(r.idempotent);
      CHECK(r.irreducible);
      failures += (r.topology && r.ends && r.subset && r.idempotent && r.irreducible) ? 0 : 1;
      ++cases;
    }
    CHECK(failures == 0);
    CHECK(cases == random_property_cases);
  }
}

TEST_CASE("skeletonize: rendered vessel networks keep topology; 2x2 blocks only where crossings force them") {
  vasostat::random_generator rng(99);
  for (thinning method : {thinning::zhang_suen, thinning::guo_hall}) {
    int blocks = 0;
    for (int i = 0; i < rendered_cases; ++i) {
      image<std::uint8_t> m(160, 120, 0);
      for (int k = 0; k < 5; ++k) {
        const vessel_test::vec2 p0{rng.uniform() * 160, rng.uniform() * 120};
        const vessel_test::vec2 p3{rng.uniform() * 160, rng.uniform() * 120};
        const vessel_test::vec2 p1{rng.uniform() * 160, rng.uniform() * 120};
        const vessel_test::vec2 p2{rng.uniform() * 160, rng.uniform() * 120};
        vessel_test::draw(m, vessel_test::bezier_tube(p0, p1, p2, p3, 2 + rng.uniform() * 18));
      }
      const property_report r = check_properties(m.view(), method);
      CAPTURE(i);
      CHECK(r.topology);
      CHECK(r.idempotent);
      CHECK(r.irreducible);
      blocks += r.blocks;
    }
    MESSAGE("2x2 blocks (all pixels non-removable, at crossings) in " << rendered_cases
                                                                     << " networks: " << blocks);
  }
}

TEST_CASE("skeletonize: single tubes (lines at many angles, arcs, curves; 1-30 px) have no 2x2 block") {
  vasostat::random_generator rng(5);
  for (thinning method : {thinning::zhang_suen, thinning::guo_hall}) {
    for (int i = 0; i < rendered_cases * 3 / 2; ++i) {
      image<std::uint8_t> m(140, 140, 0);
      const double d = 1 + 29 * rng.uniform();
      const double a = rng.uniform() * 3.14159265358979;
      if (i % 3 == 0) {
        vessel_test::draw(m, vessel_test::line_tube({70 - 50 * std::cos(a), 70 - 50 * std::sin(a)},
                                                    {70 + 50 * std::cos(a), 70 + 50 * std::sin(a)}, d));
      } else if (i % 3 == 1) {
        vessel_test::draw(m, vessel_test::arc_tube({70, 70}, 25 + 25 * rng.uniform(), a, a + 3.5, d));
      } else {
        vessel_test::draw(m, vessel_test::bezier_tube({10, 20}, {130, 10 + 100 * rng.uniform()},
                                                      {10, 130 - 100 * rng.uniform()}, {130, 120}, d));
      }
      const property_report r = check_properties(m.view(), method);
      CAPTURE(i);
      CAPTURE(d);
      CHECK(r.topology);
      CHECK(r.irreducible);
      CHECK(r.blocks == 0);
    }
  }
}

TEST_CASE("skeletonize: a 1-px line is unchanged, a thick bar thins to its centre row, empty stays empty") {
  image<std::uint8_t> line(40, 9, 0);
  for (std::ptrdiff_t x = 3; x < 37; ++x) {
    line(x, 4) = 1;
  }
  for (std::ptrdiff_t k = 0; k < 3; ++k) {
    line(2 + k, k) = 1;  // a separate diagonal
    line(30 + k, 8 - k) = 1;
  }
  line(33, 6) = 1;  // a knight's-move staircase: no pixel is removable
  line(34, 6) = 1;
  CHECK(same(line.view(), vs::skeletonize(line.view()).view()));

  image<std::uint8_t> bar(50, 11, 0);
  for (std::ptrdiff_t y = 3; y <= 7; ++y) {
    for (std::ptrdiff_t x = 5; x < 45; ++x) {
      bar(x, y) = 200;
    }
  }
  const image<std::uint8_t> s = vs::skeletonize(bar.view());
  int on_centre = 0, total = 0;
  for (std::ptrdiff_t y = 0; y < 11; ++y) {
    for (std::ptrdiff_t x = 0; x < 50; ++x) {
      total += s(x, y);
      on_centre += (y == 5) ? s(x, y) : 0;
    }
  }
  CHECK(on_centre >= 34);
  CHECK(total - on_centre <= 4);

  image<std::uint8_t> empty(33, 3, 0);
  CHECK(same(empty.view(), vs::skeletonize(empty.view()).view()));
  image<std::uint8_t> one(1, 1, 1);
  CHECK(vs::skeletonize(one.view())(0, 0) == 1);
  image<std::uint8_t> full(70, 20, 1);
  CHECK(vessel_test::count_components8(vs::skeletonize(full.view()).view()) == 1);
  image<std::uint8_t> none(0, 0);
  CHECK(vs::skeletonize(none.view()).empty());
}

TEST_CASE("skeletonize: bad input throws invalid_argument naming the argument") {
  image<std::uint8_t> m(10, 10, 0), small(9, 10, 0);
  vs::skeletonize_workspace ws;
  const image_view<const std::uint8_t> null_data(nullptr, 10, 10, 10);
  CHECK_THROWS_WITH_AS((void)vs::skeletonize(null_data), doctest::Contains("mask"), vasostat::invalid_argument);
  const image_view<const std::uint8_t> negative(m.data(), -1, 10, 10);
  CHECK_THROWS_WITH_AS((void)vs::skeletonize(negative), doctest::Contains("mask"), vasostat::invalid_argument);
  const image_view<const std::uint8_t> short_stride(m.data(), 10, 10, 9);
  CHECK_THROWS_WITH_AS((void)vs::skeletonize(short_stride), doctest::Contains("stride"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS(vs::skeletonize(m.view(), small.view(), ws), doctest::Contains("out"),
                       vasostat::invalid_argument);
  const image_view<const std::uint8_t> null_empty(nullptr, 0, 0, 0);
  CHECK_NOTHROW((void)vs::skeletonize(null_empty));
}
