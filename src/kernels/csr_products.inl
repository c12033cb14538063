// The products of a CSR matrix (CsrMatrix or CsrBytes) with skinny dense matrices: the body of
// kernels/csr.hpp's times, transpose_times, fused_rows, residual_squared_norm and kl_quotients,
// compiled once per instruction set inside a variant namespace by kernels/variant.inl (no includes
// here).

namespace {

// The products work on blocks of kBlock columns (one 64-byte cache line of floats). `right` and
// the scattered partial sums are copied into rows padded with zeros to a multiple of kBlock
// columns (of 8 for doubles with AVX-512, of one register with AVX2: product_width) and aligned to
// 64 bytes, so every block is a whole-width vector operation, never a masked one; the padding
// columns are computed and dropped. Blocking only splits the columns: every output entry is still
// summed over the same stored entries in the same order. GCC at -O2 neither keeps a block in
// registers nor vectorizes the scatter on its own, so the block loops say so (`omp simd`:
// element-wise work only, nothing is reordered).
constexpr int kBlock = 16;
constexpr std::size_t kAlign = 64;

/// p rounded up to a multiple of kBlock.
Index padded_width(Index p) {
  return (p + kBlock - 1) / kBlock * kBlock;
}

/// Whether rows of doubles are padded to a multiple of 8 columns (one 64-byte line) rather than
/// of kBlock: with AVX-512, whose 32 vector registers hold 4 × 24 accumulators of doubles.
template <typename T>
constexpr bool kLinePadded = NMFKIT_VARIANT == 2 && sizeof(T) == 8;

/// Whether rows are padded to a multiple of one vector register (AVX2: 8 floats or 4 doubles)
/// and X·Hᵀ's passes are at most three registers wide (kTimesWidest): its four accumulators of a
/// pass must stay within AVX2's 16 registers. Wider passes (16 doubles, or 32 floats at k = 20)
/// kept them in memory, a store and a reload in every multiply-add: MNIST in double at k = 10 ran
/// its products about twice as long as the AVX-512 build.
template <typename T>
constexpr bool kVectorPadded = NMFKIT_VARIANT == 1;

/// The widest pass of X·Hᵀ (accumulators in registers) and of Xᵀ·W (none) where kVectorPadded:
/// Xᵀ·W's eight registers of the scattered row take k = 50 in one pass instead of two (MNIST,
/// 2 threads, `BM_CsrBytesTransposeTimes` 28 → 24 ms, `BM_CsrBytesFusedPass` 43 → 39 ms).
template <typename T>
constexpr int kTimesWidest = 96 / int(sizeof(T));
template <typename T>
constexpr int kScatterWidest = 256 / int(sizeof(T));

/// The row width of the products' padded copies: 4 or 8 columns for p up to 4 or 8 (a quarter or
/// half of a block: the copies and partial sums then take a quarter or half the cache), else
/// padded_width(p), or p rounded up to a multiple of 8 where kLinePadded (k = 20 in double: 24
/// columns, not 32), or to a multiple of a register where kVectorPadded (k = 10 in double: 12).
template <typename T>
Index product_width(Index p) {
  if (p <= 4) return 4;
  if constexpr (kVectorPadded<T>) {
    constexpr Index lanes = 32 / sizeof(T);
    return (p + lanes - 1) / lanes * lanes;
  }
  if (p <= 8) return 8;
  return kLinePadded<T> ? (p + 7) / 8 * 8 : padded_width(p);
}

/// The alignment of a pass's W columns within rows padded by product_width: the largest power of
/// two that divides W·sizeof(T), at most kAlign (W = 12 doubles: 32 bytes).
template <int W, typename T>
constexpr std::size_t kPassAlign = std::min<std::size_t>(kAlign,
                                                         (W * sizeof(T)) & -(W * sizeof(T)));

/// An uninitialised array of T aligned to kAlign bytes.
template <typename T>
struct AlignedArray {
  struct Free {
    void operator()(T* q) const { ::operator delete[](q, std::align_val_t(kAlign)); }
  };
  std::unique_ptr<T[], Free> data;
  explicit AlignedArray(std::size_t count)
      : data(static_cast<T*>(::operator new[](count * sizeof(T), std::align_val_t(kAlign)))) {}
  T* get() const { return data.get(); }
};

/// rows × p row-major `m` copied into rows of `padded` entries, the extra ones zero.
template <typename T>
AlignedArray<T> padded_copy(const T* m, Index rows, Index p, Index padded, int threads) {
  AlignedArray<T> out(static_cast<std::size_t>(rows * padded));
  T* o = out.get();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index r = 0; r < rows; ++r) {
    for (Index j = 0; j < p; ++j) o[r * padded + j] = m[r * p + j];
    for (Index j = p; j < padded; ++j) o[r * padded + j] = T(0);
  }
  return out;
}

/// Stored entry e of any CSR form.
template <typename T>
T value_at(const CsrMatrix<T>& x, std::int64_t e) {
  return x.value[static_cast<std::size_t>(e)];
}
template <typename T, typename I>
T value_at(const CsrRef<T, I>& x, std::int64_t e) {
  return x.value[static_cast<std::size_t>(e)];
}
template <typename T>
T value_at(const CsrBytes<T>& x, std::int64_t e) {
  return x.palette[x.code[static_cast<std::size_t>(e)]];
}

