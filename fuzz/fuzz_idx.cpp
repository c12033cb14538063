// libFuzzer target: read_idx on a plain (uncompressed) IDX file.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/array.hpp"
#include "io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A file starting 1f 8b is read as gzip: that path is fuzz_idx_gzip's job, so keep this one
  // on the plain reader (0x00 in the first byte is what every valid IDX file has anyway).
  if (size >= 2 && data[0] == 0x1F && data[1] == 0x8B) return 0;
  const std::string path = nmfkit::fuzz::write_scratch("idx", "input.idx", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors([&] {
    const nmfkit::io::Array a = nmfkit::io::read_idx(path);
    // What the CLI does next: convert to float (refuses finite doubles beyond float's range).
    (void)nmfkit::io::to_vector<float>(a, 1.0 / 255.0);
  });
  return 0;
}
