#pragma once
// vessel::distance_transform: exact Euclidean distance from each vessel pixel to the nearest
// background pixel centre (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
// Functions", Theory of Computing 8:415–428, 2012): a vertical pass (xsimd over columns) then the
// lower envelope of parabolas along each row, restricted to each run of vessel pixels between two
// background pixels (a farther column can never be nearer). Pixels outside the image count as
// background, as in vessel::skeletonize. O(pixels) time; squared distances are exact integers.

#include <vasostat/core/aligned_buffer.hpp>
#include <vasostat/core/config.hpp>
#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/vessel/detail/thinning_kernel.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace vasostat::inline v0::vessel {

/// Reusable memory of distance_transform (a few rows; no per-pixel buffer besides the output).
struct distance_transform_workspace {
  aligned_buffer<std::int64_t> f;     ///< squared vertical distances of one row, with 2 sentinels
  aligned_buffer<float> down;         ///< running distance to the nearest 0 below, per column
  aligned_buffer<std::int32_t> v;     ///< envelope sites
  aligned_buffer<std::int64_t> znum;  ///< envelope boundaries as fractions znum / zden
  aligned_buffer<std::int64_t> zden;
  aligned_buffer<float> f2;           ///< squared vertical distances of one row as floats, padded
};

namespace detail {

/// Vertical pass, downward half, scalar twin: out(x, y) = rows up to the nearest 0 in column x
/// (row -1 is background).
inline void distance_up_scalar(image_view<const std::uint8_t> mask, image_view<float> out) noexcept {
  for (std::ptrdiff_t y = 0; y < mask.height; ++y) {
    const std::uint8_t* m = mask.row(y);
    float* o = out.row(y);
    const float* above = y > 0 ? out.row(y - 1) : nullptr;
    for (std::ptrdiff_t x = 0; x < mask.width; ++x) {
      o[x] = m[x] == 0 ? 0.0f : (above != nullptr ? above[x] : 0.0f) + 1.0f;
    }
  }
}

/// Vertical pass, upward half for one row, scalar twin: down[x] = rows down to the nearest 0
/// (row height is background), g[x] = min(up, down).
inline void distance_down_row_scalar(const std::uint8_t* m, const float* up, float* down, float* g,
                                     std::ptrdiff_t w) noexcept {  // g may alias up
  for (std::ptrdiff_t x = 0; x < w; ++x) {
    down[x] = m[x] == 0 ? 0.0f : down[x] + 1.0f;
    g[x] = std::min(up[x], down[x]);
  }
}

#if VASOSTAT_HAS_SIMD
/// 0/1 floats for each 8-bit pattern of "byte != 0" over 8 consecutive mask bytes.
struct mask_float_table {
  alignas(64) float v[256][8]{};
  constexpr mask_float_table() noexcept {
    for (unsigned i = 0; i < 256; ++i) {
      for (unsigned b = 0; b < 8; ++b) {
        v[i][b] = static_cast<float>((i >> b) & 1U);
      }
    }
  }
};
inline constexpr mask_float_table mask_floats{};

/// Mask bytes -> 0/1 floats, one batch (a table lookup per 8 bytes).
template <class Arch>
VASOSTAT_FORCEINLINE xsimd::batch<float, Arch> mask_batch(const std::uint8_t* m) noexcept {
  using bf = xsimd::batch<float, Arch>;
  constexpr std::size_t lanes = bf::size;
  if constexpr (lanes % 8 == 0 || lanes < 8) {
    if constexpr (lanes >= 8) {
      alignas(Arch::alignment()) float mf[lanes];
      for (std::size_t i = 0; i < lanes; i += 8) {
        std::uint64_t v;
        std::memcpy(&v, m + i, 8);
        std::memcpy(mf + i, mask_floats.v[pack8(v)], 8 * sizeof(float));
      }
      return bf::load_aligned(mf);
    } else {
      std::uint32_t v = 0;
      std::memcpy(&v, m, lanes);
      return bf::load_unaligned(mask_floats.v[pack8(v)]);
    }
  } else {
    alignas(Arch::alignment()) float mf[lanes];
    for (std::size_t i = 0; i < lanes; ++i) {
      mf[i] = m[i] != 0 ? 1.0f : 0.0f;
    }
    return bf::load_aligned(mf);
  }
}

/// Downward half with xsimd batches across the row; same results as the scalar twin.
template <class Arch>
void distance_up_simd(image_view<const std::uint8_t> mask, image_view<float> out) noexcept {
  using bf = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = static_cast<std::ptrdiff_t>(bf::size);
  const std::ptrdiff_t w = mask.width;
  const bf one(1.0f), zero(0.0f);
  for (std::ptrdiff_t y = 0; y < mask.height; ++y) {
    const std::uint8_t* m = mask.row(y);
    float* o = out.row(y);
    const float* above = y > 0 ? out.row(y - 1) : nullptr;
    std::ptrdiff_t x = 0;
    for (; x + lanes <= w; x += lanes) {
      const bf prev = above != nullptr ? bf::load_unaligned(above + x) : zero;
      xsimd::select(mask_batch<Arch>(m + x) != zero, prev + one, zero).store_unaligned(o + x);
    }
    for (; x < w; ++x) {
      o[x] = m[x] == 0 ? 0.0f : (above != nullptr ? above[x] : 0.0f) + 1.0f;
    }
  }
}

/// Upward half for one row with xsimd batches; same results as the scalar twin.
template <class Arch>
void distance_down_row_simd(const std::uint8_t* m, const float* up, float* down, float* g,
                            std::ptrdiff_t w) noexcept {
  using bf = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = static_cast<std::ptrdiff_t>(bf::size);
  const bf one(1.0f), zero(0.0f);
  std::ptrdiff_t x = 0;
  for (; x + lanes <= w; x += lanes) {
    const bf d = xsimd::select(mask_batch<Arch>(m + x) != zero, bf::load_unaligned(down + x) + one, zero);
    d.store_unaligned(down + x);
    xsimd::min(bf::load_unaligned(up + x), d).store_unaligned(g + x);
  }
  for (; x < w; ++x) {
    down[x] = m[x] == 0 ? 0.0f : down[x] + 1.0f;
    g[x] = std::min(up[x], down[x]);
  }
}
#endif

/// Lower envelope (Felzenszwalb–Huttenlocher, integer-exact comparisons) for the run of vessel
/// pixels [x, b) of `row` (vertical distances g on entry, Euclidean distances on exit) and the
/// two bounding background sites x - 1 and b.
inline void distance_run_envelope(float* row, std::ptrdiff_t x, std::ptrdiff_t b,
                                  distance_transform_workspace& ws) noexcept {
  std::int64_t* f = ws.f.data() + 1;  // f[-1] and f[w] are background
  std::int32_t* v = ws.v.data();
  std::int64_t* zn = ws.znum.data();
  std::int64_t* zd = ws.zden.data();
  const std::ptrdiff_t a = x - 1;  // background site before the run
  f[a] = 0;
  for (std::ptrdiff_t q = x; q < b; ++q) {
    const auto gq = static_cast<std::int64_t>(row[q]);
    f[q] = gq * gq;
  }
  f[b] = 0;
  // Envelope over sites a..b (inclusive). Boundary k separates v[k-1] and v[k]; the
  // intersection of parabolas at q and p (q > p) is s = (F(q) - F(p)) / (2 (q - p)) with
  // F(q) = f[q] + q^2, kept as a fraction.
  std::ptrdiff_t k = 0;
  v[0] = static_cast<std::int32_t>(a);
  for (std::ptrdiff_t q = a + 1; q <= b; ++q) {
    const std::int64_t fq = f[q] + static_cast<std::int64_t>(q) * q;
    for (;;) {
      const std::int64_t p = v[k];
      const std::int64_t num = fq - (f[p] + p * p);
      const std::int64_t den = 2 * (static_cast<std::int64_t>(q) - p);
      // s <= z[k]  <=>  num / den <= zn[k] / zd[k]  (den, zd > 0)
      if (k > 0 && num * zd[k] <= zn[k] * den) {
        --k;
        continue;
      }
      ++k;
      v[k] = static_cast<std::int32_t>(q);
      zn[k] = num;
      zd[k] = den;
      break;
    }
  }
  std::ptrdiff_t j = 0;
  for (std::ptrdiff_t px = x; px < b; ++px) {
    // advance while z[j+1] < px  <=>  zn[j+1] < px * zd[j+1]
    while (j < k && zn[j + 1] < static_cast<std::int64_t>(px) * zd[j + 1]) {
      ++j;
    }
    const std::int64_t dx = px - v[j];
    const std::int64_t d2 = dx * dx + f[v[j]];
    // Below 2^24 the float conversion is exact and sqrtf equals float(sqrt(double)) (double
    // rounding is innocuous for sqrt when 53 >= 2 * 24 + 2).
    row[px] = d2 < (std::int64_t{1} << 24)
                  ? std::sqrt(static_cast<float>(d2))
                  : static_cast<float>(std::sqrt(static_cast<double>(d2)));
  }
}

/// Largest window half-width of the SIMD row pass (runs needing more use the envelope).
inline constexpr std::ptrdiff_t distance_window_max = 32;

#if VASOSTAT_HAS_SIMD
/// The run [x, b) by direct minimisation: d²(px) = min over |d| <= r of d² + g(px + d)², with
/// xsimd batches over px. Any column q gives an upper bound (px - q)² + g(q)² (the distance to
/// a real background pixel), and the nearest site lies within r = min(max g, ⌊(L + 1)/2⌋) of
/// px because the bounding background pixels and g(px) itself are at most that far. The
/// minimum is an integer ≤ r² ≤ 1024 and every term below 2^24 is exact in float (larger ones
/// can only round to values still above the minimum), so the result equals the envelope's bit
/// for bit. `f2` holds g² of the whole row with at
/// least distance_window_max + lanes zeros on either side.
template <class Arch>
void distance_run_window(float* row, const float* f2, std::ptrdiff_t x, std::ptrdiff_t b,
                         std::ptrdiff_t r) noexcept {
  using bf = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = static_cast<std::ptrdiff_t>(bf::size);
  for (std::ptrdiff_t px = x; px < b; px += lanes) {
    bf d2 = bf::load_unaligned(f2 + px);
    for (std::ptrdiff_t d = 1; d <= r; ++d) {
      const bf side = xsimd::min(bf::load_unaligned(f2 + px - d), bf::load_unaligned(f2 + px + d));
      d2 = xsimd::min(d2, side + bf(static_cast<float>(d * d)));
    }
    const bf dist = xsimd::sqrt(d2);
    if (px + lanes <= b) {
      dist.store_unaligned(row + px);
    } else {
      alignas(Arch::alignment()) float tmp[lanes];
      dist.store_aligned(tmp);
      std::memcpy(row + px, tmp, static_cast<std::size_t>(b - px) * sizeof(float));
    }
  }
}
#endif

/// Horizontal pass on one row, in place: `row` holds the vertical distances g(x) on entry and
/// the Euclidean distances on exit. Each run of non-zero g between two zeros (or the virtual
/// background just outside the row) gets the lower envelope of the parabolas (x - q)^2 + g(q)^2
/// of its sites plus the two bounding zeros (a farther column can never be nearer); with SIMD,
/// runs whose nearest site is within distance_window_max columns are minimised directly
/// (distance_run_window, same results).
inline void distance_row(float* row, std::ptrdiff_t w, distance_transform_workspace& ws,
                         bool use_simd) noexcept {
#if VASOSTAT_HAS_SIMD
  using bf = xsimd::batch<float, simd_arch>;
  constexpr auto lanes = static_cast<std::ptrdiff_t>(bf::size);
  float* f2 = ws.f2.data() + distance_window_max + lanes;
  if (use_simd) {
    std::ptrdiff_t x = 0;
    for (; x + lanes <= w; x += lanes) {
      const bf g = bf::load_unaligned(row + x);
      (g * g).store_unaligned(f2 + x);
    }
    for (; x < w; ++x) {
      f2[x] = row[x] * row[x];
    }
  }
#else
  use_simd = false;
#endif
  const float* g = row;
  std::ptrdiff_t x = 0;
  while (x < w) {
    if (x + 4 <= w) {  // skip background (0.0f has all bits 0) four pixels at a time
      std::uint64_t pair[2];
      std::memcpy(pair, row + x, sizeof(pair));
      if ((pair[0] | pair[1]) == 0) {
        x += 4;
        continue;
      }
    }
    if (g[x] == 0.0f) {
      ++x;
      continue;
    }
    std::ptrdiff_t b = x;
    float gmax = 0.0f;
    while (b < w && g[b] != 0.0f) {
      gmax = std::max(gmax, g[b]);
      ++b;
    }
    const std::ptrdiff_t half = (b - x + 1) / 2;
    const std::ptrdiff_t r = gmax < static_cast<float>(half) ? static_cast<std::ptrdiff_t>(gmax) : half;
    if (use_simd && r <= distance_window_max) {
#if VASOSTAT_HAS_SIMD
      distance_run_window<simd_arch>(row, f2, x, b, r);
#endif
    } else {
      distance_run_envelope(row, x, b, ws);
    }
    x = b;
  }
}

inline void distance_transform_kernel(image_view<const std::uint8_t> mask, image_view<float> out,
                                      distance_transform_workspace& ws, bool use_simd) {
  const std::ptrdiff_t w = mask.width, h = mask.height;
  if (w <= 0 || h <= 0) {
    return;
  }
  const auto n = static_cast<std::size_t>(w + 2);
  ws.f.resize(n);
  ws.v.resize(n);
  ws.znum.resize(n);
  ws.zden.resize(n);
  ws.down.resize(n);
  std::fill(ws.down.begin(), ws.down.end(), 0.0f);  // row `height` is background
#if VASOSTAT_HAS_SIMD
  {  // g² of one row with zero (background) margins for the SIMD window
    constexpr auto pad = static_cast<std::size_t>(distance_window_max) + xsimd::batch<float, simd_arch>::size;
    ws.f2.resize(static_cast<std::size_t>(w) + 2 * pad);
    std::fill(ws.f2.begin(), ws.f2.end(), 0.0f);
  }
#endif
#if !VASOSTAT_HAS_SIMD
  use_simd = false;
#endif
  if (use_simd) {
#if VASOSTAT_HAS_SIMD
    distance_up_simd<simd_arch>(mask, out);
#endif
  } else {
    distance_up_scalar(mask, out);
  }
  // Bottom-up: finish the vertical distances of row y, then its horizontal pass in place.
  for (std::ptrdiff_t y = h - 1; y >= 0; --y) {
    if (use_simd) {
#if VASOSTAT_HAS_SIMD
      distance_down_row_simd<simd_arch>(mask.row(y), out.row(y), ws.down.data(), out.row(y), w);
#endif
    } else {
      distance_down_row_scalar(mask.row(y), out.row(y), ws.down.data(), out.row(y), w);
    }
    distance_row(out.row(y), w, ws, use_simd);
  }
}

}  // namespace detail

