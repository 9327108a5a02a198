"""Checks of the Transformer blanks: multi-head attention, LayerNorm, the FFN, the block (05).

Features are row vectors (``h @ W``), heads are split by reshaping the last axis to
``(H, d_head)`` as ``torch.nn.MultiheadAttention`` does, and every parameter the checks
use has random biases, gamma and beta: a term left out changes the result.
"""

from __future__ import annotations

import numpy as np

from ..attention import softmax
from ..positional import sinusoidal_encoding
from ..sentences import example_sentence
from ..transformer_layers import (
    feed_forward,
    init_multi_head_attention,
    init_transformer_layer,
    layer_norm,
    multi_head_attention,
    transformer_layer,
)
from .harness import run_check

__all__ = [
    "check_feed_forward",
    "check_layer_norm",
    "check_multi_head_attention",
    "check_transformer_block",
]

BLANKS = {
    "my_multi_head_attention": {
        "task": "multi-head self-attention over all words, q = h W_Q + b_Q (k, v alike); "
        "return (h', alpha)",
        "equation": "head_k = softmax(q_k k_k^T / sqrt(d_head)) v_k, "
        "h' = [head_1 | ... | head_H] W_O + b_O",
    },
    "my_layer_norm": {
        "task": "LayerNorm of each word over its features (the last axis), biased variance",
        "equation": "LN(x) = gamma * (x - mu) / sqrt(var + eps) + beta, "
        "mu, var: over the last axis",
    },
    "my_feed_forward": {
        "task": "the position-wise feed-forward net, applied to each word (row) on its own",
        "equation": "FFN(x) = max(0, x W1 + b1) W2 + b2",
    },
    "my_transformer_block": {
        "task": 'one Transformer layer, LayerNorm after each residual sum (norm="post") '
        'or before each sub-layer ("pre")',
        "equation": "post: x = LN1(h + MHA(h)), h' = LN2(x + FFN(x)); "
        "pre: x = h + MHA(LN1(h)), h' = x + FFN(LN2(x))",
    },
}


# --- inputs --------------------------------------------------------------------------------


def _sentence(d_model: int, seed: int = 0) -> np.ndarray:
    """The running sentence as notebook 05 builds it: word embeddings + sinusoidal positions."""
    words, _ = example_sentence()
    vocab = sorted(set(words))
    table = np.random.default_rng(seed).normal(size=(len(vocab), d_model))
    return table[[vocab.index(w) for w in words]] + sinusoidal_encoding(len(words), d_model)


def _features(rng, *shape) -> np.ndarray:
    """Small hand-readable features: normal numbers rounded to one decimal."""
    return np.round(rng.normal(size=shape), 1)


