#include "interrupt.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace nmfkit::cli {

namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0};
int g_pipe[2] = {-1, -1};

std::mutex g_final_mutex;
bool g_final = false;  // guarded by g_final_mutex

std::mutex g_paths_mutex;
std::vector<std::filesystem::path> g_paths;  // guarded by g_paths_mutex; deepest last

// How long a phase that does not check may keep running after the signal (NMFKIT_INTERRUPT_GRACE
// seconds overrides it, for tests).
int grace_milliseconds() {
  const char* env = std::getenv("NMFKIT_INTERRUPT_GRACE");
  return env == nullptr ? 700 : static_cast<int>(std::atof(env) * 1000);
}

extern "C" void on_signal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);
  g_interrupted.store(true);
  const int saved = errno;
  const char byte = 1;
  if (g_pipe[1] >= 0) (void)!::write(g_pipe[1], &byte, 1);
  errno = saved;
}

void write_stderr(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, left);
    if (n <= 0) return;
    text += n;
    left -= static_cast<std::size_t>(n);
  }
}

[[noreturn]] void end_now() {
  {
    std::lock_guard<std::mutex> lock(g_paths_mutex);
    std::error_code ec;
    for (auto it = g_paths.rbegin(); it != g_paths.rend(); ++it) {
      // The main thread may still be writing into it: try again until it stays gone.
      for (int attempt = 0; attempt < 5 && std::filesystem::exists(*it, ec); ++attempt)
        std::filesystem::remove_all(*it, ec);
    }
  }
  write_stderr("nmfkit: error: interrupted; nothing was written\n");
  ::_exit(interrupted_exit_code());
}

void watch() {
  char byte = 0;
  while (::read(g_pipe[0], &byte, 1) != 1) {
    if (errno != EINTR) return;
  }
  // First signal: give the command time to stop at its next check; a second signal ends it now.
  pollfd p{g_pipe[0], POLLIN, 0};
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_milliseconds());
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    const int r = ::poll(&p, 1, static_cast<int>(left));
    if (r > 0) break;
    if (r < 0 && errno != EINTR) break;
  }
  std::unique_lock<std::mutex> lock(g_final_mutex);
  if (g_final) return;  // the outcome stands; main() ends the process itself
  end_now();
}

}  // namespace

void install_interrupt_handler() {
  if (g_pipe[0] >= 0) return;
  if (::pipe(g_pipe) != 0) return;  // then only the cooperative checks see signals
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGXFSZ, SIG_IGN);
  std::thread(watch).detach();
}

bool interrupted() {
  return g_interrupted.load();
}

int interrupted_exit_code() {
  const int sig = g_signal.load();
  return 128 + (sig == 0 ? SIGINT : sig);
}

void check_interrupted() {
  if (interrupted()) throw Interrupted();
}

std::unique_lock<std::mutex> lock_final_phase() {
  return std::unique_lock<std::mutex>(g_final_mutex);
}

void mark_final_phase() {
  g_final = true;
}

void register_for_removal(const std::filesystem::path& path) {
  std::lock_guard<std::mutex> lock(g_paths_mutex);
  g_paths.push_back(path);
}

void unregister_for_removal(const std::filesystem::path& path) {
  std::lock_guard<std::mutex> lock(g_paths_mutex);
  g_paths.erase(std::remove(g_paths.begin(), g_paths.end(), path), g_paths.end());
}

void test_pause(const char* phase) {
  const char* env = std::getenv("NMFKIT_TEST_PAUSE");
  if (env == nullptr) return;
  const std::string spec = env;
  const std::size_t colon = spec.find(':');
  static std::atomic<bool> paused{false};
  if (spec.substr(0, colon) != phase || paused.exchange(true)) return;
  double seconds = 30;
  if (colon != std::string::npos) seconds = std::atof(spec.c_str() + colon + 1);
  write_stderr((std::string("nmfkit: paused at ") + phase + "\n").c_str());
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace nmfkit::cli
