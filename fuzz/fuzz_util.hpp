#pragma once
// Shared by the libFuzzer harnesses in fuzz/: a scratch file per process under /dev/shm (the
// readers take a path), and the rule for what a reader may throw.
//
// A reader given hostile bytes may throw nmfkit::Error (DataError for a malformed file); anything
// else is a bug: another exception type escapes LLVMFuzzerTestOneInput and libFuzzer reports it
// as a crash ("deadly signal" after std::terminate). std::bad_alloc is deliberately not caught:
// every reader refuses sizes from the header before allocating, and the allocations left are
// bounded by the input's size or by documented caps (the largest: a decoded image of at most
// 2^30 bytes), below the -malloc_limit_mb=1100 and -rss_limit_mb=2560 that scripts/fuzz.sh
// passes. libFuzzer reports a larger allocation as "out-of-memory (malloc(N))" before any
// bad_alloc could be thrown, so an allocation that size is a finding, not noise.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "nmfkit/errors.hpp"

namespace nmfkit::fuzz {

/// A folder BASE/nmfkit-fuzz-<pid>-<target>, created on first use and removed at exit. BASE is
/// $NMFKIT_FUZZ_SCRATCH when set (scripts/fuzz.sh gives each run its own and removes it
/// afterwards, together with what crashed processes, which skip atexit, leave behind), else
/// /dev/shm, else the temp directory.
inline const std::string& scratch_dir(const char* target) {
  static const std::string dir = [target] {
    namespace fs = std::filesystem;
    std::error_code ec;
    const char* env = std::getenv("NMFKIT_FUZZ_SCRATCH");
    fs::path base = env != nullptr && *env != '\0' ? fs::path(env) : fs::path("/dev/shm");
    if (!fs::is_directory(base, ec)) base = fs::temp_directory_path();
    const fs::path d =
        base / ("nmfkit-fuzz-" + std::to_string(static_cast<long>(getpid())) + "-" + target);
    fs::create_directories(d, ec);
    if (ec) {
      std::fprintf(stderr, "fuzz: cannot create %s: %s\n", d.c_str(), ec.message().c_str());
      std::abort();
    }
    return d.string();
  }();
  static const bool cleanup = [] {
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    return true;
  }();
  (void)cleanup;
  return dir;
}

/// Writes the bytes to `path` (replacing it); aborts on failure, which is the harness's problem.
inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

/// scratch_dir(target)/name holding the bytes; returns its path.
inline std::string write_scratch(const char* target, const char* name, const std::uint8_t* data,
                                 std::size_t size) {
  const std::string path = scratch_dir(target) + "/" + name;
  write_file(path, data, size);
  return path;
}

/// Runs f(), the only exceptions allowed being nmfkit::Error and its subclasses.
template <typename F>
void expect_only_nmfkit_errors(F&& f) {
  try {
    f();
  } catch (const nmfkit::Error&) {
    // A refused input: fine.
  }
}

}  // namespace nmfkit::fuzz
