#include "viz/rank_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace nmfkit::viz {

namespace {

constexpr double kWidth = 720, kHeight = 420;
constexpr double kLeft = 80, kRight = 70, kTop = 40, kBottom = 60;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// A tick label with as many decimals as ticks `spacing` apart need to differ (one more than the
/// spacing's first significant digit).
std::string tick_label(double v, double spacing) {
  const int decimals =
      spacing > 0 ? std::clamp(static_cast<int>(std::ceil(-std::log10(spacing))) + 1, 0, 12) : 6;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

/// A linear map from [lo, hi] to [to_lo, to_hi]; a degenerate range maps to the middle.
struct Axis {
  double lo, hi, to_lo, to_hi;
  double operator()(double v) const {
    if (!(hi > lo)) return 0.5 * (to_lo + to_hi);
    return to_lo + (v - lo) / (hi - lo) * (to_hi - to_lo);
  }
};

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
         num(y2) + "\" " + style + "/>\n";
}

std::string text(double x, double y, const std::string& anchor, const std::string& body,
                 const std::string& extra = "") {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\" " + extra +
         ">" + body + "</text>\n";
}

}  // namespace

std::string rank_svg(std::span<const RankPoint> points, int chosen, int best, bool cophenetic) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const RankPoint& p : points) {
    lo = std::min(lo, p.mean_error - p.standard_error);
    hi = std::max(hi, p.mean_error + p.standard_error);
  }
  const double pad = hi > lo ? 0.05 * (hi - lo) : 0.05 * std::max(std::abs(hi), 1e-12);
  lo -= pad;
  hi += pad;
  const Axis x{double(points.front().k), double(points.back().k), kLeft, kWidth - kRight};
  const Axis y{lo, hi, kHeight - kBottom, kTop};
  const Axis yc{0, 1, kHeight - kBottom, kTop};

  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) +
                  "\" height=\"" + num(kHeight) + "\" viewBox=\"0 0 " + num(kWidth) + " " +
                  num(kHeight) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n"
                  "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += text(
      kWidth / 2, 22, "middle",
      "Held-out relative error (mean &#177; standard error); chosen k = " + std::to_string(chosen),
      "font-size=\"14\"");
  const std::string axis_style = "stroke=\"black\" stroke-width=\"1\"";
  s += line(kLeft, kHeight - kBottom, kWidth - kRight, kHeight - kBottom, axis_style);
  s += line(kLeft, kTop, kLeft, kHeight - kBottom, axis_style);
  // Ticks: at most about 12 k values, 5 error values.
  const int step = std::max<int>(1, static_cast<int>(std::ceil(double(points.size()) / 12.0)));
  for (std::size_t i = 0; i < points.size(); i += static_cast<std::size_t>(step)) {
    const double px = x(points[i].k);
    s += line(px, kHeight - kBottom, px, kHeight - kBottom + 5, axis_style);
    s += text(px, kHeight - kBottom + 18, "middle", std::to_string(points[i].k));
  }
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0, py = y(v);
    s += line(kLeft - 5, py, kLeft, py, axis_style);
    s += text(kLeft - 8, py + 4, "end", tick_label(v, (hi - lo) / 4.0));
  }
  s += text((kLeft + kWidth - kRight) / 2, kHeight - 18, "middle", "k (number of components)");
  s += text(18, (kTop + kHeight - kBottom) / 2, "middle", "held-out error",
            "transform=\"rotate(-90 18 " + num((kTop + kHeight - kBottom) / 2) + ")\"");

  // The chosen k: a dashed vertical line.
  const double cx = x(chosen);
  s += line(cx, kTop, cx, kHeight - kBottom,
            "stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"");
  // The label on the side with room: right of the line in the left half, left of it otherwise.
  const bool right_half = cx > 0.5 * (kLeft + kWidth - kRight);
  s += text(right_half ? cx - 4 : cx + 4, kTop + 12, right_half ? "end" : "start",
            "chosen k = " + std::to_string(chosen), "fill=\"#d62728\"");

  std::string path;
  for (const RankPoint& p : points) {
    const double px = x(p.k), py = y(p.mean_error);
    path += (path.empty() ? "M" : " L") + num(px) + " " + num(py);
    const double top = y(p.mean_error + p.standard_error);
    const double bottom = y(p.mean_error - p.standard_error);
    const std::string bar = "stroke=\"#1f77b4\" stroke-width=\"1\"";
    s += line(px, top, px, bottom, bar) + line(px - 4, top, px + 4, top, bar) +
         line(px - 4, bottom, px + 4, bottom, bar);
  }
  s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n";
  for (const RankPoint& p : points) {
    const std::string fill = p.k == chosen ? "#d62728" : "#1f77b4";
    s += "<circle cx=\"" + num(x(p.k)) + "\" cy=\"" + num(y(p.mean_error)) + "\" r=\"" +
         (p.k == chosen ? "5" : "3") + "\" fill=\"" + fill + "\"/>\n";
    if (p.k == best && best != chosen)
      s += "<circle cx=\"" + num(x(p.k)) + "\" cy=\"" + num(y(p.mean_error)) +
           "\" r=\"7\" fill=\"none\" stroke=\"black\"/>\n";
  }
  if (best != chosen)
    s += text(x(best), y(hi) + 14, "middle", "lowest: k = " + std::to_string(best));

  if (cophenetic) {
    s += line(kWidth - kRight, kTop, kWidth - kRight, kHeight - kBottom, axis_style);
    for (int t = 0; t <= 4; ++t) {
      const double v = t / 4.0, py = yc(v);
      s += line(kWidth - kRight, py, kWidth - kRight + 5, py, axis_style);
      s += text(kWidth - kRight + 8, py + 4, "start", num(v), "fill=\"#ff7f0e\"");
    }
    std::string cpath;
    for (const RankPoint& p : points)
      cpath += (cpath.empty() ? "M" : " L") + num(x(p.k)) + " " +
               num(yc(std::clamp(p.cophenetic, 0.0, 1.0)));
    s += "<path d=\"" + cpath +
         "\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"3 3\"/>\n";
    s += text(kWidth - 12, (kTop + kHeight - kBottom) / 2, "middle", "cophenetic correlation",
              "fill=\"#ff7f0e\" transform=\"rotate(90 " + num(kWidth - 12) + " " +
                  num((kTop + kHeight - kBottom) / 2) + ")\"");
  }
  return s + "</svg>\n";
}

}  // namespace nmfkit::viz
