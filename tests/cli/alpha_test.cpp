// --alpha and --background: image folders with transparent pixels. What is invisible must not be
// fitted: with composite and mask the colours stored under transparent pixels cannot change a bit
// of W or H; with ignore they are data. Bad values: one line, exit 2, no output.
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "cli/image_files.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kUsage = 2;

class AlphaTest : public CliTest {
 protected:
  static constexpr int kSide = 12;
  static constexpr int kImages = 30;
  fs::path out_ = dir_ / "out";

  /// kImages RGBA images mixing three coloured shapes; outside them alpha is 0 and the stored
  /// colour is random, drawn from `hidden_seed` (the visible pixels do not depend on it). The
  /// top-left pixel is transparent in every image, and every other pixel is visible in some.
  fs::path icons(const std::string& name, std::uint32_t hidden_seed) {
    const fs::path folder = dir_ / name;
    fs::create_directories(folder);
    std::mt19937 visible(7), hidden(hidden_seed);
    std::uniform_int_distribution<int> byte(0, 255);
    const auto masks = shape_masks(kSide, 3);
    const std::uint8_t colours[3][3] = {{220, 40, 40}, {40, 200, 60}, {50, 70, 230}};
    for (int n = 0; n < kImages; ++n) {
      std::vector<std::uint8_t> px(static_cast<std::size_t>(kSide * kSide * 4));
      const int a = n % 3, b = (n + 1 + n / 3) % 3;
      for (int p = 0; p < kSide * kSide; ++p) {
        std::uint8_t* q = px.data() + static_cast<std::size_t>(p) * 4;
        const bool on =
            p != 0 && (masks[static_cast<std::size_t>(a)][static_cast<std::size_t>(p)] > 0 ||
                       masks[static_cast<std::size_t>(b)][static_cast<std::size_t>(p)] > 0 ||
                       (p + n) % 11 == 0);
        const int level = 120 + static_cast<int>(visible() % 100);
        for (int c = 0; c < 3; ++c)
          q[c] = on ? static_cast<std::uint8_t>(colours[a][c] * level / 255)
                    : static_cast<std::uint8_t>(byte(hidden));
        q[3] = on ? static_cast<std::uint8_t>(n % 4 == 0 ? 180 : 255) : 0;
      }
      write_png_file(folder / ("icon" + std::to_string(100 + n) + ".png"), kSide, kSide, 4, px);
    }
    return folder;
  }

  RunResult fit_icons(const fs::path& folder, const fs::path& out,
                      const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"fit", folder.string(), "-k",      "3",
                                     "-o",  out.string(),    "--color", "rgb",
                                     "-q",  "--threads",     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }

  /// Whether the fits of two folders that differ only under transparent pixels give the same
  /// W and H bytes with these options.
  bool same_factors(const std::vector<std::string>& options, const std::string& tag) {
    const fs::path a = icons("a" + tag, 1), b = icons("b" + tag, 2);
    const RunResult ra = fit_icons(a, dir_ / ("fa" + tag), options);
    const RunResult rb = fit_icons(b, dir_ / ("fb" + tag), options);
    EXPECT_EQ(ra.code, 0) << ra;
    EXPECT_EQ(rb.code, 0) << rb;
    return read_file(dir_ / ("fa" + tag) / "W.npy") == read_file(dir_ / ("fb" + tag) / "W.npy") &&
           read_file(dir_ / ("fa" + tag) / "H.npy") == read_file(dir_ / ("fb" + tag) / "H.npy");
  }
};

TEST_F(AlphaTest, CompositeIgnoresTheColourUnderTransparentPixels) {
  EXPECT_TRUE(same_factors({}, "c"));  // the default
  EXPECT_TRUE(same_factors({"--background", "white"}, "w"));
  EXPECT_TRUE(same_factors({"--size", "9x9"}, "r"));  // resized with premultiplied alpha
  const nlohmann::json s = read_summary(dir_ / "fac");
  EXPECT_EQ(s["alpha"], "composite");
  EXPECT_EQ(s["background"], "black");
  EXPECT_NE(read_file(dir_ / "fac" / "report.html").find("composite"), std::string::npos);
}

TEST_F(AlphaTest, MaskIgnoresTheColourUnderTransparentPixels) {
  EXPECT_TRUE(same_factors({"--alpha", "mask"}, "m"));
  EXPECT_TRUE(same_factors({"--alpha", "mask", "--size", "9x9"}, "mr"));
  const nlohmann::json s = read_summary(dir_ / "fam");
  EXPECT_EQ(s["alpha"], "mask");
  EXPECT_GT(s["transparent_entries"].get<int>(), 0);
  EXPECT_GT(s["missing_entries"].get<int>(), 0);
  // The always-transparent top-left pixel is taken as black, not missing: every pixel fitted.
  EXPECT_LT(s["missing_entries"].get<int>(), s["transparent_entries"].get<int>());
}

