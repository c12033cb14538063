// The coordinate descent for the Kullback-Leibler divergence (kernels/kl_cd.hpp), compiled once
// per instruction set inside a variant namespace by kernels/variant.inl (no includes here).

namespace kl_cd_detail {

constexpr int kLanes = 16;  ///< entry p's terms go to lane p mod kLanes
constexpr int kRun = 8;     ///< lane vectors summed in T before they join the double lanes

/// For `vectors` × kLanes entries, then `rest` (< kLanes) more: v ← v + d·gp (when Pending),
/// then adds to the double lanes gl and hl (each lane's terms summed in T first), with r = 1/v:
/// - Kullback-Leibler (IS false): Σ gt·x·r and Σ gt²·x·r²;
/// - Itakura-Saito (IS true): Σ gt·r·(1 − x·r) and Σ gt²·x·r³.
/// The last `rest` entries make one more vector whose missing lanes add nothing (x = 0, G = 0).
template <bool IS, bool Pending, typename T>
inline void run_sums(const T* x, T* v, T d, const T* gp, const T* gt, T eps, int vectors, int rest,
                     bool first, double* gl, double* hl, T& top) {
  T gq[kLanes] = {}, hq[kLanes] = {}, tq[kLanes] = {};
  const auto lanes = [&](const T* xo, T* vo, const T* gpo, const T* gto) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) {
      T vp = vo[l];
      if constexpr (Pending) {
        vp += d * gpo[l];
        vo[l] = vp;
      }
      // std::max's selections spelled out by value (NaN kept alike): its reference result made
      // GCC select addresses, which it does not vectorise (double fits ran this loop one entry at
      // a time).
      const T r = T(1) / (vp < eps ? eps : vp);
      const T gr = gto[l] * r;
      if constexpr (IS) {
        const T q = gr * (xo[l] * r);
        gq[l] += gr - q;
        hq[l] += q * gr;
        tq[l] = gr > tq[l] ? gr : tq[l];
      } else {
        const T q = xo[l] * gr;
        gq[l] += q;
        hq[l] += q * gr;
      }
    }
  };
  for (int b = 0; b < vectors; ++b) {
    const Index o = Index(b) * kLanes;
    lanes(x + o, v + o, gp + o, gt + o);
  }
  if (rest > 0) {
    const Index o = Index(vectors) * kLanes;
    T xb[kLanes] = {}, vb[kLanes], gpb[kLanes] = {}, gtb[kLanes] = {};
    std::fill(vb, vb + kLanes, T(1));
    std::copy(x + o, x + o + rest, xb);
    std::copy(v + o, v + o + rest, vb);
    std::copy(gt + o, gt + o + rest, gtb);
    if constexpr (Pending) std::copy(gp + o, gp + o + rest, gpb);
    lanes(xb, vb, gpb, gtb);
    if constexpr (Pending) std::copy(vb, vb + rest, v + o);
  }
  for (int l = 0; l < kLanes; ++l) {
    gl[l] = first ? double(gq[l]) : gl[l] + double(gq[l]);
    hl[l] = first ? double(hq[l]) : hl[l] + double(hq[l]);
  }
  if constexpr (IS)
    for (int l = 0; l < kLanes; ++l) top = std::max(top, tq[l]);
}

