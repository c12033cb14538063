#include "kernels/isa.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit::kernels {

namespace {

constexpr std::array<std::string_view, 3> kIsaNames = {"baseline", "avx2", "avx512"};
constexpr std::array<std::string_view, 3> kIsaFeatures = {
    "", "AVX2 and FMA", "AVX-512 F, BW, DQ and VL (with AVX2 and FMA)"};

/// The chosen variant, or -1 before the first call to active_isa().
std::atomic<int> g_active{-1};

std::string supported_list() {
  std::string list;
  for (Isa isa : supported_isas()) list += (list.empty() ? "" : ", ") + std::string(isa_name(isa));
  return list;
}

/// The variant NMFKIT_ISA names, or the best supported one.
Isa from_environment() {
  const char* value = std::getenv("NMFKIT_ISA");
  if (value == nullptr || *value == '\0' || std::string_view(value) == "auto")
    return supported_isas().back();
  for (std::size_t i = 0; i < kIsaNames.size(); ++i) {
    if (kIsaNames[i] != value) continue;
    const auto isa = static_cast<Isa>(i);
    if (!isa_supported(isa))
      throw InvalidArgument("NMFKIT_ISA=" + std::string(value) + ": this " +
                            (NMFKIT_KERNEL_VARIANTS ? "CPU lacks " + std::string(kIsaFeatures[i])
                                                    : std::string("build has no such variant")) +
                            " (supported here: " + supported_list() + ")");
    return isa;
  }
  throw InvalidArgument("NMFKIT_ISA must be auto, baseline, avx2 or avx512, got '" +
                        std::string(value) + "'");
}

}  // namespace

std::string_view isa_name(Isa isa) {
  return kIsaNames[static_cast<std::size_t>(isa)];
}

bool isa_supported(Isa isa) {
#if NMFKIT_KERNEL_VARIANTS
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  switch (isa) {
    case Isa::kBaseline:
      return true;
    case Isa::kAvx2:
      return avx2;
    case Isa::kAvx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == Isa::kBaseline;
#endif
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kBaseline, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) out.push_back(isa);
  return out;
}

Isa active_isa() {
  const int chosen = g_active.load(std::memory_order_relaxed);
  if (chosen >= 0) return static_cast<Isa>(chosen);
  const Isa isa = from_environment();
  int expected = -1;  // a concurrent first call chose the same; set_active_isa's choice stays
  g_active.compare_exchange_strong(expected, static_cast<int>(isa), std::memory_order_relaxed);
  return static_cast<Isa>(g_active.load(std::memory_order_relaxed));
}

void set_active_isa(Isa isa) {
  if (!isa_supported(isa))
    throw InvalidArgument("the " + std::string(isa_name(isa)) +
                          " kernels cannot run here (supported here: " + supported_list() + ")");
  g_active.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace nmfkit::kernels

namespace nmfkit {

std::string_view kernel_isa() {
  return kernels::isa_name(kernels::active_isa());
}

}  // namespace nmfkit
