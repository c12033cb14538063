#include "core/init.hpp"

#include <algorithm>
#include <cmath>

#include "core/random.hpp"
#include "core/randomized_svd.hpp"
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

struct SignedParts {
  Eigen::VectorXd positive, negative;
};

SignedParts split(const Eigen::VectorXd& v) {
  return {v.cwiseMax(0.0), (-v).cwiseMax(0.0)};
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
Factors<T> nndsvd_init(const Scaled<T>& x, const FitOptions& o) {
  const int k = o.k;
  const bool scikit_learn = o.nndsvd_recipe == NndsvdRecipe::kScikitLearn;
  const int power_iterations = (k < 0.1 * double(std::min(x.rows(), x.cols()))) ? 7 : 4;
  const TruncatedSvd svd =
      scikit_learn ? randomized_svd(x, k, kScikitLearnOversamples, power_iterations,
                                    static_cast<std::uint32_t>(o.seed), o.threads)
                   : randomized_svd(x, k, sketch_oversamples(k), power_iterations,
                                    static_cast<std::uint32_t>(o.seed), o.threads, kNndsvdSettled);
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(x.rows(), k);
  Eigen::MatrixXd h = Eigen::MatrixXd::Zero(x.cols(), k);
  const Index rank = svd.s.size();
  if (rank > 0) {
    w.col(0) = std::sqrt(svd.s(0)) * svd.u.col(0).cwiseAbs();
    h.col(0) = std::sqrt(svd.s(0)) * svd.v.col(0).cwiseAbs();
  }
  for (Index j = 1; j < rank; ++j) {
    const SignedParts a = split(svd.u.col(j)), b = split(svd.v.col(j));
    const double ap = a.positive.norm(), bp = b.positive.norm();
    const double an = a.negative.norm(), bn = b.negative.norm();
    const bool use_positive = ap * bp > an * bn;
    const double sigma = use_positive ? ap * bp : an * bn;
    if (sigma <= 0) continue;
    const double lambda = std::sqrt(svd.s(j) * sigma);
    w.col(j) = lambda / (use_positive ? ap : an) * (use_positive ? a.positive : a.negative);
    h.col(j) = lambda / (use_positive ? bp : bn) * (use_positive ? b.positive : b.negative);
  }
  // The data seen is X/c (Data::scale()), so factor entries are those of X's factors divided by
  // √c. scikit-learn zeroes entries below 1e-6 and fills with mean(X), both in X's units: the
  // fill is converted exactly; the threshold is too for c >= 1 (and with scikit-learn's recipe),
  // and otherwise stays 1e-6 of the normalised factors for c < 1, so that data of tiny magnitude
  // is not zeroed altogether.
  const double root_scale = std::sqrt(x.scale());
  const double zero_below = 1e-6 / (scikit_learn ? root_scale : std::max(1.0, root_scale));
  w = (w.array() < zero_below).select(0.0, w);
  h = (h.array() < zero_below).select(0.0, h);

  const double avg = x.mean() * x.scale() / root_scale;  // mean(X), in the factors' units
  if (o.init == Init::kNndsvda) {
    w = (w.array() == 0.0).select(avg, w);
    h = (h.array() == 0.0).select(avg, h);
  } else if (o.init == Init::kNndsvdar) {
    NumpyRandom rng(static_cast<std::uint32_t>(o.seed));
    for (Eigen::MatrixXd* m : {&w, &h})
      for (Index i = 0; i < m->rows(); ++i)
        for (Index j = 0; j < k; ++j)
          if ((*m)(i, j) == 0.0) (*m)(i, j) = std::abs(avg * rng.normal() / 100.0);
  }
  Factors<T> f{Matrix<T>(x.rows(), k), Matrix<T>(x.cols(), k)};
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j < k; ++j) f.w(i, j) = static_cast<T>(w(i, j));
  for (Index i = 0; i < x.cols(); ++i)
    for (Index j = 0; j < k; ++j) f.ht(i, j) = static_cast<T>(h(i, j));
  return f;
}

}  // namespace

template <typename T>
Factors<T> initialize(const Scaled<T>& x, const FitOptions& options) {
  if (options.init == Init::kCustom)
    throw InvalidArgument("init 'custom' needs the starting factors W0 and H0");
  if (options.init == Init::kRandom)
    return random_init(x, options.k, static_cast<std::uint32_t>(options.seed));
  return nndsvd_init(x, options);
}

template Factors<float> initialize<float>(const Scaled<float>&, const FitOptions&);
template Factors<double> initialize<double>(const Scaled<double>&, const FitOptions&);

}  // namespace nmfkit::core
