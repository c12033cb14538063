// Micro benchmarks of what bounds one NMF iteration on this machine: memory bandwidth (a read-only
// sum over a buffer far larger than the caches), dense product throughput (OpenBLAS sgemm on the
// MNIST shape) and nmfkit's products X·Hᵀ and Xᵀ·W on MNIST in each representation (dense float,
// CSR float, CSR bytes). docs/performance.md turns these numbers into the bound of an iteration.
// BM_KlCdRow times the Kullback-Leibler / Itakura-Saito coordinate descent's Newton step on one
// line (kernels::kl_cd_row), one thread.
//
//   build/release/bench/nmfkit_micro_bench --benchmark_counters_tabular=true
// reads MNIST from data/mnist (scripts/fetch-mnist.sh) or $NMFKIT_DATA_DIR/mnist; without it the
// product benchmarks run on synthetic data with MNIST's shape and density (81% zeros).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/csr_data.hpp"
#include "io/array.hpp"
#include "io/idx.hpp"
#include "kernels/blas.hpp"
#include "kernels/blas_threads.hpp"
#include "kernels/csr.hpp"
#include "kernels/dense.hpp"
#include "kernels/kl_cd.hpp"

namespace {

using nmfkit::DenseView;
using nmfkit::Index;

constexpr Index kN = 60000, kM = 784;

/// MNIST's training images as float32 in [0, 1], or synthetic 8-bit images of the same shape.
const std::vector<float>& images() {
  static const std::vector<float> x = [] {
    const char* dir = std::getenv("NMFKIT_DATA_DIR");
    const std::string path = std::string(dir ? dir : "data") + "/mnist/train-images-idx3-ubyte";
    if (std::filesystem::exists(path))
      return nmfkit::io::to_vector<float>(nmfkit::io::read_idx(path), 1.0 / 255.0);
    std::mt19937 gen(0);
    std::uniform_int_distribution<int> level(1, 255);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> v(static_cast<std::size_t>(kN * kM), 0.0f);
    for (float& e : v)
      if (u(gen) >= 0.81) e = static_cast<float>(level(gen) * (1.0 / 255.0));
    return v;
  }();
  return x;
}

int threads(const benchmark::State& state) {
  return static_cast<int>(state.range(0));
}

std::vector<float> uniform(Index count) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> v(static_cast<std::size_t>(count));
  for (float& e : v) e = u(gen);
  return v;
}

/// Bytes/s of a read-only pass (sum) over a buffer of range(1) MiB: 512 MiB measures main memory,
/// 24 MiB (the size of MNIST in 8-bit CSR) what the last-level cache gives when it holds X.
void BM_MemoryReadBandwidth(benchmark::State& state) {
  const std::size_t count = std::size_t(state.range(1)) << 20 >> 3;
  std::vector<double> buffer(count, 1.0);
  const int t = threads(state);
  for (auto _ : state) {
    double sum = 0;
    // Eight independent partial sums per thread, so the loop is bound by the bytes it reads,
    // not by the latency of one chain of additions.
#pragma omp parallel for reduction(+ : sum) schedule(static) num_threads(t)
    for (std::size_t block = 0; block < count / 8; ++block) {
      const double* b = buffer.data() + block * 8;
      sum += ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
    }
    benchmark::DoNotOptimize(sum);
  }
  state.counters["GB/s"] = benchmark::Counter(double(count * sizeof(double)),
                                              benchmark::Counter::kIsIterationInvariantRate);
}

