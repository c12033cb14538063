// The zip reader, .npz archives (scipy.sparse.save_npz's and np.savez's) and Matrix Market files:
// good files of every supported kind, and every malformed one refused with one line naming it.
#include "io/npz.hpp"

#include <zlib.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "io/io_test_util.hpp"
#include "io/mtx.hpp"
#include "io/npz_writer.hpp"
#include "io/zip.hpp"

namespace nmfkit::io::test {
namespace {

using npz_test::csr_npz;
using npz_test::npy;
using npz_test::npy_text;
using npz_test::zip;

// The dense rows × cols matrix a SparseMatrix holds, row-major.
std::vector<double> dense(const SparseMatrix& m) {
  std::vector<double> x(static_cast<std::size_t>(m.rows * m.cols), 0.0);
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (auto p = m.indptr[i]; p < m.indptr[i + 1]; ++p)
      x[static_cast<std::size_t>(i * m.cols + m.indices[p])] = m.values[p];
  return x;
}

void expect_canonical(const SparseMatrix& m) {
  ASSERT_EQ(m.indptr.size(), static_cast<std::size_t>(m.rows + 1));
  EXPECT_EQ(m.indptr.front(), 0);
  EXPECT_EQ(m.indptr.back(), m.nnz());
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (auto p = m.indptr[i]; p < m.indptr[i + 1]; ++p) {
      EXPECT_GT(m.values[p], 0);
      if (p > m.indptr[i]) {
        EXPECT_LT(m.indices[p - 1], m.indices[p]);
      }
    }
}

// 3 × 4: [[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 4.5]].
const std::vector<double> kX = {1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4.5};
const std::vector<std::int32_t> kPtr = {0, 2, 2, 4}, kIdx = {0, 2, 1, 3};
const std::vector<double> kData = {1, 2, 3, 4.5};

TEST(Zip, ReadsStoredAndDeflatedMembersAndChecksTheirCrc) {
  ScratchDir dir;
  std::vector<std::uint8_t> big(200000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7 % 13);
  for (bool compress : {false, true}) {
    const std::string path = dir.file(compress ? "c.zip" : "s.zip");
    write_bytes(path, zip({{"a.bin", {1, 2, 3}}, {"big.bin", big}}, compress));
    ASSERT_TRUE(is_zip(path));
    ZipReader z(path);
    ASSERT_EQ(z.entries().size(), 2u);
    EXPECT_EQ(z.read_all(*z.find("a.bin")), (std::vector<std::uint8_t>{1, 2, 3}));
    EXPECT_EQ(z.read_all(*z.find("big.bin")), big);
    EXPECT_EQ(z.find("c.bin"), nullptr);
  }
}

TEST(Zip, RefusesDamagedArchives) {
  ScratchDir dir;
  const std::string path = dir.file("x.zip");
  const Bytes good = zip({{"a.npy", Bytes(1000, 5)}}, true);
  // Not a zip at all, cut short, a flipped data byte (CRC), an encrypted member, bzip2.
  write_bytes(path, Bytes{'P', 'K', 3, 4, 0, 0});
  expect_data_error([&] { ZipReader z(path); }, {path, "zip"});
  write_bytes(path,
              Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2)));
  expect_data_error([&] { ZipReader z(path); }, {path, "end of central directory"});
  Bytes stored = zip({{"a.npy", Bytes(100, 5)}}, false);
  stored[30 + 5 + 10] ^= 0xff;
  write_bytes(path, stored);
  expect_data_error(
      [&] {
        ZipReader z(path);
        z.read_all(z.entries()[0]);
      },
      {path, "a.npy", "CRC"});
  Bytes locked = good;
  const std::size_t cd = locked.size() - 22 - 46 - 5;  // the one central directory entry
  locked[cd + 8] |= 1;
  write_bytes(path, locked);
  expect_data_error([&] { ZipReader z(path); }, {path, "encrypted"});
  Bytes bzip = good;
  bzip[cd + 10] = 12;
  write_bytes(path, bzip);
  expect_data_error([&] { ZipReader z(path); }, {path, "method 12", "bzip2"});
  // An uncompressed size deflate cannot reach from the compressed bytes: refused before reading.
  Bytes absurd = good;
  for (int b = 0; b < 4; ++b) absurd[cd + 24 + b] = 0xfe;
  write_bytes(path, absurd);
  expect_data_error([&] { ZipReader z(path); }, {path, "more than deflate can expand"});
  // A member whose offset points past the data.
  Bytes outside = good;
  outside[cd + 42 + 2] = 0x7f;
  write_bytes(path, outside);
  expect_data_error([&] { ZipReader z(path); }, {path, "outside"});
  // Corrupt deflate data.
  Bytes garbage = good;
  for (std::size_t i = 35; i < 45; ++i) garbage[i] = 0xff;
  write_bytes(path, garbage);
  expect_data_error(
      [&] {
        ZipReader z(path);
        z.read_all(z.entries()[0]);
      },
      {path, "a.npy"});
}

