#pragma once
// vessel::lumen_diameter: a segment's lumen diameter from the grey-level profiles across its
// centreline (on the stabilised, flicker-normalised mean image), not from the vessel mask: at
// evenly spaced centreline pixels away from the ends, the image is sampled along the local
// normal (bilinear, 1/4-px steps); the width is the full width at half depth (FWHD) — the two
// crossings, interpolated linearly between samples, of the level halfway between the profile's
// bottom and the local background on each side (measured 2.5–5.5 px beyond the edge, stopping
// where a neighbouring structure starts). The segment's diameter is the median over the
// accepted profiles. O(profiles × profile length) per segment.
//
// Why: a Frangi + Otsu mask is wider than a thin lumen (its scales smear the edges), so the
// mask-based diameter (segment::diameter_px) reads a 6-px lumen as 12–19 px. The FWHD of a
// flat-bottomed lumen blurred by a symmetric point-spread function equals the lumen width as
// long as the two edges do not overlap; with a Gaussian PSF of σ = 1 px (and the pixels' own
// box) 4-px lumens read ≤ 4.25 px, narrower ones increasingly high (the blurred bottom no
// longer reaches full depth). A lumen whose darkness follows the chord through a cylinder (Beer–Lambert, no saturation) would read
// ≈ 0.87 × D; red-cell-filled capillaries are close to flat.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/graph.hpp>
#include <vasostat/vessel/stabilize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct lumen_options {
  bool dark_vessels = true;       ///< dark lumen on a bright background (false: bright lumen)
  int max_profiles = 32;          ///< profiles per segment, evenly spaced (median taken)
  double step_px = 0.25;          ///< sample spacing along a profile
  double max_half_length_px = 80; ///< longest reach of a profile from the centreline
  double min_relative_depth = 0.4; ///< profiles shallower than this × the median depth are dropped
};

/// The lumen measurement of one segment.
struct lumen_measurement {
  double diameter_px = std::numeric_limits<double>::quiet_NaN();  ///< median FWHD
  double spread_px = std::numeric_limits<double>::quiet_NaN();    ///< (q75 − q25) of the FWHDs
  double depth = std::numeric_limits<double>::quiet_NaN();        ///< median background − bottom
  int profiles = 0;        ///< profiles accepted (taken into the median)
  bool measured = false;   ///< false: no usable profile (diameter NaN)
};

