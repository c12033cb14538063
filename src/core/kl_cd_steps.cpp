// The iterations of the Kullback-Leibler and Itakura-Saito losses by coordinate descent (solver
// "cd" with β = 1 or 0, kernels/kl_cd.hpp): each half-iteration solves every row of the factor
// being updated by Newton steps on one entry at a time. The rows of W read X's rows, the rows of Hᵀ
// read X's columns, so X is kept twice in the form these passes read best: dense rows and dense
// columns, or compressed rows and compressed columns (format sparse, or auto when at most
// kSparseFraction of X is stored; Itakura-Saito reads every entry, so always dense). The divergence
// comes from the last half-iteration's pass (Σ x·log(W·H) at the final factors), the factors'
// column sums (Σ W·H) and Σ x·log x, formed once, not from a separate pass; for Itakura-Saito from
// the pass's Σ x/(W·H) + log(W·H) and Σ log x, formed once.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/beta.hpp"
#include "core/data.hpp"
#include "core/steps.hpp"
#include "kernels/chunks.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "kernels/fast_log.hpp"
#include "kernels/kl_cd.hpp"
#include "kernels/parallel_errors.hpp"
#include "kernels/per_thread.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

namespace {

using kernels::ParallelErrors;

/// Above this fraction of stored entries X is kept dense.
constexpr double kSparseFraction = 0.4;
/// Dense lines whose v is formed by one product.
constexpr Index kLineBlock = 16;
/// Every this many iterations each entry is visited; in between, those found idle (at 0 and left
/// there by their steps) are passed over.
constexpr int kIdleRecheck = 5;
/// Extrapolation's warm-up (Extrapolation::start): plain iterations until one lowers the
/// divergence by less than this fraction. Measured on the bench's spectrograms, speech, tf-idf
/// and MNIST (docs/solvers.md).
constexpr double kExtrapolationSettle = 0.003;

std::size_t size(Index count) {
  return static_cast<std::size_t>(count);
}

/// One orientation of s·X: `count` rows of `len` entries each, dense (values row-major) or
/// compressed (ptr, idx, values).
template <typename T>
struct Lines {
  Index count = 0, len = 0;
  bool sparse = false;
  std::vector<std::int64_t> ptr;
  /// Written in full once sized; large arrays get pages of their own, marked for huge pages
  /// (kernels::DefaultInit).
  std::vector<std::int32_t, kernels::DefaultInit<std::int32_t>> idx;
  std::vector<T, kernels::DefaultInit<T>> values;
  Index longest = 0;  ///< the most stored entries of one line
};

/// Calls fn(first, count, rows) for X's blocks of block_rows consecutive rows, in parallel, each
/// block by one thread of the team (fn may use the team's per-thread state).
template <typename T, typename Fn>
void for_row_blocks(const nmfkit::Data<T>& x, Index block_rows, int team, Fn&& fn) {
  const Index n = x.rows(), blocks = (n + block_rows - 1) / block_rows;
  kernels::PerThread<std::vector<T>> buffers(team);
  ParallelErrors errors;
#pragma omp parallel num_threads(team)
  {
    std::vector<T>& buffer = buffers.mine();
#pragma omp for schedule(static)
    for (Index b = 0; b < blocks; ++b)
      errors.run([&] {
        const Index r0 = b * block_rows, count = std::min(block_rows, n - r0);
        fn(r0, count, x.row_block(r0, count, buffer));
      });
  }
  errors.rethrow();
}

/// X's rows and columns as the two passes read them, scaled by s, built from the storage's row
/// blocks (so every storage serves). The blocks are counted and dense lines filled in parallel,
/// each block by one thread, into arrays that are not zeroed first and whose fresh pages are
/// huge where the kernel allows (on the spectrogram of bench/datasets.py the zeroing and the page
/// faults of its first touch took most of this). Compressed lines are filled in row order by one
/// thread.
template <typename T>
void build_lines(const nmfkit::Data<T>& x, double s, DataFormat format, int threads, Lines<T>& rows,
                 Lines<T>& cols) {
  const Index n = x.rows(), m = x.cols();
  constexpr Index kBlock = 1024;
  const int team = std::max(1, threads);
  std::int64_t stored = 0;
  std::vector<std::int64_t> col_count(size(m) + 1, 0);
  if (format != DataFormat::kDense) {
    // Each thread counts its blocks' entries per column; integer sums, so the totals do not
    // depend on the thread count.
    kernels::PerThread<std::vector<std::int64_t>> counts(team, size(m), std::int64_t{0});
    for_row_blocks(x, kBlock, team, [&](Index, Index count, const DenseView<T>& v) {
      std::vector<std::int64_t>& mine = counts.mine();
      for (Index i = 0; i < count; ++i) {
        const T* xi = v.row(i);
        for (Index j = 0; j < m; ++j) mine[size(j)] += xi[j] != T(0) ? 1 : 0;
      }
    });
    counts.for_each([&](const std::vector<std::int64_t>& c) {
      for (Index j = 0; j < m; ++j) col_count[size(j) + 1] += c[size(j)];
    });
    for (Index j = 0; j < m; ++j) stored += col_count[size(j) + 1];
  }
  const bool sparse =
      format == DataFormat::kSparse ||
      (format == DataFormat::kAuto && double(stored) <= kSparseFraction * double(n) * double(m));
  rows = Lines<T>{n, m, sparse, {}, {}, {}, m};
  cols = Lines<T>{m, n, sparse, {}, {}, {}, n};
  if (!sparse) {
    rows.values.resize(size(n * m));  // unwritten until the fill below
    cols.values.resize(size(n * m));
    for_row_blocks(x, kBlock, team, [&](Index r0, Index count, const DenseView<T>& v) {
      for (Index i = 0; i < count; ++i) {
        const T* xi = v.row(i);
        T* out = rows.values.data() + (r0 + i) * m;
        for (Index j = 0; j < m; ++j) out[j] = static_cast<T>(double(xi[j]) * s);
      }
      // The columns in tiles of 16 rows: each column's 16 entries are one cache line.
      constexpr Index kTile = 16;
      for (Index i0 = 0; i0 < count; i0 += kTile) {
        const Index tile = std::min(kTile, count - i0);
        const T* in = rows.values.data() + (r0 + i0) * m;
        for (Index j = 0; j < m; ++j) {
          T* out = cols.values.data() + j * n + r0 + i0;
          for (Index i = 0; i < tile; ++i) out[i] = in[i * m + j];
        }
      }
    });
    return;
  }
  rows.ptr.assign(size(n) + 1, 0);
  rows.idx.resize(size(stored));
  rows.values.resize(size(stored));
  for (Index j = 0; j < m; ++j) col_count[size(j) + 1] += col_count[size(j)];
  cols.ptr = col_count;
  cols.idx.resize(size(stored));
  cols.values.resize(size(stored));
  rows.longest = cols.longest = 0;
  for (Index j = 0; j < m; ++j)
    cols.longest = std::max<Index>(cols.longest, cols.ptr[size(j) + 1] - cols.ptr[size(j)]);
  std::vector<std::int64_t> col_fill = cols.ptr;
  std::vector<T> buffer;
  std::int64_t e = 0;
  for (Index r0 = 0; r0 < n; r0 += kBlock) {
    const Index count = std::min(kBlock, n - r0);
    const DenseView<T> b = x.row_block(r0, count, buffer);
    for (Index i = 0; i < count; ++i) {
      const Index r = r0 + i;
      const T* xi = b.row(i);
      for (Index j = 0; j < m; ++j) {
        if (xi[j] == T(0)) continue;
        const T v = static_cast<T>(double(xi[j]) * s);
        rows.idx[size(e)] = static_cast<std::int32_t>(j);
        rows.values[size(e)] = v;
        ++e;
        const std::int64_t c = col_fill[size(j)]++;
        cols.idx[size(c)] = static_cast<std::int32_t>(r);
        cols.values[size(c)] = v;
      }
      rows.ptr[size(r) + 1] = e;
      rows.longest = std::max<Index>(rows.longest, e - rows.ptr[size(r)]);
    }
  }
}

/// kernels::log_sums (in the instruction set's kernels) over every line of `lines`, by
/// kernels::sum_over_rows (each chunk of lines in order, the chunks in order: the same bytes for
/// any thread count).
template <typename T>
kernels::LogSums log_sums(const Lines<T>& lines, bool itakura_saito, int threads) {
  return kernels::sum_over_rows<kernels::LogSums>(lines.count, std::max(1, threads), [&](Index r) {
    const std::int64_t b = lines.sparse ? lines.ptr[size(r)] : r * lines.len;
    const std::int64_t e = lines.sparse ? lines.ptr[size(r) + 1] : b + lines.len;
    const T* v = lines.values.data() + b;
    const auto count = static_cast<std::size_t>(e - b);
    return kernels::log_sums(v, count, itakura_saito, kBetaEpsilon);
  });
}

template <typename T>
class KlCdSteps final : public Steps<T> {
 public:
  KlCdSteps(const Scaled<T>& x, const FitOptions& o, const Penalties& p, const Context& ctx,
            bool update_h)
      : x_(x),
        p_(p),
        ctx_(ctx),
        time_(*ctx.timings),
        update_h_(update_h),
        itakura_saito_(o.beta == 0) {
    const std::string rule = "solver cd for the " + loss_name(o.beta) + " loss";
    if (ctx.reducer != nullptr) throw InvalidArgument(rule + " needs every sample in one process");
    if (std::max(x.rows(), x.cols()) > Index{2147483647})
      throw InvalidArgument(rule + " takes at most 2^31-1 rows and columns");
    ScopedTimer timer(time_.init);
    build_lines(x.storage(), x.inverse_scale(), itakura_saito_ ? DataFormat::kDense : o.format,
                ctx.threads, rows_, cols_);
    // The divergence's parts that do not change: Kullback-Leibler's Σ x and Σ x·log x over X's
    // non-zeros; Itakura-Saito's Σ log x over the entries above ε and the count of all entries
    // (core/beta.hpp: each entry's term is x/v − 1 − log x + log v, or −1 where x ≤ ε).
    const kernels::LogSums sums = log_sums(rows_, itakura_saito_, ctx.threads);
    x_log_x_ = sums.logs;
    x_sum_ = itakura_saito_ ? double(rows_.values.size()) : sums.mass;
  }

