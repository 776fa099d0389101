#pragma once
// Times that are equal up to floating-point rounding are treated as ties, as R survival does by
// default (timefix = TRUE, survival::aeqSurv): the distinct finite time values (entry and exit
// together) are sorted, and a value is merged into its predecessor when their difference d is
// <= tol or d / mean(|distinct values|) <= tol, tol = sqrt(machine epsilon); every value is then
// replaced by the first value of its merged run. Times 1/3 * 3 and 1 become one time; a run can
// chain (each step below the tolerance). O(n) given the radix order every estimator computes.

#include <vasostat/survival/common.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

namespace vasostat::inline v0::survival::detail {

inline const double timefix_tolerance = std::sqrt(std::numeric_limits<double>::epsilon());

/// Decodes the order-preserving key of common.hpp's radix sort back to the double.
inline double decode_sort_key(std::uint64_t b) {
  const std::uint64_t sign = std::uint64_t{1} << 63;
  const std::uint64_t bits = (b & sign) ? (b ^ sign) : ~b;
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

/// End of the block of tied times that starts at position q of a sorted sweep: equal merged
/// values when timefix merged some (`merged`, fixed_sorted from timefix_sorted), else equal keys
/// (key(q): the q-th smallest order-preserving key, or anything equal exactly when they are).
template <class KeyAt>
std::size_t tied_block_end(std::size_t q, std::size_t n, bool merged, const std::vector<double>& fixed_sorted,
                           KeyAt key) noexcept {
  std::size_t end = q + 1;
  if (merged)
    while (end < n && fixed_sorted[end] == fixed_sorted[q]) ++end;
  else {
    const auto kq = key(q);
    while (end < n && key(end) == kq) ++end;
  }
  return end;
}

/// Given the sorted order-preserving keys of n values (key(k): the k-th smallest, as
/// common.hpp's order_ascending or packed_time_rows give them), fills fixed_sorted[k] (the
/// merged value of the k-th smallest) when some values merge and returns true; returns false
/// (fixed_sorted left empty) when nothing merges. One pass over the keys when nothing merges:
/// the merge condition is monotone in the gap, so the smallest gap between distinct values decides.
template <class KeyAt>
bool timefix_sorted_keys(std::size_t n, KeyAt key, std::vector<double>& fixed_sorted) {
  fixed_sorted.clear();
  if (n < 2) return false;
  const double tol = timefix_tolerance;
  std::uint64_t kprev = key(0);
  double prev = decode_sort_key(kprev);
  double sum_abs = std::abs(prev), min_gap = inf;
  std::size_t n_unique = 1;
  for (std::size_t k = 1; k < n; ++k) {
    const std::uint64_t kk = key(k);
    if (kk == kprev) continue;
    kprev = kk;
    const double v = decode_sort_key(kk);
    sum_abs += std::abs(v);
    ++n_unique;
    min_gap = std::min(min_gap, v - prev);
    prev = v;
  }
  const double mean_abs = sum_abs / static_cast<double>(n_unique);
  auto tied = [&](double dy) { return dy <= tol || dy / mean_abs <= tol; };
  if (!tied(min_gap)) return false;
  fixed_sorted.resize(n);
  kprev = key(0);
  double run_first = decode_sort_key(kprev);
  prev = run_first;
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t kk = key(k);
    if (k > 0 && kk != kprev) {
      kprev = kk;
      const double v = decode_sort_key(kk);
      if (!tied(v - prev)) run_first = v;
      prev = v;
    }
    fixed_sorted[k] = run_first;
  }
  return true;
}

/// timefix_sorted_keys over the sorted keys of common.hpp's order_ascending.
inline bool timefix_sorted(std::size_t n, const std::vector<std::uint64_t>& key, std::vector<double>& fixed_sorted) {
  return timefix_sorted_keys(n, [&](std::size_t k) { return key[k]; }, fixed_sorted);
}

/// Given the radix order `asc` of n values and their sorted order-preserving keys (common.hpp's
/// order_ascending), fills fixed[i] for every i when some values merge and returns true; returns
/// false (fixed left empty) when nothing merges (timefix_sorted, in the original order).
inline bool timefix_from_order(std::size_t n, const std::vector<std::size_t>& asc,
                               const std::vector<std::uint64_t>& key, std::vector<double>& fixed) {
  fixed.clear();
  std::vector<double> sorted;
  if (!timefix_sorted(n, key, sorted)) return false;
  fixed.resize(n);
  for (std::size_t k = 0; k < n; ++k) fixed[asc[k]] = sorted[k];
  return true;
}

/// Counts per distinct time and label code when every time is a whole number and their range
/// is small (whole days, months: the common case): no sort is needed, each value is its own
/// bucket (time - min). events[j k + c] / censored[j k + c] count the rows of code c at the j-th
/// smallest distinct time value[j]. Returns false (the caller sorts) when a time is not a whole
/// number, the range is too wide, or timefix would merge some values; the smallest gap and the
/// mean of |distinct values| are formed in the same order as timefix_from_order, so the
/// decision is the same.
struct tied_time_counts {
  std::vector<double> value;
  std::vector<std::uint32_t> events, censored;
};

inline bool whole_time_counts(std::span<const double> time, std::span<const double> status,
                              const std::vector<int>& code, std::size_t k, bool timefix,
                              tied_time_counts& out) {
  const std::size_t n = time.size();
  if (n < 2 || k == 0 || n >= (std::size_t{1} << 32)) return false;
  double lo = time[0], hi = time[0];
  for (std::size_t i = 0; i < n; ++i) {
    const double t = time[i];
    if (t != std::floor(t)) return false;  // not whole numbers: usually seen at once
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (!(hi - lo < 4503599627370496.0)) return false;  // 2^52: lo + b exact
  const double range = hi - lo + 1;
  const double cap = std::max(4.0 * static_cast<double>(n), 65536.0);
  if (range * static_cast<double>(k) > cap) return false;
  const auto nb = static_cast<std::size_t>(range);
  std::vector<std::uint32_t> cnt(nb * k * 2, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<std::size_t>(time[i] - lo);
    ++cnt[(b * k + static_cast<std::size_t>(code[i])) * 2 + (status[i] == 1 ? 1 : 0)];
  }
  std::size_t m = 0;
  std::vector<std::uint32_t> present;
  for (std::size_t b = 0; b < nb; ++b) {
    const std::uint32_t* c = cnt.data() + b * k * 2;
    bool any = false;
    for (std::size_t q = 0; q < 2 * k; ++q) any = any || c[q] != 0;
    if (any) present.push_back(static_cast<std::uint32_t>(b));
  }
  m = present.size();
  out.value.resize(m);
  for (std::size_t j = 0; j < m; ++j) out.value[j] = lo + static_cast<double>(present[j]);
  if (timefix && m >= 2) {
    const double tol = timefix_tolerance;
    double prev = out.value[0] + 0.0;
    double sum_abs = std::abs(prev), min_gap = inf;
    for (std::size_t j = 1; j < m; ++j) {
      const double v = out.value[j];
      sum_abs += std::abs(v);
      min_gap = std::min(min_gap, v - prev);
      prev = v;
    }
    const double mean_abs = sum_abs / static_cast<double>(m);
    if (min_gap <= tol || min_gap / mean_abs <= tol) return false;
  }
  out.events.resize(m * k);
  out.censored.resize(m * k);
  for (std::size_t j = 0; j < m; ++j) {
    const std::uint32_t* c = cnt.data() + static_cast<std::size_t>(present[j]) * k * 2;
    for (std::size_t g = 0; g < k; ++g) {
      out.censored[j * k + g] = c[2 * g];
      out.events[j * k + g] = c[2 * g + 1];
    }
  }
  return true;
}

/// aeqSurv for (entry, time] or right-censored (entry empty) data. When something merges, the
/// merged copies go to time_out/entry_out and the spans are pointed at them. Throws when an
/// interval collapses to length 0 (entry and time within the tolerance).
inline void timefix(const char* fn, std::span<const double>& time, std::span<const double>& entry,
                    std::vector<double>& time_out, std::vector<double>& entry_out) {
  const std::size_t n = time.size();
  std::vector<double> all;
  std::span<const double> values = time;
  if (!entry.empty()) {
    all.resize(2 * n);
    std::memcpy(all.data(), time.data(), n * sizeof(double));
    std::memcpy(all.data() + n, entry.data(), n * sizeof(double));
    values = all;
  }
  std::vector<std::uint64_t> bits;
  const auto asc = order_ascending(values, &bits);
  std::vector<double> fixed;
  if (!timefix_from_order(values.size(), asc, bits, fixed)) return;
  time_out.assign(fixed.begin(), fixed.begin() + static_cast<std::ptrdiff_t>(n));
  time = time_out;
  if (!entry.empty()) {
    entry_out.assign(fixed.begin() + static_cast<std::ptrdiff_t>(n), fixed.end());
    for (std::size_t i = 0; i < n; ++i)
      if (!(entry_out[i] < time_out[i]))
        fail(fn, "entry[" + std::to_string(i) + "] (" + num(entry[i]) + ") and time (" + num(time_out[i]) +
                     ") are equal up to rounding (timefix): the interval has length 0");
    entry = entry_out;
  }
}

}  // namespace vasostat::inline v0::survival::detail
