// libFuzzer target: read_idx on a gzip-compressed IDX file. read_idx takes the gzip path when the
// file starts with the gzip magic 1f 8b, whatever its name. The first input byte picks the mode:
//   even: the rest is an IDX file, compressed here with zlib (a valid gzip stream, so the fuzzer
//         explores the IDX header checks behind decompression and the trailer's size check);
//   odd:  the rest is written as it is, its first two bytes forced to 1f 8b (corrupt, truncated
//         and lying gzip streams and trailers).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz_util.hpp"
#include "io/array.hpp"
#include "io/idx.hpp"

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size, int level) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<std::uint8_t> out(deflateBound(&z, static_cast<uLong>(size)));
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  std::vector<std::uint8_t> file;
  if (mode % 2 == 0) {
    // Levels 0 (stored blocks) to 9 from the mode byte.
    file = gzip(data + 1, size - 1, (mode / 2) % 10);
  } else {
    file.assign(data + 1, data + size);
    if (file.size() < 2) file.resize(2);
    file[0] = 0x1F;
    file[1] = 0x8B;
  }
  const std::string path =
      nmfkit::fuzz::write_scratch("idx_gzip", "input.idx.gz", file.data(), file.size());
  nmfkit::fuzz::expect_only_nmfkit_errors([&] {
    const nmfkit::io::Array a = nmfkit::io::read_idx(path);
    (void)nmfkit::io::to_vector<float>(a, 1.0 / 255.0);
  });
  return 0;
}
