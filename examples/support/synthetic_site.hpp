#pragma once
// A synthetic sublingual site for the examples: gently bowed capillaries crossing the field of
// view, each with a lumen radius and a flow (continuous, sluggish, stop-and-go or stopped).
// It renders (a) the vessel mask a person would trace and (b) an SDF-like clip: dark lumens on a
// bright textured tissue, red cells moving at the rendered speeds, hand-held jitter and sensor
// noise. Everything is known, so the examples can print what vasostat measures beside the truth.

#include <vasostat/core/image.hpp>
#include <vasostat/core/random.hpp>
#include <vasostat/vessel/clip.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace vasostat_examples {

enum class rendered_flow { stopped = 0, stop_and_go = 1, sluggish = 2, continuous = 3 };

struct capillary {
  double x0, y0, x1, y1;  ///< end points, px
  double bow_px;          ///< sideways bow at the middle, px
  double radius_px;       ///< lumen radius
  rendered_flow flow;
  double speed_um_s;      ///< speed while moving
};

struct site {
  std::ptrdiff_t width = 0, height = 0;
  std::vector<capillary> vessels;
};

struct point {
  double x, y;
};

inline point along(const capillary& v, double t) {
  const double dx = v.x1 - v.x0, dy = v.y1 - v.y0;
  const double len = std::hypot(dx, dy);
  const double bow = v.bow_px * std::sin(std::numbers::pi * t);
  return {v.x0 + t * dx - bow * dy / len, v.y0 + t * dy + bow * dx / len};
}

inline double length_px(const capillary& v) {
  double len = 0;
  for (int i = 0; i < 256; ++i) {
    const point a = along(v, i / 256.0), b = along(v, (i + 1) / 256.0);
    len += std::hypot(b.x - a.x, b.y - a.y);
  }
  return len;
}

/// Is the capillary moving at time `t_s`? Stop-and-go vessels move for the first second of
/// every three, so they are stopped in two of every three 1-s windows (consensus class 1).
inline bool moving(const capillary& v, double t_s) {
  switch (v.flow) {
    case rendered_flow::stopped: return false;
    case rendered_flow::stop_and_go: return std::fmod(t_s, 3.0) < 1.0;
    default: return true;
  }
}

/// A capillary bed of `n` vessels, each entering on one edge and leaving on the opposite one
/// (so every vessel is long enough to measure), alternately horizontal and vertical. The flow
/// classes are drawn with probabilities `p_flow` (stopped, stop-and-go, sluggish, continuous).
inline site random_site(std::ptrdiff_t width, std::ptrdiff_t height, int n,
                        const double (&p_flow)[4], vasostat::random_generator& rng) {
  site s{width, height, {}};
  const double w = static_cast<double>(width), h = static_cast<double>(height);
  for (int i = 0; i < n; ++i) {
    capillary c{};
    // from border to border, so the rendered length is the length inside the field of view
    if (i % 2 == 0) {  // left to right
      c = {0, rng.uniform(0.1, 0.9) * h, w - 1, rng.uniform(0.1, 0.9) * h, 0, 0, {}, 0};
    } else {  // top to bottom
      c = {rng.uniform(0.1, 0.9) * w, 0, rng.uniform(0.1, 0.9) * w, h - 1, 0, 0, {}, 0};
    }
    c.bow_px = rng.uniform(-15, 15);
    c.radius_px = rng.uniform(2.0, 3.5);  // 5-8 µm lumens at 1.2 µm/px: capillaries
    const double u = rng.uniform();
    double cumulative = 0;
    int cls = 3;
    for (int k = 0; k < 4; ++k) {
      cumulative += p_flow[k];
      if (u < cumulative) {
        cls = k;
        break;
      }
    }
    c.flow = static_cast<rendered_flow>(cls);
    c.speed_um_s = cls == 2 ? rng.uniform(120, 220) : rng.uniform(450, 900);
    s.vessels.push_back(c);
  }
  return s;
}

/// Sets every pixel within `r` of (cx, cy) to min(pixel, value).
inline void stamp(vasostat::image<std::uint8_t>& img, double cx, double cy, double r, std::uint8_t value) {
  const auto x_lo = static_cast<std::ptrdiff_t>(std::max(0.0, std::floor(cx - r)));
  const auto x_hi = static_cast<std::ptrdiff_t>(std::min(static_cast<double>(img.width() - 1), std::ceil(cx + r)));
  const auto y_lo = static_cast<std::ptrdiff_t>(std::max(0.0, std::floor(cy - r)));
  const auto y_hi = static_cast<std::ptrdiff_t>(std::min(static_cast<double>(img.height() - 1), std::ceil(cy + r)));
  for (std::ptrdiff_t y = y_lo; y <= y_hi; ++y) {
    for (std::ptrdiff_t x = x_lo; x <= x_hi; ++x) {
      const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
      if (dx * dx + dy * dy <= r * r) img(x, y) = std::min(img(x, y), value);
    }
  }
}

