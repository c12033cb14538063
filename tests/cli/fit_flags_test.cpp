// Every option of `nmfkit fit` changes something, and the thread count changes nothing.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kK = 3;

class FitFlagsTest : public CliTest {
 protected:
  // Fits the tiny images into dir_/name with a few iterations plus `extra`; returns the summary.
  nlohmann::json fit_ok(const std::string& name, std::vector<std::string> extra) {
    if (std::find(extra.begin(), extra.end(), "--max-iter") == extra.end())
      extra.insert(extra.end(), {"--max-iter", "5"});
    extra.push_back("-q");
    const RunResult r = fit(idx_, kK, dir_ / name, extra);
    EXPECT_EQ(r.code, 0) << r;
    if (r.code != 0) return nlohmann::json::object();
    return read_summary(dir_ / name);
  }
};

TEST_F(FitFlagsTest, SolverIsRecorded) {
  EXPECT_EQ(fit_ok("default", {})["solver"], "hals");
  EXPECT_EQ(fit_ok("mu", {"--solver", "mu"})["solver"], "mu");
  EXPECT_NE(read_file(dir_ / "default" / "W.npy"), read_file(dir_ / "mu" / "W.npy"));
}

// With no rule given, data with few zeros is fitted by exact solves, extrapolated (the library's
// FitOptions::exact_when_few_zeros), and the summary's command line says so.
TEST_F(FitFlagsTest, FewZerosGetExactSolvesUnlessARuleIsGiven) {
  std::vector<float> values(60 * 16);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = 0.1f + static_cast<float>((i * 7919) % 101) / 101.0f;
  const fs::path dense = dir_ / "dense.npy";
  write_npy_f32(dense, values, {60, 16});
  const auto run = [&](const std::string& name, std::vector<std::string> extra) {
    extra.insert(extra.end(), {"--max-iter", "5", "-q"});
    const RunResult r = fit(dense, kK, dir_ / name, extra);
    EXPECT_EQ(r.code, 0) << r;
    return r.code == 0 ? read_summary(dir_ / name) : nlohmann::json::object();
  };
  const nlohmann::json chosen = run("chosen", {});
  EXPECT_EQ(chosen["solver"], "anls-bpp");
  EXPECT_EQ(chosen["extrapolate"], true);
  const std::string line = chosen["command_line"];
  EXPECT_NE(line.find("--solver anls-bpp"), std::string::npos) << line;
  EXPECT_NE(line.find("--extrapolate"), std::string::npos) << line;
  const nlohmann::json named = run("named", {"--solver", "anls-bpp", "--extrapolate"});
  EXPECT_EQ(read_file(dir_ / "chosen" / "W.npy"), read_file(dir_ / "named" / "W.npy"));
  EXPECT_EQ(run("hals", {"--solver", "hals"})["solver"], "hals");
  EXPECT_EQ(run("plain", {"--no-extrapolate"})["solver"], "hals");
  EXPECT_EQ(run("batches", {"--batch-size", "20"})["solver"], "mu");
}

TEST_F(FitFlagsTest, EveryInitIsRecorded) {
  for (const char* init : {"random", "nndsvd", "nndsvda", "nndsvdar"})
    EXPECT_EQ(fit_ok(init, {"--init", init})["init"], init);
  EXPECT_NE(read_file(dir_ / "random" / "H.npy"), read_file(dir_ / "nndsvda" / "H.npy"));
}

TEST_F(FitFlagsTest, MaxIterWithZeroTolRunsExactlyThatMany) {
  const nlohmann::json s = fit_ok("out", {"--max-iter", "3", "--tol", "0"});
  EXPECT_EQ(s["iterations"], 3);
  EXPECT_EQ(s["converged"], false);
  EXPECT_EQ(s["loss_history"].size(), 4u);
  EXPECT_EQ(s["max_iter"], 3);
}

TEST_F(FitFlagsTest, LooseTolStopsEarlyAndConverges) {
  const nlohmann::json s = fit_ok("out", {"--max-iter", "500", "--tol", "0.5"});
  EXPECT_EQ(s["converged"], true);
  EXPECT_LT(s["iterations"].get<int>(), 500);
}

