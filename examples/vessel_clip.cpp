// vessel_clip: a sublingual microscope clip -> vasostat's whole video chain (stabilise, mean
// image, vesselness, mask, vessel graph, space-time diagrams, red-cell velocity, flow classes,
// TVD / PVD / PPV / MFI, quality) -> the per-vessel table, the site metrics, an annotated image
// and the space-time diagram of the longest vessel.
//
//   vessel_clip                                    a rendered site with known truth
//   vessel_clip FRAMES_DIR [um_per_px] [fps]       every *.pgm in FRAMES_DIR, in name order
//   vessel_clip CLIP.raw WxH [um_per_px] [fps]     8-bit frames of W x H pixels, back to back
//
// Outputs go to the current directory: vessel_clip_annotated.ppm (mean image, centrelines
// coloured by flow class, junctions) and vessel_clip_space_time.pgm. I/O lives here only.

#include <vasostat/vessel.hpp>

#include "support/netpbm.hpp"
#include "support/synthetic_site.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace vs = vasostat::vessel;
using vasostat::image;

struct loaded_clip {
  std::vector<image<std::uint8_t>> frames8;
  std::vector<image<std::uint16_t>> frames16;
  std::string error;
};

loaded_clip read_pgm_folder(const std::filesystem::path& dir) {
  loaded_clip out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".pgm") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    out.error = "no .pgm files in " + dir.string();
    return out;
  }
  bool wide = false;
  std::vector<vasostat_examples::grey_image> grey;
  for (const auto& f : files) {
    grey.push_back(vasostat_examples::read_netpbm(f.string()));
    if (grey.back().pixels.empty()) {
      out.error = "cannot read " + f.string() + " as a PGM image";
      return out;
    }
    wide = wide || grey.back().wide();
  }
  for (const auto& g : grey) {  // 16-bit if any frame is; the library checks the sizes
    const auto w = g.pixels.width(), h = g.pixels.height();
    if (wide) {
      out.frames16.push_back(g.pixels);
      continue;
    }
    image<std::uint8_t> f(w, h);
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) f(x, y) = static_cast<std::uint8_t>(g.pixels(x, y));
    }
    out.frames8.push_back(std::move(f));
  }
  return out;
}

loaded_clip read_raw(const std::string& path, std::ptrdiff_t w, std::ptrdiff_t h) {
  loaded_clip out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.error = "cannot open " + path;
    return out;
  }
  std::vector<char> row(static_cast<std::size_t>(w));
  for (;;) {
    image<std::uint8_t> f(w, h);
    std::ptrdiff_t y = 0;
    for (; y < h && in.read(row.data(), w); ++y) {
      std::copy(row.begin(), row.end(), reinterpret_cast<char*>(f.view().row(y)));
    }
    if (y == 0) break;
    if (y < h) {
      out.error = path + " ends inside a frame: its size is not a multiple of " + std::to_string(w * h);
      return out;
    }
    out.frames8.push_back(std::move(f));
  }
  if (out.frames8.empty()) out.error = path + " holds no frame";
  return out;
}

/// Mean image in grey, centrelines coloured by flow class, junctions white.
bool write_annotated(const std::string& path, const vs::clip_analysis& a) {
  const auto& mean = a.mean.mean;
  const std::ptrdiff_t w = mean.width(), h = mean.height();
  float lo = mean(0, 0), hi = mean(0, 0);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      lo = std::min(lo, mean(x, y));
      hi = std::max(hi, mean(x, y));
    }
  }
  const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  std::vector<unsigned char> rgb(static_cast<std::size_t>(w * h * 3));
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      const auto v = static_cast<unsigned char>(std::lround((mean(x, y) - lo) * scale * 0.8f));
      const auto i = static_cast<std::size_t>((y * w + x) * 3);
      rgb[i] = rgb[i + 1] = rgb[i + 2] = v;
    }
  }
  auto put = [&](std::ptrdiff_t x, std::ptrdiff_t y, const unsigned char (&c)[3]) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const auto i = static_cast<std::size_t>((y * w + x) * 3);
    std::copy(c, c + 3, rgb.begin() + static_cast<std::ptrdiff_t>(i));
  };
  // consensus classes 0..3: no flow red, intermittent orange, sluggish yellow, continuous green
  const unsigned char colour[4][3] = {{230, 30, 30}, {255, 140, 0}, {240, 230, 40}, {40, 200, 60}};
  for (std::size_t s = 0; s < a.vessels.segments.size(); ++s) {
    const auto cls = static_cast<int>(a.segments[s].flow.cls);
    for (const auto& p : a.vessels.segments[s].centreline) put(p.x, p.y, colour[cls]);
  }
  const unsigned char white[3] = {255, 255, 255};
  for (const auto& n : a.vessels.nodes) {
    if (n.kind != vs::node_kind::junction) continue;
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) put(n.position.x + dx, n.position.y + dy, white);
    }
  }
  return vasostat_examples::write_netpbm(path, w, h, rgb, true);
}

