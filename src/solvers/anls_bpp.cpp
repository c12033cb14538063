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
// The passive subsystems are solved by a Cholesky factorization of G'_PP in double (Eigen).
// Determinism: every row is solved on its own, from its own input, with one vector solve, so its
// result does not depend on the thread count. Kim & Park share one factorization among the rows
// with the same passive set; here each thread keeps a cache of the factorizations it has made (a
// factorization is a function of G' and the set only, so the cache changes the speed, never the
// bytes).
//
// Degenerate input: a coordinate whose diagonal G'_jj is zero (or negligible next to the largest,
// e.g. a component that is entirely zero on the other side) takes no part: it is left as it is,
// as hals and cd leave it, and the rest is solved given it. A passive coordinate that depends
// numerically on the others (a pivot below kPivotTol of its diagonal) sits out that step in the
// active set. If such a coordinate keeps asking to come back, or the step cap is reached (rounding
// can make a near-singular problem cycle), the row falls back to coordinate descent from the
// better of its input and the last iterate clipped at 0, which never raises the objective.
#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "kernels/parallel_errors.hpp"
#include "kernels/per_thread.hpp"
#include "solvers/coordinate_descent_row.hpp"
#include "solvers/update_rule.hpp"

namespace nmfkit::rules {

namespace {

/// A pivot of the Cholesky factorization below this fraction of its diagonal marks a numerically
/// dependent column.
constexpr double kPivotTol = 1e-10;
/// y_j counts as negative below −kDualTol × (|q_j| + Σ_l |G_jl·f_l|), the scale of its rounding.
constexpr double kDualTol = 1e-12;
/// A diagonal at most this fraction of the largest one is treated as zero.
constexpr double kNegligibleDiagonal = 1e-30;
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
/// Most doubles one thread's factorization cache holds before it is emptied.
constexpr std::size_t kCacheBudget = std::size_t{1} << 20;

/// The Cholesky factor L (lower triangular, r × r) of G_SS for the coordinates S = idx, ascending.
/// Coordinates of the requested passive set whose column depends numerically on the earlier ones
/// are left out of idx.
struct Factor {
  std::vector<Index> idx;
  Eigen::MatrixXd l;
};

/// Factorizes G_PP (g is k × k, passive[j] marks P). Eigen's LLᵀ serves when every pivot is at
/// least kPivotTol of its diagonal; otherwise a column-by-column LLᵀ in index order leaves out each
/// coordinate whose pivot falls below that.
void factorize(const double* g, Index k, const char* passive, Factor& out) {
  out.idx.clear();
  for (Index j = 0; j < k; ++j)
    if (passive[j]) out.idx.push_back(j);
  const Index n = static_cast<Index>(out.idx.size());
  const std::vector<Index>& idx = out.idx;
  Eigen::MatrixXd& a = out.l;
  a.resize(n, n);
  for (Index c = 0; c < n; ++c)
    for (Index r = 0; r < n; ++r) a(r, c) = g[idx[r] * k + idx[c]];
  {
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Lower> llt(a);  // in place
    bool ok = llt.info() == Eigen::Success;
    for (Index m = 0; ok && m < n; ++m) ok = a(m, m) * a(m, m) > kPivotTol * g[idx[m] * (k + 1)];
    if (ok) return;
  }
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(n, n);
  Index r = 0;  // coordinates kept so far; row r of l is the candidate's
  for (Index t = 0; t < n; ++t) {
    const Index j = idx[t];
    const double* gj = g + j * k;
    double d = gj[j];
    for (Index m = 0; m < r; ++m) {
      double acc = gj[idx[m]];
      for (Index s = 0; s < m; ++s) acc -= l(r, s) * l(m, s);
      l(r, m) = acc / l(m, m);
      d -= l(r, m) * l(r, m);
    }
    if (!(d > kPivotTol * gj[j])) {  // dependent on the coordinates already kept
      l.row(r).setZero();
      continue;
    }
    l(r, r) = std::sqrt(d);
    out.idx[static_cast<std::size_t>(r)] = j;
    ++r;
  }
  out.idx.resize(static_cast<std::size_t>(r));
  out.l = l.topLeftCorner(r, r);
}

/// Solves G_SS·z = q_S for the factor's coordinates S; z has one entry per kept coordinate.
void solve(const Factor& f, const double* q, double* z) {
  const Index r = static_cast<Index>(f.idx.size());
  for (Index m = 0; m < r; ++m) z[m] = q[f.idx[m]];
  Eigen::Map<Eigen::VectorXd> v(z, r);
  const auto lower = f.l.triangularView<Eigen::Lower>();
  lower.solveInPlace(v);
  lower.transpose().solveInPlace(v);
}

/// One thread's factorizations, keyed by the passive set as a bit mask.
class FactorCache {
 public:
  explicit FactorCache(Index k) : key_(static_cast<std::size_t>((k + 63) / 64)) {}

