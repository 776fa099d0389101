#pragma once
// Multiplicity adjustment of p-values as R's p.adjust: Bonferroni, Holm (1979), Hochberg (1988),
// Benjamini–Hochberg (1995) and Benjamini–Yekutieli (2001). O(m log m).

#include <vasostat/stats/detail/validate.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace vasostat::inline v0::stats {

enum class p_adjust_method : std::uint8_t { none, bonferroni, holm, hochberg, bh, by };

/// Adjusted p-values in the input order.
/// @throws vasostat::invalid_argument if a p-value is not in [0, 1].
[[nodiscard]] inline std::vector<double> p_adjust(std::span<const double> p,
                                                  p_adjust_method method) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    VASOSTAT_EXPECTS(p[i] >= 0 && p[i] <= 1, "vasostat::stats::p_adjust: p[" +
                                                 std::to_string(i) + "] (" +
                                                 std::to_string(p[i]) + ") is not in [0, 1]");
  }
  const std::size_t m = p.size();
  const auto dm = static_cast<double>(m);
  std::vector<double> out(p.begin(), p.end());
  if (m == 0 || method == p_adjust_method::none) {
    return out;
  }
  if (method == p_adjust_method::bonferroni) {
    for (double& v : out) {
      v = std::min(1.0, v * dm);
    }
    return out;
  }
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (method == p_adjust_method::holm) {
    // Step-down: ascending order, running maximum of (m - i) p_(i).
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    double running = 0;
    for (std::size_t i = 0; i < m; ++i) {
      running = std::max(running, static_cast<double>(m - i) * p[order[i]]);
      out[order[i]] = std::min(1.0, running);
    }
    return out;
  }
  // Step-up methods: descending order, running minimum.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
  double by_factor = 1;
  if (method == p_adjust_method::by) {
    by_factor = 0;
    for (std::size_t i = 1; i <= m; ++i) {
      by_factor += 1.0 / static_cast<double>(i);
    }
  }
  double running = 1;
  for (std::size_t k = 0; k < m; ++k) {
    const auto rank = static_cast<double>(m - k);  // rank of p[order[k]] in ascending order
    const double scaled = method == p_adjust_method::hochberg ? (dm - rank + 1) * p[order[k]]
                                                              : by_factor * dm / rank * p[order[k]];
    running = std::min(running, scaled);
    out[order[k]] = std::min(1.0, running);
  }
  return out;
}

}  // namespace vasostat::inline v0::stats
