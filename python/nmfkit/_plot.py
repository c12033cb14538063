"""Pictures of the components with matplotlib."""
import math

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _shape_of(model, n_features, image_shape):
    if image_shape is None:
        image_shape = getattr(model, "image_shape_", None)
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"the components have {n_features} features, not a square image: give "
                "image_shape=(height, width) or (height, width, channels)"
            )
        image_shape = (side, side)
    image_shape = tuple(int(d) for d in image_shape)
    if int(np.prod(image_shape)) != n_features or len(image_shape) not in (2, 3):
        raise ValueError(f"image_shape {image_shape} does not hold {n_features} features")
    return image_shape


def show_components(model, image_shape=None, *, columns=None, cmap="magma", normalize=True,
                    figsize=None, titles=True):
    """A matplotlib figure of the components (rows of model.components_, or an array k ×
    n_features) as images of image_shape ((height, width) or (height, width, channels); default
    square, or the model's own). Each image is scaled to its own maximum (normalize) so that
    weak components are visible. Returns the Figure (in a notebook it shows itself)."""
    import matplotlib.pyplot as plt

    if hasattr(model, "components_") or not isinstance(model, np.ndarray):
        check_is_fitted(model)
        H = np.asarray(model.components_)
    else:
        H = np.asarray(model)
    k, n_features = H.shape
    shape = _shape_of(model, n_features, image_shape)
    columns = columns or min(k, max(1, math.ceil(math.sqrt(k * 1.5))))
    rows = math.ceil(k / columns)
    if figsize is None:
        aspect = shape[0] / shape[1]
        figsize = (1.6 * columns, 1.6 * aspect * rows + (0.3 * rows if titles else 0))
    fig, axes = plt.subplots(rows, columns, figsize=figsize, squeeze=False)
    for j, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if j >= k:
            continue
        image = H[j].reshape(shape).astype(np.float64)
        top = image.max()
        if normalize and top > 0:
            image = image / top
        if len(shape) == 3:
            ax.imshow(np.clip(image, 0, 1))
        else:
            ax.imshow(image, cmap=cmap, vmin=0, vmax=1 if normalize else None)
        if titles:
            ax.set_title(str(j), fontsize=8)
    fig.tight_layout()
    return fig
