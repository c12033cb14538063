// select_rank() on synthetic data of known rank, parse_ranks(), and the consensus clustering.
#include "nmfkit/rank.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/consensus.hpp"
#include "nmfkit/errors.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

Matrix<double> noisy_low_rank(Index r, std::uint32_t seed) {
  return testing::noisy_low_rank(80, 60, r, seed);
}

RankOptions options_around(int r, std::uint64_t seed) {
  RankOptions o;
  for (int k = std::max(1, r - 2); k <= r + 3; ++k) o.ks.push_back(k);
  o.fit.seed = seed;  // everything else default: 5 folds of 5%, hals, 200 iterations, tol 1e-4
  return o;
}

class KnownRank : public ::testing::TestWithParam<int> {};

TEST_P(KnownRank, ChoosesTheTrueRankInNineOfTenSeeds) {
  const int r = GetParam();
  int hits = 0;
  for (std::uint32_t seed = 0; seed < 10; ++seed) {
    const RankResult result = select_rank(noisy_low_rank(r, seed).view(), options_around(r, seed));
    hits += result.one_se_k == r;
    ASSERT_EQ(result.points.size(), 6u);
    for (const RankPoint& p : result.points) {
      EXPECT_EQ(p.fold_errors.size(), 5u);
      EXPECT_GE(p.standard_error, 0);
    }
  }
  EXPECT_GE(hits, 9) << "rank " << r;
}

INSTANTIATE_TEST_SUITE_P(Ranks, KnownRank, ::testing::Values(3, 7, 12));

TEST(SelectRank, SameBytesForAnyThreadCount) {
  const Matrix<double> x = noisy_low_rank(4, 1);
  RankOptions o = options_around(4, 3);
  o.cophenetic = true;
  o.restarts = 4;
  o.max_cluster_samples = 50;
  o.fit.threads = 1;
  const RankResult one = select_rank(x.view(), o);
  o.fit.threads = 3;
  const RankResult three = select_rank(x.view(), o);
  ASSERT_EQ(one.points.size(), three.points.size());
  for (std::size_t p = 0; p < one.points.size(); ++p) {
    EXPECT_EQ(one.points[p].fold_errors, three.points[p].fold_errors);
    EXPECT_EQ(one.points[p].train_error, three.points[p].train_error);
    EXPECT_EQ(one.points[p].cophenetic, three.points[p].cophenetic);
    EXPECT_GE(one.points[p].cophenetic, -1);
    EXPECT_LE(one.points[p].cophenetic, 1);
  }
  EXPECT_EQ(one.cluster_samples, 50);
}

TEST(SelectRank, RefusesRanksBeyondTheData) {
  const Matrix<double> x = noisy_low_rank(3, 0);
  RankOptions o;
  o.ks = {2, 61};
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
}

TEST(ParseRanks, RangesStepsAndLists) {
  EXPECT_EQ(parse_ranks("2..5"), (std::vector<int>{2, 3, 4, 5}));
  EXPECT_EQ(parse_ranks("2..9:3"), (std::vector<int>{2, 5, 8}));
  EXPECT_EQ(parse_ranks("16,4,8,4"), (std::vector<int>{4, 8, 16}));
  EXPECT_EQ(parse_ranks("7"), (std::vector<int>{7}));
  for (const char* bad : {"", "40..2", "0..3", "2..", "a,b", "3,,4", "2..9:0", "-1"})
    EXPECT_THROW(parse_ranks(bad), InvalidArgument) << bad;
}

TEST(Consensus, StableClustersCorrelatePerfectly) {
  const std::vector<std::vector<int>> same = {{0, 0, 1, 1, 2}, {1, 1, 0, 0, 2}, {2, 2, 0, 0, 1}};
  EXPECT_DOUBLE_EQ(core::cophenetic_correlation(same), 1.0);
  const std::vector<std::vector<int>> mixed = {
      {0, 0, 1, 1, 0, 1}, {0, 1, 0, 1, 1, 0}, {1, 0, 0, 1, 0, 1}, {0, 0, 0, 1, 1, 1}};
  const double c = core::cophenetic_correlation(mixed);
  EXPECT_LT(c, 1.0);
  EXPECT_GT(c, -1.0);
}

TEST(Consensus, LabelsAreTheLargestActivation) {
  Matrix<float> w(3, 3);
  w(0, 2) = 1;
  w(1, 0) = 2;
  w(2, 1) = 0.5f;
  w(2, 2) = 0.5f;
  EXPECT_EQ(core::cluster_labels(w), (std::vector<int>{2, 0, 1}));
}

}  // namespace
}  // namespace nmfkit
