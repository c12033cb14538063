// `nmfkit fit` on bad usage and bad data: the exit code, one error line naming the problem, and
// no output folder, staging folder or created parent left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

class FitErrorsTest : public CliTest {
 protected:
  fs::path out_ = dir_ / "out";

  void expect_fit_error(const fs::path& input, const std::vector<std::string>& options, int code,
                        const std::vector<std::string>& words) {
    std::vector<std::string> args = {"fit", input.string(), "-o", out_.string()};
    args.insert(args.end(), options.begin(), options.end());
    expect_error(run_cli(args), code, words);
    expect_no_output(out_);
  }

  // A 2-D float32 NPY of the tiny images with one value replaced.
  fs::path npy_with(const std::string& name, float bad) {
    std::vector<float> x = images_.scaled();
    x[100] = bad;
    const fs::path path = dir_ / name;
    write_npy_f32(path, x, {TinyImages::kSamples, TinyImages::kFeatures});
    return path;
  }
};

// ---- usage errors: exit 2 ----

TEST_F(FitErrorsTest, MissingK) {
  expect_fit_error(idx_, {}, kUsage, {"components", "required"});
}

TEST_F(FitErrorsTest, KZero) {
  expect_fit_error(idx_, {"-k", "0"}, kUsage, {"k must", "0"});
}

TEST_F(FitErrorsTest, KNegative) {
  expect_fit_error(idx_, {"-k", "-2"}, kUsage, {"k", "-2"});
}

TEST_F(FitErrorsTest, KLargerThanSamplesOrFeatures) {
  // 60 samples of 64 features: k may be at most 60.
  expect_fit_error(idx_, {"-k", "61"}, kUsage, {"min(n_samples, n_features)", "60", "61"});
  expect_fit_error(idx_, {"-k", "65"}, kUsage, {"min(n_samples, n_features)", "65"});
  // --limit lowers the bound.
  expect_fit_error(idx_, {"-k", "11", "--limit", "10"}, kUsage,
                   {"min(n_samples, n_features)", "10", "11"});
}

TEST_F(FitErrorsTest, NonNumericK) {
  expect_fit_error(idx_, {"-k", "abc"}, kUsage, {"components", "abc"});
}

TEST_F(FitErrorsTest, UnknownSolverListsTheKnownOnes) {
  expect_fit_error(idx_, {"-k", "3", "--solver", "bogus"}, kUsage, {"solver", "bogus", "hals"});
}

TEST_F(FitErrorsTest, UnknownInit) {
  expect_fit_error(idx_, {"-k", "3", "--init", "bogus"}, kUsage, {"init", "bogus", "nndsvda"});
}

TEST_F(FitErrorsTest, UnknownColormap) {
  expect_fit_error(idx_, {"-k", "3", "--cmap", "bogus"}, kUsage, {"colormap", "bogus", "viridis"});
}

TEST_F(FitErrorsTest, MaxIterZero) {
  expect_fit_error(idx_, {"-k", "3", "--max-iter", "0"}, kUsage, {"iter", "0"});
}

TEST_F(FitErrorsTest, NegativeTolThreadsOrLimit) {
  expect_fit_error(idx_, {"-k", "3", "--tol", "-1"}, kUsage, {"tol"});
  expect_fit_error(idx_, {"-k", "3", "--threads", "-1"}, kUsage, {"threads"});
  expect_fit_error(idx_, {"-k", "3", "--limit", "-1"}, kUsage, {"limit"});
}

TEST_F(FitErrorsTest, UnknownOption) {
  expect_fit_error(idx_, {"-k", "3", "--bogus"}, kUsage, {"--bogus"});
}

TEST_F(FitErrorsTest, MissingOutputOrInput) {
  expect_error(run_cli({"fit", idx_.string(), "-k", "3"}), kUsage, {"output", "required"});
  expect_error(run_cli({"fit", "-k", "3", "-o", out_.string()}), kUsage, {"INPUT", "required"});
  expect_no_output(out_);
}

TEST_F(FitErrorsTest, NoSubcommand) {
  expect_error(run_cli({}), kUsage, {"command"});
  expect_error(run_cli({"bogus"}), kUsage, {});
}

// ---- data and runtime errors: exit 1 ----

TEST_F(FitErrorsTest, MissingInputFile) {
  const fs::path missing = dir_ / "missing.idx";
  expect_fit_error(missing, {"-k", "3"}, kData, {missing.string(), "No such file"});
}

TEST_F(FitErrorsTest, InputIsAFolder) {
  expect_fit_error(dir_.path(), {"-k", "3"}, kData, {"folder"});
}

TEST_F(FitErrorsTest, TextFileInput) {
  const fs::path text = dir_ / "notes.txt";
  write_file(text, "these are not pixels\n1 2 3\n");
  expect_fit_error(text, {"-k", "3"}, kData, {text.string(), "IDX"});
}

TEST_F(FitErrorsTest, EmptyFileInput) {
  const fs::path empty = dir_ / "empty.idx";
  write_file(empty, "");
  expect_fit_error(empty, {"-k", "3"}, kData, {empty.string()});
}

