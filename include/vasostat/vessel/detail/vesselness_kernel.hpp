#pragma once
// Kernels of vessel::vesselness: sampled Gaussian derivative filters (vertical and horizontal
// separable passes, symmetric taps folded) and the per-pixel Frangi measure from a 2x2 Hessian.
// Each SIMD kernel (templated on the xsimd arch) has a *_scalar twin with the same operation
// order (fma per tap); the only difference is exp/expm1 (xsimd's vs the C library's), hence
// the documented ULP bound in the tests rather than bit equality.

#include <vasostat/core/config.hpp>
#include <vasostat/core/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace vasostat::inline v0::vessel::detail {

/// Half-kernels (taps 0..radius) of the sampled Gaussian and its first two derivatives.
/// g sums to 1; d1 (odd, stored as the positive weight of f(x+k) - f(x-k)) gives 1 on a unit
/// ramp; d2 sums to 0 and gives 1 on x^2/2 — so small-sigma discretisation errors do not leak
/// into the scale normalisation.
struct gaussian_taps {
  std::ptrdiff_t radius = 0;
  std::vector<float> g, d1, d2;
  std::vector<double> work;  // 3 (radius + 1) doubles while building the taps
};

inline void make_gaussian_taps(double sigma, double truncate, gaussian_taps& t) {
  const auto r = std::max<std::ptrdiff_t>(1, static_cast<std::ptrdiff_t>(std::ceil(truncate * sigma)));
  t.radius = r;
  const auto n = static_cast<std::size_t>(r + 1);
  t.g.resize(n);
  t.d1.resize(n);
  t.d2.resize(n);
  t.work.resize(3 * n);
  double* g = t.work.data();
  double* d1 = g + n;
  double* d2 = d1 + n;
  const double s2 = sigma * sigma;
  double sum_g = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = static_cast<double>(k);
    g[k] = std::exp(-0.5 * x * x / s2);
    sum_g += k == 0 ? g[k] : 2 * g[k];
  }
  double m1 = 0, sum_d2 = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = static_cast<double>(k);
    g[k] /= sum_g;
    d1[k] = x / s2 * g[k];
    d2[k] = (x * x - s2) / (s2 * s2) * g[k];
    m1 += 2 * x * d1[k];
    sum_d2 += k == 0 ? d2[k] : 2 * d2[k];
  }
  // d2: remove the mean (a constant gives 0), then scale so that x^2/2 gives 1.
  const double mean_d2 = sum_d2 / static_cast<double>(2 * r + 1);
  double m2 = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = static_cast<double>(k);
    d2[k] -= mean_d2;
    m2 += (k == 0 ? 1.0 : 2.0) * d2[k] * x * x / 2;
  }
  for (std::size_t k = 0; k < n; ++k) {
    t.g[k] = static_cast<float>(g[k]);
    t.d1[k] = static_cast<float>(d1[k] / m1);
    t.d2[k] = static_cast<float>(d2[k] / m2);
  }
}

/// scipy's "reflect" (half-sample symmetric) index for any offset.
[[nodiscard]] inline std::ptrdiff_t reflect_index(std::ptrdiff_t i, std::ptrdiff_t n) noexcept {
  if (n == 1) {
    return 0;
  }
  const std::ptrdiff_t period = 2 * n;
  i %= period;
  if (i < 0) {
    i += period;
  }
  return i < n ? i : period - 1 - i;
}

// ---------------------------------------------------------------------------------------------
// Vertical pass: rows[k] (k = 0..2r) are the input rows y-r..y+r; writes the column-smoothed
// row (og), first derivative (o1) and second derivative (o2).

inline void vertical_pass_scalar(const float* const* rows, std::ptrdiff_t r, std::ptrdiff_t x0,
                                 std::ptrdiff_t x1, const float* g, const float* d1,
                                 const float* d2, float* og, float* o1, float* o2) noexcept {
  for (std::ptrdiff_t x = x0; x < x1; ++x) {
    const float c = rows[r][x];
    float ag = g[0] * c, a2 = d2[0] * c, a1 = 0.0f;
    for (std::ptrdiff_t k = 1; k <= r; ++k) {
      const float p = rows[r + k][x], m = rows[r - k][x];
      const float s = p + m, d = p - m;
      ag = std::fma(g[k], s, ag);
      a2 = std::fma(d2[k], s, a2);
      a1 = std::fma(d1[k], d, a1);
    }
    og[x] = ag;
    o1[x] = a1;
    o2[x] = a2;
  }
}

struct vertical_pass {
  template <class Arch>
  void operator()(Arch, const float* const* rows, std::ptrdiff_t r, std::ptrdiff_t width,
                  const float* g, const float* d1, const float* d2, float* og, float* o1,
                  float* o2) const noexcept;
};

