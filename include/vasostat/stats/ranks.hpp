#pragma once
// Average ranks (R's rank(ties.method = "average")), the basis of Spearman, Kendall and the
// rank statistics of the threshold module. O(n log n).

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

namespace vasostat::inline v0::stats {

/// Ranks 1..n of the values, ties given the mean of the ranks they span.
[[nodiscard]] inline std::vector<double> average_ranks(std::span<const double> values) {
  const std::size_t n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) {
      ++j;
    }
    const double average = 0.5 * static_cast<double>(i + 1 + j);  // mean of ranks i+1..j
    for (std::size_t k = i; k < j; ++k) {
      ranks[order[k]] = average;
    }
    i = j;
  }
  return ranks;
}

/// Sizes of the groups of tied values (only groups of 2 or more).
[[nodiscard]] inline std::vector<double> tie_group_sizes(std::span<const double> values) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> sizes;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) {
      ++j;
    }
    if (j - i > 1) {
      sizes.push_back(static_cast<double>(j - i));
    }
    i = j;
  }
  return sizes;
}

}  // namespace vasostat::inline v0::stats
