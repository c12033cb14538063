#pragma once
// Ctrl-C (SIGINT) and SIGTERM, in every phase of a command.
//
// The fit loops, the choice of k and the image-folder reader stop at their next check and the
// command throws Interrupted; the staged output is removed as the stack unwinds. Phases that do
// not check (a long product, decoding, writing a picture) are covered by a watcher thread: if the
// process has not ended 0.7 s after the signal, or at once on a second signal, the watcher
// removes every staging folder, prints the one error line and ends the process with 128 + the
// signal's number (130 for SIGINT, 143 for SIGTERM). Once the results are moving into place
// (OutputDir::commit) or the command has printed its last line, a signal no longer ends it.
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>

#include "nmfkit/rank.hpp"

namespace nmfkit::cli {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

/// Installs the handlers for SIGINT and SIGTERM and starts the watcher; ignores SIGXFSZ (a file
/// size limit then fails the write, which reports it). Call once, first thing in main().
void install_interrupt_handler();
bool interrupted();
/// 128 + the signal that interrupted (130 when none did).
int interrupted_exit_code();
/// Throws Interrupted when a signal came.
void check_interrupted();

/// Held while results move into place and while main() ends: the watcher waits for it and then
/// leaves the process alone.
std::unique_lock<std::mutex> lock_final_phase();
/// Called with the lock held: from here on the command's outcome stands.
void mark_final_phase();

/// Folders the watcher removes when it ends the process (staging folders, parents created for
/// them); register before creating, unregister once moved into place or removed.
void register_for_removal(const std::filesystem::path& path);
void unregister_for_removal(const std::filesystem::path& path);

/// Test hook: with NMFKIT_TEST_PAUSE=<phase>[:seconds] in the environment, prints
/// "nmfkit: paused at <phase>" on stderr and sleeps (default 30 s) without checking for signals,
/// standing for a long phase that does not check. Does nothing otherwise. Each phase pauses once.
/// NMFKIT_INTERRUPT_GRACE=<seconds> sets how long the watcher waits after a first signal.
void test_pause(const char* phase);

/// f()'s result; nmfkit::Cancelled, which the commands' callbacks cause only on Ctrl-C, becomes
/// Interrupted.
template <typename F>
auto unless_interrupted(F&& f) {
  try {
    return f();
  } catch (const Cancelled&) {
    throw Interrupted();
  }
}

}  // namespace nmfkit::cli
