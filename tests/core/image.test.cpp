#include <vasostat/core/image.hpp>
#include <vasostat/core/image_view.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using vasostat::image;
using vasostat::image_view;

TEST_CASE("image rows are 64-byte aligned and padded to whole lines") {
  for (std::ptrdiff_t w : {1, 15, 16, 17, 63, 64, 65, 1021}) {
    image<float> f(w, 3);
    CHECK(f.stride() >= w);
    CHECK((f.stride() * static_cast<std::ptrdiff_t>(sizeof(float))) % 64 == 0);
    for (std::ptrdiff_t y = 0; y < 3; ++y) {
      CHECK(reinterpret_cast<std::uintptr_t>(f.row(y)) % 64 == 0);
    }
    image<std::uint8_t> b(w, 2, 7);
    CHECK(b(w - 1, 1) == 7);
  }
}

TEST_CASE("image resize keeps its memory when shrinking and views see the new size") {
  image<std::uint16_t> im(100, 50);
  const auto* before = im.data();
  im.resize(40, 20);
  CHECK(im.data() == before);
  const image_view<const std::uint16_t> v = im;
  CHECK(v.width == 40);
  CHECK(v.height == 20);
  CHECK(v.stride == im.stride());
}

TEST_CASE("image_view indexes rows through the stride and converts to const") {
  std::vector<int> buffer(5 * 4, 0);
  image_view<int> v(buffer.data(), 3, 4, 5);
  v(2, 3) = 9;
  CHECK(buffer[3 * 5 + 2] == 9);
  const image_view<const int> c = v;
  CHECK(c.row(3)[2] == 9);
  const auto sub = v.sub(1, 1, 2, 2);
  sub(1, 2 - 1) = 4;
  CHECK(buffer[2 * 5 + 2] == 4);
  const auto copy = vasostat::to_image(c);
  CHECK(copy(2, 3) == 9);
  CHECK(copy.width() == 3);
}

TEST_CASE("from_pitch converts a byte pitch and rejects one that is not whole pixels") {
  std::vector<std::uint16_t> buffer(10 * 3);
  const auto v = image_view<std::uint16_t>::from_pitch(buffer.data(), 8, 3, 20);
  CHECK(v.stride == 10);
  CHECK_THROWS_WITH_AS((void)image_view<std::uint16_t>::from_pitch(buffer.data(), 8, 3, 19),
                       doctest::Contains("bytes_per_row"), vasostat::invalid_argument);
}

TEST_CASE("check_image_view names the argument and the problem") {
  std::vector<std::uint8_t> buffer(16);
  using vasostat::detail::check_image_view;
  CHECK_NOTHROW(check_image_view(image_view<const std::uint8_t>(buffer.data(), 4, 4), "f", "mask"));
  CHECK_NOTHROW(check_image_view(image_view<const std::uint8_t>(nullptr, 0, 0), "f", "mask"));
  CHECK_THROWS_WITH_AS(check_image_view(image_view<const std::uint8_t>(buffer.data(), 4, 4, 3), "f", "mask"),
                       doctest::Contains("mask.stride (3) is smaller than its width (4)"),
                       vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS(check_image_view(image_view<const std::uint8_t>(buffer.data(), -1, 4, 4), "f", "frame"),
                       doctest::Contains("frame has a negative size"), vasostat::invalid_argument);
  CHECK_THROWS_WITH_AS(check_image_view(image_view<const std::uint8_t>(nullptr, 4, 4), "f", "mask"),
                       doctest::Contains("mask.data is null"), vasostat::invalid_argument);
}
