#pragma once
// Consensus clustering (Brunet et al. 2004): every factorization assigns each sample to the
// component with its largest activation; the consensus matrix counts how often two samples share
// a cluster, and its cophenetic correlation measures how cleanly an average-linkage hierarchy
// reproduces it (1: the clusters are the same in every run).
#include <vector>

#include "nmfkit/matrix.hpp"

namespace nmfkit::core {

/// The cluster of every sample: the index of the largest entry of its row of W (the first on a
/// tie).
template <typename T>
std::vector<int> cluster_labels(const Matrix<T>& w);

/// Pearson correlation between the distances 1 − consensus and the cophenetic distances of the
/// average-linkage (UPGMA) tree built on them, over all pairs of samples. `labels` holds one
/// labelling per run, each of the same length (at least 2 samples). Distances that are all equal
/// (every run agrees on one cluster, or there are no pairs) give 1.
double cophenetic_correlation(const std::vector<std::vector<int>>& labels);

}  // namespace nmfkit::core
