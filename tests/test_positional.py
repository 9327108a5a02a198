"""``positional``: sinusoids by hand, Laplacian eigenvectors against their definition.

Plus what a model needs to use them on graphs of different sizes: ``pad_encoding``,
``flip_signs`` (an eigenvector's sign is arbitrary) and ``laplacian_positions``.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from conftest import call_without_mutation
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl

# --- sinusoidal_encoding --------------------------------------------------------------


def test_sinusoidal_position_zero_is_sin0_cos0():
    pe = gl.sinusoidal_encoding(3, 6)
    np.testing.assert_array_equal(pe[0], [0, 1, 0, 1, 0, 1])


@pytest.mark.parametrize(
    ("p", "col", "expected"),
    [
        (1, 0, math.sin(1.0)),  # 2i = 0: frequency 1
        (1, 1, math.cos(1.0)),
        (2, 2, math.sin(2 / 100)),  # d = 4, 2i = 2: 10000^(2/4) = 100
        (2, 3, math.cos(2 / 100)),
        (7, 3, math.cos(7 / 100)),
    ],
)
def test_sinusoidal_hand_computed_values_d4(p, col, expected):
    assert gl.sinusoidal_encoding(8, 4)[p, col] == pytest.approx(expected, abs=1e-15)


def test_sinusoidal_hand_computed_values_d6():
    pe = gl.sinusoidal_encoding(4, 6)
    assert pe[3, 2] == pytest.approx(math.sin(3 / 10000 ** (2 / 6)), abs=1e-15)
    assert pe[3, 5] == pytest.approx(math.cos(3 / 10000 ** (4 / 6)), abs=1e-15)
    assert pe[3, 4] == pytest.approx(math.sin(3 / 464.15888336127773), abs=1e-15)


def test_sinusoidal_odd_d_ends_with_a_sine():
    n, d = 6, 5
    pe = gl.sinusoidal_encoding(n, d)
    assert pe.shape == (n, d)
    p = np.arange(n)
    np.testing.assert_allclose(pe[:, 4], np.sin(p / 10000 ** (4 / 5)), atol=1e-15)
    np.testing.assert_allclose(pe[:, 3], np.cos(p / 10000 ** (2 / 5)), atol=1e-15)


@pytest.mark.parametrize("d", [2, 4, 16, 64])
def test_sinusoidal_even_d_pairs_lie_on_the_unit_circle(d):
    pe = gl.sinusoidal_encoding(50, d)
    np.testing.assert_allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0, atol=1e-12)


def test_sinusoidal_shift_is_a_rotation_of_each_pair():
    """PE[p + k] is PE[p] rotated by k * omega_i in each (sin, cos) pair: relative positions."""
    d, k = 8, 5
    pe = gl.sinusoidal_encoding(20, d)
    for i in range(d // 2):
        w = k / 10000 ** (2 * i / d)
        # (sin(a + w), cos(a + w)) = (sin a, cos a) @ [[cos w, -sin w], [sin w, cos w]]
        rotation = np.array([[math.cos(w), -math.sin(w)], [math.sin(w), math.cos(w)]])
        pair = pe[:, 2 * i : 2 * i + 2]
        np.testing.assert_allclose(pair[:-k] @ rotation, pair[k:], atol=1e-12)


def test_sinusoidal_dtype_and_empty_shapes():
    assert gl.sinusoidal_encoding(4, 6).dtype == np.float64
    pe32 = gl.sinusoidal_encoding(4, 6, dtype=np.float32)
    assert pe32.dtype == np.float32
    np.testing.assert_allclose(pe32, gl.sinusoidal_encoding(4, 6), atol=1e-7)
    assert gl.sinusoidal_encoding(0, 4).shape == (0, 4)
    assert gl.sinusoidal_encoding(3, 0).shape == (3, 0)
    assert gl.sinusoidal_encoding(np.int64(3), 1).shape == (3, 1)


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        ((-1, 4), ValueError, "n"),
        ((3, -2), ValueError, "d"),
        ((2.0, 4), TypeError, "n"),
        ((3, 2.5), TypeError, "d"),
        ((True, 4), TypeError, "n"),
    ],
)
def test_sinusoidal_rejects_bad_sizes(args, error, name):
    with pytest.raises(error, match=rf"^{name} must"):
        gl.sinusoidal_encoding(*args)


def test_sinusoidal_rejects_integer_dtype():
    with pytest.raises(TypeError, match="dtype"):
        gl.sinusoidal_encoding(3, 4, dtype=np.int64)


# --- laplacian_encoding: helpers ----------------------------------------------------------


def reference_laplacian(graph: gl.Graph, normalization) -> np.ndarray:
    """L = D - A or I - D^-1/2 A D^-1/2, built entry by entry (self loops dropped)."""
    n = graph.num_nodes
    adj = np.zeros((n, n))
    for j, i in zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True):
        if i != j:
            adj[i, j] = 1.0
    deg = adj.sum(axis=1)
    lap = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if normalization is None:
                lap[i, j] = (deg[i] if i == j else 0.0) - adj[i, j]
            else:
                lap[i, j] = (1.0 if i == j else 0.0) - adj[i, j] / math.sqrt(deg[i] * deg[j])
    return lap


def projector(v: np.ndarray) -> np.ndarray:
    """V V^T: the subspace spanned by the orthonormal columns of V, free of basis choice."""
    return v @ v.T


def karate() -> gl.Graph:
    return gl.from_networkx(nx.karate_club_graph())


GRAPHS = {
    "path": gl.path_graph(9),
    "window": gl.window_graph(8, 2),
    "dependency": gl.dependency_graph(gl.example_sentence()[1]),
    "complete": gl.complete_graph(6),
    "karate": karate(),
}
NORMALIZATIONS = ["sym", None]


# --- laplacian_encoding: what it computes ----------------------------------------------


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("name", GRAPHS)
def test_laplacian_columns_are_orthonormal_eigenvectors_in_ascending_order(name, normalization):
    graph = GRAPHS[name]
    n = graph.num_nodes
    k = min(n - 1, 6)
    v = gl.laplacian_encoding(graph, k, normalization)
    assert v.shape == (n, k)
    assert v.dtype == np.float64
    np.testing.assert_allclose(v.T @ v, np.eye(k), atol=1e-10)
    lap = reference_laplacian(graph, normalization)
    lam = np.einsum("nk,nm,mk->k", v, lap, v)  # Rayleigh quotients
    np.testing.assert_allclose(lap @ v, v * lam, atol=1e-10)  # L v = lambda v, column by column
    assert (np.diff(lam) >= -1e-10).all(), "eigenvalues must ascend"
    # the trivial eigenvalue 0 is skipped: these are lambda_1 .. lambda_k
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(lap)[1 : k + 1], atol=1e-10)
    assert lam[0] > 1e-8


@pytest.mark.parametrize("name", GRAPHS)
def test_laplacian_columns_are_orthogonal_to_the_trivial_eigenvector(name):
    graph = GRAPHS[name]
    k = graph.num_nodes - 1
    np.testing.assert_allclose(gl.laplacian_encoding(graph, k, None).sum(axis=0), 0, atol=1e-10)
    adj = graph.adjacency()
    np.fill_diagonal(adj, 0)  # self loops do not count
    deg = adj.sum(axis=1)
    v = gl.laplacian_encoding(graph, k, "sym")
    np.testing.assert_allclose(np.sqrt(deg) @ v, 0, atol=1e-10)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("name", GRAPHS)
def test_laplacian_sign_convention_largest_entry_positive(name, normalization):
    graph = GRAPHS[name]
    v = gl.laplacian_encoding(graph, graph.num_nodes - 1, normalization)
    for col in v.T:
        mags = np.abs(col)
        first_top = np.flatnonzero(mags >= mags.max() - 1e-9)[0]
        assert col[first_top] > 0


def test_laplacian_sign_convention_breaks_ties_at_the_first_entry():
    # path_graph(2): v_1 = (1, -1) / sqrt(2), a tie; the first entry must be the positive one
    v = gl.laplacian_encoding(gl.path_graph(2), 1, None)
    np.testing.assert_allclose(v[:, 0], [1 / math.sqrt(2), -1 / math.sqrt(2)], atol=1e-12)


def test_laplacian_quadratic_form_sums_squared_differences_over_edges():
    graph = GRAPHS["dependency"]
    v = gl.laplacian_encoding(graph, 3, None)
    lap = reference_laplacian(graph, None)
    for col in v.T:
        by_edges = (
            sum((col[i] - col[j]) ** 2 for j, i in zip(graph.senders, graph.receivers, strict=True))
            / 2
        )
        assert col @ lap @ col == pytest.approx(by_edges, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 32])
def test_laplacian_of_path_graph_is_cosines_of_the_position(n):
    """The bridge to sinusoids: v_m[p] = cos(pi m (p + 1/2) / n), normalised, up to sign."""
    v = gl.laplacian_encoding(gl.path_graph(n), n - 1, normalization=None)
    p = np.arange(n)
    for m in range(1, n):
        c = np.cos(np.pi * m * (p + 0.5) / n)
        c /= np.linalg.norm(c)
        err = min(np.abs(v[:, m - 1] - c).max(), np.abs(v[:, m - 1] + c).max())
        assert err < 1e-10, f"n={n}, m={m}: column {m - 1} is not the cosine of frequency {m}"


def test_laplacian_of_path_graph_eigenvalues_are_closed_form():
    n = 10
    v = gl.laplacian_encoding(gl.path_graph(n), n - 1, normalization=None)
    lam = np.einsum("nk,nm,mk->k", v, reference_laplacian(gl.path_graph(n), None), v)
    np.testing.assert_allclose(lam, 2 - 2 * np.cos(np.pi * np.arange(1, n) / n), atol=1e-12)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_laplacian_ignores_self_loops(normalization):
    path = gl.path_graph(7)  # distinct eigenvalues: the columns themselves must agree
    np.testing.assert_allclose(
        gl.laplacian_encoding(gl.add_self_loops(path), 4, normalization),
        gl.laplacian_encoding(path, 4, normalization),
        atol=1e-12,
    )
    with_loops, without = gl.complete_graph(5), gl.complete_graph(5, self_loops=False)
    np.testing.assert_allclose(
        projector(gl.laplacian_encoding(with_loops, 4, normalization)),
        projector(gl.laplacian_encoding(without, 4, normalization)),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    ("graph", "degree", "ks"),
    [
        (gl.from_networkx(nx.cycle_graph(8)), 2, [2, 4, 6, 7]),  # eigenvalue pairs: whole pairs
        (gl.complete_graph(6, self_loops=False), 5, [5]),
        (gl.from_networkx(nx.petersen_graph()), 3, [5, 9]),
    ],
)
def test_laplacian_sym_on_regular_graph_is_unnormalized_scaled(graph, degree, ks):
    """On a d-regular graph L_sym = L / d: same eigenspaces, eigenvalues divided by d."""
    for k in ks:
        v_sym = gl.laplacian_encoding(graph, k, "sym")
        v_raw = gl.laplacian_encoding(graph, k, None)
        np.testing.assert_allclose(projector(v_sym), projector(v_raw), atol=1e-10)
        lam_sym = np.einsum("nk,nm,mk->k", v_sym, reference_laplacian(graph, "sym"), v_sym)
        lam_raw = np.einsum("nk,nm,mk->k", v_raw, reference_laplacian(graph, None), v_raw)
        np.testing.assert_allclose(lam_sym, lam_raw / degree, atol=1e-10)


def test_laplacian_tiny_graphs_and_k_zero():
    assert gl.laplacian_encoding(gl.Graph([], [], 0), 0).shape == (0, 0)
    assert gl.laplacian_encoding(gl.Graph([], [], 1), 0).shape == (1, 0)
    assert gl.laplacian_encoding(gl.complete_graph(1), 0, None).shape == (1, 0)
    assert gl.laplacian_encoding(gl.path_graph(5), 0).shape == (5, 0)


def test_laplacian_is_deterministic_and_does_not_mutate():
    graph = karate()
    first = call_without_mutation(gl.laplacian_encoding, graph, 5)
    np.testing.assert_array_equal(first, gl.laplacian_encoding(graph, 5))


@st.composite
def connected_undirected_graphs(draw):
    """A random spanning tree (node i hangs off an earlier node) plus random extra edges."""
    n = draw(st.integers(2, 12))
    parents = [draw(st.integers(0, i - 1)) for i in range(1, n)]
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=15))
    pairs = {(p, i) for i, p in enumerate(parents, start=1)}
    pairs |= {(a, b) for a, b in extra if a != b}
    pairs |= {(b, a) for a, b in pairs}
    s, r = zip(*sorted(pairs), strict=True)
    return gl.Graph(np.array(s), np.array(r), n)


@given(graph=connected_undirected_graphs(), normalization=st.sampled_from(NORMALIZATIONS))
def test_laplacian_property_random_connected_graphs(graph, normalization):
    n = graph.num_nodes
    v = gl.laplacian_encoding(graph, n - 1, normalization)
    np.testing.assert_allclose(v.T @ v, np.eye(n - 1), atol=1e-9)
    lap = reference_laplacian(graph, normalization)
    lam = np.einsum("nk,nm,mk->k", v, lap, v)
    np.testing.assert_allclose(lap @ v, v * lam, atol=1e-9)
    assert (np.diff(lam) >= -1e-9).all()
    assert lam[0] > 1e-9


# --- laplacian_encoding: errors -------------------------------------------------------------


def test_laplacian_rejects_directed_graph():
    with pytest.raises(ValueError, match=r"not undirected: edge 0 -> 1 has no reverse 1 -> 0"):
        gl.laplacian_encoding(gl.causal_graph(4), 2)


def test_laplacian_rejects_disconnected_graph():
    two_paths, _, _ = gl.batch_graphs([gl.path_graph(3), gl.path_graph(4)])
    with pytest.raises(ValueError, match="graph has 2 connected components; .* connected graph"):
        gl.laplacian_encoding(two_paths, 2)
    isolated = gl.Graph([0, 1], [1, 0], 3)  # node 2 has no edge
    with pytest.raises(ValueError, match="2 connected components"):
        gl.laplacian_encoding(isolated, 1, None)


def test_laplacian_rejects_k_too_large():
    with pytest.raises(ValueError, match=r"k=4 .* n=4 .* n - 1 = 3"):
        gl.laplacian_encoding(gl.path_graph(4), 4)
    with pytest.raises(ValueError, match=r"k=1 .* n=0"):
        gl.laplacian_encoding(gl.Graph([], [], 0), 1)


def test_laplacian_rejects_bad_k_and_normalization():
    with pytest.raises(ValueError, match="^k must be >= 0"):
        gl.laplacian_encoding(gl.path_graph(4), -1)
    with pytest.raises(TypeError, match="^k must be an int"):
        gl.laplacian_encoding(gl.path_graph(4), 2.0)
    with pytest.raises(ValueError, match="normalization"):
        gl.laplacian_encoding(gl.path_graph(4), 2, "rw")


def test_laplacian_rejects_non_graph():
    with pytest.raises(TypeError, match="graph must be a gnnformer_lite.Graph"):
        gl.laplacian_encoding(gl.path_graph(4).adjacency(), 2)
    with pytest.raises(TypeError, match="graph must be a gnnformer_lite.Graph"):
        gl.laplacian_encoding(nx.path_graph(4), 2)


# --- pad_encoding, flip_signs, laplacian_positions -------------------------------------------


def test_pad_encoding_appends_zero_columns():
    pe = gl.laplacian_encoding(gl.path_graph(3), 2)
    out = call_without_mutation(gl.pad_encoding, pe, 5)
    assert out.shape == (3, 5)
    np.testing.assert_array_equal(out[:, :2], pe)
    assert (out[:, 2:] == 0).all()
    np.testing.assert_array_equal(gl.pad_encoding(pe, 2), pe)
    assert gl.pad_encoding(np.zeros((4, 0)), 3).shape == (4, 3)
    assert gl.pad_encoding(np.zeros((0, 2)), 3).shape == (0, 3)


@pytest.mark.parametrize(
    ("pe", "k", "error", "match"),
    [
        (np.ones((3, 3)), 2, ValueError, r"pe has 3 columns, more than k=2: slice it, pe\[:, :k\]"),
        (
            np.ones(3),
            4,
            ValueError,
            r"pe must be \(n, k'\) -- one row per node -- got shape \(3,\)",
        ),
        (np.ones((1, 3, 3)), 4, ValueError, r"got shape \(1, 3, 3\)"),
        (np.ones((3, 3)), -1, ValueError, "k must be >= 0"),
        (np.ones((3, 3)), 4.0, TypeError, "k must be an int"),
    ],
)
def test_pad_encoding_bad_inputs(pe, k, error, match):
    with pytest.raises(error, match=match):
        gl.pad_encoding(pe, k)


@pytest.mark.parametrize("shape", [(6, 4), (3, 5, 4)], ids=["one graph", "batch"])
def test_flip_signs_multiplies_each_column_by_one_shared_sign(shape):
    pe = np.random.default_rng(0).normal(size=shape)
    flipped = gl.flip_signs(before := pe.copy(), np.random.default_rng(1))
    np.testing.assert_array_equal(before, pe)  # a new array: pe is not touched
    assert flipped.shape == shape
    signs = (flipped / pe).reshape(-1, shape[-1])
    np.testing.assert_array_equal(np.abs(signs), 1.0)
    np.testing.assert_array_equal(signs, np.broadcast_to(signs[:1], signs.shape))  # shared
    again = gl.flip_signs(pe, np.random.default_rng(1))
    np.testing.assert_array_equal(flipped, again)  # deterministic given the seed
    # products pe_i * pe_j within a column, hence the projector PE PE^T, do not see the sign
    a = pe.reshape(-1, shape[-1])
    f = flipped.reshape(-1, shape[-1])
    np.testing.assert_allclose(np.einsum("im,jm->mij", f, f), np.einsum("im,jm->mij", a, a))
    np.testing.assert_allclose(f @ f.T, a @ a.T)


def test_flip_signs_draws_both_signs():
    rng = np.random.default_rng(2)
    pe = np.ones((2, 3))
    draws = np.array([gl.flip_signs(pe, rng)[0] for _ in range(40)])
    assert ((draws == 1).any(axis=0) & (draws == -1).any(axis=0)).all()
    assert 0.3 < (draws == 1).mean() < 0.7


@pytest.mark.parametrize(
    ("pe", "rng", "error", "match"),
    [
        (np.ones((2, 3)), 0, TypeError, r"rng must be a seeded np.random.Generator.*got int"),
        (np.ones((2, 3)), None, TypeError, "got NoneType"),
        (1.0, np.random.default_rng(0), ValueError, "got a scalar"),
    ],
)
def test_flip_signs_bad_inputs(pe, rng, error, match):
    with pytest.raises(error, match=match):
        gl.flip_signs(pe, rng)


def test_laplacian_positions():
    big, small, single = gl.path_graph(7), gl.path_graph(3), gl.Graph([], [], 1)
    pe = call_without_mutation(gl.laplacian_positions, [big, small, single], 4)
    assert [p.shape for p in pe] == [(7, 4), (3, 4), (1, 4)]
    np.testing.assert_array_equal(pe[0], gl.laplacian_encoding(big, 4))  # "sym", all 4 columns
    np.testing.assert_array_equal(pe[1][:, :2], gl.laplacian_encoding(small, 2))  # n - 1 = 2
    assert (pe[1][:, 2:] == 0).all() and (pe[2] == 0).all()
    assert gl.laplacian_positions([gl.Graph([], [], 0)], 2)[0].shape == (0, 2)
    assert gl.laplacian_positions([], 3) == []


@pytest.mark.parametrize(
    ("graphs", "k", "error", "match"),
    [
        ([gl.path_graph(3)], -1, ValueError, "k must be >= 0, got -1"),
        ([gl.path_graph(3), np.eye(2)], 2, TypeError, r"graphs\[1\] must be a gnnformer_lite"),
        ([gl.causal_graph(3)], 2, ValueError, "graph is not undirected"),
    ],
)
def test_laplacian_positions_bad_inputs(graphs, k, error, match):
    with pytest.raises(error, match=match):
        gl.laplacian_positions(graphs, k)


def test_laplacian_encoding_computes_a_graphs_eigenvectors_once(monkeypatch):
    from gnnformer_lite import positional

    g = gl.path_graph(7)
    first = gl.laplacian_encoding(g, 3)
    calls = []
    monkeypatch.setattr(positional.np.linalg, "eigh", lambda a: calls.append(a))
    again = gl.laplacian_encoding(g, 2)  # cached: no new eigh
    np.testing.assert_array_equal(again, first[:, :2])
    again[0, 0] = 99.0  # a copy: the cache is not changed through it
    np.testing.assert_array_equal(gl.laplacian_encoding(g, 3), first)
    assert calls == []


def test_the_eigenvector_cache_is_bounded(monkeypatch):
    from gnnformer_lite import positional

    monkeypatch.setattr(positional, "_CACHE_SIZE", 2)
    monkeypatch.setattr(positional, "_EIGENVECTORS", {})
    keep = [gl.path_graph(n) for n in (3, 4, 5)]
    for g in keep:
        gl.laplacian_encoding(g, 1)
    assert len(positional._EIGENVECTORS) <= 2
