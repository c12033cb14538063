// ANLS by block principal pivoting (Kim & Park 2011, after Portugal, Júdice & Vicente 1994): each
// half-iteration solves every row's non-negative least-squares problem
//     min_{f ≥ 0} ½ fᵀG'f − q'ᵀf,   G' = G + l2·I,  q' = p − l1,
// exactly (to rounding), i.e. finds the f with f ≥ 0, y = G'f − q' ≥ 0 and f·y = 0.
//
// A row keeps a partition of its coordinates into a passive set P (f_P solves G'_PP f_P = q'_P) and
// an active set (f = 0 there, y computed). Each step exchanges the infeasible coordinates (f_j < 0
// in P, y_j < 0 outside it): all of them while their number keeps falling, or for up to three
// steps after it stopped falling, then only the one with the largest index (Murty's backup rule,
// which cannot cycle). A row starts from the passive set of its input (its non-zero coordinates),
// which the previous half-iteration usually left almost right.
//
// The steps' linear systems are solved in double, one of two ways. Where G' is safely positive
// definite (every Cholesky pivot at least kInversePivotTol of its diagonal) through G'⁻¹, formed
// once per half-iteration: a step with the coordinates of A held at zero then needs only the
// Cholesky factor of the |A| × |A| matrix (G'⁻¹)_AA (pivot_by_inverse), and the rows of a factor
// of real data are mostly positive, so A is small; the accepted answer is refined once against
// G' itself (in single precision only where G' is ill-conditioned enough for it to matter).
// Otherwise, and for any row the first way cannot finish, by a Cholesky factorization of G'_PP
// for each passive set P (pivot_by_factors): Kim & Park share one factorization among the rows
// with the same passive set; here each thread keeps a cache of the factorizations it has made (a
// factorization is a function of G' and the set only, so the cache changes the speed, never the
// bytes). Determinism: every row is solved on its own, from its own input, so its result does not
// depend on the thread count.
//
// Degenerate input: a coordinate whose diagonal G'_jj is zero (or negligible next to the largest,
// e.g. a component that is entirely zero on the other side) takes no part: it is left as it is,
// as hals and cd leave it, and the rest is solved given it. A passive coordinate that depends
// numerically on the others (a pivot below kPivotTol of its diagonal) sits out that step in the
// active set. If such a coordinate keeps asking to come back, or the step cap is reached (rounding
// can make a near-singular problem cycle), the row falls back to coordinate descent from the
// better of its input and the last iterate clipped at 0, which never raises the objective.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/dense.hpp"
#include "kernels/parallel_errors.hpp"
#include "kernels/per_thread.hpp"
#include "solvers/coordinate_descent_row.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

/// A pivot of the Cholesky factorization below this fraction of its diagonal marks a numerically
/// dependent column.
constexpr double kPivotTol = 1e-10;
/// The steps go through G⁻¹ (pivot_by_inverse) when every pivot of G's Cholesky factorization is
/// at least this fraction of its diagonal (the reciprocal bounds how much G⁻¹'s rounding grows).
constexpr double kInversePivotTol = 1e-6;
/// In single precision pivot_by_inverse refines its answer only when a pivot of G's Cholesky
/// factorization is below this fraction of its diagonal.
constexpr double kRefineBelow = 1e-3;
/// y_j counts as negative below −kDualTol × (|q_j| + Σ_l |G_jl·f_l|), the scale of its rounding.
constexpr double kDualTol = 1e-12;
/// A diagonal at most this fraction of the largest one is treated as zero.
constexpr double kNegligibleDiagonal = 1e-30;
/// Rows whose right-hand sides are multiplied by G⁻¹ in one product.
constexpr Index kRowBlock = 64;
/// Steps of full exchange allowed without a fall in the number of infeasible coordinates.
constexpr int kFullExchangeGrace = 3;
/// A row gets at most kMaxStepsPerCoordinate·k + kMaxStepsExtra pivoting steps.
constexpr int kMaxStepsPerCoordinate = 5;
constexpr int kMaxStepsExtra = 20;
/// Steps on which a numerically dependent coordinate still asks to enter before giving up.
constexpr int kMaxStalls = 3;
/// The fallback's coordinate descent: at most this many sweeps, stopping once a sweep moves the
/// row by less than kFallbackStop times the first sweep's move.
constexpr int kFallbackSweeps = 500;
constexpr double kFallbackStop = 1e-10;

