"""learning and optimisation: the model's two ends, loss, gradient check, Adam, schedule, loop.

- each forward against its formula, each backward against central differences;
- the settings ``init_*`` records in a params tree (``num_heads``, ``norm``, ...) are
  skipped by ``gradient_check`` (its errors have none), ``init_adam`` and ``adam_update``
  (they survive an update unchanged) and ``train``;
- ``train`` is seeded and deterministic, and prints a few rounded lines (a few dozen
  steps on tiny problems: the course's training targets live in ``tests/course``);
- bad inputs: a ``ValueError`` / ``TypeError`` naming the argument and its shape.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from conftest import TOL, call_without_mutation, flat, refusal_test

import gnnformer_lite as gl
from gnnformer_lite import optimisation
from gnnformer_lite._params import tree_map


def model_params(seed=0):
    """A params tree with settings at three depths: a list of layers, dicts, the top."""
    rng = np.random.default_rng(seed)
    return {
        "embed": rng.normal(size=(5, 4)),
        "layers": [
            gl.init_transformer_layer(rng, 4, 2, 6, norm="pre"),
            gl.init_transformer_layer(rng, 4, 2, 6, norm=None),
        ],
        "out": gl.init_linear(rng, 4, 2),
        "positions": True,
    }


SETTINGS = [
    ("/layers/0/attn/num_heads", 2),
    ("/layers/0/norm", "pre"),
    ("/layers/1/attn/num_heads", 2),
    ("/layers/1/norm", None),
    ("/positions", True),
]


def settings_of(tree):
    return [(path, leaf) for path, leaf in flat(tree) if not isinstance(leaf, np.ndarray)]


# --- embedding, readout, linear ------------------------------------------------------------


def test_embed_looks_up_rows_and_scatters_gradients_back():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(5, 3))
    tokens = np.array([[1, 4, 1], [0, 1, 2]])  # token 1 three times, token 3 never
    call_without_mutation(gl.embed, table, tokens)
    cache = {}
    out = gl.embed(table, tokens, cache=cache)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out[0, 2], table[1])
    R = rng.normal(size=out.shape)
    d_table, d_tokens = gl.embed_backward(cache, R)
    assert d_tokens is None  # integer tokens have no gradient
    np.testing.assert_allclose(d_table[1], R[0, 0] + R[0, 2] + R[1, 1])
    np.testing.assert_array_equal(d_table[3], 0)
    err = gl.gradient_check(lambda t: float((gl.embed(t, tokens) * R).sum()), table, d_table)
    assert err < TOL
    assert gl.embed(table, np.zeros((0,), dtype=float)).shape == (0, 3)  # empty of any dtype


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rows": [2, 5, 2]},
        {"node_graph": [0, 0, 0, 1, 1, 2, 2]},
        {"node_graph": [0, 0, 0, 1, 1, 2, 2], "num_graphs": 4},
    ],
    ids=["rows", "mean", "mean with an empty graph"],
)
def test_readout_and_its_backward(kwargs):
    rng = np.random.default_rng(1)
    h = rng.normal(size=(7, 3))
    call_without_mutation(gl.readout, h, **kwargs)
    cache = {}
    out = gl.readout(h, cache=cache, **kwargs)
    if "rows" in kwargs:
        np.testing.assert_array_equal(out, h[kwargs["rows"]])
    else:
        means = [h[:3].mean(0), h[3:5].mean(0), h[5:].mean(0)]
        np.testing.assert_allclose(out[:3], np.stack(means))
        assert out.shape == (kwargs.get("num_graphs", 3), 3)
        np.testing.assert_array_equal(out[3:], 0)  # a graph without nodes reads 0
    R = rng.normal(size=out.shape)
    d_h = gl.readout_backward(cache, R)
    err = gl.gradient_check(lambda x: float((gl.readout(x, **kwargs) * R).sum()), h, d_h)
    assert err < TOL


def test_linear_and_its_backward():
    rng = np.random.default_rng(2)
    params = gl.init_linear(rng, 4, 3)
    assert set(params) == {"W", "b"} and params["W"].shape == (4, 3)
    np.testing.assert_array_equal(params["b"], 0)
    params["b"] = rng.normal(size=3)
    x = rng.normal(size=(2, 5, 4))
    call_without_mutation(gl.linear, params, x)
    cache = {}
    out = gl.linear(params, x, cache=cache)
    np.testing.assert_allclose(out, x @ params["W"] + params["b"])
    R = rng.normal(size=out.shape)
    d_params, d_x = gl.linear_backward(cache, R)
    assert set(d_params) == {"W", "b"} and d_x.shape == x.shape

    def loss(p):
        return float((gl.linear(p["params"], p["x"]) * R).sum())

    errors = gl.gradient_check(loss, {"params": params, "x": x}, {"params": d_params, "x": d_x})
    assert max(errors["params"].values()) < TOL and errors["x"] < TOL
    p32 = gl.init_linear(rng, 2, 2, dtype=np.float32)
    assert p32["W"].dtype == p32["b"].dtype == np.float32


# --- loss and accuracy -----------------------------------------------------------------------


def test_softmax_cross_entropy():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    loss, d_logits = call_without_mutation(gl.softmax_cross_entropy, logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert math.isclose(loss, -np.log(p[np.arange(6), labels]).mean(), rel_tol=1e-12)
    err = gl.gradient_check(lambda z: gl.softmax_cross_entropy(z, labels)[0], logits, d_logits)
    assert err < TOL
    np.testing.assert_allclose(d_logits.sum(axis=1), 0, atol=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits(strict):
    loss, d_logits = gl.softmax_cross_entropy(np.array([[1e4, -1e4], [0.0, 1e4]]), [0, 0])
    assert math.isclose(loss, 1e4 / 2)  # the first row is certain and right, the second wrong
    np.testing.assert_allclose(d_logits, [[0, 0], [-0.5, 0.5]])


def test_accuracy():
    logits = np.array([[0.1, 0.9], [2.0, -1.0], [0.3, 0.3], [0.0, 1.0]])
    assert gl.accuracy(logits, np.array([1, 0, 0, 0])) == 0.75  # a tie goes to class 0
    assert gl.accuracy(logits, [1, 1, 1, 0]) == 0.25
    assert type(gl.accuracy(logits, [1, 0, 0, 1])) is float


def test_backwards_refuse_a_cache_of_another_layer_or_a_wrong_gradient():
    """Each backward names its forward: the cache must be the one it filled, d_out its shape."""
    caches = {name: {} for name in ("embed", "rows", "mean", "linear")}
    gl.embed(TABLE, [[0, 1, 3]], cache=caches["embed"])  # (1, 3, 2)
    gl.readout(H, [0, 2], cache=caches["rows"])  # (2, 2)
    gl.readout(H, node_graph=[0, 0, 1], cache=caches["mean"])  # (2, 2)
    gl.linear(LIN, np.zeros((5, 4)), cache=caches["linear"])  # (5, 3)
    cases = [  # backward, its cache, the forward's name, its output shape, another cache
        (gl.embed_backward, caches["embed"], "embed", (1, 3, 2), caches["linear"]),
        (gl.readout_backward, caches["rows"], "readout", (2, 2), caches["embed"]),
        (gl.readout_backward, caches["mean"], "readout", (2, 2), caches["embed"]),
        (gl.linear_backward, caches["linear"], "linear", (5, 3), caches["mean"]),
    ]
    for backward, cache, forward, shape, other in cases:
        with pytest.raises(ValueError, match=rf"^cache must be the dict filled in by {forward}\("):
            backward(other, np.zeros(shape))
        with pytest.raises(ValueError, match=rf"cache must be the dict filled in by {forward}"):
            backward(None, np.zeros(shape))
        wrong = (*shape[:-1], shape[-1] + 1)
        with pytest.raises(
            ValueError,
            match=rf"d_out has shape {re.escape(str(wrong))} but the output of {forward} had "
            rf"shape {re.escape(str(shape))}",
        ):
            backward(cache, np.zeros(wrong))


def test_classification_loss_is_forward_cross_entropy_backward():
    rng = np.random.default_rng(4)
    params, x = gl.init_linear(rng, 3, 4), rng.normal(size=(6, 3))
    labels = rng.integers(0, 4, size=6)
    seen = {}

    def forward(p, x, *, cache):
        seen["cache"] = cache
        return gl.linear(p, x, cache=cache)

    loss, acc, grads = call_without_mutation(
        gl.classification_loss, forward, gl.linear_backward, params, x, labels=labels
    )
    assert set(seen["cache"]) == {"params", "x"}  # one cache, filled by the forward
    logits = gl.linear(params, x)
    expected, d_logits = gl.softmax_cross_entropy(logits, labels)
    assert loss == expected and acc == gl.accuracy(logits, labels)
    np.testing.assert_allclose(grads["W"], x.T @ d_logits)
    errors = gl.gradient_check(
        lambda p: gl.classification_loss(forward, gl.linear_backward, p, x, labels=labels)[0],
        params,
        grads,
    )
    assert max(errors.values()) < TOL


# --- gradient check -----------------------------------------------------------------------


def test_gradient_check_catches_a_wrong_gradient_and_leaves_params_alone():
    rng = np.random.default_rng(4)
    params = {"a": rng.normal(size=(2, 3)), "inner": {"b": rng.normal(size=3)}}

    def f(p):
        return float((p["a"] ** 2).sum() + np.sin(p["inner"]["b"]).sum())

    good = {"a": 2 * params["a"], "inner": {"b": np.cos(params["inner"]["b"])}}
    errors = call_without_mutation(gl.gradient_check, f, params, good)
    assert errors["a"] < 1e-8 and errors["inner"]["b"] < 1e-8
    wrong = {"a": good["a"].copy(), "inner": {"b": good["inner"]["b"]}}
    wrong["a"][1, 2] += 1e-3
    assert gl.gradient_check(f, params, wrong)["a"] > 1e-4
    # entries below `scale` are compared absolutely: a gradient of exactly 0 passes
    assert gl.gradient_check(lambda x: 0.0 * float(x.sum()), np.ones(3), np.zeros(3)) == 0.0
    empty = {"a": np.zeros((0, 2)), "inner": {"b": np.zeros(0)}}
    assert gl.gradient_check(f, empty, empty) == {"a": 0.0, "inner": {"b": 0.0}}
    ints = gl.gradient_check(lambda x: float((x**2).sum()), np.array([1, 2]), np.array([2.0, 4.0]))
    assert ints < 1e-8  # integer params are perturbed as float64


def test_gradient_check_skips_settings_and_walks_layer_lists():
    """The errors tree has the arrays of ``params`` only; ``f`` sees the settings."""
    params = model_params()
    seen = []

    def f(p):
        seen.append(settings_of(p))
        return float(sum((leaf**2).sum() for _, leaf in flat(p) if isinstance(leaf, np.ndarray)))

    grads = tree_map(lambda a: 2 * a, params, keep_settings=False)
    errors = gl.gradient_check(f, params, grads)
    assert all(isinstance(e, float) for _, e in flat(errors))  # one error per array
    paths = [path for path, _ in flat(errors)]
    assert paths == [path for path, leaf in flat(params) if isinstance(leaf, np.ndarray)]
    assert "/positions" not in paths and "/layers/0/norm" not in paths
    assert isinstance(errors["layers"], list) and len(errors["layers"]) == 2
    assert max(e for _, e in flat(errors)) < 1e-8
    assert all(s == SETTINGS for s in seen)  # f is called with the settings in place


def test_gradient_check_bad_input():
    with pytest.raises(ValueError, match=r"same keys: \['a'\] vs \['b'\]"):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(2)}, {"b": np.zeros(2)})
    with pytest.raises(TypeError, match=r"grads\['n'\] must be an np.ndarray, got int"):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(2), "n": 2}, {"a": np.zeros(2), "n": 2})
    with pytest.raises(TypeError, match=r"grads\['a'\] must be an np.ndarray, got float"):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(1)}, {"a": 0.0})
    two, one = {"layers": [{"W": np.zeros(1)}] * 2}, {"layers": [{"W": np.zeros(1)}]}
    with pytest.raises(ValueError, match="need the same layers: 2 vs 1"):
        gl.gradient_check(lambda p: 0.0, two, one)
    with pytest.raises(
        ValueError, match=r"a gradient has shape \(3,\) but its parameter has \(2,\)"
    ):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(2)}, {"a": np.zeros(3)})
    with pytest.raises(ValueError, match="need the same layers: 1 vs ndarray"):
        gl.gradient_check(lambda p: 0.0, {"a": [{"W": np.zeros(1)}]}, {"a": np.zeros(1)})
    with pytest.raises(
        TypeError,
        match=r"params\['a'\] is a list of numbers: make it an np.ndarray \(a list in params "
        r"is a stack of layers, one dict each\)",
    ):
        gl.gradient_check(lambda p: 0.0, {"a": [0.0]}, {"a": np.zeros(1)})
    with pytest.raises(TypeError, match=r"params\['a'\] must be an np.ndarray, got range"):
        gl.gradient_check(lambda p: 0.0, {"a": range(1)}, {"a": np.zeros(1)})
    with pytest.raises(TypeError, match=r"grads\['a'\] must be an np.ndarray, got range"):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(1)}, {"a": range(1)})


# --- Adam and the schedule ----------------------------------------------------------------


def test_adam_first_step_moves_every_weight_by_lr_against_its_gradient():
    rng = np.random.default_rng(5)
    params = {"W": rng.normal(size=(3, 2)), "sub": {"b": rng.normal(size=2)}}
    grads = {"W": rng.normal(size=(3, 2)), "sub": {"b": rng.normal(size=2)}}
    state = gl.init_adam(params)
    new, state2 = call_without_mutation(gl.adam_update, params, grads, state, 0.1)
    # m_hat / sqrt(v_hat) = g / |g| at t = 1
    np.testing.assert_allclose(new["W"], params["W"] - 0.1 * np.sign(grads["W"]), rtol=1e-6)
    assert state2["step"] == 1 and state["step"] == 0
    np.testing.assert_allclose(state2["m"]["sub"]["b"], 0.1 * grads["sub"]["b"])
    np.testing.assert_allclose(state2["v"]["sub"]["b"], 0.001 * grads["sub"]["b"] ** 2)


def test_adam_follows_its_formula_for_several_steps():
    rng = np.random.default_rng(6)
    params = {"x": rng.normal(size=4)}
    state = gl.init_adam(params)
    x, m, v = params["x"].copy(), np.zeros(4), np.zeros(4)
    b1, b2, lr, eps = 0.8, 0.99, 0.05, 1e-8
    for t in range(1, 5):
        g = rng.normal(size=4)
        params, state = gl.adam_update(params, {"x": g}, state, lr, betas=(b1, b2), eps=eps)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(params["x"], x, rtol=1e-13)
    assert state["step"] == 4


def test_adam_minimises_a_quadratic():
    target = np.array([1.0, -2.0, 3.0])
    params = {"x": np.zeros(3)}
    state = gl.init_adam(params)
    for _ in range(500):
        params, state = gl.adam_update(params, {"x": 2 * (params["x"] - target)}, state, lr=0.05)
    np.testing.assert_allclose(params["x"], target, atol=1e-3)


def test_adam_skips_settings_and_keeps_them():
    params = model_params(1)
    state = gl.init_adam(params)
    assert state["step"] == 0
    for moments in (state["m"], state["v"]):
        assert settings_of(moments) == []  # zeros for the arrays, nothing for the settings
        arrays = [path for path, leaf in flat(params) if isinstance(leaf, np.ndarray)]
        assert [path for path, _ in flat(moments)] == arrays
        assert all((a == 0).all() for _, a in flat(moments))
    grads = tree_map(np.ones_like, params, keep_settings=False)  # what a backward gives
    new, state = gl.adam_update(params, grads, state, 0.1)
    assert settings_of(new) == SETTINGS == settings_of(params)
    assert list(new) == list(params) and list(new["layers"][0]) == list(params["layers"][0])
    np.testing.assert_allclose(new["out"]["W"], params["out"]["W"] - 0.1, rtol=1e-6)
    # the updated model still runs, with its settings
    h = np.random.default_rng(0).normal(size=(3, 4))
    assert gl.transformer_layer(new["layers"][1], h).shape == (3, 4)


def test_adam_bad_input():
    params = {"x": np.zeros(2)}
    state = gl.init_adam(params)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\), got \(1.0, 0.9\)"):
        gl.adam_update(params, params, state, 0.1, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got nan"):
        gl.adam_update(params, params, state, float("nan"))
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -0.1"):
        gl.adam_update(params, params, state, -0.1)
    with pytest.raises(ValueError, match=r"same keys: \['x'\] vs \['y'\]"):
        gl.adam_update(params, {"y": np.zeros(2)}, state, 0.1)
    with pytest.raises(ValueError, match=r"same keys"):
        gl.adam_update(params, {"x": np.zeros(2), "n": 2}, state, 0.1)  # settings in grads
    with pytest.raises(TypeError, match=r"params\['x'\] is a list of numbers"):
        gl.init_adam({"x": [0.0]})
    with pytest.raises(
        TypeError, match=r"params\['x'\]\[0\]\['W'\] must be an np.ndarray, got set"
    ):
        gl.init_adam({"x": [{"W": {0.0}}]})


def test_warmup_schedule():
    lrs = [gl.warmup_schedule(t, 4, 1.0) for t in range(7)]
    assert lrs == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 1.0]
    assert gl.warmup_schedule(0, 0, 0.3) == 0.3
    cosine = [gl.warmup_schedule(t, 2, 1.0, total_steps=6, final_lr=0.1) for t in range(8)]
    assert cosine[:3] == [0.5, 1.0, 1.0]
    assert math.isclose(cosine[4], 0.55) and math.isclose(cosine[6], 0.1) and cosine[7] == cosine[6]
    assert all(a >= b for a, b in zip(cosine[1:], cosine[2:], strict=False))
    with pytest.raises(ValueError, match="total_steps=2 must be greater than warmup=2"):
        gl.warmup_schedule(3, 2, 1.0, total_steps=2)
    with pytest.raises(TypeError, match="step must be an int"):
        gl.warmup_schedule(1.5, 2, 1.0)
    with pytest.raises(ValueError, match="warmup must be >= 0, got -1"):
        gl.warmup_schedule(1, -1, 1.0)
    with pytest.raises(TypeError, match="total_steps must be an int"):
        gl.warmup_schedule(3, 2, 1.0, total_steps=10.0)


# --- the training loop ------------------------------------------------------------------------


def _logistic_problem(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = (x @ np.array([1.5, -2.0, 0.5]) > 0).astype(int)

    def loss_fn(params, idx):
        return gl.classification_loss(
            lambda p, x, cache: gl.linear(p, x, cache=cache),
            gl.linear_backward,
            params,
            x[idx],
            labels=labels[idx],
        )

    return gl.init_linear(rng, 3, 2), loss_fn, n


def test_train_learns_deterministically_and_prints_a_few_rounded_lines(capsys):
    params, loss_fn, n = _logistic_problem()
    kwargs = {"steps": 40, "batch_size": 16, "lr": 0.1, "warmup": 5, "seed": 3}
    trained, history = call_without_mutation(gl.train, loss_fn, params, n, **kwargs, print_every=15)
    out = capsys.readouterr()
    assert out.err == ""
    lines = out.out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["step 15", "step 30", "step 40"]
    assert lines[-1] == (
        f"step 40: loss {history['loss'][-1]:.3f}, accuracy {history['accuracy'][-1]:.3f}"
    )
    assert history["step"] == list(range(1, 41))
    assert all(type(x) is float for key in ("lr", "loss", "accuracy") for x in history[key])
    np.testing.assert_allclose(history["lr"][:6], [0.02, 0.04, 0.06, 0.08, 0.1, 0.1])
    assert np.mean(history["loss"][-8:]) < 0.5 * np.mean(history["loss"][:4])
    assert np.mean(history["accuracy"][-8:]) > 0.9
    again, history2 = gl.train(loss_fn, params, n, **kwargs)  # silent, and the same numbers
    assert capsys.readouterr().out == ""
    assert history2 == history
    np.testing.assert_array_equal(again["W"], trained["W"])
    _, other = gl.train(loss_fn, params, n, **kwargs | {"seed": 4})
    assert other["loss"] != history["loss"]


def test_train_follows_the_cosine_schedule():
    params, loss_fn, n = _logistic_problem()
    _, history = gl.train(loss_fn, params, n, steps=6, lr=0.1, warmup=2, total_steps=6)
    expected = [gl.warmup_schedule(t, 2, 0.1, 6) for t in range(6)]
    assert history["lr"] == expected


def test_train_visits_every_example_once_per_epoch_and_full_batch():
    seen = []

    def loss_fn(params, idx):
        seen.append(idx.copy())
        return 0.0, 1.0, {"x": np.zeros(1)}

    gl.train(loss_fn, {"x": np.zeros(1)}, 10, steps=6, batch_size=3, seed=0)
    first_epoch = np.concatenate(seen[:3])  # 3 batches of 3; the 10th example waits
    assert len(set(first_epoch.tolist())) == 9
    second_epoch = np.concatenate(seen[3:6])
    assert len(set(second_epoch.tolist())) == 9
    assert not np.array_equal(first_epoch, second_epoch)  # reshuffled
    seen.clear()
    gl.train(loss_fn, {"x": np.zeros(1)}, 5, steps=2, threads=None)
    assert [s.tolist() for s in seen] == [[0, 1, 2, 3, 4]] * 2


def test_train_keeps_the_settings_and_hands_them_to_the_loss():
    """A model's params go in with their settings and come out with them, unchanged."""
    params = model_params(2)
    tokens = np.random.default_rng(2).integers(0, 5, size=(8, 3))
    labels = tokens[:, 0] % 2
    seen = []

    def forward(p, tok, *, cache):
        seen.append(settings_of(p))
        caches = {"embed": {}, "layers": [{}, {}], "readout": {}, "out": {}}
        h = gl.embed(p["embed"], tok, cache=caches["embed"])
        for layer, c_layer in zip(p["layers"], caches["layers"], strict=True):
            h = gl.transformer_layer(layer, h, cache=c_layer)
        r = gl.readout(h.reshape(-1, 4), np.arange(len(tok)) * 3, cache=caches["readout"])
        cache.update(caches, shape=h.shape)
        return gl.linear(p["out"], r, cache=caches["out"])

    def backward(cache, d):
        grads = {}
        grads["out"], d_r = gl.linear_backward(cache["out"], d)
        d_h = gl.readout_backward(cache["readout"], d_r).reshape(cache["shape"])
        grads["layers"] = [None, None]
        for k in (1, 0):
            grads["layers"][k], d_h = gl.transformer_layer_backward(cache["layers"][k], d_h)
        grads["embed"], _ = gl.embed_backward(cache["embed"], d_h)
        return grads, None

    def loss_fn(p, idx):
        return gl.classification_loss(forward, backward, p, tokens[idx], labels=labels[idx])

    _, _, grads = loss_fn(params, np.arange(8))
    assert settings_of(grads) == []  # the backward gives arrays only
    trained, history = gl.train(loss_fn, params, 8, steps=5, batch_size=4, lr=0.01)
    assert settings_of(trained) == SETTINGS
    assert all(s == SETTINGS for s in seen)
    assert len(history["loss"]) == 5
    assert not np.array_equal(trained["embed"], params["embed"])


