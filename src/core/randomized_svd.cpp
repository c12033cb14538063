#include "core/randomized_svd.hpp"

// GCC 12 warns of "maybe uninitialized" values inside the AVX-512 kernels of Eigen's products
// instantiated here, falsely.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "core/random.hpp"
#include "kernels/chunks.hpp"
#include "kernels/dense.hpp"
#include "kernels/parallel_errors.hpp"

namespace nmfkit::core {

namespace {

/// Calls work(chunk, first_row, row_count) for each of the fixed row chunks of `rows`, in
/// parallel; what work throws (Eigen's products allocate) is rethrown after the region.
template <typename Work>
void for_row_chunks(Index rows, int threads, Work&& work) {
  const kernels::RowChunks chunks = kernels::row_chunks(rows);
  kernels::ParallelErrors errors;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c)
    errors.run([&] { work(c, chunks.begin(c), chunks.end(c) - chunks.begin(c)); });
  errors.rethrow();
}

/// aᵀa in double (kernels::gram: the chunks' partial Grams summed in chunk order, the same bytes
/// for any thread count).
Eigen::MatrixXd gram_of(const RowMajorXd& a, int threads) {
  Eigen::MatrixXd g(a.cols(), a.cols());
  kernels::gram(a.data(), a.rows(), a.cols(), g.data(), threads);  // symmetric: either layout
  return g;
}

/// The upper Cholesky factor R of `gram` (= aᵀa, so that a·R⁻¹ has orthonormal columns), or
/// nothing when a's columns are nearly dependent (the factorisation fails, or R's diagonal spans
/// more than 1e5).
std::optional<Eigen::MatrixXd> cholesky_factor(const Eigen::MatrixXd& gram) {
  const Eigen::LLT<Eigen::MatrixXd> llt(gram);
  if (llt.info() != Eigen::Success) return std::nullopt;
  Eigen::MatrixXd r = llt.matrixU();
  const Eigen::VectorXd d = r.diagonal();
  if (!(d.minCoeff() > 1e-5 * d.maxCoeff())) return std::nullopt;
  return r;
}

/// R⁻¹ for cholesky_factor's R, or nothing where it gives nothing.
std::optional<Eigen::MatrixXd> inverse_cholesky_factor(const Eigen::MatrixXd& gram) {
  const std::optional<Eigen::MatrixXd> r = cholesky_factor(gram);
  if (!r) return std::nullopt;
  return Eigen::MatrixXd(
      r->triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(r->cols(), r->cols())));
}

/// a ← a·m, by rows, in parallel.
void multiply_rows(RowMajorXd& a, const Eigen::MatrixXd& m, int threads) {
  for_row_chunks(a.rows(), threads, [&](Index, Index first, Index count) {
    a.middleRows(first, count) = (a.middleRows(first, count) * m).eval();
  });
}

/// a·m (a.rows() × m.cols()), by rows, in parallel.
RowMajorXd rows_times(const RowMajorXd& a, const Eigen::MatrixXd& m, int threads) {
  RowMajorXd out(a.rows(), m.cols());
  for_row_chunks(a.rows(), threads, [&](Index, Index first, Index count) {
    out.middleRows(first, count) = a.middleRows(first, count) * m;
  });
  return out;
}

/// The leading `rank` singular triplets of a tall a (rows × l): a = Q·R by two Cholesky passes
/// (each a Gram and a product by rows, in parallel), then the SVD of the small R, a = (Q·U_R) S
/// V_Rᵀ. Nothing when a's columns are nearly dependent. On many rows this is cheaper than
/// bidiagonalising a (Eigen's BDCSVD and the rotation: 12 ms for a 5000 × 30 Xᵀ·Q).
std::optional<TruncatedSvd> tall_svd(RowMajorXd a, Index rank, int threads) {
  const Index l = a.cols();
  Eigen::MatrixXd r_total = Eigen::MatrixXd::Identity(l, l);
  for (int pass = 0; pass < 2; ++pass) {
    const std::optional<Eigen::MatrixXd> r = cholesky_factor(gram_of(a, threads));
    if (!r) return std::nullopt;
    multiply_rows(a, r->triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(l, l)),
                  threads);
    r_total = (*r * r_total).eval();
  }
  const Eigen::BDCSVD<Eigen::MatrixXd> small(r_total, Eigen::ComputeFullU | Eigen::ComputeFullV);
  TruncatedSvd t;
  t.u = rows_times(a, small.matrixU().leftCols(rank), threads);
  t.s = small.singularValues().head(rank);
  t.v = small.matrixV().leftCols(rank);
  return t;
}

