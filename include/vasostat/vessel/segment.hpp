#pragma once
// vessel::segment_mask: binary vessel mask from a vesselness image — Otsu's threshold (Otsu 1979,
// 256-bin histogram of response^otsu_power over the positive responses) alone or as the high level of a hysteresis
// (seeds >= high grown through 8-connected pixels >= low), then holes (4-connected background
// not touching the border) up to an area filled, then 8-connected components shorter than a
// length removed (length = diagonal of the component's bounding box, an upper bound of its
// Feret diameter). O(width * height). Named segment_mask, not segment, because
// vessel::segment is the traced-segment type of vessel/graph.hpp.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

enum class threshold_method : std::uint8_t {
  otsu,        ///< response >= Otsu's threshold
  hysteresis,  ///< seeds >= high (Otsu unless given), grown through >= low_ratio * high
};

struct segment_mask_options {
  threshold_method method = threshold_method::hysteresis;
  double high = 0.0;               ///< high (or single) threshold; 0 = Otsu's
  double low_ratio = 0.5;          ///< hysteresis low threshold = low_ratio * high, in (0, 1]
  double min_length_um = 10.0;     ///< components with a shorter extent are removed
  double max_hole_area_um2 = 20.0; ///< enclosed background up to this area becomes vessel
  double um_per_px = 1.0;          ///< calibration for the µm options
  /// Otsu runs on response^otsu_power: Frangi's response of a faint vessel grows with the
  /// square of its contrast, so the raw histogram is a spike at 0 with a long tail and Otsu
  /// lands far too high; the cube root makes it closer to bimodal (DRIVE: docs/vessel_video.md).
  double otsu_power = 1.0 / 3.0;
  /// Otsu's threshold is raised to at least this: a flat or empty frame has only rounding-level
  /// responses, and Otsu would split those into a "mask".
  double min_otsu = 1e-3;
};

/// What segment_mask() found, besides the mask.
struct segment_mask_info {
  double high = 0;                ///< the high (or single) threshold used
  double low = 0;                 ///< the low threshold used (== high for Otsu)
  std::ptrdiff_t components = 0;  ///< components kept
  std::ptrdiff_t removed = 0;     ///< components removed as too short
  std::ptrdiff_t holes_filled = 0;
};

struct segment_mask_workspace {
  std::vector<std::int32_t> labels;
  std::vector<std::int32_t> stack;
  std::vector<std::int32_t> component;
};

namespace detail {

/// Otsu's threshold of the values > 0 (after x -> x^power) on a 256-bin histogram over
/// [0, max^power], returned on the original scale; 0 if no value is > 0.
inline double otsu_threshold(const image_view<const float>& v, double power = 1.0) {
  float vmax = 0;
  for (std::ptrdiff_t y = 0; y < v.height; ++y) {
    for (std::ptrdiff_t x = 0; x < v.width; ++x) {
      vmax = std::max(vmax, v(x, y));
    }
  }
  if (!(vmax > 0)) {
    return 0;
  }
  constexpr int bins = 256;
  double hist[bins] = {};
  const double scale = bins / std::pow(static_cast<double>(vmax), power);
  double total = 0;
  for (std::ptrdiff_t y = 0; y < v.height; ++y) {
    for (std::ptrdiff_t x = 0; x < v.width; ++x) {
      const float p = v(x, y);
      if (p > 0) {
        const double q = power == 1.0 ? static_cast<double>(p) : std::pow(static_cast<double>(p), power);
        hist[std::min(bins - 1, static_cast<int>(q * scale))] += 1;
        total += 1;
      }
    }
  }
  double sum_all = 0;
  for (int i = 0; i < bins; ++i) {
    sum_all += (i + 0.5) * hist[i];
  }
  double w0 = 0, sum0 = 0, best = -1;
  int best_i = 0;
  for (int i = 0; i < bins - 1; ++i) {
    w0 += hist[i];
    sum0 += (i + 0.5) * hist[i];
    const double w1 = total - w0;
    if (w0 <= 0 || w1 <= 0) {
      continue;
    }
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_i = i;
    }
  }
  return std::pow((best_i + 1) / scale, 1.0 / power);
}

}  // namespace detail

