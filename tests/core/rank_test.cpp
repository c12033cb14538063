// select_rank() on synthetic data of known rank, parse_ranks(), and the consensus clustering.
#include "nmfkit/rank.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

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
  o.fit.seed = seed;  // everything else default: 3 folds of 5%, hals, warm starts, patience 3
  return o;
}

struct RuleCase {
  int r;
  RankRule rule;
  bool wide;  ///< the default candidates 1..30 instead of r−2..r+3
};

class KnownRank : public ::testing::TestWithParam<RuleCase> {};

TEST_P(KnownRank, ChoosesTheTrueRankInNineOfTenSeeds) {
  const RuleCase c = GetParam();
  int hits = 0;
  std::string chosen;
  for (std::uint32_t seed = 0; seed < 10; ++seed) {
    RankOptions o = options_around(c.r, seed);
    o.rule = c.rule;
    if (c.wide) o.ks = parse_ranks("1..30");
    const RankResult result = select_rank(noisy_low_rank(c.r, seed).view(), o);
    hits += result.chosen_k == c.r;
    chosen += " " + std::to_string(result.chosen_k) + " (" + result.criterion + ")";
    ASSERT_FALSE(result.points.empty());
    ASSERT_LE(result.points.size(), o.ks.size());
    EXPECT_EQ(result.points.size() < o.ks.size(), result.stopped_early);
    for (const RankPoint& p : result.points) {
      EXPECT_EQ(p.fold_errors.size(), 3u);
      EXPECT_GE(p.standard_error, 0);
      EXPECT_GT(p.iterations, 0);
    }
    if (c.rule == RankRule::kKnee) {
      EXPECT_EQ(result.criterion, "knee") << "seed " << seed;
      EXPECT_EQ(result.chosen_k, result.knee_k);
    }
    if (c.rule == RankRule::kMinimum) {
      EXPECT_EQ(result.chosen_k, result.one_se_k);
    }
  }
  EXPECT_GE(hits, 9) << "rank " << c.r << " rule " << rank_rule_name(c.rule) << ":" << chosen;
}

INSTANTIATE_TEST_SUITE_P(
    Ranks, KnownRank,
    ::testing::Values(RuleCase{3, RankRule::kAuto, false}, RuleCase{7, RankRule::kAuto, false},
                      RuleCase{12, RankRule::kAuto, false}, RuleCase{3, RankRule::kAuto, true},
                      RuleCase{7, RankRule::kAuto, true}, RuleCase{12, RankRule::kAuto, true},
                      RuleCase{3, RankRule::kKnee, true}, RuleCase{7, RankRule::kKnee, true},
                      RuleCase{12, RankRule::kKnee, true}, RuleCase{3, RankRule::kMinimum, false},
                      RuleCase{7, RankRule::kMinimum, false},
                      RuleCase{12, RankRule::kMinimum, false}),
    [](const ::testing::TestParamInfo<RuleCase>& test) {
      return std::string(rank_rule_name(test.param.rule)) + "_r" + std::to_string(test.param.r) +
             (test.param.wide ? "_wide" : "");
    });

// Few samples, strong noise: more components fit the noise and the held-out error rises again.
// Where a full scan shows that minimum, the default scan stops a few ranks past it with the
// same choice.
TEST(SelectRank, KeepsTheMinimumOfACurveThatHasOne) {
  int with_minimum = 0;
  for (std::uint32_t seed = 0; seed < 5; ++seed) {
    const Matrix<double> x = testing::noisy_low_rank(40, 30, 4, 200 + seed, 0.6);
    RankOptions o;
    o.ks = parse_ranks("1..20");
    o.fit.seed = seed;
    const RankResult scan = select_rank(x.view(), o);
    o.patience = 0;
    o.rule = RankRule::kMinimum;
    const RankResult full = select_rank(x.view(), o);
    ASSERT_EQ(full.points.size(), 20u);
    EXPECT_TRUE(scan.stopped_early);
    if (!full.minimum) continue;
    ++with_minimum;
    EXPECT_EQ(scan.chosen_k, full.chosen_k) << "seed " << seed << ": " << scan.criterion;
    EXPECT_LT(full.best_k, 10) << "seed " << seed;
  }
  EXPECT_GE(with_minimum, 4);
}

TEST(SelectRank, PatienceEndsTheScanPastTheChoice) {
  const Matrix<double> x = noisy_low_rank(5, 4);
  RankOptions o;
  o.ks = parse_ranks("1..20");
  o.fit.seed = 4;
  const RankResult scan = select_rank(x.view(), o);
  EXPECT_EQ(scan.chosen_k, 5);
  EXPECT_TRUE(scan.stopped_early);
  EXPECT_EQ(scan.points.size(), 5u + 3u);  // the choice, then three ranks that did not change it
  EXPECT_EQ(scan.candidates, 20);
  o.patience = 0;
  const RankResult full = select_rank(x.view(), o);
  EXPECT_FALSE(full.stopped_early);
  ASSERT_EQ(full.points.size(), 20u);
  EXPECT_EQ(full.chosen_k, 5);
  for (std::size_t p = 0; p < scan.points.size(); ++p)  // the same fits, scanned further
    EXPECT_EQ(scan.points[p].fold_errors, full.points[p].fold_errors);
}

