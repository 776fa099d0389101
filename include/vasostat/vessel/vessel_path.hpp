#pragma once
// vessel::vessel_paths: a segment's centreline continued straight through junctions into the
// segments that carry on in the same direction. A skeleton splits a vessel wherever another one
// crosses or branches off, and the pieces between two crossings are often too short to measure
// red-cell velocity on (the measurable range is v_max ≈ L·fps/3, research §2.1); a person
// scoring flow follows the vessel through the crossing instead, and so does this.
// Building the node incidence is O(segments); one path is O(its length).

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/graph.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <utility>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct vessel_path_options {
  double min_length_px = 0;      ///< extend until the path is at least this long (0: no extension)
  double max_turn_deg = 40;      ///< a continuation may turn by at most this angle
  std::int32_t direction_px = 8; ///< pixels from a node over which a segment's direction is taken
};

/// Straight-through paths over one graph. Keeps a reference to the graph: it must outlive this.
class vessel_paths {
 public:
  /// Junctions joined by a segment shorter than `bridge_px` count as one crossing: a skeleton
  /// turns an X crossing into two Y junctions with a short bridge between them.
  explicit vessel_paths(const graph& g, double bridge_px = 12)
      : g_(g), group_(g.nodes.size()), ends_(g.nodes.size()), bridges_(g.nodes.size()) {
    VASOSTAT_EXPECTS(std::isfinite(bridge_px) && bridge_px >= 0,
                     "vasostat::vessel::vessel_paths: bridge_px must be finite and >= 0");
    for (std::size_t n = 0; n < group_.size(); ++n) group_[n] = static_cast<std::int32_t>(n);
    std::vector<bool> bridge(g.segments.size(), false);
    for (std::size_t s = 0; s < g.segments.size(); ++s) {
      const auto& seg = g.segments[s];
      if (!usable(seg)) continue;
      if (seg.length_px < bridge_px && is_junction(seg.first_node) && is_junction(seg.last_node)) {
        bridge[s] = true;
        group_[static_cast<std::size_t>(find(seg.first_node))] = find(seg.last_node);
        for (int end = 0; end < 2; ++end) {
          bridges_[static_cast<std::size_t>(end == 0 ? seg.first_node : seg.last_node)].push_back(
              {static_cast<std::int32_t>(s), end == 0});
        }
      }
    }
    for (std::size_t s = 0; s < g.segments.size(); ++s) {
      const auto& seg = g.segments[s];
      if (!usable(seg) || bridge[s]) continue;
      for (int end = 0; end < 2; ++end) {
        const std::int32_t n = end == 0 ? seg.first_node : seg.last_node;
        if (is_junction(n)) {
          ends_[static_cast<std::size_t>(find(n))].push_back({static_cast<std::int32_t>(s), end == 0});
        }
      }
    }
  }

  /// Segment `index`'s centreline (in its own order) with straight continuations prepended and
  /// appended, each side extended by about half of what the path lacks of `min_length_px`
  /// (whole continuations, the last one cut to length). At a junction the continuation is the
  /// segment that turns least, within `max_turn_deg`, and only if the segment we come from is
  /// also its least-turning partner (so two vessels crossing pair up as the two vessels).
  /// `segments_on_path`, if given, receives the indices of the segments the path runs along
  /// (bridges inside crossings not included), in path order. With min_length_px = infinity the
  /// path is the whole vessel, and every segment on it has the same whole-vessel path.
  [[nodiscard]] std::vector<point> path(std::size_t index, const vessel_path_options& o = {},
                                        std::vector<std::size_t>* segments_on_path = nullptr) const {
    const char* where = "vasostat::vessel::vessel_paths::path";
    VASOSTAT_EXPECTS(index < g_.segments.size(), std::string(where) + ": index " + std::to_string(index) +
                                                      " is not a segment of the graph");
    VASOSTAT_EXPECTS(o.min_length_px >= 0, std::string(where) + ": min_length_px must be >= 0 (not NaN)");
    VASOSTAT_EXPECTS(o.max_turn_deg >= 0 && o.max_turn_deg <= 180,
                     std::string(where) + ": max_turn_deg must be in [0, 180]");
    VASOSTAT_EXPECTS(o.direction_px >= 1, std::string(where) + ": direction_px must be >= 1");
    const auto& seg = g_.segments[index];
    std::vector<point> line = seg.centreline;
    const double lacking = o.min_length_px - seg.length_px;
    if (segments_on_path != nullptr) segments_on_path->assign(1, index);
    if (lacking <= 0 || seg.is_loop || line.size() < 2) return line;
    std::vector<bool> used(g_.segments.size(), false);
    used[index] = true;
    // What each side offers, up to all that is lacking; then half each, and a side that ends
    // early (at a free end, the image border or a bend) leaves the rest to the other side.
    std::vector<std::pair<std::size_t, std::size_t>> on_before, on_after;  // (segment, first pixel)
    std::vector<point> before = extend(index, true, lacking, used, o, on_before);  // away from the start
    std::vector<point> after = extend(index, false, lacking, used, o, on_after);
    const double have_before = arc_length(line.front(), before), have_after = arc_length(line.back(), after);
    const double take_before = std::min(have_before, std::max(lacking / 2, lacking - have_after));
    const double take_after = std::min(have_after, std::max(lacking / 2, lacking - take_before));
    cut(line.front(), before, take_before);
    cut(line.back(), after, take_after);
    std::vector<point> out(before.rbegin(), before.rend());
    out.insert(out.end(), line.begin(), line.end());
    out.insert(out.end(), after.begin(), after.end());
    if (segments_on_path != nullptr) {  // the continuations that kept at least one pixel
      auto& list = *segments_on_path;
      list.clear();
      for (auto e = on_before.rbegin(); e != on_before.rend(); ++e) {
        if (e->second < before.size()) list.push_back(e->first);
      }
      list.push_back(index);
      for (const auto& e : on_after) {
        if (e.second < after.size()) list.push_back(e.first);
      }
    }
    return out;
  }

