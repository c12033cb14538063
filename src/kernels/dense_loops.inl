// The loops of the dense kernels that are not products (the Gram matrices, the residual, the
// extrapolation step): the body of kernels/dense.hpp's gram, residual_squared_norm and
// extrapolate_range, compiled once per instruction set
// inside a variant namespace by kernels/variant.inl (no includes here).

/// Rows [first, first + count) of 8-bit X (DenseLevels) decoded into out, row stride cols: each
/// value as core::make_data's palette forms it, float(double(level) · level_scale).
inline void decode_rows(const DenseLevels& x, Index first, Index count, float* out) {
  const Index m = x.cols();
#if NMFKIT_VARIANT != 0
  if (x.fused_decode) {  // the same floats (DenseLevels::with_scale checked every level)
    const float hi = x.scale_hi, lo = x.scale_lo;
    for (Index i = 0; i < count; ++i) {
      const std::uint8_t* q = x.levels.row(first + i);
      float* o = out + i * m;
#pragma omp simd
      for (Index j = 0; j < m; ++j) {
        const float l = static_cast<float>(q[j]);
        o[j] = std::fma(l, hi, l * lo);
      }
    }
    return;
  }
#endif
  const double s = x.level_scale;
  for (Index i = 0; i < count; ++i) {
    const std::uint8_t* q = x.levels.row(first + i);
    float* o = out + i * m;
#pragma omp simd
    for (Index j = 0; j < m; ++j) o[j] = static_cast<float>(double(q[j]) * s);
  }
}

/// X's rows as the dense kernels read them, a block at a time: a view of T, read in place ...
template <typename T>
struct ViewRows {
  using Value = T;
  static constexpr bool kDecodes = false;
  const DenseView<T>& x;
  Index rows() const { return x.rows; }
  Index cols() const { return x.cols; }
  DenseView<T> block(Index first, Index count, T*) const {
    return DenseView<T>(x.row(first), count, x.cols, x.stride);
  }
};

/// ... or 8-bit levels, decoded into the caller's scratch (count × cols floats). The kernels then
/// run on the decoded rows as they would on the float copy's: the same terms in the same order.
struct LevelRows {
  using Value = float;
  static constexpr bool kDecodes = true;
  const DenseLevels& x;
  Index rows() const { return x.rows(); }
  Index cols() const { return x.cols(); }
  DenseView<float> block(Index first, Index count, float* scratch) const {
    decode_rows(x, first, count, scratch);
    return DenseView<float>(scratch, count, x.cols(), x.cols());
  }
};

/// Rows that gram_add_rows converts to double at a time, and the doubles of its scratch for k.
constexpr Index kGramRows = 32;
// Tiles of g held in registers: 4 × 16 doubles is 8 AVX-512 registers but 16 AVX2 ones, all there
// are, and GCC then kept the AVX2 tile in memory, a load and a store per multiply-add (17% of
// `nmfkit fit mnist -k 50` under avx2 in `perf`, against 8% with AVX-512): 4 × 8 there. The tile
// shape does not change any sum's terms or their order. kGramTileB must be a multiple of
// kGramTileA (gram_add_rows reads tile rows past k from the zero padding).
#if NMFKIT_VARIANT == 1
constexpr Index kGramTileA = 4, kGramTileB = 8;
#else
constexpr Index kGramTileA = 4, kGramTileB = 16;
#endif
inline Index gram_rows_width(Index k) {
  return (k + kGramTileB - 1) / kGramTileB * kGramTileB;
}
inline Index gram_rows_scratch(Index k) {
  return kGramRows * gram_rows_width(k);
}

/// g (k × k) += Σ rowᵀ·row over `count` rows of k entries (`rows`, one after the other), in
/// double (scratch: gram_rows_scratch(k) doubles): gram's step for a block of rows, shared by the
/// passes that accumulate a Gram on the way (fused_rows), so that their sums equal gram's bit for
/// bit. Every entry of g takes the rows' products in row order, whatever the blocks; tiles of g
/// are held in registers over kGramRows rows. Only the tiles that reach the upper triangle
/// (b ≥ a) are formed: once the partial sums are added, gram_mirror copies the lower triangle
/// from the upper ((a, b) and (b, a) take the same products in the same order, so that is the
/// value the square's lower entries had).
template <typename T>
void gram_add_rows(const T* rows, Index count, Index k, double* scratch, double* g) {
  const Index width = gram_rows_width(k);
  for (Index r0 = 0; r0 < count; r0 += kGramRows) {
    const Index n = std::min(kGramRows, count - r0);
    for (Index r = 0; r < n; ++r) {
      double* d = scratch + r * width;
      const T* row = rows + (r0 + r) * k;
      // `omp simd`: GCC at -O2 left the conversion scalar, a sixth of the Gram's time at k = 50.
#pragma omp simd
      for (Index b = 0; b < k; ++b) d[b] = double(row[b]);
      for (Index b = k; b < width; ++b) d[b] = 0.0;
    }
    for (Index a0 = 0; a0 < k; a0 += kGramTileA) {
      const Index na = std::min(kGramTileA, k - a0);
      for (Index b0 = 0; b0 < k; b0 += kGramTileB) {
        const Index nb = std::min(kGramTileB, k - b0);
        if (b0 + nb <= a0) continue;  // below the diagonal: gram_mirror
        // Loaded and stored under a condition per entry (masked vector moves), not as copies of
        // na × nb entries, which the compiler turns into slow string moves for a few rows.
        double acc[kGramTileA][kGramTileB];
        for (Index i = 0; i < kGramTileA; ++i) {
          const double* gi = g + (a0 + std::min(i, na - 1)) * k + b0;
#pragma omp simd
          for (Index j = 0; j < kGramTileB; ++j) acc[i][j] = i < na && j < nb ? gi[j] : 0.0;
        }
        for (Index r = 0; r < n; ++r) {
          const double* d = scratch + r * width;
#pragma GCC unroll 4
          for (Index i = 0; i < kGramTileA; ++i) {
            // Tile rows past k (never stored) read the zero padding: a0 + kGramTileA <= width.
            const double va = d[a0 + i];
#pragma omp simd
            for (Index j = 0; j < kGramTileB; ++j) acc[i][j] += va * d[b0 + j];
          }
        }
        for (Index i = 0; i < kGramTileA; ++i) {
          double* gi = g + (a0 + std::min(i, na - 1)) * k + b0;
#pragma omp simd
          for (Index j = 0; j < kGramTileB; ++j)
            if (i < na && j < nb) gi[j] = acc[i][j];
        }
      }
    }
  }
}

