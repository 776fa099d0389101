#pragma once
// In-place iterative radix-2 complex FFT (Cooley-Tukey) and its 2-D row/column form, for the
// phase correlation of vessel::stabilize. Sizes are powers of two.

#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <utility>
#include <vector>

namespace vasostat::inline v0::vessel::detail {

/// FFT of `n` values at stride `step` (inverse if `inverse`; unnormalised).
inline void fft_1d(std::complex<double>* a, std::ptrdiff_t n, std::ptrdiff_t step,
                   bool inverse) noexcept {
  for (std::ptrdiff_t i = 1, j = 0; i < n; ++i) {
    std::ptrdiff_t bit = n >> 1;
    for (; j & bit; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      std::swap(a[i * step], a[j * step]);
    }
  }
  for (std::ptrdiff_t len = 2; len <= n; len <<= 1) {
    const double ang = 2 * std::numbers::pi / static_cast<double>(len) * (inverse ? 1 : -1);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (std::ptrdiff_t i = 0; i < n; i += len) {
      std::complex<double> w(1, 0);
      for (std::ptrdiff_t k = 0; k < len / 2; ++k) {
        const auto u = a[(i + k) * step];
        const auto v = a[(i + k + len / 2) * step] * w;
        a[(i + k) * step] = u + v;
        a[(i + k + len / 2) * step] = u - v;
        w *= wl;
      }
    }
  }
}

/// 2-D FFT of an n x n row-major array.
inline void fft_2d(std::vector<std::complex<double>>& a, std::ptrdiff_t n, bool inverse) noexcept {
  for (std::ptrdiff_t y = 0; y < n; ++y) {
    fft_1d(a.data() + y * n, n, 1, inverse);
  }
  for (std::ptrdiff_t x = 0; x < n; ++x) {
    fft_1d(a.data() + x, n, n, inverse);
  }
}

}  // namespace vasostat::inline v0::vessel::detail
