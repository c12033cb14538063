"""scikit-learn's NMF API on nmfkit's C++ core.

`NMF`, `MiniBatchNMF` and `non_negative_factorization` take the parameters of
`sklearn.decomposition` with the same meaning, defaults, attributes, warnings and exceptions; the
factorization itself runs in nmfkit's core (threads, vectorised kernels, no copy of X where its
layout allows). The private helpers scikit-learn's own tests reach (`_beta_divergence`,
`_initialize_nmf`, `_special_sparse_dot`) exist under the same names.
"""
import numbers
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn._config import config_context, get_config
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_non_negative

from . import _core

EPSILON = np.finfo(np.float32).eps
_INITS = (None, "random", "nndsvd", "nndsvda", "nndsvdar")


# ---- helpers with scikit-learn's names ----------------------------------------------------------


def _beta_loss_to_float(beta_loss):
    """The β of a loss name or number."""
    beta_loss_map = {"frobenius": 2, "kullback-leibler": 1, "itakura-saito": 0}
    if isinstance(beta_loss, str):
        beta_loss = beta_loss_map[beta_loss]
    return beta_loss


def _special_sparse_dot(W, H, X):
    """W·H at X's stored entries (a CSR matrix of X's structure) when X is sparse, else W·H."""
    if not sp.issparse(X):
        return np.dot(W, H)
    X = X.tocsr() if X.format != "csr" else X
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    cols = X.indices
    values = np.empty(cols.shape[0], dtype=np.result_type(W.dtype, H.dtype))
    # In slices, so that the gathered rows of W and columns of H stay small.
    step = max(1, 2**20 // max(1, W.shape[1]))
    for start in range(0, cols.shape[0], step):
        stop = min(start + step, cols.shape[0])
        values[start:stop] = np.einsum(
            "ij,ji->i", W[rows[start:stop]], H[:, cols[start:stop]]
        )
    return sp.csr_matrix((values, X.indices.copy(), X.indptr.copy()), shape=X.shape)


def _beta_divergence(X, W, H, beta, square_root=False):
    """D_β(X ‖ W·H), summed over the entries (scikit-learn's definition: for β = 2 it is
    ½‖X − WH‖²_F; entries of X equal to 0 enter only through W·H). With square_root, sqrt(2·D)."""
    beta = _beta_loss_to_float(beta)
    if not sp.issparse(X):
        X = np.atleast_2d(X)
    W = np.atleast_2d(W)
    H = np.atleast_2d(H)

    if beta == 2:
        if sp.issparse(X):
            norm_x = np.dot(X.data, X.data)
            norm_wh = np.dot(np.dot(W.T, W).ravel(), np.dot(H, H.T).ravel())
            cross = (X @ H.T).ravel() @ W.ravel()
            res = (norm_x + norm_wh - 2.0 * cross) / 2.0
        else:
            diff = (X - np.dot(W, H)).ravel()
            res = np.dot(diff, diff) / 2.0
        return np.sqrt(2 * max(res, 0.0)) if square_root else res

    if sp.issparse(X):
        WH_data = _special_sparse_dot(W, H, X).data
        X_data = X.tocsr().data if X.format != "csr" else X.data
    else:
        WH = np.dot(W, H)
        WH_data = WH.ravel()
        X_data = X.ravel()
    # Only X's non-zero entries enter the element-wise terms; W·H is kept away from 0.
    nonzero = X_data > EPSILON
    WH_data = WH_data[nonzero]
    X_data = X_data[nonzero]
    WH_data = np.maximum(WH_data, EPSILON)

    if beta == 1:
        sum_WH = np.dot(np.sum(W, axis=0), np.sum(H, axis=1))
        ratio = X_data / WH_data
        res = np.dot(X_data, np.log(ratio)) + sum_WH - X_data.sum()
    elif beta == 0:
        ratio = X_data / WH_data
        res = np.sum(ratio) - np.prod(X.shape) - np.sum(np.log(ratio))
    else:
        if sp.issparse(X):
            sum_WH_beta = 0.0
            for i in range(X.shape[1]):
                sum_WH_beta += np.sum(np.dot(W, H[:, i]) ** beta)
        else:
            sum_WH_beta = np.sum(WH**beta)
        sum_X_WH = np.dot(X_data, WH_data ** (beta - 1))
        res = (X_data**beta).sum() - beta * sum_X_WH
        res += sum_WH_beta * (beta - 1)
        res /= beta * (beta - 1)

    if square_root:
        return np.sqrt(2 * max(res, 0.0))
    return res


def _seed_of(random_state):
    """nmfkit's seed for scikit-learn's random_state: the integer itself (nmfkit draws the same
    numbers as numpy's RandomState(seed)), or one drawn from the RandomState or numpy's global
    one."""
    if isinstance(random_state, numbers.Integral) and 0 <= int(random_state) <= 2**32 - 1:
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(np.iinfo(np.int32).max))


