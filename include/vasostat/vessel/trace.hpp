#pragma once
// vessel::trace: skeleton + distance map -> vessel::graph. Junction pixels (>= 3 skeleton
// neighbours) are merged into one node per 8-connected cluster, free ends become end nodes, and
// segments are the ordered pixel chains between them (closed loops on their own). Spurs (an end
// node joined to a junction) shorter than max(min_spur_length_px, spur_radius_factor × the
// junction's radius) are removed one at a time, shortest first, and the two branches left at a
// junction of degree 2 are merged into one segment (research §3.6; FilFinder's one-pass bug).
//
// Length (segment::length_px): Σ |q_{i+1} − q_i| over the centreline after a centred moving
// average of ±smoothing_half_window pixels (the window shrinks at the chain's ends, which stay
// fixed); a chain that ends at a junction is extended to the junction cluster's centroid. On
// digital straight lines at 0–45° this overestimates by < 0.4 % (Freeman's n_e + √2 n_o: up to
// +8.2 %); on an arc of radius R it shrinks by ≈ k(k+1)/(6R²) (0.5 % at R = 20, k = 3). Free
// ends: a vessel cut by the frame is extended to the image edge; a vessel ending inside the
// image ends one radius before the mask's boundary straight ahead (see end_extension).
// O(skeleton pixels).
//
// Diameter (segment::diameter_px): the distance map is a tent across a vessel, so with the
// unit normal n from the smoothed tangent, the local width is w = D(p + n) + D(p − n) + 1 (D
// bilinearly interpolated; exact for axis-aligned tubes of any integer width, whatever side of
// the true centre the skeleton pixel lies on). diameter_px = median of w over the chain pixels
// farther than the end's radius from either end (all pixels if none are; long chains are sampled
// at ≤ 48 evenly spaced pixels).

#include <vasostat/core/error.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/vessel/graph.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace vasostat::inline v0::vessel {

struct trace_options {
  double min_spur_length_px = 5;   ///< spurs shorter than this are removed
  double spur_radius_factor = 1.5; ///< ... and spurs shorter than this × the junction's radius
  bool prune_spurs = true;
  int smoothing_half_window = 3;   ///< k of the length estimator's moving average (0 = none)
};

namespace detail {

struct trace_node {
  std::size_t begin = 0, end = 0;  ///< the cluster's pixels: trace_workspace::node_pixels[begin, end)
  double cx = 0, cy = 0;
  point rep;
  bool junction = false;
  bool alive = true;
};

struct trace_segment {
  std::size_t begin = 0, end = 0;  ///< the chain: trace_workspace::chain[begin, end)
  std::int32_t a = -1, b = -1;
  bool loop = false;
  bool alive = true;
  double length = 0;
  mutable double diameter = -1;  ///< cached segment_diameter (-1: not computed)
};

}  // namespace detail

/// Reusable memory of trace: per-pixel state (2 + 4 bytes per pixel, kept zero between calls,
/// so a video loop neither clears nor faults in fresh pages for every frame), flat pixel
/// stores for clusters and chains, the pruning scratch, and spare centreline buffers recycled
/// from the previous output graph. With it, trace(..., ws, out) allocates nothing once the
/// buffers have grown to a frame's needs (e.g. from the second time the same frame is traced).
struct trace_workspace {
  std::vector<std::uint16_t> state;    ///< bits 0-7: skeleton neighbours, 8: on, 9: visited
  std::vector<std::int32_t> node_id;   ///< node index + 1 at node pixels, else 0
  std::vector<std::ptrdiff_t> pixels;  ///< skeleton pixels (padded indices), raster order
  std::vector<point> node_pixels;
  std::vector<point> chain;
  std::vector<detail::trace_node> nodes;
  std::vector<detail::trace_segment> segments;
  std::vector<std::vector<std::int32_t>> incident;  ///< alive segments at each node
  std::vector<std::ptrdiff_t> stack, from;
  std::vector<std::size_t> queue, order;
  std::vector<point> path;
  std::vector<double> widths, all;
  std::vector<std::pair<double, std::int32_t>> heap;
  std::vector<std::int32_t> remap, merge;
  std::vector<std::vector<point>> spare;  ///< centreline buffers recycled from `out`
};

