#include "viz/components.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "nmfkit/errors.hpp"
#include "viz/grid.hpp"
#include "viz/sheet.hpp"

namespace nmfkit::viz {
namespace {

constexpr Index kAutoScaleTarget = 112;  // auto scale makes the longer side at least this long

template <typename T>
RgbImage render(const DenseView<T>& h, const ImageShape& shape, const ComponentsStyle& style) {
  if (h.rows < 1) throw InvalidArgument("there are no components to draw (H has 0 rows)");
  if (h.rows > std::numeric_limits<int>::max()) {
    throw InvalidArgument("too many components to draw: " + std::to_string(h.rows));
  }
  if (h.cols != shape.size()) {
    throw InvalidArgument("H has " + std::to_string(h.cols) +
                          " features per component but the image shape " + shape_text(shape) +
                          " has " + std::to_string(shape.size()));
  }
  const GridLayout grid = choose_grid(static_cast<int>(h.rows));
  layout_sheet(grid.cols, grid.rows, shape, style);  // fail before copying anything
  std::vector<Tile> tiles(static_cast<std::size_t>(h.rows));
  for (Index j = 0; j < h.rows; ++j) {
    Tile& t = tiles[static_cast<std::size_t>(j)];
    t.values.assign(h.row(j), h.row(j) + h.cols);
    t.top = positive_max(t.values);
    t.label = static_cast<int>(j);
  }
  return render_sheet(tiles, grid.cols, grid.rows, shape, style);
}

}  // namespace

RgbImage render_component_rows(const std::vector<ComponentRow>& rows, const ImageShape& shape,
                               const ComponentsStyle& style) {
  if (rows.empty()) throw InvalidArgument("there are no rows of components to draw");
  int cols = 0;
  for (const ComponentRow& r : rows) {
    if (r.k < 1 || static_cast<Index>(r.values.size()) != Index(r.k) * shape.size())
      throw InvalidArgument("a row of " + std::to_string(r.values.size()) + " values is not k = " +
                            std::to_string(r.k) + " images of " + shape_text(shape));
    cols = std::max(cols, r.k);
  }
  const int count = static_cast<int>(rows.size());
  layout_sheet(cols, count, shape, style);  // fail before copying anything
  std::vector<Tile> tiles(static_cast<std::size_t>(cols) * rows.size());
  for (int r = 0; r < count; ++r) {
    const ComponentRow& row = rows[static_cast<std::size_t>(r)];
    for (int j = 0; j < row.k; ++j) {
      Tile& t = tiles[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) +
                      static_cast<std::size_t>(j)];
      const float* v = row.values.data() + static_cast<std::size_t>(j) * shape.size();
      t.values.assign(v, v + shape.size());
      t.top = positive_max(t.values);
      t.label = j == 0 ? row.k : -1;
    }
  }
  ComponentsStyle labelled = style;
  labelled.labels = true;
  return render_sheet(tiles, cols, count, shape, labelled);
}

std::string components_picture_problem(Index k, const ImageShape& shape,
                                       const ComponentsStyle& style) {
  if (k < 1 || k > std::numeric_limits<int>::max()) return "there are no components to draw";
  const GridLayout grid = choose_grid(static_cast<int>(k));
  return sheet_problem(grid.cols, grid.rows, shape, style);
}
int effective_scale(const ImageShape& shape, const ComponentsStyle& style) {
  if (style.scale < 0) {
    throw InvalidArgument("scale must be >= 0 (0 = auto), got " + std::to_string(style.scale));
  }
  if (style.scale > 0) return style.scale;
  const Index side = std::max(shape.height, shape.width);
  if (side <= 0) return 1;
  return static_cast<int>(std::max<Index>(1, (kAutoScaleTarget + side - 1) / side));
}

RgbImage render_components(const DenseView<float>& h, const ImageShape& shape,
                           const ComponentsStyle& style) {
  return render(h, shape, style);
}

RgbImage render_components(const DenseView<double>& h, const ImageShape& shape,
                           const ComponentsStyle& style) {
  return render(h, shape, style);
}

void write_components_png(const std::string& path, const DenseView<float>& h,
                          const ImageShape& shape, const ComponentsStyle& style) {
  write_png(path, render_components(h, shape, style));
}

void write_components_png(const std::string& path, const DenseView<double>& h,
                          const ImageShape& shape, const ComponentsStyle& style) {
  write_png(path, render_components(h, shape, style));
}

}  // namespace nmfkit::viz
