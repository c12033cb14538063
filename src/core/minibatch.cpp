// scikit-learn's MiniBatchNMF (sklearn/decomposition/_nmf.py: _minibatch_step,
// _minibatch_convergence, _solve_W, _fit_transform, partial_fit), on nmfkit's β-divergence
// kernels (core/beta.hpp). A batch is a run of consecutive rows. For the Frobenius and
// Kullback-Leibler losses each batch is stored on its own as a full fit would store it
// (core::make_data: compressed sparse rows when mostly zero, else a dense view of the caller's
// memory; compressed input stays in place), and the initialisation and the objective read X
// through those parts (StackedRows). A Frobenius step forms its batch's products X_b·Hᵀ and
// X_bᵀ·W_b once each by that storage's kernels; a Kullback-Leibler step on a compressed batch
// reads it at its stored entries (core/kl_sparse.hpp). The other losses, and Kullback-Leibler on a
// dense batch, read each batch's rows dense (X in compressed sparse rows is made dense one batch
// at a time). The fit runs in X's own units (no scaling of X), as scikit-learn's does, so that its
// ε thresholds act alike.
#include "nmfkit/minibatch.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/beta.hpp"
#include "core/csr_data.hpp"
#include "core/data.hpp"
#include "core/init.hpp"
#include "core/kl_sparse.hpp"
#include "core/make_data.hpp"
#include "core/timing.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/parallel_errors.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"

namespace nmfkit {

void MiniBatchOptions::validate() const {
  if (batch_size < 1)
    throw InvalidArgument("batch_size must be at least 1, got " + std::to_string(batch_size));
  if (!(forget_factor >= 0 && forget_factor <= 1))
    throw InvalidArgument("forget_factor must be between 0 and 1, got " +
                          std::to_string(forget_factor));
  if (fresh_restarts_max_iter < 1)
    throw InvalidArgument("fresh_restarts_max_iter must be at least 1, got " +
                          std::to_string(fresh_restarts_max_iter));
  if (transform_max_iter < 0)
    throw InvalidArgument("transform_max_iter must be >= 0 (0 = max_iter), got " +
                          std::to_string(transform_max_iter));
  if (max_no_improvement < 0)
    throw InvalidArgument("max_no_improvement must be >= 0 (0 = no such stop), got " +
                          std::to_string(max_no_improvement));
}

const char* minibatch_stop_name(MiniBatchStop stop) {
  switch (stop) {
    case MiniBatchStop::kMaxIter:
      return "max_iter";
    case MiniBatchStop::kTol:
      return "tol";
    case MiniBatchStop::kNoImprovement:
      return "no_improvement";
    case MiniBatchStop::kCallback:
      return "callback";
  }
  return "unknown";
}

namespace {

using core::Clock;
using core::ScopedTimer;

/// np.finfo(np.float64).eps: scikit-learn zeroes factor entries below it for stability.
constexpr double kFloat64Epsilon = 2.220446049250313e-16;

std::size_t size(Index count) {
  return static_cast<std::size_t>(count);
}

/// The options as a multiplicative-update fit checks them; throws InvalidArgument.
FitOptions checked(const FitOptions& options, const MiniBatchOptions& minibatch) {
  // mu, or a rule the caller left at FitOptions' default or named for scikit-learn's API (cd).
  if (options.solver != "mu" && options.solver != "cd" && options.solver != FitOptions{}.solver)
    throw InvalidArgument("mini-batch NMF uses multiplicative updates (solver mu), not solver '" +
                          options.solver + "'");
  FitOptions o = options;
  o.solver = "mu";
  o.validate();
  minibatch.validate();
  return o;
}

/// What every step needs: the loss, the regularisation and the thread count.
struct Settings {
  double beta = 2;
  double gamma = 1;
  double tol = 0;
  int threads = 1;
  double alpha_w = 0, alpha_h = 0, l1_ratio = 0;
  Index m = 0;

