#pragma once
// A clip: grey frames (any stride) plus the calibration that turns pixels and frames into µm and
// seconds. Every video function takes one; `check_clip` validates it once at the front door.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image_view.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

namespace vasostat::inline v0::vessel {

/// Pixel size and frame rate of a recording (e.g. CytoCam full frame ≈ 0.70 µm/px, 25 fps).
struct calibration {
  double um_per_px = 1.0;  ///< µm per pixel, > 0
  double fps = 25.0;       ///< frames per second, > 0
};

/// The grey pixel types the frame front doors accept.
template <class T>
concept grey_pixel = std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::uint16_t> ||
                     std::is_same_v<T, float>;

/// A clip: a span of frame views (all the same size) and its calibration.
template <grey_pixel T>
struct clip {
  std::span<const image_view<const T>> frames;
  vessel::calibration calibration;
};

namespace detail {

inline void check_calibration(const calibration& cal, const char* where) {
  VASOSTAT_EXPECTS(std::isfinite(cal.um_per_px) && cal.um_per_px > 0,
                   std::string(where) + ": um_per_px (" + std::to_string(cal.um_per_px) +
                       ") must be finite and > 0");
  VASOSTAT_EXPECTS(std::isfinite(cal.fps) && cal.fps > 0,
                   std::string(where) + ": fps (" + std::to_string(cal.fps) +
                       ") must be finite and > 0");
}

/// Throws if a float frame holds a NaN or an infinity.
template <class T>
void check_finite_pixels(const image_view<const T>& v, const char* where, const char* name) {
  if constexpr (std::is_floating_point_v<T>) {
    for (std::ptrdiff_t y = 0; y < v.height; ++y) {
      const T* r = v.row(y);
      bool ok = true;
      for (std::ptrdiff_t x = 0; x < v.width; ++x) {
        ok &= std::isfinite(r[x]);
      }
      VASOSTAT_EXPECTS(ok, std::string(where) + ": " + name + " has a NaN or infinite pixel in row " +
                               std::to_string(y));
    }
  }
}

/// Validates a clip: not empty, at least `min_frames` frames, all frames valid views of the same
/// non-empty size, finite float pixels, a valid calibration.
template <class T>
void check_clip(const clip<T>& c, const char* where, std::size_t min_frames = 1) {
  VASOSTAT_EXPECTS(!c.frames.empty(), std::string(where) + ": clip is empty (no frames)");
  VASOSTAT_EXPECTS(c.frames.size() >= min_frames,
                   std::string(where) + ": clip has " + std::to_string(c.frames.size()) +
                       " frames, at least " + std::to_string(min_frames) + " are needed");
  check_calibration(c.calibration, where);
  const auto& f0 = c.frames[0];
  for (std::size_t i = 0; i < c.frames.size(); ++i) {
    const auto& f = c.frames[i];
    vasostat::detail::check_image_view(f, where, "clip frame");
    VASOSTAT_EXPECTS(!f.empty(), std::string(where) + ": clip frame " + std::to_string(i) +
                                     " is empty");
    VASOSTAT_EXPECTS(f.width == f0.width && f.height == f0.height,
                     std::string(where) + ": clip frames have different sizes (frame " +
                         std::to_string(i) + " is " + std::to_string(f.width) + "x" +
                         std::to_string(f.height) + ", frame 0 is " + std::to_string(f0.width) +
                         "x" + std::to_string(f0.height) + ")");
    check_finite_pixels(f, where, "clip frame");
  }
}

}  // namespace detail
}  // namespace vasostat::inline v0::vessel