/// times_row_block (below) with its accumulators spelled as AVX2 registers (GCC's vector
/// extension, 32 bytes): GCC keeps the `omp simd` form's 4 × W sums in memory once a pass is more
/// than two registers wide (it does not unroll a loop of three), a store and a reload in every
/// multiply-add. The same operations in the same order, so the same bytes.
template <int W, int S, typename T, typename M>
[[gnu::always_inline]] inline void times_row_registers(const M& x, Index r, T scale, const T* right,
                                                       Index p, Index j0, T* o) {
  if constexpr (S > 0) p = S;
  constexpr int L = 32 / int(sizeof(T));
  constexpr int V = W / L;
  typedef T Vec __attribute__((vector_size(32)));
  Vec acc[4][V];
#pragma GCC unroll 4
  for (int a = 0; a < 4; ++a)
#pragma GCC unroll 4
    for (int i = 0; i < V; ++i) acc[a][i] = Vec{};
  const std::int64_t begin = x.row_start[static_cast<std::size_t>(r)];
  const std::int64_t end = x.row_start[static_cast<std::size_t>(r + 1)];
  const auto add = [&](std::int64_t e, auto a) {
    const T v = value_at(x, e);
    const T* in = right + Index(x.col[static_cast<std::size_t>(e)]) * p + j0;
#pragma GCC unroll 4
    for (int i = 0; i < V; ++i) {
      Vec b;
      __builtin_memcpy(&b, in + i * L, sizeof(Vec));
      acc[a][i] += v * b;
    }
  };
  std::int64_t e = begin;
  for (; e + 4 <= end; e += 4) {
    add(e, std::integral_constant<int, 0>{});
    add(e + 1, std::integral_constant<int, 1>{});
    add(e + 2, std::integral_constant<int, 2>{});
    add(e + 3, std::integral_constant<int, 3>{});
  }
  if (e < end) add(e, std::integral_constant<int, 0>{});
  if (e + 1 < end) add(e + 1, std::integral_constant<int, 1>{});
  if (e + 2 < end) add(e + 2, std::integral_constant<int, 2>{});
#pragma GCC unroll 4
  for (int i = 0; i < V; ++i) {
    const Vec sum = ((acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i])) * scale;
    __builtin_memcpy(o + i * L, &sum, sizeof(Vec));
  }
}

/// out[r, j0:j0+W] = scale · Σ_e value[e] · right[col[e], j0:j0+W] over row r's stored entries.
/// Four accumulators take the entries in turn (entry e goes to accumulator e mod 4, counted from
/// the row's start) and are added as (a0 + a1) + (a2 + a3): four independent chains of
/// multiply-adds instead of one, in an order fixed by the row alone.
/// S > 0: `p` is the compile-time S (the rows of `right` are one block wide), so that a stored
/// entry's row of `right` is found by a shift, not a multiplication.
template <int W, int S, typename T, typename M>
void times_row_block(const M& x, Index r, T scale, const T* right, Index p, Index j0, T* o) {
  if constexpr (kVectorPadded<T> && W % (32 / int(sizeof(T))) == 0) {
    times_row_registers<W, S>(x, r, scale, right, p, j0, o);
    return;
  }
  if constexpr (S > 0) p = S;
  T acc[4][W] = {};
  const std::int64_t begin = x.row_start[static_cast<std::size_t>(r)];
  const std::int64_t end = x.row_start[static_cast<std::size_t>(r + 1)];
  std::int64_t e = begin;
  for (; e + 4 <= end; e += 4) {
#pragma GCC unroll 4
    for (int a = 0; a < 4; ++a) {
      const T v = value_at(x, e + a);
      const T* in = right + Index(x.col[static_cast<std::size_t>(e + a)]) * p + j0;
#pragma omp simd
      for (int j = 0; j < W; ++j) acc[a][j] += v * in[j];
    }
  }
  // The last 0-3 entries, each to its accumulator by a constant index: a loop over them indexed
  // acc by a variable, which put acc in memory (zeroed by `rep stos` on every row, and the
  // register sums stored there before the tail).
  const auto last = [&](auto a) {
    const T v = value_at(x, e + a);
    const T* in = right + Index(x.col[static_cast<std::size_t>(e + a)]) * p + j0;
#pragma omp simd
    for (int j = 0; j < W; ++j) acc[a][j] += v * in[j];
  };
  if (e < end) last(std::integral_constant<int, 0>{});
  if (e + 1 < end) last(std::integral_constant<int, 1>{});
  if (e + 2 < end) last(std::integral_constant<int, 2>{});
#pragma omp simd
  for (int j = 0; j < W; ++j) o[j] = ((acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j])) * scale;
}

