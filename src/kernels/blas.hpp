#pragma once
// Type-dispatched wrappers over the CBLAS routines nmfkit uses (row-major only).
#include <cblas.h>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

/// The largest dimension or leading dimension CBLAS (32-bit integers) accepts.
inline constexpr Index kMaxBlasIndex = 2147483647;

/// c (m × n) = alpha · op(a) · b, where op(a) is a (m × kk) or, with transpose_a, aᵀ for a
/// (kk × m). Every size must be at most kMaxBlasIndex (the data checks this once).
inline void gemm(bool transpose_a, Index m, Index n, Index kk, float alpha, const float* a,
                 Index lda, const float* b, Index ldb, float* c, Index ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m), int(n),
              int(kk), alpha, a, int(lda), b, int(ldb), 0.0f, c, int(ldc));
}
inline void gemm(bool transpose_a, Index m, Index n, Index kk, double alpha, const double* a,
                 Index lda, const double* b, Index ldb, double* c, Index ldc) {
  cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m), int(n),
              int(kk), alpha, a, int(lda), b, int(ldb), 0.0, c, int(ldc));
}

}  // namespace nmfkit::kernels
