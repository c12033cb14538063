// The Frobenius loss's iterations: every rule of the registry sees only the products X·Hᵀ and
// Xᵀ·W and the Gram matrices, and the objective comes from the Gram trick
//     ½‖X − F·Oᵀ‖² = ½‖X‖² − ⟨F, P⟩ + ½⟨G_F, G_O⟩,   P = X·O (or Xᵀ·O) matching F's rows,
// never forming W·H. Sums over samples (WᵀW, Xᵀ·W, ⟨W, X·Hᵀ⟩, W's violation) pass through the
// context's reduction.
#include <omp.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "core/products.hpp"
#include "core/steps.hpp"
#include "kernels/dense.hpp"

namespace nmfkit::core {

namespace {

template <typename T>
class FrobeniusSteps final : public Steps<T> {
 public:
  FrobeniusSteps(Products<T>& products, const FitOptions& o, const Penalties& p, const Context& ctx,
                 bool update_h, Index k)
      : products_(products),
        o_(o),
        p_(p),
        ctx_(ctx),
        time_(*ctx.timings),
        update_h_(update_h),
        k_(k),
        rule_(rules::make_update_rule<T>(o.solver, o)),
        xh_(products.data().rows(), k),
        xtw_(products.data().cols(), k),
        gram_w_(k, k),
        gram_h_(k, k) {}

  double start(Factors<T>& f) override {
    gram_h(f);
    product_w_side(f);
    gram_w(f);
    ScopedTimer timer(time_.loss);
    return clamp(loss_w_side(f));
  }

  StepResult iterate(Factors<T>& f, int it, Extrapolation<T>* ex) override {
    StepResult r;
    // The first iteration's loss needs X·Hᵀ and WᵀW before W's update: no fused pass there.
    std::optional<rules::LanesProblem> fused;
    if (update_h_ && it > 1 && o_.fused_pass && products_.has_fused_w_pass())
      fused = rule_->lanes_problem(gram_h_, p_.w);
    if (fused) {
      r.violation = fused_w_update(f, *fused, ex);
    } else {
      if (!xh_fresh_) product_w_side(f);
      {
        ScopedTimer timer(time_.updates);
        if (ex != nullptr) ex->save_best_w(f.w);
        r.violation = ctx_.sum(rule_->update(f.w, xh_, gram_h_, p_.w, ctx_.threads));
        if (ex != nullptr) ex->step_w(f.w);
      }
      gram_w(f);
      if (update_h_) {
        ScopedTimer timer(time_.products);
        products_.transpose_times_w(f, xtw_.data());
        ctx_.sum(xtw_.values);
      }
    }
    xh_fresh_ = !update_h_;
    if (!update_h_) {
      ScopedTimer timer(time_.loss);
      r.data_loss = clamp(loss_w_side(f));
      return r;
    }
    {
      ScopedTimer timer(time_.updates);
      r.violation += rule_->update(f.ht, xtw_, gram_w_, p_.h, ctx_.threads);
    }
    gram_h(f);
    {
      ScopedTimer timer(time_.loss);
      r.data_loss = gram_loss(products_.squared_norm(), dot(f.ht, xtw_), gram_h_, gram_w_);
    }
    if (products_.loss_needs_product()) r.data_loss -= product_w_side(f);
    r.data_loss = clamp(r.data_loss);
    return r;
  }

  void factors_changed(const Factors<T>& f) override {
    gram_h(f);
    if (update_h_) xh_fresh_ = false;
  }

  rules::StopRule stop_rule() const override { return rule_->stop_rule(); }

 private:
  /// ½x2 − cross + ½⟨G_F, G_O⟩, unclamped (a decorator's correction comes first).
  static double gram_loss(double x2, double cross, const Matrix<double>& gram_f,
                          const Matrix<double>& gram_o) {
    const double quad = kernels::dot(gram_f.data(), gram_o.data(), gram_f.rows * gram_f.cols, 1);
    return 0.5 * x2 - cross + 0.5 * quad;
  }
  /// Rounding can make the objective slightly negative near an exact fit: that is 0, while NaN
  /// passes through for the loop to report.
  static double clamp(double loss) { return loss < 0 ? 0.0 : loss; }