namespace detail {

/// Smoothed-polyline length of the n points get(0..n-1) (open chain or closed loop).
template <class Get>
inline double smoothed_length_of(std::ptrdiff_t n, const Get& get, bool closed, int k,
                                 double sx = 1.0, double sy = 1.0) {
  if (n < 2) {
    return 0.0;
  }
  auto smoothed = [&](std::ptrdiff_t i) {
    std::ptrdiff_t m = k;
    if (!closed) {
      m = std::min<std::ptrdiff_t>({m, i, n - 1 - i});
    } else {
      m = std::min<std::ptrdiff_t>(m, (n - 1) / 2);
    }
    double x = 0, y = 0;
    for (std::ptrdiff_t j = i - m; j <= i + m; ++j) {
      const std::ptrdiff_t jj = closed ? ((j % n) + n) % n : j;
      const std::array<double, 2> q = get(jj);
      x += q[0];
      y += q[1];
    }
    const double c = static_cast<double>(2 * m + 1);
    return std::array<double, 2>{x / c * sx, y / c * sy};
  };
  double len = 0;
  std::array<double, 2> prev = smoothed(0);
  const std::ptrdiff_t last = closed ? n : n - 1;
  for (std::ptrdiff_t i = 1; i <= last; ++i) {
    const std::array<double, 2> cur = smoothed(i % n);
    len += std::sqrt((cur[0] - prev[0]) * (cur[0] - prev[0]) + (cur[1] - prev[1]) * (cur[1] - prev[1]));
    prev = cur;
  }
  return len;
}

/// Smoothed-polyline length of `pts` (open chain or closed loop).
inline double smoothed_length(const std::vector<std::array<double, 2>>& pts, bool closed, int k,
                              double sx = 1.0, double sy = 1.0) {
  return smoothed_length_of(
      static_cast<std::ptrdiff_t>(pts.size()),
      [&](std::ptrdiff_t i) { return pts[static_cast<std::size_t>(i)]; }, closed, k, sx, sy);
}

inline float sample_bilinear(image_view<const float> d, double x, double y) {
  if (x < 0 || y < 0 || x > static_cast<double>(d.width - 1) ||
      y > static_cast<double>(d.height - 1)) {
    return 0.0f;
  }
  const auto x0 = static_cast<std::ptrdiff_t>(x), y0 = static_cast<std::ptrdiff_t>(y);
  const std::ptrdiff_t x1 = std::min(x0 + 1, d.width - 1), y1 = std::min(y0 + 1, d.height - 1);
  const double fx = x - static_cast<double>(x0), fy = y - static_cast<double>(y0);
  const double top = d(x0, y0) * (1 - fx) + d(x1, y0) * fx;
  const double bottom = d(x0, y1) * (1 - fx) + d(x1, y1) * fx;
  return static_cast<float>(top * (1 - fy) + bottom * fy);
}

/// The graph builder; see trace() for the contract.
class tracer {
  static constexpr std::uint16_t on_bit = 0x100;
  static constexpr std::uint16_t visited_bit = 0x200;

 public:
  tracer(image_view<const std::uint8_t> skel, image_view<const float> dist,
         const trace_options& opt, trace_workspace& ws)
      : skel_(skel), dist_(dist), opt_(opt), w_(skel.width), h_(skel.height), s_(skel.width + 2), ws_(ws) {
    ws_.node_pixels.clear();
    ws_.chain.clear();
    ws_.nodes.clear();
    ws_.segments.clear();
  }

  tracer(const tracer&) = delete;
  tracer& operator=(const tracer&) = delete;

  ~tracer() {  // leave the workspace's per-pixel buffers all zero for the next call
    for (std::ptrdiff_t i : ws_.pixels) {
      ws_.state[static_cast<std::size_t>(i)] = 0;
      ws_.node_id[static_cast<std::size_t>(i)] = 0;
    }
    ws_.pixels.clear();
  }

  void run(graph& g) {
    g.width = w_;
    g.height = h_;
    if (w_ <= 0 || h_ <= 0) {
      recycle(g);
      return;
    }
    build_pixels();
    build_nodes();
    build_segments();
    if (ws_.incident.size() < ws_.nodes.size()) {
      ws_.incident.resize(ws_.nodes.size());
    }
    for (std::size_t n = 0; n < ws_.nodes.size(); ++n) {
      ws_.incident[n].clear();
    }
    for (std::size_t i = 0; i < ws_.segments.size(); ++i) {
      ws_.segments[i].length = chain_length(ws_.segments[i], 1.0, 1.0);
      attach(static_cast<std::int32_t>(i));
    }
    if (opt_.prune_spurs) {
      prune();
    }
    merge_degree_two();
    emit(g);
  }

 private:
  [[nodiscard]] std::ptrdiff_t idx(std::ptrdiff_t x, std::ptrdiff_t y) const {
    return (y + 1) * s_ + (x + 1);
  }
  [[nodiscard]] point pt(std::ptrdiff_t i) const {
    return point{static_cast<std::int32_t>(i % s_ - 1), static_cast<std::int32_t>(i / s_ - 1)};
  }
  [[nodiscard]] std::array<std::ptrdiff_t, 8> offsets() const {
    return {-s_ - 1, -s_, -s_ + 1, -1, 1, s_ - 1, s_, s_ + 1};
  }
  [[nodiscard]] std::uint16_t st(std::ptrdiff_t i) const { return ws_.state[static_cast<std::size_t>(i)]; }
  [[nodiscard]] bool on(std::ptrdiff_t i) const { return (st(i) & on_bit) != 0; }
  [[nodiscard]] bool visited(std::ptrdiff_t i) const { return (st(i) & visited_bit) != 0; }
  void set_visited(std::ptrdiff_t i) { ws_.state[static_cast<std::size_t>(i)] |= visited_bit; }
  [[nodiscard]] int degree(std::ptrdiff_t i) const { return std::popcount(static_cast<unsigned>(st(i) & 0xFFU)); }

