// rank.svg: one marker per rank, the chosen k labelled, error bars, the cophenetic axis on demand.
#include "viz/rank_plot.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nmfkit::viz {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::vector<RankPoint> curve() {
  std::vector<RankPoint> points;
  for (int k = 2; k <= 6; ++k) {
    RankPoint p;
    p.k = k;
    p.mean_error = 0.5 / k + 0.01 * k;
    p.standard_error = 0.01;
    p.cophenetic = 1.0 - 0.05 * k;
    points.push_back(p);
  }
  return points;
}

TEST(RankSvg, MarksEveryRankAndTheChoice) {
  const std::vector<RankPoint> points = curve();
  const std::string svg = rank_svg(points, 4, 5, false);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), points.size() + 1);  // + the ring around the lowest mean
  EXPECT_NE(svg.find("chosen k = 4"), std::string::npos);
  EXPECT_NE(svg.find("lowest: k = 5"), std::string::npos);
  EXPECT_EQ(svg.find("cophenetic"), std::string::npos);
  EXPECT_NE(rank_svg(points, 4, 5, true).find("cophenetic correlation"), std::string::npos);
}

TEST(RankSvg, OneRankAndFlatErrorsStayFinite) {
  std::vector<RankPoint> one(1);
  one[0].k = 3;
  const std::string svg = rank_svg(one, 3, 3, false);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_EQ(count(svg, "<circle"), 1u);
}

}  // namespace
}  // namespace nmfkit::viz
