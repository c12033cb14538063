#include "io/npy.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "io/npy_header.hpp"
#include "io_test_util.hpp"

namespace nmfkit::io {
namespace {

using test::append;
using test::Bytes;
using test::expect_data_error;
using test::read_bytes;
using test::ScratchDir;
using test::write_bytes;
using Shape = std::vector<std::int64_t>;

// A version major.0 file with the given header dictionary (padded to 64 bytes) and data bytes.
Bytes npy_file(const std::string& dict, const Bytes& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string text = dict;
  while ((prefix + text.size() + 1) % 64 != 0) text += ' ';
  text += '\n';
  Bytes b;
  append(b, "\x93NUMPY");
  b.push_back(static_cast<std::uint8_t>(major));
  b.push_back(0);
  for (std::size_t i = 0; i < prefix - 8; ++i) {
    b.push_back(static_cast<std::uint8_t>(text.size() >> (8 * i)));
  }
  append(b, text);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

template <typename T>
Bytes raw(const std::vector<T>& values) {
  Bytes b(values.size() * sizeof(T));
  std::memcpy(b.data(), values.data(), b.size());
  return b;
}

template <typename T>
std::vector<T> values_of(const Array& a) {
  std::vector<T> v(a.bytes.size() / sizeof(T));
  std::memcpy(v.data(), a.bytes.data(), v.size() * sizeof(T));
  return v;
}

TEST(Npy, RoundTripsFloat32Float64Uint8In1DAnd2D) {
  ScratchDir dir;
  const std::vector<float> f = {0.5f, -1.25f, 3e-8f, 1e30f, 0.0f, 7.0f};
  const std::vector<double> d = {0.1, -2.5, 1e-300, 4.0, 5.0, 6.0};
  const std::vector<std::uint8_t> u = {0, 1, 127, 128, 254, 255};
  for (const Shape& shape : {Shape{2, 3}, Shape{6}}) {
    write_npy(dir.file("f.npy"), f.data(), shape);
    write_npy(dir.file("d.npy"), d.data(), shape);
    write_npy(dir.file("u.npy"), u.data(), shape);
    const Array af = read_npy(dir.file("f.npy"));
    const Array ad = read_npy(dir.file("d.npy"));
    const Array au = read_npy(dir.file("u.npy"));
    EXPECT_EQ(af.dtype, DType::kFloat32);
    EXPECT_EQ(ad.dtype, DType::kFloat64);
    EXPECT_EQ(au.dtype, DType::kUint8);
    EXPECT_EQ(af.shape, shape);
    EXPECT_EQ(ad.shape, shape);
    EXPECT_EQ(au.shape, shape);
    EXPECT_EQ(values_of<float>(af), f);
    EXPECT_EQ(values_of<double>(ad), d);
    EXPECT_EQ(au.bytes, u);
  }
}

TEST(Npy, RoundTripsArraysOfOtherTypesAndEmptyArrays) {
  ScratchDir dir;
  const Array i16{DType::kInt16, {2, 1, 2}, raw<std::int16_t>({-1, 2, -300, 32767})};
  write_npy(dir.file("i16.npy"), i16);
  const Array back = read_npy(dir.file("i16.npy"));
  EXPECT_EQ(back.dtype, DType::kInt16);
  EXPECT_EQ(back.shape, i16.shape);
  EXPECT_EQ(back.bytes, i16.bytes);

  const Shape empty = {0, 3};
  write_npy(dir.file("empty.npy"), static_cast<const float*>(nullptr), empty);
  const Array e = read_npy(dir.file("empty.npy"));
  EXPECT_EQ(e.shape, empty);
  EXPECT_TRUE(e.bytes.empty());
}

// The header numpy 1.24's np.save writes: the dictionary, 21 - len(str(shape[0])) spare spaces,
// padding to a multiple of 64 bytes, '\n'.
TEST(Npy, WritesTheHeaderNumpyWrites) {
  ScratchDir dir;
  const std::vector<float> f(12, 1.0f);
  const Shape shape = {3, 4};
  write_npy(dir.file("f.npy"), f.data(), shape);
  const Bytes b = read_bytes(dir.file("f.npy"));
  ASSERT_EQ(b.size(), 128u + 48u);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 8), std::string("\x93NUMPY\x01\x00", 8));
  const std::size_t header_len = b[8] | (b[9] << 8);
  EXPECT_EQ(header_len, 118u);
  const std::string text(b.begin() + 10, b.begin() + 10 + static_cast<std::ptrdiff_t>(header_len));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
  EXPECT_EQ(text, dict + std::string(118 - dict.size() - 1, ' ') + "\n");
  EXPECT_EQ((10 + header_len) % 64, 0u);

