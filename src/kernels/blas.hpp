#pragma once
// Type-dispatched wrappers over the CBLAS routines nmfkit uses (row-major only).
#include <cblas.h>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

/// c (m × n) = op(a) · b, where op(a) is a (m × kk) or, with transpose_a, aᵀ for a (kk × m).
inline void gemm(bool transpose_a, Index m, Index n, Index kk, const float* a, Index lda,
                 const float* b, Index ldb, float* c, Index ldc) {
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m), int(n),
              int(kk), 1.0f, a, int(lda), b, int(ldb), 0.0f, c, int(ldc));
}
inline void gemm(bool transpose_a, Index m, Index n, Index kk, const double* a, Index lda,
                 const double* b, Index ldb, double* c, Index ldc) {
  cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, CblasNoTrans, int(m), int(n),
              int(kk), 1.0, a, int(lda), b, int(ldb), 0.0, c, int(ldc));
}

}  // namespace nmfkit::kernels
