#pragma once
// Exact and Edgeworth null distributions of the rank correlation statistics without ties:
// Spearman's S = Σ(rank differences)² by algorithm AS 89 (Best & Roberts 1975, Appl. Stat.
// 24:377–379; exact enumeration for n ≤ 9 as R does, Edgeworth series beyond), and Kendall's
// number of concordant pairs by the inversion-count recursion (Kendall 1970).

#include <vasostat/stats/distributions.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <vector>

namespace vasostat::inline v0::stats::detail {

/// P(S >= s) for Spearman's S under independence, n >= 2 without ties.
inline double spearman_upper_tail(int n, double s) {
  if (s <= 0) {
    return 1.0;
  }
  const double dn = n;
  const double s_max = dn * (dn * dn - 1) / 3;
  if (s > s_max) {
    return 0.0;
  }
  if (n <= 9) {
    // Enumerate all n! permutations (at most 362880).
    std::array<int, 9> perm{};
    std::iota(perm.begin(), perm.begin() + n, 0);
    long long count = 0;
    long long total = 0;
    do {
      long long stat = 0;
      for (int i = 0; i < n; ++i) {
        const long long d = perm[static_cast<std::size_t>(i)] - i;
        stat += d * d;
      }
      if (static_cast<double>(stat) >= s) {
        ++count;
      }
      ++total;
    } while (std::next_permutation(perm.begin(), perm.begin() + n));
    return static_cast<double>(count) / static_cast<double>(total);
  }
  // Edgeworth series with AS 89's coefficients and its continuity correction (s - 1).
  constexpr double c1 = 0.2274, c2 = 0.2531, c3 = 0.1745, c4 = 0.0758, c5 = 0.1033, c6 = 0.3932,
                   c7 = 0.0879, c8 = 0.0151, c9 = 0.0072, c10 = 0.0831, c11 = 0.0131,
                   c12 = 4.6e-4;
  const double b = 1 / dn;
  const double x = (6 * (s - 1) * b / (dn * dn - 1) - 1) * std::sqrt(1 / b - 1);
  double y = x * x;
  const double u =
      x * b *
      (c1 + b * (c2 + c3 * b) +
       y * (-c4 + b * (c5 + c6 * b) -
            y * b * (c7 + c8 * b - y * (c9 - c10 * b + y * b * (c11 - c12 * y)))));
  y = u / std::exp(y / 2);
  return std::clamp(y + normal_sf(x), 0.0, 1.0);
}

/// Null distribution of T = number of concordant pairs among n untied pairs (that of the
/// number of inversions of a random permutation), by convolution of discrete uniforms.
inline std::vector<double> kendall_null_distribution(int n) {
  const int max_t = n * (n - 1) / 2;
  std::vector<double> prob(static_cast<std::size_t>(max_t) + 1, 0.0);
  std::vector<double> next(prob.size(), 0.0);
  prob[0] = 1;
  int reach = 0;
  for (int i = 2; i <= n; ++i) {  // element i adds 0..i-1 inversions, uniformly
    std::fill(next.begin(), next.begin() + reach + i, 0.0);
    for (int k = 0; k <= reach; ++k) {
      const double share = prob[static_cast<std::size_t>(k)] / i;
      for (int j = 0; j < i; ++j) {
        next[static_cast<std::size_t>(k + j)] += share;
      }
    }
    reach += i - 1;
    std::swap(prob, next);
  }
  return prob;
}

/// P(T <= q), summed directly (no 1 - P cancellation for small tails).
inline double kendall_lower_tail(int n, double q) {
  if (q < 0) {
    return 0.0;
  }
  const std::vector<double> prob = kendall_null_distribution(n);
  double sum = 0;
  const auto upto = std::min(static_cast<std::size_t>(std::floor(q)), prob.size() - 1);
  for (std::size_t k = 0; k <= upto; ++k) {
    sum += prob[k];
  }
  return std::min(sum, 1.0);
}

/// P(T >= q), summed directly from the top.
inline double kendall_upper_tail(int n, double q) {
  const std::vector<double> prob = kendall_null_distribution(n);
  const double from = std::max(0.0, std::ceil(q));
  double sum = 0;
  for (auto k = static_cast<std::size_t>(from); k < prob.size(); ++k) {
    sum += prob[k];
  }
  return std::min(sum, 1.0);
}

}  // namespace vasostat::inline v0::stats::detail