  const std::vector<std::uint8_t> u(5, 9);
  write_npy(dir.file("u.npy"), u.data(), Shape{5});
  const Bytes bu = read_bytes(dir.file("u.npy"));
  const std::string tu(bu.begin() + 10, bu.begin() + 128);
  EXPECT_EQ(tu.rfind("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", 0), 0u);
  EXPECT_EQ(tu.back(), '\n');
  EXPECT_EQ(tu.find_first_not_of(' ', 57), tu.size() - 1);
  EXPECT_EQ(bu.size(), 128u + 5u);
}

TEST(Npy, HeaderFormattingFollowsNumpyPadding) {
  for (const Shape& shape : {Shape{1}, Shape{12345678901234}, Shape{3, 4, 5, 6, 7, 8, 9, 10}}) {
    const std::string h = detail::format_npy_header("<f8", shape);
    EXPECT_EQ(h.size() % 64, 0u) << h;
    EXPECT_EQ(h.back(), '\n');
    EXPECT_EQ(static_cast<std::size_t>(static_cast<std::uint8_t>(h[8]) |
                                       (static_cast<std::uint8_t>(h[9]) << 8)),
              h.size() - 10);
    const std::string dict =
        "{'descr': '<f8', 'fortran_order': False, 'shape': " + detail::shape_repr(shape) + ", }";
    EXPECT_EQ(h.substr(10, dict.size()), dict);
    // numpy's spare space for growing axis 0 comes before the alignment padding.
    EXPECT_GE(h.size() - 11 - dict.size(), 21 - std::to_string(shape[0]).size());
  }
  EXPECT_EQ(detail::shape_repr(Shape{5}), "(5,)");
  EXPECT_EQ(detail::shape_repr(Shape{2, 3}), "(2, 3)");
}

TEST(Npy, RejectsAHeaderThatLiesAboutTheSize) {
  ScratchDir dir;
  const std::vector<float> f(12, 1.0f);
  const std::string path = dir.file("short.npy");
  write_npy(path, f.data(), Shape{3, 4});
  Bytes b = read_bytes(path);
  b.resize(b.size() - 8);
  write_bytes(path, b);
  expect_data_error([&] { read_npy(path); }, {path, "truncated", "needs 48 data bytes", "has 40"});

  const std::string huge = dir.file("huge.npy");
  write_bytes(
      huge,
      npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", Bytes(16)));
  expect_data_error([&] { read_npy(huge); }, {huge, "truncated", "80000000000", "has 16"});

  const std::string longer = dir.file("long.npy");
  write_bytes(longer,
              npy_file("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", Bytes(7)));
  expect_data_error([&] { read_npy(longer); }, {longer, "3 extra trailing bytes"});

  const std::string overflow = dir.file("overflow.npy");
  write_bytes(overflow, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                 "(4294967295, 4294967295, 4294967295), }",
                                 Bytes(4)));
  expect_data_error([&] { read_npy(overflow); }, {overflow, "overflow"});
}

TEST(Npy, RejectsBadMagicAndVersion) {
  ScratchDir dir;
  const std::string path = dir.file("bad.npy");
  write_bytes(path, {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  expect_data_error([&] { read_npy(path); }, {path, "not an NPY file", "50 4B 03 04", "zip"});

  write_bytes(path, {});
  expect_data_error([&] { read_npy(path); }, {path, "not an NPY file", "empty"});

  write_bytes(path, {0x93, 'N', 'U'});
  expect_data_error([&] { read_npy(path); }, {path, "not an NPY file"});

  Bytes b = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Bytes(4));
  b[6] = 4;
  write_bytes(path, b);
  expect_data_error([&] { read_npy(path); }, {path, "version 4.0"});
}

TEST(Npy, ReadsFormatVersions2And3) {
  ScratchDir dir;
  const std::vector<double> d = {1.0, 2.0, 3.0};
  for (int major : {2, 3}) {
    const std::string path = dir.file("v" + std::to_string(major) + ".npy");
    write_bytes(
        path, npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", raw(d), major));
    const Array a = read_npy(path);
    EXPECT_EQ(a.shape, Shape{3});
    EXPECT_EQ(values_of<double>(a), d);
  }
}

TEST(Npy, AcceptsNumpyDescrSpellingsAndPythonVariants) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  struct Case {
    std::string descr;
    DType dtype;
  };
  for (const Case& c :
       {Case{"<u1", DType::kUint8}, Case{"|u1", DType::kUint8}, Case{"|i1", DType::kInt8},
        Case{"<i2", DType::kInt16}, Case{"<i4", DType::kInt32}, Case{"<f4", DType::kFloat32}}) {
    const std::size_t bytes = 4 * dtype_size(c.dtype);
    write_bytes(path, npy_file("{\"descr\": \"" + c.descr +
                                   "\", \"shape\": (2L, 2L), \"fortran_order\": False}",
                               Bytes(bytes, 1)));
    const Array a = read_npy(path);
    EXPECT_EQ(a.dtype, c.dtype) << c.descr;
    EXPECT_EQ(a.shape, (Shape{2, 2})) << c.descr;
  }
}

TEST(Npy, TransposesFortranOrder) {
  ScratchDir dir;
  const std::string path = dir.file("f.npy");
  // C-order value at (i, j, k) of a 2 x 3 x 4 array is 100 i + 10 j + k; Fortran order stores it
  // at i + 2 j + 6 k.
  std::vector<std::int32_t> fortran(24);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        fortran[static_cast<std::size_t>(i + 2 * j + 6 * k)] = 100 * i + 10 * j + k;
  write_bytes(path, npy_file("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 4), }",
                             raw(fortran)));
  const Array a = read_npy(path);
  EXPECT_EQ(a.shape, (Shape{2, 3, 4}));
  const std::vector<std::int32_t> c = values_of<std::int32_t>(a);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(c[static_cast<std::size_t>(12 * i + 4 * j + k)], 100 * i + 10 * j + k);
}

TEST(Npy, RejectsUnsupportedDtypesAndShapes) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  write_bytes(path,
              npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", Bytes(4)));
  expect_data_error([&] { read_npy(path); }, {path, "big-endian dtype '>f4'"});

  write_bytes(path,
              npy_file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", Bytes(8)));
  expect_data_error([&] { read_npy(path); }, {path, "unsupported dtype '<c8'"});

  write_bytes(path, npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                             Bytes(4)));
  expect_data_error([&] { read_npy(path); }, {path, "invalid NPY header", "structured"});

  write_bytes(path, npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", Bytes(4)));
  expect_data_error([&] { read_npy(path); }, {path, "0-d"});
}

// A zero dimension beside dimensions whose product does not fit in 64 bits: an empty array,
// with no overflow on the way (-fsanitize=undefined would report one).
TEST(Npy, ZeroDimensionBesideHugeOnesIsEmpty) {
  ScratchDir dir;
  const std::string path = dir.file("z.npy");
  write_bytes(path, npy_file("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (3, 4294967296, 4294967296, 0), }",
                             Bytes()));
  const Array a = read_npy(path);
  EXPECT_EQ(a.size(), 0);
  EXPECT_TRUE(to_vector<float>(a).empty());
}

TEST(Npy, RejectsMalformedHeaders) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  for (const std::string dict : {
           "{'descr': '<f4', 'fortran_order': False}",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
           "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
           "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
           "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk",
           "{'descr': '<f4 'fortran_order': False, 'shape': (1,)}",
           "not a dict",
       }) {
    write_bytes(path, npy_file(dict, Bytes(4)));
    expect_data_error([&] { read_npy(path); }, {path, "invalid NPY header"});
  }
}

TEST(Npy, RejectsBadHeaderLengths) {
  ScratchDir dir;
  const std::string path = dir.file("x.npy");
  Bytes b = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Bytes(4), 2);
  b[11] = 0x7F;  // header length about 2 GiB
  write_bytes(path, b);
  expect_data_error([&] { read_npy(path); }, {path, "header length"});

  b = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Bytes(4));
  b.resize(40);
  write_bytes(path, b);
  expect_data_error([&] { read_npy(path); }, {path, "truncated NPY header"});
}

