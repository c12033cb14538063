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

/// The OPENBLAS_CORETYPE that gives this CPU OpenBLAS's vector kernels when OpenBLAS did not
/// recognise the CPU (an OpenBLAS older than the processor) and runs its generic "Prescott"
/// kernels: "SkylakeX" with AVX-512 (F, BW, DQ, VL), "Haswell" with AVX2 and FMA. Empty when
/// OpenBLAS chose kernels of its own or the CPU has neither. OpenBLAS reads the variable once, when
/// it is loaded, so a program acts on this by starting again with it set (the nmfkit CLI does).
std::string_view blas_core_override();

/// The name of the kernels OpenBLAS runs in this process ("SkylakeX", "Haswell", "Prescott", ...).
std::string_view blas_core();
}  // namespace nmfkit