  [[nodiscard]] trace_node& node(std::int32_t n) { return ws_.nodes[static_cast<std::size_t>(n)]; }
  [[nodiscard]] const trace_node& node(std::int32_t n) const { return ws_.nodes[static_cast<std::size_t>(n)]; }
  [[nodiscard]] trace_segment& seg(std::int32_t i) { return ws_.segments[static_cast<std::size_t>(i)]; }
  [[nodiscard]] const trace_segment& seg(std::int32_t i) const { return ws_.segments[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::vector<std::int32_t>& inc(std::int32_t n) { return ws_.incident[static_cast<std::size_t>(n)]; }
  [[nodiscard]] const std::vector<std::int32_t>& inc(std::int32_t n) const {
    return ws_.incident[static_cast<std::size_t>(n)];
  }
  [[nodiscard]] std::size_t size(const trace_segment& s) const { return s.end - s.begin; }
  [[nodiscard]] const point& px(const trace_segment& s, std::size_t i) const { return ws_.chain[s.begin + i]; }
  [[nodiscard]] const point& front(const trace_segment& s) const { return ws_.chain[s.begin]; }
  [[nodiscard]] const point& back(const trace_segment& s) const { return ws_.chain[s.end - 1]; }

  /// Node id of pixel i (junction-cluster or end pixel), -1 for path pixels (degree 2, never a
  /// node: their node-id entries are not even read).
  [[nodiscard]] std::int32_t node_at(std::ptrdiff_t i) const {
    if ((st(i) & 0xFFU) != 0 && degree(i) == 2) {
      return -1;
    }
    return ws_.node_id[static_cast<std::size_t>(i)] - 1;
  }

  void set_node(std::ptrdiff_t i, std::int32_t id) { ws_.node_id[static_cast<std::size_t>(i)] = id + 1; }

  /// One raster scan: the skeleton pixels and their 8-neighbour masks (read from the skeleton
  /// rows, which are in cache).
  void build_pixels() {
    const auto total = static_cast<std::size_t>(s_ * (h_ + 2));
    ws_.pixels.clear();
    if (ws_.state.size() != total) {
      ws_.state.assign(total, 0);
      ws_.node_id.assign(total, 0);
    }
    for (std::ptrdiff_t y = 0; y < h_; ++y) {
      const std::uint8_t* r = skel_.row(y);
      const std::uint8_t* up = y > 0 ? skel_.row(y - 1) : nullptr;
      const std::uint8_t* dn = y + 1 < h_ ? skel_.row(y + 1) : nullptr;
      std::ptrdiff_t x = 0;
      while (x < w_) {
        if (x + 8 <= w_) {  // skip 8 background pixels at once
          std::uint64_t v;
          std::memcpy(&v, r + x, 8);
          if (v == 0) {
            x += 8;
            continue;
          }
        }
        if (r[x] != 0) {
          // Neighbour k in the order of offsets(): NW, N, NE, W, E, SW, S, SE.
          auto at = [&](const std::uint8_t* row, std::ptrdiff_t xx) -> unsigned {
            return row != nullptr && xx >= 0 && xx < w_ && row[xx] != 0 ? 1U : 0U;
          };
          const unsigned mask = at(up, x - 1) | at(up, x) << 1 | at(up, x + 1) << 2 | at(r, x - 1) << 3 |
                                at(r, x + 1) << 4 | at(dn, x - 1) << 5 | at(dn, x) << 6 | at(dn, x + 1) << 7;
          ws_.state[static_cast<std::size_t>(idx(x, y))] = static_cast<std::uint16_t>(on_bit | mask);
          ws_.pixels.push_back(idx(x, y));
        }
        ++x;
      }
    }
  }

  void build_nodes() {
    const auto off = offsets();
    std::vector<std::ptrdiff_t>& stack = ws_.stack;
    for (std::ptrdiff_t i : ws_.pixels) {
      const int d = degree(i);
      if (d == 2 || node_at(i) >= 0) {
        continue;
      }
      if (d == 1) {
        trace_node n;
        n.begin = ws_.node_pixels.size();
        ws_.node_pixels.push_back(pt(i));
        n.end = ws_.node_pixels.size();
        n.rep = pt(i);
        n.cx = n.rep.x;
        n.cy = n.rep.y;
        set_node(i, static_cast<std::int32_t>(ws_.nodes.size()));
        ws_.nodes.push_back(n);
      } else if (d >= 3) {
        trace_node n;
        n.junction = true;
        n.begin = ws_.node_pixels.size();
        const auto id = static_cast<std::int32_t>(ws_.nodes.size());
        stack.assign(1, i);
        set_node(i, id);
        while (!stack.empty()) {
          const std::ptrdiff_t c = stack.back();
          stack.pop_back();
          ws_.node_pixels.push_back(pt(c));
          for (std::ptrdiff_t o : off) {
            const std::ptrdiff_t j = c + o;
            if (on(j) && degree(j) >= 3 && node_at(j) < 0) {
              set_node(j, id);
              stack.push_back(j);
            }
          }
        }
        n.end = ws_.node_pixels.size();
        double sx = 0, sy = 0;
        for (std::size_t k = n.begin; k < n.end; ++k) {
          sx += ws_.node_pixels[k].x;
          sy += ws_.node_pixels[k].y;
        }
        n.cx = sx / static_cast<double>(n.end - n.begin);
        n.cy = sy / static_cast<double>(n.end - n.begin);
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t k = n.begin; k < n.end; ++k) {
          const point& p = ws_.node_pixels[k];
          const double e = std::hypot(p.x - n.cx, p.y - n.cy);
          if (e < best) {
            best = e;
            n.rep = p;
          }
        }
        ws_.nodes.push_back(n);
      }
    }
  }

  /// Walks from node pixel `start` into neighbour `first` until another node pixel.
  void walk(std::ptrdiff_t start, std::ptrdiff_t first) {
    const auto off = offsets();
    trace_segment sg;
    sg.a = node_at(start);
    sg.begin = ws_.chain.size();
    ws_.chain.push_back(pt(start));
    if (degree(start) == 1) {
      set_visited(start);  // an end: its one segment starts here
    }
    std::ptrdiff_t prev = start, cur = first;
    for (;;) {
      ws_.chain.push_back(pt(cur));
      const std::int32_t nd = node_at(cur);
      if (nd >= 0) {
        sg.b = nd;
        if (degree(cur) == 1) {
          set_visited(cur);
        }
        break;
      }
      set_visited(cur);
      std::ptrdiff_t next = -1;
      for (unsigned m = st(cur) & 0xFFU; m != 0; m &= m - 1) {
        const std::ptrdiff_t j = cur + off[static_cast<std::size_t>(std::countr_zero(m))];
        if (j == prev) {
          continue;
        }
        if (node_at(j) >= 0 || !visited(j)) {
          next = j;
          break;
        }
      }
      if (next < 0) {  // cannot happen on an irreducible skeleton; close defensively
        sg.b = -1;
        break;
      }
      prev = cur;
      cur = next;
    }
    sg.end = ws_.chain.size();
    ws_.segments.push_back(sg);
  }

  void build_segments() {
    const auto off = offsets();
    // From every junction-cluster pixel and every end pixel into unvisited path pixels.
    for (std::size_t n = 0; n < ws_.nodes.size(); ++n) {
      const std::size_t pb = ws_.nodes[n].begin, pe = ws_.nodes[n].end;
      for (std::size_t k = pb; k < pe; ++k) {
        const point p = ws_.node_pixels[k];
        const std::ptrdiff_t i = idx(p.x, p.y);
        if (visited(i)) {
          continue;  // an end pixel reached from the other side
        }
        for (std::ptrdiff_t o : off) {
          const std::ptrdiff_t j = i + o;
          if (!on(j)) {
            continue;
          }
          const std::int32_t nj = node_at(j);
          if (nj == static_cast<std::int32_t>(n)) {
            continue;  // inside the same cluster
          }
          if (nj >= 0) {
            // Two nodes touching directly (an end next to a junction, two ends): one segment.
            if (degree(j) == 1 && visited(j)) {
              continue;
            }
            if (node(nj).junction && ws_.nodes[n].junction) {
              continue;  // never: adjacent junction pixels share a cluster
            }
            if (node(nj).junction) {
              continue;  // traced from the junction side
            }
            walk(i, j);
            continue;
          }
          if (visited(j)) {
            continue;
          }
          walk(i, j);
        }
      }
    }
    // What is left are closed loops of path pixels.
    for (std::ptrdiff_t i : ws_.pixels) {
      if (visited(i) || node_at(i) >= 0 || degree(i) != 2) {
        continue;
      }
      trace_segment sg;
      sg.loop = true;
      sg.begin = ws_.chain.size();
      std::ptrdiff_t prev = -1, cur = i;
      while (cur >= 0 && !visited(cur)) {
        set_visited(cur);
        ws_.chain.push_back(pt(cur));
        std::ptrdiff_t next = -1;
        for (std::ptrdiff_t o : off) {
          const std::ptrdiff_t j = cur + o;
          if (j != prev && on(j) && !visited(j)) {
            next = j;
            break;
          }
        }
        prev = cur;
        cur = next;
      }
      sg.end = ws_.chain.size();
      ws_.segments.push_back(sg);
    }
  }

  [[nodiscard]] double chain_length(const trace_segment& sg, double sx, double sy) const {
    const bool ja = sg.a >= 0 && node(sg.a).junction;
    const bool jb = sg.b >= 0 && node(sg.b).junction;
    const auto m = static_cast<std::ptrdiff_t>(size(sg));
    const std::ptrdiff_t first = ja ? 1 : 0;
    const std::ptrdiff_t n = m + first + (jb ? 1 : 0);
    auto get = [&](std::ptrdiff_t i) {
      if (i < first) {
        return std::array<double, 2>{node(sg.a).cx, node(sg.a).cy};
      }
      if (i - first >= m) {
        return std::array<double, 2>{node(sg.b).cx, node(sg.b).cy};
      }
      const point& p = ws_.chain[sg.begin + static_cast<std::size_t>(i - first)];
      return std::array<double, 2>{static_cast<double>(p.x), static_cast<double>(p.y)};
    };
    double len = smoothed_length_of(n, get, sg.loop, opt_.smoothing_half_window, sx, sy);
    if (!sg.loop) {
      double diameter = -1;
      for (int end = 0; end < 2; ++end) {
        const std::int32_t nd = end == 0 ? sg.a : sg.b;
        if (nd < 0 || node(nd).junction) {
          continue;
        }
        if (diameter < 0) {
          diameter = segment_diameter(sg);
        }
        len += end_extension(sg, end == 0, diameter).first * std::sqrt(sx * sy);
      }
    }
    return len;
  }

  /// Where a free end's centreline really ends, as a signed length to add, and whether the
  /// image border holds the end. A ray from the end pixel along the end's direction is followed
  /// through the vessel: if it leaves the image first, or the end pixel is within its
  /// distance-map value + 1 of the border, the vessel was cut by the frame and the centreline
  /// is extended to the image edge; otherwise the end is a cap and the centreline is taken to end
  /// one radius (diameter / 2) before the mask's boundary ahead (the medial axis of a round cap;
  /// thinning stops short of it or runs past it by up to a radius).
  [[nodiscard]] std::pair<double, bool> end_extension(const trace_segment& sg, bool at_front,
                                                      double diameter) const {
    const point e = at_front ? front(sg) : back(sg);
    const double db = static_cast<double>(std::min<std::ptrdiff_t>({e.x, e.y, w_ - 1 - e.x, h_ - 1 - e.y}) + 1);
    if (db <= static_cast<double>(dist_(e.x, e.y)) + 1.0) {
      return {db - 0.5, true};
    }
    const auto n = static_cast<std::ptrdiff_t>(size(sg));
    if (n < 2) {
      return {0.0, false};
    }
    const std::ptrdiff_t m = std::min<std::ptrdiff_t>(n - 1, 2 * std::max(1, opt_.smoothing_half_window));
    // Direction: from the centroid of the m pixels behind the end towards the end pixel.
    double bx = 0, by = 0;
    for (std::ptrdiff_t i = 1; i <= m; ++i) {
      const point q = px(sg, static_cast<std::size_t>(at_front ? i : n - 1 - i));
      bx += q.x;
      by += q.y;
    }
    bx /= static_cast<double>(m);
    by /= static_cast<double>(m);
    double ux = e.x - bx, uy = e.y - by;
    const double ul = std::sqrt(ux * ux + uy * uy);
    if (ul == 0) {
      return {0.0, false};
    }
    ux /= ul;
    uy /= ul;
    const double limit = 2.0 * diameter + 4.0;
    for (double t = 0.25; t <= limit; t += 0.25) {
      const auto x = static_cast<std::ptrdiff_t>(std::lround(e.x + t * ux));
      const auto y = static_cast<std::ptrdiff_t>(std::lround(e.y + t * uy));
      if (x < 0 || y < 0 || x >= w_ || y >= h_) {
        return {t - 0.125, true};
      }
      if (dist_(x, y) <= 0.0f) {
        return {std::max(t - 0.125 - 0.5 * diameter, -0.5 * static_cast<double>(n - 1)), false};
      }
    }
    return {0.0, false};
  }

  /// Segment ends at node n among alive segments (a loop through n counts twice).
  [[nodiscard]] int node_degree(std::int32_t n) const {
    int d = 0;
    for (std::int32_t i : inc(n)) {
      const auto& s = seg(i);
      if (s.alive && !s.loop) {
        d += (s.a == n ? 1 : 0) + (s.b == n ? 1 : 0);
      }
    }
    return d;
  }

  void attach(std::int32_t i) {
    const auto& s = seg(i);
    for (std::int32_t n : {s.a, s.b}) {
      if (n >= 0) {
        auto& list = inc(n);
        if (std::find(list.begin(), list.end(), i) == list.end()) {
          list.push_back(i);
        }
      }
    }
  }

  void detach(std::int32_t i, std::int32_t n) {
    if (n >= 0) {
      auto& list = inc(n);
      list.erase(std::remove(list.begin(), list.end(), i), list.end());
    }
  }

  /// The pruning limit of segment i if it is a prunable spur or short redundant cycle side now
  /// (one end a free end and the other a junction of degree >= 3; or a self-loop / one of two
  /// parallel segments between two junctions of degree >= 3, the shorter one), else -1.
  [[nodiscard]] double prune_limit(std::int32_t i) const {
    const auto& s = seg(i);
    if (!s.alive || s.loop || s.a < 0 || s.b < 0) {
      return -1;
    }
    const auto& na = node(s.a);
    const auto& nb = node(s.b);
    double radius = -1;
    if (na.junction && nb.junction) {
      bool redundant = s.a == s.b;
      for (std::int32_t j : inc(s.a)) {
        const auto& o = seg(j);
        redundant = redundant ||
                    (j != i && o.alive && !o.loop &&
                     ((o.a == s.a && o.b == s.b) || (o.a == s.b && o.b == s.a)) &&
                     (o.length > s.length || (o.length == s.length && j < i)));
      }
      if (redundant && node_degree(s.a) >= 3 && node_degree(s.b) >= 3) {
        radius = std::max(dist_(na.rep.x, na.rep.y), dist_(nb.rep.x, nb.rep.y));
      }
    } else if (na.junction != nb.junction) {
      const std::int32_t jid = na.junction ? s.a : s.b;
      const auto& j = node(jid);
      if (node_degree(jid) >= 3) {
        radius = dist_(j.rep.x, j.rep.y);
      }
    }
    if (radius < 0) {
      return -1;
    }
    return std::max(opt_.min_spur_length_px, opt_.spur_radius_factor * radius);
  }

  /// Iterative pruning, shortest candidate first (a lazy min-heap re-validated on pop); after
  /// each removal a junction left with two segment ends merges them into one segment.
  void prune() {
    auto& heap = ws_.heap;
    heap.clear();
    auto push_if_candidate = [&](std::int32_t i) {
      const double limit = prune_limit(i);
      const double len = seg(i).length;
      if (limit >= 0 && len < limit) {
        heap.emplace_back(len, i);
        std::push_heap(heap.begin(), heap.end(), std::greater<>());
      }
    };
    auto push_around = [&](std::int32_t n) {
      if (n < 0) {
        return;
      }
      for (std::int32_t j : inc(n)) {  // push_if_candidate leaves the list alone
        push_if_candidate(j);
      }
    };
    for (std::size_t i = 0; i < ws_.segments.size(); ++i) {
      push_if_candidate(static_cast<std::int32_t>(i));
    }
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>());
      const auto [len, id] = heap.back();
      heap.pop_back();
      auto& s = seg(id);
      const double limit = prune_limit(id);
      if (!s.alive || s.length != len || limit < 0 || s.length >= limit) {
        continue;  // stale entry
      }
      s.alive = false;
      const std::int32_t a = s.a, b = s.b;
      detach(id, a);
      detach(id, b);
      const bool both = node(a).junction && node(b).junction;
      std::array<std::int32_t, 2> junctions{-1, -1};
      if (both) {
        junctions = {a, b};
      } else {
        const std::int32_t jid = node(a).junction ? a : b;
        node(jid == a ? b : a).alive = false;
        junctions[0] = jid;
      }
      for (std::int32_t jid : junctions) {
        if (jid < 0) {
          continue;
        }
        if (node(jid).alive && node_degree(jid) == 2) {
          const std::int32_t merged = merge_at(jid);
          if (merged >= 0) {
            const std::int32_t ma = seg(merged).a, mb = seg(merged).b;
            push_around(ma);
            push_around(mb);
          }
        } else {
          push_around(jid);
        }
      }
    }
  }

