#pragma once
// What `nmfkit fit` adds around the factorization itself: -k auto (rank selection before the
// fit), --restarts N (the best of N seeds) and --mask / --missing (missing entries). The work is
// the library's fit_best() and fit_auto_k(); this file maps the arguments and records the result.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "input.hpp"
#include "missing.hpp"
#include "nmfkit/fit.hpp"
#include "sparse_input.hpp"
#include "viz/components.hpp"

namespace nmfkit::cli {

struct FitExtrasArgs {
  bool auto_k = false;   ///< -k auto
  std::string ranks;     ///< --k-range; empty: 1..min(20, n, m)
  int restarts = 1;      ///< --restarts
  std::string mask;      ///< --mask
  std::string missing;   ///< --missing
  bool limited = false;  ///< --limit was given
  bool quiet = false;
  /// --solver was given: -k auto selects with it; otherwise with hals, as `nmfkit rank` does.
  bool solver_given = false;
};

struct FitExtras {
  Missing missing;
  nlohmann::ordered_json rank;               ///< the selection (null without -k auto)
  std::vector<viz::ComponentRow> rank_rows;  ///< -k auto: components of several candidates
  std::vector<std::uint64_t> seeds;
  std::vector<double> objectives;  ///< final objective of each restart
};

/// Checks the combination of the extra arguments and reads the mask; -k auto, --mask and --missing
/// need a dense X (InvalidArgument for a sparse input).
template <typename T>
FitExtras prepare_fit(const FitExtrasArgs& args, const Input& in, const std::vector<T>& x);

/// Whether the fit reads INPUT's 8-bit pixels directly (fit_best with an empty x): float
/// precision, 8-bit input, no mask, no missing values, k given, the Frobenius or the
/// Kullback-Leibler loss. Stored sparse, X is then 8-bit codes built from the pixels; stored
/// dense, the pixels themselves, decoded a block of rows at a time (core::DenseLevelsStorage).
bool fits_levels(const FitExtrasArgs& args, const FitOptions& options, const Input& in,
                 bool single_precision);
/// The options' part of fits_levels (before the input is read): an 8-bit input may then be left
/// in its file and read a block of rows at a time (InputOptions::defer_uint8); fits_levels is
/// then true.
bool may_fit_levels(const FitExtrasArgs& args, const FitOptions& options, bool single_precision);
/// Refuses a sparse input for the options that need X dense (--mask, --missing). Before the
/// sparse X is taken from `in` (its count of stored entries is in the message).
void refuse_sparse_extras(const FitExtrasArgs& args, const Input& in);

/// nmfkit::fit_best() (with the mask when there is one) or, with -k auto, nmfkit::fit_auto_k():
/// `chosen(k)` is called once k is chosen, before the fit. The restarts' seeds and objectives and
/// the selection are recorded in `extras`; options.k and options.seed become the returned fit's.
/// With an empty x (see fits_levels) the fits read the input's 8-bit pixels; with `csr` (a sparse
/// input) they read it. Throws Interrupted after Ctrl-C.
template <typename T>
FitResult<T> fit_best(const FitExtrasArgs& args, FitOptions& options, const std::vector<T>& x,
                      const Input& in, const StartFactors<T>* start, FitExtras& extras,
                      const std::function<void(int k)>& chosen, const CsrMatrix<T>* csr = nullptr);

/// Adds the mask, the restarts and the selection to summary.json.
void add_extras(nlohmann::ordered_json& summary, const FitExtrasArgs& args,
                const FitExtras& extras);

}  // namespace nmfkit::cli
