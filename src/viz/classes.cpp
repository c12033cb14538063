#include "viz/classes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nmfkit/errors.hpp"
#include "viz/font.hpp"
#include "viz/sheet.hpp"

namespace nmfkit::viz {
namespace {

constexpr Index kFontPixel = 2;       // output pixels per font pixel
constexpr Index kPad = 4;             // space around text in a cell
constexpr Index kFrame = 2;           // width of the frame around a class's top parts
constexpr Index kCellSide = 56;       // images are upscaled to at least this many pixels a side
constexpr Index kMaxNameWidth = 260;  // the class names on the left
constexpr Index kMaxFootName = 160;   // the class names of the last row, written upwards
constexpr Index kMaxSide = 1 << 15;
constexpr Rgb kText{34, 34, 34};
constexpr Rgb kTopFrame{230, 120, 0};

std::size_t at(Index r, Index c, Index cols) {
  return static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c);
}

void check_labels(std::span<const int> class_of, Index n, int classes) {
  if (static_cast<Index>(class_of.size()) != n)
    throw InvalidArgument("class labels: " + std::to_string(class_of.size()) + " labels for " +
                          std::to_string(n) + " samples");
  if (classes < 1) throw InvalidArgument("class labels: no classes");
  for (std::size_t i = 0; i < class_of.size(); ++i)
    if (class_of[i] < 0 || class_of[i] >= classes)
      throw InvalidArgument("class labels: sample " + std::to_string(i) + " has class " +
                            std::to_string(class_of[i]) + ", outside 0.." +
                            std::to_string(classes - 1));
}

template <typename T>
ClassTable summarize(const DenseView<T>& w, const DenseView<T>& h, std::span<const int> class_of,
                     int classes) {
  if (w.cols != h.rows)
    throw InvalidArgument("W has " + std::to_string(w.cols) + " columns but H " +
                          std::to_string(h.rows) + " rows");
  check_labels(class_of, w.rows, classes);
  ClassTable t;
  t.classes = classes;
  t.k = static_cast<int>(w.cols);
  const Index k = w.cols;
  const std::size_t cells = static_cast<std::size_t>(classes) * static_cast<std::size_t>(k);
  t.counts.assign(static_cast<std::size_t>(classes), 0);
  t.share.assign(cells, 0.0);
  t.total.assign(cells, 0.0);
  t.mean_w.assign(cells, 0.0);
  std::vector<double> h_sum(static_cast<std::size_t>(k), 0.0);
  for (Index j = 0; j < k; ++j)
    for (Index p = 0; p < h.cols; ++p) h_sum[static_cast<std::size_t>(j)] += double(h(j, p));
  for (Index i = 0; i < w.rows; ++i) {
    const int c = class_of[static_cast<std::size_t>(i)];
    ++t.counts[static_cast<std::size_t>(c)];
    for (Index j = 0; j < k; ++j) {
      const double wij = double(w(i, j));
      t.mean_w[at(c, j, k)] += wij;
      t.total[at(c, j, k)] += wij * h_sum[static_cast<std::size_t>(j)];
    }
  }
  t.top_parts.resize(static_cast<std::size_t>(classes));
  for (int c = 0; c < classes; ++c) {
    const Index count = t.counts[static_cast<std::size_t>(c)];
    double row = 0;
    for (Index j = 0; j < k; ++j) {
      if (count > 0) t.mean_w[at(c, j, k)] /= double(count);
      row += t.total[at(c, j, k)];
    }
    if (!(row > 0)) continue;
    for (Index j = 0; j < k; ++j) t.share[at(c, j, k)] = t.total[at(c, j, k)] / row;
    std::vector<int> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return t.share[at(c, a, k)] > t.share[at(c, b, k)]; });
    // The shares are rounded, so a prefix that covers kTopPartsCover exactly may sum to a hair
    // less (0.7 + 0.1 is 0.7999999999999999): allow for that rather than take one part more.
    constexpr double kCoverSlack = 1e-9;
    double covered = 0;
    for (int j : order) {
      if (covered >= kTopPartsCover - kCoverSlack || !(t.share[at(c, j, k)] > 0)) break;
      t.top_parts[static_cast<std::size_t>(c)].push_back(j);
      covered += t.share[at(c, j, k)];
    }
  }
  t.top_class.assign(static_cast<std::size_t>(k), -1);
  t.top_class_share.assign(static_cast<std::size_t>(k), 0.0);
  double all = 0, top_sum = 0;
  for (Index j = 0; j < k; ++j) {
    double column = 0, best = 0;
    int best_class = -1;
    for (int c = 0; c < classes; ++c) {
      const double v = t.total[at(c, j, k)];
      column += v;
      if (v > best) {
        best = v;
        best_class = c;
      }
    }
    all += column;
    top_sum += best;
    t.top_class[static_cast<std::size_t>(j)] = best_class;
    t.top_class_share[static_cast<std::size_t>(j)] = column > 0 ? best / column : 0.0;
  }
  t.purity = all > 0 ? top_sum / all : 0.0;
  return t;
}

