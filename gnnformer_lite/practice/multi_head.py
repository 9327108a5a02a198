"""Checks of the multi-head attention blank (notebook 05): split, attend, concat, W_O.

Features are row vectors (``h @ W``), heads are split by reshaping the last axis to
``(H, d_head)`` as ``torch.nn.MultiheadAttention`` does, and the parameters the check uses
have random biases: a bias left out changes the result.
"""

from __future__ import annotations

import numpy as np

from ..attention import softmax
from ..transformer_layers import init_multi_head_attention, multi_head_attention
from .cases import as_float32, embedded_sentence, noisy, rounded_normal
from .harness import run_check

__all__ = ["check_multi_head_attention"]

BLANKS = {
    "my_multi_head_attention": {
        "task": "multi-head self-attention over all words, q = h W_Q + b_Q (k, v alike); "
        "return (h', alpha)",
        "equation": "head_k = softmax(q_k k_k^T / sqrt(d_head)) v_k, "
        "h' = [head_1 | ... | head_H] W_O + b_O",
    },
}


# --- multi-head attention ------------------------------------------------------------------


def _mha_params(seed: int, d_model: int, num_heads: int) -> dict:
    rng = np.random.default_rng(seed)
    return noisy(init_multi_head_attention(rng, d_model, num_heads), rng)


def _mha_cases() -> list:
    rng = np.random.default_rng(5)
    small, p6 = rounded_normal(rng, 4, 6), _mha_params(1, 6, 2)
    sentence, p8 = embedded_sentence(8), _mha_params(2, 8, 4)
    no_bias = {key: value for key, value in p6.items() if not key.startswith("b_")}
    return [
        ("4 words, d_model = 6, 2 heads of d_head = 3", (p6, small, 2)),
        ("the running sentence: 10 words, d_model = 8, 4 heads of d_head = 2", (p8, sentence, 4)),
        ("one head: d_head = d_model = 6", (_mha_params(3, 6, 1), small, 1)),
        ("a sentence of one word", (p6, small[:1], 2)),
        ("features x 30: scores beyond +-1000, exp overflows", (p6, 30 * small, 2)),
        ("params made by hand, without biases", (no_bias, small, 2)),
        ("float32 features and weights", (as_float32(p8), sentence.astype(np.float32), 4)),
    ]


def _mha_reference(params, h, num_heads):
    return multi_head_attention(params, h, num_heads=num_heads, return_attention=True)


def _project(params, h, x, *, bias=True):
    """``h W_x + b_x`` (``b_x`` only if params has it)."""
    return h @ params[f"W_{x}"] + (params.get(f"b_{x}", 0) if bias else 0)