namespace detail {

/// FWHD of one profile v[0..n) (dark lumen = low values) sampled at t_j = (j − c)·step, the
/// centreline at j = c. Returns false when no lumen is found. `search` is how far (samples)
/// from c the bottom is looked for.
inline bool fwhd_profile(const std::vector<float>& v, std::ptrdiff_t c, std::ptrdiff_t search,
                         double step, std::vector<double>& d, double& width, double& depth) {
  const auto n = static_cast<std::ptrdiff_t>(v.size());
  // bottom: minimum of the [1 2 1]/4-smoothed profile near the centreline
  std::ptrdiff_t jmin = -1;
  double vmin = std::numeric_limits<double>::infinity();
  for (std::ptrdiff_t j = std::max<std::ptrdiff_t>(1, c - search);
       j <= std::min(n - 2, c + search); ++j) {
    const double s = 0.25 * (static_cast<double>(v[static_cast<std::size_t>(j - 1)]) +
                             2 * static_cast<double>(v[static_cast<std::size_t>(j)]) +
                             static_cast<double>(v[static_cast<std::size_t>(j + 1)]));
    if (s < vmin) {
      vmin = s;
      jmin = j;
    }
  }
  if (jmin < 0) {
    return false;
  }
  const auto at = [&](std::ptrdiff_t j) { return static_cast<double>(v[static_cast<std::size_t>(j)]); };
  double edge[2] = {0, 0}, bg[2] = {0, 0};
  // first crossing of `level` walking from the bottom in direction dir (sub-sample position)
  const auto crossing = [&](int dir, double level, double& pos) {
    for (std::ptrdiff_t j = jmin + dir; j >= 0 && j < n; j += dir) {
      if (at(j) >= level) {
        const double a = at(j - dir), b = at(j);
        const double f = b > a ? std::clamp((level - a) / (b - a), 0.0, 1.0) : 1.0;
        pos = static_cast<double>(j - dir) + f * dir;
        return true;
      }
    }
    return false;
  };
  // noise of the profile: robust sd of the second difference at 1-px spacing
  const auto px = std::max<std::ptrdiff_t>(1, static_cast<std::ptrdiff_t>(std::lround(1.0 / step)));
  double noise = 0;
  if (n > 2 * px) {
    d.clear();  // one per px of the profile
    for (std::ptrdiff_t j = px; j + px < n; j += px) {
      d.push_back(std::abs(at(j) - 0.5 * (at(j - px) + at(j + px))));
    }
    std::nth_element(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(d.size() / 2), d.end());
    noise = 1.4826 * d[d.size() / 2] / std::sqrt(1.5);
  }
  for (int side = 0; side < 2; ++side) {
    const int dir = side == 0 ? -1 : 1;
    // provisional background: the highest value reached climbing out of the lumen before the
    // profile falls again by a quarter of the relief (a neighbouring vessel) and by more than
    // the noise
    double top = vmin;  // the side's whole relief
    for (std::ptrdiff_t j = jmin; j >= 0 && j < n; j += dir) {
      top = std::max(top, at(j));
    }
    double rm = vmin;
    for (std::ptrdiff_t j = jmin; j >= 0 && j < n; j += dir) {
      const double x = at(j);
      if (x > rm) {
        rm = x;
      } else if (rm - vmin > 0.5 * (top - vmin) &&
                 x < rm - std::max(0.25 * (top - vmin), 4 * noise)) {
        break;
      }
    }
    if (!(rm > vmin)) {
      return false;
    }
    double e0 = 0;
    if (!crossing(dir, 0.5 * (vmin + rm), e0)) {
      return false;
    }
    // background: mean of the samples 2.5–5.5 px beyond the provisional edge, stopping where
    // the profile falls by a quarter of the relief below its running maximum
    const auto off = static_cast<std::ptrdiff_t>(std::lround(2.5 / step));
    const auto len = static_cast<std::ptrdiff_t>(std::lround(3.0 / step));
    const auto j0 = static_cast<std::ptrdiff_t>(std::lround(e0)) + dir * off;
    double sum = 0, run = -std::numeric_limits<double>::infinity();
    int cnt = 0;
    for (std::ptrdiff_t k = 0; k <= len; ++k) {
      const std::ptrdiff_t j = j0 + dir * k;
      if (j < 0 || j >= n) {
        break;
      }
      const double x = at(j);
      run = std::max(run, x);
      if (x < run - 0.25 * (run - vmin)) {
        break;
      }
      sum += x;
      ++cnt;
    }
    bg[side] = cnt > 0 ? sum / cnt : rm;
    if (!(bg[side] > vmin)) {
      return false;
    }
    if (!crossing(dir, 0.5 * (vmin + bg[side]), edge[side])) {
      return false;
    }
  }
  width = (edge[1] - edge[0]) * step;
  depth = std::min(bg[0], bg[1]) - vmin;
  return width > 0 && depth > 0;
}

inline double quantile_sorted(const std::vector<double>& s, double p) noexcept {
  const double h = p * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(h);
  const std::size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (h - static_cast<double>(lo)) * (s[hi] - s[lo]);
}

}  // namespace detail

