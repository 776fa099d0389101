#pragma once
// vessel::stabilize: per-frame translation of a clip against a reference frame, in two steps:
// (1) phase correlation (Kuglin & Hines 1975) of a central window, 2x2-box downsampled and Hann
// windowed — global, needs no features and survives a large jitter; (2) Lucas–Kanade
// translation refinement (Lucas & Kanade 1981; Gauss–Newton on the zero-mean, unit-variance
// window with bilinear resampling), which gives the sub-pixel accuracy phase-correlation peak
// interpolation lacks; (3) by default a second Lucas–Kanade pass against the temporal mean of
// the window aligned by (1)–(2), each pixel weighted by the inverse of its temporal variance
// (the maximum-likelihood weights when moving red cells are the noise), with a per-frame gain
// and offset — so moving cells, which (1)–(2) may follow, barely pull the estimate, while static
// structure (vessel walls, the mean lumen, tissue) decides it. Offsets are applied lazily by the
// consumers (mean_image, space_time_diagram) or by resample_frame. Cost per frame:
// O(N^2 log N) for an N x N window.

#include <vasostat/core/error.hpp>
#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/vessel/clip.hpp>
#include <vasostat/vessel/detail/stabilize_fft.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::vessel {

/// How far the view moved between the reference and a frame: frame(x, y) ≈ reference(x + dx,
/// y + dy), so the aligned frame is frame(x - dx, y - dy).
struct translation {
  double dx = 0;
  double dy = 0;
};

struct stabilize_options {
  std::ptrdiff_t reference_frame = 0;  ///< index of the frame the others are aligned to
  std::ptrdiff_t window_px = 256;      ///< side of the central window used (clamped to the frame)
  int refine_iterations = 10;          ///< Lucas–Kanade iterations (0 = phase correlation only)
  /// second Lucas–Kanade pass against the clip's mean window, weighted by 1 / temporal variance
  /// (needs >= 3 frames and refine_iterations > 0)
  bool mean_reference = true;
};

struct stabilize_result {
  std::vector<translation> offsets;  ///< one per frame; the reference frame's is (0, 0)
  std::vector<double> peak;          ///< phase-correlation peak height per frame (0..1)
  double max_displacement_px = 0;    ///< largest |offset| over the clip
  double max_fraction_of_fov = 0;    ///< largest max(|dx|/width, |dy|/height): MIQS stability
};

