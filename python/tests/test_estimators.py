"""nmfkit.NMF against scikit-learn's NMF: the same results from the same call, every input form,
the estimator protocol (clone, pickle, pipelines, grid search), threads, verbose and Ctrl-C."""
import os
import pickle
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.decomposition as skd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import nmfkit


def data(n=120, m=40, k=4, seed=0, zeros=0.0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, k) @ rng.rand(k, m) + 0.05 * rng.rand(n, m)
    if zeros:
        x[rng.rand(n, m) < zeros] = 0
    return x


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.parametrize("solver", ["cd", "mu"])
@pytest.mark.parametrize("init", ["random", "nndsvda", None])
@pytest.mark.parametrize("zeros", [0.0, 0.6])
def test_same_call_same_result_as_scikit_learn(solver, init, zeros):
    x = data(zeros=zeros)
    kw = dict(n_components=5, solver=solver, init=init, random_state=0)
    ours = nmfkit.NMF(**kw)
    theirs = skd.NMF(**kw)
    w_ours = ours.fit_transform(x)
    w_theirs = theirs.fit_transform(x)
    # The same start (the random draws and scikit-learn's NNDSVD are reproduced), the same
    # stopping test on the same objective: the same iterations and the same factors.
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-5, atol=1e-8)
    assert ours.reconstruction_err_ <= theirs.reconstruction_err_ * 1.001
    assert ours.reconstruction_err_ == pytest.approx(
        np.linalg.norm(x - w_ours @ ours.components_), rel=1e-9
    )