  explicit Settings(const FitOptions& o, Index features)
      : beta(o.beta),
        gamma(core::beta_mu_exponent(o.beta)),
        tol(o.tol),
        threads(o.threads > 0 ? o.threads : omp_get_max_threads()),
        alpha_w(o.alpha_w),
        alpha_h(o.alpha_h < 0 ? o.alpha_w : o.alpha_h),
        l1_ratio(o.l1_ratio),
        m(features) {}
  // scikit-learn's _compute_regularization for a batch of `rows` samples.
  double l1_w() const { return double(m) * alpha_w * l1_ratio; }
  double l2_w() const { return double(m) * alpha_w * (1 - l1_ratio); }
  double l1_h(Index rows) const { return double(rows) * alpha_h * l1_ratio; }
  double l2_h(Index rows) const { return double(rows) * alpha_h * (1 - l1_ratio); }
};

/// Rows [first, first + count) of X stored on their own for a step: as `format` asks (kAuto:
/// make_data's choice for the loss β and k components).
template <typename T>
struct Part {
  std::shared_ptr<const nmfkit::Data<T>> data;
  const char* format = "dense";
};
template <typename T>
using PartFn =
    std::function<Part<T>(Index first, Index count, DataFormat format, double beta, Index k)>;

/// X as consecutive runs of rows, each stored on its own (the batches of store_parts()): what the
/// initialisation and the objective read, so that X is stored once. The parts are visited in
/// parallel, each on one thread (a batch is too short for its own kernels to share it out), and
/// whatever sums over the parts (Xᵀ·R, the statistics, the residual) adds them in part order:
/// the same bytes for any thread count.
template <typename T>
class StackedRows final : public nmfkit::Data<T> {
 public:
  StackedRows(const std::vector<std::shared_ptr<const nmfkit::Data<T>>>& parts, Index cols)
      : parts_(parts), cols_(cols) {
    for (const auto& part : parts_) {
      first_.push_back(rows_);
      rows_ += part->rows();
      const DataStats s = part->stats();
      stats_.squared_norm += s.squared_norm;
      stats_.sum += s.sum;
    }
  }
  Index rows() const override { return rows_; }
  Index cols() const override { return cols_; }
  DataStats stats() const override { return stats_; }
  void times(const T* right, Index p, T scale, T* out, int threads) const override {
    each_part(threads, [&](Index b) { parts_[b]->times(right, p, scale, out + first_[b] * p, 1); });
  }
  void transpose_times(const T* right, Index p, T scale, T* out, int threads) const override {
    // Up to `threads` parts at a time into slots of their own, then added in part order.
    const Index count = Index(parts_.size()), group = std::clamp<Index>(threads, 1, count);
    const Index entries = cols_ * p;
    std::vector<T> slots(size(group * entries));
    for (Index g0 = 0; g0 < count; g0 += group) {
      const Index g1 = std::min(count, g0 + group);
      kernels::ParallelErrors errors;
#pragma omp parallel for schedule(static, 1) num_threads(static_cast <int>(g1 - g0))
      for (Index b = g0; b < g1; ++b)
        errors.run([&] {
          parts_[size(b)]->transpose_times(right + first_[size(b)] * p, p, scale,
                                           slots.data() + (b - g0) * entries, 1);
        });
      errors.rethrow();
      for (Index b = g0; b < g1; ++b) {
        const T* slot = slots.data() + (b - g0) * entries;
        if (b == 0)
          std::copy(slot, slot + entries, out);
        else
          for (Index e = 0; e < entries; ++e) out[e] += slot[e];
      }
    }
  }
  DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const override {
    std::size_t b = part_of(first);
    if (first + count <= first_[b] + parts_[b]->rows())
      return parts_[b]->row_block(first - first_[b], count, buffer);
    if (buffer.size() < size(count * cols_)) buffer.resize(size(count * cols_));
    std::vector<T> scratch;
    for (Index r = first; r < first + count; ++b) {
      const Index end = std::min(first + count, first_[b] + parts_[b]->rows());
      const DenseView<T> v = parts_[b]->row_block(r - first_[b], end - r, scratch);
      for (Index i = 0; i < end - r; ++i)
        std::copy(v.row(i), v.row(i) + cols_, buffer.data() + (r - first + i) * cols_);
      r = end;
    }
    return DenseView<T>(buffer.data(), count, cols_);
  }
  double residual_squared_norm(const T* w, const T* h, Index k, double scale,
                               int threads) const override {
    std::vector<double> part_sums(parts_.size());
    each_part(threads, [&](Index b) {
      part_sums[b] = parts_[b]->residual_squared_norm(w + first_[b] * k, h, k, scale, 1);
    });
    double sum = 0;
    for (double v : part_sums) sum += v;
    return sum;
  }
  bool has_zero(int threads) const override {
    for (const auto& part : parts_)
      if (part->has_zero(threads)) return true;
    return false;
  }

 private:
  std::size_t part_of(Index row) const {
    return size(std::upper_bound(first_.begin(), first_.end(), row) - first_.begin() - 1);
  }
  /// f(b) for every part b, `threads` at a time.
  template <typename F>
  void each_part(int threads, const F& f) const {
    kernels::ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(1, threads))
    for (std::size_t b = 0; b < parts_.size(); ++b) errors.run([&] { f(b); });
    errors.rethrow();
  }

  std::vector<std::shared_ptr<const nmfkit::Data<T>>> parts_;
  std::vector<Index> first_;
  Index rows_ = 0, cols_ = 0;
  DataStats stats_;
};

/// X checked as fit() checks it, read by batches of rows.
template <typename T>
struct Source {
  std::unique_ptr<nmfkit::Data<T>> storage;
  const char* format = "dense";
  PartFn<T> part;
  /// The batches of the Frobenius and Kullback-Leibler losses, stored by store_parts().
  std::vector<std::shared_ptr<const nmfkit::Data<T>>> parts;
  /// Kullback-Leibler: each compressed batch's sparse path (nullptr for a dense one).
  std::vector<std::unique_ptr<core::SparseKl<T>>> kl_parts;

