// The options of `nmfkit fit` that follow scikit-learn's NMF (loss, regularisation, shuffle,
// storage format, precision, custom start) and `nmfkit transform`: every flag changes something,
// model.json describes the fit, and every bad use gets its exit code and one error line with
// nothing written.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"

namespace nmfkit::cli_test {
namespace {

constexpr int kK = 3;
std::size_t zeros(const std::vector<float>& v) {
  return static_cast<std::size_t>(std::count(v.begin(), v.end(), 0.0f));
}

class FitOptionsTest : public CliTest {
 protected:
  // Fits the tiny images into dir_/name (5 iterations unless `extra` says otherwise, quiet);
  // returns the summary, or an empty object after failing the test.
  nlohmann::json fit_ok(const std::string& name, std::vector<std::string> extra,
                        const fs::path& input = {}) {
    if (std::find(extra.begin(), extra.end(), "--max-iter") == extra.end())
      extra.insert(extra.end(), {"--max-iter", "5"});
    extra.push_back("-q");
    const RunResult r = fit(input.empty() ? idx_ : input, kK, dir_ / name, extra);
    EXPECT_EQ(r.code, 0) << r;
    if (r.code != 0) return nlohmann::json::object();
    return read_summary(dir_ / name);
  }

  static RunResult transform(const fs::path& model, const fs::path& input, const fs::path& out,
                             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"transform",    "--model", model.string(),
                                     input.string(), "-o",      out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }

  // `nmfkit fit tiny.idx -k 3 -o OUT options...` fails with `code` and `words`, writing nothing.
  void expect_fit_error(const std::vector<std::string>& options, int code,
                        const std::vector<std::string>& words) {
    const fs::path out = dir_ / "failed";
    std::vector<std::string> args = {"fit", idx_.string(), "-k", std::to_string(kK),
                                     "-o",  out.string()};
    args.insert(args.end(), options.begin(), options.end());
    expect_error(run_cli(args), code, words);
    expect_no_output(out);
  }

  // `nmfkit transform --model MODEL INPUT -o OUT` fails with `code` and `words`, writing nothing.
  void expect_transform_error(const fs::path& model, const fs::path& input, int code,
                              const std::vector<std::string>& words) {
    const fs::path out = dir_ / "failed-transform";
    expect_error(transform(model, input, out), code, words);
    expect_no_output(out);
  }

  // W0 (60 × k) and H0 (k × 64) written as float32 NPY files, entries in [0.1, 0.6).
  void write_start(int w0_rows, int w0_cols, int h0_rows, int h0_cols) {
    std::vector<float> w0(static_cast<std::size_t>(w0_rows) * w0_cols);
    std::vector<float> h0(static_cast<std::size_t>(h0_rows) * h0_cols);
    for (std::size_t i = 0; i < w0.size(); ++i) w0[i] = 0.1f + static_cast<float>(i % 7) / 14.0f;
    for (std::size_t i = 0; i < h0.size(); ++i) h0[i] = 0.1f + static_cast<float>(i % 5) / 10.0f;
    write_npy_f32(w0_path_, w0, {w0_rows, w0_cols});
    write_npy_f32(h0_path_, h0, {h0_rows, h0_cols});
    w0_ = w0;
    h0_ = h0;
  }

  // ‖X − W·H‖² for the scaled tiny images and W (samples × kK), H (kK × features), in double.
  double squared_residual(const std::vector<float>& w, const std::vector<float>& h) const {
    const std::vector<float> x = images_.scaled();
    double s = 0;
    for (int i = 0; i < TinyImages::kSamples; ++i)
      for (int j = 0; j < TinyImages::kFeatures; ++j) {
        double wh = 0;
        for (int l = 0; l < kK; ++l)
          wh += double(w[static_cast<std::size_t>(i * kK + l)]) *
                double(h[static_cast<std::size_t>(l * TinyImages::kFeatures + j)]);
        const double d = double(x[static_cast<std::size_t>(i * TinyImages::kFeatures + j)]) - wh;
        s += d * d;
      }
    return s;
  }

  // ½‖X − W0·H0‖² for the scaled tiny images, in double.
  double start_objective() const { return 0.5 * squared_residual(w0_, h0_); }

  double x_squared_norm() const {
    double s = 0;
    for (float v : images_.scaled()) s += double(v) * double(v);
    return s;
  }

  // The tiny images scaled to [0, 1] as a float32 NPY, with entry `index` set to `value`.
  fs::path npy_with(const std::string& name, std::size_t index, float value) {
    std::vector<float> x = images_.scaled();
    x[index] = value;
    const fs::path path = dir_ / name;
    write_npy_f32(path, x, {TinyImages::kSamples, TinyImages::kFeatures});
    return path;
  }

  // The tiny images scaled to [0, 1] plus up to 0.2 of deterministic noise, as float32 NPY: no
  // longer of rank 3, so a k = 3 fit has a clear error.
  fs::path noisy() {
    const fs::path path = dir_ / "noisy.npy";
    if (fs::exists(path)) return path;
    std::vector<float> x = images_.scaled();
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] += 0.2f * static_cast<float>((i * 2654435761u) % 1000u) / 1000.0f;
    write_npy_f32(path, x, {TinyImages::kSamples, TinyImages::kFeatures});
    return path;
  }

