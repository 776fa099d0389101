#pragma once
// vessel::density: vessel density metrics of a traced vessel graph in physical units (De Backer
// et al., Crit Care 2007;11:R101; Ince et al., Intensive Care Med 2018;44:281–299): total and
// small-vessel vessel density TVD = Σ centreline length / analysed area (mm/mm²), and the De
// Backer score = vessels crossing 3 equidistant horizontal and 3 vertical lines / total line
// length (1/mm). Needs a calibration: without one no physical unit is returned (it throws).
// O(centreline pixels).

#include <vasostat/core/error.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/vessel/graph.hpp>
#include <vasostat/vessel/trace.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

struct density_options {
  double um_per_px = 0;           ///< calibration along x (columns), µm per pixel; required, in [1e-6, 1e6]
  double um_per_px_y = 0;         ///< along y (rows); 0 = same as um_per_px
  double small_vessel_um = 20;    ///< small vessels: diameter < this (De Backer 2007: 20 µm)
  /// Optional region of interest (non-zero = analysed), same size as the graph's image; an
  /// empty view (the default) analyses the whole image.
  image_view<const std::uint8_t> roi = {};
  /// Upper edges (µm) of the diameter classes of count_per_class / length_per_class_um; the
  /// last class is open (Hubble et al. 2009: 1–10, 11–20, 21–50 µm, > 50 µm).
  std::vector<double> class_edges_um = {10, 20, 50};
};

struct density_metrics {
  double total_length_um = 0;      ///< Σ centreline length inside the ROI
  double small_length_um = 0;      ///< ... of vessels with diameter < small_vessel_um
  double area_mm2 = 0;             ///< analysed area (ROI or whole image)
  double tvd_mm_per_mm2 = 0;       ///< total vessel density, mm/mm²
  double small_tvd_mm_per_mm2 = 0; ///< small-vessel density, mm/mm²
  double de_backer_per_mm = 0;     ///< crossings of the 6 grid lines / their length inside the ROI
  std::int64_t crossings = 0;      ///< crossings counted for the De Backer score
  double grid_line_length_mm = 0;  ///< length of the 6 grid lines inside the ROI
  std::int64_t vessel_count = 0;   ///< segments with centreline pixels inside the ROI
  std::int64_t small_vessel_count = 0;
  std::vector<std::int64_t> count_per_class;   ///< by diameter class (class_edges_um + 1 classes)
  std::vector<double> length_per_class_um;
};

namespace detail {

/// Centreline points of a segment for length and crossing purposes: the pixels, with the
/// centroid of a junction node added at that end (a view: nothing is copied).
class segment_points {
 public:
  segment_points(const graph& g, const segment& s) : g_(g), s_(s) {
    auto junction_at = [&](std::int32_t n) {
      return n >= 0 && static_cast<std::size_t>(n) < g.nodes.size() &&
             g.nodes[static_cast<std::size_t>(n)].kind == node_kind::junction;
    };
    first_ = !s.is_loop && junction_at(s.first_node) ? 1 : 0;
    last_ = !s.is_loop && junction_at(s.last_node) ? 1 : 0;
  }
  [[nodiscard]] std::ptrdiff_t size() const {
    return static_cast<std::ptrdiff_t>(s_.centreline.size()) + first_ + last_;
  }
  [[nodiscard]] std::array<double, 2> operator()(std::ptrdiff_t i) const {
    const auto m = static_cast<std::ptrdiff_t>(s_.centreline.size());
    if (i < first_) {
      const node& n = g_.nodes[static_cast<std::size_t>(s_.first_node)];
      return {n.x, n.y};
    }
    if (i - first_ >= m) {
      const node& n = g_.nodes[static_cast<std::size_t>(s_.last_node)];
      return {n.x, n.y};
    }
    const point& p = s_.centreline[static_cast<std::size_t>(i - first_)];
    return {static_cast<double>(p.x), static_cast<double>(p.y)};
  }

