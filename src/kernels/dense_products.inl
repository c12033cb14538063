// The skinny products of dense row-major X: the body of kernels/dense.hpp's times,
// transpose_times and fused_rows, compiled once per instruction set inside a variant namespace by
// kernels/variant.inl after csr_products.inl, whose AlignedArray and gram_add_rows it uses (no
// includes here).
//
// Neither product packs X (a general matrix product copies its big operand into panels first:
// as much memory traffic as the product itself when the other side has 10 or 20 columns); the
// small factor (Hᵀ, or a block of W's rows) is copied into panels instead, and both products run
// with the components along the vector lanes:
//   X·Hᵀ   R rows of X at a time, each entry of a row broadcast against the row of Hᵀ;
//   Xᵀ·W   R columns of X at a time, each row's entries broadcast against that row of W, into m
//          rows of k sums.
// Each entry's sum has one order, whatever the blocking of rows and components, the thread count
// and the instruction set (an AVX2 and an AVX-512 variant give the same bytes): the fused pass,
// which forms both products block by block while a block of rows is in cache, gives the bytes of
// the two separate products.

namespace {

/// A vector of n bytes of T (GCC's and Clang's vector extension).
template <typename T, int n>
struct VecBytes {
  typedef T type __attribute__((vector_size(n)));
};

#if NMFKIT_VARIANT == 2
constexpr int kNativeBytes = 64;
#elif NMFKIT_VARIANT == 1
constexpr int kNativeBytes = 32;
#else
constexpr int kNativeBytes = 16;
#endif

/// 64 bytes of T, the unit of the dense products' lane-wise sums, as 64 / kNativeBytes vectors of
/// this instruction set's width (compilers split a wider vector type badly: through the stack).
/// Lane i is the same sum under every width.
template <typename T>
struct Vec64 {
  static constexpr int kParts = 64 / kNativeBytes;
  typename VecBytes<T, kNativeBytes>::type part[kParts];
};

template <typename T>
constexpr Index kVecLanes = 64 / static_cast<Index>(sizeof(T));

template <typename T>
[[gnu::always_inline]] inline Vec64<T> load64(const T* p) {
  Vec64<T> v;
#pragma GCC unroll 4
  for (int i = 0; i < Vec64<T>::kParts; ++i)
    __builtin_memcpy(&v.part[i], p + i * (kNativeBytes / int(sizeof(T))), kNativeBytes);
  return v;
}

template <typename T>
[[gnu::always_inline]] inline void store64(T* p, const Vec64<T>& v) {
#pragma GCC unroll 4
  for (int i = 0; i < Vec64<T>::kParts; ++i)
    __builtin_memcpy(p + i * (kNativeBytes / int(sizeof(T))), &v.part[i], kNativeBytes);
}

/// p[0..count) in the first lanes, zeros after (count < kVecLanes).
template <typename T>
[[gnu::always_inline]] inline Vec64<T> load_part(const T* p, Index count) {
  T a[kVecLanes<T>] = {};
  for (Index i = 0; i < count; ++i) a[i] = p[i];
  return load64(a);
}

/// acc += s · b, lane by lane.
template <typename T>
[[gnu::always_inline]] inline void multiply_add(Vec64<T>& acc, T s, const Vec64<T>& b) {
#pragma GCC unroll 4
  for (int i = 0; i < Vec64<T>::kParts; ++i) acc.part[i] += s * b.part[i];
}

/// acc += a ⊙ b, lane by lane (one fused multiply-add where the instruction set has it).
template <typename T>
[[gnu::always_inline]] inline void multiply_add(Vec64<T>& acc, const Vec64<T>& a,
                                                const Vec64<T>& b) {
#pragma GCC unroll 4
  for (int i = 0; i < Vec64<T>::kParts; ++i) acc.part[i] += a.part[i] * b.part[i];
}

/// The lanes of v added in a fixed tree: the upper half onto the lower, then again, down to one.
template <typename T>
[[gnu::always_inline]] inline T lane_sum(const Vec64<T>& v) {
  using V16 = typename VecBytes<T, 16>::type;
  T lanes[kVecLanes<T>];
  store64(lanes, v);
  V16 q[4];
  __builtin_memcpy(q, lanes, sizeof q);
  q[0] += q[2];
  q[1] += q[3];
  q[0] += q[1];
  constexpr int L = 16 / static_cast<int>(sizeof(T));
  T a[L];
  __builtin_memcpy(a, &q[0], sizeof a);
  for (int width = L / 2; width > 0; width /= 2)
    for (int i = 0; i < width; ++i) a[i] += a[i + width];
  return a[0];
}
// Register blocks of the dot products: R rows of X by C rows of H, R·C accumulators plus R + 1
// operands in registers (AVX-512: 32 of 64 bytes; SSE: 16 of 16 bytes, four per Vec64; AVX2 has
// its own blocks, kDotRowsAvx2 below).
#if NMFKIT_VARIANT == 2
constexpr int kDotRows = 4, kDotCols = 4;
#else
constexpr int kDotRows = 1, kDotCols = 2;
#endif
// Rows of X added at once into the k rows of sums of Xᵀ·W (each sum still takes them in order).
constexpr int kScatterRows = 16;

/// out[a·p + c] = scale · ⟨x_a, h_c⟩ for the R rows x_a (stride ldx) and C rows h_c (stride ldh)
/// of length m.
template <int R, int C, typename T>
void dot_block(const T* x, Index ldx, const T* h, Index ldh, Index m, T scale, T* out, Index p) {
  constexpr Index L = kVecLanes<T>;
  Vec64<T> acc[R][C];
#pragma GCC unroll 4
  for (int a = 0; a < R; ++a)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
      for (int i = 0; i < Vec64<T>::kParts; ++i)
        acc[a][c].part[i] = typename VecBytes<T, kNativeBytes>::type{};
  Index j = 0;
  for (; j + L <= m; j += L) {
    Vec64<T> xv[R];
#pragma GCC unroll 4
    for (int a = 0; a < R; ++a) xv[a] = load64(x + a * ldx + j);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const Vec64<T> hv = load64(h + c * ldh + j);
#pragma GCC unroll 4
      for (int a = 0; a < R; ++a) multiply_add(acc[a][c], xv[a], hv);
    }
  }
  if (j < m) {
    Vec64<T> xv[R];
    for (int a = 0; a < R; ++a) xv[a] = load_part(x + a * ldx + j, m - j);
    for (int c = 0; c < C; ++c) {
      const Vec64<T> hv = load_part(h + c * ldh + j, m - j);
      for (int a = 0; a < R; ++a) multiply_add(acc[a][c], xv[a], hv);
    }
  }
  for (int a = 0; a < R; ++a)
    for (int c = 0; c < C; ++c) out[a * p + c] = lane_sum<T>(acc[a][c]) * scale;
}

