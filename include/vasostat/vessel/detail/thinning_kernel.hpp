#pragma once
// Bit-parallel thinning: the mask is packed into bit planes (64 pixels per word, a zero guard
// word before and after each row and a zero guard row above and below), and each thinning pass
// evaluates the neighbourhood rules of skeletonize_scalar.hpp as Boolean algebra on whole words
// (W = std::uint64_t) or on xsimd batches of words (W = xsimd::batch<std::uint64_t, Arch>).
// Rows whose 3-row neighbourhood has not changed since a pass last saw them are skipped.

#include <vasostat/core/aligned_buffer.hpp>
#include <vasostat/core/config.hpp>
#include <vasostat/core/image_view.hpp>
#include <vasostat/core/simd.hpp>
#include <vasostat/vessel/detail/skeletonize_scalar.hpp>

#include <xsimd/xsimd.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vasostat::inline v0::vessel::detail {

/// Load/store/test for a word type: plain 64-bit words or an xsimd batch of them.
template <class W>
struct word_ops;

template <>
struct word_ops<std::uint64_t> {
  static constexpr std::ptrdiff_t size = 1;
  static VASOSTAT_FORCEINLINE std::uint64_t load(const std::uint64_t* p) noexcept { return *p; }
  static VASOSTAT_FORCEINLINE void store(std::uint64_t* p, std::uint64_t v) noexcept { *p = v; }
  static VASOSTAT_FORCEINLINE bool any(std::uint64_t v) noexcept { return v != 0; }
};

template <class Arch>
struct word_ops<xsimd::batch<std::uint64_t, Arch>> {
  using batch = xsimd::batch<std::uint64_t, Arch>;
  static constexpr std::ptrdiff_t size = static_cast<std::ptrdiff_t>(batch::size);
  static VASOSTAT_FORCEINLINE batch load(const std::uint64_t* p) noexcept {
    return batch::load_unaligned(p);
  }
  static VASOSTAT_FORCEINLINE void store(std::uint64_t* p, const batch& v) noexcept {
    v.store_unaligned(p);
  }
  static VASOSTAT_FORCEINLINE bool any(const batch& v) noexcept {
    return xsimd::any(v != batch(std::uint64_t{0}));
  }
};

/// At-least-two / exactly-one counters over a stream of bit vectors (bitwise, per pixel).
template <class W>
struct bit_counter {
  W one;
  W two;
  VASOSTAT_FORCEINLINE explicit bit_counter(const W& zero) noexcept : one(zero), two(zero) {}
  VASOSTAT_FORCEINLINE void add(const W& v) noexcept {
    two = two | (one & v);
    one = one | v;
  }
  [[nodiscard]] VASOSTAT_FORCEINLINE W at_least_one() const noexcept { return one; }
  [[nodiscard]] VASOSTAT_FORCEINLINE W at_least_two() const noexcept { return two; }
  [[nodiscard]] VASOSTAT_FORCEINLINE W exactly_one() const noexcept { return one & ~two; }
};

/// The deletion rule of pass `Pass` as Boolean algebra on bit vectors of the 8 neighbours of
/// the pixels in `c` (same rules as thinning_deletes in skeletonize_scalar.hpp).
template <int Pass, class W>
VASOSTAT_FORCEINLINE W thinning_rule(const W& c, const W& n, const W& ne, const W& e, const W& se,
                                     const W& s, const W& sw, const W& w, const W& nw) noexcept {
  const W zero = W(std::uint64_t{0});
  // C(P) == 1: exactly one 8-connected foreground run in the ring (Yokoi / Guo–Hall).
  auto simple = [&]() {
    bit_counter<W> k(zero);
    k.add(~n & (ne | e));
    k.add(~e & (se | s));
    k.add(~s & (sw | w));
    k.add(~w & (nw | n));
    return k.exactly_one();
  };
  W at_least_two = zero, at_least_three = zero;  // B >= 2, B >= 3
  {
    W one = zero;
    for (const W* v : {&n, &ne, &e, &se, &s, &sw, &w, &nw}) {
      at_least_three = at_least_three | (at_least_two & *v);
      at_least_two = at_least_two | (one & *v);
      one = one | *v;
    }
  }
  if constexpr (Pass == 0 || Pass == 1) {
    bit_counter<W> zeros(zero);  // B <= 6  <=>  at least two neighbours are 0
    zeros.add(~n);
    zeros.add(~ne);
    zeros.add(~e);
    zeros.add(~se);
    zeros.add(~s);
    zeros.add(~sw);
    zeros.add(~w);
    zeros.add(~nw);
    bit_counter<W> a(zero);  // A == 1: exactly one 0->1 transition in N, NE, ..., NW, N
    a.add(~n & ne);
    a.add(~ne & e);
    a.add(~e & se);
    a.add(~se & s);
    a.add(~s & sw);
    a.add(~sw & w);
    a.add(~w & nw);
    a.add(~nw & n);
    W keep;
    if constexpr (Pass == 0) {
      keep = (n & e & s) | (e & s & w);
    } else {
      keep = (n & e & w) | (n & s & w);
    }
    // 2×2-square guard: ring exactly {E, SE, S}.
    keep = keep | (e & se & s & ~(n | ne | sw | w | nw));
    return c & at_least_three & zeros.at_least_two() & a.exactly_one() & ~keep;
  } else if constexpr (Pass == 2 || Pass == 3) {
    // N(P) = min(N1, N2) in [2, 3]: both counts >= 2 and not both == 4.
    bit_counter<W> n1(zero);
    const W a1 = nw | n, a2 = ne | e, a3 = se | s, a4 = sw | w;
    n1.add(a1);
    n1.add(a2);
    n1.add(a3);
    n1.add(a4);
    bit_counter<W> n2(zero);
    const W b1 = n | ne, b2 = e | se, b3 = s | sw, b4 = w | nw;
    n2.add(b1);
    n2.add(b2);
    n2.add(b3);
    n2.add(b4);
    const W all1 = a1 & a2 & a3 & a4;
    const W all2 = b1 & b2 & b3 & b4;
    W m;
    if constexpr (Pass == 2) {
      m = (s | sw | ~nw) & w;
    } else {
      m = (n | ne | ~se) & e;
    }
    return c & simple() & n1.at_least_two() & n2.at_least_two() & ~(all1 & all2) & ~m;
  } else {
    W border;
    if constexpr (Pass == 4) {
      border = ~n;
    } else if constexpr (Pass == 5) {
      border = ~s;
    } else if constexpr (Pass == 6) {
      border = ~e;
    } else {
      border = ~w;
    }
    const W corner = at_least_two & ~at_least_three & ((n & e) | (e & s) | (s & w) | (w & n));
    return c & border & simple() & (at_least_three | corner);
  }
}

