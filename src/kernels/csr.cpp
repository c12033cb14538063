#include "kernels/csr.hpp"

#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "kernels/chunks.hpp"
#include "kernels/per_thread.hpp"
#include "kernels/variants.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::kernels {

void* allocate_big(std::size_t bytes) {
  if (bytes < kBigPagesFrom) {
    if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
    throw std::bad_alloc();
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint: refused or ignored, the pages are plain
#endif
  return p;
}

void free_big(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kBigPagesFrom)
    std::free(p);
  else
    ::munmap(p, bytes);
}

namespace {

template <typename T>
bool is_invalid(T v) {
  return !(v >= T(0)) || std::isinf(v);
}

}  // namespace

template <typename T>
CsrMatrix<T> csr_from_dense(const DenseView<T>& x, int threads) {
  if (x.rows < 0 || x.cols < 0)
    throw InvalidArgument("X has a negative shape (" + std::to_string(x.rows) + " x " +
                          std::to_string(x.cols) + ")");
  if (x.cols > kMaxCsrCols)
    throw InvalidArgument("X has " + std::to_string(x.cols) +
                          " columns; the sparse format holds at most " +
                          std::to_string(kMaxCsrCols));
  CsrMatrix<T> m;
  m.rows = x.rows;
  m.cols = x.cols;
  m.row_start.assign(static_cast<std::size_t>(x.rows + 1), 0);
  if (x.rows == 0 || x.cols == 0) return m;
  std::int64_t* start = m.row_start.data();
  // Count each row's non-zeros, turn the counts into offsets, then copy: the layout is fixed by x.
#pragma omp parallel for schedule(dynamic, kRowsPerTask) num_threads(threads)
  for (Index r = 0; r < x.rows; ++r) {
    const T* row = x.row(r);
    std::int64_t count = 0;
    for (Index j = 0; j < x.cols; ++j) count += row[j] != T(0);
    start[r + 1] = count;
  }
  for (Index r = 0; r < x.rows; ++r) start[r + 1] += start[r];
  const auto nonzeros = static_cast<std::size_t>(start[x.rows]);
  m.col.resize(nonzeros);
  m.value.resize(nonzeros);
  std::int32_t* col = m.col.data();
  T* value = m.value.data();
#pragma omp parallel for schedule(dynamic, kRowsPerTask) num_threads(threads)
  for (Index r = 0; r < x.rows; ++r) {
    const T* row = x.row(r);
    std::int64_t e = start[r];
    for (Index j = 0; j < x.cols; ++j) {
      if (row[j] != T(0)) {
        col[e] = static_cast<std::int32_t>(j);
        value[e] = row[j];
        ++e;
      }
    }
  }
  return m;
}

template <typename T>
double zero_fraction(const DenseView<T>& x, int threads) {
  if (x.rows <= 0 || x.cols <= 0 || x.data == nullptr || x.stride < x.cols) return 0.0;
  const Index total = sum_over_rows<Index>(x.rows, threads, [&](Index r) {
    const T* row = x.row(r);
    Index count = 0;
    for (Index j = 0; j < x.cols; ++j) count += row[j] == T(0);
    return count;
  });
  return double(total) / (double(x.rows) * double(x.cols));
}

// The products run the instruction-set variant chosen at run time (kernels/variants.hpp); their
// body is kernels/csr_products.inl.

template <typename M, typename T>
void times(const M& x, T scale, const T* right, Index p, T* out, int threads) {
  NMFKIT_DISPATCH(times, x, scale, right, p, out, threads);
}

template <typename M, typename T>
void transpose_times(const M& x, T scale, const T* right, Index p, T* out, int threads) {
  NMFKIT_DISPATCH(transpose_times, x, scale, right, p, out, threads);
}

template <typename M, typename T>
void fused_rows(const M& x, T scale, const T* right, Index p, T* w, Index block_rows,
                const RowBlockFn<T>& block, T* out, double* gram, int threads) {
  NMFKIT_DISPATCH(fused_rows, x, scale, right, p, w, block_rows, block, out, gram, threads);
}