  double start(Factors<T>& f) override {
    ScopedTimer timer(time_.loss);
    return ctx_.sum(beta_divergence(x_.storage(), x_.inverse_scale(), f.w, f.ht,
                                    itakura_saito_ ? 0.0 : 1.0, ctx_.threads));
  }

  StepResult iterate(Factors<T>& f, int it, Extrapolation<T>* ex) override {
    ScopedTimer timer(time_.updates);
    const bool skip_idle = it % kIdleRecheck != 0;
    // The pass's part of the divergence: Σ x·log v (Kullback-Leibler) or Σ x/v + log v.
    // Extrapolated (FitOptions::extrapolate): W moves on after its update, and H's pass, which
    // gives the divergence, is at that W (the pair Extrapolation::finish judges).
    if (ex != nullptr) ex->save_best_w(f.w);
    double part = half(rows_, f.w, f.ht, p_.w, !update_h_, idle_w_, skip_idle);
    if (ex != nullptr) ex->step_w(f.w);
    if (update_h_) part = half(cols_, f.ht, f.w, p_.h, true, idle_h_, skip_idle);
    if (itakura_saito_) return {part - x_log_x_ - x_sum_, 0.0};
    return {x_log_x_ - part - x_sum_ + product_sum(f.w, f.ht, ctx_.threads), 0.0};
  }

