"""Bad input gets scikit-learn's exception class and message, never a crash of the interpreter;
a property test throws random shapes, dtypes and layouts at fit and transform."""
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.decomposition as skd
from sklearn.exceptions import ConvergenceWarning

import nmfkit


def sorted_sets(message):
    """The message with the items of every {...} in sorted order: a set's order of iteration
    depends on the string hash seed of the process (and on how the set was built)."""
    return re.sub(r"\{([^{}]*)\}",
                  lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def outcome(call):
    """('ok', shape) or (exception class, message) of call()."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call()
        return ("ok", getattr(result, "shape", None))
    except Exception as error:  # the point is to compare whatever is raised
        return (type(error), sorted_sets(str(error)))


# Parameters where nmfkit accepts more than scikit-learn: its message lists the extra choices.
EXTENDED = {"n_components": "a str among {'auto'}", "solver": "'hals'"}


def same_as_scikit_learn(ours, theirs):
    a, b = outcome(ours), outcome(theirs)
    if a[0] == b[0] and a[0] != "ok" and a[1] != b[1]:
        # The same message but for the choices nmfkit adds.
        head = b[1].split(" must be ")[0]
        extended = any(f"'{name}' parameter" in head and marker in a[1]
                       for name, marker in EXTENDED.items())
        assert extended and a[1].startswith(head + " must be ") and \
            a[1].endswith(b[1].split(". Got ")[-1]), f"nmfkit: {a}\nscikit-learn: {b}"
        return a
    assert a == b, f"nmfkit: {a}\nscikit-learn: {b}"
    return a


GOOD = np.abs(np.random.RandomState(0).rand(8, 5)) + 0.1

BAD_X = {
    "negative": -GOOD,
    "nan": np.where(GOOD > 0.5, np.nan, GOOD),
    "inf": np.where(GOOD > 0.5, np.inf, GOOD),
    "object": np.array([["a", 1]] * 4, dtype=object),
    "complex": GOOD.astype(np.complex128),
    "strings": np.array([["a", "b"], ["c", "d"]]),
    "one-d": GOOD[0],
    "three-d": GOOD.reshape(2, 4, 5),
    "empty": np.zeros((0, 5)),
    "no features": np.zeros((5, 0)),
    "scalar": np.float64(3.0),
    "list of lists": [[1.0, 2.0], [3.0, -1.0]],
    "sparse negative": sp.csr_matrix(-GOOD),
    "sparse nan": sp.csr_matrix(np.where(GOOD > 0.5, np.nan, GOOD)),
}


@pytest.mark.parametrize("name", sorted(BAD_X))
@pytest.mark.parametrize("estimator", ["NMF", "MiniBatchNMF"])
def test_bad_x_is_refused_as_scikit_learn_refuses_it(name, estimator):
    x = BAD_X[name]
    kind, message = same_as_scikit_learn(
        lambda: getattr(nmfkit, estimator)(2, random_state=0).fit_transform(x),
        lambda: getattr(skd, estimator)(2, random_state=0).fit_transform(x),
    )
    assert kind != "ok"


@pytest.mark.parametrize(
    "params",
    [
        dict(n_components=0),
        dict(n_components=-1),
        dict(n_components=2.5),
        dict(n_components="many"),
        dict(n_components=9, init="nndsvd"),
        dict(init="svd"),
        dict(beta_loss="poisson"),
        dict(solver="cd", beta_loss="kullback-leibler"),
        dict(solver="newton"),
        dict(tol=-1.0),
        dict(max_iter=0),
        dict(alpha_W=-1.0),
        dict(alpha_H="different"),
        dict(l1_ratio=2.0),
        dict(random_state="seed"),
        dict(beta_loss="itakura-saito", solver="mu", n_components=2),
    ],
    ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()),
)
def test_bad_parameters_are_refused_as_scikit_learn_refuses_them(params):
    x = np.where(GOOD > 0.9, 0.0, GOOD)  # has zeros (for itakura-saito)
    same_as_scikit_learn(lambda: nmfkit.NMF(**params).fit(x),
                         lambda: skd.NMF(**params).fit(x))


@pytest.mark.parametrize(
    "w, h, message",
    [
        (np.ones((8, 2)), np.ones((3, 5)), "wrong shape passed to NMF (input H)"),
        (np.ones((8, 3)), np.ones((2, 5)), "wrong shape passed to NMF (input W)"),
        (np.ones((7, 2)), np.ones((2, 5)), "wrong shape passed to NMF (input W)"),
        (np.ones((8, 2)), -np.ones((2, 5)), "Negative values in data passed to NMF (input H)"),
        (np.ones((8, 2)), np.zeros((2, 5)), "Array passed to NMF (input H) is full of zeros"),
        (np.ones((8, 2)), np.ones((2, 5), dtype=np.float32), "should have the same dtype as X"),
    ],
)
def test_bad_start_factors(w, h, message):
    kind, text = same_as_scikit_learn(
        lambda: nmfkit.NMF(2, init="custom").fit_transform(GOOD, W=w, H=h),
        lambda: skd.NMF(2, init="custom").fit_transform(GOOD, W=w, H=h),
    )
    assert message in text


def test_nan_start_factors_are_refused():
    # scikit-learn checks W and H with finiteness checks off and fits NaN into the result;
    # nmfkit refuses them.
    h = np.full((2, 5), np.nan)
    with pytest.raises(ValueError, match="non-negative and finite"):
        nmfkit.NMF(2, init="custom").fit(GOOD, W=np.ones((8, 2)), H=h)


def test_transform_with_the_wrong_number_of_features():
    model = nmfkit.NMF(2, random_state=0).fit(GOOD)
    reference = skd.NMF(2, random_state=0).fit(GOOD)
    same_as_scikit_learn(lambda: model.transform(GOOD[:, :4]),
                         lambda: reference.transform(GOOD[:, :4]))


def test_random_shapes_dtypes_and_layouts():
    """Property test: whatever the array, nmfkit does what scikit-learn does (the same result
    class and shape, or the same exception and message), and never crashes."""
    rng = np.random.RandomState(1234)
    dtypes = [np.float32, np.float64, np.int8, np.int64, np.uint8, np.float16, bool]
    for trial in range(60):
        ndim = rng.choice([1, 2, 2, 2, 3])
        shape = tuple(int(s) for s in rng.randint(0, 7, size=ndim))
        dtype = dtypes[rng.randint(len(dtypes))]
        x = (rng.rand(*shape) * 4 - rng.choice([0, 0, 1])).astype(dtype)
        if rng.rand() < 0.3 and x.ndim == 2:
            x = np.asfortranarray(x)
        if rng.rand() < 0.2 and x.ndim == 2 and x.shape[1] > 1:
            x = x[:, ::2]
        k = int(rng.randint(1, 5))
        solver = rng.choice(["cd", "mu"])
        init = rng.choice(["random", None])
        kw = dict(n_components=k, solver=solver, init=init, random_state=0, max_iter=30)
        ours, theirs = nmfkit.NMF(**kw), skd.NMF(**kw)
        a = outcome(lambda: ours.fit_transform(x))
        b = outcome(lambda: theirs.fit_transform(x))
        assert a[0] == b[0], (trial, shape, dtype, a, b)
        if a[0] != "ok":
            assert a[1] == b[1], (trial, shape, dtype, a, b)
            continue
        assert a[1] == b[1]
        # transform of another random array against the fitted model
        y = (rng.rand(int(rng.randint(0, 4)), x.shape[1]) * 3).astype(dtype)
        a = outcome(lambda: ours.transform(y))
        b = outcome(lambda: theirs.transform(y))
        assert a[0] == b[0] and (a[0] == "ok" or a[1] == b[1]), (trial, a, b)


def _spoiled(how, dtype, layout):
    x = GOOD.astype(dtype)
    if "negative" in how:
        x[1, 2] = -0.5
    if "nan" in how:
        x[3, 1] = np.nan
    if "inf" in how:
        x[0, 4] = np.inf
    if "minus zero" in how:
        x[2, 2] = -0.0
    if layout == "fortran":
        return np.asfortranarray(x)
    if layout == "strided":
        return np.repeat(x, 2, axis=1)[:, ::2]
    return x


@pytest.mark.parametrize("layout", ["c", "fortran", "strided"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("how", ["negative", "nan", "inf", "negative nan", "negative inf",
                                 "minus zero"])
@pytest.mark.parametrize("estimator", ["NMF", "MiniBatchNMF"])
def test_one_pass_checks_of_x_raise_what_scikit_learn_raises(estimator, how, dtype, layout):
    """X's finiteness and sign are checked in one pass (nmfkit._core.scan) for contiguous float
    arrays; the errors, their order against the parameters' checks, and the checks of transform
    stay scikit-learn's."""
    x = _spoiled(how, dtype, layout)
    ours_cls, theirs_cls = getattr(nmfkit, estimator), getattr(skd, estimator)
    # n_components above min(n, m) with nndsvd is refused by the parameters' check, which
    # scikit-learn makes after X's checks: X's error must come first.
    for params, valid in ((dict(n_components=2, random_state=0), True),
                          (dict(n_components=9, init="nndsvd"), False)):
        kind, _ = same_as_scikit_learn(lambda: ours_cls(**params).fit_transform(x),
                                       lambda: theirs_cls(**params).fit_transform(x))
        assert (kind == "ok") == (valid and how == "minus zero")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = ours_cls(2, random_state=0).fit(GOOD.astype(dtype))
        theirs = theirs_cls(2, random_state=0).fit(GOOD.astype(dtype))
    if estimator == "MiniBatchNMF" and how == "negative":
        # scikit-learn's MiniBatchNMF.transform does not check the sign and returns some W;
        # nmfkit refuses negative X there as everywhere (docs/python.md).
        assert outcome(lambda: theirs.transform(x))[0] == "ok"
        with pytest.raises(ValueError, match="must be non-negative"):
            ours.transform(x)
        return
    same_as_scikit_learn(lambda: ours.transform(x), lambda: theirs.transform(x))


def test_scan_reads_every_entry():
    """nmfkit._core.scan on arrays large enough to be split among threads, each bad value at
    every position of a vector's lanes and at the end."""
    from nmfkit import _core

    for dtype in (np.float32, np.float64):
        x = np.random.RandomState(0).rand(700, 301).astype(dtype)
        finite, low = _core.scan(x)
        assert finite and low == x.min()
        for at in (0, 1, 7, 15, 65535, 65536, x.size - 1):
            for bad in (np.nan, np.inf, -np.inf):
                y = x.copy()
                y.flat[at] = bad
                assert _core.scan(y)[0] is False, (dtype, at, bad)
                assert _core.scan(np.asfortranarray(y))[0] is False
            y = x.copy()
            y.flat[at] = -3.0
            assert _core.scan(y) == (True, -3.0)
    with pytest.raises(ValueError, match="contiguous"):
        _core.scan(np.ones((4, 6))[:, ::2])
    with pytest.raises(TypeError, match="float32 or float64"):
        _core.scan(np.ones((4, 6), dtype=np.int64))
