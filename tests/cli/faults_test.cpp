// Faults while nmfkit runs: signals in every phase, a file that vanishes mid-read, a full disk,
// read-only folders, an output folder on another file system, files of an earlier run. Each ends
// with one line, a non-zero exit, no output and no staging folder; or, where the run can go on,
// with the right files.
#include <sys/mount.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "cli/image_files.hpp"
#include "io/npy.hpp"

namespace nmfkit::cli_test {
namespace {

/// The runs of the address-space limit tests: each either succeeded (its output is removed for the
/// next) or ended with one "out of memory" line and no output.
struct LimitOutcomes {
  int failed = 0, succeeded = 0;
  void add(const RunResult& r, const fs::path& out) {
    if (r.code == 0) {
      ++succeeded;
      fs::remove_all(out);
      return;
    }
    ++failed;
    expect_error(r, kData, {"out of memory"});
    expect_no_output(out);
  }
};

class FaultsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    for (int i = 0; i < 6; ++i) {
      std::vector<std::uint8_t> px(16 * 16);
      for (std::size_t p = 0; p < px.size(); ++p) px[p] = static_cast<std::uint8_t>(p * (i + 3));
      write_png_file(images_dir_ / ("img" + std::to_string(i) + ".png"), 16, 16, 1, px);
    }
  }

  // Signalled while paused in `phase`: exit 128 + sig, the one error line, nothing written.
  void expect_interrupted(const std::vector<std::string>& args, const std::string& phase, int sig,
                          const fs::path& out, int times = 1, std::vector<std::string> env = {}) {
    SCOPED_TRACE(phase + ", signal " + std::to_string(sig));
    SpawnOptions options;
    options.env = std::move(env);
    options.env.push_back("NMFKIT_TEST_PAUSE=" + phase);
    const Interrupted i =
        interrupt_when(args, "paused at " + phase, sig, dir_.path(), options, times);
    const RunResult& r = i.run;
    ASSERT_FALSE(i.ended_before) << "nmfkit ended before it was interrupted\n" << r;
    EXPECT_EQ(r.code, 128 + sig) << r;
    EXPECT_LT(i.seconds, 10.0) << r;
    EXPECT_EQ(r.out, "") << r;
    const std::vector<std::string> lines = split_lines(r.err);
    ASSERT_FALSE(lines.empty()) << r;
    EXPECT_EQ(lines.back(), "nmfkit: error: interrupted; nothing was written") << r;
    EXPECT_EQ(r.err.find("error:"), r.err.rfind("error:")) << r;
    expect_no_output(out);
  }

