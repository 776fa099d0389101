#pragma once
// image_view<T>: a non-owning view of a row-pitched 2-D image (a vendor's frame buffer, an
// Eigen::Map, a vasostat::image). Stride is in elements; every kernel indexes row(y)[x].

#include <vasostat/core/error.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace vasostat::inline v0 {

template <class T>
struct image_view {
  T* data = nullptr;
  std::ptrdiff_t width = 0;
  std::ptrdiff_t height = 0;
  std::ptrdiff_t stride = 0;  ///< elements from one row to the next (>= width)

  constexpr image_view() = default;
  constexpr image_view(T* data_, std::ptrdiff_t width_, std::ptrdiff_t height_,
                       std::ptrdiff_t stride_) noexcept
      : data(data_), width(width_), height(height_), stride(stride_) {}
  constexpr image_view(T* data_, std::ptrdiff_t width_, std::ptrdiff_t height_) noexcept
      : image_view(data_, width_, height_, width_) {}

  /// A view of mutable pixels converts to a view of const pixels.
  template <class U>
    requires(std::is_same_v<T, const U>)
  constexpr image_view(const image_view<U>& other) noexcept  // NOLINT(google-explicit-constructor)
      : data(other.data), width(other.width), height(other.height), stride(other.stride) {}

  /// A view over a buffer whose rows are `bytes_per_row` bytes apart (OpenCV's step, a
  /// vendor's pitch); throws if the pitch is not a whole number of elements.
  [[nodiscard]] static image_view from_pitch(T* data, std::ptrdiff_t width, std::ptrdiff_t height,
                                             std::ptrdiff_t bytes_per_row) {
    VASOSTAT_EXPECTS(bytes_per_row >= 0 &&
                         bytes_per_row % static_cast<std::ptrdiff_t>(sizeof(T)) == 0,
                     "vasostat::image_view::from_pitch: bytes_per_row (" +
                         std::to_string(bytes_per_row) + ") is not a multiple of the pixel size (" +
                         std::to_string(sizeof(T)) + ")");
    return image_view(data, width, height,
                      bytes_per_row / static_cast<std::ptrdiff_t>(sizeof(T)));
  }

  [[nodiscard]] constexpr bool empty() const noexcept { return width <= 0 || height <= 0; }
  [[nodiscard]] constexpr std::ptrdiff_t size() const noexcept { return width * height; }
  [[nodiscard]] constexpr T* row(std::ptrdiff_t y) const noexcept { return data + y * stride; }
  [[nodiscard]] constexpr T& operator()(std::ptrdiff_t x, std::ptrdiff_t y) const noexcept {
    return data[y * stride + x];
  }
  /// The rectangle [x, x+w) × [y, y+h) of this view (not bounds-checked).
  [[nodiscard]] constexpr image_view sub(std::ptrdiff_t x, std::ptrdiff_t y, std::ptrdiff_t w,
                                         std::ptrdiff_t h) const noexcept {
    return image_view(data + y * stride + x, w, h, stride);
  }
};

template <class T>
image_view(T*, std::ptrdiff_t, std::ptrdiff_t, std::ptrdiff_t) -> image_view<T>;
template <class T>
image_view(T*, std::ptrdiff_t, std::ptrdiff_t) -> image_view<T>;

namespace detail {

/// Validates a view at a public boundary: non-negative sizes, stride >= width, data present.
/// `where` is the qualified function name, `name` the argument's name.
template <class T>
void check_image_view(const image_view<T>& v, const char* where, const char* name) {
  VASOSTAT_EXPECTS(v.width >= 0 && v.height >= 0,
                   std::string(where) + ": " + name + " has a negative size (" +
                       std::to_string(v.width) + "x" + std::to_string(v.height) + ")");
  VASOSTAT_EXPECTS(v.stride >= v.width, std::string(where) + ": " + name + ".stride (" +
                                            std::to_string(v.stride) + ") is smaller than its width (" +
                                            std::to_string(v.width) + ")");
  VASOSTAT_EXPECTS(v.data != nullptr || v.empty(),
                   std::string(where) + ": " + name + ".data is null for a non-empty image");
}

}  // namespace detail
}  // namespace vasostat::inline v0
