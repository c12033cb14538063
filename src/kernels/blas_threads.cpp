#include "kernels/blas_threads.hpp"

#include <cblas.h>
#include <malloc.h>
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"

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

namespace nmfkit {

namespace {

// Address space mapped now, from /proc/self/statm (pages); 0 when unknown.
std::uint64_t mapped_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long pages = 0;
  const int read = std::fscanf(f, "%llu", &pages);
  std::fclose(f);
  return read == 1 ? pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

std::string_view blas_core() {
  const char* core = openblas_get_corename();
  return core != nullptr ? core : "unknown";
}

std::string_view blas_core_override() {
#if defined(__x86_64__)
  if (blas_core() != "Prescott") return {};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return {};
}

void reserve_thread_buffers(int threads) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  if (threads <= 0) threads = omp_get_max_threads();
  // malloc reserves 64 MiB of address space for each arena it adds for a thread: one extra does.
  ::mallopt(M_ARENA_MAX, 2);
  // Per thread: OpenBLAS's work buffer (128 MiB on x86-64) and a stack; one more malloc arena.
  constexpr std::uint64_t kPerThread = std::uint64_t{144} << 20;
  constexpr std::uint64_t kMargin = std::uint64_t{128} << 20;
  const std::uint64_t need = kPerThread * static_cast<std::uint64_t>(threads) + kMargin;
  const std::uint64_t mapped = mapped_bytes();
  if (mapped + need > limit.rlim_cur) {
    const auto mib = [](std::uint64_t b) { return std::to_string(b >> 20) + " MiB"; };
    throw DataError("out of memory: the address-space limit (ulimit -v) of " + mib(limit.rlim_cur) +
                    " leaves " + mib(limit.rlim_cur > mapped ? limit.rlim_cur - mapped : 0) +
                    ", and " + std::to_string(threads) + " thread" + (threads == 1 ? "" : "s") +
                    " need about " + mib(need) + " before any data (fewer --threads need less)");
  }
  // Each thread multiplies two 256 x 256 matrices (above OpenBLAS's small-matrix path): OpenBLAS
  // maps the thread's buffer, which it keeps for later calls.
  constexpr int kSide = 256;
  constexpr std::size_t kCells = std::size_t{kSide} * kSide;
  const std::vector<float> ab(2 * kCells, 0.0f);
  std::vector<float> c(kCells * static_cast<std::size_t>(threads));
  const kernels::BlasThreadsGuard single;
#pragma omp parallel num_threads(threads)
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kSide, kSide, kSide, 1.0f, ab.data(),
              kSide, ab.data() + kCells, kSide, 0.0f,
              c.data() + kCells * static_cast<std::size_t>(omp_get_thread_num()), kSide);
}

}  // namespace nmfkit
