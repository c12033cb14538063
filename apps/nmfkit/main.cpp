// nmfkit's command line: parses argv, runs the subcommand, maps errors to exit codes
// (0 success, 1 data or runtime error, 2 usage error, 130 interrupted by SIGINT, 143 by SIGTERM).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "fit_command.hpp"
#include "interrupt.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/version.hpp"
#include "rank_command.hpp"
#include "render_command.hpp"
#include "transform_command.hpp"

namespace {

// The size of the last allocation that failed (0: unknown), for the "out of memory" line.
std::atomic<std::size_t> g_failed_allocation{0};

std::string out_of_memory() {
  const std::size_t n = g_failed_allocation.load();
  if (n == 0) return "out of memory";
  char size[32];
  if (n >= (std::size_t{1} << 30))
    std::snprintf(size, sizeof size, "%.1f GiB", static_cast<double>(n) / (1 << 30));
  else if (n >= (std::size_t{1} << 20))
    std::snprintf(size, sizeof size, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  else
    std::snprintf(size, sizeof size, "%zu bytes", n);
  return std::string("out of memory (an allocation of ") + size + " failed)";
}

int error_line(const std::string& message, int code) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n') c = ' ';
  std::cerr << "nmfkit: error: " << line << "\n";
  return code;
}

}  // namespace

// Every allocation through new records its size when it fails (the "out of memory" line names it).
// All the unaligned forms are replaced together, so that each pairs with its delete (the library's
// nothrow and array forms would otherwise come from another allocator, as under AddressSanitizer).
namespace {
void* allocate(std::size_t n) {
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    if (std::new_handler handler = std::get_new_handler()) {
      handler();
    } else {
      g_failed_allocation.store(n);
      throw std::bad_alloc();
    }
  }
}
void* allocate_or_null(std::size_t n) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return allocate_or_null(n);
}
// GCC takes free() on memory from a replaced operator new for a mismatch; it is the replacement.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace {

/// Two settings are read only when the process starts, so the command starts again, once,
/// before anything else, with those it lacks in its environment:
/// - OpenBLAS picks its kernels when it is loaded, from OPENBLAS_CORETYPE or from the CPU's
///   model; on a CPU newer than the OpenBLAS build it falls back to generic kernels, which run
///   the dense products of the β-divergences at half the speed or less (Itakura-Saito at
///   k = 40). OPENBLAS_CORETYPE is then set for the CPU's vector instructions.
/// - glibc (2.35 and later) marks the memory malloc takes from the system for transparent huge
///   pages with the tunable glibc.malloc.hugetlb=1. Faulting in fresh 4 KB pages one at a time
///   is a large part of a fit's start on some machines (docs/performance.md); the tunable is
///   added to GLIBC_TUNABLES unless it names glibc.malloc.hugetlb already.
/// Values already in the environment are left as they are; if the start fails the command
/// carries on as it is.
void rerun_with_settings(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string old_tunables = tunables != nullptr ? tunables : "";
  bool set_core = false, set_tunables = false;
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr) {
    const std::string core(nmfkit::blas_core_override());
    set_core = !core.empty() && ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1) == 0;
  }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
  if (old_tunables.find("glibc.malloc.hugetlb") == std::string::npos) {
    const std::string value =
        (old_tunables.empty() ? "" : old_tunables + ":") + "glibc.malloc.hugetlb=1";
    set_tunables = ::setenv("GLIBC_TUNABLES", value.c_str(), 1) == 0;
  }
#endif
  if (!set_core && !set_tunables) return;
  ::execv("/proc/self/exe", argv);
  // Still here: the start failed; the environment goes back to what it was.
  if (set_tunables && tunables != nullptr)
    ::setenv("GLIBC_TUNABLES", old_tunables.c_str(), 1);
  else if (set_tunables)
    ::unsetenv("GLIBC_TUNABLES");
  if (set_core) ::unsetenv("OPENBLAS_CORETYPE");
}

/// ", malloc: hugetlb=V" when GLIBC_TUNABLES sets glibc.malloc.hugetlb (rerun_with_settings), for
/// --version; "" otherwise.
std::string malloc_setting() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables == nullptr) return "";
  const std::string t(tunables), key = "glibc.malloc.hugetlb=";
  const std::size_t at = t.find(key);
  if (at == std::string::npos) return "";
  const std::size_t end = t.find(':', at);
  return ", malloc: hugetlb=" + t.substr(at + key.size(), end == std::string::npos
                                                              ? std::string::npos
                                                              : end - at - key.size());
}

}  // namespace

int main(int argc, char** argv) {
  rerun_with_settings(argv);
  // First, before any thread starts: the handlers, the watcher, SIGXFSZ ignored.
  nmfkit::cli::install_interrupt_handler();
  CLI::App app{
      "nmfkit: fast non-negative matrix factorization of images and matrices.\n"
      "X (samples x features, one flattened image per row) ~= W (samples x k) . H "
      "(k x features);\nthe k rows of H are the component images.",
      "nmfkit"};
  // The kernels' instruction set is looked up only when asked for: a bad NMFKIT_ISA fails there.
  app.set_version_flag("--version", [] {
    return "nmfkit " + std::string(nmfkit::version()) +
           " (kernels: " + std::string(nmfkit::kernel_isa()) +
           ", OpenBLAS: " + std::string(nmfkit::blas_core()) + malloc_setting() + ")";
  });
  app.require_subcommand(1);
  app.footer("Run 'nmfkit fit --help' for the options of a command.");
  nmfkit::cli::FitArgs fit_args;
  CLI::App* fit = nmfkit::cli::add_fit_command(app, fit_args);
  nmfkit::cli::TransformArgs transform_args;
  CLI::App* transform = nmfkit::cli::add_transform_command(app, transform_args);
  nmfkit::cli::RenderArgs render_args;
  CLI::App* render = nmfkit::cli::add_render_command(app, render_args);
  nmfkit::cli::RankArgs rank_args;
  CLI::App* rank = nmfkit::cli::add_rank_command(app, rank_args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return error_line(std::string(e.what()) + " (see 'nmfkit --help')", 2);
  } catch (const nmfkit::InvalidArgument& e) {  // --version with a bad NMFKIT_ISA
    return error_line(e.what(), 2);
  }

  int code = 0;
  std::string message;
  try {
    nmfkit::reserve_thread_buffers(fit->parsed()         ? fit_args.threads
                                   : rank->parsed()      ? rank_args.threads
                                   : transform->parsed() ? transform_args.threads
                                                         : 0);
    if (fit->parsed())
      code = nmfkit::cli::run_fit(fit_args);
    else if (transform->parsed())
      code = nmfkit::cli::run_transform(transform_args);
    else if (render->parsed())
      code = nmfkit::cli::run_render(render_args);
    else if (rank->parsed())
      code = nmfkit::cli::run_rank(rank_args);
    else
      message = "no command given (see 'nmfkit --help')", code = 2;
  } catch (const nmfkit::cli::Interrupted&) {
    message = "interrupted; nothing was written";
    code = nmfkit::cli::interrupted_exit_code();
  } catch (const nmfkit::InvalidArgument& e) {
    message = e.what(), code = 2;
  } catch (const nmfkit::Error& e) {
    message = e.what(), code = 1;
  } catch (const std::bad_alloc&) {
    message = out_of_memory(), code = 1;
  } catch (const std::exception& e) {
    message = e.what(), code = 1;
  }
  // From here the outcome stands: a signal no longer ends the process with another message.
  const auto lock = nmfkit::cli::lock_final_phase();
  nmfkit::cli::mark_final_phase();
  return message.empty() ? code : error_line(message, code);
}
