// libFuzzer target: read_npz, then the checks a fit applies to the matrix it read (CSR structure:
// offsets from 0 that never decrease, columns in range and increasing within a row).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/npz.hpp"
#include "sparse_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = nmfkit::fuzz::write_scratch("npz", "input.npz", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors(
      [&] { nmfkit::fuzz::check_matrix_file(nmfkit::io::read_npz(path)); });
  return 0;
}