template <typename M, typename T>
double residual_squared_norm(const M& x, double scale, const T* w, const T* h, Index k,
                             int threads) {
  NMFKIT_DISPATCH(residual_squared_norm, x, scale, w, h, k, threads);
}

template <typename M, typename T>
double kl_quotients(const M& x, double scale, const T* w, const T* ht, Index k, double epsilon,
                    T* q, bool divergence, int threads) {
  NMFKIT_DISPATCH(kl_quotients, x, scale, w, ht, k, epsilon, q, divergence, threads);
}

namespace {

/// The 8-bit level of v in units of `unit` (1/255 or 1), if v is one: the q in 1…255 with
/// v == q·unit as computed in double and rounded to T, or as T(q)/T(1/unit). v is finite and
/// positive. (An exact level divided by `unit` is within a few ulps of q, so q is found by
/// rounding v·(1/unit); the equality tests decide.)
template <typename T>
int level_of(T v, double unit) {
  const double t = double(v) * (unit < 1 ? 255.0 : 1.0);
  if (!(t >= 0.5 && t < 255.5)) return -1;
  const int q = int(t + 0.5);
  if (v == static_cast<T>(q * unit) || (unit < 1 && v == static_cast<T>(T(q) / T(255)))) return q;
  return -1;
}

}  // namespace

template <typename T>
std::optional<CsrBytes<T>> csr_bytes(const DenseView<T>& x, int threads) {
  if (x.rows <= 0 || x.cols <= 0 || x.cols > kMaxCsrBytesCols) return std::nullopt;
  const RowChunks chunks = row_chunks(x.rows);
  const auto count = static_cast<std::size_t>(chunks.count);
  for (const double unit : {1.0 / 255.0, 1.0}) {
    // Each chunk's table of the value seen at each level (0 while unseen), and whether every
    // non-zero in it is a level with one value: counted row by row, as csr_from_dense does.
    std::vector<std::array<T, 256>> tables(count);
    std::vector<char> levels(count, 1);
    CsrBytes<T> b;
    b.rows = x.rows;
    b.cols = x.cols;
    b.row_start.assign(static_cast<std::size_t>(x.rows + 1), 0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (Index c = 0; c < chunks.count; ++c) {
      std::array<T, 256>& table = tables[static_cast<std::size_t>(c)];
      table.fill(T(0));
      for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
        const T* row = x.row(r);
        std::int64_t nonzeros = 0;
        bool ok = true;
        for (Index j = 0; j < x.cols; ++j) {
          if (row[j] == T(0)) continue;
          const int q = level_of(row[j], unit);
          ok = ok && q >= 0 && (table[q] == T(0) || table[q] == row[j]);
          if (q >= 0) table[q] = row[j];
          ++nonzeros;
        }
        b.row_start[static_cast<std::size_t>(r + 1)] = nonzeros;
        if (!ok) {
          levels[static_cast<std::size_t>(c)] = 0;
          break;
        }
      }
    }
    bool ok = std::all_of(levels.begin(), levels.end(), [](char l) { return l != 0; });
    for (std::size_t c = 0; c < count && ok; ++c)
      for (int q = 0; q < 256 && ok; ++q) {
        const T v = tables[c][static_cast<std::size_t>(q)];
        if (v == T(0)) continue;
        ok = b.palette[static_cast<std::size_t>(q)] == T(0) ||
             b.palette[static_cast<std::size_t>(q)] == v;
        b.palette[static_cast<std::size_t>(q)] = v;
      }
    if (!ok) continue;
    std::int64_t* start = b.row_start.data();
    for (Index r = 0; r < x.rows; ++r) start[r + 1] += start[r];
    b.col.resize(static_cast<std::size_t>(start[x.rows]));
    b.code.resize(b.col.size());
#pragma omp parallel for schedule(dynamic, kRowsPerTask) num_threads(threads)
    for (Index r = 0; r < x.rows; ++r) {
      const T* row = x.row(r);
      std::int64_t e = start[r];
      for (Index j = 0; j < x.cols; ++j) {
        if (row[j] == T(0)) continue;
        b.col[static_cast<std::size_t>(e)] = static_cast<std::uint16_t>(j);
        b.code[static_cast<std::size_t>(e)] = static_cast<std::uint8_t>(level_of(row[j], unit));
        ++e;
      }
    }
    return b;
  }
  return std::nullopt;
}

