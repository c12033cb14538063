#pragma once
/// A sheet: equally shaped images tiled in a grid with gaps, each drawn normalised to its own top
/// value (the components, the reconstructions and the top examples are all sheets).
#include <span>
#include <string>
#include <vector>

#include "viz/components.hpp"

namespace nmfkit::viz {

/// One cell of a sheet.
struct Tile {
  std::vector<double> values;  ///< shape.size() values, (row, column, channel); empty = blank cell
  double top = 0;              ///< the value drawn as the brightest colour (<= 0: all dark)
  int label = -1;              ///< a number drawn in the top-left corner when >= 0 and style.labels
};

/// The size and scale of a sheet of cols × rows tiles of `shape`.
struct SheetLayout {
  int cols = 0, rows = 0;
  Index scale = 1, tile_w = 0, tile_h = 0, width = 0, height = 0;
};

/// The layout of a sheet; throws nmfkit::InvalidArgument when the shape or style is invalid or
/// the picture would be too large (more than 32768 pixels a side or 2^28 pixels).
SheetLayout layout_sheet(int cols, int rows, const ImageShape& shape, const ComponentsStyle& style);

/// Why a sheet cannot be drawn (layout_sheet's message), or "" when it can.
std::string sheet_problem(int cols, int rows, const ImageShape& shape,
                          const ComponentsStyle& style);

/// Draws `tiles` left to right, top to bottom into a cols × rows sheet (tiles.size() <= cols·rows).
/// A value v is drawn as v / top clamped to [0, 1] (negatives as 0; a pixel with a NaN value, a
/// missing entry, as a light/dark gray checkerboard of 4-pixel squares): single-channel
/// shapes through style.colormap, three channels directly as RGB; tiles are upscaled by nearest
/// neighbour. Throws nmfkit::InvalidArgument when a tile has the wrong number of values.
RgbImage render_sheet(std::span<const Tile> tiles, int cols, int rows, const ImageShape& shape,
                      const ComponentsStyle& style);

/// Paints the rectangle of w × h pixels at (x0, y0) in colour c, clipped to the image.
void fill(RgbImage& image, Index x0, Index y0, Index w, Index h, Rgb c);

/// The largest finite positive value of `values` (0 when there is none).
double positive_max(std::span<const double> values);

/// "HxW" or "HxWxC".
std::string shape_text(const ImageShape& shape);

}  // namespace nmfkit::viz
