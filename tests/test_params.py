"""``_params``: parameter trees (dicts and lists of arrays, plus settings) and how they are walked.

The models, Adam and ``gradient_check`` rely on these helpers; here are their
contracts on small hand-made trees: Glorot's bounds, the order of ``leaves``,
``tree_map`` keeping or dropping settings, the errors for trees that do not match,
and the stacking of caches and of forward and backward passes.
"""

from __future__ import annotations

import numpy as np
import pytest

from gnnformer_lite._params import (
    check_tree,
    glorot,
    is_setting,
    layer_norm_params,
    leaves,
    stack_backward,
    stack_forward,
    sub_caches,
    tree_map,
    tree_map_many,
)


def tree():
    """A model-shaped tree: named parts, a stack of two layers, and settings."""
    return {
        "out": {"W": np.ones((2, 2)), "b": np.zeros(2)},
        "layers": [{"W": np.full(3, 1.0), "norm": "pre"}, {"W": np.full(3, 2.0), "norm": None}],
        "num_heads": 2,
        "embed": np.arange(4.0),
    }


# --- initialisation -----------------------------------------------------------------------


def test_glorot_bounds_shape_dtype_and_seed():
    w = glorot(np.random.default_rng(0), 40, 60, np.float32)
    limit = np.sqrt(6 / (40 + 60))
    assert w.shape == (40, 60) and w.dtype == np.float32
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit  # fills U(-l, l)
    assert abs(w.mean()) < 0.02 and w.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)
    np.testing.assert_array_equal(w, glorot(np.random.default_rng(0), 40, 60, np.float32))
    assert glorot(np.random.default_rng(0), 4, 6, np.float64, shape=(2, 4, 3)).shape == (2, 4, 3)
    assert glorot(np.random.default_rng(0), 0, 0, np.float64).shape == (0, 0)  # no 0 / 0


def test_layer_norm_params_start_as_the_identity():
    p = layer_norm_params(3, np.float32)
    assert sorted(p) == ["beta", "gamma"]
    np.testing.assert_array_equal(p["gamma"], np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(p["beta"], np.zeros(3, dtype=np.float32))
    assert p["gamma"].dtype == p["beta"].dtype == np.float32


# --- caches and stacks ----------------------------------------------------------------------


def test_sub_caches_one_fresh_dict_per_part_or_none():
    c = sub_caches({}, "embed", "out", layers=2)
    assert c == {"embed": {}, "out": {}, "layers": [{}, {}]}
    assert c["embed"] is not c["out"] and c["layers"][0] is not c["layers"][1]
    assert sub_caches(None, "embed", layers=2) == {"embed": None, "layers": [None, None]}
    assert sub_caches({}, "out") == {"out": {}, "layers": []}


def test_stack_backward_runs_the_layers_last_first():
    """Three layers y = w x; the backward of layer k gets the gradient from layer k + 1."""
    weights, x = [2.0, 3.0, 5.0], 7.0
    caches = []
    for w in weights:
        caches.append({"w": w, "x": x})
        x = w * x
    order = []

    def layer_backward(cache, d_out):
        order.append(cache["w"])
        return {"w": d_out * cache["x"]}, d_out * cache["w"]

    d_layers, d_input = stack_backward(layer_backward, caches, 1.0)
    assert order == [5.0, 3.0, 2.0]
    assert d_input == 30.0  # d(2 * 3 * 5 * x) / dx
    assert [d["w"] for d in d_layers] == [7.0 * 15, 14.0 * 5, 42.0]  # in the stack's order
    assert stack_backward(layer_backward, [], 1.0) == ([], 1.0)


def test_stack_forward_runs_the_layers_in_order_and_gathers_their_weights():
    """Three layers y = w x; each gets the settings, its own cache and the previous output."""
    calls = []

    def layer(w, x, *, return_attention, cache, scale):
        assert return_attention is True
        calls.append((w, x, cache))
        return w * x * scale, f"weights of {w}"

    caches = [{}, {}, None]
    h, attention = stack_forward(layer, [2.0, 3.0, 5.0], 7.0, caches, scale=1.0)
    assert h == 210.0
    assert attention == ["weights of 2.0", "weights of 3.0", "weights of 5.0"]
    assert [(w, x) for w, x, _ in calls] == [(2.0, 7.0), (3.0, 14.0), (5.0, 42.0)]
    assert all(c is cache for (*_, c), cache in zip(calls, caches, strict=True))
    assert stack_forward(layer, [], 7.0, [], scale=1.0) == (7.0, [])
    with pytest.raises(ValueError):  # one cache per layer
        stack_forward(layer, [2.0], 7.0, [], scale=1.0)


# --- trees ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (2, True),
        (0.5, True),
        (True, True),
        ("pre", True),
        (None, True),
        (np.int64(2), True),
        (np.float32(1), True),
        (np.bool_(False), True),
        (np.ones(2), False),
        (np.array(1.0), False),  # a 0-d array is an array
        ([1], False),
        ({"a": 1}, False),
    ],
)
def test_is_setting(x, expected):
    assert is_setting(x) is expected


