#pragma once
// vessel::space_time_diagram: intensities sampled along a vessel centreline at 1-px arc-length
// steps (bilinear, optionally averaged across a ribbon along the local normal), one row per
// frame; flicker removed by the per-frame brightness gain and the static background by
// subtracting each position's temporal mean (Ellis et al., Microvasc Res 1992; MicroTools).
// Red cells moving at v appear as streaks of slope v (px/frame). O(frames * length * ribbon).

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/graph.hpp>
#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/stabilize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

/// A sub-pixel centreline position (column x, row y) in the reference frame's coordinates.
struct centreline_point {
  float x = 0;
  float y = 0;
};

struct space_time_options {
  double ribbon_half_width_px = 1.0;      ///< average samples at -h..h px along the normal
  bool remove_background = true;          ///< subtract each position's temporal mean
  bool normalize_brightness = true;       ///< undo per-frame flicker (frame mean gain)
  std::span<const translation> offsets = {};  ///< per-frame stabilisation offsets (or empty)
  std::span<const double> frame_gain = {};    ///< precomputed flicker gains (or empty: computed)
};

/// Rows are frames, columns positions along the centreline (column 0 = its first point).
struct space_time_diagram {
  image<float> values;
  double length_px = 0;                  ///< arc length of the centreline
  std::vector<centreline_point> samples; ///< the sampled positions (one per column)
  vessel::calibration calibration;       ///< of the clip it came from
};

namespace detail {

/// Points at 1-px arc-length steps along a polyline, and the unit normal at each.
inline void resample_polyline(std::span<const centreline_point> line,
                              std::vector<centreline_point>& pts,
                              std::vector<centreline_point>& normals, double& length) {
  std::vector<double> cum(line.size(), 0.0);
  for (std::size_t i = 1; i < line.size(); ++i) {
    cum[i] = cum[i - 1] + std::hypot(static_cast<double>(line[i].x - line[i - 1].x),
                                     static_cast<double>(line[i].y - line[i - 1].y));
  }
  length = cum.back();
  const auto n = static_cast<std::size_t>(std::floor(length)) + 1;
  pts.resize(n);
  std::size_t seg = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double s = static_cast<double>(k);
    while (seg + 2 < line.size() && cum[seg + 1] < s) {
      ++seg;
    }
    const double len = cum[seg + 1] - cum[seg];
    const double f = len > 0 ? std::clamp((s - cum[seg]) / len, 0.0, 1.0) : 0.0;
    pts[k] = {static_cast<float>(line[seg].x + f * (line[seg + 1].x - line[seg].x)),
              static_cast<float>(line[seg].y + f * (line[seg + 1].y - line[seg].y))};
  }
  normals.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t a = k >= 3 ? k - 3 : 0, b = std::min(n - 1, k + 3);  // tangent over ±3 px
    double tx = pts[b].x - pts[a].x, ty = pts[b].y - pts[a].y;
    const double tl = std::hypot(tx, ty);
    if (tl > 0) {
      tx /= tl;
      ty /= tl;
    } else {
      tx = 1;
      ty = 0;
    }
    normals[k] = {static_cast<float>(-ty), static_cast<float>(tx)};
  }
}

}  // namespace detail