/// Flop/s of a large square OpenBLAS sgemm (1536³): what the cores can do at best.
void BM_PeakSgemm(benchmark::State& state) {
  const Index n = 1536;
  const std::vector<float> a = uniform(n * n), b = uniform(n * n);
  std::vector<float> c(static_cast<std::size_t>(n * n));
  openblas_set_num_threads(threads(state));
  for (auto _ : state)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(n), int(n), int(n), 1.0f, a.data(),
                int(n), b.data(), int(n), 0.0f, c.data(), int(n));
  state.counters["GFlop/s"] = benchmark::Counter(2.0 * double(n) * double(n) * double(n) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

/// GFlop/s of one product of MNIST's shape (60000 × 784) with k columns.
void product_flops(benchmark::State& state, Index k) {
  state.counters["GFlop/s"] = benchmark::Counter(2.0 * double(kN) * double(kM) * double(k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

/// Flop/s of OpenBLAS sgemm for X·Hᵀ on the dense MNIST shape (the dense kernels' engine).
void BM_DenseTimes(benchmark::State& state) {
  const Index k = state.range(1);
  const DenseView<float> x(images().data(), kN, kM);
  const std::vector<float> ht = uniform(kM * k);
  std::vector<float> out(static_cast<std::size_t>(kN * k));
  nmfkit::kernels::BlasThreadsGuard guard;
  for (auto _ : state) nmfkit::kernels::times(x, 1.0f, ht.data(), k, out.data(), threads(state));
  product_flops(state, k);
}

/// The fused pass over dense X (MNIST's shape, float: X·Hᵀ, an update that keeps W, Xᵀ·W and
/// WᵀW) in the fit's blocks of 64 rows: what a Frobenius iteration on dense data spends outside the
/// coordinate sweeps. GFlop/s counts the two products.
void BM_DenseFusedPass(benchmark::State& state) {
  const Index k = state.range(1);
  const DenseView<float> x(images().data(), kN, kM);
  const std::vector<float> ht = uniform(kM * k);
  std::vector<float> w = uniform(kN * k), xtw(static_cast<std::size_t>(kM * k));
  std::vector<double> gram(static_cast<std::size_t>(k * k));
  const nmfkit::kernels::RowBlockFn<float> keep = [](Index, Index, const float*) {};
  for (auto _ : state)
    nmfkit::kernels::fused_rows(x, 1.0f, ht.data(), k, w.data(), 64, keep, xtw.data(), gram.data(),
                                threads(state));
  state.counters["GFlop/s"] = benchmark::Counter(4.0 * double(kN) * double(kM) * double(k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

void BM_DenseTransposeTimes(benchmark::State& state) {
  const Index k = state.range(1);
  const DenseView<float> x(images().data(), kN, kM);
  const std::vector<float> w = uniform(kN * k);
  std::vector<float> out(static_cast<std::size_t>(kM * k));
  nmfkit::kernels::BlasThreadsGuard guard;
  for (auto _ : state)
    nmfkit::kernels::transpose_times(x, 1.0f, w.data(), k, out.data(), threads(state));
  product_flops(state, k);
}

/// MNIST's pixels as dense 8-bit levels (kernels::DenseLevels, how the CLI stores dense image
/// data): the products decode a block of rows at a time.
const nmfkit::kernels::DenseLevels& levels() {
  static const std::vector<std::uint8_t> q = [] {
    std::vector<std::uint8_t> v(images().size());
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<std::uint8_t>(std::lround(images()[i] * 255.0f));
    return v;
  }();
  static const nmfkit::kernels::DenseLevels x = nmfkit::kernels::DenseLevels::with_scale(
      DenseView<std::uint8_t>(q.data(), kN, kM), 1.0 / 255);
  return x;
}

void BM_LevelsTimes(benchmark::State& state) {
  const Index k = state.range(1);
  const std::vector<float> ht = uniform(kM * k);
  std::vector<float> out(static_cast<std::size_t>(kN * k));
  for (auto _ : state)
    nmfkit::kernels::times(levels(), 1.0f, ht.data(), k, out.data(), threads(state));
  product_flops(state, k);
}

void BM_LevelsTransposeTimes(benchmark::State& state) {
  const Index k = state.range(1);
  const std::vector<float> w = uniform(kN * k);
  std::vector<float> out(static_cast<std::size_t>(kM * k));
  for (auto _ : state)
    nmfkit::kernels::transpose_times(levels(), 1.0f, w.data(), k, out.data(), threads(state));
  product_flops(state, k);
}

/// W's Gram matrix WᵀW in double (kernels::gram, what every Frobenius iteration forms for W's
/// n rows, inside the fused pass block by block): GFlop/s counts the upper triangle's
/// multiply-adds.
void BM_Gram(benchmark::State& state) {
  const Index k = state.range(1);
  const std::vector<float> w = uniform(kN * k);
  std::vector<double> g(static_cast<std::size_t>(k * k));
  for (auto _ : state) nmfkit::kernels::gram(w.data(), kN, k, g.data(), threads(state));
  state.counters["GFlop/s"] = benchmark::Counter(double(kN) * double(k) * double(k + 1) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

template <typename M>
void sparse_counters(benchmark::State& state, const M& x, Index k, double bytes_per_entry) {
  const double nnz = double(x.row_start.back());
  state.counters["GFlop/s"] = benchmark::Counter(2.0 * nnz * double(k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB/s"] = benchmark::Counter(nnz * bytes_per_entry * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

const nmfkit::kernels::CsrMatrix<float>& csr() {
  static const auto m = nmfkit::kernels::csr_from_dense(DenseView<float>(images().data(), kN, kM),
                                                        omp_get_max_threads());
  return m;
}

const nmfkit::kernels::CsrBytes<float>& csr_bytes() {
  static const auto m =
      *nmfkit::kernels::csr_bytes(DenseView<float>(images().data(), kN, kM), omp_get_max_threads());
  return m;
}

template <typename M>
void csr_times(benchmark::State& state, const M& x, double bytes_per_entry) {
  const Index k = state.range(1);
  const std::vector<float> ht = uniform(kM * k);
  std::vector<float> out(static_cast<std::size_t>(kN * k));
  for (auto _ : state) nmfkit::kernels::times(x, 1.0f, ht.data(), k, out.data(), threads(state));
  sparse_counters(state, x, k, bytes_per_entry);
}

template <typename M>
void csr_transpose_times(benchmark::State& state, const M& x, double bytes_per_entry) {
  const Index k = state.range(1);
  const std::vector<float> w = uniform(kN * k);
  std::vector<float> out(static_cast<std::size_t>(kM * k));
  for (auto _ : state)
    nmfkit::kernels::transpose_times(x, 1.0f, w.data(), k, out.data(), threads(state));
  sparse_counters(state, x, k, bytes_per_entry);
}

void BM_CsrFloatTimes(benchmark::State& s) {
  csr_times(s, csr(), 8);
}
void BM_CsrFloatTransposeTimes(benchmark::State& s) {
  csr_transpose_times(s, csr(), 8);
}
void BM_CsrBytesTimes(benchmark::State& s) {
  csr_times(s, csr_bytes(), 3);
}
void BM_CsrBytesTransposeTimes(benchmark::State& s) {
  csr_transpose_times(s, csr_bytes(), 3);
}

/// The fused pass (kernels::fused_rows) with a row update that leaves W as it is: X·Hᵀ, Xᵀ·W and
/// WᵀW in one pass over X, against the two products above.
void BM_CsrBytesFusedPass(benchmark::State& state) {
  const Index k = state.range(1);
  const std::vector<float> ht = uniform(kM * k);
  std::vector<float> w = uniform(kN * k), xtw(static_cast<std::size_t>(kM * k));
  std::vector<double> gram(static_cast<std::size_t>(k * k));
  const nmfkit::kernels::RowBlockFn<float> keep = [](Index, Index, const float*) {};
  for (auto _ : state)
    nmfkit::kernels::fused_rows(csr_bytes(), 1.0f, ht.data(), k, w.data(), 16, keep, xtw.data(),
                                gram.data(), threads(state));
  sparse_counters(state, csr_bytes(), 2 * k, 3);
}

/// Building the 8-bit CSR form straight from the pixels (what a fit of 8-bit images does first).
void BM_CsrBytesFromPixels(benchmark::State& state) {
  std::vector<std::uint8_t> pixels(images().size());
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<std::uint8_t>(std::lround(images()[i] * 255.0f));
  std::array<float, 256> palette{};
  for (std::size_t q = 0; q < 256; ++q) palette[q] = static_cast<float>(double(q) / 255.0);
  const DenseView<std::uint8_t> levels(pixels.data(), kN, kM);
  for (auto _ : state)
    benchmark::DoNotOptimize(
        nmfkit::kernels::csr_bytes_from_levels(levels, palette, threads(state)).code.data());
  state.counters["GB/s"] =
      benchmark::Counter(double(kN * kM) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

/// One Newton step per entry of kernels::kl_cd_row on one line of range(1) entries at k = 40
/// (range(0): 0 Kullback-Leibler, 1 Itakura-Saito), one thread, v carried from call to call as in
/// a fit: seconds per entry and step (the spectrogram's W lines are 513 entries, its H lines
/// 19997).
void BM_KlCdRow(benchmark::State& state) {
  const bool is = state.range(0) != 0;
  const Index len = state.range(1), k = 40;
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> u(0.1f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(len)), g(static_cast<std::size_t>(k * len));
  std::vector<float> f(static_cast<std::size_t>(k)), v(x.size());
  for (float& e : x) e = u(gen) * float(k);
  for (float& e : g) e = u(gen);
  for (float& e : f) e = u(gen);
  std::vector<double> g_sum(static_cast<std::size_t>(k), 0.0);
  for (Index t = 0; t < k; ++t)
    for (Index p = 0; p < len; ++p) g_sum[t] += g[t * len + p];
  nmfkit::kernels::KlCdControl control;
  control.max_steps = 1;
  control.step_tol = 0;
  control.itakura_saito = is;
  for (auto _ : state) {
    benchmark::DoNotOptimize(nmfkit::kernels::kl_cd_row(x.data(), len, f.data(), g.data(), len,
                                                        g_sum.data(), k, control, v.data()));
    control.v_given = true;
  }
  state.counters["s/entry-step"] = benchmark::Counter(
      double(len * k), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// W·H for a block of range(1) rows of W at k = range(0) and 513 columns (the spectrogram's bins),
/// one thread: range(2) 0 nmfkit's kernels::w_times_h, 1 BLAS's sgemm. The β-divergences form
/// W·H a block of rows at a time (16 rows in the coordinate descent, about 2000 in mu).
void BM_WTimesH(benchmark::State& state) {
  const Index k = state.range(0), rows = state.range(1), m = 513;
  const bool blas = state.range(2) != 0;
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> w(static_cast<std::size_t>(rows * k)), h(static_cast<std::size_t>(k * m));
  std::vector<float> wh(static_cast<std::size_t>(rows * m));
  for (float& e : w) e = u(gen);
  for (float& e : h) e = u(gen);
  const nmfkit::kernels::BlasThreadsGuard single;
  for (auto _ : state) {
    if (blas)
      nmfkit::kernels::gemm(false, rows, m, k, 1.0f, w.data(), k, h.data(), m, wh.data(), m);
    else
      nmfkit::kernels::w_times_h(w.data(), rows, k, h.data(), m, wh.data());
    benchmark::DoNotOptimize(wh.data());
  }
  state.counters["flop/s"] =
      benchmark::Counter(double(2 * rows * k * m), benchmark::Counter::kIsIterationInvariantRate);
}

void thread_args(benchmark::internal::Benchmark* b) {
  for (int t : {1, 2})
    for (int k : {4, 10, 20, 50, 100}) b->Args({t, k});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_MemoryReadBandwidth)
    ->Args({1, 512})
    ->Args({2, 512})
    ->Args({1, 24})
    ->Args({2, 24})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeakSgemm)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DenseTimes)->Apply(thread_args);
BENCHMARK(BM_DenseTransposeTimes)->Apply(thread_args);
BENCHMARK(BM_DenseFusedPass)->Apply(thread_args);
BENCHMARK(BM_LevelsTimes)->Apply(thread_args);
BENCHMARK(BM_LevelsTransposeTimes)->Apply(thread_args);
BENCHMARK(BM_Gram)->Apply(thread_args);
BENCHMARK(BM_WTimesH)
    ->ArgsProduct({{10, 40}, {16, 2048}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CsrFloatTimes)->Apply(thread_args);
BENCHMARK(BM_CsrFloatTransposeTimes)->Apply(thread_args);
BENCHMARK(BM_CsrBytesTimes)->Apply(thread_args);
BENCHMARK(BM_CsrBytesTransposeTimes)->Apply(thread_args);
BENCHMARK(BM_CsrBytesFusedPass)->Apply(thread_args);
BENCHMARK(BM_KlCdRow)->Args({0, 513})->Args({1, 513})->Args({0, 19997})->Args({1, 19997});
BENCHMARK(BM_CsrBytesFromPixels)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
