#include "core/init.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/random.hpp"
#include "core/randomized_svd.hpp"
#include "kernels/chunks.hpp"
#include "nmfkit/errors.hpp"

namespace nmfkit::core {

namespace {

// scikit-learn: avg = sqrt(mean(X) / k); H = avg·|N(0,1)| (k × m) drawn first, then W (n × k).
template <typename T>
Factors<T> random_init(const Scaled<T>& x, int k, std::uint32_t seed) {
  const double avg = std::sqrt(x.mean() / k);
  NumpyRandom rng(seed);
  Factors<T> f{Matrix<T>(x.rows(), k), Matrix<T>(x.cols(), k)};
  for (Index j = 0; j < k; ++j)
    for (Index c = 0; c < x.cols(); ++c) f.ht(c, j) = static_cast<T>(std::abs(avg * rng.normal()));
  for (T& v : f.w.values) v = static_cast<T>(std::abs(avg * rng.normal()));
  return f;
}

/// How NNDSVD builds one column of a factor from a singular vector u: coefficient · |u|, or
/// coefficient · max(0, sign·u) (the positive or the negative part).
struct ColumnRule {
  double coefficient = 0;  ///< 0: the column stays zero
  double sign = 1;
  bool absolute = false;
};

/// Per column of u (rows × r): the squared norms of its positive and negative parts, entries
/// 2j and 2j + 1. Each row chunk sums its rows in order and the chunks are added in chunk order,
/// so the result does not depend on the thread count.
template <typename Rows>
std::vector<double> signed_squared_norms(const Rows& u, int threads) {
  const Index r = u.cols();
  const kernels::RowChunks chunks = kernels::row_chunks(u.rows());
  std::vector<double> partial(static_cast<std::size_t>(chunks.count * 2 * r), 0.0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (Index c = 0; c < chunks.count; ++c) {
    double* sums = partial.data() + c * 2 * r;
    for (Index i = chunks.begin(c); i < chunks.end(c); ++i)
      for (Index j = 0; j < r; ++j) {
        const double v = u(i, j);
        sums[2 * j + (v < 0 ? 1 : 0)] += v * v;
      }
  }
  std::vector<double> total(static_cast<std::size_t>(2 * r), 0.0);
  kernels::sum_chunk_partials(partial.data(), chunks.count, 2 * r, total.data());
  return total;
}

/// Rows of a factor (rows × k, in T) from u (rows × r ≤ k) and the columns' rules: each entry
/// formed in double, below `zero_below` made 0, a 0 then replaced by `fill` when `fill_zeros`
/// (nndsvda); columns past r are 0 (or `fill`).
template <typename T, typename Rows>
void factor_rows(const Rows& u, const std::vector<ColumnRule>& rules, double zero_below,
                 bool fill_zeros, double fill, Matrix<T>& out, int threads) {
  const Index k = out.cols, r = u.cols();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (Index i = 0; i < out.rows; ++i) {
    T* row = out.row(i);
    for (Index j = 0; j < k; ++j) {
      double v = 0;
      if (j < r) {
        const ColumnRule& rule = rules[static_cast<std::size_t>(j)];
        const double x = u(i, j);
        v = rule.coefficient * (rule.absolute ? std::abs(x) : std::max(rule.sign * x, 0.0));
      }
      if (v < zero_below) v = 0;
      if (fill_zeros && v == 0.0) v = fill;
      row[j] = static_cast<T>(v);
    }
  }
}

}  // namespace

Index sketch_oversamples(Index k) {
  // The products pad their columns to a multiple of 16 (kernels/csr.cpp): when rounding
  // scikit-learn's k + 10 sketch columns down to a multiple of 16 still leaves at least 5 extra
  // columns (Halko, Martinsson & Tropp 2011: 5 to 10 suffice, the power iterations do the rest),
  // that saves a whole block of every product; otherwise the sketch is scikit-learn's.
  constexpr Index kBlock = 16, kMin = 5, kScikitLearn = 10;
  const Index rounded = (k + kScikitLearn) / kBlock * kBlock;
  return rounded - k >= kMin ? rounded - k : kScikitLearn;
}

namespace {

/// The power iterations of the randomized SVD behind NNDSVD stop once an iteration moves none of
/// the leading k singular value estimates by more than this fraction (at most scikit-learn's
/// 7, or 4 for large k): an initialisation does not need the SVD to more digits, and each power
/// iteration costs two passes over X. On MNIST k = 10 that is 4 iterations instead of 7.
constexpr double kNndsvdSettled = 1e-2;
/// scikit-learn's randomized_svd's default n_oversamples (NndsvdRecipe::kScikitLearn).
constexpr Index kScikitLearnOversamples = 10;

// NNDSVD (Boutsidis & Gallopoulos 2008), as scikit-learn computes it; with NndsvdRecipe::kFast
// its randomized SVD has sketch_oversamples and stops its power iterations early, and the zero
// threshold of data of tiny magnitude is relative.
template <typename T>
Factors<T> nndsvd_init(const Scaled<T>& x, const FitOptions& o, const TruncatedSvd* given) {
  const int k = o.k;
  const bool scikit_learn = o.nndsvd_recipe == NndsvdRecipe::kScikitLearn;
  const int power_iterations = (k < 0.1 * double(std::min(x.rows(), x.cols()))) ? 7 : 4;
  TruncatedSvd svd;
  if (given != nullptr) {  // a wider sketch's SVD: its leading k triplets
    const Index r = std::min<Index>(k, given->s.size());
    svd.u = given->u.leftCols(r);
    svd.s = given->s.head(r);
    svd.v = given->v.leftCols(r);
  } else {
    svd = scikit_learn
              ? randomized_svd(x, k, kScikitLearnOversamples, power_iterations,
                               static_cast<std::uint32_t>(o.seed), o.threads)
              : randomized_svd(x, k, sketch_oversamples(k), power_iterations,
                               static_cast<std::uint32_t>(o.seed), o.threads, kNndsvdSettled);
  }
  const int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
  const Index rank = svd.s.size();
  const std::vector<double> u_norms = signed_squared_norms(svd.u, threads);
  const std::vector<double> v_norms = signed_squared_norms(svd.v, threads);
  std::vector<ColumnRule> w_rules(static_cast<std::size_t>(rank)), h_rules(w_rules.size());
  if (rank > 0) {
    w_rules[0] = h_rules[0] = ColumnRule{std::sqrt(svd.s(0)), 1, true};
  }
  for (Index j = 1; j < rank; ++j) {
    const auto at = [j](const std::vector<double>& n, int part) {
      return std::sqrt(n[static_cast<std::size_t>(2 * j + part)]);
    };
    const double ap = at(u_norms, 0), an = at(u_norms, 1), bp = at(v_norms, 0), bn = at(v_norms, 1);
    const bool use_positive = ap * bp > an * bn;
    const double sigma = use_positive ? ap * bp : an * bn;
    if (sigma <= 0) continue;
    const double lambda = std::sqrt(svd.s(j) * sigma);
    const double sign = use_positive ? 1.0 : -1.0;
    w_rules[static_cast<std::size_t>(j)] = ColumnRule{lambda / (use_positive ? ap : an), sign};
    h_rules[static_cast<std::size_t>(j)] = ColumnRule{lambda / (use_positive ? bp : bn), sign};
  }
  // The data seen is X/c (Data::scale()), so factor entries are those of X's factors divided by
  // √c. scikit-learn zeroes entries below 1e-6 and fills with mean(X), both in X's units: the
  // fill is converted exactly; the threshold is too for c >= 1 (and with scikit-learn's recipe),
  // and otherwise stays 1e-6 of the normalised factors for c < 1, so that data of tiny magnitude
  // is not zeroed altogether.
  const double root_scale = std::sqrt(x.scale());
  const double zero_below = 1e-6 / (scikit_learn ? root_scale : std::max(1.0, root_scale));
  const double avg = x.mean() * x.scale() / root_scale;  // mean(X), in the factors' units
  const bool fill_avg = o.init == Init::kNndsvda;
  Factors<T> f{Matrix<T>(x.rows(), k), Matrix<T>(x.cols(), k)};
  factor_rows(svd.u, w_rules, zero_below, fill_avg, avg, f.w, threads);
  factor_rows(svd.v, h_rules, zero_below, fill_avg, avg, f.ht, threads);
  if (o.init == Init::kNndsvdar) {
    // Zeros become |avg·N(0, 1)/100|, drawn in W's then H's row-major order.
    NumpyRandom rng(static_cast<std::uint32_t>(o.seed));
    for (Matrix<T>* m : {&f.w, &f.ht})
      for (T& v : m->values)
        if (v == T(0)) v = static_cast<T>(std::abs(avg * rng.normal() / 100.0));
  }
  return f;
}

}  // namespace

template <typename T>
Factors<T> initialize(const Scaled<T>& x, const FitOptions& options, const TruncatedSvd* svd) {
  if (options.init == Init::kCustom)
    throw InvalidArgument("init 'custom' needs the starting factors W0 and H0");
  if (options.init == Init::kRandom)
    return random_init(x, options.k, static_cast<std::uint32_t>(options.seed));
  return nndsvd_init(x, options, svd);
}

template Factors<float> initialize<float>(const Scaled<float>&, const FitOptions&,
                                          const TruncatedSvd*);
template Factors<double> initialize<double>(const Scaled<double>&, const FitOptions&,
                                            const TruncatedSvd*);

}  // namespace nmfkit::core
