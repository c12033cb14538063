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
}  // namespace nmfkit