TEST_F(FitFlagsTest, SeedIsRecordedAndChangesRandomInit) {
  const nlohmann::json s0 = fit_ok("seed0", {"--init", "random"});
  const nlohmann::json s5 = fit_ok("seed5", {"--init", "random", "--seed", "5"});
  EXPECT_EQ(s0["seed"], 0);
  EXPECT_EQ(s5["seed"], 5);
  EXPECT_NE(read_file(dir_ / "seed0" / "W.npy"), read_file(dir_ / "seed5" / "W.npy"));
  // The same seed again gives the same bytes.
  fit_ok("seed5again", {"--init", "random", "--seed", "5"});
  EXPECT_EQ(read_file(dir_ / "seed5" / "W.npy"), read_file(dir_ / "seed5again" / "W.npy"));
}

TEST_F(FitFlagsTest, ThreadsIsRecorded) {
  EXPECT_EQ(fit_ok("t1", {"--threads", "1"})["threads"], 1);
  EXPECT_EQ(fit_ok("t2", {"--threads", "2"})["threads"], 2);
}

TEST_F(FitFlagsTest, LimitKeepsTheFirstSamples) {
  const nlohmann::json s = fit_ok("out", {"--limit", "20"});
  EXPECT_EQ(s["shape"], nlohmann::json::array({20, TinyImages::kFeatures}));
  const NpyMatrix w = read_npy_f32(dir_ / "out" / "W.npy");
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{20, kK}));
  // A limit above the number of samples keeps them all.
  const nlohmann::json all = fit_ok("all", {"--limit", "1000"});
  EXPECT_EQ(all["shape"], nlohmann::json::array({TinyImages::kSamples, TinyImages::kFeatures}));
}

TEST_F(FitFlagsTest, GrayColormapDrawsGrayPixelsAndViridisDoesNot) {
  fit_ok("gray", {"--cmap", "gray"});
  fit_ok("viridis", {"--cmap", "viridis"});
  const PngImage gray = read_png(dir_ / "gray" / "components.png");
  const PngImage viridis = read_png(dir_ / "viridis" / "components.png");
  ASSERT_TRUE(gray.error.empty()) << gray.error;
  ASSERT_TRUE(viridis.error.empty()) << viridis.error;
  EXPECT_EQ(gray.width, viridis.width);
  EXPECT_EQ(gray.height, viridis.height);

  std::size_t gray_colored = 0;
  std::size_t gray_dark = 0;
  for (std::uint32_t y = 0; y < gray.height; ++y) {
    for (std::uint32_t x = 0; x < gray.width; ++x) {
      const std::uint8_t* p = gray.pixel(x, y);
      if (p[0] != p[1] || p[1] != p[2]) ++gray_colored;
      if (p[0] < 128) ++gray_dark;
    }
  }
  EXPECT_EQ(gray_colored, 0u);
  EXPECT_GT(gray_dark, 0u);  // not just the white background

  std::size_t viridis_colored = 0;
  for (std::uint32_t y = 0; y < viridis.height; ++y) {
    for (std::uint32_t x = 0; x < viridis.width; ++x) {
      const std::uint8_t* p = viridis.pixel(x, y);
      if (p[0] != p[1] || p[1] != p[2]) ++viridis_colored;
    }
  }
  EXPECT_GT(viridis_colored, 0u);
}

TEST_F(FitFlagsTest, QuietPrintsNothingOnStderr) {
  const RunResult loud = fit(idx_, kK, dir_ / "loud", {"--max-iter", "5"});
  const RunResult quiet = fit(idx_, kK, dir_ / "quiet", {"--max-iter", "5", "-q"});
  const RunResult quiet_long = fit(idx_, kK, dir_ / "quiet2", {"--max-iter", "5", "--quiet"});
  ASSERT_EQ(loud.code, 0) << loud;
  ASSERT_EQ(quiet.code, 0) << quiet;
  ASSERT_EQ(quiet_long.code, 0) << quiet_long;
  EXPECT_FALSE(loud.err.empty());
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet_long.err, "");
  // The summary still goes to stdout.
  EXPECT_NE(quiet.out.find("components.png"), std::string::npos) << quiet;
}

