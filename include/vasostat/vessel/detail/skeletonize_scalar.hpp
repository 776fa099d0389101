#pragma once
// Scalar reference ("twin") of vessel::skeletonize: the same thinning rules and the same pass
// schedule as the bit-parallel kernel, written pixel by pixel with the integer counts of the
// papers (Zhang & Suen 1984: B, A, with Lü & Wang's 1986 B >= 3; Guo & Hall 1989: C, N; Yokoi's
// 8-connectivity number for the final directional passes). The tests require both outputs to be identical.

#include <vasostat/core/image_view.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vasostat::inline v0::vessel::detail {

/// Pass identifiers shared by the scalar twin and the bit-parallel kernel:
/// 0,1 Zhang–Suen sub-iterations; 2,3 Guo–Hall sub-iterations; 4..7 the final directional
/// passes (delete simple pixels with >= 3 neighbours, or L corners with 2, whose north / south /
/// east / west neighbour is 0).
inline constexpr int pass_zs_first = 0;
inline constexpr int pass_gh_first = 2;
inline constexpr int pass_final_first = 4;

/// Decides one pixel from its 8-neighbourhood (Zhang–Suen names: p2 = N, p3 = NE, p4 = E,
/// p5 = SE, p6 = S, p7 = SW, p8 = W, p9 = NW; y grows downward). Returns true to delete.
inline bool thinning_deletes(int pass, int p2, int p3, int p4, int p5, int p6, int p7, int p8,
                             int p9) noexcept {
  const int ring[8] = {p2, p3, p4, p5, p6, p7, p8, p9};
  int b = 0;
  int a = 0;
  for (int i = 0; i < 8; ++i) {
    b += ring[i];
    a += (ring[i] == 0 && ring[(i + 1) % 8] == 1) ? 1 : 0;
  }
  // Yokoi / Guo–Hall C(P): number of 8-connected foreground runs around P.
  const int c = ((!p2) & (p3 | p4)) + ((!p4) & (p5 | p6)) + ((!p6) & (p7 | p8)) +
                ((!p8) & (p9 | p2));
  if (pass == 0 || pass == 1) {
    if (b < 3 || b > 6 || a != 1) {  // Lü & Wang (1986): B >= 3 keeps 2-px diagonal lines' ends
      return false;
    }
    const bool first = pass == 0;
    if (first ? (p2 * p4 * p6 != 0 || p4 * p6 * p8 != 0)
              : (p2 * p4 * p8 != 0 || p2 * p6 * p8 != 0)) {
      return false;
    }
    // 2×2-square guard: an isolated 2×2 square would vanish in one sub-iteration; its
    // top-left pixel (ring = E, SE, S) is kept.
    if (p4 == 1 && p5 == 1 && p6 == 1 && b == 3) {
      return false;
    }
    return true;
  }
  if (pass == 2 || pass == 3) {
    const int n1 = (p9 | p2) + (p3 | p4) + (p5 | p6) + (p7 | p8);
    const int n2 = (p2 | p3) + (p4 | p5) + (p6 | p7) + (p8 | p9);
    const int n = n1 < n2 ? n1 : n2;
    const int m = pass == 2 ? ((p6 | p7 | !p9) & p8) : ((p2 | p3 | !p5) & p4);
    return c == 1 && n >= 2 && n <= 3 && m == 0;
  }
  // Final directional passes: simple (C == 1) and B >= 3, or B == 2 with two orthogonal
  // 4-neighbours (the corner of an L at a line's end; a pixel whose two neighbours touch
  // otherwise is the end of a line, not thickness); border in one direction.
  const int border = pass == 4 ? p2 : pass == 5 ? p6 : pass == 6 ? p4 : p8;
  const bool corner = b == 2 && ((p2 & p4) | (p4 & p6) | (p6 & p8) | (p8 & p2)) != 0;
  return border == 0 && c == 1 && (b >= 3 || corner);
}

/// One parallel pass over a zero-framed byte image (stride w + 2); returns pixels deleted.
inline std::ptrdiff_t thinning_pass_scalar(std::vector<std::uint8_t>& img, std::ptrdiff_t w,
                                           std::ptrdiff_t h, int pass,
                                           std::vector<std::ptrdiff_t>& marked) {
  const std::ptrdiff_t s = w + 2;
  marked.clear();
  for (std::ptrdiff_t y = 1; y <= h; ++y) {
    for (std::ptrdiff_t x = 1; x <= w; ++x) {
      const std::ptrdiff_t i = y * s + x;
      if (img[static_cast<std::size_t>(i)] == 0) {
        continue;
      }
      auto at = [&](std::ptrdiff_t j) { return static_cast<int>(img[static_cast<std::size_t>(j)]); };
      if (thinning_deletes(pass, at(i - s), at(i - s + 1), at(i + 1), at(i + s + 1), at(i + s),
                           at(i + s - 1), at(i - 1), at(i - s - 1))) {
        marked.push_back(i);
      }
    }
  }
  for (std::ptrdiff_t i : marked) {
    img[static_cast<std::size_t>(i)] = 0;
  }
  return static_cast<std::ptrdiff_t>(marked.size());
}

/// The whole schedule, pixel by pixel: the main thinning (two sub-iterations) to convergence,
/// then one round of the four directional passes; repeated until that round deletes nothing.
/// `guo_hall` selects passes 2,3 instead of 0,1 for the main phase.
inline void skeletonize_scalar(image_view<const std::uint8_t> mask, image_view<std::uint8_t> out,
                               bool guo_hall) {
  const std::ptrdiff_t w = mask.width;
  const std::ptrdiff_t h = mask.height;
  if (w <= 0 || h <= 0) {
    return;
  }
  const std::ptrdiff_t s = w + 2;
  std::vector<std::uint8_t> img(static_cast<std::size_t>(s * (h + 2)), 0);
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      img[static_cast<std::size_t>((y + 1) * s + x + 1)] = mask.row(y)[x] != 0 ? 1 : 0;
    }
  }
  std::vector<std::ptrdiff_t> marked;
  const int first = guo_hall ? pass_gh_first : pass_zs_first;
  for (;;) {
    for (;;) {
      std::ptrdiff_t changed = thinning_pass_scalar(img, w, h, first, marked);
      changed += thinning_pass_scalar(img, w, h, first + 1, marked);
      if (changed == 0) {
        break;
      }
    }
    std::ptrdiff_t changed = 0;
    for (int p = pass_final_first; p < pass_final_first + 4; ++p) {
      changed += thinning_pass_scalar(img, w, h, p, marked);
    }
    if (changed == 0) {
      break;
    }
  }
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t x = 0; x < w; ++x) {
      out.row(y)[x] = img[static_cast<std::size_t>((y + 1) * s + x + 1)];
    }
  }
}

}  // namespace vasostat::inline v0::vessel::detail