/// The Cholesky factors of G_PP for the passive sets P one thread has met, keyed by P as a bit
/// mask in an open-addressed table. A factor is L (lower triangular, r × r) of G_SS for the
/// coordinates S = idx (ascending) of P whose columns do not depend numerically on the earlier
/// ones, stored row after row (row m holds m + 1 entries, its diagonal last, kept as 1 / L_mm) in
/// one array for all factors, so a lookup neither allocates nor chases pointers.
class FactorCache {
 public:
  /// A factor as the solves read it: r kept coordinates, their indices, and L packed by rows.
  struct View {
    Index r;
    const std::int32_t* idx;
    const double* l;
  };

  explicit FactorCache(Index k)
      : k_(k), words_(static_cast<std::size_t>((k + 63) / 64)), key_(words_), row_(k) {
    reset(kInitialSlots);
  }

  /// The factor of G_PP (g is k × k, passive[j] marks P).
  View get(const double* g, const char* passive) {
    std::fill(key_.begin(), key_.end(), 0);
    for (Index j = 0; j < k_; ++j)
      if (passive[j]) key_[static_cast<std::size_t>(j / 64)] |= std::uint64_t{1} << (j % 64);
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::uint64_t w : key_) h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
    const std::size_t mask = slots_.size() - 1;
    std::size_t s = static_cast<std::size_t>(h) & mask;
    for (;; s = (s + 1) & mask) {
      const Slot& slot = slots_[s];
      if (slot.r < 0) break;
      if (std::equal(key_.begin(), key_.end(), keys_.begin() + std::ptrdiff_t(s * words_)))
        return view(slot);
    }
    // Not met yet: make room if needed (emptying the table), then factorize into the arrays.
    const std::size_t need = static_cast<std::size_t>(k_ * (k_ + 1) / 2);
    if (values_.size() + need > kBudget || 2 * (used_ + 1) > slots_.size()) {
      reset(used_ + 1 > slots_.size() / 4 && slots_.size() < kMaxSlots ? 2 * slots_.size()
                                                                       : slots_.size());
      s = static_cast<std::size_t>(h) & (slots_.size() - 1);
      while (slots_[s].r >= 0) s = (s + 1) & (slots_.size() - 1);
    }
    Slot& slot = slots_[s];
    std::copy(key_.begin(), key_.end(), keys_.begin() + std::ptrdiff_t(s * words_));
    slot.values = values_.size();
    slot.idx = idx_.size();
    slot.r = factorize(g, passive);
    ++used_;
    return view(slot);
  }

 private:
  struct Slot {
    std::size_t values = 0, idx = 0;
    Index r = -1;  ///< −1: empty
  };
  static constexpr std::size_t kInitialSlots = 1024;
  static constexpr std::size_t kMaxSlots = std::size_t{1} << 16;
  /// Most doubles of factors one thread keeps before the table is emptied.
  static constexpr std::size_t kBudget = std::size_t{1} << 20;

  View view(const Slot& slot) const {
    return {slot.r, idx_.data() + slot.idx, values_.data() + slot.values};
  }

  void reset(std::size_t slots) {
    slots_.assign(slots, Slot{});
    keys_.assign(slots * words_, 0);
    values_.clear();
    idx_.clear();
    used_ = 0;
  }

  /// Appends the factor of G_PP to values_ and idx_ and returns its size r. Row by row
  /// (Cholesky–Banachiewicz) in index order; a coordinate whose pivot falls below kPivotTol of its
  /// diagonal depends numerically on those kept before it and is left out.
  Index factorize(const double* g, const char* passive) {
    const std::size_t base = values_.size(), idx_base = idx_.size();
    Index r = 0;
    for (Index j = 0; j < k_; ++j) {
      if (!passive[j]) continue;
      const double* gj = g + j * k_;
      double* lr = row_.data();
      double d = gj[j];
      for (Index m = 0; m < r; ++m) {
        const double* lm = values_.data() + base + std::size_t(m * (m + 1) / 2);
        double acc = gj[idx_[idx_base + std::size_t(m)]];
        for (Index t = 0; t < m; ++t) acc -= lr[t] * lm[t];
        lr[m] = acc * lm[m];  // lm[m] is 1 / L_mm
        d -= lr[m] * lr[m];
      }
      if (!(d > kPivotTol * gj[j])) continue;  // dependent on the coordinates already kept
      values_.insert(values_.end(), lr, lr + r);
      values_.push_back(1.0 / std::sqrt(d));
      idx_.push_back(static_cast<std::int32_t>(j));
      ++r;
    }
    return r;
  }

  Index k_;
  std::size_t words_;
  std::vector<std::uint64_t> key_;
  std::vector<double> row_;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> keys_;
  std::vector<double> values_;
  std::vector<std::int32_t> idx_;
  std::size_t used_ = 0;
};