/// Writes into `out` (same size as `mask`) the Euclidean distance of each vessel pixel
/// (non-zero) to the nearest background pixel centre; background pixels get 0. Pixels outside
/// the image are background, so a vessel pixel on the border has distance 1.
/// @throws vasostat::invalid_argument naming `mask` or `out`.
inline void distance_transform(image_view<const std::uint8_t> mask, image_view<float> out,
                               distance_transform_workspace& ws) {
  constexpr const char* where = "vasostat::vessel::distance_transform";
  vasostat::detail::check_image_view(mask, where, "mask");
  vasostat::detail::check_image_view(out, where, "out");
  VASOSTAT_EXPECTS(out.width == mask.width && out.height == mask.height,
                   std::string(where) + ": out (" + std::to_string(out.width) + "x" +
                       std::to_string(out.height) + ") differs in size from mask (" +
                       std::to_string(mask.width) + "x" + std::to_string(mask.height) + ")");
  detail::distance_transform_kernel(mask, out, ws, true);
}

/// Convenience overload returning a new image.
/// Example: `vasostat::image<float> dist = vasostat::vessel::distance_transform(mask);`
[[nodiscard]] inline image<float> distance_transform(image_view<const std::uint8_t> mask) {
  vasostat::detail::check_image_view(mask, "vasostat::vessel::distance_transform", "mask");
  image<float> out(mask.width, mask.height);
  distance_transform_workspace ws;
  distance_transform(mask, out.view(), ws);
  return out;
}

}  // namespace vasostat::inline v0::vessel
