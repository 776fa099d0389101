// libFuzzer harness for the vessel video front doors (vesselness, segment_mask, stabilize,
// mean_image, space_time, velocity, quality, analyze_clip) over 8-bit, 16-bit and float frames.
// Not part of the CMake test glob; built and run by .ci/run with Debian's clang:
//   clang++ -std=c++20 -O1 -g1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
//     -I include tests/vessel/fuzz/video_fuzzer.cpp -o video_fuzzer
//   ./video_fuzzer -max_total_time=60 -max_len=20000
// Input layout: byte 0 pixel type and option bits, byte 1 width (0–47), byte 2 height (0–47),
// byte 3 extra stride (0–7), byte 4 frames (0–5), bytes 5–11 calibration, scales and a
// centreline, then the pixels of every frame in turn (missing ones are 0). Float pixels are
// int16 / 8 (a bounded range: the docs assume |value| < 1e15) or, for two codes, NaN and Inf.
// Every call must succeed or throw vasostat::invalid_argument; the sanitizers catch the rest.

#include <vasostat/vessel/clip_analysis.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

namespace {

namespace vs = vasostat::vessel;

template <class T>
T pixel_from(const std::uint8_t* p) {
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    return p[0];
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
  } else {
    const auto v = static_cast<std::int16_t>(p[0] | (p[1] << 8));
    if (v == std::numeric_limits<std::int16_t>::min()) return std::numeric_limits<float>::quiet_NaN();
    if (v == std::numeric_limits<std::int16_t>::max()) return std::numeric_limits<float>::infinity();
    return static_cast<float>(v) / 8.0f;
  }
}

template <class T>
void run(const std::uint8_t* data, std::size_t size) {
  const unsigned bits = data[0];
  const std::ptrdiff_t w = data[1] % 48, h = data[2] % 48, stride = w + data[3] % 8;
  const std::size_t n_frames = data[4] % 6;
  const std::size_t bytes = std::is_same_v<T, std::uint8_t> ? 1 : 2;
  const std::size_t frame_len = static_cast<std::size_t>(stride * h) + 1;
  std::vector<std::vector<T>> store(n_frames, std::vector<T>(frame_len, T{}));
  std::size_t at = 12;
  for (auto& f : store) {
    for (auto& v : f) {
      if (at + bytes > size) break;
      v = pixel_from<T>(data + at);
      at += bytes;
    }
  }
  std::vector<vasostat::image_view<const T>> frames;
  for (const auto& f : store) frames.emplace_back(f.data(), w, h, stride);
  const vs::calibration cal{.um_per_px = data[5] == 0 ? 0.0 : data[5] / 32.0, .fps = data[6] == 255 ? NAN : data[6] / 4.0};
  const vs::clip<T> clip{frames, cal};
  try {
    vs::analyze_clip_options o;
    o.stabilize = (bits & 4U) != 0;
    o.follow_vessels = (bits & 8U) != 0;
    o.vesselness.scales_um = {data[7] / 16.0 + 0.5, data[7] / 8.0 + 1.0};
    const auto a = vs::analyze_clip(clip, o);
    (void)a;
  } catch (const vasostat::invalid_argument&) {
  }
  if (n_frames > 0) {
    try {  // a centreline of two or three points, possibly outside the frame
      const std::vector<vs::centreline_point> line = {{static_cast<float>(data[8] % 64) - 4, static_cast<float>(data[9] % 64) - 4},
                                                      {static_cast<float>(data[10] % 64) - 4, static_cast<float>(data[11] % 64) - 4}};
      const auto d = vs::space_time(clip, std::span<const vs::centreline_point>(line));
      (void)vs::velocity(d);
    } catch (const vasostat::invalid_argument&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 12) return 0;
  switch (data[0] % 3) {
    case 0: run<std::uint8_t>(data, size); break;
    case 1: run<std::uint16_t>(data, size); break;
    default: run<float>(data, size); break;
  }
  return 0;
}
