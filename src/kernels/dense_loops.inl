// The loops of the dense kernels that are not products (the Gram matrices, the residual, the
// extrapolation step): the body of kernels/dense.hpp's gram, residual_squared_norm and
// extrapolate_range, compiled once per instruction set
// inside a variant namespace by kernels/variant.inl (no includes here).

/// g (k × k) += rowᵀ·row, in double (`scratch`: k doubles): gram's step for one row, shared by
/// the passes that accumulate a Gram on the way (fused_rows), so their sums equal gram's bit for
/// bit.
template <typename T>
void gram_add_row(const T* row, Index k, double* scratch, double* g) {
  for (Index b = 0; b < k; ++b) scratch[b] = double(row[b]);
  // The whole square, not the triangle: the inner loop then has a fixed length and vectorizes;
  // (a, b) and (b, a) get the same products in the same order, so G stays exactly symmetric.
  for (Index a = 0; a < k; ++a) {
    const double va = scratch[a];
    double* ga = g + a * k;
#pragma omp simd
    for (Index b = 0; b < k; ++b) ga[b] += va * scratch[b];
  }
}

template <typename T>
void gram(const T* f, Index rows, Index k, double* g, int threads) {
  const RowChunks chunks = row_chunks(rows);
  const Index size = k * k;
  std::vector<double> partial(static_cast<std::size_t>(chunks.count * size), 0.0);
  ParallelErrors errors;  // each chunk allocates its row
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    errors.run([&] {
      double* dst = partial.data() + c * size;
      std::vector<double> row(static_cast<std::size_t>(k));
      for (Index r = chunks.begin(c); r < chunks.end(c); ++r)
        gram_add_row(f + r * k, k, row.data(), dst);
    });
  }
  errors.rethrow();
  sum_chunk_partials(partial.data(), chunks.count, size, g);
}

template <typename T>
double residual_squared_norm(const DenseView<T>& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  const RowChunks chunks = row_chunks(x.rows);
  // Rows per block so that a block of W·H stays near 4 MiB whatever the number of features.
  const Index block = std::max<Index>(1, (Index{1} << 20) / std::max<Index>(1, x.cols));
  std::vector<double> partial(static_cast<std::size_t>(chunks.count), 0.0);
  // Each thread's block of W·H, as large as the largest block of a chunk, made before the region;
  // no more threads than chunks (a thread without a chunk would hold a block for nothing).
  Index largest = 0;
  for (Index c = 0; c < chunks.count; ++c)
    largest = std::max(largest, std::min(block, chunks.end(c) - chunks.begin(c)));
  const int team = static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
  PerThreadScratch<T> wh_scratch(team, largest * x.cols);
#pragma omp parallel num_threads(team)
  {
    T* wh = wh_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      double s = 0;
      for (Index r0 = chunks.begin(c); r0 < chunks.end(c); r0 += block) {
        const Index rows = std::min(block, chunks.end(c) - r0);
        gemm(false, rows, x.cols, k, T(1), w + r0 * k, k, h, x.cols, wh, x.cols);
        for (Index i = 0; i < rows; ++i) {
          const T* xi = x.row(r0 + i);
          const T* whi = wh + i * x.cols;
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
void extrapolate_range(T* out, const T* plain, const T* last, Index size, double beta) {
#pragma omp simd
  for (Index i = 0; i < size; ++i) {
    const auto v = static_cast<T>(double(plain[i]) + beta * (double(plain[i]) - double(last[i])));
    out[i] = std::max(T(0), v);  // max in T: GCC vectorises it at -O2; NaN gives 0
  }
}
