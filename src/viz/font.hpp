#pragma once
/// A 5 × 7 bitmap font for labels in pictures (class names, counts, percentages).
#include <string>
#include <string_view>

#include "nmfkit/matrix.hpp"
#include "viz/colormap.hpp"
#include "viz/image.hpp"

namespace nmfkit::viz {

// Every function throws nmfkit::InvalidArgument when px < 1.

/// Width in output pixels of `text` drawn with font pixels of px × px output pixels: 6·px per
/// character (5 columns and 1 of spacing), minus the trailing spacing; 0 for empty text.
/// Every byte counts as one character.
Index text_width(std::string_view text, Index px);

/// Height of a line: 7·px (capitals and digits; descenders of g, j, p, q, y fit in the 7 rows).
Index text_height(Index px);

/// Draws `text` (printable ASCII; any other byte, e.g. UTF-8, as '?') with its top-left corner at
/// (x, y), each font pixel a px × px square of `color`; clipped to the image. Only the glyph
/// pixels are painted (the background stays). Also throws nmfkit::InvalidArgument when `pixels`
/// does not hold width·height·3 bytes.
void draw_text(RgbImage& image, std::string_view text, Index x, Index y, Index px, Rgb color);

/// `text` cut to at most `max_width` output pixels, ending in ".." when it was cut (spaces before
/// the ".." are dropped, and a UTF-8 sequence is never split). "" when not even ".." fits.
std::string fit_text(std::string_view text, Index px, Index max_width);

}  // namespace nmfkit::viz