 private:
  struct end_ref {
    std::int32_t segment;
    bool at_start;  ///< the segment's first point is at this node
    friend bool operator==(const end_ref&, const end_ref&) = default;
  };

  static bool usable(const segment& seg) { return !seg.is_loop && seg.centreline.size() >= 2; }

  [[nodiscard]] bool is_junction(std::int32_t n) const {
    return n >= 0 && static_cast<std::size_t>(n) < g_.nodes.size() &&
           g_.nodes[static_cast<std::size_t>(n)].kind == node_kind::junction;
  }

  std::int32_t find(std::int32_t n) {
    while (group_[static_cast<std::size_t>(n)] != n) {
      group_[static_cast<std::size_t>(n)] = group_[static_cast<std::size_t>(group_[static_cast<std::size_t>(n)])];
      n = group_[static_cast<std::size_t>(n)];
    }
    return n;
  }

  [[nodiscard]] std::int32_t root(std::int32_t n) const {
    while (group_[static_cast<std::size_t>(n)] != n) n = group_[static_cast<std::size_t>(n)];
    return n;
  }

  [[nodiscard]] std::int32_t node_of(const end_ref& e) const {
    const auto& seg = g_.segments[static_cast<std::size_t>(e.segment)];
    return e.at_start ? seg.first_node : seg.last_node;
  }

  /// Appends the bridge pixels from junction `a` to junction `b` of one crossing (breadth-first
  /// over the bridges; a crossing has a handful of them).
  void bridge_pixels(std::int32_t a, std::int32_t b, std::vector<point>& out) const {
    if (a == b) return;
    std::vector<std::int32_t> queue{a};
    std::vector<std::pair<std::int32_t, end_ref>> came;  // node -> (previous node, bridge used)
    for (std::size_t head = 0; head < queue.size(); ++head) {
      const std::int32_t n = queue[head];
      if (n == b) break;
      for (const end_ref& e : bridges_[static_cast<std::size_t>(n)]) {
        const auto& seg = g_.segments[static_cast<std::size_t>(e.segment)];
        const std::int32_t m = e.at_start ? seg.last_node : seg.first_node;
        if (m == a || std::find_if(came.begin(), came.end(), [&](const auto& c) { return c.first == m; }) != came.end()) {
          continue;
        }
        came.push_back({m, {e.segment, e.at_start}});
        queue.push_back(m);
      }
    }
    std::vector<end_ref> hops;  // walked back from b
    for (std::int32_t n = b; n != a;) {
      const auto it = std::find_if(came.begin(), came.end(), [&](const auto& c) { return c.first == n; });
      if (it == came.end()) return;  // not connected (cannot happen within one group)
      hops.push_back(it->second);
      const auto& seg = g_.segments[static_cast<std::size_t>(it->second.segment)];
      n = it->second.at_start ? seg.first_node : seg.last_node;
    }
    for (auto h = hops.rbegin(); h != hops.rend(); ++h) {
      const auto& c = g_.segments[static_cast<std::size_t>(h->segment)].centreline;
      for (std::size_t i = 1; i < c.size(); ++i) out.push_back(h->at_start ? c[i] : c[c.size() - 1 - i]);
    }
  }

  static double step(point a, point b) {
    return std::hypot(static_cast<double>(b.x - a.x), static_cast<double>(b.y - a.y));
  }

