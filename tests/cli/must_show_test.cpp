// What nmfkit must show on images: a folder of generated pictures, each the sum of a few of K
// known shapes, factorizes with k = K into components that are those shapes; colour images give
// colour components; the progress bar is drawn on a terminal.
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "cli/image_files.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kSide = 24;
constexpr int kPixels = kSide * kSide;

class MustShowTest : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path images_ = dir_ / "images";
  fs::path out_ = dir_ / "out";

  // `count` images, each a random non-empty subset of the masks with weights in [0.4, 1];
  // channel c of shape s is lit when colours[s] has bit c set (gray: one channel).
  void write_images(const std::vector<std::vector<double>>& masks, int count, int channels,
                    const std::vector<int>& colours = {}) {
    fs::create_directories(images_ / "nested");
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> weight(0.4, 1.0), coin(0.0, 1.0);
    for (int n = 0; n < count; ++n) {
      std::vector<double> v(static_cast<std::size_t>(kPixels * channels), 0.0);
      bool any = false;
      for (std::size_t s = 0; s < masks.size(); ++s) {
        if (coin(rng) > 0.4 && !(s + 1 == masks.size() && !any)) continue;
        any = true;
        const double w = weight(rng);
        for (int p = 0; p < kPixels; ++p)
          for (int c = 0; c < channels; ++c)
            if (channels == 1 || (colours[s] >> c) & 1)
              v[static_cast<std::size_t>(p * channels + c)] +=
                  w * masks[s][static_cast<std::size_t>(p)];
      }
      std::vector<std::uint8_t> px(v.size());
      for (std::size_t i = 0; i < v.size(); ++i)
        px[i] = static_cast<std::uint8_t>(std::lround(std::min(1.0, v[i]) * 250));
      char name[32];
      std::snprintf(name, sizeof name, "%s/shape%04d.png", n % 3 == 0 ? "nested" : ".", n);
      write_png_file(images_ / name, kSide, kSide, channels, px);
    }
  }

  // Row j of H.npy, channel c (of `channels`), as doubles.
  static std::vector<double> component(const NpyMatrix& h, int j, int channels, int c) {
    std::vector<double> v(static_cast<std::size_t>(kPixels));
    for (int p = 0; p < kPixels; ++p)
      v[static_cast<std::size_t>(p)] =
          h.values[static_cast<std::size_t>(j * kPixels * channels + p * channels + c)];
    return v;
  }
};

TEST_F(MustShowTest, GeneratedShapesComeBackAsComponents) {
  constexpr int kShapes = 5;
  const auto masks = shape_masks(kSide, kShapes);
  write_images(masks, 300, 1);
  const RunResult r =
      run_cli({"fit", images_.string(), "-k", std::to_string(kShapes), "-o", out_.string(), "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const NpyMatrix h = read_npy_f32(out_ / "H.npy");
  ASSERT_EQ(h.shape, (std::vector<std::int64_t>{kShapes, kPixels}));
  for (int s = 0; s < kShapes; ++s) {
    double best = -1;
    for (int j = 0; j < kShapes; ++j)
      best = std::max(best, correlation(masks[static_cast<std::size_t>(s)], component(h, j, 1, 0)));
    EXPECT_GE(best, 0.9) << "shape " << s << " has no matching component";
  }
}

TEST_F(MustShowTest, ColourImagesGiveColourComponents) {
  const auto masks = shape_masks(kSide, 3);
  const std::vector<int> colours = {1, 2, 4};  // red square, green disc, blue bar
  write_images(masks, 200, 3, colours);
  const RunResult r =
      run_cli({"fit", images_.string(), "-k", "3", "-o", out_.string(), "--color", "rgb", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_summary(out_)["image_shape"], nlohmann::json({kSide, kSide, 3}));
  const NpyMatrix h = read_npy_f32(out_ / "H.npy");
  ASSERT_EQ(h.shape, (std::vector<std::int64_t>{3, kPixels * 3}));
  for (int s = 0; s < 3; ++s) {
    // The shape in its colour, as a flattened RGB image.
    std::vector<double> coloured(static_cast<std::size_t>(kPixels * 3), 0.0);
    for (int p = 0; p < kPixels; ++p)
      coloured[static_cast<std::size_t>(p * 3 + s)] =
          masks[static_cast<std::size_t>(s)][static_cast<std::size_t>(p)];
    double best = -1;
    int best_j = 0;
    for (int j = 0; j < 3; ++j) {
      const auto first = static_cast<std::ptrdiff_t>(j * kPixels * 3);
      const std::vector<double> row(h.values.begin() + first,
                                    h.values.begin() + first + kPixels * 3);
      const double c = correlation(coloured, row);
      if (c > best) {
        best = c;
        best_j = j;
      }
    }
    EXPECT_GE(best, 0.9) << "shape " << s;
    // That component's energy is in the shape's colour (channel s).
    double in = 0, all = 0;
    for (int c = 0; c < 3; ++c)
      for (double v : component(h, best_j, 3, c)) (c == s ? in : all) += v * v;
    EXPECT_GE(in / (in + all), 0.95) << "shape " << s;
  }
  // components.png shows saturated red, green and blue pixels.
  const PngImage png = read_png(out_ / "components.png");
  ASSERT_EQ(png.error, "");
  bool seen[3] = {false, false, false};
  for (std::uint32_t y = 0; y < png.height; ++y)
    for (std::uint32_t x = 0; x < png.width; ++x) {
      const std::uint8_t* p = png.pixel(x, y);
      for (int c = 0; c < 3; ++c)
        if (p[c] > 200 && p[(c + 1) % 3] < 60 && p[(c + 2) % 3] < 60) seen[c] = true;
    }
  EXPECT_TRUE(seen[0] && seen[1] && seen[2]);
}

// Runs the CLI with stdout and stderr on a pseudo-terminal; returns everything it printed.
std::string run_on_terminal(const std::vector<std::string>& args, int& code) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::setenv("TERM", "xterm", 1);
    std::vector<char*> argv = {const_cast<char*>(NMFKIT_CLI_PATH)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(NMFKIT_CLI_PATH, argv.data());
    ::_exit(127);
  }
  std::string text;
  if (pid < 0) return text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EIO once the child has closed the terminal
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  code = exit_code(status);
  return text;
}

TEST(ProgressOnATerminal, DrawsABarThatRedrawsInPlace) {
  TempDir dir;
  TinyImages().write_idx(dir / "tiny.idx");
  int code = -1;
  const std::string text =
      run_on_terminal({"fit", (dir / "tiny.idx").string(), "-k", "3", "-o", (dir / "out").string(),
                       "--max-iter", "40", "--tol", "0"},
                      code);
  ASSERT_EQ(code, 0) << text;
  EXPECT_NE(text.find("\r  ["), std::string::npos) << text;
  EXPECT_NE(text.find("40/40"), std::string::npos) << text;
  EXPECT_NE(text.find("elapsed"), std::string::npos) << text;
  EXPECT_NE(text.find("left"), std::string::npos) << text;
  EXPECT_EQ(text.find("iteration 10/40"), std::string::npos) << "plain lines on a terminal";
  // --quiet: no bar, only the summary.
  const std::string quiet = run_on_terminal({"fit", (dir / "tiny.idx").string(), "-k", "3", "-o",
                                             (dir / "q").string(), "--max-iter", "5", "-q"},
                                            code);
  ASSERT_EQ(code, 0) << quiet;
  EXPECT_EQ(quiet.find('['), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("relative error"), std::string::npos) << quiet;
}

}  // namespace
}  // namespace nmfkit::cli_test
