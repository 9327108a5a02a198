"""Checks of the dense attention blanks (notebook 04): self-attention, masked attention.

Features are row vectors (``q = h @ W_Q``); row i of the attention is query (receiver) i's
softmax over the keys j. A mask here says ``True`` = may attend, the orientation of
``g.adjacency()``; PyTorch's ``nn.MultiheadAttention`` reads a boolean ``True`` as blocked.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..attention import scaled_dot_product_attention, self_attention, softmax
from .cases import uneven_graph
from .harness import run_check

__all__ = ["check_masked_attention", "check_self_attention"]

BLANKS = {
    "my_self_attention": {
        "task": "one head of dense self-attention: queries, keys and values from h, scaled "
        "scores, a softmax over each row; return (h', alpha)",
        "equation": "alpha = softmax_rows(Q K^T / sqrt(d_k)), h' = alpha V, "
        "Q = h W_Q, K = h W_K, V = h W_V",
    },
    "my_masked_attention": {
        "task": "masked attention for every head: scaled scores, -inf where mask is False, a "
        "softmax over the keys, 0 for a query with nothing to attend to",
        "equation": "w[k, i] = softmax(where(mask[i], q[i, k] . k[:, k] / sqrt(d), -inf)), "
        "out[i, k] = w[k, i] @ v[:, k]",
    },
}


# --- dense self-attention, one head (notebook 04) ------------------------------------------


def _self_attention_cases() -> list:
    h = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W_Q, W_K = np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [2.0, 1.0]])
    W_V = np.array([[1.0, 2.0], [0.0, -1.0]])
    rng = np.random.default_rng(16)
    words = rng.normal(size=(10, 6))
    W = [rng.normal(size=(6, d)) / np.sqrt(6) for d in (4, 4, 5)]
    return [
        ("3 words, d = d_k = d_v = 2", (h, W_Q, W_K, W_V)),
        ("10 words, d = 6, d_k = 4, d_v = 5", (words, *W)),
        ("features x 40: scores in the thousands", (40 * words, *W)),
        ("float32", (words.astype(np.float32), *(w.astype(np.float32) for w in W))),
    ]


def _attention(h, W_Q, W_K, W_V, *, scale="d_k", axis=-1, scores="QK", stable=True, **wrong):
    """One head of attention with hooks for the mistakes below."""
    if wrong.get("transpose"):
        W_Q, W_K, W_V = W_Q.T, W_K.T, W_V.T
    q, k = h @ W_Q, h @ W_K
    v = h if wrong.get("no_values") else h @ W_V
    s = q @ k.T if scores == "QK" else k @ q.T
    s = (
        s
        / {"d_k": np.sqrt(k.shape[1]), "none": 1.0, "twice": k.shape[1], "d": np.sqrt(h.shape[1])}[
            scale
        ]
    )
    if stable:
        alpha = softmax(s, axis=axis)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            alpha = np.exp(s) / np.exp(s).sum(axis=axis, keepdims=True)
    return alpha @ v, alpha


SELF_ATTENTION_MISTAKES = [
    (
        "1/sqrt(d_k) forgotten",
        "Scale the scores before the softmax: Q K^T / sqrt(d_k), d_k = the width of the keys.",
        partial(_attention, scale="none"),
    ),
    (
        "1/sqrt(d_k) applied twice: the scores divided by d_k",
        "Divide once by sqrt(d_k): np.sqrt(k.shape[1]), not k.shape[1].",
        partial(_attention, scale="twice"),
    ),
    (
        "scaled by sqrt(d), the width of h, instead of sqrt(d_k), the width of the keys",
        "The scale is the width of q and k: d_k = W_K.shape[1] (here not the d of h).",
        partial(_attention, scale="d"),
    ),
    (
        "the softmax over the queries (axis 0): each column sums to 1 instead of each row",
        "Row i of alpha holds receiver (query) i's weights over the words j: softmax along the\n"
        "last axis, axis=-1.",
        partial(_attention, axis=0),
    ),
    (
        "K Q^T instead of Q K^T: row i holds key i's scores",
        "scores[i, j] = q_i . k_j, row = receiver i: Q @ K.T, not K @ Q.T.",
        partial(_attention, scores="KQ"),
    ),
    (
        "weights transposed (the column-vector habit: the talk's W_Q h_i written h_i W_Q^T)",
        "Features are row vectors: q_i = h_i @ W_Q with W_Q stored as (d, d_k); use the\n"
        "matrices as given, without .T.",
        partial(_attention, transpose=True),
    ),
    (
        "the values not projected: alpha @ h instead of alpha @ (h W_V)",
        "The update sums values, v_j = h_j W_V: h' = alpha @ (h @ W_V).",
        partial(_attention, no_values=True),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each row's max first,\n"
        "np.exp(s - s.max(axis=-1, keepdims=True)).",
        partial(_attention, stable=False),
    ),
]


def check_self_attention(fn) -> None:
    """Check ``fn(h, W_Q, W_K, W_V) -> (h', alpha)`` against ``gl.self_attention``."""
    __tracebackhide__ = True
    run_check(
        "self_attention",
        fn,
        _self_attention_cases(),
        self_attention,
        "gl.self_attention",
        SELF_ATTENTION_MISTAKES,
        atol=1e-5,
    )


# --- masked multi-head attention (notebook 04) ---------------------------------------------


def _masked_cases() -> list:
    q = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 1.0]]])  # (n, H, d) = (3, 1, 2)
    k = np.array([[[1.0, 1.0]], [[0.0, 2.0]], [[1.0, 0.0]]])
    v = np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[2.0, 2.0]]])
    causal3, causal = np.tril(np.ones((3, 3), dtype=bool)), np.tril(np.ones((10, 10), dtype=bool))
    rng = np.random.default_rng(17)
    q2, k2, v2 = (
        rng.normal(size=(10, 2, 4)),
        rng.normal(size=(10, 2, 4)),
        rng.normal(size=(10, 2, 3)),
    )
    g = uneven_graph(5)
    graph_mask = g.adjacency() > 0  # mask[i, j]: the edge j -> i
    q7, k7, v7 = rng.normal(size=(7, 2, 4)), rng.normal(size=(7, 2, 4)), rng.normal(size=(7, 2, 3))
    as32 = (x.astype(np.float32) for x in (q2, k2, v2))
    return [
        ("3 words, one head, the causal mask", (q, k, v, causal3)),
        ("10 words, 2 heads, d = 4, d_v = 3, the causal mask", (q2, k2, v2, causal)),
        ("the same x 30: scores in the thousands", (30 * q2, 30 * k2, v2, causal)),
        (
            f"the mask of a random graph (mask[i, j]: the edge j -> i), in-degrees "
            f"{g.in_degree.tolist()}: rows with nothing to attend to",
            (q7, k7, v7, graph_mask),
        ),
        ("float32, the causal mask", (*as32, causal)),
    ]


