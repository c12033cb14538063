#pragma once
// Wall-clock helpers of the fit loop and its steps: seconds since a time point,
// and a scope that adds its duration to a Timings counter.
#include <chrono>

namespace nmfkit::core {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Adds the time the enclosing scope takes to a counter.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& total) : total_(total), start_(Clock::now()) {}
  ~ScopedTimer() { total_ += since(start_); }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double& total_;
  Clock::time_point start_;
};

}  // namespace nmfkit::core
