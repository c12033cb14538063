"""MiniBatchNMF against scikit-learn's, and what nmfkit adds: choosing k, model folders shared
with the CLI, pictures."""
import json
import os
import pickle
import resource
import subprocess
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.decomposition as skd
from sklearn.base import clone
from sklearn.decomposition._nmf import _beta_divergence
from sklearn.exceptions import ConvergenceWarning

import nmfkit

CLI = os.environ.get("NMFKIT_CLI")


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def low_rank(n=300, m=64, k=5, seed=0, noise=0.01, density=0.6):
    rng = np.random.RandomState(seed)
    w = rng.rand(n, k) * (rng.rand(n, k) < density)
    h = rng.rand(k, m) * (rng.rand(k, m) < density)
    return w @ h + noise * rng.rand(n, m)


def objective(x, w, h, beta, alpha_w=0.0, alpha_h=0.0, l1_ratio=0.0):
    n, m = x.shape
    return (_beta_divergence(x, w, h, beta)
            + alpha_w * m * (l1_ratio * w.sum() + 0.5 * (1 - l1_ratio) * (w ** 2).sum())
            + alpha_h * n * (l1_ratio * h.sum() + 0.5 * (1 - l1_ratio) * (h ** 2).sum()))


# ---- MiniBatchNMF ----

@pytest.mark.parametrize("beta", ["frobenius", "kullback-leibler", "itakura-saito", 0.5])
@pytest.mark.parametrize("fresh_restarts", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.001])
def test_minibatch_objective_at_most_scikit_learns_from_the_same_start(beta, fresh_restarts,
                                                                        alpha):
    x = low_rank() + 0.01
    w0, h0 = nmfkit._nmf._initialize_nmf(x, 5, init="random", random_state=0)
    kw = dict(n_components=5, init="custom", beta_loss=beta, batch_size=64, max_iter=20,
              fresh_restarts=fresh_restarts, alpha_W=alpha, l1_ratio=0.5, tol=0,
              max_no_improvement=None, random_state=0)
    ours = nmfkit.MiniBatchNMF(**kw)
    theirs = skd.MiniBatchNMF(**kw)
    w_ours = ours.fit_transform(x, W=w0.copy(), H=h0.copy())
    w_theirs = theirs.fit_transform(x, W=w0.copy(), H=h0.copy())
    b = nmfkit._nmf._beta_loss_to_float(beta)
    mine = objective(x, w_ours, ours.components_, b, alpha, alpha, 0.5)
    reference = objective(x, w_theirs, theirs.components_, b, alpha, alpha, 0.5)
    assert mine <= reference * 1.001
    assert ours.n_steps_ == theirs.n_steps_ and ours.n_iter_ == theirs.n_iter_
    assert ours.reconstruction_err_ == pytest.approx(theirs.reconstruction_err_, rel=1e-3)


def test_minibatch_stops_as_scikit_learn_does():
    x = low_rank(600)
    for kw in (dict(tol=1e-3), dict(tol=0, max_no_improvement=3)):
        ours = nmfkit.MiniBatchNMF(5, batch_size=50, random_state=0, init="random", **kw).fit(x)
        theirs = skd.MiniBatchNMF(5, batch_size=50, random_state=0, init="random", **kw).fit(x)
        assert ours.n_steps_ == theirs.n_steps_, kw


def test_minibatch_partial_fit_continues_a_fit_and_pickles():
    x = low_rank(400)
    model = nmfkit.MiniBatchNMF(5, batch_size=100, random_state=0, max_iter=3).fit(x)
    steps = model.n_steps_
    restored = pickle.loads(pickle.dumps(model))
    for start in range(0, 400, 100):
        model.partial_fit(x[start:start + 100])
        restored.partial_fit(x[start:start + 100])
    assert model.n_steps_ == steps + 4
    np.testing.assert_array_equal(model.components_, restored.components_)
    reference = skd.MiniBatchNMF(5, batch_size=100, random_state=0, max_iter=3)
    reference.fit(x)
    for start in range(0, 400, 100):
        reference.partial_fit(x[start:start + 100])
    np.testing.assert_allclose(model.components_, reference.components_, rtol=1e-4, atol=1e-7)


