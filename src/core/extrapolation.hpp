#pragma once
// Extrapolation with restarts (Ang & Gillis 2019) of the fit's iterates: FitOptions::extrapolate.
#include <algorithm>
#include <limits>
#include <utility>

#include "core/init.hpp"
#include "kernels/dense.hpp"
#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// Extrapolation with restarts (Ang & Gillis 2019, their projected variant, parameters as they
/// recommend for HALS): after W's update W is moved to max(0, Wₙ + β(Wₙ − Wₙ₋₁)) before H's update
/// uses it, and H likewise after its own update. The pair evaluated after each iteration is the
/// extrapolated W with the freshly updated H, whose error the Gram trick gives for free. When that
/// error rises, both factors restart from the last plain iterates and β shrinks; while it falls β
/// grows, up to a bound that itself grows slowly. The best pair seen is the result.
///
/// A warm-up (start's `settle`) keeps the first iterations plain until one lowers the objective
/// by less than that fraction: coordinate descent for the β-divergences moves the factors so far
/// in its first iterations from a start that extrapolating those moves overshoots (Itakura-Saito
/// then restarts from the start again and again).
template <typename T>
class Extrapolation {
 public:
  double best_loss = 0, best_penalty = 0;

  /// unit: the objective's rounding (Steps::objective_unit; for the Frobenius loss's Gram trick
  /// eps(T)·½‖X‖² whatever the objective). Changes smaller than a margin of a few units decide
  /// nothing (rounding should not steer the path), an iteration that gains less than the margin
  /// ends the extrapolation (plain iterations from there), and once the objective itself is
  /// within a floor of 1024 units (about 1% relative error for the Frobenius loss in float) the
  /// iterations are plain. settle: the warm-up's fraction (0: extrapolate from the first
  /// iteration).
  void start(const Factors<T>& f, double loss, double penalty, double unit, double settle,
             int threads) {
    threads_ = threads;
    settle_ = settle;
    margin_ = kMarginEpsilons * unit;
    floor_ = kFloorEpsilons * unit;
    w_last_ = f.w;
    // Sized here: step_w_rows and save_best_w_rows run on many threads.
    w_plain_ = Matrix<T>(f.w.rows, f.w.cols);
    best_w_ = Matrix<T>(f.w.rows, f.w.cols);
    h_last_ = f.ht;
    keep_best(f, loss, penalty);
    previous_ = loss + penalty;
  }

  /// The best pair's W is kept lazily: while it is the current W nothing is copied; it is saved
  /// just before the current W changes, by save_best_w (whole) or, in the fused pass, by
  /// save_best_w_rows (each block of rows before its update) followed by best_w_saved.
  void save_best_w(const Matrix<T>& w) {
    if (!best_w_is_current_) return;
    best_w_ = w;
    best_w_is_current_ = false;
  }
  void save_best_w_rows(const Matrix<T>& w, Index first, Index count) {
    if (!best_w_is_current_) return;
    std::copy_n(w.data() + first * w.cols, count * w.cols, best_w_.data() + first * w.cols);
  }
  void best_w_saved() { best_w_is_current_ = false; }

  /// After W's update: remember the plain W and extrapolate it in place.
  void step_w(Matrix<T>& w) {
    w_plain_ = w;
    move(w, w_plain_, w_last_);
  }

  /// step_w for rows [first, first + count) of W alone (the fused pass: one block of rows, on one
  /// thread, while others run other blocks).
  void step_w_rows(Matrix<T>& w, Index first, Index count) {
    const Index begin = first * w.cols, size = count * w.cols;
    // The next block's rows, on their way into the cache while this block is moved.
    const Index next_end = std::min(begin + 2 * size, Index(w.values.size()));
    for (Index i = begin + size; i < next_end; i += 64 / Index(sizeof(T))) {
      __builtin_prefetch(w_last_.data() + i);
      __builtin_prefetch(w_plain_.data() + i, 1);
    }
    std::copy_n(w.data() + begin, size, w_plain_.data() + begin);
    move_range(w.data() + begin, w_plain_.data() + begin, w_last_.data() + begin, size,
               step_beta());
  }

  /// After H's update, given the objective of (extrapolated W, updated H).
  void finish(Factors<T>& f, double loss, double penalty) {
    const double objective = loss + penalty;
    if (iterations_plain()) {
      if (settle_ > 0 && previous_ - objective < settle_ * previous_) settle_ = 0;
      // Plain iterations lower the objective, except right after a restart: keep the best.
      if (objective <= best_loss + best_penalty) keep_best(f, loss, penalty);
      std::swap(w_last_, w_plain_);
      h_last_ = f.ht;
      previous_ = objective;
      return;
    }
    if (objective < best_loss + best_penalty - margin_) keep_best(f, loss, penalty);
    // Progress within the margin: extrapolation has done its work; plain iterations from here.
    if (objective <= previous_ && objective > previous_ - margin_) plain_ = true;
    if (objective > previous_ + margin_) {
      save_best_w(f.w);
      f.w = w_last_;
      f.ht = h_last_;
      beta_bar_ = beta_before_;
      beta_before_ = beta_;
      beta_ /= kEta;
    } else {
      std::swap(w_last_, w_plain_);
      Matrix<T> h_plain = f.ht;
      move(f.ht, h_plain, h_last_);
      h_last_ = std::move(h_plain);
      beta_before_ = beta_;
      beta_ = std::min(beta_bar_, kGamma * beta_);
      beta_bar_ = std::min(1.0, kGammaBar * beta_bar_);
    }
    previous_ = objective;
  }

  void take_best(Factors<T>& f) {
    if (!best_w_is_current_) f.w = std::move(best_w_);
    f.ht = std::move(best_h_);
  }

 private:
  static constexpr double kBeta0 = 0.5, kEta = 1.5, kGamma = 1.01, kGammaBar = 1.005;
  static constexpr double kMarginEpsilons = 2, kFloorEpsilons = 1024;

  /// Whether the iterations are plain: still warming up, or the objective too small for
  /// extrapolation's decisions (see start()).
  bool iterations_plain() const { return settle_ > 0 || plain_ || previous_ <= floor_; }

  void keep_best(const Factors<T>& f, double loss, double penalty) {
    best_w_is_current_ = true;  // copied only when f.w is about to change (save_best_w)
    best_h_ = f.ht;
    best_loss = loss;
    best_penalty = penalty;
  }

  double step_beta() const { return iterations_plain() ? 0.0 : beta_; }

  /// o[i] = max(0, p[i] + beta·(p[i] − l[i])) for i < size (a dispatched kernel).
  static void move_range(T* o, const T* p, const T* l, Index size, double beta) {
    kernels::extrapolate_range(o, p, l, size, beta);
  }

  /// out = max(0, plain + β·(plain − last)), in parallel blocks.
  void move(Matrix<T>& out, const Matrix<T>& plain, const Matrix<T>& last) const {
    constexpr Index kBlock = 1 << 14;
    const auto size = static_cast<Index>(plain.values.size());
    const double beta = step_beta();
#pragma omp parallel for schedule(static) num_threads(threads_)
    for (Index b = 0; b < size; b += kBlock)
      move_range(out.data() + b, plain.data() + b, last.data() + b, std::min(kBlock, size - b),
                 beta);
  }

  Matrix<T> w_last_, h_last_, w_plain_, best_w_, best_h_;
  double beta_ = kBeta0, beta_before_ = kBeta0, beta_bar_ = 1, previous_ = 0, margin_ = 0,
         floor_ = 0, settle_ = 0;
  bool plain_ = false, best_w_is_current_ = false;
  int threads_ = 1;
};

}  // namespace nmfkit::core
