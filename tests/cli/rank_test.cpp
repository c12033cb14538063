// `nmfkit rank`, `nmfkit fit -k auto`, --restarts, --mask and --missing end to end: the files
// they write, that missing entries have no influence, and one error line with no output for bad
// input.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kUsage = 2;
constexpr int kData = 1;

class RankCliTest : public CliTest {
 protected:
  fs::path out_ = dir_ / "out";

  /// A uint8 mask of `rows` × `cols`, all observed except the entries `hidden` returns true for.
  template <typename Hidden>
  fs::path write_mask(const std::string& name, std::int64_t rows, std::int64_t cols,
                      Hidden hidden) {
    std::vector<std::uint8_t> m(static_cast<std::size_t>(rows * cols), 1);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        if (hidden(i, j)) m[static_cast<std::size_t>(i * cols + j)] = 0;
    const fs::path path = dir_ / name;
    const std::int64_t shape[] = {rows, cols};
    io::write_npy(path.string(), m.data(), shape);
    return path;
  }

  fs::path sparse_mask() {
    return write_mask("mask.npy", TinyImages::kSamples, TinyImages::kFeatures,
                      [](std::int64_t i, std::int64_t j) { return (i * 7 + j) % 11 == 0; });
  }

  /// The tiny images as float32 NPY with `change` applied to entries the sparse mask hides.
  fs::path npy_changed_where_hidden(const std::string& name, float value) {
    std::vector<float> x = images_.scaled();
    for (int i = 0; i < TinyImages::kSamples; ++i)
      for (int j = 0; j < TinyImages::kFeatures; ++j)
        if ((i * 7 + j) % 11 == 0)
          x[static_cast<std::size_t>(i * TinyImages::kFeatures + j)] = value;
    const fs::path path = dir_ / name;
    write_npy_f32(path, x, {TinyImages::kSamples, TinyImages::kFeatures});
    return path;
  }

  void expect_rank_error(const std::vector<std::string>& options, int code,
                         const std::vector<std::string>& words) {
    std::vector<std::string> args = {"rank", idx_.string(), "-o", out_.string(), "-q"};
    args.insert(args.end(), options.begin(), options.end());
    expect_error(run_cli(args), code, words);
    expect_no_output(out_);
  }
};

