// libFuzzer target: the BMP decoder behind decode_image, then resize_image and resolve_alpha
// (see fuzz_image.hpp for the input layout).
#include <cstddef>
#include <cstdint>

#include "fuzz_image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return nmfkit::fuzz::fuzz_image(nmfkit::fuzz::ImageKind::kBmp, data, size);
}
