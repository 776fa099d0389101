#pragma once
// vessel::analyze_mask: mask -> skeleton + distance map -> graph -> density metrics in one call
// (skeletonize, distance_transform, trace, density), with a workspace overload for video loops.

#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/vessel/density.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/graph.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#include <vasostat/vessel/trace.hpp>

#include <cstdint>

namespace vasostat::inline v0::vessel {

struct analyze_options {
  density_options density = {};  ///< calibration (required), ROI, small-vessel cut-off
  skeletonize_options skeleton = {};
  trace_options trace = {};
};

struct mask_analysis {
  graph vessels;            ///< traced segments with lengths and diameters (px)
  density_metrics metrics;  ///< TVD, small TVD, De Backer, counts (physical units)
};

/// Reusable memory of analyze_mask: the skeleton, the distance map and the kernels' workspaces.
struct analyze_workspace {
  image<std::uint8_t> skeleton;
  image<float> distance;
  skeletonize_workspace skeletonize;
  distance_transform_workspace distance_transform;
  trace_workspace trace;
};

/// Analyses a vessel mask (non-zero = vessel) into `out`. The skeleton and distance map stay
/// in `ws`; `out`'s vectors (centrelines, nodes, class counts) are reused, so a video loop
/// allocates nothing once the buffers have grown to the frames' needs (the first frame sizes
/// the per-pixel buffers; a later frame with more or longer segments than any before grows
/// the graph's buffers once).
/// @throws vasostat::invalid_argument as the four steps do (`mask`, `options.um_per_px`, ...).
inline void analyze_mask(image_view<const std::uint8_t> mask, const analyze_options& options,
                         analyze_workspace& ws, mask_analysis& out) {
  constexpr const char* where = "vasostat::vessel::analyze_mask";
  vasostat::detail::check_image_view(mask, where, "mask");
  detail::check_density_options(options.density, where);  // before the image work
  ws.skeleton.resize(mask.width, mask.height);
  ws.distance.resize(mask.width, mask.height);
  skeletonize(mask, ws.skeleton.view(), ws.skeletonize, options.skeleton);
  distance_transform(mask, ws.distance.view(), ws.distance_transform);
  trace(ws.skeleton.view(), ws.distance.view(), options.trace, ws.trace, out.vessels);
  density(out.vessels, options.density, out.metrics);
}

/// Returns the analysis of `mask` (see the overload writing into a mask_analysis).
/// Example:
/// ```
/// auto a = vasostat::vessel::analyze_mask(mask, {.density = {.um_per_px = 1.2}});
/// double tvd = a.metrics.tvd_mm_per_mm2;
/// ```
[[nodiscard]] inline mask_analysis analyze_mask(image_view<const std::uint8_t> mask,
                                                const analyze_options& options,
                                                analyze_workspace& ws) {
  mask_analysis a;
  analyze_mask(mask, options, ws, a);
  return a;
}

/// Convenience overload with its own workspace.
[[nodiscard]] inline mask_analysis analyze_mask(image_view<const std::uint8_t> mask,
                                                const analyze_options& options) {
  analyze_workspace ws;
  return analyze_mask(mask, options, ws);
}

}  // namespace vasostat::inline v0::vessel