/// dst[col[e], j0:j0+W] += value[e] · right[r, j0:j0+W] over the stored entries of rows
/// [r0, r1); right is n × p (entries past p count as zero), dst is m × padded (S > 0: padded
/// is the compile-time S, as in times_row_block).
template <int W, int S, typename T, typename M>
void scatter_rows_block(const M& x, Index r0, Index r1, const T* right, Index p, Index padded,
                        Index j0, T* dst) {
  if constexpr (S > 0) padded = S;
  if constexpr (kVectorPadded<T> && W % (32 / int(sizeof(T))) == 0 &&
                W / (32 / int(sizeof(T))) >= 3) {
    // The row's W entries in AVX2 registers (GCC's vector extension), each entry's W sums loaded,
    // added to and stored in full-width steps: the `omp simd` form below kept the row on the
    // stack and looped over its registers, two loads, a store and the loop's own instructions
    // per register. The same multiply-adds in the same order, so the same bytes.
    constexpr int L = 32 / int(sizeof(T)), V = W / L;
    typedef T Vec __attribute__((vector_size(32)));
    const auto* start = x.row_start.data();
    const auto* col = x.col.data();
    for (Index r = r0; r < r1; ++r) {
      alignas(kAlign) T row[W];
      for (int j = 0; j < W; ++j) row[j] = j0 + j < p ? right[r * p + j0 + j] : T(0);
      Vec in[V];
#pragma GCC unroll 8
      for (int i = 0; i < V; ++i) __builtin_memcpy(&in[i], row + i * L, sizeof(Vec));
      const std::int64_t end = start[r + 1];  // read once: the stores may alias anything
      for (std::int64_t e = start[r]; e < end; ++e) {
        const T v = value_at(x, e);
        T* o = dst + Index(col[e]) * padded + j0;
#pragma GCC unroll 8
        for (int i = 0; i < V; ++i) {
          Vec sum;
          __builtin_memcpy(&sum, o + i * L, sizeof(Vec));
          sum += v * in[i];
          __builtin_memcpy(o + i * L, &sum, sizeof(Vec));
        }
      }
    }
    return;
  }
  const auto* start = x.row_start.data();
  const auto* col = x.col.data();
  for (Index r = r0; r < r1; ++r) {
    alignas(kAlign) T in[W];
    for (int j = 0; j < W; ++j) in[j] = j0 + j < p ? right[r * p + j0 + j] : T(0);
    for (std::int64_t e = start[r]; e < start[r + 1]; ++e) {
      const T v = value_at(x, e);
      T* o = dst + Index(col[e]) * padded + j0;
#pragma omp simd aligned(o, in : kPassAlign <W, T>)
      for (int j = 0; j < W; ++j) o[j] += v * in[j];
    }
  }
}

/// f(std::integral_constant<int, w>{}, j0) for a pass w = c·L columns wide, 1 ≤ c ≤ sizeof...(C)
/// (C = 0, 1, …: one instantiation of f per width a pass can have).
template <int L, typename F, int... C>
[[gnu::always_inline]] inline void pass_of_width(Index w, Index j0, F& f,
                                                 std::integer_sequence<int, C...>) {
  (void)((w == (C + 1) * L && (f(std::integral_constant<int, (C + 1) * L>{}, j0), true)) || ...);
}

/// f(std::integral_constant<int, W>{}, j0) for the passes over rows `padded` wide (product_width),
/// left to right: the whole row when it is one pass wide, else passes of the widest width and a
/// last one of what is left. Each pass reads the row's stored entries once, so the fewer the
/// better: MNIST at k = 100 (112 columns) ran 4 passes instead of 7, 5-9% less time per
/// iteration. Each column's sums are the same either way.
/// - X·Hᵀ (Accumulators) keeps 4 × W sums in registers: passes of 32 columns with AVX-512, of
///   16 elsewhere unless every pass is one of 32 (AVX2 at k = 100: 5-25% slower with them), of
///   kTimesWidest where kVectorPadded.
/// - Xᵀ·W keeps only the scattered row's W entries in registers: passes of 32 columns with
///   AVX-512 (64 measured slower there), of kScatterWidest where kVectorPadded.
template <typename T, bool Accumulators, typename F>
void for_each_pass(Index padded, F&& f) {
  if constexpr (kVectorPadded<T>) {
    constexpr int L = 32 / int(sizeof(T));  // widths in multiples of a register
    constexpr int widest = Accumulators ? kTimesWidest<T> : kScatterWidest<T>;
    for (Index j0 = 0; j0 < padded;) {
      const Index w = std::min<Index>(padded - j0, widest);
      if (w < L)
        f(std::integral_constant<int, 4>{}, j0);
      else
        pass_of_width<L>(w, j0, f, std::make_integer_sequence<int, widest / L>{});
      j0 += w;
    }
    return;
  }
  const Index widest = NMFKIT_VARIANT == 2 || padded % (2 * kBlock) == 0 ? 2 * kBlock : kBlock;
  for (Index j0 = 0; j0 < padded;) {
    const Index w = std::min(padded - j0, widest);
    if (w == 4)
      f(std::integral_constant<int, 4>{}, j0);
    else if (w == 8)
      f(std::integral_constant<int, 8>{}, j0);
    else if (w == kBlock)
      f(std::integral_constant<int, kBlock>{}, j0);
    else if (w == 2 * kBlock)
      f(std::integral_constant<int, 2 * kBlock>{}, j0);
    else if constexpr (kLinePadded<T>)
      f(std::integral_constant<int, 24>{}, j0);
    j0 += w;
  }
}

