#include <vasostat/core/random.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

TEST_CASE("random_generator reproduces xoshiro256** seeded by splitmix64 bit for bit") {
  // Expected words computed independently (Python, arbitrary-precision integers).
  vasostat::random_generator g(42);
  CHECK(g.next() == 0x15780b2e0c2ec716ULL);
  CHECK(g.next() == 0x6104d9866d113a7eULL);
  CHECK(g.next() == 0xae17533239e499a1ULL);
}

TEST_CASE("uniform, below and normal have the right ranges and moments") {
  vasostat::random_generator g(7);
  const int n = 200000;
  double sum = 0;
  double sum_sq = 0;
  std::vector<int> counts(6, 0);
  double lowest = 1;
  double highest = 0;
  for (int i = 0; i < n; ++i) {
    const double u = g.uniform();
    lowest = std::min(lowest, u);
    highest = std::max(highest, u);
    ++counts[g.below(6)];
    const double z = g.normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(lowest >= 0.0);
  CHECK(highest < 1.0);
  CHECK(lowest < 1e-4);
  CHECK(highest > 1 - 1e-4);
  CHECK(std::abs(sum / n) < 0.01);
  CHECK(std::abs(sum_sq / n - 1) < 0.015);
  for (int c : counts) {
    CHECK(std::abs(c - n / 6.0) < 5 * std::sqrt(n / 6.0));
  }
}

TEST_CASE("the same seed gives the same stream, different seeds differ") {
  vasostat::random_generator a(123);
  vasostat::random_generator b(123);
  vasostat::random_generator c(124);
  int same_c = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    CHECK(x == b.next());
    same_c += x == c.next() ? 1 : 0;
  }
  CHECK(same_c == 0);
}