TEST(Npz, ReadsCsrStoredAndCompressedWith32And64BitIndices) {
  ScratchDir dir;
  for (bool compress : {false, true}) {
    const std::string path = dir.file("x.npz");
    write_bytes(path, csr_npz<double, std::int32_t>(3, 4, kPtr, kIdx, kData, compress));
    const MatrixFile f = read_npz(path);
    ASSERT_TRUE(f.sparse);
    EXPECT_EQ(f.sparse->rows, 3);
    EXPECT_EQ(f.sparse->cols, 4);
    EXPECT_EQ(dense(*f.sparse), kX);
    expect_canonical(*f.sparse);
    const std::vector<std::int64_t> p64(kPtr.begin(), kPtr.end()), i64(kIdx.begin(), kIdx.end());
    const std::vector<float> d32(kData.begin(), kData.end());
    write_bytes(path, csr_npz<float, std::int64_t>(3, 4, p64, i64, d32, compress));
    EXPECT_EQ(dense(*read_npz(path).sparse), kX);
  }
}

TEST(Npz, SortsRowsSumsDuplicatesAndDropsZeros) {
  ScratchDir dir;
  const std::string path = dir.file("x.npz");
  // Row 0 unsorted with a duplicate (2 + 0.5 in column 2) and an explicit zero.
  const std::vector<std::int32_t> ptr = {0, 4, 5}, idx = {2, 0, 2, 1, 1};
  write_bytes(path, csr_npz<double, std::int32_t>(2, 3, ptr, idx, {2, 1, 0.5, 0, 5}));
  const SparseMatrix m = *read_npz(path).sparse;
  expect_canonical(m);
  EXPECT_EQ(m.nnz(), 3);
  EXPECT_EQ(dense(m), (std::vector<double>{1, 0, 2.5, 0, 5, 0}));
}

TEST(Npz, ConvertsCscAndCooToCsr) {
  ScratchDir dir;
  const std::string path = dir.file("x.npz");
  // kX by columns: col 0: (0, 1); col 1: (2, 3); col 2: (0, 2); col 3: (2, 4.5).
  write_bytes(path, csr_npz<double, std::int32_t>(3, 4, {0, 1, 2, 3, 4}, {0, 2, 0, 2},
                                                  {1, 3, 2, 4.5}, true, "csc"));
  SparseMatrix m = *read_npz(path).sparse;
  expect_canonical(m);
  EXPECT_EQ(dense(m), kX);
  const std::vector<std::int64_t> shape = {3, 4};
  const std::vector<std::int32_t> row = {2, 0, 2, 0}, col = {3, 2, 1, 0};
  const std::vector<double> data = {4.5, 2, 3, 1};
  write_bytes(path, zip({{"row.npy", npy("<i4", {4}, row)},
                         {"col.npy", npy("<i4", {4}, col)},
                         {"format.npy", npy_text("coo")},
                         {"shape.npy", npy("<i8", {2}, shape)},
                         {"data.npy", npy("<f8", {4}, data)}},
                        false));
  m = *read_npz(path).sparse;
  expect_canonical(m);
  EXPECT_EQ(dense(m), kX);
}

