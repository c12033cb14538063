#pragma once
/// The loss history as an SVG line chart.
#include <string>
#include <vector>

namespace nmfkit::viz {

/// A self-contained SVG (width and height set, no external references) with two panels: `loss`
/// against the iteration (entry 0 is the initialisation) and, when `seconds` has one time per
/// entry of `loss`, against the elapsed time. The loss axis is logarithmic when every value is
/// positive and they span more than a factor of 10. Non-finite values are left out.
/// `loss_label` names the y axis.
std::string loss_svg(const std::vector<double>& loss, const std::vector<double>& seconds,
                     const std::string& loss_label);

/// "Nice" tick positions covering [lo, hi]: about `target` of them at 1, 2 or 5 times a power of
/// ten (lo < hi).
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace nmfkit::viz
