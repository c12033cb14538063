#pragma once
/// FitResult: the factors and everything known about how they were obtained.
#include <cstdint>
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit {

/// Where the fit spent its time, in seconds.
struct Timings {
  double init = 0;      ///< initialisation (including the randomized SVD for nndsvd*)
  double products = 0;  ///< X·Hᵀ and Xᵀ·W
  double grams = 0;     ///< WᵀW and HHᵀ
  double updates = 0;   ///< the update rule itself
  double loss = 0;      ///< objective evaluation (Gram trick)
};

template <typename T>
struct FitResult {
  Matrix<T> W;  ///< n_samples × k activations (scikit-learn's fit_transform output)
  Matrix<T> H;  ///< k × n_features components (scikit-learn's components_)
  /// Objective ½‖X−WH‖²_F at the initialisation (entry 0) and after each iteration, evaluated by
  /// the Gram trick (accurate to about 1e-6·‖X‖² in single precision).
  std::vector<double> loss_history;
  int iterations = 0;         ///< outer iterations done
  bool converged = false;     ///< true only when the stopping rule (tol) ended the fit
  double seconds = 0;         ///< wall time of the whole fit
  double error = 0;           ///< final ‖X−WH‖_F (scikit-learn's reconstruction_err_)
  double relative_error = 0;  ///< error / ‖X‖_F
  double x_norm = 0;          ///< ‖X‖_F
  std::uint64_t seed = 0;     ///< the seed used
  int threads = 1;            ///< threads used
  std::string solver;         ///< the update rule used
  std::string format;         ///< how X was stored: "dense" or "sparse"
  Init init = Init::kNndsvda;
  Timings timings;
};

}  // namespace nmfkit
