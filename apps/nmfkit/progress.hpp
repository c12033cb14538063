#pragma once
// Progress of a fit on stderr and, with --log-json, one JSON object per iteration.
//  - stderr is a terminal (and TERM is not "dumb"): one redrawn bar with the iteration, the loss,
//    the elapsed time and an estimate of the time left (if the fit runs to --max-iter);
//  - otherwise: plain lines, at the first iteration and every 10th;
//  - quiet: nothing on stderr.
// The callback also stops the fit on Ctrl-C and records the time of every iteration.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nmfkit/options.hpp"

namespace nmfkit::cli {

/// Whether stderr is a terminal (and TERM is not "dumb"): progress is then redrawn in place.
bool stderr_is_terminal();
/// Seconds as "12.3 s", "4 min 5 s" or "1 h 2 min".
std::string duration(double seconds);

struct ProgressSettings {
  std::string heading;  ///< printed before the first iteration (not when quiet)
  bool quiet = false;
  bool frobenius = true;  ///< report the relative error (else the error sqrt(2·D))
  std::string log_json;   ///< "" none, "-" stdout, else a file, created or truncated
};

class ProgressReporter {
 public:
  /// Opens the --log-json file (DataError naming it when it cannot be created).
  explicit ProgressReporter(ProgressSettings settings);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  /// The callback for FitOptions::progress; valid while this reporter lives.
  ProgressCallback callback();
  /// Replaces the heading (printed at the first iteration): for a fit whose k is chosen after
  /// this reporter was made.
  void set_heading(std::string heading) { settings_.heading = std::move(heading); }
  /// Ends the bar's line and flushes the log; call once the fit has returned.
  void finish();
  /// Seconds since the start of the fit at each iteration seen.
  const std::vector<double>& seconds() const { return seconds_; }
  /// Whether progress is drawn as a bar (stderr is a terminal).
  bool bar() const { return bar_; }

 private:
  bool report(const Progress& p);
  void draw_bar(const Progress& p);

  ProgressSettings settings_;
  bool bar_ = false;
  bool bar_open_ = false;
  double last_draw_ = -1;
  /// The latest iteration whose loss was formed (FitOptions::lazy_objective leaves NaN in the
  /// others): what the bar shows.
  Progress formed_;
  std::FILE* log_ = nullptr;
  bool own_log_ = false;
  std::vector<double> seconds_;
  Timings last_;  ///< the cumulative timings at the previous report
};

}  // namespace nmfkit::cli
