// nmfkit._core: the numeric core for Python. X is read in place (numpy arrays with unit column
// stride, uint8 pixels, scipy's compressed sparse rows); the factors come back as numpy arrays that
// own the library's buffers. The fit runs without the GIL; every iteration the progress callback
// takes it back for a moment to let Python handle signals (Ctrl-C stops the fit and raises
// KeyboardInterrupt) and to print progress. The scikit-learn API is built on this in
// nmfkit/_nmf.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
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

/// A row-major view of a 2-D numpy array whose rows have unit element stride (C order, or rows of
/// a C-ordered array); the Python side copies any other layout first.
template <typename T>
nmfkit::DenseView<T> dense_view(const py::array& a, const char* name) {
  if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be 2-D");
  if (!py::isinstance<py::array_t<T>>(a) || !a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string(name) + " has the wrong dtype");
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
    else if (key == "seed")
      o.seed = v.cast<std::uint64_t>();
    else if (key == "threads")
      o.threads = v.cast<int>();
    else if (key == "extrapolate")
      o.extrapolate = v.cast<bool>();
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

/// Runs `work` without the GIL. Every iteration the progress hook takes the GIL back, lets Python
/// run its signal handlers and calls `report(iteration, error, seconds)` when given; a pending
/// exception (KeyboardInterrupt from Ctrl-C, or one raised by `report`) stops the fit after that
/// iteration and is raised here once the fit has returned.
template <typename Work>
auto run_released(nmfkit::FitOptions& o, const py::object& report, Work&& work) {
  std::optional<py::error_already_set> pending;
  o.progress = [&](const nmfkit::Progress& p) {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!report.is_none()) report(p.iteration, p.error, p.seconds);
    } catch (py::error_already_set& e) {
      pending.emplace(std::move(e));
      return false;
    }
    return true;
  };
  std::optional<decltype(work())> result;
  {
    py::gil_scoped_release release;
    result.emplace(work());
  }
  o.progress = nullptr;
  if (pending) throw std::move(*pending);
  return std::move(*result);
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

/// fit() or transform() of dense X (float32 or float64) with optional start factors.
template <typename T>
py::dict fit_dense_typed(const py::array& x, py::dict opts, const py::object& w0,
                         const py::object& h0, const py::object& fixed_h,
                         const py::object& report) {
  const nmfkit::DenseView<T> xv = dense_view<T>(x, "X");
  nmfkit::FitOptions o = options_from(opts);
  if (!fixed_h.is_none()) {
    const nmfkit::DenseView<T> hv = dense_view<T>(fixed_h.cast<py::array>(), "H");
    return result_dict(run_released(o, report, [&] { return nmfkit::transform(xv, hv, o); }));
  }
  std::optional<nmfkit::StartFactors<T>> start;
  if (!w0.is_none() && !h0.is_none())
    start = nmfkit::StartFactors<T>{dense_view<T>(w0.cast<py::array>(), "W"),
                                    dense_view<T>(h0.cast<py::array>(), "H")};
  return result_dict(
      run_released(o, report, [&] { return nmfkit::fit(xv, o, start ? &*start : nullptr); }));
}

py::dict fit_dense(const py::array& x, py::dict opts, const py::object& w0, const py::object& h0,
                   const py::object& fixed_h, const py::object& report) {
  if (x.dtype().is(py::dtype::of<float>()))
    return fit_dense_typed<float>(x, opts, w0, h0, fixed_h, report);
  if (x.dtype().is(py::dtype::of<double>()))
    return fit_dense_typed<double>(x, opts, w0, h0, fixed_h, report);
  throw py::type_error("X must be float32 or float64");
}

/// fit() of 8-bit X as the values 0..255 times `scale`, in single precision, without a float
/// copy where X is stored sparse.
py::dict fit_levels(const py::array& x, double scale, py::dict opts, const py::object& w0,
                    const py::object& h0, const py::object& report) {
  const nmfkit::DenseView<std::uint8_t> levels = dense_view<std::uint8_t>(x, "X");
  nmfkit::FitOptions o = options_from(opts);
  std::optional<nmfkit::StartFactors<float>> start;
  if (!w0.is_none() && !h0.is_none())
    start = nmfkit::StartFactors<float>{dense_view<float>(w0.cast<py::array>(), "W"),
                                        dense_view<float>(h0.cast<py::array>(), "H")};
  const nmfkit::LevelsView view{levels, scale};
  return result_dict(
      run_released(o, report, [&] { return nmfkit::fit(view, o, start ? &*start : nullptr); }));
}