#if NMFKIT_VARIANT == 1
/// A 32-byte AVX2 register of T.
template <typename T>
using Reg32 = typename VecBytes<T, 32>::type;

template <typename T>
[[gnu::always_inline]] inline Reg32<T> load32(const T* p) {
  Reg32<T> v;
  __builtin_memcpy(&v, p, 32);
  return v;
}

template <typename T>
[[gnu::always_inline]] inline void store32(T* p, const Reg32<T>& v) {
  __builtin_memcpy(p, &v, 32);
}

/// Every lane s (one broadcast; a loop setting the lanes became a broadcast and an insert).
[[gnu::always_inline]] inline Reg32<float> broadcast32(float s) {
  return Reg32<float>(_mm256_set1_ps(s));
}
[[gnu::always_inline]] inline Reg32<double> broadcast32(double s) {
  return Reg32<double>(_mm256_set1_pd(s));
}

/// p[0..count) in the first lanes of a register, zeros after (count < 32 / sizeof(T)).
template <typename T>
[[gnu::always_inline]] inline Reg32<T> load32_part(const T* p, Index count) {
  T a[32 / sizeof(T)] = {};
  for (Index i = 0; i < count; ++i) a[i] = p[i];
  return load32(a);
}

// AVX2's X·Hᵀ. Each entry is a 64-byte lane-wise sum, two 32-byte registers, so a 2 × 2 block
// (8 registers of sums and 4 operands) makes one load per multiply-add, which on these cores
// sets the pace: the micro-benchmark ran at half the peak of its multiply-adds, with X in cache
// or not. The two 32-byte halves of a 64-byte sum are independent (lanes 0-7 and 8-15 of every
// 64 bytes of the row), so they are formed one after the other, each as a 4 × 3 block of one
// register per entry: 12 registers of sums, 3 rows of H held and one row of X at a time, 7 loads
// per 12 multiply-adds. Each lane's sum still runs along the row in order, so the bytes are those
// of every other build.
constexpr int kDotRowsAvx2 = 4, kDotColsAvx2 = 3;

/// acc[a][c] = the lane-wise sums of the 32-byte half `half` (0 or 1) of each 64 bytes of x_a ⊙
/// h_c over the R rows x_a (stride ldx) and C rows h_c (stride ldh) of length m.
template <int R, int C, typename T>
[[gnu::always_inline]] inline void dot_half(const T* x, Index ldx, const T* h, Index ldh, Index m,
                                            Index half, Reg32<T> (&acc)[R][C]) {
  constexpr Index L = kVecLanes<T>, H = 32 / sizeof(T);
#pragma GCC unroll 4
  for (int a = 0; a < R; ++a)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[a][c] = Reg32<T>{};
  const Index off = half * H;
  Index j = 0;
  for (; j + L <= m; j += L) {
    Reg32<T> hv[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) hv[c] = load32(h + c * ldh + j + off);
#pragma GCC unroll 4
    for (int a = 0; a < R; ++a) {
      const Reg32<T> xv = load32(x + a * ldx + j + off);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) acc[a][c] += xv * hv[c];
    }
  }
  const Index count = std::min(m - j - off, H);
  if (count > 0) {
    Reg32<T> hv[C];
    for (int c = 0; c < C; ++c) hv[c] = load32_part(h + c * ldh + j + off, count);
    for (int a = 0; a < R; ++a) {
      const Reg32<T> xv = load32_part(x + a * ldx + j + off, count);
      for (int c = 0; c < C; ++c) acc[a][c] += xv * hv[c];
    }
  }
}

/// out[a·p + c] = scale · ⟨x_a, h_c⟩ for the R rows x_a (stride ldx) and C rows h_c (stride ldh)
/// of length m: dot_block's sums, one 32-byte half after the other.
template <int R, int C, typename T>
void dot_block_halves(const T* x, Index ldx, const T* h, Index ldh, Index m, T scale, T* out,
                      Index p) {
  Vec64<T> sums[R][C];
  Reg32<T> acc[R][C];
  for (Index half = 0; half < 2; ++half) {
    dot_half<R, C>(x, ldx, h, ldh, m, half, acc);
    for (int a = 0; a < R; ++a)
      for (int c = 0; c < C; ++c) sums[a][c].part[half] = acc[a][c];
  }
  for (int a = 0; a < R; ++a)
    for (int c = 0; c < C; ++c) out[a * p + c] = lane_sum<T>(sums[a][c]) * scale;
}

/// dot_block_halves for `rows` ≤ R rows of X (R, R - 1, ... down to the count).
template <int R, int C, typename T>
void dot_halves_upto(const T* x, Index ldx, Index rows, const T* h, Index ldh, Index m, T scale,
                     T* out, Index p) {
  if constexpr (R > 1)
    if (rows < R) return dot_halves_upto<R - 1, C>(x, ldx, rows, h, ldh, m, scale, out, p);
  dot_block_halves<R, C>(x, ldx, h, ldh, m, scale, out, p);
}
#endif

/// C rows of H (stride ldh) against `rows` ≤ kDotRows rows of X.
template <int C, typename T>
void dot_rows(const T* x, Index ldx, Index rows, const T* h, Index ldh, Index m, T scale, T* out,
              Index p) {
  if (rows == kDotRows) return dot_block<kDotRows, C>(x, ldx, h, ldh, m, scale, out, p);
  for (Index a = 0; a < rows; ++a)
    dot_block<1, C>(x + a * ldx, ldx, h, ldh, m, scale, out + a * p, p);
}