TEST_F(RankCliTest, WritesTheCurveAndTheChoice) {
  const RunResult r = run_cli({"rank", idx_.string(), "--k", "1..6", "-o", out_.string(), "-q",
                               "--folds", "3", "--threads", "2"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json j = nlohmann::json::parse(read_file(out_ / "rank.json"));
  EXPECT_EQ(j["command"], "rank");
  ASSERT_EQ(j["points"].size(), 6u);
  EXPECT_EQ(j["points"][0]["fold_errors"].size(), 3u);
  // The images are exact mixtures of 3 parts: fewer components leave a large held-out error.
  EXPECT_GE(j["chosen_k"].get<int>(), 3);
  EXPECT_LT(j["points"][2]["mean_error"].get<double>(), j["points"][1]["mean_error"].get<double>());
  const std::string svg = read_file(out_ / "rank.svg");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("chosen k = " + std::to_string(j["chosen_k"].get<int>())), std::string::npos);
  EXPECT_NE(r.out.find("chosen k = "), std::string::npos) << r;
}

/// The selection's curve without its times.
nlohmann::json timeless(nlohmann::json points) {
  for (auto& p : points) p.erase("seconds");
  return points;
}

// 8-bit pixels are read as they are stored, the sampled rows decoded (never a float copy of X):
// the same curve and choice as the float32 file of the same values.
TEST_F(RankCliTest, EightBitPixelsGiveTheCurveOfTheirFloatValues) {
  std::vector<float> values(images_.pixels.size());
  for (std::size_t e = 0; e < values.size(); ++e)
    values[e] = static_cast<float>(double(images_.pixels[e]) * (1.0 / 255.0));  // as decoded
  const fs::path npy = dir_ / "tiny.npy";
  write_npy_f32(npy, values, {TinyImages::kSamples, TinyImages::kFeatures});
  const auto rank = [&](const fs::path& input, const std::string& sample) {
    const fs::path out = dir_ / ("rank-" + input.extension().string().substr(1) + "-" + sample);
    const RunResult r = run_cli({"rank", input.string(), "--k", "1..5", "--folds", "2", "--sample",
                                 sample, "-o", out.string(), "-q"});
    EXPECT_EQ(r.code, 0) << r;
    return nlohmann::json::parse(read_file(out / "rank.json"));
  };
  for (const std::string sample : {"all", "25"}) {
    SCOPED_TRACE(sample);
    const nlohmann::json levels = rank(idx_, sample), floats = rank(npy, sample);
    EXPECT_EQ(levels["sample_rows"], floats["sample_rows"]);
    EXPECT_EQ(levels["chosen_k"], floats["chosen_k"]);
    EXPECT_EQ(timeless(levels["points"]), timeless(floats["points"]));
  }
  const auto auto_k = [&](const fs::path& input) {
    const fs::path out = dir_ / ("auto-" + input.extension().string().substr(1));
    const RunResult r = run_cli(
        {"fit", input.string(), "-k", "auto", "--k-range", "1..5", "-o", out.string(), "-q"});
    EXPECT_EQ(r.code, 0) << r;
    return read_summary(out);
  };
  const nlohmann::json levels = auto_k(idx_), floats = auto_k(npy);
  EXPECT_EQ(levels["k"], floats["k"]);
  EXPECT_EQ(timeless(levels["rank_selection"]["points"]),
            timeless(floats["rank_selection"]["points"]));
  EXPECT_NEAR(levels["relative_error"].get<double>(), floats["relative_error"].get<double>(), 1e-5);
}

TEST_F(RankCliTest, DefaultsScanUpwardsAndShowWhy) {
  const RunResult r = run_cli({"rank", idx_.string(), "-o", out_.string()});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json j = nlohmann::json::parse(read_file(out_ / "rank.json"));
  const int chosen = j["chosen_k"].get<int>();
  EXPECT_EQ(j["ks"].size(), 30u);      // the default candidates 1..30 …
  EXPECT_LT(j["points"].size(), 30u);  // … scanned until three ranks past the choice
  EXPECT_TRUE(j["stopped_early"].get<bool>());
  EXPECT_EQ(j["points"].back()["k"].get<int>(), chosen + 3);
  for (const char* key : {"criterion", "rule", "criteria", "sample_rows", "warm_start", "patience"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"best_k", "one_se_k", "knee_k", "minimum", "knee_fraction"})
    EXPECT_TRUE(j["criteria"].contains(key)) << key;
  for (const auto& p : j["points"])
    for (const char* key : {"gain", "average_gain", "iterations", "mean_error"})
      EXPECT_TRUE(p.contains(key)) << key;
  EXPECT_EQ(j["files"], (std::vector<std::string>{"rank.json", "rank.svg", "rank-components.png",
                                                  "report.html"}));
  for (const char* f : {"rank.svg", "rank-components.png", "report.html"})
    EXPECT_TRUE(fs::exists(out_ / f)) << f;
  const std::string html = read_file(out_ / "report.html");
  EXPECT_NE(html.find("Choice of k"), std::string::npos);
  EXPECT_NE(html.find("Components for several k"), std::string::npos);
  EXPECT_NE(html.find("chosen k"), std::string::npos);
  // Progress: the heading, then one line per rank with its error and the time left.
  EXPECT_NE(r.err.find("choosing k among 30 ranks"), std::string::npos) << r;
  EXPECT_NE(r.err.find("k = 1: held-out error"), std::string::npos) << r;
  EXPECT_NE(r.err.find("left"), std::string::npos) << r;
  EXPECT_NE(r.out.find("report: "), std::string::npos) << r;
}

TEST_F(RankCliTest, ARunOnOtherDataDoesNotShowTheLastRunsComponents) {
  ASSERT_EQ(run_cli({"rank", idx_.string(), "-o", out_.string(), "-q"}).code, 0);
  ASSERT_TRUE(fs::exists(out_ / "rank-components.png"));
  // Rows of 40001 features are drawn as 1 x 40001 images: too wide for a picture.
  std::vector<float> x(static_cast<std::size_t>(20 * 40001));
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = float((j * 7919u) % 101) / 100.0f;
  const fs::path wide = dir_ / "wide.npy";
  write_npy_f32(wide, x, {20, 40001});
  const RunResult r = run_cli({"rank", wide.string(), "-o", out_.string(), "--k", "1..2"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.err.find("no rank-components.png"), std::string::npos) << r;
  EXPECT_EQ(read_file(out_ / "report.html").find("Components for several k"), std::string::npos);
}

TEST_F(RankCliTest, CopheneticAddsTheCorrelation) {
  const RunResult r = run_cli({"rank", idx_.string(), "--k", "2,4", "-o", out_.string(), "-q",
                               "--method", "cophenetic", "--restarts", "3", "--max-iter", "30"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json j = nlohmann::json::parse(read_file(out_ / "rank.json"));
  EXPECT_EQ(j["method"], "cophenetic");
  for (const auto& p : j["points"]) {
    EXPECT_LE(p["cophenetic"].get<double>(), 1.0);
    EXPECT_GE(p["cophenetic"].get<double>(), -1.0);
  }
}

TEST_F(RankCliTest, FitAutoRecordsTheSelection) {
  const RunResult r = run_cli({"fit", idx_.string(), "-k", "auto", "--k-range", "2..5", "-o",
                               out_.string(), "-q", "--max-iter", "50"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["k"], s["rank_selection"]["chosen_k"]);
  EXPECT_EQ(s["rank_selection"]["points"].size(), 4u);
  // Selected with rank's default solver; the fit itself uses fit's default.
  EXPECT_EQ(s["rank_selection"]["solver"], "hals");
  EXPECT_EQ(s["solver"], "hals");
  EXPECT_EQ(s["extrapolate"], true);  // the selection's short fits are plain
  // The report shows the curve the choice came from and the components of several k.
  EXPECT_TRUE(fs::exists(out_ / "rank-components.png"));
  const auto files = s["files"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(files.begin(), files.end(), "rank-components.png"), files.end());
  const std::string html = read_file(out_ / "report.html");
  EXPECT_NE(html.find("Components for several k"), std::string::npos);
  EXPECT_NE(html.find("Choice of k"), std::string::npos);
  EXPECT_NE(html.find("k = " + std::to_string(s["k"].get<int>()) + " was chosen"),
            std::string::npos);
}

TEST_F(RankCliTest, RestartsKeepTheLowestObjective) {
  const RunResult r = fit(idx_, 3, out_, {"-q", "--init", "random", "--restarts", "3"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  const auto objectives = s["restarts"]["objectives"].get<std::vector<double>>();
  ASSERT_EQ(objectives.size(), 3u);
  double lowest = objectives[0];
  for (double o : objectives) lowest = std::min(lowest, o);
  EXPECT_EQ(s["loss_history"].back().get<double>(), lowest);
  EXPECT_EQ(s["restarts"]["seeds"], (std::vector<int>{0, 1, 2}));
}

TEST_F(RankCliTest, MaskedEntriesHaveNoInfluence) {
  const fs::path mask = sparse_mask();
  const fs::path a = npy_changed_where_hidden("a.npy", 0.0f);
  const fs::path b = npy_changed_where_hidden("b.npy", 1000.0f);
  ASSERT_EQ(fit(a, 3, dir_ / "a", {"-q", "--mask", mask.string()}).code, 0);
  ASSERT_EQ(fit(b, 3, dir_ / "b", {"-q", "--mask", mask.string(), "--threads", "1"}).code, 0);
  EXPECT_EQ(read_file(dir_ / "a" / "W.npy"), read_file(dir_ / "b" / "W.npy"));
  EXPECT_EQ(read_file(dir_ / "a" / "H.npy"), read_file(dir_ / "b" / "H.npy"));
  const nlohmann::json s = read_summary(dir_ / "a");
  EXPECT_GT(s["missing_entries"].get<int>(), 0);
}

TEST_F(RankCliTest, MissingNanMarksNanEntries) {
  const fs::path nan = npy_changed_where_hidden("nan.npy", std::numeric_limits<float>::quiet_NaN());
  const fs::path zero = npy_changed_where_hidden("zero.npy", 0.0f);
  ASSERT_EQ(fit(nan, 3, dir_ / "nan", {"-q", "--missing", "nan"}).code, 0);
  ASSERT_EQ(fit(zero, 3, dir_ / "mask", {"-q", "--mask", sparse_mask().string()}).code, 0);
  EXPECT_EQ(read_file(dir_ / "nan" / "H.npy"), read_file(dir_ / "mask" / "H.npy"));
  // Without --missing, NaN is bad data.
  const RunResult r = fit(nan, 3, out_, {"-q"});
  expect_error(r, kData, {"NaN"});
  expect_no_output(out_);
}

// ---- bad input: one line, an exit code, nothing written ----

TEST_F(RankCliTest, EmptyRange) {
  expect_rank_error({"--k", ""}, kUsage, {"empty"});
}

TEST_F(RankCliTest, InvertedRange) {
  expect_rank_error({"--k", "9..2"}, kUsage, {"9..2", "inverted"});
}

TEST_F(RankCliTest, MalformedRange) {
  expect_rank_error({"--k", "2..x"}, kUsage, {"'x'"});
}

TEST_F(RankCliTest, RankBeyondTheData) {
  expect_rank_error({"--k", "2..61"}, kUsage, {"min(n_samples, n_features) = 60", "61"});
}

TEST_F(RankCliTest, FitAutoRangeBeyondTheData) {
  expect_error(
      run_cli({"fit", idx_.string(), "-k", "auto", "--k-range", "50..70", "-o", out_.string()}),
      kUsage, {"60", "70"});
  expect_no_output(out_);
}

TEST_F(RankCliTest, MaskOfTheWrongShape) {
  const fs::path mask = write_mask("wrong.npy", TinyImages::kSamples, 10,
                                   [](std::int64_t, std::int64_t) { return false; });
  expect_rank_error({"--k", "2..3", "--mask", mask.string()}, kData, {"--mask", "shape"});
  expect_error(fit(idx_, 2, out_, {"--mask", mask.string()}), kData, {"--mask", "shape"});
  expect_no_output(out_);
}

TEST_F(RankCliTest, MaskHidingASample) {
  const fs::path mask = write_mask("row.npy", TinyImages::kSamples, TinyImages::kFeatures,
                                   [](std::int64_t i, std::int64_t) { return i == 4; });
  expect_rank_error({"--k", "2..3", "--mask", mask.string()}, kData, {"sample 4"});
  expect_error(fit(idx_, 2, out_, {"--mask", mask.string()}), kData, {"every entry", "sample 4"});
  expect_no_output(out_);
}

TEST_F(RankCliTest, MaskHidingAFeature) {
  const fs::path mask = write_mask("col.npy", TinyImages::kSamples, TinyImages::kFeatures,
                                   [](std::int64_t, std::int64_t j) { return j == 9; });
  expect_rank_error({"--k", "2..3", "--mask", mask.string()}, kData, {"feature 9"});
  expect_error(fit(idx_, 2, out_, {"--mask", mask.string()}), kData, {"every entry", "feature 9"});
  expect_no_output(out_);
}

TEST_F(RankCliTest, BadMethodAndMissing) {
  expect_rank_error({"--k", "2..3", "--method", "elbow"}, kUsage, {"elbow"});
  expect_error(fit(idx_, 2, out_, {"--missing", "zero"}), kUsage, {"--missing", "zero"});
  expect_no_output(out_);
}

TEST_F(RankCliTest, BadRuleSampleAndKnee) {
  expect_rank_error({"--rule", "elbow"}, kUsage, {"elbow", "auto, minimum or knee"});
  expect_rank_error({"--sample", "0"}, kUsage, {"--sample", "'0'"});
  expect_rank_error({"--sample", "many"}, kUsage, {"--sample", "many"});
  expect_rank_error({"--knee-fraction", "1.5"}, kUsage, {"knee fraction"});
  expect_rank_error({"--patience", "-1"}, kUsage, {"--patience"});
}

TEST_F(RankCliTest, MaskNeedsTheFrobeniusLoss) {
  expect_error(
      fit(idx_, 2, out_,
          {"--mask", sparse_mask().string(), "--solver", "mu", "--loss", "kullback-leibler"}),
      kUsage, {"frobenius"});
  expect_no_output(out_);
}

}  // namespace
}  // namespace nmfkit::cli_test