/// Solves G_SS·z = q_S for the factor's coordinates S; z has one entry per kept coordinate.
void solve(const FactorCache::View& f, const double* q, double* z) {
  const Index r = f.r;
  for (Index m = 0; m < r; ++m) {  // L·u = q_S
    const double* lm = f.l + m * (m + 1) / 2;
    double acc = q[f.idx[m]];
    for (Index t = 0; t < m; ++t) acc -= lm[t] * z[t];
    z[m] = acc * lm[m];
  }
  for (Index m = r - 1; m >= 0; --m) {  // Lᵀ·z = u, column by column of Lᵀ (rows of L)
    const double* lm = f.l + m * (m + 1) / 2;
    const double zm = z[m] * lm[m];
    z[m] = zm;
    for (Index t = 0; t < m; ++t) z[t] -= lm[t] * zm;
  }
}

/// Per-thread scratch space for one row.
struct Workspace {
  std::vector<double> q, x, z, start, s, e, dx, dy;
  std::vector<double> qb, ub;  ///< a block's right-hand sides and G⁻¹ times them, by rows
  std::vector<Index> active, passive_list;
  std::vector<char> passive, requested, infeasible;
  FactorCache cache;
  LaneScratch<double> cd;
  /// For k free coordinates.
  explicit Workspace(Index k)
      : q(static_cast<std::size_t>(k)),
        x(static_cast<std::size_t>(k)),
        z(static_cast<std::size_t>(k)),
        start(static_cast<std::size_t>(k)),
        s(static_cast<std::size_t>(k * k)),
        e(static_cast<std::size_t>(k)),
        dx(static_cast<std::size_t>(k)),
        dy(static_cast<std::size_t>(k)),
        qb(static_cast<std::size_t>(kRowBlock * k)),
        ub(static_cast<std::size_t>(kRowBlock * k)),
        active(static_cast<std::size_t>(k)),
        passive_list(static_cast<std::size_t>(k)),
        passive(static_cast<std::size_t>(k)),
        requested(static_cast<std::size_t>(k)),
        infeasible(static_cast<std::size_t>(k)),
        cache(k),
        cd(k) {}
};

/// What one step of the pivoting found for the passive set it was given.
struct StepResult {
  Index count = 0;       ///< infeasible coordinates
  Index last = -1;       ///< the largest infeasible index
  bool stalled = false;  ///< a coordinate left out as dependent is infeasible
  bool failed = false;   ///< the step's arithmetic broke down (rounding): give up
};

/// Block principal pivoting on min_{x ≥ 0} ½ xᵀGx − qᵀx, started from the passive set
/// {j : x_j > 0}. `step(passive)` solves the problem with the coordinates outside `passive` held
/// at zero: it sets ws.x (zero outside the passive set), may leave numerically dependent
/// coordinates out of `passive`, and marks the infeasible coordinates in ws.infeasible (x_j < 0
/// in the passive set, y_j = (Gx − q)_j < 0 outside it). On success x holds the solution.
/// Returns false, with x the last iterate (which may have negative entries), if the steps ran out
/// or a numerically dependent coordinate kept asking to enter the passive set.
template <typename Step>
bool pivot(Index k, Workspace& ws, Step&& step) {
  char* passive = ws.passive.data();
  const char* infeasible = ws.infeasible.data();
  for (Index j = 0; j < k; ++j) passive[j] = ws.x[static_cast<std::size_t>(j)] > 0;
  const int max_steps = static_cast<int>(kMaxStepsPerCoordinate * k + kMaxStepsExtra);
  Index fewest = k + 1;  // fewest infeasible coordinates seen
  int grace = kFullExchangeGrace;
  int stalls = 0;  // steps on which a coordinate left out as dependent was infeasible
  for (int n = 0; n < max_steps; ++n) {
    const StepResult r = step(passive);
    if (r.failed) return false;
    if (r.count == 0) return true;
    if (r.stalled && ++stalls > kMaxStalls) break;
    if (r.count < fewest) {
      fewest = r.count;
      grace = kFullExchangeGrace;
    } else if (grace > 0) {
      --grace;
    } else {  // backup rule: exchange only the largest infeasible index
      passive[r.last] = !passive[r.last];
      continue;
    }
    for (Index j = 0; j < k; ++j) passive[j] ^= infeasible[j];
  }
  return false;
}

