// The hot kernels compiled for one instruction set: included by variant_baseline.cpp,
// variant_avx2.cpp and variant_avx512.cpp, each of which first defines NMFKIT_VARIANT (0, 1 or 2).
// The definitions land in nmfkit::kernels::isa_baseline, isa_avx2 or isa_avx512 (declared by
// kernels/variants.hpp, which this file does not include: those declarations carry no target).
//
// Why the instruction set is given per function (a target pragma) and never to the whole file
// (-mavx2): inline functions and templates of shared headers (std::, Eigen, nmfkit) are compiled
// in every file that uses them and the linker keeps one copy, maybe the AVX-512 one, which a
// baseline CPU would then run. So every header is included before the pragma: what they define
// keeps the baseline (it may still be inlined into the functions below, and is then compiled with
// their instruction set); what is defined after it, in this variant's own namespace, gets the
// target and is never shared. The test isa.variants_confined (tests/isa) checks the built CLI.
// GCC 12 warns that the "undefined" vectors its AVX-512 intrinsics start from may be used
// uninitialised (its bug 105593, fixed in GCC 13), or are (shuffles, halves of a vector): the
// warning points into this header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "core/masked_fill.hpp"
#include "kernels/blas.hpp"
#include "kernels/chunks.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "kernels/fast_log.hpp"
#include "kernels/isa.hpp"
#include "kernels/kl_cd.hpp"
#include "kernels/parallel_errors.hpp"
#include "kernels/per_thread.hpp"
#include "solvers/coordinate_descent_row.hpp"

#if NMFKIT_VARIANT == 0 || NMFKIT_KERNEL_VARIANTS

// The x86-64-v3 and x86-64-v4 variants. GCC's default -ffp-contract=fast fuses a·b + c into one
// FMA in both (the baseline has no FMA, so its results differ in the last bits); both contract
// the same expressions, so the two give the same bytes.
#if NMFKIT_VARIANT == 0
#define NMFKIT_VARIANT_NAMESPACE isa_baseline
#elif NMFKIT_VARIANT == 1
#define NMFKIT_VARIANT_NAMESPACE isa_avx2
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#elif NMFKIT_VARIANT == 2
#define NMFKIT_VARIANT_NAMESPACE isa_avx512
#if defined(__clang__)
#pragma clang attribute push( \
    __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")
#endif
#else
#error "NMFKIT_VARIANT must be 0 (baseline), 1 (avx2) or 2 (avx512)"
#endif

namespace nmfkit::kernels::NMFKIT_VARIANT_NAMESPACE {

// In this order: the products use gram_add_rows.
#include "kernels/dense_loops.inl"
//
#include "kernels/beta_loops.inl"
//
#include "kernels/kl_cd.inl"
//
#include "kernels/csr_products.inl"
//
#include "kernels/dense_products.inl"
//
#include "solvers/coordinate_descent_lanes.inl"
//
#include "core/masked_fill.inl"

#define NMFKIT_CSR_PRODUCTS(M, T)                                                                \
  template void times<M, T>(const M&, T, const T*, Index, T*, int);                              \
  template void transpose_times<M, T>(const M&, T, const T*, Index, T*, int);                    \
  template void fused_rows<M, T>(const M&, T, const T*, Index, T*, Index, const RowBlockFn<T>&,  \
                                 T*, double*, int);                                              \
  template double residual_squared_norm<M, T>(const M&, double, const T*, const T*, Index, int); \
  template double kl_quotients<M, T>(const M&, double, const T*, const T*, Index, double, T*,    \
                                     bool, int);
#define NMFKIT_INSTANTIATE(T)                                                                      \
  NMFKIT_CSR_PRODUCTS(CsrMatrix<T>, T)                                                             \
  NMFKIT_CSR_PRODUCTS(CsrBytes<T>, T)                                                              \
  NMFKIT_CSR_PRODUCTS(CsrRef32<T>, T)                                                              \
  NMFKIT_CSR_PRODUCTS(CsrRef64<T>, T)                                                              \
  template void dense_times<T>(const DenseView<T>&, T, const T*, Index, T*, int);                  \
  template void dense_transpose_times<T>(const DenseView<T>&, T, const T*, Index, T*, int);        \
  template void dense_fused_rows<T>(const DenseView<T>&, T, const T*, Index, T*, Index,            \
                                    const RowBlockFn<T>&, T*, double*, int);                       \
  template double residual_squared_norm<T>(const DenseView<T>&, double, const T*, const T*, Index, \
                                           int);                                                   \
  template void gram<T>(const T*, Index, Index, double*, int);                                     \
  template void rows_times_h<T>(const T*, Index, Index, const T*, Index, T*);                      \
  template void extrapolate_range<T>(T*, const T*, const T*, Index, double);                       \
  template double beta_divergence_rows<T>(const T*, Index, const T*, Index, Index, double,         \
                                          double);                                                 \
  template void beta_mu_terms<T>(const T*, Index, Index, Index, double, double, T*, T*);           \
  template double kl_cd_row<T>(const T*, Index, T*, const T*, Index, const double*, Index,         \
                               const KlCdControl&, T*);                                            \
  template double kl_cd_sparse_row<T>(const T*, const std::int32_t*, Index, T*, const T*, Index,   \
                                      const double*, Index, const KlCdControl&, T*, T*);           \
  template LogSums log_sums<T>(const T*, std::size_t, bool, double);                               \
  template void coordinate_descent_lanes<T>(T*, const T*, Index, double, const T*, Index,          \
                                            const rules::SweepControl&, rules::LaneScratch<T>&,    \
                                            double*);                                              \
  template std::unique_ptr<core::FillOps<T>> make_fill<T>(const core::MissingEntries&, Index,      \
                                                          Index, Index, int, double);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
#undef NMFKIT_INSTANTIATE
#undef NMFKIT_CSR_PRODUCTS

}  // namespace nmfkit::kernels::NMFKIT_VARIANT_NAMESPACE

#if NMFKIT_VARIANT != 0
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

#endif  // NMFKIT_VARIANT == 0 || NMFKIT_KERNEL_VARIANTS
