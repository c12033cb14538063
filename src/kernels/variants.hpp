#pragma once
// The instruction-set variants of the hot kernels (kernels/variant.inl defines them in
// nmfkit::kernels::isa_baseline, isa_avx2 and isa_avx512) and NMFKIT_DISPATCH, which calls the
// one kernels::active_isa() chose. A dispatched kernel is defined as
//
//   template <typename T>
//   void gram(const T* f, Index rows, Index k, double* g, int threads) {
//     NMFKIT_DISPATCH(gram, f, rows, k, g, threads);
//   }
//
// (its template arguments deduced from the arguments) and instantiated for the types the
// variants are instantiated for.
#include "core/masked_fill.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "kernels/isa.hpp"
#include "kernels/kl_cd.hpp"
#include "solvers/coordinate_descent_row.hpp"

namespace nmfkit::kernels {

namespace isa_baseline {
#include "kernels/variant_api.inc"
}  // namespace isa_baseline

#if NMFKIT_KERNEL_VARIANTS
namespace isa_avx2 {
#include "kernels/variant_api.inc"
}  // namespace isa_avx2
namespace isa_avx512 {
#include "kernels/variant_api.inc"
}  // namespace isa_avx512
#else
namespace isa_avx2 = isa_baseline;    // never chosen: isa_supported() says no
namespace isa_avx512 = isa_baseline;  // likewise
#endif

}  // namespace nmfkit::kernels

/// Returns function(args...) of the variant kernels::active_isa() names.
#define NMFKIT_DISPATCH(function, ...)                             \
  switch (::nmfkit::kernels::active_isa()) {                       \
    case ::nmfkit::kernels::Isa::kAvx512:                          \
      return ::nmfkit::kernels::isa_avx512::function(__VA_ARGS__); \
    case ::nmfkit::kernels::Isa::kAvx2:                            \
      return ::nmfkit::kernels::isa_avx2::function(__VA_ARGS__);   \
    case ::nmfkit::kernels::Isa::kBaseline:                        \
      break;                                                       \
  }                                                                \
  return ::nmfkit::kernels::isa_baseline::function(__VA_ARGS__)
