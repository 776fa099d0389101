// vessel::classify_flow, vessel::perfusion and vessel::heterogeneity_index: hand-computed
// values on a small graph (PPV length and grid, PVD, De Backer, MFI quadrant / vessel, small
// vessels), the flow-class rules, HI edge cases, and bad input.

#include <vasostat/vessel/density.hpp>
#include <vasostat/vessel/perfusion.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace vasostat;
using vessel::flow_class;

namespace {

vessel::segment line_segment(int x0, int y0, int x1, int y1, double diameter_px) {
  vessel::segment s;
  const int n = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
  for (int k = 0; k <= n; ++k) {
    s.centreline.push_back({x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n});
  }
  s.length_px = n;
  s.diameter_px = diameter_px;
  return s;
}

vessel::graph three_segments() {
  vessel::graph g;
  g.width = 100;
  g.height = 100;
  g.segments.push_back(line_segment(0, 10, 99, 10, 5));    // A: small (10 µm), class 3
  g.segments.push_back(line_segment(60, 0, 60, 99, 15));   // B: large (30 µm), class 0
  g.segments.push_back(line_segment(10, 80, 40, 80, 4));   // C: small (8 µm), class 1
  return g;
}

vessel::velocity_result windows(std::vector<std::pair<double, double>> v_conf) {
  vessel::velocity_result r;
  for (auto [v, c] : v_conf) {
    vessel::velocity_window w;
    w.velocity_um_s = v;
    w.confidence = c;
    w.coherent = c >= 0.25;
    r.windows.push_back(w);
  }
  return r;
}

}  // namespace

TEST_CASE("perfusion metrics of a hand-computed graph") {
  const auto g = three_segments();
  const flow_class cls[] = {flow_class::continuous, flow_class::no_flow, flow_class::intermittent};
  const auto p = vessel::perfusion(g, cls, {.um_per_px = 2.0});
  // area 200 x 200 µm = 0.04 mm²; lengths 99, 99, 30 px = 456 µm
  CHECK(p.all.tvd_mm_per_mm2 == doctest::Approx(11.4));
  CHECK(p.all.ppv_percent == doctest::Approx(100.0 * 99 / 228));
  CHECK(p.all.pvd_mm_per_mm2 == doctest::Approx(11.4 * 99 / 228));
  // crossings: A 3 vertical lines (class 3), B 3 horizontal (class 0), C 1 (class 1)
  CHECK(p.all.crossings == 7);
  CHECK(p.all.ppv_count_percent == doctest::Approx(300.0 / 7));
  CHECK(p.all.debacker_per_mm == doctest::Approx(7 / 1.2));
  CHECK(p.all.pvd_count_per_mm == doctest::Approx(3 / 1.2));
  // one De Backer count in vasostat: density() gives the same score on the same graph
  const auto d = vessel::density(g, {.um_per_px = 2.0});
  CHECK(d.crossings == p.all.crossings);
  CHECK(d.de_backer_per_mm == doctest::Approx(p.all.debacker_per_mm).epsilon(1e-12));
  CHECK(p.all.mfi_vessel == doctest::Approx(4.0 / 3));
  // quadrants: Q0 = 3, Q1 = 0 (B 50 px beats A 49 px), Q2 = 1, Q3 = 0
  CHECK(p.all.mfi_quadrant == doctest::Approx(1.0));
  CHECK(p.all.vessels == 3);
  // small vessels (< 20 µm): A and C
  CHECK(p.small.vessels == 2);
  CHECK(p.small.tvd_mm_per_mm2 == doctest::Approx(6.45));
  CHECK(p.small.ppv_percent == doctest::Approx(100.0 * 99 / 129));
  CHECK(p.small.ppv_count_percent == doctest::Approx(75.0));
  CHECK(p.small.mfi_vessel == doctest::Approx(2.0));
  CHECK(p.small.mfi_quadrant == doctest::Approx(7.0 / 3));  // Q3 holds no small vessel
  // manual scores replace automatic ones: all perfused
  const flow_class manual[] = {flow_class::continuous, flow_class::sluggish, flow_class::continuous};
  const auto pm = vessel::perfusion(g, manual, {.um_per_px = 2.0});
  CHECK(pm.all.ppv_percent == doctest::Approx(100.0));
  CHECK(pm.all.pvd_mm_per_mm2 == doctest::Approx(pm.all.tvd_mm_per_mm2));
}