TEST_F(FitErrorsTest, IdxWithWrongMagic) {
  const std::string data(static_cast<std::size_t>(TinyImages::kSamples) * TinyImages::kFeatures,
                         '\x10');
  const fs::path not_idx = dir_ / "magic.idx";
  write_idx(not_idx, 0x12340803u, {TinyImages::kSamples, 8, 8}, data);
  expect_fit_error(not_idx, {"-k", "3"}, kData, {not_idx.string(), "IDX"});
  const fs::path bad_type = dir_ / "type.idx";
  write_idx(bad_type, 0x00000F03u, {TinyImages::kSamples, 8, 8}, data);
  expect_fit_error(bad_type, {"-k", "3"}, kData, {bad_type.string(), "type"});
}

TEST_F(FitErrorsTest, TruncatedIdx) {
  const std::string bytes = read_file(idx_);
  const fs::path data_cut = dir_ / "data-cut.idx";
  write_file(data_cut, std::string_view(bytes).substr(0, bytes.size() - 7));
  expect_fit_error(data_cut, {"-k", "3"}, kData, {data_cut.string(), "truncated"});
  const fs::path header_cut = dir_ / "header-cut.idx";
  write_file(header_cut, std::string_view(bytes).substr(0, 10));
  expect_fit_error(header_cut, {"-k", "3"}, kData, {header_cut.string(), "truncated"});
}

TEST_F(FitErrorsTest, NegativeValue) {
  expect_fit_error(npy_with("negative.npy", -0.5f), {"-k", "3"}, kData, {"negative"});
}

TEST_F(FitErrorsTest, NaNValue) {
  expect_fit_error(npy_with("nan.npy", std::numeric_limits<float>::quiet_NaN()), {"-k", "3"}, kData,
                   {"NaN"});
}

TEST_F(FitErrorsTest, InfValue) {
  expect_fit_error(npy_with("inf.npy", std::numeric_limits<float>::infinity()), {"-k", "3"}, kData,
                   {"Inf"});
}

TEST_F(FitErrorsTest, OutdirIsAnExistingFile) {
  write_file(out_, "not a folder");
  expect_error(run_cli({"fit", idx_.string(), "-k", "3", "-o", out_.string()}), kData,
               {out_.string(), "not a folder"});
  EXPECT_TRUE(fs::is_regular_file(out_));
  EXPECT_EQ(read_file(out_), "not a folder");
  EXPECT_FALSE(has_staging_folder(dir_.path(), "out"));
}

TEST_F(FitErrorsTest, OutdirCannotBeCreated) {
  fs::path out;
  if (::geteuid() == 0) {
    // Permission bits do not stop root, so use a place nobody can create folders in: /proc.
    out = "/proc/nmfkit-cli-test/out";
  } else {
    fs::create_directory(dir_ / "read-only");
    fs::permissions(dir_ / "read-only", fs::perms(0555));
    out = dir_ / "read-only" / "out";
  }
  expect_error(run_cli({"fit", idx_.string(), "-k", "3", "-o", out.string(), "--max-iter", "3"}),
               kData, {out.string(), "output folder"});
  expect_no_output(out);
}

TEST_F(FitErrorsTest, CreatedParentsAreRemovedOnFailure) {
  const fs::path text = dir_ / "notes.txt";
  write_file(text, "not data\n");
  const fs::path deep = dir_ / "p" / "q" / "out";
  // A data error found while reading the input.
  expect_error(run_cli({"fit", text.string(), "-k", "3", "-o", deep.string()}), kData, {"IDX"});
  EXPECT_FALSE(fs::exists(dir_ / "p")) << "created parent folders were left behind";
  // A usage error found only once the data's shape is known.
  expect_error(run_cli({"fit", idx_.string(), "-k", "61", "-o", deep.string()}), kUsage,
               {"min(n_samples, n_features)"});
  EXPECT_FALSE(fs::exists(dir_ / "p")) << "created parent folders were left behind";
  // A data error found by the fit.
  expect_error(run_cli({"fit", npy_with("nan.npy", std::nanf("")).string(), "-k", "3", "-o",
                        deep.string(), "-q"}),
               kData, {"NaN"});
  EXPECT_FALSE(fs::exists(dir_ / "p")) << "created parent folders were left behind";
}

// Whatever makes the output folder fail after its missing parents were made, they are removed.
// Here the folder's own name is longer than the 255 bytes a Linux file name may have.
TEST_F(FitErrorsTest, CreatedParentsAreRemovedWhenTheOutdirCannotBeSetUp) {
  const fs::path deep = dir_ / "p" / "q" / std::string(300, 'o');
  const RunResult r = run_cli({"fit", idx_.string(), "-k", "3", "-o", deep.string(), "-q"});
  expect_error(r, kData, {"output folder", "255 bytes"});
  EXPECT_FALSE(fs::exists(dir_ / "p")) << "created parent folders were left behind";
}

