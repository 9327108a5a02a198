"""The checks of the attention blanks (gnnformer_lite.practice.attention).

For every check: a right implementation written the way a learner would is accepted with
one ✔ line; every catalogued mistake, and mistakes written by hand in other ways, is
rejected with its diagnosis by name; an unwritten blank raises its own NotImplementedError;
a wrong return type or shape is one plain sentence.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import practice
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import attention as at

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


def my_gat_scores(params, h, graph):
    n = h.shape[0]
    H, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, params["a_src"])
    s_dst = np.einsum("nhd,hd->nh", z, params["a_dst"])
    x = s_src[graph.senders] + s_dst[graph.receivers]
    return np.where(x > 0, x, 0.2 * x)


def my_segment_softmax(logits, receivers, num_nodes):
    m = gl.segment_max(logits, receivers, num_nodes)
    ex = np.exp(logits - m[receivers])
    return ex / gl.segment_sum(ex, receivers, num_nodes)[receivers]


def my_gat_layer(params, h, graph, activation=None, concat=True):
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)
    e = my_gat_scores(params, h, graph)
    alpha = my_segment_softmax(e, graph.receivers, n)
    out = gl.segment_sum(alpha[:, :, None] * z[graph.senders], graph.receivers, n)
    out = out.reshape(n, num_heads * d_out) if concat else out.mean(axis=1)
    out = out + params["b"]
    return (out if activation is None else activation(out)), alpha


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def my_self_attention(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = softmax(q @ k.T / np.sqrt(k.shape[1]))
    return alpha @ v, alpha


def my_self_attention_loop(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    out, alpha = np.zeros((len(h), v.shape[1])), np.zeros((len(h), len(h)))
    for i in range(len(h)):
        s = np.array([q[i] @ k[j] for j in range(len(h))]) / np.sqrt(k.shape[1])
        a = np.exp(s - s.max())
        alpha[i] = a / a.sum()
        out[i] = alpha[i] @ v
    return out, alpha


def my_masked_attention(q, k, v, mask):
    qh, kh, vh = (x.transpose(1, 0, 2) for x in (q, k, v))  # heads first: (H, n, d)
    scores = qh @ kh.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    m = scores.max(axis=-1, keepdims=True)
    m[np.isinf(m)] = 0  # a row with nothing to attend to
    e = np.exp(scores - m)
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total == 0, 1, total)
    return (weights @ vh).transpose(1, 0, 2), weights


def my_masked_attention_einsum(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -np.inf
    weights = np.zeros_like(scores)
    seen = mask.any(axis=1)  # the queries with something to attend to
    s = scores[:, seen]
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    weights[:, seen] = e / e.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", weights, v), weights


RIGHT = [
    (at.check_gat_scores, my_gat_scores, "gat_scores: 4 cases agree with the scores inside"),
    (at.check_gat_layer, my_gat_layer, "gat_layer: 6 cases agree with gl.gat_layer(..."),
    (at.check_self_attention, my_self_attention, "self_attention: 4 cases agree with gl.self_"),
    (at.check_self_attention, my_self_attention_loop, "self_attention: 4 cases"),
    (
        at.check_masked_attention,
        my_masked_attention,
        "masked_attention: 5 cases agree with gl.scaled_dot_product_attention",
    ),
    (at.check_masked_attention, my_masked_attention_einsum, "masked_attention: 5 cases"),
]


@pytest.mark.parametrize(("check", "fn", "line"), RIGHT, ids=lambda x: getattr(x, "__name__", ""))
def test_a_right_implementation_passes_with_one_line(check, fn, line, capsys):
    start = time.perf_counter()
    check(fn)
    assert time.perf_counter() - start < 1.0  # fast: well under a second
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {line.removesuffix('...')}")
    assert out.count("\n") == 1


# --- every catalogued mistake is diagnosed by its name -----------------------------------------

CATALOGUES = [
    (at.check_gat_scores, at.GAT_SCORES_MISTAKES),
    (at.check_gat_layer, at.GAT_LAYER_MISTAKES),
    (at.check_self_attention, at.SELF_ATTENTION_MISTAKES),
    (at.check_masked_attention, at.MASKED_MISTAKES),
]
ENTRIES = [
    pytest.param(check, name, wrong, id=f"{check.__name__}-{k}")
    for check, catalogue in CATALOGUES
    for k, (name, _, wrong) in enumerate(catalogue)
]


def diagnosis(check, fn) -> str:
    with pytest.raises(PracticeError) as caught, np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            check(fn)
    return str(caught.value)


@pytest.mark.parametrize(("check", "name", "wrong"), ENTRIES)
def test_every_catalogued_mistake_is_named(check, name, wrong):
    message = diagnosis(check, wrong)
    assert f"Likely mistake: {name}." in message
    assert message.startswith(f"✘ {check.__name__.removeprefix('check_')}, case ")
    assert "input:" in message and "expected (" in message and "\ngot:" in message


@pytest.mark.parametrize(
    ("check", "catalogue"), CATALOGUES, ids=lambda x: getattr(x, "__name__", "")
)
def test_catalogues_have_at_least_four_entries_with_advice(check, catalogue):
    assert len(catalogue) >= 4
    names = [name for name, _, _ in catalogue]
    assert len(set(names)) == len(names)
    for name, why, wrong in catalogue:
        assert callable(wrong) and name and not name.endswith(".")
        assert 1 <= len(why.splitlines()) <= 3 and all(len(line) <= 96 for line in why.splitlines())


def test_softmax_over_senders_is_caught_by_the_gat_layer():
    names = [name for name, _, _ in at.GAT_LAYER_MISTAKES]
    assert names[0].startswith("the softmax over each sender's outgoing edges")


# --- mistakes written by hand, the way a learner makes them ------------------------------------


def scores_torch_slope(params, h, graph):
    n, (H, d) = len(h), params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d)
    x = (z[graph.senders] * params["a_src"]).sum(-1) + (z[graph.receivers] * params["a_dst"]).sum(
        -1
    )
    return np.maximum(x, 0.01 * x)


def scores_strided_heads(params, h, graph):
    H = params["a_src"].shape[0]
    hw = h @ params["W"]
    z = np.stack([hw[:, k::H] for k in range(H)], axis=1)  # head k: every H-th column
    x = (z[graph.senders] * params["a_src"]).sum(-1) + (z[graph.receivers] * params["a_dst"]).sum(
        -1
    )
    return gl.leaky_relu(x)


def scores_paper_halves_swapped(params, h, graph):
    n, (H, d) = len(h), params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d)
    pairs = np.concatenate([z[graph.senders], z[graph.receivers]], axis=-1)  # [z_j || z_i]
    a = np.concatenate([params["a_dst"], params["a_src"]], axis=-1)  # the paper's [a_dst || a_src]
    return gl.leaky_relu((pairs * a).sum(-1))


def gat_softmax_by_senders(params, h, graph, activation=None, concat=True):
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)
    alpha = gl.segment_softmax(my_gat_scores(params, h, graph), graph.senders, n)
    out = gl.propagate(graph, alpha[..., None] * z[graph.senders])
    out = out.reshape(n, -1) if concat else out.mean(axis=1)
    return (out + params["b"] if activation is None else activation(out + params["b"])), alpha


def gat_bias_last(params, h, graph, activation=None, concat=True):
    out, alpha = my_gat_layer({**params, "b": 0 * params["b"]}, h, graph, activation, concat)
    return out + params["b"], alpha


def gat_heads_added(params, h, graph, activation=None, concat=True):
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)
    alpha = my_segment_softmax(my_gat_scores(params, h, graph), graph.receivers, n)
    out = gl.segment_sum(alpha[:, :, None] * z[graph.senders], graph.receivers, n)
    out = out.reshape(n, -1) if concat else sum(out[:, k] for k in range(num_heads))
    out = out + params["b"]
    return (out if activation is None else activation(out)), alpha


def attention_scaled_twice(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = gl.softmax(q @ k.T / np.sqrt(k.shape[1]) / np.sqrt(k.shape[1]))
    return alpha @ v, alpha


def attention_scaled_by_width_of_h(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = gl.softmax(q @ k.T / np.sqrt(h.shape[1]))
    return alpha @ v, alpha


def attention_columns(h, W_Q, W_K, W_V):
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    s = q @ k.T / np.sqrt(k.shape[1])
    alpha = np.exp(s - s.max(axis=0)) / np.exp(s - s.max(axis=0)).sum(axis=0)
    return alpha @ v, alpha


def masked_torch_polarity(q, k, v, mask):
    qh, kh, vh = (x.transpose(1, 0, 2) for x in (q, k, v))
    scores = qh @ kh.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    scores = np.where(mask, -np.inf, scores)  # PyTorch's attn_mask: True = blocked
    return my_masked_attention_from_scores(scores, vh)


def my_masked_attention_from_scores(scores, vh):
    m = scores.max(axis=-1, keepdims=True)
    m[np.isinf(m)] = 0
    e = np.exp(scores - m)
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total == 0, 1, total)
    return (weights @ vh).transpose(1, 0, 2), weights


def masked_large_negative(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -1e9  # the masked_fill habit
    weights = gl.softmax(scores)
    return np.einsum("hij,jhd->ihd", weights, v), weights


def masked_textbook_softmax(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    scores[:, ~mask] = -np.inf
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", weights, v), weights


def masked_zeroed_after(q, k, v, mask):
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(q.shape[-1])
    weights = gl.softmax(scores) * mask
    return np.einsum("hij,jhd->ihd", weights, v), weights


HAND_WRITTEN = [
    (at.check_gat_scores, scores_torch_slope, "negative slope 0.01"),
    (at.check_gat_scores, scores_strided_heads, "heads split in the wrong order"),
    (at.check_gat_scores, scores_paper_halves_swapped, "a_src and a_dst swapped"),
    (at.check_gat_layer, gat_softmax_by_senders, "the softmax over each sender's outgoing edges"),
    (at.check_gat_layer, gat_bias_last, "the bias added after the activation"),
    (at.check_gat_layer, gat_heads_added, "the heads summed instead of averaged"),
    (at.check_self_attention, attention_scaled_twice, "1/sqrt(d_k) applied twice"),
    (at.check_self_attention, attention_scaled_by_width_of_h, "scaled by sqrt(d), the width of h"),
    (at.check_self_attention, attention_columns, "the softmax over the queries (axis 0)"),
    (at.check_masked_attention, masked_torch_polarity, "mask polarity inverted"),
    (
        at.check_masked_attention,
        masked_large_negative,
        "blocked scores set to -1e9 instead of -inf",
    ),
    (
        at.check_masked_attention,
        masked_textbook_softmax,
        "a row with nothing to attend to gives NaN",
    ),
    (at.check_masked_attention, masked_zeroed_after, "the mask applied after the softmax"),
]


@pytest.mark.parametrize(
    ("check", "fn", "name"), HAND_WRITTEN, ids=lambda x: getattr(x, "__name__", "")
)
def test_hand_written_mistakes_are_diagnosed(check, fn, name):
    assert f"Likely mistake: {name}" in diagnosis(check, fn)


def test_the_message_shows_the_smallest_input_with_the_learners_names():
    message = diagnosis(at.check_gat_layer, gat_softmax_by_senders)
    first = message.splitlines()[0]
    assert first.startswith("✘ gat_layer, case 1 of 6 (notebook 03's star around 'sat'")
    assert "in the returned value number 1, the entries differ, first at entry [0, 0]" in first
    assert "    params =\n" in message and "    graph =\n" in message
    assert "Graph(num_nodes=4, num_edges=10): edges 0 -> 0, 1 -> 0, 2 -> 0, 3 -> 0" in message


def test_checks_are_deterministic():
    assert diagnosis(at.check_masked_attention, masked_large_negative) == diagnosis(
        at.check_masked_attention, masked_large_negative
    )


# --- blanks not written yet, wrong types and shapes ----------------------------------------------

CHECKS = [
    at.check_gat_scores,
    at.check_gat_layer,
    at.check_self_attention,
    at.check_masked_attention,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_an_unwritten_blank_raises_its_own_not_implemented_error(check):
    blank = "my_" + check.__name__.removeprefix("check_")
    message = f"{blank} is yours to write: fill in its body in the cell under 'X' (practice/x)"

    def stub(*args):
        raise NotImplementedError(message)

    with pytest.raises(NotImplementedError) as caught:
        check(stub)
    assert str(caught.value) == message


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_check_needs_the_function_itself(check):
    with pytest.raises(TypeError, match=r"takes your function itself"):
        check("my_function")


def plain_sentence(check, fn) -> str:
    message = diagnosis(check, fn)
    assert "Traceback" not in message and 'File "' not in message
    return message.splitlines()[0]


def test_only_h_instead_of_the_pair_is_one_sentence():
    first = plain_sentence(at.check_gat_layer, lambda *args: my_gat_layer(*args)[0])
    assert first.endswith(
        "it should return a tuple of 2 values, but returned an ndarray of shape (4, 2) and dtype "
        "float64"
    )


def test_a_wrong_shape_is_one_sentence():
    first = plain_sentence(at.check_gat_scores, lambda *args: my_gat_scores(*args)[:, 0])
    assert first.endswith("it returned shape (10,), expected (10, 1)")
    first = plain_sentence(
        at.check_self_attention, lambda *args: (my_self_attention(*args)[0], None)
    )
    assert first.endswith(
        "in the returned value number 2, it returned None: did you forget the `return`?"
    )


def test_a_list_instead_of_an_array_is_one_sentence():
    def as_lists(q, k, v, mask):
        out, weights = my_masked_attention(q, k, v, mask)
        return out.tolist(), weights

    first = plain_sentence(at.check_masked_attention, as_lists)
    assert first.endswith(
        "in the returned value number 1, it should return an array of shape (3, 1, 2), but "
        "returned a list of length 3"
    )


def test_an_error_inside_the_learners_code_is_one_sentence():
    def two_d_habit(q, k, v, mask):  # k.T of (n, H, d) is (d, H, n)
        weights = gl.softmax(np.where(mask, q @ k.T, -np.inf))
        return weights @ v, weights

    first = plain_sentence(at.check_masked_attention, two_d_habit)
    assert first.startswith("✘ masked_attention, case 1 of 5 (3 words, one head, the causal mask)")
    assert ": your function raised ValueError: matmul: " in first


def test_a_float32_gat_layer_must_stay_float32():
    def float64(*args):
        out, alpha = my_gat_layer(*args)
        return out.astype(np.float64), alpha.astype(np.float64)

    first = plain_sentence(at.check_gat_layer, float64)
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")


# --- the registry the practice notebooks read ----------------------------------------------------


def test_every_check_has_its_blank():
    checks = [name for name in at.__all__ if name.startswith("check_")]
    assert sorted(at.BLANKS) == sorted("my_" + c.removeprefix("check_") for c in checks)
    for name, blank in at.BLANKS.items():
        assert set(blank) == {"task", "equation"} and "\n" not in blank["task"]
        assert practice.BLANKS[name] is blank
        assert getattr(practice, "check_" + name.removeprefix("my_")) is getattr(
            at, "check_" + name.removeprefix("my_")
        )