/// y[l0:l0+8] = Σ_e x_e·ht[col_e, l0:l0+8] over the stored entries [begin, end) in double, the
/// entries alternating between two sums added at the end (two chains of multiply-adds, in an
/// order fixed by the row alone); with `squares`, also returns Σ_e x_e².
template <bool Squares, typename M>
double cross_block(const M& x, std::int64_t begin, std::int64_t end, const double* ht, Index kp,
                   Index l0, double* y) {
  // Vectors of the variant's register width (not one of 64 bytes: GCC lowers wider vectors
  // through memory).
  constexpr int kBytes = NMFKIT_VARIANT >= 1 ? 32 : 16;
  constexpr int L = kBytes / 8, V = 8 / L;
  typedef double Vec __attribute__((vector_size(kBytes)));
  Vec acc[2][V];
#pragma GCC unroll 4
  for (int i = 0; i < V; ++i) acc[0][i] = acc[1][i] = Vec{};
  double q0 = 0, q1 = 0;
  const auto add = [&](auto a, double v, std::int64_t e) {
    const double* row = ht + Index(x.col[static_cast<std::size_t>(e)]) * kp + l0;
#pragma GCC unroll 4
    for (int i = 0; i < V; ++i) {
      Vec h;
      __builtin_memcpy(&h, row + i * L, sizeof(Vec));
      acc[a][i] += v * h;
    }
  };
  std::int64_t e = begin;
  for (; e + 2 <= end; e += 2) {
    const double v0 = double(value_at(x, e)), v1 = double(value_at(x, e + 1));
    add(std::integral_constant<int, 0>{}, v0, e);
    add(std::integral_constant<int, 1>{}, v1, e + 1);
    if constexpr (Squares) q0 += v0 * v0, q1 += v1 * v1;
  }
  if (e < end) {
    const double v0 = double(value_at(x, e));
    add(std::integral_constant<int, 0>{}, v0, e);
    if constexpr (Squares) q0 += v0 * v0;
  }
#pragma GCC unroll 4
  for (int i = 0; i < V; ++i) {
    const Vec sum = acc[0][i] + acc[1][i];
    __builtin_memcpy(y + l0 + i * L, &sum, sizeof(Vec));
  }
  return q0 + q1;
}

/// out[0:p] = row r of scale·X·in, `in` being m × padded (padded_copy).
template <typename T, typename M>
void times_row(const M& x, Index r, T scale, const T* in, Index p, Index padded, T* out) {
  for_each_pass<T, true>(padded, [&](auto step, Index j0) {
    alignas(kAlign) T block[step];
    if (padded == step)
      times_row_block<step, step>(x, r, scale, in, padded, j0, block);
    else
      times_row_block<step, 0>(x, r, scale, in, padded, j0, block);
    const Index width = std::min<Index>(step, p - j0);
    for (Index j = 0; j < width; ++j) out[j0 + j] = block[j];
  });
}

/// dst (m × padded) += Xᵀ·right over rows [r0, r1), right being n × p: each entry of dst gets
/// the rows' terms in row order.
template <typename T, typename M>
void scatter_rows(const M& x, Index r0, Index r1, const T* right, Index p, Index padded, T* dst) {
  for_each_pass<T, false>(padded, [&](auto step, Index j0) {
    if (padded == step)
      scatter_rows_block<step, step>(x, r0, r1, right, p, padded, j0, dst);
    else
      scatter_rows_block<step, 0>(x, r0, r1, right, p, padded, j0, dst);
  });
}

/// out (m × p) = scale · the sum of the `count` partials (each m × padded, `size` entries apart),
/// added in chunk order, each output entry by one thread.
template <typename T>
void sum_scatter_partials(const T* sums, Index count, Index size, Index m, Index p, Index padded,
                          T scale, T* out, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < p; ++j) {
      T s = sums[i * padded + j];
      for (Index c = 1; c < count; ++c) s += sums[c * size + i * padded + j];
      out[i * p + j] = s * scale;
    }
}

}  // namespace

template <typename M, typename T>
void times(const M& x, T scale, const T* right, Index p, T* out, int threads) {
  if (x.rows == 0 || p == 0) return;
  const Index padded = product_width<T>(p);
  const AlignedArray<T> in = padded_copy(right, x.cols, p, padded, threads);
#pragma omp parallel for schedule(dynamic, kRowsPerTask) num_threads(threads)
  for (Index r = 0; r < x.rows; ++r) times_row(x, r, scale, in.get(), p, padded, out + r * p);
}

template <typename M, typename T>
void transpose_times(const M& x, T scale, const T* right, Index p, T* out, int threads) {
  if (x.cols == 0 || p == 0) return;
  const RowChunks chunks = row_chunks(x.rows);
  const Index padded = product_width<T>(p);
  const Index size = x.cols * padded;
  // Left uninitialised: each chunk zeroes its own partial (first touch by the thread that uses it).
  const AlignedArray<T> partial(static_cast<std::size_t>(chunks.count * size));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    T* dst = partial.get() + c * size;
    std::fill(dst, dst + size, T(0));
    scatter_rows(x, chunks.begin(c), chunks.end(c), right, p, padded, dst);
  }
  sum_scatter_partials(partial.get(), chunks.count, size, x.cols, p, padded, scale, out, threads);
}