  /// Extrapolation moved the factors or restored the last plain ones. The idle flags stay: an
  /// entry left at 0 by its update stays at 0 when extrapolated, and one that a restart made
  /// positive again is only left as it is until the next full visit (kIdleRecheck).
  void factors_changed(const Factors<T>&) override {}

  /// The divergence's terms are formed from W·H in T: about eps(T) of each entry's x (x/v + log v
  /// for Itakura-Saito, about 1 per entry near a fit).
  double objective_unit(double) const override {
    return std::numeric_limits<T>::epsilon() * x_sum_;
  }
  double extrapolation_settle() const override { return kExtrapolationSettle; }

 private:
  /// Updates every row of f (lines.count × k) against `other` (lines.len × k); returns the
  /// entries' Σ x·log v (v = W·H) at the final factors when `divergence`. `idle` holds f's
  /// entries found idle (KlCdControl::idle), passed over when skip_idle.
  double half(const Lines<T>& lines, Matrix<T>& f, const Matrix<T>& other,
              const rules::Penalty& penalty, bool divergence, std::vector<std::uint8_t>& idle,
              bool skip_idle) {
    const Index k = f.cols, len = lines.len;
    if (lines.sparse) idle.resize(size(lines.count * k), 0);
    const std::vector<double> g_sum = itakura_saito_ ? std::vector<double>(size(k), 0.0)
                                                     : factor_column_sums(other, ctx_.threads);
    // G (k × len): dense lines read it row by row; compressed lines gather their entries of each
    // row (a contiguous row of G per coordinate, so the gather reads one small row at a time).
    // Kept from one pass to the next, like the scratch below.
    Matrix<T>& g = transposed_;
    g.rows = k;
    g.cols = len;
    g.values.resize(size(k * len));
    for (Index p = 0; p < len; ++p) {
      const T* o = other.row(p);
      for (Index t = 0; t < k; ++t) g.values[size(t * len + p)] = o[t];
    }
    kernels::KlCdControl control;
    control.l1 = penalty.l1;
    control.l2 = penalty.l2;
    control.epsilon = kBetaEpsilon;
    control.divergence = divergence;
    // Only compressed lines keep idle flags and pass idle entries over: there (tf-idf, k = 10
    // and 50) it halved the time of a fit to the same divergence, while on dense spectrograms it
    // gained little and once stopped a fit early at a higher divergence (docs/performance.md).
    control.skip_idle = skip_idle;
    if (itakura_saito_) {
      // Measured on the spectrogram (k = 10, 40) and speech (k = 10) of bench/datasets.py: up to
      // 4 steps per entry, until a step is at most 5% of the entry, reached scikit-learn's
      // 200-iteration divergence in 11 to 29 iterations, against 15 to 100 with 2 steps and 30%.
      control.itakura_saito = true;
      control.max_steps = 4;
      control.step_tol = 0.05;
    }
    std::vector<double>& per_line = per_line_;  // kept: fresh pages each pass cost time
    per_line.assign(divergence ? size(lines.count) : 0, 0.0);
    const int threads = std::max(1, ctx_.threads);
    if (!lines.sparse) {
      // Dense lines: v for kLineBlock lines at once by one product (F's block · G), then each
      // line's coordinate descent from it.
      control.v_given = true;
      const Index blocks = (lines.count + kLineBlock - 1) / kLineBlock;
      kernels::PerThreadScratch<T>& v_scratch = scratch(v_scratch_, threads, kLineBlock * len);
      ParallelErrors errors;
#pragma omp parallel num_threads(threads)
      {
        T* v = v_scratch.mine().data();
#pragma omp for schedule(dynamic, 1)
        for (Index b = 0; b < blocks; ++b) {
          errors.run([&] {
            const Index r0 = b * kLineBlock, count = std::min(kLineBlock, lines.count - r0);
            kernels::w_times_h(f.row(r0), count, k, g.data(), len, v);
            for (Index i = 0; i < count; ++i) {
              const double d =
                  kernels::kl_cd_row(lines.values.data() + (r0 + i) * len, len, f.row(r0 + i),
                                     g.data(), len, g_sum.data(), k, control, v + i * len);
              if (divergence) per_line[size(r0 + i)] = d;
            }
          });
        }
      }
      errors.rethrow();
    } else {
      kernels::PerThreadScratch<T>& v_scratch = scratch(v_scratch_, threads, lines.longest);
      kernels::PerThreadScratch<T>& gathered_scratch =
          scratch(gathered_scratch_, threads, lines.longest * k);
#pragma omp parallel num_threads(threads)
      {
        T* v = v_scratch.mine().data();
        T* gathered = gathered_scratch.mine().data();
#pragma omp for schedule(dynamic, 16)
        for (Index r = 0; r < lines.count; ++r) {
          T* fr = f.row(r);
          const std::int64_t b = lines.ptr[size(r)], e = lines.ptr[size(r) + 1];
          const Index count = e - b;
          double d = 0;
          if (count == 0) {
            // No stored entry: the objective is Σ_t f_t·g_sum[t] plus the penalty, least at 0.
            std::fill(fr, fr + k, T(0));
          } else {
            kernels::KlCdControl row_control = control;
            row_control.idle = idle.data() + r * k;
            d = kernels::kl_cd_sparse_row(lines.values.data() + b, lines.idx.data() + b, count, fr,
                                          g.data(), len, g_sum.data(), k, row_control, v, gathered);
          }
          if (divergence) per_line[size(r)] = d;
        }
      }
    }
    double total = 0;
    for (double d : per_line) total += d;
    return total;
  }