/// out (rows × p, row stride p) = scale · X[r0, r0 + rows) · Hᵀ for H (p × m, row stride m).
template <typename T>
void times_rows_by_dots(const DenseView<T>& x, Index r0, Index rows, T scale, const T* h, Index p,
                        T* out) {
  const Index m = x.cols;
#if NMFKIT_VARIANT == 1
  for (Index a = 0; a < rows; a += kDotRowsAvx2) {
    const Index ra = std::min<Index>(kDotRowsAvx2, rows - a);
    const T* xa = x.row(r0 + a);
    Index c = 0;
    for (; c + kDotColsAvx2 <= p; c += kDotColsAvx2)
      dot_halves_upto<kDotRowsAvx2, kDotColsAvx2>(xa, x.stride, ra, h + c * m, m, m, scale,
                                                  out + a * p + c, p);
    if (p - c == 2)
      dot_halves_upto<kDotRowsAvx2, 2>(xa, x.stride, ra, h + c * m, m, m, scale, out + a * p + c,
                                       p);
    else if (p - c == 1)
      dot_halves_upto<kDotRowsAvx2, 1>(xa, x.stride, ra, h + c * m, m, m, scale, out + a * p + c,
                                       p);
  }
#else
  for (Index a = 0; a < rows; a += kDotRows) {
    const Index ra = std::min<Index>(kDotRows, rows - a);
    const T* xa = x.row(r0 + a);
    Index c = 0;
    for (; c + kDotCols <= p; c += kDotCols)
      dot_rows<kDotCols>(xa, x.stride, ra, h + c * m, m, m, scale, out + a * p + c, p);
    for (; c < p; ++c) dot_rows<1>(xa, x.stride, ra, h + c * m, m, m, scale, out + a * p + c, p);
  }
#endif
}

#if NMFKIT_VARIANT == 1
// AVX2's Xᵀ·W. Below, each 64 bytes of a sum takes the kScatterRows rows with the sum in
// registers and each row's 64 bytes read at each use: two loads of X and one broadcast of W per
// two multiply-adds (and the sums' loads and stores), so the loads set the pace, as in the dot
// products above. Here a block of C sums × 64 bytes stays in registers across the rows (12
// registers for C = 6), each row's 64 bytes loaded once for all C sums and each entry of W
// broadcast once for two multiply-adds: 2 + C loads per 2·C multiply-adds. Each sum still takes
// the rows in order: the bytes of every other build.
constexpr int kScatterSumsAvx2 = 6;
/// Rows taken with a block of sums in registers (its loads and stores once per this many rows).
constexpr int kScatterRowsAvx2 = 64;

/// acc_l[0, 64 bytes) += Σ_b w[b·p + l] · x_b[0, 64 bytes) for the C rows acc_l (stride ldacc)
/// and the `rows` rows x_b (stride ldx), each sum taking the rows in order.
template <int C, typename T>
void sums_block(const T* x, Index ldx, Index rows, const T* w, Index p, T* acc, Index ldacc) {
  constexpr Index H = 32 / sizeof(T);
  Reg32<T> s[C][2];
#pragma GCC unroll 8
  for (int l = 0; l < C; ++l) {
    s[l][0] = load32(acc + l * ldacc);
    s[l][1] = load32(acc + l * ldacc + H);
  }
  for (Index b = 0; b < rows; ++b) {
    const Reg32<T> x0 = load32(x + b * ldx), x1 = load32(x + b * ldx + H);
#pragma GCC unroll 8
    for (int l = 0; l < C; ++l) {
      const Reg32<T> wv = broadcast32(w[b * p + l]);
      s[l][0] += wv * x0;
      s[l][1] += wv * x1;
    }
  }
#pragma GCC unroll 8
  for (int l = 0; l < C; ++l) {
    store32(acc + l * ldacc, s[l][0]);
    store32(acc + l * ldacc + H, s[l][1]);
  }
}

/// sums_block for the last `rest` < C sums (C - 1, C - 2, ... down to the count).
template <int C, typename T>
void sums_rest(Index rest, const T* x, Index ldx, Index rows, const T* w, Index p, T* acc,
               Index ldacc) {
  if constexpr (C > 0) {
    if (rest < C) return sums_rest<C - 1>(rest, x, ldx, rows, w, p, acc, ldacc);
    sums_block<C>(x, ldx, rows, w, p, acc, ldacc);
  }
}

/// sums_block over the sums [0, p) in blocks of kScatterSumsAvx2 and a last smaller one.
template <typename T>
void sums_columns(const T* x, Index ldx, Index rows, const T* w, Index p, T* acc, Index ldacc) {
  constexpr int C = kScatterSumsAvx2;
  Index l = 0;
  for (; l + C <= p; l += C) sums_block<C>(x, ldx, rows, w + l, p, acc + l * ldacc, ldacc);
  sums_rest<C - 1>(p - l, x, ldx, rows, w + l, p, acc + l * ldacc, ldacc);
}

/// scatter_rows_by_sums (below) with sums_columns: kScatterRowsAvx2 rows at a time, 64 bytes of
/// every sum at a time; the last 64 bytes of a row that does not fill them through a zero-padded
/// copy.
template <typename T>
void scatter_rows_by_sums(const DenseView<T>& x, Index r0, Index rows, const T* w, Index p, T* acc,
                          Index ldacc) {
  constexpr Index L = kVecLanes<T>;
  const Index m = x.cols;
  const Index full = m / L * L;
  for (Index a = 0; a < rows; a += kScatterRowsAvx2) {
    const Index ra = std::min<Index>(kScatterRowsAvx2, rows - a);
    const T* wa = w + (r0 + a) * p;
    const T* xa = x.row(r0 + a);
    for (Index j = 0; j < full; j += L) sums_columns(xa + j, x.stride, ra, wa, p, acc + j, ldacc);
    if (full < m) {
      T tail[kScatterRowsAvx2 * L] = {};
      for (Index b = 0; b < ra; ++b)
        std::copy(xa + b * x.stride + full, xa + b * x.stride + m, tail + b * L);
      sums_columns(tail, L, ra, wa, p, acc + full, ldacc);
    }
  }
}
#else
/// acc (p × ldacc) += Σ_r w_r[l] · x_r over rows [r0, r0 + rows) of X, each sum taking the rows in
/// order; w is n × p (row stride p) and every row of acc has room for m rounded up to kVecLanes.
/// kScatterRows rows at a time, so that each 64 bytes of acc (k rows of m sums: more than the
/// first-level cache holds) is loaded and stored once per kScatterRows multiply-adds; the rows'
/// 64 bytes are read from the first-level cache at each use rather than held in registers.
template <typename T>
void scatter_rows_by_sums(const DenseView<T>& x, Index r0, Index rows, const T* w, Index p, T* acc,
                          Index ldacc) {
  constexpr Index L = kVecLanes<T>;
  const Index m = x.cols;
  const Index full = m / L * L;
  for (Index a = 0; a < rows; a += kScatterRows) {
    const Index ra = std::min<Index>(kScatterRows, rows - a);
    const T* wa = w + (r0 + a) * p;
    const T* xa = x.row(r0 + a);
    for (Index j = 0; j < full; j += L) {
      if (ra == kScatterRows) {
#if NMFKIT_VARIANT == 2
        // 32 vector registers: the 16 rows' 64 bytes stay in registers across the k sums.
        Vec64<T> xv[kScatterRows];
#pragma GCC unroll 16
        for (int b = 0; b < kScatterRows; ++b) xv[b] = load64(xa + b * x.stride + j);
        for (Index l = 0; l < p; ++l) {
          T* o = acc + l * ldacc + j;
          Vec64<T> s = load64(o);
#pragma GCC unroll 16
          for (int b = 0; b < kScatterRows; ++b) multiply_add(s, wa[b * p + l], xv[b]);
          store64(o, s);
        }
#else
        for (Index l = 0; l < p; ++l) {
          T* o = acc + l * ldacc + j;
          Vec64<T> s = load64(o);
#pragma GCC unroll 16
          for (int b = 0; b < kScatterRows; ++b)
            multiply_add(s, wa[b * p + l], load64(xa + b * x.stride + j));
          store64(o, s);
        }
#endif
      } else {
        for (Index l = 0; l < p; ++l) {
          T* o = acc + l * ldacc + j;
          Vec64<T> s = load64(o);
          for (Index b = 0; b < ra; ++b)
            multiply_add(s, wa[b * p + l], load64(xa + b * x.stride + j));
          store64(o, s);
        }
      }
    }
    if (full < m) {
      for (Index l = 0; l < p; ++l) {
        T* o = acc + l * ldacc + full;
        Vec64<T> s = load64(o);
        for (Index b = 0; b < ra; ++b)
          multiply_add(s, wa[b * p + l], load_part(xa + b * x.stride + full, m - full));
        store64(o, s);
      }
    }
  }
}