  /// Shortest 8-connected path inside node `n`'s cluster from pixel a to pixel b (both
  /// included), into ws_.path.
  const std::vector<point>& cluster_path(const trace_node& n, point a, point b) {
    const std::size_t m = n.end - n.begin;
    const point* pix = ws_.node_pixels.data() + n.begin;
    auto find = [&](point p) {
      for (std::size_t i = 0; i < m; ++i) {
        if (pix[i] == p) return static_cast<std::ptrdiff_t>(i);
      }
      return std::ptrdiff_t{-1};
    };
    const std::ptrdiff_t ia = find(a), ib = find(b);
    std::vector<std::ptrdiff_t>& from = ws_.from;
    std::vector<std::size_t>& queue = ws_.queue;
    std::vector<point>& path = ws_.path;
    from.assign(m, -2);
    queue.clear();
    path.clear();
    if (ia < 0 || ib < 0) {
      return path;
    }
    from[static_cast<std::size_t>(ia)] = -1;
    queue.push_back(static_cast<std::size_t>(ia));
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const point p = pix[queue[q]];
      for (std::size_t i = 0; i < m; ++i) {
        if (from[i] == -2 && std::abs(pix[i].x - p.x) <= 1 && std::abs(pix[i].y - p.y) <= 1) {
          from[i] = static_cast<std::ptrdiff_t>(queue[q]);
          queue.push_back(i);
        }
      }
    }
    for (std::ptrdiff_t i = ib; i >= 0; i = from[static_cast<std::size_t>(i)]) {
      path.push_back(pix[static_cast<std::size_t>(i)]);
      if (from[static_cast<std::size_t>(i)] == -2) break;
    }
    std::reverse(path.begin(), path.end());
    return path;
  }

  /// Appends chain[b, e) to the chain store (safe while the store grows: copies by index).
  void append_chain(std::size_t b, std::size_t e) {
    for (std::size_t k = b; k < e; ++k) {
      ws_.chain.push_back(ws_.chain[k]);
    }
  }

  /// Junction `n` has two segment ends left: joins them through the cluster into one segment;
  /// returns the surviving segment's index (-1 if nothing was merged).
  std::int32_t merge_at(std::int32_t n) {
    std::vector<std::int32_t>& list = ws_.merge;
    list.clear();
    for (std::int32_t i : inc(n)) {
      const auto& s = seg(i);
      if (s.alive && !s.loop && (s.a == n || s.b == n)) {
        list.push_back(i);
      }
    }
    if (list.size() == 1) {
      auto& s = seg(list[0]);
      if (s.a == n && s.b == n) {  // a loop through this node only
        const std::vector<point>& path = cluster_path(node(n), back(s), front(s));
        if (path.size() > 2) {
          const std::size_t start = ws_.chain.size();
          ws_.chain.reserve(start + size(s) + path.size() - 2);
          append_chain(s.begin, s.end);
          ws_.chain.insert(ws_.chain.end(), path.begin() + 1, path.end() - 1);
          s.begin = start;
          s.end = ws_.chain.size();
        }
        s.loop = true;
        s.a = s.b = -1;
        node(n).alive = false;
        inc(n).clear();
        s.diameter = -1;
        s.length = chain_length(s, 1.0, 1.0);
        return list[0];
      }
      return -1;
    }
    if (list.size() != 2) {
      return -1;
    }
    const std::int32_t i1 = list[0], i2 = list[1];
    trace_segment& s1 = seg(i1);
    trace_segment& s2 = seg(i2);
    // Orient s1 to end at n and s2 to start at n.
    if (s1.a == n) {
      std::reverse(ws_.chain.begin() + static_cast<std::ptrdiff_t>(s1.begin),
                   ws_.chain.begin() + static_cast<std::ptrdiff_t>(s1.end));
      std::swap(s1.a, s1.b);
    }
    if (s2.b == n) {
      std::reverse(ws_.chain.begin() + static_cast<std::ptrdiff_t>(s2.begin),
                   ws_.chain.begin() + static_cast<std::ptrdiff_t>(s2.end));
      std::swap(s2.a, s2.b);
    }
    const std::vector<point>& path = cluster_path(node(n), back(s1), front(s2));
    const std::size_t start = ws_.chain.size();
    ws_.chain.reserve(start + size(s1) + path.size() + size(s2));
    append_chain(s1.begin, s1.end);
    if (path.size() > 2) {
      ws_.chain.insert(ws_.chain.end(), path.begin() + 1, path.end() - 1);
    }
    append_chain(front(s2) == ws_.chain.back() ? s2.begin + 1 : s2.begin, s2.end);
    s1.begin = start;
    s1.end = ws_.chain.size();
    detach(i2, s2.a);
    detach(i2, s2.b);
    detach(i1, n);
    s1.b = s2.b;
    s2.alive = false;
    node(n).alive = false;
    inc(n).clear();
    attach(i1);
    s1.diameter = -1;
    s1.length = chain_length(s1, 1.0, 1.0);
    return i1;
  }

  void merge_degree_two() {
    for (std::size_t n = 0; n < ws_.nodes.size(); ++n) {
      if (ws_.nodes[n].alive && ws_.nodes[n].junction && node_degree(static_cast<std::int32_t>(n)) == 2) {
        merge_at(static_cast<std::int32_t>(n));
      }
    }
  }

  [[nodiscard]] double segment_diameter(const trace_segment& sg) const {
    if (sg.diameter < 0) {
      sg.diameter = compute_diameter(sg);
    }
    return sg.diameter;
  }

  [[nodiscard]] double compute_diameter(const trace_segment& sg) const {
    const point* pts = ws_.chain.data() + sg.begin;
    const auto n = static_cast<std::ptrdiff_t>(size(sg));
    if (n == 0) {
      return 0.0;
    }
    auto end_radius = [&](std::int32_t nd, point p) {
      if (nd >= 0) {
        const point r = node(nd).rep;
        return static_cast<double>(dist_(r.x, r.y));
      }
      return static_cast<double>(dist_(p.x, p.y));
    };
    const double ra = sg.loop ? 0.0 : end_radius(sg.a, pts[0]);
    const double rb = sg.loop ? 0.0 : end_radius(sg.b, pts[n - 1]);
    const int k = std::max(1, opt_.smoothing_half_window);
    std::vector<double>& widths = ws_.widths;
    std::vector<double>& all = ws_.all;
    widths.clear();
    all.clear();
    // The median needs no more than ~48 samples: long chains are sampled evenly.
    const std::ptrdiff_t step = std::max<std::ptrdiff_t>(1, n / 48);
    for (std::ptrdiff_t i = (n - 1) % step / 2; i < n; i += step) {
      auto at = [&](std::ptrdiff_t j) {
        if (sg.loop) {
          j = ((j % n) + n) % n;
        } else {
          j = std::clamp<std::ptrdiff_t>(j, 0, n - 1);
        }
        return pts[j];
      };
      const point p0 = at(i - k), p1 = at(i + k);
      double tx = p1.x - p0.x, ty = p1.y - p0.y;
      const double tl = std::sqrt(tx * tx + ty * ty);
      if (tl == 0) {
        tx = 1;
        ty = 0;
      } else {
        tx /= tl;
        ty /= tl;
      }
      const double nx = -ty, ny = tx;
      const point p = pts[i];
      const double wv = static_cast<double>(sample_bilinear(dist_, p.x + nx, p.y + ny)) +
                        static_cast<double>(sample_bilinear(dist_, p.x - nx, p.y - ny)) + 1.0;
      all.push_back(wv);
      const auto fi = static_cast<double>(i), fb = static_cast<double>(n - 1 - i);
      if (sg.loop || (fi > ra && fb > rb)) {
        widths.push_back(wv);
      }
    }
    std::vector<double>& use = widths.empty() ? all : widths;
    const std::size_t mid = use.size() / 2;
    std::nth_element(use.begin(), use.begin() + static_cast<std::ptrdiff_t>(mid), use.end());
    double med = use[mid];
    if (use.size() % 2 == 0) {
      const double lower = *std::max_element(use.begin(), use.begin() + static_cast<std::ptrdiff_t>(mid));
      med = 0.5 * (med + lower);
    }
    return med;
  }

  [[nodiscard]] bool on_border(point p) const {
    return p.x == 0 || p.y == 0 || p.x == w_ - 1 || p.y == h_ - 1;
  }

  /// Moves the centreline buffers of `g`'s segments to the spare pool and empties `g`.
  void recycle(graph& g) {
    for (segment& s : g.segments) {
      if (s.centreline.capacity() > 0) {
        s.centreline.clear();
        ws_.spare.push_back(std::move(s.centreline));
      }
    }
    g.segments.clear();
    g.nodes.clear();
  }

  void emit(graph& g) {
    recycle(g);
    std::vector<std::int32_t>& remap = ws_.remap;
    remap.assign(ws_.nodes.size(), -1);
    for (std::size_t i = 0; i < ws_.nodes.size(); ++i) {
      const auto& n = ws_.nodes[i];
      if (!n.alive) {
        continue;
      }
      vessel::node out;
      out.position = n.rep;
      out.x = n.cx;
      out.y = n.cy;
      out.kind = n.junction ? node_kind::junction : node_kind::end;
      for (std::size_t k = n.begin; k < n.end; ++k) {
        out.touches_border = out.touches_border || on_border(ws_.node_pixels[k]);
      }
      remap[i] = static_cast<std::int32_t>(g.nodes.size());
      g.nodes.push_back(out);
    }
    // Output segments in index order; the largest spare buffers go to the longest chains.
    std::vector<std::size_t>& order = ws_.order;
    order.clear();
    for (std::size_t i = 0; i < ws_.segments.size(); ++i) {
      if (ws_.segments[i].alive) {
        order.push_back(i);
      }
    }
    g.segments.resize(order.size());
    {
      // order[k] -> output slot k; rank slots by chain size (largest first) to hand out buffers.
      std::vector<std::size_t>& slots = ws_.queue;
      slots.resize(order.size());
      for (std::size_t k = 0; k < order.size(); ++k) {
        slots[k] = k;
      }
      std::sort(slots.begin(), slots.end(), [&](std::size_t x, std::size_t y) {
        const std::size_t sx = size(ws_.segments[order[x]]), sy = size(ws_.segments[order[y]]);
        return sx != sy ? sx > sy : x < y;
      });
      std::sort(ws_.spare.begin(), ws_.spare.end(),
                [](const std::vector<point>& x, const std::vector<point>& y) { return x.capacity() < y.capacity(); });
      for (std::size_t k : slots) {
        if (ws_.spare.empty()) {
          break;
        }
        g.segments[k].centreline = std::move(ws_.spare.back());
        ws_.spare.pop_back();
      }
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
      const trace_segment& s = ws_.segments[order[k]];
      segment& out = g.segments[k];
      out.first_node = s.a >= 0 ? remap[static_cast<std::size_t>(s.a)] : -1;
      out.last_node = s.b >= 0 ? remap[static_cast<std::size_t>(s.b)] : -1;
      out.is_loop = s.loop || (s.a == s.b && s.a >= 0);
      out.length_px = s.length;
      out.diameter_px = segment_diameter(s);
      out.touches_border = false;
      if (!s.loop) {
        for (int end = 0; end < 2; ++end) {
          const std::int32_t nd = end == 0 ? out.first_node : out.last_node;
          const std::int32_t raw = end == 0 ? s.a : s.b;
          if (nd >= 0 && !node(raw).junction && end_extension(s, end == 0, out.diameter_px).second) {
            g.nodes[static_cast<std::size_t>(nd)].touches_border = true;
          }
        }
      }
      for (std::size_t i = s.begin; i < s.end; ++i) {
        out.touches_border = out.touches_border || on_border(ws_.chain[i]);
      }
      for (std::int32_t nd : {out.first_node, out.last_node}) {
        if (nd >= 0) {
          auto& gn = g.nodes[static_cast<std::size_t>(nd)];
          gn.degree += 1;
          out.touches_border = out.touches_border || gn.touches_border;
        }
      }
      out.centreline.assign(ws_.chain.begin() + static_cast<std::ptrdiff_t>(s.begin),
                            ws_.chain.begin() + static_cast<std::ptrdiff_t>(s.end));
    }
  }

  image_view<const std::uint8_t> skel_;
  image_view<const float> dist_;
  trace_options opt_;
  std::ptrdiff_t w_, h_, s_;
  trace_workspace& ws_;
};

}  // namespace detail