def test_minibatch_sparse_gives_the_dense_result():
    x = low_rank()
    x[x < 0.2] = 0
    a = nmfkit.MiniBatchNMF(4, batch_size=64, random_state=0, init="random", max_iter=10)
    b = nmfkit.MiniBatchNMF(4, batch_size=64, random_state=0, init="random", max_iter=10)
    np.testing.assert_allclose(a.fit_transform(sp.csr_matrix(x)), b.fit_transform(x),
                               rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.transform(sp.csc_matrix(x)), b.transform(x), rtol=1e-7,
                               atol=1e-10)


def test_minibatch_verbose(capsys):
    nmfkit.MiniBatchNMF(3, batch_size=50, tol=1e-2, random_state=0, verbose=1).fit(low_rank())
    out = capsys.readouterr().out
    assert "Minibatch step 1/" in out and "ewa cost" in out and "Converged" in out


# ---- choosing k ----

def test_select_rank_finds_the_rank_of_low_rank_data():
    x = low_rank(400, 60, k=4, noise=0.02, density=1.0)
    result = nmfkit.select_rank(x, range(2, 12))
    assert result.k == 4
    assert list(result.ks[:3]) == [2, 3, 4]
    assert result.mean_errors[2] < result.mean_errors[1]
    assert "k=4" in repr(result)


def test_n_components_auto_fits_the_chosen_k():
    x = low_rank(400, 60, k=4, noise=0.02, density=1.0)
    model = nmfkit.NMF(n_components="auto", random_state=0).fit(x)
    assert model.n_components_ == 4 == model.rank_selection_.k
    assert model.components_.shape == (4, 60)
    assert model.get_params()["n_components"] == "auto"


def test_select_rank_of_sparse_x_and_pixels_is_that_of_their_float_values_without_copies():
    # A sparse X goes to the core as it is stored (only the sampled rows are made dense there):
    # the same curve as the dense array, in every scipy format, and n_components="auto" too.
    dense = low_rank(300, 50, k=3, noise=0.0, density=0.4).astype(np.float32)
    dense[dense < 0.2] = 0
    ks = range(1, 6)
    expected = nmfkit.select_rank(dense, ks)
    for fmt in ("csr", "csc", "coo"):
        got = nmfkit.select_rank(sp.csr_matrix(dense).asformat(fmt), ks)
        assert got.k == expected.k, fmt
        np.testing.assert_array_equal(got.mean_errors, expected.mean_errors, err_msg=fmt)
    model = nmfkit.NMF(n_components="auto", random_state=0).fit(sp.csr_matrix(dense))
    assert model.n_components_ == model.rank_selection_.k
    # uint8 pixels are selected from as they are, in single precision: the float32 array's curve.
    pixels = (dense * 100).astype(np.uint8)
    got = nmfkit.select_rank(pixels, ks)
    np.testing.assert_array_equal(got.mean_errors,
                                  nmfkit.select_rank(pixels.astype(np.float32), ks).mean_errors)
    model = nmfkit.NMF(n_components="auto", random_state=0).fit(pixels)
    assert model.n_components_ == model.rank_selection_.k == nmfkit.select_rank(pixels).k
    # 400,000 x 2,500 with 3 entries a row: densified it would take 8 GB in float64; the
    # selection reads a sample of 2,000 rows (40 MB dense).
    rng = np.random.RandomState(1)
    rows = np.repeat(np.arange(400000), 3)
    cols = (rows % 2) * 1250 + rng.randint(0, 1250, size=rows.size)
    big = sp.csr_matrix((rng.rand(rows.size) + 0.5, (rows, cols)), shape=(400000, 2500))
    result = nmfkit.select_rank(big, [1, 2], folds=2)
    assert list(result.ks) == [1, 2]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 3 * 2**20  # KiB: under 3 GiB


# ---- model folders ----

def test_save_and_load_round_trip(tmp_path):
    x = low_rank()
    model = nmfkit.NMF(5, solver="mu", beta_loss="kullback-leibler", random_state=0).fit(x)
    model.save(tmp_path / "model", image_shape=(8, 8))
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["k"] == 5 and meta["loss"] == "kullback-leibler" and meta["image_shape"] == [8, 8]
    loaded = nmfkit.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.components_, model.components_)
    np.testing.assert_allclose(loaded.transform(x), model.transform(x), rtol=1e-6)
    # Saving again replaces the folder as a whole.
    nmfkit.NMF(3, random_state=0).fit(x).save(tmp_path / "model")
    assert nmfkit.load(tmp_path / "model").components_.shape == (3, 64)


