// --classes: class labels from files, from an IDX file's companion label file and from image
// sub-folders; the class × component matrix in summary.json, classes.png and the report; render
// and transform; and the bad inputs.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "cli/image_files.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kSide = 8;
constexpr int kPixels = kSide * kSide;
constexpr int kParts = 4;
constexpr int kClasses = 3;
constexpr int kPerClass = 40;
constexpr int kSamples = kClasses * kPerClass;

// The parts: the four 4 × 4 quadrants of an 8 × 8 image.
bool in_part(int part, int pixel) {
  const int y = pixel / kSide, x = pixel % kSide;
  return (y < 4) == (part < 2) && (x < 4) == (part % 2 == 0);
}

// Which parts each class is built from.
const std::vector<std::vector<int>> kClassParts = {{0, 1}, {2}, {1, 3}};

// Samples of class c (sample i has class i / kPerClass) made of the class's parts only, with
// random weights (kSamples × kParts).
struct Synthetic {
  std::vector<float> x;        // kSamples × kPixels
  std::vector<double> weight;  // kSamples × kParts
  std::vector<int> label;      // one per sample
};

Synthetic make_synthetic() {
  Synthetic s;
  s.x.assign(static_cast<std::size_t>(kSamples) * kPixels, 0.0f);
  s.weight.assign(static_cast<std::size_t>(kSamples) * kParts, 0.0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.2, 1.0);
  std::uniform_int_distribution<int> drop(0, 3);
  // Class labels 10, 20, 30 (not 0..2): classes are the distinct values, in order.
  for (int i = 0; i < kSamples; ++i) {
    const int c = i / kPerClass;
    s.label.push_back(10 * (c + 1));
    const std::vector<int>& parts = kClassParts[static_cast<std::size_t>(c)];
    // A sample of a two-part class sometimes shows one part alone: the parts are then the only
    // non-negative factorization (with both always present, a part could absorb some of the other).
    const int alone = parts.size() > 1 && drop(rng) == 0 ? 1 + drop(rng) % 2 : 0;
    for (std::size_t e = 0; e < parts.size(); ++e) {
      const int p = parts[e];
      if (alone != 0 && static_cast<int>(e) != alone - 1) continue;
      const double w = u(rng);
      s.weight[static_cast<std::size_t>(i * kParts + p)] = w;
      for (int q = 0; q < kPixels; ++q)
        if (in_part(p, q)) s.x[static_cast<std::size_t>(i * kPixels + q)] += static_cast<float>(w);
    }
  }
  return s;
}

std::string labels_csv(const std::vector<int>& labels, std::size_t count) {
  std::string text = "label\n";
  for (std::size_t i = 0; i < count; ++i) text += std::to_string(labels[i]) + "\n";
  return text;
}

class ClassesTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    data_ = make_synthetic();
    write_npy_f32(npy_, data_.x, {kSamples, kSide, kSide});
    write_file(csv_, labels_csv(data_.label, data_.label.size()));
  }

  Synthetic data_;
  fs::path npy_ = dir_ / "parts.npy";
  fs::path csv_ = dir_ / "labels.csv";
  fs::path out_ = dir_ / "out";
};