/// The lower triangle of g (k × k) from its upper one: the last step of a Gram matrix whose
/// blocks of rows gram_add_rows added.
inline void gram_mirror(double* g, Index k) {
  for (Index a = 1; a < k; ++a)
    for (Index b = 0; b < a; ++b) g[a * k + b] = g[b * k + a];
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
      std::vector<double> scratch(static_cast<std::size_t>(gram_rows_scratch(k)));
      gram_add_rows(f + chunks.begin(c) * k, chunks.end(c) - chunks.begin(c), k, scratch.data(),
                    dst);
    });
  }
  errors.rethrow();
  sum_chunk_partials(partial.data(), chunks.count, size, g);
  gram_mirror(g, k);
}

/// wh (rows × m) = W's rows (rows × k, row stride k) · H (k × m): defined in
/// kernels/dense_products.inl (its register blocks need that file's vectors).
template <typename T>
void rows_times_h(const T* w, Index rows, Index k, const T* h, Index m, T* wh);

template <typename Rows, typename T = typename Rows::Value>
double residual_rows(const Rows& src, double scale, const T* w, const T* h, Index k, int threads) {
  const DenseView<T> x(nullptr, src.rows(), src.cols());  // the shape
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
  PerThreadScratch<T> x_scratch(team, Rows::kDecodes ? largest * x.cols : 0);
#pragma omp parallel num_threads(team)
  {
    T* wh = wh_scratch.mine().data();
    T* xs = x_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      // Entry j of a row goes to lane j mod kLanes (fixed lanes, added in lane order at the end):
      // the squares vectorise instead of waiting on one running sum.
      constexpr Index kLanes = 8;
      double lanes[kLanes] = {};
      for (Index r0 = chunks.begin(c); r0 < chunks.end(c); r0 += block) {
        const Index rows = std::min(block, chunks.end(c) - r0);
        if constexpr (sizeof(T) == sizeof(float))
          rows_times_h(w + r0 * k, rows, k, h, x.cols, wh);
        else
          gemm(false, rows, x.cols, k, T(1), w + r0 * k, k, h, x.cols, wh, x.cols);
        const DenseView<T> xb = src.block(r0, rows, xs);
        for (Index i = 0; i < rows; ++i) {
          const T* xi = xb.row(i);
          const T* whi = wh + i * x.cols;
          Index j = 0;
          for (; j + kLanes <= x.cols; j += kLanes) {
#pragma omp simd
            for (Index l = 0; l < kLanes; ++l) {
              const double d = scale * double(xi[j + l]) - double(whi[j + l]);
              lanes[l] += d * d;
            }
          }
          for (Index l = 0; j < x.cols; ++j, ++l) {
            const double d = scale * double(xi[j]) - double(whi[j]);
            lanes[l] += d * d;
          }
        }
      }
      double s = 0;
      for (double v : lanes) s += v;
      partial[static_cast<std::size_t>(c)] = s;
    }
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}

template <typename T>
double residual_squared_norm(const DenseView<T>& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  return residual_rows(ViewRows<T>{x}, scale, w, h, k, threads);
}

double residual_squared_norm(const DenseLevels& x, double scale, const float* w, const float* h,
                             Index k, int threads) {
  return residual_rows(LevelRows{x}, scale, w, h, k, threads);
}

void decode_levels(const DenseLevels& x, Index first, Index count, float* out) {
  decode_rows(x, first, count, out);
}

template <typename T>
void extrapolate_range(T* out, const T* plain, const T* last, Index size, double beta) {
#pragma omp simd
  for (Index i = 0; i < size; ++i) {
    const auto v = static_cast<T>(double(plain[i]) + beta * (double(plain[i]) - double(last[i])));
    out[i] = std::max(T(0), v);  // max in T: GCC vectorises it at -O2; NaN gives 0
  }
}
