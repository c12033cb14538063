// libFuzzer target: read_mtx, then the checks a fit applies to the matrix it read (CSR structure:
// offsets from 0 that never decrease, columns in range and increasing within a row).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/mtx.hpp"
#include "sparse_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = nmfkit::fuzz::write_scratch("mtx", "input.mtx", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors(
      [&] { nmfkit::fuzz::check_matrix_file(nmfkit::io::read_mtx(path)); });
  return 0;
}
