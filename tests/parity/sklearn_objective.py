"""scikit-learn's NMF objective, shared by the parity scripts."""
import numpy as np
from sklearn.decomposition._nmf import _beta_divergence


def objective(x, w, h, beta, alpha_w, alpha_h, l1_ratio):
    """scikit-learn's objective: beta-divergence plus its scaled regularisation."""
    n, m = x.shape
    value = _beta_divergence(x, w, h, beta)
    value += alpha_w * l1_ratio * m * np.abs(w).sum() + 0.5 * alpha_w * (1 - l1_ratio) * m * (w ** 2).sum()
    value += alpha_h * l1_ratio * n * np.abs(h).sum() + 0.5 * alpha_h * (1 - l1_ratio) * n * (h ** 2).sum()
    return value
