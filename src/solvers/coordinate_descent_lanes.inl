// The body of rules::coordinate_descent_lanes (solvers/coordinate_descent_row.hpp), compiled once
// per instruction set inside a variant namespace of nmfkit::kernels by kernels/variant.inl (no
// includes here).

namespace cd_lanes_detail {

/// a·b + c, rounded once in the variants with FMA. Written out, not left to the compiler's
/// contraction of the expression: an unoptimised build contracts nothing, and its general loop
/// would then round differently from the register versions below, whose intrinsics always fuse.
template <typename T>
[[gnu::always_inline]] inline T mul_add(T a, T b, T c) {
#if NMFKIT_VARIANT == 0
  return a * b + c;
#else
  return std::fma(a, b, c);
#endif
}

/// A lane whose row has stopped takes the next row at once only while some row in the lanes has
/// made this many sweeps; before that it waits, and the lanes fill all together when every row has
/// stopped. Taking a row alone costs about a sweep of 16 lanes at k = 10 (its G·x, its entries in
/// and out, a return from the sweeps): on MNIST, whose rows stop after 3-5 sweeps (about 3.8 each,
/// their blocks of 16 about 4.9), taking rows at once made the sweeps cost 1.5-1.8 times as much
/// (`perf` samples); on the photo patches, whose rows make about 11 sweeps and their blocks about
/// 35, it took a third off. From 8 sweeps on the patches keep nearly all of that (`perf`, k = 20,
/// avx2: the sweeps 17-19% of the samples in blocks, 13-14% with this rule, 13% taking rows at
/// once) and MNIST none of the cost (avx512, k = 10: 12.4-12.6% in blocks, 11.3-11.5%).
constexpr int kStreamAfter = 8;
/// What each lane's row has done: the sweeps below run every lane at once, each lane on its own
/// row's schedule (a lane may be in its row's first sweep while the others are further on).
template <typename T>
struct LaneState {
  T active[rules::kLanes];      ///< 1 while the lane's row sweeps, else 0
  T first[rules::kLanes];       ///< 1 during the first sweep of the lane's row
  T first_move[rules::kLanes];  ///< the squared move of that first sweep
  T viol[rules::kLanes];        ///< the row's first-sweep violation
  int budget[rules::kLanes];    ///< sweeps the row may still make
  int max_sweeps = 0;           ///< a row's sweeps at most
  bool refill = false;          ///< rows wait for lanes (after_sweep: when to return for them)
  bool any_first() const {
    for (int v = 0; v < rules::kLanes; ++v)
      if (first[v] != 0) return true;
    return false;
  }
};

/// After a sweep: each active lane whose squared move is at most stop_ratio2 times its row's first
/// sweep's, or whose row has made its last sweep, stops (the first sweep records that move).
/// Returns whether the sweeps end here: no lane is active, or rows wait, a lane is free and some
/// row in the lanes has made kStreamAfter sweeps.
template <typename T>
bool after_sweep(const T* move, T stop_ratio2, LaneState<T>& st) {
  int running = 0, longest = 0;
  for (int v = 0; v < rules::kLanes; ++v) {
    if (st.active[v] == 0) continue;
    if (st.first[v] != 0) st.first_move[v] = move[v];
    st.first[v] = 0;
    if (move[v] <= stop_ratio2 * st.first_move[v] || --st.budget[v] == 0) {
      st.active[v] = 0;
    } else {
      ++running;
      longest = std::max(longest, st.max_sweeps - st.budget[v]);
    }
  }
  return running == 0 || (st.refill && running < rules::kLanes && longest >= kStreamAfter);
}

#if NMFKIT_VARIANT == 2
/// The sweeps of coordinate_descent_lanes in natural coordinate order for float and a k of K
/// (≤ kFixedMaxK), G·x held in K vector registers instead of memory: each move then updates the
/// other K entries without a load and a store apiece. The same operations in the same order as
/// the general loop below (the same bytes). Returns false (nothing done) when it does not apply.
constexpr int kFixedMaxK = 24;

template <int K>
[[gnu::noinline]] void fixed_sweeps(float* x, float* gx_mem, const float* q, const float* g,
                                    const float* inv_diag, float stop_ratio2,
                                    LaneState<float>& st) {
  constexpr int L = rules::kLanes;
  __m512 gx[K];
#pragma GCC unroll 32
  for (int j = 0; j < K; ++j) gx[j] = _mm512_loadu_ps(gx_mem + j * L);
  const __m512 zero = _mm512_setzero_ps();
  __m512 viol_v = _mm512_loadu_ps(st.viol);
  for (;;) {
    const __mmask16 on = _mm512_cmp_ps_mask(_mm512_loadu_ps(st.active), zero, _CMP_NEQ_UQ);
    const __mmask16 first = _mm512_cmp_ps_mask(_mm512_loadu_ps(st.first), zero, _CMP_NEQ_UQ);
    __m512 move = zero;
#pragma GCC unroll 32
    for (int j = 0; j < K; ++j) {
      float* xj = x + j * L;
      __m512 xv = _mm512_loadu_ps(xj);
      const __m512 grad = _mm512_sub_ps(gx[j], _mm512_loadu_ps(q + j * L));
      if (first != 0) {
        // |grad|, or |min(0, grad)| at x = 0, in the lanes of rows in their first sweep
        const __mmask16 at_zero = _mm512_cmp_ps_mask(xv, zero, _CMP_EQ_OQ);
        const __m512 neg = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(grad, zero, _CMP_LT_OQ), grad);
        const __m512 part = _mm512_mask_mov_ps(grad, at_zero, neg);
        viol_v = _mm512_mask_add_ps(viol_v, first, viol_v, _mm512_abs_ps(part));
      }
      const float inv = inv_diag[j];
      if (inv == 0.0f) continue;
      const __m512 stepped = _mm512_fnmadd_ps(grad, _mm512_set1_ps(inv), xv);
      const __m512 next =
          _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(zero, stepped, _CMP_LT_OQ), stepped);
      const __m512 d = _mm512_maskz_sub_ps(on, next, xv);
      xv = _mm512_mask_mov_ps(xv, on, next);
      _mm512_storeu_ps(xj, xv);
      // d² rounded before it is added, as the general loop does (a masked multiply is never
      // fused with the addition).
      move = _mm512_add_ps(move, _mm512_maskz_mul_ps(on, d, d));
      const float* gj = g + j * K;
#pragma GCC unroll 32
      for (int l = 0; l < K; ++l) gx[l] = _mm512_fmadd_ps(d, _mm512_set1_ps(gj[l]), gx[l]);
    }
    float mv[L];
    _mm512_storeu_ps(mv, move);
    if (after_sweep(mv, stop_ratio2, st)) break;
  }
  _mm512_storeu_ps(st.viol, viol_v);