TEST_F(FitErrorsTest, FailedRunLeavesAnExistingOutdirAlone) {
  fs::create_directory(out_);
  write_file(out_ / "W.npy", "old W");
  write_file(out_ / "notes.txt", "mine");
  const fs::path text = dir_ / "notes.txt";
  write_file(text, "not data\n");
  expect_error(run_cli({"fit", text.string(), "-k", "3", "-o", out_.string()}), kData, {"IDX"});
  expect_error(run_cli({"fit", idx_.string(), "-k", "99", "-o", out_.string()}), kUsage, {"k"});
  EXPECT_EQ(read_file(out_ / "W.npy"), "old W");
  EXPECT_EQ(read_file(out_ / "notes.txt"), "mine");
  EXPECT_FALSE(fs::exists(out_ / "H.npy"));
  EXPECT_FALSE(has_staging_folder(dir_.path(), "out"));
}

// The files are moved into an existing OUTDIR one by one; when a later one cannot be moved (here a
// folder is in the way of summary.json) the run fails and must not have replaced the earlier ones.
TEST_F(FitErrorsTest, FailedCommitLeavesAnExistingOutdirAlone) {
  fs::create_directories(out_ / "summary.json");
  write_file(out_ / "W.npy", "old W");
  const RunResult r =
      run_cli({"fit", idx_.string(), "-k", "3", "-o", out_.string(), "--max-iter", "3", "-q"});
  expect_error(r, kData, {"summary.json"});
  EXPECT_EQ(read_file(out_ / "W.npy"), "old W") << "a failed run replaced W.npy";
  EXPECT_FALSE(fs::exists(out_ / "H.npy")) << "a failed run wrote H.npy";
  EXPECT_FALSE(fs::exists(out_ / "components.png")) << "a failed run wrote components.png";
  EXPECT_FALSE(has_staging_folder(dir_.path(), "out"));
}

// ---- interruption: exit 130, nothing written ----

/// A 2000 × 400 uint8 NPY: large enough that 100000 iterations take minutes.
fs::path write_big_npy(const fs::path& dir) {
  constexpr std::int64_t kRows = 2000;
  constexpr std::int64_t kCols = 400;
  std::vector<std::uint8_t> x(static_cast<std::size_t>(kRows * kCols));
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = static_cast<std::uint8_t>((j * 40503u) >> 7);
  const fs::path big = dir / "big.npy";
  const std::int64_t shape[] = {kRows, kCols};
  io::write_npy(big.string(), x.data(), shape);
  return big;
}

TEST_F(FitErrorsTest, InterruptWritesNothing) {
  const fs::path big = write_big_npy(dir_.path());
  for (int sig : {SIGINT, SIGTERM}) {
    SCOPED_TRACE("signal " + std::to_string(sig));
    const fs::path out = dir_ / "deep" / "out";
    // Signalled at the first progress line: the handler is installed and the fit is running.
    const Interrupted i = interrupt_when(
        {"fit", big.string(), "-k", "10", "-o", out.string(), "--tol", "0", "--max-iter", "100000"},
        "iteration", sig, dir_.path());
    const RunResult& r = i.run;
    ASSERT_FALSE(i.ended_before) << "nmfkit ended before it was interrupted\n" << r;
    EXPECT_EQ(r.code, 128 + sig) << r;
    EXPECT_EQ(r.out, "") << r;
    // Progress lines come first; the last line is the only error line.
    const std::vector<std::string> lines = split_lines(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back().rfind("nmfkit: error: ", 0), 0u) << r;
    EXPECT_NE(lines.back().find("interrupted"), std::string::npos) << r;
    EXPECT_EQ(r.err.find("error:"), r.err.rfind("error:")) << r;
    expect_no_output(out);
    EXPECT_FALSE(fs::exists(dir_ / "deep")) << "created parent folder was left behind";
  }
}

TEST_F(FitErrorsTest, InterruptDuringTheChoiceOfKWritesNothing) {
  const fs::path big = write_big_npy(dir_.path());
  for (const char* command : {"rank", "fit"}) {
    SCOPED_TRACE(command);
    const fs::path out = dir_ / "deep" / "out";
    std::vector<std::string> args = {command, big.string(), "-o",         out.string(),
                                     "--tol", "0",          "--max-iter", "100000"};
    if (std::string(command) == "fit") args.insert(args.begin() + 2, {"-k", "auto"});
    const Interrupted i = interrupt_when(args, "choosing k", SIGINT, dir_.path());
    const RunResult& r = i.run;
    ASSERT_FALSE(i.ended_before) << "nmfkit ended before it was interrupted\n" << r;
    EXPECT_EQ(r.code, 130) << r;
    EXPECT_LT(i.seconds, 5.0) << r;
    EXPECT_EQ(r.out, "") << r;
    const std::vector<std::string> lines = split_lines(r.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find("interrupted"), std::string::npos) << r;
    expect_no_output(out);
    EXPECT_FALSE(fs::exists(dir_ / "deep"));
  }
}

}  // namespace
}  // namespace nmfkit::cli_test