@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
@pytest.mark.parametrize("form", ["dense", "float32", "csr", "tiny"])
def test_nndsvd_starts_are_scikit_learns(init, form):
    # scikit-learn's randomized SVD (k + 10 columns, 7 power iterations) and zero threshold
    # (1e-6 in X's units, which zeroes most of a tiny-magnitude X's factors too). nndsvdar's
    # random fill is nmfkit's own (other draws in another order).
    from sklearn.decomposition._nmf import _initialize_nmf as theirs

    x = data(n=300, m=60, k=6, seed=3, zeros=0.5)
    if form == "float32":
        x = x.astype(np.float32)
    elif form == "csr":
        x = sp.csr_matrix(x)
    elif form == "tiny":
        x = x * 1e-9
    for k, seed in ((3, 0), (8, 7)):
        w_ours, h_ours = nmfkit._nmf._initialize_nmf(x, k, init=init, random_state=seed)
        w_theirs, h_theirs = theirs(x, k, init=init, random_state=seed)
        assert w_ours.dtype == w_theirs.dtype and h_ours.dtype == h_theirs.dtype
        tol = 1e-4 if form == "float32" else 1e-9
        scale = float(np.max(w_theirs))
        np.testing.assert_allclose(w_ours, w_theirs, rtol=tol, atol=tol * scale)
        scale = float(np.max(h_theirs))
        np.testing.assert_allclose(h_ours, h_theirs, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("beta", ["kullback-leibler", "itakura-saito", 0.5, 3.0])
def test_beta_losses_match_scikit_learn(beta):
    x = data(zeros=0.0) + 0.01
    kw = dict(n_components=4, solver="mu", beta_loss=beta, init="random", random_state=1,
              max_iter=300)
    ours = nmfkit.NMF(**kw).fit(x)
    theirs = skd.NMF(**kw).fit(x)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.reconstruction_err_ == pytest.approx(theirs.reconstruction_err_, rel=1e-6)


def test_regularization_matches_scikit_learn():
    x = data()
    for solver in ("cd", "mu"):
        kw = dict(n_components=4, solver=solver, init="random", random_state=2, alpha_W=0.01,
                  alpha_H=0.02, l1_ratio=0.5, max_iter=100, tol=0)
        ours = nmfkit.NMF(**kw).fit(x)
        theirs = skd.NMF(**kw).fit(x)
        np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
def test_dense_layouts_and_dtypes(dtype, order):
    x = np.asarray(data(), dtype=dtype, order=order)
    model = nmfkit.NMF(4, init="random", random_state=0, max_iter=50, tol=0)
    w = model.fit_transform(x)
    assert w.dtype == dtype and model.components_.dtype == dtype
    reference = nmfkit.NMF(4, init="random", random_state=0, max_iter=50, tol=0)
    reference.fit(np.ascontiguousarray(data(), dtype=dtype))
    np.testing.assert_array_equal(model.components_, reference.components_)
    # A slice of rows is read in place, with its stride.
    rows = np.asarray(data(200), dtype=dtype)[::2]
    assert nmfkit.NMF(3, init="random", random_state=0).fit(rows).components_.shape == (3, 40)


def test_integer_input_gives_float64():
    x = (data() * 10).astype(np.int32)
    model = nmfkit.NMF(3, random_state=0, tol=1e-2)
    assert model.fit_transform(x).dtype == np.float64
    assert model.components_.dtype == np.float64


def test_uint8_pixels_fit_their_values():
    rng = np.random.RandomState(3)
    x = (rng.rand(300, 64) ** 3 * 255).astype(np.uint8)
    pixels = nmfkit.NMF(5, init="random", random_state=0, max_iter=60, tol=0).fit(x)
    floats = nmfkit.NMF(5, init="random", random_state=0, max_iter=60, tol=0)
    floats.fit(x.astype(np.float32))
    assert pixels.components_.dtype == np.float64
    # The same fit in single precision, from the 8-bit codes instead of a float copy.
    assert pixels.reconstruction_err_ == pytest.approx(floats.reconstruction_err_, rel=1e-4)
    w = pixels.transform(x)
    assert w.shape == (300, 5) and w.dtype == np.float64


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_sparse_input_gives_the_dense_result(fmt, index):
    x = data(zeros=0.7)
    xs = sp.csr_matrix(x) if fmt == "csr" else sp.csc_matrix(x)
    xs.indices = xs.indices.astype(index)
    xs.indptr = xs.indptr.astype(index)
    kw = dict(n_components=4, init="random", random_state=0, max_iter=40, tol=0)
    dense = nmfkit.NMF(**kw)
    sparse = nmfkit.NMF(**kw)
    np.testing.assert_allclose(sparse.fit_transform(xs), dense.fit_transform(x), rtol=1e-7,
                               atol=1e-10)
    np.testing.assert_allclose(sparse.transform(xs), dense.transform(x), rtol=1e-7, atol=1e-10)


def test_sparse_with_unsorted_indices_and_duplicates():
    x = data(30, 10, zeros=0.5)
    coo = sp.coo_matrix(x)
    # Every entry split in two halves, in reverse order: not canonical.
    rows = np.concatenate([coo.row, coo.row])[::-1]
    cols = np.concatenate([coo.col, coo.col])[::-1]
    vals = np.concatenate([coo.data / 2, coo.data / 2])[::-1]
    messy = sp.csr_matrix((vals, (rows, cols)), shape=x.shape)
    messy.has_sorted_indices = False
    kw = dict(n_components=3, init="random", random_state=0, max_iter=20, tol=0)
    np.testing.assert_allclose(nmfkit.NMF(**kw).fit_transform(messy),
                               nmfkit.NMF(**kw).fit_transform(x), rtol=1e-9)


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(data(40, 6), columns=[f"f{i}" for i in range(6)])
    model = nmfkit.NMF(2, random_state=0).fit(frame)
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.n_features_in_ == 6
    assert list(model.get_feature_names_out()) == ["nmf0", "nmf1"]


def test_estimator_protocol():
    x = data()
    model = nmfkit.NMF(3, solver="mu", random_state=0, max_iter=50)
    params = model.get_params()
    assert params["n_components"] == 3 and params["solver"] == "mu"
    assert set(skd.NMF().get_params()) <= set(params)
    twin = clone(model).set_params(max_iter=20)
    assert twin.max_iter == 20 and model.max_iter == 50
    with pytest.raises(NotFittedError):
        model.transform(x)
    w = model.fit_transform(x)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.components_, model.components_)
    np.testing.assert_allclose(restored.transform(x), model.transform(x))
    np.testing.assert_allclose(model.inverse_transform(w), w @ model.components_)


def test_pipeline_and_grid_search():
    x = data()
    pipe = make_pipeline(nmfkit.NMF(random_state=0, max_iter=50))
    search = GridSearchCV(pipe, {"nmf__n_components": [2, 4]}, cv=2,
                          scoring=lambda est, X, y=None: -np.linalg.norm(
                              X - est.inverse_transform(est.transform(X))))
    search.fit(x)
    assert search.best_params_["nmf__n_components"] in (2, 4)


