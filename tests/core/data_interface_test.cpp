// The public seams of the fit, used as a caller would, through the public headers alone: a data
// class written here (X held as a caller's own rows) gives the fit of the built-in storage; rows
// split between two "processes" (threads) joined by a Reducer give the fit of all rows; two fits
// at once in one process give their bytes alone; a cancel flag stops a fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <thread>
#include <vector>

#include "nmfkit/nmfkit.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

/// X as rows [first, first + count) of a row-major matrix, with every product written out
/// directly (each sum in double, in index order): nothing of nmfkit's own storage or kernels.
template <typename T>
class RowsData final : public Data<T> {
 public:
  RowsData(const Matrix<T>& x, Index first, Index count) : x_(x), first_(first), count_(count) {}
  Index rows() const override { return count_; }
  Index cols() const override { return x_.cols; }
  DataStats stats() const override {
    DataStats s;
    for (Index i = 0; i < count_; ++i)
      for (Index j = 0; j < x_.cols; ++j) {
        const double v = at(i, j);
        s.squared_norm += v * v;
        s.sum += v;
      }
    return s;
  }
  void times(const T* right, Index p, T scale, T* out, int) const override {
    for (Index i = 0; i < count_; ++i)
      for (Index l = 0; l < p; ++l) {
        double s = 0;
        for (Index j = 0; j < x_.cols; ++j) s += at(i, j) * double(right[j * p + l]);
        out[i * p + l] = static_cast<T>(double(scale) * s);
      }
  }
  void transpose_times(const T* right, Index p, T scale, T* out, int) const override {
    for (Index j = 0; j < x_.cols; ++j)
      for (Index l = 0; l < p; ++l) {
        double s = 0;
        for (Index i = 0; i < count_; ++i) s += at(i, j) * double(right[i * p + l]);
        out[j * p + l] = static_cast<T>(double(scale) * s);
      }
  }
  DenseView<T> row_block(Index first, Index count, std::vector<T>& buffer) const override {
    buffer.assign(static_cast<std::size_t>(count * x_.cols), T(0));
    for (Index i = 0; i < count; ++i)
      for (Index j = 0; j < x_.cols; ++j)
        buffer[std::size_t(i * x_.cols + j)] = x_(first_ + first + i, j);
    return DenseView<T>(buffer.data(), count, x_.cols);
  }

 private:
  double at(Index i, Index j) const { return double(x_(first_ + i, j)); }
  const Matrix<T>& x_;
  Index first_, count_;
};

/// Joins `size` threads, each a "process" holding some rows: sum() adds the values of every
/// process, in process order, and gives every process the total.
class ThreadReducer final : public Reducer {
 public:
  struct Shared {
    explicit Shared(int size)
        : barrier(size), doubles(std::size_t(size)), floats(std::size_t(size)) {}
    std::barrier<> barrier;
    std::vector<std::vector<double>> doubles;
    std::vector<std::vector<float>> floats;
  };
  ThreadReducer(Shared& shared, int rank) : shared_(shared), rank_(rank) {}
  void sum(std::span<double> values) const override { reduce(values, shared_.doubles); }
  void sum(std::span<float> values) const override { reduce(values, shared_.floats); }

 private:
  template <typename V>
  void reduce(std::span<V> values, std::vector<std::vector<V>>& slots) const {
    slots[std::size_t(rank_)].assign(values.begin(), values.end());
    shared_.barrier.arrive_and_wait();
    for (std::size_t i = 0; i < values.size(); ++i) {
      V total = 0;
      for (const auto& slot : slots) total += slot[i];
      values[i] = total;
    }
    shared_.barrier.arrive_and_wait();  // every process has read the slots before they change
  }
  Shared& shared_;
  int rank_;
};

FitOptions options(const char* solver, int k) {
  FitOptions o;
  o.k = k;
  o.solver = solver;
  o.max_iter = 40;
  o.tol = 0;
  o.threads = 1;
  return o;
}

void expect_close(const Matrix<double>& a, const Matrix<double>& b, double tol) {
  ASSERT_EQ(a.rows, b.rows);
  ASSERT_EQ(a.cols, b.cols);
  double largest = 0;
  for (double v : b.values) largest = std::max(largest, std::abs(v));
  for (std::size_t i = 0; i < a.values.size(); ++i)
    ASSERT_NEAR(a.values[i], b.values[i], tol * largest) << "entry " << i;
}

class CallerData : public ::testing::TestWithParam<const char*> {};

TEST_P(CallerData, GivesTheFitOfTheBuiltInStorage) {
  const Matrix<double> x = testing::uniform_matrix<double>(120, 40, 11);
  FitOptions o = options(GetParam(), 5);
  if (std::string(GetParam()) == "mu") o.beta = 1;  // through the row blocks
  o.format = DataFormat::kDense;
  const FitResult<double> built_in = fit(x.view(), o);
  const RowsData<double> mine(x, 0, x.rows);
  const FitResult<double> caller = fit(mine, o);
  EXPECT_EQ(caller.format, "custom");
  EXPECT_EQ(caller.iterations, built_in.iterations);
  expect_close(caller.W, built_in.W, 1e-9);
  expect_close(caller.H, built_in.H, 1e-9);
  EXPECT_NEAR(caller.error, built_in.error, 1e-9 * built_in.error);
  ASSERT_EQ(caller.loss_history.size(), built_in.loss_history.size());
  for (std::size_t i = 0; i < caller.loss_history.size(); ++i)
    EXPECT_NEAR(caller.loss_history[i], built_in.loss_history[i], 1e-9 * built_in.loss_history[0]);
}

