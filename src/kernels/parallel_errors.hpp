#pragma once
// Exceptions and OpenMP regions. An exception that leaves a parallel region calls std::terminate,
// and one that ends a thread's part early leaves the other threads waiting at the next barrier.
// So a region allocates its per-thread scratch before it starts (per_thread.hpp), and a loop whose
// body may still throw (it allocates, or calls code that can throw: a Data's row_block, a fused
// pass's block) runs each iteration's body through ParallelErrors::run:
//
//   ParallelErrors errors;
//   #pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
//   for (Index c = 0; c < count; ++c)
//     errors.run([&] { ... });
//   errors.rethrow();
//
// The caller then gets the exception itself (std::bad_alloc stays std::bad_alloc).
#include <atomic>
#include <exception>
#include <utility>

namespace nmfkit::kernels {

/// The first exception thrown by the bodies of a parallel loop, rethrown by rethrow() once the
/// region has ended. After a body has thrown, the bodies not yet started are skipped; every
/// iteration is still visited, so every thread reaches the region's barriers.
class ParallelErrors {
 public:
  ParallelErrors() = default;
  ParallelErrors(const ParallelErrors&) = delete;
  ParallelErrors& operator=(const ParallelErrors&) = delete;

  /// Runs body() (one iteration's work), keeping what it throws.
  template <typename Body>
  void run(Body&& body) noexcept {
    if (failed_.load(std::memory_order_relaxed)) return;
    try {
      std::forward<Body>(body)();
    } catch (...) {
      keep(std::current_exception());
    }
  }

  /// Throws the exception kept, if any. Call after the region (its end is a barrier).
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void keep(std::exception_ptr error) noexcept {
#pragma omp critical(nmfkit_parallel_errors)
    {
      if (!error_) error_ = std::move(error);
    }
    failed_.store(true, std::memory_order_relaxed);
  }

  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace nmfkit::kernels