def _nndsvd_recipe(random_state):
    """scikit-learn's NNDSVD (its randomized SVD and zero threshold) for an integer random_state,
    whose start is then scikit-learn's; otherwise nmfkit's faster one (the start is another one
    either way: the seed is drawn from the RandomState)."""
    seeded = isinstance(random_state, numbers.Integral) and 0 <= int(random_state) <= 2**32 - 1
    return "scikit-learn" if seeded else "fast"


def _random_start(X, n_components, random_state, dtype):
    """scikit-learn's 'random' start, |N(0, 1)|·sqrt(mean(X)/k), drawn from random_state."""
    n_samples, n_features = X.shape
    avg = np.sqrt(X.mean() / n_components)
    rng = check_random_state(random_state)
    H = avg * rng.standard_normal(size=(n_components, n_features)).astype(dtype, copy=False)
    W = avg * rng.standard_normal(size=(n_samples, n_components)).astype(dtype, copy=False)
    np.abs(H, out=H)
    np.abs(W, out=W)
    return W, H


def _initialize_nmf(X, n_components, init=None, eps=1e-6, random_state=None):
    """Starting W and H for X, as scikit-learn's `_initialize_nmf` gives them: 'random' draws
    the same numbers; the NNDSVD starts come from nmfkit's randomized SVD (`eps` is accepted for
    compatibility; nmfkit's NNDSVD keeps exact zeros)."""
    check_non_negative(X, "NMF initialization")
    n_samples, n_features = X.shape
    if init is not None and init != "random" and n_components > min(n_samples, n_features):
        raise ValueError(
            "init = '{}' can only be used when "
            "n_components <= min(n_samples, n_features)".format(init)
        )
    if init is None:
        init = "nndsvda" if n_components <= min(n_samples, n_features) else "random"
    if init not in _INITS:
        raise ValueError(
            "Invalid init parameter: got %r instead of one of %r" % (init, _INITS)
        )
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    if init == "random":
        return _random_start(X, n_components, random_state, dtype)
    options = dict(k=int(n_components), init=init, max_iter=0, seed=_seed_of(random_state),
                   nndsvd=_nndsvd_recipe(random_state))
    result = _run(X, options)
    return result["W"].astype(dtype, copy=False), result["H"].astype(dtype, copy=False)


def _check_init(A, shape, whom):
    A = check_array(A)
    if np.shape(A) != shape:
        raise ValueError(
            "Array with wrong shape passed to %s. Expected %s, but got %s "
            % (whom, shape, np.shape(A))
        )
    check_non_negative(A, whom)
    if np.max(A) == 0:
        raise ValueError("Array passed to %s is full of zeros." % whom)


# ---- the bridge to the core ---------------------------------------------------------------------


def _rows_contiguous(a):
    """A 2-D array whose rows the core can read in place: a C-ordered array or a slice of rows of
    one; anything else (Fortran order, column slices) is copied into C order."""
    if a.ndim == 2 and (a.shape[1] <= 1 or a.strides[1] == a.itemsize) and a.strides[0] >= 0:
        return a
    return np.ascontiguousarray(a)


def _as_start(A, dtype):
    return None if A is None else _rows_contiguous(np.asarray(A, dtype=dtype))


def _core_x(X):
    """X as the core takes it: a float32/float64 array whose rows are contiguous (copied into C
    order only when they are not), or scipy's compressed sparse rows as
    ('csr', rows, cols, indptr, indices, data) in canonical form."""
    if sp.issparse(X):
        X = X.tocsr() if X.format != "csr" else X
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        data = X.data
        if data.dtype not in (np.float32, np.float64):
            data = data.astype(np.float64)
        indptr, indices = X.indptr, X.indices
        if indptr.dtype != indices.dtype or indptr.dtype not in (np.int32, np.int64):
            indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
        return ("csr", X.shape[0], X.shape[1], indptr, indices, data), data.dtype
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return _rows_contiguous(X), X.dtype


