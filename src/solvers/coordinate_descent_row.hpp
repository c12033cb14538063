#pragma once
// Exact coordinate descent on one row's penalised non-negative least-squares problem
//     min_{f ≥ 0} ½ fᵀGf − (p − l1)ᵀf      (G already includes + l2·I),
// shared by `hals` (several sweeps), `cd` (one sweep, scikit-learn's order and violation) and
// `anls-bpp` (its fallback for numerically singular subproblems).
// Coordinate j moves to max(0, f_j − ∇_j / G_jj), the exact minimiser along it; Gf is kept up to
// date in O(k) per move. A coordinate with G_jj = 0 (a component that is zero on the other side)
// is left as it is.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/per_thread.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::rules {

struct SweepControl {
  int max_sweeps = 1;            ///< at most this many sweeps over the coordinates
  double stop_ratio2 = 0;        ///< stop once a sweep's squared move ≤ this × the first sweep's
  const Index* order = nullptr;  ///< visiting order of the coordinates (nullptr: 0, 1, …, k−1)
};

/// Rows side by side: coordinate_descent_lanes runs the sweeps of kLanes rows at once, one row
/// per vector lane, so the chain of dependent operations of one coordinate move (gradient,
/// division, update of Gf) is shared by kLanes rows instead of being paid by each. 16 lanes (one
/// AVX-512 vector of floats, two of doubles) measured best for float when a block of lanes swept
/// until its slowest row stopped (32 lanes were slower on photo patches at k = 20 and MNIST at
/// k = 50); the rows now stream through the lanes (a stopped row's lane takes the next row).
inline constexpr int kLanes = 16;

/// Rows handed to coordinate_descent_lanes at once where the caller has them together (the fused
/// pass's blocks): the more rows stream through the lanes, the fewer sweeps are spent waiting for
/// a block's slowest row at the end.
inline constexpr Index kStreamRows = 64;

/// Per-thread scratch space for coordinate_descent_lanes in precision T: k × kLanes arrays,
/// lane-minor, zeroed. On cache lines of their own: the scratch of every thread is made by one
/// thread, before the parallel region.
template <typename T>
struct LaneScratch {
  kernels::ScratchVector<T> x, gx, q;
  kernels::ScratchVector<T> inv_diag;  ///< 1/G_jj, or 0 for a coordinate left as it is
  kernels::ScratchVector<T> row;       ///< k entries: G·x of a row entering a lane
  explicit LaneScratch(Index k)
      : x(static_cast<std::size_t>(k * kLanes), T(0)),
        gx(static_cast<std::size_t>(k * kLanes), T(0)),
        q(static_cast<std::size_t>(k * kLanes), T(0)),
        inv_diag(static_cast<std::size_t>(k), T(0)),
        row(static_cast<std::size_t>(k), T(0)) {}
};

/// G (k × k, double) in the precision T of the sweeps: the fit's own precision, as scikit-learn's
/// coordinate descent works in its input's dtype. Formed once per half-iteration, not per block.
template <typename T>
std::vector<T> lanes_gram(const Matrix<double>& g) {
  std::vector<T> out(static_cast<std::size_t>(g.rows * g.cols));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(g.values[i]);
  return out;
}

/// Runs the sweeps on rows f[0..count) (row stride k), kLanes at a time, each lane making exactly
/// its own row's moves and stopping decision (a stopped row's lane takes the next row; a row's
/// result does not depend on which rows share the lanes): a row stops once a sweep's squared move
/// is at most stop_ratio2 times its first sweep's. violation[0..count) receives each row's
/// first-sweep Σ_j |projected gradient_j|, measured before each move, as scikit-learn's coordinate
/// descent sums it (the gradient, or its negative part where f_j = 0). The sweeps run in T, with G
/// given in T (lanes_gram): a float fit's 16 lanes are one AVX-512 vector (two AVX2 ones), half the
/// work of double lanes.
/// Runs the instruction-set variant chosen at run time (kernels/variants.hpp; the body is
/// solvers/coordinate_descent_lanes.inl); instantiated for float and double.
template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const T* g, Index k,
                              const SweepControl& control, LaneScratch<T>& s, double* violation);

/// Applies coordinate descent to every row of f in parallel, in blocks of at least kLanes and at
/// most 256 rows (four per thread at least, where there are that many); returns the summed
/// violation, added in row order so it does not depend on the thread count.
template <typename T>
double coordinate_descent_rows(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, double l1,
                               const SweepControl& control, int threads) {
  const Index k = f.cols;
  std::vector<double> violations(static_cast<std::size_t>(f.rows));
  const Index per_call = std::clamp<Index>(f.rows / (4 * std::max(threads, 1)), kLanes, 256);
  const Index blocks = (f.rows + per_call - 1) / per_call;
  const std::vector<T> gt = lanes_gram<T>(g);
  kernels::PerThread<LaneScratch<T>> scratch(threads, k);
#pragma omp parallel num_threads(threads)
  {
    LaneScratch<T>& mine = scratch.mine();
#pragma omp for schedule(static)
    for (Index b = 0; b < blocks; ++b) {
      const Index i = b * per_call;
      coordinate_descent_lanes(f.row(i), p.row(i), std::min<Index>(per_call, f.rows - i), l1,
                               gt.data(), k, control, mine,
                               violations.data() + static_cast<std::size_t>(i));
    }
  }
  double total = 0;
  for (double v : violations) total += v;
  return total;
}

}  // namespace nmfkit::rules