#endif

// The products' register blocks. Both products run as a general matrix product's kernel does,
// the components along the vector lanes: a block keeps R rows (X·Hᵀ) or R columns (Xᵀ·W) of X by
// C vectors of components as R·C sums in registers, and each step loads the C vectors of one row
// of the other factor once and broadcasts R entries of X into R·C multiply-adds (AVX2: 12 sums and
// 7 loads per 12 multiply-adds, the loads no longer setting the pace). The other factor is first
// copied into panels (pack_panels): the vectors [v, v + C) of every row after one another, zero
// past the last component, so that a block reads one contiguous stream.
//
// Each sum takes its terms in one order whatever the instruction set, the blocking and the thread
// count: an entry of X·Hᵀ runs along the row of X in stretches of kDotStretch terms, each summed
// in order and added to the total in order; an entry of Xᵀ·W takes the rows of its chunk in order.
// So the AVX2 and AVX-512 variants give the same bytes, and the fused pass those of the separate
// products.
template <typename T>
using NativeVec = typename VecBytes<T, kNativeBytes>::type;

template <typename T>
constexpr Index kLanes = kNativeBytes / static_cast<Index>(sizeof(T));

#if NMFKIT_VARIANT == 2
constexpr int kBlockVecs = 4, kBlockSums = 24;  // 24 sums, 4 operands, a broadcast: 29 of 32
#else
constexpr int kBlockVecs = 3, kBlockSums = 12;  // 12 sums, 3 operands, a broadcast: 16 of 16
#endif
/// Rows (X·Hᵀ) or columns (Xᵀ·W) of X in a block of C vectors of sums: kBlockSums / C, at most 8
/// (narrow blocks need more independent sums to keep the multiply-adds busy).
template <int C>
constexpr int kBlockRowsFor = std::min(8, kBlockSums / C);
/// Columns of X in a block of Xᵀ·W's sums of C vectors: 8 for one vector, else 4 (a block of 6
/// columns crosses the rows' 64-byte lines: k = 10 under AVX2 took 16.6 ms instead of 12.0).
template <int C>
constexpr int kScatterColsFor = C == 1 ? 8 : 4;
/// Rows of X·Hᵀ (columns of Xᵀ·W) that meet every panel before the next ones: a multiple of every
/// kBlockRowsFor, so the rows in a group do not depend on the panel.
constexpr Index kRowGroup = 24;
/// The stretch of an X·Hᵀ entry summed in order before it is added to the entry's total.
constexpr Index kDotStretch = 128;
/// Rows of X that Xᵀ·W takes with a panel of W's rows (in the first-level cache) at a time.
constexpr Index kScatterBlockRows = 64;

/// Vectors of T that p components take.
template <typename T>
Index vectors_for(Index p) {
  return (p + kLanes<T> - 1) / kLanes<T>;
}

/// The entries of panels for `rows` rows of p components: rows × vectors_for(p) vectors.
template <typename T>
Index panels_size(Index rows, Index p) {
  return rows * vectors_for<T>(p) * kLanes<T>;
}

/// Where component l of row j sits in panels of `rows` rows of p components.
template <typename T>
Index panel_offset(Index rows, Index p, Index j, Index l) {
  constexpr Index L = kLanes<T>;
  const Index v0 = l / L / kBlockVecs * kBlockVecs;
  const Index c = std::min<Index>(kBlockVecs, vectors_for<T>(p) - v0);
  return rows * v0 * L + j * c * L + (l - v0 * L);
}

/// src (rows × p, row stride p) as panels (panels_size(rows, p) entries): for each v = 0, C, 2C,
/// ... (C = kBlockVecs, fewer in the last) the vectors [v, v + C) of every row, row after row.
template <typename T>
void pack_panels(const T* src, Index rows, Index p, T* out) {
  constexpr Index L = kLanes<T>;
  const Index vecs = vectors_for<T>(p);
  for (Index v = 0; v < vecs; v += kBlockVecs) {
    const Index c = std::min<Index>(kBlockVecs, vecs - v);
    const Index first = v * L, last = std::min(p, (v + c) * L);
    T* panel = out + rows * v * L;
    for (Index j = 0; j < rows; ++j) {
      T* o = panel + j * c * L;
      std::copy(src + j * p + first, src + j * p + last, o);
      std::fill(o + (last - first), o + c * L, T(0));
    }
  }
}

