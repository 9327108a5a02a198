r"""The sub-layers that act on each word on its own: LayerNorm and the feed-forward net.

The Transformer paper calls them *position-wise*: unlike attention, neither mixes
words -- row i of the output depends on row i of the input alone -- so each takes
``x: (..., d)`` with any leading axes (one sentence, or a padded batch).

``transformer_layer`` puts one of each around its attention. Conventions as in
``transformer_layers``: row vectors, the dtype of ``x``, and ``d_params, d_x =
<f>_backward(cache, d_out)`` after a forward with ``cache={}``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_float_array, check_cache, check_upstream, get_param
from ._sums import feature_mean, word_sum
from .gnn_layers import relu

__all__ = ["feed_forward", "feed_forward_backward", "layer_norm", "layer_norm_backward"]

Params = dict[str, np.ndarray]


def layer_norm(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    eps: float = 1e-5,
    *,
    cache: dict | None = None,
) -> np.ndarray:
    r"""Layer normalisation over the last axis (each word normalised on its own).

    .. math:: \operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` the mean and (biased) variance of :math:`x`'s last
    axis. ``x: (..., d)``, ``gamma, beta: (d,)``. ``cache``: if a dict, filled with
    what ``layer_norm_backward`` needs.
    """
    x, gamma, beta = _check_layer_norm(x, gamma, beta)
    mu = feature_mean(x)  # the mean of each word's features (x.mean(axis=-1, keepdims=True))
    xc = x - mu
    var = feature_mean(xc * xc)  # and their (biased) variance
    if cache is not None:
        cache.update(x=x, xc=xc, var=var, gamma=gamma, eps=eps)
    return gamma * xc / np.sqrt(var + eps) + beta


def layer_norm_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``layer_norm``: ``({"gamma": d_gamma, "beta": d_beta}, d_x)``.

    With :math:`\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}` and
    :math:`G = \partial L / \partial\, \text{LN}(x)`, per word (means over the last axis):

    .. math::
        \frac{\partial L}{\partial \gamma} = \sum G \odot \hat x, \quad
        \frac{\partial L}{\partial \beta} = \sum G, \quad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
            \Big(g - \operatorname{mean}(g) - \hat x \operatorname{mean}(g \odot \hat x)\Big),
        \quad g = \gamma \odot G

    (the two means are what the normalisation takes away: a shift of :math:`x` and a
    change of its scale do not change :math:`\hat x`).
    """
    cache = check_cache(cache, ("x", "xc", "var", "gamma", "eps"), "layer_norm")
    x, gamma = cache["x"], cache["gamma"]
    G = check_upstream(d_out, x.shape, "layer_norm")
    rstd = 1 / np.sqrt(cache["var"] + cache["eps"])
    xhat = cache["xc"] * rstd  # (x - mu) / sqrt(var + eps)
    g = gamma * G
    d_x = rstd * (g - feature_mean(g) - xhat * feature_mean(g * xhat))
    # d_gamma, d_beta: sums over every word (every axis but the features)
    return {"gamma": word_sum(G * xhat), "beta": word_sum(G)}, d_x


def feed_forward(params: Params, x: ArrayLike, *, cache: dict | None = None) -> np.ndarray:
    r"""Position-wise feed-forward net, applied to each word on its own.

    .. math:: \operatorname{FFN}(x) = \max(0,\ x W_1 + b_1)\, W_2 + b_2

    ``params``: ``W1 (d_model, d_ff)``, ``b1 (d_ff,)``, ``W2 (d_ff, d_model)``,
    ``b2 (d_model,)``; ``x: (..., d_model)``. ``cache``: if a dict, filled with what
    ``feed_forward_backward`` needs.
    """
    x, W1, b1, W2, b2 = _check_feed_forward(params, x)
    hidden = relu(x @ W1 + b1)
    if cache is not None:
        cache.update(params=params, x=x, hidden=hidden)
    return hidden @ W2 + b2


def feed_forward_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``feed_forward``: ``(d_params, d_x)``.

    With :math:`r = \max(0, x W_1 + b_1)` and :math:`G = \partial L / \partial\,
    \text{FFN}(x)`, summing over the words:

    .. math::
        \frac{\partial L}{\partial W_2} = r^\top G, \quad
        \frac{\partial L}{\partial b_2} = \textstyle\sum G, \quad
        \delta = G W_2^\top \odot [r > 0], \quad
        \frac{\partial L}{\partial W_1} = x^\top \delta, \quad
        \frac{\partial L}{\partial b_1} = \textstyle\sum \delta, \quad
        \frac{\partial L}{\partial x} = \delta W_1^\top.
    """
    cache = check_cache(cache, ("params", "x", "hidden"), "feed_forward")
    params, x, hidden = cache["params"], cache["x"], cache["hidden"]
    G = check_upstream(d_out, x.shape[:-1] + (params["W2"].shape[1],), "feed_forward")
    delta = (G @ params["W2"].T) * (hidden > 0)  # through the ReLU
    rows = (-1, x.shape[-1])  # every word of every sentence is one row
    d_params = {
        "W1": x.reshape(rows).T @ delta.reshape(-1, delta.shape[-1]),
        "b1": delta.reshape(-1, delta.shape[-1]).sum(axis=0),
        "W2": hidden.reshape(-1, hidden.shape[-1]).T @ G.reshape(-1, G.shape[-1]),
        "b2": G.reshape(-1, G.shape[-1]).sum(axis=0),
    }
    return d_params, delta @ params["W1"].T


# --- input checks: one call at the top of each sub-layer ---------------------------


def _check_layer_norm(x, gamma, beta):
    __tracebackhide__ = True
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d)")
    d = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (d,):
            raise ValueError(f"{name} has shape {p.shape} but x has d={d}; expected ({d},)")
    return x, gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False)


def _check_feed_forward(params, x):
    __tracebackhide__ = True
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict of arrays (W1, b1, W2, b2), got {type(params).__name__}. "
            f"The order is feed_forward(params, x)"
        )
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d_model)")
    d_model = x.shape[-1]
    d_ff = get_param(params, "W1", None, x.dtype, "(d_model, d_ff)").shape[1]
    ctx = f"x has d_model={d_model} (and W1 has d_ff={d_ff})"
    W1 = get_param(params, "W1", (d_model, d_ff), x.dtype, ctx)
    b1 = get_param(params, "b1", (d_ff,), x.dtype, ctx)
    W2 = get_param(params, "W2", (d_ff, d_model), x.dtype, ctx)
    b2 = get_param(params, "b2", (d_model,), x.dtype, ctx)
    return x, W1, b1, W2, b2
