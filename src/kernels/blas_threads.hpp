#pragma once
// OpenBLAS's own threads while a fit runs. nmfkit calls BLAS from inside its own parallel loops
// (fixed row chunks), where BLAS must run on the calling thread alone. OpenBLAS built for OpenMP
// does that by itself (it runs single-threaded inside a parallel region) and sequential OpenBLAS
// never threads: both are left untouched. Only OpenBLAS built on pthreads has no such test; for
// it the thread count is set to 1 while any fit runs in the process and restored to the host's
// value when the last one ends (a count of running fits under a lock, so concurrent fits neither
// race nor leave the host's setting changed).
namespace nmfkit::kernels {

class BlasThreadsGuard {
 public:
  BlasThreadsGuard();
  ~BlasThreadsGuard();
  BlasThreadsGuard(const BlasThreadsGuard&) = delete;
  BlasThreadsGuard& operator=(const BlasThreadsGuard&) = delete;

 private:
  bool active_ = false;
};

/// "openmp", "pthreads" or "sequential": how the OpenBLAS in use was built.
const char* blas_threading();

}  // namespace nmfkit::kernels
