#pragma once
// vessel::analyze_clip: the whole video chain in one call — stabilise, flicker gains + mean
// image, vesselness, mask, skeleton/graph/density (vessel::analyze_mask), one space-time
// diagram per traced segment, velocity, flow class, site metrics (perfusion) and quality.
// Each segment's diameter is its lumen width across the centreline on the mean image
// (vessel::lumen_diameter, full width at half depth), not the mask's width (the Frangi mask is
// wider than thin lumens); it decides which vessels are small (< small_vessel_um).
// Cost: dominated by vesselness on the mean image and one diagram + velocity per segment.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/flow.hpp>
#include <vasostat/vessel/lumen.hpp>
#include <vasostat/vessel/mean_image.hpp>
#include <vasostat/vessel/perfusion.hpp>
#include <vasostat/vessel/quality.hpp>
#include <vasostat/vessel/segment.hpp>
#include <vasostat/vessel/space_time.hpp>
#include <vasostat/vessel/stabilize.hpp>
#include <vasostat/vessel/velocity.hpp>
#include <vasostat/vessel/vessel_path.hpp>
#include <vasostat/vessel/vesselness.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace vasostat::inline v0::vessel {

struct analyze_clip_options {
  bool stabilize = true;                  ///< estimate and apply per-frame translations
  vesselness_options vesselness = {};     ///< um_per_px is taken from the clip's calibration
  segment_mask_options mask = {};         ///< um_per_px is taken from the clip's calibration
  trace_options trace = {};
  double small_vessel_um = 20.0;          ///< small vessels: diameter < this
  double min_segment_um = 0.0;            ///< segments shorter than this get no velocity (class 0)
  /// Follow vessels through crossings, as a person scoring flow does: a segment too short to
  /// measure `measurable_speed_um_s` (v_max = v_max_fraction L fps) is measured along its path
  /// continued straight through junctions (vessel::vessel_paths) to the length that speed
  /// needs, and the result is shared with the other segments lying wholly on that path. The
  /// path is no longer than needed, so a wrong turn at a crossing contaminates little.
  /// false: every segment on its own.
  bool follow_vessels = true;
  double measurable_speed_um_s = 1500.0;
  vessel_path_options path = {};          ///< min_length_px is set from measurable_speed_um_s
  space_time_options space_time = {};     ///< offsets and gains are filled in
  velocity_options velocity = {};
  flow_options flow = {};
  quality_options quality = {};
  /// true: diameters from the intensity profiles across each segment on the mean image
  /// (lumen_diameter); false: the mask-based diameters of vessel::trace
  bool lumen_diameter = true;
  lumen_options lumen = {};               ///< dark_vessels is taken from the vesselness options
  stabilize_options stabilization = {};   ///< used when `stabilize` is true
};

/// One traced segment's record.
struct segment_record {
  double length_um = 0;
  /// The diameter used for the small-vessel cut-off: the lumen's full width at half depth
  /// (lumen.diameter_px × um_per_px) where measured, else mask_diameter_um.
  double diameter_um = 0;
  velocity_result velocity;
  flow_record flow;
  bool measured = false;  ///< false: shorter than min_segment_um or 4 px, no velocity measured
  double mask_diameter_um = 0;  ///< the mask's width (vessel::trace's diameter_px × um_per_px)
  lumen_measurement lumen;      ///< the profile measurement (measured = false if not made)
};

struct clip_analysis {
  stabilize_result stabilization;
  mean_image_result mean;
  image<float> vesselness;
  image<std::uint8_t> mask;
  graph vessels;            ///< segments' diameter_px = the diameter used (see segment_record)
  density_metrics density;  ///< from `vessels`, so small-vessel TVD uses those diameters
  std::vector<segment_record> segments;  ///< parallel to vessels.segments
  perfusion_result perfusion;
  quality_result quality;
};

namespace detail {

/// +1 if segment `s` lies wholly on `path` in its direction, -1 against it, 0 if it does not
/// lie wholly on it (both its end pixels must be on the path).
inline int orientation_on(const std::vector<point>& path, const segment& s) {
  const auto first = std::find(path.begin(), path.end(), s.centreline.front());
  const auto last = std::find(path.begin(), path.end(), s.centreline.back());
  if (first == path.end() || last == path.end()) return 0;
  return last < first ? -1 : 1;
}

/// The same measurement seen from the other end of the vessel.
inline void reverse_direction(velocity_result& v) {
  v.direction = -v.direction;
  for (auto& w : v.windows) w.velocity_um_s = -w.velocity_um_s;
}

}  // namespace detail