/// Whether y_j = (Gx − q)_j is negative beyond its rounding, kDualTol × (|q_j| + Σ_l |G_jl·x_l|).
bool dual_negative(double y, const double* gj, double qj, const double* x, Index k) {
  if (!(y < 0)) return false;
  double scale = std::abs(qj);
  for (Index l = 0; l < k; ++l) scale += std::abs(gj[l] * x[l]);
  return y < -kDualTol * scale;
}

/// Block principal pivoting whose steps factorize G_PP for each passive set P (cached by set).
/// Serves any G with a positive diagonal, also a singular one (dependent coordinates sit out).
bool pivot_by_factors(const double* g, const double* q, Index k, Workspace& ws) {
  double* x = ws.x.data();
  double* z = ws.z.data();
  char* requested = ws.requested.data();
  char* infeasible = ws.infeasible.data();
  return pivot(k, ws, [&](char* passive) {
    const FactorCache::View f = ws.cache.get(g, passive);
    solve(f, q, z);
    std::copy(passive, passive + k, requested);
    std::fill(passive, passive + k, 0);
    std::fill(x, x + k, 0.0);
    for (Index m = 0; m < f.r; ++m) {
      passive[f.idx[m]] = 1;
      x[f.idx[m]] = z[m];
    }
    StepResult r;
    for (Index j = 0; j < k; ++j) {
      bool bad;
      if (passive[j]) {
        bad = x[j] < 0;
      } else {
        const double* gj = g + j * k;
        double y = -q[j];
        for (Index m = 0; m < f.r; ++m) y += gj[f.idx[m]] * z[m];
        bad = dual_negative(y, gj, q[j], x, k);
        r.stalled = r.stalled || (bad && requested[j]);
      }
      infeasible[j] = bad;
      if (bad) {
        ++r.count;
        r.last = j;
      }
    }
    return r;
  });
}

/// v = M·w for a k × k row-major M.
void times(const double* m, const double* w, double* v, Index k) {
  for (Index j = 0; j < k; ++j) {
    const double* mj = m + j * k;
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (Index l = 0; l < k; ++l) acc += mj[l] * w[l];
    v[j] = acc;
  }
}

/// Solves L·Lᵀ·z = sign·b_I for the factor lower_factor made (n × n by rows, the diagonal kept as
/// 1 / L_cc) of M_II, I = idx[0..n).
void solve_factored(const double* l, Index n, const Index* idx, const double* b, double sign,
                    double* z) {
  for (Index c = 0; c < n; ++c) {
    const double* lc = l + c * n;
    double acc = sign * b[idx[c]];
    for (Index m = 0; m < c; ++m) acc -= lc[m] * z[m];
    z[c] = acc * lc[c];
  }
  for (Index c = n - 1; c >= 0; --c) {
    const double* lc = l + c * n;
    const double zc = z[c] * lc[c];
    z[c] = zc;
    for (Index m = 0; m < c; ++m) z[m] -= lc[m] * zc;
  }
}

/// Given u = G⁻¹b and S = (G⁻¹)_AA = LLᵀ (`l`, a × a, rows with the diagonal kept as 1 / L_cc),
/// the solution of G·x = b + E_A·y with x_A = 0: y = −S⁻¹u_A (into y, one entry per coordinate of
/// A) and x = u + (G⁻¹)_{:A}·y (G⁻¹ is symmetric: its rows A serve), exactly 0 on A.
void solve_held(const double* inv, const double* l, const Index* active, Index a, const double* u,
                Index k, double* x, double* y) {
  solve_factored(l, a, active, u, -1.0, y);
  std::copy(u, u + k, x);
  for (Index c = 0; c < a; ++c) {
    const double* ic = inv + active[c] * k;
    const double yc = y[c];
#pragma omp simd
    for (Index l2 = 0; l2 < k; ++l2) x[l2] += ic[l2] * yc;
  }
  for (Index c = 0; c < a; ++c) x[active[c]] = 0;
}

