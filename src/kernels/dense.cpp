#include "kernels/dense.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/blas.hpp"
#include "kernels/chunks.hpp"

namespace nmfkit::kernels {

template <typename T>
void times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads) {
  const RowChunks chunks = row_chunks(x.rows);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    const Index r0 = chunks.begin(c), r1 = chunks.end(c);
    if (r1 > r0)
      gemm(false, r1 - r0, p, x.cols, scale, x.row(r0), x.stride, right, p, out + r0 * p, p);
  }
}

template <typename T>
void transpose_times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads) {
  const RowChunks chunks = row_chunks(x.rows);
  const Index size = x.cols * p;
  if (chunks.count == 1) {
    gemm(true, x.cols, p, x.rows, scale, x.data, x.stride, right, p, out, p);
    return;
  }
  std::vector<T> partial(static_cast<std::size_t>(chunks.count * size));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    const Index r0 = chunks.begin(c), r1 = chunks.end(c);
    T* dst = partial.data() + c * size;
    gemm(true, x.cols, p, r1 - r0, scale, x.row(r0), x.stride, right + r0 * p, p, dst, p);
  }
  // Sum the partials in chunk order, each output entry by one thread.
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < size; ++i) {
    T s = partial[static_cast<std::size_t>(i)];
    for (Index c = 1; c < chunks.count; ++c) s += partial[static_cast<std::size_t>(c * size + i)];
    out[i] = s;
  }
}

template <typename T>
double residual_squared_norm(const DenseView<T>& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  const RowChunks chunks = row_chunks(x.rows);
  // Rows per block so that a block of W·H stays near 4 MiB whatever the number of features.
  const Index block = std::max<Index>(1, (Index{1} << 20) / std::max<Index>(1, x.cols));
  std::vector<double> partial(static_cast<std::size_t>(chunks.count), 0.0);
#pragma omp parallel num_threads(threads)
  {
    std::vector<T> wh;
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      double s = 0;
      for (Index r0 = chunks.begin(c); r0 < chunks.end(c); r0 += block) {
        const Index rows = std::min(block, chunks.end(c) - r0);
        wh.resize(static_cast<std::size_t>(rows * x.cols));
        gemm(false, rows, x.cols, k, T(1), w + r0 * k, k, h, x.cols, wh.data(), x.cols);
        for (Index i = 0; i < rows; ++i) {
          const T* xi = x.row(r0 + i);
          const T* whi = wh.data() + i * x.cols;
          for (Index j = 0; j < x.cols; ++j) {
            const double d = scale * double(xi[j]) - double(whi[j]);
            s += d * d;
          }
        }
      }
      partial[static_cast<std::size_t>(c)] = s;
    }
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

template <typename T>
void gram(const T* f, Index rows, Index k, double* g, int threads) {
  const RowChunks chunks = row_chunks(rows);
  const Index size = k * k;
  std::vector<double> partial(static_cast<std::size_t>(chunks.count * size), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    double* dst = partial.data() + c * size;
    std::vector<double> row(static_cast<std::size_t>(k));
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r)
      gram_add_row(f + r * k, k, row.data(), dst);
  }
  sum_chunk_partials(partial.data(), chunks.count, size, g);
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

#define NMFKIT_INSTANTIATE(T)                                                                      \
  template void times<T>(const DenseView<T>&, T, const T*, Index, T*, int);                        \
  template void transpose_times<T>(const DenseView<T>&, T, const T*, Index, T*, int);              \
  template double residual_squared_norm<T>(const DenseView<T>&, double, const T*, const T*, Index, \
                                           int);                                                   \
  template void gram<T>(const T*, Index, Index, double*, int);                                     \
  template double dot<T>(const T*, const T*, Index, int);                                          \
  template NormAndSum norm_and_sum<T>(const DenseView<T>&, int);                                   \
  template std::optional<BadEntry> first_invalid<T>(const DenseView<T>&, int);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
#undef NMFKIT_INSTANTIATE

}  // namespace nmfkit::kernels