TEST(SelectRank, ColdStartsFindTheSameRank) {
  const Matrix<double> x = noisy_low_rank(6, 2);
  RankOptions o;
  o.ks = parse_ranks("1..15");
  o.fit.seed = 2;
  const RankResult warm = select_rank(x.view(), o);
  o.warm_start = false;
  const RankResult cold = select_rank(x.view(), o);
  EXPECT_EQ(warm.chosen_k, 6);
  EXPECT_EQ(cold.chosen_k, 6);
  // Warm starts begin near the answer: fewer iterations past the first rank.
  double warm_iterations = 0, cold_iterations = 0;
  for (std::size_t p = 1; p < std::min(warm.points.size(), cold.points.size()); ++p) {
    warm_iterations += warm.points[p].iterations;
    cold_iterations += cold.points[p].iterations;
  }
  EXPECT_LT(warm_iterations, cold_iterations);
}

// Multiplicative updates cannot move an entry off zero: the warm start's new parts start with
// no zeros, so they grow where the data needs them.
TEST(SelectRank, WarmStartsSuitMultiplicativeUpdates) {
  int hits = 0;
  for (std::uint32_t seed = 0; seed < 5; ++seed) {
    RankOptions o = options_around(4, seed);
    o.fit.solver = "mu";
    o.fit.max_iter = 500;
    const RankResult r = select_rank(noisy_low_rank(4, seed).view(), o);
    hits += r.chosen_k == 4;
  }
  EXPECT_GE(hits, 4);
}

TEST(SelectRank, FitsTheFoldsOnARowSample) {
  const Matrix<double> x = noisy_low_rank(3, 5);
  RankOptions o = options_around(3, 5);
  o.sample_rows = 50;
  o.keep_components = true;
  const RankResult a = select_rank(x.view(), o);
  EXPECT_EQ(a.sample_rows, 50);
  EXPECT_EQ(a.chosen_k, 3);
  for (const RankPoint& p : a.points)
    EXPECT_EQ(p.components.size(), std::size_t(p.k) * 60u) << "k = " << p.k;
  const RankResult b = select_rank(x.view(), o);  // the same sample every time
  ASSERT_EQ(a.points.size(), b.points.size());
  for (std::size_t p = 0; p < a.points.size(); ++p)
    EXPECT_EQ(a.points[p].fold_errors, b.points[p].fold_errors);
  o.sample_rows = 0;  // automatic: 80 x 60 is small, every row
  EXPECT_EQ(select_rank(x.view(), o).sample_rows, 80);
  o.ks = {2, 51};
  o.sample_rows = 50;  // k beyond the sample
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
}

TEST(SelectRank, ReportsEveryFinishedRankOnceInOrderAndStopsWhenAsked) {
  const Matrix<double> x = noisy_low_rank(3, 6);
  RankOptions o = options_around(3, 6);
  std::vector<int> finished;
  int calls = 0;
  o.progress = [&](const RankProgress& p) {
    ++calls;
    EXPECT_GE(p.fold, 0);
    EXPECT_LT(p.fold, 3);
    EXPECT_LE(p.fits_done, p.fits_at_most);
    EXPECT_GE(p.seconds_left, 0);
    if (p.finished != nullptr) finished.push_back(p.finished->k);
    return true;
  };
  const RankResult r = select_rank(x.view(), o);
  std::vector<int> scanned;
  for (const RankPoint& p : r.points) scanned.push_back(p.k);
  EXPECT_EQ(finished, scanned);
  EXPECT_GE(calls, int(scanned.size()) * 3);
  o.progress = [](const RankProgress& p) { return p.fits_done < 4; };
  EXPECT_THROW(select_rank(x.view(), o), Cancelled);
}

TEST(SelectRank, AnExceptionFromTheCallbackReachesTheCaller) {
  const Matrix<double> x = noisy_low_rank(3, 6);
  for (bool cophenetic : {false, true}) {
    RankOptions o = options_around(3, 6);
    o.fit.threads = 2;  // the callback runs inside a parallel region
    o.cophenetic = cophenetic;
    o.restarts = 3;
    o.max_cluster_samples = 40;
    const int throw_at = cophenetic ? 20 : 2;
    o.progress = [throw_at](const RankProgress& p) {
      if (p.fits_done >= throw_at) throw std::runtime_error("from the callback");
      return true;
    };
    EXPECT_THROW(select_rank(x.view(), o), std::runtime_error) << cophenetic;
  }
}

TEST(SelectRank, SaysWhenTheRowSampleMissesAFeatureOfTheMask) {
  const Matrix<double> x = noisy_low_rank(3, 7);
  std::vector<std::uint8_t> observed(x.values.size(), 1);
  for (Index i = 1; i < 80; ++i) observed[static_cast<std::size_t>(i * 60)] = 0;  // feature 0
  const DenseView<std::uint8_t> mask(observed.data(), 80, 60);
  int refused = 0;
  for (std::uint32_t seed = 0; seed < 12; ++seed) {
    RankOptions o = options_around(3, seed);
    o.sample_rows = 20;
    try {
      select_rank(x.view(), o, &mask);
    } catch (const DataError& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("feature 0 has no observed entry in the 20 sampled"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_GE(refused, 6);  // row 0, the only one observing feature 0, is sampled 1 time in 4
}

TEST(SelectRank, RefusesBadKnobs) {
  const Matrix<double> x = noisy_low_rank(3, 0);
  RankOptions o = options_around(3, 0);
  o.knee_fraction = 1;
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
  o = options_around(3, 0);
  o.knee_relative_gain = 0;
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
  o = options_around(3, 0);
  o.patience = -1;
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
  o = options_around(3, 0);
  o.sample_rows = -5;
  EXPECT_THROW(select_rank(x.view(), o), InvalidArgument);
  EXPECT_EQ(parse_rank_rule("knee"), RankRule::kKnee);
  EXPECT_THROW(parse_rank_rule("elbow"), InvalidArgument);
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
