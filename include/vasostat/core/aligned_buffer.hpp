#pragma once
// A minimal owning buffer of trivially copyable T aligned to 64 bytes (an AVX-512 register or a
// cache line). Not xsimd::aligned_allocator: that one does not compile with -fno-exceptions on
// xsimd 8.1. Grows only when asked for more, so workspaces stop allocating after the first frame.

#include <vasostat/core/config.hpp>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace vasostat::inline v0 {

inline constexpr std::size_t buffer_alignment = 64;

template <class T>
class aligned_buffer {
  static_assert(std::is_trivially_copyable_v<T>, "aligned_buffer holds trivially copyable types");

 public:
  aligned_buffer() = default;
  explicit aligned_buffer(std::size_t n) { resize(n); }
  aligned_buffer(const aligned_buffer& other) {
    resize(other.size_);
    if (size_ != 0) {
      std::memcpy(data_, other.data_, size_ * sizeof(T));
    }
  }
  aligned_buffer(aligned_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr))
      , size_(std::exchange(other.size_, 0))
      , capacity_(std::exchange(other.capacity_, 0)) {}
  aligned_buffer& operator=(aligned_buffer other) noexcept {
    swap(other);
    return *this;
  }
  ~aligned_buffer() { release(); }

  void swap(aligned_buffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  /// Sets the size to n; reallocates (contents not kept) only when n exceeds the capacity.
  void resize(std::size_t n) {
    if (n > capacity_) {
      release();
      void* p = ::operator new(n * sizeof(T), std::align_val_t{buffer_alignment}, std::nothrow);
      if (p == nullptr) {
#if VASOSTAT_HAS_EXCEPTIONS
        throw std::bad_alloc();
#else
        std::abort();
#endif
      }
      data_ = static_cast<T*>(p);
      capacity_ = n;
    }
    size_ = n;
  }

  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

 private:
  void release() noexcept {
    if (data_ != nullptr) {
      ::operator delete(data_, std::align_val_t{buffer_alignment});
    }
    data_ = nullptr;
    size_ = 0;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace vasostat::inline v0
