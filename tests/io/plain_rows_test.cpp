// plain_npy_uint8, plain_idx_uint8 and PlainRows: 8-bit files located, validated as the readers
// validate them, and read a block of rows at a time with the readers' bytes.
#include "io/plain_rows.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "io/idx.hpp"
#include "io/npy.hpp"
#include "io_test_util.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::io {
namespace {

using test::append;
using test::Bytes;
using test::expect_data_error;
using test::ScratchDir;
using test::write_bytes;
using Shape = std::vector<std::int64_t>;

Bytes levels(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 37 + 11) % 251);
  return b;
}

Bytes idx_u8(const std::vector<std::uint32_t>& dims, const Bytes& data) {
  Bytes b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// Every way of reading rows gives read_npy's / read_idx's bytes.
void expect_rows_match(const PlainArray& plain, const Array& whole) {
  PlainRows rows(plain);
  ASSERT_EQ(rows.rows(), whole.shape[0]);
  const std::int64_t m = rows.cols();
  ASSERT_EQ(static_cast<std::size_t>(rows.rows() * m), whole.bytes.size());
  Bytes all(whole.bytes.size());
  rows.read(0, rows.rows(), all.data());
  EXPECT_EQ(all, whole.bytes);
  Bytes one(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < rows.rows(); ++i) {
    rows.read(i, 1, one.data());
    EXPECT_TRUE(std::equal(one.begin(), one.end(), whole.bytes.begin() + i * m)) << "row " << i;
  }
  rows.read(rows.rows(), 0, nullptr);  // nothing, at the end
}

TEST(PlainRows, NpyOfUint8InCOrderIsReadByRows) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  const Bytes data = levels(7 * 3 * 5);
  const Shape shape = {7, 3, 5};
  write_npy(path, data.data(), shape);
  const std::optional<PlainArray> plain = plain_npy_uint8(path);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->shape, shape);
  EXPECT_EQ(plain->path, path);
  EXPECT_EQ(plain->offset, 128u);  // numpy's header, padded to 64 bytes
  expect_rows_match(*plain, read_npy(path));
}

TEST(PlainRows, IdxOfUint8IsReadByRows) {
  ScratchDir dir;
  const std::string path = dir.file("x-idx3-ubyte");
  write_bytes(path, idx_u8({6, 4, 2}, levels(48)));
  const std::optional<PlainArray> plain = plain_idx_uint8(path);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->shape, (Shape{6, 4, 2}));
  EXPECT_EQ(plain->offset, 16u);
  expect_rows_match(*plain, read_idx(path));
}

// Other dtypes, Fortran order and gzip files are read whole by the readers: nothing here.
TEST(PlainRows, OtherFilesAreNotPlainUint8) {
  ScratchDir dir;
  const std::vector<float> f(6, 1.0f);
  const Shape shape = {2, 3};
  write_npy(dir.file("f.npy"), f.data(), shape);
  EXPECT_FALSE(plain_npy_uint8(dir.file("f.npy")).has_value());
  Bytes fortran;
  const std::string dict = "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }";
  std::string text = dict;
  while ((10 + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  append(fortran, "\x93NUMPY");
  fortran.insert(fortran.end(), {1, 0, static_cast<std::uint8_t>(text.size()), 0});
  append(fortran, text);
  const Bytes six = levels(6);
  fortran.insert(fortran.end(), six.begin(), six.end());
  write_bytes(dir.file("fortran.npy"), fortran);
  EXPECT_FALSE(plain_npy_uint8(dir.file("fortran.npy")).has_value());
  EXPECT_EQ(read_npy(dir.file("fortran.npy")).shape, shape);  // the reader takes it whole

  const Bytes idx = idx_u8({3, 2}, levels(6));
  const std::string gz_path = dir.file("x.gz");
  gzFile gz = gzopen(gz_path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, idx.data(), static_cast<unsigned>(idx.size())),
            static_cast<int>(idx.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  EXPECT_FALSE(plain_idx_uint8(gz_path).has_value());
  Bytes int16 = {0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 2};
  write_bytes(dir.file("i16.idx"), int16);
  EXPECT_FALSE(plain_idx_uint8(dir.file("i16.idx")).has_value());
}

// The files are validated as the readers validate them, with their messages.
TEST(PlainRows, BadFilesGetTheReadersErrors) {
  ScratchDir dir;
  const Bytes data = levels(12);
  const Shape shape = {3, 4};
  write_npy(dir.file("x.npy"), data.data(), shape);
  Bytes npy = test::read_bytes(dir.file("x.npy"));
  npy.pop_back();
  write_bytes(dir.file("short.npy"), npy);
  expect_data_error([&] { plain_npy_uint8(dir.file("short.npy")); }, {"short.npy", "truncated"});
  Bytes idx = idx_u8({3, 4}, data);
  idx.push_back(0);
  write_bytes(dir.file("long.idx"), idx);
  expect_data_error([&] { plain_idx_uint8(dir.file("long.idx")); },
                    {"long.idx", "extra trailing bytes"});
  expect_data_error([&] { plain_npy_uint8(dir.file("none.npy")); }, {"cannot open", "none.npy"});
}

TEST(PlainRows, RowsOutsideTheArrayAndAShrunkFileAreRefused) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  const Bytes data = levels(40);
  const Shape shape = {10, 4};
  write_npy(path, data.data(), shape);
  PlainRows rows(*plain_npy_uint8(path));
  Bytes out(40);
  EXPECT_THROW(rows.read(-1, 1, out.data()), InvalidArgument);
  EXPECT_THROW(rows.read(8, 3, out.data()), InvalidArgument);
  EXPECT_THROW(rows.read(0, -1, out.data()), InvalidArgument);
  std::filesystem::resize_file(path, 128 + 20);  // 5 rows left
  rows.read(0, 5, out.data());
  expect_data_error([&] { rows.read(4, 2, out.data()); }, {"x.npy", "shrank"});
}

}  // namespace
}  // namespace nmfkit::io
