"""Checks of the position-wise blanks (notebook 05): LayerNorm and the feed-forward net.

Both act on each word (row) on its own, over its features (the last axis); the parameters
the checks use have random biases, gamma and beta: a term left out changes the result.
"""

from __future__ import annotations

import numpy as np

from ..position_wise import feed_forward, layer_norm
from ..transformer_layers import init_transformer_layer
from .cases import as_float32, embedded_sentence, noisy, rounded_normal
from .harness import run_check

__all__ = ["check_feed_forward", "check_layer_norm"]

BLANKS = {
    "my_layer_norm": {
        "task": "LayerNorm of each word over its features (the last axis), biased variance",
        "equation": "LN(x) = gamma * (x - mu) / sqrt(var + eps) + beta, "
        "mu, var: over the last axis",
    },
    "my_feed_forward": {
        "task": "the position-wise feed-forward net, applied to each word (row) on its own",
        "equation": "FFN(x) = max(0, x W1 + b1) W2 + b2",
    },
}


# --- LayerNorm -----------------------------------------------------------------------------


def _ln_cases() -> list:
    rng = np.random.default_rng(7)
    x = embedded_sentence(6)
    gamma, beta = 1 + 0.5 * rng.normal(size=6), 0.5 * rng.normal(size=6)
    batch = rounded_normal(rng, 2, 3, 4)
    g4, b4 = 1 + 0.5 * rng.normal(size=4), 0.5 * rng.normal(size=4)
    flat = np.array([[0.5, 0.501, 0.499, 0.5], [1.0, -1.0, 2.0, 0.0]])  # variance 5e-7, 1.5
    still = np.array([[3.0, 3.0, 3.0, 3.0], [1.0, 2.0, 3.0, 6.0]])  # variance 0, 3.5
    return [
        (
            "one word, x = (1, 2, 3, 6), gamma = 1, beta = 0 (notebook 05)",
            (np.array([1.0, 2.0, 3.0, 6.0]), np.ones(4), np.zeros(4)),
        ),
        ("the running sentence: 10 words, d_model = 6", (x, gamma, beta)),
        ("a batch of 2 sentences of 3 words: x (2, 3, 4)", (batch, g4, b4)),
        ("a word whose features barely differ (variance 5e-7): eps matters", (flat, g4, b4)),
        ("a word whose features are all equal (variance 0)", (still, g4, b4)),
        ("eps = 0.1 given", (x, gamma, beta, 0.1)),
        ("float32 x, gamma and beta", _ln_float32(batch, g4, b4)),
    ]


def _ln_float32(x, gamma, beta):
    return x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32)


def _ln(x, gamma, beta, eps, *, axis=-1, ddof=0, keepdims=True, norm=None):
    """LayerNorm with hooks for the mistakes below (all defaults: the right one)."""
    mu = x.mean(axis=axis, keepdims=keepdims)
    var = x.var(axis=axis, ddof=ddof, keepdims=keepdims)
    return gamma * (x - mu) / (np.sqrt(var + eps) if norm is None else norm(var, eps)) + beta


def _ln_words(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, axis=0)


def _ln_all(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, axis=None)


def _ln_no_keepdims(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, keepdims=False)


def _ln_axis_1(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, axis=1)


def _ln_unbiased(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, ddof=1)


def _ln_by_variance(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, norm=lambda var, eps: var + eps)


def _ln_eps_outside(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, norm=lambda var, eps: np.sqrt(var) + eps)


def _ln_no_eps(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, eps, norm=lambda var, eps: np.sqrt(var))


def _ln_swapped(x, gamma, beta, eps=1e-5):
    return _ln(x, beta, gamma, eps)


def _ln_no_beta(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, 0 * beta, eps)


def _ln_fixed_eps(x, gamma, beta, eps=1e-5):
    return _ln(x, gamma, beta, 1e-5)


LN_MISTAKES = [
    (
        "normalised over the words (axis 0) instead of each word's features",
        "Each word (row) is normalised on its own: mean and variance over the last axis,\n"
        "x.mean(axis=-1, keepdims=True) and ((x - mu) ** 2).mean(axis=-1, keepdims=True).",
        _ln_words,
    ),
    (
        "normalised over all entries at once (no axis)",
        "x.mean() is one number for the whole array; LayerNorm takes one mean and one variance\n"
        "per word: axis=-1, keepdims=True.",
        _ln_all,
    ),
    (
        "keepdims=True forgotten",
        "x.mean(axis=-1) has shape (n,), which does not line up with x (n, d) when you subtract\n"
        "it; x.mean(axis=-1, keepdims=True) has shape (n, 1) and broadcasts over the features.",
        _ln_no_keepdims,
    ),
    (
        "axis=1 instead of axis=-1",
        "axis=1 is the features of x (n, d) but the words of a batch (B, n, d) (and out of range\n"
        "for one word (d,)): use axis=-1, the last axis, whatever the number of axes.",
        _ln_axis_1,
    ),
    (
        "LayerNorm with the unbiased variance (divided by d - 1)",
        "LayerNorm uses the biased variance, a mean over the d features:\n"
        "((x - mu) ** 2).mean(axis=-1, keepdims=True), i.e. x.var(axis=-1), ddof=0, not ddof=1.",
        _ln_unbiased,
    ),
    (
        "divided by the variance instead of the standard deviation",
        "Divide by sqrt(sigma^2 + eps), the standard deviation, not by sigma^2 + eps.",
        _ln_by_variance,
    ),
    (
        "eps outside the square root",
        "eps goes inside: (x - mu) / sqrt(sigma^2 + eps), not / (sqrt(sigma^2) + eps); they\n"
        "differ when a word's variance is near eps.",
        _ln_eps_outside,
    ),
    (
        "eps left out",
        "A word whose features are all equal has sigma^2 = 0 and 0 / 0 = NaN:\n"
        "divide by sqrt(sigma^2 + eps).",
        _ln_no_eps,
    ),
    (
        "gamma and beta swapped",
        "gamma scales and beta shifts: gamma * x_hat + beta.",
        _ln_swapped,
    ),
    (
        "beta left out",
        "After scaling by gamma, shift by beta: gamma * x_hat + beta.",
        _ln_no_beta,
    ),
    (
        "the eps argument ignored (1e-5 written in)",
        "Use the function's eps argument: sqrt(sigma^2 + eps), not sqrt(sigma^2 + 1e-5).",
        _ln_fixed_eps,
    ),
]