/// out[a·p + l] = scale · ⟨x_a, h_l⟩ for the R rows x_a (stride ldx) of length m and the `cols`
/// components of one panel (C vectors per row j of Hᵀ).
template <int R, int C, typename T>
void times_block(const T* x, Index ldx, const T* panel, Index m, T scale, T* out, Index p,
                 Index cols) {
  using V = NativeVec<T>;
  constexpr Index L = kLanes<T>;
  alignas(64) T total[R][C * L];
  for (Index j0 = 0; j0 < m; j0 += kDotStretch) {
    const Index j1 = std::min(m, j0 + kDotStretch);
    V acc[R][C];
#pragma GCC unroll 8
    for (int a = 0; a < R; ++a)
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) acc[a][c] = V{};
    for (Index j = j0; j < j1; ++j) {
      V h[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) __builtin_memcpy(&h[c], panel + (j * C + c) * L, sizeof(V));
#pragma GCC unroll 8
      for (int a = 0; a < R; ++a) {
        const T s = x[a * ldx + j];
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) acc[a][c] += s * h[c];
      }
    }
#pragma GCC unroll 8
    for (int a = 0; a < R; ++a)
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        V t = acc[a][c];
        if (j0 > 0) {
          V before;
          __builtin_memcpy(&before, &total[a][c * L], sizeof(V));
          t = before + t;
        }
        __builtin_memcpy(&total[a][c * L], &t, sizeof(V));
      }
  }
  if (m == 0) std::fill(&total[0][0], &total[0][0] + R * C * L, T(0));
  for (int a = 0; a < R; ++a)
    for (Index l = 0; l < cols; ++l) out[a * p + l] = total[a][l] * scale;
}

/// times_block for `rows` ≤ R rows (R, R - 1, ... down to the count).
template <int R, int C, typename T>
void times_block_upto(Index rows, const T* x, Index ldx, const T* panel, Index m, T scale, T* out,
                      Index p, Index cols) {
  if constexpr (R > 1)
    if (rows < R) return times_block_upto<R - 1, C>(rows, x, ldx, panel, m, scale, out, p, cols);
  times_block<R, C>(x, ldx, panel, m, scale, out, p, cols);
}

/// The `rows` rows of X from x (stride ldx) against one panel of C vectors, kBlockRowsFor<C> rows
/// at a time.
template <int C, typename T>
void times_panel(const T* x, Index ldx, Index rows, const T* panel, Index m, T scale, T* out,
                 Index p, Index cols) {
  constexpr int R = kBlockRowsFor<C>;
  for (Index a = 0; a < rows; a += R)
    times_block_upto<R, C>(std::min<Index>(R, rows - a), x + a * ldx, ldx, panel, m, scale,
                           out + a * p, p, cols);
}

/// out (rows × p, row stride p) = scale · X[r0, r0 + rows) · Hᵀ for Hᵀ (m × p) in panels.
template <typename T>
void times_rows_by_panels(const DenseView<T>& x, Index r0, Index rows, T scale, const T* panels,
                          Index p, T* out) {
  constexpr Index L = kLanes<T>;
  const Index m = x.cols, vecs = vectors_for<T>(p);
  for (Index a = 0; a < rows; a += kRowGroup) {
    const Index ra = std::min(kRowGroup, rows - a);
    const T* xa = x.row(r0 + a);
    for (Index v = 0; v < vecs; v += kBlockVecs) {
      const Index c = std::min<Index>(kBlockVecs, vecs - v);
      const T* panel = panels + m * v * L;
      T* o = out + a * p + v * L;
      const Index cols = std::min(p, (v + c) * L) - v * L;
      switch (c) {
        case 1:
          times_panel<1>(xa, x.stride, ra, panel, m, scale, o, p, cols);
          break;
        case 2:
          times_panel<2>(xa, x.stride, ra, panel, m, scale, o, p, cols);
          break;
        case 3:
          times_panel<3>(xa, x.stride, ra, panel, m, scale, o, p, cols);
          break;
        default:
          times_panel<kBlockVecs>(xa, x.stride, ra, panel, m, scale, o, p, cols);
          break;
      }
    }
  }
}

/// acc_a += Σ_b x_b[a] · w_b for the R columns a of the `rows` rows x_b (stride ldx) and one
/// panel of W's rows (C vectors each); acc_a are the sums' C vectors of column a, one after the
/// other. Each sum takes the rows in order.
template <int R, int C, typename T>
void scatter_panel_block(const T* x, Index ldx, Index rows, const T* wpanel, T* acc) {
  using V = NativeVec<T>;
  constexpr Index L = kLanes<T>;
  V s[R][C];
#pragma GCC unroll 8
  for (int a = 0; a < R; ++a)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) __builtin_memcpy(&s[a][c], acc + (a * C + c) * L, sizeof(V));
  for (Index b = 0; b < rows; ++b) {
    V w[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) __builtin_memcpy(&w[c], wpanel + (b * C + c) * L, sizeof(V));
#pragma GCC unroll 8
    for (int a = 0; a < R; ++a) {
      const T e = x[b * ldx + a];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) s[a][c] += e * w[c];
    }
  }
#pragma GCC unroll 8
  for (int a = 0; a < R; ++a)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) __builtin_memcpy(acc + (a * C + c) * L, &s[a][c], sizeof(V));
}

/// scatter_panel_block for `cols` ≤ R columns.
template <int R, int C, typename T>
void scatter_panel_upto(Index cols, const T* x, Index ldx, Index rows, const T* wpanel, T* acc) {
  if constexpr (R > 1)
    if (cols < R) return scatter_panel_upto<R - 1, C>(cols, x, ldx, rows, wpanel, acc);
  scatter_panel_block<R, C>(x, ldx, rows, wpanel, acc);
}

/// The sums of X's m columns for one panel of C vectors of W's `rows` rows, kBlockRowsFor<C>
/// columns at a time; acc is the sums' panel.
template <int C, typename T>
void scatter_panel(const T* x, Index ldx, Index m, Index rows, const T* wpanel, T* acc) {
  constexpr int R = kScatterColsFor<C>;
  constexpr Index L = kLanes<T>;
  for (Index j = 0; j < m; j += R)
    scatter_panel_upto<R, C>(std::min<Index>(R, m - j), x + j, ldx, rows, wpanel, acc + j * C * L);
}

