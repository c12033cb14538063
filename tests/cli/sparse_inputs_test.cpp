// `nmfkit fit`, `transform` and `render` on sparse files (scipy.sparse's .npz, Matrix Market) and
// np.savez's dense .npz: the same factors as the same matrix in an NPY file, X never made dense for
// the fit, --vocab's top words, and every malformed file refused with one line and no output.
#include <zlib.h>

#include <string>
#include <vector>

#include "cli/cli_test_util.hpp"
#include "io/npz_writer.hpp"

namespace nmfkit::cli_test {
namespace {

namespace npz = io::npz_test;

class SparseInputsTest : public CliTest {
 protected:
  static constexpr int kDocs = 40, kTerms = 30;
  std::vector<float> x_;  // kDocs × kTerms word counts from 3 topics, mostly zeros
  fs::path out_ = dir_ / "out";

  void SetUp() override {
    CliTest::SetUp();
    x_.assign(kDocs * kTerms, 0.0f);
    for (int d = 0; d < kDocs; ++d)
      for (int t = 0; t < kTerms; ++t) {
        const int topic = t / 10;  // terms 0-9, 10-19, 20-29
        if ((d + topic) % 3 != 0 && (d * 7 + t * 3) % 5 != 0) continue;
        if ((d * 13 + t * 11) % 4 == 0) continue;
        x_[static_cast<std::size_t>(d * kTerms + t)] = static_cast<float>(1 + (d + 2 * t) % 4);
      }
  }

