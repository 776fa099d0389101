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
#include <unordered_map>
#include <utility>
#include <vector>

namespace vasostat::inline v0::vessel {

struct trace_options {
  double min_spur_length_px = 5;   ///< spurs shorter than this are removed
  double spur_radius_factor = 1.5; ///< ... and spurs shorter than this × the junction's radius
  bool prune_spurs = true;
  int smoothing_half_window = 3;   ///< k of the length estimator's moving average (0 = none)
};

/// Reusable per-pixel scratch of trace (4 bytes per pixel, kept zero between calls), so a video
/// loop does not clear or fault in fresh pages for every frame; the graph itself still allocates.
struct trace_workspace {
  std::vector<std::uint8_t> on, visited, degree, neighbours;
  std::vector<std::ptrdiff_t> pixels;
};

namespace detail {

struct trace_node {
  std::vector<point> pixels;
  double cx = 0, cy = 0;
  point rep;
  bool junction = false;
  bool alive = true;
};

struct trace_segment {
  std::vector<point> px;
  std::int32_t a = -1, b = -1;
  bool loop = false;
  bool alive = true;
  double length = 0;
  mutable double diameter = -1;  ///< cached segment_diameter (-1: not computed)
};

/// Smoothed-polyline length of `pts` (open chain or closed loop).
inline double smoothed_length(const std::vector<std::array<double, 2>>& pts, bool closed, int k,
                              double sx = 1.0, double sy = 1.0) {
  const auto n = static_cast<std::ptrdiff_t>(pts.size());
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
      x += pts[static_cast<std::size_t>(jj)][0];
      y += pts[static_cast<std::size_t>(jj)][1];
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
 public:
  tracer(image_view<const std::uint8_t> skel, image_view<const float> dist,
         const trace_options& opt, trace_workspace& ws)
      : skel_(skel)
      , dist_(dist)
      , opt_(opt)
      , w_(skel.width)
      , h_(skel.height)
      , s_(skel.width + 2)
      , on_(ws.on)
      , visited_(ws.visited)
      , degree_(ws.degree)
      , nbmask_(ws.neighbours)
      , pixels_(ws.pixels) {}

  tracer(const tracer&) = delete;
  tracer& operator=(const tracer&) = delete;

  ~tracer() {  // leave the workspace's per-pixel buffers all zero for the next call
    for (std::ptrdiff_t i : pixels_) {
      const auto k = static_cast<std::size_t>(i);
      on_[k] = visited_[k] = degree_[k] = nbmask_[k] = 0;
    }
    pixels_.clear();
  }

  graph run() {
    graph g;
    g.width = w_;
    g.height = h_;
    if (w_ <= 0 || h_ <= 0) {
      return g;
    }
    build_pixels();
    build_nodes();
    build_segments();
    inc_.assign(nodes_.size(), {});
    for (std::size_t i = 0; i < segs_.size(); ++i) {
      segs_[i].length = chain_length(segs_[i], 1.0, 1.0);
      attach(static_cast<std::int32_t>(i));
    }
    if (opt_.prune_spurs) {
      prune();
    }
    merge_degree_two();
    return emit();
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

  /// Node id of pixel i (junction-cluster or end pixel), -1 for path pixels.
  [[nodiscard]] std::int32_t node_at(std::ptrdiff_t i) const {
    if (degree_[static_cast<std::size_t>(i)] == 2) {
      return -1;
    }
    const auto it = node_of_.find(i);
    return it == node_of_.end() ? -1 : it->second;
  }

  void set_node(std::ptrdiff_t i, std::int32_t id) { node_of_[i] = id; }

  void build_pixels() {
    const auto total = static_cast<std::size_t>(s_ * (h_ + 2));
    pixels_.clear();
    if (on_.size() != total) {
      on_.assign(total, 0);
      visited_.assign(total, 0);
      degree_.assign(total, 0);
      nbmask_.assign(total, 0);
    }
    for (std::ptrdiff_t y = 0; y < h_; ++y) {
      const std::uint8_t* r = skel_.row(y);
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
          on_[static_cast<std::size_t>(idx(x, y))] = 1;
          pixels_.push_back(idx(x, y));
        }
        ++x;
      }
    }
    node_of_.clear();
    const auto off = offsets();
    for (std::ptrdiff_t i : pixels_) {
      int n = 0;
      unsigned mask = 0;
      for (std::size_t k = 0; k < 8; ++k) {
        const unsigned b = on_[static_cast<std::size_t>(i + off[k])];
        n += static_cast<int>(b);
        mask |= b << k;
      }
      degree_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n);
      nbmask_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(mask);
    }
  }