def _run(X, options, W=None, H=None, fixed_H=None, report=None):
    """One call of the core on X (dense float32/float64, uint8 pixels, or scipy sparse)."""
    if not sp.issparse(X) and np.asarray(X).dtype == np.uint8 and fixed_H is None:
        return _core.fit_levels(
            _rows_contiguous(np.asarray(X)), 1.0, options,
            _as_start(W, np.float32), _as_start(H, np.float32), report,
        )
    x, dtype = _core_x(X)
    return _core.fit(x, options, _as_start(W, dtype), _as_start(H, dtype),
                     _as_start(fixed_H, dtype), report)


def _scanned_min(X):
    """The smallest value of X when X is a contiguous 2-D float32/float64 array that one pass over
    it (`_core.scan`, on every core) found finite throughout; otherwise None, and scikit-learn's
    checks run as they are (its sum for finiteness, then its minimum: two passes), raising what
    they raise in the order they raise it."""
    if (type(X) is not np.ndarray or X.ndim != 2 or X.size == 0
            or X.dtype not in (np.float32, np.float64)
            or not (X.flags.c_contiguous or X.flags.f_contiguous)
            or get_config()["assume_finite"]):
        return None
    finite, low = _core.scan(X)
    return low if finite else None


def _validate_float_X(estimator, X, reset):
    """scikit-learn's validation of X (sparse CSR/CSC, finite, 2-D, feature names) as float32 or
    float64, without a copy where X is one already. Returns X and, where _scanned_min found it,
    its smallest value (for _check_data), else None."""
    low = _scanned_min(X)
    X = estimator._validate_data(X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                                 reset=reset, force_all_finite=low is None)
    return X, low


def _validate_X(estimator, X, reset):
    """_validate_float_X, but uint8 pixels are kept as they are (fitted from the 8-bit values)."""
    if not sp.issparse(X) and getattr(X, "dtype", None) == np.uint8 and reset:
        return estimator._validate_data(X, dtype=None, reset=reset), None
    return _validate_float_X(estimator, X, reset)


def _x_min(X):
    return X.data.min() if sp.issparse(X) and X.nnz == X.shape[0] * X.shape[1] else (
        0 if sp.issparse(X) else X.min()
    )


def _out_dtype(X):
    dtype = X.dtype
    return dtype if dtype in (np.float32, np.float64) else np.float64


# ---- the estimators -----------------------------------------------------------------------------


