"""The checks of the Transformer block blank (``gl.practice.transformer``), post-LN and pre-LN.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py).
"""

from __future__ import annotations

from practice_helpers import CheckSuite, named_as, passes, refused
from practice_solutions import my_feed_forward, my_layer_norm, my_multi_head_attention

from gnnformer_lite.practice import transformer as practice

# --- right implementations, as a learner writes them, and mistakes written by hand ---------


def block(params, h, num_heads, norm="post", *, pre_from_normed=False, swapped=False):
    """One Transformer layer from the learner's own parts; ``pre_from_normed=True`` starts
    pre-LN's residuals from LN1(h) and LN2(x), ``swapped=True`` writes each branch for the
    other norm: two mistakes."""

    def mha(x):
        return my_multi_head_attention(params["attn"], x, num_heads)[0]

    def ln(part, x):
        return my_layer_norm(x, params[part]["gamma"], params[part]["beta"])

    if (norm == "pre") != swapped:
        x = (ln("ln1", h) if pre_from_normed else h) + mha(ln("ln1", h))
        skip = ln("ln2", x) if pre_from_normed else x
        return skip + my_feed_forward(params["ffn"], ln("ln2", x))
    x = ln("ln1", h + mha(h))
    return ln("ln2", x + my_feed_forward(params["ffn"], x))


@passes("transformer_block", '6 cases agree with gl.transformer_layer({**params, "norm": norm}, h)')
def my_transformer_block(params, h, num_heads, norm="post"):
    return block(params, h, num_heads, norm)


@named_as("transformer_block", 'pre-LN written for norm="post"')
def block_branches_swapped(params, h, num_heads, norm="post"):
    return block(params, h, num_heads, norm, swapped=True)


@named_as("transformer_block", "pre-LN with the residual taken from LN(h)")
def block_pre_from_normed(params, h, num_heads, norm="post"):
    return block(params, h, num_heads, norm, pre_from_normed=True)


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "transformer_block",
    "it should return an array of shape (3, 4), but returned a tuple of length 2",
)
def block_and_a_zero(params, h, num_heads, norm="post"):
    return (my_transformer_block(params, h, num_heads, norm), 0)


class TestChecks(CheckSuite):
    catalogues = {"transformer_block": practice.BLOCK_MISTAKES}
