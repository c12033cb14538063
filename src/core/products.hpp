#pragma once
// What the Frobenius iterations read of X: the products X·Hᵀ and Xᵀ·W and ‖X‖², at the current
// factors. Plain data gives them from its storage; a decorator may add to them (the masked fit
// adds the fill of its missing entries, core/masked_fit.cpp).
#include "core/data.hpp"
#include "core/init.hpp"

namespace nmfkit::core {

template <typename T>
class Products {
 public:
  virtual ~Products() = default;
  virtual const Scaled<T>& data() const = 0;
  /// out (rows × k) = X·Hᵀ at the factors f. Returns what the objective at f must subtract from
  /// the Gram trick's value (a decorator's correction; 0 for plain data).
  virtual double times_ht(const Factors<T>& f, T* out) = 0;
  /// out (cols × k) = Xᵀ·W at the factors f: this process's part of the sum over samples.
  virtual void transpose_times_w(const Factors<T>& f, T* out) = 0;
  /// ‖X‖² of the X the latest products saw, over all samples.
  virtual double squared_norm() const = 0;
  /// Whether the objective after an iteration needs times_ht() at the new factors (for its
  /// correction); the next iteration's W update then reuses that product.
  virtual bool loss_needs_product() const { return false; }
  /// Whether the W half-iteration may run inside one pass over X (Scaled::fused_w_pass).
  virtual bool has_fused_w_pass() const { return false; }
  /// ‖X − W·H‖² for W (rows × k) and H (k × cols) over this process's samples, computed directly.
  virtual double residual_squared_norm(const Matrix<T>& w, const Matrix<T>& h) const = 0;
};

/// X as it is.
template <typename T>
class PlainProducts final : public Products<T> {
 public:
  explicit PlainProducts(const Scaled<T>& x) : x_(x) {}
  const Scaled<T>& data() const override { return x_; }
  double times_ht(const Factors<T>& f, T* out) override {
    x_.times(f.ht.data(), f.ht.cols, out);
    return 0;
  }
  void transpose_times_w(const Factors<T>& f, T* out) override {
    x_.transpose_times(f.w.data(), f.w.cols, out);
  }
  double squared_norm() const override { return x_.squared_norm(); }
  bool has_fused_w_pass() const override { return x_.has_fused_w_pass(); }
  double residual_squared_norm(const Matrix<T>& w, const Matrix<T>& h) const override {
    return x_.residual_squared_norm(w.data(), h.data(), w.cols);
  }

 private:
  const Scaled<T>& x_;
};

}  // namespace nmfkit::core
