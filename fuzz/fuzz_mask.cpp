// libFuzzer target: the CLI's --mask reader, missing_entries() from apps/nmfkit/missing.cpp
// (compiled into this target unchanged), which reads the mask NPY with read_npy and checks it
// against X's shape.
//
// Input: four parameter bytes, then the mask file (an NPY).
//   byte 0, 1: X's rows and columns, 1 + (b & 15)
//   byte 2:    bit 0 --limit was given (the mask may have more rows); bit 1 --missing nan;
//              bit 2 the input has its own observed mask (image folders with --alpha mask);
//              bit 3 X is float64 (else float32)
//   byte 3:    the pattern of NaN entries in X (entry p is NaN when bit p % 8 is set)
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "input.hpp"
#include "missing.hpp"

namespace {

template <typename T>
void run(const std::string& path, const nmfkit::cli::Input& in, bool limited, bool nan,
         std::uint8_t nan_bits) {
  std::vector<T> x(static_cast<std::size_t>(in.rows * in.cols), T(0.5));
  for (std::size_t p = 0; p < x.size(); ++p)
    if ((nan_bits >> (p % 8)) & 1) x[p] = std::numeric_limits<T>::quiet_NaN();
  const nmfkit::cli::Missing m =
      nmfkit::cli::missing_entries<T>(path, nan ? "nan" : "", in, x, limited);
  if (m.any() && m.observed.size() != x.size()) __builtin_trap();  // broke its own contract
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  nmfkit::cli::Input in;
  in.rows = 1 + (data[0] & 15);
  in.cols = 1 + (data[1] & 15);
  const bool limited = (data[2] & 1) != 0;
  const bool nan = (data[2] & 2) != 0;
  if ((data[2] & 4) != 0) {
    in.observed.resize(static_cast<std::size_t>(in.rows * in.cols));
    for (std::size_t p = 0; p < in.observed.size(); ++p)
      in.observed[p] = static_cast<std::uint8_t>(p % 3 != 0);
  }
  const std::string path = nmfkit::fuzz::write_scratch("mask", "mask.npy", data + 4, size - 4);
  nmfkit::fuzz::expect_only_nmfkit_errors([&] {
    if ((data[2] & 8) != 0)
      run<double>(path, in, limited, nan, data[3]);
    else
      run<float>(path, in, limited, nan, data[3]);
  });
  return 0;
}