template <typename M, typename T>
void fused_rows(const M& x, T scale, const T* right, Index p, T* w, Index block_rows,
                const RowBlockFn<T>& block, T* out, double* gram, int threads) {
  if (p <= 0) return;
  const RowChunks chunks = row_chunks(x.rows);
  const Index padded = product_width<T>(p);
  const Index size = x.cols * padded;
  const AlignedArray<T> in = padded_copy(right, x.cols, p, padded, threads);
  const AlignedArray<T> partial(static_cast<std::size_t>(chunks.count * size));
  std::vector<double> gram_partial(static_cast<std::size_t>(chunks.count * p * p), 0.0);
  block_rows = std::max<Index>(block_rows, 1);
  const int team = static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
  PerThreadScratch<T> rows_p_scratch(team, block_rows * p);
  PerThreadScratch<double> gram_scratch(team, gram_rows_scratch(p));
  const T* in_rows = in.get();
  T* partials = partial.get();
  ParallelErrors errors;  // block() is the caller's code
#pragma omp parallel num_threads(team)
  {
    T* rows_p = rows_p_scratch.mine().data();
    double* scratch = gram_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      errors.run([&] {
        T* dst = partials + c * size;
        std::fill(dst, dst + size, T(0));
        double* g = gram_partial.data() + c * p * p;
        for (Index r0 = chunks.begin(c); r0 < chunks.end(c); r0 += block_rows) {
          const Index r1 = std::min(r0 + block_rows, chunks.end(c));
          // The next block's rows of w, which block() will read and write, on their way into the
          // cache while this block's rows of X·right are formed.
          const Index next = std::min(r1 + block_rows, chunks.end(c));
          for (const T* a = w + r1 * p; a < w + next * p; a += 64 / sizeof(T))
            __builtin_prefetch(a, 1);
          for (Index r = r0; r < r1; ++r)
            times_row(x, r, scale, in_rows, p, padded, rows_p + (r - r0) * p);
          block(r0, r1 - r0, rows_p);
          scatter_rows(x, r0, r1, static_cast<const T*>(w), p, padded, dst);
          gram_add_rows(w + r0 * p, r1 - r0, p, scratch, g);
        }
      });
    }
  }
  errors.rethrow();
  if (x.cols > 0)
    sum_scatter_partials(partial.get(), chunks.count, size, x.cols, p, padded, scale, out, threads);
  sum_chunk_partials(gram_partial.data(), chunks.count, p * p, gram);
  gram_mirror(gram, p);
}

template <typename M, typename T>
double residual_squared_norm(const M& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  // Hᵀ (m × kp) in double, rows padded with zeros to a multiple of 8 entries, so that each
  // stored entry's row of Hᵀ is whole 64-byte vectors.
  const Index kp = (k + 7) / 8 * 8;
  std::vector<double> ht(static_cast<std::size_t>(x.cols * kp), 0.0);
  for (Index j = 0; j < x.cols; ++j)
    for (Index l = 0; l < k; ++l)
      ht[static_cast<std::size_t>(j * kp + l)] =
          double(h[static_cast<std::size_t>(l * x.cols + j)]);

  // ‖W·H‖²_F = ⟨WᵀW, HHᵀ⟩ covers every entry, the zeros of X included.
  std::vector<double> gram_w(static_cast<std::size_t>(k * k)), gram_h(gram_w.size());
  std::vector<T> ht_t(static_cast<std::size_t>(x.cols * k));
  for (Index j = 0; j < x.cols; ++j)
    for (Index l = 0; l < k; ++l)
      ht_t[static_cast<std::size_t>(j * k + l)] = h[static_cast<std::size_t>(l * x.cols + j)];
  gram(w, x.rows, k, gram_w.data(), threads);
  gram(ht_t.data(), x.cols, k, gram_h.data(), threads);
  double quad = 0;
  for (std::size_t i = 0; i < gram_w.size(); ++i) quad += gram_w[i] * gram_h[i];

  // Over a row's stored entries, Σ (s·x − wh)² − wh² = s²·Σ x² − 2·s·W_r·(Σ x·Hᵀ_col): each
  // stored entry's wh² turned into its error, with X's row times Hᵀ formed once per row.
  const RowChunks chunks = row_chunks(x.rows);
  const auto* start = x.row_start.data();
  std::vector<double> partial(static_cast<std::size_t>(chunks.count), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    std::vector<double> y(static_cast<std::size_t>(kp));
    double s = 0;
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
      const std::int64_t b = start[r], e = start[r + 1];
      if (b == e) continue;
      const double squares = cross_block<true>(x, b, e, ht.data(), kp, 0, y.data());
      for (Index l0 = 8; l0 < kp; l0 += 8) cross_block<false>(x, b, e, ht.data(), kp, l0, y.data());
      const T* wr = w + r * k;
      double cross = 0;
      for (Index l = 0; l < k; ++l) cross += double(wr[l]) * y[static_cast<std::size_t>(l)];
      s += scale * (scale * squares - 2 * cross);
    }
    partial[static_cast<std::size_t>(c)] = s;
  }
  double total = quad;
  for (double s : partial) total += s;
  // Rounding can leave a near-exact fit slightly below zero.
  return total < 0 ? 0.0 : total;
}

