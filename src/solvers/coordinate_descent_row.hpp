#pragma once
// Exact coordinate descent on one row's penalised non-negative least-squares problem
//     min_{f ≥ 0} ½ fᵀGf − (p − l1)ᵀf      (G already includes + l2·I),
// shared by `hals` (several sweeps) and `cd` (one sweep, scikit-learn's order and violation).
// Coordinate j moves to max(0, f_j − ∇_j / G_jj), the exact minimiser along it; Gf is kept up to
// date in O(k) per move. A coordinate with G_jj = 0 (a component that is zero on the other side)
// is left as it is.
#include <algorithm>
#include <cmath>
#include <vector>

#include "nmfkit/matrix.hpp"

namespace nmfkit::rules {

struct SweepControl {
  int max_sweeps = 1;            ///< at most this many sweeps over the coordinates
  double stop_ratio2 = 0;        ///< stop once a sweep's squared move ≤ this × the first sweep's
  const Index* order = nullptr;  ///< visiting order of the coordinates (nullptr: 0, 1, …, k−1)
};

/// Per-thread scratch space for coordinate_descent_row.
struct RowScratch {
  std::vector<double> x, gx;
  explicit RowScratch(Index k) : x(static_cast<std::size_t>(k)), gx(static_cast<std::size_t>(k)) {}
};

/// Runs the sweeps on row f (k entries, updated in place); returns the first sweep's violation
/// Σ_j |projected gradient_j| measured before each move, as scikit-learn's coordinate descent
/// sums it (the gradient, or its negative part where f_j = 0).
template <typename T>
double coordinate_descent_row(T* f, const T* p, double l1, const double* g, Index k,
                              const SweepControl& control, RowScratch& s) {
  double* x = s.x.data();
  double* gx = s.gx.data();
  for (Index j = 0; j < k; ++j) x[j] = f[j];
  for (Index j = 0; j < k; ++j) {
    double acc = 0;
    for (Index l = 0; l < k; ++l) acc += g[j * k + l] * x[l];
    gx[j] = acc;
  }
  double violation = 0, first_move = 0;
  for (int sweep = 0; sweep < control.max_sweeps; ++sweep) {
    double move = 0;
    for (Index t = 0; t < k; ++t) {
      const Index j = control.order != nullptr ? control.order[t] : t;
      const double grad = gx[j] - (double(p[j]) - l1);
      if (sweep == 0) violation += std::abs(x[j] == 0 ? std::min(0.0, grad) : grad);
      const double gjj = g[j * k + j];
      if (gjj <= 0) continue;
      const double next = std::max(0.0, x[j] - grad / gjj);
      const double d = next - x[j];
      if (d == 0) continue;
      x[j] = next;
      move += d * d;
      const double* gj = g + j * k;  // G is symmetric: column j = row j
      for (Index l = 0; l < k; ++l) gx[l] += d * gj[l];
    }
    if (sweep == 0) first_move = move;
    if (move <= control.stop_ratio2 * first_move) break;
  }
  for (Index j = 0; j < k; ++j) f[j] = static_cast<T>(x[j]);
  return violation;
}

/// Rows side by side: coordinate_descent_rows runs the sweeps of kLanes rows at once, one row per
/// vector lane, so the chain of dependent operations of one coordinate move (gradient, division,
/// update of Gf) is shared by kLanes rows instead of being paid by each.
inline constexpr int kLanes = 8;

/// Per-thread scratch space for coordinate_descent_lanes: k × kLanes arrays, lane-minor.
struct LaneScratch {
  std::vector<double> x, gx, q;
  explicit LaneScratch(Index k)
      : x(static_cast<std::size_t>(k * kLanes)),
        gx(static_cast<std::size_t>(k * kLanes)),
        q(static_cast<std::size_t>(k * kLanes)) {}
};

/// coordinate_descent_row on rows f[0..count) (count ≤ kLanes, row stride k) at once, each lane
/// doing exactly what coordinate_descent_row does for its row, including when it stops; the
/// violations go to violation[0..count).
template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const double* g, Index k,
                              const SweepControl& control, LaneScratch& s, double* violation) {
  constexpr int L = kLanes;
  double* x = s.x.data();
  double* gx = s.gx.data();
  double* q = s.q.data();
  for (Index j = 0; j < k; ++j)
    for (int v = 0; v < L; ++v) {
      x[j * L + v] = v < count ? double(f[v * k + j]) : 0.0;
      q[j * L + v] = v < count ? double(p[v * k + j]) - l1 : 0.0;
    }
  for (Index j = 0; j < k; ++j) {
    double acc[L] = {};
    for (Index l = 0; l < k; ++l) {
      const double gjl = g[j * k + l];
#pragma omp simd
      for (int v = 0; v < L; ++v) acc[v] += gjl * x[l * L + v];
    }
    for (int v = 0; v < L; ++v) gx[j * L + v] = acc[v];
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

/// Applies coordinate descent to every row of f in parallel, kLanes rows at a time; returns the
/// summed violation, added in row order so it does not depend on the thread count.
template <typename T>
double coordinate_descent_rows(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, double l1,
                               const SweepControl& control, int threads) {
  const Index k = f.cols;
  std::vector<double> violations(static_cast<std::size_t>(f.rows));
  const Index blocks = (f.rows + kLanes - 1) / kLanes;
#pragma omp parallel num_threads(threads)
  {
    LaneScratch scratch(k);
#pragma omp for schedule(static)
    for (Index b = 0; b < blocks; ++b) {
      const Index i = b * kLanes;
      coordinate_descent_lanes(f.row(i), p.row(i), std::min<Index>(kLanes, f.rows - i), l1,
                               g.data(), k, control, scratch,
                               violations.data() + static_cast<std::size_t>(i));
    }
  }
  double total = 0;
  for (double v : violations) total += v;
  return total;
}

}  // namespace nmfkit::rules
