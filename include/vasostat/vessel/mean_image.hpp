#pragma once
// vessel::mean_image: the temporal mean of a (stabilised) clip, the detection input that fills
// plasma gaps, with per-frame brightness (flicker) normalisation: each frame is scaled by
// mean brightness / its brightness before averaging. O(frames * width * height).

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/stabilize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct mean_image_options {
  bool normalize_brightness = true;  ///< undo per-frame flicker (gain) before averaging
};

struct mean_image_result {
  image<float> mean;               ///< the mean frame, in the reference frame's coordinates
  std::vector<double> brightness;  ///< mean grey value of each frame
  std::vector<double> gain;        ///< factor applied to each frame (1 without normalisation)
};

/// Per-frame mean grey values (the flicker signal).
template <grey_pixel T>
[[nodiscard]] std::vector<double> frame_brightness(const clip<T>& c) {
  detail::check_clip(c, "vasostat::vessel::frame_brightness");
  std::vector<double> b;
  b.reserve(c.frames.size());
  for (const auto& f : c.frames) {
    double s = 0;
    for (std::ptrdiff_t y = 0; y < f.height; ++y) {
      double row = 0;
      for (std::ptrdiff_t x = 0; x < f.width; ++x) {
        row += static_cast<double>(f(x, y));
      }
      s += row;
    }
    b.push_back(s / static_cast<double>(f.width * f.height));
  }
  return b;
}

namespace detail {
/// mean brightness / brightness per frame (1 for a black frame).
inline std::vector<double> flicker_gains(const std::vector<double>& b) {
  double mean = 0;
  for (double v : b) {
    mean += v;
  }
  mean /= static_cast<double>(b.size());
  std::vector<double> g(b.size(), 1.0);
  for (std::size_t i = 0; i < b.size(); ++i) {
    g[i] = b[i] > 0 && mean > 0 ? mean / b[i] : 1.0;
  }
  return g;
}
}  // namespace detail

/// Temporal mean of the clip; `offsets` (one per frame, from stabilize) are applied by bilinear
/// resampling, frame(x - dx, y - dy). Throws vasostat::invalid_argument for a bad clip or an
/// offsets span whose size is neither 0 nor the number of frames.
template <grey_pixel T>
[[nodiscard]] mean_image_result mean_image(const clip<T>& c,
                                           std::span<const translation> offsets = {},
                                           const mean_image_options& o = {}) {
  const char* where = "vasostat::vessel::mean_image";
  detail::check_clip(c, where);
  VASOSTAT_EXPECTS(offsets.empty() || offsets.size() == c.frames.size(),
                   std::string(where) + ": offsets has " + std::to_string(offsets.size()) +
                       " entries for " + std::to_string(c.frames.size()) + " frames");
  mean_image_result r;
  r.brightness = frame_brightness(c);
  r.gain = o.normalize_brightness ? detail::flicker_gains(r.brightness)
                                  : std::vector<double>(c.frames.size(), 1.0);
  const std::ptrdiff_t w = c.frames[0].width, h = c.frames[0].height;
  std::vector<double> acc(static_cast<std::size_t>(w * h), 0.0);
  std::vector<std::ptrdiff_t> cols;
  for (std::size_t t = 0; t < c.frames.size(); ++t) {
    const auto& f = c.frames[t];
    const double g = r.gain[t];
    const bool shift = !offsets.empty() && (offsets[t].dx != 0 || offsets[t].dy != 0);
    // a constant shift: the same bilinear weights everywhere, clamped column/row indices
    const double sx = shift ? -offsets[t].dx : 0.0, sy = shift ? -offsets[t].dy : 0.0;
    const double fsx = std::floor(sx), fsy = std::floor(sy);
    const auto ix = static_cast<std::ptrdiff_t>(fsx), iy = static_cast<std::ptrdiff_t>(fsy);
    const double fx = sx - fsx, fy = sy - fsy;
    if (shift) {
      cols.resize(static_cast<std::size_t>(2 * w));
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        cols[static_cast<std::size_t>(2 * x)] = std::clamp<std::ptrdiff_t>(x + ix, 0, w - 1);
        cols[static_cast<std::size_t>(2 * x + 1)] = std::clamp<std::ptrdiff_t>(x + ix + 1, 0, w - 1);
      }
    }
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      double* a = acc.data() + y * w;
      if (shift) {
        const T* r0 = f.row(std::clamp<std::ptrdiff_t>(y + iy, 0, h - 1));
        const T* r1 = f.row(std::clamp<std::ptrdiff_t>(y + iy + 1, 0, h - 1));
        const double w00 = g * (1 - fx) * (1 - fy), w10 = g * fx * (1 - fy),
                     w01 = g * (1 - fx) * fy, w11 = g * fx * fy;
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          const auto c0 = cols[static_cast<std::size_t>(2 * x)];
          const auto c1 = cols[static_cast<std::size_t>(2 * x + 1)];
          a[x] += w00 * static_cast<double>(r0[c0]) + w10 * static_cast<double>(r0[c1]) +
                  w01 * static_cast<double>(r1[c0]) + w11 * static_cast<double>(r1[c1]);
        }
      } else {
        const T* row = f.row(y);
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          a[x] += g * static_cast<double>(row[x]);
        }
      }
    }
  }
  r.mean.resize(w, h);
  const double inv = 1.0 / static_cast<double>(c.frames.size());
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      r.mean(x, y) = static_cast<float>(acc[static_cast<std::size_t>(y * w + x)] * inv);
    }
  }
  return r;
}

}  // namespace vasostat::inline v0::vessel