#pragma GCC unroll 32
  for (int j = 0; j < K; ++j) _mm512_storeu_ps(gx_mem + j * L, gx[j]);
}

/// More components: the moves go in groups of B coordinates, whose entries of G·x stay in
/// registers while the group moves; each other entry then takes the group's B changes in move
/// order, loaded and stored once per group instead of once per move. The same sums in the same
/// order as the general loop.
constexpr int kGroup = 12;

template <int B>
[[gnu::always_inline]] inline void group_moves(Index g0, Index k, float* x, float* gx_mem,
                                               const float* q, const float* g,
                                               const float* inv_diag, __mmask16 first, __mmask16 on,
                                               __m512& move, __m512& viol_v) {
  constexpr int L = rules::kLanes;
  const __m512 zero = _mm512_setzero_ps();
  __m512 gin[B], d[B];
  bool moved[B];
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) gin[b] = _mm512_loadu_ps(gx_mem + (g0 + b) * L);
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) {
    const Index j = g0 + b;
    float* xj = x + j * L;
    __m512 xv = _mm512_loadu_ps(xj);
    const __m512 grad = _mm512_sub_ps(gin[b], _mm512_loadu_ps(q + j * L));
    if (first != 0) {
      const __mmask16 at_zero = _mm512_cmp_ps_mask(xv, zero, _CMP_EQ_OQ);
      const __m512 neg = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(grad, zero, _CMP_LT_OQ), grad);
      viol_v = _mm512_mask_add_ps(viol_v, first, viol_v,
                                  _mm512_abs_ps(_mm512_mask_mov_ps(grad, at_zero, neg)));
    }
    const float inv = inv_diag[j];
    moved[b] = inv != 0.0f;
    d[b] = zero;
    if (!moved[b]) continue;
    const __m512 stepped = _mm512_fnmadd_ps(grad, _mm512_set1_ps(inv), xv);
    const __m512 next = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(zero, stepped, _CMP_LT_OQ), stepped);
    d[b] = _mm512_maskz_sub_ps(on, next, xv);
    xv = _mm512_mask_mov_ps(xv, on, next);
    _mm512_storeu_ps(xj, xv);
    move = _mm512_add_ps(move, _mm512_maskz_mul_ps(on, d[b], d[b]));
    const float* gj = g + j * k + g0;
