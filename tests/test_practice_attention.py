"""The checks of the dense attention blanks (``gl.practice.attention``): self-attention and
masked attention.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import attention as practice
from gnnformer_lite.practice.attention import MASKED_MISTAKES, SELF_ATTENTION_MISTAKES

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@passes("self_attention", "4 cases agree with gl.self_attention")
def my_self_attention(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = softmax(q @ k.T / np.sqrt(k.shape[1]))
    return alpha @ v, alpha


@passes("self_attention", "4 cases agree with gl.self_attention")
def my_self_attention_loop(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    out, alpha = np.zeros((len(h), v.shape[1])), np.zeros((len(h), len(h)))
    for i in range(len(h)):
        s = np.array([q[i] @ k[j] for j in range(len(h))]) / np.sqrt(k.shape[1])
        a = np.exp(s - s.max())
        alpha[i] = a / a.sum()
        out[i] = alpha[i] @ v
    return out, alpha


def masked_softmax(scores):
    """A softmax over the last axis in which a row of -inf only gets weights 0."""
    m = scores.max(axis=-1, keepdims=True)
    m[np.isinf(m)] = 0  # a row with nothing to attend to
    e = np.exp(scores - m)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total == 0, 1, total)


@passes("masked_attention", "5 cases agree with gl.scaled_dot_product_attention")
def my_masked_attention(q, k, v, mask, *, blocked=False):
    """``blocked=True`` reads the mask as PyTorch does (True = blocked): a mistake."""
    qh, kh, vh = (x.transpose(1, 0, 2) for x in (q, k, v))  # heads first: (H, n, d)
    scores = qh @ kh.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    scores = np.where(~mask if blocked else mask, scores, -np.inf)
    weights = masked_softmax(scores)
    return (weights @ vh).transpose(1, 0, 2), weights


@passes("masked_attention", "5 cases agree with gl.scaled_dot_product_attention")
def my_masked_attention_einsum(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -np.inf
    weights = np.zeros_like(scores)
    seen = mask.any(axis=1)  # the queries with something to attend to
    s = scores[:, seen]
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    weights[:, seen] = e / e.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", weights, v), weights


# --- mistakes written by hand, the way a learner makes them ------------------------------------


@named_as("self_attention", "1/sqrt(d_k) applied twice")
def attention_scaled_twice(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = gl.softmax(q @ k.T / np.sqrt(k.shape[1]) / np.sqrt(k.shape[1]))
    return alpha @ v, alpha


@named_as("self_attention", "scaled by sqrt(d), the width of h")
def attention_scaled_by_width_of_h(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = gl.softmax(q @ k.T / np.sqrt(h.shape[1]))
    return alpha @ v, alpha


@named_as("self_attention", "the softmax over the queries (axis 0)")
def attention_columns(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    s = q @ k.T / np.sqrt(k.shape[1])
    alpha = np.exp(s - s.max(axis=0)) / np.exp(s - s.max(axis=0)).sum(axis=0)
    return alpha @ v, alpha


@named_as("masked_attention", "mask polarity inverted")
def masked_torch_polarity(q, k, v, mask):
    return my_masked_attention(q, k, v, mask, blocked=True)


@named_as("masked_attention", "blocked scores set to -1e9 instead of -inf")
def masked_large_negative(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -1e9  # the masked_fill habit
    weights = gl.softmax(scores)
    return np.einsum("hij,jhd->ihd", weights, v), weights


@named_as("masked_attention", "a row with nothing to attend to gives NaN")
def masked_textbook_softmax(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -np.inf
    weights = softmax(scores)
    return np.einsum("hij,jhd->ihd", weights, v), weights


@named_as("masked_attention", "the mask applied after the softmax")
def masked_zeroed_after(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    weights = gl.softmax(scores) * mask
    return np.einsum("hij,jhd->ihd", weights, v), weights


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "masked_attention",
    "in the returned value number 1, it should return an array of shape (3, 1, 2), but "
    "returned a list of length 3",
)
def masked_as_lists(q, k, v, mask):
    out, weights = my_masked_attention(q, k, v, mask)
    return out.tolist(), weights


def masked_two_d_habit(q, k, v, mask):  # k.T of (n, H, d) is (d, H, n)
    weights = gl.softmax(np.where(mask, q @ k.T, -np.inf))
    return weights @ v, weights


@refused(
    "self_attention",
    "in the returned value number 2, it returned None: did you forget the `return`?",
)
def self_attention_without_alpha(*args):
    return (my_self_attention(*args)[0], None)


class TestChecks(CheckSuite):
    catalogues = {"self_attention": SELF_ATTENTION_MISTAKES, "masked_attention": MASKED_MISTAKES}


def test_an_error_inside_the_learners_code_is_one_sentence():
    first = first_line(practice.check_masked_attention, masked_two_d_habit)
    assert first.startswith("✘ masked_attention, case 1 of 5 (3 words, one head, the causal mask)")
    assert ": your function raised ValueError: matmul: " in first


def test_the_masked_attention_message_shows_the_mask():
    message = rejection(practice.check_masked_attention, masked_torch_polarity)
    assert "    mask =\n        [[ True False False]" in message
