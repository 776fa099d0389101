#pragma once
// In-place iterative radix-2 complex FFT (Cooley-Tukey) and its 2-D row/column form, for the
// phase correlation of vessel::stabilize. Sizes are powers of two. Twiddle factors come from a
// table (one cos/sin per k, no recurrence drift); the column transform runs its butterflies on
// whole rows at a time, so every inner loop is contiguous and vectorises.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <utility>
#include <vector>

namespace vasostat::inline v0::vessel::detail {

/// exp(∓2πi k / n) for k < n / 2 (− forward, + inverse).
inline void fft_twiddles(std::ptrdiff_t n, bool inverse, std::vector<std::complex<double>>& tw) {
  tw.resize(static_cast<std::size_t>(n / 2));
  for (std::ptrdiff_t k = 0; k < n / 2; ++k) {
    const double ang = 2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n) * (inverse ? 1 : -1);
    tw[static_cast<std::size_t>(k)] = {std::cos(ang), std::sin(ang)};
  }
}

inline std::ptrdiff_t bit_reverse(std::ptrdiff_t i, std::ptrdiff_t n) noexcept {
  std::ptrdiff_t r = 0;
  for (std::ptrdiff_t bit = 1; bit < n; bit <<= 1) {
    r = (r << 1) | ((i & bit) != 0 ? 1 : 0);
  }
  return r;
}

/// FFT of the `n` contiguous values `a` with the twiddle table of size n (unnormalised).
inline void fft_1d(std::complex<double>* a, std::ptrdiff_t n, const std::complex<double>* tw) noexcept {
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const std::ptrdiff_t j = bit_reverse(i, n);
    if (i < j) {
      std::swap(a[i], a[j]);
    }
  }
  for (std::ptrdiff_t len = 2; len <= n; len <<= 1) {
    const std::ptrdiff_t half = len / 2, tstep = n / len;
    for (std::ptrdiff_t i = 0; i < n; i += len) {
      for (std::ptrdiff_t k = 0; k < half; ++k) {
        const std::complex<double> w = tw[k * tstep];
        const std::complex<double> u = a[i + k], x = a[i + k + half];
        const double vr = x.real() * w.real() - x.imag() * w.imag();
        const double vi = x.real() * w.imag() + x.imag() * w.real();
        a[i + k] = {u.real() + vr, u.imag() + vi};
        a[i + k + half] = {u.real() - vr, u.imag() - vi};
      }
    }
  }
}

/// 2-D FFT of an n x n row-major array (inverse if `inverse`; unnormalised).
inline void fft_2d(std::vector<std::complex<double>>& a, std::ptrdiff_t n, bool inverse) {
  std::vector<std::complex<double>> tw;
  fft_twiddles(n, inverse, tw);
  for (std::ptrdiff_t y = 0; y < n; ++y) {
    fft_1d(a.data() + y * n, n, tw.data());
  }
  // Columns: the same butterflies with whole rows as the elements.
  std::complex<double>* d = a.data();
  for (std::ptrdiff_t i = 0; i < n; ++i) {
    const std::ptrdiff_t j = bit_reverse(i, n);
    if (i < j) {
      std::swap_ranges(d + i * n, d + (i + 1) * n, d + j * n);
    }
  }
  for (std::ptrdiff_t len = 2; len <= n; len <<= 1) {
    const std::ptrdiff_t half = len / 2, tstep = n / len;
    for (std::ptrdiff_t i = 0; i < n; i += len) {
      for (std::ptrdiff_t k = 0; k < half; ++k) {
        const double wr = tw[static_cast<std::size_t>(k * tstep)].real();
        const double wi = tw[static_cast<std::size_t>(k * tstep)].imag();
        // std::complex<double> is layout-compatible with double[2]
        double* u = reinterpret_cast<double*>(d + (i + k) * n);
        double* v = reinterpret_cast<double*>(d + (i + k + half) * n);
        for (std::ptrdiff_t x = 0; x < 2 * n; x += 2) {
          const double vr = v[x] * wr - v[x + 1] * wi;
          const double vi = v[x] * wi + v[x + 1] * wr;
          const double ur = u[x], ui = u[x + 1];
          u[x] = ur + vr;
          u[x + 1] = ui + vi;
          v[x] = ur - vr;
          v[x + 1] = ui - vi;
        }
      }
    }
  }
}

}  // namespace vasostat::inline v0::vessel::detail
