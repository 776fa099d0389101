// libFuzzer harness for the vessel geometry front doors (skeletonize, distance_transform, trace,
// density, analyze_mask). Not part of the CMake test glob; build and run with Debian's clang:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
//     -I include -isystem /usr/include tests/vessel/fuzz/geometry_fuzzer.cpp -o geometry_fuzzer
//   ./geometry_fuzzer -max_total_time=60 -max_len=6000
// Input layout: byte 0 width (0–63), byte 1 height (0–63), byte 2 extra stride (0–7), byte 3
// option bits, bytes 4–11 calibration/option seeds, then the pixels (missing ones are 0).

#include <vasostat/vessel/analyze.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace vs = vasostat::vessel;
  if (size < 12) {
    return 0;
  }
  const std::ptrdiff_t w = data[0] % 64, h = data[1] % 64, stride = w + data[2] % 8;
  const unsigned bits = data[3];
  std::vector<std::uint8_t> buf(static_cast<std::size_t>(stride * h + 1), 0);
  const std::size_t n = std::min(buf.size(), size - 12);
  if (n > 0) {
    std::memcpy(buf.data(), data + 12, n);
  }
  const vasostat::image_view<const std::uint8_t> mask(buf.data(), w, h, stride);
  vasostat::image<std::uint8_t> roi(w, h, 0);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      roi(x, y) = static_cast<std::uint8_t>((mask(x, y) >> 3) & 1U);
    }
  }
  vs::analyze_options opt;
  opt.skeleton.method = (bits & 1U) != 0 ? vs::thinning::guo_hall : vs::thinning::zhang_suen;
  opt.trace.prune_spurs = (bits & 2U) != 0;
  opt.trace.min_spur_length_px = data[4] / 8.0 - 2.0;
  opt.trace.spur_radius_factor = data[5] / 32.0 - 1.0;
  opt.trace.smoothing_half_window = data[6] % 72 - 4;
  opt.density.um_per_px = (data[7] == 0) ? 0.0 : data[7] / 16.0;
  opt.density.um_per_px_y = (bits & 4U) != 0 ? data[8] / 16.0 : 0.0;
  opt.density.small_vessel_um = data[9] / 4.0 - 1.0;
  if ((bits & 8U) != 0) {
    opt.density.roi = roi.view();
  }
  try {
    const vs::mask_analysis a = vs::analyze_mask(mask, opt);
    if (!std::isfinite(a.metrics.tvd_mm_per_mm2) || !std::isfinite(a.metrics.de_backer_per_mm)) {
      __builtin_trap();
    }
  } catch (const vasostat::invalid_argument&) {
  }
  return 0;
}