 private:
  const graph& g_;
  const segment& s_;
  std::ptrdiff_t first_ = 0, last_ = 0;
};

/// The De Backer grid of a width × height image: horizontal lines at y = -0.5 + k·height/4 and
/// vertical lines at x = -0.5 + k·width/4, k = 1, 2, 3 (pixel centres at integers).
struct debacker_grid {
  std::array<double, 3> y{};  ///< horizontal lines
  std::array<double, 3> x{};  ///< vertical lines
};

inline debacker_grid make_debacker_grid(std::ptrdiff_t width, std::ptrdiff_t height) {
  debacker_grid grid;
  for (int k = 0; k < 3; ++k) {
    grid.y[static_cast<std::size_t>(k)] = -0.5 + static_cast<double>(height) * (k + 1) / 4.0;
    grid.x[static_cast<std::size_t>(k)] = -0.5 + static_cast<double>(width) * (k + 1) / 4.0;
  }
  return grid;
}

/// The one De Backer crossing count of vasostat (vessel::density and vessel::perfusion both use
/// it): how many of the six grid lines segment `s` crosses, each line counted once per segment.
/// A line is crossed where consecutive centreline points (junction centroids included) lie on
/// opposite sides of it and at least one of the two is inside the region (`inside(x, y)`).
template <class Inside>
[[nodiscard]] int debacker_crossings(const graph& g, const segment& s, const debacker_grid& grid,
                                     const Inside& inside) {
  const segment_points pts(g, s);
  const std::ptrdiff_t n = pts.size();
  if (n == 0) {
    return 0;
  }
  const std::ptrdiff_t steps = s.is_loop ? n : n - 1;
  // Bounding box first: a line outside it is not crossed (most segments cross no line).
  std::array<double, 2> lo = pts(0), hi = lo;
  for (std::ptrdiff_t i = 1; i < n; ++i) {
    const std::array<double, 2> q = pts(i);
    lo = {std::min(lo[0], q[0]), std::min(lo[1], q[1])};
    hi = {std::max(hi[0], q[0]), std::max(hi[1], q[1])};
  }
  int crossings = 0;
  for (int axis = 0; axis < 2; ++axis) {
    const std::array<double, 3>& lines = axis == 0 ? grid.y : grid.x;
    const std::size_t coord = axis == 0 ? 1 : 0;
    for (double line : lines) {
      if ((lo[coord] < line) == (hi[coord] < line)) {
        continue;  // all points on one side
      }
      for (std::ptrdiff_t i = 0; i < steps; ++i) {
        const std::array<double, 2> a = pts(i), b = pts((i + 1) % n);
        if ((a[coord] < line) != (b[coord] < line) && (inside(a[0], a[1]) || inside(b[0], b[1]))) {
          ++crossings;
          break;
        }
      }
    }
  }
  return crossings;
}

/// The checks of density_options that do not depend on the graph (calibration, cut-off, class
/// edges). @throws vasostat::invalid_argument naming the option.
inline void check_density_options(const density_options& options, const char* where) {
  const double sx = options.um_per_px;
  const double sy = options.um_per_px_y == 0 ? options.um_per_px : options.um_per_px_y;
  // Calibrations outside [1e-6, 1e6] µm/px (1 pm to 1 m per pixel) are rejected as well: they
  // are unit mistakes, and they would overflow or underflow the areas.
  VASOSTAT_EXPECTS(std::isfinite(sx) && sx >= 1e-6 && sx <= 1e6,
                   std::string(where) + ": options.um_per_px (" + std::to_string(sx) +
                       ") must be a finite calibration in [1e-6, 1e6] µm per pixel");
  VASOSTAT_EXPECTS(std::isfinite(sy) && sy >= 1e-6 && sy <= 1e6,
                   std::string(where) + ": options.um_per_px_y (" + std::to_string(sy) +
                       ") must be finite and in [1e-6, 1e6] (or 0 for um_per_px)");
  VASOSTAT_EXPECTS(std::isfinite(options.small_vessel_um) && options.small_vessel_um > 0,
                   std::string(where) + ": options.small_vessel_um must be finite and > 0");
  for (std::size_t i = 0; i < options.class_edges_um.size(); ++i) {
    VASOSTAT_EXPECTS(std::isfinite(options.class_edges_um[i]) && options.class_edges_um[i] > 0 &&
                         (i == 0 || options.class_edges_um[i] > options.class_edges_um[i - 1]),
                     std::string(where) + ": options.class_edges_um must be finite, > 0 and increasing");
  }
}

}  // namespace detail