  /// Per-thread scratch kept from one pass to the next (fresh pages each iteration cost the
  /// system's time), made anew only when it must grow.
  struct Scratch {
    std::unique_ptr<kernels::PerThreadScratch<T>> arrays;
    int threads = 0;
    Index entries = 0;
  };
  static kernels::PerThreadScratch<T>& scratch(Scratch& kept, int threads, Index entries) {
    if (!kept.arrays || threads > kept.threads || entries > kept.entries) {
      kept.arrays.reset();
      kept.threads = std::max(threads, kept.threads);
      kept.entries = std::max(entries, kept.entries);
      kept.arrays = std::make_unique<kernels::PerThreadScratch<T>>(kept.threads, kept.entries);
    }
    return *kept.arrays;
  }

  const Scaled<T>& x_;
  const Penalties& p_;
  const Context& ctx_;
  Timings& time_;
  bool update_h_;
  bool itakura_saito_;  ///< β = 0, else 1
  Lines<T> rows_, cols_;
  Scratch v_scratch_, gathered_scratch_;
  std::vector<double> per_line_;               ///< the divergence's part of each line
  std::vector<std::uint8_t> idle_w_, idle_h_;  ///< W's and Hᵀ's entries found idle (sparse)
  Matrix<T> transposed_;                       ///< G, the other factor transposed
  double x_sum_ = 0;    ///< Σ x over X's non-zeros (of s·X); Itakura-Saito: n·m
  double x_log_x_ = 0;  ///< Σ x·log x over the same; Itakura-Saito: Σ log x, x > ε
};

}  // namespace

template <typename T>
std::unique_ptr<Steps<T>> kl_cd_steps(const Scaled<T>& x, const FitOptions& o, const Penalties& p,
                                      const Context& ctx, bool update_h) {
  return std::make_unique<KlCdSteps<T>>(x, o, p, ctx, update_h);
}

template std::unique_ptr<Steps<float>> kl_cd_steps<float>(const Scaled<float>&, const FitOptions&,
                                                          const Penalties&, const Context&, bool);
template std::unique_ptr<Steps<double>> kl_cd_steps<double>(const Scaled<double>&,
                                                            const FitOptions&, const Penalties&,
                                                            const Context&, bool);

}  // namespace nmfkit::core
