// libFuzzer target: the CLI's model.json reader, load_model(DIR) from apps/nmfkit/model.cpp
// (compiled into this target unchanged). The input is written as DIR/model.json.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.hpp"
#include "model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string dir = nmfkit::fuzz::scratch_dir("model_json");
  nmfkit::fuzz::write_file(dir + "/model.json", data, size);
  nmfkit::fuzz::expect_only_nmfkit_errors([&] { (void)nmfkit::cli::load_model(dir); });
  return 0;
}