INSTANTIATE_TEST_SUITE_P(Rules, CallerData, ::testing::Values("cd", "hals", "anls-bpp", "mu"));

/// The fit of x's rows split between `parts` processes from the same start, W's rows joined.
FitResult<double> split_fit(const Matrix<double>& x, const FitOptions& o,
                            const StartFactors<double>& start, int parts) {
  ThreadReducer::Shared shared(parts);
  std::vector<FitResult<double>> results(static_cast<std::size_t>(parts));
  std::vector<std::thread> processes;
  for (int r = 0; r < parts; ++r)
    processes.emplace_back([&, r] {
      const Index first = x.rows * r / parts, count = x.rows * (r + 1) / parts - first;
      const RowsData<double> rows(x, first, count);
      const ThreadReducer reducer(shared, r);
      const StartFactors<double> mine{DenseView<double>(start.w.row(first), count, start.w.cols),
                                      start.h};
      FitContext context;
      context.reducer = &reducer;
      results[std::size_t(r)] = fit(rows, o, &mine, context);
    });
  for (std::thread& t : processes) t.join();
  FitResult<double> joined = results[0];
  joined.W = Matrix<double>(x.rows, o.k);
  Index row = 0;
  for (const FitResult<double>& r : results) {
    EXPECT_TRUE(same_bytes(r.H.values, results[0].H.values));  // H is the same everywhere
    EXPECT_EQ(r.loss_history, results[0].loss_history);
    std::copy(r.W.values.begin(), r.W.values.end(), joined.W.row(row));
    row += r.W.rows;
  }
  return joined;
}

/// Fits x whole and split between 2 and 3 processes, from the same random start: the same fit.
void expect_split_gives_whole(const Matrix<double>& x, FitOptions o, std::uint32_t seed) {
  o.init = Init::kCustom;
  const Matrix<double> w0 = testing::uniform_matrix<double>(x.rows, o.k, seed, 0.1);
  const Matrix<double> h0 = testing::uniform_matrix<double>(o.k, x.cols, seed + 1, 0.1);
  const StartFactors<double> start{w0.view(), h0.view()};
  const RowsData<double> all(x, 0, x.rows);
  const FitResult<double> whole = fit(all, o, &start);
  for (int parts : {2, 3}) {
    const FitResult<double> split = split_fit(x, o, start, parts);
    EXPECT_EQ(split.iterations, whole.iterations) << parts;
    expect_close(split.W, whole.W, 1e-8);
    expect_close(split.H, whole.H, 1e-8);
    EXPECT_NEAR(split.error, whole.error, 1e-9 * whole.error);
    EXPECT_NEAR(split.x_norm, whole.x_norm, 1e-12 * whole.x_norm);
  }
}

class SplitRows : public ::testing::TestWithParam<const char*> {};

TEST_P(SplitRows, GiveTheFitOfAllRows) {
  FitOptions o = options(GetParam(), 4);
  if (std::string(GetParam()) == "mu") o.beta = 1;
  o.alpha_w = 0.01;  // W's penalty is a sum over samples too
  o.l1_ratio = 0.5;
  expect_split_gives_whole(testing::uniform_matrix<double>(90, 30, 21), o, 22);
}

INSTANTIATE_TEST_SUITE_P(Rules, SplitRows, ::testing::Values("cd", "hals", "mu"));

TEST(SplitRowsExtrapolated, GiveTheFitOfAllRows) {
  FitOptions o = options("hals", 3);
  o.extrapolate = true;
  expect_split_gives_whole(testing::uniform_matrix<double>(80, 25, 31), o, 32);
}

