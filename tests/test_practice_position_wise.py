"""The checks of the position-wise blanks (``gl.practice.position_wise``): LayerNorm and the
feed-forward net.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, refused, rejection
from practice_solutions import my_feed_forward, my_layer_norm

from gnnformer_lite.practice import position_wise as practice

# --- wrong implementations written by hand (not the catalogue's code) ---------------------


@named_as("layer_norm", "LayerNorm with the unbiased variance")
def ln_std_ddof1(x, gamma, beta, eps=1e-5):
    centred = x - np.mean(x, axis=-1, keepdims=True)
    return gamma * centred / np.sqrt(np.var(x, axis=-1, ddof=1, keepdims=True) + eps) + beta


@named_as("layer_norm", "normalised over the words (axis 0)")
def ln_per_feature(x, gamma, beta, eps=1e-5):
    z = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return gamma * z + beta


@named_as("feed_forward", "b2 left out")
def ffn_clip_no_b2(params, x):
    hidden = (x @ params["W1"] + params["b1"]).clip(min=0)
    return hidden @ params["W2"]


@named_as("feed_forward", "the ReLU left out")
def ffn_linear(params, x):
    z = x @ params["W1"] + params["b1"]
    return z @ params["W2"] + params["b2"]


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("layer_norm", "it should return an array of shape (4,), but returned a list of length 4")
def layer_norm_as_a_list(x, gamma, beta, eps=1e-05):
    return my_layer_norm(x, gamma, beta, eps).tolist()


@refused("feed_forward", "it returned shape (1, 2), expected (2,)")
def feed_forward_of_a_row(params, x):
    return my_feed_forward(params, np.atleast_2d(x))


class TestChecks(CheckSuite):
    catalogues = {"layer_norm": practice.LN_MISTAKES, "feed_forward": practice.FFN_MISTAKES}


def test_a_float32_layer_norm_must_stay_float32():
    def float64(x, gamma, beta, eps=1e-5):
        return my_layer_norm(x, gamma, beta, eps).astype(np.float64)

    first = first_line(practice.check_layer_norm, float64)
    assert "case 7 of 7 (float32 x, gamma and beta)" in first
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")


def test_no_catalogued_mistake_says_so_and_shows_the_first_difference():
    message = rejection(
        practice.check_layer_norm,
        lambda x, gamma, beta, eps=1e-5: 2 * my_layer_norm(x, gamma, beta),
    )
    assert "first at entry [0]" in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message
