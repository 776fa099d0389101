#pragma once
// Test helpers for the vessel geometry tests: a renderer of tubes with known centreline length
// and diameter, random masks, brute-force topology counts (8-connected components, 4-connected
// holes), and a Netpbm reader for the optional DRIVE tracings.

#include <vasostat/core/image.hpp>
#include <vasostat/core/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

namespace vessel_test {

using vasostat::image;
using vasostat::image_view;

struct vec2 {
  double x = 0;
  double y = 0;
};

/// A tube: a centreline polyline (dense samples of a smooth curve) and a diameter in px.
struct tube {
  std::vector<vec2> centre;
  double diameter = 3;
  [[nodiscard]] double length() const {
    double l = 0;
    for (std::size_t i = 1; i < centre.size(); ++i) {
      l += std::hypot(centre[i].x - centre[i - 1].x, centre[i].y - centre[i - 1].y);
    }
    return l;
  }
};

inline tube line_tube(vec2 a, vec2 b, double diameter) {
  tube t;
  t.diameter = diameter;
  const double len = std::hypot(b.x - a.x, b.y - a.y);
  const int n = std::max(2, static_cast<int>(std::ceil(len / 0.25)) + 1);
  for (int i = 0; i < n; ++i) {
    const double s = static_cast<double>(i) / (n - 1);
    t.centre.push_back({a.x + s * (b.x - a.x), a.y + s * (b.y - a.y)});
  }
  return t;
}

/// Arc of radius r around c from angle a0 to a1 (radians).
inline tube arc_tube(vec2 c, double r, double a0, double a1, double diameter) {
  tube t;
  t.diameter = diameter;
  const int n = std::max(3, static_cast<int>(std::ceil(std::abs(a1 - a0) * r / 0.1)) + 1);
  for (int i = 0; i < n; ++i) {
    const double a = a0 + (a1 - a0) * i / (n - 1);
    t.centre.push_back({c.x + r * std::cos(a), c.y + r * std::sin(a)});
  }
  return t;
}

/// Cubic Bezier curve.
inline tube bezier_tube(vec2 p0, vec2 p1, vec2 p2, vec2 p3, double diameter) {
  tube t;
  t.diameter = diameter;
  // Samples about every 0.25 px along the curve (the control polygon bounds its length).
  const double polygon = std::hypot(p1.x - p0.x, p1.y - p0.y) + std::hypot(p2.x - p1.x, p2.y - p1.y) +
                         std::hypot(p3.x - p2.x, p3.y - p2.y);
  const int n = std::max(16, static_cast<int>(polygon / 0.25));
  for (int i = 0; i <= n; ++i) {
    const double s = static_cast<double>(i) / n, u = 1 - s;
    t.centre.push_back({u * u * u * p0.x + 3 * u * u * s * p1.x + 3 * u * s * s * p2.x + s * s * s * p3.x,
                        u * u * u * p0.y + 3 * u * u * s * p1.y + 3 * u * s * s * p2.y + s * s * s * p3.y});
  }
  return t;
}

/// Sets every pixel whose centre lies within diameter / 2 of the tube's centreline (round caps);
/// returns the number of pixels that were 0 before.
inline std::ptrdiff_t draw(image<std::uint8_t>& img, const tube& t, std::uint8_t value = 255) {
  const double r = t.diameter / 2;
  std::ptrdiff_t added = 0;
  for (std::size_t i = 0; i + 1 < t.centre.size(); ++i) {
    const vec2 a = t.centre[i], b = t.centre[i + 1];
    const auto x0 = static_cast<std::ptrdiff_t>(std::floor(std::min(a.x, b.x) - r - 1));
    const auto x1 = static_cast<std::ptrdiff_t>(std::ceil(std::max(a.x, b.x) + r + 1));
    const auto y0 = static_cast<std::ptrdiff_t>(std::floor(std::min(a.y, b.y) - r - 1));
    const auto y1 = static_cast<std::ptrdiff_t>(std::ceil(std::max(a.y, b.y) + r + 1));
    const double dx = b.x - a.x, dy = b.y - a.y, dd = dx * dx + dy * dy;
    for (std::ptrdiff_t y = std::max<std::ptrdiff_t>(0, y0); y <= std::min(img.height() - 1, y1); ++y) {
      for (std::ptrdiff_t x = std::max<std::ptrdiff_t>(0, x0); x <= std::min(img.width() - 1, x1); ++x) {
        double s = dd > 0 ? ((x - a.x) * dx + (y - a.y) * dy) / dd : 0;
        s = std::clamp(s, 0.0, 1.0);
        const double ex = x - (a.x + s * dx), ey = y - (a.y + s * dy);
        if (ex * ex + ey * ey <= r * r) {
          added += img(x, y) == 0 ? 1 : 0;
          img(x, y) = value;
        }
      }
    }
  }
  return added;
}

/// A random vessel network as the benchmarks and the issue describe it: curved tubes (cubic
/// Beziers across the frame) with diameters 3–30 px, mostly small, until `fraction` of the
/// pixels are vessel.
inline image<std::uint8_t> render_network(std::ptrdiff_t w, std::ptrdiff_t h, double fraction,
                                          vasostat::random_generator& rng) {
  image<std::uint8_t> m(w, h, 0);
  const auto target = static_cast<std::ptrdiff_t>(fraction * static_cast<double>(w * h));
  std::ptrdiff_t set = 0;
  const double W = static_cast<double>(w), H = static_cast<double>(h);
  while (set < target) {
    const double u = rng.uniform();
    const double d = 3 + 27 * u * u * u;
    const vec2 p0{rng.uniform() * W, rng.uniform() * H};
    const vec2 p3{std::clamp(p0.x + (rng.uniform() - 0.5) * W * 0.5, 0.0, W),
                  std::clamp(p0.y + (rng.uniform() - 0.5) * H * 0.5, 0.0, H)};
    const vec2 p1{p0.x + (rng.uniform() - 0.5) * W * 0.3, p0.y + (rng.uniform() - 0.5) * H * 0.3};
    const vec2 p2{p3.x + (rng.uniform() - 0.5) * W * 0.3, p3.y + (rng.uniform() - 0.5) * H * 0.3};
    set += draw(m, bezier_tube(p0, p1, p2, p3, d), 1);
  }
  return m;
}

/// Random salt-and-pepper mask with the given fill probability.
inline image<std::uint8_t> random_mask(std::ptrdiff_t w, std::ptrdiff_t h, double p,
                                       vasostat::random_generator& rng) {
  image<std::uint8_t> m(w, h, 0);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      m(x, y) = rng.uniform() < p ? static_cast<std::uint8_t>(1 + rng.below(255)) : 0;
    }
  }
  return m;
}

