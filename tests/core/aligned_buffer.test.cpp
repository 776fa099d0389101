#include <vasostat/core/aligned_buffer.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <utility>

TEST_CASE("aligned_buffer is aligned, grows only when needed and copies its contents") {
  vasostat::aligned_buffer<double> b(10);
  CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % vasostat::buffer_alignment == 0);
  for (std::size_t i = 0; i < b.size(); ++i) {
    b[i] = static_cast<double>(i);
  }
  const double* first = b.data();
  b.resize(5);
  CHECK(b.data() == first);
  CHECK(b.capacity() == 10);
  b.resize(10);
  const vasostat::aligned_buffer<double> copy = b;
  CHECK(copy.size() == 10);
  CHECK(copy[9] == 9.0);
  CHECK(copy.data() != b.data());
  vasostat::aligned_buffer<double> moved = std::move(b);
  CHECK(moved.data() == first);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  b.resize(20);
  CHECK(b.size() == 20);
}