/// Analyses a clip end to end. Throws vasostat::invalid_argument for a bad clip (empty, frames
/// of different sizes, NaN pixels, fps or um_per_px <= 0/NaN), fewer than 2 frames, or bad
/// options (as the steps report them).
template <grey_pixel T>
[[nodiscard]] clip_analysis analyze_clip(const clip<T>& c, const analyze_clip_options& o = {}) {
  const char* where = "vasostat::vessel::analyze_clip";
  detail::check_clip(c, where, 2);
  const double um = c.calibration.um_per_px;
  clip_analysis a;
  if (o.stabilize) {
    a.stabilization = stabilize(c, o.stabilization);
  } else {
    a.stabilization.offsets.assign(c.frames.size(), {});
    a.stabilization.peak.assign(c.frames.size(), 1.0);
  }
  a.mean = mean_image(c, a.stabilization.offsets);
  auto vo = o.vesselness;
  vo.um_per_px = um;
  a.vesselness.resize(c.frames[0].width, c.frames[0].height);
  vesselness_workspace vws;
  vesselness(image_view<const float>(a.mean.mean.view()), a.vesselness.view(), vws, vo);
  auto mo = o.mask;
  mo.um_per_px = um;
  a.mask.resize(c.frames[0].width, c.frames[0].height);
  segment_mask_workspace sws;
  (void)segment_mask(a.vesselness.view(), a.mask.view(), sws, mo);
  const auto m = analyze_mask(a.mask.view(), {.density = {.um_per_px = um,
                                                          .small_vessel_um = o.small_vessel_um},
                                               .trace = o.trace});
  a.vessels = m.vessels;
  a.density = m.metrics;
  std::vector<double> mask_diameter_px;
  std::vector<lumen_measurement> lumens(a.vessels.segments.size());
  if (o.lumen_diameter) {
    auto lo = o.lumen;
    lo.dark_vessels = vo.dark_vessels;
    detail::use_lumen_diameters(image_view<const float>(a.mean.mean.view()), lo, a.vessels,
                                mask_diameter_px, lumens);
    a.density = density(a.vessels, {.um_per_px = um, .small_vessel_um = o.small_vessel_um});
  }
  auto so = o.space_time;
  so.offsets = a.stabilization.offsets;
  so.frame_gain = a.mean.gain;
  std::vector<flow_class> classes;
  double venule_len = 0, venule_perfused = 0;
  const vessel_paths paths(a.vessels);
  auto po = o.path;
  VASOSTAT_EXPECTS(o.measurable_speed_um_s >= 0,
                   "vasostat::vessel::analyze_clip: measurable_speed_um_s must be >= 0 (not NaN)");
  po.min_length_px = o.follow_vessels ? o.measurable_speed_um_s / (o.velocity.v_max_fraction * c.calibration.fps * um) : 0.0;
  std::vector<std::ptrdiff_t> measured_with(a.vessels.segments.size(), -1);  // on that one's path
  std::vector<std::vector<point>> path_of(a.vessels.segments.size());
  std::vector<std::size_t> on_path;
  std::vector<point> path;
  std::vector<centreline_point> line;
  for (std::size_t i = 0; i < a.vessels.segments.size(); ++i) {
    const auto& s = a.vessels.segments[i];
    segment_record r;
    r.length_um = s.length_px * um;
    r.diameter_um = s.diameter_px * um;
    r.mask_diameter_um = (mask_diameter_px.empty() ? s.diameter_px : mask_diameter_px[i]) * um;
    r.lumen = lumens[i];
    if (measured_with[i] >= 0) {  // measured on an earlier segment's vessel path
      const auto& first = a.segments[static_cast<std::size_t>(measured_with[i])];
      r.velocity = first.velocity;
      r.flow = first.flow;
      r.measured = true;
      if (detail::orientation_on(path_of[i], s) < 0) detail::reverse_direction(r.velocity);
    } else if (s.centreline.size() >= 5 && r.length_um >= o.min_segment_um) {
      path = paths.path(i, po, &on_path);
      line.clear();
      for (const point& p : path) {
        line.push_back({static_cast<float>(p.x), static_cast<float>(p.y)});
      }
      const auto d = space_time(c, std::span<const centreline_point>(line), so);
      r.velocity = velocity(d, o.velocity);
      r.flow = classify_flow(r.velocity, o.flow);
      r.measured = true;
      for (const std::size_t j : on_path) {  // segments wholly on this path share the result
        if (j > i && detail::orientation_on(path, a.vessels.segments[j]) != 0) {
          measured_with[j] = static_cast<std::ptrdiff_t>(i);
          path_of[j] = path;
        }
      }
    }
    classes.push_back(r.flow.cls);
    if (!(r.diameter_um < o.small_vessel_um)) {
      venule_len += r.length_um;
      venule_perfused += r.flow.cls >= flow_class::sluggish ? r.length_um : 0.0;
    }
    a.segments.push_back(r);
  }
  a.perfusion = perfusion(a.vessels, classes, {.um_per_px = um, .small_vessel_um = o.small_vessel_um});
  quality_inputs qi;
  qi.stability = o.stabilize ? &a.stabilization : nullptr;
  qi.tvd_mm_per_mm2 = a.density.tvd_mm_per_mm2;
  if (venule_len > 0) {
    qi.venular_perfused_fraction = venule_perfused / venule_len;
  }
  a.quality = quality(c, qi, o.quality);
  return a;
}

}  // namespace vasostat::inline v0::vessel
