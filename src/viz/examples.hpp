#pragma once
/// Pictures of the data next to the factors: sample images beside their reconstructions W·H, and
/// for every component the training images that use it most.
#include <vector>

#include "nmfkit/matrix.hpp"
#include "viz/components.hpp"
#include "viz/samples.hpp"

namespace nmfkit::viz {

/// `count` sample indices spread evenly over [0, n): round(i·(n−1)/(count−1)); all of them when
/// n <= count.
std::vector<Index> spread_samples(Index n, int count);

/// The samples of `rows` (spread_samples) in the top row and their reconstructions
/// (row i of W times H) below. Each pair is drawn against the sample's own maximum, so a
/// reconstruction brighter than its sample saturates. x is n × m, w n × k, h k × m with
/// m = shape.size(). Throws nmfkit::InvalidArgument on mismatched shapes or a picture too large.
RgbImage render_reconstructions(const SampleRows<float>& x, const DenseView<float>& w,
                                const DenseView<float>& h, const ImageShape& shape,
                                const ComponentsStyle& style, int count);
RgbImage render_reconstructions(const SampleRows<double>& x, const DenseView<double>& w,
                                const DenseView<double>& h, const ImageShape& shape,
                                const ComponentsStyle& style, int count);

/// The samples with the largest activation of component j (column j of W, ties by index), in
/// decreasing order, at most `count` of them and only those with a positive activation.
std::vector<Index> top_samples(const DenseView<float>& w, Index j, int count);
std::vector<Index> top_samples(const DenseView<double>& w, Index j, int count);

/// One row per component: the component (labelled with its index when style.labels), then the
/// `count` samples that use it most (top_samples), each against its own maximum.
RgbImage render_top_examples(const SampleRows<float>& x, const DenseView<float>& w,
                             const DenseView<float>& h, const ImageShape& shape,
                             const ComponentsStyle& style, int count);
RgbImage render_top_examples(const SampleRows<double>& x, const DenseView<double>& w,
                             const DenseView<double>& h, const ImageShape& shape,
                             const ComponentsStyle& style, int count);

}  // namespace nmfkit::viz
