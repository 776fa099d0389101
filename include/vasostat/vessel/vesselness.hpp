#pragma once
// vessel::vesselness: multiscale Frangi vesselness (Frangi et al., MICCAI 1998) for dark vessels
// on a bright background (SDF/IDF), with gamma = 2 scale normalisation (Hessian x sigma^2), so a
// bar of half-width w responds most at sigma = w — unlike skimage >= 0.19.3 (its issue #7711).
// Hessians come from separable sampled-Gaussian derivative filters (xsimd), reflect borders.
// Cost: O(width * height * sum over scales of sigma) — about 6 (r+1) fma per pixel and scale.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/detail/vesselness_kernel.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

/// Options of vesselness(). Defaults: Frangi's beta = 0.5 and c = half the largest Hessian
/// norm (here over all scales); sigma in µm chosen for capillaries and small venules
/// (a vessel of diameter D responds most at sigma = D/2).
struct vesselness_options {
  std::vector<double> scales_um = {2.0, 3.0, 4.5, 6.5};  ///< Gaussian sigmas in µm
  double um_per_px = 1.0;     ///< calibration: converts scales_um to pixels
  double beta = 0.5;          ///< blob-vs-line sensitivity (Frangi's beta)
  double c = 0.0;             ///< structureness scale; 0 = half the max sigma^2-normalised ||H||
                              ///< (at least 1e-4 x the largest |pixel|: a flat frame gives ~0)
  bool dark_vessels = true;   ///< dark vessels on a bright background (false: bright vessels)
  double truncate = 4.0;      ///< filter radius = ceil(truncate * sigma_px), as scipy/skimage
  /// Scales with sigma >= this many pixels are computed on the 2x2-binned frame (sigma
  /// adjusted for the binning blur) and their terms interpolated back: 8x less work for the
  /// coarse scales, whose responses are smooth. 0 = every scale at full resolution.
  double half_resolution_sigma_px = 4.0;
};

/// Reusable buffers: after the first frame of a size, vesselness() allocates nothing more.
struct vesselness_workspace {
  image<float> input;
  std::vector<const float*> rows;
  aligned_buffer<float> lines;
  aligned_buffer<float> terms;  // blob and s2 rows when c > 0
  detail::gaussian_taps taps;
  std::vector<float> hg, hd1, hd2;
  std::vector<image<float>> blob, s2;  // per scale, used when c == 0
  image<float> half, half_blob, half_s2;  // 2x2-binned frame and its terms
  std::vector<std::int32_t> up_idx;
  std::vector<float> up_frac;
};