def test_train_uses_one_blas_thread_unless_told(monkeypatch):
    calls = []

    class Spy:
        def __init__(self, n):
            calls.append(n)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(optimisation, "blas_threads", Spy)
    loss_fn = lambda p, idx: (0.0, 1.0, {"x": np.zeros(1)})  # noqa: E731
    gl.train(loss_fn, {"x": np.zeros(1)}, 2, steps=1)
    gl.train(loss_fn, {"x": np.zeros(1)}, 2, steps=1, threads=2)
    gl.train(loss_fn, {"x": np.zeros(1)}, 2, steps=1, threads=None)
    assert calls == [1, 2]


def test_train_bad_input():
    params, loss_fn, n = _logistic_problem()
    with pytest.raises(ValueError, match=r"batch_size=65 must be in \[1, num_examples=64\]"):
        gl.train(loss_fn, params, n, steps=1, batch_size=65)
    with pytest.raises(ValueError, match=r"batch_size=0 must be in \[1, num_examples=64\]"):
        gl.train(loss_fn, params, n, steps=1, batch_size=0)
    with pytest.raises(ValueError, match="num_examples must be >= 1"):
        gl.train(loss_fn, params, 0, steps=1)
    with pytest.raises(ValueError, match="print_every must be >= 1, got 0"):
        gl.train(loss_fn, params, n, steps=1, print_every=0)
    with pytest.raises(TypeError, match="steps must be an int, got float 2.0"):
        gl.train(loss_fn, params, n, steps=2.0)
    with pytest.raises(TypeError, match="num_examples must be an int"):
        gl.train(loss_fn, params, 64.0, steps=1)
    with pytest.raises(TypeError, match=r"params\['W'\] is a list of numbers"):
        gl.train(loss_fn, {"W": [1.0, 2.0]}, n, steps=1)
    with pytest.raises(ValueError, match="num_threads must be >= 1, got 0"):
        gl.train(loss_fn, params, n, steps=1, threads=0)