  fs::path w0_path_ = dir_ / "W0.npy";
  fs::path h0_path_ = dir_ / "H0.npy";
  std::vector<float> w0_, h0_;
};

// ---- every new fit flag changes something ----

TEST_F(FitOptionsTest, DefaultsAreRecorded) {
  const nlohmann::json s = fit_ok("out", {});
  EXPECT_EQ(s["loss"], "frobenius");
  EXPECT_EQ(s["beta"], 2.0);
  EXPECT_EQ(s["alpha_w"], 0.0);
  EXPECT_EQ(s["alpha_h"], 0.0);
  EXPECT_EQ(s["l1_ratio"], 0.0);
  EXPECT_EQ(s["shuffle"], false);
  EXPECT_EQ(s["dtype"], "float32");
}

TEST_F(FitOptionsTest, KullbackLeiblerLoss) {
  const nlohmann::json s =
      fit_ok("kl", {"--solver", "mu", "--loss", "kullback-leibler", "--max-iter", "20"});
  fit_ok("frobenius", {"--solver", "mu", "--max-iter", "20"});
  EXPECT_EQ(s["loss"], "kullback-leibler");
  EXPECT_EQ(s["beta"], 1.0);
  EXPECT_EQ(s["format"], "dense");
  EXPECT_NE(read_file(dir_ / "kl" / "W.npy"), read_file(dir_ / "frobenius" / "W.npy"));
  const auto& history = s["loss_history"];
  ASSERT_EQ(history.size(), 21u);
  EXPECT_LT(history.back().get<double>(), history.front().get<double>());
}

TEST_F(FitOptionsTest, NumericLossIsBeta) {
  const nlohmann::json s = fit_ok("half", {"--solver", "mu", "--loss", "0.5"});
  EXPECT_EQ(s["beta"], 0.5);
  EXPECT_EQ(s["loss"], "0.5");
  const nlohmann::json two = fit_ok("two", {"--solver", "mu", "--loss", "2"});
  EXPECT_EQ(two["loss"], "frobenius");
  EXPECT_NE(read_file(dir_ / "half" / "W.npy"), read_file(dir_ / "two" / "W.npy"));
}

// mu's divergence (β ≠ 2) is formed only after the first, every 10th and the last iteration
// (null in between), unless --loss-every-iteration; the factors are the same either way, and
// render draws the curve of such a fit.
TEST_F(FitOptionsTest, MuFormsItsDivergenceWhereTheStoppingTestReadsIt) {
  const std::vector<std::string> fit25 = {"--loss", "0.5", "--max-iter", "25", "--tol", "0"};
  const nlohmann::json lazy = fit_ok("lazy", fit25);
  std::vector<std::string> every_args = fit25;
  every_args.push_back("--loss-every-iteration");
  const nlohmann::json every = fit_ok("every", every_args);
  EXPECT_EQ(lazy["solver"], "mu");
  EXPECT_EQ(lazy["loss_every_iteration"], false);
  EXPECT_EQ(every["loss_every_iteration"], true);
  EXPECT_NE(every["command_line"].get<std::string>().find("--loss-every-iteration"),
            std::string::npos);
  const auto& lh = lazy["loss_history"];
  const auto& eh = every["loss_history"];
  ASSERT_EQ(lh.size(), 26u);
  ASSERT_EQ(eh.size(), 26u);
  for (std::size_t i = 0; i < lh.size(); ++i) {
    const bool formed = i <= 1 || i % 10 == 0 || i == 25;
    EXPECT_EQ(lh[i].is_null(), !formed) << i;
    EXPECT_TRUE(eh[i].is_number()) << i;
    if (formed) {
      EXPECT_EQ(lh[i], eh[i]) << i;
    }
  }
  EXPECT_EQ(read_file(dir_ / "lazy" / "W.npy"), read_file(dir_ / "every" / "W.npy"));
  EXPECT_EQ(read_file(dir_ / "lazy" / "H.npy"), read_file(dir_ / "every" / "H.npy"));
  EXPECT_EQ(lazy["error"], every["error"]);
  // The Frobenius loss's mu forms its loss after every iteration (from the Gram matrices).
  const nlohmann::json two = fit_ok("two", {"--solver", "mu", "--max-iter", "12"});
  EXPECT_EQ(two["loss_every_iteration"], true);
  for (const auto& v : two["loss_history"]) EXPECT_TRUE(v.is_number());

  fs::remove(dir_ / "lazy" / "loss.svg");
  const RunResult r = run_cli({"render", (dir_ / "lazy").string(), "-q"});
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_NE(read_file(dir_ / "lazy" / "loss.svg").find("<polyline"), std::string::npos);
}

TEST_F(FitOptionsTest, LossEveryIterationIsRefusedWhereItWouldDoNothing) {
  expect_fit_error({"--loss-every-iteration"}, kUsage, {"--loss-every-iteration", "frobenius"});
  expect_fit_error({"--loss", "kullback-leibler", "--loss-every-iteration"}, kUsage,
                   {"--loss-every-iteration", "solver cd"});
  expect_fit_error({"--loss", "0.5", "--batch-size", "10", "--loss-every-iteration"}, kUsage,
                   {"--loss-every-iteration", "mini-batches"});
}

TEST_F(FitOptionsTest, SketchFitsTheProjectionAndReportsXsOwnError) {
  EXPECT_EQ(fit_ok("plain", {})["sketch"], 0);
  const nlohmann::json s = fit_ok("sketched", {"--sketch", "10", "--max-iter", "30"});
  EXPECT_EQ(s["sketch"], kK + 10) << "the sketch's columns: k + 10";
  EXPECT_NE(s["command_line"].get<std::string>().find("--sketch 10"), std::string::npos);
  const NpyMatrix w = read_npy_f32(dir_ / "sketched" / "W.npy");
  const NpyMatrix h = read_npy_f32(dir_ / "sketched" / "H.npy");
  EXPECT_NEAR(s["error"].get<double>(), std::sqrt(squared_residual(w.values, h.values)),
              1e-4 * std::sqrt(x_squared_norm()));
}

TEST_F(FitOptionsTest, L1RegularisationGivesMoreZerosInW) {
  fit_ok("plain", {"--max-iter", "50"});
  const nlohmann::json s =
      fit_ok("lasso", {"--alpha-w", "0.01", "--l1-ratio", "1", "--max-iter", "50"});
  EXPECT_EQ(s["alpha_w"], 0.01);
  EXPECT_EQ(s["alpha_h"], 0.01) << "alpha_h defaults to 'same'";
  EXPECT_EQ(s["l1_ratio"], 1.0);
  const NpyMatrix plain = read_npy_f32(dir_ / "plain" / "W.npy");
  const NpyMatrix lasso = read_npy_f32(dir_ / "lasso" / "W.npy");
  ASSERT_TRUE(plain.is_float32 && lasso.is_float32);
  EXPECT_GT(zeros(lasso.values), zeros(plain.values) + lasso.values.size() / 5)
      << zeros(plain.values) << " zeros without, " << zeros(lasso.values) << " with --alpha-w";
  EXPECT_LT(zeros(lasso.values), lasso.values.size()) << "W should not be all zero";
  // The recorded objective includes the penalty.
  const double objective = s["loss_history"].back().get<double>();
  const double error = s["error"].get<double>();
  EXPECT_GT(objective, 0.5 * error * error);
}

TEST_F(FitOptionsTest, StrongL1RegularisationRecordsItsValues) {
  const nlohmann::json s = fit_ok("strong", {"--alpha-w", "0.1", "--l1-ratio", "1"});
  fit_ok("plain", {});
  EXPECT_EQ(s["alpha_w"], 0.1);
  EXPECT_EQ(s["alpha_h"], 0.1);
  EXPECT_EQ(s["l1_ratio"], 1.0);
  EXPECT_GT(zeros(read_npy_f32(dir_ / "strong" / "W.npy").values),
            zeros(read_npy_f32(dir_ / "plain" / "W.npy").values));
}

TEST_F(FitOptionsTest, AlphaHZeroLeavesHUnpenalised) {
  const nlohmann::json zero = fit_ok("zero", {"--alpha-w", "0.1", "--alpha-h", "0"});
  const nlohmann::json same = fit_ok("same", {"--alpha-w", "0.1"});
  const nlohmann::json named = fit_ok("named", {"--alpha-w", "0.1", "--alpha-h", "same"});
  EXPECT_EQ(zero["alpha_w"], 0.1);
  EXPECT_EQ(zero["alpha_h"], 0.0);
  EXPECT_EQ(same["alpha_h"], 0.1);
  EXPECT_EQ(named["alpha_h"], 0.1);
  EXPECT_NE(read_file(dir_ / "zero" / "H.npy"), read_file(dir_ / "same" / "H.npy"));
  EXPECT_EQ(read_file(dir_ / "named" / "H.npy"), read_file(dir_ / "same" / "H.npy"));
}

TEST_F(FitOptionsTest, ShuffleChangesCoordinateDescent) {
  const nlohmann::json shuffled = fit_ok("shuffled", {"--solver", "cd", "--shuffle"});
  const nlohmann::json ordered = fit_ok("ordered", {"--solver", "cd"});
  EXPECT_EQ(shuffled["shuffle"], true);
  EXPECT_EQ(ordered["shuffle"], false);
  EXPECT_NE(read_file(dir_ / "shuffled" / "W.npy"), read_file(dir_ / "ordered" / "W.npy"));
  // The order is drawn from the seed: the same seed gives the same bytes.
  fit_ok("again", {"--solver", "cd", "--shuffle"});
  EXPECT_EQ(read_file(dir_ / "shuffled" / "W.npy"), read_file(dir_ / "again" / "W.npy"));
}

TEST_F(FitOptionsTest, FormatIsRecordedAndGivesTheSameFactors) {
  const nlohmann::json dense = fit_ok("dense", {"--format", "dense"});
  const nlohmann::json sparse = fit_ok("sparse", {"--format", "sparse"});
  EXPECT_EQ(dense["format"], "dense");
  EXPECT_EQ(sparse["format"], "sparse");
  const NpyMatrix w_dense = read_npy_f32(dir_ / "dense" / "W.npy");
  const NpyMatrix w_sparse = read_npy_f32(dir_ / "sparse" / "W.npy");
  ASSERT_EQ(w_dense.values.size(), w_sparse.values.size());
  float largest = 0;
  for (float v : w_dense.values) largest = std::max(largest, v);
  for (std::size_t i = 0; i < w_dense.values.size(); ++i)
    EXPECT_NEAR(w_dense.values[i], w_sparse.values[i], 1e-4 * largest) << i;
  // auto: the tiny images are under half zeros, so dense; a mostly-zero input is stored sparse.
  EXPECT_EQ(fit_ok("auto", {})["format"], "dense");
  std::vector<float> mostly_zero(static_cast<std::size_t>(TinyImages::kSamples) * 64, 0.0f);
  for (std::size_t i = 0; i < mostly_zero.size(); i += 3)
    mostly_zero[i] = 0.25f + static_cast<float>(i % 11) / 20.0f;
  const fs::path npy = dir_ / "sparse.npy";
  write_npy_f32(npy, mostly_zero, {TinyImages::kSamples, 64});
  EXPECT_EQ(fit_ok("auto-sparse", {}, npy)["format"], "sparse");
}

TEST_F(FitOptionsTest, Float64WritesFloat64Factors) {
  const nlohmann::json s = fit_ok("f64", {"--dtype", "float64"});
  fit_ok("f32", {});
  EXPECT_EQ(s["dtype"], "float64");
  for (const char* name : {"W.npy", "H.npy"}) {
    const io::Array a64 = io::read_npy((dir_ / "f64" / name).string());
    const io::Array a32 = io::read_npy((dir_ / "f32" / name).string());
    EXPECT_EQ(a64.dtype, io::DType::kFloat64) << name;
    EXPECT_EQ(a32.dtype, io::DType::kFloat32) << name;
    EXPECT_EQ(a64.shape, a32.shape) << name;
  }
  EXPECT_EQ(io::read_npy((dir_ / "f64" / "W.npy").string()).shape,
            (std::vector<std::int64_t>{TinyImages::kSamples, kK}));
  // Same fit, other precision: the errors agree to single precision.
  const double e64 = s["relative_error"].get<double>();
  const double e32 = read_summary(dir_ / "f32")["relative_error"].get<double>();
  EXPECT_NEAR(e64, e32, 1e-4);
}

TEST_F(FitOptionsTest, CustomInitStartsFromW0AndH0) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  const nlohmann::json s =
      fit_ok("custom", {"--init", "custom", "--w0", w0_path_.string(), "--h0", h0_path_.string()});
  EXPECT_EQ(s["init"], "custom");
  const double expected = start_objective();
  // The history's Gram trick in single precision is accurate to about 1e-6·‖X‖².
  EXPECT_NEAR(s["loss_history"][0].get<double>(), expected, 1e-5 * x_squared_norm());
  fit_ok("default", {});
  EXPECT_NE(read_file(dir_ / "custom" / "W.npy"), read_file(dir_ / "default" / "W.npy"));
}

