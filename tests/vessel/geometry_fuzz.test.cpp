// Random-input robustness of the geometry front doors (run under ASan/UBSan in CI): random sizes
// (0–70 px, 1-row and 1-column images), strides, pixel values and option values through
// skeletonize, distance_transform, trace, density and analyze_mask. Every call either returns a
// finite, consistent result or throws vasostat::invalid_argument; nothing else may happen.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/trace.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "support/vessel_geometry_support.hpp"

namespace vs = vasostat::vessel;

TEST_CASE("geometry fuzz: random sizes, strides, pixel values and options never misbehave") {
  vasostat::random_generator rng(0xF0221);
#ifdef NDEBUG
  const int rounds = 1500;
#else
  const int rounds = 300;
#endif
  int ok = 0, rejected = 0;
  const double specials[] = {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(), 1e-300, 1e300, 0.7, 2.5};
  for (int r = 0; r < rounds; ++r) {
    const auto w = static_cast<std::ptrdiff_t>(rng.below(r % 10 == 0 ? 3 : 70));
    const auto h = static_cast<std::ptrdiff_t>(rng.below(r % 10 == 1 ? 3 : 70));
    const std::ptrdiff_t stride = w + static_cast<std::ptrdiff_t>(rng.below(9));
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(stride * h + 1));
    const int style = static_cast<int>(rng.below(4));
    for (auto& b : buf) {
      b = style == 0 ? static_cast<std::uint8_t>(rng.below(256))
          : style == 1 ? (rng.uniform() < 0.8 ? 255 : 0)
          : style == 2 ? 0
                       : 1;
    }
    const vasostat::image_view<const std::uint8_t> mask(buf.data(), w, h, stride);
    vasostat::image<std::uint8_t> skel(w, h);
    vasostat::image<float> dist(w, h);
    vs::skeletonize_workspace sws;
    vs::distance_transform_workspace dws;
    const vs::skeletonize_options sopt{
        .method = rng.below(2) == 0 ? vs::thinning::zhang_suen : vs::thinning::guo_hall};
    vs::skeletonize(mask, skel.view(), sws, sopt);
    vs::distance_transform(mask, dist.view(), dws);
    bool finite = true;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        finite = finite && std::isfinite(dist(x, y)) && dist(x, y) >= 0 && skel(x, y) <= 1 &&
                 (skel(x, y) == 0 || mask(x, y) != 0);
      }
    }
    CHECK(finite);
    // Mostly valid values, one in ten from the special list (0, -1, NaN, Inf, extremes).
    auto pick = [&](double valid) { return rng.below(10) == 0 ? specials[rng.below(8)] : valid; };
    const vs::trace_options topt{.min_spur_length_px = pick(10 * rng.uniform()),
                                 .spur_radius_factor = pick(3 * rng.uniform()),
                                 .prune_spurs = rng.below(2) == 0,
                                 .smoothing_half_window =
                                     rng.below(10) == 0 ? static_cast<int>(rng.below(80)) - 5
                                                        : static_cast<int>(rng.below(6))};
    vs::density_options dopt{.um_per_px = pick(0.1 + 5 * rng.uniform()),
                             .um_per_px_y = rng.below(2) == 0 ? 0.0 : pick(0.1 + 5 * rng.uniform()),
                             .small_vessel_um = pick(1 + 30 * rng.uniform()),
                             .roi = {},
                             .class_edges_um = {10, 20, 50}};
    vasostat::image<std::uint8_t> roi(w, h, 0);
    if (rng.below(2) == 0 && w > 0 && h > 0) {
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          roi(x, y) = rng.uniform() < 0.7 ? 1 : 0;
        }
      }
      dopt.roi = roi.view();
    }
    try {
      const vs::graph g = vs::trace(skel.view(), dist.view(), topt);
      const vs::density_metrics d = vs::density(g, dopt);
      const bool good = std::isfinite(d.tvd_mm_per_mm2) && std::isfinite(d.de_backer_per_mm) &&
                        d.small_length_um <= d.total_length_um && d.total_length_um >= 0;
      CHECK(good);
      const vs::mask_analysis a = vs::analyze_mask(mask, {.density = dopt, .skeleton = sopt, .trace = topt});
      CHECK(a.metrics.total_length_um == doctest::Approx(d.total_length_um));
      ++ok;
    } catch (const vasostat::invalid_argument&) {
      ++rejected;
    }
  }
  CHECK(ok > rounds / 20);
  CHECK(rejected > rounds / 20);
  CHECK(ok + rejected == rounds);
}
