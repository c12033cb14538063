// The fill of a masked fit (core/masked_fill.hpp), compiled once per instruction set: included by
// kernels/variant.inl inside a variant's namespace, after every header it needs (no includes here).

/// a·b over kp entries, kp a multiple of the vector width: one vector of partial sums, then a
/// fixed tree (no per-entry serial reduction).
template <typename T>
[[gnu::always_inline]] inline T dot_padded(const T* __restrict a, const T* __restrict b, Index kp) {
  constexpr int kLanes = core::kFillLanes<T>;
  T acc[kLanes] = {};
  for (Index l = 0; l < kp; l += kLanes)
#pragma omp simd
    for (int v = 0; v < kLanes; ++v) acc[v] += a[l + v] * b[l + v];
  for (int width = kLanes / 2; width > 0; width /= 2)
#pragma omp simd
    for (int v = 0; v < width; ++v) acc[v] += acc[v + width];
  return acc[0];
}

/// The fill S: W·H at the missing entries, refreshed in the same pass that adds its product with
/// the other factor to a product of the observed part (one pass over the entries, the rows of W in
/// order, the rows of H from cache; rows padded with zeros to whole vectors). Work is split into
/// the fixed row chunks of row_chunks and every sum runs in an order fixed by the shapes
/// alone, so the result does not depend on the thread count.
template <typename T>
class Fill final : public core::FillOps<T> {
 public:
  Fill(const core::MissingEntries& e, Index n, Index m, Index k, int threads,
       double partials_limit_bytes)
      : e_(e),
        n_(n),
        m_(m),
        k_(k),
        kp_(core::fill_padded(k, sizeof(T))),
        threads_(threads),
        s_(static_cast<std::size_t>(e.count()), T(0)),
        chunks_(row_chunks(n)),
        hp_(static_cast<std::size_t>(m * kp_), T(0)) {
    // Sᵀ·W by rows of W needs a partial m × k sum per chunk; past the limit it goes by columns.
    if (double(chunks_.count) * double(m) * double(kp_) * sizeof(T) <= partials_limit_bytes)
      partial_.assign(static_cast<std::size_t>(chunks_.count * m * kp_), T(0));
  }