def test_load_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match="not an nmfkit model folder"):
        nmfkit.load(tmp_path)
    model = nmfkit.NMF(3, random_state=0).fit(low_rank())
    model.save(tmp_path / "m")
    np.save(tmp_path / "m" / "H.npy", np.ones((4, 64)))
    with pytest.raises(ValueError, match="H.npy is"):
        nmfkit.load(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text("{")
    with pytest.raises(ValueError, match="cannot read model.json"):
        nmfkit.load(tmp_path / "m")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "other")  # fine: new folder
        (tmp_path / "busy").mkdir()
        (tmp_path / "busy" / "notes.txt").write_text("mine")
        model.save(tmp_path / "busy")
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


@pytest.mark.skipif(not CLI, reason="NMFKIT_CLI (the CLI's path) is set by CTest")
def test_model_folders_are_shared_with_the_cli(tmp_path):
    x = low_rank().astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    # Python's model, used by the CLI.
    model = nmfkit.NMF(5, random_state=0).fit(x)
    model.save(tmp_path / "py-model", image_shape=(8, 8))
    subprocess.run([CLI, "transform", "--model", str(tmp_path / "py-model"),
                    str(tmp_path / "x.npy"), "-o", str(tmp_path / "w"), "-q"], check=True)
    w_cli = np.load(tmp_path / "w" / "W.npy")
    np.testing.assert_allclose(w_cli, model.transform(x), rtol=1e-3, atol=1e-5)
    # The CLI's model, used by Python.
    subprocess.run([CLI, "fit", str(tmp_path / "x.npy"), "-k", "4", "-o",
                    str(tmp_path / "cli-model"), "-q"], check=True)
    loaded = nmfkit.load(tmp_path / "cli-model")
    assert loaded.components_.shape == (4, 64)
    w = loaded.transform(x)
    assert loaded.reconstruction_err_ if hasattr(loaded, "reconstruction_err_") else True
    assert np.linalg.norm(x - w @ loaded.components_) < 0.2 * np.linalg.norm(x)


# ---- pictures ----

def test_show_components_draws_every_component():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    model = nmfkit.NMF(6, random_state=0).fit(low_rank())
    fig = nmfkit.show_components(model, (8, 8))
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 6
    np.testing.assert_allclose(images[2].images[0].get_array(),
                               model.components_[2].reshape(8, 8) / model.components_[2].max())
    with pytest.raises(ValueError, match="does not hold"):
        nmfkit.show_components(model, (7, 9))
    bundle = model._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG") and "<img" in bundle["text/html"]


def test_sketch_fits_a_projection_and_reports_xs_own_error():
    rng = np.random.default_rng(4)
    X = rng.random((600, 5)) @ rng.random((5, 120)) + 0.3 * rng.random((600, 120))
    plain = nmfkit.NMF(6, solver="hals", random_state=0, max_iter=300)
    W0 = plain.fit_transform(X)
    model = nmfkit.NMF(6, solver="hals", random_state=0, max_iter=300, sketch=20)
    W = model.fit_transform(X)
    assert model.get_params()["sketch"] == 20
    assert clone(model).sketch == 20
    error = np.linalg.norm(X - W @ model.components_)
    assert model.reconstruction_err_ == pytest.approx(error, rel=1e-6)
    assert model.reconstruction_err_ == pytest.approx(plain.reconstruction_err_, rel=0.01)
    assert not np.array_equal(W, W0)  # the projection, not X, was fitted
    # transform holds H and fits X itself
    assert model.transform(X).shape == (600, 6)
    with pytest.raises(ValueError, match="sketch"):
        nmfkit.NMF(6, solver="mu", beta_loss="kullback-leibler", sketch=20).fit(X)
    with pytest.raises(ValueError, match="sketch"):
        nmfkit.NMF(6, sketch=-1).fit(X)
