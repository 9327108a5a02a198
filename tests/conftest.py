"""Shared test helpers: the hypothesis profile, random graphs and features, the
gradient checks of every backward, and reference implementations as plain Python loops.

The references are deliberately naive (one query, one edge, one head at a
time) and share no code with ``gnnformer_lite``'s vectorised kernels, so an
agreement between the two is evidence, not a tautology. Test files import them
with ``from conftest import ...``.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gnnformer_lite as gl
from gnnformer_lite._params import is_setting, tree_map

# Reproducible by default: the same examples on every run and every machine.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NORMS = ["post", "pre", None]  # the LayerNorm placements of a Transformer layer


# --- the reference tests against PyTorch / PyG (tests/test_torch_*.py) -------------

REFERENCE_SKIP = (
    "torch / torch_geometric not installed (not part of `make test`): run `make test-reference`, "
    "which installs their CPU builds into .venv and runs tests/test_torch_*.py"
)
# Set by `make test-reference`: there a missing torch, or any skip in a reference test, fails.
REQUIRE_TORCH = os.environ.get("GNNFORMER_REQUIRE_TORCH", "") not in ("", "0")
# The reference tests are `make test-reference`'s (which sets GNNFORMER_REQUIRE_TORCH=1), not
# `make test`'s: with torch installed into .venv they would otherwise add ~15 s to every run.
collect_ignore_glob = [] if REQUIRE_TORCH else ["test_torch_*.py"]


def import_reference(name: str):
    """``import name`` (torch, torch_geometric, ...), or skip saying how to run the test."""
    if REQUIRE_TORCH:
        return importlib.import_module(name)  # an ImportError fails the run
    return pytest.importorskip(name, reason=REFERENCE_SKIP)


def _is_reference_test(path) -> bool:
    return Path(str(path)).name.startswith("test_torch_")


def _fail_the_skip(report) -> None:
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
    report.outcome = "failed"
    report.longrepr = f"GNNFORMER_REQUIRE_TORCH=1 (make test-reference) but skipped: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Under GNNFORMER_REQUIRE_TORCH=1 a reference test module that skips fails instead."""
    report = yield
    if REQUIRE_TORCH and report.skipped and _is_reference_test(collector.path):
        _fail_the_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under GNNFORMER_REQUIRE_TORCH=1 a skipped reference test fails instead (xfail stays)."""
    report = yield
    skipped = report.skipped and not hasattr(report, "wasxfail")
    if REQUIRE_TORCH and skipped and _is_reference_test(item.path):
        _fail_the_skip(report)
    return report


# --- strategies -------------------------------------------------------------------


@st.composite
def graphs(draw, min_nodes: int = 0, max_nodes: int = 7, self_loops: bool | None = None):
    """A random Graph: any n in range (0 and 1 included), any edge set, edges given shuffled.

    ``self_loops=True`` puts i -> i at every node, ``False`` at none, ``None`` lets
    the draw decide edge by edge. Sparse draws leave isolated nodes.
    """
    # sampled_from favours its first entries: mostly mid-sized graphs, but 0 and 1 too
    sizes = [s for s in (5, 7, 1, 0, 3, 6, 2, 4) if min_nodes <= s <= max_nodes]
    n = draw(st.sampled_from(sizes))
    density = draw(st.sampled_from([0.5, 0.2, 1.0, 0.0, 0.8]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < density  # mask[i, j]: edge j -> i
    if self_loops is not None:
        np.fill_diagonal(mask, self_loops)
    r, s = np.nonzero(mask)
    order = rng.permutation(r.size)  # the constructor must sort them back
    return gl.Graph(s[order], r[order], n)


def random_graph(rng: np.random.Generator, n: int, p: float = 0.4, self_loops=None) -> gl.Graph:
    """A random Graph for tests that do not need hypothesis."""
    mask = rng.random((n, n)) < p
    if self_loops is not None:
        np.fill_diagonal(mask, self_loops)
    r, s = np.nonzero(mask)
    return gl.Graph(s, r, n)


def edge_list(graph: gl.Graph) -> list[tuple[int, int]]:
    """``[(j, i), ...]`` the edges of ``graph`` as Python ints, in its stored order."""
    return list(zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True))


def graph_with_isolated_node(seed: int, n: int = 6, p: float = 0.4) -> gl.Graph:
    """A random graph (some self loops) whose last node has no edge at all."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    mask[-1, :] = mask[:, -1] = False
    r, s = np.nonzero(mask)
    return gl.Graph(s, r, n)


