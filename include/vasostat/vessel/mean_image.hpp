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
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
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
      const T* r = f.row(y);
      if constexpr (std::is_integral_v<T>) {  // exact integer row sums (vectorised), as below
        std::uint64_t row = 0;
        for (std::ptrdiff_t x = 0; x < f.width; ++x) {
          row += r[x];
        }
        s += static_cast<double>(row);
      } else {
        double row = 0;
        for (std::ptrdiff_t x = 0; x < f.width; ++x) {
          row += static_cast<double>(r[x]);
        }
        s += row;
      }
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
  // Per frame: a constant shift, i.e. the same bilinear weights everywhere with clamped
  // column/row indices.
  struct frame_shift {
    bool shift = false;
    std::ptrdiff_t ix = 0, iy = 0;
    double w00 = 1, w10 = 0, w01 = 0, w11 = 0, g = 1;
  };
  std::vector<frame_shift> fs(c.frames.size());
  for (std::size_t t = 0; t < c.frames.size(); ++t) {
    frame_shift& p = fs[t];
    p.g = r.gain[t];
    p.shift = !offsets.empty() && (offsets[t].dx != 0 || offsets[t].dy != 0);
    const double sx = p.shift ? -offsets[t].dx : 0.0, sy = p.shift ? -offsets[t].dy : 0.0;
    const double fsx = std::floor(sx), fsy = std::floor(sy);
    p.ix = static_cast<std::ptrdiff_t>(fsx);
    p.iy = static_cast<std::ptrdiff_t>(fsy);
    const double fx = sx - fsx, fy = sy - fsy;
    p.w00 = p.g * (1 - fx) * (1 - fy);
    p.w10 = p.g * fx * (1 - fy);
    p.w01 = p.g * (1 - fx) * fy;
    p.w11 = p.g * fx * fy;
  }
  // Bands of rows small enough for the double accumulators to stay in cache while every frame
  // is added (frame by frame, so each pixel sums in frame order).
  const std::ptrdiff_t band = std::clamp<std::ptrdiff_t>(16384 / std::max<std::ptrdiff_t>(w, 1), 1, 64);
  std::vector<double> acc(static_cast<std::size_t>(w * std::min(band, h)));
  r.mean.resize(w, h);
  const double inv = 1.0 / static_cast<double>(c.frames.size());
  for (std::ptrdiff_t y0 = 0; y0 < h; y0 += band) {
    const std::ptrdiff_t y1 = std::min(h, y0 + band);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (std::size_t t = 0; t < c.frames.size(); ++t) {
      const auto& f = c.frames[t];
      const frame_shift& p = fs[t];
      for (std::ptrdiff_t y = y0; y < y1; ++y) {
        double* a = acc.data() + (y - y0) * w;
        if (p.shift) {
          const T* r0 = f.row(std::clamp<std::ptrdiff_t>(y + p.iy, 0, h - 1));
          const T* r1 = f.row(std::clamp<std::ptrdiff_t>(y + p.iy + 1, 0, h - 1));
          const double w00 = p.w00, w10 = p.w10, w01 = p.w01, w11 = p.w11;
          auto clamped = [&](std::ptrdiff_t x) {
            const auto c0 = std::clamp<std::ptrdiff_t>(x + p.ix, 0, w - 1);
            const auto c1 = std::clamp<std::ptrdiff_t>(x + p.ix + 1, 0, w - 1);
            a[x] += w00 * static_cast<double>(r0[c0]) + w10 * static_cast<double>(r0[c1]) +
                    w01 * static_cast<double>(r1[c0]) + w11 * static_cast<double>(r1[c1]);
          };
          // Columns whose two source pixels are both inside: contiguous (vectorised), the
          // same arithmetic as the clamped border columns.
          const std::ptrdiff_t x_lo = std::clamp<std::ptrdiff_t>(-p.ix, 0, w);
          const std::ptrdiff_t x_hi = std::clamp<std::ptrdiff_t>(w - 1 - p.ix, x_lo, w);
          for (std::ptrdiff_t x = 0; x < x_lo; ++x) {
            clamped(x);
          }
          for (std::ptrdiff_t x = x_lo; x < x_hi; ++x) {
            const std::ptrdiff_t cx = x + p.ix;
            a[x] += w00 * static_cast<double>(r0[cx]) + w10 * static_cast<double>(r0[cx + 1]) +
                    w01 * static_cast<double>(r1[cx]) + w11 * static_cast<double>(r1[cx + 1]);
          }
          for (std::ptrdiff_t x = x_hi; x < w; ++x) {
            clamped(x);
          }
        } else {
          const T* row = f.row(y);
          const double g = p.g;
          for (std::ptrdiff_t x = 0; x < w; ++x) {
            a[x] += g * static_cast<double>(row[x]);
          }
        }
      }
    }
    for (std::ptrdiff_t y = y0; y < y1; ++y) {
      const double* a = acc.data() + (y - y0) * w;
      float* m = r.mean.row(y);
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        m[x] = static_cast<float>(a[x] * inv);
      }
    }
  }
  return r;
}

}  // namespace vasostat::inline v0::vessel