std::array<std::int64_t, 256> level_counts(const DenseView<std::uint8_t>& levels, int threads) {
  const RowChunks chunks = row_chunks(levels.rows);
  std::vector<std::array<std::int64_t, 256>> partial(static_cast<std::size_t>(chunks.count));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    // Four tables taking the entries in turn: runs of equal levels (zeros, mostly) then update
    // four counters instead of waiting on one.
    std::uint32_t lane[4][256] = {};
    std::array<std::int64_t, 256>& count = partial[static_cast<std::size_t>(c)];
    count.fill(0);
    auto flush = [&] {
      for (std::size_t q = 0; q < 256; ++q) {
        count[q] += std::int64_t(lane[0][q]) + lane[1][q] + lane[2][q] + lane[3][q];
        lane[0][q] = lane[1][q] = lane[2][q] = lane[3][q] = 0;
      }
    };
    std::int64_t pending = 0;  // entries counted in the tables since the last flush
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
      if (pending + levels.cols > std::int64_t(UINT32_MAX)) {
        flush();
        pending = 0;
      }
      pending += levels.cols;
      const std::uint8_t* row = levels.row(r);
      Index j = 0;
      for (; j + 4 <= levels.cols; j += 4) {
        ++lane[0][row[j]];
        ++lane[1][row[j + 1]];
        ++lane[2][row[j + 2]];
        ++lane[3][row[j + 3]];
      }
      for (; j < levels.cols; ++j) ++lane[0][row[j]];
    }
    flush();
  }
  std::array<std::int64_t, 256> total{};
  for (const auto& count : partial)
    for (std::size_t q = 0; q < 256; ++q) total[q] += count[q];
  return total;
}

std::array<std::int64_t, 256> byte_counts(const std::uint8_t* bytes, std::int64_t count,
                                          int threads) {
  // As rows of a fixed width (so the partition, and nothing else, depends on count alone), the
  // last partial row by itself.
  constexpr Index kWidth = 4096;
  const Index rows = count / kWidth;
  std::array<std::int64_t, 256> total{};
  if (rows > 0) total = level_counts(DenseView<std::uint8_t>(bytes, rows, kWidth), threads);
  for (std::int64_t i = rows * kWidth; i < count; ++i) ++total[bytes[i]];
  return total;
}

std::vector<std::int64_t> level_row_starts(const DenseView<std::uint8_t>& levels, int threads) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(std::max<Index>(levels.rows, 0) + 1), 0);
  std::int64_t* s = start.data();
#pragma omp parallel for schedule(dynamic, kRowsPerTask) num_threads(threads)
  for (Index r = 0; r < levels.rows; ++r) {
    const std::uint8_t* row = levels.row(r);
    std::int64_t nonzeros = 0;
    // 32-bit counts vectorise best; pieces of 2^30 columns keep them from overflowing.
    for (Index j0 = 0; j0 < levels.cols; j0 += Index(1) << 30) {
      const Index j1 = std::min(levels.cols, j0 + (Index(1) << 30));
      std::int32_t piece = 0;
#pragma omp simd reduction(+ : piece)
      for (Index j = j0; j < j1; ++j) piece += row[j] != 0 ? 1 : 0;
      nonzeros += piece;
    }
    s[r + 1] = nonzeros;
  }
  for (Index r = 0; r < levels.rows; ++r) s[r + 1] += s[r];
  return start;
}

