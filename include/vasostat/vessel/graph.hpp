#pragma once
// vessel::graph: the vessel network traced from a skeleton (vessel::trace). Nodes are free ends
// and merged junction clusters; segments are ordered 8-connected centreline pixel chains between
// two nodes (or closed loops), each with its length and diameter in pixels.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vasostat::inline v0::vessel {

/// A pixel position (column x, row y) in the image the graph was traced from.
struct point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  friend constexpr bool operator==(const point&, const point&) = default;
};

/// What a node is: a free end of a vessel (one segment) or a junction (three or more segment
/// ends, after junction-pixel clusters have been merged into one node).
enum class node_kind : std::uint8_t { end, junction };

struct node {
  point position;              ///< representative pixel (the cluster pixel nearest its centroid)
  double x = 0;                ///< centroid of the node's pixels (sub-pixel), column
  double y = 0;                ///< centroid of the node's pixels (sub-pixel), row
  node_kind kind = node_kind::end;
  std::int32_t degree = 0;     ///< number of segment ends at this node (a loop counts twice)
  bool touches_border = false; ///< a pixel of the node lies on the image border
};

struct segment {
  /// Centreline pixels in order from node `first_node` to node `last_node`; consecutive pixels
  /// are 8-neighbours. The chain includes the nodes' representative pixels at its ends (for a
  /// closed loop without nodes, front() is not repeated at the back).
  std::vector<point> centreline;
  std::int32_t first_node = -1;  ///< index into graph::nodes; -1 for an isolated loop
  std::int32_t last_node = -1;   ///< index into graph::nodes; -1 for an isolated loop
  double length_px = 0;          ///< centreline length (estimator: see vessel/trace.hpp)
  double diameter_px = 0;        ///< vessel diameter (convention: see vessel/trace.hpp)
  bool is_loop = false;          ///< closed chain (isolated loop or a loop at one node)
  bool touches_border = false;   ///< a centreline pixel or an end node lies on the image border
};

struct graph {
  std::ptrdiff_t width = 0;   ///< size of the image the graph was traced from
  std::ptrdiff_t height = 0;
  std::vector<node> nodes;
  std::vector<segment> segments;
};

}  // namespace vasostat::inline v0::vessel