TEST_F(AlphaTest, IgnoreFitsTheColourUnderTransparentPixels) {
  EXPECT_FALSE(same_factors({"--alpha", "ignore"}, "i"));
}

TEST_F(AlphaTest, MaskAndCompositeDiffer) {
  const fs::path a = icons("a", 1);
  ASSERT_EQ(fit_icons(a, dir_ / "m", {"--alpha", "mask"}).code, 0);
  ASSERT_EQ(fit_icons(a, dir_ / "c", {"--alpha", "composite"}).code, 0);
  EXPECT_NE(read_file(dir_ / "m" / "H.npy"), read_file(dir_ / "c" / "H.npy"));
  // render draws the masked fit again, transparent pixels as missing.
  const RunResult r = run_cli({"render", (dir_ / "m").string(), "-q"});
  EXPECT_EQ(r.code, 0) << r;
}

TEST_F(AlphaTest, NpyImagesWithAnAlphaChannel) {
  // The icons as an n x h x w x 4 uint8 NPY: its last channel is alpha when --alpha says so.
  auto npy = [&](std::uint32_t hidden_seed, const std::string& name) {
    const fs::path folder = icons("npy" + name, hidden_seed);
    std::vector<std::uint8_t> all;
    for (int n = 0; n < kImages; ++n) {
      const fs::path png = folder / ("icon" + std::to_string(100 + n) + ".png");
      png_image image{};
      image.version = PNG_IMAGE_VERSION;
      EXPECT_NE(png_image_begin_read_from_file(&image, png.c_str()), 0);
      image.format = PNG_FORMAT_RGBA;
      std::vector<std::uint8_t> px(PNG_IMAGE_SIZE(image));
      EXPECT_NE(png_image_finish_read(&image, nullptr, px.data(), 0, nullptr), 0);
      all.insert(all.end(), px.begin(), px.end());
    }
    const fs::path path = dir_ / (name + ".npy");
    const std::int64_t shape[] = {kImages, kSide, kSide, 4};
    io::write_npy(path.string(), all.data(), shape);
    return path;
  };
  const fs::path a = npy(1, "a"), b = npy(2, "b");
  for (const std::string mode : {"composite", "mask"}) {
    for (const auto& [path, tag] : {std::pair{a, "a"}, std::pair{b, "b"}}) {
      const RunResult r = run_cli({"fit", path.string(), "-k", "3", "-o",
                                   (dir_ / (mode + tag)).string(), "-q", "--alpha", mode});
      ASSERT_EQ(r.code, 0) << r;
    }
    EXPECT_EQ(read_file(dir_ / (mode + "a") / "H.npy"), read_file(dir_ / (mode + "b") / "H.npy"))
        << mode;
    const nlohmann::json s = read_summary(dir_ / (mode + "a"));
    EXPECT_EQ(s["alpha"], mode);
    EXPECT_EQ(s["image_shape"], (std::vector<int>{kSide, kSide, 3}));
  }
  // Without --alpha the file is read as before: four values per pixel, colours and all.
  ASSERT_EQ(run_cli({"fit", a.string(), "-k", "3", "-o", (dir_ / "plain").string(), "-q"}).code, 0);
  EXPECT_EQ(read_summary(dir_ / "plain")["shape"][1], kSide * kSide * 4);
  // Refused: a float NPY, an NPY without an alpha channel, --background without --alpha.
  std::vector<float> f(static_cast<std::size_t>(2 * 4 * 4 * 4), 0.5f);
  const fs::path floats = dir_ / "f.npy";
  write_npy_f32(floats, f, {2, 4, 4, 4});
  expect_error(run_cli({"fit", floats.string(), "-k", "1", "-o", out_.string(), "--alpha", "mask"}),
               kUsage, {"uint8"});
  expect_error(run_cli({"fit", idx_.string(), "-k", "1", "-o", out_.string(), "--alpha", "mask"}),
               kUsage, {"--alpha"});
  expect_error(
      run_cli({"fit", a.string(), "-k", "1", "-o", out_.string(), "--background", "white"}), kUsage,
      {"--background", "--alpha composite"});
  expect_no_output(out_);
}

TEST_F(AlphaTest, BadAlphaOrBackground) {
  const fs::path a = icons("a", 1);
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--alpha", "blend"},
                                             {"--background", "purple-ish"},
                                             {"--background", "#12345"},
                                             {"--background", "1,2"},
                                             {"--background", "1,2,300"},
                                             {"--alpha", "mask", "--background", "white"}}) {
    const RunResult r = fit_icons(a, out_, bad);
    expect_error(r, kUsage, {bad.back()});
    expect_no_output(out_);
  }
  const RunResult file =
      run_cli({"fit", idx_.string(), "-k", "2", "-o", out_.string(), "--alpha", "mask"});
  expect_error(file, kUsage, {"--alpha", "image folders"});
  expect_no_output(out_);
}

}  // namespace
}  // namespace nmfkit::cli_test
