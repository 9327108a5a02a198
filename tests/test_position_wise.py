"""position_wise: LayerNorm and the feed-forward net, the sub-layers that act on each word alone.

- the forwards against plain-loop references (``conftest.ref_layer_norm``, ``ref_ffn``)
  and their formulas: every row normalised, a constant row gives ``beta``;
- each word on its own: a row's output is that of the row alone, for any leading axes
  (a sentence, a padded batch), so permuting the words permutes the outputs;
- the backwards against central finite differences, for ``(n, d)`` and ``(B, n, d)``;
- dtypes, zero words, and bad inputs: a ``ValueError`` / ``TypeError`` naming the argument.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    call_without_mutation,
    check_backward,
    features,
    randomize_params,
    ref_ffn,
    ref_layer_norm,
    refusal_test,
    strict_numerics,
    with_nan,
)
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl

seeds = st.integers(0, 2**32 - 1)


def ffn_params(seed, d_model, d_ff, dtype=np.float64):
    """The feed-forward net of ``init_transformer_layer``, its biases made random."""
    rng = np.random.default_rng(seed)
    ffn = gl.init_transformer_layer(rng, d_model, 1, d_ff, dtype=dtype)["ffn"]
    return randomize_params(ffn, rng)


def ln_params(seed, d, dtype=np.float64):
    """A random ``gamma`` and ``beta`` (not 1 and 0: a term left out shows)."""
    rng = np.random.default_rng(seed)
    return {"gamma": rng.normal(size=d).astype(dtype), "beta": rng.normal(size=d).astype(dtype)}


SUB_LAYERS = {  # x (..., 4) -> (..., 4), with the params of a given dtype
    "layer_norm": lambda x, dtype: gl.layer_norm(x, *ln_params(1, 4, dtype).values()),
    "feed_forward": lambda x, dtype: gl.feed_forward(ffn_params(1, 4, 6, dtype), x),
}


# --- the forwards ----------------------------------------------------------------------------


@given(shape=st.sampled_from([(1,), (3,), (4, 5), (2, 3, 4), (0, 3)]), seed=seeds)
def test_layer_norm_matches_loop(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 5 + 3
    gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
    out = call_without_mutation(gl.layer_norm, x, gamma, beta)
    np.testing.assert_allclose(out, ref_layer_norm(x, gamma, beta), rtol=1e-10, atol=1e-12)
    out_eps = gl.layer_norm(x, gamma, beta, eps=0.5)
    np.testing.assert_allclose(out_eps, ref_layer_norm(x, gamma, beta, eps=0.5), atol=1e-12)


def test_layer_norm_normalises_each_row():
    x = np.random.default_rng(0).normal(size=(4, 6)) * 10 + 5
    out = gl.layer_norm(x, np.ones(6), np.zeros(6), eps=0.0)
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(-1), 1, atol=1e-12)
    const = gl.layer_norm(np.full((2, 3), 7.0, dtype=np.float32), np.ones(3), np.full(3, 2.0))
    assert const.dtype == np.float32
    np.testing.assert_array_equal(const, 2.0)  # zero variance: eps keeps it finite


@given(shape=st.sampled_from([(3,), (4, 3), (2, 2, 3), (0, 3)]), seed=seeds)
def test_feed_forward_matches_loop(shape, seed):
    rng = np.random.default_rng(seed)
    params = ffn_params(seed, 3, 5)
    x = rng.normal(size=shape)
    out = call_without_mutation(gl.feed_forward, params, x)
    assert out.shape == shape
    expected = np.zeros(shape)
    for idx in np.ndindex(shape[:-1]):
        hidden = [max(0.0, float(x[idx] @ params["W1"][:, f]) + params["b1"][f]) for f in range(5)]
        expected[idx] = np.array(hidden) @ params["W2"] + params["b2"]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, ref_ffn(params, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sub_layer", sorted(SUB_LAYERS))
def test_each_word_on_its_own(sub_layer):
    """Row (b, i) of the output is the sub-layer of word (b, i) alone: no word mixes in."""
    fn = SUB_LAYERS[sub_layer]
    x = np.random.default_rng(2).normal(size=(2, 5, 4))
    out = fn(x, np.float64)
    for idx in np.ndindex(2, 5):
        np.testing.assert_allclose(fn(x[idx], np.float64), out[idx], rtol=1e-14, atol=1e-14)
    perm = np.array([3, 0, 4, 1, 2])
    np.testing.assert_allclose(fn(x[:, perm], np.float64), out[:, perm], rtol=1e-14, atol=1e-14)


# --- the backwards ---------------------------------------------------------------------------


def test_layer_norm_backward():
    def forward(p, x, cache):
        return gl.layer_norm(x, p["gamma"], p["beta"], cache=cache)

    params = ln_params(15, 4)
    check_backward(forward, gl.layer_norm_backward, params, features(16, 6, 4))
    x = np.random.default_rng(15).normal(size=(2, 3, 4))
    check_backward(forward, gl.layer_norm_backward, params, x)
    check_backward(  # another eps
        lambda p, x, c: gl.layer_norm(x, p["gamma"], p["beta"], eps=0.3, cache=c),
        gl.layer_norm_backward,
        params,
        features(17, 3, 4) * 0.1,
    )


def test_feed_forward_backward():
    def forward(p, x, cache):
        return gl.feed_forward(p, x, cache=cache)

    params = ffn_params(17, 4, 8)
    check_backward(forward, gl.feed_forward_backward, params, features(18, 6, 4))
    x = np.random.default_rng(17).normal(size=(2, 3, 4))
    check_backward(forward, gl.feed_forward_backward, params, x)


def test_backward_refuses_a_wrong_cache_or_gradient():
    x = features(23, 6, 4)
    ln_cache, ffn_cache = {}, {}
    gl.layer_norm(x, np.ones(4), np.zeros(4), cache=ln_cache)
    gl.feed_forward(ffn_params(23, 4, 8), x, cache=ffn_cache)
    with pytest.raises(ValueError, match="cache must be the dict filled in by layer_norm"):
        gl.layer_norm_backward(None, np.zeros(3))
    with pytest.raises(ValueError, match=r"the output of layer_norm had shape \(6, 4\)"):
        gl.layer_norm_backward(ln_cache, np.zeros((4, 6)))
    with pytest.raises(ValueError, match="cache must be the dict filled in by feed_forward"):
        gl.feed_forward_backward(ln_cache, np.zeros((6, 4)))
    with pytest.raises(ValueError, match=r"the output of feed_forward had shape \(6, 4\)"):
        gl.feed_forward_backward(ffn_cache, np.zeros((6, 8)))


# --- dtypes and zero words ---------------------------------------------------------------------


@pytest.mark.parametrize("sub_layer", sorted(SUB_LAYERS))
@pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
def test_float32_in_float32_out(sub_layer, params_dtype):
    fn = SUB_LAYERS[sub_layer]
    x32 = features(0, 5, 4, np.float32)
    out32 = call_without_mutation(fn, x32, params_dtype)
    assert out32.dtype == np.float32
    out64 = fn(x32.astype(np.float64), params_dtype)
    assert out64.dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("sub_layer", sorted(SUB_LAYERS))
def test_integer_features_compute_in_float64(sub_layer):
    out = SUB_LAYERS[sub_layer](np.arange(12).reshape(3, 4), np.float64)
    assert out.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sub_layer", sorted(SUB_LAYERS))
def test_zero_words(sub_layer, dtype):
    with strict_numerics():
        out = SUB_LAYERS[sub_layer](np.zeros((0, 4), dtype=dtype), np.float64)
        assert out.shape == (0, 4) and out.dtype == dtype
        out = SUB_LAYERS[sub_layer](np.zeros((2, 0, 4), dtype=dtype), np.float64)
        assert out.shape == (2, 0, 4)


# --- bad inputs ------------------------------------------------------------------------------


H4 = np.random.default_rng(0).normal(size=(4, 6))  # 4 words, d = 6
FFN = ffn_params(4, 6, 12)
LN = gl.init_transformer_layer(np.random.default_rng(4), 6, 2, 12)["ln1"]

# (id, callable, exception, message fragment)
BAD = [
    (
        "feed_forward_arguments_swapped",
        lambda: gl.feed_forward(H4, {"W1": 1}),
        TypeError,
        r"params must be a dict of arrays \(W1, b1, W2, b2\), got ndarray.*"
        r"feed_forward\(params, x\)",
    ),
    (
        "layer_norm_given_params",
        lambda: gl.layer_norm(LN, np.ones(6), np.zeros(6)),
        TypeError,
        r"x must be a real-valued array, got dtype object; it looks like a params dict",
    ),
    (
        "layer_norm_nan",
        lambda: gl.layer_norm(with_nan(H4), np.ones(6), np.zeros(6)),
        ValueError,
        "x contains NaN/inf",
    ),
    (
        "layer_norm_scalar",
        lambda: gl.layer_norm(1.0, np.ones(1), np.zeros(1)),
        ValueError,
        r"x must have at least one axis \(\.\.\., d\)",
    ),
    (
        "layer_norm_beta_shape",
        lambda: gl.layer_norm(H4, np.ones(6), np.zeros((1, 6))),
        ValueError,
        r"beta has shape \(1, 6\) but x has d=6; expected \(6,\)",
    ),
    (
        "layer_norm_gamma_text",
        lambda: gl.layer_norm(H4, np.array(["a"] * 6), np.zeros(6)),
        TypeError,
        r"gamma must be a real-valued array",
    ),
    (
        "feed_forward_scalar",
        lambda: gl.feed_forward(FFN, 1.0),
        ValueError,
        r"x must have at least one axis \(\.\.\., d_model\)",
    ),
    (
        "feed_forward_missing_W2",
        lambda: gl.feed_forward({k: v for k, v in FFN.items() if k != "W2"}, H4),
        ValueError,
        r"params is missing key 'W2'",
    ),
    (
        "feed_forward_b1_shape",
        lambda: gl.feed_forward(FFN | {"b1": np.zeros(6)}, H4),
        ValueError,
        r"b1 has shape \(6,\) but x has d_model=6 \(and W1 has d_ff=12\), so b1 must be \(12,\)",
    ),
    (
        "feed_forward_x_width",
        lambda: gl.feed_forward(FFN, H4[:, :5]),
        ValueError,
        r"W1 has shape \(6, 12\) but x has d_model=5",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
