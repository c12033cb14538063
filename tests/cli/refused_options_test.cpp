// Option combinations in which an option would do nothing are refused by the library's
// FitOptions::validate() (and fit_best() / fit_auto_k() for --restarts and -k auto): the CLI
// prints that one line, naming both options, exits 2 and writes nothing.
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

struct Refused {
  std::vector<std::string> options;  ///< after `nmfkit fit tiny.idx -k 3 -o OUT`
  std::vector<std::string> words;    ///< both options, named in the error line
  std::string k = "3";
};

class RefusedOptionsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    write_npy_f32(w0_, std::vector<float>(TinyImages::kSamples * 3, 0.3f),
                  {TinyImages::kSamples, 3});
    write_npy_f32(h0_, std::vector<float>(3 * TinyImages::kFeatures, 0.3f),
                  {3, TinyImages::kFeatures});
  }

  std::vector<std::string> custom() const {
    return {"--init", "custom", "--w0", w0_.string(), "--h0", h0_.string()};
  }

  fs::path w0_ = dir_ / "W0.npy";
  fs::path h0_ = dir_ / "H0.npy";
};

TEST_F(RefusedOptionsTest, EveryCombinationThatWouldDoNothingIsAUsageErrorNamingBothOptions) {
  std::vector<Refused> cases = {
      {{"--extrapolate", "--solver", "mu"}, {"extrapolate", "solver", "hals, cd", "mu"}},
      {{"--extrapolate", "--loss", "0.5"}, {"extrapolate", "solver", "mu"}},
      {{"--shuffle", "--loss", "kullback-leibler"}, {"shuffle", "frobenius", "kullback-leibler"}},
      {{"--shuffle", "--solver", "hals"}, {"shuffle", "solver", "cd", "hals"}},
      {{"--shuffle", "--solver", "anls-bpp"}, {"shuffle", "solver", "anls-bpp"}},
      {{"--shuffle", "--solver", "mu"}, {"shuffle", "solver", "mu"}},
      {{"--l1-ratio", "0.5"}, {"l1_ratio", "alpha_w", "alpha_h"}},
      {{"--l1-ratio", "1", "--alpha-h", "0"}, {"l1_ratio", "alpha_w", "alpha_h"}},
      {{"--sketch-power", "2"}, {"--sketch-power", "--sketch"}},
      {{"--sketch", "10", "--loss", "kullback-leibler"},
       {"sketch", "frobenius", "kullback-leibler"}},
      {{"--sketch", "10", "--batch-size", "20"}, {"--batch-size", "--sketch"}},
      {{"--sketch", "57"}, {"sketch", "60", "min(n_samples, n_features)"}},
  };
  std::vector<std::string> seeded = custom();
  seeded.insert(seeded.end(), {"--seed", "3"});
  cases.push_back({seeded, {"seed", "init custom"}});
  std::vector<std::string> restarted = custom();
  restarted.insert(restarted.end(), {"--restarts", "2"});
  cases.push_back({restarted, {"restarts", "init custom"}});
  cases.push_back({custom(), {"init custom", "k"}, "auto"});
  for (const Refused& c : cases) {
    const fs::path out = dir_ / "out";
    std::vector<std::string> args = {"fit", idx_.string(), "-k", c.k, "-o", out.string()};
    args.insert(args.end(), c.options.begin(), c.options.end());
    const RunResult r = run_cli(args);
    SCOPED_TRACE(r.command);
    expect_error(r, kUsage, c.words);
    expect_no_output(out);
  }
}

TEST_F(RefusedOptionsTest, TheSameOptionsWhereTheyDoSomethingRun) {
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"--extrapolate", "--solver", "anls-bpp"},
        {"--shuffle", "--solver", "cd"},
        {"--l1-ratio", "0.5", "--alpha-h", "0.01"},
        {"--format", "dense", "--loss", "kullback-leibler"},
        {"--init", "nndsvdar", "--seed", "3", "--restarts", "2"},
        {"--sketch", "10", "--sketch-power", "2"}}) {
    std::vector<std::string> args = options;
    args.insert(args.end(), {"--max-iter", "5", "-q"});
    const RunResult r = fit(idx_, 3, dir_ / "ok", args);
    EXPECT_EQ(r.code, 0) << r;
  }
}

}  // namespace
}  // namespace nmfkit::cli_test