  Index rows() const { return storage->rows(); }
  Index cols() const { return storage->cols(); }
  double mean() const { return storage->stats().sum / (double(rows()) * double(cols())); }
  DenseView<T> batch(Index first, Index count, std::vector<T>& buffer) const {
    if (buffer.size() < size(count * cols())) buffer.resize(size(count * cols()));
    return storage->row_block(first, count, buffer);
  }
};

template <typename T>
Source<T> source_of(const DenseView<T>& x, int threads) {
  PartFn<T> part = [x, threads](Index first, Index count, DataFormat format, double beta, Index k) {
    const std::shared_ptr<core::DataChoice<T>> choice =
        core::make_data(DenseView<T>(x.row(first), count, x.cols, x.stride), format,
                        core::auto_sparse_zero_fraction(beta, k), threads);
    return Part<T>{std::shared_ptr<const nmfkit::Data<T>>(choice, &choice->storage()),
                   choice->format()};
  };
  Source<T> source;
  source.storage = std::make_unique<core::DenseStorage<T>>(x, threads);
  source.part = std::move(part);
  return source;
}
template <typename T, typename I>
Source<T> source_of(const CsrView<T, I>& x, int threads) {
  if (x.rows <= 0 || x.cols <= 0)
    throw DataError("X is empty (" + std::to_string(x.rows) + " x " + std::to_string(x.cols) +
                    "); it needs at least one sample and one feature");
  // A batch of compressed rows stays compressed and in place: its row starts counted from its
  // first entry, its entries those of the caller's arrays.
  PartFn<T> part = [x, threads](Index first, Index count, DataFormat, double, Index) {
    struct Rows {
      std::vector<I> indptr;
      std::unique_ptr<core::CsrViewStorage<T, I>> storage;
    };
    const auto p = std::make_shared<Rows>();
    const I base = x.indptr[first];
    p->indptr.resize(size(count + 1));
    for (Index i = 0; i <= count; ++i) p->indptr[size(i)] = x.indptr[first + i] - base;
    const CsrView<T, I> rows{count, x.cols, p->indptr.data(), x.indices + base, x.values + base};
    p->storage = std::make_unique<core::CsrViewStorage<T, I>>(rows, threads);
    return Part<T>{std::shared_ptr<const nmfkit::Data<T>>(p, p->storage.get()), "sparse"};
  };
  Source<T> source;
  source.storage = std::make_unique<core::CsrViewStorage<T, I>>(x, threads);
  source.format = "sparse";
  source.part = std::move(part);
  return source;
}

/// For the Frobenius and Kullback-Leibler losses: X's batches of `batch_rows` rows each stored on
/// its own (x.parts; for Kullback-Leibler also each compressed batch's sparse path), and X read
/// through them from then on (StackedRows), its format theirs ("mixed" when they differ): one
/// copy of X at most, and the same bytes for X given dense or compressed once both are stored
/// alike. Other losses: nothing.
template <typename T>
void store_parts(Source<T>& x, double beta, Index batch_rows, DataFormat format, Index k) {
  if (beta != 2 && beta != 1) return;
  const Index n = x.rows();
  const char* stored = nullptr;
  for (Index first = 0; first < n; first += batch_rows) {
    Part<T> part = x.part(first, std::min(batch_rows, n - first), format, beta, k);
    stored = stored == nullptr || std::string_view(stored) == part.format ? part.format : "mixed";
    if (beta == 1) x.kl_parts.push_back(core::SparseKl<T>::make(*part.data));
    x.parts.push_back(std::move(part.data));
  }
  x.storage = std::make_unique<StackedRows<T>>(x.parts, x.cols());
  x.format = stored;
}

/// β ≤ 0 cannot fit zeros (scikit-learn refuses them too).
template <typename T>
void check_zeros(const Source<T>& x, double beta, int threads) {
  if (beta <= 0 && x.storage->has_zero(threads))
    throw DataError("X has zeros, which the " + loss_name(beta) +
                    " loss (beta <= 0) cannot fit; add a small positive value to X or use a "
                    "loss with beta > 0");
}

double mean_of(const auto& x) {
  double sum = 0;
  for (Index i = 0; i < x.rows; ++i)
    for (Index j = 0; j < x.cols; ++j) sum += double(x(i, j));
  return sum / (double(x.rows) * double(x.cols));
}

/// W (n × k) and Hᵀ (m × k) as fit() initialises them for these options, in X's units.
template <typename T>
core::Factors<T> initial_factors(const Source<T>& x, const FitOptions& o,
                                 const StartFactors<T>* start, bool need_w) {
  core::Factors<T> f;
  if (o.init == Init::kCustom) {
    if (start == nullptr)
      throw InvalidArgument("init 'custom' needs the starting factors W0 and H0");
    if (need_w) f.w = core::checked_copy(start->w, x.rows(), o.k, "W0", 1.0, false);
    f.ht = core::checked_copy(start->h, o.k, x.cols(), "H0", 1.0, true);
    return f;
  }
  // fit()'s initialisation sees X/c and gives factors in those units: √c brings them to X's.
  const core::Scaled<T> scaled(*x.storage, o.threads > 0 ? o.threads : omp_get_max_threads(),
                               /*normalize=*/true);
  f = core::initialize(scaled, o);
  const double root_c = std::sqrt(scaled.scale());
  for (Matrix<T>* m : {&f.w, &f.ht})
    for (T& v : m->values) v = static_cast<T>(double(v) * root_c);
  return f;
}

template <typename T>
double squared_norm(const Matrix<T>& a) {
  double s = 0;
  for (T v : a.values) s += double(v) * double(v);
  return s;
}

/// ‖a − b‖_F / ‖a‖_F, as scikit-learn's stopping tests compute it.
template <typename T>
double relative_change(const Matrix<T>& a, const Matrix<T>& b) {
  double diff = 0;
  for (std::size_t e = 0; e < a.values.size(); ++e) {
    const double d = double(a.values[e]) - double(b.values[e]);
    diff += d * d;
  }
  return std::sqrt(diff) / std::sqrt(squared_norm(a));
}

template <typename T>
void zero_below_epsilon(Matrix<T>& m) {
  for (T& v : m.values)
    if (double(v) < kFloat64Epsilon) v = T(0);
}

template <typename T>
struct SolvedW {
  Matrix<T> w;
  int iterations = 0;
  bool converged = false;
};

/// scikit-learn's _solve_W: W of X (`rows` × k) for fixed H, from sqrt(mean(X)/k) by the
/// multiplicative steps `step` until one changes W by at most tol.
template <typename T, typename Step>
SolvedW<T> solve_w(Index rows, Index k, double mean, const Settings& s, int max_iter,
                   const Step& step) {
  SolvedW<T> r;
  r.w = Matrix<T>(rows, k, static_cast<T>(std::sqrt(mean / double(k))));
  Matrix<T> previous = r.w;
  for (int it = 0; it < max_iter; ++it) {
    step(r.w);
    r.iterations = it + 1;
    if (s.tol > 0 && relative_change(r.w, previous) <= s.tol) {
      r.converged = true;
      break;
    }
    previous.values = r.w.values;
  }
  return r;
}

/// W's multiplicative steps for fixed H under the Frobenius loss (scikit-learn's
/// _multiplicative_update_w for β = 2): W ← W ⊙ X·Hᵀ / (W·HHᵀ + l1 + l2·W), with X·Hᵀ formed once
/// by X's storage and HHᵀ once, whatever the number of steps.
template <typename T>
class FrobeniusWSteps {
 public:
  FrobeniusWSteps(const nmfkit::Data<T>& x, const Matrix<T>& ht, const Settings& s)
      : s_(s), xht_(x.rows(), ht.cols), hht_(size(ht.cols * ht.cols)) {
    x.times(ht.data(), ht.cols, T(1), xht_.data(), s.threads);
    kernels::gram(ht.data(), ht.rows, ht.cols, hht_.data(), s.threads);
  }
  const Matrix<T>& xht() const { return xht_; }
  const std::vector<double>& hht() const { return hht_; }
  void operator()(Matrix<T>& w) const {
    const Index k = w.cols;
    std::vector<double> den(size(k));
    for (Index i = 0; i < w.rows; ++i) {
      T* wi = w.row(i);
      const T* num = xht_.row(i);
      core::row_times_square(wi, hht_.data(), k, den.data());
      for (Index l = 0; l < k; ++l)
        wi[l] = static_cast<T>(core::beta_mu_step(double(wi[l]), double(num[l]), den[size(l)],
                                                  s_.l1_w(), s_.l2_w(), 1));
    }
  }

