// Interoperability with the real numpy (Debian's python3-numpy, installed by the project's
// install script). These tests fail, not skip, when /usr/bin/python3 or numpy is missing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "io/npy.hpp"
#include "io_test_util.hpp"

namespace nmfkit::io {
namespace {

using test::ScratchDir;
using Shape = std::vector<std::int64_t>;

// Runs a Python script with the scratch folder as its argument; returns the exit status.
int run_python(const ScratchDir& dir, const std::string& script) {
  const std::string script_path = dir.file("check.py");
  std::ofstream(script_path) << script;
  const std::string cmd = "/usr/bin/python3 '" + script_path + "' '" + dir.path() + "'";
  return std::system(cmd.c_str());
}

TEST(NpyNumpy, NumpyLoadsWhatNmfkitWrites) {
  ScratchDir dir;
  std::vector<float> f(12);
  std::vector<double> d(5);
  std::vector<std::uint8_t> u(24);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.5f - 1.0f;
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<double>(i) / 3.0;
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint8_t>(i * 11);
  write_npy(dir.file("f32.npy"), f.data(), Shape{3, 4});
  write_npy(dir.file("f64.npy"), d.data(), Shape{5});
  write_npy(dir.file("u8.npy"), u.data(), Shape{2, 3, 4});
  const int rc = run_python(dir, R"(
import io, os, sys
import numpy as np
d = sys.argv[1]
expected = {
    'f32.npy': (np.arange(12, dtype=np.float32) * np.float32(0.5) - np.float32(1)).reshape(3, 4),
    'f64.npy': np.arange(5, dtype=np.float64) / 3.0,
    'u8.npy': (np.arange(24) * 11 % 256).astype(np.uint8).reshape(2, 3, 4),
}
ok = True
for name, want in expected.items():
    got = np.load(os.path.join(d, name))
    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
        print(name, 'mismatch:', got.dtype, got.shape, got, file=sys.stderr)
        ok = False
    buf = io.BytesIO()
    np.save(buf, want)
    with open(os.path.join(d, name), 'rb') as fh:
        if fh.read() != buf.getvalue():
            print(name, 'is not byte-identical to np.save', file=sys.stderr)
            ok = False
sys.exit(0 if ok else 1)
)");
  EXPECT_EQ(rc, 0) << "numpy check failed (is /usr/bin/python3 with numpy installed?)";
}

TEST(NpyNumpy, NmfkitReadsWhatNumpyWrites) {
  ScratchDir dir;
  const int rc = run_python(dir, R"(
import os, sys
import numpy as np
d = sys.argv[1]
a = np.arange(24)
np.save(os.path.join(d, 'f32.npy'), (a * 0.25).astype(np.float32).reshape(4, 6))
np.save(os.path.join(d, 'f64.npy'), a / 8.0)
np.save(os.path.join(d, 'u8.npy'), (a * 11 % 256).astype(np.uint8).reshape(2, 3, 4))
np.save(os.path.join(d, 'i8.npy'), (a - 12).astype(np.int8))
np.save(os.path.join(d, 'i32.npy'), (a * -1000).astype(np.int32).reshape(3, 8))
np.save(os.path.join(d, 'int.npy'), (a * -3).reshape(4, 6))  # numpy's default int: <i8
np.save(os.path.join(d, 'u16.npy'), (a * 2000).astype(np.uint16))
np.save(os.path.join(d, 'u32.npy'), (a * 100000).astype(np.uint32))
np.save(os.path.join(d, 'u64.npy'), (a * 7).astype(np.uint64))
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray((a * 0.25).astype(np.float32).reshape(4, 6)))
for v in (2, 3):
    with open(os.path.join(d, 'v%d.npy' % v), 'wb') as fh:
        np.lib.format.write_array(fh, (a / 8.0).reshape(2, 12), version=(v, 0))
)");
  ASSERT_EQ(rc, 0) << "numpy failed to write the files (is /usr/bin/python3 with numpy installed?)";

  std::vector<double> idx(24);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<double>(i);
  auto expect = [&](const std::string& name, DType dtype, const Shape& shape, auto value_of) {
    SCOPED_TRACE(name);
    const Array a = read_npy(dir.file(name));
    EXPECT_EQ(a.dtype, dtype);
    EXPECT_EQ(a.shape, shape);
    const std::vector<double> v = to_vector<double>(a);
    ASSERT_EQ(v.size(), 24u);
    for (std::size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], value_of(idx[i])) << "at " << i;
  };
  expect("f32.npy", DType::kFloat32, {4, 6}, [](double i) { return i * 0.25; });
  expect("fortran.npy", DType::kFloat32, {4, 6}, [](double i) { return i * 0.25; });
  expect("f64.npy", DType::kFloat64, {24}, [](double i) { return i / 8.0; });
  expect("v2.npy", DType::kFloat64, {2, 12}, [](double i) { return i / 8.0; });
  expect("v3.npy", DType::kFloat64, {2, 12}, [](double i) { return i / 8.0; });
  expect("u8.npy", DType::kUint8, {2, 3, 4},
         [](double i) { return static_cast<double>(static_cast<int>(i) * 11 % 256); });
  expect("i8.npy", DType::kInt8, {24}, [](double i) { return i - 12; });
  expect("i32.npy", DType::kInt32, {3, 8}, [](double i) { return i * -1000; });
  expect("int.npy", DType::kInt64, {4, 6}, [](double i) { return i * -3; });
  expect("u16.npy", DType::kUint16, {24}, [](double i) { return i * 2000; });
  expect("u32.npy", DType::kUint32, {24}, [](double i) { return i * 100000; });
  expect("u64.npy", DType::kUint64, {24}, [](double i) { return i * 7; });
}

}  // namespace
}  // namespace nmfkit::io
