#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace {

constexpr int kBarWidth = 24;
constexpr double kRedrawSeconds = 0.1;

std::string scientific(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4e", v);
  return buf;
}

}  // namespace

bool stderr_is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::string(term) == "dumb");
}

std::string duration(double s) {
  if (s < 60) return fixed(s, 1) + " s";
  const long total = static_cast<long>(s + 0.5);
  if (total < 3600) return std::to_string(total / 60) + " min " + std::to_string(total % 60) + " s";
  return std::to_string(total / 3600) + " h " + std::to_string(total / 60 % 60) + " min";
}

ProgressReporter::ProgressReporter(ProgressSettings settings)
    : settings_(std::move(settings)), bar_(!settings_.quiet && stderr_is_terminal()) {
  if (settings_.log_json == "-") {
    log_ = stdout;
  } else if (!settings_.log_json.empty()) {
    log_ = std::fopen(settings_.log_json.c_str(), "w");
    if (log_ == nullptr)
      throw DataError("cannot create the --log-json file '" + settings_.log_json +
                      "': " + std::strerror(errno));
    own_log_ = true;
  }
}

ProgressReporter::~ProgressReporter() {
  if (bar_open_) std::cerr << "\n";  // a fit that threw: the error line starts on its own line
  if (own_log_ && log_ != nullptr) std::fclose(log_);
}

ProgressCallback ProgressReporter::callback() {
  return [this](const Progress& p) { return report(p); };
}

bool ProgressReporter::report(const Progress& p) {
  seconds_.push_back(p.seconds);
  const Timings previous = last_;
  last_ = p.timings;
  if (log_ != nullptr) {
    nlohmann::ordered_json j;
    j["iteration"] = p.iteration;
    j["max_iter"] = p.max_iter;
    j["loss"] = p.loss;
    j["error"] = p.error;
    j["relative_error"] = p.relative_error;
    j["seconds"] = p.seconds;
    // This iteration's profile: where its time went.
    const Timings& t = p.timings;
    j["profile"] = {{"products", t.products - previous.products},
                    {"grams", t.grams - previous.grams},
                    {"updates", t.updates - previous.updates},
                    {"loss", t.loss - previous.loss},
                    {"fused", t.fused - previous.fused}};
    if (p.iteration == 1) j["profile"]["init"] = t.init;
    const std::string line = json_text(j, -1) + "\n";
    std::fwrite(line.data(), 1, line.size(), log_);
    std::fflush(log_);
  }
  if (interrupted()) return false;
  if (settings_.quiet) return true;
  if (p.iteration == 1 && !settings_.heading.empty()) std::cerr << settings_.heading << "\n";
  const std::string error = settings_.frobenius ? "relative error " + fixed(p.relative_error, 6)
                                                : "error " + fixed(p.error, 4);
  if (!std::isnan(p.loss)) formed_ = p;
  if (bar_) {
    if (p.iteration == 1 || p.iteration >= p.max_iter || p.seconds - last_draw_ >= kRedrawSeconds)
      draw_bar(p);
  } else if (p.iteration == 1 || p.iteration % 10 == 0) {
    std::cerr << "  iteration " << p.iteration << "/" << p.max_iter << "  " << error << "  "
              << fixed(p.seconds, 1) << " s\n";
  }
  return true;
}

void ProgressReporter::draw_bar(const Progress& p) {
  last_draw_ = p.seconds;
  const int filled =
      static_cast<int>(static_cast<long long>(kBarWidth) * p.iteration / std::max(1, p.max_iter));
  std::string bar(static_cast<std::size_t>(kBarWidth), ' ');
  std::fill(bar.begin(), bar.begin() + std::clamp(filled, 0, kBarWidth), '#');
  const double left = p.iteration > 0 ? p.seconds / p.iteration * (p.max_iter - p.iteration) : 0;
  // The loss and error of the latest iteration that formed them.
  const Progress& f = std::isnan(p.loss) ? formed_ : p;
  std::cerr << "\r  [" << bar << "] " << p.iteration << "/" << p.max_iter << "  loss "
            << scientific(f.loss) << "  "
            << (settings_.frobenius ? "rel. error " + fixed(f.relative_error, 5)
                                    : "error " + fixed(f.error, 4))
            << "  " << duration(p.seconds) << " elapsed, at most ~" << duration(left)
            << " left\x1b[K" << std::flush;
  bar_open_ = true;
}

void ProgressReporter::finish() {
  if (bar_open_) std::cerr << "\n";
  bar_open_ = false;
  if (log_ != nullptr) std::fflush(log_);
}

}  // namespace nmfkit::cli