/// Replaces a's columns by an orthonormal basis of their span. Cholesky QR, `passes` times
/// (each pass a Gram, a k × k factorisation and a product by rows, all parallel; one pass leaves
/// an orthogonality error of about eps·cond², a second one removes it); when the columns are
/// nearly dependent, Householder QR, which completes the basis.
/// `gram`, when given, is aᵀa, the first pass's Gram.
void orthonormalize(RowMajorXd& a, int threads, int passes = 2,
                    const Eigen::MatrixXd* gram = nullptr) {
  for (int pass = 0; pass < passes; ++pass) {
    const std::optional<Eigen::MatrixXd> r_inverse =
        inverse_cholesky_factor(pass == 0 && gram != nullptr ? *gram : gram_of(a, threads));
    if (!r_inverse) {
      const Eigen::MatrixXd dense = a;
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(dense);
      a = qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
      return;
    }
    multiply_rows(a, *r_inverse, threads);
  }
}

/// The products of the range finder, computed in the data's precision, with buffers kept from
/// one product to the next (fresh buffers of this size would cost page faults every time).
template <typename T>
class Sketch {
 public:
  Sketch(const Scaled<T>& x, Index l, int threads)
      : x_(x),
        threads_(threads),
        long_(x.rows(), l),
        short_in_(x.cols(), l),
        short_out_(x.cols(), l) {}

  /// q (rows × l) = X · b (cols × l).
  void forward(const RowMajorXd& b, RowMajorXd& q) {
    convert(b, short_in_);
    x_.times(short_in_.data(), b.cols(), long_.data());
    convert(long_, q);
  }

  /// b (cols × l) = Xᵀ · q (rows × l).
  void backward(const RowMajorXd& q, RowMajorXd& b) {
    convert(q, long_);
    x_.transpose_times(long_.data(), q.cols(), short_out_.data());
    convert(short_out_, b);
  }

  /// Whether round_trip() is available: the data's fused pass (Scaled::fused_w_pass).
  bool fuses() const { return x_.has_fused_w_pass(); }

  /// back (cols × l) = Xᵀ · q for q (rows × l) = X · b, in one pass over X, with gram = qᵀq (in
  /// double, of q as rounded to the data's precision, as back sees it); q is kept for
  /// last_forward(). Only where fuses().
  void round_trip(const RowMajorXd& b, RowMajorXd& back, Eigen::MatrixXd& gram) {
    const Index l = b.cols();
    convert(b, short_in_);
    long_.resize(x_.rows(), l);
    short_out_.resize(x_.cols(), l);
    gram.resize(l, l);
    T* rows = long_.data();
    auto keep = [&](Index first, Index count, const T* p) {
      std::copy(p, p + count * l, rows + first * l);
    };
    x_.fused_w_pass(short_in_.data(), l, rows, kRoundTripRows, keep, short_out_.data(),
                    gram.data());
    convert(short_out_, back);
  }

  /// q = X · b of the last round_trip().
  void last_forward(RowMajorXd& q) const { convert(long_, q); }

 private:
  using RowMajorT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  template <typename From, typename To>
  void convert(const From& from, To& to) const {
    to.resize(from.rows(), from.cols());
    for_row_chunks(from.rows(), threads_, [&](Index, Index first, Index count) {
      to.middleRows(first, count) =
          from.middleRows(first, count).template cast<typename To::Scalar>();
    });
  }

  /// Rows per block of round_trip()'s pass: X's rows are read once for both products.
  static constexpr Index kRoundTripRows = 16;

  const Scaled<T>& x_;
  int threads_;
  RowMajorT long_, short_in_, short_out_;
};

}  // namespace

