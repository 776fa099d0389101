// Workspace overloads of the geometry kernels allocate nothing after the first frame: this test
// executable replaces the global operator new/delete with counting versions.

#include <vasostat/core/random.hpp>
#include <vasostat/vessel/analyze.hpp>
#include <vasostat/vessel/distance_transform.hpp>
#include <vasostat/vessel/skeletonize.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "support/vessel_geometry_support.hpp"

namespace {
std::atomic<long> allocations{0};

void* counted(std::size_t n, std::size_t align) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) {
    n = 1;
  }
  if (align <= alignof(std::max_align_t)) {
    return std::malloc(n);
  }
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
}  // namespace

void* operator new(std::size_t n) {
  void* p = counted(n, 0);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  void* p = counted(n, static_cast<std::size_t>(a));
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace vs = vasostat::vessel;

TEST_CASE("skeletonize and distance_transform with a workspace allocate nothing after the first frame") {
  vasostat::random_generator rng(11);
  // Frames prepared up front: the counting starts after them.
  const vasostat::image<std::uint8_t> f1 = vessel_test::random_blobs(333, 200, 25, 20, rng);
  const vasostat::image<std::uint8_t> f2 = vessel_test::random_blobs(333, 200, 25, 20, rng);
  const vasostat::image<std::uint8_t> small = vessel_test::random_blobs(120, 90, 8, 20, rng);
  vasostat::image<std::uint8_t> skel(333, 200);
  vasostat::image<float> dist(333, 200);
  vs::skeletonize_workspace sws;
  vs::distance_transform_workspace dws;

  const long before_first = allocations.load();
  vs::skeletonize(f1.view(), skel.view(), sws);
  vs::distance_transform(f1.view(), dist.view(), dws);
  const long first = allocations.load() - before_first;

  const long before = allocations.load();
  vs::skeletonize(f2.view(), skel.view(), sws);
  vs::distance_transform(f2.view(), dist.view(), dws);
  vs::skeletonize(small.view(), skel.view().sub(0, 0, 120, 90), sws, {.method = vs::thinning::guo_hall});
  vs::distance_transform(small.view(), dist.view().sub(0, 0, 120, 90), dws);
  const long later = allocations.load() - before;

  CHECK(first > 0);  // the counter sees the workspace growing
  CHECK(later == 0);
}

TEST_CASE("analyze_mask (skeletonize + distance + trace + density) with a workspace and a reused result allocates nothing in steady state") {
  vasostat::random_generator rng(12);
  const vasostat::image<std::uint8_t> f1 = vessel_test::render_network(333, 200, 0.18, rng);
  const vasostat::image<std::uint8_t> f2 = vessel_test::render_network(333, 200, 0.18, rng);
  const vasostat::image<std::uint8_t> f3 = vessel_test::render_network(333, 200, 0.18, rng);
  const vs::analyze_options options{.density = {.um_per_px = 1.2}};
  // References from the allocating overload, computed before the counting starts.
  const vs::mask_analysis r1 = vs::analyze_mask(f1.view(), options);
  const vs::mask_analysis r2 = vs::analyze_mask(f2.view(), options);
  const vs::mask_analysis r3 = vs::analyze_mask(f3.view(), options);
  vs::analyze_workspace ws;
  vs::mask_analysis out;
  auto same = [](const vs::mask_analysis& a, const vs::mask_analysis& b) {
    bool eq = a.vessels.segments.size() == b.vessels.segments.size() &&
              a.vessels.nodes.size() == b.vessels.nodes.size() &&
              a.metrics.tvd_mm_per_mm2 == b.metrics.tvd_mm_per_mm2 &&
              a.metrics.crossings == b.metrics.crossings &&
              a.metrics.count_per_class == b.metrics.count_per_class;
    for (std::size_t i = 0; eq && i < a.vessels.segments.size(); ++i) {
      eq = a.vessels.segments[i].centreline == b.vessels.segments[i].centreline &&
           a.vessels.segments[i].length_px == b.vessels.segments[i].length_px &&
           a.vessels.segments[i].diameter_px == b.vessels.segments[i].diameter_px;
    }
    return eq;
  };
  const long before_first = allocations.load();
  vs::analyze_mask(f1.view(), options, ws, out);  // sizes the per-pixel buffers and the graph
  const long first = allocations.load() - before_first;
  CHECK(same(out, r1));
  vs::analyze_mask(f2.view(), options, ws, out);  // more or longer segments grow buffers once
  CHECK(same(out, r2));
  vs::analyze_mask(f3.view(), options, ws, out);
  CHECK(same(out, r3));

  const long before = allocations.load();
  for (int round = 0; round < 2; ++round) {  // frames the buffers have seen: not one allocation
    vs::analyze_mask(f2.view(), options, ws, out);
    vs::analyze_mask(f1.view(), options, ws, out);
    vs::analyze_mask(f3.view(), options, ws, out);
  }
  const long later = allocations.load() - before;
  CHECK(same(out, r3));
  CHECK(first > 0);
  CHECK(later == 0);
}