 private:
  const Settings& s_;
  Matrix<T> xht_;
  std::vector<double> hht_;
};

/// W of all of X (its storage) for fixed H: scikit-learn's _solve_W.
template <typename T>
SolvedW<T> solve_w(const nmfkit::Data<T>& x, double mean, const Matrix<T>& ht, const Settings& s,
                   int max_iter) {
  if (s.beta == 2)
    return solve_w<T>(x.rows(), ht.cols, mean, s, max_iter, FrobeniusWSteps<T>(x, ht, s));
  return solve_w<T>(x.rows(), ht.cols, mean, s, max_iter, [&](Matrix<T>& w) {
    core::beta_mu_update_w(x, 1.0, w, ht, s.beta, s.l1_w(), s.l2_w(), s.threads);
  });
}

/// H's running sums, kept transposed as Hᵀ is (m × k).
template <typename T>
struct Running {
  Matrix<T> numerator, denominator;
  double rho = 1;
};

/// What one step reports: scikit-learn's batch cost, and the batch's share of the objective
/// (with ½ on the squared norms, as nmfkit's loss_history) for the history.
struct StepCost {
  double batch_cost = 0;
  double divergence = 0;
  double objective = 0;
};

/// A batch's rows of X: stored on their own (Frobenius loss), compressed with their sparse path
/// (Kullback-Leibler), or dense.
template <typename T>
struct Batch {
  const nmfkit::Data<T>* stored = nullptr;
  core::SparseKl<T>* kl = nullptr;
  DenseView<T> dense;
  Index rows() const { return stored != nullptr ? stored->rows() : dense.rows; }
};

/// Batch b of x (rows [first, first + rows)): its stored part where there is one.
template <typename T>
Batch<T> batch_of(const Source<T>& x, std::size_t b, Index first, Index rows,
                  std::vector<T>& buffer) {
  Batch<T> xb;
  if (!x.kl_parts.empty() && x.kl_parts[b] != nullptr) {
    xb.stored = x.parts[b].get();
    xb.kl = x.kl_parts[b].get();
  } else if (!x.kl_parts.empty()) {  // a dense Kullback-Leibler batch: a view of its rows
    if (buffer.size() < size(rows * x.cols())) buffer.resize(size(rows * x.cols()));
    xb.dense = x.parts[b]->row_block(0, rows, buffer);
  } else if (!x.parts.empty()) {
    xb.stored = x.parts[b].get();
  } else {
    xb.dense = x.batch(first, rows, buffer);
  }
  return xb;
}

/// W's multiplicative step for fixed H under the Kullback-Leibler loss on a compressed batch:
/// X_b/(W·H) at its stored entries, then the step (scikit-learn's _multiplicative_update_w with
/// _special_sparse_dot).
template <typename T>
void kl_w_step(core::SparseKl<T>& kl, Matrix<T>& w, const Matrix<T>& ht, const Settings& s) {
  kl.quotients(1.0, w, ht, false, s.threads);
  kl.update_w(w, ht, s.l1_w(), s.l2_w(), s.threads);
}

/// _multiplicative_update_h's numerator Xᵀ·W and denominator H·WᵀW for the Frobenius loss, from
/// X's storage.
template <typename T>
core::HStepTerms frobenius_h_terms(const nmfkit::Data<T>& x, const Matrix<T>& w,
                                   const std::vector<double>& wtw, const Matrix<T>& ht,
                                   int threads) {
  const Index m = ht.rows, k = ht.cols;
  Matrix<T> xtw(m, k);
  x.transpose_times(w.data(), k, T(1), xtw.data(), threads);
  core::HStepTerms terms;
  terms.num.assign(xtw.values.begin(), xtw.values.end());
  terms.den.resize(size(m * k));
  for (Index j = 0; j < m; ++j)
    core::row_times_square(ht.row(j), wtw.data(), k, terms.den.data() + j * k);
  return terms;
}

/// ½‖X_b − W_b·H‖² from what the step formed already, ½(‖X_b‖² − 2⟨X_b·Hᵀ, W_b⟩ + ⟨W_bᵀW_b,
/// HHᵀ⟩) (X_b·Hᵀ is that of the step's H, which has not moved), as scikit-learn computes it for
/// sparse X. The sum cancels as the fit nears X: below a share of ‖X_b‖² at which its rounding
/// (of T's products) could show, the residual is formed entry by entry instead.
template <typename T>
double frobenius_divergence(const nmfkit::Data<T>& x, double x_squares,
                            const FrobeniusWSteps<T>& steps, const Matrix<T>& w,
                            const std::vector<double>& wtw, const Matrix<T>& ht, int threads) {
  constexpr double kLeast = sizeof(T) == sizeof(float) ? 0.1 : 1e-6;
  const Index k = w.cols;
  double cross = 0, wh_squares = 0;
  for (std::size_t e = 0; e < w.values.size(); ++e)
    cross += double(steps.xht().values[e]) * double(w.values[e]);
  for (Index e = 0; e < k * k; ++e) wh_squares += wtw[size(e)] * steps.hht()[size(e)];
  const double squares = x_squares - 2 * cross + wh_squares;
  if (squares >= kLeast * x_squares) return squares / 2;
  const Matrix<T> h = transposed(ht.view());
  return x.residual_squared_norm(w.data(), h.data(), k, 1.0, threads) / 2;
}

/// scikit-learn's _minibatch_step on the batch xb with its W (updated in place, or replaced by a
/// fresh solve), then H's online step from the running sums.
template <typename T>
StepCost minibatch_step(const Batch<T>& xb, Matrix<T>& wb, bool fresh, int fresh_max_iter,
                        Matrix<T>& ht, Running<T>& run, const Settings& s, Timings& time) {
  const Index rows = xb.rows(), m = ht.rows, k = ht.cols;
  StepCost cost;
  std::vector<double> wtw;                      // W_bᵀW_b (Frobenius)
  std::optional<core::HStepTerms> dense_terms;  // dense X, β ≠ 2: formed with the divergence
  if (xb.kl != nullptr) {
    {
      ScopedTimer timer(time.updates);
      const auto step = [&](Matrix<T>& w) { kl_w_step(*xb.kl, w, ht, s); };
      const double mean = xb.stored->stats().sum / (double(rows) * double(m));
      if (fresh)
        wb = solve_w<T>(rows, k, mean, s, fresh_max_iter, step).w;
      else
        step(wb);
    }
    ScopedTimer timer(time.loss);
    // X_b/(W·H) of the new W: the divergence now, H's step below.
    cost.divergence = xb.kl->quotients(1.0, wb, ht, true, s.threads);
  } else if (xb.stored != nullptr) {
    const nmfkit::Data<T>& x = *xb.stored;
    const DataStats stats = x.stats();
    std::optional<FrobeniusWSteps<T>> steps;
    {
      ScopedTimer timer(time.updates);
      steps.emplace(x, ht, s);
      if (fresh)
        wb = solve_w<T>(rows, k, stats.sum / (double(rows) * double(m)), s, fresh_max_iter, *steps)
                 .w;
      else
        (*steps)(wb);
      wtw.resize(size(k * k));
      kernels::gram(wb.data(), rows, k, wtw.data(), s.threads);
    }
    ScopedTimer timer(time.loss);
    cost.divergence = frobenius_divergence(x, stats.squared_norm, *steps, wb, wtw, ht, s.threads);
  } else {
    {
      ScopedTimer timer(time.updates);
      const auto step = [&](Matrix<T>& w) {
        core::beta_mu_update_w(xb.dense, 1.0, w, ht, s.beta, s.l1_w(), s.l2_w(), s.threads);
      };
      if (fresh)
        wb = solve_w<T>(rows, k, mean_of(xb.dense), s, fresh_max_iter, step).w;
      else
        step(wb);
      if (s.beta < 1) zero_below_epsilon(wb);
    }
    // H's terms of the new W now, with the divergence from the same W·H.
    ScopedTimer timer(time.updates);
    dense_terms = core::beta_mu_h_terms(xb.dense, 1.0, wb, ht, s.beta, s.threads, true);
    cost.divergence = dense_terms->divergence;
  }
  const double l1_h = s.l1_h(rows), l2_h = s.l2_h(rows);
  {
    ScopedTimer timer(time.loss);
    double w_sum = 0, h_sum = 0;
    for (T v : wb.values) w_sum += double(v);
    for (T v : ht.values) h_sum += double(v);
    const double w_squares = squared_norm(wb), h_squares = squared_norm(ht);
    // scikit-learn's batch cost has no ½ on the squared norms.
    cost.batch_cost = (cost.divergence + s.l1_w() * w_sum + l1_h * h_sum + s.l2_w() * w_squares +
                       l2_h * h_squares) /
                      double(rows);
    cost.objective = cost.divergence + s.l1_w() * w_sum + 0.5 * s.l2_w() * w_squares +
                     l1_h * h_sum + 0.5 * l2_h * h_squares;
  }
  ScopedTimer timer(time.updates);
  const core::HStepTerms terms = xb.kl != nullptr ? xb.kl->h_terms(wb, ht, s.threads)
                                 : xb.stored != nullptr
                                     ? frobenius_h_terms(*xb.stored, wb, wtw, ht, s.threads)
                                     : std::move(*dense_terms);
  const Index entries = m * k;
  const double gamma = s.gamma;
  T* h = ht.data();
  T* a = run.numerator.data();
  T* b = run.denominator.data();
  // Elementwise work of O(m·k): threads only pay off for large H.
  const int team = entries >= (Index{1} << 16) ? s.threads : 1;
#pragma omp parallel for schedule(static) num_threads(team)
  for (Index e = 0; e < entries; ++e) {
    const double old = double(h[e]);
    double den = terms.den[size(e)];
    if (l1_h > 0) den += l1_h;
    if (l2_h > 0) den += l2_h * old;
    if (den == 0) den = core::kBetaEpsilon;
    const double powered = gamma != 1 ? std::pow(old, 1 / gamma) : old;
    a[e] = static_cast<T>(run.rho * double(a[e]) + terms.num[size(e)] * powered);
    b[e] = static_cast<T>(run.rho * double(b[e]) + den);
    double next = double(a[e]) / double(b[e]);
    if (gamma != 1) next = std::pow(next, gamma);
    h[e] = static_cast<T>(next);
  }
  if (s.beta <= 1) zero_below_epsilon(ht);
  return cost;
}

/// scikit-learn's _minibatch_convergence, less the H test's buffer (kept by the caller).
struct Convergence {
  bool has_ewa = false;
  double ewa = 0;
  bool has_min = false;
  double ewa_min = 0;
  int no_improvement = 0;