def _split(x, num_heads):
    """``(n, d_model) -> (H, n, d_head)``: the last axis reshaped to ``(H, d_head)``."""
    n, d_model = x.shape
    return x.reshape(n, num_heads, d_model // num_heads).transpose(1, 0, 2)


def _merge(heads):
    """``(H, n, d_head) -> (n, H * d_head)``: the heads side by side."""
    H, n, d_head = heads.shape
    return heads.transpose(1, 0, 2).reshape(n, H * d_head)


def _naive_softmax(scores, axis=-1):
    e = np.exp(scores)
    return e / e.sum(axis=axis, keepdims=True)


def _mha(params, h, num_heads, *, scale=None, split=_split, merge=_merge, **options):
    """Multi-head attention with hooks for the mistakes below (all defaults: the right one)."""
    bias, transpose = options.get("bias", True), options.get("transpose", False)
    if transpose:
        params = {key: (v.T if key.startswith("W_") else v) for key, v in params.items()}
    q, k, v = (split(_project(params, h, x, bias=bias), num_heads) for x in "QKV")
    d_head = h.shape[-1] // num_heads
    scores = q @ k.transpose(0, 2, 1) / (np.sqrt(d_head) if scale is None else scale(d_head))
    alpha = options.get("softmax", softmax)(scores, axis=options.get("axis", -1))
    concat = merge(alpha @ v)
    if not options.get("mix", True):
        return concat, alpha
    return _project(params, concat, "O", bias=bias), alpha


def _mha_unscaled(params, h, num_heads):
    return _mha(params, h, num_heads, scale=lambda d_head: 1.0)


def _mha_scaled_twice(params, h, num_heads):
    return _mha(params, h, num_heads, scale=lambda d_head: d_head)


def _mha_sqrt_d_model(params, h, num_heads):
    return _mha(params, h, num_heads, scale=lambda d_head: np.sqrt(h.shape[-1]))


def _mha_strided_heads(params, h, num_heads):
    def split(x, H):  # head m gets columns m, m + H, m + 2H, ...
        n, d_model = x.shape
        return x.reshape(n, d_model // H, H).transpose(2, 0, 1)

    def merge(heads):
        H, n, d_head = heads.shape
        return heads.transpose(1, 2, 0).reshape(n, H * d_head)

    return _mha(params, h, num_heads, split=split, merge=merge)


def _mha_reshape_only(params, h, num_heads):
    def split(x, H):  # (n, d_model) read as (H, n, d_head): words and heads mixed
        n, d_model = x.shape
        return x.reshape(H, n, d_model // H)

    def merge(heads):
        H, n, d_head = heads.shape
        return heads.reshape(n, H * d_head)

    return _mha(params, h, num_heads, split=split, merge=merge)


def _mha_merge_unordered(params, h, num_heads):
    def merge(heads):  # (H, n, d_head) reshaped without moving the head axis back
        H, n, d_head = heads.shape
        return heads.reshape(n, H * d_head)

    return _mha(params, h, num_heads, merge=merge)


def _mha_softmax_over_queries(params, h, num_heads):
    return _mha(params, h, num_heads, axis=-2)


def _mha_transposed(params, h, num_heads):
    return _mha(params, h, num_heads, transpose=True)


def _mha_no_bias(params, h, num_heads):
    return _mha(params, h, num_heads, bias=False)


def _mha_no_w_o(params, h, num_heads):
    return _mha(params, h, num_heads, mix=False)


def _mha_naive_softmax(params, h, num_heads):
    return _mha(params, h, num_heads, softmax=_naive_softmax)


def _mha_alpha_last(params, h, num_heads):
    out, alpha = _mha(params, h, num_heads)
    return out, alpha.transpose(1, 2, 0)


def _mha_needs_biases(params, h, num_heads):
    for x in "QKVO":
        params[f"b_{x}"]  # noqa: B018 -- a KeyError for params without biases
    return _mha(params, h, num_heads)


MHA_MISTAKES = [
    (
        "1/sqrt(d_head) forgotten",
        "Divide the scores by sqrt(d_head), d_head = d_model / H:\n"
        "scores = q_k k_k^T / sqrt(d_head). Without it the softmax saturates as d_head grows.",
        _mha_unscaled,
    ),
    (
        "1/sqrt(d_head) applied twice (the scores divided by d_head)",
        "Divide the scores q_k k_k^T by sqrt(d_head) once: not by d_head, and not again after\n"
        "the softmax or on q and k both.",
        _mha_scaled_twice,
    ),
    (
        "scaled by 1/sqrt(d_model) instead of 1/sqrt(d_head)",
        "Each head's dot product runs over its own d_head = d_model / H features: divide by\n"
        "sqrt(d_head), not sqrt(d_model).",
        _mha_sqrt_d_model,
    ),
    (
        "heads split in the wrong order: reshape(n, d_head, H)",
        "Head k owns the consecutive columns k * d_head ... (k + 1) * d_head - 1:\n"
        "q.reshape(n, H, d_head) (as torch.nn.MultiheadAttention), then .transpose(1, 0, 2)\n"
        "for (H, n, d_head); concatenate back with the inverse: .transpose(1, 0, 2).reshape(n, d).",
        _mha_strided_heads,
    ),
    (
        "heads split by reshape(H, n, d_head) without a transpose: words and heads mixed",
        "q.reshape(H, n, d_head) cuts the rows of q in H blocks of words. Reshape the last axis\n"
        "only, q.reshape(n, H, d_head), then move the head axis first: .transpose(1, 0, 2).",
        _mha_reshape_only,
    ),
    (
        "heads concatenated without moving the head axis back",
        "The heads' outputs are (H, n, d_head); concatenating them per word is\n"
        ".transpose(1, 0, 2).reshape(n, d_model) -- a plain reshape(n, d_model) mixes the words.",
        _mha_merge_unordered,
    ),
    (
        "softmax over the queries (axis -2) instead of over the keys",
        "alpha[k, i, j] is how much word i attends to word j: each row i sums to 1 over j.\n"
        "Take the softmax over the last axis: gl.softmax(scores, axis=-1).",
        _mha_softmax_over_queries,
    ),
    (
        "weights transposed: h @ W.T (the column-vector habit, W h instead of h W)",
        "Features are row vectors: q = h @ W_Q + b_Q, not W_Q @ h (or h @ W_Q.T); the same for\n"
        "W_K, W_V and W_O.",
        _mha_transposed,
    ),
    (
        "biases left out",
        "Add each projection's bias when params has it: q = h @ W_Q + b_Q (k, v alike) and\n"
        "h' = concat @ W_O + b_O; params.get('b_Q', 0) also works for params without biases.",
        _mha_no_bias,
    ),
    (
        "the output projection W_O left out",
        "After concatenating the heads, mix them: h' = concat @ W_O + b_O.",
        _mha_no_w_o,
    ),
    (
        "softmax without subtracting the max, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN. Subtract each row's largest score first\n"
        "(scores - scores.max(axis=-1, keepdims=True)), or use gl.softmax(scores).",
        _mha_naive_softmax,
    ),
    (
        "alpha returned as (n, n, H) instead of (H, n, n)",
        "Return the attention weights head first: alpha[k, i, j], shape (H, n, n).",
        _mha_alpha_last,
    ),
    (
        "biases assumed present: params['b_Q'] fails on params made by hand without them",
        "The biases are optional: params.get('b_Q', 0) is 0 when params has no 'b_Q'.",
        _mha_needs_biases,
    ),
]


def check_multi_head_attention(fn) -> None:
    """Check ``fn(params, h, num_heads) -> (h', alpha)`` against ``gl.multi_head_attention``."""
    __tracebackhide__ = True
    run_check(
        "multi_head_attention",
        fn,
        _mha_cases(),
        _mha_reference,
        "gl.multi_head_attention(..., return_attention=True)",
        MHA_MISTAKES,
        atol=1e-5,
        rtol=1e-4,
    )
