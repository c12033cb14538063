#include "interrupt.hpp"

#include <atomic>
#include <csignal>

namespace nmfkit::cli {

namespace {
std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) {
  g_interrupted.store(true);
}
}  // namespace

void install_interrupt_handler() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool interrupted() {
  return g_interrupted.load();
}

}  // namespace nmfkit::cli
