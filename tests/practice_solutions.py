"""The learner's solutions that later blanks build on, written as a learner would (not calling
the package's reference): notebook 03's segment softmax for its GAT layer, notebook 05's
multi-head attention, LayerNorm and feed-forward net for its Transformer block. Each is also
a right implementation of its own blank (``@passes``).
"""

from __future__ import annotations

import numpy as np
from practice_helpers import passes

import gnnformer_lite as gl


@passes("segment_softmax", "9 cases agree with gl.segment_softmax")
def my_segment_softmax(logits, receivers, num_nodes):
    """Notebook 03's blank, as its GAT layer uses it."""
    m = gl.segment_max(logits, receivers, num_nodes)
    ex = np.exp(logits - m[receivers])
    return ex / gl.segment_sum(ex, receivers, num_nodes)[receivers]


@passes(
    "multi_head_attention",
    "7 cases agree with gl.multi_head_attention(..., return_attention=True)",
)
def my_multi_head_attention(params, h, num_heads):
    """Notebook 05's multi_head_by_hand, with its own softmax."""
    n, d_model = h.shape
    d_head = d_model // num_heads

    def project(name):
        return (h @ params[f"W_{name}"] + params.get(f"b_{name}", 0)).reshape(n, num_heads, d_head)

    q, k, v = project("Q"), project("K"), project("V")
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d_head)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    alpha = e / e.sum(axis=-1, keepdims=True)
    heads = np.einsum("hij,jhd->ihd", alpha, v).reshape(n, d_model)
    return heads @ params["W_O"] + params.get("b_O", 0), alpha


@passes("layer_norm", "7 cases agree with gl.layer_norm")
def my_layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


@passes("feed_forward", "5 cases agree with gl.feed_forward")
def my_feed_forward(params, x):
    return np.maximum(0, x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