  void build_nodes() {
    const auto off = offsets();
    std::vector<std::ptrdiff_t> stack;
    for (std::ptrdiff_t i : pixels_) {
      const int d = degree_[static_cast<std::size_t>(i)];
      if (node_at(i) >= 0) {
        continue;
      }
      if (d == 1) {
        trace_node n;
        n.pixels.push_back(pt(i));
        n.rep = pt(i);
        n.cx = n.rep.x;
        n.cy = n.rep.y;
        set_node(i, static_cast<std::int32_t>(nodes_.size()));
        nodes_.push_back(std::move(n));
      } else if (d >= 3) {
        trace_node n;
        n.junction = true;
        const auto id = static_cast<std::int32_t>(nodes_.size());
        stack.assign(1, i);
        set_node(i, id);
        while (!stack.empty()) {
          const std::ptrdiff_t c = stack.back();
          stack.pop_back();
          n.pixels.push_back(pt(c));
          for (std::ptrdiff_t o : off) {
            const std::ptrdiff_t j = c + o;
            if (on_[static_cast<std::size_t>(j)] != 0 && degree_[static_cast<std::size_t>(j)] >= 3 &&
                node_at(j) < 0) {
              set_node(j, id);
              stack.push_back(j);
            }
          }
        }
        double sx = 0, sy = 0;
        for (const point& p : n.pixels) {
          sx += p.x;
          sy += p.y;
        }
        n.cx = sx / static_cast<double>(n.pixels.size());
        n.cy = sy / static_cast<double>(n.pixels.size());
        double best = std::numeric_limits<double>::infinity();
        for (const point& p : n.pixels) {
          const double e = std::hypot(p.x - n.cx, p.y - n.cy);
          if (e < best) {
            best = e;
            n.rep = p;
          }
        }
        nodes_.push_back(std::move(n));
      }
    }
  }

  /// Walks from node pixel `start` into neighbour `first` until another node pixel.
  void walk(std::ptrdiff_t start, std::ptrdiff_t first) {
    const auto off = offsets();
    trace_segment seg;
    seg.a = node_at(start);
    seg.px.push_back(pt(start));
    if (degree_[static_cast<std::size_t>(start)] == 1) {
      visited_[static_cast<std::size_t>(start)] = 1;  // an end: its one segment starts here
    }
    std::ptrdiff_t prev = start, cur = first;
    for (;;) {
      seg.px.push_back(pt(cur));
      const std::int32_t nd = node_at(cur);
      if (nd >= 0) {
        seg.b = nd;
        if (degree_[static_cast<std::size_t>(cur)] == 1) {
          visited_[static_cast<std::size_t>(cur)] = 1;
        }
        break;
      }
      visited_[static_cast<std::size_t>(cur)] = 1;
      std::ptrdiff_t next = -1;
      for (unsigned m = nbmask_[static_cast<std::size_t>(cur)]; m != 0; m &= m - 1) {
        const std::ptrdiff_t j = cur + off[static_cast<std::size_t>(std::countr_zero(m))];
        if (j == prev) {
          continue;
        }
        if (node_at(j) >= 0 || visited_[static_cast<std::size_t>(j)] == 0) {
          next = j;
          break;
        }
      }
      if (next < 0) {  // cannot happen on an irreducible skeleton; close defensively
        seg.b = -1;
        break;
      }
      prev = cur;
      cur = next;
    }
    segs_.push_back(std::move(seg));
  }