def relabel(graph: gl.Graph, perm: np.ndarray) -> gl.Graph:
    """The graph on the permuted nodes: new node k is old node perm[k]."""
    inv = np.argsort(perm)
    return gl.Graph(inv[graph.senders], inv[graph.receivers], graph.num_nodes)


def features(seed: int, n: int, d: int, dtype=np.float64) -> np.ndarray:
    """``(n, d)`` standard normal features from ``default_rng(seed)``."""
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def with_nan(x: np.ndarray, value=np.nan) -> np.ndarray:
    """A copy of ``x`` (6 entries or more) with ``value`` in its sixth entry."""
    x = x.copy()
    x.flat[5] = value
    return x


BACKWARD_GRAPHS = {  # what message passing must get right: the ``graph`` fixture
    # a self loop 0 -> 0, node 3 only sends, node 5 has no edge at all: 3 and 5 hear nobody
    "isolated nodes": gl.Graph([0, 2, 3, 1, 4, 0, 3, 2], [0, 0, 1, 2, 2, 4, 4, 1], 6),
    "no edges": gl.Graph([], [], 6),
    "complete": gl.complete_graph(6),
    "path": gl.path_graph(6),
}


@pytest.fixture(params=sorted(BACKWARD_GRAPHS))
def graph(request) -> gl.Graph:
    """Each of ``BACKWARD_GRAPHS`` in turn (a test file may define a ``graph`` of its own)."""
    return BACKWARD_GRAPHS[request.param]


# --- no silent numerical trouble -------------------------------------------------


