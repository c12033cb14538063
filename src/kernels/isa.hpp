#pragma once
// Which instruction-set variant of the hot kernels runs. The kernels are compiled several times
// (kernels/variant.inl): for baseline x86-64 (SSE2), AVX2 with FMA (x86-64-v3) and AVX-512
// (F, BW, DQ, VL: x86-64-v4); the best one this CPU supports is chosen once, at the first call,
// unless the environment variable NMFKIT_ISA names another one (`baseline`, `avx2`, `avx512` or
// `auto`). Other processors get the baseline variant only.
#include <string_view>
#include <vector>

// Whether this build has the x86-64 AVX2 and AVX-512 variants (GCC and Clang on x86-64).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NMFKIT_KERNEL_VARIANTS 1
#else
#define NMFKIT_KERNEL_VARIANTS 0
#endif

namespace nmfkit::kernels {

enum class Isa { kBaseline, kAvx2, kAvx512 };

/// "baseline", "avx2" or "avx512".
std::string_view isa_name(Isa isa);

/// Whether this build has `isa`'s variant and this CPU (and its operating system) can run it.
bool isa_supported(Isa isa);

/// The variants isa_supported() accepts, lowest first.
std::vector<Isa> supported_isas();

/// The variant the kernels run: chosen once from NMFKIT_ISA or, without it, the best supported.
/// Throws InvalidArgument (on every call) if NMFKIT_ISA names an unknown or unsupported variant.
Isa active_isa();

/// Makes the kernels run `isa` from now on, for every thread (tests and benchmarks compare the
/// variants in one process). Throws InvalidArgument if it is not supported. Not to be called
/// while kernels run.
void set_active_isa(Isa isa);

}  // namespace nmfkit::kernels