template <typename T>
TruncatedSvd randomized_svd(const Scaled<T>& x, Index rank, Index oversamples, int power_iterations,
                            std::uint32_t seed, int threads, double settled) {
  threads = threads > 0 ? threads : omp_get_max_threads();
  const Index l = std::min(rank + oversamples, std::min(x.rows(), x.cols()));
  NumpyRandom rng(seed);
  RowMajorXd omega(x.cols(), l);
  for (Index i = 0; i < omega.rows(); ++i)
    for (Index j = 0; j < l; ++j) omega(i, j) = rng.normal();

  Sketch<T> sketch(x, l, threads);
  RowMajorXd q(x.rows(), l), back(x.cols(), l), b = omega;
  Eigen::MatrixXd gram;
  // back = Xᵀ·Q for Q = X·b orthonormalised by `passes` Cholesky passes (as orthonormalize);
  // q = Q when `want_q`. With `fuse`, X is read once: X·b and Xᵀ·(X·b) come from one pass with
  // (X·b)ᵀ(X·b) = RᵀR, and Xᵀ·Q = (Xᵀ·X·b)·R⁻¹, so the long side's basis is formed only when it
  // is wanted. Nearly dependent columns take orthonormalize's way.
  auto range = [&](int passes, bool want_q, bool fuse) {
    if (fuse) {
      sketch.round_trip(b, back, gram);
      std::optional<Eigen::MatrixXd> r_inverse = inverse_cholesky_factor(gram);
      if (r_inverse && !want_q && passes == 1) {
        multiply_rows(back, *r_inverse, threads);
        return;
      }
      sketch.last_forward(q);
      int pass = 0;
      if (r_inverse) {
        multiply_rows(q, *r_inverse, threads);
        Eigen::MatrixXd total = *r_inverse;
        for (pass = 1; pass < passes; ++pass) {
          const std::optional<Eigen::MatrixXd> next = inverse_cholesky_factor(gram_of(q, threads));
          if (!next) break;
          multiply_rows(q, *next, threads);
          total = (total * *next).eval();
        }
        if (pass == passes) {
          multiply_rows(back, total, threads);
          return;
        }
      }
      orthonormalize(q, threads, passes - pass);
    } else {
      sketch.forward(b, q);
      orthonormalize(q, threads, passes);
    }
    sketch.backward(q, back);
  };
  // The fused pass's Xᵀ·Q carries rounding errors of X·b's precision amplified by cond(X·b)², where
  // two passes amplify them by cond(X·b); b spans about X's leading l right singular vectors, so
  // cond(X·b) is about σ₁/σ_l of the estimates. The pass is taken while that amplified rounding
  // stays below kFusedRounding (an initialisation needs no more: the power iterations themselves
  // stop at `settled`). On MNIST (σ₁/σ₁₆ ≈ 7) or a tf-idf matrix every pass after the first fuses.
  constexpr double kFusedRounding = 1e-3;
  auto fusable = [&](const Eigen::VectorXd& sigma) {
    if (!sketch.fuses() || sigma.size() == 0 || !(sigma(sigma.size() - 1) > 0)) return false;
    const double cond = sigma(0) / sigma(sigma.size() - 1);
    return double(std::numeric_limits<T>::epsilon()) * cond * cond <= kFusedRounding;
  };
  // Inside the power iterations a basis only has to keep the columns apart (scikit-learn uses an
  // LU factor there): one Cholesky pass on the long side, two on the short one. The first
  // iteration, from a random b, never fuses.
  Eigen::VectorXd estimates;  // the singular values of Xᵀ·Q, descending
  bool fuse = false;
  for (int it = 0; it < power_iterations; ++it) {
    range(1, false, fuse);
    // The singular values of Xᵀ·Q (Q orthonormal) estimate X's from below and rise towards them
    // with every iteration: once the leading ones have settled, stop.
    const Eigen::VectorXd previous = estimates;
    const Eigen::MatrixXd back_gram = gram_of(back, threads);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(back_gram, Eigen::EigenvaluesOnly);
    estimates = eigen.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt();
    const Index leading = std::min(rank, l);
    const bool settled_now = settled > 0 && previous.size() == estimates.size() &&
                             ((estimates - previous).head(leading).cwiseAbs().array() <=
                              settled * estimates.head(leading).array())
                                 .all();
    fuse = fusable(estimates);
    orthonormalize(back, threads, 2, &back_gram);
    std::swap(b, back);
    if (settled_now) break;
  }
  range(2, true, fuse);
  // B = Qᵀ X (l × cols); its transpose Xᵀ Q is what the data can compute. Bᵀ = V_b S U_bᵀ, so
  // X ≈ (Q U_b) S V_bᵀ.
  const Index r = std::min(rank, l);
  TruncatedSvd bt_svd;  // u = V_b (cols × r), v = U_b (l × r)
  if (std::optional<TruncatedSvd> tall = tall_svd(back, r, threads)) {
    bt_svd = std::move(*tall);
  } else {
    const Eigen::MatrixXd bt = back;
    const Eigen::BDCSVD<Eigen::MatrixXd> svd(bt, Eigen::ComputeThinU | Eigen::ComputeThinV);
    bt_svd.u = svd.matrixU().leftCols(r);
    bt_svd.s = svd.singularValues().head(r);
    bt_svd.v = svd.matrixV().leftCols(r);
  }
  TruncatedSvd result;
  result.u = rows_times(q, bt_svd.v, threads);
  result.s = std::move(bt_svd.s);
  result.v = std::move(bt_svd.u);
  return result;
}

template TruncatedSvd randomized_svd<float>(const Scaled<float>&, Index, Index, int, std::uint32_t,
                                            int, double);
template TruncatedSvd randomized_svd<double>(const Scaled<double>&, Index, Index, int,
                                             std::uint32_t, int, double);

}  // namespace nmfkit::core
