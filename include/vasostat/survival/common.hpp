#pragma once
// Shared pieces of vasostat::survival: confidence-interval types, input checks with messages that
// name the argument, and the stable O(n) radix sort on times that every estimator starts from.

#include <vasostat/core/error.hpp>
#include <vasostat/stats/distributions.hpp>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vasostat::inline v0::survival {

/// Transform on which a pointwise confidence interval for S(t) is built (R: survfit conf.type).
/// `log` is R's default; `log_log` is what SAS, lifelines and scikit-survival report.
enum class conf_type : std::uint8_t { log, log_log, plain, none };

namespace detail {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();
inline constexpr double inf = std::numeric_limits<double>::infinity();

[[noreturn]] VASOSTAT_COLD inline void fail(const char* fn, const std::string& what) {
  vasostat::detail::throw_invalid_argument(std::string("vasostat::survival::") + fn + ": " + what);
}

inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// time: finite and >= 0; status: 0 or 1; same size; not empty.
inline void check_time_status(const char* fn, std::span<const double> time,
                              std::span<const double> status) {
  if (time.empty()) fail(fn, "time is empty");
  if (status.size() != time.size())
    fail(fn, "status.size() (" + std::to_string(status.size()) + ") != time.size() (" +
                 std::to_string(time.size()) + ")");
  // one branch-free pass (vectorised); the loop that names the first bad value only on failure
  bool bad = false;
  for (std::size_t i = 0; i < time.size(); ++i)
    bad |= !(time[i] >= 0) | !(time[i] <= std::numeric_limits<double>::max()) | !((status[i] == 0) | (status[i] == 1));
  if (!bad) return;
  for (std::size_t i = 0; i < time.size(); ++i) {
    if (!(time[i] >= 0) || !std::isfinite(time[i]))
      fail(fn, "time[" + std::to_string(i) + "] is negative, NaN or infinite (" + num(time[i]) + ")");
    if (!(status[i] == 0 || status[i] == 1))
      fail(fn, "status[" + std::to_string(i) + "] is not 0 or 1 (" + num(status[i]) + ")");
  }
}

/// entry (start of a (start, stop] interval): empty, or finite, >= 0 and < time.
inline void check_entry(const char* fn, std::span<const double> entry, std::span<const double> time) {
  if (entry.empty()) return;
  if (entry.size() != time.size())
    fail(fn, "entry.size() (" + std::to_string(entry.size()) + ") != time.size() (" +
                 std::to_string(time.size()) + ")");
  for (std::size_t i = 0; i < entry.size(); ++i) {
    if (!std::isfinite(entry[i]) || !(entry[i] >= 0))
      fail(fn, "entry[" + std::to_string(i) + "] is negative, NaN or infinite (" + num(entry[i]) + ")");
    if (!(entry[i] < time[i]))
      fail(fn, "entry[" + std::to_string(i) + "] (" + num(entry[i]) + ") is not < time (" +
                   num(time[i]) + ")");
  }
}

/// weights: empty (all 1) or finite and >= 0, one per subject.
inline void check_weights(const char* fn, std::span<const double> weights, std::size_t n) {
  if (weights.empty()) return;
  if (weights.size() != n)
    fail(fn, "weights.size() (" + std::to_string(weights.size()) + ") != time.size() (" +
                 std::to_string(n) + ")");
  for (std::size_t i = 0; i < n; ++i)
    if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
      fail(fn, "weights[" + std::to_string(i) + "] is negative, NaN or infinite (" +
                   num(weights[i]) + ")");
}

/// Integer labels (group, strata, cluster): empty or one per subject, each >= 0.
inline void check_labels(const char* fn, const char* name, std::span<const int> labels,
                         std::size_t n) {
  if (labels.empty()) return;
  if (labels.size() != n)
    fail(fn, std::string(name) + ".size() (" + std::to_string(labels.size()) +
                 ") != time.size() (" + std::to_string(n) + ")");
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] < 0)
      fail(fn, std::string(name) + "[" + std::to_string(i) + "] is out of range (" +
                   std::to_string(labels[i]) + " < 0)");
}

inline void check_conf_level(const char* fn, double level) {
  if (!(level > 0 && level < 1)) fail(fn, "conf_level is outside (0, 1) (" + num(level) + ")");
}