@contextlib.contextmanager
def strict_numerics():
    """Turn every warning into an error and every NaN-producing float operation into one.

    Underflow (``exp(-1e4) == 0``) is the expected, harmless way a stable softmax
    ignores far-away scores, so it stays allowed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
            yield


@pytest.fixture
def strict():
    with strict_numerics():
        yield


# --- no mutation -------------------------------------------------------------------


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, gl.Graph):
        return a == b and not b.senders.flags.writeable and not b.receivers.flags.writeable
    return a == b


def call_without_mutation(fn, *args, **kwargs):
    """Call ``fn`` and assert that none of its arguments changed; return its result."""
    before = copy.deepcopy((args, kwargs))
    result = fn(*args, **kwargs)
    assert _same(before, (args, kwargs)), f"{fn.__name__} modified its arguments"
    return result


# --- parameter trees and gradients --------------------------------------------------

TOL = 1e-6  # the largest error gradient_check may report for a correct backward (float64)


def flat(tree, path: str = "") -> list[tuple[str, object]]:
    """``[(path, leaf)]`` of nested dicts and lists, leaves of any type (settings too)."""
    if isinstance(tree, dict):
        return [leaf for key, value in tree.items() for leaf in flat(value, f"{path}/{key}")]
    if isinstance(tree, list):
        return [leaf for k, value in enumerate(tree) for leaf in flat(value, f"{path}/{k}")]
    return [(path, tree)]


def without(params: dict, *keys: str) -> dict:
    """A copy of the dict ``params`` without ``keys`` (hand-made params, a missing part)."""
    return {key: value for key, value in params.items() if key not in keys}


def assert_grads_like(grads, params) -> None:
    """``grads`` has exactly the arrays of ``params`` (no settings), the same shapes."""
    if isinstance(params, dict):
        arrays = {key for key, value in params.items() if not is_setting(value)}
        assert isinstance(grads, dict) and set(grads) == arrays, (sorted(grads), sorted(arrays))
        for key in arrays:
            assert_grads_like(grads[key], params[key])
    elif isinstance(params, list):
        assert isinstance(grads, list) and len(grads) == len(params)
        for g, p in zip(grads, params, strict=True):
            assert_grads_like(g, p)
    else:
        assert isinstance(grads, np.ndarray) and grads.shape == np.shape(params)


def assert_gradients(loss, params, grads) -> None:
    """``grads`` against central differences of ``loss``, every entry of every array."""
    assert_grads_like(grads, params)
    errors = gl.gradient_check(loss, params, grads)
    arrays = [path for path, leaf in flat(params) if not is_setting(leaf)]
    assert [path for path, _ in flat(errors)] == arrays  # one error per array, settings skipped
    bad = {path: err for path, err in flat(errors) if not err < TOL}
    assert not bad, f"gradient check failed: {bad}"


def assert_loss_gradients(scores, labels, params, grads) -> None:
    """``grads`` of a model's loss, the cross-entropy of ``scores(params)`` against ``labels``.

    The finite differences run the forward alone (a ``*_loss`` would run the backward too,
    at each of the two evaluations per parameter entry).
    """
    assert_gradients(lambda p: gl.softmax_cross_entropy(scores(p), labels)[0], params, grads)


def check_backward(forward, backward, params, x, seed: int = 0, rows=None) -> None:
    """``forward(params, x, cache) -> out`` and ``backward(cache, d_out) -> (d_params, d_x)``:
    both against central differences of ``sum(out * R)`` for a random ``R``.

    ``rows``: a boolean mask of the output rows the loss reads (padding is not read).
    """
    cache = {}
    out = forward(params, x, cache)
    np.testing.assert_array_equal(out, forward(params, x, None))  # caching changes nothing
    R = np.random.default_rng(seed).normal(size=out.shape)
    if rows is not None:
        R = R * rows[..., None]
    d_params, d_x = backward(cache, R)
    assert d_x.shape == np.shape(x)
    assert_gradients(
        lambda t: float((forward(t["params"], t["x"], None) * R).sum()),
        {"params": params, "x": x},
        {"params": d_params, "x": d_x},
    )


def assert_glorot(w: np.ndarray, d_in: int, d_out: int) -> None:
    """``w`` looks drawn from Glorot's ``U(-l, l)``, ``l = sqrt(6 / (d_in + d_out))``."""
    limit = math.sqrt(6 / (d_in + d_out))
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.8 * limit  # really spread over (-l, l), not a narrow init
    assert abs(w.var() - limit**2 / 3) < 0.25 * limit**2 / 3


# --- what every layer and model does --------------------------------------------------


def layer_tests(layers: dict, make_params):
    """The tests every graph layer passes: ``layers[name](params, h, graph)`` on ``d = 4``
    features, with ``params = make_params(seed, dtype=...)``.

    ``test_permutation_equivariance, test_float32_in_float32_out = layer_tests(LAYERS,
    all_params)`` in a test file: relabelling the nodes (of any graph) permutes the output
    rows, and float32 features give float32 outputs close to float64's.
    """

    @pytest.mark.parametrize("layer", sorted(layers))
    @given(g=graphs(min_nodes=1), seed=st.integers(0, 2**32 - 1))
    @settings(max_examples=15)
    def test_permutation_equivariance(layer, g, seed):
        fn, params = layers[layer], make_params(seed)
        h = features(seed, g.num_nodes, 4)
        perm = np.random.default_rng(seed).permutation(g.num_nodes)
        out = fn(params, h, g)
        np.testing.assert_allclose(fn(params, h[perm], relabel(g, perm)), out[perm], atol=1e-12)

    @pytest.mark.parametrize("layer", sorted(layers))
    @pytest.mark.parametrize("params_dtype", [np.float32, np.float64])
    def test_float32_in_float32_out(layer, params_dtype):
        g = gl.add_self_loops(random_graph(np.random.default_rng(0), 5))
        params = make_params(0, dtype=params_dtype)
        h32 = features(0, 5, 4, np.float32)
        out32 = call_without_mutation(layers[layer], params, h32, g)
        assert out32.dtype == np.float32
        out64 = layers[layer](params, h32.astype(np.float64), g)
        assert out64.dtype == np.float64
        np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-4)

    return test_permutation_equivariance, test_float32_in_float32_out


