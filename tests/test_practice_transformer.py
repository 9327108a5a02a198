"""The checks of notebook 05's blanks: multi-head attention, LayerNorm, the FFN, the block.

Each check accepts a right implementation written the way a learner would (not calling the
package), rejects every mistake of its catalogue with that mistake's name, names the mistake
of hand-written wrong versions too, re-raises a blank's NotImplementedError unchanged, and
says a wrong return type or shape in one plain sentence.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import transformer as practice

# --- right implementations, as a learner writes them --------------------------------------


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


def my_multi_head_attention_loop(params, h, num_heads):
    """One head at a time, on its slice of columns."""
    d_head = h.shape[1] // num_heads
    q = h @ params["W_Q"] + params.get("b_Q", 0)
    k = h @ params["W_K"] + params.get("b_K", 0)
    v = h @ params["W_V"] + params.get("b_V", 0)
    outs, alphas = [], []
    for m in range(num_heads):
        cols = slice(m * d_head, (m + 1) * d_head)
        a = gl.softmax(q[:, cols] @ k[:, cols].T / np.sqrt(d_head))
        outs.append(a @ v[:, cols])
        alphas.append(a)
    return np.concatenate(outs, axis=1) @ params["W_O"] + params.get("b_O", 0), np.stack(alphas)


def my_layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def my_feed_forward(params, x):
    return np.maximum(0, x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def my_transformer_block(params, h, num_heads, norm="post"):
    def mha(x):
        return my_multi_head_attention(params["attn"], x, num_heads)[0]

    def ln(part, x):
        return my_layer_norm(x, params[part]["gamma"], params[part]["beta"])

    if norm == "pre":
        x = h + mha(ln("ln1", h))
        return x + my_feed_forward(params["ffn"], ln("ln2", x))
    x = ln("ln1", h + mha(h))
    return ln("ln2", x + my_feed_forward(params["ffn"], x))


CHECKS = {
    "multi_head_attention": (practice.check_multi_head_attention, practice.MHA_MISTAKES),
    "layer_norm": (practice.check_layer_norm, practice.LN_MISTAKES),
    "feed_forward": (practice.check_feed_forward, practice.FFN_MISTAKES),
    "transformer_block": (practice.check_transformer_block, practice.BLOCK_MISTAKES),
}
RIGHT = [
    ("multi_head_attention", my_multi_head_attention),
    ("multi_head_attention", my_multi_head_attention_loop),
    ("layer_norm", my_layer_norm),
    ("feed_forward", my_feed_forward),
    ("transformer_block", my_transformer_block),
]


@pytest.mark.parametrize(("name", "fn"), RIGHT, ids=[f.__name__ for _, f in RIGHT])
def test_a_right_implementation_passes_with_one_line(name, fn, capsys):
    check, _ = CHECKS[name]
    start = time.perf_counter()
    check(fn)
    assert time.perf_counter() - start < 1.0
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {name}: ") and "cases agree with gl." in out
    assert out.count("\n") == 1


CATALOGUE = [(name, mistake) for name, (_, mistakes) in CHECKS.items() for mistake in mistakes]


@pytest.mark.parametrize(
    ("name", "mistake"), CATALOGUE, ids=[f"{n}: {m[0][:40]}" for n, m in CATALOGUE]
)
def test_every_catalogued_mistake_is_named(name, mistake):
    check, _ = CHECKS[name]
    mistake_name, _, wrong = mistake
    with np.errstate(all="ignore"), pytest.raises(PracticeError) as err:
        check(wrong)
    message = str(err.value)
    assert f"Likely mistake: {mistake_name}." in message
    assert message.startswith(f"✘ {name}, case ")
    assert "input:" in message and "expected (" in message and "got:" in message


def test_every_catalogue_has_at_least_four_entries_with_distinct_names():
    for _, mistakes in CHECKS.values():
        names = [name for name, _, _ in mistakes]
        assert len(names) >= 4 and len(set(names)) == len(names)


# --- wrong implementations written by hand (not the catalogue's code) ---------------------


def mha_strided_loop(params, h, num_heads):
    """Head m on columns m, m + H, ...: a slice with a step instead of a block."""
    q = h @ params["W_Q"] + params["b_Q"]
    k = h @ params["W_K"] + params["b_K"]
    v = h @ params["W_V"] + params["b_V"]
    d_head = h.shape[1] // num_heads
    outs, alphas = [], []
    for m in range(num_heads):
        a = gl.softmax(q[:, m::num_heads] @ k[:, m::num_heads].T / np.sqrt(d_head))
        outs.append(a @ v[:, m::num_heads])
        alphas.append(a)
    out = np.stack(outs, axis=2).reshape(h.shape)  # put the columns back where they came from
    return out @ params["W_O"] + params["b_O"], np.stack(alphas)


def mha_unscaled_loop(params, h, num_heads):
    d_head = h.shape[1] // num_heads
    q, k, v = (h @ params[f"W_{x}"] + params[f"b_{x}"] for x in "QKV")
    outs, alphas = [], []
    for m in range(num_heads):
        cols = slice(m * d_head, (m + 1) * d_head)
        a = gl.softmax(q[:, cols] @ k[:, cols].T)
        outs.append(a @ v[:, cols])
        alphas.append(a)
    return np.hstack(outs) @ params["W_O"] + params["b_O"], np.array(alphas)


def ln_std_ddof1(x, gamma, beta, eps=1e-5):
    centred = x - np.mean(x, axis=-1, keepdims=True)
    return gamma * centred / np.sqrt(np.var(x, axis=-1, ddof=1, keepdims=True) + eps) + beta


def ln_per_feature(x, gamma, beta, eps=1e-5):
    z = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return gamma * z + beta


def ffn_clip_no_b2(params, x):
    hidden = (x @ params["W1"] + params["b1"]).clip(min=0)
    return hidden @ params["W2"]


def ffn_linear(params, x):
    z = x @ params["W1"] + params["b1"]
    return z @ params["W2"] + params["b2"]


def block_branches_swapped(params, h, num_heads, norm="post"):
    mha = lambda x: gl.multi_head_attention(params["attn"], x, num_heads=num_heads)  # noqa: E731
    ln1 = lambda x: gl.layer_norm(x, **params["ln1"])  # noqa: E731
    ln2 = lambda x: gl.layer_norm(x, **params["ln2"])  # noqa: E731
    ffn = lambda x: gl.feed_forward(params["ffn"], x)  # noqa: E731
    if norm == "post":  # the two branches the wrong way round
        x = h + mha(ln1(h))
        return x + ffn(ln2(x))
    x = ln1(h + mha(h))
    return ln2(x + ffn(x))


def block_pre_from_normed(params, h, num_heads, norm="post"):
    def ln(part, x):
        return my_layer_norm(x, params[part]["gamma"], params[part]["beta"])

    if norm == "post":
        x = ln("ln1", h + my_multi_head_attention(params["attn"], h, num_heads)[0])
        return ln("ln2", x + my_feed_forward(params["ffn"], x))
    h = ln("ln1", h)  # the residual now starts from LN1(h)
    x = h + my_multi_head_attention(params["attn"], h, num_heads)[0]
    x = ln("ln2", x)
    return x + my_feed_forward(params["ffn"], x)


HAND_WRITTEN = [
    ("multi_head_attention", mha_strided_loop, "heads split in the wrong order"),
    ("multi_head_attention", mha_unscaled_loop, "1/sqrt(d_head) forgotten"),
    ("layer_norm", ln_std_ddof1, "LayerNorm with the unbiased variance"),
    ("layer_norm", ln_per_feature, "normalised over the words (axis 0)"),
    ("feed_forward", ffn_clip_no_b2, "b2 left out"),
    ("feed_forward", ffn_linear, "the ReLU left out"),
    ("transformer_block", block_branches_swapped, 'pre-LN written for norm="post"'),
    ("transformer_block", block_pre_from_normed, "pre-LN with the residual taken from LN(h)"),
]


@pytest.mark.parametrize(
    ("name", "fn", "diagnosis"), HAND_WRITTEN, ids=[f.__name__ for _, f, _ in HAND_WRITTEN]
)
def test_a_hand_written_mistake_is_named(name, fn, diagnosis):
    check, _ = CHECKS[name]
    with pytest.raises(PracticeError, match="Likely mistake: ") as err:
        check(fn)
    assert f"Likely mistake: {diagnosis}" in str(err.value)


# --- blanks, wrong types and shapes, no diagnosis -----------------------------------------


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_blank_raises_its_own_not_implemented_error(name):
    message = (
        f"my_{name} is yours to write: fill in its body in the cell under 'x' "
        "(practice/05_the_transformer_block.ipynb), run that cell, then the check below it"
    )

    def blank(*args):
        raise NotImplementedError(message)

    with pytest.raises(NotImplementedError) as err:
        CHECKS[name][0](blank)
    assert str(err.value) == message


WRONG_TYPES = [
    (
        "multi_head_attention",
        lambda params, h, num_heads: my_multi_head_attention(params, h, num_heads)[0],
        "it should return a tuple of 2 values, but returned an ndarray of shape (4, 6)",
    ),
    (
        "multi_head_attention",
        lambda params, h, H: (my_multi_head_attention(params, h, H)[0], None),
        "in the returned value number 2, it returned None",
    ),
    (
        "layer_norm",
        lambda x, gamma, beta, eps=1e-5: my_layer_norm(x, gamma, beta, eps).tolist(),
        "it should return an array of shape (4,), but returned a list of length 4",
    ),
    (
        "layer_norm",
        lambda x, gamma, beta, eps=1e-5: my_layer_norm(x, gamma, beta, eps).astype(np.float64),
        "it returned dtype float64 for float32 input: keep the input's dtype",
    ),
    (
        "feed_forward",
        lambda params, x: my_feed_forward(params, np.atleast_2d(x)),
        "it returned shape (1, 2), expected (2,)",
    ),
    (
        "transformer_block",
        lambda params, h, num_heads, norm="post": (my_transformer_block(params, h, num_heads), 0),
        "it should return an array of shape (3, 4), but returned a tuple of length 2",
    ),
]


@pytest.mark.parametrize(("name", "fn", "sentence"), WRONG_TYPES)
def test_a_wrong_type_or_shape_is_one_plain_sentence(name, fn, sentence):
    with pytest.raises(PracticeError) as err:
        CHECKS[name][0](fn)
    first = str(err.value).splitlines()[0]
    assert sentence in first
    assert "Traceback" not in str(err.value)


def test_no_catalogued_mistake_says_so_and_shows_the_first_difference():
    with pytest.raises(PracticeError) as err:
        practice.check_layer_norm(
            lambda x, gamma, beta, eps=1e-5: 2 * my_layer_norm(x, gamma, beta)
        )
    message = str(err.value)
    assert "first at entry [0]" in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message


def test_a_check_takes_the_function_itself():
    with pytest.raises(TypeError, match=r"check_layer_norm\(my_layer_norm\)"):
        practice.check_layer_norm(my_layer_norm(np.ones(2), np.ones(2), np.zeros(2)))


def test_the_blanks_are_registered():
    assert sorted(practice.BLANKS) == sorted(f"my_{name}" for name in CHECKS)
    assert sorted(practice.__all__) == sorted(f"check_{name}" for name in CHECKS)
    for blank in practice.BLANKS.values():
        assert blank["task"] and blank["equation"] and "\n" not in blank["equation"]
    assert all(name in gl.practice.BLANKS for name in practice.BLANKS)