/// Distinct labels in increasing order, and each subject's index into that list.
struct label_codes {
  std::vector<int> labels;
  std::vector<int> code;
};

inline label_codes encode_labels(std::span<const int> labels, std::size_t n) {
  label_codes out;
  if (labels.empty()) {
    out.labels = {0};
    out.code.assign(n, 0);
    return out;
  }
  int max_label = *std::max_element(labels.begin(), labels.end());
  std::vector<int> map(static_cast<std::size_t>(max_label) + 1, -1);
  for (int l : labels) map[static_cast<std::size_t>(l)] = 0;
  int k = 0;
  for (std::size_t l = 0; l < map.size(); ++l)
    if (map[l] == 0) {
      map[l] = k++;
      out.labels.push_back(static_cast<int>(l));
    }
  out.code.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.code[i] = map[static_cast<std::size_t>(labels[i])];
  return out;
}

/// v.reserve(n); on Linux a reservation of 2 MB or more is also advised for transparent huge
/// pages (madvise MADV_HUGEPAGE on the 2 MB-aligned interior; no effect when THP is off). The
/// n-sized result columns and sort buffers are fresh memory on every call, and first-touch
/// faults of 4 KB pages were the largest single cost of a 10^6-row Kaplan–Meier (~5 us each on
/// the test VM, 20 000 per call).
template <class T>
void reserve_large(std::vector<T>& v, std::size_t n) {
  v.reserve(n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::size_t bytes = v.capacity() * sizeof(T);
  if (bytes >= (std::size_t{2} << 20)) {
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    const auto b = reinterpret_cast<std::uintptr_t>(v.data());
    const std::uintptr_t lo = (b + huge - 1) & ~(huge - 1), hi = (b + bytes) & ~(huge - 1);
    if (hi > lo) (void)::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  }
#endif
}

/// Order-preserving unsigned image of a finite double (negative: all bits flipped; positive:
/// sign bit set); -0.0 maps to +0.0.
inline std::uint64_t sort_key_bits(double v) {
  v += 0.0;  // -0.0 -> +0.0
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof v);
  return (b >> 63) ? ~b : (b | (std::uint64_t{1} << 63));
}

/// Stable LSD radix sort of (bits, idx) on the digits the keys do not all share. O(n).
/// `idx` is whatever each key carries along (its index, or a payload).
template <class Carried>
void radix_sort_bits(std::vector<std::uint64_t>& bits, std::vector<Carried>& idx) {
  const std::size_t n = bits.size();
  constexpr int digit_bits = 11;
  constexpr std::size_t buckets = std::size_t{1} << digit_bits;
  std::uint64_t all_or = 0, all_and = ~std::uint64_t{0};
  for (auto b : bits) {
    all_or |= b;
    all_and &= b;
  }
  const std::uint64_t varying = all_or ^ all_and;
  std::vector<Carried> tmp(n);
  std::vector<std::size_t> count(buckets);
  std::vector<std::uint64_t> bits_tmp(n);
  for (int shift = 0; shift < 64; shift += digit_bits) {
    if (((varying >> shift) & (buckets - 1)) == 0) continue;
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < n; ++i) ++count[(bits[i] >> shift) & (buckets - 1)];
    std::size_t sum = 0;
    for (auto& c : count) {
      std::size_t t = c;
      c = sum;
      sum += t;
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t pos = count[(bits[i] >> shift) & (buckets - 1)]++;
      tmp[pos] = idx[i];
      bits_tmp[pos] = bits[i];
    }
    idx.swap(tmp);
    bits.swap(bits_tmp);
  }
}