  // Runs `args` paused in `phase` (NMFKIT_TEST_PAUSE=phase:1), calls `while_paused` once the pause
  // is reported, and returns the finished run described as `what`.
  RunResult run_changing_input(const std::vector<std::string>& args, const std::string& phase,
                               const std::function<void()>& while_paused, const std::string& what) {
    SpawnOptions options;
    options.env = {"NMFKIT_TEST_PAUSE=" + phase + ":1"};
    const pid_t pid = spawn_cli(args, dir_ / "stdout", dir_ / "stderr", options);
    RunResult r;
    r.command = what;
    if (pid <= 0) {
      ADD_FAILURE() << "could not start nmfkit";
      return r;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (read_file(dir_ / "stderr").find("paused at " + phase) == std::string::npos &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    while_paused();
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.code = exit_code(status);
    r.out = read_file(dir_ / "stdout");
    r.err = read_file(dir_ / "stderr");
    return r;
  }

  fs::path images_dir_ = [this] {
    fs::create_directories(dir_ / "images");
    return dir_ / "images";
  }();
};

// Loading, reading an image folder, before the fit (initialisation), writing the pictures: none
// of these phases checks for signals while paused, so the watcher ends the process.
TEST_F(FaultsTest, SignalsEndEveryPhaseOfFitWithNothingWritten) {
  const fs::path out = dir_ / "deep" / "out";
  const std::vector<std::string> fit_idx = {"fit", idx_.string(), "-k", "3", "-o", out.string()};
  const std::vector<std::string> fit_images = {"fit", images_dir_.string(), "-k", "2",
                                               "-o",  out.string()};
  for (int sig : {SIGINT, SIGTERM}) {
    expect_interrupted(fit_idx, "load", sig, out);
    expect_interrupted(fit_images, "image", sig, out);
    expect_interrupted(fit_idx, "fit", sig, out);
    expect_interrupted(fit_idx, "pictures", sig, out);
    EXPECT_FALSE(fs::exists(dir_ / "deep")) << "a created parent folder was left behind";
  }
}

TEST_F(FaultsTest, SignalsEndRankTransformAndRenderWithNothingChanged) {
  const fs::path fitted = dir_ / "fitted";
  ASSERT_EQ(fit(idx_, 3, fitted, {"-q"}).code, 0);
  std::vector<std::string> before;
  for (const auto& e : fs::directory_iterator(fitted)) before.push_back(e.path().filename());
  const fs::path out = dir_ / "out";
  expect_interrupted({"rank", idx_.string(), "-k", "1,2", "-o", out.string()}, "load", SIGINT, out);
  expect_interrupted({"transform", idx_.string(), "--model", fitted.string(), "-o", out.string()},
                     "load", SIGTERM, out);
  // render writes into the fit's own folder: it must be left as it was.
  const std::string summary = read_file(fitted / "summary.json");
  SpawnOptions options;
  options.env = {"NMFKIT_TEST_PAUSE=pictures"};
  const Interrupted i = interrupt_when({"render", fitted.string()}, "paused at pictures", SIGINT,
                                       dir_.path(), options);
  EXPECT_EQ(i.run.code, 130) << i.run;
  EXPECT_EQ(read_file(fitted / "summary.json"), summary);
  std::vector<std::string> after;
  for (const auto& e : fs::directory_iterator(fitted)) after.push_back(e.path().filename());
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before) << "render left a staging folder or changed the files";
}

// A second signal does not wait for the phase to end: with the grace period made long, only the
// second signal can end the process quickly.
TEST_F(FaultsTest, SecondSignalEndsAtOnce) {
  const fs::path out = dir_ / "out";
  expect_interrupted({"fit", idx_.string(), "-k", "3", "-o", out.string()}, "fit", SIGINT, out, 2,
                     {"NMFKIT_INTERRUPT_GRACE=60"});
}

// An image is deleted while the folder is being read: one line naming it.
TEST_F(FaultsTest, FileVanishingMidReadIsOneLine) {
  const fs::path out = dir_ / "out";
  const RunResult r = run_changing_input(
      {"fit", images_dir_.string(), "-k", "2", "-o", out.string()}, "image",
      [&] { fs::remove(images_dir_ / "img4.png"); }, "fit (img4.png deleted while reading)");
  EXPECT_EQ(r.code, kData) << r;
  const std::vector<std::string> lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 2u) << r;  // the pause marker, then the error
  EXPECT_NE(lines[1].find("img4.png"), std::string::npos) << r;
  EXPECT_NE(lines[1].find("No such file"), std::string::npos) << r;
  expect_no_output(out);
}

// An 8-bit file that the fit and the pictures read by rows from disk is cut short after it was
// opened: while paused before the fit (its rows not yet read) and before the pictures (the fit
// done, the drawn rows not yet read). One line naming the file, exit 1, no output.
TEST_F(FaultsTest, EightBitFileCutShortWhileItIsReadIsOneLine) {
  const fs::path out = dir_ / "out";
  for (const char* phase : {"fit", "pictures"}) {
    SCOPED_TRACE(phase);
    fs::copy_file(idx_, dir_ / "x.idx", fs::copy_options::overwrite_existing);
    const RunResult r = run_changing_input(
        {"fit", (dir_ / "x.idx").string(), "-k", "2", "-q", "-o", out.string()}, phase,
        [&] { fs::resize_file(dir_ / "x.idx", 16 + 64); },  // the header and one image
        std::string("fit (x.idx cut short at ") + phase + ")");
    EXPECT_EQ(r.code, kData) << r;
    const std::vector<std::string> lines = split_lines(r.err);
    ASSERT_EQ(lines.size(), 2u) << r;  // the pause marker, then the error
    EXPECT_NE(lines[1].find("x.idx"), std::string::npos) << r;
    EXPECT_NE(lines[1].find("shrank"), std::string::npos) << r;
    expect_no_output(out);
  }
}