/// The diagram rescaled to 0..255 (rows = frames, columns = positions along the vessel).
bool write_diagram(const std::string& path, const vs::space_time_diagram& d) {
  const auto& v = d.values;
  float lo = 0, hi = 0;
  for (std::ptrdiff_t y = 0; y < v.height(); ++y) {
    for (std::ptrdiff_t x = 0; x < v.width(); ++x) {
      lo = std::min(lo, v(x, y));
      hi = std::max(hi, v(x, y));
    }
  }
  const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  std::vector<unsigned char> grey;
  for (std::ptrdiff_t y = 0; y < v.height(); ++y) {
    for (std::ptrdiff_t x = 0; x < v.width(); ++x) grey.push_back(static_cast<unsigned char>(std::lround((v(x, y) - lo) * scale)));
  }
  return vasostat_examples::write_netpbm(path, v.width(), v.height(), grey, false);
}

template <class T>
int analyse(const std::vector<image<T>>& frames, vs::calibration cal) {
  std::vector<vasostat::image_view<const T>> views(frames.begin(), frames.end());
  const vs::clip<T> clip{views, cal};
  vs::clip_analysis a;
  try {
    a = vs::analyze_clip(clip);
  } catch (const vasostat::invalid_argument& e) {
    std::fprintf(stderr, "vessel_clip: %s\n", e.what());
    return 1;
  }
  std::printf("Stabilisation: largest displacement %.1f px (%.1f%% of the field of view)\n",
              a.stabilization.max_displacement_px, 100 * a.stabilization.max_fraction_of_fov);
  std::printf("\n  %-8s %10s %10s %12s %6s %10s\n", "segment", "length um", "width um", "speed um/s", "class",
              "v_max um/s");
  std::size_t longest = 0;
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const auto& s = a.segments[i];
    if (s.length_um > a.segments[longest].length_um) longest = i;
    if (s.length_um < 60) continue;  // short pieces between junctions: in the result, not printed
    std::printf("  %-8zu %10.0f %10.1f %12.0f %6d %10.0f%s\n", i, s.length_um, s.diameter_um,
                std::abs(s.flow.velocity_um_s), static_cast<int>(s.flow.cls), s.velocity.v_max_um_s,
                s.flow.saturated ? "  (saturated)" : "");
  }
  const auto& p = a.perfusion;
  std::printf("\nSite metrics       all vessels   small (< 20 um)\n");
  std::printf("  TVD mm/mm2       %11.2f   %15.2f\n", p.all.tvd_mm_per_mm2, p.small.tvd_mm_per_mm2);
  std::printf("  PVD mm/mm2       %11.2f   %15.2f\n", p.all.pvd_mm_per_mm2, p.small.pvd_mm_per_mm2);
  std::printf("  PPV %%            %11.1f   %15.1f\n", p.all.ppv_percent, p.small.ppv_percent);
  std::printf("  MFI (quadrants)  %11.2f   %15.2f\n", p.all.mfi_quadrant, p.small.mfi_quadrant);
  std::printf("  De Backer /mm    %11.2f\n", a.density.de_backer_per_mm);
  const auto& q = a.quality;
  std::printf("Quality (MIQS-like, 0 optimal, 1 acceptable, 10 not): duration %d, illumination %d, focus %d, "
              "stability %d, content %d, pressure %d -> total %d, %s%s%s%s\n",
              q.duration.score, q.illumination.score, q.focus.score, q.stability.score, q.content.score,
              q.pressure.score, q.total, q.acceptable ? "acceptable" : "NOT acceptable",
              q.black ? ", black" : "", q.saturated ? ", saturated" : "", q.constant ? ", constant" : "");
  const bool annotated = write_annotated("vessel_clip_annotated.ppm", a);
  bool diagram = false;
  if (!a.vessels.segments.empty() && a.vessels.segments[longest].centreline.size() >= 2) {
    vs::space_time_options so;
    so.offsets = a.stabilization.offsets;
    so.frame_gain = a.mean.gain;
    diagram = write_diagram("vessel_clip_space_time.pgm", vs::space_time(clip, a.vessels.segments[longest], so));
  }
  std::printf("\n%s vessel_clip_annotated.ppm (mean image; centrelines red = no flow, orange = intermittent, "
              "yellow = sluggish, green = continuous; white = junctions)\n",
              annotated ? "wrote" : "could not write");
  std::printf("%s vessel_clip_space_time.pgm (segment %zu: rows = frames, columns = positions; red-cell "
              "streaks slope with the speed)\n", diagram ? "wrote" : "could not write", longest);
  return 0;
}