def conflicting_settings(norm, num_heads: int = 2) -> list[tuple[dict, str]]:
    """``(kwargs, message)`` for a ``num_heads`` or ``norm`` that a model was not built with."""
    conflicts = [
        (
            {"num_heads": other},
            f"num_heads={other}, but these params were built with num_heads={num_heads}",
        )
        for other in (1, 2 * num_heads)
    ]
    return conflicts + [
        ({"norm": other}, f"norm={other!r}, but these params were built with norm={norm!r}")
        for other in NORMS
        if other != norm
    ]


# --- bad input -----------------------------------------------------------------------


def refusal_test(cases: list[tuple]):
    """The test of a table of bad calls ``(id, call, exception, message pattern)``.

    ``test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)`` in a test
    file: every call must raise that exception with a message that matches.
    """

    @pytest.mark.parametrize(
        ("call", "exc", "match"), [c[1:] for c in cases], ids=[c[0] for c in cases]
    )
    def test(call, exc, match):
        with pytest.raises(exc, match=match):
            call()

    return test


# --- reference implementations (plain loops) ---------------------------------------


def ref_segment_sum(data, ids, n):
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros((n, *data.shape[1:]))
    for e, k in enumerate(ids):
        out[k] += data[e]
    return out


def ref_segment_reduce(data, ids, n, reduce):
    """``out[k] = reduce(the rows of segment k)``, one segment at a time; 0 where empty."""
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros((n, *data.shape[1:]))
    for k in range(n):
        rows = [data[e] for e in range(len(ids)) if ids[e] == k]
        if rows:
            out[k] = reduce(rows)
    return out


def ref_segment_max(data, ids, n):
    def largest(rows):
        best = rows[0].copy()
        for row in rows[1:]:
            best = np.where(row > best, row, best)
        return best

    return ref_segment_reduce(data, ids, n, largest)


def ref_segment_mean(data, ids, n):
    return ref_segment_reduce(data, ids, n, lambda rows: sum(rows) / len(rows))


def ref_softmax(values):
    """Softmax of a Python list; ``-inf`` entries get 0, an all ``-inf`` list all zeros."""
    finite = [x for x in values if x != -math.inf]
    if not finite:
        return [0.0] * len(values)
    m = max(finite)
    ex = [0.0 if x == -math.inf else math.exp(x - m) for x in values]
    total = sum(ex)
    return [x / total for x in ex]


def ref_segment_softmax(logits, ids, n):
    logits = np.asarray(logits, dtype=np.float64)
    flat = logits if logits.ndim == 2 else logits[:, None]
    out = np.zeros_like(flat)
    for k in range(n):
        edges = [e for e in range(len(ids)) if ids[e] == k]
        for h in range(flat.shape[1]):
            for e, a in zip(edges, ref_softmax([flat[e, h] for e in edges]), strict=True):
                out[e, h] = a
    return out.reshape(logits.shape)