#pragma GCC unroll 16
    for (int l = 0; l < B; ++l) gin[l] = _mm512_fmadd_ps(d[b], _mm512_set1_ps(gj[l]), gin[l]);
  }
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) _mm512_storeu_ps(gx_mem + (g0 + b) * L, gin[b]);
  const auto others = [&](Index from, Index to) {
    for (Index l = from; l < to; ++l) {
      float* o = gx_mem + l * L;
      __m512 s = _mm512_loadu_ps(o);
#pragma GCC unroll 16
      for (int b = 0; b < B; ++b)
        if (moved[b]) s = _mm512_fmadd_ps(d[b], _mm512_set1_ps(g[(g0 + b) * k + l]), s);
      _mm512_storeu_ps(o, s);
    }
  };
  others(0, g0);
  others(g0 + B, k);
}

template <int B>
void rest_group(Index rest, Index g0, Index k, float* x, float* gx, const float* q, const float* g,
                const float* inv_diag, __mmask16 first, __mmask16 on, __m512& move,
                __m512& viol_v) {
  if constexpr (B > 0) {
    if (rest != B)
      return rest_group<B - 1>(rest, g0, k, x, gx, q, g, inv_diag, first, on, move, viol_v);
    group_moves<B>(g0, k, x, gx, q, g, inv_diag, first, on, move, viol_v);
  }
}

[[gnu::noinline]] void grouped_sweeps(Index k, float* x, float* gx, const float* q, const float* g,
                                      const float* inv_diag, float stop_ratio2,
                                      LaneState<float>& st) {
  constexpr int L = rules::kLanes;
  const __m512 zero = _mm512_setzero_ps();
  __m512 viol_v = _mm512_loadu_ps(st.viol);
  for (;;) {
    const __mmask16 on = _mm512_cmp_ps_mask(_mm512_loadu_ps(st.active), zero, _CMP_NEQ_UQ);
    const __mmask16 first = _mm512_cmp_ps_mask(_mm512_loadu_ps(st.first), zero, _CMP_NEQ_UQ);
    __m512 move = zero;
    Index g0 = 0;
    for (; g0 + kGroup <= k; g0 += kGroup)
      group_moves<kGroup>(g0, k, x, gx, q, g, inv_diag, first, on, move, viol_v);
    rest_group<kGroup - 1>(k - g0, g0, k, x, gx, q, g, inv_diag, first, on, move, viol_v);
    float mv[L];
    _mm512_storeu_ps(mv, move);
    if (after_sweep(mv, stop_ratio2, st)) break;
  }
  _mm512_storeu_ps(st.viol, viol_v);
}

template <int K>
bool try_fixed(Index k, float* x, float* gx, const float* q, const float* g, const float* inv_diag,
               float stop_ratio2, LaneState<float>& st) {
  if constexpr (K > kFixedMaxK) {
    return false;
  } else {
    if (k != K) return try_fixed<K + 1>(k, x, gx, q, g, inv_diag, stop_ratio2, st);
    fixed_sweeps<K>(x, gx, q, g, inv_diag, stop_ratio2, st);
    return true;
  }
}

