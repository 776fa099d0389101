#pragma once
// Netpbm I/O for the examples (the library itself reads and writes no files): P1/P2/P4/P5 in,
// 8- or 16-bit grey values kept as they are; P5 (grey) and P6 (colour) out.

#include <vasostat/core/image.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace vasostat_examples {

/// A grey image as read: 8-bit values in `pixels` when maxval <= 255, else 16-bit (`wide`).
struct grey_image {
  vasostat::image<std::uint16_t> pixels;
  long maxval = 0;
  bool wide() const { return maxval > 255; }
};

/// Reads P1/P2 (text) and P4/P5 (binary) images with maxval <= 65535. PBM: 1 (black) -> 1.
/// Returns an empty image on any failure.
inline grey_image read_netpbm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  if (!(in >> magic) || magic.size() != 2 || magic[0] != 'P' || magic[1] < '1' || magic[1] > '5' ||
      magic[1] == '3') {
    return {};
  }
  auto next_number = [&](long& v) {
    in >> std::ws;
    while (in.peek() == '#') {
      std::string comment;
      std::getline(in, comment);
      in >> std::ws;
    }
    return static_cast<bool>(in >> v);
  };
  long w = 0, h = 0, maxval = 1;
  if (!next_number(w) || !next_number(h) || w <= 0 || h <= 0 || w > 100000 || h > 100000) {
    return {};
  }
  const bool bitmap = magic[1] == '1' || magic[1] == '4';
  if (!bitmap && (!next_number(maxval) || maxval <= 0 || maxval > 65535)) {
    return {};
  }
  grey_image out{vasostat::image<std::uint16_t>(w, h, 0), maxval};
  auto& img = out.pixels;
  if (magic[1] == '1' || magic[1] == '2') {
    for (long y = 0; y < h; ++y) {
      for (long x = 0; x < w; ++x) {
        long v = 0;
        if (!next_number(v) || v < 0 || v > maxval) return {};
        img(x, y) = static_cast<std::uint16_t>(v);
      }
    }
    return out;
  }
  in.get();  // the single whitespace after the header
  if (magic[1] == '4') {
    std::vector<unsigned char> row(static_cast<std::size_t>((w + 7) / 8));
    for (long y = 0; y < h; ++y) {
      if (!in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(row.size()))) return {};
      for (long x = 0; x < w; ++x) img(x, y) = (row[static_cast<std::size_t>(x / 8)] >> (7 - x % 8)) & 1;
    }
    return out;
  }
  const long bytes = maxval > 255 ? 2 : 1;
  std::vector<unsigned char> row(static_cast<std::size_t>(w * bytes));
  for (long y = 0; y < h; ++y) {
    if (!in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(row.size()))) return {};
    for (long x = 0; x < w; ++x) {
      const auto i = static_cast<std::size_t>(x * bytes);
      img(x, y) = static_cast<std::uint16_t>(bytes == 2 ? (row[i] << 8u) | row[i + 1] : row[i]);
    }
  }
  return out;
}

/// Writes 8-bit grey (P5, 1 byte per pixel) or RGB (P6, 3 bytes per pixel) rows.
inline bool write_netpbm(const std::string& path, std::ptrdiff_t w, std::ptrdiff_t h,
                         const std::vector<unsigned char>& bytes, bool rgb) {
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) return false;
  std::fprintf(out, "%s\n%td %td\n255\n", rgb ? "P6" : "P5", w, h);
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  return std::fclose(out) == 0 && ok;
}

}  // namespace vasostat_examples
