// The iterations of a β-divergence other than Frobenius: scikit-learn's multiplicative updates
// (core/beta.hpp), reading X block by block through its storage's row blocks, so any storage
// serves; Kullback-Leibler on X stored in compressed sparse rows reads X's stored entries alone
// (core/kl_sparse.hpp). The divergence and the H update's sums over samples pass through the
// context.
#include <cmath>
#include <limits>

#include "core/beta.hpp"
#include "core/data.hpp"
#include "core/kl_sparse.hpp"
#include "core/steps.hpp"

namespace nmfkit::core {

namespace {

template <typename T>
class BetaSteps final : public Steps<T> {
 public:
  BetaSteps(const Scaled<T>& x, const FitOptions& o, const Penalties& p, const Context& ctx,
            bool update_h)
      : x_(x),
        o_(o),
        p_(p),
        ctx_(ctx),
        time_(*ctx.timings),
        update_h_(update_h),
        sparse_(o.beta == 1 ? SparseKl<T>::make(x.storage()) : nullptr) {}

  double start(Factors<T>& f) override { return divergence(f); }

  StepResult iterate(Factors<T>& f, int, Extrapolation<T>*) override {
    {
      ScopedTimer timer(time_.updates);
      const double s = x_.inverse_scale();
      if (sparse_) {
        if (!quotients_current_) sparse_->quotients(s, f.w, f.ht, false, ctx_.threads);
        sparse_->update_w(f.w, f.ht, p_.w.l1, p_.w.l2, ctx_.threads);
      } else if (w_terms_current_) {
        beta_mu_step_w(w_terms_, f.w, f.ht, o_.beta, p_.w.l1, p_.w.l2, ctx_.threads);
      } else {
        beta_mu_update_w(x_.storage(), s, f.w, f.ht, o_.beta, p_.w.l1, p_.w.l2, ctx_.threads);
      }
      quotients_current_ = false;
      w_terms_current_ = false;
      clip(f.w, o_.beta < 1);
      if (update_h_) {
        if (sparse_) {
          sparse_->quotients(s, f.w, f.ht, false, ctx_.threads);
          sparse_->update_h(f.w, f.ht, p_.h.l1, p_.h.l2, ctx_.threads, ctx_.reducer);
        } else {
          beta_mu_update_h(x_.storage(), s, f.w, f.ht, o_.beta, p_.h.l1, p_.h.l2, ctx_.threads,
                           ctx_.reducer);
        }
        clip(f.ht, o_.beta <= 1);
      }
    }
    return {this->objective_wanted ? divergence(f) : next_terms(f), 0.0};
  }

  void factors_changed(const Factors<T>&) override {
    quotients_current_ = false;
    w_terms_current_ = false;
  }

 private:
  /// The divergence's pass also forms what the next W update needs from these factors, which
  /// that update then uses (one pass over X fewer per iteration): on the sparse path the Q of
  /// Kullback-Leibler, otherwise (β ≠ 2) the update's products, formed from the W·H of the
  /// divergence (one product W·H fewer too). Only the rows of this process are kept, so a
  /// divergence summed over processes changes nothing.
  double divergence(const Factors<T>& f) {
    ScopedTimer timer(time_.loss);
    const double s = x_.inverse_scale();
    if (sparse_) {
      quotients_current_ = true;
      return ctx_.sum(sparse_->quotients(s, f.w, f.ht, true, ctx_.threads));
    }
    if (o_.beta != 2) {
      const double d =
          beta_divergence_w_terms(x_.storage(), s, f.w, f.ht, o_.beta, ctx_.threads, w_terms_);
      w_terms_current_ = true;
      return ctx_.sum(d);
    }
    return ctx_.sum(beta_divergence(x_.storage(), s, f.w, f.ht, o_.beta, ctx_.threads));
  }

  /// What divergence() forms for the next W update, without the divergence (which nothing reads
  /// after this iteration: lazy_objective): the same quotients or products, so the same next
  /// update; β = 2 forms nothing (its update reads X itself). Returns NaN, "not formed".
  double next_terms(const Factors<T>& f) {
    ScopedTimer timer(time_.updates);
    const double s = x_.inverse_scale();
    if (sparse_) {
      sparse_->quotients(s, f.w, f.ht, false, ctx_.threads);
      quotients_current_ = true;
    } else if (o_.beta != 2) {
      beta_w_terms(x_.storage(), s, f.w, f.ht, o_.beta, ctx_.threads, w_terms_);
      w_terms_current_ = true;
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

  /// Tiny entries are set to 0 for stability, as scikit-learn does: W's for β < 1, H's for
  /// β ≤ 1 (its threshold is float64's epsilon, applied here to the scaled factors).
  static void clip(Matrix<T>& m, bool apply) {
    if (!apply) return;
    for (T& v : m.values)
      if (double(v) < 2.220446049250313e-16) v = T(0);
  }

  const Scaled<T>& x_;
  const FitOptions& o_;
  const Penalties& p_;
  const Context& ctx_;
  Timings& time_;
  bool update_h_;
  std::unique_ptr<SparseKl<T>> sparse_;  ///< β = 1 on X in compressed sparse rows, else null
  bool quotients_current_ = false;       ///< sparse_ holds the Q of the current factors
  WStepTerms<T> w_terms_;                ///< the W update's products (dense path, β ≠ 2)
  bool w_terms_current_ = false;         ///< w_terms_ are those of the current factors
};

}  // namespace

template <typename T>
std::unique_ptr<Steps<T>> beta_steps(const Scaled<T>& x, const FitOptions& o, const Penalties& p,
                                     const Context& ctx, bool update_h) {
  return std::make_unique<BetaSteps<T>>(x, o, p, ctx, update_h);
}

template std::unique_ptr<Steps<float>> beta_steps<float>(const Scaled<float>&, const FitOptions&,
                                                         const Penalties&, const Context&, bool);
template std::unique_ptr<Steps<double>> beta_steps<double>(const Scaled<double>&, const FitOptions&,
                                                           const Penalties&, const Context&, bool);

}  // namespace nmfkit::core
