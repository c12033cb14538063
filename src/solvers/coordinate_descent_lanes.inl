// The body of rules::coordinate_descent_lanes (solvers/coordinate_descent_row.hpp), compiled once
// per instruction set inside a variant namespace of nmfkit::kernels by kernels/variant.inl (no
// includes here).

template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const T* g, Index k,
                              const rules::SweepControl& control, rules::LaneScratch<T>& s,
                              double* violation) {
  constexpr int L = rules::kLanes;
  T* x = s.x.data();
  T* gx = s.gx.data();
  T* q = s.q.data();
  for (Index j = 0; j < k; ++j)
    for (int v = 0; v < L; ++v) {
      x[j * L + v] = v < count ? f[v * k + j] : T(0);
      q[j * L + v] = v < count ? static_cast<T>(double(p[v * k + j]) - l1) : T(0);
    }
  // gx = G·x, each entry summed over l in order; l outermost, so the k entries' chains of
  // multiply-adds run side by side.
  std::fill(gx, gx + k * L, T(0));
  for (Index l = 0; l < k; ++l)
    for (Index j = 0; j < k; ++j) {
      const T gjl = g[j * k + l];
#pragma omp simd
      for (int v = 0; v < L; ++v) gx[j * L + v] += gjl * x[l * L + v];
    }
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
  T viol[L] = {}, first_move[L] = {}, active[L];
  for (int v = 0; v < L; ++v) active[v] = v < count ? T(1) : T(0);
  const T stop_ratio2 = static_cast<T>(control.stop_ratio2);
  for (int sweep = 0; sweep < control.max_sweeps; ++sweep) {
    T move[L] = {};
    for (Index t = 0; t < k; ++t) {
      const Index j = control.order != nullptr ? control.order[t] : t;
      T* xj = x + j * L;
      const T* gxj = gx + j * L;
      const T* qj = q + j * L;
      if (sweep == 0) {
#pragma omp simd
        for (int v = 0; v < L; ++v) {
          const T grad = gxj[v] - qj[v];
          viol[v] += std::abs(xj[v] == 0 ? std::min(T(0), grad) : grad);
        }
      }
      const T inv_gjj = inv_diag[j];
      if (inv_gjj == T(0)) continue;
      T d[L];
#pragma omp simd
      for (int v = 0; v < L; ++v) {
        const T grad = gxj[v] - qj[v];
        const T next = std::max(T(0), xj[v] - grad * inv_gjj);
        d[v] = active[v] != 0 ? next - xj[v] : T(0);
        xj[v] = active[v] != 0 ? next : xj[v];
        move[v] += d[v] * d[v];
      }
      const T* gj = g + j * k;  // G is symmetric: column j = row j
#pragma GCC unroll 4
      for (Index l = 0; l < k; ++l) {
        const T gjl = gj[l];
#pragma omp simd
        for (int v = 0; v < L; ++v) gx[l * L + v] += d[v] * gjl;
      }
    }
    bool any = false;
    for (int v = 0; v < L; ++v) {
      if (active[v] == 0) continue;
      if (sweep == 0) first_move[v] = move[v];
      if (move[v] <= stop_ratio2 * first_move[v])
        active[v] = 0;
      else
        any = true;
    }
    if (!any) break;
  }
  for (Index v = 0; v < count; ++v) {
    for (Index j = 0; j < k; ++j) f[v * k + j] = x[j * L + v];
    violation[v] = viol[v];
  }
}