// The disk fills up (a file size limit, which limits stderr too) while the outputs are written.
TEST_F(FaultsTest, FullDiskWhileWritingIsOneLineAndNoOutput) {
  const fs::path out = dir_ / "deep" / "out";
  for (rlim_t limit : {rlim_t{500}, rlim_t{1500}, rlim_t{6000}}) {
    SCOPED_TRACE("file size limit " + std::to_string(limit));
    SpawnOptions options;
    options.file_size = limit;
    const RunResult r =
        run_cli_with({"fit", idx_.string(), "-k", "3", "-o", out.string(), "-q"}, options);
    expect_error(r, kData, {"File too large"});
    expect_no_output(out);
    EXPECT_FALSE(fs::exists(dir_ / "deep"));
  }
}

// Runs as an unprivileged user when the tests run as root (root may write anywhere).
uid_t unprivileged() {
  return ::geteuid() == 0 ? 65534 : 0;
}

TEST_F(FaultsTest, ReadOnlyOutputFolderIsOneLine) {
  const fs::path out = dir_ / "readonly";
  fs::create_directories(out);
  fs::permissions(dir_.path(), fs::perms::all, fs::perm_options::add);
  fs::permissions(idx_, fs::perms::all, fs::perm_options::add);
  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  SpawnOptions options;
  options.user = unprivileged();
  const RunResult r =
      run_cli_with({"fit", idx_.string(), "-k", "3", "-o", out.string(), "-q"}, options);
  expect_error(r, kData, {"cannot write to output folder", "readonly", "Permission denied"});
  EXPECT_TRUE(fs::is_empty(out));
}

// '-o .' in a folder whose parent cannot be written: staged inside the folder itself.
TEST_F(FaultsTest, OutputIntoCurrentFolderUnderReadOnlyParent) {
  const fs::path parent = dir_ / "locked";
  const fs::path here = parent / "work";
  fs::create_directories(here);
  fs::permissions(dir_.path(), fs::perms::all, fs::perm_options::add);
  fs::permissions(idx_, fs::perms::all, fs::perm_options::add);
  fs::permissions(here, fs::perms::all);
  if (unprivileged() != 0 && ::chown(here.c_str(), unprivileged(), unprivileged()) != 0)
    GTEST_SKIP() << "cannot hand the folder to an unprivileged user";
  fs::permissions(parent, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::others_read |
                              fs::perms::others_exec | fs::perms::group_read |
                              fs::perms::group_exec);
  SpawnOptions options;
  options.user = unprivileged();
  options.cwd = here;
  const RunResult r = run_cli_with({"fit", idx_.string(), "-k", "3", "-o", ".", "-q"}, options);
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(here / "W.npy"));
  EXPECT_TRUE(fs::exists(here / "components.png"));
  EXPECT_FALSE(has_staging_folder(parent, "work"));
}

