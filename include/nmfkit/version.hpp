#pragma once
#include <string_view>

namespace nmfkit {
/// The library version, "major.minor.patch".
std::string_view version();

/// The instruction-set variant of the hot kernels this process runs: "avx512", "avx2" or
/// "baseline" (x86-64 builds choose the best one the CPU supports; other processors have
/// "baseline" only). The environment variable NMFKIT_ISA, read once, forces a lower one; throws
/// InvalidArgument if it names an unknown variant or one the CPU lacks.
std::string_view kernel_isa();

/// Under an address-space limit (RLIMIT_AS, `ulimit -v`) the BLAS in use can stall when it cannot
/// map the work buffer it takes for each calling thread. This checks that the limit leaves room
/// for `threads` such buffers (plus a margin) and makes each of `threads` OpenMP threads take its
/// buffer now, so that a later shortage is a std::bad_alloc from nmfkit's own allocations.
/// `threads` <= 0 means OpenMP's default. Throws nmfkit::DataError ("out of memory: ...", with
/// the sizes) when the limit leaves too little room. Does nothing without a limit.
void reserve_thread_buffers(int threads);
}  // namespace nmfkit
