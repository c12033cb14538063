#include "core/randomized_svd.hpp"

// GCC 12 warns of "maybe uninitialized" values inside the AVX-512 kernels of Eigen's products
// instantiated here, falsely.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "core/random.hpp"
#include "kernels/chunks.hpp"
#include "kernels/parallel_errors.hpp"

namespace nmfkit::core {

namespace {

using RowMajorXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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

/// aᵀa, the chunks' partial Grams summed in chunk order (the same bytes for any thread count).
Eigen::MatrixXd gram_of(const RowMajorXd& a, int threads) {
  std::vector<Eigen::MatrixXd> partial(
      static_cast<std::size_t>(kernels::row_chunks(a.rows()).count));
  for_row_chunks(a.rows(), threads, [&](Index c, Index first, Index count) {
    const auto block = a.middleRows(first, count);
    partial[static_cast<std::size_t>(c)] = block.transpose() * block;
  });
  Eigen::MatrixXd g = Eigen::MatrixXd::Zero(a.cols(), a.cols());
  for (const Eigen::MatrixXd& p : partial) g += p;
  return g;
}

/// Replaces a's columns by an orthonormal basis of their span. Cholesky QR, `passes` times
/// (each pass a Gram, a k × k factorisation and a product by rows, all parallel; one pass leaves
/// an orthogonality error of about eps·cond², a second one removes it); when the columns are
/// nearly dependent, Householder QR, which completes the basis.
void orthonormalize(RowMajorXd& a, int threads, int passes = 2) {
  for (int pass = 0; pass < passes; ++pass) {
    const Eigen::LLT<Eigen::MatrixXd> llt(gram_of(a, threads));
    bool well_conditioned = llt.info() == Eigen::Success;
    Eigen::MatrixXd r;
    if (well_conditioned) {
      r = llt.matrixU();
      const Eigen::VectorXd d = r.diagonal();
      well_conditioned = d.minCoeff() > 1e-5 * d.maxCoeff();
    }
    if (!well_conditioned) {
      const Eigen::MatrixXd dense = a;
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(dense);
      a = qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
      return;
    }
    const Eigen::MatrixXd r_inverse =
        r.triangularView<Eigen::Upper>().solve(Eigen::MatrixXd::Identity(a.cols(), a.cols()));
    for_row_chunks(a.rows(), threads, [&](Index, Index first, Index count) {
      a.middleRows(first, count) = (a.middleRows(first, count) * r_inverse).eval();
    });
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
  RowMajorXd q(x.rows(), l), back(x.cols(), l);
  sketch.forward(omega, q);
  // Inside the power iterations a basis only has to keep the columns apart (scikit-learn uses an
  // LU factor there): one Cholesky pass on the long side, two on the short one.
  Eigen::VectorXd estimates;
  for (int it = 0; it < power_iterations; ++it) {
    orthonormalize(q, threads, 1);
    sketch.backward(q, back);
    if (settled > 0) {
      // The singular values of Xᵀ·Q (Q orthonormal) estimate X's from below and rise towards
      // them with every iteration: once the leading ones have settled, stop.
      const Eigen::VectorXd previous = estimates;
      const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(gram_of(back, threads),
                                                                 Eigen::EigenvaluesOnly);
      estimates = eigen.eigenvalues().reverse().head(std::min(rank, l)).cwiseMax(0.0).cwiseSqrt();
      if (previous.size() == estimates.size() &&
          ((estimates - previous).cwiseAbs().array() <= settled * estimates.array()).all()) {
        orthonormalize(back, threads);
        sketch.forward(back, q);
        break;
      }
    }
    orthonormalize(back, threads);
    sketch.forward(back, q);
  }
  orthonormalize(q, threads);
  // B = Qᵀ X (l × cols); its transpose Xᵀ Q is what the data can compute.
  sketch.backward(q, back);
  const Eigen::MatrixXd bt = back;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(bt, Eigen::ComputeThinU | Eigen::ComputeThinV);
  // Bᵀ = V_b S U_bᵀ, so X ≈ (Q U_b) S V_bᵀ.
  TruncatedSvd result;
  const Index r = std::min(rank, l);
  const Eigen::MatrixXd rotation = svd.matrixV().leftCols(r);
  result.u.resize(x.rows(), r);
  for_row_chunks(x.rows(), threads, [&](Index, Index first, Index count) {
    result.u.middleRows(first, count) = q.middleRows(first, count) * rotation;
  });
  result.s = svd.singularValues().head(r);
  result.v = svd.matrixU().leftCols(r);
  return result;
}

template TruncatedSvd randomized_svd<float>(const Scaled<float>&, Index, Index, int, std::uint32_t,
                                            int, double);
template TruncatedSvd randomized_svd<double>(const Scaled<double>&, Index, Index, int,
                                             std::uint32_t, int, double);

}  // namespace nmfkit::core
