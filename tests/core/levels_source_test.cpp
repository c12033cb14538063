// fit(LevelsSource): 8-bit levels read a block of rows at a time (from a file, in the CLI) give
// the fit of the same levels held whole, bytes for bytes, and read them as documented.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "../test_data.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/fit_best.hpp"

namespace nmfkit {
namespace {

// A source over `q` (n × m) that records the rows it was asked for.
struct Recorder {
  const std::vector<std::uint8_t>* q = nullptr;
  Index m = 0;
  std::vector<Index> rows_read;  // every row, once per time it was read

  LevelsSource source(Index n, Index block_rows) {
    return {n, m, 1.0 / 255.0, block_rows, [this](Index first, Index count, std::uint8_t* out) {
              std::memcpy(out, q->data() + first * m, static_cast<std::size_t>(count * m));
              for (Index r = first; r < first + count; ++r) rows_read.push_back(r);
            }};
  }
};

FitOptions options(const char* solver, double beta) {
  FitOptions o;
  o.k = 4;
  o.solver = solver;
  o.beta = beta;
  o.max_iter = 20;
  o.threads = 2;
  return o;
}

// Sparse (built a block at a time: blocks of 7 rows, the last one short, and one block of all
// rows) and dense (read whole, converted): the LevelsView fit's bytes, Frobenius and KL.
TEST(FitLevelsSource, GivesTheFitOfTheLevelsHeldWhole) {
  const Index n = 250, m = 40;
  struct Case {
    double zeros;
    const char* solver;
    double beta;
    const char* format;
  };
  for (const Case& c : {Case{0.8, "hals", 2, "sparse"}, Case{0.8, "cd", 1, "sparse"},
                        Case{0.3, "cd", 2, "dense"}}) {
    const std::vector<std::uint8_t> q = testing::random_levels(n, m, c.zeros, 5);
    const FitOptions o = options(c.solver, c.beta);
    const FitResult<float> whole = fit(LevelsView{DenseView<std::uint8_t>(q.data(), n, m)}, o);
    for (Index block_rows : {Index(7), Index(0)}) {
      Recorder rec{&q, m, {}};
      const FitResult<float> read = fit(rec.source(n, block_rows), o);
      EXPECT_EQ(read.format, c.format);
      EXPECT_EQ(whole.format, c.format);
      EXPECT_EQ(read.iterations, whole.iterations);
      EXPECT_EQ(read.W.values, whole.W.values) << c.solver << ", blocks of " << block_rows;
      EXPECT_EQ(read.H.values, whole.H.values) << c.solver << ", blocks of " << block_rows;
      EXPECT_EQ(read.loss_history, whole.loss_history);
    }
  }
}

// Stored sparse, every row is read exactly twice (counted, then copied), a block at a time.
TEST(FitLevelsSource, ReadsEveryRowTwiceInBlocks) {
  const Index n = 100, m = 12;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.8, 9);
  Recorder rec{&q, m, {}};
  const FitResult<float> r = fit(rec.source(n, 30), options("hals", 2));
  EXPECT_EQ(r.format, "sparse");
  ASSERT_EQ(rec.rows_read.size(), static_cast<std::size_t>(2 * n));
  for (Index i = 0; i < 2 * n; ++i) EXPECT_EQ(rec.rows_read[static_cast<std::size_t>(i)], i % n);
}

TEST(FitLevelsSource, RestartsReadTheLevelsAgain) {
  const Index n = 60, m = 10;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.7, 3);
  Recorder rec{&q, m, {}};
  FitOptions o = options("hals", 2);
  o.init = Init::kRandom;
  const BestFit<float> best = fit_best(rec.source(n, 0), o, 2);
  const BestFit<float> whole = fit_best(LevelsView{DenseView<std::uint8_t>(q.data(), n, m)}, o, 2);
  EXPECT_EQ(best.objectives, whole.objectives);
  EXPECT_EQ(best.fit.W.values, whole.fit.W.values);
  EXPECT_EQ(rec.rows_read.size(), static_cast<std::size_t>(2 * 2 * n));
}

// What the read function throws ends the fit as it was thrown; levels that change between the two
// passes (a file written to during the fit) are a DataError, not a wrong fit.
TEST(FitLevelsSource, ReadErrorsAndChangingLevelsEndTheFit) {
  const Index n = 50, m = 10;
  std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.8, 4);
  const FitOptions o = options("hals", 2);
  LevelsSource failing{n, m, 1.0 / 255.0, 16, [](Index first, Index, std::uint8_t*) {
                         if (first >= 32) throw DataError("x.npy: read error: disk gone");
                       }};
  try {
    fit(failing, o);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "x.npy: read error: disk gone");
  }
  int reads = 0;
  LevelsSource changing{n, m, 1.0 / 255.0, 0, [&](Index first, Index count, std::uint8_t* out) {
                          std::memcpy(out, q.data() + first * m,
                                      static_cast<std::size_t>(count * m));
                          if (++reads == 2) out[3] = out[3] == 0 ? 7 : 0;  // one more or one less
                        }};
  try {
    fit(changing, o);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("changed between two reads"), std::string::npos)
        << e.what();
  }
}

TEST(FitLevelsSource, RefusesEmptyLevelsMissingReadsAndBadScales) {
  const auto read = [](Index, Index, std::uint8_t* out) { std::memset(out, 3, 12); };
  const FitOptions o = options("hals", 2);
  EXPECT_THROW(fit(LevelsSource{0, 4, 1.0 / 255.0, 0, read}, o), DataError);
  EXPECT_THROW(fit(LevelsSource{3, 4, 1.0 / 255.0, 0, nullptr}, o), InvalidArgument);
  EXPECT_THROW(fit(LevelsSource{3, 4, 1.0 / 255.0, -1, read}, o), InvalidArgument);
  for (double scale : {0.0, -1.0, std::nan(""), 1e37, 1e-50})
    EXPECT_THROW(fit(LevelsSource{3, 4, scale, 0, read}, o), InvalidArgument);
}

}  // namespace
}  // namespace nmfkit