  /// Folds in step `step` (1-based) of a batch of `rows` samples; from step 2 on.
  void add(double batch_cost, Index rows, Index n_samples) {
    if (!has_ewa) {
      ewa = batch_cost;
      has_ewa = true;
    } else {
      const double alpha = std::min(1.0, double(rows) / double(n_samples + 1));
      ewa = ewa * (1 - alpha) + batch_cost * alpha;
    }
    if (!has_min || ewa < ewa_min) {
      no_improvement = 0;
      ewa_min = ewa;
      has_min = true;
    } else {
      ++no_improvement;
    }
  }
};

template <typename T>
double error_of(const Source<T>& x, const Matrix<T>& w, const Matrix<T>& ht, double beta,
                int threads) {
  if (beta == 2) {
    const Matrix<T> h = transposed(ht.view());
    return std::sqrt(x.storage->residual_squared_norm(w.data(), h.data(), w.cols, 1.0, threads));
  }
  return std::sqrt(2 * core::beta_divergence(*x.storage, 1.0, w, ht, beta, threads));
}

/// The objective of nmfkit's loss_history for all of X.
template <typename T>
double objective_of(const Source<T>& x, const Matrix<T>& w, const Matrix<T>& ht,
                    const Settings& s) {
  const double error = error_of(x, w, ht, s.beta, s.threads);
  const Index n = x.rows();
  double w_sum = 0, h_sum = 0;
  for (T v : w.values) w_sum += double(v);
  for (T v : ht.values) h_sum += double(v);
  return error * error / 2 + s.l1_w() * w_sum + 0.5 * s.l2_w() * squared_norm(w) +
         s.l1_h(n) * h_sum + 0.5 * s.l2_h(n) * squared_norm(ht);
}

template <typename T>
void finish(FitResult<T>& r, const Source<T>& x, Matrix<T> w, const Matrix<T>& ht,
            const Settings& s, Clock::time_point start) {
  {
    ScopedTimer timer(r.timings.loss);
    r.error = error_of(x, w, ht, s.beta, s.threads);
  }
  if (!std::isfinite(r.error) || !core::all_finite(w) || !core::all_finite(ht))
    throw NumericError("the factors became non-finite after " + std::to_string(r.iterations) +
                       " iterations; the fit broke down");
  r.W = std::move(w);
  r.x_norm = std::sqrt(x.storage->stats().squared_norm);
  r.relative_error = r.x_norm > 0 ? r.error / r.x_norm : 0.0;
  r.threads = s.threads;
  r.solver = "mu";
  r.format = x.format;
  r.seconds = core::since(start);
}

template <typename T>
MiniBatchResult<T> fit_impl(Source<T> x, const FitOptions& o, const MiniBatchOptions& mb,
                            const StartFactors<T>* start, Clock::time_point t0) {
  const Index n = x.rows(), m = x.cols();
  o.validate(n, m);
  const Settings s(o, m);
  const Index batch_size = std::min(mb.batch_size, n);
  store_parts(x, s.beta, batch_size, o.format, o.k);
  check_zeros(x, s.beta, s.threads);
  MiniBatchResult<T> result;
  FitResult<T>& r = result.fit;
  r.seed = o.seed;
  r.init = o.init;
  core::Factors<T> f;
  {
    ScopedTimer timer(r.timings.init);
    f = initial_factors(x, o, start, true);
  }
  Matrix<T>& ht = f.ht;
  Running<T> run{ht, Matrix<T>(m, o.k, T(1)),
                 std::pow(mb.forget_factor, double(batch_size) / double(n))};
  {
    ScopedTimer timer(r.timings.loss);
    r.loss_history.push_back(objective_of(x, f.w, ht, s));
    r.history_seconds.push_back(core::since(t0));
  }
  const Index steps_per_iter = (n + batch_size - 1) / batch_size;
  const Index n_steps = Index(o.max_iter) * steps_per_iter;
  Matrix<T> previous_h = ht;
  Convergence convergence;
  std::vector<T> buffer;
  Matrix<T> wb;
  double pass_objective = 0, pass_divergence = 0;
  Index pass_rows = 0, step = 0;
  bool stopped = false;
  while (step < n_steps && !stopped) {
    const Index first = (step % steps_per_iter) * batch_size;
    const Index rows = std::min(batch_size, n - first);
    const Batch<T> xb = batch_of(x, size(step % steps_per_iter), first, rows, buffer);
    if (!mb.fresh_restarts) {
      wb = Matrix<T>(rows, o.k);
      std::copy(f.w.row(first), f.w.row(first) + rows * o.k, wb.data());
    }
    const StepCost cost = minibatch_step(xb, wb, mb.fresh_restarts, mb.fresh_restarts_max_iter, ht,
                                         run, s, r.timings);
    if (!mb.fresh_restarts) std::copy(wb.values.begin(), wb.values.end(), f.w.row(first));
    ++step;
    pass_objective += cost.objective;
    pass_divergence += cost.divergence;
    pass_rows += rows;
    // scikit-learn skips step 1's tests: H has not moved yet.
    if (step > 1) {
      convergence.add(cost.batch_cost, rows, n);
      if (s.tol > 0 && relative_change(ht, previous_h) <= s.tol) {
        result.stop = MiniBatchStop::kTol;
        stopped = true;
      } else if (mb.max_no_improvement > 0 && convergence.no_improvement >= mb.max_no_improvement) {
        result.stop = MiniBatchStop::kNoImprovement;
        stopped = true;
      }
    }
    if (mb.on_step &&
        !mb.on_step({step, n_steps, rows, cost.batch_cost, convergence.ewa, convergence.has_ewa}) &&
        !stopped) {
      result.stop = MiniBatchStop::kCallback;
      stopped = true;
    }
    previous_h.values = ht.values;
    const bool pass_done = step % steps_per_iter == 0;
    if (!pass_done && !stopped) continue;
    // The pass's estimate of the objective, over all of X for a pass cut short.
    const double share = double(n) / double(pass_rows);
    r.loss_history.push_back(pass_objective * share);
    r.history_seconds.push_back(core::since(t0));
    const int iteration = static_cast<int>(r.loss_history.size() - 1);
    if (pass_done && !stopped && o.progress) {
      Progress p;
      p.iteration = iteration;
      p.max_iter = o.max_iter;
      p.loss = r.loss_history.back();
      p.error = std::sqrt(2 * pass_divergence * share);
      p.seconds = r.history_seconds.back();
      p.timings = r.timings;
      p.relative_error = p.error / std::sqrt(x.storage->stats().squared_norm);
      if (!o.progress(p)) {
        result.stop = MiniBatchStop::kCallback;
        stopped = true;
      }
    }
    pass_objective = pass_divergence = 0;
    pass_rows = 0;
  }
  if (mb.fresh_restarts) {
    ScopedTimer timer(r.timings.updates);
    const int max_iter = mb.transform_max_iter > 0 ? mb.transform_max_iter : o.max_iter;
    f.w = solve_w(*x.storage, x.mean(), ht, s, max_iter).w;
  }
  result.n_steps = step;
  r.iterations = static_cast<int>((step + steps_per_iter - 1) / steps_per_iter);
  r.converged = result.stop == MiniBatchStop::kTol || result.stop == MiniBatchStop::kNoImprovement;
  r.H = transposed(ht.view());
  result.state.h = r.H;
  result.state.numerator = transposed(run.numerator.view());
  result.state.denominator = transposed(run.denominator.view());
  result.state.n_steps = step;
  result.state.rho = run.rho;
  finish(r, x, std::move(f.w), ht, s, t0);
  return result;
}

template <typename T>
double partial_fit_impl(Source<T> x, const FitOptions& options, const MiniBatchOptions& mb,
                        MiniBatchState<T>& state, const StartFactors<T>* start) {
  const Index rows = x.rows(), m = x.cols();
  FitOptions o = options;
  store_parts(x, o.beta, rows, o.format, o.k);
  Running<T> run;
  Matrix<T> ht;
  if (state.h.values.empty()) {
    if (o.init != Init::kCustom) o.validate(rows, m);
    const Settings s(o, m);
    check_zeros(x, s.beta, s.threads);
    ht = initial_factors(x, o, start, false).ht;
    run.numerator = ht;
    run.denominator = Matrix<T>(m, o.k, T(1));
    run.rho = std::pow(mb.forget_factor, double(std::min(mb.batch_size, rows)) / double(rows));
  } else {
    const Index k = state.h.rows;
    if (k != o.k)
      throw InvalidArgument("k is " + std::to_string(o.k) + " but the state has " +
                            std::to_string(k) + " components");
    if (state.h.cols != m)
      throw InvalidArgument("X has " + std::to_string(m) + " features but the state's H has " +
                            std::to_string(state.h.cols));
    for (const Matrix<T>* a : {&state.numerator, &state.denominator})
      if (a->rows != k || a->cols != m || a->values.size() != size(k * m))
        throw InvalidArgument("the state's numerator and denominator must be " + std::to_string(k) +
                              " x " + std::to_string(m) + " as its H, got " +
                              std::to_string(a->rows) + " x " + std::to_string(a->cols));
    if (state.h.values.size() != size(k * m))
      throw InvalidArgument("the state's H holds " + std::to_string(state.h.values.size()) +
                            " values for " + std::to_string(k) + " x " + std::to_string(m));
    if (!(state.rho >= 0 && state.rho <= 1))
      throw InvalidArgument("the state's rho must be between 0 and 1, got " +
                            std::to_string(state.rho));
    check_zeros(x, o.beta, Settings(o, m).threads);
    ht = core::checked_copy(state.h.view(), k, m, "the state's H", 1.0, true);
    run.numerator =
        core::checked_copy(state.numerator.view(), k, m, "the state's numerator", 1.0, true);
    run.denominator =
        core::checked_copy(state.denominator.view(), k, m, "the state's denominator", 1.0, true);
    run.rho = state.rho;
  }
  const Settings s(o, m);
  std::vector<T> buffer;
  const Batch<T> xb = batch_of(x, 0, 0, rows, buffer);
  Matrix<T> wb;
  Timings time;
  const StepCost cost = minibatch_step(xb, wb, true, mb.fresh_restarts_max_iter, ht, run, s, time);
  if (!core::all_finite(ht))
    throw NumericError("H became non-finite after " + std::to_string(state.n_steps + 1) +
                       " steps; the fit broke down");
  state.h = transposed(ht.view());
  state.numerator = transposed(run.numerator.view());
  state.denominator = transposed(run.denominator.view());
  state.rho = run.rho;
  ++state.n_steps;
  return cost.batch_cost;
}

template <typename T>
FitResult<T> transform_impl(Source<T> x, const DenseView<T>& h, const FitOptions& options,
                            const MiniBatchOptions& mb, Clock::time_point t0) {
  if (h.data == nullptr || h.rows < 1)
    throw InvalidArgument("H must have at least one component, got " + std::to_string(h.rows));
  if (h.cols != x.cols())
    throw InvalidArgument("H has " + std::to_string(h.cols) + " features but X has " +
                          std::to_string(x.cols()));
  FitOptions o = options;
  o.k = static_cast<int>(h.rows);
  o = checked(o, mb);
  const Settings s(o, x.cols());
  // X stored as a fit would store it (compressed when mostly zero).
  store_parts(x, s.beta, x.rows(), o.format, o.k);
  check_zeros(x, s.beta, s.threads);
  const Matrix<T> ht = core::checked_copy(h, h.rows, h.cols, "H", 1.0, true);
  FitResult<T> r;
  r.seed = o.seed;
  r.init = o.init;
  SolvedW<T> solved;
  {
    ScopedTimer timer(r.timings.updates);
    const int max_iter = mb.transform_max_iter > 0 ? mb.transform_max_iter : o.max_iter;
    solved = solve_w(*x.storage, x.mean(), ht, s, max_iter);
  }
  r.iterations = solved.iterations;
  r.converged = solved.converged;
  r.H = core::checked_copy(h, h.rows, h.cols, "H", 1.0, false);
  finish(r, x, std::move(solved.w), ht, s, t0);
  return r;
}

int threads_of(const FitOptions& o) {
  return o.threads > 0 ? o.threads : omp_get_max_threads();
}

}  // namespace

