#pragma once
/// Drawing the rows of H (the NMF components) as a grid of images.
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "viz/colormap.hpp"
#include "viz/image.hpp"

namespace nmfkit::viz {

/// The shape of one image; its flattened size is height·width·channels, in (row, column, channel)
/// order.
struct ImageShape {
  Index height = 0;
  Index width = 0;
  Index channels = 1;  ///< 1 (drawn with the colormap) or 3 (drawn as RGB)

  Index size() const { return height * width * channels; }
};

struct ComponentsStyle {
  Colormap colormap = Colormap::kViridis;  ///< used for single-channel components
  int scale = 0;  ///< upscaling factor; 0 = auto: smallest s with s·max(height, width) >= 112
  int gap = 2;    ///< background pixels between tiles and around the grid, in output pixels
  Rgb background{255, 255, 255};
  bool labels = false;  ///< draw each tile's index in its top-left corner
};

/// Renders the k rows of `h` (k × shape.size()) as images tiled by choose_grid(k), left to right
/// then top to bottom. Each component is divided by its own maximum, so its brightest pixel takes
/// the top colour (negative values clamp to 0; a component with no positive value is all 0), then
/// coloured (single channel: style.colormap; three channels: directly as RGB) and upscaled by
/// nearest neighbour. The result is cols·(width·s) + (cols+1)·gap wide and
/// rows·(height·s) + (rows+1)·gap high.
/// Throws nmfkit::InvalidArgument if h has no rows, h.cols != shape.size(), the shape or style is
/// invalid, or the picture would be too large.
RgbImage render_components(const DenseView<float>& h, const ImageShape& shape,
                           const ComponentsStyle& style);
RgbImage render_components(const DenseView<double>& h, const ImageShape& shape,
                           const ComponentsStyle& style);

/// render_components() followed by write_png().
void write_components_png(const std::string& path, const DenseView<float>& h,
                          const ImageShape& shape, const ComponentsStyle& style);
void write_components_png(const std::string& path, const DenseView<double>& h,
                          const ImageShape& shape, const ComponentsStyle& style);

/// Why a picture of k components of this shape cannot be drawn (it would be too large), or an
/// empty string when it can.
std::string components_picture_problem(Index k, const ImageShape& shape,
                                       const ComponentsStyle& style);

/// One row of a picture of components for several k: the k components (k × shape.size() values,
/// row-major) of one fit.
struct ComponentRow {
  int k = 0;
  std::vector<float> values;
};

/// One row of tiles per entry of `rows` (k ascending reads best), each row's components left to
/// right, blank cells to the width of the largest k; the first tile of every row carries its k as
/// a label. Each component is scaled to its own maximum as in render_components(). Throws
/// nmfkit::InvalidArgument for no rows, a row whose size is not k · shape.size(), or a picture
/// that would be too large.
RgbImage render_component_rows(const std::vector<ComponentRow>& rows, const ImageShape& shape,
                               const ComponentsStyle& style);

/// The upscaling factor render_components() uses for `shape` under `style`.
int effective_scale(const ImageShape& shape, const ComponentsStyle& style);

}  // namespace nmfkit::viz