int synthetic() {
  const vs::calibration cal{.um_per_px = 1.2, .fps = 25};
  vasostat::random_generator rng(2025);
  const double p_flow[4] = {0.15, 0.15, 0.2, 0.5};  // stopped, stop-and-go, sluggish, continuous
  const auto site = vasostat_examples::random_site(400, 300, 6, p_flow, rng);
  const auto frames = vasostat_examples::render_clip(site, cal, 75, 4, rng);
  std::printf("No clip given: a rendered site, 400 x 300 px, 75 frames at %.0f fps, %.1f um/px, hand-held "
              "jitter up to ±4 px.\nRendered vessels (each crosses the field):\n", cal.fps, cal.um_per_px);
  const char* names[] = {"stopped (class 0)", "stop-and-go (class 1)", "sluggish (class 2)", "continuous (class 3)"};
  for (const auto& v : site.vessels) {
    std::printf("  lumen %4.1f um, %-22s %5.0f um/s while moving\n", 2 * v.radius_px * cal.um_per_px,
                names[static_cast<int>(v.flow)], v.flow == vasostat_examples::rendered_flow::stopped ? 0.0 : v.speed_um_s);
  }
  const auto t = vasostat_examples::truth(site);
  std::printf("Truth: TVD %.2f mm/mm2, PPV %.1f %% (length-weighted)\n\n",
              t.length_px / (400.0 * 300.0 * cal.um_per_px) * 1e3, 100 * t.perfused_fraction);
  return analyse(frames, cal);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return synthetic();
  const std::string input = argv[1];
  std::ptrdiff_t w = 0, h = 0;
  int next = 2;
  const bool raw = !std::filesystem::is_directory(input);
  if (raw) {
    if (argc < 3 || std::sscanf(argv[2], "%tdx%td", &w, &h) != 2 || w <= 0 || h <= 0) {
      std::fprintf(stderr, "usage: vessel_clip [FRAMES_DIR [um_per_px] [fps] | CLIP.raw WxH [um_per_px] [fps]]\n");
      return 2;
    }
    next = 3;
  }
  const vs::calibration cal{.um_per_px = argc > next ? std::atof(argv[next]) : 1.0,
                            .fps = argc > next + 1 ? std::atof(argv[next + 1]) : 25.0};
  const loaded_clip c = raw ? read_raw(input, w, h) : read_pgm_folder(input);
  if (!c.error.empty()) {
    std::fprintf(stderr, "vessel_clip: %s\n", c.error.c_str());
    return 1;
  }
  const std::size_t n = c.frames8.size() + c.frames16.size();
  const auto& first_w = c.frames8.empty() ? c.frames16[0].width() : c.frames8[0].width();
  const auto& first_h = c.frames8.empty() ? c.frames16[0].height() : c.frames8[0].height();
  std::printf("Clip %s: %zu frames of %td x %td px (%s), %.3f um/px, %.1f fps\n\n", input.c_str(), n, first_w,
              first_h, c.frames8.empty() ? "16-bit" : "8-bit", cal.um_per_px, cal.fps);
  return c.frames8.empty() ? analyse(c.frames16, cal) : analyse(c.frames8, cal);
}
