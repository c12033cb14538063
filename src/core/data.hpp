#pragma once
// The data interface the driver and the initialisations see: exactly the products, ‖X‖² and mean.
// Dense float/double is the first representation; sparse, 8-bit and MPI row blocks come later.
#include "kernels/dense.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

template <typename T>
class Data {
 public:
  virtual ~Data() = default;
  virtual Index rows() const = 0;
  virtual Index cols() const = 0;
  /// out (rows × p) = X · right (cols × p).
  virtual void times(const T* right, Index p, T* out) const = 0;
  /// out (cols × p) = Xᵀ · right (rows × p).
  virtual void transpose_times(const T* right, Index p, T* out) const = 0;
  virtual double squared_norm() const = 0;
  virtual double mean() const = 0;
};

/// Dense row-major data over caller memory. The constructor checks every entry.
template <typename T>
class DenseData final : public Data<T> {
 public:
  DenseData(const DenseView<T>& x, int threads);
  Index rows() const override { return x_.rows; }
  Index cols() const override { return x_.cols; }
  void times(const T* right, Index p, T* out) const override {
    kernels::times(x_, right, p, out, threads_);
  }
  void transpose_times(const T* right, Index p, T* out) const override {
    kernels::transpose_times(x_, right, p, out, threads_);
  }
  double squared_norm() const override { return stats_.squared_norm; }
  double mean() const override { return stats_.sum / (double(x_.rows) * double(x_.cols)); }

 private:
  DenseView<T> x_;
  int threads_;
  kernels::NormAndSum stats_;
};

}  // namespace nmfkit::core
