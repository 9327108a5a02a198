"""Shared test helpers: the hypothesis profile, a random-graph strategy, and
reference implementations written as plain Python loops.

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
from hypothesis import settings
from hypothesis import strategies as st

import gnnformer_lite as gl
from gnnformer_lite._params import tree_map

# Reproducible by default: the same examples on every run and every machine.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- the reference tests against PyTorch / PyG (tests/test_torch_*.py) -------------

REFERENCE_SKIP = (
    "torch / torch_geometric not installed (not part of `make test`): run `make test-reference`, "
    "which installs their CPU builds into .venv and runs tests/test_torch_*.py"
)
# Set by `make test-reference`: there a missing torch, or any skip in a reference test, fails.
REQUIRE_TORCH = os.environ.get("GNNFORMER_REQUIRE_TORCH", "") not in ("", "0")


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


# --- reference implementations (plain loops) ---------------------------------------


def ref_segment_sum(data, ids, n):
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros((n, *data.shape[1:]))
    for e, k in enumerate(ids):
        out[k] += data[e]
    return out


def ref_segment_max(data, ids, n):
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros((n, *data.shape[1:]))
    for k in range(n):
        rows = [data[e] for e in range(len(ids)) if ids[e] == k]
        if rows:
            best = rows[0].copy()
            for row in rows[1:]:
                best = np.where(row > best, row, best)
            out[k] = best
    return out


def ref_segment_mean(data, ids, n):
    data = np.asarray(data, dtype=np.float64)
    out = np.zeros((n, *data.shape[1:]))
    for k in range(n):
        rows = [data[e] for e in range(len(ids)) if ids[e] == k]
        if rows:
            out[k] = sum(rows) / len(rows)
    return out


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