namespace {

/// Σ a_l·b_l over `padded` entries (a multiple of kBlock, both rows aligned to kAlign), in kBlock
/// lanes of T, then the lanes added in a fixed tree (16 → 8 → 4 → 2 → 1): whole-vector
/// multiply-adds whatever k, and the same sums whatever the vector width.
template <typename T>
inline T padded_dot(const T* a, const T* b, Index padded) {
  static_assert(kBlock == 16);
  alignas(kAlign) T acc[kBlock] = {};
  for (Index l = 0; l < padded; l += kBlock) {
#pragma omp simd aligned(a, b : kAlign)
    for (int j = 0; j < kBlock; ++j) {
#if NMFKIT_VARIANT >= 1
      // Fused as written, not left to GCC's contraction (which an unoptimised build skips): the
      // same bytes as grouped_dots' multiply-adds in every build.
      acc[j] = std::fma(a[l + j], b[l + j], acc[j]);
#else
      acc[j] += a[l + j] * b[l + j];
#endif
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) acc[j] += acc[j + 4];
  acc[0] += acc[2];
  acc[1] += acc[3];
  return acc[0] + acc[1];
}

#if NMFKIT_VARIANT >= 1
// padded_dot of `a` with kDotGroup rows of `b` at once (the rows col[0…G) of `padded` entries),
// into out[0…G) as doubles: the same multiply-adds into the same 16 lanes and the same tree
// (16 → 8 → 4 → 2 → 1) as padded_dot, so the same sums, bit for bit; but the G trees run
// side by side in vector shuffles, where one dot's tree alone is a chain of scalar adds that
// took most of kl_quotients' time. G: one vector of results (AVX2: 4 doubles or 8 floats, whose
// doubles fill two vectors).
template <typename T>
constexpr int kDotGroup = (NMFKIT_VARIANT == 2 ? 2 : 1) * (sizeof(T) == sizeof(double) ? 4 : 8);
#endif

#if NMFKIT_VARIANT == 1
/// Lane j + lane j + 4 of two entries' 8 floats: [x's 4, y's 4].
inline __m256 fold_halves(__m256 x, __m256 y) {
  return _mm256_add_ps(_mm256_permute2f128_ps(x, y, 0x20), _mm256_permute2f128_ps(x, y, 0x31));
}

template <typename C>
inline void grouped_dots(const double* a, const double* b, const C* col, Index padded,
                         double* out) {
  __m256d c[4];
  for (int g = 0; g < 4; ++g) {
    const double* bg = b + Index(col[g]) * padded;
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                      _mm256_setzero_pd()};
    for (Index l = 0; l < padded; l += 16)
      for (int v = 0; v < 4; ++v)
        acc[v] =
            _mm256_fmadd_pd(_mm256_load_pd(a + l + 4 * v), _mm256_load_pd(bg + l + 4 * v), acc[v]);
    // lane j + lane j + 8, then + lane j + 4
    c[g] = _mm256_add_pd(_mm256_add_pd(acc[0], acc[2]), _mm256_add_pd(acc[1], acc[3]));
  }
  // (c0 + c2, c1 + c3) of entries 0 and 2 (p), 1 and 3 (q); then their sums, in entry order.
  const __m256d p = _mm256_add_pd(_mm256_permute2f128_pd(c[0], c[2], 0x20),
                                  _mm256_permute2f128_pd(c[0], c[2], 0x31));
  const __m256d q = _mm256_add_pd(_mm256_permute2f128_pd(c[1], c[3], 0x20),
                                  _mm256_permute2f128_pd(c[1], c[3], 0x31));
  _mm256_storeu_pd(out, _mm256_add_pd(_mm256_unpacklo_pd(p, q), _mm256_unpackhi_pd(p, q)));
}

template <typename C>
inline void grouped_dots(const float* a, const float* b, const C* col, Index padded, double* out) {
  __m256 s[8];
  for (int g = 0; g < 8; ++g) {
    const float* bg = b + Index(col[g]) * padded;
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (Index l = 0; l < padded; l += 16) {
      lo = _mm256_fmadd_ps(_mm256_load_ps(a + l), _mm256_load_ps(bg + l), lo);
      hi = _mm256_fmadd_ps(_mm256_load_ps(a + l + 8), _mm256_load_ps(bg + l + 8), hi);
    }
    s[g] = _mm256_add_ps(lo, hi);  // lane j + lane j + 8
  }
  // Entries 0, 1 (and 4, 5) end in d's halves, 2, 3 (and 6, 7) in e's.
  const __m256 c04 = fold_halves(s[0], s[4]), c15 = fold_halves(s[1], s[5]);
  const __m256 c26 = fold_halves(s[2], s[6]), c37 = fold_halves(s[3], s[7]);
  const __m256 d =
      _mm256_add_ps(_mm256_shuffle_ps(c04, c15, 0x44), _mm256_shuffle_ps(c04, c15, 0xEE));
  const __m256 e =
      _mm256_add_ps(_mm256_shuffle_ps(c26, c37, 0x44), _mm256_shuffle_ps(c26, c37, 0xEE));
  const __m256 sums = _mm256_add_ps(_mm256_shuffle_ps(d, e, 0x88), _mm256_shuffle_ps(d, e, 0xDD));
  _mm256_storeu_pd(out, _mm256_cvtps_pd(_mm256_castps256_ps128(sums)));
  _mm256_storeu_pd(out + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(sums, 1)));
}
#endif

