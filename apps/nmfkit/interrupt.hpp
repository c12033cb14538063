#pragma once
// Ctrl-C during a fit stops it at the end of the current iteration; the command then throws
// Interrupted and writes nothing.
#include <stdexcept>

namespace nmfkit::cli {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

void install_interrupt_handler();
bool interrupted();

}  // namespace nmfkit::cli