/// Random blobs: union of random discs and thick random segments (smoother shapes with holes).
inline image<std::uint8_t> random_blobs(std::ptrdiff_t w, std::ptrdiff_t h, int count,
                                        double max_diameter, vasostat::random_generator& rng) {
  image<std::uint8_t> m(w, h, 0);
  for (int i = 0; i < count; ++i) {
    const vec2 a{rng.uniform() * static_cast<double>(w), rng.uniform() * static_cast<double>(h)};
    const vec2 b{a.x + (rng.uniform() - 0.5) * static_cast<double>(w) * 0.6,
                 a.y + (rng.uniform() - 0.5) * static_cast<double>(h) * 0.6};
    draw(m, line_tube(a, b, 1 + rng.uniform() * (max_diameter - 1)), 1);
  }
  return m;
}

/// Number of 8-connected components of non-zero pixels.
inline int count_components8(image_view<const std::uint8_t> m) {
  const std::ptrdiff_t w = m.width, h = m.height;
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(w * h), 0);
  std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> stack;
  int n = 0;
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      if (m(x, y) == 0 || seen[static_cast<std::size_t>(y * w + x)] != 0) {
        continue;
      }
      ++n;
      stack.assign(1, {x, y});
      seen[static_cast<std::size_t>(y * w + x)] = 1;
      while (!stack.empty()) {
        auto [cx, cy] = stack.back();
        stack.pop_back();
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const std::ptrdiff_t nx = cx + dx, ny = cy + dy;
            if (nx < 0 || ny < 0 || nx >= w || ny >= h || m(nx, ny) == 0 ||
                seen[static_cast<std::size_t>(ny * w + nx)] != 0) {
              continue;
            }
            seen[static_cast<std::size_t>(ny * w + nx)] = 1;
            stack.push_back({nx, ny});
          }
        }
      }
    }
  }
  return n;
}

