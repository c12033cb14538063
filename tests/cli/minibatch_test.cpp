// `nmfkit fit --batch-size`: scikit-learn's MiniBatchNMF from the command line. The outputs are
// those of any fit plus summary.json's "minibatch"; every companion flag changes something; the
// options it cannot honour are usage errors that write nothing.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

class MiniBatchCliTest : public CliTest {};

TEST_F(MiniBatchCliTest, WritesTheUsualOutputsAndTheBatchInfo) {
  const fs::path out = dir_ / "out";
  const RunResult r = fit(idx_, 3, out, {"--batch-size", "16", "-q", "--max-iter", "20"});
  ASSERT_EQ(r.code, 0) << r;
  for (const char* f : {"W.npy", "H.npy", "summary.json", "model.json", "report.html"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const nlohmann::json s = read_summary(out);
  EXPECT_EQ(s["solver"], "mu");
  ASSERT_TRUE(s.contains("minibatch"));
  EXPECT_EQ(s["minibatch"]["batch_size"], 16);
  EXPECT_EQ(s["minibatch"]["forget_factor"], 0.7);
  EXPECT_EQ(s["minibatch"]["fresh_restarts"], false);
  EXPECT_EQ(s["minibatch"]["max_no_improvement"], 10);
  EXPECT_GE(s["minibatch"]["steps"].get<int>(), 1);
  EXPECT_LE(s["minibatch"]["steps"].get<int>(), 20 * 4);
  EXPECT_GT(s["relative_error"].get<double>(), 0);
  EXPECT_LT(s["relative_error"].get<double>(), 0.6);
  EXPECT_NE(s["command_line"].get<std::string>().find("--batch-size 16"), std::string::npos);
  EXPECT_EQ(read_npy_f32(out / "W.npy").shape.at(0), TinyImages::kSamples);

  // A batch larger than the data is all of it.
  const fs::path whole = dir_ / "whole";
  ASSERT_EQ(fit(idx_, 3, whole, {"--batch-size", "1000", "-q"}).code, 0);
  EXPECT_EQ(read_summary(whole)["minibatch"]["batch_size"], TinyImages::kSamples);
}

TEST_F(MiniBatchCliTest, EveryFlagChangesSomething) {
  const std::vector<std::string> base = {"-q", "--max-iter",           "5", "--tol",
                                         "0",  "--max-no-improvement", "0"};
  const auto h_of = [&](const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    // --batch-size 16 unless the case gives its own
    if (std::find(extra.begin(), extra.end(), "--batch-size") == extra.end())
      args.insert(args.end(), {"--batch-size", "16"});
    const fs::path out = dir_ / name;
    const RunResult r = fit(idx_, 3, out, args);
    EXPECT_EQ(r.code, 0) << r;
    return read_npy_f32(out / "H.npy").values;
  };
  const std::vector<float> plain = h_of("plain", {});
  EXPECT_NE(plain, h_of("batch", {"--batch-size", "20"}));
  EXPECT_NE(plain, h_of("forget", {"--forget-factor", "0.2"}));
  EXPECT_NE(plain, h_of("fresh", {"--fresh-restarts"}));
  // max-no-improvement 1 stops earlier than never.
  const fs::path early = dir_ / "early";
  ASSERT_EQ(fit(idx_, 3, early,
                {"-q", "--batch-size", "16", "--max-no-improvement", "1", "--max-iter", "200",
                 "--tol", "0"})
                .code,
            0);
  const nlohmann::json s = read_summary(early);
  EXPECT_EQ(s["minibatch"]["stop"], "no_improvement");
  EXPECT_TRUE(s["converged"].get<bool>());
  EXPECT_LT(s["minibatch"]["steps"].get<int>(), 800);
}

TEST_F(MiniBatchCliTest, OptionsItCannotHonourAreUsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases = {
      {{"--batch-size", "8", "--solver", "cd"}, {"--batch-size", "--solver cd"}},
      {{"--batch-size", "8", "--solver", "hals"}, {"--batch-size", "hals"}},
      {{"--batch-size", "8", "--restarts", "2"}, {"--batch-size", "--restarts"}},
      {{"--batch-size", "8", "--shuffle"}, {"--batch-size", "--shuffle"}},
      {{"--batch-size", "8", "--extrapolate"}, {"--batch-size", "--extrapolate"}},
      {{"--batch-size", "8", "--format", "dense", "--loss", "itakura-saito"},
       {"--batch-size", "--format", "kullback-leibler"}},
      {{"--batch-size", "8", "--missing", "nan"}, {"--batch-size", "--missing"}},
      {{"--batch-size", "0"}, {"--batch-size"}},
      {{"--batch-size", "8", "--forget-factor", "1.5"}, {"--forget-factor"}},
      {{"--forget-factor", "0.5"}, {"--forget-factor", "--batch-size"}},
      {{"--fresh-restarts"}, {"--fresh-restarts", "--batch-size"}},
      {{"--max-no-improvement", "3"}, {"--max-no-improvement", "--batch-size"}},
  };
  for (const auto& [options, words] : cases) {
    const fs::path out = dir_ / "out";
    const RunResult r = fit(idx_, 3, out, options);
    SCOPED_TRACE(r.command);
    expect_error(r, kUsage, words);
    expect_no_output(out);
  }
  const fs::path out = dir_ / "auto";
  const RunResult r =
      run_cli({"fit", idx_.string(), "-k", "auto", "-o", out.string(), "--batch-size", "8"});
  expect_error(r, kUsage, {"--batch-size", "-k auto"});
  expect_no_output(out);
}

}  // namespace
}  // namespace nmfkit::cli_test