/// Bit-plane geometry for a w × h image with batches of `lanes` words.
struct bit_plane_layout {
  std::ptrdiff_t width = 0;
  std::ptrdiff_t height = 0;
  std::ptrdiff_t words = 0;   ///< data words per row: ceil(width / 64)
  std::ptrdiff_t stride = 0;  ///< words per row incl. guard words and batch padding
  static bit_plane_layout make(std::ptrdiff_t w, std::ptrdiff_t h, std::ptrdiff_t lanes) noexcept {
    bit_plane_layout l;
    l.width = w;
    l.height = h;
    l.words = (w + 63) / 64;
    l.stride = ((l.words + lanes - 1) / lanes) * lanes + 2;
    return l;
  }
  /// Word 0 of image row y (y = -1 and y = height are the zero guard rows).
  [[nodiscard]] std::ptrdiff_t row_offset(std::ptrdiff_t y) const noexcept {
    return (y + 1) * stride + 1;
  }
  [[nodiscard]] std::size_t total() const noexcept {
    return static_cast<std::size_t>(stride * (height + 2));
  }
};

/// 8 mask bytes -> 8 bits (bit i = byte i != 0).
VASOSTAT_FORCEINLINE std::uint64_t pack8(std::uint64_t v) noexcept {
  constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  const std::uint64_t hi = (((v & low7) + low7) | v) & 0x8080808080808080ULL;
  return ((hi >> 7) * 0x0102040810204080ULL) >> 56;
}

/// Packs a mask (non-zero = 1) into the bit plane; guard words/rows and padding become 0.
inline void pack_mask(image_view<const std::uint8_t> mask, std::uint64_t* plane,
                      const bit_plane_layout& l) noexcept {
  std::memset(plane, 0, l.total() * sizeof(std::uint64_t));
  for (std::ptrdiff_t y = 0; y < l.height; ++y) {
    const std::uint8_t* src = mask.row(y);
    std::uint64_t* dst = plane + l.row_offset(y);
    std::ptrdiff_t x = 0;
    for (; x + 8 <= l.width; x += 8) {
      std::uint64_t v;
      std::memcpy(&v, src + x, 8);
      dst[x >> 6] |= pack8(v) << (x & 63);
    }
    for (; x < l.width; ++x) {
      dst[x >> 6] |= static_cast<std::uint64_t>(src[x] != 0) << (x & 63);
    }
  }
}

/// Byte expansion table: bit i of the index -> byte i (0 or 1) of the value.
struct expand_table {
  std::array<std::uint64_t, 256> v{};
  constexpr expand_table() noexcept {
    for (unsigned i = 0; i < 256; ++i) {
      std::uint64_t r = 0;
      for (unsigned b = 0; b < 8; ++b) {
        r |= static_cast<std::uint64_t>((i >> b) & 1U) << (8 * b);
      }
      v[i] = r;
    }
  }
};
inline constexpr expand_table expand_bits{};

/// Writes the bit plane as 0/1 bytes into `out`.
inline void unpack_plane(const std::uint64_t* plane, const bit_plane_layout& l,
                         image_view<std::uint8_t> out) noexcept {
  for (std::ptrdiff_t y = 0; y < l.height; ++y) {
    const std::uint64_t* src = plane + l.row_offset(y);
    std::uint8_t* dst = out.row(y);
    std::ptrdiff_t x = 0;
    for (; x + 8 <= l.width; x += 8) {
      const auto byte = static_cast<unsigned>((src[x >> 6] >> (x & 63)) & 0xFFU);
      std::memcpy(dst + x, &expand_bits.v[byte], 8);
    }
    for (; x < l.width; ++x) {
      dst[x] = static_cast<std::uint8_t>((src[x >> 6] >> (x & 63)) & 1U);
    }
  }
}

