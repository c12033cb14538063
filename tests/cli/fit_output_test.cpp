// `nmfkit fit` end to end: what a successful run writes and prints.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kK = 3;

// ‖X − W·H‖_F in double, X n×m, W n×k, H k×m, all row-major.
double reconstruction_error(const std::vector<float>& x, const std::vector<float>& w,
                            const std::vector<float>& h, int n, int m, int k) {
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      double wh = 0;
      for (int c = 0; c < k; ++c) wh += double(w[i * k + c]) * double(h[c * m + j]);
      const double d = double(x[i * m + j]) - wh;
      sum += d * d;
    }
  }
  return std::sqrt(sum);
}

double frobenius_norm(const std::vector<float>& x) {
  double sum = 0;
  for (float v : x) sum += double(v) * double(v);
  return std::sqrt(sum);
}

std::string fixed4(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

using FitOutputTest = CliTest;

TEST_F(FitOutputTest, TinyIdxWritesAllFourFilesConsistently) {
  const fs::path out = dir_ / "out";
  const RunResult r = fit(idx_, kK, out);
  ASSERT_EQ(r.code, 0) << r;

  for (const char* name : {"components.png", "W.npy", "H.npy", "summary.json"})
    EXPECT_TRUE(fs::is_regular_file(out / name)) << name << "\n" << r;
  EXPECT_FALSE(has_staging_folder(dir_.path(), "out"));

  // components.png: k = 3 tiles of 8×8 pixels, auto scale ceil(112 / 8) = 14, a 3×1 grid, gap 2.
  ASSERT_TRUE(has_png_signature(out / "components.png"));
  const PngImage png = read_png(out / "components.png");
  ASSERT_TRUE(png.error.empty()) << png.error;
  constexpr int kTile = TinyImages::kSide * 14;
  EXPECT_EQ(png.width, 3u * kTile + 4u * 2u);
  EXPECT_EQ(png.height, 1u * kTile + 2u * 2u);

  const NpyMatrix w = read_npy_f32(out / "W.npy");
  const NpyMatrix h = read_npy_f32(out / "H.npy");
  ASSERT_TRUE(w.is_float32);
  ASSERT_TRUE(h.is_float32);
  ASSERT_EQ(w.shape, (std::vector<std::int64_t>{TinyImages::kSamples, kK}));
  ASSERT_EQ(h.shape, (std::vector<std::int64_t>{kK, TinyImages::kFeatures}));
  for (float v : w.values) ASSERT_TRUE(v >= 0 && std::isfinite(v)) << "W holds " << v;
  for (float v : h.values) ASSERT_TRUE(v >= 0 && std::isfinite(v)) << "H holds " << v;

  const nlohmann::json s = read_summary(out);
  for (const char* key :
       {"input", "shape", "image_shape", "k", "solver", "init", "seed", "threads", "iterations",
        "converged", "seconds", "error", "relative_error", "loss_history"})
    EXPECT_TRUE(s.contains(key)) << "summary.json lacks " << key;
  EXPECT_EQ(s["input"], idx_.string());
  EXPECT_EQ(s["shape"], nlohmann::json::array({TinyImages::kSamples, TinyImages::kFeatures}));
  EXPECT_EQ(s["image_shape"], nlohmann::json::array({TinyImages::kSide, TinyImages::kSide}));
  EXPECT_EQ(s["k"], kK);
  EXPECT_EQ(s["solver"], "hals");
  EXPECT_EQ(s["init"], "nndsvda");
  EXPECT_EQ(s["seed"], 0);
  ASSERT_TRUE(s["threads"].is_number_integer());
  EXPECT_GE(s["threads"].get<int>(), 1);
  ASSERT_TRUE(s["converged"].is_boolean());
  ASSERT_TRUE(s["iterations"].is_number_integer());
  ASSERT_TRUE(s["loss_history"].is_array());
  const int iterations = s["iterations"].get<int>();
  EXPECT_GE(iterations, 1);
  EXPECT_LE(iterations, 200);
  EXPECT_EQ(static_cast<std::size_t>(iterations), s["loss_history"].size() - 1);
  EXPECT_GE(s["seconds"].get<double>(), 0.0);

  // The reported errors agree with each other, with the data and with the W and H written.
  const std::vector<float> x = images_.scaled();
  const double x_norm = frobenius_norm(x);
  const double error = s["error"].get<double>();
  const double relative_error = s["relative_error"].get<double>();
  EXPECT_GE(relative_error, 0.0);
  EXPECT_LT(relative_error, 1.0);
  EXPECT_NEAR(relative_error, error / x_norm, 1e-6);
  // The final error is computed directly, so it equals ‖X − W·H‖ recomputed from the files (up to
  // W and H being stored as float32).
  const double recomputed =
      reconstruction_error(x, w.values, h.values, TinyImages::kSamples, TinyImages::kFeatures, kK);
  EXPECT_NEAR(error, recomputed, 1e-6 * x_norm)
      << "reported error " << error << ", recomputed from W.npy and H.npy " << recomputed;
  // The loss history uses the Gram identity ‖X‖² − 2·tr(Wᵀ(X·Hᵀ)) + tr((WᵀW)(H·Hᵀ)) in float,
  // which cancels to within a few float epsilons of ‖X‖²: compare squares with that slack.
  const double last_loss = s["loss_history"].back().get<double>();
  EXPECT_NEAR(2 * last_loss, error * error, 1e-5 * x_norm * x_norm);
  // The data is an exact non-negative rank-3 combination, so k = 3 fits it closely.
  EXPECT_LT(relative_error, 0.1);

  // stdout names the picture and the relative error.
  EXPECT_NE(r.out.find((out / "components.png").string()), std::string::npos) << r;
  EXPECT_NE(r.out.find("relative error"), std::string::npos) << r;
  EXPECT_NE(r.out.find(fixed4(relative_error)), std::string::npos) << r;
  // Progress goes to stderr, never an error line.
  EXPECT_FALSE(r.err.empty()) << r;
  EXPECT_EQ(r.err.find("error:"), std::string::npos) << r;
}

TEST_F(FitOutputTest, TheClosingLineNamesOnlyTheFilesWritten) {
  // 6 samples of 6000 features: their rows, drawn as pictures, would be wider than a picture may
  // be, so reconstructions.png and top-examples.png are left out (with a note), and the closing
  // line must not name them.
  constexpr int kRows = 6, kCols = 6000;
  std::vector<float> x(std::size_t{kRows} * kCols);
  for (std::size_t e = 0; e < x.size(); ++e) x[e] = float((e * 7919) % 13) / 13.0f;
  write_npy_f32(dir_ / "wide.npy", x, {kRows, kCols});
  const fs::path out = dir_ / "wide";
  const RunResult r = run_cli(
      {"fit", (dir_ / "wide.npy").string(), "-k", "2", "-o", out.string(), "--max-iter", "5"});
  ASSERT_EQ(r.code, 0) << r;
  const std::size_t at = r.out.find("also wrote ");
  ASSERT_NE(at, std::string::npos) << r;
  const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
  for (const char* f : {"reconstructions.png", "top-examples.png", "loss.svg", "summary.json"})
    EXPECT_EQ(line.find(f) != std::string::npos, fs::exists(out / f)) << f << ": " << line;
  EXPECT_FALSE(fs::exists(out / "reconstructions.png"));
  EXPECT_NE(r.err.find("no reconstructions.png"), std::string::npos) << r;
}

TEST_F(FitOutputTest, OutdirWithTrailingSlashIsCreated) {
  const RunResult r = run_cli(
      {"fit", idx_.string(), "-k", "2", "-o", (dir_ / "rel/").string(), "--max-iter", "5", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::is_regular_file(dir_ / "rel" / "summary.json"));
  EXPECT_FALSE(has_staging_folder(dir_.path(), "rel"));
}

TEST_F(FitOutputTest, MissingParentFoldersAreCreated) {
  const fs::path out = dir_ / "a" / "b" / "out";
  const RunResult r = fit(idx_, 2, out, {"--max-iter", "5", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::is_regular_file(out / "W.npy"));
  EXPECT_FALSE(has_staging_folder(dir_ / "a" / "b", "out"));
}

// Any name a folder can have works, even one so long that a staging name derived from it by
// adding characters would exceed the file system's limit (NAME_MAX, 255 bytes on Linux).
TEST_F(FitOutputTest, LongOutdirNameWorks) {
  const fs::path out = dir_ / std::string(250, 'o');
  const RunResult r = fit(idx_, 2, out, {"--max-iter", "3", "-q"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::is_regular_file(out / "summary.json"));
  EXPECT_FALSE(has_staging_folder(dir_.path(), out.filename().string()));
}

TEST_F(FitOutputTest, GzipIdxGivesTheSameResultAsPlainIdx) {
  const fs::path gz = dir_ / "tiny.idx.gz";
  const std::string command = "gzip -c -n " + shell_quote(idx_.string()) + " > " +
                              shell_quote(gz.string()) + " 2>/dev/null";
  if (exit_code(std::system(command.c_str())) != 0) GTEST_SKIP() << "no gzip command";

  const std::vector<std::string> opts = {"--max-iter", "10", "--threads", "1", "-q"};
  const RunResult plain = fit(idx_, kK, dir_ / "plain", opts);
  const RunResult zipped = fit(gz, kK, dir_ / "zipped", opts);
  ASSERT_EQ(plain.code, 0) << plain;
  ASSERT_EQ(zipped.code, 0) << zipped;
  EXPECT_EQ(read_file(dir_ / "plain" / "W.npy"), read_file(dir_ / "zipped" / "W.npy"));
  EXPECT_EQ(read_file(dir_ / "plain" / "H.npy"), read_file(dir_ / "zipped" / "H.npy"));
  const nlohmann::json s = read_summary(dir_ / "zipped");
  EXPECT_EQ(s["shape"], nlohmann::json::array({TinyImages::kSamples, TinyImages::kFeatures}));
  EXPECT_EQ(s["image_shape"], nlohmann::json::array({TinyImages::kSide, TinyImages::kSide}));
}

TEST_F(FitOutputTest, EightBitInputIsScaledToUnitRange) {
  const RunResult r = fit(idx_, kK, dir_ / "out", {"--max-iter", "2", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "out");
  ASSERT_TRUE(s.contains("x_norm"));
  const double expected = frobenius_norm(images_.scaled());
  EXPECT_NEAR(s["x_norm"].get<double>(), expected, 1e-5 * expected);
  EXPECT_EQ(s["scaled_from_uint8"], true);
}

TEST_F(FitOutputTest, FloatNpyIsNotScaled) {
  const fs::path npy = dir_ / "x.npy";
  const std::vector<float> x = images_.scaled();
  write_npy_f32(npy, x, {TinyImages::kSamples, TinyImages::kFeatures});
  const RunResult r = fit(npy, kK, dir_ / "out", {"--max-iter", "2", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "out");
  const double expected = frobenius_norm(x);
  EXPECT_NEAR(s["x_norm"].get<double>(), expected, 1e-5 * expected);
  EXPECT_EQ(s["scaled_from_uint8"], false);
}

TEST_F(FitOutputTest, ThreeDimensionalNpyGivesItsImageShape) {
  const fs::path npy = dir_ / "x3.npy";
  // 60 images of 4 × 16 pixels: the same values, another shape.
  write_npy_f32(npy, images_.scaled(), {TinyImages::kSamples, 4, 16});
  const RunResult r = fit(npy, 2, dir_ / "out", {"--max-iter", "2", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "out");
  EXPECT_EQ(s["shape"], nlohmann::json::array({TinyImages::kSamples, 64}));
  EXPECT_EQ(s["image_shape"], nlohmann::json::array({4, 16}));
  const PngImage png = read_png(dir_ / "out" / "components.png");
  ASSERT_TRUE(png.error.empty()) << png.error;
  // Auto scale 7 (7·16 = 112), two tiles side by side.
  EXPECT_EQ(png.width, 2u * 16u * 7u + 3u * 2u);
  EXPECT_EQ(png.height, 4u * 7u + 2u * 2u);
}

TEST_F(FitOutputTest, NonSquareNpyRowsAreDrawnAsOneRowImages) {
  const fs::path npy = dir_ / "wide.npy";
  std::vector<float> x(static_cast<std::size_t>(TinyImages::kSamples) * 50);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = static_cast<float>((j * 37) % 101) / 100.0f;
  write_npy_f32(npy, x, {TinyImages::kSamples, 50});
  const RunResult r = fit(npy, 2, dir_ / "out", {"--max-iter", "2", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "out");
  EXPECT_EQ(s["image_shape"], nlohmann::json::array({1, 50}));
}

}  // namespace
}  // namespace nmfkit::cli_test
