#pragma once
// Synthetic inputs with known truth for the vessel video tests: anti-aliased bars, a textured
// scene that can be sampled at sub-pixel offsets (jitter), and clips of vessels carrying moving
// red-cell texture at known speeds.

#include <vasostat/core/image.hpp>
#include <vasostat/core/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vasostat_test {

/// A straight dark bar of half-width `half_width` through (cx, cy) at `angle_rad`, rendered by
/// `ss` x `ss` supersampling: value = bg + (fg - bg) * covered fraction.
inline vasostat::image<float> render_bar(std::ptrdiff_t w, std::ptrdiff_t h, double cx, double cy,
                                         double angle_rad, double half_width, float bg, float fg,
                                         int ss = 8) {
  vasostat::image<float> img(w, h);
  const double nx = -std::sin(angle_rad), ny = std::cos(angle_rad);  // normal to the bar
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      int inside = 0;
      for (int j = 0; j < ss; ++j) {
        for (int i = 0; i < ss; ++i) {
          const double px = static_cast<double>(x) - 0.5 + (i + 0.5) / ss - cx;
          const double py = static_cast<double>(y) - 0.5 + (j + 0.5) / ss - cy;
          inside += std::abs(px * nx + py * ny) <= half_width ? 1 : 0;
        }
      }
      const double f = static_cast<double>(inside) / (ss * ss);
      img(x, y) = static_cast<float>(bg + (fg - bg) * f);
    }
  }
  return img;
}

/// Uniform random pixels in [0, max_value] with the given stride (padding filled with `pad`).
template <class T>
std::vector<T> random_pixels(std::ptrdiff_t w, std::ptrdiff_t h, std::ptrdiff_t stride,
                             double max_value, std::uint64_t seed, T pad) {
  vasostat::random_generator rng(seed);
  std::vector<T> v(static_cast<std::size_t>(stride * h), pad);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      v[static_cast<std::size_t>(y * stride + x)] = static_cast<T>(rng.uniform() * max_value);
    }
  }
  return v;
}

}  // namespace vasostat_test

namespace vasostat_test {

/// A continuous scene of dark Gaussian blobs (a stand-in for a capillary bed's texture) that can
/// be sampled at any sub-pixel offset: frame(x, y) = scene(x + dx, y + dy).
struct blob_scene {
  struct blob {
    double x, y, sigma, amp;
  };
  std::vector<blob> blobs;
  double background = 180;
};

inline blob_scene make_blob_scene(double w, double h, int n, std::uint64_t seed) {
  vasostat::random_generator rng(seed);
  blob_scene s;
  for (int i = 0; i < n; ++i) {
    s.blobs.push_back({rng.uniform(-40, w + 40), rng.uniform(-40, h + 40), rng.uniform(1.5, 5.0),
                       rng.uniform(30, 90)});
  }
  return s;
}

/// Renders the scene shifted by (dx, dy), times `gain`, plus Gaussian noise of sd `noise`.
inline vasostat::image<float> render_blob_scene(const blob_scene& s, std::ptrdiff_t w,
                                                std::ptrdiff_t h, double dx, double dy,
                                                double gain, double noise,
                                                vasostat::random_generator& rng) {
  vasostat::image<float> img(w, h, static_cast<float>(s.background));
  for (const auto& b : s.blobs) {
    const double cx = b.x - dx, cy = b.y - dy, r = 3.5 * b.sigma;
    const auto x0 = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(std::floor(cx - r)));
    const auto x1 = std::min<std::ptrdiff_t>(w - 1, static_cast<std::ptrdiff_t>(std::ceil(cx + r)));
    const auto y0 = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(std::floor(cy - r)));
    const auto y1 = std::min<std::ptrdiff_t>(h - 1, static_cast<std::ptrdiff_t>(std::ceil(cy + r)));
    for (std::ptrdiff_t y = y0; y <= y1; ++y) {
      for (std::ptrdiff_t x = x0; x <= x1; ++x) {
        const double ex = static_cast<double>(x) - cx, ey = static_cast<double>(y) - cy;
        img(x, y) -= static_cast<float>(b.amp * std::exp(-(ex * ex + ey * ey) / (2 * b.sigma * b.sigma)));
      }
    }
  }
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      img(x, y) = static_cast<float>(gain * img(x, y) + noise * rng.normal());
    }
  }
  return img;
}

}  // namespace vasostat_test