/// The space-time diagram of one centreline (>= 2 points, inside the frame) over the clip.
/// Throws vasostat::invalid_argument for a bad clip, a centreline with fewer than 2 points or a
/// point outside the frame or not finite, a negative ribbon width, or offsets/frame_gain whose
/// size is neither 0 nor the number of frames.
template <grey_pixel T>
[[nodiscard]] space_time_diagram space_time(const clip<T>& c,
                                            std::span<const centreline_point> centreline,
                                            const space_time_options& o = {}) {
  const char* where = "vasostat::vessel::space_time";
  detail::check_clip(c, where);
  const std::ptrdiff_t w = c.frames[0].width, h = c.frames[0].height;
  VASOSTAT_EXPECTS(centreline.size() >= 2,
                   std::string(where) + ": centreline has fewer than 2 points");
  for (const auto& p : centreline) {
    VASOSTAT_EXPECTS(std::isfinite(p.x) && std::isfinite(p.y) && p.x >= 0 && p.y >= 0 &&
                         p.x <= static_cast<float>(w - 1) && p.y <= static_cast<float>(h - 1),
                     std::string(where) + ": centreline point (" + std::to_string(p.x) + ", " +
                         std::to_string(p.y) + ") is outside the frame");
  }
  VASOSTAT_EXPECTS(std::isfinite(o.ribbon_half_width_px) && o.ribbon_half_width_px >= 0,
                   std::string(where) + ": ribbon_half_width_px must be finite and >= 0");
  VASOSTAT_EXPECTS(o.offsets.empty() || o.offsets.size() == c.frames.size(),
                   std::string(where) + ": offsets size differs from the number of frames");
  VASOSTAT_EXPECTS(o.frame_gain.empty() || o.frame_gain.size() == c.frames.size(),
                   std::string(where) + ": frame_gain size differs from the number of frames");
  space_time_diagram d;
  d.calibration = c.calibration;
  std::vector<centreline_point> normals;
  detail::resample_polyline(centreline, d.samples, normals, d.length_px);
  const auto n = static_cast<std::ptrdiff_t>(d.samples.size());
  const auto nf = static_cast<std::ptrdiff_t>(c.frames.size());
  std::vector<double> gain;
  if (!o.frame_gain.empty()) {
    gain.assign(o.frame_gain.begin(), o.frame_gain.end());
  } else if (o.normalize_brightness) {
    gain = detail::flicker_gains(frame_brightness(c));
  } else {
    gain.assign(static_cast<std::size_t>(nf), 1.0);
  }
  const auto hw = static_cast<std::ptrdiff_t>(std::floor(o.ribbon_half_width_px));
  d.values.resize(n, nf);
  for (std::ptrdiff_t t = 0; t < nf; ++t) {
    const auto& f = c.frames[static_cast<std::size_t>(t)];
    const double ox = o.offsets.empty() ? 0.0 : o.offsets[static_cast<std::size_t>(t)].dx;
    const double oy = o.offsets.empty() ? 0.0 : o.offsets[static_cast<std::size_t>(t)].dy;
    float* row = d.values.row(t);
    for (std::ptrdiff_t k = 0; k < n; ++k) {
      const auto& p = d.samples[static_cast<std::size_t>(k)];
      const auto& nv = normals[static_cast<std::size_t>(k)];
      double s = 0;
      for (std::ptrdiff_t j = -hw; j <= hw; ++j) {
        s += detail::bilinear(f, p.x + static_cast<double>(j) * nv.x - ox,
                              p.y + static_cast<double>(j) * nv.y - oy);
      }
      row[k] = static_cast<float>(gain[static_cast<std::size_t>(t)] * s /
                                  static_cast<double>(2 * hw + 1));
    }
  }
  if (o.remove_background) {
    for (std::ptrdiff_t k = 0; k < n; ++k) {
      double m = 0;
      for (std::ptrdiff_t t = 0; t < nf; ++t) {
        m += d.values(k, t);
      }
      m /= static_cast<double>(nf);
      for (std::ptrdiff_t t = 0; t < nf; ++t) {
        d.values(k, t) = static_cast<float>(d.values(k, t) - m);
      }
    }
  }
  return d;
}

/// Overload for a traced segment of vessel::graph (pixel centreline).
template <grey_pixel T>
[[nodiscard]] space_time_diagram space_time(const clip<T>& c, const segment& s,
                                            const space_time_options& o = {}) {
  std::vector<centreline_point> line;
  line.reserve(s.centreline.size());
  for (const auto& p : s.centreline) {
    line.push_back({static_cast<float>(p.x), static_cast<float>(p.y)});
  }
  return space_time(c, std::span<const centreline_point>(line), o);
}

}  // namespace vasostat::inline v0::vessel
