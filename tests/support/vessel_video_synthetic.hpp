#pragma once
// Synthetic inputs with known truth for the vessel video tests: anti-aliased bars, a textured
// scene that can be sampled at sub-pixel offsets (jitter), and clips of vessels carrying moving
// red-cell texture at known speeds.

#include <vasostat/core/image.hpp>
#include <vasostat/core/random.hpp>

#include <algorithm>
#include <array>
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

/// Separable Gaussian blur of `img` in place (the optics' point-spread function), σ in px,
/// kernel radius ⌈4σ⌉, borders clamped.
inline void gaussian_blur(vasostat::image<float>& img, double sigma) {
  if (!(sigma > 0)) {
    return;
  }
  const auto r = static_cast<std::ptrdiff_t>(std::ceil(4 * sigma));
  std::vector<double> k(static_cast<std::size_t>(2 * r + 1));
  double sum = 0;
  for (std::ptrdiff_t i = -r; i <= r; ++i) {
    const double x = static_cast<double>(i);
    sum += k[static_cast<std::size_t>(i + r)] = std::exp(-x * x / (2 * sigma * sigma));
  }
  for (auto& v : k) {
    v /= sum;
  }
  const std::ptrdiff_t w = img.width(), h = img.height();
  std::vector<double> line(static_cast<std::size_t>(std::max(w, h)));
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      double a = 0;
      for (std::ptrdiff_t i = -r; i <= r; ++i) {
        a += k[static_cast<std::size_t>(i + r)] * img(std::clamp<std::ptrdiff_t>(x + i, 0, w - 1), y);
      }
      line[static_cast<std::size_t>(x)] = a;
    }
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      img(x, y) = static_cast<float>(line[static_cast<std::size_t>(x)]);
    }
  }
  for (std::ptrdiff_t x = 0; x < w; ++x) {
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      double a = 0;
      for (std::ptrdiff_t i = -r; i <= r; ++i) {
        a += k[static_cast<std::size_t>(i + r)] * img(x, std::clamp<std::ptrdiff_t>(y + i, 0, h - 1));
      }
      line[static_cast<std::size_t>(y)] = a;
    }
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      img(x, y) = static_cast<float>(line[static_cast<std::size_t>(y)]);
    }
  }
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

