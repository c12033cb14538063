"""nmfkit: fast non-negative matrix factorization.

A drop-in for scikit-learn's NMF: change `from sklearn.decomposition import NMF` into
`from nmfkit import NMF` and the same code runs on nmfkit's C++ core.

    >>> import nmfkit
    >>> model = nmfkit.NMF(n_components=10, init="random", random_state=0)
    >>> W = model.fit_transform(X)          # X: samples × features, dense, sparse or uint8
    >>> nmfkit.show_components(model, (28, 28))

Beyond scikit-learn: `n_components="auto"` and `select_rank(X, ks)` choose k; `model.save(dir)`
and `load(dir)` share the nmfkit CLI's model folder; `show_components` draws the parts.
"""
from ._core import __version__
from ._nmf import NMF, MiniBatchNMF, non_negative_factorization
from ._model import load
from ._plot import show_components
from ._rank import RankSelection, select_rank

__all__ = [
    "NMF",
    "MiniBatchNMF",
    "non_negative_factorization",
    "select_rank",
    "RankSelection",
    "show_components",
    "load",
    "__version__",
]
