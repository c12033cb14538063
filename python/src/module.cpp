// nmfkit._core: the numeric core for Python. X is read in place (numpy arrays with unit column
// stride, uint8 pixels, scipy's compressed sparse rows); the factors come back as numpy arrays that
// own the library's buffers. The fit runs without the GIL; every iteration the progress callback
// takes it back for a moment to let Python handle signals (Ctrl-C stops the fit and raises
// KeyboardInterrupt) and to print progress. The scikit-learn API is built on this in
// nmfkit/_nmf.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nmfkit/nmfkit.hpp"

namespace py = pybind11;

namespace {

using nmfkit::Index;

/// A numpy array that owns `m`'s values (moved, not copied).
template <typename T>
py::array_t<T> to_numpy(nmfkit::Matrix<T>&& m) {
  auto* values = new std::vector<T>(std::move(m.values));
  py::capsule owner(values, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({m.rows, m.cols}, {m.cols * Index(sizeof(T)), Index(sizeof(T))},
                        values->data(), owner);
}

/// Whether the array's values are T's (numpy's equivalence of types: a dtype object unpickled or
/// made elsewhere counts as well as numpy's own).
template <typename T>
bool has_dtype(const py::array& a) {
  return py::isinstance<py::array_t<T>>(a);
}

/// A row-major view of a 2-D numpy array whose rows have unit element stride (C order, or rows of
/// a C-ordered array); the Python side copies any other layout first.
template <typename T>
nmfkit::DenseView<T> dense_view(const py::array& a, const char* name) {
  if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be 2-D");
  if (!has_dtype<T>(a)) throw py::type_error(std::string(name) + " has the wrong dtype");
  const Index rows = a.shape(0), cols = a.shape(1);
  const Index item = Index(sizeof(T));
  if (cols > 1 && a.strides(1) != item)
    throw py::value_error(std::string(name) + " must have contiguous rows");
  if (rows > 1 && (a.strides(0) < cols * item || a.strides(0) % item != 0))
    throw py::value_error(std::string(name) + " has an unsupported row stride");
  const Index stride = rows > 1 ? a.strides(0) / item : cols;
  return {static_cast<const T*>(a.data()), rows, cols, std::max<Index>(stride, cols)};
}

nmfkit::FitOptions options_from(const py::dict& d) {
  nmfkit::FitOptions o;
  for (auto item : d) {
    const std::string key = py::str(item.first);
    const py::handle v = item.second;
    if (key == "k")
      o.k = v.cast<int>();
    else if (key == "solver")
      o.solver = v.cast<std::string>();
    else if (key == "beta")
      o.beta = v.cast<double>();
    else if (key == "alpha_w")
      o.alpha_w = v.cast<double>();
    else if (key == "alpha_h")
      o.alpha_h = v.cast<double>();
    else if (key == "l1_ratio")
      o.l1_ratio = v.cast<double>();
    else if (key == "shuffle")
      o.shuffle = v.cast<bool>();
    else if (key == "init")
      o.init = nmfkit::parse_init(v.cast<std::string>());
    else if (key == "max_iter")
      o.max_iter = v.cast<int>();
    else if (key == "tol")
      o.tol = v.cast<double>();
    else if (key == "stopping")
      o.stopping = v.cast<std::string>() == "scikit-learn" ? nmfkit::Stopping::kScikitLearn
                                                           : nmfkit::Stopping::kWindow;
    else if (key == "lazy_objective")
      o.lazy_objective = v.cast<bool>();
    else if (key == "seed")
      o.seed = v.cast<std::uint64_t>();
    else if (key == "nndsvd")
      o.nndsvd_recipe = v.cast<std::string>() == "scikit-learn" ? nmfkit::NndsvdRecipe::kScikitLearn
                                                                : nmfkit::NndsvdRecipe::kFast;
    else if (key == "threads")
      o.threads = v.cast<int>();
    else if (key == "extrapolate")
      o.extrapolate = v.cast<bool>();
    else if (key == "sketch")
      o.sketch = v.cast<int>();
    else if (key == "format") {
      const std::string f = v.cast<std::string>();
      o.format = f == "dense"    ? nmfkit::DataFormat::kDense
                 : f == "sparse" ? nmfkit::DataFormat::kSparse
                                 : nmfkit::DataFormat::kAuto;
    } else
      throw py::key_error("unknown fit option '" + key + "'");
  }
  return o;
}

/// What the fit's hooks (progress callbacks, called between iterations on the fitting thread) do
/// with Python: take the GIL back for a moment, let Python run its signal handlers, call
/// `report`; a Python exception raised there (KeyboardInterrupt from Ctrl-C, or one from
/// `report`) is kept, the hook returns false to stop the fit, and rethrow() raises it once the fit
/// has returned.
class PythonHooks {
 public:
  template <typename Report>
  bool call(Report&& report) {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      report();
    } catch (py::error_already_set& e) {
      pending_.emplace(std::move(e));
      return false;
    }
    return true;
  }
  bool pending() const { return pending_.has_value(); }
  void rethrow() {
    if (pending_) throw std::move(*pending_);
  }

 private:
  std::optional<py::error_already_set> pending_;
};

/// Runs `work` without the GIL, then raises what the hooks kept.
template <typename Work>
auto released(PythonHooks& hooks, Work&& work) {
  std::optional<decltype(work())> result;
  {
    py::gil_scoped_release release;
    result.emplace(work());
  }
  hooks.rethrow();
  return std::move(*result);
}

/// Runs `work` without the GIL, with FitOptions::progress as a hook that calls
/// report(iteration, error, seconds) when given.
template <typename Work>
auto run_released(nmfkit::FitOptions& o, const py::object& report, Work&& work) {
  PythonHooks hooks;
  o.progress = [&](const nmfkit::Progress& p) {
    return hooks.call([&] {
      if (!report.is_none()) report(p.iteration, p.error, p.seconds);
    });
  };
  return released(hooks, work);
}

template <typename T>
py::dict result_dict(nmfkit::FitResult<T>&& r) {
  py::dict d;
  d["W"] = to_numpy(std::move(r.W));
  d["H"] = to_numpy(std::move(r.H));
  d["n_iter"] = r.iterations;
  d["converged"] = r.converged;
  d["error"] = r.error;
  d["relative_error"] = r.relative_error;
  d["loss_history"] = r.loss_history;
  d["seconds"] = r.seconds;
  d["format"] = r.format;
  d["threads"] = r.threads;
  return d;
}

/// Calls f(view) with X's view: a dense float32/float64 array (DenseView<T>), or the tuple
/// ("csr", rows, cols, indptr, indices, data) of scipy's compressed sparse rows (CsrView<T, I>,
/// int32 or int64 indices). The T of the view picks the precision of everything else.
template <typename F>
auto with_x(const py::object& x, F&& f) {
  if (py::isinstance<py::tuple>(x)) {
    const auto t = x.cast<py::tuple>();
    if (t.size() != 6 || t[0].cast<std::string>() != "csr")
      throw py::value_error("X must be an array or ('csr', rows, cols, indptr, indices, data)");
    const Index rows = t[1].cast<Index>(), cols = t[2].cast<Index>();
    const auto indptr = t[3].cast<py::array>(), indices = t[4].cast<py::array>(),
               data = t[5].cast<py::array>();
    if (indptr.ndim() != 1 || indices.ndim() != 1 || data.ndim() != 1 ||
        indptr.shape(0) != rows + 1 || indices.shape(0) != data.shape(0) ||
        !(indptr.flags() & py::array::c_style) || !(indices.flags() & py::array::c_style) ||
        !(data.flags() & py::array::c_style))
      throw py::value_error("X's compressed sparse rows are inconsistent");
    const bool i32 = has_dtype<std::int32_t>(indptr);
    if (!(i32 || has_dtype<std::int64_t>(indptr)) ||
        !(i32 ? has_dtype<std::int32_t>(indices) : has_dtype<std::int64_t>(indices)))
      throw py::type_error("X's indptr and indices must both be int32 or both int64");
    auto csr = [&](auto t_tag, auto i_tag) {
      using T = decltype(t_tag);
      using I = decltype(i_tag);
      return f(nmfkit::CsrView<T, I>{rows, cols, static_cast<const I*>(indptr.data()),
                                     static_cast<const I*>(indices.data()),
                                     static_cast<const T*>(data.data())});
    };
    if (has_dtype<float>(data))
      return i32 ? csr(float{}, std::int32_t{}) : csr(float{}, std::int64_t{});
    if (has_dtype<double>(data))
      return i32 ? csr(double{}, std::int32_t{}) : csr(double{}, std::int64_t{});
    throw py::type_error("X's data must be float32 or float64");
  }
  const auto a = x.cast<py::array>();
  if (has_dtype<float>(a)) return f(dense_view<float>(a, "X"));
  if (has_dtype<double>(a)) return f(dense_view<double>(a, "X"));
  throw py::type_error("X must be float32 or float64");
}

/// The scalar type of an X view.
template <typename V>
struct Scalar;
template <typename T>
struct Scalar<nmfkit::DenseView<T>> {
  using type = T;
};
template <typename T, typename I>
struct Scalar<nmfkit::CsrView<T, I>> {
  using type = T;
};

/// The caller's W0 and H0 (both given, or neither).
template <typename T>
std::optional<nmfkit::StartFactors<T>> start_of(const py::object& w0, const py::object& h0) {
  if (w0.is_none() || h0.is_none()) return std::nullopt;
  return nmfkit::StartFactors<T>{dense_view<T>(w0.cast<py::array>(), "W"),
                                 dense_view<T>(h0.cast<py::array>(), "H")};
}

/// fit() of X (dense or CSR) from the caller's start or the options' init; with fixed_H,
/// transform().
py::dict fit_x(const py::object& x, py::dict opts, const py::object& w0, const py::object& h0,
               const py::object& fixed_h, const py::object& report) {
  nmfkit::FitOptions o = options_from(opts);
  return with_x(x, [&](const auto& xv) {
    using T = typename Scalar<std::decay_t<decltype(xv)>>::type;
    if (!fixed_h.is_none()) {
      const nmfkit::DenseView<T> hv = dense_view<T>(fixed_h.cast<py::array>(), "H");
      return result_dict(run_released(o, report, [&] { return nmfkit::transform(xv, hv, o); }));
    }
    const auto start = start_of<T>(w0, h0);
    return result_dict(
        run_released(o, report, [&] { return nmfkit::fit(xv, o, start ? &*start : nullptr); }));
  });
}

/// fit() of 8-bit X as the values 0..255 times `scale`, in single precision, without a float
/// copy where X is stored sparse.
py::dict fit_levels(const py::array& x, double scale, py::dict opts, const py::object& w0,
                    const py::object& h0, const py::object& report) {
  const nmfkit::DenseView<std::uint8_t> levels = dense_view<std::uint8_t>(x, "X");
  nmfkit::FitOptions o = options_from(opts);
  const auto start = start_of<float>(w0, h0);
  const nmfkit::LevelsView view{levels, scale};
  return result_dict(
      run_released(o, report, [&] { return nmfkit::fit(view, o, start ? &*start : nullptr); }));
}

// ---- MiniBatchNMF ----

nmfkit::MiniBatchOptions minibatch_options_from(const py::dict& d) {
  nmfkit::MiniBatchOptions m;
  for (auto item : d) {
    const std::string key = py::str(item.first);
    const py::handle v = item.second;
    if (key == "batch_size")
      m.batch_size = v.cast<Index>();
    else if (key == "forget_factor")
      m.forget_factor = v.cast<double>();
    else if (key == "fresh_restarts")
      m.fresh_restarts = v.cast<bool>();
    else if (key == "fresh_restarts_max_iter")
      m.fresh_restarts_max_iter = v.cast<int>();
    else if (key == "transform_max_iter")
      m.transform_max_iter = v.cast<int>();
    else if (key == "max_no_improvement")
      m.max_no_improvement = v.cast<int>();
    else
      throw py::key_error("unknown mini-batch option '" + key + "'");
  }
  return m;
}

template <typename T>
py::dict state_dict(nmfkit::MiniBatchState<T>&& s) {
  py::dict d;
  d["components"] = to_numpy(std::move(s.h));
  d["numerator"] = to_numpy(std::move(s.numerator));
  d["denominator"] = to_numpy(std::move(s.denominator));
  d["n_steps"] = s.n_steps;
  d["rho"] = s.rho;
  return d;
}

template <typename T>
nmfkit::Matrix<T> matrix_of(const py::object& a, const char* name) {
  const nmfkit::DenseView<T> v = dense_view<T>(a.cast<py::array>(), name);
  nmfkit::Matrix<T> m(v.rows, v.cols);
  for (Index i = 0; i < v.rows; ++i) std::copy(v.row(i), v.row(i) + v.cols, m.row(i));
  return m;
}

template <typename T>
nmfkit::MiniBatchState<T> state_of(const py::object& d) {
  nmfkit::MiniBatchState<T> s;
  if (d.is_none()) return s;
  const auto state = d.cast<py::dict>();
  s.h = matrix_of<T>(state["components"], "components");
  s.numerator = matrix_of<T>(state["numerator"], "numerator");
  s.denominator = matrix_of<T>(state["denominator"], "denominator");
  s.n_steps = state["n_steps"].cast<Index>();
  s.rho = state["rho"].cast<double>();
  return s;
}

/// Runs `work` without the GIL, with MiniBatchOptions::on_step as a hook that calls
/// report(step, n_steps, batch_cost, ewa_cost or None) when given.
template <typename Work>
auto run_minibatch_released(nmfkit::MiniBatchOptions& m, const py::object& report, Work&& work) {
  PythonHooks hooks;
  m.on_step = [&](const nmfkit::MiniBatchProgress& p) {
    return hooks.call([&] {
      if (!report.is_none())
        report(p.step, p.n_steps, p.batch_cost,
               p.has_ewa ? py::object(py::float_(p.ewa_cost)) : py::object(py::none()));
    });
  };
  return released(hooks, work);
}

py::dict minibatch_fit(const py::object& x, py::dict opts, py::dict mb, const py::object& w0,
                       const py::object& h0, const py::object& report) {
  const nmfkit::FitOptions o = options_from(opts);
  nmfkit::MiniBatchOptions m = minibatch_options_from(mb);
  return with_x(x, [&](const auto& xv) {
    using T = typename Scalar<std::decay_t<decltype(xv)>>::type;
    const auto start = start_of<T>(w0, h0);
    nmfkit::MiniBatchResult<T> r = run_minibatch_released(
        m, report, [&] { return nmfkit::fit_minibatch(xv, o, m, start ? &*start : nullptr); });
    py::dict d = result_dict(std::move(r.fit));
    d["n_steps"] = r.n_steps;
    d["stop"] = nmfkit::minibatch_stop_name(r.stop);
    d["state"] = state_dict(std::move(r.state));
    return d;
  });
}

py::tuple minibatch_partial_fit(const py::object& x, py::dict opts, py::dict mb,
                                const py::object& state, const py::object& w0,
                                const py::object& h0) {
  const nmfkit::FitOptions o = options_from(opts);
  const nmfkit::MiniBatchOptions m = minibatch_options_from(mb);
  return with_x(x, [&](const auto& xv) {
    using T = typename Scalar<std::decay_t<decltype(xv)>>::type;
    nmfkit::MiniBatchState<T> s = state_of<T>(state);
    std::optional<nmfkit::StartFactors<T>> start;
    if (!h0.is_none())
      start = nmfkit::StartFactors<T>{
          w0.is_none() ? nmfkit::DenseView<T>() : dense_view<T>(w0.cast<py::array>(), "W"),
          dense_view<T>(h0.cast<py::array>(), "H")};
    double cost = 0;
    {
      py::gil_scoped_release release;
      cost = nmfkit::partial_fit_minibatch(xv, o, m, s, start ? &*start : nullptr);
    }
    return py::make_tuple(state_dict(std::move(s)), cost);
  });
}

py::dict minibatch_transform(const py::object& x, const py::object& h, py::dict opts, py::dict mb) {
  const nmfkit::FitOptions o = options_from(opts);
  const nmfkit::MiniBatchOptions m = minibatch_options_from(mb);
  return with_x(x, [&](const auto& xv) {
    using T = typename Scalar<std::decay_t<decltype(xv)>>::type;
    const nmfkit::DenseView<T> hv = dense_view<T>(h.cast<py::array>(), "H");
    nmfkit::FitResult<T> r;
    {
      py::gil_scoped_release release;
      r = nmfkit::transform_minibatch(xv, hv, o, m);
    }
    return result_dict(std::move(r));
  });
}

// ---- rank selection ----

/// select_rank() of X (dense, or compressed sparse rows as with_x takes them: only the sampled
/// rows are made dense): the candidates `ks` (empty: fit_auto_k's default for these options),
/// the fit options of every fold as given (empty solver: the selection's default rule).
py::dict select_rank_x(const py::object& x, std::vector<int> ks, py::dict opts, int folds,
                       double holdout, const std::string& rule, const py::object& report) {
  nmfkit::FitOptions fit = options_from(opts);
  if (fit.k < 1) fit.k = 1;
  auto select = [&](const auto& xv, Index rows, Index cols) {
    nmfkit::RankOptions o = nmfkit::auto_k_selection(fit, rows, cols);
    if (!ks.empty()) o.ks = ks;
    if (folds > 0) o.folds = folds;
    if (holdout > 0) o.holdout = holdout;
    if (!rule.empty()) o.rule = nmfkit::parse_rank_rule(rule);
    PythonHooks hooks;
    o.progress = [&](const nmfkit::RankProgress& p) {
      return hooks.call([&] {
        if (!report.is_none() && p.finished != nullptr)
          report(p.finished->k, p.finished->mean_error, p.finished->standard_error, p.seconds);
      });
    };
    try {
      return released(hooks, [&] { return nmfkit::select_rank(xv, o); });
    } catch (const nmfkit::Cancelled&) {
      hooks.rethrow();  // the selection stopped for the exception a hook kept
      throw;
    }
  };
  // 8-bit pixels are selected from as they are (single precision, as fit_levels fits them).
  const bool pixels = !py::isinstance<py::tuple>(x) && has_dtype<std::uint8_t>(x.cast<py::array>());
  const nmfkit::RankResult r =
      pixels ? select(nmfkit::LevelsView{dense_view<std::uint8_t>(x.cast<py::array>(), "X"), 1.0},
                      x.cast<py::array>().shape(0), x.cast<py::array>().shape(1))
             : with_x(x, [&](const auto& xv) { return select(xv, xv.rows, xv.cols); });
  py::list points;
  for (const nmfkit::RankPoint& q : r.points) {
    py::dict d;
    d["k"] = q.k;
    d["mean_error"] = q.mean_error;
    d["standard_error"] = q.standard_error;
    d["fold_errors"] = q.fold_errors;
    d["train_error"] = q.train_error;
    d["iterations"] = q.iterations;
    d["seconds"] = q.seconds;
    points.append(d);
  }
  py::dict d;
  d["points"] = points;
  d["chosen_k"] = r.chosen_k;
  d["criterion"] = r.criterion;
  d["best_k"] = r.best_k;
  d["one_se_k"] = r.one_se_k;
  d["knee_k"] = r.knee_k;
  d["candidates"] = r.candidates;
  d["stopped_early"] = r.stopped_early;
  d["folds"] = r.folds;
  d["holdout"] = r.holdout;
  d["sample_rows"] = r.sample_rows;
  d["seconds"] = r.seconds;
  return d;
}

/// One pass over the values of a contiguous (C or Fortran order) float32/float64 array, split
/// among the cores: (whether all are finite, the smallest). The fit's checks of X in one pass
/// where scikit-learn's take two (a sum for finiteness, then the minimum).
template <typename T>
py::tuple scan_values(const py::array& a) {
  const T* p = static_cast<const T*>(a.data());
  const auto n = static_cast<std::int64_t>(a.size());
  T low = std::numeric_limits<T>::infinity();
  int bad = 0;
  {
    py::gil_scoped_release release;
    constexpr std::int64_t kBlock = std::int64_t{1} << 16;
    const std::int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) reduction(min : low) reduction(| : bad)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t end = std::min(n, (b + 1) * kBlock);
      T block_low = std::numeric_limits<T>::infinity();
      int block_bad = 0;
#pragma omp simd reduction(min : block_low) reduction(| : block_bad)
      for (std::int64_t i = b * kBlock; i < end; ++i) {
        const T v = p[i];
        const T d = v - v;  // NaN for NaN and ±inf, else 0
        block_bad |= static_cast<int>(d != d);
        block_low = std::min(block_low, v);
      }
      low = std::min(low, block_low);
      bad |= block_bad;
    }
  }
  return py::make_tuple(bad == 0, static_cast<double>(low));
}