def check_layer_norm(fn) -> None:
    """Check ``fn(x, gamma, beta, eps=1e-5)`` against ``gl.layer_norm``."""
    __tracebackhide__ = True
    run_check(
        "layer_norm", fn, _ln_cases(), layer_norm, "gl.layer_norm", LN_MISTAKES, same_dtype=True
    )


# --- the feed-forward net ------------------------------------------------------------------


def _ffn_params(seed: int, d_model: int, d_ff: int) -> dict:
    rng = np.random.default_rng(seed)
    return noisy(init_transformer_layer(rng, d_model, 1, d_ff)["ffn"], rng)


def _ffn_cases() -> list:
    tiny = {  # notebook 05's tiny FFN, with biases
        "W1": np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]),
        "b1": np.array([0.5, 0.0, -1.0]),
        "W2": np.ones((3, 2)),
        "b2": np.array([1.0, -1.0]),
    }
    p6 = _ffn_params(1, 6, 12)
    x = embedded_sentence(6)
    batch = rounded_normal(np.random.default_rng(8), 2, 3, 6)
    return [
        ("notebook 05's tiny FFN with biases, one word x = (1, -2)", (tiny, np.array([1.0, -2.0]))),
        ("the running sentence: 10 words, d_model = 6, d_ff = 12", (p6, x)),
        ("a batch of 2 sentences of 3 words: x (2, 3, 6)", (p6, batch)),
        ("a sentence of one word: x (1, 6)", (p6, x[:1])),
        ("float32 x and weights", (as_float32(p6), batch.astype(np.float32))),
    ]


def _ffn(params, x, *, relu=lambda z: np.maximum(0, z), out=lambda z: z, b1=True, b2=True):
    """The FFN with hooks for the mistakes below (all defaults: the right one)."""
    hidden = relu(x @ params["W1"] + (params["b1"] if b1 else 0))
    return out(hidden @ params["W2"] + (params["b2"] if b2 else 0))


def _ffn_no_relu(params, x):
    return _ffn(params, x, relu=lambda z: z)


def _ffn_relu_twice(params, x):
    return _ffn(params, x, out=lambda z: np.maximum(0, z))


def _ffn_no_b1(params, x):
    return _ffn(params, x, b1=False)


def _ffn_no_b2(params, x):
    return _ffn(params, x, b2=False)


def _ffn_from_left(params, x):
    return params["W2"] @ np.maximum(0, params["W1"] @ x + params["b1"]) + params["b2"]


def _ffn_np_max(params, x):
    return _ffn(params, x, relu=lambda z: np.max(0, z))


FFN_MISTAKES = [
    (
        "the ReLU left out",
        "The hidden layer is max(0, x W1 + b1), entry by entry: np.maximum(0, x @ W1 + b1).\n"
        "Without it the FFN is one linear map, W1 W2.",
        _ffn_no_relu,
    ),
    (
        "a ReLU after W2 as well",
        "Only the hidden layer has a ReLU: FFN(x) = max(0, x W1 + b1) W2 + b2 can be negative.",
        _ffn_relu_twice,
    ),
    (
        "b1 left out",
        "Add b1 before the ReLU: max(0, x @ W1 + b1).",
        _ffn_no_b1,
    ),
    (
        "b2 left out",
        "Add b2 after W2: hidden @ W2 + b2.",
        _ffn_no_b2,
    ),
    (
        "weights multiplied from the left (W1 @ x, the column-vector habit)",
        "Features are row vectors, x of shape (n, d_model): x @ W1 (d_model, d_ff), then\n"
        "hidden @ W2 (d_ff, d_model) -- the weights on the right.",
        _ffn_from_left,
    ),
    (
        "np.max instead of np.maximum for the ReLU",
        "np.max(0, z) is the largest entry of 0 along axis z (a TypeError); the ReLU compares\n"
        "entry by entry: np.maximum(0, z).",
        _ffn_np_max,
    ),
]


def check_feed_forward(fn) -> None:
    """Check ``fn(params, x)`` against ``gl.feed_forward``."""
    __tracebackhide__ = True
    run_check(
        "feed_forward",
        fn,
        _ffn_cases(),
        feed_forward,
        "gl.feed_forward",
        FFN_MISTAKES,
        same_dtype=True,
    )
