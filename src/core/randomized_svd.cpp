#include "core/randomized_svd.hpp"

#include <algorithm>
#include <vector>

#include "core/random.hpp"

namespace nmfkit::core {

namespace {

using RowMajorXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& y) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(y);
  return qr.householderQ() * Eigen::MatrixXd::Identity(y.rows(), y.cols());
}

// result = op(X) · q, where op is X (transpose=false) or Xᵀ, computed in the data's precision.
template <typename T>
Eigen::MatrixXd apply(const Data<T>& x, const Eigen::MatrixXd& q, bool transpose) {
  const Index out_rows = transpose ? x.cols() : x.rows();
  const Index p = q.cols();
  std::vector<T> in(static_cast<std::size_t>(q.size()));
  Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(in.data(), q.rows(),
                                                                                p) = q.cast<T>();
  std::vector<T> out(static_cast<std::size_t>(out_rows * p));
  if (transpose)
    x.transpose_times(in.data(), p, out.data());
  else
    x.times(in.data(), p, out.data());
  return Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.data(),
                                                                                       out_rows, p)
      .template cast<double>();
}

}  // namespace

template <typename T>
TruncatedSvd randomized_svd(const Data<T>& x, Index rank, Index oversamples, int power_iterations,
                            std::uint32_t seed) {
  const Index l = std::min(rank + oversamples, std::min(x.rows(), x.cols()));
  NumpyRandom rng(seed);
  Eigen::MatrixXd omega(x.cols(), l);
  for (Index i = 0; i < omega.rows(); ++i)
    for (Index j = 0; j < l; ++j) omega(i, j) = rng.normal();

  Eigen::MatrixXd q = apply(x, omega, false);  // rows × l
  for (int it = 0; it < power_iterations; ++it) {
    q = orthonormal_basis(q);
    q = orthonormal_basis(apply(x, q, true));  // cols × l
    q = apply(x, q, false);
  }
  q = orthonormal_basis(q);
  // B = Qᵀ X (l × cols); its transpose Xᵀ Q is what the data can compute.
  const Eigen::MatrixXd bt = apply(x, q, true);
  Eigen::BDCSVD<Eigen::MatrixXd> svd(bt, Eigen::ComputeThinU | Eigen::ComputeThinV);
  // Bᵀ = V_b S U_bᵀ, so X ≈ (Q U_b) S V_bᵀ.
  TruncatedSvd result;
  const Index r = std::min(rank, l);
  result.u = (q * svd.matrixV()).leftCols(r);
  result.s = svd.singularValues().head(r);
  result.v = svd.matrixU().leftCols(r);
  return result;
}

template TruncatedSvd randomized_svd<float>(const Data<float>&, Index, Index, int, std::uint32_t);
template TruncatedSvd randomized_svd<double>(const Data<double>&, Index, Index, int, std::uint32_t);

}  // namespace nmfkit::core
