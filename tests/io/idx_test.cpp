#include "io/idx.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cstring>

#include "io_test_util.hpp"

namespace nmfkit::io {
namespace {

using test::Bytes;
using test::expect_data_error;
using test::ScratchDir;
using test::write_bytes;

Bytes idx_header(std::uint8_t type_code, const std::vector<std::uint32_t>& dims) {
  Bytes b = {0, 0, type_code, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  }
  return b;
}

// Appends each value as big-endian bytes.
template <typename T>
void append_big_endian(Bytes& out, const std::vector<T>& values) {
  for (T v : values) {
    std::uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    if constexpr (std::endian::native == std::endian::little) {
      for (std::size_t i = sizeof(T); i-- > 0;) out.push_back(raw[i]);
    } else {
      out.insert(out.end(), raw, raw + sizeof(T));
    }
  }
}

// A 2 x 3 x 4 uint8 file holding 0, 7, 14, ... (mod 256).
Bytes uint8_cube() {
  Bytes b = idx_header(0x08, {2, 3, 4});
  for (int i = 0; i < 24; ++i) b.push_back(static_cast<std::uint8_t>(i * 7));
  return b;
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

void expect_uint8_cube(const Array& a) {
  EXPECT_EQ(a.dtype, DType::kUint8);
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3, 4}));
  ASSERT_EQ(a.bytes.size(), 24u);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(a.bytes[static_cast<std::size_t>(i)], (i * 7) % 256);
}

TEST(ReadIdx, ReadsUint8ThreeD) {
  ScratchDir dir;
  const std::string path = dir.file("cube.idx3-ubyte");
  write_bytes(path, uint8_cube());
  expect_uint8_cube(read_idx(path));
}

TEST(ReadIdx, ReadsGzipDetectedByMagicNotName) {
  ScratchDir dir;
  const std::string gz = dir.file("cube.idx3-ubyte.gz");
  const std::string no_suffix = dir.file("cube-compressed.idx");
  write_gzip(gz, uint8_cube());
  write_gzip(no_suffix, uint8_cube());
  expect_uint8_cube(read_idx(gz));
  expect_uint8_cube(read_idx(no_suffix));
}

TEST(ReadIdx, ConvertsBigEndianElements) {
  ScratchDir dir;
  const std::vector<float> f32 = {1.5f, -2.25f, 3e10f, 0.0f};
  const std::vector<double> f64 = {0.1, -1e300};
  const std::vector<std::int16_t> i16 = {-2, 300, 32767};
  const std::vector<std::int32_t> i32 = {-70000, 1};
  const std::vector<std::int8_t> i8 = {-128, 5};

  Bytes b = idx_header(0x0D, {2, 2});
  append_big_endian(b, f32);
  write_bytes(dir.file("f32.idx"), b);
  Array a = read_idx(dir.file("f32.idx"));
  EXPECT_EQ(a.dtype, DType::kFloat32);
  EXPECT_EQ(to_vector<float>(a), f32);

  b = idx_header(0x0E, {2});
  append_big_endian(b, f64);
  write_gzip(dir.file("f64.idx.gz"), b);
  a = read_idx(dir.file("f64.idx.gz"));
  EXPECT_EQ(a.dtype, DType::kFloat64);
  EXPECT_EQ(to_vector<double>(a), f64);

  b = idx_header(0x0B, {3});
  append_big_endian(b, i16);
  write_bytes(dir.file("i16.idx"), b);
  a = read_idx(dir.file("i16.idx"));
  EXPECT_EQ(a.dtype, DType::kInt16);
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{-2, 300, 32767}));

  b = idx_header(0x0C, {1, 2});
  append_big_endian(b, i32);
  write_bytes(dir.file("i32.idx"), b);
  a = read_idx(dir.file("i32.idx"));
  EXPECT_EQ(a.dtype, DType::kInt32);
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{-70000, 1}));

  b = idx_header(0x09, {2});
  append_big_endian(b, i8);
  write_bytes(dir.file("i8.idx"), b);
  a = read_idx(dir.file("i8.idx"));
  EXPECT_EQ(a.dtype, DType::kInt8);
  EXPECT_EQ(to_vector<double>(a), (std::vector<double>{-128, 5}));
}

TEST(ReadIdx, RejectsWrongMagic) {
  ScratchDir dir;
  const std::string path = dir.file("train.idx");
  Bytes b = uint8_cube();
  b[0] = 0x12;
  b[1] = 0x34;
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "not an IDX file", "0x1234", "0x0000"});
}

TEST(ReadIdx, RejectsEmptyFile) {
  ScratchDir dir;
  const std::string path = dir.file("empty.idx");
  write_bytes(path, {});
  expect_data_error([&] { read_idx(path); }, {path, "not an IDX file"});
}

TEST(ReadIdx, RejectsTruncatedData) {
  ScratchDir dir;
  const std::string path = dir.file("short.idx");
  Bytes b = uint8_cube();
  b.resize(b.size() - 5);
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "truncated", "24 data bytes", "has 19"});
}

TEST(ReadIdx, RejectsDimensionsThatExceedTheFile) {
  ScratchDir dir;
  const std::string path = dir.file("x.idx");
  Bytes b = idx_header(0x08, {60000, 28, 28});
  b.resize(b.size() + 1000, 0);
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "truncated", "47040000", "has 1000"});
}

TEST(ReadIdx, RejectsTrailingBytes) {
  ScratchDir dir;
  const std::string path = dir.file("long.idx");
  Bytes b = uint8_cube();
  b.push_back(0);
  b.push_back(0);
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "2 extra trailing bytes"});
}