#if NMFKIT_VARIANT == 2
/// 1/a to about float precision: the 14-bit estimate and one Newton-Raphson step.
inline __m512 reciprocal(__m512 a) {
  const __m512 r = _mm512_rcp14_ps(a);
  return _mm512_mul_ps(r, _mm512_fnmadd_ps(a, r, _mm512_set1_ps(2.0f)));
}
/// lanes[0:16] = a's lanes in double (first), else += them.
inline void add_lanes(__m512 a, double* lanes, bool first) {
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(a));
  const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(a, 1));
  if (first) {
    _mm512_storeu_pd(lanes, lo);
    _mm512_storeu_pd(lanes + 8, hi);
  } else {
    _mm512_storeu_pd(lanes, _mm512_add_pd(_mm512_loadu_pd(lanes), lo));
    _mm512_storeu_pd(lanes + 8, _mm512_add_pd(_mm512_loadu_pd(lanes + 8), hi));
  }
}
/// One vector of 16 entries at offset o, its lanes outside `mask` read as 0 and not written
/// (run_sums below).
template <bool IS, bool Pending>
inline void vector_sums(const float* x, float* v, __m512 vd, const float* gp, const float* gt,
                        __m512 ve, Index o, __mmask16 mask, __m512& gq, __m512& hq, __m512& tq) {
  __m512 vp = _mm512_maskz_loadu_ps(mask, v + o);
  if constexpr (Pending) {
    vp = _mm512_fmadd_ps(vd, _mm512_maskz_loadu_ps(mask, gp + o), vp);
    _mm512_mask_storeu_ps(v + o, mask, vp);
  }
  const __m512 r = reciprocal(_mm512_max_ps(vp, ve));
  const __m512 gr = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, gt + o), r);
  const __m512 xo = _mm512_maskz_loadu_ps(mask, x + o);
  if constexpr (IS) {
    const __m512 q = _mm512_mul_ps(gr, _mm512_mul_ps(xo, r));
    gq = _mm512_add_ps(gq, _mm512_sub_ps(gr, q));
    hq = _mm512_fmadd_ps(q, gr, hq);
    tq = _mm512_max_ps(tq, gr);
  } else {
    const __m512 q = _mm512_mul_ps(xo, gr);
    gq = _mm512_add_ps(gq, q);
    hq = _mm512_fmadd_ps(q, gr, hq);
  }
}
template <bool IS, bool Pending>
[[gnu::always_inline]] inline void run_sums(const float* x, float* v, float d, const float* gp,
                                            const float* gt, float eps, int vectors, int rest,
                                            bool first, double* gl, double* hl, float& top) {
  const __m512 vd = _mm512_set1_ps(d), ve = _mm512_set1_ps(eps);
  __m512 gq = _mm512_setzero_ps(), hq = _mm512_setzero_ps(), tq = _mm512_setzero_ps();
  for (int b = 0; b < vectors; ++b)
    vector_sums<IS, Pending>(x, v, vd, gp, gt, ve, Index(b) * kLanes, 0xFFFF, gq, hq, tq);
  if (rest > 0)
    vector_sums<IS, Pending>(x, v, vd, gp, gt, ve, Index(vectors) * kLanes,
                             static_cast<__mmask16>((1u << rest) - 1), gq, hq, tq);
  add_lanes(gq, gl, first);
  add_lanes(hq, hl, first);
  if constexpr (IS) top = std::max(top, _mm512_reduce_max_ps(tq));
}
#elif NMFKIT_VARIANT == 1
/// 1/a to 12 bits (relative error at most 1.5·2⁻¹²): the processor's estimate, unrefined. The
/// Newton sums need no more: without the Newton-Raphson step that took it to float precision (two
/// of the pass's eight multiply-class instructions per vector) the default Kullback-Leibler and
/// Itakura-Saito fits of the spectrograms took 8-18% less time to divergences within 1e-5 of
/// before (docs/performance.md, seventeenth sitting). With AVX-512 the refinement stays: there it
/// cost no measurable time.
inline __m256 reciprocal(__m256 a) {
  return _mm256_rcp_ps(a);
}
/// lanes[0:8] = a's lanes in double (first), else += them.
inline void add_lanes(__m256 a, double* lanes, bool first) {
  const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(a));
  const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1));
  if (first) {
    _mm256_storeu_pd(lanes, lo);
    _mm256_storeu_pd(lanes + 4, hi);
  } else {
    _mm256_storeu_pd(lanes, _mm256_add_pd(_mm256_loadu_pd(lanes), lo));
    _mm256_storeu_pd(lanes + 4, _mm256_add_pd(_mm256_loadu_pd(lanes + 4), hi));
  }
}
/// One vector of 8 entries at offset o; with Masked, its lanes outside `mask` read as 0 and not
/// written (run_sums below).
template <bool IS, bool Pending, bool Masked>
inline void vector_sums(const float* x, float* v, __m256 vd, const float* gp, const float* gt,
                        __m256 ve, Index o, __m256i mask, __m256& gq, __m256& hq, __m256& tq) {
  const auto load = [&](const float* a) {
    if constexpr (Masked)
      return _mm256_maskload_ps(a, mask);
    else
      return _mm256_loadu_ps(a);
  };
  __m256 vp = load(v + o);
  if constexpr (Pending) {
    vp = _mm256_fmadd_ps(vd, load(gp + o), vp);
    if constexpr (Masked)
      _mm256_maskstore_ps(v + o, mask, vp);
    else
      _mm256_storeu_ps(v + o, vp);
  }
  const __m256 r = reciprocal(_mm256_max_ps(vp, ve));
  const __m256 gr = _mm256_mul_ps(load(gt + o), r);
  if constexpr (IS) {
    const __m256 q = _mm256_mul_ps(gr, _mm256_mul_ps(load(x + o), r));
    gq = _mm256_add_ps(gq, _mm256_sub_ps(gr, q));
    hq = _mm256_fmadd_ps(q, gr, hq);
    tq = _mm256_max_ps(tq, gr);
  } else {
    const __m256 q = _mm256_mul_ps(load(x + o), gr);
    gq = _mm256_add_ps(gq, q);
    hq = _mm256_fmadd_ps(q, gr, hq);
  }
}
/// The first `count` of 8 lanes, as a mask for _mm256_maskload_ps.
inline __m256i first_lanes(int count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
template <bool IS, bool Pending>
[[gnu::always_inline]] inline void run_sums(const float* x, float* v, float d, const float* gp,
                                            const float* gt, float eps, int vectors, int rest,
                                            bool first, double* gl, double* hl, float& top) {
  const __m256 vd = _mm256_set1_ps(d), ve = _mm256_set1_ps(eps);
  // Lanes 0-7 and 8-15 in accumulators of their own, named (not an array indexed in a loop,
  // which GCC kept in memory: a store and a reload on every vector's dependency chain).
  __m256 tq = _mm256_setzero_ps();
  __m256 gq0 = _mm256_setzero_ps(), hq0 = _mm256_setzero_ps();
  __m256 gq1 = _mm256_setzero_ps(), hq1 = _mm256_setzero_ps();
  const __m256i all = _mm256_set1_epi32(-1);
  for (int b = 0; b < vectors; ++b) {
    const Index o = Index(b) * kLanes;
    vector_sums<IS, Pending, false>(x, v, vd, gp, gt, ve, o, all, gq0, hq0, tq);
    vector_sums<IS, Pending, false>(x, v, vd, gp, gt, ve, o + 8, all, gq1, hq1, tq);
  }
  if (rest > 0) {
    const Index o = Index(vectors) * kLanes;
    vector_sums<IS, Pending, true>(x, v, vd, gp, gt, ve, o, first_lanes(rest), gq0, hq0, tq);
    if (rest > 8)
      vector_sums<IS, Pending, true>(x, v, vd, gp, gt, ve, o + 8, first_lanes(rest - 8), gq1, hq1,
                                     tq);
  }
  add_lanes(gq0, gl, first), add_lanes(hq0, hl, first);
  add_lanes(gq1, gl + 8, first), add_lanes(hq1, hl + 8, first);
  if constexpr (IS) {
    // The largest lane, by halving in registers (not through memory).
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(tq), _mm256_extractf128_ps(tq, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    top = std::max(top, _mm_cvtss_f32(m));
  }
}
#endif

/// One level of newton_sums' tree: lane l += lane l + W, for l < W.
template <int W>
[[gnu::always_inline]] inline void tree_level(double* gl, double* hl) {
#pragma omp simd
  for (int l = 0; l < W; ++l) gl[l] += gl[l + W];
#pragma omp simd
  for (int l = 0; l < W; ++l) hl[l] += hl[l + W];
}

/// v ← v + d·gp (when Pending) on every entry, then the sums of one Newton step for G's row gt
/// (run_sums: Σ gt·x/v and Σ gt²·x/v² for Kullback-Leibler, Σ gt·(1/v − x/v²) and Σ gt²·x/v³
/// for Itakura-Saito), in kLanes fixed lanes added in lane order.
template <bool IS, bool Pending, typename T>
void newton_sums(const T* x, Index len, T* v, T d, const T* gp, const T* gt, T eps, double& grad,
                 double& hess, T& top) {
  if (len == 0) {
    grad = hess = 0;
    return;
  }
  // Written by the first run (not zeroed first: GCC zeroes small arrays with `rep stos`, whose
  // start-up cost on AMD CPUs was a sizeable part of a step on short lines).
  double gl[kLanes], hl[kLanes];
  const Index vectors = len / kLanes;
  const int rest = static_cast<int>(len - vectors * kLanes);
  // Runs of kRun vectors; the last entries (a partial vector) join the last run, or make one.
  for (Index b = 0; b < vectors || (b == 0 && rest > 0); b += kRun) {
    const Index o = b * kLanes;
    const int count = static_cast<int>(std::min<Index>(kRun, vectors - b));
    const int tail = b + kRun >= vectors ? rest : 0;
    run_sums<IS, Pending>(x + o, v + o, d, gp + o, gt + o, eps, count, tail, b == 0, gl, hl, top);
  }
  // The lanes added as a tree: a short chain of dependent additions (each level spelled out, so
  // that it is a vector addition).
  static_assert(kLanes == 16);
  tree_level<8>(gl, hl);
  tree_level<4>(gl, hl);
  tree_level<2>(gl, hl);
  tree_level<1>(gl, hl);
  grad = gl[0];
  hess = hl[0];
}

/// v = f·G over the len entries.
template <typename T>
void form_v(const T* f, const T* g, Index g_stride, Index k, Index len, T* v) {
  std::fill(v, v + len, T(0));
  for (Index t = 0; t < k; ++t) {
    const T ft = f[t];
    if (ft == T(0)) continue;
    const T* gt = g + t * g_stride;
#pragma omp simd
    for (Index p = 0; p < len; ++p) v[p] += ft * gt[p];
  }
}

/// kl_cd_row for one loss.
template <bool IS, typename T>
double cd_row(const T* x, Index len, T* f, const T* g, Index g_stride, const double* g_sum, Index k,
              const KlCdControl& control, T* v) {
  const T eps = T(control.epsilon);
  if (!control.v_given) form_v(f, g, g_stride, k, len, v);
  T pending = 0;             // the last change of an entry, not yet added to v
  const T* pending_row = g;  // G's row of that entry
  std::uint8_t* idle = control.idle;
  const bool skip = idle != nullptr && control.skip_idle;
  for (Index t = 0; t < k; ++t) {
    if (skip && idle[t] != 0) continue;  // at 0, where its last visit left it
    const T* gt = g + t * g_stride;
    const bool at_zero = f[t] == T(0);
    for (int step = 0; step < control.max_steps; ++step) {
      double sum_q = 0, sum_h = 0;
      T top = 0;  // Itakura-Saito: the largest g/v
      if (pending != T(0))
        newton_sums<IS, true>(x, len, v, pending, pending_row, gt, eps, sum_q, sum_h, top);
      else
        newton_sums<IS, false>(x, len, v, pending, pending_row, gt, eps, sum_q, sum_h, top);
      pending = 0;
      const double ft = double(f[t]);
      // Kullback-Leibler: the derivative of Σ v − x·log v is Σ g − Σ g·x/v, its second Σ g²·x/v².
      // Itakura-Saito: that of Σ x/v + log v is Σ g·(1/v − x/v²); the second derivative taken is
      // that of x/v alone, 2·Σ g²·x/v³ (log v, concave, replaced by its tangent: a majorizer).
      const double grad = (IS ? sum_q : g_sum[t] - sum_q) + control.l1 + control.l2 * ft;
      const double hess = (IS ? 2 * sum_h : sum_h) + control.l2;
      double next = ft;
      if (hess > 0)
        next = std::max(0.0, ft - grad / hess);
      else if (grad > 0)
        next = 0;
      if (IS && next < ft && top > T(0)) next = std::max(next, ft - control.shrink / double(top));
      const T nf = static_cast<T>(next);
      pending = nf - f[t];
      pending_row = gt;
      f[t] = nf;
      if (pending == T(0) || std::abs(double(pending)) <= control.step_tol * double(nf)) break;
    }
    if (idle != nullptr) idle[t] = at_zero && f[t] == T(0) ? 1 : 0;
  }
  if (!control.divergence) return 0;
  // The divergence's part that depends on v, over the entries at the final f (v with the last
  // change added): Σ x·log v, or Σ x/v + log v over the entries with x > ε. Branch-free, so that
  // the logarithms vectorise (a zero of x adds x·log v = 0). v is a T; its logarithm (and, for
  // Itakura-Saito, x/v) is formed in T, each term then joins the double lanes: in float that is
  // within 1 ulp of float's logarithm and a quarter of the double one's cost.
  const T eps_t = static_cast<T>(control.epsilon);
  const auto term = [&](Index p) {
    const T vp = std::max(T(v[p] + pending * pending_row[p]), eps_t);
    const T xp = x[p];
    if constexpr (IS)
      return (xp > eps_t ? 1.0 : 0.0) * double(xp / vp + log_positive(vp));
    else
      return double(xp) * double(log_positive(vp));
  };
  double lanes[kLanes] = {};
  Index p = 0;
  for (; p + kLanes <= len; p += kLanes) {
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) lanes[l] += term(p + l);
  }
  for (int l = 0; p < len; ++p, ++l) lanes[l] += term(p);
  double sum = 0;
  for (double s : lanes) sum += s;
  return sum;
}

}  // namespace kl_cd_detail