TEST_F(FitOptionsTest, CustomInitInDoublePrecision) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  const nlohmann::json s = fit_ok("custom", {"--init", "custom", "--w0", w0_path_.string(), "--h0",
                                             h0_path_.string(), "--dtype", "float64"});
  const double expected = start_objective();
  EXPECT_NEAR(s["loss_history"][0].get<double>(), expected, 1e-6 * expected);
}

TEST_F(FitOptionsTest, ModelJsonDescribesTheFit) {
  fit_ok("out", {"--solver", "mu", "--loss", "kullback-leibler", "--alpha-w", "0.001"});
  const fs::path file = dir_ / "out" / "model.json";
  ASSERT_TRUE(fs::is_regular_file(file));
  const nlohmann::json m = nlohmann::json::parse(read_file(file));
  EXPECT_EQ(m["k"], kK);
  EXPECT_EQ(m["n_features"], TinyImages::kFeatures);
  EXPECT_EQ(m["image_shape"], nlohmann::json::array({TinyImages::kSide, TinyImages::kSide}));
  EXPECT_EQ(m["solver"], "mu");
  EXPECT_EQ(m["loss"], "kullback-leibler");
  EXPECT_EQ(m["beta"], 1.0);
  EXPECT_EQ(m["alpha_w"], 0.001);
  EXPECT_EQ(m["dtype"], "float32");
  const nlohmann::json s = read_summary(dir_ / "out");
  EXPECT_NE(std::find(s["files"].begin(), s["files"].end(), "model.json"), s["files"].end());
}