template <typename T>
std::vector<double> means(const SampleRows<T>& x, std::span<const int> class_of, int classes) {
  check_labels(class_of, x.rows, classes);
  const Index m = x.cols;
  std::vector<double> sum(static_cast<std::size_t>(classes) * static_cast<std::size_t>(m), 0.0);
  std::vector<Index> seen(sum.size(), 0);
  std::vector<T> buffer;
  for (Index i = 0; i < x.rows; ++i) {
    const int c = class_of[static_cast<std::size_t>(i)];
    const T* row = x.row(i, buffer);
    for (Index p = 0; p < m; ++p) {
      if (std::isnan(double(row[p]))) continue;
      sum[at(c, p, m)] += double(row[p]);
      ++seen[at(c, p, m)];
    }
  }
  for (std::size_t e = 0; e < sum.size(); ++e)
    sum[e] = seen[e] > 0 ? sum[e] / double(seen[e]) : std::nan("");
  return sum;
}

void frame(RgbImage& image, Index x0, Index y0, Index w, Index h, Index line, Rgb c) {
  fill(image, x0, y0, w, line, c);
  fill(image, x0, y0 + h - line, w, line, c);
  fill(image, x0, y0, line, h, c);
  fill(image, x0 + w - line, y0, line, h, c);
}

// `src` copied into `dst` with its top-left corner at (x0, y0).
void blit(RgbImage& dst, const RgbImage& src, Index x0, Index y0) {
  for (Index y = 0; y < src.height; ++y)
    std::copy_n(src.pixels.data() + y * src.width * 3, src.width * 3,
                dst.pixels.data() + ((y0 + y) * dst.width + x0) * 3);
}

// Text centred in the box (x0, y0, w, h), cut to its width.
void centred_text(RgbImage& image, const std::string& text, Index x0, Index y0, Index w, Index h,
                  Rgb color) {
  const std::string cut = fit_text(text, kFontPixel, w - 2);
  const Index tw = text_width(cut, kFontPixel);
  draw_text(image, cut, x0 + (w - tw) / 2, y0 + (h - text_height(kFontPixel)) / 2, kFontPixel,
            color);
}

// A column title in the two text lines of the header: on the lower line when it fits, else its
// first word on the upper line and the rest below.
void title_text(RgbImage& image, const std::string& text, Index x0, Index y0, Index w, Rgb color) {
  const Index line = text_height(kFontPixel);
  const Index upper = y0 + kPad, lower = y0 + 2 * kPad + line;
  const std::size_t space = text.find(' ');
  if (text_width(text, kFontPixel) <= w - 2 || space == std::string::npos) {
    centred_text(image, text, x0, lower, w, line, color);
    return;
  }
  centred_text(image, text.substr(0, space), x0, upper, w, line, color);
  centred_text(image, text.substr(space + 1), x0, lower, w, line, color);
}

// Text written upwards (turned a quarter left) with the start of its baseline side at
// (x0, y_bottom): it occupies x0..x0 + text_height and y_bottom - text_width..y_bottom.
void upward_text(RgbImage& image, const std::string& text, Index x0, Index y_bottom, Rgb color) {
  const Index w = text_width(text, kFontPixel), h = text_height(kFontPixel);
  if (w == 0) return;
  RgbImage flat;
  flat.width = static_cast<int>(w);
  flat.height = static_cast<int>(h);
  flat.pixels.assign(static_cast<std::size_t>(w * h * 3), 0);
  draw_text(flat, text, 0, 0, kFontPixel, Rgb{255, 255, 255});
  for (Index y = 0; y < h; ++y)
    for (Index x = 0; x < w; ++x)
      if (flat.pixels[static_cast<std::size_t>((y * w + x) * 3)] != 0)
        fill(image, x0 + y, y_bottom - 1 - x, 1, 1, color);
}

