#pragma once
// vessel::perfusion: the consensus site metrics from a traced vessel graph and one flow class
// per segment (automatic from classify_flow, or a person's scores): TVD (mm/mm²), PPV
// (length-weighted, and the count-based variant on 3 + 3 equidistant grid lines), PVD = TVD x
// PPV, De Backer score (grid crossings per mm of line, counted by the same function as
// vessel::density: each line once per vessel), MFI by quadrants (predominant class by
// length in each quadrant, mean of the quadrants that hold vessels) and vessel by vessel — each
// for all vessels and for small ones (diameter < small_vessel_um). Definitions: De Backer et al.
// 2007, Pozo et al. 2012, research §1.3–1.7. vessel::heterogeneity_index = (max - min) / mean
// across sites (Trzeciak et al. 2007). O(total centreline length).

#include <vasostat/core/error.hpp>
#include <vasostat/vessel/density.hpp>
#include <vasostat/vessel/flow.hpp>
#include <vasostat/vessel/graph.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct perfusion_options {
  double um_per_px = 1.0;         ///< calibration
  double small_vessel_um = 20.0;  ///< small vessels: diameter < this (consensus 20 µm)
};

/// Metrics of one vessel-size group. Percentages are 0..100; NaN where undefined (no vessel).
struct perfusion_metrics {
  double tvd_mm_per_mm2 = 0;      ///< total vessel length / image area
  double pvd_mm_per_mm2 = 0;      ///< TVD x PPV (length-weighted)
  double ppv_percent = 0;         ///< length-weighted: perfused (class 2-3) length / length
  double ppv_count_percent = 0;   ///< grid: 100 (N - N_noflow - N_intermittent) / N crossings
  double debacker_per_mm = 0;     ///< grid crossings per mm of grid line
  double pvd_count_per_mm = 0;    ///< perfused grid crossings per mm of grid line
  double mfi_quadrant = 0;        ///< mean over quadrants of the predominant class
  double mfi_vessel = 0;          ///< mean class over segments
  std::ptrdiff_t vessels = 0;     ///< segments in the group
  std::ptrdiff_t crossings = 0;   ///< grid-line crossings in the group
};

struct perfusion_result {
  perfusion_metrics all;
  perfusion_metrics small;
};

namespace detail {

inline perfusion_metrics perfusion_group(const graph& g, std::span<const flow_class> cls,
                                         const perfusion_options& o, bool small_only) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  perfusion_metrics m;
  const double w = static_cast<double>(g.width), h = static_cast<double>(g.height);
  const double area_mm2 = w * h * o.um_per_px * o.um_per_px * 1e-6;
  double len = 0, perf_len = 0, cls_sum = 0;
  std::array<std::array<double, 4>, 4> quad{};  // [quadrant][class] length
  std::array<double, 4> cross{};                // crossings per class
  // De Backer grid and crossing rule shared with vessel::density (each line once per vessel)
  const debacker_grid grid = make_debacker_grid(g.width, g.height);
  const auto everywhere = [](double, double) { return true; };
  for (std::size_t i = 0; i < g.segments.size(); ++i) {
    const auto& s = g.segments[i];
    if (small_only && !(s.diameter_px * o.um_per_px < o.small_vessel_um)) {
      continue;
    }
    const auto c = static_cast<std::size_t>(cls[i]);
    ++m.vessels;
    len += s.length_px;
    perf_len += c >= 2 ? s.length_px : 0.0;
    cls_sum += static_cast<double>(c);
    // quadrant lengths from the centreline steps (scaled to the segment's length estimate)
    double steps = 0;
    std::array<double, 4> q{};
    for (std::size_t k = 1; k < s.centreline.size(); ++k) {
      const auto& a = s.centreline[k - 1];
      const auto& b = s.centreline[k];
      const double d = std::hypot(static_cast<double>(b.x - a.x), static_cast<double>(b.y - a.y));
      const double mx = 0.5 * (a.x + b.x), my = 0.5 * (a.y + b.y);
      q[static_cast<std::size_t>((mx >= w / 2 ? 1 : 0) + (my >= h / 2 ? 2 : 0))] += d;
      steps += d;
    }
    cross[c] += static_cast<double>(debacker_crossings(g, s, grid, everywhere));
    if (s.centreline.size() == 1) {
      const auto& a = s.centreline[0];
      q[static_cast<std::size_t>((a.x >= w / 2 ? 1 : 0) + (a.y >= h / 2 ? 2 : 0))] += 1;
      steps = 1;
    }
    for (std::size_t k = 0; k < 4; ++k) {
      quad[k][c] += steps > 0 ? q[k] / steps * s.length_px : 0.0;
    }
  }
  m.tvd_mm_per_mm2 = area_mm2 > 0 ? len * o.um_per_px * 1e-3 / area_mm2 : nan;
  m.ppv_percent = len > 0 ? 100 * perf_len / len : nan;
  m.pvd_mm_per_mm2 = len > 0 ? m.tvd_mm_per_mm2 * m.ppv_percent / 100 : 0.0;
  m.mfi_vessel = m.vessels > 0 ? cls_sum / static_cast<double>(m.vessels) : nan;
  double qsum = 0;
  int qn = 0;
  for (const auto& qc : quad) {
    std::size_t best = 0;
    double best_len = 0;
    for (std::size_t c = 0; c < 4; ++c) {
      if (qc[c] > best_len) {  // ties keep the lower class
        best_len = qc[c];
        best = c;
      }
    }
    if (best_len > 0) {
      qsum += static_cast<double>(best);
      ++qn;
    }
  }
  m.mfi_quadrant = qn > 0 ? qsum / qn : nan;
  const double n_cross = cross[0] + cross[1] + cross[2] + cross[3];
  m.crossings = static_cast<std::ptrdiff_t>(n_cross);
  const double line_mm = 3 * (w + h) * o.um_per_px * 1e-3;
  m.ppv_count_percent = n_cross > 0 ? 100 * (cross[2] + cross[3]) / n_cross : nan;
  m.debacker_per_mm = line_mm > 0 ? n_cross / line_mm : nan;
  m.pvd_count_per_mm = line_mm > 0 ? (cross[2] + cross[3]) / line_mm : nan;
  return m;
}

}  // namespace detail