// NNDSVD needs every sample in one process: with a reducer the start must be random or given.
TEST(SplitRows, RefuseAnInitThatNeedsAllSamples) {
  const Matrix<double> x = testing::uniform_matrix<double>(20, 8, 81);
  ThreadReducer::Shared shared(1);
  const ThreadReducer reducer(shared, 0);
  const RowsData<double> rows(x, 0, x.rows);
  FitContext context;
  context.reducer = &reducer;
  FitOptions o = options("cd", 2);
  try {
    fit(rows, o, nullptr, context);
    ADD_FAILURE() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("init 'nndsvda'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("reducer"), std::string::npos) << e.what();
  }
  o.init = Init::kRandom;
  EXPECT_NO_THROW(fit(rows, o, nullptr, context));
}

TEST(ConcurrentFits, GiveTheirBytesAlone) {
  const Matrix<float> a = testing::uniform_matrix<float>(3000, 60, 41);
  const Matrix<float> b = testing::low_rank<float>(2500, 70, 6, 42).x;
  FitOptions o = options("cd", 6);
  o.threads = 2;
  FitOptions ob = o;
  ob.solver = "hals";
  const FitResult<float> alone_a = fit(a.view(), o);
  const FitResult<float> alone_b = fit(b.view(), ob);
  for (int round = 0; round < 3; ++round) {
    FitResult<float> ra, rb;
    std::thread ta([&] { ra = fit(a.view(), o); });
    std::thread tb([&] { rb = fit(b.view(), ob); });
    ta.join();
    tb.join();
    EXPECT_TRUE(same_bytes(ra.W.values, alone_a.W.values)) << round;
    EXPECT_TRUE(same_bytes(ra.H.values, alone_a.H.values)) << round;
    EXPECT_TRUE(same_bytes(rb.W.values, alone_b.W.values)) << round;
    EXPECT_TRUE(same_bytes(rb.H.values, alone_b.H.values)) << round;
  }
}

/// x's non-zeros in compressed sparse rows with indices of type I.
template <typename I>
struct Csr {
  std::vector<I> indptr{0}, indices;
  std::vector<double> values;
  explicit Csr(const Matrix<double>& x) {
    for (Index i = 0; i < x.rows; ++i) {
      for (Index j = 0; j < x.cols; ++j)
        if (x(i, j) != 0) indices.push_back(static_cast<I>(j)), values.push_back(x(i, j));
      indptr.push_back(static_cast<I>(values.size()));
    }
  }
  CsrView<double, I> view(const Matrix<double>& x) const {
    return {x.rows, x.cols, indptr.data(), indices.data(), values.data()};
  }
};

template <typename I>
void expect_csr_view_gives_sparse_fit() {
  Matrix<double> x = testing::uniform_matrix<double>(300, 50, 61);
  for (std::size_t e = 0; e < x.values.size(); e += 3) x.values[e] = 0;  // a third zeros
  const Csr<I> csr(x);
  for (const char* solver : {"cd", "hals", "mu"}) {
    FitOptions o = options(solver, 4);
    o.format = DataFormat::kSparse;
    const FitResult<double> copied = fit(x.view(), o);
    const FitResult<double> in_place = fit(csr.view(x), o);
    EXPECT_EQ(in_place.format, "sparse");
    EXPECT_TRUE(same_bytes(in_place.W.values, copied.W.values)) << solver;
    EXPECT_TRUE(same_bytes(in_place.H.values, copied.H.values)) << solver;
  }
  // A β read through row blocks (not 2, not 1: those read the stored entries) gives the dense fit.
  FitOptions blocks = options("mu", 4);
  blocks.beta = 1.5;
  blocks.init = Init::kRandom;
  blocks.format = DataFormat::kDense;
  const FitResult<double> dense = fit(x.view(), blocks);
  const FitResult<double> in_place = fit(csr.view(x), blocks);
  EXPECT_TRUE(same_bytes(in_place.W.values, dense.W.values));
}

TEST(CsrViewFit, IsTheSparseFitWithoutACopy) {
  expect_csr_view_gives_sparse_fit<std::int32_t>();
  expect_csr_view_gives_sparse_fit<std::int64_t>();
}

TEST(CsrViewFit, RefusesABrokenStructure) {
  const Matrix<double> x = testing::uniform_matrix<double>(4, 5, 71);
  Csr<std::int32_t> csr(x);
  const FitOptions o = options("cd", 2);
  auto message = [&](const Csr<std::int32_t>& c) -> std::string {
    try {
      fit(c.view(x), o);
    } catch (const DataError& e) {
      return e.what();
    }
    return "no error";
  };
  Csr<std::int32_t> bad = csr;
  bad.indptr[0] = 1;
  EXPECT_NE(message(bad).find("start at 0"), std::string::npos) << message(bad);
  bad = csr;
  bad.indices[3] = 1;  // row 0: columns 0, 1, 2, 1
  EXPECT_NE(message(bad).find("sample 0 has column 1 after 2"), std::string::npos) << message(bad);
  bad = csr;
  bad.indices[0] = 7;
  EXPECT_NE(message(bad).find("column 7"), std::string::npos) << message(bad);
  bad = csr;
  bad.values[6] = -1;
  EXPECT_NE(message(bad).find("sample 1, feature 1"), std::string::npos) << message(bad);
  bad = csr;
  bad.indptr[2] = 2;
  EXPECT_NE(message(bad).find("decreases at sample 1"), std::string::npos) << message(bad);
}

TEST(Cancel, StopsTheFit) {
  const Matrix<double> x = testing::uniform_matrix<double>(50, 20, 51);
  const RowsData<double> rows(x, 0, x.rows);
  FitOptions o = options("cd", 3);
  o.max_iter = 1000;
  std::atomic<bool> cancel{false};
  int iterations = 0;
  o.progress = [&](const Progress& p) {
    iterations = p.iteration;
    if (p.iteration == 5) cancel = true;
    return true;
  };
  FitContext context;
  context.cancel = &cancel;
  EXPECT_THROW(fit(rows, o, nullptr, context), Cancelled);
  EXPECT_EQ(iterations, 5);
}

}  // namespace
}  // namespace nmfkit