// ---- transform ----

TEST_F(FitOptionsTest, TransformOfTheTrainingDataMatchesTheFit) {
  // The tiny images are exactly of rank 3, so the fit's error is almost zero and transform's W,
  // the best one for H, may be relatively much better still: it must not be worse.
  const nlohmann::json f = fit_ok("model", {"--max-iter", "200"});
  const RunResult r = transform(dir_ / "model", idx_, dir_ / "t", {"-q"});
  ASSERT_EQ(r.code, 0) << r;
  const NpyMatrix w = read_npy_f32(dir_ / "t" / "W.npy");
  EXPECT_TRUE(w.is_float32);
  EXPECT_EQ(w.shape, (std::vector<std::int64_t>{TinyImages::kSamples, kK}));
  for (float v : w.values) EXPECT_GE(v, 0.0f);
  const nlohmann::json s = read_summary(dir_ / "t");
  EXPECT_EQ(s["command"], "transform");
  EXPECT_EQ(s["k"], kK);
  EXPECT_EQ(s["shape"], nlohmann::json::array({TinyImages::kSamples, TinyImages::kFeatures}));
  EXPECT_LE(s["relative_error"].get<double>(), 1.01 * f["relative_error"].get<double>() + 1e-6);
  EXPECT_FALSE(fs::exists(dir_ / "t" / "H.npy")) << "transform writes only W.npy and summary.json";
}