template <typename T, typename I>
py::dict fit_csr_typed(Index rows, Index cols, const py::array& indptr, const py::array& indices,
                       const py::array& data, py::dict opts, const py::object& w0,
                       const py::object& h0, const py::object& fixed_h, const py::object& report) {
  if (indptr.ndim() != 1 || indices.ndim() != 1 || data.ndim() != 1 ||
      indptr.shape(0) != rows + 1 || indices.shape(0) != data.shape(0) ||
      !(indptr.flags() & py::array::c_style) || !(indices.flags() & py::array::c_style) ||
      !(data.flags() & py::array::c_style))
    throw py::value_error("X's compressed sparse rows are inconsistent");
  const nmfkit::CsrView<T, I> xv{rows, cols, static_cast<const I*>(indptr.data()),
                                 static_cast<const I*>(indices.data()),
                                 static_cast<const T*>(data.data())};
  nmfkit::FitOptions o = options_from(opts);
  if (!fixed_h.is_none()) {
    const nmfkit::DenseView<T> hv = dense_view<T>(fixed_h.cast<py::array>(), "H");
    return result_dict(run_released(o, report, [&] { return nmfkit::transform(xv, hv, o); }));
  }
  std::optional<nmfkit::StartFactors<T>> start;
  if (!w0.is_none() && !h0.is_none())
    start = nmfkit::StartFactors<T>{dense_view<T>(w0.cast<py::array>(), "W"),
                                    dense_view<T>(h0.cast<py::array>(), "H")};
  return result_dict(
      run_released(o, report, [&] { return nmfkit::fit(xv, o, start ? &*start : nullptr); }));
}

py::dict fit_csr(Index rows, Index cols, const py::array& indptr, const py::array& indices,
                 const py::array& data, py::dict opts, const py::object& w0, const py::object& h0,
                 const py::object& fixed_h, const py::object& report) {
  const bool i64 = indptr.dtype().is(py::dtype::of<std::int64_t>());
  const bool i32 = indptr.dtype().is(py::dtype::of<std::int32_t>());
  if (!(i32 || i64) || !indices.dtype().is(indptr.dtype()))
    throw py::type_error("X's indptr and indices must both be int32 or both int64");
  const bool f32 = data.dtype().is(py::dtype::of<float>());
  if (!f32 && !data.dtype().is(py::dtype::of<double>()))
    throw py::type_error("X's data must be float32 or float64");
  if (f32)
    return i32 ? fit_csr_typed<float, std::int32_t>(rows, cols, indptr, indices, data, opts, w0, h0,
                                                    fixed_h, report)
               : fit_csr_typed<float, std::int64_t>(rows, cols, indptr, indices, data, opts, w0, h0,
                                                    fixed_h, report);
  return i32 ? fit_csr_typed<double, std::int32_t>(rows, cols, indptr, indices, data, opts, w0, h0,
                                                   fixed_h, report)
             : fit_csr_typed<double, std::int64_t>(rows, cols, indptr, indices, data, opts, w0, h0,
                                                   fixed_h, report);
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

  m.def("fit_dense", &fit_dense, py::arg("X"), py::arg("options"), py::arg("W") = py::none(),
        py::arg("H") = py::none(), py::arg("fixed_H") = py::none(), py::arg("report") = py::none(),
        "fit (or, with fixed_H, transform) of dense float32/float64 X");
  m.def("fit_levels", &fit_levels, py::arg("X"), py::arg("scale"), py::arg("options"),
        py::arg("W") = py::none(), py::arg("H") = py::none(), py::arg("report") = py::none(),
        "fit of uint8 X as its values times scale, in single precision");
  m.def("fit_csr", &fit_csr, py::arg("rows"), py::arg("cols"), py::arg("indptr"),
        py::arg("indices"), py::arg("data"), py::arg("options"), py::arg("W") = py::none(),
        py::arg("H") = py::none(), py::arg("fixed_H") = py::none(), py::arg("report") = py::none(),
        "fit (or, with fixed_H, transform) of X in compressed sparse rows");
  m.def("solvers", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const nmfkit::SolverInfo& s : nmfkit::solvers())
      out.emplace_back(std::string(s.name), std::string(s.description));
    return out;
  });
}
