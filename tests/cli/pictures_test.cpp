// The pictures and report of `nmfkit fit`, `nmfkit render`, --sort usage, --labels, --cmap,
// --log-json and the progress output when stderr is not a terminal.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

class PicturesTest : public CliTest {
 protected:
  fs::path out_ = dir_ / "out";
};

TEST_F(PicturesTest, FitWritesEveryPictureAndASelfContainedReport) {
  const RunResult r = fit(idx_, 3, out_, {"--max-iter", "30"});
  ASSERT_EQ(r.code, 0) << r;
  for (const char* name : {"components.png", "reconstructions.png", "top-examples.png"}) {
    const PngImage png = read_png(out_ / name);
    EXPECT_EQ(png.error, "") << name;
  }
  // 8 samples over 2 rows of 8 × 8 tiles at scale 14 (112 pixels), 2-pixel gaps.
  const PngImage rec = read_png(out_ / "reconstructions.png");
  EXPECT_EQ(rec.width, 8u * 112 + 9 * 2);
  EXPECT_EQ(rec.height, 2u * 112 + 3 * 2);
  // One row per component: the component and 8 examples.
  const PngImage top = read_png(out_ / "top-examples.png");
  EXPECT_EQ(top.width, 9u * 112 + 10 * 2);
  EXPECT_EQ(top.height, 3u * 112 + 4 * 2);

  const std::string svg = read_file(out_ / "loss.svg");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find(">seconds<"), std::string::npos);

  const std::string html = read_file(out_ / "report.html");
  std::size_t images = 0;
  for (std::size_t p = html.find("<img "); p != std::string::npos; p = html.find("<img ", p + 1))
    ++images;
  EXPECT_EQ(images, 4u);
  EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo"), std::string::npos);  // PNG signature
  EXPECT_NE(html.find("data:image/svg+xml;base64,"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  const nlohmann::json s = read_summary(out_);
  const std::string command = s["command_line"];
  EXPECT_NE(html.find(command), std::string::npos) << command;  // no quotes to escape here
  EXPECT_NE(html.find("relative error"), std::string::npos);
  // One time per history entry (initialisation included), increasing.
  ASSERT_EQ(s["history_seconds"].size(), s["loss_history"].size());
  for (std::size_t i = 1; i < s["history_seconds"].size(); ++i)
    EXPECT_GE(s["history_seconds"][i].get<double>(), s["history_seconds"][i - 1].get<double>());
  for (const char* f : {"reconstructions.png", "top-examples.png", "loss.svg", "report.html"})
    EXPECT_NE(std::find(s["files"].begin(), s["files"].end(), f), s["files"].end()) << f;
  EXPECT_NE(r.out.find("report.html"), std::string::npos) << r;
}

TEST_F(PicturesTest, TheReportedCommandReproducesTheRun) {
  const RunResult a = fit(idx_, 3, out_, {"--max-iter", "12", "--seed", "7", "--init", "random"});
  ASSERT_EQ(a.code, 0) << a;
  const std::string command = read_summary(out_)["command_line"];
  ASSERT_EQ(command.rfind("nmfkit fit ", 0), 0u);
  // Run the same words with another output folder.
  const std::string again = shell_quote(NMFKIT_CLI_PATH) + command.substr(6);
  const fs::path out2 = dir_ / "again";
  const std::string line =
      again.substr(0, again.find(" -o ")) + " -o " + shell_quote(out2.string()) +
      again.substr(again.find(" ", again.find(" -o ") + 4)) + " -q >/dev/null 2>&1";
  ASSERT_EQ(exit_code(std::system(line.c_str())), 0) << line;
  EXPECT_EQ(read_file(out_ / "H.npy"), read_file(out2 / "H.npy"));
}

TEST_F(PicturesTest, SortUsageOrdersComponentsByTotalActivation) {
  const RunResult r = fit(idx_, 3, out_, {"--max-iter", "30", "--sort", "usage"});
  ASSERT_EQ(r.code, 0) << r;
  const NpyMatrix w = read_npy_f32(out_ / "W.npy"), h = read_npy_f32(out_ / "H.npy");
  std::vector<double> usage(3, 0.0);
  for (int j = 0; j < 3; ++j) {
    double ws = 0, hs = 0;
    for (int i = 0; i < TinyImages::kSamples; ++i)
      ws += w.values[static_cast<std::size_t>(i * 3 + j)];
    for (int p = 0; p < TinyImages::kFeatures; ++p)
      hs += h.values[static_cast<std::size_t>(j * TinyImages::kFeatures + p)];
    usage[static_cast<std::size_t>(j)] = ws * hs;
  }
  EXPECT_GE(usage[0], usage[1]);
  EXPECT_GE(usage[1], usage[2]);
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["sort"], "usage");
  for (int j = 0; j < 3; ++j)
    EXPECT_NEAR(s["component_usage"][j].get<double>(), usage[static_cast<std::size_t>(j)],
                1e-3 * usage[0]);
  // Unsorted, the same components come in the fitted order: the same set of rows.
  const RunResult u = fit(idx_, 3, dir_ / "unsorted", {"--max-iter", "30"});
  ASSERT_EQ(u.code, 0) << u;
  const NpyMatrix hu = read_npy_f32(dir_ / "unsorted" / "H.npy");
  std::vector<std::vector<float>> a, b;
  for (int j = 0; j < 3; ++j) {
    const auto first = static_cast<std::ptrdiff_t>(j * TinyImages::kFeatures);
    a.emplace_back(h.values.begin() + first, h.values.begin() + first + TinyImages::kFeatures);
    b.emplace_back(hu.values.begin() + first, hu.values.begin() + first + TinyImages::kFeatures);
  }
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST_F(PicturesTest, CmapAndLabelsChangeThePicture) {
  ASSERT_EQ(fit(idx_, 3, out_, {"--max-iter", "5"}).code, 0);
  const std::string viridis = read_file(out_ / "components.png");
  for (const char* cmap : {"magma", "inferno", "plasma", "cividis", "gray"}) {
    const fs::path o = dir_ / cmap;
    ASSERT_EQ(fit(idx_, 3, o, {"--max-iter", "5", "--cmap", cmap}).code, 0) << cmap;
    EXPECT_NE(read_file(o / "components.png"), viridis) << cmap;
  }
  const fs::path labelled = dir_ / "labelled";
  ASSERT_EQ(fit(idx_, 3, labelled, {"--max-iter", "5", "--labels"}).code, 0);
  EXPECT_NE(read_file(labelled / "components.png"), viridis);
  EXPECT_EQ(read_file(labelled / "H.npy"), read_file(out_ / "H.npy"));
}

TEST_F(PicturesTest, RenderRedrawsWithoutRefitting) {
  ASSERT_EQ(fit(idx_, 3, out_, {"--max-iter", "10"}).code, 0);
  const std::string h = read_file(out_ / "H.npy");
  const std::string components = read_file(out_ / "components.png");
  const std::string reconstructions = read_file(out_ / "reconstructions.png");
  for (const char* f :
       {"components.png", "reconstructions.png", "top-examples.png", "loss.svg", "report.html"})
    fs::remove(out_ / f);
  const RunResult r = run_cli({"render", out_.string()});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_file(out_ / "components.png"), components);
  EXPECT_EQ(read_file(out_ / "reconstructions.png"), reconstructions);
  EXPECT_TRUE(fs::exists(out_ / "top-examples.png"));
  EXPECT_TRUE(fs::exists(out_ / "loss.svg"));
  EXPECT_NE(read_file(out_ / "report.html").find("<img "), std::string::npos);
  EXPECT_EQ(read_file(out_ / "H.npy"), h);
  const RunResult m = run_cli({"render", out_.string(), "--cmap", "magma"});
  ASSERT_EQ(m.code, 0) << m;
  EXPECT_NE(read_file(out_ / "components.png"), components);
  EXPECT_EQ(read_summary(out_)["cmap"], "magma");
}