  double dot(const Matrix<T>& f, const Matrix<T>& p) const {
    return kernels::dot(f.data(), p.data(), f.rows * f.cols, ctx_.threads);
  }
  /// The objective from W's side: ⟨W, X·Hᵀ⟩ is a sum over samples.
  double loss_w_side(const Factors<T>& f) const {
    return gram_loss(products_.squared_norm(), ctx_.sum(dot(f.w, xh_)), gram_w_, gram_h_);
  }

  /// X·Hᵀ at the current factors; returns the products' correction.
  double product_w_side(const Factors<T>& f) {
    ScopedTimer timer(time_.products);
    xh_fresh_ = true;
    return products_.times_ht(f, xh_.data());
  }
  void gram_w(const Factors<T>& f) {
    ScopedTimer timer(time_.grams);
    kernels::gram(f.w.data(), f.w.rows, k_, gram_w_.data(), ctx_.threads);
    ctx_.sum(gram_w_.values);
  }
  void gram_h(const Factors<T>& f) {
    ScopedTimer timer(time_.grams);
    kernels::gram(f.ht.data(), f.ht.rows, k_, gram_h_.data(), ctx_.threads);
  }

  /// W's update inside one pass over X that also forms Xᵀ·W and WᵀW (Scaled::fused_w_pass).
  double fused_w_update(Factors<T>& f, const rules::LanesProblem& problem, Extrapolation<T>* ex) {
    row_violation_.resize(static_cast<std::size_t>(f.w.rows));
    if (scratch_.empty())
      scratch_.assign(static_cast<std::size_t>(std::max(ctx_.threads, omp_get_max_threads())),
                      rules::LaneScratch<T>(k_));
    const std::vector<T> g = rules::lanes_gram<T>(problem.g);
    auto block = [&](Index first, Index count, const T* p) {
      if (ex != nullptr) ex->save_best_w_rows(f.w, first, count);
      rules::coordinate_descent_lanes(
          f.w.row(first), p, count, problem.l1, g.data(), k_, problem.control,
          scratch_[static_cast<std::size_t>(omp_get_thread_num())], row_violation_.data() + first);
      if (ex != nullptr) ex->step_w_rows(f.w, first, count);
    };
    {
      ScopedTimer timer(time_.fused);
      products_.data().fused_w_pass(f.ht.data(), k_, f.w.data(), rules::kStreamRows, block,
                                    xtw_.data(), gram_w_.data());
    }
    if (ex != nullptr) ex->best_w_saved();
    ctx_.sum(xtw_.values);
    ctx_.sum(gram_w_.values);
    double violation = 0;
    for (double v : row_violation_) violation += v;
    return ctx_.sum(violation);
  }

  Products<T>& products_;
  const FitOptions& o_;
  const Penalties& p_;
  const Context& ctx_;
  Timings& time_;
  bool update_h_;
  Index k_;
  std::unique_ptr<rules::UpdateRule<T>> rule_;
  Matrix<T> xh_, xtw_;
  Matrix<double> gram_w_, gram_h_;
  bool xh_fresh_ = false;  ///< xh_ is X·Hᵀ at the current factors
  std::vector<double> row_violation_;
  std::vector<rules::LaneScratch<T>> scratch_;
};

}  // namespace

template <typename T>
std::unique_ptr<Steps<T>> frobenius_steps(Products<T>& products, const FitOptions& o,
                                          const Penalties& p, const Context& ctx, bool update_h,
                                          Index k) {
  return std::make_unique<FrobeniusSteps<T>>(products, o, p, ctx, update_h, k);
}

template std::unique_ptr<Steps<float>> frobenius_steps<float>(Products<float>&, const FitOptions&,
                                                              const Penalties&, const Context&,
                                                              bool, Index);
template std::unique_ptr<Steps<double>> frobenius_steps<double>(Products<double>&,
                                                                const FitOptions&, const Penalties&,
                                                                const Context&, bool, Index);

}  // namespace nmfkit::core