namespace detail {

inline constexpr const char* vesselness_name = "vasostat::vessel::vesselness";

template <class T>
void check_vesselness_args(const image_view<const T>& frame, const image_view<float>& out,
                           const image_view<float>& best_scale_um, const vesselness_options& o) {
  const char* w = vesselness_name;
  vasostat::detail::check_image_view(frame, w, "frame");
  VASOSTAT_EXPECTS(!frame.empty(), std::string(w) + ": frame is empty");
  check_finite_pixels(frame, w, "frame");
  vasostat::detail::check_image_view(out, w, "out");
  VASOSTAT_EXPECTS(out.width == frame.width && out.height == frame.height,
                   std::string(w) + ": out (" + std::to_string(out.width) + "x" +
                       std::to_string(out.height) + ") differs in size from frame (" +
                       std::to_string(frame.width) + "x" + std::to_string(frame.height) + ")");
  if (!best_scale_um.empty() || best_scale_um.data != nullptr) {
    vasostat::detail::check_image_view(best_scale_um, w, "best_scale_um");
    VASOSTAT_EXPECTS(best_scale_um.width == frame.width && best_scale_um.height == frame.height,
                     std::string(w) + ": best_scale_um differs in size from frame");
  }
  VASOSTAT_EXPECTS(std::isfinite(o.um_per_px) && o.um_per_px > 0,
                   std::string(w) + ": um_per_px (" + std::to_string(o.um_per_px) +
                       ") must be finite and > 0");
  VASOSTAT_EXPECTS(!o.scales_um.empty(), std::string(w) + ": scales_um is empty");
  const double limit = static_cast<double>(std::min(frame.width, frame.height));
  for (double s : o.scales_um) {
    VASOSTAT_EXPECTS(std::isfinite(s) && s > 0, std::string(w) + ": scales_um has a value (" +
                                                    std::to_string(s) + ") that is not > 0");
    VASOSTAT_EXPECTS(s / o.um_per_px <= limit,
                     std::string(w) + ": scales_um value " + std::to_string(s) + " µm (" +
                         std::to_string(s / o.um_per_px) + " px) is larger than the frame");
  }
  VASOSTAT_EXPECTS(std::isfinite(o.beta) && o.beta > 0,
                   std::string(w) + ": beta (" + std::to_string(o.beta) + ") must be > 0");
  VASOSTAT_EXPECTS(std::isfinite(o.c) && o.c >= 0,
                   std::string(w) + ": c (" + std::to_string(o.c) + ") must be >= 0");
  VASOSTAT_EXPECTS(std::isfinite(o.truncate) && o.truncate >= 1 && o.truncate <= 10,
                   std::string(w) + ": truncate (" + std::to_string(o.truncate) +
                       ") must be in [1, 10]");
  VASOSTAT_EXPECTS(std::isfinite(o.half_resolution_sigma_px) && o.half_resolution_sigma_px >= 0,
                   std::string(w) + ": half_resolution_sigma_px must be finite and >= 0");
}

/// 2x2 box average (edge pixels repeated for odd sizes).
inline void bin2x2(const image_view<const float>& in, image<float>& out) {
  const std::ptrdiff_t hw = (in.width + 1) / 2, hh = (in.height + 1) / 2;
  out.resize(hw, hh);
  for (std::ptrdiff_t y = 0; y < hh; ++y) {
    const float* r0 = in.row(2 * y);
    const float* r1 = in.row(std::min(2 * y + 1, in.height - 1));
    float* o = out.row(y);
    for (std::ptrdiff_t x = 0; x < hw; ++x) {
      const std::ptrdiff_t x1 = std::min(2 * x + 1, in.width - 1);
      o[x] = 0.25f * (r0[2 * x] + r0[x1] + r1[2 * x] + r1[x1]);
    }
  }
}

/// Column indices and weights of the full-resolution bilinear interpolation of a 2x2-binned
/// row (bin i covers pixels 2i, 2i+1, centre 2i + 0.5).
inline void upsample_columns(std::ptrdiff_t width, std::ptrdiff_t half_width,
                             std::vector<std::int32_t>& idx, std::vector<float>& frac) {
  idx.resize(static_cast<std::size_t>(width));
  frac.resize(static_cast<std::size_t>(width));
  const std::ptrdiff_t last = half_width - 1;
  for (std::ptrdiff_t x = 0; x < width; ++x) {
    const double u = std::clamp((static_cast<double>(x) - 0.5) / 2, 0.0, static_cast<double>(last));
    const auto u0 = std::min(static_cast<std::ptrdiff_t>(u), std::max<std::ptrdiff_t>(last - 1, 0));
    idx[static_cast<std::size_t>(x)] = static_cast<std::int32_t>(u0);
    frac[static_cast<std::size_t>(x)] = last > 0 ? static_cast<float>(u - static_cast<double>(u0)) : 0.0f;
  }
}

/// Row y of the full-resolution bilinear interpolation of a 2x2-binned image.
inline void upsample_row(const image<float>& half, std::ptrdiff_t y, std::ptrdiff_t width,
                         const std::int32_t* idx, const float* frac, float* out) noexcept {
  const double v = std::clamp((static_cast<double>(y) - 0.5) / 2, 0.0,
                              static_cast<double>(half.height() - 1));
  const auto v0 = static_cast<std::ptrdiff_t>(v);
  const std::ptrdiff_t v1 = std::min(v0 + 1, half.height() - 1);
  const auto fy = static_cast<float>(v - static_cast<double>(v0));
  const float* a = half.row(v0);
  const float* b = half.row(v1);
  const std::ptrdiff_t step = half.width() > 1 ? 1 : 0;
  for (std::ptrdiff_t x = 0; x < width; ++x) {
    const std::ptrdiff_t u0 = idx[x];
    const float fx = frac[x];
    const float top = a[u0] + fx * (a[u0 + step] - a[u0]);
    const float bot = b[u0] + fx * (b[u0 + step] - b[u0]);
    out[x] = top + fy * (bot - top);
  }
}

/// Calls the SIMD functor, or its scalar twin when Simd is false or no SIMD arch exists.
template <bool Simd>
struct vesselness_kernels {
  static void vertical(const float* const* rows, std::ptrdiff_t r, std::ptrdiff_t w,
                       const float* g, const float* d1, const float* d2, float* og, float* o1,
                       float* o2) noexcept {
#if VASOSTAT_HAS_SIMD
    if constexpr (Simd) {
      vertical_pass{}(simd_arch{}, rows, r, w, g, d1, d2, og, o1, o2);
      return;
    }
#endif
    vertical_pass_scalar(rows, r, 0, w, g, d1, d2, og, o1, o2);
  }
  static void horizontal(const float* pg, const float* p1, const float* p2, std::ptrdiff_t r,
                         std::ptrdiff_t w, const float* g, const float* d1, const float* d2,
                         float* hxx, float* hyy, float* hxy) noexcept {
#if VASOSTAT_HAS_SIMD
    if constexpr (Simd) {
      horizontal_pass{}(simd_arch{}, pg, p1, p2, r, w, g, d1, d2, hxx, hyy, hxy);
      return;
    }
#endif
    horizontal_pass_scalar(pg, p1, p2, r, 0, w, g, d1, d2, hxx, hyy, hxy);
  }
  static void terms(const float* hxx, const float* hyy, const float* hxy, std::ptrdiff_t w,
                    float k, float* blob, float* s2) noexcept {
#if VASOSTAT_HAS_SIMD
    if constexpr (Simd) {
      frangi_terms{}(simd_arch{}, hxx, hyy, hxy, w, k, blob, s2);
      return;
    }
#endif
    frangi_terms_scalar(hxx, hyy, hxy, 0, w, k, blob, s2);
  }
  static void combine(const float* blob, const float* s2, std::ptrdiff_t w, float k, float* out,
                      float* scale_out, float scale) noexcept {
#if VASOSTAT_HAS_SIMD
    if constexpr (Simd) {
      frangi_combine{}(simd_arch{}, blob, s2, w, k, out, scale_out, scale);
      return;
    }
#endif
    frangi_combine_scalar(blob, s2, 0, w, k, out, scale_out, scale);
  }
};

/// The sigma^2-normalised Hessian of one scale, row by row: calls row_fn(y, hxx, hyy, hxy).
/// `sign` is +1 for dark vessels, -1 for bright ones.
template <bool Simd, class RowFn>
void hessian_rows(const image_view<const float>& in, double sigma_px, double truncate, float sign,
                  vesselness_workspace& ws, RowFn&& row_fn) {
  using K = vesselness_kernels<Simd>;
  make_gaussian_taps(sigma_px, truncate, ws.taps);
  const std::ptrdiff_t r = ws.taps.radius, w = in.width, h = in.height;
  const auto n = static_cast<std::size_t>(r + 1);
  ws.hg.resize(n);
  ws.hd1.resize(n);
  ws.hd2.resize(n);
  const auto norm = static_cast<float>(sigma_px * sigma_px) * sign;
  for (std::size_t k = 0; k < n; ++k) {
    ws.hg[k] = ws.taps.g[k] * norm;
    ws.hd1[k] = ws.taps.d1[k] * norm;
    ws.hd2[k] = ws.taps.d2[k] * norm;
  }
  ws.rows.resize(static_cast<std::size_t>(2 * r + 1));
  const std::ptrdiff_t padded = w + 2 * r;
  const std::ptrdiff_t line_len = ((padded + 15) / 16) * 16;
  ws.lines.resize(static_cast<std::size_t>(6 * line_len));
  float* pg = ws.lines.data();
  float* p1 = pg + line_len;
  float* p2 = p1 + line_len;
  float* hxx = p2 + line_len;
  float* hyy = hxx + line_len;
  float* hxy = hyy + line_len;
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    for (std::ptrdiff_t k = 0; k <= 2 * r; ++k) {
      ws.rows[static_cast<std::size_t>(k)] = in.row(reflect_index(y - r + k, h));
    }
    K::vertical(ws.rows.data(), r, w, ws.taps.g.data(), ws.taps.d1.data(), ws.taps.d2.data(),
                pg + r, p1 + r, p2 + r);
    for (std::ptrdiff_t k = 1; k <= r; ++k) {
      const std::ptrdiff_t lo = reflect_index(-k, w), hi = reflect_index(w - 1 + k, w);
      pg[r - k] = pg[r + lo];
      p1[r - k] = p1[r + lo];
      p2[r - k] = p2[r + lo];
      pg[r + w - 1 + k] = pg[r + hi];
      p1[r + w - 1 + k] = p1[r + hi];
      p2[r + w - 1 + k] = p2[r + hi];
    }
    K::horizontal(pg + r, p1 + r, p2 + r, r, w, ws.hg.data(), ws.hd1.data(), ws.hd2.data(), hxx,
                  hyy, hxy);
    row_fn(y, static_cast<const float*>(hxx), static_cast<const float*>(hyy),
           static_cast<const float*>(hxy));
  }
}

