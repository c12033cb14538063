#include "kernels/dense.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/chunks.hpp"
#include "kernels/variants.hpp"

namespace nmfkit::kernels {

// These run the instruction-set variant chosen at run time (kernels/variants.hpp); their body is
// kernels/dense_products.inl or kernels/dense_loops.inl.

template <typename T>
void times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads) {
  NMFKIT_DISPATCH(dense_times, x, scale, right, p, out, threads);  // a switch, then a return
}

template <typename T>
void transpose_times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads) {
  NMFKIT_DISPATCH(dense_transpose_times, x, scale, right, p, out, threads);
}

template <typename T>
void fused_rows(const DenseView<T>& x, T scale, const T* right, Index p, T* w, Index block_rows,
                const RowBlockFn<T>& block, T* out, double* gram, int threads) {
  NMFKIT_DISPATCH(dense_fused_rows, x, scale, right, p, w, block_rows, block, out, gram, threads);
}

template <typename T>
double residual_squared_norm(const DenseView<T>& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  NMFKIT_DISPATCH(residual_squared_norm, x, scale, w, h, k, threads);
}

void times(const DenseLevels& x, float scale, const float* right, Index p, float* out,
           int threads) {
  NMFKIT_DISPATCH(dense_times, x, scale, right, p, out, threads);
}

void transpose_times(const DenseLevels& x, float scale, const float* right, Index p, float* out,
                     int threads) {
  NMFKIT_DISPATCH(dense_transpose_times, x, scale, right, p, out, threads);
}

void fused_rows(const DenseLevels& x, float scale, const float* right, Index p, float* w,
                Index block_rows, const RowBlockFn<float>& block, float* out, double* gram,
                int threads) {
  NMFKIT_DISPATCH(dense_fused_rows, x, scale, right, p, w, block_rows, block, out, gram, threads);
}

double residual_squared_norm(const DenseLevels& x, double scale, const float* w, const float* h,
                             Index k, int threads) {
  NMFKIT_DISPATCH(residual_squared_norm, x, scale, w, h, k, threads);
}

void decode_levels(const DenseLevels& x, Index first, Index count, float* out) {
  NMFKIT_DISPATCH(decode_levels, x, first, count, out);
}

DenseLevels DenseLevels::with_scale(const DenseView<std::uint8_t>& levels, double level_scale) {
  DenseLevels x{levels, level_scale};
  x.scale_hi = static_cast<float>(level_scale);
  x.scale_lo = static_cast<float>(level_scale - double(x.scale_hi));
  x.fused_decode = true;
  for (int q = 0; q < 256 && x.fused_decode; ++q) {
    const float l = static_cast<float>(q);
    x.fused_decode =
        std::fma(l, x.scale_hi, l * x.scale_lo) == static_cast<float>(double(q) * level_scale);
  }
  return x;
}

template <typename T>
void gram(const T* f, Index rows, Index k, double* g, int threads) {
  NMFKIT_DISPATCH(gram, f, rows, k, g, threads);
}

template <typename T>
void w_times_h(const T* w, Index rows, Index k, const T* h, Index m, T* wh) {
  if constexpr (sizeof(T) == sizeof(double)) {
    gemm(false, rows, m, k, T(1), w, k, h, m, wh, m);
  } else {
    NMFKIT_DISPATCH(rows_times_h, w, rows, k, h, m, wh);
  }
}

template <typename T>
void small_product(const T* a, Index rows, Index k, const T* b, Index m, T* out) {
  NMFKIT_DISPATCH(rows_times_h, a, rows, k, b, m, out);
}

template <typename T>
void extrapolate_range(T* out, const T* plain, const T* last, Index size, double beta) {
  NMFKIT_DISPATCH(extrapolate_range, out, plain, last, size, beta);
}

template <typename T>
double beta_divergence_rows(const T* x, Index x_stride, const T* wh, Index rows, Index m, double s,
                            double beta) {
  NMFKIT_DISPATCH(beta_divergence_rows, x, x_stride, wh, rows, m, s, beta);
}

template <typename T>
void beta_mu_terms(const T* x, Index x_stride, Index rows, Index m, double s, double beta, T* wh,
                   T* num) {
  NMFKIT_DISPATCH(beta_mu_terms, x, x_stride, rows, m, s, beta, wh, num);
}

template <typename T>
double kl_cd_row(const T* x, Index len, T* f, const T* g, Index g_stride, const double* g_sum,
                 Index k, const KlCdControl& control, T* v) {
  NMFKIT_DISPATCH(kl_cd_row, x, len, f, g, g_stride, g_sum, k, control, v);
}

template <typename T>
double kl_cd_sparse_row(const T* x, const std::int32_t* idx, Index count, T* f, const T* g,
                        Index g_stride, const double* g_sum, Index k, const KlCdControl& control,
                        T* v, T* gathered) {
  NMFKIT_DISPATCH(kl_cd_sparse_row, x, idx, count, f, g, g_stride, g_sum, k, control, v, gathered);
}

template <typename T>
LogSums log_sums(const T* x, std::size_t count, bool itakura_saito, double epsilon) {
  NMFKIT_DISPATCH(log_sums, x, count, itakura_saito, epsilon);
}

template <typename T>
double dot(const T* a, const T* b, Index count, int threads) {
  // Chunks of the entries, like rows of one entry each.
  return sum_over_rows<double>(count, threads,
                               [&](Index i) { return double(a[i]) * double(b[i]); });
}

template <typename T>
NormAndSum norm_and_sum(const DenseView<T>& x, int threads) {
  return sum_over_rows<NormAndSum>(x.rows, threads, [&](Index r) {
    const T* row = x.row(r);
    NormAndSum s;
    for (Index j = 0; j < x.cols; ++j) {
      const double v = row[j];
      s.squared_norm += v * v;
      s.sum += v;
    }
    return s;
  });
}

