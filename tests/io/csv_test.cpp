// Reading numeric CSV files.
#include "io/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io_test_util.hpp"

namespace nmfkit::io::test {
namespace {

std::string write_text(const ScratchDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  write_bytes(path, Bytes(text.begin(), text.end()));
  return path;
}

TEST(ReadCsv, NumbersWithoutHeader) {
  ScratchDir dir;
  const Csv c = read_csv(write_text(dir, "a.csv", "1,2,3\n4.5, -0 ,6e-1\n\n"));
  EXPECT_TRUE(c.header.empty());
  EXPECT_EQ(c.values.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(to_vector<double>(c.values), (std::vector<double>{1, 2, 3, 4.5, 0, 0.6}));
}

TEST(ReadCsv, HeaderQuotesCrlfAndOtherSeparators) {
  ScratchDir dir;
  const Csv c = read_csv(write_text(dir, "h.csv", "\"px 1\",px2\r\n\"7\",+8\r\n"));
  EXPECT_EQ(c.header, (std::vector<std::string>{"px 1", "px2"}));
  EXPECT_EQ(to_vector<double>(c.values), (std::vector<double>{7, 8}));
  EXPECT_EQ(to_vector<double>(read_csv(write_text(dir, "t.tsv", "1\t2\n3\t4\n")).values),
            (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(to_vector<double>(read_csv(write_text(dir, "s.csv", "1;2\n")).values),
            (std::vector<double>{1, 2}));
}

TEST(ReadCsv, NonNumericCellNamesLineAndColumn) {
  ScratchDir dir;
  const std::string p = write_text(dir, "bad.csv", "1,2,3\n4,five,6\n");
  expect_data_error([&] { read_csv(p); },
                    {p, "line 2 (sample 2), column 2", "'five' is not a number"});
  const std::string h = write_text(dir, "badh.csv", "a,b\n1,2\n3,x\n");
  expect_data_error([&] { read_csv(h); }, {"line 3 (sample 2), column 2 ('b')", "'x'"});
  const std::string e = write_text(dir, "empty_cell.csv", "1,,3\n");
  expect_data_error([&] { read_csv(e); }, {"line 1 (sample 1), column 2", "''"});
}

TEST(ReadCsv, ByteOrderMarkOutOfRangeAndControlCharacters) {
  ScratchDir dir;
  // A UTF-8 byte-order mark (as spreadsheet programs write) is not part of the first cell.
  const Csv bom = read_csv(write_text(dir, "bom.csv",
                                      "\xEF\xBB\xBF"
                                      "a,b\n1,2\n"));
  EXPECT_EQ(bom.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(to_vector<double>(read_csv(write_text(dir, "bom2.csv",
                                                  "\xEF\xBB\xBF"
                                                  "3,4\n"))
                                  .values),
            (std::vector<double>{3, 4}));
  // Beyond double's range: out of range, not "not a number"; below it: zero, as numpy reads it.
  const std::string big = write_text(dir, "big.csv", "1,1e400\n");
  expect_data_error([&] { read_csv(big); }, {"column 2", "'1e400' is out of range"});
  EXPECT_EQ(to_vector<double>(read_csv(write_text(dir, "tiny.csv", "1e-400,2\n")).values),
            (std::vector<double>{0, 2}));
  // Control characters are written as \xNN, never sent to the terminal.
  const std::string esc = write_text(dir, "esc.csv", "1,\x1b[2Jx\n");
  try {
    read_csv(esc);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'\\x1b[2Jx' is not a number"), std::string::npos) << m;
    EXPECT_EQ(m.find('\x1b'), std::string::npos) << m;
  }
}

TEST(ToVector, ValuesBeyondFloatRangeAreRefusedForFloat32) {
  ScratchDir dir;
  const Csv c = read_csv(write_text(dir, "f.csv", "1,2\n3,1e39\n"));
  EXPECT_EQ(to_vector<double>(c.values)[3], 1e39);
  expect_data_error([&] { to_vector<float>(c.values); },
                    {"X(1, 1) = 1e+39", "float32", "--dtype float64"});
}

TEST(ReadCsv, RaggedEmptyAndBinaryFilesFail) {
  ScratchDir dir;
  const std::string r = write_text(dir, "r.csv", "1,2\n3\n");
  expect_data_error([&] { read_csv(r); }, {"line 2 has 1 cells, expected 2"});
  expect_data_error([&] { read_csv(write_text(dir, "e.csv", "")); }, {"empty"});
  expect_data_error([&] { read_csv(write_text(dir, "h.csv", "a,b\n")); }, {"header but no rows"});
  expect_data_error([&] { read_csv(write_text(dir, "z.csv", std::string("1,\0", 3))); }, {"NUL"});
}

}  // namespace
}  // namespace nmfkit::io::test