TEST_CASE("perfusion of an empty graph is zero density with undefined ratios") {
  vessel::graph g;
  g.width = 50;
  g.height = 40;
  const auto p = vessel::perfusion(g, std::span<const flow_class>{});
  CHECK(p.all.tvd_mm_per_mm2 == 0.0);
  CHECK(std::isnan(p.all.ppv_percent));
  CHECK(std::isnan(p.all.mfi_quadrant));
  CHECK(p.all.debacker_per_mm == 0.0);
}

TEST_CASE("classify_flow follows the consensus rules") {
  using V = vessel::velocity_result;
  const V all_stopped = windows({{0, 0.9}, {5, 0.9}, {900, 0.05}, {0, 0.1}});
  CHECK(vessel::classify_flow(all_stopped).cls == flow_class::no_flow);
  const V half = windows({{600, 0.9}, {0, 0.9}, {0, 0.9}, {650, 0.8}});
  const auto h = vessel::classify_flow(half);
  CHECK(h.cls == flow_class::intermittent);
  CHECK(h.stopped_fraction == doctest::Approx(0.5));
  CHECK(h.velocity_um_s == doctest::Approx(625));
  const V quarter = windows({{600, 0.9}, {0, 0.9}, {700, 0.9}, {650, 0.8}});
  CHECK(vessel::classify_flow(quarter).cls == flow_class::continuous);
  const V slow = windows({{-100, 0.9}, {-120, 0.9}, {-110, 0.9}, {-90, 0.8}});
  CHECK(vessel::classify_flow(slow).cls == flow_class::sluggish);
  const V fast = windows({{4000, 0.9}, {4100, 0.9}});
  const auto f = vessel::classify_flow(fast);
  CHECK(f.cls == flow_class::continuous);
  CHECK(f.hyperdynamic);
  CHECK(vessel::classify_flow(slow, {.sluggish_below_um_s = 50}).cls == flow_class::continuous);
}

TEST_CASE("heterogeneity_index = (max - min) / mean, undefined for < 2 sites or mean 0") {
  const double sites[] = {3.0, 2.5, 2.0};
  const auto h = vessel::heterogeneity_index(sites);
  CHECK(h.defined);
  CHECK(h.value == doctest::Approx(0.4));
  const double one[] = {2.0};
  CHECK_FALSE(vessel::heterogeneity_index(one).defined);
  CHECK(std::isnan(vessel::heterogeneity_index(one).value));
  const double zeros[] = {0.0, 0.0};
  CHECK_FALSE(vessel::heterogeneity_index(zeros).defined);
  const double bad[] = {1.0, NAN};
  CHECK_THROWS_WITH_AS((void)vessel::heterogeneity_index(bad), doctest::Contains("site_values"),
                       vasostat::invalid_argument);
}

TEST_CASE("perfusion and classify_flow reject bad input, naming the argument") {
  auto g = three_segments();
  using E = vasostat::invalid_argument;
  const flow_class two[] = {flow_class::continuous, flow_class::no_flow};
  CHECK_THROWS_WITH_AS((void)vessel::perfusion(g, two), doctest::Contains("classes"), E);
  const flow_class bad[] = {flow_class::continuous, static_cast<flow_class>(7), flow_class::no_flow};
  CHECK_THROWS_WITH_AS((void)vessel::perfusion(g, bad), doctest::Contains("classes"), E);
  const flow_class ok[] = {flow_class::continuous, flow_class::no_flow, flow_class::no_flow};
  CHECK_THROWS_WITH_AS((void)vessel::perfusion(g, ok, {.um_per_px = 0}), doctest::Contains("um_per_px"), E);
  CHECK_THROWS_WITH_AS((void)vessel::perfusion(g, ok, {.small_vessel_um = -1}),
                       doctest::Contains("small_vessel_um"), E);
  g.segments[0].centreline.push_back({150, 10});
  CHECK_THROWS_WITH_AS((void)vessel::perfusion(g, ok), doctest::Contains("outside the frame"), E);
  CHECK_THROWS_WITH_AS((void)vessel::classify_flow(vessel::velocity_result{}), doctest::Contains("windows"), E);
  const auto w = windows({{1, 1}});
  CHECK_THROWS_WITH_AS((void)vessel::classify_flow(w, {.intermittent_fraction = 0}),
                       doctest::Contains("intermittent_fraction"), E);
  CHECK_THROWS_WITH_AS((void)vessel::classify_flow(w, {.stop_below_um_s = NAN}),
                       doctest::Contains("stop_below_um_s"), E);
}