#if NMFKIT_VARIANT == 2

/// Lanes 0–3 of x and y + lanes 4–7 of x and y (doubles): [x_j + x_{j+4}, y_j + y_{j+4}].
inline __m512d fold_halves(__m512d x, __m512d y) {
  return _mm512_add_pd(_mm512_shuffle_f64x2(x, y, 0x44), _mm512_shuffle_f64x2(x, y, 0xEE));
}
/// Pairs (c0, c1) + (c2, c3) of each of the four 4-lane groups of x, y: [x: d0, d1; y: …].
inline __m512d fold_quarters(__m512d x, __m512d y) {
  return _mm512_add_pd(_mm512_shuffle_f64x2(x, y, 0x88), _mm512_shuffle_f64x2(x, y, 0xDD));
}

/// The same for floats: [x's lanes j + j + 8 (8), y's (8)], and lane j + lane j + 4 of four
/// entries' 8: [x₁'s 4, x₂'s 4, y₁'s 4, y₂'s 4].
inline __m512 fold_halves(__m512 x, __m512 y) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x44), _mm512_shuffle_f32x4(x, y, 0xEE));
}
inline __m512 fold_quarters(__m512 x, __m512 y) {
  return _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xDD));
}

template <typename C>
inline void grouped_dots(const double* a, const double* b, const C* col, Index padded,
                         double* out) {
  __m512d s[8];
  for (int g = 0; g < 8; ++g) {
    const double* bg = b + Index(col[g]) * padded;
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (Index l = 0; l < padded; l += 16) {
      lo = _mm512_fmadd_pd(_mm512_load_pd(a + l), _mm512_load_pd(bg + l), lo);
      hi = _mm512_fmadd_pd(_mm512_load_pd(a + l + 8), _mm512_load_pd(bg + l + 8), hi);
    }
    s[g] = _mm512_add_pd(lo, hi);  // lane j + lane j + 8
  }
  // Entries 0, 2, 4, 6 end in p's pairs, 1, 3, 5, 7 in q's.
  const __m512d p = fold_quarters(fold_halves(s[0], s[2]), fold_halves(s[4], s[6]));
  const __m512d q = fold_quarters(fold_halves(s[1], s[3]), fold_halves(s[5], s[7]));
  _mm512_storeu_pd(out, _mm512_add_pd(_mm512_unpacklo_pd(p, q), _mm512_unpackhi_pd(p, q)));
}

template <typename C>
inline void grouped_dots(const float* a, const float* b, const C* col, Index padded, double* out) {
  __m512 s[16];
  for (int g = 0; g < 16; ++g) {
    const float* bg = b + Index(col[g]) * padded;
    __m512 acc = _mm512_setzero_ps();
    for (Index l = 0; l < padded; l += 16)
      acc = _mm512_fmadd_ps(_mm512_load_ps(a + l), _mm512_load_ps(bg + l), acc);
    s[g] = acc;
  }
  // Entry 4t + i ends in lane 4t + i: u holds 0, 4, 8, 12, v 1, 5, 9, 13, and so on.
  const __m512 u = fold_quarters(fold_halves(s[0], s[4]), fold_halves(s[8], s[12]));
  const __m512 v = fold_quarters(fold_halves(s[1], s[5]), fold_halves(s[9], s[13]));
  const __m512 u2 = fold_quarters(fold_halves(s[2], s[6]), fold_halves(s[10], s[14]));
  const __m512 v2 = fold_quarters(fold_halves(s[3], s[7]), fold_halves(s[11], s[15]));
  // (c0 + c2, c1 + c3) of each entry, then their sum.
  const __m512 d0 = _mm512_add_ps(_mm512_shuffle_ps(u, v, 0x44), _mm512_shuffle_ps(u, v, 0xEE));
  const __m512 d1 = _mm512_add_ps(_mm512_shuffle_ps(u2, v2, 0x44), _mm512_shuffle_ps(u2, v2, 0xEE));
  const __m512 sums =
      _mm512_add_ps(_mm512_shuffle_ps(d0, d1, 0x88), _mm512_shuffle_ps(d0, d1, 0xDD));
  _mm512_storeu_pd(out, _mm512_cvtps_pd(_mm512_castps512_ps256(sums)));
  _mm512_storeu_pd(out + 8, _mm512_cvtps_pd(_mm512_extractf32x8_ps(sums, 1)));
}
#endif

