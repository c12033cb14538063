#pragma once
/// Arranging a number of equally sized tiles in a grid.
namespace nmfkit::viz {

struct GridLayout {
  int cols = 0;
  int rows = 0;
};

/// The grid for `count` tiles (count >= 1, else nmfkit::InvalidArgument).
/// cols ranges over [ceil(sqrt(count)), count] with rows = ceil(count / cols). Among the choices
/// with cols/rows <= 3 (any ratio when count <= 5) it takes the fewest empty cells, then the
/// cols/rows closest to 2, then the wider one. E.g. 10 → 5×2, 7 → 4×2, 13 → 5×3, 50 → 10×5.
GridLayout choose_grid(int count);

}  // namespace nmfkit::viz