template <typename T>
RgbImage render(const SampleRows<T>& x, const DenseView<T>& h, std::span<const int> class_of,
                const ClassTable& t, const std::vector<std::string>& names, const ImageShape& shape,
                const ComponentsStyle& style) {
  if (t.classes > kMaxClassesDrawn)
    throw InvalidArgument("too many classes to draw (" + std::to_string(t.classes) + ", at most " +
                          std::to_string(kMaxClassesDrawn) + ")");
  if (static_cast<int>(names.size()) != t.classes || t.k != h.rows)
    throw InvalidArgument("classes picture: " + std::to_string(names.size()) + " names for " +
                          std::to_string(t.classes) + " classes, " + std::to_string(h.rows) +
                          " components for " + std::to_string(t.k));
  check_labels(class_of, x.rows, t.classes);
  const Index k = t.k;
  // The images are drawn as 1-tile sheets at a scale that makes them at least kCellSide a side.
  ComponentsStyle tile_style = style;
  tile_style.gap = 0;
  tile_style.labels = false;
  bool images = shape.height > 1 && shape.size() == h.cols && x.cols == h.cols;
  SheetLayout tile{};
  if (images) {
    tile_style.scale =
        static_cast<int>(std::max<Index>(1, (kCellSide + std::max(shape.height, shape.width) - 1) /
                                                std::max(shape.height, shape.width)));
    images = sheet_problem(1, 1, shape, tile_style).empty();
    if (images) tile = layout_sheet(1, 1, shape, tile_style);
  }
  const Index line = text_height(kFontPixel);
  // Cells are wide enough for "100%" and the titles' words.
  const Index cell_w =
      std::max(images ? tile.width : 0, text_width("parts", kFontPixel) + 2 * kPad);
  std::vector<std::string> foot_names(static_cast<std::size_t>(k));
  Index foot_name_w = 0;
  for (Index j = 0; j < k; ++j) {
    const int c = t.top_class[static_cast<std::size_t>(j)];
    if (c < 0) continue;
    foot_names[static_cast<std::size_t>(j)] =
        fit_text(names[static_cast<std::size_t>(c)], kFontPixel, kMaxFootName);
    foot_name_w =
        std::max(foot_name_w, text_width(foot_names[static_cast<std::size_t>(j)], kFontPixel));
  }
  const bool upward = foot_name_w > cell_w - 2;  // names that do not fit across are written up
  const Index cell_h = std::max(images ? tile.height : 0, line + 2 * kPad);
  const Index gap = std::max(style.gap, 1);
  std::vector<std::string> labels(names.size());
  Index name_w =
      std::max(text_width("most used by", kFontPixel), text_width("class (samples)", kFontPixel));
  for (std::size_t c = 0; c < names.size(); ++c) {
    labels[c] =
        fit_text(names[c] + " (" + std::to_string(t.counts[c]) + ")", kFontPixel, kMaxNameWidth);
    name_w = std::max(name_w, text_width(labels[c], kFontPixel));
  }
  name_w += 2 * kPad;
  const Index head_h = 2 * line + 3 * kPad,
              foot_h = line + 3 * kPad + (upward ? foot_name_w : line);
  // Columns: names, [mean, top parts,] one per component.
  const Index x_mean = gap + name_w + gap, x_recon = x_mean + cell_w + gap;
  const Index x_first = images ? x_recon + cell_w + gap : x_mean;
  const Index width = x_first + k * (cell_w + gap);
  const Index y_images = gap + head_h + gap;
  const Index y_first = images ? y_images + cell_h + gap : y_images;
  const Index height = y_first + t.classes * (cell_h + gap) + foot_h + gap;
  if (width > kMaxSide || height > kMaxSide || width * height > (Index{1} << 28))
    throw InvalidArgument("the classes picture would be " + std::to_string(width) + "x" +
                          std::to_string(height) + " pixels, more than " +
                          std::to_string(kMaxSide) + " a side");
  RgbImage image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.pixels.resize(static_cast<std::size_t>(width * height * 3));
  fill(image, 0, 0, width, height, style.background);

  // Header: column titles and the components.
  draw_text(image, fit_text("class (samples)", kFontPixel, name_w - kPad), gap + kPad,
            gap + head_h - kPad - line, kFontPixel, kText);
  if (images) {
    title_text(image, "mean", x_mean, gap, cell_w, kText);
    title_text(image, "top parts", x_recon, gap, cell_w, kText);
  }
  const auto draw_tile = [&](std::vector<double> values, double top, Index x0, Index y0) {
    Tile cell{std::move(values), top, -1};
    const RgbImage drawn = render_sheet(std::span<const Tile>(&cell, 1), 1, 1, shape, tile_style);
    blit(image, drawn, x0 + (cell_w - drawn.width) / 2, y0 + (cell_h - drawn.height) / 2);
  };
  for (Index j = 0; j < k; ++j) {
    const Index x0 = x_first + j * (cell_w + gap);
    title_text(image, std::to_string(j), x0, gap, cell_w, kText);
    if (!images) continue;
    std::vector<double> values(h.row(j), h.row(j) + h.cols);
    const double top = positive_max(values);
    draw_tile(std::move(values), top, x0, y_images);
  }

  // One row per class.
  double top_share = 0;
  for (double s : t.share) top_share = std::max(top_share, s);
  const std::vector<double> mean = images ? means(x, class_of, t.classes) : std::vector<double>();
  const Index m = h.cols;
  for (int c = 0; c < t.classes; ++c) {
    const Index y0 = y_first + c * (cell_h + gap);
    draw_text(image, labels[static_cast<std::size_t>(c)], gap + kPad, y0 + (cell_h - line) / 2,
              kFontPixel, kText);
    const std::vector<int>& parts = t.top_parts[static_cast<std::size_t>(c)];
    if (images) {  // the mean image, and its reconstruction from the top parts alone
      std::vector<double> own(mean.begin() + static_cast<std::ptrdiff_t>(at(c, 0, m)),
                              mean.begin() + static_cast<std::ptrdiff_t>(at(c + 1, 0, m)));
      std::vector<double> rebuilt(static_cast<std::size_t>(m), 0.0);
      for (int j : parts) {
        const double a = t.mean_w[at(c, j, k)];
        for (Index p = 0; p < m; ++p) rebuilt[static_cast<std::size_t>(p)] += a * double(h(j, p));
      }
      const double top = positive_max(own);
      draw_tile(std::move(own), top, x_mean, y0);
      draw_tile(std::move(rebuilt), top, x_recon, y0);
    }
    for (Index j = 0; j < k; ++j) {
      const Index x0 = x_first + j * (cell_w + gap);
      const double s = t.share_of(c, static_cast<int>(j));
      fill(image, x0, y0, cell_w, cell_h, share_color(s, top_share));
      centred_text(image, share_percent(s), x0, y0, cell_w, cell_h,
                   share_text_white(s, top_share) ? Rgb{255, 255, 255} : kText);
      if (std::find(parts.begin(), parts.end(), static_cast<int>(j)) != parts.end())
        frame(image, x0, y0, cell_w, cell_h, kFrame, kTopFrame);
    }
  }

  // Last row: the class that uses each component most, and its part of the component's use.
  const Index y_foot = y_first + t.classes * (cell_h + gap);
  draw_text(image, "most used by", gap + kPad, y_foot + kPad, kFontPixel, kText);
  for (Index j = 0; j < k; ++j) {
    const int c = t.top_class[static_cast<std::size_t>(j)];
    if (c < 0) continue;
    const Index x0 = x_first + j * (cell_w + gap);
    // Across: the name, its share below; upwards: the share, the name below it.
    const Index first = y_foot + kPad, second = y_foot + 2 * kPad + line;
    const std::string share = share_percent(t.top_class_share[static_cast<std::size_t>(j)]);
    const std::string& name = foot_names[static_cast<std::size_t>(j)];
    centred_text(image, upward ? share : name, x0, first, cell_w, line, kText);
    if (upward)
      upward_text(image, name, x0 + (cell_w - line) / 2, second + text_width(name, kFontPixel),
                  kText);
    else
      centred_text(image, share, x0, second, cell_w, line, kText);
  }
  return image;
}

}  // namespace

