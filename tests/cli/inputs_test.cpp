// `nmfkit fit` on image folders, NPY images and CSV files, with --color, --size, --skip-bad and
// --shape; every bad input gives one error line, a non-zero exit and no output.
#include <zlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "cli/image_files.hpp"

namespace nmfkit::cli_test {
namespace {

class InputsTest : public CliTest {
 protected:
  fs::path out_ = dir_ / "out";
  fs::path images_dir_ = dir_ / "images";

  // The tiny images as 8 × 8 gray PNGs in images/, in sample order.
  void write_tiny_pngs() {
    fs::create_directories(images_dir_);
    for (int i = 0; i < TinyImages::kSamples; ++i) {
      const auto* p = images_.pixels.data() + i * TinyImages::kFeatures;
      char name[32];
      std::snprintf(name, sizeof name, "img%03d.png", i);
      write_png_file(images_dir_ / name, TinyImages::kSide, TinyImages::kSide, 1,
                     std::vector<std::uint8_t>(p, p + TinyImages::kFeatures));
    }
  }

  void expect_input_error(const fs::path& input, const std::vector<std::string>& options, int code,
                          const std::vector<std::string>& words) {
    std::vector<std::string> args = {"fit", input.string(), "-k", "3", "-o", out_.string()};
    args.insert(args.end(), options.begin(), options.end());
    expect_error(run_cli(args), code, words);
    expect_no_output(out_);
  }
};

TEST_F(InputsTest, FolderOfPngsGivesTheSameFactorsAsTheIdxFile) {
  write_tiny_pngs();
  const RunResult a = fit(images_dir_, 3, out_, {"--max-iter", "20"});
  ASSERT_EQ(a.code, 0) << a;
  const RunResult b = fit(idx_, 3, dir_ / "idx", {"--max-iter", "20"});
  ASSERT_EQ(b.code, 0) << b;
  EXPECT_EQ(read_file(out_ / "H.npy"), read_file(dir_ / "idx" / "H.npy"));
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["input_kind"], "images");
  EXPECT_EQ(s["image_shape"], nlohmann::json({8, 8}));
  EXPECT_EQ(s["scaled_from_uint8"], true);
}

// A folder (and a skipped file) named in another encoding than UTF-8: the run is not lost when
// summary.json is written; the bad bytes become U+FFFD there.
TEST_F(InputsTest, NamesThatAreNotUtf8AreWrittenWithReplacementCharacters) {
  write_tiny_pngs();
  const fs::path latin1 = dir_ / "caf\xe9";  // "café" in Latin-1
  fs::rename(images_dir_, latin1);
  std::ofstream(latin1 / "bad\xff.png") << "not a png";
  const RunResult r = run_cli({"fit", latin1.string(), "-k", "3", "-o", out_.string(), "-q",
                               "--skip-bad", "--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  const std::string text = read_file(out_ / "summary.json");
  const nlohmann::json s = nlohmann::json::parse(text);  // valid UTF-8 JSON
  EXPECT_NE(s["input"].get<std::string>().find("caf\xef\xbf\xbd"), std::string::npos);
  ASSERT_EQ(s["skipped_files"].size(), 1u);
  EXPECT_NE(s["skipped_files"][0].get<std::string>().find("bad\xef\xbf\xbd.png"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(out_ / "report.html"));
}

TEST_F(InputsTest, CsvValuesBeyondFloat32NeedFloat64) {
  const fs::path csv = dir_ / "big.csv";
  std::ofstream(csv) << "1,2,3\n4,5e39,6\n7,8,9\n";
  expect_input_error(csv, {}, kData, {"X(1, 1) = 5e+39", "--dtype float64"});
  const RunResult r = run_cli({"fit", csv.string(), "-k", "1", "-o", out_.string(), "-q", "--dtype",
                               "float64", "--max-iter", "5"});
  EXPECT_EQ(r.code, 0) << r;
}

TEST_F(InputsTest, SizeResizesAndColorRgbKeepsChannels) {
  write_tiny_pngs();
  write_png_file(images_dir_ / "zz-big.png", 16, 12, 1, std::vector<std::uint8_t>(16 * 12, 50));
  expect_input_error(
      images_dir_, {}, kData,
      {"images differ in size", "img000.png", "8x8", "zz-big.png", "16x12", "--size"});
  const RunResult r =
      fit(images_dir_, 3, out_, {"--size", "6x4", "--color", "rgb", "--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["shape"], nlohmann::json({61, 4 * 6 * 3}));
  EXPECT_EQ(s["image_shape"], nlohmann::json({4, 6, 3}));
}

TEST_F(InputsTest, SkipBadSkipsAndReports) {
  write_tiny_pngs();
  write_file(images_dir_ / "broken.png", "this is text, not a PNG\n");
  expect_input_error(images_dir_, {}, kData, {"broken.png", "not a PNG, JPEG, BMP"});
  const RunResult r = fit(images_dir_, 3, out_, {"--skip-bad", "--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.err.find("skipped 1 unreadable image file"), std::string::npos) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["shape"][0], TinyImages::kSamples);
  ASSERT_EQ(s["skipped_files"].size(), 1u);
}

TEST_F(InputsTest, TruncatedPng) {
  write_tiny_pngs();
  const std::string full = read_file(images_dir_ / "img007.png");
  write_file(images_dir_ / "img007.png", full.substr(0, full.size() / 2));
  expect_input_error(images_dir_, {}, kData,
                     {(images_dir_ / "img007.png").string(), "truncated or corrupt"});
}

TEST_F(InputsTest, TextFileNamedPng) {
  fs::create_directories(images_dir_);
  write_file(images_dir_ / "a.png", "hello\n");
  expect_input_error(images_dir_, {}, kData, {(images_dir_ / "a.png").string(), "not a PNG"});
}

TEST_F(InputsTest, EmptyFolder) {
  fs::create_directories(images_dir_);
  expect_input_error(images_dir_, {}, kData, {images_dir_.string(), "holds no images"});
}

TEST_F(InputsTest, CsvWithHeader) {
  std::string csv = "";
  for (int p = 0; p < TinyImages::kFeatures; ++p) csv += (p ? ",px" : "px") + std::to_string(p);
  csv += "\n";
  const std::vector<float> x = images_.scaled();
  for (int i = 0; i < TinyImages::kSamples; ++i) {
    for (int p = 0; p < TinyImages::kFeatures; ++p)
      csv += (p ? "," : "") +
             std::to_string(x[static_cast<std::size_t>(i * TinyImages::kFeatures + p)]);
    csv += "\n";
  }
  write_file(dir_ / "x.csv", csv);
  const RunResult r = fit(dir_ / "x.csv", 3, out_, {"--shape", "4x16", "--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["input_kind"], "csv");
  EXPECT_EQ(s["shape"], nlohmann::json({TinyImages::kSamples, TinyImages::kFeatures}));
  EXPECT_EQ(s["image_shape"], nlohmann::json({4, 16}));
}

TEST_F(InputsTest, CsvWithANonNumericCell) {
  write_file(dir_ / "bad.csv", "a,b,c\n1,2,3\n4,oops,6\n7,8,9\n");
  expect_input_error(dir_ / "bad.csv", {}, kData,
                     {"bad.csv", "line 3 (sample 2), column 2", "oops"});
}

TEST_F(InputsTest, NpyWhoseHeaderLiesAboutItsSize) {
  const fs::path npy = dir_ / "x.npy";
  write_npy_f32(npy, images_.scaled(), {TinyImages::kSamples, TinyImages::kFeatures});
  std::string bytes = read_file(npy);
  const std::string from = "(60, 64)", to = "(90, 64)";
  bytes.replace(bytes.find(from), from.size(), to);
  write_file(npy, bytes);
  expect_input_error(npy, {}, kData, {npy.string(), "truncated", "(90, 64)"});
}

TEST_F(InputsTest, NpyImagesUint8AndShape) {
  // 3-D uint8 n × h × w: 8-bit pixels divided by 255, image shape from the file.
  io::Array a;
  a.dtype = io::DType::kUint8;
  a.shape = {TinyImages::kSamples, 4, 16};
  a.bytes = images_.pixels;
  io::write_npy((dir_ / "u8.npy").string(), a);
  const RunResult r = fit(dir_ / "u8.npy", 3, out_, {"--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_summary(out_)["image_shape"], nlohmann::json({4, 16}));
  EXPECT_EQ(read_summary(out_)["scaled_from_uint8"], true);
  // 4-D n × h × w × 3.
  a.shape = {20, 4, 4, 3};
  a.bytes.resize(20 * 48);
  io::write_npy((dir_ / "rgb.npy").string(), a);
  const RunResult c = fit(dir_ / "rgb.npy", 2, dir_ / "rgb", {"--max-iter", "5"});
  ASSERT_EQ(c.code, 0) << c;
  EXPECT_EQ(read_summary(dir_ / "rgb")["image_shape"], nlohmann::json({4, 4, 3}));
}

TEST_F(InputsTest, TransformReadsAFolderInTheModelsSizeAndColour) {
  write_tiny_pngs();
  ASSERT_EQ(fit(images_dir_, 3, out_, {"--max-iter", "10", "--color", "rgb"}).code, 0);
  // New images of another size are resized to the model's 8 x 8 and kept in colour.
  const fs::path more = dir_ / "more";
  fs::create_directories(more);
  for (int i = 0; i < 4; ++i)
    write_png_file(more / ("m" + std::to_string(i) + ".png"), 16, 16, 3,
                   std::vector<std::uint8_t>(16 * 16 * 3, static_cast<std::uint8_t>(40 * i + 20)));
  const RunResult r = run_cli(
      {"transform", "--model", out_.string(), more.string(), "-o", (dir_ / "w").string(), "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const NpyMatrix w = read_npy_f32(dir_ / "w" / "W.npy");
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{4, 3}));
}

TEST_F(InputsTest, BadOptionValues) {
  write_tiny_pngs();
  expect_input_error(images_dir_, {"--color", "cmyk"}, kUsage, {"color", "cmyk"});
  expect_input_error(images_dir_, {"--size", "12"}, kUsage, {"--size", "WIDTHxHEIGHT", "12"});
  expect_input_error(images_dir_, {"--size", "0x5"}, kUsage, {"--size", "0x5"});
  expect_input_error(images_dir_, {"--shape", "8x8"}, kUsage, {"--shape", "image"});
  expect_input_error(idx_, {"--size", "8x8"}, kUsage, {"--size", "folders"});
  expect_input_error(idx_, {"--shape", "5x5"}, kUsage, {"--shape 5x5", "25", "64"});
  expect_input_error(idx_, {"--shape", "4x16"}, kUsage, {"--shape 4x16", "disagrees", "8x8"});
  expect_input_error(idx_, {"--shape", "4x4x4"}, kUsage, {"--shape", "C 1 or 3"});
}

}  // namespace
}  // namespace nmfkit::cli_test

namespace nmfkit::cli_test {
namespace {

// An uncompressed 8-bit NPY or IDX file is read a block of rows at a time from the file (the fit's
// sparse form built in two passes, the pictures' rows read on request), a gzip one whole: the
// same factors and pictures, byte for byte, stored sparse or dense, whole or cut by --limit.
TEST_F(InputsTest, PlainEightBitFilesAreReadByRowsWithTheSameResults) {
  io::Array a;
  a.dtype = io::DType::kUint8;
  a.shape = {TinyImages::kSamples, TinyImages::kSide, TinyImages::kSide};
  a.bytes = images_.pixels;
  io::write_npy((dir_ / "u8.npy").string(), a);
  std::string idx = read_file(idx_);
  gzFile gz = gzopen((dir_ / "tiny.idx.gz").c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, idx.data(), static_cast<unsigned>(idx.size())),
            static_cast<int>(idx.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
  const fs::path labels = dir_ / "labels.csv";
  std::string text;
  for (int i = 0; i < TinyImages::kSamples; ++i) text += std::to_string(i % 3) + "\n";
  write_file(labels, text);
  const std::vector<std::vector<std::string>> variants = {
      {}, {"--format", "sparse"}, {"--limit", "25"}, {"--solver", "cd", "--restarts", "2"}};
  for (const auto& extra : variants) {
    std::vector<std::string> options = {"--max-iter", "15", "--classes", labels.string()};
    options.insert(options.end(), extra.begin(), extra.end());
    SCOPED_TRACE(command_text(options));
    const fs::path whole = dir_ / "whole", npy = dir_ / "npy", plain = dir_ / "plain";
    for (const fs::path& p : {whole, npy, plain}) fs::remove_all(p);
    const RunResult w = fit(dir_ / "tiny.idx.gz", 3, whole, options);
    ASSERT_EQ(w.code, 0) << w;
    const RunResult n = fit(dir_ / "u8.npy", 3, npy, options);
    ASSERT_EQ(n.code, 0) << n;
    const RunResult p = fit(idx_, 3, plain, options);
    ASSERT_EQ(p.code, 0) << p;
    for (const char* file : {"W.npy", "H.npy", "components.png", "reconstructions.png",
                             "top-examples.png", "classes.png"}) {
      ASSERT_TRUE(fs::exists(whole / file)) << file;
      EXPECT_EQ(read_file(npy / file), read_file(whole / file)) << file;
      EXPECT_EQ(read_file(plain / file), read_file(whole / file)) << file;
    }
    EXPECT_EQ(read_summary(npy)["format"], read_summary(whole)["format"]);
  }
}

}  // namespace
}  // namespace nmfkit::cli_test