/// The vessel mask (1 = lumen) of the site, as a person tracing it would draw it.
inline vasostat::image<std::uint8_t> render_mask(const site& s) {
  vasostat::image<std::uint8_t> lumen(s.width, s.height, 255);
  for (const auto& v : s.vessels) {
    const int steps = static_cast<int>(2 * length_px(v)) + 1;
    for (int i = 0; i <= steps; ++i) {
      const point p = along(v, static_cast<double>(i) / steps);
      stamp(lumen, p.x, p.y, v.radius_px, 0);
    }
  }
  vasostat::image<std::uint8_t> mask(s.width, s.height, 0);
  for (std::ptrdiff_t y = 0; y < s.height; ++y) {
    for (std::ptrdiff_t x = 0; x < s.width; ++x) mask(x, y) = lumen(x, y) == 0 ? 1 : 0;
  }
  return mask;
}

/// Length-weighted truth of the site: total length (px) and the perfused fraction (classes 2-3).
struct site_truth {
  double length_px = 0;
  double perfused_fraction = 0;
};

inline site_truth truth(const site& s) {
  site_truth t;
  double perfused = 0;
  for (const auto& v : s.vessels) {
    const double len = length_px(v);
    t.length_px += len;
    perfused += v.flow >= rendered_flow::sluggish ? len : 0.0;
  }
  t.perfused_fraction = t.length_px > 0 ? perfused / t.length_px : 0.0;
  return t;
}

/// `n_frames` frames of the site: tissue texture (it moves with the jitter, as the mucosa does
/// under a hand-held probe), plasma-filled lumens, red cells (14 per 100 px of vessel) moving at
/// each vessel's speed, whole-pixel jitter of up to ±`jitter_px` and noise of sd ≈ 3 grey levels.
inline std::vector<vasostat::image<std::uint8_t>> render_clip(const site& s, vasostat::vessel::calibration cal,
                                                              int n_frames, int jitter_px,
                                                              vasostat::random_generator& rng) {
  const std::ptrdiff_t pad = jitter_px;
  const std::ptrdiff_t W = s.width + 2 * pad, H = s.height + 2 * pad;
  // The still world (tissue + lumens) once, on a canvas padded by the jitter.
  vasostat::image<std::uint8_t> world(W, H, 0);
  for (std::ptrdiff_t y = 0; y < H; ++y) {
    for (std::ptrdiff_t x = 0; x < W; ++x) {
      const double wx = static_cast<double>(x), wy = static_cast<double>(y);
      const double texture = 12 * std::sin(wx * 0.11) * std::cos(wy * 0.07) + 8 * std::sin((wx + wy) * 0.05);
      world(x, y) = static_cast<std::uint8_t>(std::clamp(195 + texture, 0.0, 255.0));
    }
  }
  std::vector<double> lengths;
  std::vector<std::vector<double>> cells(s.vessels.size());  // positions along t in [0, 1)
  for (std::size_t i = 0; i < s.vessels.size(); ++i) {
    const auto& v = s.vessels[i];
    const double len = length_px(v);
    lengths.push_back(len);
    const int steps = static_cast<int>(2 * len) + 1;
    for (int k = 0; k <= steps; ++k) {
      const point p = along(v, static_cast<double>(k) / steps);
      stamp(world, p.x + static_cast<double>(pad), p.y + static_cast<double>(pad), v.radius_px, 135);
    }
    const int n_cells = std::max(4, static_cast<int>(0.14 * len));
    for (int k = 0; k < n_cells; ++k) cells[i].push_back(rng.uniform());
  }
  // A few noise patterns reused at random offsets: per-pixel draws for every frame would cost
  // more than the analysis itself.
  std::vector<std::int8_t> noise(static_cast<std::size_t>(W * H * 4));
  for (auto& e : noise) e = static_cast<std::int8_t>(std::lround(std::clamp(rng.normal(0, 3), -20.0, 20.0)));
  std::vector<vasostat::image<std::uint8_t>> frames;
  std::vector<double> travelled(s.vessels.size(), 0.0);  // distance moved so far, in t units
  for (int f = 0; f < n_frames; ++f) {
    const auto jx = static_cast<std::ptrdiff_t>(rng.below(static_cast<std::uint64_t>(2 * jitter_px + 1)));
    const auto jy = static_cast<std::ptrdiff_t>(rng.below(static_cast<std::uint64_t>(2 * jitter_px + 1)));
    const auto noise_at = static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(W * H * 3)));
    vasostat::image<std::uint8_t> frame(s.width, s.height);
    for (std::ptrdiff_t y = 0; y < s.height; ++y) {
      const std::uint8_t* src = world.view().row(y + jy) + jx;
      const std::int8_t* n = noise.data() + noise_at + static_cast<std::size_t>(y * s.width);
      std::uint8_t* dst = frame.view().row(y);
      for (std::ptrdiff_t x = 0; x < s.width; ++x) dst[x] = static_cast<std::uint8_t>(std::clamp(src[x] + n[x], 0, 255));
    }
    const double t_s = f / cal.fps;
    for (std::size_t i = 0; i < s.vessels.size(); ++i) {
      const auto& v = s.vessels[i];
      if (f > 0 && moving(v, t_s)) travelled[i] += v.speed_um_s / cal.um_per_px / cal.fps / lengths[i];
      for (double c : cells[i]) {
        const point p = along(v, std::fmod(c + travelled[i], 1.0));
        stamp(frame, p.x + static_cast<double>(pad - jx), p.y + static_cast<double>(pad - jy), v.radius_px * 0.9, 70);
      }
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace vasostat_examples