class _BaseNMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """What NMF and MiniBatchNMF share."""

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "init": [StrOptions({"random", "nndsvd", "nndsvda", "nndsvdar", "custom"}), None],
        "beta_loss": [StrOptions({"frobenius", "kullback-leibler", "itakura-saito"}), numbers.Real],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "alpha_W": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha_H": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"same"})],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both")],
        "verbose": ["verbose"],
        "threads": [Interval(numbers.Integral, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=None,
        *,
        init=None,
        beta_loss="frobenius",
        tol=1e-4,
        max_iter=200,
        random_state=None,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        verbose=0,
        threads=None,
    ):
        self.n_components = n_components
        self.init = init
        self.beta_loss = beta_loss
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state
        self.alpha_W = alpha_W
        self.alpha_H = alpha_H
        self.l1_ratio = l1_ratio
        self.verbose = verbose
        self.threads = threads

    def _check_params(self, X):
        self._n_components = self.n_components
        if self._n_components is None:
            self._n_components = X.shape[1]
        elif self._n_components == "auto":
            self._n_components = self._select_rank(X)
        self._beta_loss = _beta_loss_to_float(self.beta_loss)

    def _select_rank(self, X):
        """n_components='auto': nmfkit's rank selection (held-out entries, cross-validation);
        the curve is kept in rank_selection_."""
        from ._rank import select_rank

        result = select_rank(X, beta_loss=self.beta_loss, threads=self.threads,
                             random_state=self.random_state, verbose=self.verbose)
        self.rank_selection_ = result
        return result.k

    def _check_w_h(self, X, W, H, update_H):
        """W and H given by the caller, checked, or None for the core's own start."""
        n_samples, n_features = X.shape
        dtype = _out_dtype(X)
        if self.init == "custom" and update_H:
            _check_init(H, (self._n_components, n_features), "NMF (input H)")
            _check_init(W, (n_samples, self._n_components), "NMF (input W)")
            if H.dtype != X.dtype or W.dtype != X.dtype:
                raise TypeError(
                    "H and W should have the same dtype as X. Got "
                    "H.dtype = {} and W.dtype = {}.".format(H.dtype, W.dtype)
                )
            return W, H
        if not update_H:
            _check_init(H, (self._n_components, n_features), "NMF (input H)")
            if H.dtype != X.dtype:
                raise TypeError(
                    "H should have the same dtype as X. Got H.dtype = {}.".format(H.dtype)
                )
            return None, H
        init = self._resolved_init(X)
        if init == "random" and not isinstance(self.random_state, numbers.Integral):
            # nmfkit draws RandomState(seed)'s numbers; a RandomState or numpy's global one is
            # drawn from here, as scikit-learn draws it.
            return _random_start(X, self._n_components, self.random_state, dtype)
        if init != "random" and self._n_components > min(n_samples, n_features):
            raise ValueError(
                "init = '{}' can only be used when "
                "n_components <= min(n_samples, n_features)".format(init)
            )
        return None, None

    def _resolved_init(self, X):
        if self.init is not None:
            return self.init
        return "nndsvda" if self._n_components <= min(X.shape) else "random"

    def _regularization(self):
        alpha_H = self.alpha_W if self.alpha_H == "same" else self.alpha_H
        return float(self.alpha_W), float(alpha_H)

    def _options(self, X, update_H, W):
        alpha_w, alpha_h = self._regularization()
        options = dict(
            k=int(self._n_components),
            beta=float(self._beta_loss),
            alpha_w=alpha_w,
            alpha_h=alpha_h,
            # Without regularisation the mix means nothing (the core refuses it alone).
            l1_ratio=float(self.l1_ratio) if alpha_w > 0 or alpha_h > 0 else 0.0,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            threads=int(self.threads or 0),
        )
        if update_H:
            options["init"] = "custom" if W is not None else self._resolved_init(X)
            options["seed"] = _seed_of(self.random_state) if W is None else 0
            options["nndsvd"] = _nndsvd_recipe(self.random_state)
        return options

    def _check_data(self, X, x_min=None):
        """scikit-learn's checks of X before a fit; x_min: X's smallest value if already known."""
        whom = f"{type(self).__name__} (input X)"
        if x_min is None:
            check_non_negative(X, whom)
        elif x_min < 0:
            raise ValueError("Negative values in data passed to %s" % whom)  # check_non_negative's
        self._check_params(X)
        if self._beta_loss <= 0 and (_x_min(X) if x_min is None else x_min) == 0:
            raise ValueError(
                "When beta_loss <= 0 and X contains zeros, "
                "the solver may diverge. Please add small values "
                "to X, or use a positive beta_loss."
            )

    def fit(self, X, y=None, **params):
        """Learns an NMF model of X (samples × features; dense, sparse or uint8 pixels)."""
        self.fit_transform(X, **params)
        return self

    def inverse_transform(self, W):
        """W·components_: the data W represents."""
        check_is_fitted(self)
        return W @ self.components_

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def _components_png(self):
        """PNG bytes of the components as square images, or None (not fitted, not square, no
        matplotlib)."""
        if not hasattr(self, "components_"):
            return None
        try:
            import io

            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            from ._plot import show_components

            fig = show_components(self)
        except (ImportError, ValueError):
            return None
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        plt.close(fig)
        return buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        """In a notebook: scikit-learn's diagram of the estimator and, once fitted on images,
        its components."""
        import base64

        bundle = super()._repr_mimebundle_(**kwargs)
        png = self._components_png()
        if png is not None:
            bundle["image/png"] = png
            image = base64.b64encode(png).decode("ascii")
            bundle["text/html"] = bundle.get("text/html", "") + (
                f'<img alt="components" src="data:image/png;base64,{image}"/>'
            )
        return bundle

    def _more_tags(self):
        return {"requires_positive_X": True, "preserves_dtype": [np.float64, np.float32]}

    # ---- beyond scikit-learn ----

    def save(self, path, image_shape=None):
        """Writes the fitted model as a model folder the nmfkit CLI reads (`nmfkit transform`,
        `nmfkit render`): model.json and H.npy; `nmfkit.load(path)` reads it back.
        image_shape: (height, width[, channels]) of a sample, when the features are pixels."""
        from ._model import save_model

        check_is_fitted(self)
        save_model(self, path, image_shape)

    def show_components(self, image_shape=None, **kwargs):
        """A matplotlib figure of the components as images (see nmfkit.show_components)."""
        from ._plot import show_components

        return show_components(self, image_shape, **kwargs)


def _reporter(verbose, every=10):
    """The progress callback for verbose > 0: one line every `every` iterations."""
    if not verbose:
        return None
    start = time.time()

    def report(iteration, error, seconds):
        if iteration % every == 0 or iteration == 1:
            print(
                "Epoch %02d reached after %.3f seconds, error: %f"
                % (iteration, time.time() - start, error)
            )
            sys.stdout.flush()

    return report


class NMF(_BaseNMF):
    """Non-negative matrix factorization X ≈ W·H, scikit-learn's `NMF` on nmfkit's core.

    The parameters, defaults, attributes and methods are scikit-learn's (see
    `sklearn.decomposition.NMF`), with the same meaning: `solver` 'cd' (coordinate descent) or
    'mu' (multiplicative updates, any `beta_loss`), `init`, `tol` (each solver's own stopping test,
    as scikit-learn applies it), `alpha_W`, `alpha_H`, `l1_ratio`, `shuffle`, `random_state`.
    nmfkit adds:

    - `n_components='auto'`: the number of components chosen by nmfkit's rank selection (the
      error on held-out entries for a range of k); the curve is kept in `rank_selection_`;
    - `threads`: worker threads, None or 0 for every core (the result does not depend on it);
    - `solver` also takes nmfkit's 'hals' and 'anls-bpp';
    - `extrapolate`: move each update further along its direction, with restarts when the
      objective rises (Ang & Gillis 2019). None (default): each solver's own way, on for 'hals',
      off for 'cd' (scikit-learn's iterations exactly) and 'anls-bpp'; 'mu' cannot (True raises
      ValueError). With 'cd' on MNIST, Fashion-MNIST, photo patches and tf-idf matrices it ended
      at the same or a lower objective in up to half the iterations, but case by case it can
      settle in another local minimum, so it is not the default (docs/python.md);
    - `sketch`: with the Frobenius loss, fit X's projection on a randomized sketch of its range
      with n_components + sketch columns instead of X (randomized HALS): on large dense X each
      iteration does a fraction of the products' work, and `reconstruction_err_` is X's own. 0
      (default) fits X; measured against the plain fit in docs/solvers.md (faster on large
      dense data, the error up to about 0.6% either side);
    - uint8 X (8-bit images) is fitted from its values without a float copy;
    - `save(path)`, `show_components(image_shape)`.
    """

    _parameter_constraints: dict = {
        **_BaseNMF._parameter_constraints,
        "solver": [StrOptions({"mu", "cd", "hals", "anls-bpp"})],
        "shuffle": ["boolean"],
        "extrapolate": ["boolean", None],
        "sketch": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=None,
        *,
        init=None,
        solver="cd",
        beta_loss="frobenius",
        tol=1e-4,
        max_iter=200,
        random_state=None,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        verbose=0,
        shuffle=False,
        threads=None,
        extrapolate=None,
        sketch=0,
    ):
        super().__init__(
            n_components=n_components,
            init=init,
            beta_loss=beta_loss,
            tol=tol,
            max_iter=max_iter,
            random_state=random_state,
            alpha_W=alpha_W,
            alpha_H=alpha_H,
            l1_ratio=l1_ratio,
            verbose=verbose,
            threads=threads,
        )
        self.solver = solver
        self.shuffle = shuffle
        self.extrapolate = extrapolate
        self.sketch = sketch

    def _check_params(self, X):
        super()._check_params(X)
        if self.solver != "mu" and self.beta_loss not in (2, "frobenius"):
            raise ValueError(
                f"Invalid beta_loss parameter: solver {self.solver!r} does not handle "
                f"beta_loss = {self.beta_loss!r}"
            )
        if self.sketch and self.beta_loss not in (2, "frobenius"):
            raise ValueError(
                f"Invalid sketch parameter: a sketch serves the Frobenius loss only, not "
                f"beta_loss = {self.beta_loss!r}; use sketch=0"
            )
        if self.solver == "mu" and self.extrapolate:
            raise ValueError(
                "Invalid extrapolate parameter: solver 'mu' does not extrapolate; use "
                "solver 'cd' or 'hals', or extrapolate=None"
            )
        if self.solver == "mu" and self.init == "nndsvd":
            warnings.warn(
                "The multiplicative update ('mu') solver cannot update "
                "zeros present in the initialization, and so leads to "
                "poorer results when used jointly with init='nndsvd'. "
                "You may try init='nndsvda' or init='nndsvdar' instead.",
                UserWarning,
            )
        return self

    def fit_transform(self, X, y=None, W=None, H=None):
        """Learns an NMF model of X and returns W (samples × components)."""
        self._validate_params()
        X, x_min = _validate_X(self, X, reset=True)
        with config_context(assume_finite=True):
            W, H, n_iter, error = self._fit_transform(X, W=W, H=H, x_min=x_min)
        self.reconstruction_err_ = error
        self.n_components_ = H.shape[0]
        self.components_ = H
        self.n_iter_ = n_iter
        return W

    def _fit_transform(self, X, y=None, W=None, H=None, update_H=True, x_min=None):
        """The fit (or, with update_H False, W for the fixed H): W, H, iterations, error. x_min:
        X's smallest value, if _validate_X found it."""
        self._check_data(X, x_min)
        W, H = self._check_w_h(X, W, H, update_H)
        options = self._options(X, update_H, W)
        options["solver"] = self.solver
        if self.solver == "cd":
            options["shuffle"] = bool(self.shuffle)
        elif self.shuffle:
            pass  # scikit-learn ignores shuffle with mu; so does nmfkit
        if self.extrapolate is not None:
            options["extrapolate"] = bool(self.extrapolate)
        if self.sketch and update_H:  # transform holds H: nothing to sketch for
            options["sketch"] = int(self.sketch)
        options["stopping"] = "scikit-learn"
        if self.solver == "mu":
            # The objective only where scikit-learn forms it (its test every 10th iteration):
            # the same fit without the divergence's pass on the other iterations.
            options["lazy_objective"] = True
        report = _reporter(self.verbose, 10 if self.solver == "mu" else 1)
        if update_H:
            result = _run(X, options, W=W, H=H, report=report)
        else:
            result = _run(X, options, fixed_H=H, report=report)
        n_iter = result["n_iter"]
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(
                "Maximum number of iterations %d reached. Increase "
                "it to improve convergence." % self.max_iter,
                ConvergenceWarning,
            )
        dtype = _out_dtype(X)
        W_out = result["W"].astype(dtype, copy=False)
        H_out = result["H"].astype(dtype, copy=False) if update_H else H
        self._fit_seconds = result["seconds"]
        return W_out, H_out, n_iter, float(result["error"])

    def transform(self, X):
        """W for X with the fitted components held fixed."""
        check_is_fitted(self)
        X, x_min = _validate_X(self, X, reset=False)
        with config_context(assume_finite=True):
            W, *_ = self._fit_transform(X, H=self.components_, update_H=False, x_min=x_min)
        return W


def non_negative_factorization(
    X,
    W=None,
    H=None,
    n_components=None,
    *,
    init=None,
    update_H=True,
    solver="cd",
    beta_loss="frobenius",
    tol=1e-4,
    max_iter=200,
    alpha_W=0.0,
    alpha_H="same",
    l1_ratio=0.0,
    random_state=None,
    verbose=0,
    shuffle=False,
    threads=None,
    extrapolate=None,
):
    """W, H and the number of iterations of the NMF of X (scikit-learn's function; with
    update_H False, H is held fixed and only W is found). threads and extrapolate: as for
    nmfkit.NMF."""
    est = NMF(
        n_components=n_components,
        init=init,
        solver=solver,
        beta_loss=beta_loss,
        tol=tol,
        max_iter=max_iter,
        random_state=random_state,
        alpha_W=alpha_W,
        alpha_H=alpha_H,
        l1_ratio=l1_ratio,
        verbose=verbose,
        shuffle=shuffle,
        threads=threads,
        extrapolate=extrapolate,
    )
    est._validate_params()
    X = check_array(X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32])
    with config_context(assume_finite=True):
        W, H, n_iter, _ = est._fit_transform(X, W=W, H=H, update_H=update_H)
    return W, H, n_iter