/// The divergence's terms are summed in kKlLanes lanes (a row's entry e in lane e mod kKlLanes),
/// added in lane order at the end: a fixed order that vectorises.
constexpr int kKlLanes = 8;

/// One stored entry's part of kl_quotients: sets q[e] (when kQuotients) and returns its
/// divergence term (when kDivergence; 0 where s·x ≤ ε). The logarithm is kernels::log_positive
/// (kernels/fast_log.hpp, included by variant.inl): within 1 ulp of std::log, and it vectorises.
template <bool kQuotients, bool kDivergence, typename T>
inline double kl_entry(double sx, double wh, double epsilon, T* q, std::int64_t e) {
  const double ratio = sx / (wh == 0 ? epsilon : wh);
  if constexpr (kQuotients) q[e] = static_cast<T>(ratio);
  if constexpr (kDivergence) return sx > epsilon ? sx * log_positive(ratio) - sx : 0.0;
  return 0.0;
}

/// kl_quotients over rows [r0, r1), compiled once per need (quotients, divergence): per row, W·H
/// and s·x at its stored entries into `wh` and `sx` (wr: the row of W, padded), then the
/// element-wise work on those, which vectorises whatever X's form.
template <bool kQuotients, bool kDivergence, typename M, typename T>
double kl_rows(const M& x, Index r0, Index r1, double scale, const T* w, Index k, const T* ht,
               Index padded, double epsilon, T* wr, double* wh, double* sx, T* q) {
  const auto* start = x.row_start.data();
  const auto* col = x.col.data();
  double lanes[kKlLanes] = {};
  for (Index r = r0; r < r1; ++r) {
    for (Index l = 0; l < k; ++l) wr[l] = w[r * k + l];
    const std::int64_t begin = start[r], count = start[r + 1] - begin;
    std::int64_t e = 0;
#if NMFKIT_VARIANT >= 1
    for (; e + kDotGroup<T> <= count; e += kDotGroup<T>)
      grouped_dots(wr, ht, col + begin + e, padded, wh + e);
#endif
    for (; e < count; ++e)
      wh[e] = double(padded_dot(wr, ht + Index(col[begin + e]) * padded, padded));
    for (e = 0; e < count; ++e) sx[e] = scale * double(value_at(x, begin + e));
    e = 0;
    for (; e + kKlLanes <= count; e += kKlLanes) {
#pragma omp simd
      for (int j = 0; j < kKlLanes; ++j)
        lanes[j] +=
            kl_entry<kQuotients, kDivergence>(sx[e + j], wh[e + j], epsilon, q, begin + e + j);
    }
    for (int j = 0; e < count; ++e, ++j)
      lanes[j] += kl_entry<kQuotients, kDivergence>(sx[e], wh[e], epsilon, q, begin + e);
  }
  double sum = 0;
  for (double lane : lanes) sum += lane;
  return sum;
}

}  // namespace

template <typename M, typename T>
double kl_quotients(const M& x, double scale, const T* w, const T* ht, Index k, double epsilon,
                    T* q, bool divergence, int threads) {
  if (x.rows <= 0 || k <= 0 || (q == nullptr && !divergence)) return 0;
  const Index padded = padded_width(k);
  const AlignedArray<T> ht_padded = padded_copy(ht, x.cols, k, padded, threads);
  // The divergence adds per-chunk sums in chunk order; the quotients alone depend on no order, so
  // their rows go in tasks of kRowsPerTask (a short X, one chunk, still takes every thread).
  const RowChunks chunks =
      divergence
          ? row_chunks(x.rows)
          : RowChunks{x.rows, std::max<Index>(1, (x.rows + kRowsPerTask - 1) / kRowsPerTask)};
  std::vector<double> partial(static_cast<std::size_t>(chunks.count), 0.0);
  const int team = static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
  // Each thread's row of W (padded as Hᵀ's rows), and W·H and s·X at a row's stored entries (at
  // most cols of them).
  const Index most = std::max<Index>(x.cols, 1);
  PerThreadScratch<T> row_scratch(team, padded);
  PerThreadScratch<double> wh_scratch(team, most), sx_scratch(team, most);
  const T* h = ht_padded.get();
#pragma omp parallel num_threads(team)
  {
    T* row = row_scratch.mine().data();
    double* wh = wh_scratch.mine().data();
    double* sx = sx_scratch.mine().data();
    std::fill(row, row + padded, T(0));
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      const Index r0 = chunks.begin(c), r1 = chunks.end(c);
      double s = 0;
      if (q != nullptr && divergence)
        s = kl_rows<true, true>(x, r0, r1, scale, w, k, h, padded, epsilon, row, wh, sx, q);
      else if (q != nullptr)
        s = kl_rows<true, false>(x, r0, r1, scale, w, k, h, padded, epsilon, row, wh, sx, q);
      else
        s = kl_rows<false, true>(x, r0, r1, scale, w, k, h, padded, epsilon, row, wh, sx, q);
      partial[static_cast<std::size_t>(c)] = s;
    }
  }
  double total = 0;
  for (double s : partial) total += s;
  return total;
}