/// Number of holes: 4-connected components of zero pixels that do not touch the image border
/// (the outside of the image counts as background).
inline int count_holes4(image_view<const std::uint8_t> m) {
  const std::ptrdiff_t w = m.width + 2, h = m.height + 2;
  image<std::uint8_t> inv(w, h, 0);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      const bool inside = x > 0 && y > 0 && x < w - 1 && y < h - 1;
      inv(x, y) = (!inside || m(x - 1, y - 1) == 0) ? 1 : 0;
    }
  }
  // Count 4-components of inv minus the one containing the frame.
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(w * h), 0);
  std::vector<std::pair<std::ptrdiff_t, std::ptrdiff_t>> stack;
  int n = 0;
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      if (inv(x, y) == 0 || seen[static_cast<std::size_t>(y * w + x)] != 0) {
        continue;
      }
      ++n;
      stack.assign(1, {x, y});
      seen[static_cast<std::size_t>(y * w + x)] = 1;
      while (!stack.empty()) {
        auto [cx, cy] = stack.back();
        stack.pop_back();
        const int d[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (const auto& dd : d) {
          const std::ptrdiff_t nx = cx + dd[0], ny = cy + dd[1];
          if (nx < 0 || ny < 0 || nx >= w || ny >= h || inv(nx, ny) == 0 ||
              seen[static_cast<std::size_t>(ny * w + nx)] != 0) {
            continue;
          }
          seen[static_cast<std::size_t>(ny * w + nx)] = 1;
          stack.push_back({nx, ny});
        }
      }
    }
  }
  return n - 1;
}

/// Reads a binary Netpbm image (P4 or P1; 1 = set) or a P5 grey image (non-zero = set) into a
/// 0/1 mask; returns an empty image if the file is missing or malformed.
inline image<std::uint8_t> read_pbm(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return {};
  }
  std::string magic;
  f >> magic;
  auto next_int = [&]() {
    int v = 0;
    while (f >> std::ws && f.peek() == '#') {
      std::string line;
      std::getline(f, line);
    }
    f >> v;
    return v;
  };
  const int w = next_int(), h = next_int();
  if (w <= 0 || h <= 0) {
    return {};
  }
  image<std::uint8_t> m(w, h, 0);
  if (magic == "P4") {
    f.get();
    const int bytes_per_row = (w + 7) / 8;
    std::vector<unsigned char> row(static_cast<std::size_t>(bytes_per_row));
    for (int y = 0; y < h; ++y) {
      f.read(reinterpret_cast<char*>(row.data()), bytes_per_row);
      for (int x = 0; x < w; ++x) {
        m(x, y) = (row[static_cast<std::size_t>(x / 8)] >> (7 - x % 8)) & 1U;
      }
    }
  } else if (magic == "P5") {
    next_int();
    f.get();
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        m(x, y) = f.get() != 0 ? 1 : 0;
      }
    }
  } else {
    return {};
  }
  return f ? m : image<std::uint8_t>{};
}

}  // namespace vessel_test