namespace vasostat_test {

/// A straight vessel carrying a 1-D red-cell texture (dark cells ~7 px long, random plasma
/// gaps) that moves by `velocity_px[t]` px between frame t-1 and t along (x0,y0) -> (x1,y1).
struct rbc_vessel {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double radius_px = 3;
  double contrast = 60;              ///< darkness of a cell-filled lumen
  double plasma = 0.25;              ///< darkness of plasma relative to cells
  std::vector<double> velocity_px = {};  ///< per frame (px / frame); frame 0's entry is ignored
  std::uint64_t seed = 1;
};

struct rbc_clip {
  std::vector<vasostat::image<float>> frames;
  std::vector<double> gain;
};

/// Renders `n` frames of w x h with the vessels, background `bg`, Gaussian noise `noise`,
/// per-frame flicker gain in [1 - flicker, 1 + flicker]. A vessel's lumen is flat across its
/// width 2·radius_px with a 1-px linear edge ramp (half covered at radius_px), so its full width
/// at half depth is 2·radius_px; `psf_sigma` > 0 blurs each frame by a Gaussian point-spread
/// function before the noise is added.
inline rbc_clip render_rbc_clip(std::ptrdiff_t w, std::ptrdiff_t h, int n,
                                const std::vector<rbc_vessel>& vessels, double bg, double noise,
                                double flicker, std::uint64_t seed,
                                const std::vector<std::array<double, 2>>& jitter = {},
                                const blob_scene* tissue = nullptr, double psf_sigma = 0) {
  vasostat::random_generator rng(seed);
  rbc_clip c;
  struct prepared {
    double len, ux, uy;
    std::vector<double> texture;  // at 0.25 px, index 0 <-> u = origin
    double origin;
    std::vector<double> disp;
  };
  std::vector<prepared> prep;
  for (const auto& v : vessels) {
    prepared p;
    p.len = std::hypot(v.x1 - v.x0, v.y1 - v.y0);
    p.ux = (v.x1 - v.x0) / p.len;
    p.uy = (v.y1 - v.y0) / p.len;
    p.disp.assign(static_cast<std::size_t>(n), 0.0);
    double lo = 0, hi = 0;
    for (int t = 1; t < n; ++t) {
      p.disp[static_cast<std::size_t>(t)] = p.disp[static_cast<std::size_t>(t - 1)] +
                                            v.velocity_px[static_cast<std::size_t>(t)];
      lo = std::min(lo, p.disp[static_cast<std::size_t>(t)]);
      hi = std::max(hi, p.disp[static_cast<std::size_t>(t)]);
    }
    // texture coordinate u = s - disp ranges over [-hi - 10, len - lo + 10]
    p.origin = -hi - 20;
    const double end = p.len - lo + 20;
    const auto nt = static_cast<std::size_t>((end - p.origin) * 4) + 2;
    p.texture.assign(nt, 0.0);
    vasostat::random_generator trng(v.seed);
    for (double cpos = p.origin; cpos < end; cpos += 5.0 + trng.uniform(0, 10.0)) {
      const auto k0 = static_cast<std::ptrdiff_t>((cpos - 8 - p.origin) * 4);
      for (std::ptrdiff_t k = std::max<std::ptrdiff_t>(0, k0); k < k0 + 64 && k < static_cast<std::ptrdiff_t>(nt); ++k) {
        const double u = p.origin + static_cast<double>(k) * 0.25 - cpos;
        p.texture[static_cast<std::size_t>(k)] += std::exp(-u * u / (2 * 2.2 * 2.2));
      }
    }
    for (auto& x : p.texture) {
      x = std::min(1.0, x);
    }
    prep.push_back(std::move(p));
  }
  for (int t = 0; t < n; ++t) {
    // the view moved by (jx, jy): frame(x, y) = scene(x + jx, y + jy)
    const double jx = jitter.empty() ? 0.0 : jitter[static_cast<std::size_t>(t)][0];
    const double jy = jitter.empty() ? 0.0 : jitter[static_cast<std::size_t>(t)][1];
    vasostat::image<float> img(w, h, static_cast<float>(bg));
    if (tissue != nullptr) {  // static texture (no noise, no gain here; added below)
      vasostat::random_generator quiet(0);
      const auto t_img = render_blob_scene(*tissue, w, h, jx, jy, 1.0, 0.0, quiet);
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        for (std::ptrdiff_t x = 0; x < w; ++x) {
          img(x, y) = t_img(x, y) - static_cast<float>(tissue->background - bg);
        }
      }
    }
    for (std::size_t i = 0; i < vessels.size(); ++i) {
      const auto& v = vessels[i];
      const auto& p = prep[i];
      const double reach = v.radius_px + 2;
      const auto xa = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(std::min(v.x0, v.x1) - jx - reach));
      const auto xb = std::min<std::ptrdiff_t>(w - 1, static_cast<std::ptrdiff_t>(std::max(v.x0, v.x1) - jx + reach) + 1);
      const auto ya = std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(std::min(v.y0, v.y1) - jy - reach));
      const auto yb = std::min<std::ptrdiff_t>(h - 1, static_cast<std::ptrdiff_t>(std::max(v.y0, v.y1) - jy + reach) + 1);
      for (std::ptrdiff_t y = ya; y <= yb; ++y) {
        for (std::ptrdiff_t x = xa; x <= xb; ++x) {
          const double rx = static_cast<double>(x) + jx - v.x0, ry = static_cast<double>(y) + jy - v.y0;
          const double s = rx * p.ux + ry * p.uy, r = std::abs(-rx * p.uy + ry * p.ux);
          if (s < -1 || s > p.len + 1 || r > v.radius_px + 1) {
            continue;
          }
          const double edge = std::clamp(v.radius_px + 0.5 - r, 0.0, 1.0) *
                              std::clamp(std::min(s + 0.5, p.len + 0.5 - s), 0.0, 1.0);
          const double u = s - p.disp[static_cast<std::size_t>(t)];
          const double fk = (u - p.origin) * 4;
          const auto k = std::clamp<std::ptrdiff_t>(static_cast<std::ptrdiff_t>(fk), 0,
                                                    static_cast<std::ptrdiff_t>(p.texture.size()) - 2);
          const double fr = std::clamp(fk - static_cast<double>(k), 0.0, 1.0);
          const double cell = (1 - fr) * p.texture[static_cast<std::size_t>(k)] +
                              fr * p.texture[static_cast<std::size_t>(k + 1)];
          img(x, y) -= static_cast<float>(edge * v.contrast * (v.plasma + (1 - v.plasma) * cell));
        }
      }
    }
    gaussian_blur(img, psf_sigma);
    const double g = 1 + flicker * (2 * rng.uniform() - 1);
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        img(x, y) = static_cast<float>(g * img(x, y) + noise * rng.normal());
      }
    }
    c.frames.push_back(std::move(img));
    c.gain.push_back(g);
  }
  return c;
}

/// Constant velocity over n frames.
inline std::vector<double> constant_velocity(int n, double v) {
  return std::vector<double>(static_cast<std::size_t>(n), v);
}

}  // namespace vasostat_test