  void build_segments() {
    const auto off = offsets();
    // From every junction-cluster pixel and every end pixel into unvisited path pixels.
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      for (const point& p : nodes_[n].pixels) {
        const std::ptrdiff_t i = idx(p.x, p.y);
        if (visited_[static_cast<std::size_t>(i)] != 0) {
          continue;  // an end pixel reached from the other side
        }
        for (std::ptrdiff_t o : off) {
          const std::ptrdiff_t j = i + o;
          if (on_[static_cast<std::size_t>(j)] == 0) {
            continue;
          }
          const std::int32_t nj = node_at(j);
          if (nj == static_cast<std::int32_t>(n)) {
            continue;  // inside the same cluster
          }
          if (nj >= 0) {
            // Two nodes touching directly (an end next to a junction, two ends): one segment.
            if (degree_[static_cast<std::size_t>(j)] == 1 && visited_[static_cast<std::size_t>(j)] != 0) {
              continue;
            }
            if (nodes_[static_cast<std::size_t>(nj)].junction && nodes_[n].junction) {
              continue;  // never: adjacent junction pixels share a cluster
            }
            if (nodes_[static_cast<std::size_t>(nj)].junction) {
              continue;  // traced from the junction side
            }
            walk(i, j);
            continue;
          }
          if (visited_[static_cast<std::size_t>(j)] != 0) {
            continue;
          }
          walk(i, j);
        }
      }
    }
    // What is left are closed loops of path pixels.
    for (std::ptrdiff_t i : pixels_) {
      if (visited_[static_cast<std::size_t>(i)] != 0 || node_at(i) >= 0 ||
          degree_[static_cast<std::size_t>(i)] != 2) {
        continue;
      }
      trace_segment seg;
      seg.loop = true;
      std::ptrdiff_t prev = -1, cur = i;
      while (cur >= 0 && visited_[static_cast<std::size_t>(cur)] == 0) {
        visited_[static_cast<std::size_t>(cur)] = 1;
        seg.px.push_back(pt(cur));
        std::ptrdiff_t next = -1;
        for (std::ptrdiff_t o : offsets()) {
          const std::ptrdiff_t j = cur + o;
          if (j != prev && on_[static_cast<std::size_t>(j)] != 0 && visited_[static_cast<std::size_t>(j)] == 0) {
            next = j;
            break;
          }
        }
        prev = cur;
        cur = next;
      }
      segs_.push_back(std::move(seg));
    }
  }

  [[nodiscard]] double chain_length(const trace_segment& seg, double sx, double sy) const {
    std::vector<std::array<double, 2>> pts;
    pts.reserve(seg.px.size() + 2);
    if (seg.a >= 0 && nodes_[static_cast<std::size_t>(seg.a)].junction) {
      pts.push_back({nodes_[static_cast<std::size_t>(seg.a)].cx, nodes_[static_cast<std::size_t>(seg.a)].cy});
    }
    for (const point& p : seg.px) {
      pts.push_back({static_cast<double>(p.x), static_cast<double>(p.y)});
    }
    if (seg.b >= 0 && nodes_[static_cast<std::size_t>(seg.b)].junction) {
      pts.push_back({nodes_[static_cast<std::size_t>(seg.b)].cx, nodes_[static_cast<std::size_t>(seg.b)].cy});
    }
    double len = smoothed_length(pts, seg.loop, opt_.smoothing_half_window, sx, sy);
    if (!seg.loop) {
      double diameter = -1;
      for (int end = 0; end < 2; ++end) {
        const std::int32_t nd = end == 0 ? seg.a : seg.b;
        if (nd < 0 || nodes_[static_cast<std::size_t>(nd)].junction) {
          continue;
        }
        if (diameter < 0) {
          diameter = segment_diameter(seg);
        }
        len += end_extension(seg, end == 0, diameter).first * std::sqrt(sx * sy);
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
  [[nodiscard]] std::pair<double, bool> end_extension(const trace_segment& seg, bool front,
                                                      double diameter) const {
    const point e = front ? seg.px.front() : seg.px.back();
    const double db = static_cast<double>(std::min<std::ptrdiff_t>({e.x, e.y, w_ - 1 - e.x, h_ - 1 - e.y}) + 1);
    if (db <= static_cast<double>(dist_(e.x, e.y)) + 1.0) {
      return {db - 0.5, true};
    }
    const auto n = static_cast<std::ptrdiff_t>(seg.px.size());
    if (n < 2) {
      return {0.0, false};
    }
    const std::ptrdiff_t m = std::min<std::ptrdiff_t>(n - 1, 2 * std::max(1, opt_.smoothing_half_window));
    // Direction: from the centroid of the m pixels behind the end towards the end pixel.
    double bx = 0, by = 0;
    for (std::ptrdiff_t i = 1; i <= m; ++i) {
      const point q = seg.px[static_cast<std::size_t>(front ? i : n - 1 - i)];
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
    for (std::int32_t i : inc_[static_cast<std::size_t>(n)]) {
      const auto& s = segs_[static_cast<std::size_t>(i)];
      if (s.alive && !s.loop) {
        d += (s.a == n ? 1 : 0) + (s.b == n ? 1 : 0);
      }
    }
    return d;
  }

  void attach(std::int32_t seg) {
    const auto& s = segs_[static_cast<std::size_t>(seg)];
    for (std::int32_t n : {s.a, s.b}) {
      if (n >= 0) {
        auto& list = inc_[static_cast<std::size_t>(n)];
        if (std::find(list.begin(), list.end(), seg) == list.end()) {
          list.push_back(seg);
        }
      }
    }
  }

  void detach(std::int32_t seg, std::int32_t n) {
    if (n >= 0) {
      auto& list = inc_[static_cast<std::size_t>(n)];
      list.erase(std::remove(list.begin(), list.end(), seg), list.end());
    }
  }

  /// The pruning limit of segment i if it is a prunable spur or short redundant cycle side now
  /// (one end a free end and the other a junction of degree >= 3; or a self-loop / one of two
  /// parallel segments between two junctions of degree >= 3, the shorter one), else -1.
  [[nodiscard]] double prune_limit(std::int32_t i) const {
    const auto& s = segs_[static_cast<std::size_t>(i)];
    if (!s.alive || s.loop || s.a < 0 || s.b < 0) {
      return -1;
    }
    const auto& na = nodes_[static_cast<std::size_t>(s.a)];
    const auto& nb = nodes_[static_cast<std::size_t>(s.b)];
    double radius = -1;
    if (na.junction && nb.junction) {
      bool redundant = s.a == s.b;
      for (std::int32_t j : inc_[static_cast<std::size_t>(s.a)]) {
        const auto& o = segs_[static_cast<std::size_t>(j)];
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
      const auto& j = nodes_[static_cast<std::size_t>(jid)];
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
    using entry = std::pair<double, std::int32_t>;
    std::vector<entry> heap;
    auto push_if_candidate = [&](std::int32_t i) {
      const double limit = prune_limit(i);
      const double len = segs_[static_cast<std::size_t>(i)].length;
      if (limit >= 0 && len < limit) {
        heap.emplace_back(len, i);
        std::push_heap(heap.begin(), heap.end(), std::greater<>());
      }
    };
    auto push_around = [&](std::int32_t n) {
      if (n < 0) {
        return;
      }
      const std::vector<std::int32_t> list = inc_[static_cast<std::size_t>(n)];
      for (std::int32_t j : list) {
        push_if_candidate(j);
      }
    };
    for (std::size_t i = 0; i < segs_.size(); ++i) {
      push_if_candidate(static_cast<std::int32_t>(i));
    }
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>());
      const auto [len, id] = heap.back();
      heap.pop_back();
      auto& s = segs_[static_cast<std::size_t>(id)];
      const double limit = prune_limit(id);
      if (!s.alive || s.length != len || limit < 0 || s.length >= limit) {
        continue;  // stale entry
      }
      s.alive = false;
      const std::int32_t a = s.a, b = s.b;
      detach(id, a);
      detach(id, b);
      const bool both = nodes_[static_cast<std::size_t>(a)].junction &&
                        nodes_[static_cast<std::size_t>(b)].junction;
      std::vector<std::int32_t> junctions;
      if (both) {
        junctions = {a, b};
      } else {
        const std::int32_t jid = nodes_[static_cast<std::size_t>(a)].junction ? a : b;
        nodes_[static_cast<std::size_t>(jid == a ? b : a)].alive = false;
        junctions = {jid};
      }
      for (std::int32_t jid : junctions) {
        if (nodes_[static_cast<std::size_t>(jid)].alive && node_degree(jid) == 2) {
          const std::int32_t merged = merge_at(jid);
          if (merged >= 0) {
            const auto& m = segs_[static_cast<std::size_t>(merged)];
            push_around(m.a);
            push_around(m.b);
          }
        } else {
          push_around(jid);
        }
      }
    }
  }

  /// Shortest 8-connected path inside node `n`'s cluster from pixel a to pixel b (both included).
  [[nodiscard]] std::vector<point> cluster_path(const trace_node& n, point a, point b) const {
    const std::size_t m = n.pixels.size();
    auto find = [&](point p) {
      for (std::size_t i = 0; i < m; ++i) {
        if (n.pixels[i] == p) return static_cast<std::ptrdiff_t>(i);
      }
      return std::ptrdiff_t{-1};
    };
    const std::ptrdiff_t ia = find(a), ib = find(b);
    std::vector<std::ptrdiff_t> from(m, -2);
    std::vector<std::size_t> queue;
    std::vector<point> path;
    if (ia < 0 || ib < 0) {
      return path;
    }
    from[static_cast<std::size_t>(ia)] = -1;
    queue.push_back(static_cast<std::size_t>(ia));
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const point p = n.pixels[queue[q]];
      for (std::size_t i = 0; i < m; ++i) {
        if (from[i] == -2 && std::abs(n.pixels[i].x - p.x) <= 1 && std::abs(n.pixels[i].y - p.y) <= 1) {
          from[i] = static_cast<std::ptrdiff_t>(queue[q]);
          queue.push_back(i);
        }
      }
    }
    for (std::ptrdiff_t i = ib; i >= 0; i = from[static_cast<std::size_t>(i)]) {
      path.push_back(n.pixels[static_cast<std::size_t>(i)]);
      if (from[static_cast<std::size_t>(i)] == -2) break;
    }
    std::reverse(path.begin(), path.end());
    return path;
  }

  /// Junction `n` has two segment ends left: joins them through the cluster into one segment;
  /// returns the surviving segment's index (-1 if nothing was merged).
  std::int32_t merge_at(std::int32_t n) {
    std::vector<std::int32_t> inc;
    for (std::int32_t i : inc_[static_cast<std::size_t>(n)]) {
      const auto& s = segs_[static_cast<std::size_t>(i)];
      if (s.alive && !s.loop && (s.a == n || s.b == n)) {
        inc.push_back(i);
      }
    }
    auto& node = nodes_[static_cast<std::size_t>(n)];
    if (inc.size() == 1) {
      auto& s = segs_[static_cast<std::size_t>(inc[0])];
      if (s.a == n && s.b == n) {  // a loop through this node only
        std::vector<point> path = cluster_path(node, s.px.back(), s.px.front());
        if (path.size() > 2) {
          s.px.insert(s.px.end(), path.begin() + 1, path.end() - 1);
        }
        s.loop = true;
        s.a = s.b = -1;
        node.alive = false;
        inc_[static_cast<std::size_t>(n)].clear();
        s.diameter = -1;
        s.length = chain_length(s, 1.0, 1.0);
        return inc[0];
      }
      return -1;
    }
    if (inc.size() != 2) {
      return -1;
    }
    trace_segment& s1 = segs_[static_cast<std::size_t>(inc[0])];
    trace_segment& s2 = segs_[static_cast<std::size_t>(inc[1])];
    // Orient s1 to end at n and s2 to start at n.
    if (s1.a == n) {
      std::reverse(s1.px.begin(), s1.px.end());
      std::swap(s1.a, s1.b);
    }
    if (s2.b == n) {
      std::reverse(s2.px.begin(), s2.px.end());
      std::swap(s2.a, s2.b);
    }
    std::vector<point> path = cluster_path(node, s1.px.back(), s2.px.front());
    std::vector<point> merged = std::move(s1.px);
    if (path.size() > 2) {
      merged.insert(merged.end(), path.begin() + 1, path.end() - 1);
    }
    if (!(s2.px.front() == merged.back())) {
      merged.insert(merged.end(), s2.px.begin(), s2.px.end());
    } else {
      merged.insert(merged.end(), s2.px.begin() + 1, s2.px.end());
    }
    s1.px = std::move(merged);
    detach(inc[1], s2.a);
    detach(inc[1], s2.b);
    detach(inc[0], n);
    s1.b = s2.b;
    s2.alive = false;
    node.alive = false;
    inc_[static_cast<std::size_t>(n)].clear();
    attach(inc[0]);
    s1.diameter = -1;
    s1.length = chain_length(s1, 1.0, 1.0);
    return inc[0];
  }

  void merge_degree_two() {
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
      if (nodes_[n].alive && nodes_[n].junction && node_degree(static_cast<std::int32_t>(n)) == 2) {
        merge_at(static_cast<std::int32_t>(n));
      }
    }
  }

  [[nodiscard]] double segment_diameter(const trace_segment& seg) const {
    if (seg.diameter < 0) {
      seg.diameter = compute_diameter(seg);
    }
    return seg.diameter;
  }

  [[nodiscard]] double compute_diameter(const trace_segment& seg) const {
    const std::vector<point>& px = seg.px;
    const auto n = static_cast<std::ptrdiff_t>(px.size());
    if (n == 0) {
      return 0.0;
    }
    auto end_radius = [&](std::int32_t nd, point p) {
      if (nd >= 0) {
        const point r = nodes_[static_cast<std::size_t>(nd)].rep;
        return static_cast<double>(dist_(r.x, r.y));
      }
      return static_cast<double>(dist_(p.x, p.y));
    };
    const double ra = seg.loop ? 0.0 : end_radius(seg.a, px.front());
    const double rb = seg.loop ? 0.0 : end_radius(seg.b, px.back());
    const int k = std::max(1, opt_.smoothing_half_window);
    std::vector<double> widths;
    std::vector<double> all;
    // The median needs no more than ~48 samples: long chains are sampled evenly.
    const std::ptrdiff_t step = std::max<std::ptrdiff_t>(1, n / 48);
    for (std::ptrdiff_t i = (n - 1) % step / 2; i < n; i += step) {
      auto at = [&](std::ptrdiff_t j) {
        if (seg.loop) {
          j = ((j % n) + n) % n;
        } else {
          j = std::clamp<std::ptrdiff_t>(j, 0, n - 1);
        }
        return px[static_cast<std::size_t>(j)];
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
      const point p = px[static_cast<std::size_t>(i)];
      const double wv = static_cast<double>(sample_bilinear(dist_, p.x + nx, p.y + ny)) +
                        static_cast<double>(sample_bilinear(dist_, p.x - nx, p.y - ny)) + 1.0;
      all.push_back(wv);
      const auto fi = static_cast<double>(i), fb = static_cast<double>(n - 1 - i);
      if (seg.loop || (fi > ra && fb > rb)) {
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

  graph emit() {
    graph g;
    g.width = w_;
    g.height = h_;
    std::vector<std::int32_t> remap(nodes_.size(), -1);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const auto& n = nodes_[i];
      if (!n.alive) {
        continue;
      }
      node out;
      out.position = n.rep;
      out.x = n.cx;
      out.y = n.cy;
      out.kind = n.junction ? node_kind::junction : node_kind::end;
      for (const point& p : n.pixels) {
        out.touches_border = out.touches_border || on_border(p);
      }
      remap[i] = static_cast<std::int32_t>(g.nodes.size());
      g.nodes.push_back(out);
    }
    for (auto& s : segs_) {
      if (!s.alive) {
        continue;
      }
      segment out;
      out.first_node = s.a >= 0 ? remap[static_cast<std::size_t>(s.a)] : -1;
      out.last_node = s.b >= 0 ? remap[static_cast<std::size_t>(s.b)] : -1;
      out.is_loop = s.loop || (s.a == s.b && s.a >= 0);
      out.length_px = s.length;
      out.diameter_px = segment_diameter(s);
      if (!s.loop) {
        for (int end = 0; end < 2; ++end) {
          const std::int32_t nd = end == 0 ? out.first_node : out.last_node;
          const std::int32_t raw = end == 0 ? s.a : s.b;
          if (nd >= 0 && !nodes_[static_cast<std::size_t>(raw)].junction &&
              end_extension(s, end == 0, out.diameter_px).second) {
            g.nodes[static_cast<std::size_t>(nd)].touches_border = true;
          }
        }
      }
      for (const point& p : s.px) {
        out.touches_border = out.touches_border || on_border(p);
      }
      for (std::int32_t nd : {out.first_node, out.last_node}) {
        if (nd >= 0) {
          auto& gn = g.nodes[static_cast<std::size_t>(nd)];
          gn.degree += 1;
          out.touches_border = out.touches_border || gn.touches_border;
        }
      }
      out.centreline = std::move(s.px);
      g.segments.push_back(std::move(out));
    }
    return g;
  }

  image_view<const std::uint8_t> skel_;
  image_view<const float> dist_;
  trace_options opt_;
  std::ptrdiff_t w_, h_, s_;
  std::vector<std::uint8_t>& on_;
  std::vector<std::uint8_t>& visited_;
  std::vector<std::uint8_t>& degree_;
  std::vector<std::uint8_t>& nbmask_;
  std::unordered_map<std::ptrdiff_t, std::int32_t> node_of_;  // node pixels only
  std::vector<std::ptrdiff_t>& pixels_;
  std::vector<trace_node> nodes_;
  std::vector<trace_segment> segs_;
  std::vector<std::vector<std::int32_t>> inc_;  // alive segments at each node
};

}  // namespace detail

/// Traces a skeleton (non-zero = skeleton pixel; vessel::skeletonize's output) into a graph;
/// `distance` is vessel::distance_transform of the mask the skeleton came from. `ws` keeps the
/// per-pixel scratch between frames.
/// @throws vasostat::invalid_argument naming `skeleton`, `distance` or `options`.
[[nodiscard]] inline graph trace(image_view<const std::uint8_t> skeleton,
                                 image_view<const float> distance, const trace_options& options,
                                 trace_workspace& ws) {
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
  return detail::tracer(skeleton, distance, options, ws).run();
}

/// Convenience overload with its own scratch.
[[nodiscard]] inline graph trace(image_view<const std::uint8_t> skeleton,
                                 image_view<const float> distance, const trace_options& options = {}) {
  trace_workspace ws;
  return trace(skeleton, distance, options, ws);
}

}  // namespace vasostat::inline v0::vessel
