#pragma once
// Per-thread scratch space made before a parallel region. A region that allocated its scratch
// inside could fail in one thread after the others had passed a barrier (parallel_errors.hpp), so
// the calling thread makes every thread's scratch first and each thread takes its own by
// omp_get_thread_num(). Made by one thread, the arrays would sit side by side in memory: each is
// therefore given cache lines of its own (no false sharing between threads), and arrays of plain
// numbers are left unwritten (no serial zeroing; a page is first touched by the thread using it).
#include <omp.h>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace nmfkit::kernels {

inline constexpr std::size_t kCacheLine = 64;

/// An allocator whose blocks are whole cache lines, aligned to one, and whose elements are
/// default-initialised (numbers are left unwritten: every user writes before it reads) unless a
/// value is given.
template <typename T>
struct ScratchAllocator {
  using value_type = T;

  ScratchAllocator() = default;
  template <typename U>
  ScratchAllocator(const ScratchAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > (SIZE_MAX - kCacheLine) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(::operator new(bytes(n), std::align_val_t(kCacheLine)));
  }
  // The unsized form: clang before 19 leaves sized deallocation off unless asked
  // (-fsized-deallocation), and the size adds nothing here.
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete(p, std::align_val_t(kCacheLine));
  }
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  friend bool operator==(const ScratchAllocator&, const ScratchAllocator&) { return true; }
  friend bool operator!=(const ScratchAllocator&, const ScratchAllocator&) { return false; }

 private:
  static std::size_t bytes(std::size_t n) {
    return (n * sizeof(T) + kCacheLine - 1) / kCacheLine * kCacheLine;
  }
};

/// One thread's scratch array: ScratchVector<T>(n) holds n unwritten numbers,
/// ScratchVector<T>(n, 0) n zeros.
template <typename T>
using ScratchVector = std::vector<T, ScratchAllocator<T>>;

/// One V for each thread of a team of at most `threads`, constructed from the same arguments by
/// the calling thread, before the region:
///
///   PerThread<ScratchVector<double>> row(threads, k);
///   #pragma omp parallel num_threads(threads)
///   {
///     double* r = row.mine().data();
///     ...
///   }
///
/// The team must not be larger than `threads` (pass the same number to num_threads).
template <typename V>
class PerThread {
 public:
  template <typename... Args>
  explicit PerThread(int threads, const Args&... args) {
    const auto count = static_cast<std::size_t>(std::max(1, threads));
    values_.reserve(count);
    for (std::size_t t = 0; t < count; ++t) values_.emplace_back(args...);
  }

  /// The calling thread's V.
  V& mine() {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    assert(t < values_.size());
    return values_[t];
  }

  /// Calls fn on every thread's V, in thread order (outside a parallel region).
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const V& v : values_) fn(v);
  }

 private:
  std::vector<V> values_;
};

/// The scratch arrays of one kind, one per thread.
template <typename T>
using PerThreadScratch = PerThread<ScratchVector<T>>;

}  // namespace nmfkit::kernels
