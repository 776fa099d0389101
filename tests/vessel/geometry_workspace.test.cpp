// Workspace overloads of the geometry kernels allocate nothing after the first frame: this test
// executable replaces the global operator new/delete with counting versions.

#include <vasostat/core/random.hpp>
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