template <typename T>
double kl_cd_row(const T* x, Index len, T* f, const T* g, Index g_stride, const double* g_sum,
                 Index k, const KlCdControl& control, T* v) {
  if (control.itakura_saito)
    return kl_cd_detail::cd_row<true>(x, len, f, g, g_stride, g_sum, k, control, v);
  return kl_cd_detail::cd_row<false>(x, len, f, g, g_stride, g_sum, k, control, v);
}

template <typename T>
double kl_cd_sparse_row(const T* x, const std::int32_t* idx, Index count, T* f, const T* g,
                        Index g_stride, const double* g_sum, Index k, const KlCdControl& control,
                        T* v, T* gathered) {
  const bool skip = control.idle != nullptr && control.skip_idle;
  for (Index t = 0; t < k; ++t) {
    // A flagged entry at 0 is not read by kl_cd_row. One that extrapolation's restart made
    // positive again is passed over too, but its row is part of v = f·G, so it is gathered (from
    // a row left by the thread's last line, v would depend on which lines that thread took).
    if (skip && control.idle[t] != 0 && f[t] == T(0)) continue;
    const T* gt = g + t * g_stride;
    T* out = gathered + t * count;
    for (Index p = 0; p < count; ++p) out[p] = gt[idx[p]];
  }
  return NMFKIT_VARIANT_NAMESPACE::kl_cd_row(x, count, f, gathered, count, g_sum, k, control, v);
}

