// A consumer of vasostat as a user builds it: calls into the modules through the public
// target, and fails (non-zero exit) if a result is not what the library promises.
// The module headers it calls, as a user who wants short builds includes them (the umbrella
// vasostat/vasostat.hpp is compiled by the umbrella symbol check).
// With VASOSTAT_CONSUMER_ALL_MODULES (the installed package) it calls every module; without (the
// FetchContent build) the light headers that still need every dependency (Eigen, Boost.Math,
// xsimd): the fits' headers cost ~50 s of CPU more at -O0 and prove nothing about packaging twice.
#include <vasostat/core/image.hpp>
#include <vasostat/stats/correlation.hpp>
#include <vasostat/survival/kaplan_meier.hpp>
#include <vasostat/vessel/skeletonize.hpp>
#ifdef VASOSTAT_CONSUMER_ALL_MODULES
#include <vasostat/gam/fit.hpp>
#include <vasostat/survival/logrank.hpp>
#include <vasostat/threshold/segmented.hpp>
#endif

#include <algorithm>
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

  // vessel: a 3-px-thick horizontal bar thins to one centreline row
  image<std::uint8_t> mask(40, 9, 0);
  for (std::ptrdiff_t y = 3; y < 6; ++y) {
    for (std::ptrdiff_t x = 5; x < 35; ++x) {
      mask(x, y) = 1;
    }
  }
  const auto skeleton = vessel::skeletonize(mask);
  int skeleton_pixels = 0;
  for (std::ptrdiff_t y = 0; y < 9; ++y) {
    for (std::ptrdiff_t x = 0; x < 40; ++x) {
      skeleton_pixels += skeleton(x, y) != 0 ? 1 : 0;
    }
  }
  expect(skeleton_pixels >= 20 && skeleton_pixels <= 32, "vessel: skeletonize");

  // survival: with no censoring, the Kaplan-Meier median of 1..30 is R's midpoint 15.5
  std::vector<double> days, died;
  for (int i = 1; i <= 30; ++i) {
    days.push_back(i);
    died.push_back(1);
  }
  const auto km = survival::kaplan_meier(days, died);
  expect(km.curves.size() == 1 && std::abs(km.curves[0].median - 15.5) < 1e-9, "survival: kaplan_meier");

#ifdef VASOSTAT_CONSUMER_ALL_MODULES
  // gam: a smooth of a sine recovers it
  std::vector<double> t(80), sine(80);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<double>(i) / 79.0;
    sine[i] = std::sin(6 * t[i]) + 0.01 * std::cos(97.0 * static_cast<double>(i));
  }
  const gam::smooth_term terms[] = {gam::smooth(t)};
  const auto model = gam::fit(sine, terms, Eigen::MatrixXd(80, 0));
  expect(model.deviance_explained > 0.99, "gam: fit");

  // survival: two groups with clearly different hazards
  std::vector<double> time, status;
  std::vector<int> group;
  for (int i = 0; i < 30; ++i) {
    time.push_back(1.0 + i);
    status.push_back(i % 4 == 0 ? 0 : 1);
    group.push_back(i < 15 ? 1 : 0);
  }
  const auto lr = survival::logrank(time, status, group);
  expect(lr.p_value < 0.05, "survival: logrank");

  // threshold: a broken line y = max(0, x - 5) finds its breakpoint
  std::vector<double> x(60), y(60);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<double>(i) / 6.0;
    y[i] = std::max(0.0, x[i] - 5.0) + 0.01 * std::sin(13.0 * static_cast<double>(i));
  }
  const auto broken = threshold::segmented(y, x);
  expect(std::abs(broken.psi[0] - 5.0) < 0.2, "threshold: segmented");

#endif

  std::printf("consumer: %s\n", failures == 0 ? "ok" : "failed");
  return failures == 0 ? 0 : 1;
}