/// Density metrics of `g` (vessel::trace's output) with the calibration and ROI in `options`,
/// written into `r` (its vectors are reused: no allocation once they have the class count).
/// A segment's length counts in proportion to its centreline pixels inside the ROI; a vessel
/// is small when its diameter (across its chord direction, in µm) is below small_vessel_um.
/// De Backer grid: horizontal lines at y = -0.5 + k·height/4 and vertical lines at
/// x = -0.5 + k·width/4 (k = 1, 2, 3; pixel centres at integers); a segment crossing a line
/// (consecutive centreline points on opposite sides, inside the ROI) counts once per line.
/// @throws vasostat::invalid_argument naming `options.um_per_px` (≤ 0, NaN, Inf, outside
///         [1e-6, 1e6]), `um_per_px_y`,
///         `small_vessel_um`, `class_edges_um`, or `options.roi` (another size, no pixel inside).
inline void density(const graph& g, const density_options& options, density_metrics& r) {
  constexpr const char* where = "vasostat::vessel::density";
  detail::check_density_options(options, where);
  const double sx = options.um_per_px;
  const double sy = options.um_per_px_y == 0 ? options.um_per_px : options.um_per_px_y;
  VASOSTAT_EXPECTS(g.width >= 0 && g.height >= 0, std::string(where) + ": g has a negative size");
  const image_view<const std::uint8_t>& roi = options.roi;
  const bool has_roi = roi.data != nullptr || roi.width != 0 || roi.height != 0;
  std::int64_t roi_pixels = static_cast<std::int64_t>(g.width) * static_cast<std::int64_t>(g.height);
  if (has_roi) {
    vasostat::detail::check_image_view(roi, where, "options.roi");
    VASOSTAT_EXPECTS(roi.width == g.width && roi.height == g.height,
                     std::string(where) + ": options.roi (" + std::to_string(roi.width) + "x" +
                         std::to_string(roi.height) + ") differs in size from the graph's image (" +
                         std::to_string(g.width) + "x" + std::to_string(g.height) + ")");
    roi_pixels = 0;
    for (std::ptrdiff_t y = 0; y < roi.height; ++y) {
      for (std::ptrdiff_t x = 0; x < roi.width; ++x) {
        roi_pixels += roi(x, y) != 0 ? 1 : 0;
      }
    }
    VASOSTAT_EXPECTS(roi_pixels > 0, std::string(where) + ": options.roi is empty (no pixel inside)");
  }
  auto inside = [&](double x, double y) {
    const auto ix = static_cast<std::ptrdiff_t>(std::lround(x));
    const auto iy = static_cast<std::ptrdiff_t>(std::lround(y));
    if (ix < 0 || iy < 0 || ix >= g.width || iy >= g.height) {
      return false;
    }
    return !has_roi || roi(ix, iy) != 0;
  };

  const std::size_t classes = options.class_edges_um.size() + 1;
  r.total_length_um = 0;
  r.small_length_um = 0;
  r.tvd_mm_per_mm2 = 0;
  r.small_tvd_mm_per_mm2 = 0;
  r.de_backer_per_mm = 0;
  r.crossings = 0;
  r.vessel_count = 0;
  r.small_vessel_count = 0;
  r.count_per_class.assign(classes, 0);
  r.length_per_class_um.assign(classes, 0.0);
  r.area_mm2 = static_cast<double>(roi_pixels) * sx * sy * 1e-6;

  // Grid lines: positions and their length inside the ROI.
  const detail::debacker_grid grid = detail::make_debacker_grid(g.width, g.height);
  double line_um = 0;
  if (g.width > 0 && g.height > 0) {
    for (std::size_t k = 0; k < 3; ++k) {
      // A line between pixel rows counts the ROI pixels of the row just below it (the row whose
      // centre is nearest); on a pixel row, that row.
      const auto row = static_cast<std::ptrdiff_t>(std::ceil(grid.y[k]));
      const auto col = static_cast<std::ptrdiff_t>(std::ceil(grid.x[k]));
      for (std::ptrdiff_t x = 0; x < g.width; ++x) {
        line_um += inside(static_cast<double>(x), static_cast<double>(row)) ? sx : 0.0;
      }
      for (std::ptrdiff_t y = 0; y < g.height; ++y) {
        line_um += inside(static_cast<double>(col), static_cast<double>(y)) ? sy : 0.0;
      }
    }
  }
  r.grid_line_length_mm = line_um * 1e-3;

  for (const segment& s : g.segments) {
    if (s.centreline.empty()) {
      continue;
    }
    std::size_t in = 0;
    for (const point& p : s.centreline) {
      in += inside(p.x, p.y) ? 1 : 0;
    }
    if (in == 0) {
      continue;
    }
    const double fraction = static_cast<double>(in) / static_cast<double>(s.centreline.size());
    // Length in µm: the segment's length_px scaled by how the calibration stretches its
    // (smoothed) centreline; exact when um_per_px_y == um_per_px.
    double scale = sx;
    if (sx != sy) {
      const detail::segment_points pts(g, s);
      const double unit = detail::smoothed_length_of(pts.size(), pts, s.is_loop, 3, 1.0, 1.0);
      const double cal = detail::smoothed_length_of(pts.size(), pts, s.is_loop, 3, sx, sy);
      scale = unit > 0 ? cal / unit : std::sqrt(sx * sy);
    }
    const double length_um = s.length_px * scale * fraction;
    // Diameter in µm across the chord direction.
    double diameter_um = s.diameter_px * std::sqrt(sx * sy);
    if (sx != sy && !s.is_loop && s.centreline.size() > 1) {
      const double dx = s.centreline.back().x - s.centreline.front().x;
      const double dy = s.centreline.back().y - s.centreline.front().y;
      const double l = std::hypot(dx, dy);
      if (l > 0) {
        diameter_um = s.diameter_px * std::hypot(-dy / l * sx, dx / l * sy);
      }
    }
    r.total_length_um += length_um;
    ++r.vessel_count;
    if (diameter_um < options.small_vessel_um) {
      r.small_length_um += length_um;
      ++r.small_vessel_count;
    }
    std::size_t c = 0;
    while (c < options.class_edges_um.size() && diameter_um > options.class_edges_um[c]) {
      ++c;
    }
    ++r.count_per_class[c];
    r.length_per_class_um[c] += length_um;
    r.crossings += detail::debacker_crossings(g, s, grid, inside);
  }
  r.small_length_um = std::min(r.small_length_um, r.total_length_um);
  if (r.area_mm2 > 0) {
    r.tvd_mm_per_mm2 = r.total_length_um * 1e-3 / r.area_mm2;
    r.small_tvd_mm_per_mm2 = r.small_length_um * 1e-3 / r.area_mm2;
  }
  if (r.grid_line_length_mm > 0) {
    r.de_backer_per_mm = static_cast<double>(r.crossings) / r.grid_line_length_mm;
  }
}

/// Density metrics of `g` (see the overload writing into a density_metrics).
/// Example: `auto d = vasostat::vessel::density(g, {.um_per_px = 0.7});`
[[nodiscard]] inline density_metrics density(const graph& g, const density_options& options) {
  density_metrics r;
  density(g, options, r);
  return r;
}

}  // namespace vasostat::inline v0::vessel