template <class Arch>
void vertical_pass::operator()(Arch, const float* const* rows, std::ptrdiff_t r,
                               std::ptrdiff_t width, const float* g, const float* d1,
                               const float* d2, float* og, float* o1, float* o2) const noexcept {
  using B = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = B::size;
  std::ptrdiff_t x = 0;
  for (; x + lanes <= width; x += lanes) {
    const B c = B::load_unaligned(rows[r] + x);
    B ag = B(g[0]) * c, a2 = B(d2[0]) * c, a1 = B(0.0f);
    for (std::ptrdiff_t k = 1; k <= r; ++k) {
      const B p = B::load_unaligned(rows[r + k] + x);
      const B m = B::load_unaligned(rows[r - k] + x);
      const B s = p + m, d = p - m;
      ag = xsimd::fma(B(g[k]), s, ag);
      a2 = xsimd::fma(B(d2[k]), s, a2);
      a1 = xsimd::fma(B(d1[k]), d, a1);
    }
    ag.store_unaligned(og + x);
    a1.store_unaligned(o1 + x);
    a2.store_unaligned(o2 + x);
  }
  vertical_pass_scalar(rows, r, x, width, g, d1, d2, og, o1, o2);
}

// ---------------------------------------------------------------------------------------------
// Horizontal pass: pg, p1, p2 point at pixel 0 of rows padded by r reflected samples on each side.
// hxx = d2 (x) * pg, hyy = g (x) * p2, hxy = d1 (x) * p1; the taps already carry sigma^2 and the
// polarity sign.

inline void horizontal_pass_scalar(const float* pg, const float* p1, const float* p2,
                                   std::ptrdiff_t r, std::ptrdiff_t x0, std::ptrdiff_t x1,
                                   const float* g, const float* d1, const float* d2, float* hxx,
                                   float* hyy, float* hxy) noexcept {
  for (std::ptrdiff_t x = x0; x < x1; ++x) {
    float axx = d2[0] * pg[x], ayy = g[0] * p2[x], axy = 0.0f;
    for (std::ptrdiff_t k = 1; k <= r; ++k) {
      axx = std::fma(d2[k], pg[x + k] + pg[x - k], axx);
      ayy = std::fma(g[k], p2[x + k] + p2[x - k], ayy);
      axy = std::fma(d1[k], p1[x + k] - p1[x - k], axy);
    }
    hxx[x] = axx;
    hyy[x] = ayy;
    hxy[x] = axy;
  }
}

struct horizontal_pass {
  template <class Arch>
  void operator()(Arch, const float* pg, const float* p1, const float* p2, std::ptrdiff_t r,
                  std::ptrdiff_t width, const float* g, const float* d1, const float* d2,
                  float* hxx, float* hyy, float* hxy) const noexcept;
};

template <class Arch>
void horizontal_pass::operator()(Arch, const float* pg, const float* p1, const float* p2,
                                 std::ptrdiff_t r, std::ptrdiff_t width, const float* g,
                                 const float* d1, const float* d2, float* hxx, float* hyy,
                                 float* hxy) const noexcept {
  using B = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = B::size;
  std::ptrdiff_t x = 0;
  for (; x + lanes <= width; x += lanes) {
    B axx = B(d2[0]) * B::load_unaligned(pg + x);
    B ayy = B(g[0]) * B::load_unaligned(p2 + x);
    B axy = B(0.0f);
    for (std::ptrdiff_t k = 1; k <= r; ++k) {
      axx = xsimd::fma(B(d2[k]), B::load_unaligned(pg + x + k) + B::load_unaligned(pg + x - k), axx);
      ayy = xsimd::fma(B(g[k]), B::load_unaligned(p2 + x + k) + B::load_unaligned(p2 + x - k), ayy);
      axy = xsimd::fma(B(d1[k]), B::load_unaligned(p1 + x + k) - B::load_unaligned(p1 + x - k), axy);
    }
    axx.store_unaligned(hxx + x);
    ayy.store_unaligned(hyy + x);
    axy.store_unaligned(hxy + x);
  }
  horizontal_pass_scalar(pg, p1, p2, r, x, width, g, d1, d2, hxx, hyy, hxy);
}

// ---------------------------------------------------------------------------------------------
// Frangi terms from a (sigma^2-normalised, polarity-corrected) Hessian: a vessel needs the
// larger-magnitude eigenvalue lambda2 > 0, i.e. trace > 0; then lambda2 = mu1, lambda1 = mu2.
//   blob term  = exp(-R_B^2 / (2 beta^2)),  R_B = lambda1 / lambda2      (0 when not a vessel)
//   S^2        = hxx^2 + hyy^2 + 2 hxy^2 = lambda1^2 + lambda2^2

