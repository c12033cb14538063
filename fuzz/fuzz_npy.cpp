// libFuzzer target: read_npy, then the conversion the CLI applies to what it read.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "io/array.hpp"
#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = nmfkit::fuzz::write_scratch("npy", "input.npy", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors([&] {
    const nmfkit::io::Array a = nmfkit::io::read_npy(path);
    (void)nmfkit::io::to_vector<float>(a);
  });
  return 0;
}