/// The Cholesky factor L of M_II (M is k × k, I = idx[0..n)) into l (n × n by rows, the
/// diagonal kept as 1 / L_cc). False if a pivot L_cc² is not above tol times its diagonal M_cc.
bool lower_factor(const double* m, Index k, const Index* idx, Index n, double tol, double* l) {
  for (Index c = 0; c < n; ++c) {
    const double* mc = m + idx[c] * k;
    double* lc = l + c * n;
    for (Index t = 0; t <= c; ++t) {
      double acc = mc[idx[t]];
      const double* lt = l + t * n;
      for (Index s = 0; s < t; ++s) acc -= lc[s] * lt[s];
      if (t < c) {
        lc[t] = acc * lt[t];
      } else if (acc > tol * mc[idx[c]] && acc > 0) {
        lc[t] = 1.0 / std::sqrt(acc);
      } else {
        return false;
      }
    }
  }
  return true;
}

/// Block principal pivoting whose steps go through G⁻¹ (`inv`, for a G safely positive definite);
/// u = G⁻¹q is given.
/// With A the coordinates held at zero and P the others, the step's problem G·x − q = y, y_P = 0,
/// x_A = 0 has x = u + (G⁻¹)_{:A}·y_A, y_A = −S⁻¹u_A, for u = G⁻¹q and S = (G⁻¹)_AA, and y_A is
/// the gradient there. A step factorizes the smaller of S (|A| × |A|) and G_PP (|P| × |P|, then
/// x_P = G_PP⁻¹q_P and y_A = G_AP·x_P − q_A as usual): the rows of W are mostly positive (A
/// small), those of Hᵀ at large k mostly zero (P small). There is no cache (one keyed by A
/// measured slower: few rows share an A). With `refine`, the S step that finds no infeasible
/// coordinate refines its answer once (the residual of G·x = q + E_A·y solved the same way) and
/// checks again, which takes the rounding of G⁻¹ out of the result.
bool pivot_by_inverse(const double* g, const double* inv, const double* q, const double* u, Index k,
                      bool refine, Workspace& ws) {
  double* x = ws.x.data();
  double* y = ws.z.data();
  double* e = ws.e.data();
  double* dx = ws.dx.data();
  double* dy = ws.dy.data();
  double* sa = ws.s.data();
  Index* active = ws.active.data();
  Index* plist = ws.passive_list.data();
  char* infeasible = ws.infeasible.data();
  return pivot(k, ws, [&](char* passive) {
    StepResult r;
    Index a = 0, np = 0;
    for (Index j = 0; j < k; ++j) {  // without branches: the sets follow no pattern
      const Index in = passive[j] != 0;
      plist[np] = j;
      active[a] = j;
      np += in;
      a += 1 - in;
    }
    const bool direct = np < a;  // G_PP is the smaller system
    if (!lower_factor(direct ? g : inv, k, direct ? plist : active, direct ? np : a,
                      direct ? kPivotTol : 0.0, sa)) {
      r.failed = true;  // direct: a dependent coordinate (pivot_by_factors drops it)
      return r;
    }
    if (direct) {  // x_P = G_PP⁻¹q_P, y_A = G_AP·x_P − q_A
      solve_factored(sa, np, plist, q, 1.0, dy);
      std::fill(x, x + k, 0.0);
      for (Index m = 0; m < np; ++m) x[plist[m]] = dy[m];
      for (Index c = 0; c < a; ++c) {
        const double* gc = g + active[c] * k;
        double acc = -q[active[c]];
        for (Index m = 0; m < np; ++m) acc += gc[plist[m]] * dy[m];
        y[c] = acc;
      }
    } else {
      solve_held(inv, sa, active, a, u, k, x, y);
    }
    const auto mark = [&] {
      r.count = 0;
      r.last = -1;
      for (Index m = 0; m < np; ++m) {
        const Index j = plist[m];
        const bool bad = x[j] < 0;
        infeasible[j] = bad;
        r.count += bad;
        r.last = bad ? std::max(r.last, j) : r.last;
      }
      for (Index c = 0; c < a; ++c) {
        const Index j = active[c];
        const bool bad = dual_negative(y[c], g + j * k, q[j], x, k);
        infeasible[j] = bad;
        r.count += bad;
        r.last = bad ? std::max(r.last, j) : r.last;
      }
    };
    mark();
    if (r.count == 0 && refine && !direct) {
      times(g, x, e, k);
      for (Index j = 0; j < k; ++j) e[j] = q[j] - e[j];
      for (Index c = 0; c < a; ++c) e[active[c]] += y[c];
      times(inv, e, dy, k);  // G⁻¹·e, then the correction
      std::copy(dy, dy + k, e);
      solve_held(inv, sa, active, a, e, k, dx, dy);
      for (Index j = 0; j < k; ++j) x[j] += dx[j];
      for (Index c = 0; c < a; ++c) y[c] += dy[c];
      mark();
    }
    return r;
  });
}

