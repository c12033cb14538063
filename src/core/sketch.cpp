#include "core/sketch.hpp"

#include <vector>

#include "kernels/dense.hpp"

namespace nmfkit::core {

namespace {

template <typename T>
class SketchedProducts final : public Products<T> {
 public:
  SketchedProducts(const Scaled<T>& x, const TruncatedSvd& svd, int threads)
      : x_(x), threads_(threads) {
    // X/c ≈ U·S·Vᵀ over the sketch's l directions, which is Q·Qᵀ·X/c: Q = U and B = S·Vᵀ.
    l_ = svd.s.size();
    const Index n = x.rows(), m = x.cols();
    q_.resize(static_cast<std::size_t>(n * l_));
    for (Index i = 0; i < n; ++i)
      for (Index a = 0; a < l_; ++a) q_[std::size_t(i * l_ + a)] = static_cast<T>(svd.u(i, a));
    b_.resize(static_cast<std::size_t>(l_ * m));
    for (Index a = 0; a < l_; ++a)
      for (Index j = 0; j < m; ++j)
        b_[std::size_t(a * m + j)] = static_cast<T>(svd.s(a) * svd.v(j, a));
  }

  const Scaled<T>& data() const override { return x_; }

  double times_ht(const Factors<T>& f, T* out) override {
    const Index k = f.ht.cols;
    small_.resize(static_cast<std::size_t>(l_ * k));
    kernels::times(b_view(), T(1), f.ht.data(), k, small_.data(), threads_);  // B·Hᵀ
    kernels::times(q_view(), T(1), small_.data(), k, out, threads_);
    return 0;
  }

  void transpose_times_w(const Factors<T>& f, T* out) override {
    const Index k = f.w.cols;
    small_.resize(static_cast<std::size_t>(l_ * k));
    kernels::transpose_times(q_view(), T(1), f.w.data(), k, small_.data(), threads_);  // Qᵀ·W
    kernels::transpose_times(b_view(), T(1), small_.data(), k, out, threads_);
  }

  double squared_norm() const override { return x_.squared_norm(); }

  double residual_squared_norm(const Matrix<T>& w, const Matrix<T>& h) const override {
    return x_.residual_squared_norm(w.data(), h.data(), w.cols);
  }

 private:
  DenseView<T> q_view() const { return DenseView<T>(q_.data(), x_.rows(), l_, l_); }
  DenseView<T> b_view() const { return DenseView<T>(b_.data(), l_, x_.cols(), x_.cols()); }

  const Scaled<T>& x_;
  int threads_;
  Index l_ = 0;
  std::vector<T> q_, b_, small_;
};

}  // namespace

template <typename T>
std::unique_ptr<Products<T>> sketched_products(const Scaled<T>& x, const TruncatedSvd& svd,
                                               int threads) {
  return std::make_unique<SketchedProducts<T>>(x, svd, threads);
}

template std::unique_ptr<Products<float>> sketched_products<float>(const Scaled<float>&,
                                                                   const TruncatedSvd&, int);
template std::unique_ptr<Products<double>> sketched_products<double>(const Scaled<double>&,
                                                                     const TruncatedSvd&, int);

}  // namespace nmfkit::core