TEST(Npy, MissingFileNamesThePath) {
  ScratchDir dir;
  const std::string path = dir.file("missing.npy");
  expect_data_error([&] { read_npy(path); },
                    {"cannot open '" + path + "'", "No such file or directory"});
}

TEST(Npy, WriteErrorsNameThePath) {
  ScratchDir dir;
  const std::vector<float> f(4, 1.0f);
  const std::string path = dir.file("no/such/dir/out.npy");
  expect_data_error([&] { write_npy(path, f.data(), Shape{4}); }, {"cannot create", path});

  // /dev/full accepts the open and fails the write with ENOSPC.
  if (std::filesystem::is_character_file("/dev/full")) {
    expect_data_error([&] { write_npy("/dev/full", f.data(), Shape{4}); },
                      {"/dev/full", "write failed"});
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/full"));
  }
}

TEST(Npy, WriteRejectsInvalidShapes) {
  ScratchDir dir;
  const std::vector<float> f(4, 1.0f);
  EXPECT_THROW(write_npy(dir.file("a.npy"), f.data(), Shape{}), InvalidArgument);
  EXPECT_THROW(write_npy(dir.file("b.npy"), f.data(), Shape{2, -2}), InvalidArgument);
  EXPECT_THROW(write_npy(dir.file("c.npy"), static_cast<const float*>(nullptr), Shape{4}),
               InvalidArgument);
  EXPECT_THROW(write_npy(dir.file("d.npy"), Array{DType::kFloat32, {3}, Bytes(4)}),
               InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.npy")));
}

}  // namespace
}  // namespace nmfkit::io
