"""Your own sentence drawn: draw_layers (sentence_words / sentence_graphs: test_sentences.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

import gnnformer_lite as gl  # noqa: E402

WORDS, HEADS = gl.example_sentence()


@pytest.fixture(autouse=True)
def close_figures():
    with matplotlib.rc_context():
        yield
    plt.close("all")


# ---------------------------------------------------------------------- draw_layers


def arrows(ax) -> list[FancyArrowPatch]:
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def widths(ax) -> list[float]:
    return sorted(round(a.get_linewidth(), 6) for a in arrows(ax))


def layers_by_hand(n: int, graph: gl.Graph, seed: int, d: int):
    """The GAT's and the Transformer's weights, from the same seed sequence as draw_layers."""
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, d))
    gat_graph = gl.add_self_loops(graph)
    _, alpha = gl.gat_layer(gl.init_gat_layer(rng, d, d), h, gat_graph, return_attention=True)
    params = gl.init_transformer_layer(rng, d, num_heads=1, d_ff=2 * d)
    complete = gl.complete_graph(n)
    _, weights = gl.transformer_layer(params, h, complete, num_heads=1, return_attention=True)
    return gat_graph, alpha[:, 0], complete, weights[:, 0]


def expected_widths(graph: gl.Graph, weights: np.ndarray, keep: np.ndarray) -> list[float]:
    """Line widths of the kept non-loop edges: 2.2 x weight / the largest kept weight."""
    strength = weights / weights[keep].max()
    arcs = keep & (graph.senders != graph.receivers)
    return sorted(round(w, 6) for w in (2.2 * strength[arcs]).tolist())


def strongest_per_receiver(graph: gl.Graph, weights: np.ndarray, k: int) -> np.ndarray:
    """``(E,)`` bool: each receiver's k largest weights, ties to the earlier edge (a loop)."""
    keep = np.zeros(graph.num_edges, dtype=bool)
    for i in range(graph.num_nodes):
        edges = np.flatnonzero(graph.receivers == i)
        ranked = sorted(edges.tolist(), key=lambda e: (-weights[e], e))
        keep[ranked[:k]] = True
    return keep


def test_draw_layers_with_heads_draws_the_three_layers(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("must not call plt.show()"))
    axes = gl.draw_layers(WORDS, HEADS, seed=3, d=6)
    assert axes.shape == (3,)
    assert len({ax.figure for ax in axes}) == 1
    n, tree = len(WORDS), gl.dependency_graph(HEADS)
    # GNN: the tree, one two-headed arc per word-head pair
    assert len(arrows(axes[0])) == n - 1
    assert f"dependency tree: {tree.num_edges} edges" in axes[0].get_title()
    # GAT: its own weights on the tree's edges (self loops are rings)
    gat_graph, alpha, complete, weights = layers_by_hand(n, tree, seed=3, d=6)
    assert widths(axes[1]) == pytest.approx(
        expected_widths(gat_graph, alpha, np.ones(gat_graph.num_edges, bool)), abs=1e-5
    )
    assert f"α on {gat_graph.num_edges} edges" in axes[1].get_title()
    # Transformer: the 2 strongest of each word's n incoming weights, on the complete graph
    keep = strongest_per_receiver(complete, weights, 2)
    assert widths(axes[2]) == pytest.approx(expected_widths(complete, weights, keep), abs=1e-5)
    assert f"α on {n * n} edges, each word's 2 strongest drawn" in axes[2].get_title()


def test_draw_layers_top_k_none_draws_every_transformer_edge():
    axes = gl.draw_layers("a b c d", top_k=None)
    assert len(arrows(axes[2])) == 4 * 3  # every j -> i with j != i; loops are rings
    assert "strongest" not in axes[2].get_title()


def test_draw_layers_receiver_shows_one_words_edges():
    words, heads = ["the", "dog", "chased", "the", "ball"], [1, 2, -1, 4, 2]
    i = words.index("chased")
    axes = gl.draw_layers(words, heads, receiver=i, seed=1)
    tree = gl.dependency_graph(heads)
    senders = tree.senders[tree.receivers == i]
    for ax in axes:
        assert f"into {i} 'chased'" in ax.get_title()
    gat_graph, alpha, complete, weights = layers_by_hand(len(words), tree, seed=1, d=8)
    # GAT and Transformer label every edge into "chased" with its weight, loop included
    labels = sorted(t.get_text() for t in axes[1].texts if t.get_text().startswith("0."))
    into = gat_graph.receivers == i
    assert labels == sorted(f"{a:.2f}" for a in alpha[into])
    assert len(arrows(axes[1])) == len(senders)
    assert len(arrows(axes[2])) == len(words) - 1  # all of them: top_k does not apply
    labels = sorted(t.get_text() for t in axes[2].texts if t.get_text().startswith("0."))
    assert labels == sorted(f"{w:.2f}" for w in weights[complete.receivers == i])


def test_draw_layers_without_heads_uses_the_window():
    axes = gl.draw_layers("the dog chased the ball", radius=2)
    window = gl.window_graph(5, 2, self_loops=False)
    assert f"window (radius 2): {window.num_edges} edges" in axes[0].get_title()
    assert len(arrows(axes[1])) == window.num_edges


def test_draw_layers_is_deterministic_and_seeded():
    np.testing.assert_array_equal(
        widths(gl.draw_layers("a b c d", seed=1)[2]), widths(gl.draw_layers("a b c d", seed=1)[2])
    )
    assert widths(gl.draw_layers("a b c d", seed=1)[1]) != widths(
        gl.draw_layers("a b c d", seed=2)[1]
    )


def test_draw_layers_into_given_axes():
    fig, axes = plt.subplots(1, 3)
    out = gl.draw_layers("one two", axes=axes)
    assert list(out) == list(axes)
    assert all(ax.figure is fig for ax in out)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sentence": ""}, ValueError, "sentence is empty"),
        ({"heads": [0, -1, -1]}, ValueError, "exactly one root"),
        ({"heads": [-1]}, ValueError, "heads has shape"),
        ({"d": 0}, ValueError, "d must be >= 1"),
        ({"d": 2.0}, TypeError, "d must be an int"),
        ({"receiver": 3}, ValueError, "receiver=3 is out of range"),
        ({"receiver": "cat"}, TypeError, "receiver must be a node index"),
        ({"top_k": 0}, ValueError, "top_k must be >= 1"),
        ({"axes": "not axes"}, ValueError, "three matplotlib Axes"),
    ],
)
def test_draw_layers_bad_input(kwargs, error, match):
    args = {"sentence": "the cat sat", **kwargs}
    if "axes" in kwargs:
        _, args["axes"] = plt.subplots(1, 2)
    with pytest.raises(error, match=match):
        gl.draw_layers(**args)