  const Factor& get(const double* g, Index k, const char* passive) {
    std::fill(key_.begin(), key_.end(), 0);
    for (Index j = 0; j < k; ++j)
      if (passive[j]) key_[static_cast<std::size_t>(j / 64)] |= std::uint64_t{1} << (j % 64);
    if (auto it = map_.find(key_); it != map_.end()) return it->second;
    Factor f;
    factorize(g, k, passive, f);
    const std::size_t size = static_cast<std::size_t>(f.l.size()) + f.idx.size() + key_.size() + 8;
    if (stored_ + size > kCacheBudget) {
      map_.clear();
      stored_ = 0;
    }
    stored_ += size;
    return map_.emplace(key_, std::move(f)).first->second;
  }

 private:
  struct Hash {
    std::size_t operator()(const std::vector<std::uint64_t>& key) const {
      std::uint64_t h = 0x9e3779b97f4a7c15ULL;
      for (std::uint64_t w : key) {
        h ^= w + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xbf58476d1ce4e5b9ULL;
      }
      return static_cast<std::size_t>(h ^ (h >> 31));
    }
  };
  std::vector<std::uint64_t> key_;
  std::unordered_map<std::vector<std::uint64_t>, Factor, Hash> map_;
  std::size_t stored_ = 0;
};

/// Per-thread scratch space for one row.
struct Workspace {
  std::vector<double> q, x, z, start;
  std::vector<char> passive, requested, infeasible;
  FactorCache cache;
  LaneScratch<double> cd;
  explicit Workspace(Index k)
      : q(static_cast<std::size_t>(k)),
        x(static_cast<std::size_t>(k)),
        z(static_cast<std::size_t>(k)),
        start(static_cast<std::size_t>(k)),
        passive(static_cast<std::size_t>(k)),
        requested(static_cast<std::size_t>(k)),
        infeasible(static_cast<std::size_t>(k)),
        cache(k),
        cd(k) {}
};

/// Block principal pivoting on min_{x ≥ 0} ½ xᵀGx − qᵀx (g is k × k, positive diagonal), started
/// from the passive set {j : x_j > 0}. On success x holds the solution. Returns false, with x the
/// last iterate (which may have negative entries), if the steps ran out or a numerically dependent
/// coordinate kept asking to enter the passive set.
bool block_principal_pivoting(const double* g, const double* q, Index k, Workspace& ws) {
  double* x = ws.x.data();
  double* z = ws.z.data();
  char* passive = ws.passive.data();
  char* requested = ws.requested.data();
  char* infeasible = ws.infeasible.data();
  for (Index j = 0; j < k; ++j) passive[j] = x[j] > 0;
  const int max_steps = static_cast<int>(kMaxStepsPerCoordinate * k + kMaxStepsExtra);
  Index fewest = k + 1;  // fewest infeasible coordinates seen
  int grace = kFullExchangeGrace;
  int stalls = 0;  // steps on which a coordinate left out as dependent was infeasible
  for (int step = 0; step < max_steps; ++step) {
    const Factor& f = ws.cache.get(g, k, passive);
    solve(f, q, z);
    const Index r = static_cast<Index>(f.idx.size());
    std::copy(passive, passive + k, requested);
    std::fill(passive, passive + k, 0);
    std::fill(x, x + k, 0.0);
    for (Index m = 0; m < r; ++m) {
      passive[f.idx[m]] = 1;
      x[f.idx[m]] = z[m];
    }
    Index count = 0, last = -1;
    bool stalled = false;
    for (Index j = 0; j < k; ++j) {
      bool bad;
      if (passive[j]) {
        bad = x[j] < 0;
      } else {
        const double* gj = g + j * k;
        double y = -q[j], scale = std::abs(q[j]);
        for (Index m = 0; m < r; ++m) {
          const double t = gj[f.idx[m]] * z[m];
          y += t;
          scale += std::abs(t);
        }
        bad = y < -kDualTol * scale;
        stalled = stalled || (bad && requested[j]);
      }
      infeasible[j] = bad;
      if (bad) {
        ++count;
        last = j;
      }
    }
    if (count == 0) return true;
    if (stalled && ++stalls > kMaxStalls) break;
    if (count < fewest) {
      fewest = count;
      grace = kFullExchangeGrace;
    } else if (grace > 0) {
      --grace;
    } else {  // backup rule: exchange only the largest infeasible index
      passive[last] = !passive[last];
      continue;
    }
    for (Index j = 0; j < k; ++j)
      if (infeasible[j]) passive[j] = !passive[j];
  }
  return false;
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
    SweepControl fallback;
    fallback.max_sweeps = kFallbackSweeps;
    fallback.stop_ratio2 = kFallbackStop * kFallbackStop;

    std::vector<double> violations(static_cast<std::size_t>(f.rows));
    // Each thread's workspace is made before the region; its factorization cache still allocates
    // inside (and Eigen may throw), so each row runs through `errors`.
    kernels::PerThread<Workspace> workspaces(threads, kf);
    kernels::ParallelErrors errors;
#pragma omp parallel num_threads(threads)
    {
      Workspace& ws = workspaces.mine();
#pragma omp for schedule(static)
      for (Index i = 0; i < f.rows; ++i) {
        errors.run([&] {
          T* fi = f.row(i);
          const T* pi = p.row(i);
          // Σ|projected gradient| of the input row.
          double violation = 0;
          for (Index j = 0; j < k; ++j) {
            const double* gj = gp.row(j);
            double acc = -(double(pi[j]) - penalty.l1);
            for (Index l = 0; l < k; ++l) acc += gj[l] * double(fi[l]);
            violation += std::abs(fi[j] == 0 ? std::min(0.0, acc) : acc);
          }
          violations[static_cast<std::size_t>(i)] = violation;
          if (kf == 0) return;
          // The problem in the free coordinates, given the fixed ones.
          for (Index a = 0; a < kf; ++a) {
            const Index j = free[a];
            double q = double(pi[j]) - penalty.l1;
            for (Index l : fixed) q -= gp(j, l) * double(fi[l]);
            ws.q[a] = q;
            ws.x[a] = double(fi[j]);
          }
          if (!block_principal_pivoting(gf.data(), ws.q.data(), kf, ws)) {
            // Coordinate descent from the better of the input and the clipped last iterate: it
            // never raises the objective from there.
            for (Index a = 0; a < kf; ++a) {
              ws.x[a] = std::max(0.0, ws.x[a]);
              ws.start[a] = std::max(0.0, double(fi[free[a]]));
            }
            if (objective(gf.data(), ws.q.data(), ws.start.data(), kf) <
                objective(gf.data(), ws.q.data(), ws.x.data(), kf))
              ws.x = ws.start;
            double unused_violation;
            coordinate_descent_lanes(ws.x.data(), ws.q.data(), 1, 0.0, gf.data(), kf, fallback,
                                     ws.cd, &unused_violation);
          }
          for (Index a = 0; a < kf; ++a) fi[free[a]] = static_cast<T>(ws.x[a]);
        });
      }
    }
    errors.rethrow();
    double total = 0;
    for (double v : violations) total += v;
    return total;
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