/// Stable ascending order of finite keys. A distribution pass puts each key into one of ~n/2
/// buckets by its value (a monotone map: (v - min) * scale, floored; for positive keys that
/// span more than 4 binades the same on the IEEE bit patterns, about log(v)), keeping the input order
/// within a bucket; buckets are then put in order by an insertion sort that is stable (only
/// needed when a bucket holds different keys out of order). Tied and integer-valued times (one
/// bucket per distinct value) and smooth scores (a few keys per bucket) cost one scatter (a
/// bucket of more than 32 keys out of order is stable-sorted by comparison). When
/// one bucket would hold more than n/16 keys (a far outlier), an LSD radix sort on the IEEE bits
/// is used instead, so the cost is O(n) in every case. `sorted_bits` receives the
/// order-preserving images (sort_key_bits) of the sorted keys. What travels with each key is
/// carry(i) (its index i, or a payload).
template <class Carried, class Carry>
std::vector<Carried> sort_ascending_carrying(std::span<const double> key, Carry carry,
                                             std::vector<std::uint64_t>* sorted_bits) {
  const std::size_t n = key.size();
  std::vector<Carried> idx(n);
  if (n < 2) {
    for (std::size_t i = 0; i < n; ++i) idx[i] = carry(i);
    if (sorted_bits) sorted_bits->assign(n, n ? sort_key_bits(key[0]) : 0);
    return idx;
  }
  double lo = key[0], hi = key[0];
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, key[i]);
    hi = std::max(hi, key[i]);
  }
  const std::size_t nb = std::max<std::size_t>(n / 2, 1);
  // positive keys spanning more than 4 binades (survival times: dense near 0, a long tail):
  // buckets equally spaced in the IEEE bit pattern, i.e. close to equally spaced in log(key)
  const bool log_buckets = lo > 0 && hi > 16 * lo;
  auto raw_bits = [](double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, sizeof v);
    return b;
  };
  const std::uint64_t lo_bits = log_buckets ? raw_bits(lo) : 0;
  const double scale = log_buckets ? static_cast<double>(nb) / static_cast<double>(raw_bits(hi) - lo_bits)
                                   : static_cast<double>(nb) / (hi - lo);
  std::vector<std::uint64_t> bits(n);
  if (hi > lo && std::isfinite(scale) && n >= 64 && n < (std::size_t{1} << 32)) {
    std::vector<std::uint32_t> bucket(n), start(nb + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const double f = log_buckets ? static_cast<double>(raw_bits(key[i]) - lo_bits) * scale : (key[i] - lo) * scale;
      const auto b = static_cast<std::uint32_t>(std::min(f, static_cast<double>(nb - 1)));
      bucket[i] = b;
      ++start[b + 1];
    }
    std::uint32_t largest = 0;
    for (std::size_t b = 0; b < nb; ++b) {
      largest = std::max(largest, start[b + 1]);
      start[b + 1] += start[b];
    }
    if (largest <= std::max<std::size_t>(64, n / 16)) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t pos = start[bucket[i]]++;
        idx[pos] = carry(i);
        bits[pos] = sort_key_bits(key[i]);
      }
      // start[b] is now the end of bucket b; sort a bucket where it is out of order
      std::size_t b0 = 0;
      std::vector<std::pair<std::uint64_t, Carried>> big;
      for (std::size_t b = 0; b < nb; ++b) {
        const std::size_t b1 = start[b];
        if (b1 - b0 > 32) {
          std::size_t i = b0 + 1;
          while (i < b1 && bits[i] >= bits[i - 1]) ++i;
          if (i < b1) {
            big.resize(b1 - b0);
            for (std::size_t q = b0; q < b1; ++q) big[q - b0] = {bits[q], idx[q]};
            std::stable_sort(big.begin(), big.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
            for (std::size_t q = b0; q < b1; ++q) {
              bits[q] = big[q - b0].first;
              idx[q] = big[q - b0].second;
            }
          }
          b0 = b1;
          continue;
        }
        for (std::size_t i = b0 + 1; i < b1; ++i) {
          if (bits[i] >= bits[i - 1]) continue;
          const std::uint64_t kb = bits[i];
          const Carried ki = idx[i];
          std::size_t j = i;
          for (; j > b0 && bits[j - 1] > kb; --j) {
            bits[j] = bits[j - 1];
            idx[j] = idx[j - 1];
          }
          bits[j] = kb;
          idx[j] = ki;
        }
        b0 = b1;
      }
      if (sorted_bits) sorted_bits->swap(bits);
      return idx;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    idx[i] = carry(i);
    bits[i] = sort_key_bits(key[i]);
  }
  radix_sort_bits(bits, idx);
  if (sorted_bits) sorted_bits->swap(bits);  // order-preserving images of the sorted keys
  return idx;
}