TEST(ReadIdx, RejectsOverflowingDimensions) {
  ScratchDir dir;
  const std::string path = dir.file("huge.idx");
  write_bytes(path, idx_header(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));
  expect_data_error([&] { read_idx(path); },
                    {path, "dimensions 4294967295 x 4294967295 x 4294967295", "overflow"});
}

TEST(ReadIdx, RejectsDataLargerThanTheCapBeforeAllocating) {
  ScratchDir dir;
  const std::string path = dir.file("big.idx");
  write_bytes(path, idx_header(0x0E, {1u << 20, 1u << 20}));  // 8 TiB of float64
  expect_data_error([&] { read_idx(path); }, {path, "limit"});
}

TEST(ReadIdx, RejectsUnknownTypeCode) {
  ScratchDir dir;
  const std::string path = dir.file("type.idx");
  Bytes b = uint8_cube();
  b[2] = 0x07;
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "unknown IDX type code 0x07"});
}

TEST(ReadIdx, RejectsBadDimensionCountAndZeroDimension) {
  ScratchDir dir;
  const std::string none = dir.file("none.idx");
  write_bytes(none, idx_header(0x08, {}));
  expect_data_error([&] { read_idx(none); }, {none, "0 dimensions"});

  const std::string nine = dir.file("nine.idx");
  write_bytes(nine, idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}));
  expect_data_error([&] { read_idx(nine); }, {nine, "9 dimensions"});

  const std::string zero = dir.file("zero.idx");
  write_bytes(zero, idx_header(0x08, {3, 0}));
  expect_data_error([&] { read_idx(zero); }, {zero, "dimension 1 is 0"});
}

TEST(ReadIdx, RejectsTruncatedHeader) {
  ScratchDir dir;
  const std::string path = dir.file("header.idx");
  Bytes b = idx_header(0x08, {2, 3, 4});
  b.resize(10);
  write_bytes(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "truncated header"});
}

TEST(ReadIdx, RejectsMissingFile) {
  ScratchDir dir;
  const std::string path = dir.file("missing.idx");
  expect_data_error([&] { read_idx(path); },
                    {"cannot open '" + path + "'", "No such file or directory"});
}

TEST(ReadIdx, RejectsTruncatedGzip) {
  ScratchDir dir;
  Bytes b = idx_header(0x08, {100, 100});
  for (int i = 0; i < 10000; ++i) b.push_back(static_cast<std::uint8_t>((i * 2654435761u) >> 24));
  const std::string full = dir.file("full.idx.gz");
  write_gzip(full, b);
  ASSERT_EQ(read_idx(full).bytes.size(), 10000u);

  Bytes gz = test::read_bytes(full);
  gz.resize(gz.size() / 2);
  const std::string cut = dir.file("cut.idx.gz");
  write_bytes(cut, gz);
  expect_data_error([&] { read_idx(cut); }, {cut, "truncated"});

  gz.resize(10);
  write_bytes(cut, gz);
  expect_data_error([&] { read_idx(cut); }, {cut, "truncated gzip file"});
}

TEST(ReadIdx, RejectsGzipWhoseHeaderExceedsTheStream) {
  ScratchDir dir;
  const std::string path = dir.file("liar.idx.gz");
  Bytes b = idx_header(0x08, {60000, 28, 28});
  b.resize(b.size() + 1000, 1);
  write_gzip(path, b);
  expect_data_error([&] { read_idx(path); }, {path, "truncated", "47040000", "trailer"});
}

// A 40-byte gzip of a header claiming 65536 x 65536 bytes and nothing else: its trailer records
// 12 uncompressed bytes, which matches 4 GiB + 12 mod 2^32. Memory must follow the data: under a
// 512 MiB address-space limit (in a child process) the reader still says "truncated".
TEST(ReadIdx, GzipHeaderThatLiesAboutItsSizeAllocatesOnlyWhatArrives) {
  if (io::test::kAddressSanitizer)
    GTEST_SKIP() << "AddressSanitizer's shadow memory needs no address limit";
  ScratchDir dir;
  const std::string path = dir.file("bomb.idx.gz");
  write_gzip(path, idx_header(0x08, {65536, 65536}));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const rlimit limit{std::size_t{512} << 20, std::size_t{512} << 20};
    ::setrlimit(RLIMIT_AS, &limit);
    try {
      read_idx(path);
    } catch (const DataError& e) {
      std::_Exit(std::string(e.what()).find("truncated") != std::string::npos ? 0 : 3);
    } catch (...) {
      std::_Exit(4);  // std::bad_alloc: the header's size was allocated
    }
    std::_Exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: another message, 4: out of memory, 5: no error";
}

TEST(ReadIdx, RejectsGzipWithOverflowingDimensions) {
  ScratchDir dir;
  const std::string path = dir.file("huge.idx.gz");
  write_gzip(path, idx_header(0x0D, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));
  expect_data_error([&] { read_idx(path); }, {path, "overflow"});
}

TEST(ReadIdx, RejectsGzipWithBadChecksum) {
  ScratchDir dir;
  const std::string path = dir.file("crc.idx.gz");
  write_gzip(path, uint8_cube());
  Bytes gz = test::read_bytes(path);
  gz[gz.size() - 8] ^= 0xFF;  // first byte of the CRC-32 in the trailer
  write_bytes(path, gz);
  expect_data_error([&] { read_idx(path); }, {path, "corrupt gzip"});
}

}  // namespace
}  // namespace nmfkit::io