template <class T>
void to_float_image(const image_view<const T>& frame, image<float>& out) {
  out.resize(frame.width, frame.height);
  for (std::ptrdiff_t y = 0; y < frame.height; ++y) {
    const T* s = frame.row(y);
    float* d = out.row(y);
    for (std::ptrdiff_t x = 0; x < frame.width; ++x) {
      d[x] = static_cast<float>(s[x]);
    }
  }
}

template <bool Simd, class T>
void vesselness_impl(const image_view<const T>& frame, const image_view<float>& out,
                     vesselness_workspace& ws, const vesselness_options& o,
                     const image_view<float>& best_scale_um) {
  check_vesselness_args(frame, out, best_scale_um, o);
  using K = vesselness_kernels<Simd>;
  const std::ptrdiff_t w = frame.width, h = frame.height;
  to_float_image(frame, ws.input);
  const image_view<const float> in = ws.input.view();
  const bool want_scale = best_scale_um.data != nullptr && !best_scale_um.empty();
  for (std::ptrdiff_t y = 0; y < h; ++y) {
    std::fill(out.row(y), out.row(y) + w, 0.0f);
    if (want_scale) {
      std::fill(best_scale_um.row(y), best_scale_um.row(y) + w, 0.0f);
    }
  }
  const float sign = o.dark_vessels ? 1.0f : -1.0f;
  const auto inv_two_beta2 = static_cast<float>(1.0 / (2.0 * o.beta * o.beta));
  const std::size_t ns = o.scales_um.size();
  const bool auto_c = o.c == 0.0;
  const std::ptrdiff_t line_len = ((w + 15) / 16) * 16;
  if (auto_c) {
    ws.blob.resize(ns);
    ws.s2.resize(ns);
  }
  float* blob_row = nullptr;
  float* s2_row = nullptr;
  if (!auto_c) {
    ws.terms.resize(static_cast<std::size_t>(2 * line_len));
    blob_row = ws.terms.data();
    s2_row = blob_row + line_len;
  }
  const auto kc = auto_c ? 0.0f : static_cast<float>(1.0 / (2.0 * o.c * o.c));
  float max_s2 = 0.0f;
  for (std::size_t si = 0; si < ns; ++si) {
    const double sigma_px = o.scales_um[si] / o.um_per_px;
    const auto scale = static_cast<float>(o.scales_um[si]);
    if (auto_c) {
      ws.blob[si].resize(w, h);
      ws.s2[si].resize(w, h);
    }
    const bool coarse = o.half_resolution_sigma_px > 0 && sigma_px >= o.half_resolution_sigma_px &&
                        w >= 8 && h >= 8;
    if (coarse) {
      if (ws.half.width() != (w + 1) / 2 || ws.half.height() != (h + 1) / 2 || si == 0 ||
          !(o.scales_um[si - 1] / o.um_per_px >= o.half_resolution_sigma_px)) {
        bin2x2(in, ws.half);
      }
      // the 2x2 box adds a variance of 1/4 px^2 per axis; sigma in binned pixels is halved,
      // and sigma'^2 H' = sigma^2 H keeps the normalisation
      const double sigma_half = std::sqrt(sigma_px * sigma_px - 0.25) / 2;
      const std::ptrdiff_t hw = ws.half.width(), hh = ws.half.height();
      ws.half_blob.resize(hw, hh);
      ws.half_s2.resize(hw, hh);
      hessian_rows<Simd>(ws.half.view(), sigma_half, o.truncate, sign, ws,
                         [&](std::ptrdiff_t y, const float* hxx, const float* hyy,
                             const float* hxy) {
                           K::terms(hxx, hyy, hxy, hw, inv_two_beta2, ws.half_blob.row(y),
                                    ws.half_s2.row(y));
                         });
      upsample_columns(w, hw, ws.up_idx, ws.up_frac);
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        float* b = auto_c ? ws.blob[si].row(y) : blob_row;
        float* s = auto_c ? ws.s2[si].row(y) : s2_row;
        upsample_row(ws.half_blob, y, w, ws.up_idx.data(), ws.up_frac.data(), b);
        upsample_row(ws.half_s2, y, w, ws.up_idx.data(), ws.up_frac.data(), s);
        if (auto_c) {
          max_s2 = row_max_scalar(s, 0, w, max_s2);
        } else {
          K::combine(blob_row, s2_row, w, kc, out.row(y),
                     want_scale ? best_scale_um.row(y) : nullptr, scale);
        }
      }
      continue;
    }
    hessian_rows<Simd>(in, sigma_px, o.truncate, sign, ws,
                       [&](std::ptrdiff_t y, const float* hxx, const float* hyy, const float* hxy) {
                         if (auto_c) {
                           float* b = ws.blob[si].row(y);
                           float* s = ws.s2[si].row(y);
                           K::terms(hxx, hyy, hxy, w, inv_two_beta2, b, s);
                           max_s2 = row_max_scalar(s, 0, w, max_s2);
                         } else {
                           K::terms(hxx, hyy, hxy, w, inv_two_beta2, blob_row, s2_row);
                           K::combine(blob_row, s2_row, w, kc, out.row(y),
                                      want_scale ? best_scale_um.row(y) : nullptr, scale);
                         }
                       });
  }
  if (auto_c) {
    // Floor: 1e-4 of the frame's largest magnitude (or 1e-4), so that the rounding noise of
    // a constant frame's Hessian (~1e-6 relative) is not blown up into full responses.
    float max_abs = 0.0f;
    for (std::ptrdiff_t y = 0; y < h; ++y) {
      const float* r = in.row(y);
      for (std::ptrdiff_t x = 0; x < w; ++x) {
        max_abs = std::max(max_abs, std::abs(r[x]));
      }
    }
    const double floor_c = 1e-4 * std::max(1.0, static_cast<double>(max_abs));
    const double c = std::max(0.5 * std::sqrt(static_cast<double>(max_s2)), floor_c);
    const auto k = static_cast<float>(1.0 / (2.0 * c * c));
    for (std::size_t si = 0; si < ns; ++si) {
      const auto scale = static_cast<float>(o.scales_um[si]);
      for (std::ptrdiff_t y = 0; y < h; ++y) {
        K::combine(ws.blob[si].row(y), ws.s2[si].row(y), w, k, out.row(y),
                   want_scale ? best_scale_um.row(y) : nullptr, scale);
      }
    }
  }
}

}  // namespace detail