inline void frangi_terms_scalar(const float* hxx, const float* hyy, const float* hxy,
                                std::ptrdiff_t x0, std::ptrdiff_t x1, float inv_two_beta2,
                                float* blob, float* s2) noexcept {
  for (std::ptrdiff_t x = x0; x < x1; ++x) {
    const float a = hxx[x], d = hyy[x], b = hxy[x];
    const float tr = a + d, df = a - d;
    const float t = std::sqrt(std::fma(df, df, 4.0f * b * b));
    const float mu1 = 0.5f * (tr + t), mu2 = 0.5f * (tr - t);
    const float rb = mu2 / (mu1 > 0.0f ? mu1 : 1.0f);
    const float e = std::exp(-(rb * rb) * inv_two_beta2);
    blob[x] = tr > 0.0f ? e : 0.0f;
    s2[x] = std::fma(a, a, std::fma(d, d, 2.0f * b * b));
  }
}

struct frangi_terms {
  template <class Arch>
  void operator()(Arch, const float* hxx, const float* hyy, const float* hxy, std::ptrdiff_t width,
                  float inv_two_beta2, float* blob, float* s2) const noexcept;
};

template <class Arch>
void frangi_terms::operator()(Arch, const float* hxx, const float* hyy, const float* hxy,
                              std::ptrdiff_t width, float inv_two_beta2, float* blob,
                              float* s2) const noexcept {
  using B = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = B::size;
  std::ptrdiff_t x = 0;
  const B zero(0.0f), half(0.5f), four(4.0f), two(2.0f), one(1.0f), k(inv_two_beta2);
  for (; x + lanes <= width; x += lanes) {
    const B a = B::load_unaligned(hxx + x), d = B::load_unaligned(hyy + x),
            b = B::load_unaligned(hxy + x);
    const B tr = a + d, df = a - d;
    const B t = xsimd::sqrt(xsimd::fma(df, df, four * b * b));
    const B mu1 = half * (tr + t), mu2 = half * (tr - t);
    const B rb = mu2 / xsimd::select(mu1 > zero, mu1, one);
    const B e = xsimd::exp(-(rb * rb) * k);
    xsimd::select(tr > zero, e, zero).store_unaligned(blob + x);
    xsimd::fma(a, a, xsimd::fma(d, d, two * b * b)).store_unaligned(s2 + x);
  }
  frangi_terms_scalar(hxx, hyy, hxy, x, width, inv_two_beta2, blob, s2);
}

// Combines one scale into the running maximum: v = blob * (1 - exp(-s2 * k)) with
// k = 1 / (2 c^2); where v beats out, out = v and scale_out = scale (if scale_out).

inline void frangi_combine_scalar(const float* blob, const float* s2, std::ptrdiff_t x0,
                                  std::ptrdiff_t x1, float k, float* out, float* scale_out,
                                  float scale) noexcept {
  for (std::ptrdiff_t x = x0; x < x1; ++x) {
    const float v = blob[x] * -std::expm1(-s2[x] * k);
    if (v > out[x]) {
      out[x] = v;
      if (scale_out != nullptr) {
        scale_out[x] = scale;
      }
    }
  }
}

struct frangi_combine {
  template <class Arch>
  void operator()(Arch, const float* blob, const float* s2, std::ptrdiff_t width, float k,
                  float* out, float* scale_out, float scale) const noexcept;
};

template <class Arch>
void frangi_combine::operator()(Arch, const float* blob, const float* s2, std::ptrdiff_t width,
                                float k, float* out, float* scale_out,
                                float scale) const noexcept {
  using B = xsimd::batch<float, Arch>;
  constexpr std::ptrdiff_t lanes = B::size;
  std::ptrdiff_t x = 0;
  const B kk(k), sc(scale);
  for (; x + lanes <= width; x += lanes) {
    const B v = B::load_unaligned(blob + x) * -xsimd::expm1(-B::load_unaligned(s2 + x) * kk);
    const B o = B::load_unaligned(out + x);
    const auto better = v > o;
    xsimd::select(better, v, o).store_unaligned(out + x);
    if (scale_out != nullptr) {
      xsimd::select(better, sc, B::load_unaligned(scale_out + x)).store_unaligned(scale_out + x);
    }
  }
  frangi_combine_scalar(blob, s2, x, width, k, out, scale_out, scale);
}

/// Largest element of a row (s2 >= 0, so 0 is a safe start).
inline float row_max_scalar(const float* p, std::ptrdiff_t x0, std::ptrdiff_t x1,
                            float m) noexcept {
  for (std::ptrdiff_t x = x0; x < x1; ++x) {
    m = std::max(m, p[x]);
  }
  return m;
}

}  // namespace vasostat::inline v0::vessel::detail