TEST(Npz, ReadsOneDenseArrayOfSavez) {
  ScratchDir dir;
  const std::string path = dir.file("x.npz");
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  write_bytes(path, zip({{"arr_0.npy", npy("<f4", {2, 3}, x)}}, true));
  const MatrixFile f = read_npz(path);
  ASSERT_FALSE(f.sparse);
  EXPECT_EQ(f.dense.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(to_vector<float>(f.dense), x);
  write_bytes(path,
              zip({{"a.npy", npy("<f4", {2, 3}, x)}, {"b.npy", npy("<f4", {2, 3}, x)}}, true));
  expect_data_error([&] { read_npz(path); }, {path, "2 arrays", "a.npy, b.npy"});
}

TEST(Npz, RefusesMalformedSparseArchives) {
  ScratchDir dir;
  const std::string path = dir.file("x.npz");
  const auto refuse = [&](const Bytes& bytes, std::initializer_list<std::string_view> words) {
    write_bytes(path, bytes);
    expect_data_error([&] { read_npz(path); }, words);
  };
  using I = std::int32_t;
  refuse(csr_npz<double, I>(3, 4, {0, 2, 1, 4}, kIdx, kData), {path, "indptr decreases"});
  refuse(csr_npz<double, I>(3, 4, {0, 2, 2}, {0, 2}, {1, 2}), {path, "indptr has 3 entries"});
  refuse(csr_npz<double, I>(3, 4, {0, 2, 2, 5}, kIdx, kData), {path, "indptr ends at 5"});
  refuse(csr_npz<double, I>(3, 4, {1, 2, 2, 4}, kIdx, kData), {path, "indptr[0]"});
  refuse(csr_npz<double, I>(3, 4, kPtr, {0, 2, 1, 4}, kData), {path, "index 4", "out of range"});
  refuse(csr_npz<double, I>(3, 4, kPtr, {0, -1, 1, 3}, kData), {path, "index -1"});
  refuse(csr_npz<double, I>(3, 4, kPtr, kIdx, {1, std::nan(""), 3, 4}), {path, "(0, 2) is NaN"});
  refuse(csr_npz<double, I>(3, 4, kPtr, kIdx, {1, 2, -3, 4}), {path, "(2, 1) = -3", "negative"});
  refuse(csr_npz<double, I>(3, 4, kPtr, kIdx, {1, 2, 3, INFINITY}), {path, "infinite"});
  refuse(csr_npz<double, I>(3, 4, kPtr, kIdx, {1, 2, 3}), {path, "indices has 4 entries"});
  refuse(csr_npz<double, I>(3, 4, kPtr, kIdx, kData, true, "bsr"), {path, "'bsr'", "csr"});
  refuse(csr_npz<double, I>(std::int64_t{1} << 40, 4, kPtr, kIdx, kData), {path, "out of range"});
  refuse(csr_npz<double, I>(-3, 4, kPtr, kIdx, kData), {path, "out of range"});
  const std::vector<std::int64_t> shape = {3, 4};
  refuse(zip({{"format.npy", npy_text("csr")}, {"shape.npy", npy("<i8", {2}, shape)}}, false),
         {path, "data.npy", "missing"});
  const std::vector<double> float_idx = {0, 2, 1, 3};
  refuse(zip({{"indices.npy", npy("<f8", {4}, float_idx)},
              {"indptr.npy", npy("<i4", {4}, kPtr)},
              {"format.npy", npy_text("csr")},
              {"shape.npy", npy("<i8", {2}, shape)},
              {"data.npy", npy("<f8", {4}, kData)}},
             true),
         {path, "indices holds float64", "integers"});
  // A member cut short: its NPY header promises more data than the member holds.
  Bytes data = npy("<f8", {4}, kData);
  data.resize(data.size() - 8);
  refuse(zip({{"indices.npy", npy("<i4", {4}, kIdx)},
              {"indptr.npy", npy("<i4", {4}, kPtr)},
              {"format.npy", npy_text("csr")},
              {"shape.npy", npy("<i8", {2}, shape)},
              {"data.npy", data}},
             true),
         {path, "data.npy", "truncated"});
}

std::string write_text(const ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  write_bytes(path, Bytes(text.begin(), text.end()));
  return path;
}

TEST(Mtx, ReadsCoordinateRealIntegerPatternAndSymmetric) {
  ScratchDir dir;
  std::string path = write_text(dir, "a.mtx",
                                "%%MatrixMarket matrix coordinate real general\n% comment\n%\n"
                                "3 4 5\n3 4 4.5\n1 1 1\n3 2 3\n1 3 1.5\n1 3 0.5\n");
  ASSERT_TRUE(is_mtx(path));
  SparseMatrix m = *read_mtx(path).sparse;
  expect_canonical(m);
  EXPECT_EQ(dense(m), kX);
  path = write_text(dir, "b.txt",
                    "%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 2 7\n2 1 0\n");
  ASSERT_TRUE(is_mtx(path));  // by its banner
  EXPECT_EQ(dense(*read_mtx(path).sparse), (std::vector<double>{0, 7, 0, 0}));
  path = write_text(dir, "c.mtx",
                    "%%MatrixMarket matrix coordinate pattern general\r\n2 3 2\r\n1 3\r\n2 1\r\n");
  EXPECT_EQ(dense(*read_mtx(path).sparse), (std::vector<double>{0, 0, 1, 1, 0, 0}));
  path = write_text(dir, "d.mtx",
                    "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 1 1\n2 1 3\n");
  EXPECT_EQ(dense(*read_mtx(path).sparse), (std::vector<double>{1, 3, 3, 0}));
}

TEST(Mtx, ReadsArraysColumnByColumnAndGzip) {
  ScratchDir dir;
  const std::string text = "%%MatrixMarket matrix array real general\n2 3\n1\n4\n2\n5\n3\n6\n";
  std::string path = write_text(dir, "a.mtx", text);
  MatrixFile f = read_mtx(path);
  ASSERT_FALSE(f.sparse);
  EXPECT_EQ(f.dense.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(to_vector<double>(f.dense), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  path = dir.file("b.mtx.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
  EXPECT_EQ(to_vector<double>(read_mtx(path).dense), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(Mtx, RefusesMalformedFilesWithOneLine) {
  ScratchDir dir;
  const std::string coo = "%%MatrixMarket matrix coordinate real general\n";
  const auto refuse = [&](const std::string& text, std::initializer_list<std::string_view> words) {
    const std::string path = write_text(dir, "x.mtx", text);
    expect_data_error([&] { read_mtx(path); }, words);
  };
  refuse("", {"x.mtx", "empty"});
  refuse("hello\n1 1 1\n", {"x.mtx", "%%MatrixMarket"});
  refuse("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", {"complex"});
  refuse("%%MatrixMarket matrix coordinate real hermitian\n1 1 0\n", {"hermitian"});
  refuse("%%MatrixMarket matrix coordinate real skew-symmetric\n1 1 0\n", {"skew-symmetric"});
  refuse("%%MatrixMarket matrix array real symmetric\n1 1\n1\n", {"symmetry"});
  refuse("%%MatrixMarket matrix array pattern general\n1 1\n", {"field"});
  refuse(coo + "3 4\n", {"line 2", "size line"});
  refuse(coo + "99999999999999999999 4 1\n1 1 1\n", {"line 2", "not a whole number"});
  refuse(coo + "3000000000 4 1\n1 1 1\n", {"out of range"});
  refuse(coo + "3 4 13\n1 1 1\n", {"13 entries", "more than a 3 x 4"});
  refuse(coo + "3000 4000 1000000\n1 1 1\n", {"truncated", "1000000 entries"});
  refuse("%%MatrixMarket matrix array real general\n100000 100000\n1\n", {"truncated"});
  refuse("%%MatrixMarket matrix array real general\n4294967296 4294967296\n1\n", {"x.mtx"});
  refuse(coo + "3 4 2\n1 1 1\n", {"truncated", "1 of the 2 entries"});
  refuse(coo + "3 4 1\n1 1 1\n2 2 2\n", {"line 4", "more entries"});
  refuse(coo + "3 4 1\n0 1 1\n", {"line 3", "(0, 1)", "1-based"});
  refuse(coo + "3 4 1\n4 1 1\n", {"line 3", "outside"});
  refuse(coo + "3 4 1\n1 1 nan\n", {"line 3", "NaN"});
  refuse(coo + "3 4 1\n1 1 -2\n", {"line 3", "negative"});
  refuse(coo + "3 4 1\n1 1 1e999\n", {"line 3"});
  refuse(coo + "3 4 1\n1 1 x\n", {"line 3", "not a number"});
  refuse(coo + "3 4 1\n1 1\n", {"line 3", "row column value"});
  refuse("%%MatrixMarket matrix coordinate integer general\n3 4 1\n1 1 1.5\n", {"not an integer"});
  refuse("%%MatrixMarket matrix coordinate real symmetric\n3 4 1\n1 1 1\n", {"square"});
}

TEST(Sparse, KeepRowsCutsTheEntries) {
  ScratchDir dir;
  const std::string path = dir.file("x.npz");
  write_bytes(path, csr_npz<double, std::int32_t>(3, 4, kPtr, kIdx, kData));
  SparseMatrix m = *read_npz(path).sparse;
  keep_rows(m, 1);
  EXPECT_EQ(m.rows, 1);
  EXPECT_EQ(m.nnz(), 2);
  EXPECT_EQ(dense(m), (std::vector<double>{1, 0, 2, 0}));
}

}  // namespace
}  // namespace nmfkit::io::test