/// Multiscale Frangi vesselness of a grey frame into `out` (same size, values in [0, 1]),
/// reusing `ws`. If `best_scale_um` is a non-empty view, it receives the winning sigma (µm) per
/// pixel (0 where no scale responds). Throws vasostat::invalid_argument (naming the argument)
/// for an empty frame, NaN pixels, mismatched sizes, scales <= 0 or larger than the frame,
/// um_per_px <= 0/NaN, beta <= 0, c < 0.
///
/// Example:
///   vessel::vesselness_workspace ws;
///   image<float> v(frame.width, frame.height);
///   vessel::vesselness(frame, v.view(), ws, {.scales_um = {2, 4}, .um_per_px = 0.7});
template <grey_pixel T>
void vesselness(const image_view<const T>& frame, const image_view<float>& out,
                vesselness_workspace& ws, const vesselness_options& options = {},
                const image_view<float>& best_scale_um = {}) {
  detail::vesselness_impl<true>(frame, out, ws, options, best_scale_um);
}

/// Convenience overload: allocates the result and a workspace.
template <grey_pixel T>
[[nodiscard]] image<float> vesselness(const image_view<const T>& frame,
                                      const vesselness_options& options = {}) {
  vasostat::detail::check_image_view(frame, detail::vesselness_name, "frame");
  image<float> out(frame.width, frame.height);
  vesselness_workspace ws;
  vesselness(frame, out.view(), ws, options);
  return out;
}

/// Same, from an owning image (deduces T).
template <grey_pixel T>
[[nodiscard]] image<float> vesselness(const image<T>& frame,
                                      const vesselness_options& options = {}) {
  return vesselness(image_view<const T>(frame.view()), options);
}

namespace detail {
/// The scalar reference of vesselness (test oracle and benchmark twin).
template <grey_pixel T>
void vesselness_scalar(const image_view<const T>& frame, const image_view<float>& out,
                       vesselness_workspace& ws, const vesselness_options& options = {},
                       const image_view<float>& best_scale_um = {}) {
  vesselness_impl<false>(frame, out, ws, options, best_scale_um);
}
}  // namespace detail

}  // namespace vasostat::inline v0::vessel