TEST_F(FitOptionsTest, TransformOfNoisyTrainingDataMatchesTheFit) {
  for (const char* solver : {"hals", "cd", "anls-bpp", "mu"}) {
    SCOPED_TRACE(solver);
    const std::string model = std::string("model-") + solver;
    const nlohmann::json f = fit_ok(model, {"--solver", solver, "--max-iter", "200"}, noisy());
    const RunResult r = transform(dir_ / model, noisy(), dir_ / ("t-" + std::string(solver)));
    ASSERT_EQ(r.code, 0) << r;
    const nlohmann::json s = read_summary(dir_ / ("t-" + std::string(solver)));
    EXPECT_EQ(s["solver"], solver);
    const double fit_error = f["relative_error"].get<double>();
    EXPECT_GT(fit_error, 0.05);
    EXPECT_NEAR(s["relative_error"].get<double>(), fit_error, 0.01 * fit_error);
  }
}

TEST_F(FitOptionsTest, TransformWithAKullbackLeiblerModel) {
  const nlohmann::json f = fit_ok(
      "model", {"--solver", "mu", "--loss", "kullback-leibler", "--max-iter", "200"}, noisy());
  const RunResult r = transform(dir_ / "model", noisy(), dir_ / "t", {"-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(dir_ / "t");
  EXPECT_EQ(s["loss"], "kullback-leibler");
  const double fit_error = f["relative_error"].get<double>();
  EXPECT_NEAR(s["relative_error"].get<double>(), fit_error, 0.01 * fit_error);
}

TEST_F(FitOptionsTest, TransformPrintsProgressUnlessQuiet) {
  fit_ok("model", {});
  const RunResult loud = transform(dir_ / "model", idx_, dir_ / "t1", {"--threads", "1"});
  ASSERT_EQ(loud.code, 0) << loud;
  EXPECT_NE(loud.err.find("iteration 1/"), std::string::npos) << loud;
  const RunResult quiet = transform(dir_ / "model", idx_, dir_ / "t2", {"-q", "--threads", "1"});
  ASSERT_EQ(quiet.code, 0) << quiet;
  EXPECT_EQ(quiet.err, "") << quiet;
  EXPECT_NE(quiet.out.find("transformed"), std::string::npos) << quiet;
  // --threads is recorded; --limit keeps the first samples.
  EXPECT_EQ(read_summary(dir_ / "t2")["threads"], 1);
  const RunResult limited = transform(dir_ / "model", idx_, dir_ / "t3", {"-q", "--limit", "7"});
  ASSERT_EQ(limited.code, 0) << limited;
  EXPECT_EQ(read_summary(dir_ / "t3")["shape"], nlohmann::json::array({7, TinyImages::kFeatures}));
}

TEST_F(FitOptionsTest, TransformWithAFloat64Model) {
  fit_ok("model", {"--dtype", "float64"});
  const RunResult r = transform(dir_ / "model", idx_, dir_ / "t", {"-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(io::read_npy((dir_ / "t" / "W.npy").string()).dtype, io::DType::kFloat64);
}

TEST_F(FitOptionsTest, TransformOfFewerSamplesThanComponents) {
  // One new image through a k = 3 model: scikit-learn's transform allows it, as it should.
  fit_ok("model", {});
  const RunResult r = transform(dir_ / "model", idx_, dir_ / "t", {"--limit", "1", "-q"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_npy_f32(dir_ / "t" / "W.npy").shape, (std::vector<std::int64_t>{1, kK}));
}

// ---- usage errors: exit 2 ----

TEST_F(FitOptionsTest, W0WithTheWrongShape) {
  write_start(TinyImages::kSamples, kK + 1, kK, TinyImages::kFeatures);
  expect_fit_error({"--init", "custom", "--w0", w0_path_.string(), "--h0", h0_path_.string()},
                   kUsage, {"W0", "60 x 3", "60 x 4"});
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures - 1);
  expect_fit_error({"--init", "custom", "--w0", w0_path_.string(), "--h0", h0_path_.string()},
                   kUsage, {"H0", "3 x 64", "3 x 63"});
}

TEST_F(FitOptionsTest, CustomInitWithoutW0OrH0) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  expect_fit_error({"--init", "custom"}, kUsage, {"custom", "--w0"});
  expect_fit_error({"--init", "custom", "--w0", w0_path_.string()}, kUsage, {"--h0"});
  expect_fit_error({"--init", "custom", "--h0", h0_path_.string()}, kUsage, {"--w0"});
}

TEST_F(FitOptionsTest, W0WithoutCustomInit) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  expect_fit_error({"--w0", w0_path_.string(), "--h0", h0_path_.string()}, kUsage,
                   {"--init custom"});
  expect_fit_error({"--init", "random", "--w0", w0_path_.string()}, kUsage, {"--init custom"});
}

TEST_F(FitOptionsTest, UnknownLoss) {
  expect_fit_error({"--solver", "mu", "--loss", "hinge"}, kUsage, {"loss", "hinge", "frobenius"});
  expect_fit_error({"--solver", "mu", "--loss", ""}, kUsage, {"loss"});
  expect_fit_error({"--solver", "mu", "--loss", "nan"}, kUsage, {"loss", "nan"});
}

TEST_F(FitOptionsTest, DefaultSolverFollowsTheLoss) {
  // hals (extrapolated) for frobenius; cd (extrapolated) for kullback-leibler; mu, the only rule
  // for the other losses, otherwise.
  const nlohmann::json frobenius = fit_ok("frobenius", {});
  EXPECT_EQ(frobenius["solver"], "hals");
  EXPECT_EQ(frobenius["extrapolate"], true);
  const nlohmann::json kl = fit_ok("kl", {"--loss", "kullback-leibler", "--max-iter", "5"});
  EXPECT_EQ(kl["solver"], "cd");
  EXPECT_EQ(kl["extrapolate"], true);
  const nlohmann::json kl_plain =
      fit_ok("kl-plain", {"--loss", "kullback-leibler", "--no-extrapolate", "--max-iter", "5"});
  EXPECT_EQ(kl_plain["extrapolate"], false);
  EXPECT_NE(kl["command_line"].get<std::string>().find("--solver cd"), std::string::npos);
  const nlohmann::json half = fit_ok("half", {"--loss", "0.5", "--max-iter", "5"});
  EXPECT_EQ(half["solver"], "mu");
}

TEST_F(FitOptionsTest, FrobeniusOnlySolverWithAnotherLoss) {
  expect_fit_error({"--solver", "cd", "--loss", "0.5"}, kUsage, {"cd", "0.5", "mu"});
  expect_fit_error({"--solver", "hals", "--loss", "kullback-leibler"}, kUsage, {"hals"});
  expect_fit_error({"--solver", "anls-bpp", "--loss", "0.5"}, kUsage, {"anls-bpp"});
}

TEST_F(FitOptionsTest, SparseFormatWithAnotherLoss) {
  // The losses other than Frobenius and Kullback-Leibler (which read X's stored entries) read X
  // through blocks of rows of whatever storage holds it (random init: NNDSVD's SVD reads the
  // products, which round differently in the two storages).
  const nlohmann::json sparse = fit_ok(
      "sparse", {"--solver", "mu", "--format", "sparse", "--loss", "0.5", "--init", "random"});
  const nlohmann::json dense =
      fit_ok("dense", {"--solver", "mu", "--format", "dense", "--loss", "0.5", "--init", "random"});
  EXPECT_EQ(sparse["format"], "sparse");
  EXPECT_EQ(dense["format"], "dense");
  EXPECT_EQ(read_file(dir_ / "sparse" / "W.npy"), read_file(dir_ / "dense" / "W.npy"));
  EXPECT_EQ(sparse["loss_history"], dense["loss_history"]);
}

TEST_F(FitOptionsTest, UnknownFormatOrDtype) {
  expect_fit_error({"--format", "bogus"}, kUsage, {"format", "bogus"});
  expect_fit_error({"--dtype", "float16"}, kUsage, {"dtype", "float16"});
}

TEST_F(FitOptionsTest, BadRegularisation) {
  expect_fit_error({"--alpha-h", "-1"}, kUsage, {"--alpha-h", "-1"});
  expect_fit_error({"--alpha-h", "lots"}, kUsage, {"--alpha-h", "lots"});
  expect_fit_error({"--alpha-w", "-0.5"}, kUsage, {"--alpha-w"});
  expect_fit_error({"--l1-ratio", "2"}, kUsage, {"--l1-ratio", "2"});
  expect_fit_error({"--l1-ratio", "-0.1"}, kUsage, {"--l1-ratio"});
}

// ---- data errors: exit 1 ----

TEST_F(FitOptionsTest, NegativeOrNanW0) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  std::vector<float> w0 = w0_;
  w0[10] = -1.0f;
  write_npy_f32(w0_path_, w0, {TinyImages::kSamples, kK});
  expect_fit_error({"--init", "custom", "--w0", w0_path_.string(), "--h0", h0_path_.string()},
                   kData, {"W0", "negative"});
  w0[10] = std::nanf("");
  write_npy_f32(w0_path_, w0, {TinyImages::kSamples, kK});
  expect_fit_error({"--init", "custom", "--w0", w0_path_.string(), "--h0", h0_path_.string()},
                   kData, {"W0"});
}

TEST_F(FitOptionsTest, W0FileMissingOrNotAMatrix) {
  write_start(TinyImages::kSamples, kK, kK, TinyImages::kFeatures);
  const fs::path missing = dir_ / "missing.npy";
  expect_fit_error({"--init", "custom", "--w0", missing.string(), "--h0", h0_path_.string()}, kData,
                   {missing.string()});
  const fs::path flat = dir_ / "flat.npy";
  write_npy_f32(flat, w0_, {TinyImages::kSamples * kK});
  expect_fit_error({"--init", "custom", "--w0", flat.string(), "--h0", h0_path_.string()}, kData,
                   {"--w0", "2-dimensional"});
}

TEST_F(FitOptionsTest, ItakuraSaitoOnDataWithZeros) {
  // The tiny images have zeros.
  expect_fit_error({"--solver", "mu", "--loss", "itakura-saito"}, kData, {"zeros"});
  expect_fit_error({"--loss", "itakura-saito"}, kData, {"zeros"});  // its default rule, cd
  // Strictly positive data is fine.
  std::vector<float> positive = images_.scaled();
  for (float& v : positive) v += 0.05f;
  const fs::path npy = dir_ / "positive.npy";
  write_npy_f32(npy, positive, {TinyImages::kSamples, TinyImages::kFeatures});
  EXPECT_EQ(fit_ok("is", {"--solver", "mu", "--loss", "itakura-saito"}, npy)["loss"],
            "itakura-saito");
  // Its default rule is cd from nndsvda; mu's default start is random (nndsvda's otherwise),
  // recorded in the command that reproduces the fit; --init still chooses.
  const nlohmann::json is =
      fit_ok("is-default", {"--loss", "itakura-saito", "--max-iter", "5"}, npy);
  EXPECT_EQ(is["init"], "nndsvda");
  EXPECT_EQ(is["solver"], "cd");
  EXPECT_NE(is["command_line"].get<std::string>().find("--solver cd"), std::string::npos);
  const nlohmann::json is_mu =
      fit_ok("is-mu", {"--loss", "itakura-saito", "--solver", "mu", "--max-iter", "5"}, npy);
  EXPECT_EQ(is_mu["init"], "random");
  EXPECT_NE(is_mu["command_line"].get<std::string>().find("--init random"), std::string::npos);
  EXPECT_EQ(
      fit_ok("is-nndsvda", {"--loss", "itakura-saito", "--init", "nndsvda", "--max-iter", "5"},
             npy)["init"],
      "nndsvda");
  EXPECT_EQ(fit_ok("kl-default", {"--loss", "kullback-leibler", "--max-iter", "5"}, npy)["init"],
            "nndsvda");
}

TEST_F(FitOptionsTest, TransformWithoutAModel) {
  fs::create_directory(dir_ / "empty");
  expect_transform_error(dir_ / "empty", idx_, kData, {"model.json"});
  expect_transform_error(dir_ / "nowhere", idx_, kData, {"nowhere"});
}

TEST_F(FitOptionsTest, TransformOfImagesOfAnotherSize) {
  fit_ok("model", {});
  std::vector<std::uint8_t> small(static_cast<std::size_t>(TinyImages::kSamples) * 36, 40);
  const fs::path six = dir_ / "six.idx";
  write_idx_u8(six, {TinyImages::kSamples, 6, 6}, small);
  expect_transform_error(dir_ / "model", six, kData, {"6x6", "8x8", "36", "64"});
}

TEST_F(FitOptionsTest, TransformWithACorruptModel) {
  fit_ok("model", {});
  const fs::path model = dir_ / "model" / "model.json";
  const std::string good = read_file(model);
  nlohmann::json j = nlohmann::json::parse(good);

  write_file(model, good.substr(0, good.size() / 2));  // cut short
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json"});
  write_file(model, "");
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json"});

  nlohmann::json missing = j;
  missing.erase("solver");
  write_file(model, missing.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json", "solver"});

  nlohmann::json wrong_type = j;
  wrong_type["k"] = "three";
  write_file(model, wrong_type.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json"});

  nlohmann::json bad_shape = j;
  bad_shape["image_shape"] = {64};
  write_file(model, bad_shape.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"image_shape"});

  nlohmann::json other_k = j;
  other_k["k"] = kK + 1;
  write_file(model, other_k.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"H", "3 x 64", "4 x 64"});

  write_file(model, good);
  fs::remove(dir_ / "model" / "H.npy");
  expect_transform_error(dir_ / "model", idx_, kData, {"H.npy"});
}

TEST_F(FitOptionsTest, TransformWithImpossibleValuesInTheModel) {
  // A model.json whose values no fit could have written is a broken model file (exit 1, naming
  // it), not a usage error of the transform command.
  fit_ok("model", {});
  const fs::path model = dir_ / "model" / "model.json";
  const nlohmann::json j = nlohmann::json::parse(read_file(model));
  nlohmann::json bad_solver = j;
  bad_solver["solver"] = "bogus";
  write_file(model, bad_solver.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json"});
  nlohmann::json bad_iter = j;
  bad_iter["max_iter"] = 0;
  write_file(model, bad_iter.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json"});
  nlohmann::json bad_dtype = j;
  bad_dtype["dtype"] = "float16";
  write_file(model, bad_dtype.dump());
  expect_transform_error(dir_ / "model", idx_, kData, {"model.json", "float16"});
}

// Rows too wide to tile into a picture still give W, H and the JSON files, with a note.
TEST_F(FitOptionsTest, RowsTooWideForAPictureStillGiveTheFactors) {
  const fs::path wide = dir_ / "wide.npy";
  std::vector<float> x(static_cast<std::size_t>(8 * 20000));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) % 101) / 100.0f;
  write_npy_f32(wide, x, {8, 20000});
  const RunResult r = fit(wide, 2, dir_ / "out", {"--max-iter", "3"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.err.find("no components.png"), std::string::npos) << r;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "W.npy"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "H.npy"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "components.png"));
  const nlohmann::json s = read_summary(dir_ / "out");
  EXPECT_EQ(std::find(s["files"].begin(), s["files"].end(), "components.png"), s["files"].end());
}