namespace {

void check_bytes_shape(const DenseView<std::uint8_t>& levels) {
  if (levels.rows <= 0 || levels.cols <= 0 || levels.cols > kMaxCsrBytesCols)
    throw InvalidArgument("8-bit CSR needs 1 to " + std::to_string(kMaxCsrBytesCols) +
                          " columns, got " + std::to_string(levels.cols));
}

}  // namespace

void fill_csr_bytes(const DenseView<std::uint8_t>& levels, const std::int64_t* start,
                    std::uint16_t* col, std::uint8_t* code, int threads) {
  check_bytes_shape(levels);
  int mismatch = 0;
  // Without branches: each entry is written to a scratch row at the next free place, which only a
  // non-zero then takes; the row's non-zeros are copied out. Eight zeros in a row (most of an
  // image's background) are skipped at once.
  PerThreadScratch<std::uint16_t> cols_scratch(threads, levels.cols + 1);
  PerThreadScratch<std::uint8_t> codes_scratch(threads, levels.cols + 1);
#pragma omp parallel num_threads(threads)
  {
    std::uint16_t* cols = cols_scratch.mine().data();
    std::uint8_t* codes = codes_scratch.mine().data();
#pragma omp for schedule(dynamic, kRowsPerTask)
    for (Index r = 0; r < levels.rows; ++r) {
      const std::uint8_t* row = levels.row(r);
      std::int64_t e = 0;
      auto take = [&](Index j) {
        cols[static_cast<std::size_t>(e)] = static_cast<std::uint16_t>(j);
        codes[static_cast<std::size_t>(e)] = row[j];
        e += row[j] != 0;
      };
      Index j = 0;
      for (; j + 8 <= levels.cols; j += 8) {
        std::uint64_t eight;
        std::memcpy(&eight, row + j, sizeof eight);
        if (eight == 0) continue;
        for (Index t = j; t < j + 8; ++t) take(t);
      }
      for (; j < levels.cols; ++j) take(j);
      if (e != start[r + 1] - start[r]) {
#pragma omp atomic write
        mismatch = 1;
        e = std::min(e, start[r + 1] - start[r]);
      }
      std::copy(cols, cols + e, col + start[r]);
      std::copy(codes, codes + e, code + start[r]);
    }
  }
  if (mismatch != 0) throw InvalidArgument("the row starts are not the levels' (level_row_starts)");
}

template <typename T>
CsrBytes<T> csr_bytes_from_levels(const DenseView<std::uint8_t>& levels,
                                  const std::array<T, 256>& palette, int threads) {
  check_bytes_shape(levels);
  return csr_bytes_from_levels(levels, palette, level_row_starts(levels, threads), threads);
}

template <typename T>
CsrBytes<T> csr_bytes_from_levels(const DenseView<std::uint8_t>& levels,
                                  const std::array<T, 256>& palette,
                                  std::vector<std::int64_t> row_start, int threads) {
  check_bytes_shape(levels);
  bool valid = row_start.size() == static_cast<std::size_t>(levels.rows + 1) && row_start[0] == 0;
  for (Index r = 0; valid && r < levels.rows; ++r) {
    const std::int64_t count =
        row_start[static_cast<std::size_t>(r + 1)] - row_start[static_cast<std::size_t>(r)];
    valid = count >= 0 && count <= levels.cols;
  }
  if (!valid) throw InvalidArgument("the row starts are not the levels' (level_row_starts)");
  CsrBytes<T> b;
  b.rows = levels.rows;
  b.cols = levels.cols;
  b.palette = palette;
  b.palette[0] = T(0);
  b.row_start = std::move(row_start);
  const std::int64_t* start = b.row_start.data();
  b.col.resize(static_cast<std::size_t>(start[levels.rows]));
  b.code.resize(b.col.size());
  fill_csr_bytes(levels, start, b.col.data(), b.code.data(), threads);
  return b;
}