template <typename T>
bool sweeps_fixed_k(Index k, const rules::SweepControl& control, T* x, T* gx, const T* q,
                    const T* g, const T* inv_diag, T stop_ratio2, LaneState<T>& st) {
  if constexpr (std::is_same_v<T, float>) {
    if (control.order != nullptr || k < 2) return false;
    if (k > kFixedMaxK) {
      grouped_sweeps(k, x, gx, q, g, inv_diag, stop_ratio2, st);
      return true;
    }
    return try_fixed<2>(k, x, gx, q, g, inv_diag, stop_ratio2, st);
  } else {
    return false;
  }
}
#elif NMFKIT_VARIANT == 1
// AVX2: 16 registers of 8 floats, too few for G·x whole. The moves go in groups of 4
// coordinates whose entries of G·x (two registers each) stay in registers while the group moves;
// each other entry then takes the group's changes in move order, loaded and stored once per group.
// The same sums in the same order as the general loop (the same bytes).
struct Lanes16 {
  __m256 lo, hi;
};
[[gnu::always_inline]] inline Lanes16 load16(const float* p) {
  return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
[[gnu::always_inline]] inline void store16(float* p, const Lanes16& v) {
  _mm256_storeu_ps(p, v.lo);
  _mm256_storeu_ps(p + 8, v.hi);
}
/// acc + d·s with one rounding, as the general loop's contracted gx += d·g.
[[gnu::always_inline]] inline Lanes16 fma16(const Lanes16& d, __m256 s, const Lanes16& acc) {
  return {_mm256_fmadd_ps(d.lo, s, acc.lo), _mm256_fmadd_ps(d.hi, s, acc.hi)};
}

constexpr int kGroupAvx2 = 4;

struct Avx2Move {
  __m256 zero, sign;          // 0 and -0 in every lane
  __m256 on_lo, on_hi;        // active lanes (all bits set)
  __m256 first_lo, first_hi;  // lanes whose rows make their first sweep
  bool any_first;
};

/// One half (8 lanes) of a move; returns d, updates x and the sums.
[[gnu::always_inline]] inline __m256 move_half(const Avx2Move& m, __m256 on, __m256 first,
                                               float* xp, const float* qp, __m256 gxv, __m256 inv,
                                               __m256& viol, __m256& move, bool moves) {
  __m256 xv = _mm256_loadu_ps(xp);
  const __m256 grad = _mm256_sub_ps(gxv, _mm256_loadu_ps(qp));
  if (m.any_first) {
    const __m256 at_zero = _mm256_cmp_ps(xv, m.zero, _CMP_EQ_OQ);
    const __m256 neg = _mm256_and_ps(_mm256_cmp_ps(grad, m.zero, _CMP_LT_OQ), grad);
    const __m256 part = _mm256_blendv_ps(grad, neg, at_zero);
    viol = _mm256_blendv_ps(viol, _mm256_add_ps(viol, _mm256_andnot_ps(m.sign, part)), first);
  }
  if (!moves) return m.zero;
  const __m256 stepped = _mm256_fnmadd_ps(grad, inv, xv);
  const __m256 next = _mm256_and_ps(_mm256_cmp_ps(m.zero, stepped, _CMP_LT_OQ), stepped);
  const __m256 d = _mm256_and_ps(on, _mm256_sub_ps(next, xv));
  _mm256_storeu_ps(xp, _mm256_blendv_ps(xv, next, on));
  // d² rounded before it is added, as in the general loop: the mask between the multiply and the
  // addition (d is 0 in the lanes it clears) keeps the compiler from fusing them.
  move = _mm256_add_ps(move, _mm256_and_ps(on, _mm256_mul_ps(d, d)));
  return d;
}

/// One group's moves, kept for the terms they add to the other entries of G·x.
struct Avx2Group {
  Index g0 = 0;  ///< its first coordinate
  int size = 0;  ///< its coordinates (≤ kGroupAvx2)
  bool all_moved = true;
  bool moved[kGroupAvx2] = {};
  alignas(32) float d[kGroupAvx2][rules::kLanes];
};

/// The moves of coordinates [grp.g0, grp.g0 + B), their entries of G·x held in registers (each
/// move's change added to the group's later entries at once); records the changes in grp.
template <int B>
[[gnu::always_inline]] inline void group_moves_avx2(const Avx2Move& m, Avx2Group& grp, Index k,
                                                    float* x, float* gx_mem, const float* q,
                                                    const float* g, const float* inv_diag,
                                                    __m256 (&viol)[2], __m256 (&move)[2]) {
  constexpr int L = rules::kLanes;
  const Index g0 = grp.g0;
  Lanes16 gin[B];
#pragma GCC unroll 8
  for (int b = 0; b < B; ++b) gin[b] = load16(gx_mem + (g0 + b) * L);
  grp.all_moved = true;
#pragma GCC unroll 8
  for (int b = 0; b < B; ++b) {
    const Index j = g0 + b;
    const float inv_s = inv_diag[j];
    const bool moved = inv_s != 0.0f;
    grp.moved[b] = moved;
    grp.all_moved = grp.all_moved && moved;
    const __m256 inv = _mm256_set1_ps(inv_s);
    Lanes16 d;
    d.lo = move_half(m, m.on_lo, m.first_lo, x + j * L, q + j * L, gin[b].lo, inv, viol[0], move[0],
                     moved);
    d.hi = move_half(m, m.on_hi, m.first_hi, x + j * L + 8, q + j * L + 8, gin[b].hi, inv, viol[1],
                     move[1], moved);
    store16(grp.d[b], d);
    if (!moved) continue;
    const float* gj = g + j * k + g0;
#pragma GCC unroll 8
    for (int l = 0; l < B; ++l) gin[l] = fma16(d, _mm256_set1_ps(gj[l]), gin[l]);
  }
#pragma GCC unroll 8
  for (int b = 0; b < B; ++b) store16(gx_mem + (g0 + b) * L, gin[b]);
}

/// The group's changes added to the entries [from, to) of G·x (none of its own), in move order.
/// Where every coordinate of the group moved (nearly always), the loop tests nothing: GCC had
/// re-tested each 1/G_jj for every entry, a compare and two branches per term.
template <int B>
[[gnu::always_inline]] inline void group_terms_avx2(const Avx2Group& grp, Index k, const float* g,
                                                    float* gx_mem, Index from, Index to) {
  constexpr int L = rules::kLanes;
  const float* gg = g + grp.g0 * k;
  Lanes16 d[B];  // in registers (the stores to G·x might otherwise alias grp.d)
#pragma GCC unroll 8
  for (int b = 0; b < B; ++b) d[b] = load16(grp.d[b]);
  if (grp.all_moved) {
    for (Index l = from; l < to; ++l) {
      float* o = gx_mem + l * L;
      Lanes16 s = load16(o);
#pragma GCC unroll 8
      for (int b = 0; b < B; ++b) s = fma16(d[b], _mm256_set1_ps(gg[b * k + l]), s);
      store16(o, s);
    }
    return;
  }
  bool moved[B];
#pragma GCC unroll 8
  for (int b = 0; b < B; ++b) moved[b] = grp.moved[b];
  for (Index l = from; l < to; ++l) {
    float* o = gx_mem + l * L;
    Lanes16 s = load16(o);
#pragma GCC unroll 8
    for (int b = 0; b < B; ++b)
      if (moved[b]) s = fma16(d[b], _mm256_set1_ps(gg[b * k + l]), s);
    store16(o, s);
  }
}

/// group_moves_avx2 and group_terms_avx2 for a group of grp.size ≤ B coordinates.
template <int B>
void moves_avx2(const Avx2Move& m, Avx2Group& grp, Index k, float* x, float* gx, const float* q,
                const float* g, const float* inv_diag, __m256 (&viol)[2], __m256 (&move)[2]) {
  if constexpr (B > 1)
    if (grp.size < B) return moves_avx2<B - 1>(m, grp, k, x, gx, q, g, inv_diag, viol, move);
  group_moves_avx2<B>(m, grp, k, x, gx, q, g, inv_diag, viol, move);
}
template <int B>
void terms_avx2(const Avx2Group& grp, Index k, const float* g, float* gx, Index from, Index to) {
  if (from >= to) return;
  if constexpr (B > 1)
    if (grp.size < B) return terms_avx2<B - 1>(grp, k, g, gx, from, to);
  group_terms_avx2<B>(grp, k, g, gx, from, to);
}

/// The sweeps in natural order, in groups of kGroupAvx2 coordinates. A group's changes reach the
/// next group's entries of G·x right after its moves, and the other entries only after the next
/// group has moved: the moves are a chain of dependent operations (latency), the other entries'
/// updates independent multiply-adds (throughput), and in this order the processor runs the two
/// side by side. Every entry still takes the groups' changes in move order: the bytes of the
/// general loop.
[[gnu::noinline]] inline void grouped_sweeps_avx2(Index k, float* x, float* gx, const float* q,
                                                  const float* g, const float* inv_diag,
                                                  float stop_ratio2, LaneState<float>& st) {
  constexpr int L = rules::kLanes;
  Avx2Move m;
  m.zero = _mm256_setzero_ps();
  m.sign = _mm256_set1_ps(-0.0f);
  __m256 viol_v[2] = {_mm256_loadu_ps(st.viol), _mm256_loadu_ps(st.viol + 8)};
  Avx2Group groups[2];
  for (;;) {
    m.on_lo = _mm256_cmp_ps(_mm256_loadu_ps(st.active), m.zero, _CMP_NEQ_UQ);
    m.on_hi = _mm256_cmp_ps(_mm256_loadu_ps(st.active + 8), m.zero, _CMP_NEQ_UQ);
    m.first_lo = _mm256_cmp_ps(_mm256_loadu_ps(st.first), m.zero, _CMP_NEQ_UQ);
    m.first_hi = _mm256_cmp_ps(_mm256_loadu_ps(st.first + 8), m.zero, _CMP_NEQ_UQ);
    m.any_first = st.any_first();
    __m256 move[2] = {m.zero, m.zero};
    const Avx2Group* last = nullptr;
    int slot = 0;
    for (Index g0 = 0; g0 < k; g0 += kGroupAvx2, slot ^= 1) {
      Avx2Group& grp = groups[slot];
      grp.g0 = g0;
      grp.size = static_cast<int>(std::min<Index>(kGroupAvx2, k - g0));
      moves_avx2<kGroupAvx2>(m, grp, k, x, gx, q, g, inv_diag, viol_v, move);
      const Index end = g0 + grp.size;
      if (last != nullptr) {  // the previous group's changes to the entries of neither group
        terms_avx2<kGroupAvx2>(*last, k, g, gx, 0, last->g0);
        terms_avx2<kGroupAvx2>(*last, k, g, gx, end, k);
      }
      terms_avx2<kGroupAvx2>(grp, k, g, gx, end, std::min<Index>(end + kGroupAvx2, k));
      last = &grp;
    }
    terms_avx2<kGroupAvx2>(*last, k, g, gx, 0, last->g0);
    float mv[L];
    _mm256_storeu_ps(mv, move[0]);
    _mm256_storeu_ps(mv + 8, move[1]);
    if (after_sweep(mv, stop_ratio2, st)) break;
  }
  _mm256_storeu_ps(st.viol, viol_v[0]);
  _mm256_storeu_ps(st.viol + 8, viol_v[1]);
}

template <typename T>
bool sweeps_fixed_k(Index k, const rules::SweepControl& control, T* x, T* gx, const T* q,
                    const T* g, const T* inv_diag, T stop_ratio2, LaneState<T>& st) {
  if constexpr (std::is_same_v<T, float>) {
    if (control.order != nullptr || k < 2) return false;
    grouped_sweeps_avx2(k, x, gx, q, g, inv_diag, stop_ratio2, st);
    return true;
  } else {
    return false;
  }
}
#else
template <typename T>
bool sweeps_fixed_k(Index, const rules::SweepControl&, T*, T*, const T*, const T*, const T*, T,
                    LaneState<T>&) {
  return false;
}
#endif

/// gx = G·x for the k entries of L lanes, each entry summed over l in order by multiply-adds
/// from 0. With AVX2 or AVX-512 and float, B entries at a time are held in registers while l
/// runs (one load of x's row l per B entries instead of a load and a store of each entry per
/// term); G is symmetric, so entry j's term l reads G's row l. The same sums in the same order
/// either way.
#if NMFKIT_VARIANT == 2
constexpr int kGxBlock = 12;
using GxLanes = __m512;
[[gnu::always_inline]] inline GxLanes gx_zero() {
  return _mm512_setzero_ps();
}
[[gnu::always_inline]] inline GxLanes gx_term(float g, const float* xl, GxLanes acc) {
  return _mm512_fmadd_ps(_mm512_set1_ps(g), _mm512_loadu_ps(xl), acc);
}
[[gnu::always_inline]] inline void gx_store(float* o, GxLanes v) {
  _mm512_storeu_ps(o, v);
}
#elif NMFKIT_VARIANT == 1
constexpr int kGxBlock = 6;
using GxLanes = Lanes16;
[[gnu::always_inline]] inline GxLanes gx_zero() {
  return {_mm256_setzero_ps(), _mm256_setzero_ps()};
}
[[gnu::always_inline]] inline GxLanes gx_term(float g, const float* xl, GxLanes acc) {
  return fma16(load16(xl), _mm256_set1_ps(g), acc);
}
[[gnu::always_inline]] inline void gx_store(float* o, GxLanes v) {
  store16(o, v);
}
#endif
#if NMFKIT_VARIANT == 1 || NMFKIT_VARIANT == 2
template <int B>
[[gnu::always_inline]] inline void gx_entries(Index j0, Index k, const float* g, const float* x,
                                              float* gx) {
  constexpr int L = rules::kLanes;
  GxLanes acc[B];
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) acc[b] = gx_zero();
  for (Index l = 0; l < k; ++l) {
    const float* gl = g + l * k + j0;
#pragma GCC unroll 16
    for (int b = 0; b < B; ++b) acc[b] = gx_term(gl[b], x + l * L, acc[b]);
  }
#pragma GCC unroll 16
  for (int b = 0; b < B; ++b) gx_store(gx + (j0 + b) * L, acc[b]);
}
template <int B>
void gx_rest(Index rest, Index j0, Index k, const float* g, const float* x, float* gx) {
  if constexpr (B > 0) {
    if (rest != B) return gx_rest<B - 1>(rest, j0, k, g, x, gx);
    gx_entries<B>(j0, k, g, x, gx);
  }
}
#endif

