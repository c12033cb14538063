#pragma once
// The hot code for sparse data in compressed sparse rows (CSR): the same skinny products, norms
// and checks as dense.hpp, with the same contracts, costing O(nnz·p) instead of O(n·m·p).
// Deterministic for any thread count (see chunks.hpp).
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/dense.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::kernels {

/// The most columns a CsrMatrix can have: its column indices are 32-bit.
inline constexpr Index kMaxCsrCols = std::numeric_limits<std::int32_t>::max();

/// A rows × cols matrix in compressed sparse rows. Row i's stored entries are
/// value[row_start[i] .. row_start[i+1]) at columns col[...] in increasing order.
/// row_start has rows + 1 entries, starts at 0 and is 64-bit, so the number of stored entries is
/// unbounded in practice; col is 32-bit (half the memory traffic of 64-bit indices), which limits
/// cols to kMaxCsrCols (2^31 − 1): csr_from_dense checks this.
template <typename T>
struct CsrMatrix {
  Index rows = 0;
  Index cols = 0;
  std::vector<std::int64_t> row_start;
  std::vector<std::int32_t> col;
  std::vector<T> value;

  Index nonzeros() const { return static_cast<Index>(value.size()); }
};

/// A CSR matrix in the caller's memory (scipy.sparse.csr_matrix's layout): row_start (rows + 1
/// offsets from 0) and col have the same integer type I, 32- or 64-bit; nothing is copied.
template <typename T, typename I>
struct CsrRef {
  Index rows = 0;
  Index cols = 0;
  std::span<const I> row_start;
  std::span<const I> col;
  std::span<const T> value;

  Index nonzeros() const { return static_cast<Index>(value.size()); }
};
template <typename T>
using CsrRef32 = CsrRef<T, std::int32_t>;
template <typename T>
using CsrRef64 = CsrRef<T, std::int64_t>;

/// The allocator of large arrays that are sized once and then written in full, in parallel:
/// value-initialisation (vector::resize, the size constructor) leaves elements default-initialised
/// (uninitialised for arithmetic types), so there is no zeroing pass and each thread touches its
/// own pages first; and an allocation of kBigPagesFrom bytes or more is mapped on its own and
/// marked for transparent huge pages (madvise), where the kernel allows them. Touching fresh
/// memory cost 2.6–3.3 ms per MB on the virtual machine measured (1.0–1.4 ms with huge pages), the
/// largest part of building an 8-bit CSR of millions of images.
inline constexpr std::size_t kBigPagesFrom = std::size_t{1} << 22;
void* allocate_big(std::size_t bytes);
void free_big(void* p, std::size_t bytes) noexcept;

template <typename T>
struct DefaultInit {
  using value_type = T;
  DefaultInit() = default;
  template <typename U>
  DefaultInit(const DefaultInit<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_big(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { free_big(p, n * sizeof(T)); }
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... A>
  void construct(U* p, A&&... a) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
  }
  template <typename U>
  bool operator==(const DefaultInit<U>&) const noexcept {
    return true;
  }
};

/// The most columns a CsrBytes can have: its column indices are 16-bit.
inline constexpr Index kMaxCsrBytesCols = 65536;

/// A CsrMatrix whose stored values are 8-bit levels, in a quarter of the memory traffic of
/// float values with 32-bit indices: each stored value is palette[code[e]] exactly, and columns
/// are 16-bit. Images with 8-bit pixels (scaled by 1/255 or not) have this form; the products
/// read the palette entry, so they equal CsrMatrix's up to rounding.
template <typename T>
struct CsrBytes {
  Index rows = 0;
  Index cols = 0;
  std::vector<std::int64_t> row_start;
  std::vector<std::uint16_t, DefaultInit<std::uint16_t>> col;  ///< written in full once sized
  std::vector<std::uint8_t, DefaultInit<std::uint8_t>> code;
  std::array<T, 256> palette{};

  Index nonzeros() const { return static_cast<Index>(code.size()); }
};

/// x in CsrBytes form (its non-zeros, exactly, as csr_from_dense keeps them) when every non-zero
/// is q/255 (as converted from 8-bit pixels, in double or in T) or the integer q, for q in
/// 1…255, and x has 1 to kMaxCsrBytesCols columns; otherwise nothing. Built straight from the
/// dense view: the float CSR form is never held.
template <typename T>
std::optional<CsrBytes<T>> csr_bytes(const DenseView<T>& x, int threads);

/// How many entries of `levels` hold each of the 256 levels (exact counts, any thread count).
std::array<std::int64_t, 256> level_counts(const DenseView<std::uint8_t>& levels, int threads);

/// How many of bytes[0..count) hold each of the 256 values (exact counts, any thread count).
std::array<std::int64_t, 256> byte_counts(const std::uint8_t* bytes, std::int64_t count,
                                          int threads);

/// The CSR row starts of `levels` (rows + 1 entries from 0): where each row's non-zero levels
/// would begin among all of them in row-major order.
std::vector<std::int64_t> level_row_starts(const DenseView<std::uint8_t>& levels, int threads);

/// The CsrBytes form of the matrix whose entry (i, j) is palette[levels(i, j)], with palette[0]
/// = 0 and levels of 0 not stored: an 8-bit image set without a float copy of it. levels must
/// have 1 to kMaxCsrBytesCols columns (throws InvalidArgument otherwise).
template <typename T>
CsrBytes<T> csr_bytes_from_levels(const DenseView<std::uint8_t>& levels,
                                  const std::array<T, 256>& palette, int threads);

/// The same, given level_row_starts(levels) (so a caller that counted the non-zeros to choose
/// the format does not count them again).
template <typename T>
CsrBytes<T> csr_bytes_from_levels(const DenseView<std::uint8_t>& levels,
                                  const std::array<T, 256>& palette,
                                  std::vector<std::int64_t> row_start, int threads);

/// Writes the non-zero levels of `levels` and their columns, row r's from start[r] to
/// start[r + 1] (start: level_row_starts(levels) plus any offset, rows + 1 entries), into col and
/// code: one block of rows of a CsrBytes built a block at a time. Throws InvalidArgument when a
/// row's count is not start[r + 1] − start[r], or for the shapes csr_bytes_from_levels refuses.
void fill_csr_bytes(const DenseView<std::uint8_t>& levels, const std::int64_t* start,
                    std::uint16_t* col, std::uint8_t* code, int threads);

/// The CSR form of x, exactly: every entry that compares unequal to zero is stored (NaN included),
/// zeros (and −0) are not. The result depends only on x, not on the thread count. Throws
/// InvalidArgument if x has more than kMaxCsrCols columns.
template <typename T>
CsrMatrix<T> csr_from_dense(const DenseView<T>& x, int threads);

/// The fraction of x's entries that equal zero (−0 included; NaN is not zero); 0 for an empty x.
template <typename T>
double zero_fraction(const DenseView<T>& x, int threads);

// As in dense.hpp, every function that reads X takes `scale` and works on scale·X.

// The products below take any CSR form, M = CsrMatrix<T>, CsrBytes<T> or CsrRef<T, I> for 32- and
// 64-bit I (instantiated for each, T = float and double). norm_and_sum and first_invalid take
// CsrMatrix<T> and CsrRef<T, I>.

/// out (n × p) = scale · X (n × m) · right (m × p). Each output row is summed in T over its
/// stored entries in column order (in four interleaved partial sums), then multiplied by scale.
template <typename M, typename T>
void times(const M& x, T scale, const T* right, Index p, T* out, int threads);

/// out (m × p) = scale · Xᵀ (m × n) · right (n × p): each fixed row chunk forms its m × p partial,
/// the partials are summed in chunk order, then multiplied by scale.
template <typename M, typename T>
void transpose_times(const M& x, T scale, const T* right, Index p, T* out, int threads);

/// One pass over X's rows, in blocks of at most `block_rows` rows within each fixed row chunk
/// (several threads at once, each block by one call): for each block, the block's rows of
/// scale·X·right, then block(...), then the block's rows of w (n × p) are added into
/// out (m × p) = scale·Xᵀ·w and gram (p × p) = wᵀw (double). X is read once where
/// times + transpose_times + gram read it twice and w three times; every sum is formed in the
/// same order as those kernels form it, so the results equal theirs bit for bit.
template <typename M, typename T>
void fused_rows(const M& x, T scale, const T* right, Index p, T* w, Index block_rows,
                const RowBlockFn<T>& block, T* out, double* gram, int threads);

/// ‖scale·X − W·H‖²_F for W (n × k) and H (k × m), as
/// Σ_stored[(scale·x − wh)² − wh²] + ⟨WᵀW, HHᵀ⟩, everything in double (wh too): O(nnz·k +
/// (n+m)·k²). The Gram term carries the zero entries; its rounding is relative to ‖W·H‖², so near
/// an exact fit the result is accurate to about 1e-16·‖W·H‖² absolute.
template <typename M, typename T>
double residual_squared_norm(const M& x, double scale, const T* w, const T* h, Index k,
                             int threads);

/// The per-entry part of the Kullback-Leibler (β = 1) updates and divergence, at X's stored entries
/// only (scikit-learn's _special_sparse_dot): with wh_e = W_i·Ht_j for stored entry e = (i, j)
/// (W n × k, Ht m × k, both row-major; summed in T, in vector lanes added in a fixed order) and
/// safe(wh) = wh, or `epsilon` where wh is exactly 0:
/// - when q is not null, q[e] = scale·x_e / safe(wh_e) (computed in double, rounded to T) for every
///   stored entry, in X's entry order: the values of the Q whose Q·Ht and Qᵀ·W are the updates'
///   numerators (Q has X's row_start and col);
/// - when `divergence`, returns Σ over the stored entries with scale·x_e > epsilon of
///   scale·x_e·log(scale·x_e / safe(wh_e)) − scale·x_e, in double (the log within 1 ulp; fixed
///   lanes and row chunks added in a fixed order); otherwise 0. Adding Σ W·H over every entry
///   gives the divergence D_1(scale·X ‖ W·H).
/// O(nnz·k); the same result for any thread count.
template <typename M, typename T>
double kl_quotients(const M& x, double scale, const T* w, const T* ht, Index k, double epsilon,
                    T* q, bool divergence, int threads);

/// ‖X‖²_F and Σ X, accumulated in double in the same order as the dense kernel (row by row, chunk
/// by chunk), so the results equal the dense ones bit for bit.
template <typename M>
NormAndSum norm_and_sum(const M& x, int threads);

/// The first stored entry (in row-major order) that is negative, NaN or infinite, if any.
template <typename M>
std::optional<BadEntry> first_invalid(const M& x, int threads);

}  // namespace nmfkit::kernels
