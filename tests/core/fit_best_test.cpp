// fit_best() (restarts) and fit_auto_k() (k chosen by cross-validation, then the fit).
#include "nmfkit/fit_best.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "test_data.hpp"

namespace nmfkit {
namespace {

using testing::same_bytes;

template <typename T>
void expect_same_fit(const FitResult<T>& a, const FitResult<T>& b, const std::string& where) {
  EXPECT_TRUE(same_bytes(a.W, b.W)) << where;
  EXPECT_TRUE(same_bytes(a.H, b.H)) << where;
  EXPECT_TRUE(same_bytes(a.loss_history, b.loss_history)) << where;
  EXPECT_EQ(a.seed, b.seed) << where;
}

/// The message of the InvalidArgument `f` throws ("" when it throws none).
template <typename F>
std::string invalid_argument_of(F&& f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

FitOptions random_starts(int k) {
  FitOptions o = testing::options_for("hals", k);
  o.init = Init::kRandom;
  o.max_iter = 30;
  o.seed = 11;
  return o;
}

TEST(FitBest, KeepsTheLowestObjectiveAndReportsEveryRestart) {
  const Matrix<double> x = testing::uniform_matrix<double>(40, 30, 7);
  const FitOptions o = random_starts(6);
  const BestFit<double> best = fit_best(x.view(), o, 5);
  ASSERT_EQ(best.seeds, (std::vector<std::uint64_t>{11, 12, 13, 14, 15}));
  ASSERT_EQ(best.objectives.size(), 5u);
  EXPECT_FALSE(best.stopped);
  for (std::size_t r = 0; r < best.seeds.size(); ++r) {
    FitOptions single = o;
    single.seed = best.seeds[r];
    EXPECT_EQ(best.objectives[r], fit(x.view(), single).loss_history.back()) << "restart " << r;
  }
  // Random starts on full-rank data end in different local minima: the choice matters.
  const auto lowest = std::min_element(best.objectives.begin(), best.objectives.end());
  EXPECT_LT(*lowest, *std::max_element(best.objectives.begin(), best.objectives.end()));
  EXPECT_EQ(best.best, static_cast<std::size_t>(lowest - best.objectives.begin()));
  EXPECT_EQ(best.fit.loss_history.back(), *lowest);
  FitOptions chosen = o;
  chosen.seed = best.seeds[best.best];
  expect_same_fit(best.fit, fit(x.view(), chosen), "the kept restart");
}

TEST(FitBest, TheFirstOfEqualObjectivesIsKept) {
  // k = 1: cd's shuffle of one component changes nothing, so every restart is the same fit.
  const Matrix<double> x = testing::uniform_matrix<double>(20, 15, 8);
  const Matrix<double> w0(20, 1, 0.5), h0(1, 15, 0.5);
  const StartFactors<double> start{w0.view(), h0.view()};
  FitOptions o = testing::options_for("cd", 1);
  o.init = Init::kCustom;
  o.shuffle = true;
  o.seed = 4;
  const BestFit<double> best = fit_best(x.view(), o, 3, &start);
  ASSERT_EQ(best.objectives.size(), 3u);
  EXPECT_EQ(best.objectives[0], best.objectives[2]);
  EXPECT_EQ(best.best, 0u);
  EXPECT_EQ(best.fit.seed, 4u);
}

TEST(FitBest, OneRestartIsThePlainFitForEveryKindOfX) {
  const std::vector<std::uint8_t> q = testing::random_levels(60, 25, 0.5, 3);
  const std::vector<float> xf = testing::converted_levels<float>(q, 1.0 / 255.0);
  const std::vector<double> xd = testing::converted_levels<double>(q, 1.0 / 255.0);
  std::vector<std::uint8_t> observed(q.size(), 1);
  for (std::size_t p = 0; p < observed.size(); p += 7) observed[p] = 0;
  const DenseView<float> vf(xf.data(), 60, 25);
  const DenseView<double> vd(xd.data(), 60, 25);
  const DenseView<std::uint8_t> mask(observed.data(), 60, 25);
  const LevelsView levels{DenseView<std::uint8_t>(q.data(), 60, 25)};
  for (const std::string solver : {"cd", "hals", "mu"}) {
    FitOptions o = testing::options_for(solver, 4);
    o.max_iter = 20;
    o.seed = 5;
    expect_same_fit(fit_best(vf, o, 1).fit, fit(vf, o), solver + " float");
    expect_same_fit(fit_best(vd, o, 1).fit, fit(vd, o), solver + " double");
    expect_same_fit(fit_best(levels, o, 1).fit, fit(levels, o), solver + " levels");
    expect_same_fit(fit_best(vf, mask, o, 1).fit, fit(vf, mask, o), solver + " masked float");
    expect_same_fit(fit_best(vd, mask, o, 1).fit, fit(vd, mask, o), solver + " masked double");
  }
}

TEST(FitBest, SeedsWrapAt32Bits) {
  const Matrix<double> x = testing::uniform_matrix<double>(20, 15, 9);
  FitOptions o = random_starts(3);
  o.seed = 4294967295ULL;
  EXPECT_EQ(fit_best(x.view(), o, 2).seeds, (std::vector<std::uint64_t>{4294967295ULL, 0}));
}

TEST(FitBest, AFitStoppedByTheCallbackEndsTheRestarts) {
  const Matrix<double> x = testing::uniform_matrix<double>(30, 20, 10);
  FitOptions o = random_starts(3);
  o.tol = 0;
  int calls = 0;
  o.progress = [&calls](const Progress& p) {
    ++calls;
    return calls < 30 + 4 || p.iteration < 4;  // the second fit stops at its 4th iteration
  };
  const BestFit<double> best = fit_best(x.view(), o, 5);
  EXPECT_TRUE(best.stopped);
  EXPECT_EQ(best.seeds.size(), 2u);
  EXPECT_EQ(best.objectives.size(), 2u);
  EXPECT_EQ(calls, 30 + 4);
}

TEST(FitBest, BadArgumentsNameTheParameter) {
  const Matrix<double> x = testing::uniform_matrix<double>(20, 15, 12);
  const FitOptions o = random_starts(3);
  for (int restarts : {0, -2}) {
    const std::string m = invalid_argument_of([&] { fit_best(x.view(), o, restarts); });
    EXPECT_NE(m.find("restarts"), std::string::npos) << m;
    EXPECT_NE(m.find(std::to_string(restarts)), std::string::npos) << m;
  }
  // Nothing random: every restart would be the same fit.
  const Matrix<double> w0(20, 3, 0.5), h0(3, 15, 0.5);
  const StartFactors<double> start{w0.view(), h0.view()};
  FitOptions custom = testing::options_for("hals", 3);
  custom.init = Init::kCustom;
  const std::string m = invalid_argument_of([&] { fit_best(x.view(), custom, 2, &start); });
  EXPECT_NE(m.find("restarts"), std::string::npos) << m;
  EXPECT_NE(m.find("init custom"), std::string::npos) << m;
  EXPECT_NO_THROW(fit_best(x.view(), custom, 1, &start));
}

// ---- fit_auto_k ----

TEST(FitAutoK, ChoosesTheRankOfExactRankThreeDataWithSmallNoise) {
  const Matrix<double> x = testing::noisy_low_rank(80, 60, 3, 2);
  AutoKOptions o;
  o.fit.solver = "cd";
  o.fit.seed = 2;
  o.restarts = 2;
  int selected = 0;
  o.selected = [&selected](const RankResult& r) {
    ++selected;
    EXPECT_EQ(r.chosen_k, 3);
  };
  const AutoKFit<double> r = fit_auto_k(x.view(), o);
  EXPECT_EQ(selected, 1);
  EXPECT_EQ(r.selection.chosen_k, 3);
  EXPECT_EQ(r.selection.candidates, 30);     // the default candidates 1..30, scanned upwards …
  ASSERT_EQ(r.selection.points.size(), 6u);  // … until three ranks past the choice
  EXPECT_EQ(r.selection.points.front().k, 1);
  EXPECT_EQ(r.best.fit.H.rows, 3);
  EXPECT_EQ(r.best.fit.solver, "cd");  // the fit's own rule; the selection used hals
  EXPECT_EQ(r.best.seeds, (std::vector<std::uint64_t>{2, 3}));
  // The fit at the chosen k is fit_best()'s.
  FitOptions at_k = o.fit;
  at_k.k = 3;
  expect_same_fit(r.best.fit, fit_best(x.view(), at_k, 2).fit, "the fit at the chosen k");
}

void expect_same_selection(const RankResult& a, const RankResult& b, const std::string& where) {
  EXPECT_EQ(a.chosen_k, b.chosen_k) << where;
  EXPECT_EQ(a.sample_rows, b.sample_rows) << where;
  ASSERT_EQ(a.points.size(), b.points.size()) << where;
  for (std::size_t p = 0; p < a.points.size(); ++p) {
    EXPECT_TRUE(same_bytes(a.points[p].fold_errors, b.points[p].fold_errors)) << where << " " << p;
    EXPECT_EQ(a.points[p].components, b.points[p].components) << where << " " << p;
  }
}

// Compressed sparse rows and 8-bit levels (in memory or read through a LevelsSource) are selected
// from a dense sample of their rows, the result that of their dense float values bit for bit,
// and fitted at the chosen k in their own form.
TEST(FitAutoK, EveryFormOfXGivesTheSelectionOfItsDenseValues) {
  constexpr Index n = 90, m = 40;
  const std::vector<std::uint8_t> q = testing::random_levels(n, m, 0.6, 4);
  const std::vector<float> xf = testing::converted_levels<float>(q, 1.0 / 255.0);
  const DenseView<float> dense(xf.data(), n, m);
  std::vector<std::int64_t> indptr = {0};
  std::vector<std::int64_t> indices;
  std::vector<float> values;
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < m; ++j)
      if (xf[static_cast<std::size_t>(i * m + j)] != 0) {
        indices.push_back(j);
        values.push_back(xf[static_cast<std::size_t>(i * m + j)]);
      }
    indptr.push_back(static_cast<std::int64_t>(indices.size()));
  }
  const CsrView<float, std::int64_t> csr{n, m, indptr.data(), indices.data(), values.data()};
  const LevelsView levels{DenseView<std::uint8_t>(q.data(), n, m)};
  int reads = 0;
  LevelsSource source{n, m, 1.0 / 255.0, 0, [&](Index first, Index count, std::uint8_t* out) {
                        ++reads;
                        std::copy(q.data() + first * m, q.data() + (first + count) * m, out);
                      }};
  for (const Index sample : {Index(0), Index(35)}) {  // every row, then a sample of them
    AutoKOptions o;
    o.fit.seed = 3;
    o.selection = auto_k_selection(o.fit, n, m);
    o.selection->ks = {1, 2, 3, 4, 5};
    o.selection->sample_rows = sample;
    o.selection->keep_components = true;
    const std::string where = "sample " + std::to_string(sample);
    const RankResult expected = select_rank(dense, *o.selection);
    EXPECT_EQ(expected.sample_rows, sample == 0 ? n : sample);
    expect_same_selection(select_rank(csr, *o.selection), expected, where + " csr");
    expect_same_selection(select_rank(levels, *o.selection), expected, where + " levels");
    reads = 0;
    expect_same_selection(select_rank(source, *o.selection), expected, where + " source");
    EXPECT_EQ(reads, expected.sample_rows) << where;  // one read per sampled row, no more
    const AutoKFit<float> from_dense = fit_auto_k(dense, o);
    FitOptions at_k = o.fit;
    at_k.k = from_dense.selection.chosen_k;
    const AutoKFit<float> from_csr = fit_auto_k(csr, o);
    expect_same_selection(from_csr.selection, from_dense.selection, where + " csr fit");
    expect_same_fit(from_csr.best.fit, fit(csr, at_k), where + " csr fit");
    const AutoKFit<float> from_levels = fit_auto_k(levels, o);
    expect_same_selection(from_levels.selection, from_dense.selection, where + " levels fit");
    expect_same_fit(from_levels.best.fit, fit(levels, at_k), where + " levels fit");
    const AutoKFit<float> from_source = fit_auto_k(source, o);
    expect_same_selection(from_source.selection, from_dense.selection, where + " source fit");
    expect_same_fit(from_source.best.fit, fit(levels, at_k), where + " source fit");
  }
}

// What fit() refuses in a form is refused before any selection fit.
TEST(FitAutoK, BadFormsAreRefusedAsFitRefusesThem) {
  const std::vector<std::int32_t> indptr = {0, 1, 2}, bad_indices = {0, 7};
  const std::vector<float> values = {1, 2}, negative = {1, -2};
  AutoKOptions o;
  o.selection = auto_k_selection(o.fit, 2, 3);
  EXPECT_THROW(
      fit_auto_k(
          CsrView<float, std::int32_t>{2, 3, indptr.data(), bad_indices.data(), values.data()}, o),
      DataError);
  const std::vector<std::int32_t> indices = {0, 1};
  EXPECT_THROW(
      fit_auto_k(CsrView<float, std::int32_t>{2, 3, indptr.data(), indices.data(), negative.data()},
                 o),
      DataError);
  const std::vector<std::uint8_t> q(6, 1);
  EXPECT_THROW(fit_auto_k(LevelsView{DenseView<std::uint8_t>(q.data(), 2, 3), -1.0}, o),
               InvalidArgument);
  EXPECT_THROW(fit_auto_k(LevelsSource{2, 3, 1.0 / 255.0, 0, nullptr}, o), InvalidArgument);
  EXPECT_THROW(select_rank(LevelsView{DenseView<std::uint8_t>(nullptr, 0, 3)}, *o.selection),
               DataError);
}

TEST(FitAutoK, MaskedXIsSelectedAndFittedFromItsObservedEntries) {
  const Matrix<double> x = testing::noisy_low_rank(60, 40, 3, 3);
  std::vector<std::uint8_t> observed(x.values.size(), 1);
  for (std::size_t p = 3; p < observed.size(); p += 13) observed[p] = 0;
  const DenseView<std::uint8_t> mask(observed.data(), 60, 40);
  AutoKOptions o;
  o.selection = auto_k_selection(o.fit, 60, 40);
  o.selection->ks = {2, 3, 4, 5};
  const AutoKFit<double> r = fit_auto_k(x.view(), o, &mask);
  EXPECT_EQ(r.selection.chosen_k, 3);
  ASSERT_EQ(r.selection.points.size(), 4u);
  FitOptions at_k = o.fit;
  at_k.k = 3;
  expect_same_fit(r.best.fit, fit(x.view(), mask, at_k), "the masked fit at the chosen k");
}

TEST(FitAutoK, DefaultSelection) {
  FitOptions fit;
  fit.shuffle = true;  // cd's knob: hals does not take it
  fit.extrapolate = true;
  fit.seed = 9;
  const RankOptions s = auto_k_selection(fit, 7, 300);
  EXPECT_EQ(s.ks, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(s.fit.solver, "hals");
  EXPECT_FALSE(s.fit.shuffle);
  EXPECT_TRUE(s.fit.extrapolate);
  EXPECT_EQ(s.fit.seed, 9u);
  EXPECT_EQ(s.fit.tol,
            RankOptions::kSelectionTol);  // looser than a fit's: each starts near its answer
  EXPECT_NO_THROW(s.validate());
  EXPECT_EQ(auto_k_selection(fit, 500, 300).ks.size(), 30u);
  FitOptions kl = testing::options_for("mu", 2);
  kl.beta = 1;
  EXPECT_EQ(auto_k_selection(kl, 50, 50).fit.solver, "mu");
  EXPECT_THROW(auto_k_selection(fit, 0, 300), DataError);
}

TEST(FitAutoK, BadArgumentsNameTheParameter) {
  const Matrix<double> x = testing::noisy_low_rank(30, 20, 2, 4);
  AutoKOptions o;
  o.restarts = 0;
  std::string m = invalid_argument_of([&] { fit_auto_k(x.view(), o); });
  EXPECT_NE(m.find("restarts"), std::string::npos) << m;
  o.restarts = 1;
  o.selection = auto_k_selection(o.fit, 30, 20);
  o.selection->ks.clear();
  m = invalid_argument_of([&] { fit_auto_k(x.view(), o); });
  EXPECT_NE(m.find("ranks"), std::string::npos) << m;
  o.selection.reset();
  o.fit.init = Init::kCustom;
  m = invalid_argument_of([&] { fit_auto_k(x.view(), o); });
  EXPECT_NE(m.find("init custom"), std::string::npos) << m;
}

TEST(FitAutoK, TheSelectionsCallbackCancelsBeforeAnyFit) {
  const Matrix<double> x = testing::noisy_low_rank(30, 20, 2, 5);
  AutoKOptions o;
  o.selection = auto_k_selection(o.fit, 30, 20);
  o.selection->progress = [](const RankProgress& p) { return p.fits_done < 3; };
  bool selected = false;
  o.selected = [&selected](const RankResult&) { selected = true; };
  EXPECT_THROW(fit_auto_k(x.view(), o), Cancelled);
  EXPECT_FALSE(selected);
}

}  // namespace
}  // namespace nmfkit