/// The stable ascending order itself (sort_ascending_carrying with each key's index).
inline std::vector<std::size_t> order_ascending(std::span<const double> key,
                                                std::vector<std::uint64_t>* sorted_bits = nullptr) {
  return sort_ascending_carrying<std::size_t>(key, [](std::size_t i) { return i; }, sorted_bits);
}

/// The sorted keys' 32-bit payloads (payload[i] travels with key[i]): payload[asc[k]] for the
/// stable ascending order asc, without a gather in sorted order afterwards.
inline std::vector<std::uint32_t> sort_payload_ascending(std::span<const double> key,
                                                         const std::vector<std::uint32_t>& payload,
                                                         std::vector<std::uint64_t>& sorted_bits) {
  return sort_ascending_carrying<std::uint32_t>(key, [&](std::size_t i) { return payload[i]; }, &sorted_bits);
}

/// Rows in time order for the right-censored sweeps (Kaplan–Meier, log-rank) as one 64-bit word
/// per row: (sort_key_bits(time) - lo) << shift | payload, with lo the smallest key and a small
/// payload (group code and status) in the low `shift` bits. Ascending words are ascending times;
/// rows of equal time come together, ordered by payload instead of input order (the sweeps that
/// use this count whole rows per tied time, where the order within a time does not matter).
struct packed_time_rows {
  std::vector<std::uint64_t> word;
  std::uint64_t lo = 0;
  int shift = 0;
  [[nodiscard]] std::uint64_t key(std::size_t q) const noexcept { return (word[q] >> shift) + lo; }
  [[nodiscard]] std::uint32_t payload(std::size_t q) const noexcept {
    return static_cast<std::uint32_t>(word[q] & ((std::uint64_t{1} << shift) - 1));
  }
};

/// Ascending sort of 64-bit words (equal words are indistinguishable, so no stability is needed)
/// in two distribution passes: by the top 11 bits of (w - min) into `tmp` (2048 streams, written
/// sequentially), then each bucket, which fits in cache, by its own range into ~1 word per
/// sub-bucket back into `w`; sub-buckets of more than 48 words (dense clusters) by std::sort.
/// Reads and writes the n words twice instead of an LSD radix sort's five or six passes (the
/// memory traffic is the cost here). Worst case O(n log n).
inline void sort_words(std::vector<std::uint64_t>& w, std::vector<std::uint64_t>& tmp) {
  const std::size_t n = w.size();
  auto insertion = [](std::uint64_t* a, std::size_t m) {
    for (std::size_t i = 1; i < m; ++i) {
      const std::uint64_t v = a[i];
      std::size_t j = i;
      for (; j > 0 && a[j - 1] > v; --j) a[j] = a[j - 1];
      a[j] = v;
    }
  };
  if (n <= 48) {
    insertion(w.data(), n);
    return;
  }
  std::uint64_t lo = w[0], hi = w[0];
  for (const std::uint64_t v : w) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const int width = std::bit_width(hi - lo);
  if (width == 0) return;
  const int d1 = std::min(width, 11);
  const int s1 = width - d1;
  const std::size_t nb = std::size_t{1} << d1;
  std::vector<std::size_t> start(nb + 1, 0), pos(nb);
  for (const std::uint64_t v : w) ++start[((v - lo) >> s1) + 1];
  for (std::size_t b = 0; b < nb; ++b) start[b + 1] += start[b];
  std::copy(start.begin(), start.end() - 1, pos.begin());
  reserve_large(tmp, n);
  tmp.resize(n);
  for (const std::uint64_t v : w) tmp[pos[(v - lo) >> s1]++] = v;
  std::vector<std::uint32_t> sub;
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t b0 = start[b], m = start[b + 1] - b0;
    const std::uint64_t* src = tmp.data() + b0;
    std::uint64_t* dst = w.data() + b0;
    std::copy(src, src + m, dst);
    if (m <= 48) {
      insertion(dst, m);
      continue;
    }
    std::uint64_t l2 = src[0], h2 = src[0];
    for (std::size_t i = 0; i < m; ++i) {
      l2 = std::min(l2, src[i]);
      h2 = std::max(h2, src[i]);
    }
    const int w2 = std::bit_width(h2 - l2);
    if (w2 == 0) continue;
    const int d2 = std::min({w2, static_cast<int>(std::bit_width(m)), 16});
    const int s2 = w2 - d2;
    const std::size_t nb2 = std::size_t{1} << d2;
    sub.assign(nb2 + 1, 0);
    for (std::size_t i = 0; i < m; ++i) ++sub[((src[i] - l2) >> s2) + 1];
    for (std::size_t q = 0; q < nb2; ++q) sub[q + 1] += sub[q];
    for (std::size_t i = 0; i < m; ++i) dst[sub[(src[i] - l2) >> s2]++] = src[i];
    std::size_t e0 = 0;  // sub[q] is now the end of sub-bucket q
    for (std::size_t q = 0; q < nb2; ++q) {
      const std::size_t e1 = sub[q];
      if (e1 - e0 > 48)
        std::sort(dst + e0, dst + e1);
      else
        insertion(dst + e0, e1 - e0);
      e0 = e1;
    }
  }
}