template <typename T>
MiniBatchResult<T> fit_minibatch(const DenseView<T>& x, const FitOptions& options,
                                 const MiniBatchOptions& minibatch, const StartFactors<T>* start) {
  const Clock::time_point t0 = Clock::now();
  const FitOptions o = checked(options, minibatch);
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return fit_impl(source_of(x, threads_of(o)), o, minibatch, start, t0);
}
template <typename T, typename I>
MiniBatchResult<T> fit_minibatch(const CsrView<T, I>& x, const FitOptions& options,
                                 const MiniBatchOptions& minibatch, const StartFactors<T>* start) {
  const Clock::time_point t0 = Clock::now();
  const FitOptions o = checked(options, minibatch);
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return fit_impl(source_of(x, threads_of(o)), o, minibatch, start, t0);
}

template <typename T>
double partial_fit_minibatch(const DenseView<T>& x, const FitOptions& options,
                             const MiniBatchOptions& minibatch, MiniBatchState<T>& state,
                             const StartFactors<T>* start) {
  const FitOptions o = checked(options, minibatch);
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return partial_fit_impl(source_of(x, threads_of(o)), o, minibatch, state, start);
}
template <typename T, typename I>
double partial_fit_minibatch(const CsrView<T, I>& x, const FitOptions& options,
                             const MiniBatchOptions& minibatch, MiniBatchState<T>& state,
                             const StartFactors<T>* start) {
  const FitOptions o = checked(options, minibatch);
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return partial_fit_impl(source_of(x, threads_of(o)), o, minibatch, state, start);
}