def ref_attention(q, k, v, mask=None):
    """Dense attention one head and one query at a time. q, k: (n|m, H, d); v: (m, H, d_v)."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    n, H, d = q.shape
    m = k.shape[0]
    out = np.zeros((n, H, v.shape[2]))
    weights = np.zeros((H, n, m))
    for h in range(H):
        for i in range(n):
            keys = [j for j in range(m) if mask is None or mask[i, j]]
            scores = [float(np.dot(q[i, h], k[j, h])) / math.sqrt(d) for j in keys]
            for j, a in zip(keys, ref_softmax(scores), strict=True):
                weights[h, i, j] = a
                out[i, h] += a * v[j, h]
    return out, weights


def ref_gnn(params, h, graph, activation=None):
    h = np.asarray(h, dtype=np.float64)
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((h.shape[0], U.shape[1]))
    for i in range(h.shape[0]):
        out[i] = h[i] @ U + b
    for j, i in edge_list(graph):
        out[i] += h[j] @ V
    return out if activation is None else activation(out)


def ref_gat(params, h, graph, concat=True, activation=None, negative_slope=0.2):
    """GAT one head and one edge at a time; returns (out, alpha (E, H))."""
    h = np.asarray(h, dtype=np.float64)
    W, a_src, a_dst, b = params["W"], params["a_src"], params["a_dst"], params["b"]
    H, d_out = a_src.shape
    n = h.shape[0]
    edges = edge_list(graph)
    alpha = np.zeros((len(edges), H))
    heads = np.zeros((n, H, d_out))
    for head in range(H):
        Wk = W[:, head * d_out : (head + 1) * d_out]
        z = [h[i] @ Wk for i in range(n)]
        for i in range(n):
            incoming = [e for e, (_, r) in enumerate(edges) if r == i]
            scores = []
            for e in incoming:
                x = float(a_src[head] @ z[edges[e][0]] + a_dst[head] @ z[i])
                scores.append(x if x > 0 else negative_slope * x)
            for e, a in zip(incoming, ref_softmax(scores), strict=True):
                alpha[e, head] = a
                heads[i, head] += a * z[edges[e][0]]
    out = heads.reshape(n, H * d_out) if concat else heads.mean(axis=1)
    out = out + b
    return (out if activation is None else activation(out)), alpha


def ref_mha(params, h, num_heads, mask=None):
    """Multi-head attention the torch way: project, split the last axis into heads, concat."""
    h = np.asarray(h, dtype=np.float64)
    n, d_model = h.shape
    d_head = d_model // num_heads

    def proj(x):
        return h @ params[f"W_{x}"] + params.get(f"b_{x}", 0.0)

    q, k, v = proj("Q"), proj("K"), proj("V")
    concat = np.zeros((n, d_model))
    weights = np.zeros((num_heads, n, n))
    for head in range(num_heads):
        cols = slice(head * d_head, (head + 1) * d_head)
        o, w = ref_attention(q[:, None, cols], k[:, None, cols], v[:, None, cols], mask)
        concat[:, cols] = o[:, 0]
        weights[head] = w[0]
    return concat @ params["W_O"] + params.get("b_O", 0.0), weights


def ref_layer_norm(x, gamma, beta, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        row = x[idx]
        mu = sum(row) / len(row)
        var = sum((r - mu) ** 2 for r in row) / len(row)
        out[idx] = [
            (r - mu) / math.sqrt(var + eps) * g + b
            for r, g, b in zip(row, gamma, beta, strict=True)
        ]
    return out


def ref_ffn(params, x):
    hidden = np.asarray(x, dtype=np.float64) @ params["W1"] + params["b1"]
    return np.where(hidden > 0, hidden, 0.0) @ params["W2"] + params["b2"]


def ref_transformer(params, h, num_heads, mask=None, norm_first=False):
    ln1, ln2, attn, ffn = params["ln1"], params["ln2"], params["attn"], params["ffn"]
    if norm_first:
        x = h + ref_mha(attn, ref_layer_norm(h, ln1["gamma"], ln1["beta"]), num_heads, mask)[0]
        return x + ref_ffn(ffn, ref_layer_norm(x, ln2["gamma"], ln2["beta"]))
    x = ref_layer_norm(h + ref_mha(attn, h, num_heads, mask)[0], ln1["gamma"], ln1["beta"])
    return ref_layer_norm(x + ref_ffn(ffn, x), ln2["gamma"], ln2["beta"])


def randomize_params(params, rng: np.random.Generator):
    """A copy of ``params`` with every bias and LayerNorm vector made random (not 0 / 1).

    Any params tree: dicts, lists of layers, and the settings ``init_*`` records (kept).
    """
    return tree_map(
        lambda a: rng.normal(size=a.shape).astype(a.dtype) if a.ndim == 1 else a.copy(), params
    )