/// acc += X[r0, r0 + rows)ᵀ · W's rows [r0, r0 + rows) (w: n × p, row stride p), acc being m rows
/// of p sums in panels (panels_size(m, p) entries), each sum taking the rows in order;
/// `wpack` has room for panels_size(kScatterBlockRows, p).
template <typename T>
void scatter_rows_by_panels(const DenseView<T>& x, Index r0, Index rows, const T* w, Index p,
                            T* acc, T* wpack) {
  constexpr Index L = kLanes<T>;
  const Index m = x.cols, vecs = vectors_for<T>(p);
  for (Index b0 = 0; b0 < rows; b0 += kScatterBlockRows) {
    const Index rb = std::min(kScatterBlockRows, rows - b0);
    pack_panels(w + (r0 + b0) * p, rb, p, wpack);
    const T* xb = x.row(r0 + b0);
    for (Index v = 0; v < vecs; v += kBlockVecs) {
      const Index c = std::min<Index>(kBlockVecs, vecs - v);
      const T* wpanel = wpack + rb * v * L;
      T* panel = acc + m * v * L;
      switch (c) {
        case 1:
          scatter_panel<1>(xb, x.stride, m, rb, wpanel, panel);
          break;
        case 2:
          scatter_panel<2>(xb, x.stride, m, rb, wpanel, panel);
          break;
        case 3:
          scatter_panel<3>(xb, x.stride, m, rb, wpanel, panel);
          break;
        default:
          scatter_panel<kBlockVecs>(xb, x.stride, m, rb, wpanel, panel);
          break;
      }
    }
  }
}

/// The rows of X of a block of the fused pass: block_rows, but no more than 256 KB of X where
/// that leaves at least 16 rows, so that the rows are still in the second-level cache when Xᵀ·W
/// reads them again after the update.
template <typename T>
Index fused_block_rows(Index m, Index block_rows) {
  const Index fit = (Index(256) << 10) / std::max<Index>(1, m * Index(sizeof(T)));
  return std::min(std::max<Index>(block_rows, 1), std::max<Index>(fit, 16));
}

/// right (m × p, row stride p) in panels (pack_panels).
template <typename T>
std::vector<T> panels_of(const T* right, Index m, Index p) {
  std::vector<T> out(static_cast<std::size_t>(panels_size<T>(m, p)));
  pack_panels(right, m, p, out.data());
  return out;
}

/// out (m × p) = scale · Σ_c partial_c (each m rows of p sums in panels, `size` apart), added in
/// chunk order, each output entry by one thread.
template <typename T>
void sum_panel_partials(const T* partial, Index count, Index size, Index m, Index p, T scale,
                        T* out, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index j = 0; j < m; ++j)
    for (Index l = 0; l < p; ++l) {
      const Index at = panel_offset<T>(m, p, j, l);
      T s = partial[at];
      for (Index c = 1; c < count; ++c) s += partial[c * size + at];
      out[j * p + l] = s * scale;
    }
}

/// H = rightᵀ (p × m) from right (m × p).
template <typename T>
std::vector<T> transposed(const T* right, Index m, Index p) {
  std::vector<T> h(static_cast<std::size_t>(m * p));
  for (Index j = 0; j < m; ++j)
    for (Index l = 0; l < p; ++l) h[static_cast<std::size_t>(l * m + j)] = right[j * p + l];
  return h;
}

/// m rounded up to whole 64-byte vectors: the row length of scatter_rows_by_sums's sums.
template <typename T>
Index vector_padded(Index m) {
  return (m + kVecLanes<T> - 1) / kVecLanes<T> * kVecLanes<T>;
}

/// out (m × p) = scale · Σ_c partial_c (each p × ld, `size` apart), added in chunk order and
/// transposed, each output entry by one thread.
template <typename T>
void sum_transposed_partials(const T* partial, Index count, Index size, Index ld, Index m, Index p,
                             T scale, T* out, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index j = 0; j < m; ++j)
    for (Index l = 0; l < p; ++l) {
      T s = partial[l * ld + j];
      for (Index c = 1; c < count; ++c) s += partial[c * size + l * ld + j];
      out[j * p + l] = s * scale;
    }
}

// Which kernels run. Measured with the AVX2 kernels on 2 cores of an AMD EPYC (bench/
// kernels_bench.cpp, MNIST's shape, ms for 2 threads, dots/sums → panels):
//   X·Hᵀ of float rows       k = 4: 8.4 → 7.6,   10: 12.4 → 9.9,  20: 19.5 → 13.6, 100: 69.8 → 51.7
//   X·Hᵀ of 8-bit levels     k = 4: 7.4 → 9.0,   10: 10.4 → 10.6, 20: 16.6 → 14.2, 100: 63.7 → 52.5
//   Xᵀ·W of float rows       k = 4: 15.5 → 8.2,  10: 19.2 → 11.5, 20: 26.7 → 17.0, 100: 68.4 → 55.2
//   Xᵀ·W of 8-bit levels     k = 4: 5.4 → 8.3,   10: 8.6 → 11.5,  20: 14.9 → 15.1, 100: 57.3 → 54.2
// The panels pad the components to whole vectors (k = 10 fills 10 of 16 AVX2 lanes, k = 4 half of
// 8), which the dot products and the sums along the rows never do; those read each row of X once
// per block of sums, which costs where X's rows come from memory but not where a decoded block of
// them sits in the cache. So X·Hᵀ takes the dot products up to kDotsUpTo components (the choice
// depends on k alone, so decoded levels keep the bytes of their float copy) and the panels above;
// Xᵀ·W takes the sums along the rows for decoded blocks and, with AVX2, the panels for X's own
// rows (both forms give the same bytes: each sum takes the rows in order). The AVX-512 sums along
// the rows keep 16 rows' 64 bytes in registers and stayed ahead of the panels for X's own rows too
// (k = 4: 5.7 against 8.3 ms, 50: 19.3 against 26.2), while their X·Hᵀ gained as AVX2's did
// (k = 10: 10.4 → 7.5, 50: 27.2 → 17.0).
constexpr Index kDotsUpTo = 8;
/// Whether Xᵀ·W of X's own (not decoded) rows runs through the panels.
constexpr bool kScatterPanelsForOwnRows = NMFKIT_VARIANT == 1;

/// X·Hᵀ's operand from right = Hᵀ (m × p): H's rows for the dot products, else panels.
template <typename T>
std::vector<T> times_operand(const T* right, Index m, Index p) {
  return p <= kDotsUpTo ? transposed(right, m, p) : panels_of(right, m, p);
}

/// out (rows × p, row stride p) = scale · X[r0, r0 + rows) · Hᵀ, h from times_operand.
template <typename T>
void times_rows(const DenseView<T>& x, Index r0, Index rows, T scale, const T* h, Index p, T* out) {
  if (p <= kDotsUpTo)
    times_rows_by_dots(x, r0, rows, scale, h, p, out);
  else
    times_rows_by_panels(x, r0, rows, scale, h, p, out);
}

