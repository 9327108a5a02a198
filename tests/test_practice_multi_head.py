"""The checks of the multi-head attention blank (``gl.practice.multi_head``).

What every check is tested for runs on the functions marked below (tests/practice_helpers.py).
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, named_as, passes, refused
from practice_solutions import my_multi_head_attention

import gnnformer_lite as gl
from gnnformer_lite.practice import multi_head as practice

# --- right implementations, as a learner writes them --------------------------------------


def heads_one_at_a_time(params, h, num_heads, *, columns=None, scale=True):
    """One head at a time, on its ``columns(m, d_head)``: the block of d_head columns (right),
    or another slice (a mistake); ``scale=False`` forgets 1/sqrt(d_head) (a mistake)."""
    d_head = h.shape[1] // num_heads
    q, k, v = (h @ params[f"W_{x}"] + params.get(f"b_{x}", 0) for x in "QKV")
    outs, alphas = np.zeros_like(q), []
    for m in range(num_heads):
        cols = slice(m * d_head, (m + 1) * d_head) if columns is None else columns(m, num_heads)
        a = gl.softmax(q[:, cols] @ k[:, cols].T / (np.sqrt(d_head) if scale else 1.0))
        outs[:, cols] = a @ v[:, cols]  # the head's output back where its columns came from
        alphas.append(a)
    return outs @ params["W_O"] + params.get("b_O", 0), np.stack(alphas)


@passes(
    "multi_head_attention", "7 cases agree with gl.multi_head_attention(..., return_attention=True)"
)
def my_multi_head_attention_loop(params, h, num_heads):
    return heads_one_at_a_time(params, h, num_heads)


# --- wrong implementations written by hand (not the catalogue's code) ---------------------


@named_as("multi_head_attention", "heads split in the wrong order")
def mha_strided_loop(params, h, num_heads):
    """Head m on columns m, m + H, ...: a slice with a step instead of a block."""
    return heads_one_at_a_time(params, h, num_heads, columns=lambda m, H: slice(m, None, H))


@named_as("multi_head_attention", "1/sqrt(d_head) forgotten")
def mha_unscaled_loop(params, h, num_heads):
    return heads_one_at_a_time(params, h, num_heads, scale=False)


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "multi_head_attention",
    "it should return a tuple of 2 values, but returned an ndarray of shape (4, 6)",
)
def mha_without_alpha(params, h, num_heads):
    return my_multi_head_attention(params, h, num_heads)[0]


@refused("multi_head_attention", "in the returned value number 2, it returned None")
def mha_alpha_none(params, h, H):
    return (my_multi_head_attention(params, h, H)[0], None)


class TestChecks(CheckSuite):
    catalogues = {"multi_head_attention": practice.MHA_MISTAKES}
