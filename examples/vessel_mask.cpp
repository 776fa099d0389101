// vessel_mask: a vessel mask (PGM/PBM) -> skeleton, vessel graph, lengths, diameters and the
// consensus densities, plus an overlay image (PPM) a person can look at.
//
//   vessel_mask [mask.pgm|mask.pbm] [um_per_px] [overlay.ppm]
//
// Non-zero pixels are vessel. Without a mask it renders a small network of its own (tubes of
// known width) so that it runs anywhere. I/O lives here: the library itself reads no files.
#include <vasostat/vessel.hpp>

#include "support/netpbm.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using vasostat::image;

/// A small network: a wavy main vessel (20 px), two branches (9 and 5 px) and a crossing capillary.
image<std::uint8_t> render_network(std::ptrdiff_t w, std::ptrdiff_t h) {
  image<std::uint8_t> mask(w, h, 0);
  auto tube = [&](auto centre, double radius, int steps) {
    for (int s = 0; s <= steps; ++s) {
      const auto [cx, cy] = centre(static_cast<double>(s) / steps);
      const auto r = static_cast<std::ptrdiff_t>(std::ceil(radius));
      for (std::ptrdiff_t y = static_cast<std::ptrdiff_t>(cy) - r - 1; y <= static_cast<std::ptrdiff_t>(cy) + r + 1; ++y) {
        for (std::ptrdiff_t x = static_cast<std::ptrdiff_t>(cx) - r - 1; x <= static_cast<std::ptrdiff_t>(cx) + r + 1; ++x) {
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy;
          if (dx * dx + dy * dy <= radius * radius) mask(x, y) = 1;
        }
      }
    }
  };
  const double W = static_cast<double>(w), H = static_cast<double>(h);
  tube([&](double t) { return std::pair{20 + t * (W - 40), H / 2 + 40 * std::sin(6 * t)}; }, 10, 4000);
  tube([&](double t) { return std::pair{W * 0.3 + t * W * 0.2, H / 2 + 40 * std::sin(1.8) - t * H * 0.4}; }, 4.5, 2000);
  tube([&](double t) { return std::pair{W * 0.65 + t * W * 0.15, H / 2 + 40 * std::sin(3.9) + t * H * 0.4}; }, 2.5, 2000);
  tube([&](double t) { return std::pair{W * 0.85 + 30 * std::sin(4 * t), 15 + t * (H - 30)}; }, 2.5, 3000);
  return mask;
}

/// Overlay: mask grey, centrelines coloured by diameter class, junctions red, free ends blue.
bool write_overlay(const char* path, const image<std::uint8_t>& mask, const vasostat::vessel::mask_analysis& a,
                   double um_per_px, double small_vessel_um) {
  const std::ptrdiff_t w = mask.width(), h = mask.height();
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w * h * 3), 255);
  auto put = [&](std::ptrdiff_t x, std::ptrdiff_t y, unsigned char r, unsigned char g, unsigned char b) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const auto i = static_cast<std::size_t>((y * w + x) * 3);
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  };
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      if (mask(x, y) != 0) put(x, y, 200, 200, 200);
    }
  }
  for (const auto& s : a.vessels.segments) {
    const bool small = s.diameter_px * um_per_px < small_vessel_um;
    for (const auto& p : s.centreline) {
      if (small) put(p.x, p.y, 0, 150, 0);  // small vessels: green
      else put(p.x, p.y, 230, 120, 0);       // larger vessels: orange
    }
  }
  for (const auto& n : a.vessels.nodes) {
    for (int dy = -2; dy <= 2; ++dy) {
      for (int dx = -2; dx <= 2; ++dx) {
        if (n.kind == vasostat::vessel::node_kind::junction) put(n.position.x + dx, n.position.y + dy, 220, 0, 0);
        else put(n.position.x + dx, n.position.y + dy, 0, 0, 220);
      }
    }
  }
  return vasostat_examples::write_netpbm(path, w, h, rgb, true);
}

}  // namespace

int main(int argc, char** argv) {
  namespace vs = vasostat::vessel;
  const double um_per_px = argc > 2 ? std::atof(argv[2]) : 1.5;  // MicroScan-like default
  const char* overlay_path = argc > 3 ? argv[3] : "vessel_mask_overlay.ppm";
  image<std::uint8_t> mask;
  if (argc > 1) {
    const auto grey = vasostat_examples::read_netpbm(argv[1]);
    mask = image<std::uint8_t>(grey.pixels.width(), grey.pixels.height(), 0);
    for (std::ptrdiff_t y = 0; y < mask.height(); ++y) {
      for (std::ptrdiff_t x = 0; x < mask.width(); ++x) mask(x, y) = grey.pixels(x, y) != 0 ? 1 : 0;
    }
    if (mask.empty()) {
      std::fprintf(stderr, "vessel_mask: cannot read %s as a PGM/PBM image\n", argv[1]);
      return 1;
    }
    std::printf("mask %s: %td x %td px, %.3f um/px\n", argv[1], mask.width(), mask.height(), um_per_px);
  } else {
    mask = render_network(640, 480);
    std::printf("no mask given: a rendered network, 640 x 480 px, %.3f um/px "
                "(tube diameters 21, 10 and 6 px)\n", um_per_px);
  }
  const vs::analyze_options options{.density = {.um_per_px = um_per_px}};
  vs::mask_analysis a;
  try {
    a = vs::analyze_mask(mask, options);
  } catch (const vasostat::invalid_argument& e) {
    std::fprintf(stderr, "vessel_mask: %s\n", e.what());
    return 1;
  }
  const auto& m = a.metrics;
  std::printf("\n  segments %zu, nodes %zu\n", a.vessels.segments.size(), a.vessels.nodes.size());
  std::printf("  total vessel length      %10.1f um\n", m.total_length_um);
  std::printf("  small vessels (<%2.0f um)   %10.1f um\n", options.density.small_vessel_um, m.small_length_um);
  std::printf("  area                     %10.4f mm2\n", m.area_mm2);
  std::printf("  TVD                      %10.2f mm/mm2\n", m.tvd_mm_per_mm2);
  std::printf("  small-vessel TVD         %10.2f mm/mm2\n", m.small_tvd_mm_per_mm2);
  std::printf("  De Backer score          %10.2f /mm (%lld crossings)\n", m.de_backer_per_mm,
              static_cast<long long>(m.crossings));
  std::printf("\n  longest segments:   length (um)   diameter (um)   border\n");
  std::vector<const vs::segment*> order;
  for (const auto& s : a.vessels.segments) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](auto* p, auto* q) { return p->length_px > q->length_px; });
  for (std::size_t i = 0; i < std::min<std::size_t>(order.size(), 8); ++i) {
    std::printf("                     %11.1f   %13.1f   %s\n", order[i]->length_px * um_per_px,
                order[i]->diameter_px * um_per_px, order[i]->touches_border ? "yes" : "no");
  }
  if (write_overlay(overlay_path, mask, a, um_per_px, options.density.small_vessel_um)) {
    std::printf("\n  overlay written to %s (grey: mask; green/orange: centrelines of small/larger "
                "vessels; red: junctions; blue: free ends)\n", overlay_path);
  } else {
    std::printf("\n  could not write %s\n", overlay_path);
  }
  return 0;
}
