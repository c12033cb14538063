#pragma once
// Ctrl-C during a fit stops it at the end of the current iteration; the command then throws
// Interrupted and writes nothing.
#include <stdexcept>

#include "nmfkit/rank.hpp"

namespace nmfkit::cli {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handler();
bool interrupted();

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