/// Site metrics of graph `g` with `classes[i]` the flow class of g.segments[i].
/// Throws vasostat::invalid_argument if classes.size() != g.segments.size(), a class is not
/// 0..3, the graph has no area, or um_per_px / small_vessel_um are not > 0.
[[nodiscard]] inline perfusion_result perfusion(const graph& g, std::span<const flow_class> classes,
                                                const perfusion_options& o = {}) {
  const char* where = "vasostat::vessel::perfusion";
  VASOSTAT_EXPECTS(classes.size() == g.segments.size(),
                   std::string(where) + ": classes has " + std::to_string(classes.size()) +
                       " entries for " + std::to_string(g.segments.size()) + " segments");
  for (auto c : classes) {
    VASOSTAT_EXPECTS(static_cast<int>(c) <= 3, std::string(where) + ": classes has a value outside 0..3");
  }
  VASOSTAT_EXPECTS(g.width > 0 && g.height > 0, std::string(where) + ": graph has no image size");
  VASOSTAT_EXPECTS(std::isfinite(o.um_per_px) && o.um_per_px > 0,
                   std::string(where) + ": um_per_px must be finite and > 0");
  VASOSTAT_EXPECTS(std::isfinite(o.small_vessel_um) && o.small_vessel_um > 0,
                   std::string(where) + ": small_vessel_um must be finite and > 0");
  for (const auto& s : g.segments) {
    for (const auto& p : s.centreline) {
      VASOSTAT_EXPECTS(p.x >= 0 && p.y >= 0 && p.x < g.width && p.y < g.height,
                       std::string(where) + ": a segment lies outside the frame");
    }
  }
  return {detail::perfusion_group(g, classes, o, false), detail::perfusion_group(g, classes, o, true)};
}

/// Heterogeneity index across the sites of one subject and time point.
struct heterogeneity {
  double value = std::numeric_limits<double>::quiet_NaN();  ///< (max - min) / mean
  bool defined = false;  ///< false (value NaN) with fewer than 2 sites or a mean of 0
};

/// (max - min) / mean of `site_values` (e.g. the site MFIs). Throws vasostat::invalid_argument
/// for a NaN or negative value.
[[nodiscard]] inline heterogeneity heterogeneity_index(std::span<const double> site_values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  for (double v : site_values) {
    VASOSTAT_EXPECTS(std::isfinite(v) && v >= 0,
                     "vasostat::vessel::heterogeneity_index: site_values has a NaN, infinite or "
                     "negative value");
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  heterogeneity r;
  if (site_values.size() < 2 || !(sum > 0)) {
    return r;
  }
  r.value = (hi - lo) / (sum / static_cast<double>(site_values.size()));
  r.defined = true;
  return r;
}

}  // namespace vasostat::inline v0::vessel