/// Xᵀ·W's partial sums for one chunk of rows: p rows of m sums (by_sums) or m rows of p in panels.
template <typename T>
Index scatter_size(bool by_sums, Index m, Index p) {
  return by_sums ? p * vector_padded<T>(m) : panels_size<T>(m, p);
}

/// acc += X[r0, r0 + rows)ᵀ · W's rows [r0, r0 + rows) in scatter_size's layout; wpack has room
/// for panels_size(kScatterBlockRows, p).
template <typename T>
void scatter_rows(bool by_sums, const DenseView<T>& x, Index r0, Index rows, const T* w, Index p,
                  T* acc, T* wpack) {
  if (by_sums)
    scatter_rows_by_sums(x, r0, rows, w, p, acc, vector_padded<T>(x.cols));
  else
    scatter_rows_by_panels(x, r0, rows, w, p, acc, wpack);
}

/// out (m × p) = scale · the chunks' partial sums (scatter_size apart) added in chunk order.
template <typename T>
void sum_scatter_partials(bool by_sums, const T* partial, Index count, Index m, Index p, T scale,
                          T* out, int threads) {
  const Index size = scatter_size<T>(by_sums, m, p);
  if (by_sums)
    sum_transposed_partials(partial, count, size, vector_padded<T>(m), m, p, scale, out, threads);
  else
    sum_panel_partials(partial, count, size, m, p, scale, out, threads);
}

/// Rows of X per decoded block outside the fused pass (times, transpose_times): 64 rows of X's
/// floats stay in the second-level cache for any row length the products take.
constexpr Index kDecodeRows = 64;

template <typename Rows, typename T = typename Rows::Value>
void times_impl(const Rows& src, T scale, const T* right, Index p, T* out, int threads) {
  const Index n = src.rows(), m = src.cols();
  if (n == 0 || p == 0) return;
  const std::vector<T> h = times_operand(right, m, p);
  const int team = static_cast<int>(
      std::clamp<Index>((n + kRowsPerTask - 1) / kRowsPerTask, 1, std::max(1, threads)));
  PerThreadScratch<T> x_scratch(team, Rows::kDecodes ? kDecodeRows * m : 0);
#pragma omp parallel num_threads(team)
  {
    T* xs = x_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index r = 0; r < n; r += kRowsPerTask) {
      const Index task_end = std::min(n, r + kRowsPerTask);
      const Index step = Rows::kDecodes ? kDecodeRows : kRowsPerTask;
      for (Index r0 = r; r0 < task_end; r0 += step) {
        const Index rows = std::min(step, task_end - r0);
        times_rows(src.block(r0, rows, xs), 0, rows, scale, h.data(), p, out + r0 * p);
      }
    }
  }
}

template <typename Rows, typename T = typename Rows::Value>
void transpose_times_impl(const Rows& src, T scale, const T* right, Index p, T* out, int threads) {
  const Index n = src.rows(), m = src.cols();
  if (m == 0 || p == 0) return;
  const RowChunks chunks = row_chunks(n);
  constexpr bool by_sums = Rows::kDecodes || !kScatterPanelsForOwnRows;
  const Index size = scatter_size<T>(by_sums, m, p);
  const AlignedArray<T> partial(static_cast<std::size_t>(chunks.count * size));
  const int team = static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
  PerThreadScratch<T> x_scratch(team, Rows::kDecodes ? kDecodeRows * m : 0);
  PerThreadScratch<T> w_scratch(team, panels_size<T>(kScatterBlockRows, p));
#pragma omp parallel num_threads(team)
  {
    T* xs = x_scratch.mine().data();
    T* ws = w_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      T* acc = partial.get() + c * size;
      std::fill(acc, acc + size, T(0));
      const Index end = chunks.end(c);
      const Index step = Rows::kDecodes ? kDecodeRows : end - chunks.begin(c);
      for (Index r0 = chunks.begin(c); r0 < end; r0 += step) {
        const Index rows = std::min(step, end - r0);
        scatter_rows(by_sums, src.block(r0, rows, xs), 0, rows, right + r0 * p, p, acc, ws);
      }
    }
  }
  sum_scatter_partials(by_sums, partial.get(), chunks.count, m, p, scale, out, threads);
}

template <typename Rows, typename T = typename Rows::Value>
void fused_rows_impl(const Rows& src, T scale, const T* right, Index p, T* w, Index block_rows,
                     const RowBlockFn<T>& block, T* out, double* gram, int threads) {
  if (p <= 0) return;
  const Index m = src.cols();
  const RowChunks chunks = row_chunks(src.rows());
  constexpr bool by_sums = Rows::kDecodes || !kScatterPanelsForOwnRows;
  const Index size = scatter_size<T>(by_sums, m, p);
  const std::vector<T> h = times_operand(right, m, p);
  const AlignedArray<T> partial(static_cast<std::size_t>(chunks.count * size));
  std::vector<double> gram_partial(static_cast<std::size_t>(chunks.count * p * p), 0.0);
  block_rows = fused_block_rows<T>(m, block_rows);
  const int team = static_cast<int>(std::clamp<Index>(chunks.count, 1, std::max(1, threads)));
  PerThreadScratch<T> rows_p_scratch(team, block_rows * p);
  PerThreadScratch<double> gram_scratch(team, gram_rows_scratch(p));
  PerThreadScratch<T> x_scratch(team, Rows::kDecodes ? block_rows * m : 0);
  PerThreadScratch<T> w_scratch(team, panels_size<T>(kScatterBlockRows, p));
  T* partials = partial.get();
  ParallelErrors errors;  // block() is the caller's code
#pragma omp parallel num_threads(team)
  {
    T* rows_p = rows_p_scratch.mine().data();
    double* scratch = gram_scratch.mine().data();
    T* xs = x_scratch.mine().data();
    T* ws = w_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
    for (Index c = 0; c < chunks.count; ++c) {
      errors.run([&] {
        T* acc = partials + c * size;
        std::fill(acc, acc + size, T(0));
        double* g = gram_partial.data() + c * p * p;
        for (Index r0 = chunks.begin(c); r0 < chunks.end(c); r0 += block_rows) {
          const Index rows = std::min(block_rows, chunks.end(c) - r0);
          const DenseView<T> xb = src.block(r0, rows, xs);
          times_rows(xb, 0, rows, scale, h.data(), p, rows_p);
          block(r0, rows, rows_p);
          scatter_rows(by_sums, xb, 0, rows, static_cast<const T*>(w) + r0 * p, p, acc, ws);
          gram_add_rows(w + r0 * p, rows, p, scratch, g);
        }
      });
    }
  }
  errors.rethrow();
  if (m > 0) sum_scatter_partials(by_sums, partials, chunks.count, m, p, scale, out, threads);
  sum_chunk_partials(gram_partial.data(), chunks.count, p * p, gram);
  gram_mirror(gram, p);
}

