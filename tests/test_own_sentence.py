"""Your own sentence: sentence_words, sentence_graphs and draw_layers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

import gnnformer_lite as gl  # noqa: E402

WORDS, HEADS = gl.example_sentence()
SENTENCE = " ".join(WORDS)


@pytest.fixture(autouse=True)
def close_figures():
    with matplotlib.rc_context():
        yield
    plt.close("all")


def edge_set(g: gl.Graph) -> set[tuple[int, int]]:
    return set(zip(g.senders.tolist(), g.receivers.tolist(), strict=True))


# ------------------------------------------------------------------- sentence_words


@pytest.mark.parametrize(
    "sentence",
    [
        SENTENCE,
        f"  {SENTENCE}\n",
        SENTENCE.replace(" ", "\t"),
        WORDS,
        tuple(WORDS),
        np.array(WORDS),
    ],
)
def test_sentence_words_string_or_list(sentence):
    assert gl.sentence_words(sentence) == WORDS


def test_sentence_words_keeps_words_of_a_list_as_given():
    assert gl.sentence_words(["New York", "is", "big"]) == ["New York", "is", "big"]


@pytest.mark.parametrize("sentence", ["", "   \n\t", [], ()])
def test_empty_sentence_is_refused(sentence):
    with pytest.raises(ValueError, match="sentence is empty"):
        gl.sentence_words(sentence)


def test_empty_word_in_a_list_is_refused():
    with pytest.raises(ValueError, match=r"sentence\[1\] is an empty word"):
        gl.sentence_words(["the", " ", "cat"])


@pytest.mark.parametrize(
    ("sentence", "match"),
    [
        (b"the cat", "got bytes"),
        (42, "got int"),
        (None, "got NoneType"),
        (["the", 3], r"sentence\[1\] must be a word .*got int 3"),
    ],
)
def test_sentence_of_the_wrong_type_is_refused(sentence, match):
    with pytest.raises(TypeError, match=match):
        gl.sentence_words(sentence)


# ------------------------------------------------------------------ sentence_graphs


def test_sentence_graphs_without_heads_are_window_complete_causal():
    words, graphs = gl.sentence_graphs(SENTENCE)
    n = len(words)
    assert words == WORDS
    assert sorted(graphs) == ["causal", "complete", "window"]
    assert graphs["window"] == gl.window_graph(n, 1)
    assert graphs["complete"] == gl.complete_graph(n)
    assert graphs["causal"] == gl.causal_graph(n)
    # the definitions, edge by edge
    assert edge_set(graphs["window"]) == {
        (j, i) for i in range(n) for j in range(n) if abs(i - j) <= 1
    }
    assert edge_set(graphs["causal"]) == {(j, i) for i in range(n) for j in range(i + 1)}
    assert graphs["complete"].num_edges == n * n


def test_sentence_graphs_radius():
    words, graphs = gl.sentence_graphs("a b c d e f", radius=2)
    assert graphs["window"] == gl.window_graph(len(words), 2)
    with pytest.raises(TypeError, match="radius must be an int"):
        gl.sentence_graphs("a b", radius=1.5)


def test_sentence_graphs_with_heads_add_the_tree():
    words, graphs = gl.sentence_graphs(WORDS, HEADS.tolist())
    assert sorted(graphs) == ["causal", "complete", "tree", "window"]
    tree = graphs["tree"]
    assert tree == gl.dependency_graph(HEADS)
    expected = {(i, int(HEADS[i])) for i in range(len(words)) if HEADS[i] >= 0}
    assert edge_set(tree) == expected | {(j, i) for i, j in expected}
    assert not tree.has_self_loops()


def test_one_word_sentence():
    words, graphs = gl.sentence_graphs("hello", heads=[-1])
    assert words == ["hello"]
    assert all(g.num_nodes == 1 for g in graphs.values())
    assert graphs["tree"].num_edges == 0
    assert graphs["complete"].num_edges == 1


@pytest.mark.parametrize("heads", [[1, -1], [1, 2, -1, 2], []])
def test_heads_of_the_wrong_length(heads):
    with pytest.raises(ValueError, match=rf"heads has shape \({len(heads)},\) .* 3 words"):
        gl.sentence_graphs("the cat sat", heads)


def test_heads_with_a_cycle():
    with pytest.raises(ValueError, match=r"cycle: 0 -> 1 -> 0"):
        gl.sentence_graphs("the cat sat", [1, 0, -1])


@pytest.mark.parametrize(
    ("heads", "match"),
    [([1, 2, 3], "out of range"), ([-1, -1, 1], "exactly one root"), ([[1, 2, -1]], "1-D")],
)
def test_heads_that_are_not_a_tree(heads, match):
    with pytest.raises(ValueError, match=match):
        gl.sentence_graphs("the cat sat", heads)


def test_heads_must_be_integers():
    with pytest.raises(TypeError, match="heads must be an integer array"):
        gl.sentence_graphs("the cat sat", [1.0, 2.0, -1.0])


def test_empty_sentence_with_heads():
    with pytest.raises(ValueError, match="sentence is empty"):
        gl.sentence_graphs("", heads=[])


# ---------------------------------------------------------------------- draw_layers


def arrows(ax) -> list[FancyArrowPatch]:
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def test_draw_layers_with_heads_draws_the_tree_gat_and_transformer(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("must not call plt.show()"))
    axes = gl.draw_layers(WORDS, HEADS, seed=3, d=6)
    assert axes.shape == (3,)
    assert len({ax.figure for ax in axes}) == 1
    n, tree = len(WORDS), gl.dependency_graph(HEADS)
    # GNN: one two-headed arc per word-head pair
    assert len(arrows(axes[0])) == n - 1
    assert str(tree.num_edges) in axes[0].get_title()
    # GAT: one arc per direction, self loops added as rings
    assert len(arrows(axes[1])) == tree.num_edges
    assert str(tree.num_edges + n) in axes[1].get_title()
    # Transformer: the same weights as its layer, recomputed from the same seed sequence
    rng = np.random.default_rng(3)
    h = rng.normal(size=(n, 6))
    gl.init_gat_layer(rng, 6, 6)
    params = gl.init_transformer_layer(rng, 6, num_heads=1, d_ff=12)
    _, weights = gl.transformer_layer(params, h, num_heads=1, return_attention=True)
    (image,) = [im for im in axes[2].get_images() if isinstance(im, AxesImage)]
    np.testing.assert_allclose(image.get_array(), weights[0])
    np.testing.assert_allclose(np.asarray(image.get_array()).sum(axis=1), 1.0)
    assert str(n * n) in axes[2].get_title()


def test_draw_layers_gat_panel_shows_the_gat_weights():
    axes = gl.draw_layers("a b c", [-1, 0, 0], seed=0, d=4)
    rng = np.random.default_rng(0)
    h = rng.normal(size=(3, 4))
    graph = gl.add_self_loops(gl.dependency_graph([-1, 0, 0]))
    _, alpha = gl.gat_layer(gl.init_gat_layer(rng, 4, 4), h, graph, return_attention=True)
    loops = graph.senders == graph.receivers
    strength = alpha[:, 0] / alpha[:, 0].max()
    widths = sorted(round(a.get_linewidth(), 6) for a in arrows(axes[1]))
    expected = sorted(round(w, 6) for w in (2.2 * strength[~loops]).tolist())
    assert widths == pytest.approx(expected, abs=1e-5)


def test_draw_layers_without_heads_uses_the_window():
    axes = gl.draw_layers("the dog chased the ball", radius=2)
    window = gl.window_graph(5, 2, self_loops=False)
    assert "window (radius 2)" in axes[0].get_title()
    assert str(window.num_edges) in axes[0].get_title()
    assert len(arrows(axes[1])) == window.num_edges


def test_draw_layers_is_deterministic_and_seeded():
    def image(seed):
        return np.asarray(gl.draw_layers("a b c d", seed=seed)[2].get_images()[0].get_array())

    np.testing.assert_array_equal(image(1), image(1))
    assert not np.allclose(image(1), image(2))


def test_draw_layers_into_given_axes():
    fig, axes = plt.subplots(3, 1)
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
        ({"axes": "not axes"}, ValueError, "three matplotlib Axes"),
    ],
)
def test_draw_layers_bad_input(kwargs, error, match):
    args = {"sentence": "the cat sat", **kwargs}
    if "axes" in kwargs:
        _, args["axes"] = plt.subplots(1, 2)
    with pytest.raises(error, match=match):
        gl.draw_layers(**args)