  /// S ← W·H; with `out` (n × k, or nullptr), also out += S·Hᵀ. Returns ½Σ(S_old − S_new)², the
  /// misfit of the previous fill.
  double refill_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) override {
    const Index kp = kp_;
    return refill(w, ht, [&](Index, Index i, const T*, auto&& entries) {
      if (out == nullptr) {
        entries([](T, const T*, Index) {});
        return;
      }
      T acc[kMaxStack];
      std::vector<T> heap;
      T* a = kp <= kMaxStack ? acc : (heap.resize(static_cast<std::size_t>(kp)), heap.data());
      std::fill(a, a + kp, T(0));
      entries([&](T fresh, const T* __restrict h, Index) {
#pragma omp simd
        for (Index l = 0; l < kp; ++l) a[l] += fresh * h[l];
      });
      T* __restrict o = out + i * k_;
#pragma omp simd
      for (Index l = 0; l < k_; ++l) o[l] += a[l];
    });
  }

  /// S ← W·H and out (m × k) += Sᵀ·W. Returns the misfit of the previous fill, as refill_times.
  double refill_transpose_times(const Matrix<T>& w, const Matrix<T>& ht, T* out) override {
    if (partial_.empty()) {
      const double misfit = refill_times(w, ht, nullptr);
      add_by_columns(w, out);
      return misfit;
    }
    const Index kp = kp_, block = m_ * kp_;
    const double misfit =
        refill(w, ht, [&](Index c, Index i, const T* __restrict wi, auto&& entries) {
          T* part = partial_.data() + c * block;
          if (i == chunks_.begin(c)) std::fill(part, part + block, T(0));
          entries([&](T fresh, const T*, Index j) {
            T* __restrict p = part + j * kp;
#pragma omp simd
            for (Index l = 0; l < kp; ++l) p[l] += fresh * wi[l];
          });
        });
    // Chunk partials summed in chunk order, each output row by one thread.
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (Index j = 0; j < m_; ++j) {
      T* __restrict o = out + j * k_;
      for (Index c = 0; c < chunks_.count; ++c) {
        const T* __restrict p = partial_.data() + c * block + j * kp;
#pragma omp simd
        for (Index l = 0; l < k_; ++l) o[l] += p[l];
      }
    }
    return misfit;
  }

  /// ‖S‖²: each fixed row chunk sums its rows in order, the chunks are added in chunk order (the
  /// order of kernels::sum_over_rows, written out here to stay in this instruction set).
  double squared_norm() const override {
    std::vector<double> partial(static_cast<std::size_t>(chunks_.count), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (Index c = 0; c < chunks_.count; ++c) {
      double chunk = 0;
      for (Index i = chunks_.begin(c); i < chunks_.end(c); ++i) {
        double sum = 0;
        for (Index t = e_.row_start[i]; t < e_.row_start[i + 1]; ++t)
          sum += double(s_[static_cast<std::size_t>(t)]) * double(s_[static_cast<std::size_t>(t)]);
        chunk += sum;
      }
      partial[static_cast<std::size_t>(c)] = chunk;
    }
    double total = 0;
    for (double v : partial) total += v;
    return total;
  }

 private:
  static constexpr Index kMaxStack = core::kFillStackValues;

  /// One pass over the rows, chunk by chunk: row i's fill values are refreshed and
  /// row_work(chunk, i, padded w_i, entries) is called, where entries(visit) refreshes them,
  /// calling visit(fresh, padded h_j, j) for each. Returns ½Σ(S_old − S_new)².
  template <typename RowWork>
  double refill(const Matrix<T>& w, const Matrix<T>& ht, RowWork&& row_work) {
    const Index k = k_, kp = kp_;
    for (Index j = 0; j < m_; ++j) std::copy(ht.row(j), ht.row(j) + k, hp_.data() + j * kp);
    std::vector<double> misfits(static_cast<std::size_t>(chunks_.count), 0.0);
    T* s = s_.data();
    const T* hp = hp_.data();
    ParallelErrors errors;  // the chunk's buffer and row_work's may fail to allocate
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
    for (Index c = 0; c < chunks_.count; ++c) {
      errors.run([&] {
        std::vector<T> wi_buffer(static_cast<std::size_t>(kp), T(0));
        T* wi = wi_buffer.data();
        double misfit = 0;
        for (Index i = chunks_.begin(c); i < chunks_.end(c); ++i) {
          std::copy(w.row(i), w.row(i) + k, wi);
          row_work(c, i, static_cast<const T*>(wi), [&](auto&& visit) {
            for (Index t = e_.row_start[i]; t < e_.row_start[i + 1]; ++t) {
              const Index j = e_.col[static_cast<std::size_t>(t)];
              const T* h = hp + j * kp;
              const T fresh = dot_padded(wi, h, kp);
              const double d = double(s[t]) - double(fresh);
              misfit += d * d;
              s[t] = fresh;
              visit(fresh, h, j);
            }
          });
        }
        misfits[static_cast<std::size_t>(c)] = misfit;
      });
    }
    errors.rethrow();
    double total = 0;
    for (double v : misfits) total += v;
    return 0.5 * total;
  }

  /// out row j += Σ S_t · w_(row of t) over the entries of column j, rows ascending: Sᵀ·W when
  /// the chunk partials would be too large.
  void add_by_columns(const Matrix<T>& w, T* out) const {
    const Index k = k_;
    const T* s = s_.data();
    PerThreadScratch<T> acc_scratch(threads_, k);
#pragma omp parallel num_threads(threads_)
    {
      T* __restrict acc = acc_scratch.mine().data();
#pragma omp for schedule(static)
      for (Index j = 0; j < m_; ++j) {
        std::fill(acc, acc + k, T(0));
        for (Index u = e_.col_start[j]; u < e_.col_start[j + 1]; ++u) {
          const Index t = e_.by_col[static_cast<std::size_t>(u)];
          const T value = s[t];
          const T* __restrict f = w.row(e_.row[static_cast<std::size_t>(t)]);
#pragma omp simd
          for (Index l = 0; l < k; ++l) acc[l] += value * f[l];
        }
        T* __restrict o = out + j * k_;
#pragma omp simd
        for (Index l = 0; l < k; ++l) o[l] += acc[l];
      }
    }
  }

  const core::MissingEntries& e_;
  Index n_, m_, k_, kp_;
  int threads_;
  std::vector<T> s_;
  RowChunks chunks_;
  std::vector<T> hp_;       ///< H's rows (of Hᵀ) padded to kp_
  std::vector<T> partial_;  ///< chunk partials of Sᵀ·W, m × kp_ each (empty: by columns)
};

template <typename T>
std::unique_ptr<core::FillOps<T>> make_fill(const core::MissingEntries& e, Index n, Index m,
                                            Index k, int threads, double partials_limit_bytes) {
  return std::unique_ptr<core::FillOps<T>>(new Fill<T>(e, n, m, k, threads, partials_limit_bytes));
}