template <typename M>
NormAndSum norm_and_sum(const M& x, int threads) {
  return sum_over_rows<NormAndSum>(x.rows, threads, [&](Index r) {
    NormAndSum s;
    for (std::int64_t e = x.row_start[r]; e < x.row_start[r + 1]; ++e) {
      const double v = x.value[e];
      s.squared_norm += v * v;
      s.sum += v;
    }
    return s;
  });
}

template <typename M>
std::optional<BadEntry> first_invalid(const M& x, int threads) {
  const RowChunks chunks = row_chunks(x.rows);
  const auto* start = x.row_start.data();
  const auto* value = x.value.data();
  std::vector<Index> first_row(static_cast<std::size_t>(chunks.count), -1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    for (Index r = chunks.begin(c); r < chunks.end(c); ++r) {
      bool bad = false;
      for (std::int64_t e = start[r]; e < start[r + 1]; ++e) bad |= is_invalid(value[e]);
      if (bad) {
        first_row[static_cast<std::size_t>(c)] = r;
        break;
      }
    }
  }
  for (Index r : first_row) {
    if (r < 0) continue;
    for (std::int64_t e = start[r]; e < start[r + 1]; ++e)
      if (is_invalid(value[e])) return BadEntry{r, Index(x.col[e]), double(value[e])};
  }
  return std::nullopt;
}

#define NMFKIT_PRODUCTS(M, T)                                                                    \
  template void times<M, T>(const M&, T, const T*, Index, T*, int);                              \
  template void transpose_times<M, T>(const M&, T, const T*, Index, T*, int);                    \
  template void fused_rows<M, T>(const M&, T, const T*, Index, T*, Index, const RowBlockFn<T>&,  \
                                 T*, double*, int);                                              \
  template double residual_squared_norm<M, T>(const M&, double, const T*, const T*, Index, int); \
  template double kl_quotients<M, T>(const M&, double, const T*, const T*, Index, double, T*,    \
                                     bool, int);
#define NMFKIT_INSTANTIATE(T)                                                                     \
  template CsrMatrix<T> csr_from_dense<T>(const DenseView<T>&, int);                              \
  template double zero_fraction<T>(const DenseView<T>&, int);                                     \
  template std::optional<CsrBytes<T>> csr_bytes<T>(const DenseView<T>&, int);                     \
  template CsrBytes<T> csr_bytes_from_levels<T>(const DenseView<std::uint8_t>&,                   \
                                                const std::array<T, 256>&, int);                  \
  template CsrBytes<T> csr_bytes_from_levels<T>(                                                  \
      const DenseView<std::uint8_t>&, const std::array<T, 256>&, std::vector<std::int64_t>, int); \
  NMFKIT_PRODUCTS(CsrMatrix<T>, T)                                                                \
  NMFKIT_PRODUCTS(CsrBytes<T>, T)                                                                 \
  NMFKIT_PRODUCTS(CsrRef32<T>, T)                                                                 \
  NMFKIT_PRODUCTS(CsrRef64<T>, T)                                                                 \
  template NormAndSum norm_and_sum<CsrMatrix<T>>(const CsrMatrix<T>&, int);                       \
  template NormAndSum norm_and_sum<CsrRef32<T>>(const CsrRef32<T>&, int);                         \
  template NormAndSum norm_and_sum<CsrRef64<T>>(const CsrRef64<T>&, int);                         \
  template std::optional<BadEntry> first_invalid<CsrMatrix<T>>(const CsrMatrix<T>&, int);         \
  template std::optional<BadEntry> first_invalid<CsrRef32<T>>(const CsrRef32<T>&, int);           \
  template std::optional<BadEntry> first_invalid<CsrRef64<T>>(const CsrRef64<T>&, int);
NMFKIT_INSTANTIATE(float)
NMFKIT_INSTANTIATE(double)
#undef NMFKIT_INSTANTIATE
#undef NMFKIT_PRODUCTS

}  // namespace nmfkit::kernels