def _noisy(params: dict, rng) -> dict:
    """``params`` with random biases, gamma and beta: init's 0 and 1 would hide a missing term."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out[key] = _noisy(value, rng)
        elif key.startswith("b") or key == "beta":
            out[key] = value + rng.normal(scale=0.5, size=value.shape).astype(value.dtype)
        elif key == "gamma":
            out[key] = value + rng.normal(scale=0.5, size=value.shape).astype(value.dtype)
        else:
            out[key] = value
    return out


def _float32(tree):
    if isinstance(tree, dict):
        return {key: _float32(value) for key, value in tree.items()}
    return tree.astype(np.float32) if isinstance(tree, np.ndarray) else tree


# --- multi-head attention ------------------------------------------------------------------


def _mha_params(seed: int, d_model: int, num_heads: int) -> dict:
    rng = np.random.default_rng(seed)
    return _noisy(init_multi_head_attention(rng, d_model, num_heads), rng)


def _mha_cases() -> list:
    rng = np.random.default_rng(5)
    small, p6 = _features(rng, 4, 6), _mha_params(1, 6, 2)
    sentence, p8 = _sentence(8), _mha_params(2, 8, 4)
    no_bias = {key: value for key, value in p6.items() if not key.startswith("b_")}
    return [
        ("4 words, d_model = 6, 2 heads of d_head = 3", (p6, small, 2)),
        ("the running sentence: 10 words, d_model = 8, 4 heads of d_head = 2", (p8, sentence, 4)),
        ("one head: d_head = d_model = 6", (_mha_params(3, 6, 1), small, 1)),
        ("a sentence of one word", (p6, small[:1], 2)),
        ("features x 30: scores beyond +-1000, exp overflows", (p6, 30 * small, 2)),
        ("params made by hand, without biases", (no_bias, small, 2)),
        ("float32 features and weights", (_float32(p8), sentence.astype(np.float32), 4)),
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


# --- LayerNorm -----------------------------------------------------------------------------


def _ln_cases() -> list:
    rng = np.random.default_rng(7)
    x = _sentence(6)
    gamma, beta = 1 + 0.5 * rng.normal(size=6), 0.5 * rng.normal(size=6)
    batch = _features(rng, 2, 3, 4)
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
    return _noisy(init_transformer_layer(rng, d_model, 1, d_ff)["ffn"], rng)


def _ffn_cases() -> list:
    tiny = {  # notebook 05's tiny FFN, with biases
        "W1": np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]),
        "b1": np.array([0.5, 0.0, -1.0]),
        "W2": np.ones((3, 2)),
        "b2": np.array([1.0, -1.0]),
    }
    p6 = _ffn_params(1, 6, 12)
    x = _sentence(6)
    batch = _features(np.random.default_rng(8), 2, 3, 6)
    return [
        ("notebook 05's tiny FFN with biases, one word x = (1, -2)", (tiny, np.array([1.0, -2.0]))),
        ("the running sentence: 10 words, d_model = 6, d_ff = 12", (p6, x)),
        ("a batch of 2 sentences of 3 words: x (2, 3, 6)", (p6, batch)),
        ("a sentence of one word: x (1, 6)", (p6, x[:1])),
        ("float32 x and weights", (_float32(p6), batch.astype(np.float32))),
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


# --- the Transformer block -----------------------------------------------------------------


def _block_params(seed: int, d_model: int, num_heads: int, d_ff: int) -> dict:
    rng = np.random.default_rng(seed)
    params = init_transformer_layer(rng, d_model, num_heads, d_ff)
    return {key: value for key, value in _noisy(params, rng).items() if key != "norm"}


def _block_cases() -> list:
    p4, p8 = _block_params(1, 4, 2, 6), _block_params(2, 8, 4, 16)
    small, sentence = _features(np.random.default_rng(9), 3, 4), _sentence(8)
    sentence_case = "the running sentence, d_model = 8, 4 heads, d_ff = 16"
    return [
        ("post-LN: 3 words, d_model = 4, 2 heads, d_ff = 6", (p4, small, 2, "post")),
        ("pre-LN: 3 words, d_model = 4, 2 heads, d_ff = 6", (p4, small, 2, "pre")),
        (f"post-LN: {sentence_case}", (p8, sentence, 4, "post")),
        (f"pre-LN: {sentence_case}", (p8, sentence, 4, "pre")),
        ("pre-LN: a sentence of one word", (p4, small[:1], 2, "pre")),
        ("post-LN: float32", (_float32(p8), sentence.astype(np.float32), 4, "post")),
    ]


def _block_reference(params, h, num_heads, norm="post"):
    return transformer_layer({**params, "norm": norm}, h, num_heads=num_heads)


def _parts(params, num_heads):
    """The sub-layers MHA, LN_1, LN_2 and FFN as functions of the features."""

    def mha(x):
        return multi_head_attention(params["attn"], x, num_heads=num_heads)

    def ln(part):
        return lambda x: layer_norm(x, params[part]["gamma"], params[part]["beta"])

    def ffn(x):
        return feed_forward(params["ffn"], x)

    return mha, ln("ln1"), ln("ln2"), ffn


def _post(params, h, num_heads):
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    x = ln1(h + mha(h))
    return ln2(x + ffn(x))


def _pre(params, h, num_heads):
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    x = h + mha(ln1(h))
    return x + ffn(ln2(x))


def _block_always_pre(params, h, num_heads, norm="post"):
    return _pre(params, h, num_heads)


def _block_always_post(params, h, num_heads, norm="post"):
    return _post(params, h, num_heads)


def _block_ln_inside(params, h, num_heads, norm="post"):
    if norm == "pre":
        return _pre(params, h, num_heads)
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    x = h + ln1(mha(h))
    return x + ln2(ffn(x))


def _block_no_residual(params, h, num_heads, norm="post"):
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    if norm == "pre":
        return ffn(ln2(mha(ln1(h))))
    return ln2(ffn(ln1(mha(h))))


def _block_lns_swapped(params, h, num_heads, norm="post"):
    swapped = {**params, "ln1": params["ln2"], "ln2": params["ln1"]}
    return (_pre if norm == "pre" else _post)(swapped, h, num_heads)


def _block_ffn_of_h(params, h, num_heads, norm="post"):
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    if norm == "pre":
        x = h + mha(ln1(h))
        return x + ffn(ln2(h))
    x = ln1(h + mha(h))
    return ln2(x + ffn(h))


def _block_second_residual_h(params, h, num_heads, norm="post"):
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    if norm == "pre":
        x = h + mha(ln1(h))
        return h + ffn(ln2(x))
    x = ln1(h + mha(h))
    return ln2(h + ffn(x))


def _block_pre_residual_normed(params, h, num_heads, norm="post"):
    if norm != "pre":
        return _post(params, h, num_heads)
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    z = ln1(h)
    x = z + mha(z)
    z = ln2(x)
    return z + ffn(z)


BLOCK_MISTAKES = [
    (
        'pre-LN written for norm="post"',
        'norm="post" (the original Transformer) normalises after each residual sum:\n'
        "x = LN1(h + MHA(h)), h' = LN2(x + FFN(x)). Pre-LN is the other branch.",
        _block_always_pre,
    ),
    (
        'post-LN written for norm="pre" (the norm argument ignored?)',
        'norm="pre" normalises the input of each sub-layer and leaves the residual path alone:\n'
        "x = h + MHA(LN1(h)), h' = x + FFN(LN2(x)) -- no LayerNorm after the sums.",
        _block_always_post,
    ),
    (
        "post-LN with the LayerNorm inside the residual: x = h + LN1(MHA(h))",
        "Post-LN normalises the sum: x = LN1(h + MHA(h)), then h' = LN2(x + FFN(x)).",
        _block_ln_inside,
    ),
    (
        "the residual connections left out",
        "Each sub-layer adds its input back: post-LN x = LN1(h + MHA(h)), h' = LN2(x + FFN(x));\n"
        "pre-LN x = h + MHA(LN1(h)), h' = x + FFN(LN2(x)).",
        _block_no_residual,
    ),
    (
        "LN1 and LN2 swapped",
        "params['ln1'] belongs to the attention sub-layer, params['ln2'] to the FFN.",
        _block_lns_swapped,
    ),
    (
        "the FFN applied to h instead of x (the attention sub-layer's output)",
        "The sub-layers are stacked: the FFN reads x, the output of the attention sub-layer\n"
        "(post: FFN(x); pre: FFN(LN2(x))), not the block's input h.",
        _block_ffn_of_h,
    ),
    (
        "the second residual adds h instead of x",
        "Each residual adds its own sub-layer's input: h' = LN2(x + FFN(x)) (post) or\n"
        "x + FFN(LN2(x)) (pre), with x the attention sub-layer's output, not h.",
        _block_second_residual_h,
    ),
    (
        "pre-LN with the residual taken from LN(h) instead of h",
        "In pre-LN the residual path skips the LayerNorm: x = h + MHA(LN1(h)), not\n"
        "LN1(h) + MHA(LN1(h)); then h' = x + FFN(LN2(x)).",
        _block_pre_residual_normed,
    ),
]


def check_transformer_block(fn) -> None:
    """Check ``fn(params, h, num_heads, norm)`` against ``gl.transformer_layer``, post and pre."""
    __tracebackhide__ = True
    run_check(
        "transformer_block",
        fn,
        _block_cases(),
        _block_reference,
        'gl.transformer_layer({**params, "norm": norm}, h)',
        BLOCK_MISTAKES,
        atol=1e-5,
        rtol=1e-4,
    )
