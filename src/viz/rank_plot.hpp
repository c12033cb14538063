#pragma once
// rank.svg: the held-out error of each candidate k with its standard-error bars, the chosen k
// marked, and (when computed) the cophenetic correlation on a second axis. Written by hand.
#include <span>
#include <string>

#include "nmfkit/rank.hpp"

namespace nmfkit::viz {

/// The SVG document for `points` (k ascending, at least one); `chosen` and `best` are marked;
/// with `cophenetic` the points' cophenetic correlations are drawn too.
std::string rank_svg(std::span<const RankPoint> points, int chosen, int best, bool cophenetic);

}  // namespace nmfkit::viz