// Register blocks of W·H: R rows of W by C 64-byte blocks of H's columns, R·C accumulators plus
// C operands in registers (AVX-512: 16 + 2 of 32; AVX2: 12 + 2 of 16; SSE: 8 + 4 of 16).
#if NMFKIT_VARIANT == 2
constexpr int kWhRows = 8, kWhCols = 2;
#elif NMFKIT_VARIANT == 1
constexpr int kWhRows = 6, kWhCols = 1;
#else
constexpr int kWhRows = 2, kWhCols = 1;
#endif

/// out[a·m + j] for the R rows a of W (row stride k) and the C·L columns from j: Σ_t w_at·h_tj,
/// t in order from 0 (so each entry is the same sum whatever the blocking). Part (with C = 1):
/// only the first `cols` < L columns, read and written through zero-padded copies.
template <int R, int C, bool Part, typename T>
void wh_block(const T* w, Index k, const T* h, Index m, Index j, Index cols, T* out) {
  static_assert(!Part || C == 1);
  constexpr Index L = kVecLanes<T>;
  Vec64<T> acc[R][C];
#pragma GCC unroll 8
  for (int a = 0; a < R; ++a)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c)
#pragma GCC unroll 8
      for (int i = 0; i < Vec64<T>::kParts; ++i)
        acc[a][c].part[i] = typename VecBytes<T, kNativeBytes>::type{};
  for (Index t = 0; t < k; ++t) {
    const T* ht = h + t * m + j;
    Vec64<T> hv[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) hv[c] = Part ? load_part(ht, cols) : load64(ht + c * L);
#pragma GCC unroll 8
    for (int a = 0; a < R; ++a) {
      const T s = w[a * k + t];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) multiply_add(acc[a][c], s, hv[c]);
    }
  }
  for (int a = 0; a < R; ++a) {
    T* o = out + a * m + j;
    if constexpr (Part) {
      T lanes[kVecLanes<T>];
      store64(lanes, acc[a][0]);
      std::copy(lanes, lanes + cols, o);
    } else {
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) store64(o + c * L, acc[a][c]);
    }
  }
}

/// wh_block for the last `rest` < R rows, in one block of that many.
template <int R, int C, bool Part, typename T>
void wh_block_rest(Index rest, const T* w, Index k, const T* h, Index m, Index j, Index cols,
                   T* out) {
  if constexpr (R > 0) {
    if (rest < R) return wh_block_rest<R - 1, C, Part>(rest, w, k, h, m, j, cols, out);
    wh_block<R, C, Part>(w, k, h, m, j, cols, out);
  }
}

/// wh_block over every row for the columns [j, j + cols): those columns of H (k × 64·C bytes) stay
/// in the first-level cache while W's rows pass.
template <int C, bool Part, typename T>
void wh_columns(const T* w, Index rows, Index k, const T* h, Index m, Index j, Index cols, T* wh) {
  constexpr int R = kWhRows;
  Index i = 0;
  for (; i + R <= rows; i += R) wh_block<R, C, Part>(w + i * k, k, h, m, j, cols, wh + i * m);
  wh_block_rest<R - 1, C, Part>(rows - i, w + i * k, k, h, m, j, cols, wh + i * m);
}

}  // namespace

/// wh (rows × m) = W's rows (rows × k, row stride k) · H (k × m), each entry Σ_t w_it·h_tj with t
/// in order, in T: H's columns in blocks of 64·kWhCols bytes, each block with kWhRows rows of W at
/// a time, their sums held in registers across the k terms (each entry of wh stored once).
/// nmfkit's own loop rather than BLAS's: a single-precision fit then never calls OpenBLAS, whose
/// work buffers, mapped on first use by each thread, could not be had under a tight address-space
/// limit once X is loaded, and OpenBLAS then retries for ever instead of failing (a hang under
/// `ulimit -v`, FaultsTest).
template <typename T>
void rows_times_h(const T* w, Index rows, Index k, const T* h, Index m, T* wh) {
  constexpr Index L = kVecLanes<T>;
  constexpr int C = kWhCols;
  Index j = 0;
  for (; j + C * L <= m; j += C * L) wh_columns<C, false>(w, rows, k, h, m, j, C * L, wh);
  for (; j + L <= m; j += L) wh_columns<1, false>(w, rows, k, h, m, j, L, wh);
  if (j < m) wh_columns<1, true>(w, rows, k, h, m, j, m - j, wh);
}

template <typename T>
void dense_times(const DenseView<T>& x, T scale, const T* right, Index p, T* out, int threads) {
  times_impl(ViewRows<T>{x}, scale, right, p, out, threads);
}

template <typename T>
void dense_transpose_times(const DenseView<T>& x, T scale, const T* right, Index p, T* out,
                           int threads) {
  transpose_times_impl(ViewRows<T>{x}, scale, right, p, out, threads);
}

template <typename T>
void dense_fused_rows(const DenseView<T>& x, T scale, const T* right, Index p, T* w,
                      Index block_rows, const RowBlockFn<T>& block, T* out, double* gram,
                      int threads) {
  fused_rows_impl(ViewRows<T>{x}, scale, right, p, w, block_rows, block, out, gram, threads);
}

void dense_times(const DenseLevels& x, float scale, const float* right, Index p, float* out,
                 int threads) {
  times_impl(LevelRows{x}, scale, right, p, out, threads);
}

void dense_transpose_times(const DenseLevels& x, float scale, const float* right, Index p,
                           float* out, int threads) {
  transpose_times_impl(LevelRows{x}, scale, right, p, out, threads);
}

void dense_fused_rows(const DenseLevels& x, float scale, const float* right, Index p, float* w,
                      Index block_rows, const RowBlockFn<float>& block, float* out, double* gram,
                      int threads) {
  fused_rows_impl(LevelRows{x}, scale, right, p, w, block_rows, block, out, gram, threads);
}
