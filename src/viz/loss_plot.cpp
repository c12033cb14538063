#include "viz/loss_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace nmfkit::viz {
namespace {

constexpr double kPanelW = 420, kPanelH = 280;
constexpr double kLeft = 78, kRight = 16, kTop = 34, kBottom = 46;
constexpr const char* kLine = "#3b528b";  // viridis at 0.25

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string label(double v) {
  char buf[32];
  const double a = std::abs(v);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", v);
  }
  return buf;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double map(double v, double a, double b) const {  // v → [a, b]
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
                         : (v - lo) / (hi - lo);
    return a + t * (b - a);
  }
};

Axis make_axis(const std::vector<double>& v, bool allow_log) {
  Axis a;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double x : v) {
    if (!std::isfinite(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (!(lo <= hi)) return a;
  a.log = allow_log && lo > 0 && hi / lo > 10;
  if (a.log) {
    a.lo = std::pow(10.0, std::floor(std::log10(lo)));
    a.hi = std::pow(10.0, std::ceil(std::log10(hi)));
    return a;
  }
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const std::vector<double> t = nice_ticks(lo, hi, 5);
  a.lo = std::min(lo, t.front());
  a.hi = std::max(hi, t.back());
  return a;
}

std::vector<double> axis_ticks(const Axis& a) {
  if (!a.log) return nice_ticks(a.lo, a.hi, 5);
  std::vector<double> t;
  for (double v = a.lo; v <= a.hi * 1.0001; v *= 10) t.push_back(v);
  return t;
}

// One panel at (x0, y0): axes, ticks, grid, the polyline of (xs, ys) and the labels.
std::string panel(double x0, double y0, const std::vector<double>& xs,
                  const std::vector<double>& ys, const std::string& x_label,
                  const std::string& y_label) {
  std::vector<double> fx, fy;
  for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (std::isfinite(xs[i]) && std::isfinite(ys[i])) {
      fx.push_back(xs[i]);
      fy.push_back(ys[i]);
    }
  }
  const Axis ax = make_axis(fx, false), ay = make_axis(fy, true);
  const double l = x0 + kLeft, r = x0 + kPanelW - kRight, t = y0 + kTop, b = y0 + kPanelH - kBottom;
  std::string s = "<g>\n";
  s += "<rect x=\"" + num(l) + "\" y=\"" + num(t) + "\" width=\"" + num(r - l) + "\" height=\"" +
       num(b - t) + "\" fill=\"#ffffff\" stroke=\"#888888\"/>\n";
  for (double v : axis_ticks(ax)) {
    if (v < ax.lo || v > ax.hi) continue;
    const double x = ax.map(v, l, r);
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(t) + "\" x2=\"" + num(x) + "\" y2=\"" + num(b) +
         "\" stroke=\"#e4e4e4\"/>\n<text x=\"" + num(x) + "\" y=\"" + num(b + 16) +
         "\" text-anchor=\"middle\">" + label(v) + "</text>\n";
  }
  for (double v : axis_ticks(ay)) {
    if (v < ay.lo * (1 - 1e-9) || v > ay.hi * (1 + 1e-9)) continue;
    const double y = ay.map(v, b, t);
    s += "<line x1=\"" + num(l) + "\" y1=\"" + num(y) + "\" x2=\"" + num(r) + "\" y2=\"" + num(y) +
         "\" stroke=\"#e4e4e4\"/>\n<text x=\"" + num(l - 6) + "\" y=\"" + num(y + 4) +
         "\" text-anchor=\"end\">" + label(v) + "</text>\n";
  }
  if (!fx.empty()) {
    s += "<polyline fill=\"none\" stroke=\"" + std::string(kLine) +
         "\" stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < fx.size(); ++i)
      s += (i ? " " : "") + num(ax.map(fx[i], l, r)) + "," + num(ay.map(fy[i], b, t));
    s += "\"/>\n";
  }
  s += "<text x=\"" + num((l + r) / 2) + "\" y=\"" + num(b + 36) + "\" text-anchor=\"middle\">" +
       escape(x_label) + "</text>\n";
  s += "<text x=\"" + num(l) + "\" y=\"" + num(t - 10) + "\">" + escape(y_label) +
       (ay.log ? " (log scale)" : "") + "</text>\n</g>\n";
  return s;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return ticks;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  const double first = std::floor(lo / step) * step;
  for (double v = first; v < hi + step * 0.999; v += step)
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return ticks;
}

std::string loss_svg(const std::vector<double>& loss, const std::vector<double>& seconds,
                     const std::string& loss_label) {
  const bool with_time = !seconds.empty() && seconds.size() == loss.size();
  const double width = with_time ? 2 * kPanelW : kPanelW;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) +
                  "\" height=\"" + num(kPanelH) + "\" viewBox=\"0 0 " + num(width) + " " +
                  num(kPanelH) +
                  "\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222222\">\n"
                  "<rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\n";
  std::vector<double> iterations(loss.size());
  for (std::size_t i = 0; i < loss.size(); ++i) iterations[i] = static_cast<double>(i);
  s += panel(0, 0, iterations, loss, "iteration", loss_label);
  if (with_time) s += panel(kPanelW, 0, seconds, loss, "seconds", loss_label);
  return s + "</svg>\n";
}

}  // namespace nmfkit::viz
