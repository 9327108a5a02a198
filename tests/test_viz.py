"""Plots: they return Axes, draw one artist per edge or cell, label the words, check their inputs.

The tests look at what is drawn (arrows, rings, texts, tick labels, colours), not at how:
``draw_layers`` against the layers run by hand, ``pca_2d`` against the covariance.
``setup_notebook`` and ``show_error``: test_notebook.py.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import call_without_mutation, graphs  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_rgba, to_rgba_array  # noqa: E402
from matplotlib.patches import ArrowStyle, FancyArrowPatch  # noqa: E402

import gnnformer_lite as gl  # noqa: E402

WORDS, HEADS = gl.example_sentence()
N = len(WORDS)
ORANGE = to_rgba("#f6b26b")  # the highlighted node, the receiver
FEW_EXAMPLES = settings(max_examples=8)  # every example draws figures: keep the file fast


@pytest.fixture(autouse=True)
def close_figures():
    """Every test leaves rcParams and the open figures as it found them."""
    with matplotlib.rc_context():
        yield
    plt.close("all")


@pytest.fixture
def no_show(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plotting functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)


def arrows(ax: Axes) -> list[FancyArrowPatch]:
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def rings(ax: Axes) -> np.ndarray:
    """``(L, 2)`` centres of the self-loop rings."""
    found = [c for c in ax.collections if c.get_gid() == "self_loops"]
    assert len(found) == 1
    return np.asarray(found[0].get_offsets())


def arc_points(arc: FancyArrowPatch) -> np.ndarray:
    """``(m, 2)`` points along the drawn arrow (line and head), curves flattened, in data units."""
    return np.concatenate(arc.get_path().to_polygons(closed_only=False))


def texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.texts]


def non_loop_edges(graph: gl.Graph) -> int:
    return int((graph.senders != graph.receivers).sum())


SENTENCE_GRAPHS = {  # name: (graph, arcs drawn by draw_graph = pairs + one-way edges)
    "complete": (gl.complete_graph(N), 45),
    "window": (gl.window_graph(N, 2), 9 + 8),
    "causal": (gl.causal_graph(N), 45),
    "dependency": (gl.dependency_graph(HEADS), 9),
}


# --- draw_graph: sentence layout ---------------------------------------------------------


@pytest.mark.parametrize("name", SENTENCE_GRAPHS)
def test_draw_graph_sentence_draws_one_arc_per_pair_and_labels_the_words(name, no_show):
    graph, num_arcs = SENTENCE_GRAPHS[name]
    ax = gl.draw_graph(graph, WORDS, title=name)
    assert isinstance(ax, Axes)
    assert texts(ax) == WORDS
    assert len(arrows(ax)) == num_arcs
    assert len(rings(ax)) == int(graph.has_self_loops()) * N
    assert ax.get_title() == name


def test_draw_graph_sentence_arrow_heads_follow_direction():
    ax = gl.draw_graph(gl.causal_graph(4), list("abcd"))
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledB) for p in arrows(ax))
    ax = gl.draw_graph(gl.dependency_graph(HEADS), WORDS)
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledAB) for p in arrows(ax))


def test_draw_graph_sentence_arc_spans_sender_to_receiver_above_the_line():
    ax = gl.draw_graph(gl.Graph([0], [3], 5), list("abcde"))
    (arc,) = arrows(ax)
    xy = arc_points(arc)
    assert 0 <= xy[:, 0].min() < 0.5 and 2.5 < xy[:, 0].max() <= 3
    assert xy[:, 1].min() > 0  # above the words
    assert xy[:, 1].max() < ax.get_ylim()[1]  # and inside the Axes


def test_draw_graph_sentence_self_loops_sit_above_their_words():
    ax = gl.draw_graph(gl.Graph([1, 3], [1, 3], 4), list("abcd"))
    centres = rings(ax)
    np.testing.assert_array_equal(centres[:, 0], [1, 3])
    assert (centres[:, 1] > 0).all()
    assert arrows(ax) == []


def test_draw_graph_into_given_axes_makes_no_new_figure(no_show):
    fig, axes = plt.subplots(1, 2)
    before = plt.get_fignums()
    assert gl.draw_graph(gl.path_graph(N), WORDS, ax=axes[0]) is axes[0]
    assert gl.draw_graph(gl.path_graph(N), ax=axes[1]) is axes[1]
    assert plt.get_fignums() == before


@pytest.mark.parametrize("n", [0, 1, 3])
def test_draw_graph_handles_empty_graphs(n):
    empty = gl.Graph([], [], n)
    for words in (None, [f"w{k}" for k in range(n)]):
        ax = gl.draw_graph(empty, words)
        assert isinstance(ax, Axes)
        assert arrows(ax) == []
        assert len(rings(ax)) == 0
        assert texts(ax) == (words if words is not None else [str(k) for k in range(n)])


def test_draw_graph_node_colors():
    v = gl.laplacian_encoding(gl.path_graph(5), 1)[:, 0]  # changes sign along the path
    ax = gl.draw_graph(gl.path_graph(5), node_color=v)
    face = ax.collections[0].get_facecolors()
    assert face.shape == (5, 4)
    assert face[0, 0] > face[0, 2] and face[-1, 2] > face[-1, 0]  # red one end, blue the other
    ax = gl.draw_graph(gl.path_graph(3), list("abc"), node_color=["red", "green", "blue"])
    boxes = [t.get_bbox_patch().get_facecolor() for t in ax.texts]
    np.testing.assert_allclose(boxes, to_rgba_array(["red", "green", "blue"]))
    ax = gl.draw_graph(gl.path_graph(3), node_color="black")
    np.testing.assert_array_equal(ax.collections[0].get_facecolors()[:, :3], 0)


def test_draw_graph_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"words has 9 entries .* n=10 nodes"):
        gl.draw_graph(gl.path_graph(N), WORDS[:-1])
    with pytest.raises(TypeError, match="words must be a sequence"):
        gl.draw_graph(gl.path_graph(3), "abc")
    with pytest.raises(TypeError, match="graph must be a gnnformer_lite.Graph"):
        gl.draw_graph(nx.path_graph(3))
    with pytest.raises(ValueError, match=r"node_color has shape \(4,\) .* n=3"):
        gl.draw_graph(gl.path_graph(3), node_color=np.zeros(4))
    with pytest.raises(ValueError, match="spring layout is for small graphs"):
        gl.draw_graph(gl.Graph([], [], 500))


# --- draw_graph: spring layout -------------------------------------------------------------


def test_draw_graph_karate_club_is_labelled_and_reproducible(no_show):
    karate = gl.from_networkx(nx.karate_club_graph())
    ax = gl.draw_graph(karate, title="karate")
    assert texts(ax) == [str(k) for k in range(34)]
    assert len(arrows(ax)) == 78  # one line per undirected edge
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledAB) for p in arrows(ax))
    assert ax.figure.get_size_inches()[0] > 6  # a big graph gets a big figure


def test_draw_graph_spring_layout_is_seeded():
    graph = gl.union_graph(gl.path_graph(6), gl.Graph([0, 5], [5, 0], 6))  # a ring
    first = gl.draw_graph(graph).collections[0].get_offsets().copy()
    again = gl.draw_graph(graph).collections[0].get_offsets()
    np.testing.assert_array_equal(first, again)


def test_draw_graph_spring_shows_one_way_edges_and_self_loops():
    graph = gl.causal_graph(4)
    ax = gl.draw_graph(graph)
    assert len(arrows(ax)) == 6
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledB) for p in arrows(ax))
    np.testing.assert_array_equal(rings(ax), ax.collections[0].get_offsets())  # around nodes


@FEW_EXAMPLES
@given(graph=graphs())
def test_draw_graph_any_graph_draws_each_edge_once(graph):
    n = graph.num_nodes
    pairs = {
        tuple(sorted(e)) for e in zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True)
    }
    expected = sum(1 for j, i in pairs if j != i)  # a pair or a one-way edge: one artist
    loops = int((graph.senders == graph.receivers).sum())
    for words in (None, [f"w{k}" for k in range(n)]):
        ax = gl.draw_graph(graph, words)
        assert len(arrows(ax)) == expected
        assert len(rings(ax)) == loops
        plt.close(ax.figure)


@pytest.mark.parametrize("words", [None, list("abc")])
def test_draw_graph_pair_has_two_heads_one_way_edge_one_in_both_layouts(words):
    graph = gl.Graph([0, 1, 1], [1, 0, 2], 3)  # 0 <-> 1 and 1 -> 2
    styles = [type(p.get_arrowstyle()) for p in arrows(gl.draw_graph(graph, words))]
    assert sorted(s.__name__ for s in styles) == ["CurveFilledAB", "CurveFilledB"]


# --- draw_graph: highlight -------------------------------------------------------------------


def is_red(color) -> bool:
    return np.allclose(to_rgba(color), to_rgba("C3"))


@pytest.mark.parametrize("words", [None, list("abcd")])
def test_draw_graph_highlight_draws_the_incoming_edges_on_top_of_a_faint_graph(words):
    graph = gl.causal_graph(4)  # node 2 hears 0, 1 and itself
    ax = gl.draw_graph(graph, words, highlight=2)
    red = [p for p in arrows(ax) if is_red(p.get_edgecolor())]
    faint = [p for p in arrows(ax) if not is_red(p.get_edgecolor())]
    assert len(faint) == 6  # the whole graph, faint
    assert len(red) == 2  # 0 -> 2 and 1 -> 2, one head each, at the receiver
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledB) for p in red)
    assert all(p.get_zorder() > q.get_zorder() for p in red for q in faint)
    ring_colors = [c for c in ax.collections if c.get_gid() == "self_loops"][0].get_edgecolors()
    assert [is_red(c) for c in ring_colors] == [False, False, True, False]
    if words is not None:
        for arc in red:  # each ends at word 2 (the head sits at the receiver)
            assert abs(arc_points(arc)[:, 0].max() - 2) < 0.5
        box = ax.texts[2].get_bbox_patch().get_facecolor()
        np.testing.assert_allclose(box, ORANGE)


def test_draw_graph_highlight_of_a_pair_and_a_lonely_node():
    tree = gl.dependency_graph(HEADS)
    sat = WORDS.index("sat")
    ax = gl.draw_graph(tree, WORDS, highlight=sat)
    assert sum(is_red(p.get_edgecolor()) for p in arrows(ax)) == tree.in_degree[sat]
    ax = gl.draw_graph(gl.Graph([0], [1], 3), highlight=2)  # nobody talks to node 2
    assert not any(is_red(p.get_edgecolor()) for p in arrows(ax))
    ax = gl.draw_graph(gl.path_graph(3), node_color="black", highlight=1)  # colour wins
    np.testing.assert_array_equal(ax.collections[0].get_facecolors()[:, :3], 0)


def test_draw_graph_highlight_rejects_bad_nodes():
    with pytest.raises(TypeError, match=r"highlight must be a node index .*words.index.* 'sat'"):
        gl.draw_graph(gl.path_graph(N), WORDS, highlight="sat")
    with pytest.raises(TypeError, match="highlight must be a node index"):
        gl.draw_graph(gl.path_graph(N), WORDS, highlight=True)
    with pytest.raises(ValueError, match=r"highlight=10 is out of range .* n=10 nodes"):
        gl.draw_graph(gl.path_graph(N), WORDS, highlight=N)
    with pytest.raises(ValueError, match=r"highlight=-1 is out of range"):
        gl.draw_graph(gl.path_graph(N), highlight=-1)


# --- draw_attention -------------------------------------------------------------------------


def attention(graph: gl.Graph, heads: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, k, v = (rng.normal(size=(graph.num_nodes, heads, 4)) for _ in range(3))
    return gl.graph_attention(q, k, v, graph)[1]


@pytest.mark.parametrize("name", SENTENCE_GRAPHS)
def test_draw_attention_draws_every_edge_and_every_loop(name, no_show):
    graph, _ = SENTENCE_GRAPHS[name]
    alpha = attention(graph)
    ax = gl.draw_attention(graph, alpha, WORDS, head=1, title=name)
    assert isinstance(ax, Axes)
    assert set(WORDS) <= set(texts(ax))
    assert texts(ax)[:N] == WORDS
    assert len(arrows(ax)) == non_loop_edges(graph)
    assert len(rings(ax)) == graph.num_edges - non_loop_edges(graph)
    assert ax.get_title() == name


def test_draw_attention_width_and_opacity_proportional_to_weight():
    graph = gl.complete_graph(4)
    alpha = attention(graph, heads=3)
    for head in range(3):
        for words in (None, list("abcd")):
            ax = gl.draw_attention(graph, alpha, words, head=head)
            w = alpha[graph.senders != graph.receivers, head]
            widths = np.array([p.get_linewidth() for p in arrows(ax)])
            opacity = np.array([p.get_alpha() for p in arrows(ax)])
            top = alpha[:, head].max()
            np.testing.assert_allclose(opacity, w / top)
            np.testing.assert_allclose(widths / widths.max(), w / w.max())
            ring_alpha = [c for c in ax.collections if c.get_gid() == "self_loops"][0]
            loop_w = alpha[graph.senders == graph.receivers, head]
            np.testing.assert_allclose(ring_alpha.get_edgecolors()[:, 3], loop_w / top)


def test_draw_attention_sentence_puts_rightward_edges_above_and_leftward_below():
    graph = gl.Graph([0, 2], [2, 0], 3)  # 0 -> 2 and 2 -> 0
    ax = gl.draw_attention(graph, np.array([0.3, 0.7]), list("abc"))
    for j, i, arc in zip(graph.senders, graph.receivers, arrows(ax), strict=True):
        ys = arc_points(arc)[:, 1]
        assert (ys > 0).all() if j < i else (ys < 0).all()


def test_draw_attention_accepts_one_head_as_1d_and_empty_graphs():
    graph = gl.path_graph(4)
    ax = gl.draw_attention(graph, np.full(graph.num_edges, 0.5), list("abcd"))
    assert len(arrows(ax)) == 6
    for n in (0, 2):
        empty = gl.Graph([], [], n)
        for words in (None, ["x"] * n):
            assert arrows(gl.draw_attention(empty, np.zeros((0, 1)), words)) == []


def test_draw_attention_spring_layout_draws_both_directions_curved():
    graph = gl.add_self_loops(gl.path_graph(6))
    ax = gl.draw_attention(graph, attention(graph, heads=1))
    assert len(arrows(ax)) == 10  # both directions of the 5 edges, each its own arrow
    assert all(p.get_connectionstyle().rad > 0 for p in arrows(ax))  # curved: i -> j, j -> i apart
    assert len(rings(ax)) == 6
    assert texts(ax) == [str(k) for k in range(6)]


def test_draw_attention_rejects_bad_inputs():
    graph = gl.complete_graph(3)  # E = 9
    with pytest.raises(ValueError, match=r"alpha has shape \(8, 2\) .* 9 edges"):
        gl.draw_attention(graph, np.ones((8, 2)))
    with pytest.raises(ValueError, match=r"alpha has shape \(9, 2, 1\)"):
        gl.draw_attention(graph, np.ones((9, 2, 1)))
    with pytest.raises(
        ValueError, match=r"head=2 is out of range: alpha of shape \(9, 2\) has H=2"
    ):
        gl.draw_attention(graph, np.ones((9, 2)), head=2)
    with pytest.raises(ValueError, match="head must be >= 0"):
        gl.draw_attention(graph, np.ones((9, 2)), head=-1)
    with pytest.raises(ValueError, match="non-negative"):
        gl.draw_attention(graph, -np.ones(9))
    with pytest.raises(ValueError, match="NaN"):
        gl.draw_attention(graph, np.full(9, np.nan))
    with pytest.raises(ValueError, match=r"words has 2 entries .* n=3"):
        gl.draw_attention(graph, np.ones(9), ["a", "b"])


# --- draw_attention: top_k and receiver ---------------------------------------------------------


def drawn_opacities(ax: Axes) -> np.ndarray:
    """The opacity of every drawn edge: arcs, then self-loop rings."""
    ring = [c for c in ax.collections if c.get_gid() == "self_loops"][0]
    return np.concatenate([[p.get_alpha() for p in arrows(ax)], ring.get_edgecolors()[:, 3]])


@pytest.mark.parametrize("words", [None, WORDS])
def test_draw_attention_top_k_keeps_each_receivers_strongest_edges(words):
    graph = gl.complete_graph(N)
    alpha = attention(graph, heads=2)
    for k in (1, 3):
        ax = gl.draw_attention(graph, alpha, words, head=1, top_k=k)
        kept = []
        for i in range(N):
            into_i = np.flatnonzero(graph.receivers == i)
            kept.extend(into_i[np.argsort(-alpha[into_i, 1])[:k]])
        kept = np.array(kept)
        assert len(arrows(ax)) + len(rings(ax)) == k * N
        assert len(rings(ax)) == int((graph.senders[kept] == graph.receivers[kept]).sum())
        expected = alpha[kept, 1] / alpha[:, 1].max()
        np.testing.assert_allclose(np.sort(drawn_opacities(ax)), np.sort(expected))


def test_draw_attention_top_k_breaks_ties_by_edge_order():
    graph = gl.complete_graph(4)
    ax = gl.draw_attention(graph, np.full(16, 0.25), list("abcd"), top_k=2)
    # every receiver keeps its edges from senders 0 and 1: arcs 1->0, 0->1, 0->2, 1->2, 0->3, 1->3
    assert len(arrows(ax)) == 6
    np.testing.assert_array_equal(rings(ax)[:, 0], [0, 1])  # loops 0 -> 0 and 1 -> 1


@FEW_EXAMPLES
@given(graph=graphs())
def test_draw_attention_top_k_draws_min_k_indegree_per_receiver(graph):
    alpha = np.random.default_rng(0).random(graph.num_edges)
    for k in (1, 2):
        ax = gl.draw_attention(graph, alpha, top_k=k)
        assert len(arrows(ax)) + len(rings(ax)) == np.minimum(graph.in_degree, k).sum()
        plt.close(ax.figure)


@pytest.mark.parametrize("words", [None, WORDS])
def test_draw_attention_receiver_draws_and_labels_only_its_incoming_edges(words):
    graph = gl.complete_graph(N)
    alpha = attention(graph, heads=1)
    sat = WORDS.index("sat")
    ax = gl.draw_attention(graph, alpha, words, receiver=sat)
    into = graph.receivers == sat
    assert len(arrows(ax)) == N - 1 and len(rings(ax)) == 1
    labels = [t for t in texts(ax) if t not in WORDS and not t.startswith("arcs")]
    labels = labels[N:] if words is None else labels  # the spring layout labels nodes 0..n-1
    assert sorted(labels) == sorted(f"{w:.2f}" for w in alpha[into, 0])
    w = alpha[into, 0]
    expected = 0.25 + 0.75 * w / w.max()  # scaled to the drawn edges, every one visible
    np.testing.assert_allclose(np.sort(drawn_opacities(ax)), np.sort(expected))
    colors = ax.collections[0].get_facecolors() if words is None else None
    if colors is not None:
        np.testing.assert_allclose(colors[sat], ORANGE)


def test_draw_attention_receiver_labels_sit_on_their_arcs():
    graph = gl.complete_graph(3, self_loops=False)
    alpha = np.array([0.2, 0.8, 0.4, 0.6, 0.3, 0.7])  # edges 1->0, 2->0, 0->1, 2->1, 0->2, 1->2
    ax = gl.draw_attention(graph, alpha, list("abc"), receiver=1)
    labels = {t.get_text(): t.get_position() for t in ax.texts[3:-1]}
    assert set(labels) == {"0.40", "0.60"}
    assert labels["0.40"][1] > 0 > labels["0.60"][1]  # 0 -> 1 above the line, 2 -> 1 below
    assert 0 < labels["0.40"][0] < 1 < labels["0.60"][0] < 2


def test_draw_attention_receiver_with_top_k():
    graph = gl.complete_graph(N)
    alpha = attention(graph, heads=1)
    ax = gl.draw_attention(graph, alpha, WORDS, receiver=0, top_k=3)
    strongest = np.sort(alpha[graph.receivers == 0, 0])[-3:]
    assert len(arrows(ax)) + len(rings(ax)) == 3
    assert sorted(texts(ax)[N:-1]) == sorted(f"{w:.2f}" for w in strongest)


@pytest.mark.parametrize("words", [None, list("abc")])
def test_draw_attention_receiver_without_incoming_edges_draws_nothing(words):
    graph = gl.Graph([0], [1], 3)  # node 2 hears nobody
    ax = gl.draw_attention(graph, np.array([1.0]), words, receiver=2)
    assert arrows(ax) == [] and len(rings(ax)) == 0


def test_draw_attention_rejects_bad_top_k_and_receiver():
    graph = gl.complete_graph(3)
    alpha = np.ones(9) / 3
    with pytest.raises(ValueError, match=r"top_k must be >= 1 .* got 0"):
        gl.draw_attention(graph, alpha, top_k=0)
    with pytest.raises(TypeError, match="top_k must be an int >= 1 or None, got float 1.5"):
        gl.draw_attention(graph, alpha, top_k=1.5)
    with pytest.raises(ValueError, match=r"receiver=3 is out of range for a graph of n=3 nodes"):
        gl.draw_attention(graph, alpha, list("abc"), receiver=3)
    with pytest.raises(TypeError, match=r"receiver must be a node index .*words.index"):
        gl.draw_attention(graph, alpha, list("abc"), receiver="b")


# --- heatmap -------------------------------------------------------------------------------


def cell_lines(ax: Axes) -> list[np.ndarray]:
    """The segments of the white lines drawn between the cells."""
    found = []
    for c in ax.collections:
        if isinstance(c, LineCollection) and np.allclose(c.get_colors(), to_rgba("white")):
            found.extend(c.get_segments())
    return found


def text_colors(ax: Axes) -> dict[tuple[int, int], tuple]:
    """``{(row, column): RGBA}`` of the numbers written in the cells."""
    return {(round(t.get_position()[1]), round(t.get_position()[0])): to_rgba(t.get_color())
            for t in ax.texts}  # fmt: skip


def test_heatmap_draws_an_adjacency_matrix_with_words_and_axis_labels(no_show):
    graph = gl.Graph([0, 1, 1, 2], [1, 0, 2, 1], 4)  # the cat sat down: 0 <-> 1 <-> 2, 3 alone
    words = ["the", "cat", "sat", "down"]
    A = graph.adjacency()
    ax = gl.heatmap(A, words, words, xlabel="sender j", ylabel="receiver i", title="A")
    assert isinstance(ax, Axes)
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), A)  # row i = receiver, column j = sender
    assert [t.get_text() for t in ax.get_xticklabels()] == words
    assert [t.get_text() for t in ax.get_yticklabels()] == words
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("sender j", "receiver i", "A")
    assert len(cell_lines(ax)) == 3 + 3  # between 4 rows, between 4 columns
    assert texts(ax) == []
    assert len(ax.figure.axes) == 1  # no colour bar
    assert not any(line.get_visible() for line in ax.get_xgridlines())


def test_heatmap_rows_and_columns_can_differ():
    hops = np.array([[1, 2, 3], [0, 1, 2]])  # e.g. two graphs x three words
    ax = gl.heatmap(hops, ["tree", "path"], ["a", "b", "c"], lines=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["tree", "path"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_images()[0].get_array().shape == (2, 3)
    assert cell_lines(ax) == []
    width, height = ax.figure.get_size_inches()
    assert width > height


def test_heatmap_without_labels_ticks_whole_indices_only():
    ax = gl.heatmap(np.arange(12.0).reshape(3, 4))
    ax.figure.canvas.draw()
    for ticks in (ax.get_xticks(), ax.get_yticks()):
        assert len(ticks) and np.array_equal(ticks, np.round(ticks))
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("", "", "")


@pytest.mark.parametrize(
    ("values", "limits", "clim"),
    [
        ([[0.0, 0.05], [0.1, 0.02]], {}, (0.0, 0.1)),  # small values: the scale ends at the top one
        ([[2, 7], [3, 5]], {}, (0.0, 7.0)),  # the scale starts at 0
        ([[-2.0, 1.0]], {}, (-2.0, 1.0)),
        ([[-3.0, -1.0]], {}, (-3.0, 0.0)),
        ([[0.0, 0.0]], {}, (0.0, 1.0)),  # all zero: not an empty scale
        ([[1.0, 1.0]], {}, (0.0, 1.0)),  # the complete graph's adjacency is not blank
        ([[0.0, 0.05]], {"vmax": 1}, (0.0, 1.0)),
        ([[0.5, 0.75]], {"vmin": 0.5}, (0.5, 0.75)),
        ([[0.5, 0.75]], {"vmin": -1, "vmax": 2}, (-1.0, 2.0)),
    ],
)
def test_heatmap_colour_scale_comes_from_the_data_unless_fixed(values, limits, clim):
    ax = gl.heatmap(values, **limits)
    assert ax.get_images()[0].get_clim() == clim


def test_heatmap_annotate_writes_every_cell_whole_numbers_without_decimals():
    ax = gl.heatmap(np.array([[0, 1], [1, 0]]), annotate=True)
    assert texts(ax) == ["0", "1", "1", "0"]
    ax = gl.heatmap(np.array([[True, False]]), annotate=True)  # a mask: bools are 0 and 1
    assert texts(ax) == ["1", "0"]
    ax = gl.heatmap(np.array([[0.25, 1.0]]), annotate=True)
    assert texts(ax) == ["0.25", "1.00"]
    ax = gl.heatmap(np.array([[0.25, 1.0]]), annotate=True, fmt=".0%")
    assert texts(ax) == ["25%", "100%"]
    positions = [t.get_position() for t in gl.heatmap(np.eye(2), annotate=True).texts]
    assert positions == [(0, 0), (1, 0), (0, 1), (1, 1)]  # (column, row)


@pytest.mark.parametrize(("cmap", "dark_end"), [("viridis", 0), ("Blues", 1), ("Greys", 1)])
def test_heatmap_numbers_are_white_on_dark_cells_and_black_on_light_ones(cmap, dark_end):
    ax = gl.heatmap(np.array([[0.0, 1.0]]), annotate=True, cmap=cmap)
    colors = text_colors(ax)
    assert colors[0, dark_end] == to_rgba("white")
    assert colors[0, 1 - dark_end] == to_rgba("black")


def test_heatmap_blank_cells_for_nan_and_masked_values():
    hops = np.array([[0, 1, -1], [1, 0, 2]])
    ax = gl.heatmap(np.ma.masked_less(hops, 0), annotate=True)
    image = ax.get_images()[0].get_array()
    assert image.mask.tolist() == [[False, False, True], [False, False, False]]
    assert texts(ax) == ["0", "1", "1", "0", "2"]  # nothing in the blank cell
    assert ax.get_images()[0].get_clim() == (0.0, 2.0)  # the blank cell is not on the scale
    ax = gl.heatmap(np.where(hops < 0, np.nan, hops), annotate=True)
    assert texts(ax) == ["0", "1", "1", "0", "2"]


def test_heatmap_into_given_axes_and_empty(no_show):
    fig, axes = plt.subplots(1, 2)
    before = plt.get_fignums()
    assert gl.heatmap(np.ones((2, 2)), ax=axes[0]) is axes[0]
    assert gl.heatmap(np.zeros((0, 0)), [], [], ax=axes[1], annotate=True) is axes[1]
    assert not axes[1].get_images()[0].get_visible()
    assert plt.get_fignums() == before


def test_heatmap_rejects_bad_inputs():
    with pytest.raises(
        ValueError, match=r"values must be a 2-D \(rows, columns\) matrix, got shape \(3,\)"
    ):
        gl.heatmap(np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3\); pick one, e.g. values\[0\]"):
        gl.heatmap(np.zeros((2, 3, 3)))
    with pytest.raises(
        ValueError,
        match=r"row_labels has 2 entries but needs one per row of values of shape \(3, 4\)",
    ):
        gl.heatmap(np.zeros((3, 4)), ["a", "b"])
    with pytest.raises(ValueError, match=r"col_labels has 3 entries but needs one per column"):
        gl.heatmap(np.zeros((3, 4)), None, ["a", "b", "c"])
    with pytest.raises(TypeError, match="row_labels must be a sequence of strings"):
        gl.heatmap(np.zeros((3, 3)), "abc")
    with pytest.raises(ValueError, match="values contains inf; use NaN"):
        gl.heatmap([[1.0, np.inf]])
    with pytest.raises(TypeError, match="values must be a real-valued array"):
        gl.heatmap([["a", "b"]])


# --- attention_heatmap -------------------------------------------------------------------------


def test_attention_heatmap_labels_axes_with_the_words(no_show):
    weights = gl.edge_weights_to_dense(gl.causal_graph(N), attention(gl.causal_graph(N)))[0]
    ax = gl.attention_heatmap(weights, WORDS, title="causal")
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_xticklabels()] == WORDS
    assert [t.get_text() for t in ax.get_yticklabels()] == WORDS
    assert ax.get_xlabel() == "key / sender j"
    assert ax.get_ylabel() == "query / receiver i"
    assert ax.get_title() == "causal"
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), weights)
    assert image.get_clim() == (0, 1)  # fixed, whatever the weights: heatmaps compare by eye
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar
    assert ax.figure.axes[1].get_ylabel() == r"$\alpha_{ij}$"
    assert texts(ax) == []
    assert cell_lines(ax) == []


def test_attention_heatmap_annotates_every_cell():
    weights = np.array([[1.0, 0.0], [0.25, 0.75]])
    ax = gl.attention_heatmap(weights, None, annotate=True)
    assert texts(ax) == ["1.00", "0.00", "0.25", "0.75"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    white, black = to_rgba("white"), to_rgba("black")
    assert text_colors(ax) == {(0, 0): black, (0, 1): white, (1, 0): white, (1, 1): black}


def test_attention_heatmap_numbers_turn_black_at_half_on_viridis():
    ax = gl.attention_heatmap(np.array([[0.49, 0.5], [0.0, 1.0]]), list("ab"), annotate=True)
    assert text_colors(ax)[0, 0] == to_rgba("white") and text_colors(ax)[0, 1] == to_rgba("black")


def test_attention_heatmap_empty_and_given_axes():
    fig, ax = plt.subplots()
    assert gl.attention_heatmap(np.zeros((0, 0)), [], ax=ax) is ax


def test_attention_heatmap_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"square \(n, n\) matrix, got shape \(3, 4\)"):
        gl.attention_heatmap(np.zeros((3, 4)), list("abc"))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3\); pick one head"):
        gl.attention_heatmap(np.zeros((2, 3, 3)), list("abc"))
    with pytest.raises(ValueError, match=r"words has 2 entries .* shape \(3, 3\)"):
        gl.attention_heatmap(np.zeros((3, 3)), list("ab"))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gl.attention_heatmap(np.full((2, 2), 1.5), list("ab"))
    with pytest.raises(ValueError, match="NaN"):
        gl.attention_heatmap(np.full((2, 2), np.nan), list("ab"))
    with pytest.raises(TypeError, match="weights must be a real-valued array"):
        gl.attention_heatmap(np.full((2, 2), "x"), list("ab"))


# --- draw_layers ----------------------------------------------------------------------------


def widths(ax: Axes) -> list[float]:
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


def test_draw_layers_draws_a_gnn_a_gat_and_a_transformer_panel(no_show):
    axes = gl.draw_layers("the cat sat", [1, -1, 1])
    assert axes.shape == (3,) and all(isinstance(ax, Axes) for ax in axes)
    assert len({ax.figure for ax in axes}) == 1
    gnn, gat, transformer = (ax.get_title() for ax in axes)
    assert gnn.startswith("GNN on the dependency tree: 4 edges")  # 0 <-> 1 <-> 2
    assert gat.startswith("GAT on the dependency tree + self loops: α on 7 edges")
    assert transformer.endswith("9 edges, each word's 2 strongest drawn")
    assert len(arrows(axes[2])) + len(rings(axes[2])) == 2 * 3
    for ax in axes:
        assert texts(ax)[:3] == ["the", "cat", "sat"]


def test_draw_layers_draws_the_layers_own_weights():
    """The running sentence: the tree, then the GAT's and the Transformer's weights as widths."""
    axes = gl.draw_layers(WORDS, HEADS, seed=3, d=6)
    tree = gl.dependency_graph(HEADS)
    # GNN: the tree, one two-headed arc per word-head pair
    assert len(arrows(axes[0])) == N - 1
    assert f"dependency tree: {tree.num_edges} edges" in axes[0].get_title()
    # GAT: its own weights on the tree's edges (self loops are rings)
    gat_graph, alpha, complete, weights = layers_by_hand(N, tree, seed=3, d=6)
    assert widths(axes[1]) == pytest.approx(
        expected_widths(gat_graph, alpha, np.ones(gat_graph.num_edges, bool)), abs=1e-5
    )
    assert f"α on {gat_graph.num_edges} edges" in axes[1].get_title()
    # Transformer: the 2 strongest of each word's n incoming weights, on the complete graph
    keep = strongest_per_receiver(complete, weights, 2)
    assert widths(axes[2]) == pytest.approx(expected_widths(complete, weights, keep), abs=1e-5)
    assert f"α on {N * N} edges, each word's 2 strongest drawn" in axes[2].get_title()


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
    axes = gl.draw_layers("a b c d", radius=1, receiver=2)
    assert axes[0].get_title().startswith("GNN on the window (radius 1): 6 edges")
    assert "into 2 'c'" in axes[2].get_title() and "strongest" not in axes[2].get_title()
    assert len(arrows(axes[2])) + len(rings(axes[2])) == 4  # every edge into "c", labelled


def test_draw_layers_is_deterministic_and_seeded():
    first, again, other = (gl.draw_layers("a b c d", seed=s) for s in (1, 1, 2))
    assert widths(first[2]) == widths(again[2])
    assert widths(first[1]) != widths(other[1])


def test_draw_layers_into_given_axes():
    fig, axes = plt.subplots(3, 1)
    assert list(gl.draw_layers("one two", axes=axes)) == list(axes)
    assert all(ax.figure is fig for ax in axes)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"sentence": ""}, ValueError, "sentence is empty"),
        ({"heads": [0, -1, -1]}, ValueError, "exactly one root"),
        ({"heads": [-1]}, ValueError, "heads has shape"),
        ({"d": 0}, ValueError, r"d must be >= 1 \(features per word\), got 0"),
        ({"d": 2.0}, TypeError, "d must be an int"),
        ({"receiver": 3}, ValueError, "receiver=3 is out of range"),
        ({"receiver": "cat"}, TypeError, "receiver must be a node index"),
        ({"top_k": 0}, ValueError, "top_k must be >= 1"),
        (
            {"top_k": -1},
            ValueError,
            r"top_k must be >= 1 \(edges kept per receiver\) or None, got -1",
        ),
        ({"seed": "a"}, TypeError, "seed must be an int, got str 'a'"),
        ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
        ({"axes": "two"}, ValueError, "axes must be three matplotlib Axes, got 2 items"),
        ({"axes": "text"}, ValueError, "axes must be three matplotlib Axes, got 1 items"),
    ],
)
def test_draw_layers_bad_input(kwargs, error, match):
    args = {"sentence": "the cat sat", **kwargs}
    if kwargs.get("axes") == "two":
        _, args["axes"] = plt.subplots(1, 2)
    with pytest.raises(error, match=match):
        gl.draw_layers(**args)


# --- pca_2d ----------------------------------------------------------------------------------


def test_pca_2d_of_points_on_a_plane_keeps_their_distances():
    """Points on a tilted plane in 5-D: two directions hold all the variance, distances stay."""
    rng = np.random.default_rng(0)
    plane = np.linalg.qr(rng.normal(size=(5, 2)))[0].T  # (2, 5) orthonormal rows
    z = rng.normal(size=(12, 2)) * [3.0, 1.0] @ plane + rng.normal(size=5)
    xy, explained = gl.pca_2d(z)
    assert xy.shape == (12, 2) and explained == pytest.approx(1.0)
    distances = np.linalg.norm(z[:, None] - z[None], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(xy[:, None] - xy[None], axis=-1), distances)
    np.testing.assert_allclose(xy.mean(axis=0), 0, atol=1e-12)  # centred
    cov = np.cov(xy.T)
    assert abs(cov[0, 1]) < 1e-10 and cov[0, 0] >= cov[1, 1]  # uncorrelated, largest first


def test_pca_2d_explained_is_the_share_of_the_two_largest_variances():
    z = np.random.default_rng(1).normal(size=(40, 4)) * [4.0, 2.0, 1.0, 0.5]
    xy, explained = call_without_mutation(gl.pca_2d, z)
    variances = np.sort(np.linalg.eigvalsh(np.cov(z.T)))[::-1]
    assert explained == pytest.approx(variances[:2].sum() / variances.sum())
    np.testing.assert_allclose(np.var(xy, axis=0, ddof=1), variances[:2])
    assert type(explained) is float


def test_pca_2d_of_one_feature_or_no_variance():
    xy, explained = gl.pca_2d([[1.0], [3.0], [2.0]])  # d = 1: the second column is zero
    np.testing.assert_allclose(np.abs(xy[:, 0]), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(xy[:, 1], 0)
    assert explained == pytest.approx(1.0)
    xy, explained = gl.pca_2d(np.ones((4, 3)))  # every row the same: nothing to explain
    np.testing.assert_array_equal(xy, 0)
    assert explained == 1.0


@pytest.mark.parametrize("z", [np.zeros(5), np.zeros((3, 0)), np.zeros((2, 2, 2))])
def test_pca_2d_rejects_anything_but_rows_of_features(z):
    with pytest.raises(ValueError, match=r"z must be \(n, d\) with d >= 1, got shape"):
        gl.pca_2d(z)