TEST_F(FitFlagsTest, SquareNpyRowsGiveASquareImageShape) {
  const fs::path npy = dir_ / "x.npy";
  write_npy_f32(npy, images_.scaled(), {TinyImages::kSamples, TinyImages::kFeatures});
  const RunResult r = fit(npy, kK, dir_ / "out", {"--max-iter", "5", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "out");
  EXPECT_EQ(s["input"], npy.string());
  EXPECT_EQ(s["shape"], nlohmann::json::array({TinyImages::kSamples, TinyImages::kFeatures}));
  EXPECT_EQ(s["image_shape"], nlohmann::json::array({TinyImages::kSide, TinyImages::kSide}));
}

TEST_F(FitFlagsTest, SecondRunIntoTheSameFolderReplacesTheFiles) {
  const fs::path out = dir_ / "out";
  write_file(dir_ / "keep.txt", "unrelated");
  fit_ok("out", {"--init", "random", "--seed", "1", "--cmap", "gray"});
  const std::string first_w = read_file(out / "W.npy");
  const std::string first_png = read_file(out / "components.png");

  fit_ok("out", {"--init", "random", "--seed", "2", "--limit", "30"});
  fit_ok("fresh", {"--init", "random", "--seed", "2", "--limit", "30"});
  EXPECT_EQ(read_summary(out)["seed"], 2);
  EXPECT_EQ(read_summary(out)["shape"], nlohmann::json::array({30, TinyImages::kFeatures}));
  EXPECT_NE(read_file(out / "W.npy"), first_w);
  EXPECT_NE(read_file(out / "components.png"), first_png);
  // Every file now is what a run into a fresh folder writes.
  for (const char* name : {"components.png", "W.npy", "H.npy"})
    EXPECT_EQ(read_file(out / name), read_file(dir_ / "fresh" / name)) << name;
  EXPECT_FALSE(has_staging_folder(dir_.path(), "out"));
  EXPECT_EQ(read_file(dir_ / "keep.txt"), "unrelated");
}

// Same seed, different thread counts: byte-identical factors, for every solver with a random and
// an SVD-based initialisation, on data large enough for the threads to share the work.
TEST_F(FitFlagsTest, ThreadCountDoesNotChangeTheBytes) {
  constexpr int kRows = 1200;
  constexpr int kCols = 100;
  std::vector<float> x(static_cast<std::size_t>(kRows) * kCols);
  for (std::size_t j = 0; j < x.size(); ++j)
    x[j] = static_cast<float>((j * 2654435761u) % 1000u) / 1000.0f;
  const fs::path npy = dir_ / "big.npy";
  write_npy_f32(npy, x, {kRows, kCols});

  for (const char* solver : {"hals", "mu"}) {
    for (const char* init : {"nndsvda", "random"}) {
      SCOPED_TRACE(std::string(solver) + " " + init);
      std::string reference_w;
      std::string reference_h;
      for (const char* threads : {"1", "2", "3"}) {
        const fs::path out = dir_ / (std::string(solver) + "-" + init + "-" + threads);
        const RunResult r = fit(npy, 5, out,
                                {"--solver", solver, "--init", init, "--seed", "7", "--tol", "0",
                                 "--max-iter", "10", "--threads", threads, "-q"});
        ASSERT_EQ(r.code, 0) << r;
        ASSERT_EQ(read_summary(out)["threads"], std::stoi(threads));
        if (reference_w.empty()) {
          reference_w = read_file(out / "W.npy");
          reference_h = read_file(out / "H.npy");
          continue;
        }
        EXPECT_EQ(read_file(out / "W.npy"), reference_w) << threads << " threads";
        EXPECT_EQ(read_file(out / "H.npy"), reference_h) << threads << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace nmfkit::cli_test