TEST_F(PicturesTest, RenderErrors) {
  expect_error(run_cli({"render", (dir_ / "nothing").string()}), 1, {"summary.json"});
  ASSERT_EQ(fit(idx_, 3, out_, {"--max-iter", "3"}).code, 0);
  expect_error(run_cli({"render", out_.string(), "--cmap", "jet"}), 2, {"jet"});
  fs::remove(idx_);
  expect_error(run_cli({"render", out_.string()}), 1, {idx_.string()});
}

TEST_F(PicturesTest, LogJsonWritesOneObjectPerIteration) {
  const fs::path log = dir_ / "log.jsonl";
  const RunResult r =
      fit(idx_, 3, out_, {"--max-iter", "7", "--tol", "0", "--log-json", log.string()});
  ASSERT_EQ(r.code, 0) << r;
  const std::vector<std::string> lines = split_lines(read_file(log));
  ASSERT_EQ(lines.size(), 7u);
  const std::vector<double> history = read_summary(out_)["loss_history"];
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(j["iteration"], static_cast<int>(i) + 1);
    EXPECT_EQ(j["max_iter"], 7);
    for (const char* key : {"loss", "error", "relative_error", "seconds"})
      EXPECT_TRUE(j.contains(key)) << key;
    EXPECT_NEAR(j["loss"].get<double>(), history[i + 1], 1e-6 * history[0]);
    // The iteration's profile: non-negative times that add up to no more than the wall time.
    ASSERT_TRUE(j.contains("profile"));
    double profiled = 0;
    for (const char* part : {"products", "grams", "updates", "loss", "fused"}) {
      ASSERT_TRUE(j["profile"].contains(part)) << part;
      EXPECT_GE(j["profile"][part].get<double>(), 0.0) << part;
      profiled += j["profile"][part].get<double>();
    }
    EXPECT_EQ(j["profile"].contains("init"), i == 0);
    EXPECT_LE(profiled, j["seconds"].get<double>());
  }
  // To stdout: stdout holds only the JSON lines; the summary moves to stderr.
  const RunResult s =
      fit(idx_, 3, dir_ / "o2", {"--max-iter", "4", "--tol", "0", "--log-json", "-"});
  ASSERT_EQ(s.code, 0) << s;
  const std::vector<std::string> out_lines = split_lines(s.out);
  ASSERT_EQ(out_lines.size(), 4u) << s;
  for (const std::string& l : out_lines) EXPECT_TRUE(nlohmann::json::accept(l)) << l;
  EXPECT_NE(s.err.find("relative error"), std::string::npos) << s;
  // A log file that cannot be created is a data error and leaves no output.
  expect_error(fit(idx_, 3, dir_ / "o3", {"--log-json", (dir_ / "no" / "such" / "log").string()}),
               1, {"--log-json"});
  expect_no_output(dir_ / "o3");
}

TEST_F(PicturesTest, WithoutATerminalProgressIsPlainLines) {
  const RunResult r = fit(idx_, 3, out_, {"--max-iter", "25", "--tol", "0"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << "a bar was drawn into a file";
  EXPECT_EQ(r.err.find("\x1b["), std::string::npos);
  const std::vector<std::string> lines = split_lines(r.err);
  ASSERT_EQ(lines.size(), 4u) << r;  // heading, iterations 1, 10 and 20
  EXPECT_NE(lines[1].find("iteration 1/25"), std::string::npos);
  EXPECT_NE(lines[2].find("iteration 10/25"), std::string::npos);
  EXPECT_NE(lines[3].find("iteration 20/25"), std::string::npos);
  const RunResult q = fit(idx_, 3, dir_ / "q", {"--max-iter", "25", "-q"});
  EXPECT_EQ(q.err, "") << q;
}

}  // namespace
}  // namespace nmfkit::cli_test