template <typename T>
void form_gx(Index k, const T* g, const T* x, T* gx) {
  constexpr int L = rules::kLanes;
#if NMFKIT_VARIANT == 1 || NMFKIT_VARIANT == 2
  if constexpr (std::is_same_v<T, float>) {
    Index j0 = 0;
    for (; j0 + kGxBlock <= k; j0 += kGxBlock) gx_entries<kGxBlock>(j0, k, g, x, gx);
    gx_rest<kGxBlock - 1>(k - j0, j0, k, g, x, gx);
    return;
  }
#endif
  // l outermost, so the k entries' chains of multiply-adds run side by side.
  std::fill(gx, gx + k * L, T(0));
  for (Index l = 0; l < k; ++l)
    for (Index j = 0; j < k; ++j) {
      const T gjl = g[j * k + l];
#pragma omp simd
      for (int v = 0; v < L; ++v) gx[j * L + v] = mul_add(gjl, x[l * L + v], gx[j * L + v]);
    }
}

/// The row's entries of G·x in lane v (x already in place): each entry summed over l in order
/// by multiply-adds from 0, as form_gx sums every lane (G is symmetric: G_jl = G_lj).
/// The k sums are formed side by side in `row` (k entries; l outermost, a vector of entries per
/// multiply-add), then placed in the lane.
template <typename T>
void lane_gx(Index k, const T* g, const T* x, T* gx, int v, T* row) {
  constexpr int L = rules::kLanes;
  std::fill(row, row + k, T(0));
  for (Index l = 0; l < k; ++l) {
    const T xl = x[l * L + v];
    const T* gl = g + l * k;
#pragma omp simd
    for (Index j = 0; j < k; ++j) row[j] = mul_add(gl[j], xl, row[j]);
  }
  for (Index j = 0; j < k; ++j) gx[j * L + v] = row[j];
}