/// Traces a skeleton (non-zero = skeleton pixel; vessel::skeletonize's output) into `out`;
/// `distance` is vessel::distance_transform of the mask the skeleton came from. `ws` keeps the
/// per-pixel scratch between frames and `out`'s previous centreline buffers are reused, so a
/// video loop allocates nothing once the buffers have grown to the frames' needs.
/// @throws vasostat::invalid_argument naming `skeleton`, `distance` or `options`.
inline void trace(image_view<const std::uint8_t> skeleton, image_view<const float> distance,
                  const trace_options& options, trace_workspace& ws, graph& out) {
  constexpr const char* where = "vasostat::vessel::trace";
  vasostat::detail::check_image_view(skeleton, where, "skeleton");
  vasostat::detail::check_image_view(distance, where, "distance");
  VASOSTAT_EXPECTS(distance.width == skeleton.width && distance.height == skeleton.height,
                   std::string(where) + ": distance (" + std::to_string(distance.width) + "x" +
                       std::to_string(distance.height) + ") differs in size from skeleton (" +
                       std::to_string(skeleton.width) + "x" + std::to_string(skeleton.height) + ")");
  VASOSTAT_EXPECTS(std::isfinite(options.min_spur_length_px) && options.min_spur_length_px >= 0,
                   std::string(where) + ": options.min_spur_length_px must be finite and >= 0");
  VASOSTAT_EXPECTS(std::isfinite(options.spur_radius_factor) && options.spur_radius_factor >= 0,
                   std::string(where) + ": options.spur_radius_factor must be finite and >= 0");
  VASOSTAT_EXPECTS(options.smoothing_half_window >= 0 && options.smoothing_half_window <= 64,
                   std::string(where) + ": options.smoothing_half_window must be in [0, 64]");
  detail::tracer(skeleton, distance, options, ws).run(out);
}

/// Returns the graph of `skeleton` (see the overload writing into `out`).
[[nodiscard]] inline graph trace(image_view<const std::uint8_t> skeleton,
                                 image_view<const float> distance, const trace_options& options,
                                 trace_workspace& ws) {
  graph g;
  trace(skeleton, distance, options, ws, g);
  return g;
}

/// Convenience overload with its own scratch.
[[nodiscard]] inline graph trace(image_view<const std::uint8_t> skeleton,
                                 image_view<const float> distance, const trace_options& options = {}) {
  trace_workspace ws;
  return trace(skeleton, distance, options, ws);
}

}  // namespace vasostat::inline v0::vessel