def _masked_reference(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, mask)


def _masked(q, k, v, mask, *, fill=-np.inf, scale="once", after=False, stable=True, safe=True):
    """Masked attention with hooks for the mistakes below, heads first inside."""
    q, k, v = (np.swapaxes(x, 0, 1) for x in (q, k, v))  # (H, n, d)
    d = q.shape[-1]
    s = q @ np.swapaxes(k, -1, -2) / {"once": math.sqrt(d), "none": 1.0, "twice": d}[scale]
    s = s if after else np.where(mask, s, fill)
    with np.errstate(over="ignore", invalid="ignore"):
        m = s.max(axis=-1, keepdims=True) if stable else 0.0
        if safe:
            m = np.where(np.isfinite(m), m, 0.0)
        e = np.exp(s - m)
        total = e.sum(axis=-1, keepdims=True)
        w = e / (np.where(total == 0, 1.0, total) if safe else total)
    w = w * mask if after else w
    return np.swapaxes(w @ v, 0, 1), w


def _masked_inverted(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, ~mask)


def _masked_transposed(q, k, v, mask):
    return scaled_dot_product_attention(q, k, v, mask.T)


def _masked_heads_first(q, k, v, mask):
    out, w = scaled_dot_product_attention(q, k, v, mask)
    return np.swapaxes(out, 0, 1), w


MASKED_MISTAKES = [
    (
        "mask polarity inverted (PyTorch's nn.MultiheadAttention: True = blocked)",
        "Here mask[i, j] = True means query i MAY attend to key j (like g.adjacency()):\n"
        "keep the scores where mask is True, np.where(mask, scores, -np.inf).",
        _masked_inverted,
    ),
    (
        "mask transposed: mask[j, i] used for query i and key j",
        "Row i of the mask is query i (the receiver), column j key j: mask[i, j] goes with\n"
        "scores[..., i, j] = q_i . k_j, as it is, without .T.",
        _masked_transposed,
    ),
    (
        "1/sqrt(d) forgotten",
        "Scale the scores: q_i . k_j / sqrt(d), d = q.shape[-1] (the width of one head).",
        partial(_masked, scale="none"),
    ),
    (
        "1/sqrt(d) applied twice: the scores divided by d",
        "Divide once by sqrt(d), d = q.shape[-1].",
        partial(_masked, scale="twice"),
    ),
    (
        "blocked scores set to 0 instead of -inf: they still get weight exp(0 - max)",
        "A blocked pair must get weight exactly 0: set its score to -np.inf before the softmax,\n"
        "np.where(mask, scores, -np.inf).",
        partial(_masked, fill=0.0),
    ),
    (
        "the mask applied after the softmax: the weights no longer sum to 1",
        "Mask the scores (-inf) before the softmax, so that each row's allowed weights still sum\n"
        "to 1; zeroing weights afterwards leaves rows that sum to less.",
        partial(_masked, after=True),
    ),
    (
        "out left heads first, (H, n, d_v), instead of (n, H, d_v)",
        "Compute per head with (H, n, d) arrays if you like, then swap back:\n"
        "out = (weights @ v_heads).swapaxes(0, 1) has shape (n, H, d_v).",
        _masked_heads_first,
    ),
    (
        "a row with nothing to attend to gives NaN (0 / 0)",
        "A query whose mask row is all False has only -inf scores: its max is -inf and\n"
        "exp(-inf - (-inf)) is NaN. Use 0 as that row's max and 1 as its sum: weights 0, output 0.",
        partial(_masked, safe=False),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each row's largest allowed score first\n"
        "(a row with nothing allowed: subtract 0 instead of -inf).",
        partial(_masked, stable=False, safe=False),
    ),
    (
        "blocked scores set to -1e9 instead of -inf: a row with nothing to attend to gets "
        "uniform weights",
        "With a large finite number a fully blocked row is a softmax of equal numbers, weights\n"
        "1/n each. Use -np.inf, and give such a row weights 0 (output 0).",
        partial(_masked, fill=-1e9),
    ),
]


def check_masked_attention(fn) -> None:
    """Check ``fn(q, k, v, mask) -> (out, weights)`` against ``gl.scaled_dot_product_attention``."""
    __tracebackhide__ = True
    run_check(
        "masked_attention",
        fn,
        _masked_cases(),
        _masked_reference,
        "gl.scaled_dot_product_attention",
        MASKED_MISTAKES,
        atol=1e-5,
    )
