// A consumer of vasostat as a user builds it: calls into every module through the public
// targets, and fails (non-zero exit) if a result is not what the library promises.
#include <vasostat/vasostat.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  using namespace vasostat;
  int failures = 0;
  const auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      std::printf("FAILED: %s\n", what);
      ++failures;
    }
  };

  // core
  image<std::uint8_t> img(7, 5, 0);
  expect(img.stride() >= 7 && img.view().width == 7, "core: image");

  // stats
  const std::vector<double> dose{0.1, 0.3, 0.5, 0.7, 0.9, 1.1};
  const std::vector<double> mfi{2.9, 2.8, 2.6, 2.5, 2.1, 1.8};
  const auto r = stats::pearson(dose, mfi);
  expect(r.estimate < -0.9 && r.p_value < 0.05, "stats: pearson");

  std::printf("consumer: %s\n", failures == 0 ? "ok" : "failed");
  return failures == 0 ? 0 : 1;
}