// An existing output folder on another file system (a mounted volume): the files are staged on
// that file system, so moving them into place cannot fail with EXDEV.
TEST_F(FaultsTest, OutputFolderOnAnotherFileSystem) {
  const fs::path mount_point = dir_ / "volume";
  fs::create_directories(mount_point);
  if (::mount("nmfkit-test", mount_point.c_str(), "tmpfs", 0, "size=8m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
  const RunResult r = fit(idx_, 3, mount_point, {"-q"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(mount_point / "W.npy"));
  EXPECT_FALSE(has_staging_folder(dir_.path(), "volume"));
  // A full volume: one line, and the earlier run's files stay as they were.
  const std::string w = read_file(mount_point / "W.npy");
  {
    std::ofstream filler(mount_point / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) &&
           filler.flush()) {
    }
  }
  const RunResult full = fit(idx_, 4, mount_point, {"-q"});
  expect_error(full, kData, {"No space left"});
  EXPECT_EQ(read_file(mount_point / "W.npy"), w);
  EXPECT_FALSE(has_staging_folder(dir_.path(), "volume"));
  ::umount(mount_point.c_str());
}

// Files an earlier run wrote and this one does not are removed; files nmfkit did not write stay;
// render only adds.
TEST_F(FaultsTest, EarlierRunsFilesDoNotMixWithNewOnes) {
  const fs::path out = dir_ / "out";
  ASSERT_EQ(fit(idx_, 3, out, {"-q"}).code, 0);
  ASSERT_TRUE(fs::exists(out / "components.png"));
  write_file(out / "notes.txt", "mine");
  const RunResult rank = run_cli({"rank", idx_.string(), "-k", "1,2", "-o", out.string(), "-q"});
  ASSERT_EQ(rank.code, 0) << rank;
  EXPECT_TRUE(fs::exists(out / "rank.json"));
  EXPECT_FALSE(fs::exists(out / "components.png")) << "a picture of the earlier fit was kept";
  EXPECT_FALSE(fs::exists(out / "W.npy"));
  EXPECT_EQ(read_file(out / "notes.txt"), "mine");
  // fit again, then render: render keeps the fit's files and adds nothing stale.
  ASSERT_EQ(fit(idx_, 3, out, {"-q"}).code, 0);
  EXPECT_FALSE(fs::exists(out / "rank.json"));
  const RunResult render = run_cli({"render", out.string(), "-q"});
  ASSERT_EQ(render.code, 0) << render;
  EXPECT_TRUE(fs::exists(out / "W.npy"));
  EXPECT_TRUE(fs::exists(out / "components.png"));
  EXPECT_EQ(read_file(out / "notes.txt"), "mine");
}

// A model.json whose whole numbers are out of range (nlohmann's get<int>() would truncate
// 4294967299 to 3, and casting 1e20 is undefined): one line naming the field.
TEST_F(FaultsTest, ModelNumbersOutOfRangeAreOneLine) {
  const fs::path model = dir_ / "model";
  ASSERT_EQ(fit(idx_, 3, model, {"-q"}).code, 0);
  const std::string original = read_file(model / "model.json");
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"k", "4294967299"}, {"k", "392233720368547758084"}, {"n_features", "-64"}}) {
    SCOPED_TRACE(field + " = " + value);
    nlohmann::json j = nlohmann::json::parse(original);
    j[field] = nlohmann::json::parse(value);
    write_file(model / "model.json", j.dump());
    const RunResult r = run_cli(
        {"transform", idx_.string(), "--model", model.string(), "-o", (dir_ / "w").string()});
    expect_error(r, kData, {"model.json is malformed", field});
    expect_no_output(dir_ / "w");
  }
}

// Found by fuzzing: a mask whose shape has a zero dimension beside huge ones overflowed the
// product of its dimensions (undefined; the sanitizer build catches it). It is the wrong shape.
TEST_F(FaultsTest, MaskWithZeroAndHugeDimensionsIsTheWrongShape) {
  std::string header =
      "{'descr': '|u1', 'fortran_order': False, 'shape': (60, 4294967296, "
      "4294967296, 0), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string npy = "\x93NUMPY\x01";
  npy += '\0';
  npy += static_cast<char>(header.size() & 0xff);
  npy += static_cast<char>(header.size() >> 8);
  npy += header;
  write_file(dir_ / "mask.npy", npy);
  const fs::path out = dir_ / "out";
  const RunResult r = fit(idx_, 3, out, {"--mask", (dir_ / "mask.npy").string(), "-q"});
  expect_error(r, kData, {"--mask", "the mask must have the input's shape"});
  expect_no_output(out);
}

