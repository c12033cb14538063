#pragma once
// Coordinate descent for the Kullback-Leibler divergence (Hsieh & Dhillon 2011, "Fast coordinate
// descent methods with variable selection for non-negative matrix factorization", their CCD for
// KL without the variable selection): one row problem of a half-iteration,
//     min_{f ≥ 0} Σ_j [v_j − x_j·log v_j] + l1·Σ f + ½·l2·‖f‖²,   v = f·G,
// with (x, f, G) = (a row of X, W's row, H) for W and (a column of X, Hᵀ's row, Wᵀ) for H. Each
// entry f_t in turn takes Newton steps on its one-variable problem, projected on f_t ≥ 0, while
// v follows every change. Only the stored entries of x enter the sums: where x_j = 0 the term is
// v_j alone, whose derivative in f_t is G's row sum, given whole in g_sum. The 1-D problem is
// convex with a decreasing second derivative, so a step that raises f_t never passes the minimum
// and a step that lowers it may pass it once; the steps that follow come back monotonically.
//
// The same kernel runs the Itakura-Saito divergence (KlCdControl::itakura_saito), whose row
// problem is min_{f ≥ 0} Σ_j [x_j/v_j + log v_j] + penalties over every entry (X has no zeros
// there, so dense rows only). Its 1-D problem is not convex (log v is concave), so each Newton
// step is taken on a majorizer instead: log v replaced by its tangent at the current f_t, which
// leaves the slope unchanged and the curvature 2·Σ g²·x/v³ of x/v alone (≥ the true one). That
// majorizer is again convex with a decreasing second derivative, so the remarks above hold for it,
// and a step that raises f_t lowers the divergence.
#include <cstddef>
#include <cstdint>

#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

struct KlCdControl {
  int max_steps = 2;      ///< Newton steps per entry at most
  double step_tol = 0.3;  ///< stop an entry's steps once |step| ≤ step_tol·f_t
  double l1 = 0;          ///< the penalties of the factor being updated
  double l2 = 0;
  double epsilon = 1e-7;    ///< v below this is read as this in the quotients x/v
  bool divergence = false;  ///< return Σ_j x_j·log v_j at the final f
  bool v_given = false;     ///< v already holds f·G (else the kernel forms it)
  /// Itakura-Saito: a step lowers f_t by at most shrink / max_j(g_j/v_j), so that no v_j falls
  /// below (1 − shrink)·v_j. Its x/v term grows without bound as v → 0 and the majorizer's
  /// Newton step, whose curvature grows too, can land far past the minimum; from random or SVD
  /// starts whose W·H is far from X this guard kept the first iterations from raising the
  /// divergence tenfold.
  double shrink = 0.5;
  bool itakura_saito = false;
  /// The row's k flags of entries found idle: at 0, and left at 0 by their steps. When
  /// skip_idle, a flagged entry is passed over (no pass over the row, no gather of G's row); every
  /// entry visited gets its flag anew. nullptr: none kept.
  std::uint8_t* idle = nullptr;
  bool skip_idle = false;  ///< the Itakura-Saito divergence instead (dense rows; g_sum unused)
};

/// Updates f (k entries) for the row x of `len` entries (a dense row, or a sparse row's stored
/// values), G's row t at g + t·g_stride covering the same entries, g_sum[t] = G's full row sum.
/// v (len entries) is scratch, or holds f·G on entry when control.v_given; it follows f's
/// changes (the last one excepted). Returns Σ x·log v at the final f when control.divergence
/// (v below ε read as ε, as followed rather than formed afresh), for Itakura-Saito Σ x/v + log v
/// over the entries with x > ε, else 0. The sums run in fixed
/// lanes: the result does not depend on the thread count.
template <typename T>
double kl_cd_row(const T* x, Index len, T* f, const T* g, Index g_stride, const double* g_sum,
                 Index k, const KlCdControl& control, T* v);

/// The same for a sparse row: its stored values x at the entries idx (count of them), G's row t
/// at g + t·g_stride covering every entry; G's entries at idx are gathered into `gathered`
/// (k × count scratch) first.
template <typename T>
double kl_cd_sparse_row(const T* x, const std::int32_t* idx, Index count, T* f, const T* g,
                        Index g_stride, const double* g_sum, Index k, const KlCdControl& control,
                        T* v, T* gathered);

/// The divergence's constant part over `count` values of X, once per fit: Σ x·log x and Σ x over
/// the values x > 0 (Kullback-Leibler), or Σ log x over the values x > ε (Itakura-Saito; `mass`
/// then 0). The logarithm is log_positive (within 1 ulp of std::log, and it vectorises); a value
/// below the smallest normal double is scaled up first. Summed in 8 fixed lanes (value i in lane
/// i mod 8), added in lane order.
struct LogSums {
  double logs = 0, mass = 0;
  LogSums& operator+=(const LogSums& o) {
    logs += o.logs, mass += o.mass;
    return *this;
  }
};
template <typename T>
LogSums log_sums(const T* x, std::size_t count, bool itakura_saito, double epsilon);

}  // namespace nmfkit::kernels