namespace detail {

/// Bilinear sample with the coordinates clamped to the frame.
template <class T>
[[nodiscard]] inline float bilinear(const image_view<const T>& f, double x, double y) noexcept {
  x = std::clamp(x, 0.0, static_cast<double>(f.width - 1));
  y = std::clamp(y, 0.0, static_cast<double>(f.height - 1));
  const auto x0 = static_cast<std::ptrdiff_t>(x), y0 = static_cast<std::ptrdiff_t>(y);
  const std::ptrdiff_t x1 = std::min(x0 + 1, f.width - 1), y1 = std::min(y0 + 1, f.height - 1);
  const double fx = x - static_cast<double>(x0), fy = y - static_cast<double>(y0);
  const double a = static_cast<double>(f(x0, y0)), b = static_cast<double>(f(x1, y0));
  const double c = static_cast<double>(f(x0, y1)), d = static_cast<double>(f(x1, y1));
  return static_cast<float>((a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy);
}

inline std::ptrdiff_t floor_pow2(std::ptrdiff_t n) noexcept {
  std::ptrdiff_t p = 1;
  while (p * 2 <= n) {
    p *= 2;
  }
  return p;
}

/// The zero-mean, unit-variance, downsampled (2x2 box) and Hann-windowed spectrum of the
/// central window of a frame.
template <class T>
void window_spectrum(const image_view<const T>& f, std::ptrdiff_t x0, std::ptrdiff_t y0,
                     std::ptrdiff_t n, std::vector<std::complex<double>>& out) {
  out.assign(static_cast<std::size_t>(n * n), {});
  double sum = 0;
  for (std::ptrdiff_t y = 0; y < n; ++y) {
    for (std::ptrdiff_t x = 0; x < n; ++x) {
      const double v = (static_cast<double>(f(x0 + 2 * x, y0 + 2 * y)) +
                        static_cast<double>(f(x0 + 2 * x + 1, y0 + 2 * y)) +
                        static_cast<double>(f(x0 + 2 * x, y0 + 2 * y + 1)) +
                        static_cast<double>(f(x0 + 2 * x + 1, y0 + 2 * y + 1))) * 0.25;
      out[static_cast<std::size_t>(y * n + x)] = v;
      sum += v;
    }
  }
  const double mean = sum / static_cast<double>(n * n);
  std::vector<double> hann(static_cast<std::size_t>(n));  // the same weights along x and y
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    hann[static_cast<std::size_t>(i)] =
        0.5 - 0.5 * std::cos(2 * std::numbers::pi * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
  }
  for (std::ptrdiff_t y = 0; y < n; ++y) {
    const double wy = hann[static_cast<std::size_t>(y)];
    for (std::ptrdiff_t x = 0; x < n; ++x) {
      const double wx = hann[static_cast<std::size_t>(x)];
      auto& v = out[static_cast<std::size_t>(y * n + x)];
      v = (v.real() - mean) * wx * wy;
    }
  }
  fft_2d(out, n, false);
}

/// Phase correlation of two window spectra (fcur is overwritten): the displacement d (in
/// full-resolution px, frame(x) ≈ ref(x + d)) and the peak height (0..1).
inline double phase_correlate(const std::vector<std::complex<double>>& fref,
                              std::vector<std::complex<double>>& fcur, std::ptrdiff_t n,
                              double& dx, double& dy) {
  for (std::size_t i = 0; i < fcur.size(); ++i) {  // cross-power spectrum, unit magnitude
    const double cr = fcur[i].real(), ci = fcur[i].imag();
    const double rr = fref[i].real(), ri = fref[i].imag();
    const double pr = cr * rr + ci * ri, pi = ci * rr - cr * ri;  // fcur · conj(fref)
    const double a = std::sqrt(pr * pr + pi * pi);  // |p| < ~1e27 for 8/16-bit windows
    fcur[i] = a > 1e-300 ? std::complex<double>{pr / a, pi / a} : std::complex<double>{};
  }
  fft_2d(fcur, n, true);
  std::ptrdiff_t bx = 0, by = 0;
  double best = -1;
  for (std::ptrdiff_t y = 0; y < n; ++y) {
    for (std::ptrdiff_t x = 0; x < n; ++x) {
      const double v = fcur[static_cast<std::size_t>(y * n + x)].real();
      if (v > best) {
        best = v;
        bx = x;
        by = y;
      }
    }
  }
  auto at = [&](std::ptrdiff_t x, std::ptrdiff_t y) {
    return fcur[static_cast<std::size_t>(((y + n) % n) * n + (x + n) % n)].real();
  };
  auto parabola = [](double l, double c0, double r) {
    const double den = l - 2 * c0 + r;
    return den < 0 ? std::clamp(0.5 * (l - r) / den, -0.5, 0.5) : 0.0;
  };
  dx = static_cast<double>(bx > n / 2 ? bx - n : bx) + parabola(at(bx - 1, by), best, at(bx + 1, by));
  dy = static_cast<double>(by > n / 2 ? by - n : by) + parabola(at(bx, by - 1), best, at(bx, by + 1));
  // the peak sits at the content's displacement s, frame(x) = ref(x - s), so d = -s
  dx *= -2;
  dy *= -2;
  return best / static_cast<double>(n * n);
}

/// Stabilisation pass (3): the window of every frame sampled on the Lucas–Kanade grid at its
/// current offset, normalised, gives each grid pixel a temporal mean m and variance v; then
/// each frame is registered to m by weighted Gauss–Newton on
///   frame(x − d) ≈ α·(m(x) + ∇m·δ) + β,  weights 1 / (v(x) + v₀),
/// v₀ = the lower quartile of v (the noise floor of the static pixels). A frame that fits m
/// much worse than the others (weighted R² below half the median: phase correlation locked onto
/// moving texture) is phase-correlated again against the mean window and refined from there.
/// The offsets are returned relative to the reference frame's.
template <class T>
void mean_reference_pass(const clip<T>& c, const stabilize_options& o, std::ptrdiff_t x0,
                         std::ptrdiff_t y0, std::ptrdiff_t n, std::ptrdiff_t lx0,
                         std::ptrdiff_t ly0, std::ptrdiff_t ln, std::ptrdiff_t step,
                         std::vector<translation>& offsets) {
  const std::ptrdiff_t g = (ln + step - 1) / step;  // grid side
  const auto np = static_cast<std::size_t>(g * g);
  const std::ptrdiff_t w = c.frames[0].width, h = c.frames[0].height;
  std::vector<double> cur(np), sum(np, 0.0), sq(np, 0.0), cnt(np, 0.0);
  std::vector<unsigned char> ok(np);
  // Samples of frame f at offset d (one shift for the whole grid: the same bilinear weights
  // everywhere); ok = both source pixels inside the frame, else the sample is 0 and unused.
  auto sample = [&](const image_view<const T>& f, double dx, double dy) {
    const double sx0 = static_cast<double>(lx0) - dx, sy0 = static_cast<double>(ly0) - dy;
    const double fx0 = std::floor(sx0), fy0 = std::floor(sy0);
    const double ax = sx0 - fx0, ay = sy0 - fy0;
    const double w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
    const auto ix = static_cast<std::ptrdiff_t>(fx0), iy = static_cast<std::ptrdiff_t>(fy0);
    // columns gx with 0 <= ix + gx·step and ix + gx·step + 1 <= w − 1
    const std::ptrdiff_t gx_lo = std::clamp<std::ptrdiff_t>(ix >= 0 ? 0 : (-ix + step - 1) / step, 0, g);
    const std::ptrdiff_t gx_hi = std::clamp<std::ptrdiff_t>(w - 2 - ix < 0 ? 0 : (w - 2 - ix) / step + 1, gx_lo, g);
    for (std::ptrdiff_t gy = 0; gy < g; ++gy) {
      const std::ptrdiff_t y = iy + gy * step;
      double* cr = cur.data() + gy * g;
      unsigned char* okr = ok.data() + gy * g;
      if (y < 0 || y + 1 > h - 1) {
        std::fill(cr, cr + g, 0.0);
        std::fill(okr, okr + g, static_cast<unsigned char>(0));
        continue;
      }
      const T* r0 = f.row(y) + ix;
      const T* r1 = f.row(y + 1) + ix;
      std::fill(cr, cr + gx_lo, 0.0);
      std::fill(okr, okr + gx_lo, static_cast<unsigned char>(0));
      for (std::ptrdiff_t gx = gx_lo; gx < gx_hi; ++gx) {
        const std::ptrdiff_t x = gx * step;
        cr[gx] = w00 * static_cast<double>(r0[x]) + w10 * static_cast<double>(r0[x + 1]) +
                 w01 * static_cast<double>(r1[x]) + w11 * static_cast<double>(r1[x + 1]);
        okr[gx] = 1;
      }
      std::fill(cr + gx_hi, cr + g, 0.0);
      std::fill(okr + gx_hi, okr + g, static_cast<unsigned char>(0));
    }
  };
  const auto nf = c.frames.size();
  for (std::size_t t = 0; t < nf; ++t) {
    sample(c.frames[t], offsets[t].dx, offsets[t].dy);
    double s = 0, s2 = 0, cn = 0;
    for (std::size_t i = 0; i < np; ++i) {
      if (ok[i] != 0) {
        s += cur[i];
        s2 += cur[i] * cur[i];
        cn += 1;
      }
    }
    const double mean = cn > 0 ? s / cn : 0.0;
    const double sd = cn > 0 ? std::sqrt(std::max(s2 / cn - mean * mean, 0.0)) : 0.0;
    if (!(sd > 0)) {
      continue;  // a flat frame says nothing about the mean
    }
    for (std::size_t i = 0; i < np; ++i) {
      if (ok[i] != 0) {
        const double v = (cur[i] - mean) / sd;
        sum[i] += v;
        sq[i] += v * v;
        cnt[i] += 1;
      }
    }
  }
  // mean, weights and gradients; pixels seen in fewer than half the frames get no weight
  std::vector<double> m(np, 0.0), wt(np, 0.0), gxv(np, 0.0), gyv(np, 0.0), var;
  const double min_count = std::max(2.0, 0.5 * static_cast<double>(nf));
  for (std::size_t i = 0; i < np; ++i) {
    if (cnt[i] >= min_count) {
      m[i] = sum[i] / cnt[i];
      var.push_back(std::max(sq[i] / cnt[i] - m[i] * m[i], 0.0));
    }
  }
  if (var.empty()) {
    return;
  }
  const auto q = var.begin() + static_cast<std::ptrdiff_t>(var.size() / 4);
  std::nth_element(var.begin(), q, var.end());
  const double v0 = std::max(*q, 1e-6);
  for (std::ptrdiff_t gy = 0; gy < g; ++gy) {
    for (std::ptrdiff_t gx = 0; gx < g; ++gx) {
      const auto i = static_cast<std::size_t>(gy * g + gx);
      if (cnt[i] < min_count) {
        continue;
      }
      const auto valid = [&](std::ptrdiff_t x, std::ptrdiff_t y) {
        return x >= 0 && y >= 0 && x < g && y < g && cnt[static_cast<std::size_t>(y * g + x)] >= min_count;
      };
      const auto at = [&](std::ptrdiff_t x, std::ptrdiff_t y) { return m[static_cast<std::size_t>(y * g + x)]; };
      const std::ptrdiff_t xm = valid(gx - 1, gy) ? gx - 1 : gx, xp = valid(gx + 1, gy) ? gx + 1 : gx;
      const std::ptrdiff_t ym = valid(gx, gy - 1) ? gy - 1 : gy, yp = valid(gx, gy + 1) ? gy + 1 : gy;
      if (xp == xm || yp == ym) {
        continue;  // no gradient: no weight
      }
      gxv[i] = (at(xp, gy) - at(xm, gy)) / static_cast<double>((xp - xm) * step);
      gyv[i] = (at(gx, yp) - at(gx, ym)) / static_cast<double>((yp - ym) * step);
      wt[i] = 1.0 / (std::max(sq[i] / cnt[i] - m[i] * m[i], 0.0) + v0);
    }
  }
  // Weighted normal equations of cur ≈ α m + β + ux gx + uy gy (regressors m, 1, gx, gy):
  // the matrix over all weighted grid pixels is fixed; a frame only subtracts the pixels its
  // shift moves outside the frame.
  std::vector<double> wr0(np), wr2(np), wr3(np);
  double full[4][4] = {};
  for (std::size_t i = 0; i < np; ++i) {
    wr0[i] = wt[i] * m[i];
    wr2[i] = wt[i] * gxv[i];
    wr3[i] = wt[i] * gyv[i];
    const double r[4] = {m[i], 1.0, gxv[i], gyv[i]};
    for (int p = 0; p < 4; ++p) {
      for (int k = 0; k < 4; ++k) {
        full[p][k] += wt[i] * r[p] * r[k];
      }
    }
  }
  // Weighted Gauss–Newton of frame t from (dx, dy); returns the weighted R² of the last fit.
  auto align = [&](std::size_t t, double& dx, double& dy) {
    double r2 = 0;
    for (int it = 0; it < o.refine_iterations; ++it) {
      sample(c.frames[t], dx, dy);
      double a[4][5];
      for (int p = 0; p < 4; ++p) {
        for (int k = 0; k < 4; ++k) {
          a[p][k] = full[p][k];
        }
      }
      double b0 = 0, b1 = 0, b2 = 0, b3 = 0, yy = 0;
      for (std::size_t i = 0; i < np; ++i) {  // cur = 0 where not ok
        const double v = cur[i];
        b0 += wr0[i] * v;
        b1 += wt[i] * v;
        b2 += wr2[i] * v;
        b3 += wr3[i] * v;
        yy += wt[i] * v * v;
      }
      for (std::size_t i = 0; i < np; ++i) {
        if (ok[i] == 0 && wt[i] != 0) {
          const double r[4] = {m[i], 1.0, gxv[i], gyv[i]};
          for (int p = 0; p < 4; ++p) {
            for (int k = 0; k < 4; ++k) {
              a[p][k] -= wt[i] * r[p] * r[k];
            }
          }
        }
      }
      a[0][4] = b0;
      a[1][4] = b1;
      a[2][4] = b2;
      a[3][4] = b3;
      const double b[4] = {a[0][4], a[1][4], a[2][4], a[3][4]};
      const double sw = a[1][1], swy = a[1][4];
      const double scale = std::abs(a[0][0]) + std::abs(a[1][1]) + std::abs(a[2][2]) + std::abs(a[3][3]);
      bool singular = false;  // Gaussian elimination with partial pivoting
      for (int p = 0; p < 4 && !singular; ++p) {
        int piv = p;
        for (int k = p + 1; k < 4; ++k) {
          if (std::abs(a[k][p]) > std::abs(a[piv][p])) {
            piv = k;
          }
        }
        if (!(std::abs(a[piv][p]) > 1e-12 * scale)) {
          singular = true;
          break;
        }
        for (int k = 0; k < 5; ++k) {
          std::swap(a[p][k], a[piv][k]);
        }
        for (int r = p + 1; r < 4; ++r) {
          const double f = a[r][p] / a[p][p];
          for (int k = p; k < 5; ++k) {
            a[r][k] -= f * a[p][k];
          }
        }
      }
      if (singular) {
        break;
      }
      double x[4];
      for (int p = 3; p >= 0; --p) {
        double v = a[p][4];
        for (int k = p + 1; k < 4; ++k) {
          v -= a[p][k] * x[k];
        }
        x[p] = v / a[p][p];
      }
      const double sst = yy - swy * swy / sw;
      const double ssr = yy - (x[0] * b[0] + x[1] * b[1] + x[2] * b[2] + x[3] * b[3]);
      r2 = sst > 0 ? 1 - ssr / sst : 0.0;
      if (!(x[0] > 1e-6)) {
        r2 = 0;
        break;  // the frame does not resemble the mean (inverted or flat)
      }
      const double ddx = x[2] / x[0], ddy = x[3] / x[0];
      dx += std::clamp(ddx, -2.0, 2.0);
      dy += std::clamp(ddy, -2.0, 2.0);
      if (std::abs(ddx) < 1e-3 && std::abs(ddy) < 1e-3) {
        break;
      }
    }
    return r2;
  };
  std::vector<translation> d2(offsets);
  std::vector<double> fit(nf);
  for (std::size_t t = 0; t < nf; ++t) {
    fit[t] = align(t, d2[t].dx, d2[t].dy);
  }
  std::vector<double> sorted_fit(fit);
  std::sort(sorted_fit.begin(), sorted_fit.end());
  const double cut = 0.5 * sorted_fit[nf / 2];
  if (cut > 0 && sorted_fit[0] < cut) {
    // Outliers: phase correlation against the mean window (2x2-binned like window_spectrum,
    // built from the frames that fit), then the weighted refinement from there.
    std::vector<std::complex<double>> fmean(static_cast<std::size_t>(n * n)), fcur;
    std::vector<double> win(static_cast<std::size_t>(n * n));
    for (std::size_t t = 0; t < nf; ++t) {
      if (fit[t] < cut) {
        continue;
      }
      double s = 0, s2 = 0;
      for (std::ptrdiff_t y = 0; y < n; ++y) {
        for (std::ptrdiff_t x = 0; x < n; ++x) {
          const double v = bilinear(c.frames[t], static_cast<double>(x0 + 2 * x) + 0.5 - d2[t].dx,
                                    static_cast<double>(y0 + 2 * y) + 0.5 - d2[t].dy);
          win[static_cast<std::size_t>(y * n + x)] = v;
          s += v;
          s2 += v * v;
        }
      }
      const double cn = static_cast<double>(n * n), mean = s / cn;
      const double sd = std::sqrt(std::max(s2 / cn - mean * mean, 0.0));
      for (std::size_t i = 0; i < win.size() && sd > 0; ++i) {
        fmean[i] += (win[i] - mean) / sd;
      }
    }
    std::vector<double> hann(static_cast<std::size_t>(n));
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      hann[static_cast<std::size_t>(i)] =
          0.5 - 0.5 * std::cos(2 * std::numbers::pi * (static_cast<double>(i) + 0.5) / static_cast<double>(n));
    }
    double mean = 0;
    for (const auto& v : fmean) {
      mean += v.real();
    }
    mean /= static_cast<double>(n * n);
    for (std::ptrdiff_t y = 0; y < n; ++y) {
      for (std::ptrdiff_t x = 0; x < n; ++x) {
        auto& v = fmean[static_cast<std::size_t>(y * n + x)];
        v = (v.real() - mean) * hann[static_cast<std::size_t>(x)] * hann[static_cast<std::size_t>(y)];
      }
    }
    fft_2d(fmean, n, false);
    for (std::size_t t = 0; t < nf; ++t) {
      if (fit[t] >= cut) {
        continue;
      }
      window_spectrum(c.frames[t], x0, y0, n, fcur);
      double dx = 0, dy = 0;
      (void)phase_correlate(fmean, fcur, n, dx, dy);
      const double r2 = align(t, dx, dy);
      if (r2 > fit[t]) {
        fit[t] = r2;
        d2[t] = {dx, dy};
      }
    }
  }
  const translation r0 = d2[static_cast<std::size_t>(o.reference_frame)];
  for (std::size_t t = 0; t < nf; ++t) {
    offsets[t] = {d2[t].dx - r0.dx, d2[t].dy - r0.dy};
  }
}

}  // namespace detail