namespace detail {

inline void check_lumen_options(const lumen_options& o, const char* where) {
  VASOSTAT_EXPECTS(o.max_profiles >= 1, std::string(where) + ": max_profiles must be >= 1");
  VASOSTAT_EXPECTS(std::isfinite(o.step_px) && o.step_px >= 0.01 && o.step_px <= 1,
                   std::string(where) + ": step_px must be in [0.01, 1]");
  VASOSTAT_EXPECTS(std::isfinite(o.max_half_length_px) && o.max_half_length_px >= 4,
                   std::string(where) + ": max_half_length_px must be finite and >= 4");
  VASOSTAT_EXPECTS(std::isfinite(o.min_relative_depth) && o.min_relative_depth >= 0 &&
                       o.min_relative_depth < 1,
                   std::string(where) + ": min_relative_depth must be in [0, 1)");
}

template <class T>
void check_lumen_image(const image_view<const T>& image, const char* where) {
  vasostat::detail::check_image_view(image, where, "image");
  VASOSTAT_EXPECTS(!image.empty(), std::string(where) + ": image is empty");
  check_finite_pixels(image, where, "image");
}

template <class T>
void check_lumen_segment(const image_view<const T>& image, const segment& s, const char* where) {
  for (const auto& p : s.centreline) {
    VASOSTAT_EXPECTS(p.x >= 0 && p.y >= 0 && p.x < image.width && p.y < image.height,
                     std::string(where) + ": segment point (" + std::to_string(p.x) + ", " +
                         std::to_string(p.y) + ") is outside the image");
  }
}

/// Scratch memory of the profile measurements (reused across segments).
struct lumen_scratch {
  std::vector<float> profile;
  std::vector<double> widths, depths, sorted, noise;
};

/// lumen_diameter without the checks (valid image, segment inside it, valid options).
template <class T>
lumen_measurement lumen_kernel(const image_view<const T>& image, const segment& s,
                               const lumen_options& o, lumen_scratch& ws) {
  lumen_measurement r;
  const auto n = static_cast<std::ptrdiff_t>(s.centreline.size());
  if (n == 0) {
    return r;
  }
  const double dm = std::isfinite(s.diameter_px) && s.diameter_px > 0 ? s.diameter_px : 10.0;
  const double reach = std::clamp(1.5 * dm + 6, 10.0, o.max_half_length_px);
  const auto half = static_cast<std::ptrdiff_t>(std::ceil(reach / o.step_px));
  const auto search = static_cast<std::ptrdiff_t>(std::ceil((0.5 * dm + 1.5) / o.step_px));
  // chain pixels used: away from the ends (junction crossings, end caps), evenly spaced
  std::ptrdiff_t margin = s.is_loop ? 0 : static_cast<std::ptrdiff_t>(std::ceil(dm)) + 2;
  margin = std::min(margin, (n - 1) / 3);
  const std::ptrdiff_t lo = margin, hi = n - 1 - margin;
  const std::ptrdiff_t count = std::min<std::ptrdiff_t>(o.max_profiles, hi - lo + 1);
  // tangent over a chord of ±k pixels: long enough that the staircase of a digital line tilts
  // the normal by < atan(1/(2k)), short enough for curved capillaries
  const auto k = std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(std::lround(0.5 * dm)) + 2,
                                            3, 12);
  const auto at = [&](std::ptrdiff_t j) {
    j = s.is_loop ? ((j % n) + n) % n : std::clamp<std::ptrdiff_t>(j, 0, n - 1);
    return s.centreline[static_cast<std::size_t>(j)];
  };
  ws.profile.resize(static_cast<std::size_t>(2 * half + 1));
  ws.widths.clear();
  ws.depths.clear();
  const float sign = o.dark_vessels ? 1.0f : -1.0f;
  for (std::ptrdiff_t q = 0; q < count; ++q) {
    // evenly spaced, centred in [lo, hi]
    const std::ptrdiff_t i =
        lo + static_cast<std::ptrdiff_t>((static_cast<double>(q) + 0.5) *
                                         static_cast<double>(hi - lo + 1) / static_cast<double>(count));
    const point p = at(i), a = at(i - k), b = at(i + k);
    double tx = b.x - a.x, ty = b.y - a.y;
    const double tl = std::hypot(tx, ty);
    if (!(tl > 0)) {
      continue;
    }
    tx /= tl;
    ty /= tl;
    const double nx = -ty, ny = tx;
    for (std::ptrdiff_t j = -half; j <= half; ++j) {
      const double t = static_cast<double>(j) * o.step_px;
      ws.profile[static_cast<std::size_t>(j + half)] =
          sign * bilinear(image, p.x + t * nx, p.y + t * ny);
    }
    double w = 0, d = 0;
    if (fwhd_profile(ws.profile, half, search, o.step_px, ws.noise, w, d)) {
      ws.widths.push_back(w);
      ws.depths.push_back(d);
    }
  }
  if (ws.widths.empty()) {
    return r;
  }
  // drop shallow profiles (plasma gaps, crossings, a profile that missed the lumen)
  ws.sorted = ws.depths;
  std::sort(ws.sorted.begin(), ws.sorted.end());
  const double med_depth = quantile_sorted(ws.sorted, 0.5);
  ws.sorted.clear();
  for (std::size_t q = 0; q < ws.widths.size(); ++q) {
    if (ws.depths[q] >= o.min_relative_depth * med_depth) {
      ws.sorted.push_back(ws.widths[q]);
    }
  }
  std::sort(ws.sorted.begin(), ws.sorted.end());
  r.diameter_px = quantile_sorted(ws.sorted, 0.5);
  r.spread_px = quantile_sorted(ws.sorted, 0.75) - quantile_sorted(ws.sorted, 0.25);
  r.depth = med_depth;
  r.profiles = static_cast<int>(ws.sorted.size());
  r.measured = true;
  return r;
}

}  // namespace detail