/// Scratch memory of the bit-parallel thinning: two rows of deletion words and per-row dirty
/// flags (bit p = pass p must look at the row again).
struct thinning_scratch {
  aligned_buffer<std::uint64_t> del;
  aligned_buffer<std::uint8_t> dirty;
};

/// One parallel pass; returns true if a pixel was deleted.
template <int Pass, class W>
bool thinning_pass_bits(std::uint64_t* plane, const bit_plane_layout& l,
                        thinning_scratch& scratch) noexcept {
  using ops = word_ops<W>;
  constexpr std::ptrdiff_t lanes = ops::size;
  constexpr std::uint8_t bit = static_cast<std::uint8_t>(1U << Pass);
  std::uint64_t* del_cur = scratch.del.data();
  std::uint64_t* del_prev = scratch.del.data() + l.stride;
  std::uint8_t* dirty = scratch.dirty.data();
  bool prev_pending = false;
  bool changed = false;
  auto apply_prev = [&](std::ptrdiff_t y) {  // row y = the row above the current one
    std::uint64_t* row = plane + l.row_offset(y);
    for (std::ptrdiff_t k = 0; k < l.words; ++k) {
      row[k] &= ~del_prev[k];
    }
    for (std::ptrdiff_t r = (y > 0 ? y - 1 : 0); r <= y + 1 && r < l.height; ++r) {
      dirty[r] = 0xFF;
    }
  };
  for (std::ptrdiff_t y = 0; y < l.height; ++y) {
    bool cur_pending = false;
    if ((dirty[y] & bit) != 0) {
      dirty[y] = static_cast<std::uint8_t>(dirty[y] & ~bit);
      const std::uint64_t* up = plane + l.row_offset(y - 1);
      const std::uint64_t* mid = plane + l.row_offset(y);
      const std::uint64_t* down = plane + l.row_offset(y + 1);
      W any_del = W(std::uint64_t{0});
      for (std::ptrdiff_t k = 0; k < l.words; k += lanes) {
        const W c = ops::load(mid + k);
        const W cp = ops::load(mid + k - 1);
        const W cn = ops::load(mid + k + 1);
        const W u = ops::load(up + k);
        const W up_ = ops::load(up + k - 1);
        const W un = ops::load(up + k + 1);
        const W d = ops::load(down + k);
        const W dp = ops::load(down + k - 1);
        const W dn = ops::load(down + k + 1);
        // bit i is pixel x = 64 k + i: the west neighbour of bit i is bit i - 1.
        const W w = (c << 1) | (cp >> 63);
        const W e = (c >> 1) | (cn << 63);
        const W nw = (u << 1) | (up_ >> 63);
        const W ne = (u >> 1) | (un << 63);
        const W sw = (d << 1) | (dp >> 63);
        const W se = (d >> 1) | (dn << 63);
        const W del = thinning_rule<Pass, W>(c, u, ne, e, se, d, sw, w, nw);
        ops::store(del_cur + k, del);
        any_del = any_del | del;
      }
      cur_pending = ops::any(any_del);
    }
    if (prev_pending) {
      apply_prev(y - 1);
    }
    std::uint64_t* t = del_prev;
    del_prev = del_cur;
    del_cur = t;
    prev_pending = cur_pending;
    changed = changed || cur_pending;
  }
  if (prev_pending) {
    apply_prev(l.height - 1);
  }
  return changed;
}

/// The schedule of skeletonize_scalar on a packed plane (see there).
template <class W>
void thin_plane(std::uint64_t* plane, const bit_plane_layout& l, bool guo_hall,
                thinning_scratch& scratch) noexcept {
  if (l.width <= 0 || l.height <= 0) {
    return;
  }
  std::memset(scratch.dirty.data(), 0xFF, static_cast<std::size_t>(l.height));
  for (;;) {
    for (;;) {
      bool changed;
      if (guo_hall) {
        changed = thinning_pass_bits<2, W>(plane, l, scratch);
        changed = thinning_pass_bits<3, W>(plane, l, scratch) || changed;
      } else {
        changed = thinning_pass_bits<0, W>(plane, l, scratch);
        changed = thinning_pass_bits<1, W>(plane, l, scratch) || changed;
      }
      if (!changed) {
        break;
      }
    }
    bool changed = thinning_pass_bits<4, W>(plane, l, scratch);
    changed = thinning_pass_bits<5, W>(plane, l, scratch) || changed;
    changed = thinning_pass_bits<6, W>(plane, l, scratch) || changed;
    changed = thinning_pass_bits<7, W>(plane, l, scratch) || changed;
    if (!changed) {
      break;
    }
  }
}

}  // namespace vasostat::inline v0::vessel::detail
