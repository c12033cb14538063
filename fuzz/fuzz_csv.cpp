// libFuzzer target: read_csv. The delimiter is chosen from the first non-blank line (comma, else
// tab, else semicolon), so CSV, TSV and semicolon files all come from the same input bytes; the
// seed corpus has one of each.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/array.hpp"
#include "io/csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = nmfkit::fuzz::write_scratch("csv", "input.csv", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors([&] {
    const nmfkit::io::Csv csv = nmfkit::io::read_csv(path);
    (void)nmfkit::io::to_vector<float>(csv.values);
  });
  return 0;
}