# --- bad inputs of the forward functions ------------------------------------------------------


TABLE = np.zeros((4, 2))
H = np.zeros((3, 2))
LIN = gl.init_linear(np.random.default_rng(0), 4, 3)

BAD = [
    (
        "embed_token_out_of_range",
        lambda: gl.embed(TABLE, [0, 4]),
        ValueError,
        r"tokens contains 4, out of range for a table of shape \(4, 2\)",
    ),
    (
        "embed_negative_token",
        lambda: gl.embed(TABLE, [[0, -1]]),
        ValueError,
        r"tokens contains -1, out of range",
    ),
    (
        "embed_float_tokens",
        lambda: gl.embed(TABLE, [0.5]),
        TypeError,
        "tokens must be an integer array, got dtype float64",
    ),
    ("embed_table_1d", lambda: gl.embed(np.zeros(4), [0]), ValueError, r"table must be 2-D"),
    (
        "embed_table_nan",
        lambda: gl.embed(np.full((2, 2), np.nan), [0]),
        ValueError,
        r"table contains NaN/inf \(shape \(2, 2\)\)",
    ),
    (
        "readout_neither",
        lambda: gl.readout(H),
        ValueError,
        "readout takes exactly one of rows= and node_graph=",
    ),
    (
        "readout_both",
        lambda: gl.readout(H, [0], node_graph=[0, 0, 0]),
        ValueError,
        "exactly one of",
    ),
    (
        "readout_row_out_of_range",
        lambda: gl.readout(H, [0, 3]),
        ValueError,
        r"rows contains 3, out of range for h of shape \(3, 2\)",
    ),
    (
        "readout_rows_2d",
        lambda: gl.readout(H, [[0]]),
        ValueError,
        r"rows must be 1-D, got shape \(1, 1\)",
    ),
    (
        "readout_float_rows",
        lambda: gl.readout(H, [0.0]),
        TypeError,
        r"rows must be an integer array, got dtype float64",
    ),
    (
        "readout_node_graph_length",
        lambda: gl.readout(H, node_graph=[0, 0]),
        ValueError,
        r"segment_ids has 2 entries",
    ),
    (
        "readout_num_graphs_too_small",
        lambda: gl.readout(H, node_graph=[0, 1, 2], num_graphs=2),
        ValueError,
        r"segment_ids contains 2, out of range for num_segments=2",
    ),
    ("readout_h_1d", lambda: gl.readout(np.zeros(3), [0]), ValueError, r"h must be 2-D"),
    (
        "linear_width",
        lambda: gl.linear(LIN, np.zeros((2, 5))),
        ValueError,
        r"W has shape \(4, 3\) but x has d_in=5 \(and W has d_out=3\), so W must be \(5, 3\)",
    ),
    (
        "linear_b_shape",
        lambda: gl.linear(LIN | {"b": np.zeros(4)}, np.zeros((2, 4))),
        ValueError,
        r"b has shape \(4,\) but x has d_in=4 \(and W has d_out=3\), so b must be \(3,\)",
    ),
    (
        "linear_missing_b",
        lambda: gl.linear({"W": LIN["W"]}, np.zeros((2, 4))),
        ValueError,
        r"params is missing key 'b' \(has \['W'\]\)",
    ),
    (
        "linear_scalar",
        lambda: gl.linear(LIN, 1.0),
        ValueError,
        r"x must have at least one axis \(\.\.\., d_in\)",
    ),
    (
        "linear_arguments_swapped",
        lambda: gl.linear(np.zeros((2, 4)), LIN),
        TypeError,
        r"x must be a real-valued array, got dtype object; it looks like a params dict",
    ),
    (
        "init_linear_int_seed",
        lambda: gl.init_linear(0, 2, 2),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got int",
    ),
    (
        "init_linear_negative",
        lambda: gl.init_linear(np.random.default_rng(0), 2, -2),
        ValueError,
        r"d_out must be >= 0, got -2",
    ),
    (
        "accuracy_labels_shape",
        lambda: gl.accuracy(np.zeros((3, 2)), [0, 1]),
        ValueError,
        r"labels has shape \(2,\) but logits has shape \(3, 2\); need \(3,\)",
    ),
    (
        "accuracy_logits_1d",
        lambda: gl.accuracy(np.zeros(3), [0, 1, 0]),
        ValueError,
        r"logits must be 2-D, got shape \(3,\)",
    ),
    (
        "accuracy_float_labels",
        lambda: gl.accuracy(np.zeros((2, 2)), [0.0, 1.0]),
        TypeError,
        r"labels must be an integer array, got dtype float64",
    ),
    (
        "cross_entropy_labels_shape",
        lambda: gl.softmax_cross_entropy(np.zeros((3, 2)), [0, 1]),
        ValueError,
        r"labels has shape \(2,\) but logits has shape \(3, 2\); need \(3,\)",
    ),
    (
        "cross_entropy_label_out_of_range",
        lambda: gl.softmax_cross_entropy(np.zeros((2, 2)), [0, 2]),
        ValueError,
        "labels contains 2, out of range for 2 classes",
    ),
    (
        "cross_entropy_empty",
        lambda: gl.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, dtype=int)),
        ValueError,
        "logits has no rows: the mean loss of an empty batch is undefined",
    ),
    (
        "cross_entropy_nan",
        lambda: gl.softmax_cross_entropy(np.array([[np.nan, 0]]), [0]),
        ValueError,
        r"logits contains NaN/inf \(shape \(1, 2\)\)",
    ),
    (
        "cross_entropy_1d",
        lambda: gl.softmax_cross_entropy(np.zeros(3), [0, 1, 2]),
        ValueError,
        r"logits must be 2-D, got shape \(3,\)",
    ),
    (
        "cross_entropy_float_labels",
        lambda: gl.softmax_cross_entropy(np.zeros((2, 2)), [0.0, 1.0]),
        TypeError,
        r"labels must be an integer array",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
