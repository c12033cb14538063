#include "viz/examples.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nmfkit/errors.hpp"
#include "viz/sheet.hpp"

namespace nmfkit::viz {
namespace {

template <typename T>
void check_factors(const SampleRows<T>& x, const DenseView<T>& w, const DenseView<T>& h,
                   const ImageShape& shape, int count) {
  if (count < 1) throw InvalidArgument("count must be at least 1, got " + std::to_string(count));
  if (x.empty() || h.rows < 1)
    throw InvalidArgument("there are no samples or no components to draw");
  if (w.rows != x.rows || w.cols != h.rows || h.cols != x.cols || x.cols != shape.size())
    throw InvalidArgument("shapes do not match: X " + std::to_string(x.rows) + "x" +
                          std::to_string(x.cols) + ", W " + std::to_string(w.rows) + "x" +
                          std::to_string(w.cols) + ", H " + std::to_string(h.rows) + "x" +
                          std::to_string(h.cols) + ", image " + shape_text(shape));
}

template <typename T>
Tile sample_tile(const SampleRows<T>& x, Index i) {
  Tile t;
  std::vector<T> buffer;
  const T* row = x.row(i, buffer);
  t.values.assign(row, row + x.cols);
  t.top = positive_max(t.values);
  return t;
}

template <typename T>
RgbImage reconstructions(const SampleRows<T>& x, const DenseView<T>& w, const DenseView<T>& h,
                         const ImageShape& shape, const ComponentsStyle& style, int count) {
  check_factors(x, w, h, shape, count);
  const std::vector<Index> rows = spread_samples(x.rows, count);
  const int cols = static_cast<int>(rows.size());
  layout_sheet(cols, 2, shape, style);
  std::vector<Tile> tiles(rows.size() * 2);
  for (std::size_t c = 0; c < rows.size(); ++c) {
    const Index i = rows[c];
    tiles[c] = sample_tile(x, i);
    Tile& r = tiles[rows.size() + c];
    r.values.assign(static_cast<std::size_t>(x.cols), 0.0);
    for (Index j = 0; j < h.rows; ++j) {
      const double a = static_cast<double>(w(i, j));
      if (a == 0.0) continue;
      const T* hj = h.row(j);
      for (Index p = 0; p < h.cols; ++p) r.values[static_cast<std::size_t>(p)] += a * hj[p];
    }
    for (std::size_t p = 0; p < r.values.size(); ++p)  // missing in the sample: drawn missing
      if (std::isnan(tiles[c].values[p])) r.values[p] = std::numeric_limits<double>::quiet_NaN();
    r.top = tiles[c].top;
  }
  return render_sheet(tiles, cols, 2, shape, style);
}

template <typename T>
std::vector<Index> top(const DenseView<T>& w, Index j, int count) {
  if (j < 0 || j >= w.cols)
    throw InvalidArgument("component " + std::to_string(j) + " is not a column of W");
  std::vector<Index> order;
  for (Index i = 0; i < w.rows; ++i)
    if (w(i, j) > 0) order.push_back(i);
  const auto n = std::min<std::size_t>(order.size(), static_cast<std::size_t>(std::max(count, 0)));
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
      [&](Index a, Index b) { return w(a, j) > w(b, j) || (w(a, j) == w(b, j) && a < b); });
  order.resize(n);
  return order;
}

template <typename T>
RgbImage top_examples(const SampleRows<T>& x, const DenseView<T>& w, const DenseView<T>& h,
                      const ImageShape& shape, const ComponentsStyle& style, int count) {
  check_factors(x, w, h, shape, count);
  const int cols = 1 + static_cast<int>(std::min<Index>(count, x.rows));
  const int rows = static_cast<int>(h.rows);
  layout_sheet(cols, rows, shape, style);
  std::vector<Tile> tiles(static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows));
  for (Index j = 0; j < h.rows; ++j) {
    Tile& c = tiles[static_cast<std::size_t>(j * cols)];
    c.values.assign(h.row(j), h.row(j) + h.cols);
    c.top = positive_max(c.values);
    c.label = static_cast<int>(j);
    const std::vector<Index> best = top(w, j, cols - 1);
    for (std::size_t e = 0; e < best.size(); ++e)
      tiles[static_cast<std::size_t>(j * cols) + 1 + e] = sample_tile(x, best[e]);
  }
  return render_sheet(tiles, cols, rows, shape, style);
}

}  // namespace

std::vector<Index> spread_samples(Index n, int count) {
  std::vector<Index> rows;
  if (n <= 0 || count <= 0) return rows;
  if (n <= count) {
    for (Index i = 0; i < n; ++i) rows.push_back(i);
    return rows;
  }
  for (int c = 0; c < count; ++c)
    rows.push_back(count == 1
                       ? 0
                       : static_cast<Index>(std::llround(
                             static_cast<double>(c) * static_cast<double>(n - 1) / (count - 1))));
  return rows;
}

std::vector<Index> top_samples(const DenseView<float>& w, Index j, int count) {
  return top(w, j, count);
}
std::vector<Index> top_samples(const DenseView<double>& w, Index j, int count) {
  return top(w, j, count);
}

RgbImage render_reconstructions(const SampleRows<float>& x, const DenseView<float>& w,
                                const DenseView<float>& h, const ImageShape& shape,
                                const ComponentsStyle& style, int count) {
  return reconstructions(x, w, h, shape, style, count);
}
RgbImage render_reconstructions(const SampleRows<double>& x, const DenseView<double>& w,
                                const DenseView<double>& h, const ImageShape& shape,
                                const ComponentsStyle& style, int count) {
  return reconstructions(x, w, h, shape, style, count);
}

RgbImage render_top_examples(const SampleRows<float>& x, const DenseView<float>& w,
                             const DenseView<float>& h, const ImageShape& shape,
                             const ComponentsStyle& style, int count) {
  return top_examples(x, w, h, shape, style, count);
}
RgbImage render_top_examples(const SampleRows<double>& x, const DenseView<double>& w,
                             const DenseView<double>& h, const ImageShape& shape,
                             const ComponentsStyle& style, int count) {
  return top_examples(x, w, h, shape, style, count);
}

}  // namespace nmfkit::viz