/// The sweeps in any order (control.order) and precision, until after_sweep ends them.
template <typename T>
void general_sweeps(Index k, const rules::SweepControl& control, T* x, T* gx, const T* q,
                    const T* g, const T* inv_diag, T stop_ratio2, LaneState<T>& st) {
  constexpr int L = rules::kLanes;
  for (;;) {
    const bool any_first = st.any_first();
    T move[L] = {};
    for (Index t = 0; t < k; ++t) {
      const Index j = control.order != nullptr ? control.order[t] : t;
      T* xj = x + j * L;
      const T* gxj = gx + j * L;
      const T* qj = q + j * L;
      if (any_first) {
#pragma omp simd
        for (int v = 0; v < L; ++v) {
          const T grad = gxj[v] - qj[v];
          const T part = std::abs(xj[v] == 0 ? std::min(T(0), grad) : grad);
          st.viol[v] = st.first[v] != 0 ? st.viol[v] + part : st.viol[v];
        }
      }
      const T inv_gjj = inv_diag[j];
      if (inv_gjj == T(0)) continue;
      T d[L];
#pragma omp simd
      for (int v = 0; v < L; ++v) {
        const T grad = gxj[v] - qj[v];
        const T next = std::max(T(0), mul_add(-grad, inv_gjj, xj[v]));
        d[v] = st.active[v] != 0 ? next - xj[v] : T(0);
        xj[v] = st.active[v] != 0 ? next : xj[v];
        move[v] += d[v] * d[v];
      }
      const T* gj = g + j * k;  // G is symmetric: column j = row j
#pragma GCC unroll 4
      for (Index l = 0; l < k; ++l) {
        const T gjl = gj[l];
#pragma omp simd
        for (int v = 0; v < L; ++v) gx[l * L + v] = mul_add(d[v], gjl, gx[l * L + v]);
      }
    }
    if (after_sweep(move, stop_ratio2, st)) return;
  }
}

}  // namespace cd_lanes_detail