  void write_npz(const fs::path& path, bool compress = true, const std::string& format = "csr") {
    if (format == "csc") {  // the transpose's CSR arrays are X's CSC arrays
      std::vector<float> xt(x_.size());
      for (int d = 0; d < kDocs; ++d)
        for (int t = 0; t < kTerms; ++t) xt[t * kDocs + d] = x_[d * kTerms + t];
      const npz::Csr c = npz::to_csr(xt, kTerms, kDocs);
      write_bytes(path, npz::csr_npz(kDocs, kTerms, c.indptr, c.indices, c.data, compress, "csc"));
      return;
    }
    const npz::Csr c = npz::to_csr(x_, kDocs, kTerms);
    write_bytes(path, npz::csr_npz(kDocs, kTerms, c.indptr, c.indices, c.data, compress));
  }
  static void write_bytes(const fs::path& path, const npz::Bytes& b) {
    write_file(path, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  void write_vocab(const fs::path& path, int count) {
    std::string text;
    for (int t = 0; t < count; ++t) text += "term" + std::to_string(t) + "\n";
    write_file(path, text);
  }
  static std::vector<std::string> fit_args(const fs::path& input, const fs::path& out) {
    return {"fit", input.string(), "-k", "3", "-o", out.string(), "-q", "--max-iter", "30"};
  }
};

TEST_F(SparseInputsTest, NpzAndMtxGiveTheSameFactorsAsTheNpy) {
  write_npy_f32(dir_ / "x.npy", x_, {kDocs, kTerms});
  std::vector<std::string> args = fit_args(dir_ / "x.npy", dir_ / "npy");
  args.insert(args.end(), {"--format", "sparse"});  // as a sparse file is fitted
  const RunResult base = run_cli(args);
  ASSERT_EQ(base.code, 0) << base;
  write_npz(dir_ / "csr.npz");
  write_npz(dir_ / "csr-stored.npz", false);
  write_npz(dir_ / "csc.npz", true, "csc");
  write_file(dir_ / "x.mtx", npz::to_mtx(x_, kDocs, kTerms));
  const std::string mtx = npz::to_mtx(x_, kDocs, kTerms);
  gzFile gz = gzopen((dir_ / "x.mtx.gz").c_str(), "wb");
  gzwrite(gz, mtx.data(), static_cast<unsigned>(mtx.size()));
  gzclose(gz);
  // np.savez_compressed of the dense array.
  std::vector<float> copy = x_;
  write_bytes(dir_ / "dense.npz",
              npz::zip({{"arr_0.npy", npz::npy("<f4", {kDocs, kTerms}, copy)}}, true));
  for (const char* name :
       {"csr.npz", "csr-stored.npz", "csc.npz", "x.mtx", "x.mtx.gz", "dense.npz"}) {
    SCOPED_TRACE(name);
    const fs::path out = dir_ / (std::string(name) + "-out");
    std::vector<std::string> a = fit_args(dir_ / name, out);
    if (std::string(name) == "dense.npz") a.insert(a.end(), {"--format", "sparse"});
    const RunResult r = run_cli(a);
    ASSERT_EQ(r.code, 0) << r;
    EXPECT_EQ(read_file(out / "H.npy"), read_file(dir_ / "npy" / "H.npy"));
    EXPECT_EQ(read_file(out / "W.npy"), read_file(dir_ / "npy" / "W.npy"));
    const nlohmann::json s = read_summary(out);
    EXPECT_EQ(s["format"], "sparse");
    EXPECT_EQ(s["shape"], nlohmann::json({kDocs, kTerms}));
    EXPECT_EQ(s["input_kind"], std::string(name).find("mtx") != std::string::npos ? "mtx" : "npz");
  }
  // transform of the sparse file gives the W of the NPY.
  const RunResult t1 = run_cli({"transform", "--model", (dir_ / "npy").string(),
                                (dir_ / "csr.npz").string(), "-o", (dir_ / "t1").string(), "-q"});
  ASSERT_EQ(t1.code, 0) << t1;
  const RunResult t2 = run_cli({"transform", "--model", (dir_ / "npy").string(),
                                (dir_ / "x.npy").string(), "-o", (dir_ / "t2").string(), "-q"});
  ASSERT_EQ(t2.code, 0) << t2;
  const NpyMatrix w1 = read_npy_f32(dir_ / "t1" / "W.npy"),
                  w2 = read_npy_f32(dir_ / "t2" / "W.npy");
  ASSERT_EQ(w1.values.size(), w2.values.size());
  for (std::size_t i = 0; i < w1.values.size(); ++i)
    EXPECT_NEAR(w1.values[i], w2.values[i], 1e-4 * (1 + std::abs(w2.values[i])));
}

TEST_F(SparseInputsTest, MiniBatchesOfASparseFileAreThoseOfItsNpyStoredSparse) {
  // --batch-size reads a sparse file's batches as compressed rows in place: the factors of the
  // same matrix in an NPY file whose batches are stored sparse.
  write_npy_f32(dir_ / "x.npy", x_, {kDocs, kTerms});
  write_npz(dir_ / "csr.npz");
  const std::vector<std::string> batches = {"--batch-size", "16"};
  std::vector<std::string> a = fit_args(dir_ / "x.npy", dir_ / "npy");
  a.insert(a.end(), batches.begin(), batches.end());
  a.insert(a.end(), {"--format", "sparse"});
  const RunResult base = run_cli(a);
  ASSERT_EQ(base.code, 0) << base;
  std::vector<std::string> b = fit_args(dir_ / "csr.npz", dir_ / "npz");
  b.insert(b.end(), batches.begin(), batches.end());
  const RunResult r = run_cli(b);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_file(dir_ / "npz" / "H.npy"), read_file(dir_ / "npy" / "H.npy"));
  EXPECT_EQ(read_file(dir_ / "npz" / "W.npy"), read_file(dir_ / "npy" / "W.npy"));
  EXPECT_EQ(read_summary(dir_ / "npz")["format"], "sparse");
  EXPECT_EQ(read_summary(dir_ / "npy")["format"], "sparse");
  EXPECT_EQ(read_summary(dir_ / "npz")["minibatch"]["batch_size"], 16);
  // Kullback-Leibler reads each batch's rows dense, from the file's compressed rows as well.
  std::vector<std::string> kl = fit_args(dir_ / "csr.npz", dir_ / "kl");
  kl.insert(kl.end(), batches.begin(), batches.end());
  kl.insert(kl.end(), {"--loss", "kullback-leibler"});
  const RunResult k = run_cli(kl);
  ASSERT_EQ(k.code, 0) << k;
  EXPECT_GT(read_summary(dir_ / "kl")["relative_error"].get<double>(), 0);
}

TEST_F(SparseInputsTest, LimitKeepsTheFirstRows) {
  write_npz(dir_ / "x.npz");
  std::vector<std::string> a = fit_args(dir_ / "x.npz", out_);
  a.insert(a.end(), {"--limit", "25"});
  const RunResult r = run_cli(a);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(read_summary(out_)["shape"], nlohmann::json({25, kTerms}));
  EXPECT_EQ(read_npy_f32(out_ / "W.npy").shape, (std::vector<std::int64_t>{25, 3}));
}

TEST_F(SparseInputsTest, VocabGivesTopWordsEverywhereAndRenderKeepsThem) {
  write_npz(dir_ / "x.npz");
  write_vocab(dir_ / "vocab.txt", kTerms);
  std::vector<std::string> a = fit_args(dir_ / "x.npz", out_);
  a.insert(a.end(), {"--vocab", (dir_ / "vocab.txt").string()});
  const RunResult r = run_cli(a);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_NE(r.out.find("component 0: term"), std::string::npos) << r;
  EXPECT_NE(r.out.find("component 2: term"), std::string::npos) << r;
  for (const char* f : {"top-words.txt", "top-words.csv", "vocab.txt", "report.html"})
    EXPECT_TRUE(fs::exists(out_ / f)) << f;
  EXPECT_FALSE(fs::exists(out_ / "components.png"));
  const nlohmann::json s = read_summary(out_);
  ASSERT_EQ(s["top_words"].size(), 3u);
  const NpyMatrix h = read_npy_f32(out_ / "H.npy");
  for (std::size_t j = 0; j < 3; ++j) {
    const auto& words = s["top_words"][j];
    ASSERT_GE(words.size(), 1u);
    EXPECT_LE(words.size(), 10u);
    // The first word is the row's largest entry, with its weight.
    std::size_t best = 0;
    for (std::size_t p = 1; p < kTerms; ++p)
      if (h.values[j * kTerms + p] > h.values[j * kTerms + best]) best = p;
    EXPECT_EQ(words[0]["word"], "term" + std::to_string(best));
    EXPECT_FLOAT_EQ(words[0]["weight"].get<float>(), h.values[j * kTerms + best]);
    for (std::size_t w = 1; w < words.size(); ++w)
      EXPECT_LE(words[w]["weight"].get<double>(), words[w - 1]["weight"].get<double>());
  }
  EXPECT_NE(read_file(out_ / "report.html").find("Top words"), std::string::npos);
  EXPECT_EQ(read_file(out_ / "top-words.csv").rfind("component,rank,word,weight\n", 0), 0u);
  // render re-reads the vocabulary kept in the folder, even with the original gone.
  const std::string words = read_file(out_ / "top-words.txt");
  fs::remove(dir_ / "vocab.txt");
  fs::remove(out_ / "top-words.txt");
  const RunResult again = run_cli({"render", out_.string(), "-q"});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(read_file(out_ / "top-words.txt"), words);
  // transform reports the model's words; another vocabulary is refused.
  const RunResult t = run_cli({"transform", "--model", out_.string(), (dir_ / "x.npz").string(),
                               "-o", (dir_ / "t").string(), "-q"});
  ASSERT_EQ(t.code, 0) << t;
  EXPECT_EQ(read_summary(dir_ / "t")["top_words"], s["top_words"]);
  std::string other = read_file(out_ / "vocab.txt");
  other.replace(0, 5, "other");
  write_file(dir_ / "other.txt", other);
  expect_error(run_cli({"transform", "--model", out_.string(), (dir_ / "x.npz").string(), "-o",
                        (dir_ / "t2").string(), "--vocab", (dir_ / "other.txt").string()}),
               kData, {"other.txt", "differs", "line 1"});
  expect_no_output(dir_ / "t2");
}

TEST_F(SparseInputsTest, VocabOfAnotherLengthIsOneLineAndNoOutput) {
  write_npz(dir_ / "x.npz");
  for (int count : {kTerms - 1, kTerms + 2}) {
    write_vocab(dir_ / "vocab.txt", count);
    std::vector<std::string> a = fit_args(dir_ / "x.npz", out_);
    a.insert(a.end(), {"--vocab", (dir_ / "vocab.txt").string()});
    expect_error(run_cli(a), kData,
                 {"vocab.txt", std::to_string(count) + " lines", std::to_string(kTerms)});
    expect_no_output(out_);
  }
  std::vector<std::string> a = fit_args(dir_ / "x.npz", out_);
  a.insert(a.end(), {"--vocab", (dir_ / "missing.txt").string()});
  expect_error(run_cli(a), kData, {"missing.txt"});
  expect_no_output(out_);
}

TEST_F(SparseInputsTest, HostileFilesAreOneLineExitOneAndNoOutput) {
  write_npz(dir_ / "good.npz");
  const std::string good = read_file(dir_ / "good.npz");
  write_file(dir_ / "cut.npz", good.substr(0, good.size() / 2));
  std::string crc = read_file(dir_ / "good.npz");
  write_npz(dir_ / "stored.npz", false);
  crc = read_file(dir_ / "stored.npz");
  crc[200] = static_cast<char>(crc[200] ^ 0x5a);
  write_file(dir_ / "crc.npz", crc);
  write_bytes(dir_ / "index.npz",
              npz::csr_npz<double, std::int32_t>(2, 3, {0, 1, 2}, {0, 3}, {1, 2}));
  write_bytes(dir_ / "indptr.npz",
              npz::csr_npz<double, std::int32_t>(2, 3, {0, 2, 1}, {0, 1}, {1, 2}));
  write_bytes(dir_ / "nan.npz",
              npz::csr_npz<double, std::int32_t>(2, 3, {0, 1, 2}, {0, 1}, {1, std::nan("")}));
  write_bytes(dir_ / "shape.npz", npz::csr_npz<double, std::int32_t>(std::int64_t{1} << 40, 3,
                                                                     {0, 1, 2}, {0, 1}, {1, 2}));
  const std::string head = "%%MatrixMarket matrix coordinate real general\n";
  write_file(dir_ / "negative.mtx", head + "2 3 1\n1 1 -1\n");
  write_file(dir_ / "overflow.mtx", head + "99999999999999999999 3 1\n1 1 1\n");
  write_file(dir_ / "absurd.mtx", head + "2000000000 2000000000 4000000000000\n1 1 1\n");
  write_file(dir_ / "range.mtx", head + "2 3 1\n3 1 1\n");
  write_file(dir_ / "short.mtx", head + "2 3 2\n1 1 1\n");
  for (const char* name :
       {"cut.npz", "crc.npz", "index.npz", "indptr.npz", "nan.npz", "shape.npz", "negative.mtx",
        "overflow.mtx", "absurd.mtx", "range.mtx", "short.mtx"}) {
    SCOPED_TRACE(name);
    expect_error(run_cli(fit_args(dir_ / name, out_)), kData, {name});
    expect_no_output(out_);
  }
}

TEST_F(SparseInputsTest, OptionsThatNeedDenseXAreUsageErrors) {
  write_npz(dir_ / "x.npz");
  const std::string x = (dir_ / "x.npz").string();
  const npz::Csr c = npz::to_csr(x_, kDocs, kTerms);
  const std::string stored = "(" + std::to_string(c.data.size()) + " stored entries)";
  const std::string mask = (dir_ / "mask.npy").string();
  const std::vector<std::uint8_t> observed(kDocs * kTerms, 1);
  const std::int64_t shape[] = {kDocs, kTerms};
  io::write_npy(mask, observed.data(), shape);
  expect_error(run_cli({"fit", x, "-k", "2", "--missing", "nan", "-o", out_.string()}), kUsage,
               {"--missing", "sparse", stored});
  expect_error(run_cli({"fit", x, "-k", "2", "--mask", mask, "-o", out_.string()}), kUsage,
               {"--mask", "sparse", stored});
  expect_error(run_cli({"fit", x, "-k", "auto", "--mask", mask, "-o", out_.string()}), kUsage,
               {"--mask", "sparse", stored});
  expect_error(run_cli({"fit", x, "-k", "2", "--format", "dense", "-o", out_.string()}), kUsage,
               {"--format dense", "sparse"});
  expect_error(run_cli({"rank", x, "--missing", "nan", "-o", out_.string()}), kUsage,
               {"--missing", "sparse", stored});
  expect_error(run_cli({"rank", x, "--mask", mask, "-o", out_.string()}), kUsage,
               {"--mask", "sparse", stored});
  expect_no_output(out_);
}

/// The selection's curve without its times.
nlohmann::json timeless(nlohmann::json points) {
  for (auto& p : points) p.erase("seconds");
  return points;
}

// `rank` and `fit -k auto` read a sparse X as it is stored, making only the rows they sample
// dense: the same curve and choice as the same matrix dense (the same rows sampled, the same fits).
TEST_F(SparseInputsTest, RankSelectionReadsSparseXAsStored) {
  write_npz(dir_ / "x.npz");
  write_npy_f32(dir_ / "x.npy", x_, {kDocs, kTerms});
  const auto rank = [&](const std::string& name, const std::string& sample) {
    const fs::path out = dir_ / ("rank-" + name + "-" + sample);
    const RunResult r = run_cli({"rank", (dir_ / name).string(), "--k", "1..4", "--folds", "2",
                                 "--sample", sample, "-o", out.string(), "-q"});
    EXPECT_EQ(r.code, 0) << r;
    return nlohmann::json::parse(read_file(out / "rank.json"));
  };
  for (const std::string sample : {"all", "25"}) {  // every row, then a sample of them
    SCOPED_TRACE(sample);
    const nlohmann::json sparse = rank("x.npz", sample), dense = rank("x.npy", sample);
    EXPECT_EQ(sparse["sample_rows"], dense["sample_rows"]);
    EXPECT_EQ(sparse["chosen_k"], dense["chosen_k"]);
    ASSERT_EQ(sparse["points"].size(), dense["points"].size());
    EXPECT_EQ(timeless(sparse["points"]), timeless(dense["points"]));
  }
  const auto auto_k = [&](const std::string& name) {
    const fs::path out = dir_ / ("auto-" + name);
    const RunResult r = run_cli({"fit", (dir_ / name).string(), "-k", "auto", "--k-range", "1..4",
                                 "-o", out.string(), "-q"});
    EXPECT_EQ(r.code, 0) << r;
    return read_summary(out);
  };
  const nlohmann::json sparse = auto_k("x.npz"), dense = auto_k("x.npy");
  EXPECT_EQ(sparse["format"], "sparse");
  EXPECT_EQ(sparse["nnz"], npz::to_csr(x_, kDocs, kTerms).data.size());
  EXPECT_EQ(sparse["k"], dense["k"]);
  EXPECT_EQ(timeless(sparse["rank_selection"]["points"]),
            timeless(dense["rank_selection"]["points"]));
  EXPECT_NEAR(sparse["relative_error"].get<double>(), dense["relative_error"].get<double>(), 1e-5);
}

// A 200,000 × 100,000 matrix with a million entries: dense it would take 80 GB in float32.
TEST_F(SparseInputsTest, LargeSparseMatrixIsFittedSparse) {
  constexpr std::int32_t kRows = 200000, kCols = 100000, kPerRow = 5;
  std::vector<std::int32_t> indptr(kRows + 1), indices;
  std::vector<float> data;
  indices.reserve(std::size_t{kRows} * kPerRow);
  data.reserve(std::size_t{kRows} * kPerRow);
  for (std::int32_t i = 0; i < kRows; ++i) {
    for (std::int32_t e = 0; e < kPerRow; ++e) {
      indices.push_back(static_cast<std::int32_t>((std::int64_t(i) * 7919 + e * 20011) % kCols));
      data.push_back(static_cast<float>(1 + (i + e) % 3));
    }
    std::sort(indices.end() - kPerRow, indices.end());
    indptr[static_cast<std::size_t>(i + 1)] = static_cast<std::int32_t>(indices.size());
  }
  write_bytes(dir_ / "big.npz", npz::csr_npz(kRows, kCols, indptr, indices, data, false));
  const RunResult r = run_cli({"fit", (dir_ / "big.npz").string(), "-k", "2", "--max-iter", "2",
                               "--init", "random", "-o", out_.string(), "-q"});
  ASSERT_EQ(r.code, 0) << r;
  const nlohmann::json s = read_summary(out_);
  EXPECT_EQ(s["format"], "sparse");
  EXPECT_EQ(s["nnz"], 1000000);
  EXPECT_EQ(s["shape"], nlohmann::json({kRows, kCols}));
}

}  // namespace
}  // namespace nmfkit::cli_test
