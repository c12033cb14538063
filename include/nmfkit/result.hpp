#pragma once
/// FitResult: the factors and everything known about how they were obtained.
#include <cstdint>
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "nmfkit/options.hpp"

namespace nmfkit {

template <typename T>
struct FitResult {
  Matrix<T> W;  ///< n_samples × k activations (scikit-learn's fit_transform output)
  Matrix<T> H;  ///< k × n_features components (scikit-learn's components_)
  /// The objective minimised, at the initialisation (entry 0) and after each iteration: the
  /// β-divergence D_β(X‖WH) (½‖X−WH‖²_F for Frobenius, over the observed entries in a masked
  /// fit) plus the regularisation terms. For Frobenius it comes from the Gram trick (accurate to
  /// about 1e-6·‖X‖² in single precision); with extrapolation each entry is the best so far.
  std::vector<double> loss_history;
  /// Wall time since the fit started (initialisation included) at which each loss_history entry
  /// was reached: with it the history is an error-against-time curve.
  std::vector<double> history_seconds;
  int iterations = 0;         ///< outer iterations done
  bool converged = false;     ///< true only when the stopping rule (tol) ended the fit
  double seconds = 0;         ///< wall time of the whole fit
  double error = 0;           ///< final ‖X−WH‖_F (scikit-learn's reconstruction_err_)
  double relative_error = 0;  ///< error / ‖X‖_F
  double x_norm = 0;          ///< ‖X‖_F
  /// Columns of the sketch whose projection of X the fit read (FitOptions::sketch), else 0.
  Index sketch_columns = 0;
  std::uint64_t seed = 0;  ///< the seed used
  int threads = 1;         ///< threads used
  std::string solver;      ///< the update rule used
  std::string format;      ///< how X was stored: "dense", "sparse", or "custom" (a caller's Data)
  Init init = Init::kNndsvda;
  Timings timings;
};

}  // namespace nmfkit