TEST_F(FitOptionsTest, EmptyInputIsADataError) {
  const fs::path empty = dir_ / "empty.npy";
  write_npy_f32(empty, {}, {0, 64});
  expect_error(fit(empty, 2, dir_ / "out", {}), kData, {"empty"});
  expect_no_output(dir_ / "out");
}

TEST_F(FitOptionsTest, ExtrapolateIsRecordedAndChangesHals) {
  // hals extrapolates unless told not to; cd only when told.
  const nlohmann::json plain =
      fit_ok("plain", {"--solver", "hals", "--no-extrapolate", "--max-iter", "30", "--tol", "0"});
  const nlohmann::json extrapolated =
      fit_ok("extrapolated", {"--solver", "hals", "--max-iter", "30", "--tol", "0"});
  const nlohmann::json both =
      fit_ok("both", {"--solver", "hals", "--extrapolate", "--max-iter", "30", "--tol", "0"});
  EXPECT_EQ(plain["extrapolate"], false);
  EXPECT_EQ(extrapolated["extrapolate"], true);
  EXPECT_NE(plain["command_line"].get<std::string>().find("--no-extrapolate"), std::string::npos);
  EXPECT_NE(read_file(dir_ / "plain" / "H.npy"), read_file(dir_ / "extrapolated" / "H.npy"));
  EXPECT_EQ(read_file(dir_ / "both" / "H.npy"), read_file(dir_ / "extrapolated" / "H.npy"));
  EXPECT_EQ(fit_ok("cd", {"--solver", "cd", "--max-iter", "5"})["extrapolate"], false);
  EXPECT_EQ(fit_ok("cdx", {"--solver", "cd", "--extrapolate", "--max-iter", "5"})["extrapolate"],
            true);
}

