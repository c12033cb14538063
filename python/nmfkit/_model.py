"""Model folders shared with the nmfkit CLI: model.json (the fit's settings) and H.npy (the
components, k × n_features). `nmfkit fit` writes them; `nmfkit transform DIR` and `nmfkit render
DIR` read them; so do save() and load() here."""
import json
import math
import os
import shutil
import tempfile

import numpy as np

from . import __version__

LOSS_NAMES = {2.0: "frobenius", 1.0: "kullback-leibler", 0.0: "itakura-saito"}


def _image_shape(n_features, image_shape):
    if image_shape is not None:
        shape = [int(d) for d in image_shape]
        if len(shape) not in (2, 3) or int(np.prod(shape)) != n_features or min(shape) < 1:
            raise ValueError(
                f"image_shape {tuple(image_shape)} does not hold the {n_features} features "
                "(give (height, width) or (height, width, channels))"
            )
        return shape
    side = math.isqrt(n_features)
    return [side, side] if side * side == n_features else [1, n_features]


def save_model(model, path, image_shape=None):
    """Writes model.json and H.npy into the folder `path` (created; an existing model folder is
    replaced). Written beside it first and renamed, so a failure leaves nothing half-written."""
    from ._nmf import _beta_loss_to_float

    H = np.ascontiguousarray(model.components_)
    k, n_features = H.shape
    dtype = "float32" if H.dtype == np.float32 else "float64"
    alpha_w = float(model.alpha_W)
    alpha_h = alpha_w if model.alpha_H == "same" else float(model.alpha_H)
    beta = float(_beta_loss_to_float(model.beta_loss))
    seed = model.random_state if isinstance(model.random_state, (int, np.integer)) else 0
    meta = {
        "nmfkit_version": __version__,
        "k": int(k),
        "n_features": int(n_features),
        "image_shape": _image_shape(n_features, image_shape or getattr(model, "image_shape_", None)),
        "dtype": dtype,
        "scaled_from_uint8": bool(getattr(model, "scaled_from_uint8_", False)),
        "solver": getattr(model, "solver", "mu"),
        "loss": LOSS_NAMES.get(beta, repr(beta)),
        "beta": beta,
        "alpha_w": alpha_w,
        "alpha_h": alpha_h,
        "l1_ratio": float(model.l1_ratio),
        "shuffle": bool(getattr(model, "shuffle", False)),
        "max_iter": int(model.max_iter),
        "tol": float(model.tol),
        "seed": int(seed),
        "components": "H.npy",
        "estimator": type(model).__name__,
    }
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".nmfkit-", dir=parent)
    try:
        np.save(os.path.join(staging, "H.npy"), H.astype(dtype, copy=False))
        with open(os.path.join(staging, "model.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        if os.path.isdir(path):
            if not os.path.exists(os.path.join(path, "model.json")) and os.listdir(path):
                raise FileExistsError(f"'{path}' exists and is not an nmfkit model folder")
            old = path + ".old-" + os.path.basename(staging)
            os.rename(path, old)
            os.rename(staging, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load(path):
    """The model in the folder `path` (written by model.save() or by `nmfkit fit`) as a fitted
    nmfkit.NMF: transform(), inverse_transform() and show_components() work on it. Raises
    ValueError naming the folder when it is not a model folder or its files do not agree."""
    from ._nmf import NMF

    meta_path = os.path.join(path, "model.json")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"'{path}' is not an nmfkit model folder: no model.json") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"'{path}': cannot read model.json: {error}") from None
    try:
        H = np.load(os.path.join(path, meta.get("components", "H.npy")), allow_pickle=False)
        k, n_features = int(meta["k"]), int(meta["n_features"])
        beta = float(meta["beta"])
        solver = meta["solver"]
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"'{path}' is not a readable nmfkit model folder: {error}") from None
    if H.ndim != 2 or H.shape != (k, n_features):
        raise ValueError(
            f"'{path}': H.npy is {H.shape}, but model.json says {k} components of "
            f"{n_features} features"
        )
    if H.dtype not in (np.float32, np.float64) or not np.all(np.isfinite(H)) or (H < 0).any():
        raise ValueError(f"'{path}': H.npy must hold finite non-negative float32/float64 values")
    loss = LOSS_NAMES.get(beta, beta)
    model = NMF(
        n_components=k,
        solver=solver if beta == 2 or solver == "mu" else "mu",
        beta_loss=loss,
        alpha_W=float(meta.get("alpha_w", 0.0)),
        alpha_H=float(meta.get("alpha_h", 0.0)),
        l1_ratio=float(meta.get("l1_ratio", 0.0)),
        shuffle=bool(meta.get("shuffle", False)),
        max_iter=max(1, int(meta.get("max_iter", 200))),
        tol=float(meta.get("tol", 1e-4)),
        random_state=int(meta.get("seed", 0)),
    )
    model.components_ = H
    model.n_components_ = k
    model.n_features_in_ = n_features
    model._n_components = k
    model._beta_loss = beta
    model.image_shape_ = tuple(meta.get("image_shape", (1, n_features)))
    model.scaled_from_uint8_ = bool(meta.get("scaled_from_uint8", False))
    return model
