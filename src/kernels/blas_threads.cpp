#include "kernels/blas_threads.hpp"

#include <cblas.h>

#include <mutex>

namespace nmfkit::kernels {

namespace {

std::mutex guard_mutex;
int running_fits = 0;  // guarded by guard_mutex
int host_threads = 1;  // the host's setting while running_fits > 0

constexpr int kPthreads = 1;  // openblas_get_parallel(): 0 sequential, 1 pthreads, 2 OpenMP

}  // namespace

const char* blas_threading() {
  switch (openblas_get_parallel()) {
    case 0:
      return "sequential";
    case kPthreads:
      return "pthreads";
    default:
      return "openmp";
  }
}

BlasThreadsGuard::BlasThreadsGuard() : active_(openblas_get_parallel() == kPthreads) {
  if (!active_) return;
  const std::lock_guard<std::mutex> lock(guard_mutex);
  if (running_fits++ == 0) {
    host_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

BlasThreadsGuard::~BlasThreadsGuard() {
  if (!active_) return;
  const std::lock_guard<std::mutex> lock(guard_mutex);
  if (--running_fits == 0) openblas_set_num_threads(host_threads);
}

}  // namespace nmfkit::kernels
