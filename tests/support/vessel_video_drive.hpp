#pragma once
// Reading the DRIVE test images (Netpbm, under VASOSTAT_DATA_DIR/drive, never in the repo),
// expanding the image beyond the circular field of view (so its rim is not a dark "vessel"
// edge), and scoring a mask against the first observer inside the field of view.

#include <vasostat/core/image.hpp>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace vasostat_test {

/// Reads a binary PGM (P5, 8-bit) or PBM (P4) into 0..255 (PBM: 1 -> 255). Empty on failure.
inline vasostat::image<std::uint8_t> read_netpbm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  vasostat::image<std::uint8_t> img;
  std::string magic;
  if (!(in >> magic) || (magic != "P5" && magic != "P4")) {
    return img;
  }
  auto next_int = [&in]() {
    int v = 0;
    in >> std::ws;
    while (in.peek() == '#') {
      std::string line;
      std::getline(in, line);
      in >> std::ws;
    }
    in >> v;
    return v;
  };
  const int w = next_int(), h = next_int();
  const int maxv = magic == "P5" ? next_int() : 1;
  in.get();
  if (w <= 0 || h <= 0 || maxv != (magic == "P5" ? 255 : 1)) {
    return img;
  }
  img.resize(w, h);
  if (magic == "P5") {
    for (int y = 0; y < h; ++y) {
      in.read(reinterpret_cast<char*>(img.row(y)), w);
    }
  } else {
    std::vector<unsigned char> row(static_cast<std::size_t>((w + 7) / 8));
    for (int y = 0; y < h; ++y) {
      in.read(reinterpret_cast<char*>(row.data()), static_cast<std::streamsize>(row.size()));
      for (int x = 0; x < w; ++x) {
        img(x, y) = (row[static_cast<std::size_t>(x / 8)] >> (7 - x % 8)) & 1 ? 255 : 0;
      }
    }
  }
  if (!in) {
    img.resize(0, 0);
  }
  return img;
}

/// Replaces pixels outside the FOV by the mean of their already-known 4-neighbours, ring by
/// ring (Soares et al. 2006's FOV expansion), so filters see no artificial rim.
inline vasostat::image<float> expand_fov(const vasostat::image<std::uint8_t>& grey,
                                         const vasostat::image<std::uint8_t>& fov) {
  const auto w = grey.width(), h = grey.height();
  vasostat::image<float> out(w, h, 0.0f);
  std::vector<std::uint8_t> known(static_cast<std::size_t>(w * h));
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      known[static_cast<std::size_t>(y * w + x)] = fov(x, y) != 0;
      out(x, y) = grey(x, y);
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<std::uint8_t> next = known;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        if (known[static_cast<std::size_t>(y * w + x)]) {
          continue;
        }
        float sum = 0;
        int n = 0;
        const std::ptrdiff_t nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
        for (int k = 0; k < 4; ++k) {
          if (nx[k] >= 0 && nx[k] < w && ny[k] >= 0 && ny[k] < h &&
              known[static_cast<std::size_t>(ny[k] * w + nx[k])]) {
            sum += out(nx[k], ny[k]);
            ++n;
          }
        }
        if (n > 0) {
          out(x, y) = sum / static_cast<float>(n);
          next[static_cast<std::size_t>(y * w + x)] = 1;
          changed = true;
        }
      }
    }
    known.swap(next);
  }
  return out;
}

struct segmentation_scores {
  double accuracy = 0, sensitivity = 0, specificity = 0, f1 = 0;
};

/// Pixel scores of `mask` against `truth`, inside `fov` only (all non-zero = 1).
inline segmentation_scores score_mask(const vasostat::image<std::uint8_t>& mask,
                                      const vasostat::image<std::uint8_t>& truth,
                                      const vasostat::image<std::uint8_t>& fov) {
  double tp = 0, tn = 0, fp = 0, fn = 0;
  for (std::ptrdiff_t y = 0; y < fov.height(); ++y) {
    for (std::ptrdiff_t x = 0; x < fov.width(); ++x) {
      if (fov(x, y) == 0) {
        continue;
      }
      const bool m = mask(x, y) != 0, t = truth(x, y) != 0;
      tp += m && t;
      tn += !m && !t;
      fp += m && !t;
      fn += !m && t;
    }
  }
  segmentation_scores s;
  s.accuracy = (tp + tn) / (tp + tn + fp + fn);
  s.sensitivity = tp / (tp + fn);
  s.specificity = tn / (tn + fp);
  s.f1 = 2 * tp / (2 * tp + fp + fn);
  return s;
}

}  // namespace vasostat_test