template <typename T>
std::optional<BadEntry> first_invalid(const DenseView<T>& x, int threads) {
  const RowChunks chunks = row_chunks(x.rows);
  std::vector<Index> first_row(static_cast<std::size_t>(chunks.count), -1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
      const T* row = x.row(r);
      bool bad = false;
      for (Index j = 0; j < x.cols; ++j) bad |= !(row[j] >= T(0)) || std::isinf(row[j]);
      if (bad) {
        first_row[static_cast<std::size_t>(c)] = r;
        break;
      }
    }
  }
  for (Index r : first_row) {
    if (r < 0) continue;
    const T* row = x.row(r);
    for (Index j = 0; j < x.cols; ++j)
      if (!(row[j] >= T(0)) || std::isinf(row[j])) return BadEntry{r, j, double(row[j])};
  }
  return std::nullopt;
}

namespace {

/// summarize()'s pass over rows × cols values of T: row_of(r, buffer) gives row r (a pointer into
/// X, or `buffer`, a thread's cols values, filled). sum_over_rows' order: each row's sums, added
/// into its chunk's in row order, the chunks' in chunk order.
template <typename T, typename RowOf>
DenseSummary summarize_rows(Index rows, Index cols, int threads, const RowOf& row_of) {
  struct Chunk {
    Index zeros = 0;
    NormAndSum stats;
    Index bad_row = -1;
  };
  const RowChunks chunks = row_chunks(rows);
  std::vector<Chunk> partial(static_cast<std::size_t>(chunks.count));
#pragma omp parallel num_threads(threads)
  {
    std::vector<T> buffer(static_cast<std::size_t>(cols));
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      Chunk& chunk = partial[static_cast<std::size_t>(c)];
      for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
        const T* row = row_of(r, buffer.data());
        NormAndSum s;
        Index zeros = 0;
        bool bad = false;
        for (Index j = 0; j < cols; ++j) {
          const double v = row[j];
          s.squared_norm += v * v;
          s.sum += v;
          zeros += row[j] == T(0);
          bad |= !(row[j] >= T(0)) || std::isinf(row[j]);
        }
        chunk.stats += s;
        chunk.zeros += zeros;
        if (bad && chunk.bad_row < 0) chunk.bad_row = r;
      }
    }
  }
  DenseSummary summary;
  std::vector<T> buffer(static_cast<std::size_t>(cols));
  for (const Chunk& chunk : partial) {
    summary.stats += chunk.stats;
    summary.zeros += chunk.zeros;
    if (chunk.bad_row >= 0 && !summary.bad) {
      const T* row = row_of(chunk.bad_row, buffer.data());
      for (Index j = 0; j < cols && !summary.bad; ++j)
        if (!(row[j] >= T(0)) || std::isinf(row[j]))
          summary.bad = BadEntry{chunk.bad_row, j, double(row[j])};
    }
  }
  return summary;
}

}  // namespace

template <typename T>
DenseSummary summarize(const DenseView<T>& x, int threads) {
  return summarize_rows<T>(x.rows, x.cols, threads, [&](Index r, T*) { return x.row(r); });
}

DenseSummary summarize(const DenseLevels& x, int threads) {
  // The decoded rows (each value the float a copy would hold): the copy's sums, bit for bit.
  std::array<float, 256> palette{};
  for (std::size_t q = 0; q < 256; ++q) palette[q] = static_cast<float>(double(q) * x.level_scale);
  return summarize_rows<float>(x.rows(), x.cols(), threads, [&](Index r, float* buffer) {
    const std::uint8_t* row = x.levels.row(r);
    for (Index j = 0; j < x.cols(); ++j) buffer[j] = palette[row[j]];
    return static_cast<const float*>(buffer);
  });
}

#define NMFKIT_INSTANTIATE(T)                                                                      \
  template void times<T>(const DenseView<T>&, T, const T*, Index, T*, int);                        \
  template void transpose_times<T>(const DenseView<T>&, T, const T*, Index, T*, int);              \
  template void fused_rows<T>(const DenseView<T>&, T, const T*, Index, T*, Index,                  \
                              const RowBlockFn<T>&, T*, double*, int);                             \
  template double residual_squared_norm<T>(const DenseView<T>&, double, const T*, const T*, Index, \
                                           int);                                                   \
  template void gram<T>(const T*, Index, Index, double*, int);                                     \
  template void w_times_h<T>(const T*, Index, Index, const T*, Index, T*);                         \
  template void small_product<T>(const T*, Index, Index, const T*, Index, T*);                     \
  template void extrapolate_range<T>(T*, const T*, const T*, Index, double);                       \
  template double beta_divergence_rows<T>(const T*, Index, const T*, Index, Index, double,         \
                                          double);                                                 \
  template void beta_mu_terms<T>(const T*, Index, Index, Index, double, double, T*, T*);           \
  template double kl_cd_row<T>(const T*, Index, T*, const T*, Index, const double*, Index,         \
                               const KlCdControl&, T*);                                            \
  template double kl_cd_sparse_row<T>(const T*, const std::int32_t*, Index, T*, const T*, Index,   \
                                      const double*, Index, const KlCdControl&, T*, T*);           \
  template LogSums log_sums<T>(const T*, std::size_t, bool, double);                               \
  template double dot<T>(const T*, const T*, Index, int);                                          \
  template NormAndSum norm_and_sum<T>(const DenseView<T>&, int);                                   \
  template std::optional<BadEntry> first_invalid<T>(const DenseView<T>&, int);                     \
  template DenseSummary summarize<T>(const DenseView<T>&, int);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
#undef NMFKIT_INSTANTIATE

}  // namespace nmfkit::kernels
