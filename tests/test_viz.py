"""Plots: they return Axes, draw one artist per edge, label the words, and check their inputs."""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from conftest import graphs  # noqa: E402
from hypothesis import given  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.patches import ArrowStyle, FancyArrowPatch  # noqa: E402

import gnnformer_lite as gl  # noqa: E402

WORDS, HEADS = gl.example_sentence()
N = len(WORDS)


@pytest.fixture(autouse=True)
def restore_global_state():
    """Every test leaves NumPy's print options, rcParams and the open figures as it found them."""
    saved = np.get_printoptions()
    with matplotlib.rc_context():
        yield
    np.set_printoptions(**saved)
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


# --- setup_notebook -------------------------------------------------------------------


def test_setup_notebook_sets_print_options_and_prints_nothing(capsys):
    assert gl.setup_notebook() is None
    assert capsys.readouterr() == ("", "")
    assert repr(np.float64(0.5)) == "0.5"
    assert str(np.float64(0.5)) == "0.5"
    opts = np.get_printoptions()
    assert opts["precision"] == 4
    assert opts["suppress"] is True
    assert repr(np.array([1e-9, 1 / 3])) == "array([0.    , 0.3333])"


def test_setup_notebook_sets_lean_deterministic_matplotlib_defaults():
    gl.setup_notebook()
    rc = matplotlib.rcParams
    assert tuple(rc["figure.figsize"]) == (6.4, 4.0)
    assert 80 <= rc["figure.dpi"] <= 100
    assert 80 <= rc["savefig.dpi"] <= 100
    assert rc["svg.hashsalt"] == "gnnformer-lite"
    assert rc["axes.grid"] is True


def test_setup_notebook_is_idempotent():
    gl.setup_notebook()
    opts, rc = np.get_printoptions(), dict(matplotlib.rcParams)
    gl.setup_notebook()
    assert np.get_printoptions() == opts
    assert dict(matplotlib.rcParams) == rc


def test_setup_notebook_overrides_a_changed_style():
    matplotlib.rcParams["figure.dpi"] = 300
    matplotlib.rcParams["lines.linewidth"] = 7
    np.set_printoptions(precision=8)
    gl.setup_notebook()
    assert matplotlib.rcParams["figure.dpi"] == 90
    assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsDefault["lines.linewidth"]
    assert np.get_printoptions()["precision"] == 4


def test_setup_notebook_asks_ipython_for_png(monkeypatch):
    import IPython
    import matplotlib_inline.backend_inline as inline

    calls = []
    monkeypatch.setattr(inline, "set_matplotlib_formats", lambda *f: calls.append(f))
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    gl.setup_notebook()
    assert calls == []  # outside IPython: nothing to configure
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    gl.setup_notebook()
    assert calls == [("png",)]


def test_setup_notebook_without_ipython(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)  # makes `import IPython` fail
    gl.setup_notebook()
    assert np.get_printoptions()["precision"] == 4


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
    np.testing.assert_allclose(boxes, matplotlib.colors.to_rgba_array(["red", "green", "blue"]))
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
    first = ax.collections[0].get_offsets().copy()
    again = gl.draw_graph(karate).collections[0].get_offsets()
    np.testing.assert_array_equal(first, again)  # seeded layout


def test_draw_graph_spring_shows_one_way_edges_and_self_loops():
    graph = gl.causal_graph(4)
    ax = gl.draw_graph(graph)
    assert len(arrows(ax)) == 6
    assert all(isinstance(p.get_arrowstyle(), ArrowStyle.CurveFilledB) for p in arrows(ax))
    np.testing.assert_array_equal(rings(ax), ax.collections[0].get_offsets())  # around nodes


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
    return np.allclose(matplotlib.colors.to_rgba(color), matplotlib.colors.to_rgba("C3"))


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
        np.testing.assert_allclose(box, matplotlib.colors.to_rgba(gl.viz.RECEIVER_COLOR))


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


def test_draw_attention_spring_layout():
    graph = gl.add_self_loops(gl.from_networkx(nx.karate_club_graph()))
    ax = gl.draw_attention(graph, attention(graph, heads=1))
    assert len(arrows(ax)) == 156  # both directions of the 78 edges
    assert len(rings(ax)) == 34
    assert texts(ax) == [str(k) for k in range(34)]


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
        np.testing.assert_allclose(colors[sat], matplotlib.colors.to_rgba(gl.viz.RECEIVER_COLOR))


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


def test_draw_attention_rejects_bad_top_k_and_receiver():
    graph = gl.complete_graph(3)
    alpha = np.ones(9) / 3
    with pytest.raises(ValueError, match=r"top_k must be >= 1 .* got 0"):
        gl.draw_attention(graph, alpha, top_k=0)
    with pytest.raises(TypeError, match="top_k must be an int, got float 1.5"):
        gl.draw_attention(graph, alpha, top_k=1.5)
    with pytest.raises(ValueError, match=r"receiver=3 is out of range for a graph of n=3 nodes"):
        gl.draw_attention(graph, alpha, list("abc"), receiver=3)
    with pytest.raises(TypeError, match=r"receiver must be a node index .*words.index"):
        gl.draw_attention(graph, alpha, list("abc"), receiver="b")


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
    assert image.get_clim() == (0, 1)
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar
    assert texts(ax) == []


def test_attention_heatmap_annotates_every_cell():
    weights = np.array([[1.0, 0.0], [0.25, 0.75]])
    ax = gl.attention_heatmap(weights, None, annotate=True)
    assert texts(ax) == ["1.00", "0.00", "0.25", "0.75"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]


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
    with pytest.raises(TypeError, match="weights must be a real-valued array"):
        gl.attention_heatmap(np.full((2, 2), "x"), list("ab"))