/// G⁻¹ for pivot_by_inverse.
struct Inverse {
  std::vector<double> values;  ///< G⁻¹, k × k row-major; empty: G singular or ill-conditioned
  double smallest_pivot = 0;   ///< the smallest of L_jj² / G_jj in G's Cholesky factorization
};

/// G⁻¹ when G's Cholesky pivots all stay above kInversePivotTol of their diagonals.
Inverse safe_inverse(const double* g, Index k) {
  Inverse out;
  out.smallest_pivot = 1;
  std::vector<double> l(static_cast<std::size_t>(k * k), 0.0), inv(l.size(), 0.0);
  for (Index j = 0; j < k; ++j) {
    for (Index m = 0; m <= j; ++m) {
      double acc = g[j * k + m];
      for (Index t = 0; t < m; ++t) acc -= l[j * k + t] * l[m * k + t];
      if (m < j) {
        l[j * k + m] = acc / l[m * k + m];
      } else {
        if (!(acc > kInversePivotTol * g[j * k + j])) return {};
        out.smallest_pivot = std::min(out.smallest_pivot, acc / g[j * k + j]);
        l[j * k + j] = std::sqrt(acc);
      }
    }
  }
  // G⁻¹ = L⁻ᵀL⁻¹, column by column: solve L·v = e_c, then Lᵀ·w = v.
  std::vector<double> v(static_cast<std::size_t>(k));
  for (Index c = 0; c < k; ++c) {
    for (Index j = 0; j < k; ++j) {
      double acc = j == c ? 1.0 : 0.0;
      for (Index t = 0; t < j; ++t) acc -= l[j * k + t] * v[t];
      v[j] = acc / l[j * k + j];
    }
    for (Index j = k - 1; j >= 0; --j) {
      double acc = v[j];
      for (Index t = j + 1; t < k; ++t) acc -= l[t * k + j] * v[t];
      v[j] = acc / l[j * k + j];
    }
    for (Index j = 0; j < k; ++j) inv[j * k + c] = v[j];
  }
  for (Index j = 0; j < k; ++j)  // exactly symmetric
    for (Index c = 0; c < j; ++c) inv[j * k + c] = inv[c * k + j];
  out.values = std::move(inv);
  return out;
}

/// ½ xᵀGx − qᵀx.
double objective(const double* g, const double* q, const double* x, Index k) {
  double v = 0;
  for (Index j = 0; j < k; ++j) {
    double gx = 0;
    for (Index l = 0; l < k; ++l) gx += g[j * k + l] * x[l];
    v += x[j] * (0.5 * gx - q[j]);
  }
  return v;
}