template <typename T>
FitResult<T> transform_minibatch(const DenseView<T>& x, const DenseView<T>& h,
                                 const FitOptions& options, const MiniBatchOptions& minibatch) {
  const Clock::time_point t0 = Clock::now();
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return transform_impl(source_of(x, threads_of(options)), h, options, minibatch, t0);
}
template <typename T, typename I>
FitResult<T> transform_minibatch(const CsrView<T, I>& x, const DenseView<T>& h,
                                 const FitOptions& options, const MiniBatchOptions& minibatch) {
  const Clock::time_point t0 = Clock::now();
  (void)kernel_isa();
  const kernels::BlasThreadsGuard blas_threads;
  return transform_impl(source_of(x, threads_of(options)), h, options, minibatch, t0);
}

#define NMFKIT_INSTANTIATE(T)                                                                    \
  template MiniBatchResult<T> fit_minibatch<T>(const DenseView<T>&, const FitOptions&,           \
                                               const MiniBatchOptions&, const StartFactors<T>*); \
  template double partial_fit_minibatch<T>(const DenseView<T>&, const FitOptions&,               \
                                           const MiniBatchOptions&, MiniBatchState<T>&,          \
                                           const StartFactors<T>*);                              \
  template FitResult<T> transform_minibatch<T>(const DenseView<T>&, const DenseView<T>&,         \
                                               const FitOptions&, const MiniBatchOptions&);
#define NMFKIT_INSTANTIATE_CSR(T, I)                                                             \
  template MiniBatchResult<T> fit_minibatch<T, I>(                                               \
      const CsrView<T, I>&, const FitOptions&, const MiniBatchOptions&, const StartFactors<T>*); \
  template double partial_fit_minibatch<T, I>(const CsrView<T, I>&, const FitOptions&,           \
                                              const MiniBatchOptions&, MiniBatchState<T>&,       \
                                              const StartFactors<T>*);                           \
  template FitResult<T> transform_minibatch<T, I>(const CsrView<T, I>&, const DenseView<T>&,     \
                                                  const FitOptions&, const MiniBatchOptions&);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
NMFKIT_INSTANTIATE_CSR(float, std::int32_t)
NMFKIT_INSTANTIATE_CSR(float, std::int64_t)
NMFKIT_INSTANTIATE_CSR(double, std::int32_t)
NMFKIT_INSTANTIATE_CSR(double, std::int64_t)
#undef NMFKIT_INSTANTIATE
#undef NMFKIT_INSTANTIATE_CSR

}  // namespace nmfkit
