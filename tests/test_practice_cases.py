"""The inputs several practice checks share (``gnnformer_lite.practice.cases``): small graphs
of the notebooks and the running sentence's features, the same on every call."""

from __future__ import annotations

import numpy as np

import gnnformer_lite as gl
from gnnformer_lite.practice import cases
from gnnformer_lite.practice.harness import edge_list


def test_shared_graphs():
    assert edge_list(cases.toy_graph()) == [
        (1, 0), (0, 1), (2, 1), (1, 2), (3, 2), (0, 3), (2, 3),
    ]  # fmt: skip
    star = cases.star_graph()
    assert star.num_nodes == 4 and star.has_self_loops() and star.in_degree.tolist() == [4, 2, 2, 2]
    words, heads = gl.example_sentence()
    tree = cases.sentence_tree()
    assert tree == gl.dependency_graph(heads) and tree.num_nodes == len(words)
    assert cases.sentence_tree(self_loops=True).num_edges == tree.num_edges + len(words)
    g = cases.uneven_graph(0)
    assert g.in_degree.tolist() == [0, 1, 2, 3, 4, 5, 0] and 6 not in g.senders
    assert cases.uneven_graph(0) == g


def test_the_sentences_arcs_go_from_each_word_to_its_head():
    heads = gl.example_sentence()[1]
    arcs = cases.sentence_arcs()
    assert arcs.num_nodes == heads.size and arcs.num_edges == heads.size - 1
    assert all(heads[j] == i for j, i in edge_list(arcs))
    both_ways = {(j, i) for j, i in edge_list(arcs)} | {(i, j) for j, i in edge_list(arcs)}
    assert both_ways == set(edge_list(cases.sentence_tree()))


def test_the_embedded_sentence_is_words_plus_positions():
    words = gl.example_sentence()[0]
    x = cases.embedded_sentence(6)
    assert x.shape == (len(words), 6)
    np.testing.assert_array_equal(x, cases.embedded_sentence(6))
    same_word = x[words.index("the")] - x[len(words) - 1 - words[::-1].index("the")]
    pe = gl.sinusoidal_encoding(len(words), 6)
    np.testing.assert_allclose(same_word, pe[0] - pe[len(words) - 1 - words[::-1].index("the")])


def test_rounded_normal_numbers_have_one_decimal():
    x = cases.rounded_normal(np.random.default_rng(0), 2, 3)
    assert x.shape == (2, 3)
    np.testing.assert_array_equal(x, np.round(x, 1))


def test_noisy_params_move_the_biases_gamma_and_beta_only():
    params = {"W": np.ones(2), "b1": np.zeros(2), "ln": {"gamma": np.ones(2), "beta": np.zeros(2)}}
    out = cases.noisy(params, np.random.default_rng(0))
    np.testing.assert_array_equal(out["W"], params["W"])
    for moved in (out["b1"], out["ln"]["beta"], out["ln"]["gamma"] - 1):
        assert np.all(moved != 0)
    assert params["b1"].tolist() == [0.0, 0.0]  # a new tree: the input is left alone


def test_as_float32_casts_every_array_of_a_tree():
    out = cases.as_float32({"W": np.ones(2), "inner": {"b": np.zeros(1)}, "norm": "post"})
    assert out["W"].dtype == np.float32 and out["inner"]["b"].dtype == np.float32
    assert out["norm"] == "post"
