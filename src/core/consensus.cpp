#include "core/consensus.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace nmfkit::core {

template <typename T>
std::vector<int> cluster_labels(const Matrix<T>& w) {
  std::vector<int> labels(static_cast<std::size_t>(w.rows), 0);
  for (Index i = 0; i < w.rows; ++i) {
    const T* row = w.row(i);
    Index best = 0;
    for (Index l = 1; l < w.cols; ++l)
      if (row[l] > row[best]) best = l;
    labels[static_cast<std::size_t>(i)] = static_cast<int>(best);
  }
  return labels;
}

template std::vector<int> cluster_labels<float>(const Matrix<float>&);
template std::vector<int> cluster_labels<double>(const Matrix<double>&);

double cophenetic_correlation(const std::vector<std::vector<int>>& labels) {
  if (labels.empty()) return 1;
  const std::size_t s = labels.front().size();
  if (s < 2) return 1;
  // d(i, j) = 1 − share of runs that put i and j in the same cluster.
  std::vector<double> d(s * s, 0.0);
  for (const std::vector<int>& run : labels)
    for (std::size_t i = 0; i < s; ++i)
      for (std::size_t j = i + 1; j < s; ++j)
        if (run[i] == run[j]) d[i * s + j] += 1;
  const double runs = double(labels.size());
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j) d[i * s + j] = 1 - d[i * s + j] / runs;

  // UPGMA: merge the closest pair of clusters; the new cluster's distance to another is the
  // size-weighted mean. Every pair split by a merge gets the merge height as its cophenetic
  // distance. O(s³), meant for a few hundred samples.
  std::vector<double> between(s * s, 0.0);  // symmetric cluster distances, by representative
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j) between[i * s + j] = between[j * s + i] = d[i * s + j];
  std::vector<std::vector<std::size_t>> members(s);
  for (std::size_t i = 0; i < s; ++i) members[i] = {i};
  std::vector<bool> active(s, true);
  std::vector<double> cophenetic(s * s, 0.0);
  for (std::size_t merges = 1; merges < s; ++merges) {
    double lowest = std::numeric_limits<double>::infinity();
    std::size_t a = 0, b = 0;
    for (std::size_t i = 0; i < s; ++i) {
      if (!active[i]) continue;
      for (std::size_t j = i + 1; j < s; ++j)
        if (active[j] && between[i * s + j] < lowest) {
          lowest = between[i * s + j];
          a = i;
          b = j;
        }
    }
    for (std::size_t i : members[a])
      for (std::size_t j : members[b]) cophenetic[std::min(i, j) * s + std::max(i, j)] = lowest;
    const double wa = double(members[a].size()), wb = double(members[b].size());
    for (std::size_t x = 0; x < s; ++x) {
      if (!active[x] || x == a || x == b) continue;
      const double merged = (wa * between[a * s + x] + wb * between[b * s + x]) / (wa + wb);
      between[a * s + x] = between[x * s + a] = merged;
    }
    members[a].insert(members[a].end(), members[b].begin(), members[b].end());
    members[b].clear();
    active[b] = false;
  }

  double mean_d = 0, mean_c = 0;
  const double pairs = double(s) * double(s - 1) / 2;
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j) {
      mean_d += d[i * s + j];
      mean_c += cophenetic[i * s + j];
    }
  mean_d /= pairs;
  mean_c /= pairs;
  double dc = 0, dd = 0, cc = 0;
  for (std::size_t i = 0; i < s; ++i)
    for (std::size_t j = i + 1; j < s; ++j) {
      const double x = d[i * s + j] - mean_d, y = cophenetic[i * s + j] - mean_c;
      dc += x * y;
      dd += x * x;
      cc += y * y;
    }
  if (dd <= 0 || cc <= 0) return 1;
  return dc / std::sqrt(dd * cc);
}

}  // namespace nmfkit::core
