#pragma once
/// FitContext: what a fit runs in beyond its options: where its sums over samples are combined
/// with those of other processes, and how it is cancelled from outside.
#include <atomic>
#include <span>

namespace nmfkit {

/// Combines sums over samples across processes that each hold some of X's rows (and the same rows
/// of W). Every sum over samples a fit forms passes through it: the Gram matrix WᵀW, the product
/// Xᵀ·W, ‖X‖² and ΣX, the loss's inner products, W's penalty, the stopping rule's measures and
/// the finiteness test. A fit on one process has none. Every process calls it with the same sizes
/// in the same order; after the call each value is the sum over all processes.
class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual void sum(std::span<double> values) const = 0;
  virtual void sum(std::span<float> values) const = 0;
};

struct FitContext {
  /// nullptr (the default): X is all of the data.
  const Reducer* reducer = nullptr;
  /// When it holds true, the fit stops at the next check (between iterations, and between the
  /// fits of restarts or rank selection) and throws Cancelled. nullptr: never.
  const std::atomic<bool>* cancel = nullptr;
};

}  // namespace nmfkit
