#pragma once
// One fit's run-time context: its threads, its start time and timings, cancellation, and the seam
// through which every sum over samples passes (nmfkit::Reducer; none on one process).
#include <span>

#include "core/timing.hpp"
#include "nmfkit/context.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit::core {

struct Context {
  int threads = 1;
  Clock::time_point start = Clock::now();
  const Reducer* reducer = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  Timings* timings = nullptr;  ///< where the fit's time is added up

  /// Sums over samples: each value becomes its sum over every process holding samples.
  void sum(std::span<double> values) const {
    if (reducer != nullptr) reducer->sum(values);
  }
  void sum(std::span<float> values) const {
    if (reducer != nullptr) reducer->sum(values);
  }
  double sum(double value) const {
    sum(std::span<double>(&value, 1));
    return value;
  }
  /// Whether `value` holds on any process.
  bool any(bool value) const { return sum(value ? 1.0 : 0.0) > 0; }
  /// Throws Cancelled when the caller asked to stop.
  void check_cancelled() const {
    if (cancel != nullptr && cancel->load()) throw Cancelled("the fit was cancelled");
  }
};

}  // namespace nmfkit::core