TEST_F(ClassesTest, TheMatrixRecoversWhichPartsEachClassIsBuiltFrom) {
  const RunResult r =
      fit(npy_, kParts, out_, {"--classes", csv_.string(), "--max-iter", "1000", "--tol", "1e-9"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("classes.png (3 classes"), std::string::npos) << r;
  const nlohmann::json s = read_summary(out_);
  ASSERT_TRUE(s.contains("classes")) << s.dump();
  const nlohmann::json& c = s["classes"];
  EXPECT_EQ(c["names"], nlohmann::json({"10", "20", "30"}));
  EXPECT_EQ(c["counts"], nlohmann::json({kPerClass, kPerClass, kPerClass}));

  // Match each fitted component to the part holding most of its mass.
  const NpyMatrix h = read_npy_f32(out_ / "H.npy");
  ASSERT_EQ(h.shape, (std::vector<std::int64_t>{kParts, kPixels}));
  std::vector<int> part_of(kParts);
  for (int j = 0; j < kParts; ++j) {
    double best = -1;
    for (int p = 0; p < kParts; ++p) {
      double mass = 0;
      for (int q = 0; q < kPixels; ++q)
        if (in_part(p, q)) mass += h.values[static_cast<std::size_t>(j * kPixels + q)];
      if (mass > best) {
        best = mass;
        part_of[static_cast<std::size_t>(j)] = p;
      }
    }
  }
  std::vector<int> sorted = part_of;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_EQ(sorted, (std::vector<int>{0, 1, 2, 3})) << "every part is found once";

  // The construction's matrix: the parts have equal areas, so a class's share of a part is its
  // mean weight of the part over the sum of its mean weights.
  for (int cls = 0; cls < kClasses; ++cls) {
    std::vector<double> mean(kParts, 0.0);
    double row = 0;
    for (int i = cls * kPerClass; i < (cls + 1) * kPerClass; ++i)
      for (int p = 0; p < kParts; ++p)
        mean[static_cast<std::size_t>(p)] += data_.weight[i * kParts + p];
    for (double m : mean) row += m;
    for (int j = 0; j < kParts; ++j) {
      const double expected =
          mean[static_cast<std::size_t>(part_of[static_cast<std::size_t>(j)])] / row;
      EXPECT_NEAR(c["matrix"][cls][j].get<double>(), expected, 0.01)
          << "class " << cls << ", component " << j << " (part " << part_of[j] << ")";
    }
    // Its top parts are exactly the parts it was built from.
    std::vector<int> top;
    for (const auto& j : c["top_parts"][cls]) top.push_back(part_of[j.get<std::size_t>()]);
    std::sort(top.begin(), top.end());
    EXPECT_EQ(top, kClassParts[static_cast<std::size_t>(cls)]) << "class " << cls;
  }
  // Parts 0 and 2 belong to one class each; 1 and 3 too, but part 1 is shared by classes 10
  // and 30.
  for (int j = 0; j < kParts; ++j) {
    const nlohmann::json& comp = c["components"][j];
    const int part = part_of[static_cast<std::size_t>(j)];
    if (part == 1) {
      EXPECT_LT(comp["share"].get<double>(), 0.9);
      EXPECT_GT(comp["share"].get<double>(), 0.1);
    } else {
      EXPECT_EQ(comp["top_class"], part == 0 ? "10" : part == 2 ? "20" : "30");
      EXPECT_GT(comp["share"].get<double>(), 0.99);
    }
  }
  EXPECT_GT(c["purity"].get<double>(), 0.6);
  EXPECT_LT(c["purity"].get<double>(), 0.95);

  const PngImage png = read_png(out_ / "classes.png");
  EXPECT_EQ(png.error, "");
  EXPECT_NE(std::find(s["files"].begin(), s["files"].end(), "classes.png"), s["files"].end());
  const std::string html = read_file(out_ / "report.html");
  EXPECT_NE(html.find("<h2>Classes</h2>"), std::string::npos);
  EXPECT_NE(html.find("<table class=\"matrix\">"), std::string::npos);
  EXPECT_NE(html.find("30 (40)"), std::string::npos);
  EXPECT_NE(html.find("purity"), std::string::npos);
}

TEST_F(ClassesTest, WithoutLabelsNothingChanges) {
  ASSERT_EQ(fit(npy_, 3, out_, {"--max-iter", "20"}).code, 0);
  const nlohmann::json s = read_summary(out_);
  EXPECT_FALSE(s.contains("classes"));
  EXPECT_FALSE(fs::exists(out_ / "classes.png"));
  EXPECT_EQ(read_file(out_ / "report.html").find("<h2>Classes</h2>"), std::string::npos);
}

TEST_F(ClassesTest, AnIdxImageFilesLabelFileIsFoundBesideIt) {
  const fs::path images = dir_ / "train-images-idx3-ubyte";
  images_.write_idx(images);
  std::vector<std::uint8_t> labels(TinyImages::kSamples);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::uint8_t>(i % 3);
  write_idx_u8(dir_ / "train-labels-idx1-ubyte", {TinyImages::kSamples}, labels);
  ASSERT_EQ(fit(images, 3, out_, {"--max-iter", "20"}).code, 0);
  const nlohmann::json s = read_summary(out_);
  ASSERT_TRUE(s.contains("classes"));
  EXPECT_EQ(s["classes"]["spec"], "auto");
  EXPECT_EQ(fs::path(s["classes"]["source"].get<std::string>()).filename(),
            "train-labels-idx1-ubyte");
  EXPECT_EQ(s["classes"]["counts"], nlohmann::json({20, 20, 20}));
  EXPECT_TRUE(fs::exists(out_ / "classes.png"));

  // --classes none turns it off, and a fit over it removes the earlier classes.png.
  const RunResult none = fit(images, 3, out_, {"--max-iter", "20", "--classes", "none"});
  ASSERT_EQ(none.code, 0) << none;
  EXPECT_FALSE(read_summary(out_).contains("classes"));
  EXPECT_FALSE(fs::exists(out_ / "classes.png"));
  EXPECT_NE(read_summary(out_)["command_line"].get<std::string>().find("--classes none"),
            std::string::npos);
}

TEST_F(ClassesTest, LimitUsesTheFirstSamplesLabels) {
  const RunResult r =
      fit(npy_, 2, out_, {"--classes", csv_.string(), "--limit", "50", "--max-iter", "20"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_summary(out_)["classes"]["counts"], nlohmann::json({40, 10}));
}

TEST_F(ClassesTest, NpyAndIdxLabelFilesAreRead) {
  std::vector<float> as_float(data_.label.begin(), data_.label.end());
  write_npy_f32(dir_ / "labels.npy", as_float, {kSamples});
  ASSERT_EQ(
      fit(npy_, 2, out_, {"--classes", (dir_ / "labels.npy").string(), "--max-iter", "20"}).code,
      0);
  EXPECT_EQ(read_summary(out_)["classes"]["names"], nlohmann::json({"10", "20", "30"}));
  std::vector<std::uint8_t> bytes(data_.label.begin(), data_.label.end());
  write_idx_u8(dir_ / "labels.idx", {kSamples}, bytes);
  ASSERT_EQ(
      fit(npy_, 2, out_, {"--classes", (dir_ / "labels.idx").string(), "--max-iter", "20"}).code,
      0);
  EXPECT_EQ(read_summary(out_)["classes"]["counts"],
            nlohmann::json({kPerClass, kPerClass, kPerClass}));
}

TEST_F(ClassesTest, SubFoldersOfAnImageFolderAreItsClasses) {
  const fs::path folder = dir_ / "shapes";
  const auto masks = shape_masks(8, 2);
  const char* names[] = {"square", "disc"};
  for (int c = 0; c < 2; ++c) {
    fs::create_directories(folder / names[c]);
    for (int i = 0; i < 3 + c; ++i) {
      std::vector<std::uint8_t> pixels(64);
      for (std::size_t q = 0; q < 64; ++q)
        pixels[q] =
            static_cast<std::uint8_t>(masks[static_cast<std::size_t>(c)][q] * (100 + 40 * i));
      write_png_file(folder / names[c] / ("img" + std::to_string(i) + ".png"), 8, 8, 1, pixels);
    }
  }
  const RunResult r = fit(folder, 2, out_, {"--classes", "folders", "--max-iter", "30"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["classes"]["source"], "folders");
  EXPECT_EQ(s["classes"]["names"], nlohmann::json({"disc", "square"}));
  EXPECT_EQ(s["classes"]["counts"], nlohmann::json({4, 3}));
  EXPECT_TRUE(fs::exists(out_ / "classes.png"));

  // An image at the top level beside the class folders is refused before anything is written.
  const auto pixels = std::vector<std::uint8_t>(64, 50);
  write_png_file(folder / "stray.png", 8, 8, 1, pixels);
  const fs::path out2 = dir_ / "out2";
  expect_error(fit(folder, 2, out2, {"--classes", "folders"}), kData,
               {"top level", "stray.png", "sub-folder"});
  expect_no_output(out2);
}

TEST_F(ClassesTest, RenderAndTransformLabelToo) {
  ASSERT_EQ(fit(npy_, 3, out_, {"--classes", "none", "--max-iter", "30"}).code, 0);
  ASSERT_FALSE(fs::exists(out_ / "classes.png"));
  // render draws them for an existing fit, and keeps using them.
  RunResult r = run_cli({"render", out_.string(), "--classes", csv_.string()});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(out_ / "classes.png"));
  EXPECT_EQ(read_summary(out_)["classes"]["spec"], csv_.string());
  fs::remove(out_ / "classes.png");
  r = run_cli({"render", out_.string(), "-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_TRUE(fs::exists(out_ / "classes.png"));
  EXPECT_NE(read_file(out_ / "report.html").find("<h2>Classes</h2>"), std::string::npos);

  // transform: the new samples' classes against the model's components.
  const fs::path t = dir_ / "t";
  r = run_cli({"transform", "--model", out_.string(), npy_.string(), "-o", t.string(), "--classes",
               csv_.string()});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(t);
  ASSERT_TRUE(s.contains("classes"));
  EXPECT_EQ(s["classes"]["counts"], nlohmann::json({kPerClass, kPerClass, kPerClass}));
  EXPECT_EQ(read_png(t / "classes.png").error, "");
}

// Bad labels: one line, exit 1 (data) or 2 (usage), and nothing written.
TEST_F(ClassesTest, BadLabelsAreOneLineAndNoOutput) {
  const fs::path short_csv = dir_ / "short.csv";
  write_file(short_csv, labels_csv(data_.label, kSamples - 1));
  expect_error(fit(npy_, 2, out_, {"--classes", short_csv.string()}), kData,
               {"short.csv", "119 labels", "120 samples"});
  expect_no_output(out_);

  const fs::path half = dir_ / "half.csv";
  std::string text = labels_csv(data_.label, kSamples);
  text.replace(text.find("\n10\n") + 1, 2, "1.5");
  write_file(half, text);
  expect_error(fit(npy_, 2, out_, {"--classes", half.string()}), kData,
               {"half.csv", "1.5", "whole number"});
  expect_no_output(out_);

  const fs::path words = dir_ / "words.csv";
  write_file(words,
             "label\n" + std::string("cat\n") + labels_csv(data_.label, kSamples - 1).substr(6));
  expect_error(fit(npy_, 2, out_, {"--classes", words.string()}), kData, {"words.csv", "cat"});
  expect_no_output(out_);

  const fs::path wide = dir_ / "wide.npy";
  write_npy_f32(wide, std::vector<float>(2 * kSamples, 1.0f), {kSamples, 2});
  expect_error(fit(npy_, 2, out_, {"--classes", wide.string()}), kData, {"wide.npy", "one column"});
  expect_no_output(out_);

  expect_error(fit(npy_, 2, out_, {"--classes", (dir_ / "missing.csv").string()}), kData,
               {"missing.csv"});
  expect_no_output(out_);

  expect_error(fit(npy_, 2, out_, {"--classes", "folders"}), kUsage,
               {"--classes folders", "image folder"});
  expect_no_output(out_);

  std::vector<float> big(static_cast<std::size_t>(1200) * 4, 1.0f);
  write_npy_f32(dir_ / "big.npy", big, {1200, 4});
  std::string thousand = "label\n";
  for (int i = 0; i < 1200; ++i) thousand += std::to_string(i) + "\n";
  write_file(dir_ / "thousand.csv", thousand);
  expect_error(fit(dir_ / "big.npy", 2, out_, {"--classes", (dir_ / "thousand.csv").string()}),
               kData, {"1200 distinct labels", "at most 1000"});
  expect_no_output(out_);
}

}  // namespace
}  // namespace nmfkit::cli_test