template <typename T>
class AnlsBpp final : public UpdateRule<T> {
 public:
  double update(Matrix<T>& f, const Matrix<T>& p, const Matrix<double>& g, const Penalty& penalty,
                int threads) override {
    const Index k = f.cols;
    const Matrix<double> gp = penalised_gram(g, penalty.l2);
    // The coordinates that take part (`free`, with a usable diagonal) and their Gram matrix.
    double largest = 0;
    for (Index j = 0; j < k; ++j) largest = std::max(largest, gp(j, j));
    std::vector<Index> free, fixed;
    for (Index j = 0; j < k; ++j)
      (gp(j, j) > kNegligibleDiagonal * largest ? free : fixed).push_back(j);
    const Index kf = static_cast<Index>(free.size());
    Matrix<double> gf(kf, kf);
    for (Index a = 0; a < kf; ++a)
      for (Index b = 0; b < kf; ++b) gf(a, b) = gp(free[a], free[b]);
    const Inverse inverse = safe_inverse(gf.data(), kf);
    const std::vector<double>& inv = inverse.values;
    // In single precision the refinement changes nothing unless G⁻¹'s rounding, which grows
    // with G's condition, approaches float's.
    const bool refine = std::is_same_v<T, double> || inverse.smallest_pivot < kRefineBelow;
    SweepControl fallback;
    fallback.max_sweeps = kFallbackSweeps;
    fallback.stop_ratio2 = kFallbackStop * kFallbackStop;

    // Each thread's workspace is made before the region; its factorization cache still allocates
    // inside, so each block of rows runs through `errors`.
    kernels::PerThread<Workspace> workspaces(threads, kf);
    kernels::ParallelErrors errors;
    const Index blocks = (f.rows + kRowBlock - 1) / kRowBlock;
#pragma omp parallel num_threads(threads)
    {
      Workspace& ws = workspaces.mine();
#pragma omp for schedule(static)
      for (Index b = 0; b < blocks; ++b) {
        errors.run([&] {
          const Index first = b * kRowBlock, rows = std::min(kRowBlock, f.rows - first);
          if (kf == 0) return;
          // Each row's problem in the free coordinates, given the fixed ones, and u = G⁻¹q for
          // the block's rows in one product.
          double* qb = ws.qb.data();
          double* ub = ws.ub.data();
          for (Index r = 0; r < rows; ++r) {
            const T* fi = f.row(first + r);
            const T* pi = p.row(first + r);
            for (Index a = 0; a < kf; ++a) {
              const Index j = free[a];
              double q = double(pi[j]) - penalty.l1;
              for (Index l : fixed) q -= gp(j, l) * double(fi[l]);
              qb[r * kf + a] = q;
            }
          }
          if (!inv.empty()) kernels::small_product(qb, rows, kf, inv.data(), kf, ub);
          for (Index r = 0; r < rows; ++r) {
            T* fi = f.row(first + r);
            const double* q = qb + r * kf;
            for (Index a = 0; a < kf; ++a) ws.x[a] = double(fi[free[a]]);
            bool solved = !inv.empty() &&
                          pivot_by_inverse(gf.data(), inv.data(), q, ub + r * kf, kf, refine, ws);
            if (!solved) {  // singular or ill-conditioned G, or the steps ran out: by factors
              for (Index a = 0; a < kf; ++a) ws.x[a] = double(fi[free[a]]);
              solved = pivot_by_factors(gf.data(), q, kf, ws);
            }
            if (!solved) {
              // Coordinate descent from the better of the input and the clipped last iterate: it
              // never raises the objective from there.
              for (Index a = 0; a < kf; ++a) {
                ws.x[a] = std::max(0.0, ws.x[a]);
                ws.start[a] = std::max(0.0, double(fi[free[a]]));
              }
              if (objective(gf.data(), q, ws.start.data(), kf) <
                  objective(gf.data(), q, ws.x.data(), kf))
                ws.x = ws.start;
              std::copy(q, q + kf, ws.q.begin());
              double unused_violation;
              coordinate_descent_lanes(ws.x.data(), ws.q.data(), 1, 0.0, gf.data(), kf, fallback,
                                       ws.cd, &unused_violation);
            }
            for (Index a = 0; a < kf; ++a) fi[free[a]] = static_cast<T>(ws.x[a]);
          }
        });
      }
    }
    errors.rethrow();
    return 0;  // the stopping rule is the error's (stop_rule()): no violation measure is formed
  }
};

}  // namespace

template <typename T>
std::unique_ptr<UpdateRule<T>> make_anls_bpp(const FitOptions&) {
  return std::make_unique<AnlsBpp<T>>();
}

template std::unique_ptr<UpdateRule<float>> make_anls_bpp<float>(const FitOptions&);
template std::unique_ptr<UpdateRule<double>> make_anls_bpp<double>(const FitOptions&);

}  // namespace nmfkit::rules