def test_leaves_sorted_keys_list_order_no_settings():
    t = tree()
    got = list(leaves(t))
    assert [path for path, _ in got] == ["embed", "layers/0/W", "layers/1/W", "out/W", "out/b"]
    assert got[1][1] is t["layers"][0]["W"]  # the arrays themselves, not copies
    assert list(leaves(np.ones(2)))[0][0] == ""  # a bare array has the empty path
    assert list(leaves({"num_heads": 2})) == []


def test_tree_map_keeps_settings_and_the_key_order():
    t = tree()
    doubled = tree_map(lambda a: 2 * a, t)
    assert list(doubled) == list(t)  # the original key order
    assert doubled["num_heads"] == 2 and doubled["layers"][1]["norm"] is None
    np.testing.assert_array_equal(doubled["layers"][1]["W"], [4.0, 4.0, 4.0])
    np.testing.assert_array_equal(t["layers"][1]["W"], [2.0, 2.0, 2.0])  # the input untouched
    assert isinstance(doubled["layers"], list)


def test_tree_map_drops_settings_and_zips_trees_without_them():
    t = tree()
    grads = tree_map(np.zeros_like, t, keep_settings=False)
    assert "num_heads" not in grads and "norm" not in grads["layers"][0]
    assert [p for p, _ in leaves(grads)] == [p for p, _ in leaves(t)]
    step = tree_map(lambda p, g: p - 0.5 * g, t, tree_map(np.ones_like, grads))  # two trees
    np.testing.assert_array_equal(step["embed"], np.arange(4.0) - 0.5)
    assert step["layers"][0]["norm"] == "pre"
    assert tree_map(lambda a, b: a + b, (np.ones(1),), [np.ones(1)])[0].tolist() == [2.0]


@pytest.mark.parametrize(
    ("other", "match"),
    [
        ({"a": np.ones(1)}, r"need the same keys: \['a', 'b'\] vs \['a'\]"),
        ({"a": np.ones(1), "b": np.ones(1), "c": np.ones(1)}, r"vs \['a', 'b', 'c'\]"),
        ([np.ones(1), np.ones(1)], r"need the same keys: \['a', 'b'\] vs list"),
    ],
)
def test_tree_map_refuses_dicts_that_do_not_match(other, match):
    params = {"a": np.ones(1), "b": np.ones(1), "num_heads": 2}
    with pytest.raises(ValueError, match=match):
        tree_map(lambda p, g: p - g, params, other)


@pytest.mark.parametrize(
    ("other", "match"),
    [
        ([np.ones(1)], r"need the same layers: 2 vs 1"),
        ({"0": np.ones(1), "1": np.ones(1)}, r"need the same layers: 2 vs dict"),
    ],
)
def test_tree_map_refuses_stacks_that_do_not_match(other, match):
    with pytest.raises(ValueError, match=match):
        tree_map(lambda p, g: p - g, [np.ones(1), np.ones(1)], other)


def test_check_tree_accepts_arrays_and_settings():
    for good in (tree(), np.ones(2), [], {"norm": None}):
        assert check_tree(good, "params") is None  # no complaint


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"out": {"W": object()}}, r"^params\['out'\]\['W'\] must be an np.ndarray, got object$"),
        ({"layers": [np.ones(1), object()]}, r"^params\['layers'\]\[1\] must be an np.ndarray"),
        ({"f": print}, r"params\['f'\] must be an np.ndarray, got builtin_function_or_method"),
        (3, r"^params must be an np.ndarray, got int$"),
    ],
)
def test_check_tree_names_the_leaf_that_is_not_an_array(bad, match):
    with pytest.raises(TypeError, match=match):
        check_tree(bad, "params")


def test_tree_map_many_walks_once_and_keeps_the_settings_in_its_first_tree():
    params = {"layers": [{"W": np.ones(2), "norm": "pre"}], "n": 3}
    grads = {"layers": [{"W": np.full(2, 2.0)}]}
    first, second = tree_map_many(lambda p, g: (p + g, p * g), params, grads)
    assert first["n"] == 3 and first["layers"][0]["norm"] == "pre"
    np.testing.assert_array_equal(first["layers"][0]["W"], [3.0, 3.0])
    assert second == {"layers": [{"W": second["layers"][0]["W"]}]}
    np.testing.assert_array_equal(second["layers"][0]["W"], [2.0, 2.0])


@pytest.mark.parametrize(
    ("grads", "match"),
    [({"layers": []}, "same layers: 1"), ({"other": []}, "same keys")],
)
def test_tree_map_many_refuses_trees_of_another_shape(grads, match):
    params = {"layers": [{"W": np.ones(2)}]}
    with pytest.raises(ValueError, match=match):
        tree_map_many(lambda p, g: (p, g), params, grads)
