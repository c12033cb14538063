// The class × component summary of a fit (summarize_classes, class_means) and classes.png.
#include "viz/classes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "nmfkit/matrix.hpp"
#include "viz/font.hpp"

namespace nmfkit::viz {
namespace {

Rgb pixel(const RgbImage& image, Index x, Index y) {
  const auto i = static_cast<std::size_t>((y * image.width + x) * 3);
  return Rgb{image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]};
}

Index count_color(const RgbImage& image, Rgb c) {
  Index n = 0;
  for (Index y = 0; y < image.height; ++y)
    for (Index x = 0; x < image.width; ++x) n += pixel(image, x, y) == c;
  return n;
}

template <typename T>
Matrix<T> matrix(Index rows, Index cols, const std::vector<double>& values) {
  Matrix<T> m(rows, cols);
  for (std::size_t e = 0; e < values.size(); ++e) m.values[e] = static_cast<T>(values[e]);
  return m;
}

// X = W·H.
Matrix<double> product(const Matrix<double>& w, const Matrix<double>& h) {
  Matrix<double> x(w.rows, h.cols);
  for (Index i = 0; i < w.rows; ++i)
    for (Index p = 0; p < h.cols; ++p)
      for (Index j = 0; j < w.cols; ++j) x(i, p) += w(i, j) * h(j, p);
  return x;
}

// The share matrix straight from its definition: the class's mean of W_ij · sum(H_j) over its
// samples, divided by the sum of those means over j.
std::vector<double> reference_share(const Matrix<double>& w, const Matrix<double>& h,
                                    const std::vector<int>& labels, int classes) {
  const Index k = w.cols;
  std::vector<double> mean(static_cast<std::size_t>(classes * k), 0.0);
  for (int c = 0; c < classes; ++c) {
    Index count = 0;
    for (Index i = 0; i < w.rows; ++i) count += labels[static_cast<std::size_t>(i)] == c;
    for (Index j = 0; j < k; ++j) {
      double h_sum = 0, sum = 0;
      for (Index p = 0; p < h.cols; ++p) h_sum += h(j, p);
      for (Index i = 0; i < w.rows; ++i)
        if (labels[static_cast<std::size_t>(i)] == c) sum += w(i, j) * h_sum;
      mean[static_cast<std::size_t>(c * k + j)] = count > 0 ? sum / double(count) : 0.0;
    }
  }
  for (int c = 0; c < classes; ++c) {
    double row = 0;
    for (Index j = 0; j < k; ++j) row += mean[static_cast<std::size_t>(c * k + j)];
    for (Index j = 0; j < k; ++j)
      mean[static_cast<std::size_t>(c * k + j)] =
          row > 0 ? mean[static_cast<std::size_t>(c * k + j)] / row : 0.0;
  }
  return mean;
}

// Five samples, three components, two classes. sum(H_j) = {2, 1, 4}, so the activations
// W_ij · sum(H_j) are
//   sample 0 (class 0): 2 0 0      sample 2 (class 1): 0 0 4
//   sample 1 (class 0): 6 2 0      sample 3 (class 1): 0 4 4
//   sample 4 (class 0): 4 0 2
// class 0 totals {12, 2, 2} (row 16), class 1 totals {0, 4, 8} (row 12).
struct Example {
  Matrix<double> w = matrix<double>(5, 3, {1, 0, 0, 3, 2, 0, 0, 0, 1, 0, 4, 1, 2, 0, 0.5});
  Matrix<double> h = matrix<double>(3, 2, {1, 1, 0.5, 0.5, 3, 1});
  std::vector<int> labels{0, 0, 1, 1, 0};
  int classes = 2;
};

TEST(ClassSummary, HandComputedTable) {
  const Example e;
  const ClassTable t = summarize_classes(e.w.view(), e.h.view(), e.labels, e.classes);
  EXPECT_EQ(t.classes, 2);
  EXPECT_EQ(t.k, 3);
  EXPECT_EQ(t.counts, (std::vector<Index>{3, 2}));
  const std::vector<double> share{0.75, 0.125, 0.125, 0, 1.0 / 3, 2.0 / 3};
  const std::vector<double> total{12, 2, 2, 0, 4, 8};
  const std::vector<double> mean_w{2, 2.0 / 3, 0.5 / 3, 0, 2, 1};
  ASSERT_EQ(t.share.size(), 6u);
  ASSERT_EQ(t.total.size(), 6u);
  ASSERT_EQ(t.mean_w.size(), 6u);
  for (std::size_t e2 = 0; e2 < 6; ++e2) {
    EXPECT_NEAR(t.share[e2], share[e2], 1e-12) << e2;
    EXPECT_NEAR(t.total[e2], total[e2], 1e-12) << e2;
    EXPECT_NEAR(t.mean_w[e2], mean_w[e2], 1e-12) << e2;
  }
  EXPECT_DOUBLE_EQ(t.share_of(1, 2), t.share[5]);
  // Class 0: 0.75 < 0.8, then the tie 0.125/0.125 goes to the lower index 1.
  ASSERT_EQ(t.top_parts.size(), 2u);
  EXPECT_EQ(t.top_parts[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(t.top_parts[1], (std::vector<int>{2, 1}));
  EXPECT_EQ(t.top_class, (std::vector<int>{0, 1, 1}));
  ASSERT_EQ(t.top_class_share.size(), 3u);
  EXPECT_NEAR(t.top_class_share[0], 1.0, 1e-12);
  EXPECT_NEAR(t.top_class_share[1], 4.0 / 6, 1e-12);
  EXPECT_NEAR(t.top_class_share[2], 8.0 / 10, 1e-12);
  EXPECT_NEAR(t.purity, (12.0 + 4 + 8) / (16 + 12), 1e-12);
}

TEST(ClassSummary, ShareRowsSumToOneAndMatchTheDefinition) {
  // A less tidy example: 7 samples, 4 components, 3 classes, H with uneven row sums.
  Matrix<double> w(7, 4), h(4, 5);
  for (Index i = 0; i < 7; ++i)
    for (Index j = 0; j < 4; ++j) w(i, j) = double((3 * i + 5 * j) % 7) * 0.37 + 0.01 * double(i);
  for (Index j = 0; j < 4; ++j)
    for (Index p = 0; p < 5; ++p) h(j, p) = double((j + 1) * (p % 3 + 1)) * 0.21;
  const std::vector<int> labels{2, 0, 1, 0, 2, 2, 1};
  const ClassTable t = summarize_classes(w.view(), h.view(), labels, 3);
  const std::vector<double> expected = reference_share(w, h, labels, 3);
  for (int c = 0; c < 3; ++c) {
    double row = 0;
    for (int j = 0; j < 4; ++j) {
      row += t.share_of(c, j);
      EXPECT_NEAR(t.share_of(c, j), expected[static_cast<std::size_t>(c * 4 + j)], 1e-12);
    }
    EXPECT_NEAR(row, 1.0, 1e-12) << "class " << c;
  }
  EXPECT_EQ(t.counts, (std::vector<Index>{2, 2, 3}));
}

TEST(ClassSummary, TopPartsIsTheSmallestPrefixCoveringTheThreshold) {
  // One class per sample, H = [1] so a sample's W row is its class's totals.
  const Matrix<double> h = matrix<double>(4, 1, {1, 1, 1, 1});
  const Matrix<double> w = matrix<double>(5, 4,
                                          {
                                              9, 1, 0, 0,  // 0.9 alone covers 0.8
                                              0, 0, 5, 0,  // a single used part
                                              1, 1, 1, 1,  // all tie: lowest indices first
                                              4, 0, 1, 0,  // exactly 0.8 covers
                                              1, 3, 0, 0,  // 0.75, then 0.25
                                          });
  const ClassTable t = summarize_classes(w.view(), h.view(), std::vector<int>{0, 1, 2, 3, 4}, 5);
  EXPECT_EQ(t.top_parts[0], (std::vector<int>{0}));
  EXPECT_EQ(t.top_parts[1], (std::vector<int>{2}));
  EXPECT_EQ(t.top_parts[2], (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(t.top_parts[3], (std::vector<int>{0}));
  EXPECT_EQ(t.top_parts[4], (std::vector<int>{1, 0}));
  EXPECT_DOUBLE_EQ(kTopPartsCover, 0.8);
}

TEST(ClassSummary, TopPartsStopWhenTheCoverIsReachedUpToRounding) {
  // Shares 0.7, 0.1, 0.1, 0.1: the first two cover exactly 0.8, though 0.7 + 0.1 in floating
  // point is 0.7999999999999999.
  const Matrix<double> h = matrix<double>(4, 1, {1, 1, 1, 1});
  const Matrix<double> w = matrix<double>(1, 4, {7, 1, 1, 1});
  const ClassTable t = summarize_classes(w.view(), h.view(), std::vector<int>{0}, 1);
  EXPECT_EQ(t.top_parts[0], (std::vector<int>{0, 1}));
}

TEST(ClassSummary, TopClassTiesGoToTheLowestClassAndUnusedComponentsHaveNone) {
  // Component 0: both classes total 4 (a tie: 2·2 and (1 + 1)·2); component 1: no W; component 2:
  // an H row of zeros.
  const Matrix<double> w = matrix<double>(3, 3, {2, 0, 3, 1, 0, 1, 1, 0, 2});
  const Matrix<double> h = matrix<double>(3, 2, {1, 1, 1, 1, 0, 0});
  const std::vector<int> labels{1, 0, 0};  // class 1 comes first but loses the tie
  const ClassTable t = summarize_classes(w.view(), h.view(), labels, 2);
  EXPECT_EQ(t.top_class, (std::vector<int>{0, -1, -1}));
  EXPECT_DOUBLE_EQ(t.top_class_share[0], 0.5);
  EXPECT_DOUBLE_EQ(t.top_class_share[1], 0.0);
  EXPECT_DOUBLE_EQ(t.top_class_share[2], 0.0);
  EXPECT_DOUBLE_EQ(t.purity, 0.5);
  // Only component 0 is active, so each class uses it alone.
  EXPECT_EQ(t.top_parts[0], (std::vector<int>{0}));
  EXPECT_EQ(t.top_parts[1], (std::vector<int>{0}));
  EXPECT_DOUBLE_EQ(t.share_of(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(t.share_of(0, 2), 0.0);
}

TEST(ClassSummary, PurityIsOneForDisjointUseAndOneOverClassesForEqualUse) {
  const Matrix<double> h = matrix<double>(3, 2, {1, 2, 0.5, 0.5, 4, 0});
  // Class c uses component c only (two samples of class 1 with different weights).
  const Matrix<double> disjoint = matrix<double>(4, 3, {2, 0, 0, 0, 1, 0, 0, 3, 0, 0, 0, 5});
  const ClassTable a =
      summarize_classes(disjoint.view(), h.view(), std::vector<int>{0, 1, 1, 2}, 3);
  EXPECT_NEAR(a.purity, 1.0, 1e-12);
  EXPECT_EQ(a.top_class, (std::vector<int>{0, 1, 2}));
  for (double s : a.top_class_share) EXPECT_NEAR(s, 1.0, 1e-12);
  // Every class uses every component alike.
  const Matrix<double> alike = matrix<double>(3, 3, {1, 2, 3, 1, 2, 3, 1, 2, 3});
  const ClassTable b = summarize_classes(alike.view(), h.view(), std::vector<int>{2, 0, 1}, 3);
  EXPECT_NEAR(b.purity, 1.0 / 3, 1e-12);
  EXPECT_EQ(b.top_class, (std::vector<int>{0, 0, 0}));
  for (double s : b.top_class_share) EXPECT_NEAR(s, 1.0 / 3, 1e-12);
}

TEST(ClassSummary, InvariantUnderInverseRescalingOfWAndH) {
  const Example e;
  const ClassTable base = summarize_classes(e.w.view(), e.h.view(), e.labels, e.classes);
  for (const double s : {4.0, 3.0, 0.01}) {
    for (Index j = 0; j < 3; ++j) {
      Matrix<double> w = e.w, h = e.h;
      for (Index i = 0; i < w.rows; ++i) w(i, j) *= s;
      for (Index p = 0; p < h.cols; ++p) h(j, p) /= s;
      const ClassTable t = summarize_classes(w.view(), h.view(), e.labels, e.classes);
      for (std::size_t c = 0; c < base.share.size(); ++c)
        EXPECT_NEAR(t.share[c], base.share[c], 1e-12) << "s " << s << " j " << j;
      EXPECT_EQ(t.top_class, base.top_class);
      // Class 0's second part is a tie of 0.125 and 0.125, which rounding may break either way
      // unless s is a power of two; class 1 has no tie.
      if (s == 4.0) {
        EXPECT_EQ(t.top_parts, base.top_parts);
      }
      EXPECT_EQ(t.top_parts[0].size(), base.top_parts[0].size());
      EXPECT_EQ(t.top_parts[0][0], base.top_parts[0][0]);
      EXPECT_EQ(t.top_parts[1], base.top_parts[1]);
      EXPECT_NEAR(t.purity, base.purity, 1e-12);
      // mean_w follows W, of course.
      EXPECT_NEAR(t.mean_w[static_cast<std::size_t>(j)],
                  base.mean_w[static_cast<std::size_t>(j)] * s, 1e-12);
    }
  }
}

TEST(ClassSummary, FloatAndDoubleAgree) {
  const Example e;
  const Matrix<float> wf = matrix<float>(5, 3, e.w.values);
  const Matrix<float> hf = matrix<float>(3, 2, e.h.values);
  const ClassTable d = summarize_classes(e.w.view(), e.h.view(), e.labels, e.classes);
  const ClassTable f = summarize_classes(wf.view(), hf.view(), e.labels, e.classes);
  EXPECT_EQ(f.counts, d.counts);
  for (std::size_t c = 0; c < d.share.size(); ++c) {
    EXPECT_DOUBLE_EQ(f.share[c], d.share[c]);
    EXPECT_DOUBLE_EQ(f.total[c], d.total[c]);
    EXPECT_DOUBLE_EQ(f.mean_w[c], d.mean_w[c]);
  }
  EXPECT_EQ(f.top_parts, d.top_parts);
  EXPECT_EQ(f.top_class, d.top_class);
  EXPECT_EQ(f.top_class_share, d.top_class_share);
  EXPECT_DOUBLE_EQ(f.purity, d.purity);
}

TEST(ClassSummary, EmptyOrInactiveClassHasAZeroRowAndNoTopParts) {
  const Example e;
  // Class 2 has no samples; class 3 has one sample with an all-zero W row.
  Matrix<double> w(6, 3);
  std::copy(e.w.values.begin(), e.w.values.end(), w.values.begin());
  std::vector<int> labels = e.labels;
  labels.push_back(3);
  const ClassTable t = summarize_classes(w.view(), e.h.view(), labels, 4);
  EXPECT_EQ(t.counts, (std::vector<Index>{3, 2, 0, 1}));
  for (int c : {2, 3})
    for (std::size_t j = 0; j < 3; ++j) {
      const std::size_t at = static_cast<std::size_t>(c) * 3 + j;
      EXPECT_EQ(t.share[at], 0.0);
      EXPECT_EQ(t.total[at], 0.0);
      EXPECT_EQ(t.mean_w[at], 0.0);
    }
  EXPECT_TRUE(t.top_parts[2].empty());
  EXPECT_TRUE(t.top_parts[3].empty());
  // The other classes are as without them.
  EXPECT_EQ(t.top_parts[0], (std::vector<int>{0, 1}));
  EXPECT_EQ(t.top_class, (std::vector<int>{0, 1, 1}));
  EXPECT_NEAR(t.purity, 24.0 / 28, 1e-12);
}

TEST(ClassSummary, RejectsMismatchedSizesAndLabels) {
  const Example e;
  EXPECT_THROW(summarize_classes(e.w.view(), e.h.view(), std::vector<int>{0, 0, 1, 1}, 2),
               InvalidArgument);
  EXPECT_THROW(summarize_classes(e.w.view(), e.h.view(), std::vector<int>{0, 0, 1, 1, 0, 1}, 2),
               InvalidArgument);
  EXPECT_THROW(summarize_classes(e.w.view(), e.h.view(), std::vector<int>{0, 0, 2, 1, 0}, 2),
               InvalidArgument);
  EXPECT_THROW(summarize_classes(e.w.view(), e.h.view(), std::vector<int>{0, -1, 1, 1, 0}, 2),
               InvalidArgument);
  EXPECT_THROW(summarize_classes(e.w.view(), e.h.view(), e.labels, 0), InvalidArgument);
  const Matrix<double> h4(4, 2, 1.0);
  EXPECT_THROW(summarize_classes(e.w.view(), h4.view(), e.labels, 2), InvalidArgument);
  const Matrix<float> wf(5, 3, 1.0f), hf(2, 2, 1.0f);
  EXPECT_THROW(summarize_classes(wf.view(), hf.view(), e.labels, 2), InvalidArgument);
}

TEST(ClassMeans, MeanPerClassSkippingMissingEntries) {
  const double nan = std::nan("");
  // 5 samples × 3 features; class 0: samples 0, 2, 4; class 1: samples 1, 3.
  const Matrix<double> x = matrix<double>(5, 3,
                                          {
                                              1, nan, 2,   //
                                              10, nan, 0,  //
                                              3, 4, nan,   //
                                              20, nan, 6,  //
                                              5, 8, 11,    //
                                          });
  const std::vector<int> labels{0, 1, 0, 1, 0};
  const std::vector<double> m = class_means(x.view(), labels, 2);
  ASSERT_EQ(m.size(), 6u);
  EXPECT_DOUBLE_EQ(m[0], 3.0);    // (1 + 3 + 5) / 3
  EXPECT_DOUBLE_EQ(m[1], 6.0);    // (4 + 8) / 2: the NaN is left out
  EXPECT_DOUBLE_EQ(m[2], 6.5);    // (2 + 11) / 2
  EXPECT_DOUBLE_EQ(m[3], 15.0);   // (10 + 20) / 2
  EXPECT_TRUE(std::isnan(m[4]));  // missing in every sample of class 1
  EXPECT_DOUBLE_EQ(m[5], 3.0);
  // The float overload agrees.
  const Matrix<float> xf = matrix<float>(5, 3, x.values);
  const std::vector<double> mf = class_means(xf.view(), labels, 2);
  ASSERT_EQ(mf.size(), 6u);
  for (std::size_t e = 0; e < 6; ++e) {
    if (std::isnan(m[e]))
      EXPECT_TRUE(std::isnan(mf[e]));
    else
      EXPECT_DOUBLE_EQ(mf[e], m[e]);
  }
}

TEST(ClassMeans, HonoursRowStrideAndRejectsBadLabels) {
  // Two rows of 2 values in rows of stride 3 (the third value must be ignored).
  const std::vector<double> padded{1, 2, 100, 3, 6, 100};
  const DenseView<double> x(padded.data(), 2, 2, 3);
  const std::vector<double> m = class_means(x, std::vector<int>{0, 0}, 1);
  EXPECT_EQ(m, (std::vector<double>{2, 4}));
  EXPECT_THROW(class_means(x, std::vector<int>{0}, 1), InvalidArgument);
  EXPECT_THROW(class_means(x, std::vector<int>{0, 1}, 1), InvalidArgument);
}

TEST(ClassShareColor, WhiteToDarkBlueMonotone) {
  EXPECT_EQ(share_color(0, 0.6), (Rgb{255, 255, 255}));
  EXPECT_EQ(share_color(0.6, 0.6), (Rgb{8, 69, 148}));
  EXPECT_EQ(share_color(1, 1), (Rgb{8, 69, 148}));
  // Clamped outside [0, top]; no top draws white.
  EXPECT_EQ(share_color(2, 1), (Rgb{8, 69, 148}));
  EXPECT_EQ(share_color(-1, 1), (Rgb{255, 255, 255}));
  EXPECT_EQ(share_color(0.5, 0), (Rgb{255, 255, 255}));
  // Half way: 255 + (to - 255) / 2, rounded.
  EXPECT_EQ(share_color(0.25, 0.5), (Rgb{132, 162, 202}));
  Rgb previous = share_color(0, 1);
  for (int s = 1; s <= 100; ++s) {
    const Rgb c = share_color(s / 100.0, 1);
    EXPECT_LE(c.r, previous.r);
    EXPECT_LE(c.g, previous.g);
    EXPECT_LE(c.b, previous.b);
    EXPECT_FALSE(c == previous) << s;  // red moves by 2.47 per step
    previous = c;
  }
}

TEST(ClassShareColor, TextTurnsWhiteAboveHalfTheTop) {
  EXPECT_FALSE(share_text_white(0, 0.8));
  EXPECT_FALSE(share_text_white(0.4, 0.8));  // exactly half: still dark text
  EXPECT_TRUE(share_text_white(0.41, 0.8));
  EXPECT_TRUE(share_text_white(0.8, 0.8));
  EXPECT_FALSE(share_text_white(0.5, 0));
}

// The layout of classes.png, from classes.cpp: font pixels of 2 (lines of 14 pixels), text
// padding 4, images upscaled to at least 56 pixels a side, frames 2 wide; columns are the names,
// [mean, top parts,] then one per component; rows are the header, [the components,] one per class
// and the footer (two lines when the class names fit across a cell).
constexpr Index kLine = 14, kPad = 4, kFrame = 2;
constexpr Rgb kFrameColor{230, 120, 0};

struct Cells {
  Index w = 0, h = 0;
};

// Cell size for images of `shape` (or none when !images).
Cells cells(const ImageShape& shape, bool images) {
  const Index side = std::max(shape.height, shape.width);
  const Index scale = images ? (56 + side - 1) / side : 0;
  return Cells{std::max(shape.width * scale, text_width("parts", 2) + 2 * kPad),
               std::max(shape.height * scale, kLine + 2 * kPad)};
}

// The top-left corner of the matrix cell (class c, component j), found from the picture's size:
// the components are the last k columns and the classes the rows just above the footer.
struct CellOrigin {
  Index x, y;
};
CellOrigin cell_origin(const RgbImage& im, Cells cell, Index gap, int k, int classes, int c,
                       int j) {
  const Index foot_h = kLine + 3 * kPad + kLine;
  const Index x_first = im.width - k * (cell.w + gap);
  const Index y_first = im.height - gap - foot_h - classes * (cell.h + gap);
  return CellOrigin{x_first + j * (cell.w + gap), y_first + c * (cell.h + gap)};
}

// Samples 2·classes, class i % classes, 4 × 4 images; W(i, j) = 1 + (i + 2j) % 3; H positive.
struct Fit {
  Matrix<double> x, w, h;
  std::vector<int> labels;
  std::vector<std::string> names;
  ClassTable table;
};

Fit make_fit(int k, int classes, Index m = 16) {
  Fit f;
  const Index n = 2 * classes;
  f.w = Matrix<double>(n, k);
  f.h = Matrix<double>(k, m);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j) f.w(i, j) = 1 + double((i + 2 * j) % 3);
  for (Index j = 0; j < k; ++j)
    for (Index p = 0; p < m; ++p) f.h(j, p) = 0.1 + double((p + 3 * j) % 5) * 0.2;
  f.x = product(f.w, f.h);
  for (Index i = 0; i < n; ++i) f.labels.push_back(static_cast<int>(i % classes));
  for (int c = 0; c < classes; ++c) f.names.push_back(std::string(1, char('a' + c)));
  f.table = summarize_classes(f.w.view(), f.h.view(), f.labels, classes);
  return f;
}

RgbImage render(const Fit& f, const ImageShape& shape, const ComponentsStyle& style = {}) {
  return render_classes(f.x.view(), f.h.view(), f.labels, f.table, f.names, shape, style);
}

TEST(ClassPicture, GrowsByOneCellPerComponentAndPerClass) {
  const ImageShape shape{4, 4, 1};
  const ComponentsStyle style;  // gap 2
  const Index gap = style.gap;
  const Cells cell = cells(shape, true);
  EXPECT_EQ(cell.w, 66);  // "parts" is wider than the 56-pixel image
  EXPECT_EQ(cell.h, 56);
  const RgbImage base = render(make_fit(3, 2), shape, style);
  const RgbImage more_k = render(make_fit(4, 2), shape, style);
  const RgbImage more_classes = render(make_fit(3, 3), shape, style);
  EXPECT_EQ(static_cast<Index>(base.pixels.size()), Index{base.width} * base.height * 3);
  EXPECT_EQ(more_k.width - base.width, cell.w + gap);
  EXPECT_EQ(more_k.height, base.height);
  EXPECT_EQ(more_classes.height - base.height, cell.h + gap);
  EXPECT_EQ(more_classes.width, base.width);
  // The whole height: header (2 lines), the component images, 2 classes, footer (2 lines).
  EXPECT_EQ(base.height, gap + (2 * kLine + 3 * kPad) + gap + (cell.h + gap) + 2 * (cell.h + gap) +
                             (2 * kLine + 3 * kPad) + gap);
}

TEST(ClassPicture, WithoutAnImageShapeOnlyTheMatrixIsDrawnSmaller) {
  const Fit f = make_fit(3, 2);
  const ComponentsStyle style;
  const Index gap = style.gap;
  const RgbImage with = render(f, {4, 4, 1}, style);
  const RgbImage one_row = render(f, {1, 16, 1}, style);  // height 1: not images
  const RgbImage wrong = render(f, {3, 3, 1}, style);     // 9 values, not 16
  EXPECT_EQ(one_row.width, wrong.width);
  EXPECT_EQ(one_row.height, wrong.height);
  const Cells img = cells({4, 4, 1}, true), none = cells({4, 4, 1}, false);
  EXPECT_EQ(none.w, img.w);
  EXPECT_EQ(none.h, kLine + 2 * kPad);
  // No mean and top-parts columns, no row of components, shorter class rows.
  EXPECT_EQ(with.width - one_row.width, 2 * (img.w + gap));
  EXPECT_EQ(with.height - one_row.height, (img.h + gap) + 2 * (img.h - none.h));
  // The matrix is still there: the cells carry their share colours.
  double top = 0;
  for (double s : f.table.share) top = std::max(top, s);
  for (int c = 0; c < 2; ++c)
    for (int j = 0; j < 3; ++j) {
      const CellOrigin o = cell_origin(one_row, none, gap, 3, 2, c, j);
      EXPECT_EQ(pixel(one_row, o.x + kFrame + 1, o.y + kFrame + 1),
                share_color(f.table.share_of(c, j), top))
          << c << " " << j;
    }
}

// Two classes of two samples, H rows of ones (sums 16): class 0 shares {0.8, 0.2, 0}, class 1
// shares {0, 0.25, 0.75}; top parts {0} and {2, 1}.
Fit share_fit() {
  Fit f;
  f.w = matrix<double>(4, 3, {4, 1, 0, 0, 1, 3, 4, 1, 0, 0, 1, 3});
  f.h = Matrix<double>(3, 16, 1.0);
  f.x = product(f.w, f.h);
  f.labels = {0, 1, 0, 1};
  f.names = {"zero", "one"};
  f.table = summarize_classes(f.w.view(), f.h.view(), f.labels, 2);
  return f;
}

TEST(ClassPicture, CellsAreColouredByShareAndTopPartsFramed) {
  const Fit f = share_fit();
  ASSERT_EQ(f.table.top_parts[0], (std::vector<int>{0}));
  ASSERT_EQ(f.table.top_parts[1], (std::vector<int>{2, 1}));
  ComponentsStyle style;
  style.background = Rgb{200, 200, 200};  // so that white comes from the cells only
  const ImageShape shape{4, 4, 1};
  const RgbImage im = render(f, shape, style);
  const Cells cell = cells(shape, true);
  const double top = 0.8;
  EXPECT_EQ(share_color(top, top), (Rgb{8, 69, 148}));
  EXPECT_GT(count_color(im, Rgb{8, 69, 148}), 0);
  EXPECT_GT(count_color(im, Rgb{255, 255, 255}), 0);
  const std::vector<std::vector<bool>> framed{{true, false, false}, {false, true, true}};
  for (int c = 0; c < 2; ++c)
    for (int j = 0; j < 3; ++j) {
      const CellOrigin o = cell_origin(im, cell, style.gap, 3, 2, c, j);
      const double s = f.table.share_of(c, j);
      EXPECT_EQ(pixel(im, o.x + kFrame + 1, o.y + kFrame + 1), share_color(s, top)) << c << j;
      EXPECT_EQ(pixel(im, o.x + cell.w - kFrame - 2, o.y + cell.h - kFrame - 2),
                share_color(s, top));
      const bool is_framed = framed[static_cast<std::size_t>(c)][static_cast<std::size_t>(j)];
      for (const auto& [dx, dy] : std::vector<std::pair<Index, Index>>{
               {0, 0}, {cell.w - 1, 0}, {0, cell.h - 1}, {cell.w - 1, cell.h - 1}, {1, 1}}) {
        if (is_framed)
          EXPECT_EQ(pixel(im, o.x + dx, o.y + dy), kFrameColor) << c << j;
        else
          EXPECT_EQ(pixel(im, o.x + dx, o.y + dy), share_color(s, top)) << c << j;
      }
    }
  // The largest share is dark blue, the zeros white.
  const CellOrigin big = cell_origin(im, cell, style.gap, 3, 2, 0, 0);
  EXPECT_EQ(pixel(im, big.x + 5, big.y + 5), (Rgb{8, 69, 148}));
  const CellOrigin zero = cell_origin(im, cell, style.gap, 3, 2, 1, 0);
  EXPECT_EQ(pixel(im, zero.x + 5, zero.y + 5), (Rgb{255, 255, 255}));
  // The frame pixels are exactly the borders of the three top-part cells.
  const Index border = cell.w * cell.h - (cell.w - 2 * kFrame) * (cell.h - 2 * kFrame);
  EXPECT_EQ(count_color(im, kFrameColor), 3 * border);
  // The percentage is written on each cell: white on dark cells, dark on light ones.
  const CellOrigin dark = big;
  Index white_text = 0;
  for (Index y = dark.y; y < dark.y + cell.h; ++y)
    for (Index x = dark.x; x < dark.x + cell.w; ++x)
      white_text += pixel(im, x, y) == Rgb{255, 255, 255};
  EXPECT_GT(white_text, 0);
}

TEST(ClassPicture, NoFrameWithoutTopParts) {
  Fit f = share_fit();
  std::fill(f.w.values.begin(), f.w.values.end(), 0.0);
  f.table = summarize_classes(f.w.view(), f.h.view(), f.labels, 2);
  ASSERT_TRUE(f.table.top_parts[0].empty());
  ASSERT_TRUE(f.table.top_parts[1].empty());
  for (const ImageShape shape : {ImageShape{4, 4, 1}, ImageShape{1, 16, 1}}) {
    const RgbImage im = render(f, shape);
    EXPECT_EQ(count_color(im, kFrameColor), 0);
    EXPECT_EQ(count_color(im, Rgb{8, 69, 148}), 0);
  }
  // With the weights back, frames appear.
  const Fit g = share_fit();
  EXPECT_GT(count_color(render(g, {1, 16, 1}), kFrameColor), 0);
}

TEST(ClassPicture, RgbImagesDrawTheirMeanInColour) {
  // 2 × 2 RGB images (12 values): class 0 samples are pure red, class 1 pure blue.
  Fit f;
  f.x = Matrix<double>(4, 12);
  for (Index i = 0; i < 4; ++i)
    for (Index p = 0; p < 4; ++p) f.x(i, 3 * p + (i % 2 == 0 ? 0 : 2)) = 1.0;
  f.w = matrix<double>(4, 2, {1, 0, 0, 1, 1, 0, 0, 1});
  f.h = Matrix<double>(2, 12);
  for (Index p = 0; p < 4; ++p) {
    f.h(0, 3 * p) = 1.0;
    f.h(1, 3 * p + 2) = 1.0;
  }
  f.labels = {0, 1, 0, 1};
  f.names = {"red", "blue"};
  f.table = summarize_classes(f.w.view(), f.h.view(), f.labels, 2);
  const ImageShape shape{2, 2, 3};
  const Matrix<float> xf = matrix<float>(4, 12, f.x.values), hf = matrix<float>(2, 12, f.h.values);
  const ComponentsStyle style;
  const RgbImage im =
      render_classes(xf.view(), hf.view(), f.labels, f.table, f.names, shape, style);
  // 2 × 2 upscaled by 28 gives the same 56-pixel cells as 4 × 4 by 14.
  const Cells cell = cells(shape, true);
  EXPECT_EQ(cell.h, 56);
  const RgbImage gray = render(make_fit(2, 2), {4, 4, 1}, style);
  EXPECT_EQ(im.height, gray.height);
  // The mean image and its reconstruction sit two and one cells left of the first component.
  for (int c = 0; c < 2; ++c) {
    const CellOrigin o = cell_origin(im, cell, style.gap, 2, 2, c, 0);
    const Rgb want = c == 0 ? Rgb{255, 0, 0} : Rgb{0, 0, 255};
    const Index y = o.y + cell.h / 2;
    EXPECT_EQ(pixel(im, o.x - 2 * (cell.w + style.gap) + cell.w / 2, y), want) << c;
    EXPECT_EQ(pixel(im, o.x - (cell.w + style.gap) + cell.w / 2, y), want) << c;
  }
  // The double overload draws the same picture.
  const RgbImage d = render(f, shape, style);
  EXPECT_EQ(d.width, im.width);
  EXPECT_EQ(d.pixels, im.pixels);
}

TEST(ClassPicture, RejectsTooManyClassesOrMismatchedNames) {
  const int many = kMaxClassesDrawn + 1;
  Matrix<double> w(many, 1, 1.0), h(1, 4, 1.0);
  std::vector<int> labels(static_cast<std::size_t>(many));
  std::vector<std::string> names;
  for (int c = 0; c < many; ++c) {
    labels[static_cast<std::size_t>(c)] = c;
    names.push_back("c" + std::to_string(c));
  }
  const ClassTable t = summarize_classes(w.view(), h.view(), labels, many);  // the table is fine
  EXPECT_EQ(t.classes, many);
  const Matrix<double> x = product(w, h);
  EXPECT_THROW(render_classes(x.view(), h.view(), labels, t, names, {2, 2, 1}, {}),
               InvalidArgument);
  EXPECT_THROW(render_classes(x.view(), h.view(), labels, t, names, {1, 4, 1}, {}),
               InvalidArgument);

  // kMaxClassesDrawn itself is fine.
  {
    const Matrix<double> w100(kMaxClassesDrawn, 1, 1.0);
    std::vector<int> l100(labels.begin(), labels.end() - 1);
    std::vector<std::string> n100(names.begin(), names.end() - 1);
    const ClassTable t100 = summarize_classes(w100.view(), h.view(), l100, kMaxClassesDrawn);
    const Matrix<double> x100 = product(w100, h);
    EXPECT_NO_THROW(render_classes(x100.view(), h.view(), l100, t100, n100, {1, 4, 1}, {}));
  }

  const Fit f = make_fit(3, 2);
  std::vector<std::string> three = f.names;
  three.push_back("extra");
  EXPECT_THROW(render_classes(f.x.view(), f.h.view(), f.labels, f.table, three, {4, 4, 1}, {}),
               InvalidArgument);
  EXPECT_THROW(render_classes(f.x.view(), f.h.view(), f.labels, f.table, {"a"}, {4, 4, 1}, {}),
               InvalidArgument);
  // A table for another k.
  const Fit g = make_fit(4, 2);
  EXPECT_THROW(render_classes(f.x.view(), f.h.view(), f.labels, g.table, f.names, {4, 4, 1}, {}),
               InvalidArgument);
}

}  // namespace
}  // namespace nmfkit::viz