def test_threads_do_not_change_the_result():
    x = data(400, 60)
    results = [nmfkit.NMF(6, random_state=0, threads=t, max_iter=30, tol=0).fit(x).components_
               for t in (1, 2)]
    np.testing.assert_array_equal(results[0], results[1])


def test_verbose_prints_progress(capsys):
    nmfkit.NMF(3, solver="mu", random_state=0, max_iter=20, verbose=1).fit(data())
    out = capsys.readouterr().out
    assert "Epoch 10 reached" in out and "Epoch 20 reached" in out


def test_ctrl_c_raises_keyboard_interrupt_and_leaves_the_model_unfitted():
    rng = np.random.RandomState(0)
    x = rng.rand(3000, 400)
    model = nmfkit.NMF(20, solver="mu", init="random", random_state=0, max_iter=100000, tol=0)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.time()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x)
    assert time.time() - start < 30
    assert not hasattr(model, "components_")


def test_convergence_warning_and_n_iter():
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 5 reached"):
        model = nmfkit.NMF(3, max_iter=5).fit(data())
    assert model.n_iter_ == 5


def test_more_components_than_features_with_random_start():
    x = data(50, 6)
    model = nmfkit.NMF(9, random_state=0, tol=1e-3).fit(x)  # init None: random here
    assert model.components_.shape == (9, 6)
    with pytest.raises(ValueError, match="init = 'nndsvda' can only be used"):
        nmfkit.NMF(9, init="nndsvda").fit(x)


def test_nmfkit_solvers_beyond_scikit_learn():
    x = data()
    reference = skd.NMF(5, init="random", random_state=0).fit(x)
    for solver in ("hals", "anls-bpp"):
        model = nmfkit.NMF(5, solver=solver, init="random", random_state=0).fit(x)
        assert model.reconstruction_err_ <= reference.reconstruction_err_ * 1.01


def test_extrapolated_coordinate_descent():
    from sklearn.datasets import load_digits

    x = load_digits().data
    plain = nmfkit.NMF(10, random_state=0).fit(x)
    faster = nmfkit.NMF(10, random_state=0, extrapolate=True).fit(x)
    # scikit-learn's 200 iterations end at 864.58 on the 8x8 digits; extrapolated, 853.36 in
    # fewer (docs/python.md: the same or lower objective on the benchmark's data sets).
    assert faster.n_iter_ < plain.n_iter_
    assert faster.reconstruction_err_ < plain.reconstruction_err_ * 0.995
    assert faster.reconstruction_err_ == pytest.approx(
        np.linalg.norm(x - faster.transform(x) @ faster.components_), rel=1e-3)
    assert (faster.components_ >= 0).all()
    # One thread or two: the same bytes, restarts and all.
    twice = [nmfkit.NMF(10, random_state=0, extrapolate=True, threads=t).fit(x).components_
             for t in (1, 2)]
    np.testing.assert_array_equal(twice[0], twice[1])
    # W for a fixed H is a convex problem: extrapolated or not, the same answer.
    faster.set_params(max_iter=2000, tol=1e-8)
    w_extrapolated = faster.transform(x[:50])
    w_plain = faster.set_params(extrapolate=False).transform(x[:50])
    np.testing.assert_allclose(w_extrapolated, w_plain, rtol=1e-3, atol=1e-3)


def test_extrapolate_follows_the_solver_and_mu_refuses_it():
    x = data()
    default = nmfkit.NMF(5, solver="hals", init="random", random_state=0).fit(x)
    forced = nmfkit.NMF(5, solver="hals", init="random", random_state=0, extrapolate=True).fit(x)
    plain = nmfkit.NMF(5, solver="hals", init="random", random_state=0, extrapolate=False).fit(x)
    np.testing.assert_array_equal(default.components_, forced.components_)
    assert not np.array_equal(default.components_, plain.components_)
    with pytest.raises(ValueError, match="solver 'mu' does not extrapolate"):
        nmfkit.NMF(5, solver="mu", extrapolate=True).fit(x)
    nmfkit.NMF(5, solver="mu", extrapolate=False, max_iter=5).fit(x)
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'extrapolate' parameter of NMF must be"):
        nmfkit.NMF(5, extrapolate="yes").fit(x)
    w, h, n_iter = nmfkit.non_negative_factorization(x, n_components=5, init="random",
                                                     random_state=0, extrapolate=True)
    assert w.shape == (120, 5) and h.shape == (5, 40) and n_iter > 0
