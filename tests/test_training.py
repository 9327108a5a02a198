"""The learning pieces: embedding, readout, classifier, loss, gradient check, Adam, loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import call_without_mutation

import gnnformer_lite as gl
from gnnformer_lite import training

TOL = 1e-6


# --- embedding, readout, linear, loss ----------------------------------------------------


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
    d_table = gl.embed_backward(cache, R)
    np.testing.assert_allclose(d_table[1], R[0, 0] + R[0, 2] + R[1, 1])
    np.testing.assert_array_equal(d_table[3], 0)
    err = gl.gradient_check(lambda t: float((gl.embed(t, tokens) * R).sum()), table, d_table)
    assert err < TOL


def test_embed_bad_tokens():
    table = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"tokens contains 4, out of range for a table of shape"):
        gl.embed(table, [0, 4])
    with pytest.raises(TypeError, match="tokens must be an integer array"):
        gl.embed(table, [0.5])
    with pytest.raises(ValueError, match="table must be 2-D"):
        gl.embed(np.zeros(4), [0])


def test_readout_rows_and_mean():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(7, 3))
    rows = np.array([2, 5, 2])
    node_graph = np.array([0, 0, 0, 1, 1, 2, 2])
    for kwargs, expected in (
        ({"rows": rows}, h[rows]),
        ({"node_graph": node_graph}, np.stack([h[:3].mean(0), h[3:5].mean(0), h[5:].mean(0)])),
        ({"node_graph": node_graph, "num_graphs": 4}, None),
    ):
        call_without_mutation(gl.readout, h, **kwargs)
        cache = {}
        out = gl.readout(h, cache=cache, **kwargs)
        if expected is not None:
            np.testing.assert_allclose(out, expected)
        R = rng.normal(size=out.shape)
        d_h = gl.readout_backward(cache, R)
        err = gl.gradient_check(lambda x: float((gl.readout(x, **kwargs) * R).sum()), h, d_h)  # noqa: B023
        assert err < TOL
    out = gl.readout(h, node_graph=node_graph, num_graphs=4)
    np.testing.assert_array_equal(out[3], 0)  # a graph without nodes reads 0


def test_readout_bad_input():
    h = np.zeros((3, 2))
    with pytest.raises(ValueError, match="exactly one of rows= and node_graph="):
        gl.readout(h)
    with pytest.raises(ValueError, match="exactly one of"):
        gl.readout(h, [0], node_graph=[0, 0, 0])
    with pytest.raises(ValueError, match=r"rows contains 3, out of range for h of shape \(3, 2\)"):
        gl.readout(h, [0, 3])
    with pytest.raises(ValueError, match="segment_ids"):
        gl.readout(h, node_graph=[0, 0])


def test_linear_and_its_backward():
    rng = np.random.default_rng(2)
    params = gl.init_linear(rng, 4, 3)
    params["b"] = rng.normal(size=3)
    x = rng.normal(size=(2, 5, 4))
    call_without_mutation(gl.linear, params, x)
    cache = {}
    out = gl.linear(params, x, cache=cache)
    np.testing.assert_allclose(out, x @ params["W"] + params["b"])
    R = rng.normal(size=out.shape)
    d_params, d_x = gl.linear_backward(params, cache, R)

    def loss(p):
        return float((gl.linear(p["params"], p["x"]) * R).sum())

    errors = gl.gradient_check(loss, {"params": params, "x": x}, {"params": d_params, "x": d_x})
    assert max(errors["params"].values()) < TOL and errors["x"] < TOL
    with pytest.raises(ValueError, match=r"W has shape \(4, 3\) but x has d_in=5"):
        gl.linear(params, np.zeros((2, 5)))
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_linear(0, 2, 2)


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


def test_softmax_cross_entropy_bad_input():
    with pytest.raises(ValueError, match=r"labels has shape \(2,\) but logits has shape \(3, 2\)"):
        gl.softmax_cross_entropy(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="labels contains 2, out of range for 2 classes"):
        gl.softmax_cross_entropy(np.zeros((2, 2)), [0, 2])
    with pytest.raises(ValueError, match="empty batch"):
        gl.softmax_cross_entropy(np.zeros((0, 2)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="logits contains NaN"):
        gl.softmax_cross_entropy(np.array([[np.nan, 0]]), [0])


# --- gradient check ----------------------------------------------------------------------


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
    assert gl.gradient_check(
        f,
        {"a": np.zeros((0, 2)), "inner": {"b": np.zeros(0)}},
        {"a": np.zeros((0, 2)), "inner": {"b": np.zeros(0)}},
    ) == {"a": 0.0, "inner": {"b": 0.0}}


def test_gradient_check_bad_input():
    with pytest.raises(ValueError, match="same keys"):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(2)}, {"b": np.zeros(2)})
    with pytest.raises(
        ValueError, match=r"a gradient has shape \(3,\) but its parameter has \(2,\)"
    ):
        gl.gradient_check(lambda p: 0.0, {"a": np.zeros(2)}, {"a": np.zeros(3)})
    with pytest.raises(TypeError, match=r"params\['a'\] must be an np.ndarray, got list"):
        gl.gradient_check(lambda p: 0.0, {"a": [0.0]}, {"a": np.zeros(1)})


# --- Adam and the schedule ---------------------------------------------------------------


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


def test_adam_minimises_a_quadratic():
    target = np.array([1.0, -2.0, 3.0])
    params = {"x": np.zeros(3)}
    state = gl.init_adam(params)
    for _ in range(500):
        params, state = gl.adam_update(params, {"x": 2 * (params["x"] - target)}, state, lr=0.05)
    np.testing.assert_allclose(params["x"], target, atol=1e-3)


def test_adam_bad_input():
    params = {"x": np.zeros(2)}
    state = gl.init_adam(params)
    with pytest.raises(ValueError, match="betas must be in"):
        gl.adam_update(params, params, state, 0.1, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="lr must be a finite number"):
        gl.adam_update(params, params, state, float("nan"))
    with pytest.raises(ValueError, match="same keys"):
        gl.adam_update(params, {"y": np.zeros(2)}, state, 0.1)


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


# --- single-threaded BLAS ----------------------------------------------------------------


def _numpy_uses_openblas() -> bool:
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # pragma: no cover - NumPy < 1.25
        return False
    return "openblas" in str(config["Build Dependencies"]["blas"]).lower()


def test_blas_threads_sets_and_restores_the_thread_count():
    found = training._setters()
    if _numpy_uses_openblas():  # the wheels on PyPI: the library must be found
        assert found, "OpenBLAS is NumPy's BLAS here, but blas_threads did not find it"
    with gl.blas_threads(1) as inside:
        assert inside == (1 if found else None)
    if found:
        get, set_ = found[0]
        before = get()
        with gl.blas_threads(2):
            with gl.blas_threads(1) as inner:
                assert inner == 1
            assert get() == min(2, max(before, 2)) or get() >= 1
        assert get() == before
    with pytest.raises(ValueError, match="num_threads must be >= 1"), gl.blas_threads(0):
        pass


def test_blas_threads_does_nothing_without_openblas(monkeypatch):
    monkeypatch.setattr(training, "_SETTERS", [])
    with gl.blas_threads(1) as inside:
        assert inside is None


# --- the training loop -------------------------------------------------------------------


def _logistic_problem(seed=0, n=64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    labels = (x @ np.array([1.5, -2.0, 0.5]) > 0).astype(int)

    def loss_fn(params, idx):
        cache = {}
        logits = gl.linear(params, x[idx], cache=cache)
        loss, d_logits = gl.softmax_cross_entropy(logits, labels[idx])
        grads, _ = gl.linear_backward(params, cache, d_logits)
        return loss, float((logits.argmax(1) == labels[idx]).mean()), grads

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
    np.testing.assert_allclose(history["lr"][:6], [0.02, 0.04, 0.06, 0.08, 0.1, 0.1])
    assert np.mean(history["loss"][-8:]) < 0.5 * np.mean(history["loss"][:4])
    assert np.mean(history["accuracy"][-8:]) > 0.9
    again, history2 = gl.train(loss_fn, params, n, **kwargs)  # silent, and the same numbers
    assert capsys.readouterr().out == ""
    assert history2 == history
    np.testing.assert_array_equal(again["W"], trained["W"])


def test_train_visits_every_example_once_per_epoch_and_full_batch():
    seen = []

    def loss_fn(params, idx):
        seen.append(idx.copy())
        return 0.0, 1.0, {"x": np.zeros(1)}

    gl.train(loss_fn, {"x": np.zeros(1)}, 10, steps=6, batch_size=3, seed=0)
    first_epoch = np.concatenate(seen[:3])  # 3 batches of 3; the 10th example waits
    assert len(set(first_epoch.tolist())) == 9
    seen.clear()
    gl.train(loss_fn, {"x": np.zeros(1)}, 5, steps=2, threads=None)
    assert [s.tolist() for s in seen] == [[0, 1, 2, 3, 4]] * 2


def test_train_bad_input():
    params, loss_fn, n = _logistic_problem()
    with pytest.raises(ValueError, match=r"batch_size=65 must be in \[1, num_examples=64\]"):
        gl.train(loss_fn, params, n, steps=1, batch_size=65)
    with pytest.raises(ValueError, match="num_examples must be >= 1"):
        gl.train(loss_fn, params, 0, steps=1)
    with pytest.raises(ValueError, match="print_every must be >= 1"):
        gl.train(loss_fn, params, n, steps=1, print_every=0)
    with pytest.raises(TypeError, match="steps must be an int"):
        gl.train(loss_fn, params, n, steps=2.0)


def test_blas_threads_falls_back_silently(monkeypatch):
    def refuse(path):
        raise OSError(f"cannot load {path}")

    monkeypatch.setattr(training.ctypes, "CDLL", refuse)
    assert training._openblas_thread_setters() == []
    monkeypatch.setattr(training.ctypes, "CDLL", lambda path: object())  # no such symbols
    assert training._openblas_thread_setters() == []

    def broken():
        raise RuntimeError("unexpected")

    monkeypatch.setattr(training, "_SETTERS", None)
    monkeypatch.setattr(training, "_openblas_thread_setters", broken)
    assert training._setters() == []


# --- end to end: the whole stack learns -------------------------------------------------------


def test_a_one_layer_transformer_learns_to_look_back_at_the_first_word():
    """Embedding + positions -> pre-LN Transformer layer -> last word -> linear -> cross-entropy.

    The label is a property of the first token, read out at the last position: only
    attention can carry it there, so this checks every backward of the stack at once.
    """
    V, L, d, H = 8, 6, 8, 2

    def data(seed, n):
        tokens = np.random.default_rng(seed).integers(0, V, size=(n, L))
        return tokens, (tokens[:, 0] < V // 2).astype(int)

    tokens, labels = data(0, 512)
    pos = gl.sinusoidal_encoding(L, d)

    def forward(p, tok, caches=None):
        c = (
            caches
            if caches is not None
            else {"emb": None, "layer": None, "read": None, "out": None}
        )
        h = gl.embed(p["emb"], tok, cache=c["emb"]) + pos
        h = gl.transformer_layer(p["layer"], h, num_heads=H, norm_first=True, cache=c["layer"])
        last = np.arange(len(tok)) * L + L - 1
        r = gl.readout(h.reshape(-1, d), last, cache=c["read"])
        return gl.linear(p["out"], r, cache=c["out"])

    def loss_fn(p, idx):
        c = {"emb": {}, "layer": {}, "read": {}, "out": {}}
        logits = forward(p, tokens[idx], c)
        loss, d_logits = gl.softmax_cross_entropy(logits, labels[idx])
        d_out, d_r = gl.linear_backward(p["out"], c["out"], d_logits)
        d_h = gl.readout_backward(c["read"], d_r).reshape(len(idx), L, d)
        d_layer, d_h = gl.transformer_layer_backward(p["layer"], None, c["layer"], d_h)
        grads = {"emb": gl.embed_backward(c["emb"], d_h), "layer": d_layer, "out": d_out}
        return loss, float((logits.argmax(axis=1) == labels[idx]).mean()), grads

    rng = np.random.default_rng(1)
    params = {
        "emb": rng.normal(size=(V, d)),
        "layer": gl.init_transformer_layer(rng, d, H, 2 * d),
        "out": gl.init_linear(rng, d, 2),
    }
    trained, history = gl.train(
        loss_fn, params, len(tokens), steps=150, batch_size=32, lr=1e-2, warmup=20, seed=0
    )
    test_tokens, test_labels = data(5, 256)
    before = (forward(params, test_tokens).argmax(axis=1) == test_labels).mean()
    after = (forward(trained, test_tokens).argmax(axis=1) == test_labels).mean()
    assert history["loss"][-1] < 0.1 < history["loss"][0]
    assert after >= 0.97 > before, (before, after)