TEST_F(FitOptionsTest, NoExtrapolateIsRefusedWhereItWouldDoNothing) {
  expect_fit_error({"--extrapolate", "--no-extrapolate"}, kUsage,
                   {"--extrapolate", "--no-extrapolate"});
  expect_fit_error({"--solver", "mu", "--no-extrapolate"}, kUsage, {"--no-extrapolate", "mu"});
  expect_fit_error({"--loss", "0.5", "--no-extrapolate"}, kUsage, {"--no-extrapolate", "mu"});
  // cd extrapolates by default for the divergences, so there --no-extrapolate does something;
  // mu for them does not extrapolate.
  expect_fit_error({"--loss", "itakura-saito", "--solver", "mu", "--no-extrapolate"}, kUsage,
                   {"--no-extrapolate", "mu"});
}

TEST_F(FitOptionsTest, OutOfRangeNumbersGetShortMessages) {
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--tol", "-1"},
                                              {"--alpha-w", "inf"},
                                              {"--threads", "-2"},
                                              {"--limit", "-3"}}) {
    const RunResult r = fit(idx_, kK, dir_ / "out", bad);
    expect_error(r, kUsage, {bad[0]});
    EXPECT_LT(r.err.size(), 200u) << r;
    expect_no_output(dir_ / "out");
  }
}

TEST_F(FitOptionsTest, TransformOfImagesOfAnotherShapeWithTheSameSize) {
  fit_ok("model", {});  // 8 x 8 images, 64 features
  const fs::path other = dir_ / "other.npy";
  std::vector<float> x(static_cast<std::size_t>(5 * 4 * 16), 0.5f);
  const std::vector<std::int64_t> dims = {5, 4, 16};  // 4 x 16 images: also 64 features
  io::write_npy(other.string(), x.data(), dims);
  expect_error(transform(dir_ / "model", other, dir_ / "t"), kData, {"4x16", "8x8"});
  expect_no_output(dir_ / "t");
}

}  // namespace
}  // namespace nmfkit::cli_test