/// Per-frame translation of `c` relative to options.reference_frame.
/// Throws vasostat::invalid_argument for an empty clip, frames of different sizes, NaN pixels,
/// a bad calibration, a reference frame outside the clip, window_px < 16 or a frame smaller
/// than 16 x 16.
template <grey_pixel T>
[[nodiscard]] stabilize_result stabilize(const clip<T>& c, const stabilize_options& o = {}) {
  const char* where = "vasostat::vessel::stabilize";
  detail::check_clip(c, where);
  const auto nf = static_cast<std::ptrdiff_t>(c.frames.size());
  VASOSTAT_EXPECTS(o.reference_frame >= 0 && o.reference_frame < nf,
                   std::string(where) + ": reference_frame (" + std::to_string(o.reference_frame) +
                       ") is outside the clip (" + std::to_string(nf) + " frames)");
  VASOSTAT_EXPECTS(o.window_px >= 16, std::string(where) + ": window_px must be >= 16");
  VASOSTAT_EXPECTS(o.refine_iterations >= 0, std::string(where) + ": refine_iterations must be >= 0");
  const auto& ref = c.frames[static_cast<std::size_t>(o.reference_frame)];
  const std::ptrdiff_t w = ref.width, h = ref.height;
  VASOSTAT_EXPECTS(w >= 16 && h >= 16, std::string(where) + ": clip frames are smaller than 16 x 16");
  const std::ptrdiff_t side = std::min({o.window_px, w, h});
  const std::ptrdiff_t n = detail::floor_pow2(side / 2);  // downsampled FFT size
  const std::ptrdiff_t full = 2 * n;
  const std::ptrdiff_t x0 = (w - full) / 2, y0 = (h - full) / 2;

  stabilize_result res;
  res.offsets.assign(static_cast<std::size_t>(nf), {});
  res.peak.assign(static_cast<std::size_t>(nf), 1.0);
  std::vector<std::complex<double>> fref, fcur;
  detail::window_spectrum(ref, x0, y0, n, fref);

  // Reference window for Lucas–Kanade: zero-mean unit-variance values and central gradients,
  // on the window shrunk by a margin so that shifted samples stay inside the frame mostly.
  const std::ptrdiff_t m = std::max<std::ptrdiff_t>(2, full / 16);
  // Lucas–Kanade samples every second pixel of large windows (4x cheaper; the normal equations
  // still hold tens of thousands of samples)
  const std::ptrdiff_t lk_step = full >= 128 ? 2 : 1;
  const std::ptrdiff_t lx0 = x0 + m, ly0 = y0 + m, ln = full - 2 * m;
  std::vector<double> rv(static_cast<std::size_t>(ln * ln)), gx(rv.size()), gy(rv.size()),
      cur(rv.size());
  {
    double s = 0, s2 = 0;
    for (std::ptrdiff_t y = 0; y < ln; ++y) {
      for (std::ptrdiff_t x = 0; x < ln; ++x) {
        const double v = static_cast<double>(ref(lx0 + x, ly0 + y));
        rv[static_cast<std::size_t>(y * ln + x)] = v;
        s += v;
        s2 += v * v;
      }
    }
    const double cnt = static_cast<double>(ln * ln);
    const double mean = s / cnt, sd = std::sqrt(std::max(s2 / cnt - mean * mean, 0.0));
    const double inv = sd > 0 ? 1 / sd : 0;
    for (auto& v : rv) {
      v = (v - mean) * inv;
    }
    for (std::ptrdiff_t y = 0; y < ln; ++y) {
      for (std::ptrdiff_t x = 0; x < ln; ++x) {
        const auto i = static_cast<std::size_t>(y * ln + x);
        const std::ptrdiff_t xm = std::max<std::ptrdiff_t>(x - 1, 0), xp = std::min(x + 1, ln - 1);
        const std::ptrdiff_t ym = std::max<std::ptrdiff_t>(y - 1, 0), yp = std::min(y + 1, ln - 1);
        gx[i] = (rv[static_cast<std::size_t>(y * ln + xp)] - rv[static_cast<std::size_t>(y * ln + xm)]) /
                static_cast<double>(xp - xm);
        gy[i] = (rv[static_cast<std::size_t>(yp * ln + x)] - rv[static_cast<std::size_t>(ym * ln + x)]) /
                static_cast<double>(yp - ym);
      }
    }
  }

  for (std::ptrdiff_t t = 0; t < nf; ++t) {
    if (t == o.reference_frame) {
      continue;
    }
    const auto& f = c.frames[static_cast<std::size_t>(t)];
    // (1) phase correlation
    detail::window_spectrum(f, x0, y0, n, fcur);
    double dx = 0, dy = 0;
    res.peak[static_cast<std::size_t>(t)] = detail::phase_correlate(fref, fcur, n, dx, dy);
    // (2) Lucas–Kanade refinement: minimise sum (norm(frame(x - d)) - norm(ref(x)))^2
    for (int it = 0; it < o.refine_iterations; ++it) {
      double s = 0, s2 = 0, cnt = 0;
      const double sx0 = static_cast<double>(lx0) - dx, sy0 = static_cast<double>(ly0) - dy;
      if (sx0 >= 0 && sy0 >= 0 && sx0 + static_cast<double>(ln) < static_cast<double>(w - 1) &&
          sy0 + static_cast<double>(ln) < static_cast<double>(h - 1)) {
        // the whole shifted window inside the frame: one set of bilinear weights, no clamping
        const double fx0 = std::floor(sx0), fy0 = std::floor(sy0);
        const double ax = sx0 - fx0, ay = sy0 - fy0;
        const double w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
        const auto ix = static_cast<std::ptrdiff_t>(fx0), iy = static_cast<std::ptrdiff_t>(fy0);
        for (std::ptrdiff_t y = 0; y < ln; y += lk_step) {
          const T* r0 = f.row(iy + y) + ix;
          const T* r1 = f.row(iy + y + 1) + ix;
          double* cr = cur.data() + y * ln;
          for (std::ptrdiff_t x = 0; x < ln; x += lk_step) {
            const double v = w00 * static_cast<double>(r0[x]) + w10 * static_cast<double>(r0[x + 1]) +
                             w01 * static_cast<double>(r1[x]) + w11 * static_cast<double>(r1[x + 1]);
            cr[x] = v;
            s += v;
            s2 += v * v;
            cnt += 1;
          }
        }
      } else {
        for (std::ptrdiff_t y = 0; y < ln; y += lk_step) {
          for (std::ptrdiff_t x = 0; x < ln; x += lk_step) {
            const double v = detail::bilinear(f, static_cast<double>(lx0 + x) - dx,
                                              static_cast<double>(ly0 + y) - dy);
            cur[static_cast<std::size_t>(y * ln + x)] = v;
            s += v;
            s2 += v * v;
            cnt += 1;
          }
        }
      }
      const double mean = s / cnt, sd = std::sqrt(std::max(s2 / cnt - mean * mean, 0.0));
      if (!(sd > 0)) {
        break;
      }
      double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
      for (std::ptrdiff_t y = 0; y < ln; y += lk_step) {
        const double sy = static_cast<double>(ly0 + y) - dy;
        for (std::ptrdiff_t x = 0; x < ln; x += lk_step) {
          const double sx = static_cast<double>(lx0 + x) - dx;
          if (sx < 0 || sy < 0 || sx > static_cast<double>(w - 1) || sy > static_cast<double>(h - 1)) {
            continue;  // sample clamped at the frame border: no information
          }
          const auto i = static_cast<std::size_t>(y * ln + x);
          const double e = (cur[i] - mean) / sd - rv[i];
          a11 += gx[i] * gx[i];
          a12 += gx[i] * gy[i];
          a22 += gy[i] * gy[i];
          b1 += gx[i] * e;
          b2 += gy[i] * e;
        }
      }
      const double det = a11 * a22 - a12 * a12;
      if (!(det > 1e-12 * (a11 + a22) * (a11 + a22)) || !(det > 0)) {
        break;
      }
      // frame(x - d - delta) ≈ frame(x - d) - grad . delta, and grad ≈ the reference's gradient
      const double ddx = (a22 * b1 - a12 * b2) / det, ddy = (a11 * b2 - a12 * b1) / det;
      dx += std::clamp(ddx, -2.0, 2.0);
      dy += std::clamp(ddy, -2.0, 2.0);
      if (std::abs(ddx) < 1e-3 && std::abs(ddy) < 1e-3) {
        break;
      }
    }
    res.offsets[static_cast<std::size_t>(t)] = {dx, dy};
  }
  if (o.mean_reference && nf >= 3 && o.refine_iterations > 0) {
    detail::mean_reference_pass(c, o, x0, y0, n, lx0, ly0, ln, lk_step, res.offsets);
  }
  for (const auto& d : res.offsets) {
    res.max_displacement_px = std::max(res.max_displacement_px, std::hypot(d.dx, d.dy));
    res.max_fraction_of_fov =
        std::max({res.max_fraction_of_fov, std::abs(d.dx) / static_cast<double>(w),
                  std::abs(d.dy) / static_cast<double>(h)});
  }
  return res;
}

/// Resamples `frame` so that out(x, y) = frame(x - offset.dx, y - offset.dy) (bilinear, border
/// clamped): the frame aligned to the reference.
template <grey_pixel T>
void resample_frame(const image_view<const T>& frame, const translation& offset,
                    const image_view<float>& out) {
  const char* where = "vasostat::vessel::resample_frame";
  vasostat::detail::check_image_view(frame, where, "frame");
  vasostat::detail::check_image_view(out, where, "out");
  VASOSTAT_EXPECTS(out.width == frame.width && out.height == frame.height && !frame.empty(),
                   std::string(where) + ": out differs in size from frame (or frame is empty)");
  VASOSTAT_EXPECTS(std::isfinite(offset.dx) && std::isfinite(offset.dy),
                   std::string(where) + ": offset is not finite");
  for (std::ptrdiff_t y = 0; y < frame.height; ++y) {
    for (std::ptrdiff_t x = 0; x < frame.width; ++x) {
      out(x, y) = detail::bilinear(frame, static_cast<double>(x) - offset.dx,
                                   static_cast<double>(y) - offset.dy);
    }
  }
}

}  // namespace vasostat::inline v0::vessel
