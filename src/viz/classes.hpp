#pragma once
/// Which classes use which components: given a class label per sample, the class × component
/// matrix of activations, the parts each class is mostly made of, and how much of each
/// component's activation its main class accounts for; and classes.png, the picture of it.
#include <span>
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "viz/components.hpp"
#include "viz/image.hpp"
#include "viz/samples.hpp"

namespace nmfkit::viz {

/// Share of a class's activation its top parts cover (ClassTable::top_parts).
inline constexpr double kTopPartsCover = 0.8;

/// The activation of component j in sample i is W_ij · sum(H_j): the intensity component j adds
/// to the sample's reconstruction. It does not change when W_j and H_j are rescaled inversely, so
/// components of different brightness compare fairly.
struct ClassTable {
  int classes = 0;
  int k = 0;
  std::vector<Index> counts;  ///< samples per class
  /// classes × k, row-major: the class's mean activation of each component divided by the sum
  /// of its row (each row sums to 1; a class without any activation is all 0).
  std::vector<double> share;
  /// classes × k: the class's total activation of each component (sum over its samples).
  std::vector<double> total;
  /// classes × k: the mean row of W over the class's samples (0 for an empty class).
  std::vector<double> mean_w;
  /// Per class: components in decreasing order of share until they cover kTopPartsCover of the
  /// row (at least one when the row is not all 0).
  std::vector<std::vector<int>> top_parts;
  /// Per component: the class with the largest total activation of it (ties: the lowest class;
  /// -1 when no sample activates the component), and that class's part of the component's
  /// total activation (0 when none).
  std::vector<int> top_class;
  std::vector<double> top_class_share;
  /// sum over components of the top class's total activation over the sum of every activation:
  /// 1 when every component is used by one class only; 1/classes when all use all alike.
  double purity = 0;

  double share_of(int c, int j) const {
    return share[static_cast<std::size_t>(c) * static_cast<std::size_t>(k) +
                 static_cast<std::size_t>(j)];
  }
};

/// The table for W (n × k) and H (k × m) with class_of[i] in [0, classes) the class of sample i.
/// Throws nmfkit::InvalidArgument when the sizes disagree or a class is out of range.
ClassTable summarize_classes(const DenseView<float>& w, const DenseView<float>& h,
                             std::span<const int> class_of, int classes);
ClassTable summarize_classes(const DenseView<double>& w, const DenseView<double>& h,
                             std::span<const int> class_of, int classes);

/// classes × m, row-major: the mean of X's rows in each class; entries that are NaN (missing) are
/// left out of the mean, and an entry missing in every sample of the class stays NaN.
std::vector<double> class_means(const SampleRows<float>& x, std::span<const int> class_of,
                                int classes);
std::vector<double> class_means(const SampleRows<double>& x, std::span<const int> class_of,
                                int classes);

/// Classes drawn in classes.png at most (the table covers any number).
inline constexpr int kMaxClassesDrawn = 100;

/// The picture (x: n × m samples, class_of as for summarize_classes): a header row of the
/// components (when the rows are images), then one row per class: its name and sample count, its
/// mean image, the reconstruction of that mean from its top parts only (mean W row restricted to
/// top_parts, times H; both against the mean image's maximum), and one cell per component coloured
/// by the class's share of it, the percentage written in, the top parts framed. A last row names
/// the class that uses each component most. Without an image shape (shape.size() != h.cols, or a
/// shape too large to tile) only the names and the matrix are drawn. Throws nmfkit::InvalidArgument
/// for more than kMaxClassesDrawn classes, names.size() != table.classes, or a picture too large.
RgbImage render_classes(const SampleRows<float>& x, const DenseView<float>& h,
                        std::span<const int> class_of, const ClassTable& table,
                        const std::vector<std::string>& names, const ImageShape& shape,
                        const ComponentsStyle& style);
RgbImage render_classes(const SampleRows<double>& x, const DenseView<double>& h,
                        std::span<const int> class_of, const ClassTable& table,
                        const std::vector<std::string>& names, const ImageShape& shape,
                        const ComponentsStyle& style);

/// The colour of a matrix cell holding share t / top (white to dark blue), and whether text on
/// it should be white.
Rgb share_color(double t, double top);
bool share_text_white(double t, double top);

/// A share (0..1) as a whole percentage, "<1%" for a share that rounds to 0 but is not 0.
std::string share_percent(double share);

}  // namespace nmfkit::viz