ClassTable summarize_classes(const DenseView<float>& w, const DenseView<float>& h,
                             std::span<const int> class_of, int classes) {
  return summarize(w, h, class_of, classes);
}
ClassTable summarize_classes(const DenseView<double>& w, const DenseView<double>& h,
                             std::span<const int> class_of, int classes) {
  return summarize(w, h, class_of, classes);
}

std::vector<double> class_means(const SampleRows<float>& x, std::span<const int> class_of,
                                int classes) {
  return means(x, class_of, classes);
}
std::vector<double> class_means(const SampleRows<double>& x, std::span<const int> class_of,
                                int classes) {
  return means(x, class_of, classes);
}

Rgb share_color(double t, double top) {
  const double v = top > 0 ? std::clamp(t / top, 0.0, 1.0) : 0.0;
  const auto mix = [v](double from, double to) {
    return static_cast<std::uint8_t>(std::lround(from + (to - from) * v));
  };
  return Rgb{mix(255, 8), mix(255, 69), mix(255, 148)};
}

std::string share_percent(double share) {
  if (share > 0 && share < 0.005) return "<1%";
  return std::to_string(static_cast<int>(std::lround(share * 100))) + "%";
}

bool share_text_white(double t, double top) {
  return top > 0 && t / top > 0.5;
}

RgbImage render_classes(const SampleRows<float>& x, const DenseView<float>& h,
                        std::span<const int> class_of, const ClassTable& table,
                        const std::vector<std::string>& names, const ImageShape& shape,
                        const ComponentsStyle& style) {
  return render(x, h, class_of, table, names, shape, style);
}
RgbImage render_classes(const SampleRows<double>& x, const DenseView<double>& h,
                        std::span<const int> class_of, const ClassTable& table,
                        const std::vector<std::string>& names, const ImageShape& shape,
                        const ComponentsStyle& style) {
  return render(x, h, class_of, table, names, shape, style);
}

}  // namespace nmfkit::viz