/// Vessel mask (0 / 255) from a vesselness image into `mask` (same size), reusing `ws`.
/// Throws vasostat::invalid_argument for an empty or NaN vesselness, a size mismatch, or options
/// out of range (low_ratio outside (0, 1], negative lengths/areas/thresholds, um_per_px <= 0).
inline segment_mask_info segment_mask(const image_view<const float>& vesselness,
                            const image_view<std::uint8_t>& mask, segment_mask_workspace& ws,
                            const segment_mask_options& o = {}) {
  const char* where = "vasostat::vessel::segment_mask";
  vasostat::detail::check_image_view(vesselness, where, "vesselness");
  VASOSTAT_EXPECTS(!vesselness.empty(), std::string(where) + ": vesselness is empty");
  vasostat::detail::check_image_view(mask, where, "mask");
  VASOSTAT_EXPECTS(mask.width == vesselness.width && mask.height == vesselness.height,
                   std::string(where) + ": mask differs in size from vesselness");
  for (std::ptrdiff_t y = 0; y < vesselness.height; ++y) {
    for (std::ptrdiff_t x = 0; x < vesselness.width; ++x) {
      VASOSTAT_EXPECTS(!std::isnan(vesselness(x, y)),
                       std::string(where) + ": vesselness has a NaN pixel");
    }
  }
  VASOSTAT_EXPECTS(std::isfinite(o.um_per_px) && o.um_per_px > 0,
                   std::string(where) + ": um_per_px must be finite and > 0");
  VASOSTAT_EXPECTS(std::isfinite(o.high) && o.high >= 0,
                   std::string(where) + ": high must be finite and >= 0");
  VASOSTAT_EXPECTS(o.low_ratio > 0 && o.low_ratio <= 1,
                   std::string(where) + ": low_ratio must be in (0, 1]");
  VASOSTAT_EXPECTS(std::isfinite(o.min_length_um) && o.min_length_um >= 0,
                   std::string(where) + ": min_length_um must be finite and >= 0");
  VASOSTAT_EXPECTS(std::isfinite(o.max_hole_area_um2) && o.max_hole_area_um2 >= 0,
                   std::string(where) + ": max_hole_area_um2 must be finite and >= 0");
  VASOSTAT_EXPECTS(std::isfinite(o.min_otsu) && o.min_otsu >= 0,
                   std::string(where) + ": min_otsu must be finite and >= 0");
  VASOSTAT_EXPECTS(std::isfinite(o.otsu_power) && o.otsu_power > 0 && o.otsu_power <= 1,
                   std::string(where) + ": otsu_power must be in (0, 1]");

  const std::ptrdiff_t w = vesselness.width, h = vesselness.height;
  segment_mask_info info;
  info.high = o.high > 0 ? o.high
                         : std::max(detail::otsu_threshold(vesselness, o.otsu_power), o.min_otsu);
  info.low = o.method == threshold_method::hysteresis ? o.low_ratio * info.high : info.high;
  const auto hi = static_cast<float>(info.high), lo = static_cast<float>(info.low);
  // 0 background, 1 candidate (>= low), 2 vessel
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      const float v = vesselness(x, y);
      mask(x, y) = info.high <= 0 ? 0 : (v >= hi ? 2 : (v >= lo ? 1 : 0));
    }
  }
  auto& stack = ws.stack;
  stack.clear();
  auto idx = [w](std::ptrdiff_t x, std::ptrdiff_t y) { return static_cast<std::int32_t>(y * w + x); };
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      if (mask(x, y) == 2) {
        stack.push_back(idx(x, y));
      }
    }
  }
  while (!stack.empty()) {
    const std::int32_t p = stack.back();
    stack.pop_back();
    const std::ptrdiff_t px = p % w, py = p / w;
    for (std::ptrdiff_t dy = -1; dy <= 1; ++dy) {
      for (std::ptrdiff_t dx = -1; dx <= 1; ++dx) {
        const std::ptrdiff_t qx = px + dx, qy = py + dy;
        if (qx >= 0 && qx < w && qy >= 0 && qy < h && mask(qx, qy) == 1) {
          mask(qx, qy) = 2;
          stack.push_back(idx(qx, qy));
        }
      }
    }
  }
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      mask(x, y) = mask(x, y) == 2 ? 255 : 0;
    }
  }
  // Holes: 4-connected background components not touching the border, area <= max.
  auto& labels = ws.labels;
  labels.assign(static_cast<std::size_t>(w * h), 0);
  auto& comp = ws.component;
  const double px_area = o.um_per_px * o.um_per_px;
  std::int32_t next = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const std::uint8_t target = pass == 0 ? 0 : 255;
    for (std::ptrdiff_t y0 = 0; y0 < h; ++y0) {
      for (std::ptrdiff_t x0 = 0; x0 < w; ++x0) {
        if (mask(x0, y0) != target || labels[static_cast<std::size_t>(idx(x0, y0))] != 0) {
          continue;
        }
        ++next;
        comp.clear();
        stack.push_back(idx(x0, y0));
        labels[static_cast<std::size_t>(idx(x0, y0))] = next;
        bool border = false;
        std::ptrdiff_t minx = x0, maxx = x0, miny = y0, maxy = y0;
        while (!stack.empty()) {
          const std::int32_t p = stack.back();
          stack.pop_back();
          comp.push_back(p);
          const std::ptrdiff_t px = p % w, py = p / w;
          border |= px == 0 || py == 0 || px == w - 1 || py == h - 1;
          minx = std::min(minx, px);
          maxx = std::max(maxx, px);
          miny = std::min(miny, py);
          maxy = std::max(maxy, py);
          for (std::ptrdiff_t dy = -1; dy <= 1; ++dy) {
            for (std::ptrdiff_t dx = -1; dx <= 1; ++dx) {
              if ((dx == 0 && dy == 0) || (pass == 0 && dx != 0 && dy != 0)) {
                continue;  // background is 4-connected, vessels 8-connected
              }
              const std::ptrdiff_t qx = px + dx, qy = py + dy;
              if (qx < 0 || qx >= w || qy < 0 || qy >= h || mask(qx, qy) != target) {
                continue;
              }
              auto& l = labels[static_cast<std::size_t>(idx(qx, qy))];
              if (l == 0) {
                l = next;
                stack.push_back(idx(qx, qy));
              }
            }
          }
        }
        if (pass == 0) {
          if (!border && static_cast<double>(comp.size()) * px_area <= o.max_hole_area_um2) {
            for (std::int32_t p : comp) {
              mask(p % w, p / w) = 255;
              labels[static_cast<std::size_t>(p)] = -1;  // now vessel, not yet labelled
            }
            ++info.holes_filled;
          }
        } else {
          const double dxl = static_cast<double>(maxx - minx + 1),
                       dyl = static_cast<double>(maxy - miny + 1);
          if (std::hypot(dxl, dyl) * o.um_per_px < o.min_length_um) {
            for (std::int32_t p : comp) {
              mask(p % w, p / w) = 0;
            }
            ++info.removed;
          } else {
            ++info.components;
          }
        }
      }
    }
    if (pass == 0) {
      for (auto& l : labels) {
        l = l == -1 ? 0 : (l > 0 ? -2 : l);  // background labels out of the way for pass 2
      }
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          if (mask(x, y) == 255) {
            labels[static_cast<std::size_t>(idx(x, y))] = 0;
          }
        }
      }
    }
  }
  return info;
}

/// Convenience overload: returns a new mask.
[[nodiscard]] inline image<std::uint8_t> segment_mask(const image_view<const float>& vesselness,
                                                 const segment_mask_options& o = {}) {
  vasostat::detail::check_image_view(vesselness, "vasostat::vessel::segment_mask", "vesselness");
  image<std::uint8_t> mask(vesselness.width, vesselness.height);
  segment_mask_workspace ws;
  (void)segment_mask(vesselness, mask.view(), ws, o);
  return mask;
}

}  // namespace vasostat::inline v0::vessel