// Address-space limits (ulimit -v) from too small for the threads' buffers to enough for
// everything: each run either succeeds or ends with one "out of memory" line and no output.
TEST_F(FaultsTest, MemoryLimitsDuringLoadAndFitEndWithOneLine) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory needs no address limit";
#endif
  // 360 MB of pixels, held as they are (a dense single-precision fit decodes them block by block):
  // the fit needed about 820-900 MiB, so 640 and 700 fail after the threads' check has passed,
  // with a margin that held with the machine idle and busy (180 MB had left 640 on the edge).
  constexpr std::int64_t kRows = 30000, kCols = 12000;
  std::vector<std::uint8_t> x(static_cast<std::size_t>(kRows * kCols));
  for (std::size_t j = 0; j < x.size(); ++j)
    x[j] = static_cast<std::uint8_t>((j * 2654435761u) >> 24);
  const fs::path big = dir_ / "big.npy";
  const std::int64_t shape[] = {kRows, kCols};
  io::write_npy(big.string(), x.data(), shape);
  const fs::path out = dir_ / "deep" / "out";
  LimitOutcomes outcomes;
  for (rlim_t mib : {rlim_t{300}, rlim_t{640}, rlim_t{700}, rlim_t{2048}}) {
    SCOPED_TRACE("limit " + std::to_string(mib) + " MiB");
    SpawnOptions options;
    options.address_space = mib << 20;
    const RunResult r = run_cli_with({"fit", big.string(), "-k", "2", "--max-iter", "2",
                                      "--threads", "2", "-o", out.string(), "-q"},
                                     options);
    outcomes.add(r, out);
    if (r.code != 0) {
      EXPECT_FALSE(fs::exists(dir_ / "deep"));
    }
  }
  EXPECT_GE(outcomes.failed, 2) << "the limits no longer exercise a shortage";
  EXPECT_GE(outcomes.succeeded, 1) << "no limit was enough";
}

// The β-divergences' fits under address-space limits from just above the threads' check to
// enough: each ends, within a minute, in success or one "out of memory" line. OpenBLAS, which
// formed their blocks of W·H, maps a work buffer on each thread's first call and, when the map
// fails, retries for ever: a Kullback-Leibler fit at k = 40 on a 20,000 x 513 spectrogram hung at
// 650 MiB. Single-precision fits now form W·H and their products with nmfkit's own kernels.
TEST_F(FaultsTest, DivergenceFitsUnderMemoryLimitsEndWithOneLine) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory needs no address limit";
#endif
  constexpr std::int64_t kRows = 20000, kCols = 513;
  std::vector<float> x(static_cast<std::size_t>(kRows * kCols));
  for (std::size_t j = 0; j < x.size(); ++j)
    x[j] = 0.01f + static_cast<float>((j * 2654435761u) >> 16 & 0xffff) / 65536.0f;
  const fs::path spectrogram = dir_ / "spectrogram.npy";
  const std::int64_t shape[] = {kRows, kCols};
  io::write_npy(spectrogram.string(), x.data(), shape);
  const fs::path out = dir_ / "out";
  LimitOutcomes outcomes;
  for (const char* loss : {"kullback-leibler", "itakura-saito"}) {
    for (rlim_t mib = 600; mib <= 780; mib += 20) {
      SCOPED_TRACE(std::string(loss) + ", limit " + std::to_string(mib) + " MiB");
      SpawnOptions options;
      options.address_space = mib << 20;
      options.timeout_seconds = 60;
      const RunResult r =
          run_cli_with({"fit", spectrogram.string(), "-k", "40", "--loss", loss, "--max-iter", "2",
                        "--threads", "2", "-o", out.string(), "-q"},
                       options);
      ASSERT_NE(r.code, kTimedOut) << "still running after a minute (a hang): " << r.err;
      outcomes.add(r, out);
    }
  }
  EXPECT_GE(outcomes.failed, 2) << "the limits no longer exercise a shortage";
  EXPECT_GE(outcomes.succeeded, 2) << "no limit was enough";
}

}  // namespace
}  // namespace nmfkit::cli_test
