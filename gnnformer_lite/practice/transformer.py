"""Checks of the Transformer block blank (notebook 05): one layer, post-LN or pre-LN.

post: x = LN1(h + MHA(h)), h' = LN2(x + FFN(x)); pre: x = h + MHA(LN1(h)),
h' = x + FFN(LN2(x)). Every parameter the check uses has random biases, gamma and beta.
"""

from __future__ import annotations

import numpy as np

from ..position_wise import feed_forward, layer_norm
from ..transformer_layers import init_transformer_layer, multi_head_attention, transformer_layer
from .cases import as_float32, embedded_sentence, noisy, rounded_normal
from .harness import run_check

__all__ = ["check_transformer_block"]

BLANKS = {
    "my_transformer_block": {
        "task": 'one Transformer layer, LayerNorm after each residual sum (norm="post") '
        'or before each sub-layer ("pre")',
        "equation": "post: x = LN1(h + MHA(h)), h' = LN2(x + FFN(x)); "
        "pre: x = h + MHA(LN1(h)), h' = x + FFN(LN2(x))",
    },
}


# --- the Transformer block -----------------------------------------------------------------


def _block_params(seed: int, d_model: int, num_heads: int, d_ff: int) -> dict:
    rng = np.random.default_rng(seed)
    params = init_transformer_layer(rng, d_model, num_heads, d_ff)
    return {key: value for key, value in noisy(params, rng).items() if key != "norm"}


def _block_cases() -> list:
    p4, p8 = _block_params(1, 4, 2, 6), _block_params(2, 8, 4, 16)
    small, sentence = rounded_normal(np.random.default_rng(9), 3, 4), embedded_sentence(8)
    sentence_case = "the running sentence, d_model = 8, 4 heads, d_ff = 16"
    return [
        ("post-LN: 3 words, d_model = 4, 2 heads, d_ff = 6", (p4, small, 2, "post")),
        ("pre-LN: 3 words, d_model = 4, 2 heads, d_ff = 6", (p4, small, 2, "pre")),
        (f"post-LN: {sentence_case}", (p8, sentence, 4, "post")),
        (f"pre-LN: {sentence_case}", (p8, sentence, 4, "pre")),
        ("pre-LN: a sentence of one word", (p4, small[:1], 2, "pre")),
        ("post-LN: float32", (as_float32(p8), sentence.astype(np.float32), 4, "post")),
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


def _second_sublayer(params, h, num_heads, norm, *, reads, adds):
    """The block with its FFN sub-layer reading ``reads`` and its residual adding ``adds``:
    "x" (the attention sub-layer's output, right) or "h" (the block's input, a mistake)."""
    mha, ln1, ln2, ffn = _parts(params, num_heads)
    x = h + mha(ln1(h)) if norm == "pre" else ln1(h + mha(h))
    inner, skip = (h if reads == "h" else x), (h if adds == "h" else x)
    return skip + ffn(ln2(inner)) if norm == "pre" else ln2(skip + ffn(inner))


def _block_ffn_of_h(params, h, num_heads, norm="post"):
    return _second_sublayer(params, h, num_heads, norm, reads="h", adds="x")


def _block_second_residual_h(params, h, num_heads, norm="post"):
    return _second_sublayer(params, h, num_heads, norm, reads="x", adds="h")


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