py::tuple scan_x(const py::array& a) {
  if (!(a.flags() & (py::array::c_style | py::array::f_style)))
    throw py::value_error("X must be contiguous");
  if (has_dtype<float>(a)) return scan_values<float>(a);
  if (has_dtype<double>(a)) return scan_values<double>(a);
  throw py::type_error("X must be float32 or float64");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "nmfkit's C++ core (use the nmfkit package, not this module)";
  m.attr("__version__") = NMFKIT_VERSION;

  // nmfkit's exceptions become Python's: bad options and bad data are ValueErrors, a breakdown
  // is a FloatingPointError, a cancelled fit a KeyboardInterrupt.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nmfkit::Cancelled& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const nmfkit::NumericError& e) {
      PyErr_SetString(PyExc_FloatingPointError, e.what());
    } catch (const nmfkit::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  m.def("fit", &fit_x, py::arg("X"), py::arg("options"), py::arg("W") = py::none(),
        py::arg("H") = py::none(), py::arg("fixed_H") = py::none(), py::arg("report") = py::none(),
        "fit (or, with fixed_H, transform) of X: a float32/float64 array with contiguous rows, "
        "or ('csr', rows, cols, indptr, indices, data)");
  m.def("fit_levels", &fit_levels, py::arg("X"), py::arg("scale"), py::arg("options"),
        py::arg("W") = py::none(), py::arg("H") = py::none(), py::arg("report") = py::none(),
        "fit of uint8 X as its values times scale, in single precision");
  m.def("minibatch_fit", &minibatch_fit, py::arg("X"), py::arg("options"), py::arg("minibatch"),
        py::arg("W") = py::none(), py::arg("H") = py::none(), py::arg("report") = py::none(),
        "MiniBatchNMF's fit of X");
  m.def("minibatch_partial_fit", &minibatch_partial_fit, py::arg("X"), py::arg("options"),
        py::arg("minibatch"), py::arg("state") = py::none(), py::arg("W") = py::none(),
        py::arg("H") = py::none(), "one MiniBatchNMF step on the batch X: (state, batch cost)");
  m.def("minibatch_transform", &minibatch_transform, py::arg("X"), py::arg("H"), py::arg("options"),
        py::arg("minibatch"), "MiniBatchNMF's transform of X");
  m.def(
      "select_rank", &select_rank_x, py::arg("X"), py::arg("ks"), py::arg("options"),
      py::arg("folds") = 0, py::arg("holdout") = 0.0, py::arg("rule") = "",
      py::arg("report") = py::none(),
      "rank selection by held-out entries (nmfkit::select_rank) of X: dense, CSR or uint8 pixels");
  m.def("scan", &scan_x, py::arg("X"),
        "(all finite, smallest value) of a contiguous float32/float64 array, in one pass");
  m.def("solvers", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const nmfkit::SolverInfo& s : nmfkit::solvers())
      out.emplace_back(std::string(s.name), std::string(s.description));
    return out;
  });
}
