// The body of rules::coordinate_descent_lanes (solvers/coordinate_descent_row.hpp), compiled once
// per instruction set inside a variant namespace of nmfkit::kernels by kernels/variant.inl (no
// includes here).

template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const double* g, Index k,
                              const rules::SweepControl& control, rules::LaneScratch& s,
                              double* violation) {
  constexpr int L = rules::kLanes;
  double* x = s.x.data();
  double* gx = s.gx.data();
  double* q = s.q.data();
  for (Index j = 0; j < k; ++j)
    for (int v = 0; v < L; ++v) {
      x[j * L + v] = v < count ? double(f[v * k + j]) : 0.0;
      q[j * L + v] = v < count ? double(p[v * k + j]) - l1 : 0.0;
    }
  // gx = G·x, each entry summed over l in order; l outermost, so the k entries' chains of
  // multiply-adds run side by side.
  std::fill(gx, gx + k * L, 0.0);
  for (Index l = 0; l < k; ++l)
    for (Index j = 0; j < k; ++j) {
      const double gjl = g[j * k + l];
#pragma omp simd
      for (int v = 0; v < L; ++v) gx[j * L + v] += gjl * x[l * L + v];
    }
  double viol[L] = {}, first_move[L] = {}, active[L];
  for (int v = 0; v < L; ++v) active[v] = v < count ? 1.0 : 0.0;
  for (int sweep = 0; sweep < control.max_sweeps; ++sweep) {
    double move[L] = {};
    for (Index t = 0; t < k; ++t) {
      const Index j = control.order != nullptr ? control.order[t] : t;
      const double gjj = g[j * k + j];
      double* xj = x + j * L;
      const double* gxj = gx + j * L;
      const double* qj = q + j * L;
      if (sweep == 0) {
#pragma omp simd
        for (int v = 0; v < L; ++v) {
          const double grad = gxj[v] - qj[v];
          viol[v] += std::abs(xj[v] == 0 ? std::min(0.0, grad) : grad);
        }
      }
      if (gjj <= 0) continue;
      double d[L];
#pragma omp simd
      for (int v = 0; v < L; ++v) {
        const double grad = gxj[v] - qj[v];
        const double next = std::max(0.0, xj[v] - grad / gjj);
        d[v] = active[v] != 0 ? next - xj[v] : 0.0;
        xj[v] = active[v] != 0 ? next : xj[v];
        move[v] += d[v] * d[v];
      }
      const double* gj = g + j * k;  // G is symmetric: column j = row j
      for (Index l = 0; l < k; ++l) {
        const double gjl = gj[l];
#pragma omp simd
        for (int v = 0; v < L; ++v) gx[l * L + v] += d[v] * gjl;
      }
    }
    bool any = false;
    for (int v = 0; v < L; ++v) {
      if (active[v] == 0) continue;
      if (sweep == 0) first_move[v] = move[v];
      if (move[v] <= control.stop_ratio2 * first_move[v])
        active[v] = 0;
      else
        any = true;
    }
    if (!any) break;
  }
  for (Index v = 0; v < count; ++v) {
    for (Index j = 0; j < k; ++j) f[v * k + j] = static_cast<T>(x[j * L + v]);
    violation[v] = viol[v];
  }
}