// The rows stream through the kLanes lanes: once some row has made kStreamAfter sweeps, a lane
// whose row has stopped takes the next row (its x, p − l1 and entries of G·x) while the others
// sweep on, so a block of lanes does not sweep on for its slowest row alone. A row's moves,
// stopping and violation are its own whichever lanes it shares and whenever it enters: the same
// bytes as one row at a time.
template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const T* g, Index k,
                              const rules::SweepControl& control, rules::LaneScratch<T>& s,
                              double* violation) {
  constexpr int L = rules::kLanes;
  T* x = s.x.data();
  T* gx = s.gx.data();
  T* q = s.q.data();
  // A multiply by 1/G_jj in each move, not a division: the division's latency sat in the chain
  // of dependent operations that sets a move's pace. Formed once per call. A G_jj so small that
  // 1/G_jj overflows T (a component all but zero on the other side) counts as zero: the
  // coordinate is left as it is, as for G_jj = 0 (marked by 1/G_jj = 0).
  T* inv_diag = s.inv_diag.data();
  for (Index j = 0; j < k; ++j) {
    const T gjj = g[j * k + j];
    const T inv = T(1) / gjj;
    inv_diag[j] = gjj > 0 && inv <= std::numeric_limits<T>::max() ? inv : T(0);
  }
  cd_lanes_detail::LaneState<T> st;
  st.max_sweeps = control.max_sweeps;
  Index row[L];
  Index next = 0;  // the first row not yet in a lane
  const auto start = [&](int v, Index r) {
    row[v] = r;
    st.active[v] = st.first[v] = r >= 0 ? T(1) : T(0);
    st.first_move[v] = st.viol[v] = T(0);
    st.budget[v] = control.max_sweeps;
  };
  // Every lane empty: the next (up to) kLanes rows in at once, their G·x formed side by side.
  // Row r's x and p − l1 into lane v (r < 0: zeros).
  const auto put = [&](int v, Index r) {
    for (Index j = 0; j < k; ++j) {
      x[j * L + v] = r >= 0 ? f[r * k + j] : T(0);
      q[j * L + v] = r >= 0 ? static_cast<T>(double(p[r * k + j]) - l1) : T(0);
    }
  };
  const auto fill_all = [&] {
    const Index batch = std::min<Index>(count - next, L);
    for (int v = 0; v < L; ++v) put(v, v < batch ? next + v : Index(-1));
    cd_lanes_detail::form_gx(k, g, x, gx);
    for (int v = 0; v < L; ++v) start(v, v < batch ? next + v : Index(-1));
    next += batch;
  };
  const auto retire = [&](int v) {
    const Index r = row[v];
    for (Index j = 0; j < k; ++j) f[r * k + j] = x[j * L + v];
    violation[r] = st.viol[v];
    row[v] = -1;
  };
  const T stop_ratio2 = static_cast<T>(control.stop_ratio2);
  fill_all();
  for (;;) {
    st.refill = next < count;
    if (!cd_lanes_detail::sweeps_fixed_k(k, control, x, gx, q, g, inv_diag, stop_ratio2, st))
      cd_lanes_detail::general_sweeps(k, control, x, gx, q, g, inv_diag, stop_ratio2, st);
    bool any = false;
    for (int v = 0; v < L; ++v) {
      if (row[v] >= 0 && st.active[v] == 0) retire(v);
      any = any || st.active[v] != 0;
    }
    if (!any) {  // all lanes stopped together (the rule for the rows of `cd`, one sweep each)
      if (next == count) return;
      fill_all();
      continue;
    }
    for (int v = 0; v < L && next < count; ++v) {
      if (row[v] >= 0) continue;  // the next row into an empty lane, alone
      const Index n = next++;
      put(v, n);
      cd_lanes_detail::lane_gx(k, g, x, gx, v, s.row.data());
      start(v, n);
    }
  }
}