/// Sorts the rows by time into packed_time_rows, payload(i) (< 2^payload_bits) travelling with
/// time[i]. Returns false (out untouched) when the keys' range and the payload do not fit in 64
/// bits together (times spanning 0 and >= 2, or very wide ranges: the caller sorts otherwise).
template <class Payload>
bool sort_packed_by_time(std::span<const double> time, Payload payload, int payload_bits, packed_time_rows& out) {
  const std::size_t n = time.size();
  if (n == 0) return false;
  std::uint64_t lo = sort_key_bits(time[0]), hi = lo;
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t b = sort_key_bits(time[i]);
    lo = std::min(lo, b);
    hi = std::max(hi, b);
  }
  if (std::bit_width(hi - lo) + payload_bits > 64) return false;
  out.lo = lo;
  out.shift = payload_bits;
  out.word.clear();
  reserve_large(out.word, n);
  for (std::size_t i = 0; i < n; ++i)
    out.word.push_back(((sort_key_bits(time[i]) - lo) << payload_bits) | static_cast<std::uint64_t>(payload(i)));
  std::vector<std::uint64_t> tmp;
  sort_words(out.word, tmp);
  return true;
}

/// Stable counting sort of an existing order by small integer codes in [0, k).
inline std::vector<std::size_t> stable_by_code(const std::vector<std::size_t>& order,
                                               const std::vector<int>& code, std::size_t k) {
  if (k <= 1) return order;
  std::vector<std::size_t> start(k + 1, 0);
  for (int c : code) ++start[static_cast<std::size_t>(c) + 1];
  for (std::size_t g = 0; g < k; ++g) start[g + 1] += start[g];
  std::vector<std::size_t> out(order.size());
  for (std::size_t i : order) out[start[static_cast<std::size_t>(code[i])]++] = i;
  return out;
}

/// Pointwise CI of S from the standard error of -log S (R's survfit_confint on the
/// cumulative-hazard scale); NaN where R gives NA.
inline void surv_confint(double s, double se_log, double z, conf_type type, double& lower,
                         double& upper) {
  switch (type) {
    case conf_type::none:
      lower = upper = nan;
      return;
    case conf_type::plain: {
      double half = z * se_log * s;
      lower = std::max(s - half, 0.0);
      upper = std::min(s + half, 1.0);
      if (std::isnan(half)) lower = upper = nan;
      return;
    }
    case conf_type::log: {
      if (s == 0 || std::isnan(se_log)) {
        lower = upper = nan;
        return;
      }
      lower = std::exp(std::log(s) - z * se_log);
      upper = std::min(std::exp(std::log(s) + z * se_log), 1.0);
      return;
    }
    case conf_type::log_log: {
      if (s == 0 || s == 1 || std::isnan(se_log)) {
        lower = upper = nan;
        return;
      }
      double ls = std::log(s);
      double h = z * se_log / ls;
      lower = std::exp(-std::exp(std::log(-ls) - h));
      upper = std::exp(-std::exp(std::log(-ls) + h));
      return;
    }
  }
}

}  // namespace detail
}  // namespace vasostat::inline v0::survival
