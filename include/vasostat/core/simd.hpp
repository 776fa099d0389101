#pragma once
// The SIMD arch vasostat's kernels are compiled for, and shims over the parts of xsimd whose
// spelling changed between Debian 12's 8.1.0 and current releases (STYLE.md §3.2):
// horizontal sum (hadd -> reduce_add), reduce_min/max (absent in 8.x) and bitwise_cast.

#include <vasostat/core/config.hpp>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>

static_assert(XSIMD_VERSION_MAJOR > 8 || (XSIMD_VERSION_MAJOR == 8 && XSIMD_VERSION_MINOR >= 1),
              "vasostat needs xsimd >= 8.1");

namespace vasostat::inline v0 {

#if defined(VASOSTAT_SIMD_ARCH)
using simd_arch = VASOSTAT_SIMD_ARCH;
#elif !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
/// The arch the consumer's compile flags enable (-march=native: AVX-512 here).
using simd_arch = xsimd::default_arch;
#  define VASOSTAT_HAS_SIMD 1
#endif
#ifndef VASOSTAT_HAS_SIMD
#  define VASOSTAT_HAS_SIMD 0
#endif

namespace detail {

/// Sum of the lanes of a batch.
template <class T, class Arch>
VASOSTAT_FORCEINLINE T reduce_add(const xsimd::batch<T, Arch>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(x);
#else
  return xsimd::hadd(x);
#endif
}

/// Largest lane of a batch.
template <class T, class Arch>
VASOSTAT_FORCEINLINE T reduce_max(const xsimd::batch<T, Arch>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_max(x);
#else
  alignas(Arch::alignment()) T lanes[xsimd::batch<T, Arch>::size];
  x.store_aligned(lanes);
  return *std::max_element(lanes, lanes + xsimd::batch<T, Arch>::size);
#endif
}

/// Smallest lane of a batch.
template <class T, class Arch>
VASOSTAT_FORCEINLINE T reduce_min(const xsimd::batch<T, Arch>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_min(x);
#else
  alignas(Arch::alignment()) T lanes[xsimd::batch<T, Arch>::size];
  x.store_aligned(lanes);
  return *std::min_element(lanes, lanes + xsimd::batch<T, Arch>::size);
#endif
}

/// Reinterprets the bits of a batch as a batch of another element type of the same width.
template <class To, class T, class Arch>
VASOSTAT_FORCEINLINE xsimd::batch<To, Arch> bitcast(const xsimd::batch<T, Arch>& x) noexcept {
#if XSIMD_VERSION_MAJOR >= 11
  return xsimd::bitwise_cast<To>(x);
#else
  return xsimd::bitwise_cast<xsimd::batch<To, Arch>>(x);
#endif
}

}  // namespace detail
}  // namespace vasostat::inline v0