namespace kl_cd_detail {

/// One value's term of log_sums (and its part of the mass).
template <bool IS>
inline double log_sums_term(double x, double epsilon, double up_log, double& mass) {
  constexpr double kTiny = std::numeric_limits<double>::min(), kUp = 18014398509481984.0;  // 2^54
  const bool small = x < kTiny;
  const double l = log_positive(small ? x * kUp : x) - (small ? up_log : 0.0);
  if constexpr (IS) return x > epsilon ? l : 0.0;
  mass += x > 0 ? x : 0.0;
  return x > 0 ? x * l : 0.0;
}

template <bool IS, typename T>
LogSums log_sums(const T* v, std::size_t count, double epsilon) {
  constexpr int kSumLanes = 8;  // each lane sums every kSumLanes-th value, so the loop vectorises
  const double up_log = std::log(18014398509481984.0);  // of 2^54, the scale of tiny values
  double logs[kSumLanes] = {}, mass[kSumLanes] = {};
  std::size_t i = 0;
  for (; i + kSumLanes <= count; i += kSumLanes) {
#pragma omp simd
    for (int l = 0; l < kSumLanes; ++l)
      logs[l] += log_sums_term<IS>(double(v[i + std::size_t(l)]), epsilon, up_log, mass[l]);
  }
  for (int l = 0; i < count; ++i, ++l)
    logs[l] += log_sums_term<IS>(double(v[i]), epsilon, up_log, mass[l]);
  LogSums out;
  for (int l = 0; l < kSumLanes; ++l) out.logs += logs[l], out.mass += mass[l];
  return out;
}

}  // namespace kl_cd_detail

template <typename T>
LogSums log_sums(const T* x, std::size_t count, bool itakura_saito, double epsilon) {
  return itakura_saito ? kl_cd_detail::log_sums<true>(x, count, epsilon)
                       : kl_cd_detail::log_sums<false>(x, count, epsilon);
}