/// The lumen diameter of segment `s` (pixel centreline of a graph traced from a mask of the
/// same size as `image`, e.g. analyze_clip's mean image) from the intensity profiles across it.
/// s.diameter_px (the mask-based diameter, if > 0) only sets how far the profiles reach
/// (1.5 × it + 6 px, at least 10 px), how far from the centreline pixel the bottom is looked
/// for (half of it + 1.5 px) and how many centreline pixels are skipped at each end (it + 2,
/// at most a third of the chain). Throws vasostat::invalid_argument for a bad image (empty,
/// stride < width, NaN in a float image), a centreline point outside the image, or bad options.
template <grey_pixel T>
[[nodiscard]] lumen_measurement lumen_diameter(const image_view<const T>& image, const segment& s,
                                               const lumen_options& o = {}) {
  const char* where = "vasostat::vessel::lumen_diameter";
  detail::check_lumen_image(image, where);
  detail::check_lumen_options(o, where);
  detail::check_lumen_segment(image, s, where);
  detail::lumen_scratch ws;
  return detail::lumen_kernel(image, s, o, ws);
}

/// lumen_diameter of every segment of `g` (one entry per g.segments[i]); the image is checked
/// once. Example:
/// ```
/// auto a = vessel::analyze_clip(clip);   // a.segments[i].diameter_um already holds these
/// auto lumens = vessel::lumen_diameters(image_view<const float>(a.mean.mean.view()), a.vessels);
/// ```
template <grey_pixel T>
[[nodiscard]] std::vector<lumen_measurement> lumen_diameters(const image_view<const T>& image,
                                                             const graph& g,
                                                             const lumen_options& o = {}) {
  const char* where = "vasostat::vessel::lumen_diameters";
  detail::check_lumen_image(image, where);
  detail::check_lumen_options(o, where);
  for (const auto& s : g.segments) {
    detail::check_lumen_segment(image, s, where);
  }
  std::vector<lumen_measurement> out;
  out.reserve(g.segments.size());
  detail::lumen_scratch ws;
  for (const auto& s : g.segments) {
    out.push_back(detail::lumen_kernel(image, s, o, ws));
  }
  return out;
}

namespace detail {

/// analyze_clip's step: measures every segment of `g` on `image` and replaces each measured
/// segment's diameter_px by its lumen diameter; the mask-based values go to mask_diameter_px.
template <class T>
void use_lumen_diameters(const image_view<const T>& image, const lumen_options& o, graph& g,
                         std::vector<double>& mask_diameter_px,
                         std::vector<lumen_measurement>& lumens) {
  mask_diameter_px.resize(g.segments.size());
  lumens.assign(g.segments.size(), {});
  check_lumen_options(o, "vasostat::vessel::analyze_clip");
  lumen_scratch ws;
  for (std::size_t i = 0; i < g.segments.size(); ++i) {
    auto& s = g.segments[i];
    mask_diameter_px[i] = s.diameter_px;
    lumens[i] = lumen_kernel(image, s, o, ws);
    if (lumens[i].measured) {
      s.diameter_px = lumens[i].diameter_px;
    }
  }
}

}  // namespace detail

}  // namespace vasostat::inline v0::vessel
