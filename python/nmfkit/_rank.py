"""Choosing k: nmfkit's rank selection (held-out entries, cross-validation) from Python."""
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array

from . import _core
from ._nmf import _core_x, _rows_contiguous, _seed_of


class RankSelection:
    """The outcome of select_rank: `k` (the choice), `criterion` (why), `points` (one per
    candidate k scanned: mean and standard error of the held-out relative error over the folds,
    the errors of each fold, the training error), and `best_k`, `one_se_k`, `knee_k`."""

    def __init__(self, result):
        self.k = int(result["chosen_k"])
        self.criterion = result["criterion"]
        self.points = result["points"]
        self.best_k = result["best_k"]
        self.one_se_k = result["one_se_k"]
        self.knee_k = result["knee_k"] or None
        self.stopped_early = result["stopped_early"]
        self.folds = result["folds"]
        self.holdout = result["holdout"]
        self.seconds = result["seconds"]

    @property
    def ks(self):
        return np.array([p["k"] for p in self.points])

    @property
    def mean_errors(self):
        return np.array([p["mean_error"] for p in self.points])

    @property
    def standard_errors(self):
        return np.array([p["standard_error"] for p in self.points])

    def __repr__(self):
        return (f"RankSelection(k={self.k}, criterion={self.criterion!r}, "
                f"ks={self.ks.tolist()})")

    def plot(self, ax=None):
        """The held-out error against k with its standard error, the choice marked
        (matplotlib)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ax.errorbar(self.ks, self.mean_errors, yerr=self.standard_errors, marker="o", ms=3,
                    capsize=2, label="held-out error")
        ax.axvline(self.k, color="tab:orange", ls="--", label=f"k = {self.k} ({self.criterion})")
        ax.set_xlabel("k (components)")
        ax.set_ylabel("relative error on held-out entries")
        ax.legend()
        return ax.figure


def _parse_ks(ks):
    if ks is None:
        return []
    if isinstance(ks, str):
        lo, _, hi = ks.partition("..")
        if not hi:
            return sorted({int(v) for v in ks.split(",")})
        return list(range(int(lo), int(hi) + 1))
    if isinstance(ks, numbers.Integral):
        return list(range(1, int(ks) + 1))
    return sorted({int(k) for k in ks})


def select_rank(X, ks=None, *, solver=None, beta_loss="frobenius", folds=None, holdout=None,
                rule=None, random_state=0, threads=None, verbose=0):
    """Proposes the number of components k for X (samples × features) by cross-validation:
    for each candidate k, fits X with a random share (`holdout`, default 5%) of its entries held
    out, `folds` times (default 3), and measures the error on the held-out entries; the choice
    (`rule`: 'auto', 'minimum' or 'knee') is where that error stops falling by enough.

    ks: the candidates, e.g. range(2, 31), [4, 8, 16] or "2..30" (default 1..30, at most
    min(n_samples, n_features)); the scan stops early once a few candidates past the choice did
    not change it. Returns a RankSelection (its `k`, the curve, `plot()`).
    """
    # A sparse X stays sparse and uint8 pixels stay 8-bit (selected from in single precision, as
    # NMF fits them): the core makes only the rows it samples dense.
    if not sp.issparse(X) and getattr(X, "dtype", None) == np.uint8:
        X = check_array(X, dtype=None)
        x = _rows_contiguous(X)
    else:
        X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype=[np.float64, np.float32])
        x = _core_x(X)[0]
    options = dict(k=1, threads=int(threads or 0), seed=_seed_of(random_state))
    beta = {"frobenius": 2.0, "kullback-leibler": 1.0, "itakura-saito": 0.0}.get(beta_loss,
                                                                                  beta_loss)
    options["beta"] = float(beta)
    if beta != 2:
        options["solver"] = "mu"
    if solver is not None:
        options["solver"] = solver

    def report(k, mean, se, seconds):
        print(f"k = {k}: held-out error {mean:.6f} ± {se:.6f} ({seconds:.1f} s)")

    result = _core.select_rank(x, _parse_ks(ks), options, int(folds or 0),
                               float(holdout or 0.0), rule or "",
                               report if verbose else None)
    return RankSelection(result)