  static double arc_length(point from, const std::vector<point>& pts) {
    double len = 0;
    for (const point& p : pts) {
      len += step(from, p);
      from = p;
    }
    return len;
  }

  /// Keeps the shortest prefix of `pts` (starting next to `from`) that is at least `length` long.
  static void cut(point from, std::vector<point>& pts, double length) {
    double len = 0;
    std::size_t keep = 0;
    while (keep < pts.size() && len < length) {
      len += step(from, pts[keep]);
      from = pts[keep++];
    }
    pts.resize(keep);
  }

  /// Unit direction pointing from the node into the segment, from its end pixel to the pixel
  /// `direction_px` along it.
  [[nodiscard]] std::pair<double, double> leaving(const end_ref& e, std::int32_t direction_px) const {
    const auto& c = g_.segments[static_cast<std::size_t>(e.segment)].centreline;
    const auto k = static_cast<std::size_t>(std::min<std::size_t>(static_cast<std::size_t>(direction_px), c.size() - 1));
    const point a = e.at_start ? c.front() : c.back();
    const point b = e.at_start ? c[k] : c[c.size() - 1 - k];
    const double dx = b.x - a.x, dy = b.y - a.y, n = std::hypot(dx, dy);
    return n > 0 ? std::pair{dx / n, dy / n} : std::pair{0.0, 0.0};
  }

  /// The least-turning partner of `from` at crossing `group`, or -1 if none turns by at most
  /// max_turn.
  [[nodiscard]] std::ptrdiff_t partner(std::int32_t group, const end_ref& from, const vessel_path_options& o) const {
    const auto& ends = ends_[static_cast<std::size_t>(group)];
    const auto [fx, fy] = leaving(from, o.direction_px);
    const double min_cos = std::cos(o.max_turn_deg * std::numbers::pi / 180);
    std::ptrdiff_t best = -1;
    double best_cos = min_cos;
    for (std::size_t k = 0; k < ends.size(); ++k) {
      const auto& e = ends[k];
      if (e == from) continue;
      const auto [ex, ey] = leaving(e, o.direction_px);
      const double straightness = -(fx * ex + fy * ey);  // arriving along -f, leaving along e
      if (straightness >= best_cos) {
        best_cos = straightness;
        best = static_cast<std::ptrdiff_t>(k);
      }
    }
    return best;
  }

  /// Pixels beyond one end of segment `index` (at its start if `at_start`), in order away from
  /// it, about `want` px long.
  std::vector<point> extend(std::size_t index, bool at_start, double want, std::vector<bool>& used,
                            const vessel_path_options& o,
                            std::vector<std::pair<std::size_t, std::size_t>>& segments) const {
    std::vector<point> out;
    end_ref from{static_cast<std::int32_t>(index), at_start};
    double got = 0;
    while (got < want) {
      const std::int32_t node = node_of(from);
      if (!is_junction(node)) break;
      const std::int32_t group = root(node);
      const std::ptrdiff_t k = partner(group, from, o);
      if (k < 0) break;
      const end_ref next = ends_[static_cast<std::size_t>(group)][static_cast<std::size_t>(k)];
      if (used[static_cast<std::size_t>(next.segment)]) break;
      const std::ptrdiff_t back = partner(group, next, o);  // mutual: we are its best, too
      if (back < 0 || !(ends_[static_cast<std::size_t>(group)][static_cast<std::size_t>(back)] == from)) break;
      used[static_cast<std::size_t>(next.segment)] = true;
      const auto& seg = g_.segments[static_cast<std::size_t>(from.segment)];
      point last = out.empty() ? (from.at_start ? seg.centreline.front() : seg.centreline.back()) : out.back();
      std::vector<point> pixels;
      bridge_pixels(node, node_of(next), pixels);
      const auto& c = g_.segments[static_cast<std::size_t>(next.segment)].centreline;
      for (std::size_t i = 1; i < c.size(); ++i) pixels.push_back(next.at_start ? c[i] : c[c.size() - 1 - i]);
      // its pixels start after the bridge (the first pixel of each chain is the shared node pixel)
      segments.push_back({static_cast<std::size_t>(next.segment), out.size() + pixels.size() - (c.size() - 1)});
      for (const point& p : pixels) {
        if (got >= want) break;
        got += step(last, p);
        out.push_back(p);
        last = p;
      }
      from = {next.segment, !next.at_start};  // continue from its far end
    }
    return out;
  }

  const graph& g_;
  std::vector<std::int32_t> group_;               ///< union-find over junctions of one crossing
  std::vector<std::vector<end_ref>> ends_;        ///< per crossing (root node): non-bridge ends
  std::vector<std::vector<end_ref>> bridges_;     ///< per node: bridge segments' ends
};

}  // namespace vasostat::inline v0::vessel
