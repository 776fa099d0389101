#pragma once
// image<T>: an owning image whose rows start on 64-byte boundaries and are padded to a multiple
// of 64 bytes, so SIMD kernels may load a whole register at the end of a row. Converts to
// image_view<T> and image_view<const T>.

#include <vasostat/core/aligned_buffer.hpp>
#include <vasostat/core/image_view.hpp>

#include <algorithm>
#include <cstddef>

namespace vasostat::inline v0 {

template <class T>
class image {
 public:
  using value_type = T;

  image() = default;
  image(std::ptrdiff_t width, std::ptrdiff_t height) { resize(width, height); }
  image(std::ptrdiff_t width, std::ptrdiff_t height, T value) {
    resize(width, height);
    fill(value);
  }

  /// Row stride (in elements) used for a given width: padded to whole 64-byte lines.
  [[nodiscard]] static constexpr std::ptrdiff_t padded_stride(std::ptrdiff_t width) noexcept {
    constexpr auto per_line = static_cast<std::ptrdiff_t>(buffer_alignment / sizeof(T)) > 0
                                  ? static_cast<std::ptrdiff_t>(buffer_alignment / sizeof(T))
                                  : 1;
    return ((width + per_line - 1) / per_line) * per_line;
  }

  /// Sets the size; reallocates only when the new size needs more memory (contents unspecified).
  void resize(std::ptrdiff_t width, std::ptrdiff_t height) {
    VASOSTAT_EXPECTS(width >= 0 && height >= 0,
                     "vasostat::image::resize: width and height must be non-negative");
    stride_ = padded_stride(width);
    width_ = width;
    height_ = height;
    buffer_.resize(static_cast<std::size_t>(stride_ * height));
  }

  void fill(T value) noexcept { std::fill(buffer_.begin(), buffer_.end(), value); }

  [[nodiscard]] std::ptrdiff_t width() const noexcept { return width_; }
  [[nodiscard]] std::ptrdiff_t height() const noexcept { return height_; }
  [[nodiscard]] std::ptrdiff_t stride() const noexcept { return stride_; }
  [[nodiscard]] bool empty() const noexcept { return width_ <= 0 || height_ <= 0; }
  [[nodiscard]] T* data() noexcept { return buffer_.data(); }
  [[nodiscard]] const T* data() const noexcept { return buffer_.data(); }
  [[nodiscard]] T* row(std::ptrdiff_t y) noexcept { return buffer_.data() + y * stride_; }
  [[nodiscard]] const T* row(std::ptrdiff_t y) const noexcept {
    return buffer_.data() + y * stride_;
  }
  T& operator()(std::ptrdiff_t x, std::ptrdiff_t y) noexcept { return row(y)[x]; }
  const T& operator()(std::ptrdiff_t x, std::ptrdiff_t y) const noexcept { return row(y)[x]; }

  [[nodiscard]] image_view<T> view() noexcept {
    return image_view<T>(buffer_.data(), width_, height_, stride_);
  }
  [[nodiscard]] image_view<const T> view() const noexcept {
    return image_view<const T>(buffer_.data(), width_, height_, stride_);
  }
  operator image_view<T>() noexcept { return view(); }  // NOLINT(google-explicit-constructor)
  operator image_view<const T>() const noexcept {       // NOLINT(google-explicit-constructor)
    return view();
  }

 private:
  aligned_buffer<T> buffer_;
  std::ptrdiff_t width_ = 0;
  std::ptrdiff_t height_ = 0;
  std::ptrdiff_t stride_ = 0;
};

/// A copy of any view into a new owning image.
template <class T>
[[nodiscard]] image<std::remove_const_t<T>> to_image(const image_view<T>& v) {
  image<std::remove_const_t<T>> out(v.width, v.height);
  for (std::ptrdiff_t y = 0; y < v.height; ++y) {
    std::copy(v.row(y), v.row(y) + v.width, out.row(y));
  }
  return out;
}

}  // namespace vasostat::inline v0
