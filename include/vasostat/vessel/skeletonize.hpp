#pragma once
// vessel::skeletonize: topology-preserving parallel thinning of a vessel mask to a one-pixel-wide
// 8-connected centreline. Zhang & Suen (CACM 27(3):236–239, 1984; with a guard that keeps one
// pixel of an isolated 2×2 square and Lü & Wang's B >= 3, which keeps the ends of 2-px diagonal
// lines) or Guo & Hall (CACM 32(3):359–373, 1989, A1), followed by directional passes that delete
// the simple pixels with >= 3 neighbours (staircase corners) and L corners at line ends that those
// rules leave, so the result is irreducible: idempotent, no such pixel left. Computed bit-parallel (64
// pixels per word, xsimd batches of words); O(iterations × pixels / 64) time, O(pixels / 8) memory.

#include <vasostat/core/aligned_buffer.hpp>
#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/vessel/detail/skeletonize_scalar.hpp>
#include <vasostat/vessel/detail/thinning_kernel.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace vasostat::inline v0::vessel {

/// Thinning rule of skeletonize's main phase.
enum class thinning : std::uint8_t {
  zhang_suen,  ///< Zhang & Suen (1984), two sub-iterations (skimage's skeletonize rule)
  guo_hall,    ///< Guo & Hall (1989) algorithm A1, two sub-iterations (OpenCV THINNING_GUOHALL)
};

struct skeletonize_options {
  thinning method = thinning::zhang_suen;
};

/// Reusable memory of skeletonize: the bit plane (pixels / 8 bytes) and two rows of scratch.
/// Grows only when a larger frame arrives, so a video loop allocates nothing after frame 1.
struct skeletonize_workspace {
  aligned_buffer<std::uint64_t> plane;
  detail::thinning_scratch scratch;
};

namespace detail {

#if VASOSTAT_HAS_SIMD
using thinning_word = xsimd::batch<std::uint64_t, simd_arch>;
#else
using thinning_word = std::uint64_t;
#endif

/// Unchecked kernel with a chosen word type (std::uint64_t or an xsimd batch).
template <class W>
void skeletonize_kernel(image_view<const std::uint8_t> mask, image_view<std::uint8_t> out,
                        skeletonize_workspace& ws, bool guo_hall) {
  const auto l = bit_plane_layout::make(mask.width, mask.height, word_ops<W>::size);
  if (mask.width <= 0 || mask.height <= 0) {
    return;
  }
  ws.plane.resize(l.total());
  ws.scratch.del.resize(static_cast<std::size_t>(2 * l.stride));
  ws.scratch.dirty.resize(static_cast<std::size_t>(l.height));
  pack_mask(mask, ws.plane.data(), l);
  thin_plane<W>(ws.plane.data(), l, guo_hall, ws.scratch);
  unpack_plane(ws.plane.data(), l, out);
}

}  // namespace detail

/// Thins `mask` (non-zero = vessel, any stride) into `out` (1 = skeleton, 0 elsewhere), which
/// must have the mask's size (it may be the mask's own buffer). Pixels outside the image count
/// as background. Allocates only when `ws` must grow.
/// @throws vasostat::invalid_argument naming `mask` or `out` (null data, negative size,
///         stride < width, size mismatch).
inline void skeletonize(image_view<const std::uint8_t> mask, image_view<std::uint8_t> out,
                        skeletonize_workspace& ws, const skeletonize_options& options = {}) {
  constexpr const char* where = "vasostat::vessel::skeletonize";
  vasostat::detail::check_image_view(mask, where, "mask");
  vasostat::detail::check_image_view(out, where, "out");
  VASOSTAT_EXPECTS(out.width == mask.width && out.height == mask.height,
                   std::string(where) + ": out (" + std::to_string(out.width) + "x" +
                       std::to_string(out.height) + ") differs in size from mask (" +
                       std::to_string(mask.width) + "x" + std::to_string(mask.height) + ")");
  VASOSTAT_EXPECTS(options.method == thinning::zhang_suen || options.method == thinning::guo_hall,
                   std::string(where) + ": options.method is not a known thinning rule");
  detail::skeletonize_kernel<detail::thinning_word>(mask, out, ws,
                                                    options.method == thinning::guo_hall);
}

/// Convenience overload: returns a new image (1 = skeleton).
/// Example:
/// ```
/// vasostat::image<std::uint8_t> skel = vasostat::vessel::skeletonize(mask);
/// ```
[[nodiscard]] inline image<std::uint8_t> skeletonize(image_view<const std::uint8_t> mask,
                                                     const skeletonize_options& options = {}) {
  vasostat::detail::check_image_view(mask, "vasostat::vessel::skeletonize", "mask");
  image<std::uint8_t> out(mask.width, mask.height);
  skeletonize_workspace ws;
  skeletonize(mask, out.view(), ws, options);
  return out;
}

}  // namespace vasostat::inline v0::vessel