def _in_place(target, values):
    """scikit-learn's MiniBatchNMF updates the H it is given (init='custom') and its components_
    in place; so does nmfkit: `values` go into `target` when it is a writable array of their shape
    and dtype, which is returned, else `values`."""
    if (isinstance(target, np.ndarray) and target.flags.writeable
            and target.shape == values.shape and target.dtype == values.dtype):
        target[...] = values
        return target
    return values


def _minibatch_reporter(verbose):
    """The step callback for verbose > 0: scikit-learn's lines, and the step count for the
    convergence line."""
    seen = {"n_steps": 0}
    if not verbose:
        return None, seen

    def report(step, n_steps, batch_cost, ewa_cost):
        seen["n_steps"] = n_steps
        if ewa_cost is None:
            print(f"Minibatch step {step}/{n_steps}: mean batch cost: {batch_cost}")
        else:
            print(
                f"Minibatch step {step}/{n_steps}: mean batch cost: "
                f"{batch_cost}, ewa cost: {ewa_cost}"
            )

    return report, seen


class MiniBatchNMF(_BaseNMF):
    """Mini-batch NMF (online multiplicative updates with a forgetting factor; Lefèvre, Bach &
    Févotte 2011), scikit-learn's `MiniBatchNMF` on nmfkit's core.

    The parameters, defaults, attributes and methods are scikit-learn's
    (`sklearn.decomposition.MiniBatchNMF`): `batch_size`, `forget_factor`, `fresh_restarts`,
    `fresh_restarts_max_iter`, `transform_max_iter`, `max_no_improvement`, every `beta_loss`,
    `partial_fit` for data that comes in pieces. nmfkit adds `threads`, `save(path)` and
    `show_components(image_shape)`.
    """

    _parameter_constraints: dict = {
        **_BaseNMF._parameter_constraints,
        "max_no_improvement": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "forget_factor": [Interval(numbers.Real, 0, 1, closed="both")],
        "fresh_restarts": ["boolean"],
        "fresh_restarts_max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "transform_max_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=None,
        *,
        init=None,
        batch_size=1024,
        beta_loss="frobenius",
        tol=1e-4,
        max_no_improvement=10,
        max_iter=200,
        alpha_W=0.0,
        alpha_H="same",
        l1_ratio=0.0,
        forget_factor=0.7,
        fresh_restarts=False,
        fresh_restarts_max_iter=30,
        transform_max_iter=None,
        random_state=None,
        verbose=0,
        threads=None,
    ):
        super().__init__(
            n_components=n_components,
            init=init,
            beta_loss=beta_loss,
            tol=tol,
            max_iter=max_iter,
            random_state=random_state,
            alpha_W=alpha_W,
            alpha_H=alpha_H,
            l1_ratio=l1_ratio,
            verbose=verbose,
            threads=threads,
        )
        self.max_no_improvement = max_no_improvement
        self.batch_size = batch_size
        self.forget_factor = forget_factor
        self.fresh_restarts = fresh_restarts
        self.fresh_restarts_max_iter = fresh_restarts_max_iter
        self.transform_max_iter = transform_max_iter

    def _check_params(self, X):
        super()._check_params(X)
        self._batch_size = min(self.batch_size, X.shape[0])
        self._rho = self.forget_factor ** (self._batch_size / X.shape[0])
        if self._beta_loss < 1:
            self._gamma = 1.0 / (2.0 - self._beta_loss)
        elif self._beta_loss > 2:
            self._gamma = 1.0 / (self._beta_loss - 1.0)
        else:
            self._gamma = 1.0
        self._transform_max_iter = (
            self.max_iter if self.transform_max_iter is None else self.transform_max_iter
        )
        return self

    def _minibatch_options(self):
        return dict(
            batch_size=int(self.batch_size),
            forget_factor=float(self.forget_factor),
            fresh_restarts=bool(self.fresh_restarts),
            fresh_restarts_max_iter=int(self.fresh_restarts_max_iter),
            transform_max_iter=int(self.transform_max_iter or 0),
            max_no_improvement=int(self.max_no_improvement or 0),
        )

    def _keep_state(self, state, H=None):
        # As in scikit-learn, components_ is updated in place (and is the caller's H when the
        # first call was given one).
        if hasattr(self, "components_"):
            self.components_ = _in_place(self.components_, state["components"])
        else:
            self.components_ = _in_place(H, state["components"])
        self._components_numerator = state["numerator"]
        self._components_denominator = state["denominator"]
        self._rho = state["rho"]
        self.n_components_ = self.components_.shape[0]

    def _state(self):
        return dict(components=self.components_, numerator=self._components_numerator,
                    denominator=self._components_denominator, n_steps=int(self.n_steps_),
                    rho=float(self._rho))

    def fit_transform(self, X, y=None, W=None, H=None):
        """Learns the model of X batch by batch and returns W (samples × components)."""
        self._validate_params()
        X, x_min = _validate_float_X(self, X, reset=True)
        with config_context(assume_finite=True):
            W, H, n_iter, n_steps, error = self._fit_transform(X, W=W, H=H, x_min=x_min)
        self.reconstruction_err_ = error
        self.n_components_ = H.shape[0]
        self.components_ = H
        self.n_iter_ = n_iter
        self.n_steps_ = n_steps
        return W

    def _fit_transform(self, X, W=None, H=None, update_H=True, x_min=None):
        self._check_data(X, x_min)
        W, H = self._check_w_h(X, W, H, update_H)
        options = self._options(X, update_H, W)
        report, seen = _minibatch_reporter(self.verbose)
        x, dtype = _core_x(X)
        result = _core.minibatch_fit(x, options, self._minibatch_options(),
                                     _as_start(W, dtype), _as_start(H, dtype), report)
        if self.verbose and result["stop"] == "tol":
            print(f"Converged (small H change) at step {result['n_steps']}/{seen['n_steps']}")
        elif self.verbose and result["stop"] == "no_improvement":
            print("Converged (lack of improvement in objective function) "
                  f"at step {result['n_steps']}/{seen['n_steps']}")
        n_iter = result["n_iter"]
        if n_iter == self.max_iter and self.tol > 0:
            warnings.warn(
                f"Maximum number of iterations {self.max_iter} reached. "
                "Increase it to improve convergence.",
                ConvergenceWarning,
            )
        state = result["state"]
        self._components_numerator = state["numerator"]
        self._components_denominator = state["denominator"]
        self._rho = state["rho"]
        return (result["W"], _in_place(H, result["H"]), n_iter, result["n_steps"],
                float(result["error"]))

    def transform(self, X):
        """W for X with the fitted components held fixed (multiplicative steps from
        sqrt(mean(X)/k), at most transform_max_iter)."""
        check_is_fitted(self)
        X = self._validate_data(
            X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32], reset=False
        )
        x, dtype = _core_x(X)
        H = np.asarray(self.components_, dtype=dtype)
        options = self._options(X, False, None)
        result = _core.minibatch_transform(x, _rows_contiguous(H), options,
                                           self._minibatch_options())
        return result["W"]

    def partial_fit(self, X, y=None, W=None, H=None):
        """One mini-batch step on X, a batch of samples: learns from data that comes in pieces.
        The first call initialises the components from this batch (or from H, with
        init='custom')."""
        has_components = hasattr(self, "components_")
        if not has_components:
            self._validate_params()
        X = self._validate_data(
            X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
            reset=not has_components,
        )
        x, dtype = _core_x(X)
        if not has_components:
            self._check_params(X)
            W, H = self._check_w_h(X, W=W, H=H, update_H=True)
            options = self._options(X, True, H)
            state = None
        else:
            options = self._options(X, False, None)
            options["k"] = int(self.components_.shape[0])
            state = self._state()
            W = H = None
        if self._beta_loss <= 0 and _x_min(X) == 0:
            raise ValueError(
                "When beta_loss <= 0 and X contains zeros, "
                "the solver may diverge. Please add small values "
                "to X, or use a positive beta_loss."
            )
        state, _ = _core.minibatch_partial_fit(x, options, self._minibatch_options(), state,
                                               _as_start(W, dtype), _as_start(H, dtype))
        self._keep_state(state, H if not has_components else None)
        self.n_steps_ = int(state["n_steps"])
        return self
