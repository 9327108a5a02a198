"""``sentences``: the graphs of a sentence, each against the definition in its docstring.

Complete, window, dilated, causal, path, dependency tree, global tokens, random
edges and BigBird, checked against plain loops over (receiver, sender) pairs; the
running example; and ``sentence_words`` / ``sentence_graphs`` for a sentence you type.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import call_without_mutation, edge_list, refusal_test
from hypothesis import given
from hypothesis import strategies as st

import gnnformer_lite as gl

WORDS, HEADS = gl.example_sentence()
SENTENCE = " ".join(WORDS)


def edges_by_loop(n, allowed) -> set[tuple[int, int]]:
    """``{(j, i)}``: every sender j and receiver i with ``allowed(i, j)``, one pair at a time."""
    return {(j, i) for i in range(n) for j in range(n) if allowed(i, j)}


def adjacency_by_loop(n, allowed) -> np.ndarray:
    """``A[i, j] = 1`` wherever ``allowed(i, j)``, built one pair at a time."""
    a = np.zeros((n, n))
    for j, i in edges_by_loop(n, allowed):
        a[i, j] = 1
    return a


# --- complete, window, dilated, causal, path ------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5])
@pytest.mark.parametrize("self_loops", [True, False])
def test_complete_graph(n, self_loops):
    g = gl.complete_graph(n, self_loops=self_loops)
    expected = adjacency_by_loop(n, lambda i, j: self_loops or i != j)
    np.testing.assert_array_equal(g.adjacency(), expected)
    assert g.num_edges == (n * n if self_loops else n * (n - 1))
    assert g.has_self_loops() == (self_loops and n > 0)


@pytest.mark.parametrize("n", [0, 1, 2, 7])
@pytest.mark.parametrize("radius", [0, 1, 2, 10])
@pytest.mark.parametrize("self_loops", [True, False])
def test_window_graph(n, radius, self_loops):
    g = gl.window_graph(n, radius, self_loops=self_loops)
    expected = adjacency_by_loop(n, lambda i, j: abs(i - j) <= radius and (self_loops or i != j))
    np.testing.assert_array_equal(g.adjacency(), expected)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 12])
@pytest.mark.parametrize("radius", [0, 1, 3])
@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("self_loops", [True, False])
def test_dilated_graph_matches_its_definition(n, radius, dilation, self_loops):
    g = gl.dilated_graph(n, radius, dilation, self_loops=self_loops)

    def allowed(i, j):
        offset = i - j
        if offset == 0:
            return self_loops
        return offset % dilation == 0 and abs(offset) // dilation <= radius

    assert set(edge_list(g)) == edges_by_loop(n, allowed)
    assert g.num_nodes == n


@pytest.mark.parametrize("self_loops", [True, False])
def test_dilation_one_is_the_window(self_loops):
    for n, radius in [(0, 2), (5, 1), (9, 3), (4, 6)]:
        assert gl.dilated_graph(n, radius, 1, self_loops) == gl.window_graph(n, radius, self_loops)


@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_causal_graph(n):
    g = gl.causal_graph(n)
    np.testing.assert_array_equal(g.adjacency(), adjacency_by_loop(n, lambda i, j: j <= i))
    assert g.num_edges == n * (n + 1) // 2
    assert g == gl.from_adjacency(np.tril(np.ones((n, n), dtype=bool)))  # the causal mask


@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_path_graph(n):
    g = gl.path_graph(n)
    assert g == gl.window_graph(n, 1, self_loops=False)
    np.testing.assert_array_equal(g.adjacency(), adjacency_by_loop(n, lambda i, j: abs(i - j) == 1))
    assert not g.has_self_loops()


# --- the running example and dependency trees --------------------------------------------


def test_example_sentence_and_its_dependency_graph():
    words, heads = gl.example_sentence()
    assert len(words) == 10 == len(heads)
    assert words[int(np.flatnonzero(heads == -1)[0])] == "sat"
    assert words[heads[1]] == "sat" and words[heads[7]] == "tired"
    g = gl.dependency_graph(heads)
    expected = adjacency_by_loop(10, lambda i, j: heads[i] == j or heads[j] == i)
    np.testing.assert_array_equal(g.adjacency(), expected)
    assert g.num_edges == 2 * 9 and not g.has_self_loops()
    # "it" (7) reaches "cat" (1) in three hops: it - tired - sat - cat; six words apart
    assert nx.shortest_path_length(gl.to_networkx(g), 7, 1) == 3


def test_dependency_graph_self_loops_and_trivial_trees():
    g = gl.dependency_graph(HEADS, self_loops=True)
    np.testing.assert_array_equal(np.diag(g.adjacency()), np.ones(10))
    assert g.num_edges == 2 * 9 + 10
    assert gl.dependency_graph([-1]) == gl.Graph([], [], 1)
    assert gl.dependency_graph([]) == gl.Graph([], [], 0)
    assert gl.dependency_graph([1, -1, 1]) == gl.Graph([0, 1, 1, 2], [1, 0, 2, 1], 3)
    heads = np.array([1, -1, 1])
    out = call_without_mutation(gl.dependency_graph, heads, self_loops=True)
    assert out == gl.Graph([0, 1, 1, 2, 0, 1, 2], [1, 0, 2, 1, 0, 1, 2], 3)


def is_tree_by_loop(heads) -> bool:
    """Exactly one root, and from every word the chain of heads reaches it within n steps."""
    n = len(heads)
    if n == 0:
        return True
    if sum(1 for x in heads if x == -1) != 1:
        return False
    for i in range(n):
        j, steps = i, 0
        while j != -1 and steps <= n:
            j, steps = heads[j], steps + 1
        if j != -1:
            return False
    return True


@st.composite
def random_trees(draw, max_words: int = 8):
    """Valid heads: each word (in a random order) hangs below a word placed before it."""
    n = draw(st.integers(1, max_words))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    order = rng.permutation(n)
    heads = np.full(n, -1)
    for k in range(1, n):
        heads[order[k]] = order[rng.integers(k)]
    return heads.tolist()


@st.composite
def any_heads(draw, max_words: int = 6):
    n = draw(st.integers(0, max_words))
    return draw(st.lists(st.integers(-1, n - 1), min_size=n, max_size=n))


@given(heads=random_trees() | any_heads())
def test_dependency_graph_accepts_exactly_the_trees(heads):
    if not is_tree_by_loop(heads):
        with pytest.raises(ValueError, match="root|cycle|1-based"):
            gl.dependency_graph(heads)
        return
    n = len(heads)
    g = gl.dependency_graph(heads)
    expected = adjacency_by_loop(n, lambda i, j: heads[i] == j or heads[j] == i)
    np.testing.assert_array_equal(g.adjacency(), expected)
    if n:
        assert nx.is_tree(gl.to_networkx(g).to_undirected())


@given(heads=random_trees())
def test_dependency_graph_recognises_one_based_heads(heads):
    conllu = [h + 1 for h in heads]  # CoNLL-U: words from 1, the root's head 0
    with pytest.raises(ValueError, match=r"it looks 1-based, as a CoNLL-U file .* pass heads - 1"):
        gl.dependency_graph(conllu)
    assert gl.dependency_graph(np.array(conllu) - 1) == gl.dependency_graph(heads)


def test_one_based_heads_of_the_example():
    conllu = HEADS + 1  # "the cat sat ...": [2, 3, 0, 6, 6, 3, 10, 10, 10, 3]
    with pytest.raises(ValueError, match=r"^heads \[2, 3, 0, 6, .*\] has no -1 but one 0"):
        gl.dependency_graph(conllu)


# --- global tokens, random edges, BigBird ---------------------------------------------------


@pytest.mark.parametrize(
    ("n", "glob"), [(1, [0]), (5, [0]), (6, [0, 5]), (7, [3, 1]), (4, []), (0, [])]
)
def test_global_token_graph_matches_its_definition(n, glob):
    g = gl.global_token_graph(n, glob)
    assert set(edge_list(g)) == edges_by_loop(n, lambda i, j: i in glob or j in glob)
    hubs = np.array(glob, dtype=int)
    assert (g.in_degree[hubs] == n).all()  # a global token hears every word, itself included


@pytest.mark.parametrize("radius", [0, 1, 2])
def test_global_token_graph_on_a_window(radius):
    n, glob = 9, [0, 4]
    base = gl.window_graph(n, radius)
    g = call_without_mutation(gl.global_token_graph, n, np.array(glob), base=base)
    expected = edges_by_loop(n, lambda i, j: abs(i - j) <= radius or i in glob or j in glob)
    assert set(edge_list(g)) == expected
    assert set(edge_list(base)) <= set(edge_list(g))


def test_global_tokens_put_every_pair_within_two_hops():
    n = 12
    g = gl.global_token_graph(n, [0])
    a = g.adjacency()
    assert ((a @ a) > 0).all()
    assert not (a > 0).all()  # but not within one


@pytest.mark.parametrize(("n", "num_random"), [(0, 0), (1, 0), (2, 1), (6, 2), (6, 5), (9, 0)])
def test_random_graph_degrees_and_no_self_loops(n, num_random):
    g = gl.random_graph(n, num_random, rng=np.random.default_rng(0))
    assert g.num_nodes == n
    assert g.in_degree.tolist() == [num_random] * n  # each receiver, exactly num_random senders
    assert not g.has_self_loops()
    if num_random == n - 1:  # every other node: the complete graph without self loops
        assert g == gl.complete_graph(n, self_loops=False)


def test_random_graph_is_reproducible_and_depends_on_the_seed():
    draw = [gl.random_graph(20, 3, rng=np.random.default_rng(seed)) for seed in (0, 0, 1)]
    assert draw[0] == draw[1]
    assert draw[0] != draw[2]


def test_random_graph_draws_senders_uniformly():
    n, num_random, draws = 5, 2, 600
    rng = np.random.default_rng(42)
    counts = np.zeros((n, n))
    for _ in range(draws):
        counts += gl.random_graph(n, num_random, rng=rng).adjacency()
    freq = counts / draws  # freq[i, j]: how often j was among the senders of i
    off_diagonal = ~np.eye(n, dtype=bool)
    # each of the n - 1 other nodes with probability num_random / (n - 1) = 0.5;
    # the standard error of one frequency is sqrt(0.25 / 600) = 0.02: 0.08 is 4 of them
    np.testing.assert_allclose(freq[off_diagonal], num_random / (n - 1), atol=0.08)
    assert (np.diag(freq) == 0).all()


def test_random_graph_avoids_the_excluded_edges():
    n = 12
    window = gl.window_graph(n, 2)
    for seed in range(5):
        g = gl.random_graph(n, 3, rng=np.random.default_rng(seed), exclude=window)
        assert not set(edge_list(g)) & set(edge_list(window))
        assert g.in_degree.tolist() == [3] * n  # every word has >= 3 words outside its window
    crowded = gl.global_token_graph(n, [0], base=gl.window_graph(n, 4))
    g = gl.random_graph(n, 5, rng=np.random.default_rng(0), exclude=crowded)
    heard = [{j for j, r in edge_list(crowded) if r == i} | {i} for i in range(n)]
    left = np.array([n - len(h) for h in heard])  # candidates: not i, not already heard
    np.testing.assert_array_equal(g.in_degree, np.minimum(5, left))  # fewer left: all of them
    assert g.in_degree[0] == 0  # the global token already hears everyone


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bigbird_graph_is_window_plus_global_plus_random(seed):
    n, radius, glob, num_random = 16, 1, [0, 15], 2
    g = gl.bigbird_graph(n, radius, glob, num_random, rng=np.random.default_rng(seed))
    structured = edges_by_loop(n, lambda i, j: abs(i - j) <= radius or i in glob or j in glob)
    edges = set(edge_list(g))
    assert structured <= edges
    extra = edges - structured  # the random edges: num_random per ordinary word, none for hubs
    per_receiver = np.bincount([i for _, i in extra], minlength=n)
    expected = np.full(n, num_random)
    expected[glob] = 0
    np.testing.assert_array_equal(per_receiver, expected)
    # the same random draw as random_graph with the structured part excluded
    base = gl.global_token_graph(n, glob, gl.window_graph(n, radius))
    again = gl.random_graph(n, num_random, rng=np.random.default_rng(seed), exclude=base)
    assert set(edge_list(again)) == extra


@pytest.mark.parametrize(
    "fn", [gl.dilated_graph, gl.global_token_graph, gl.random_graph, gl.bigbird_graph]
)
def test_docstring_states_the_neighbourhood(fn):
    assert r"\mathcal{N}(i)" in fn.__doc__
    assert ".. math::" in fn.__doc__


# --- sentence_words ---------------------------------------------------------------------------


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
    ids=["string", "padded string", "tabs", "list", "tuple", "array"],
)
def test_sentence_words_string_or_list(sentence):
    words = gl.sentence_words(sentence)
    assert words == WORDS
    assert all(type(w) is str for w in words)  # np.str_ becomes str


def test_sentence_words_keeps_words_of_a_list_as_given():
    assert gl.sentence_words(["New York", "is", "big"]) == ["New York", "is", "big"]


@pytest.mark.parametrize("sentence", ["", "   \n\t", [], ()])
def test_empty_sentence_is_refused(sentence):
    with pytest.raises(ValueError, match="sentence is empty .* e.g. 'the cat sat'"):
        gl.sentence_words(sentence)


def test_empty_word_in_a_list_is_refused():
    with pytest.raises(ValueError, match=r"sentence\[1\] is an empty word \(' '\); drop it"):
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


# --- sentence_graphs ----------------------------------------------------------------------------


def test_sentence_graphs_without_heads_are_window_complete_causal():
    words, graphs = gl.sentence_graphs(SENTENCE)
    n = len(words)
    assert words == WORDS
    assert sorted(graphs) == ["causal", "complete", "window"]
    assert graphs["window"] == gl.window_graph(n, 1)
    assert graphs["complete"] == gl.complete_graph(n)
    assert graphs["causal"] == gl.causal_graph(n)
    # the definitions, edge by edge
    assert set(edge_list(graphs["window"])) == edges_by_loop(n, lambda i, j: abs(i - j) <= 1)
    assert set(edge_list(graphs["causal"])) == edges_by_loop(n, lambda i, j: j <= i)
    assert graphs["complete"].num_edges == n * n


def test_sentence_graphs_radius():
    words, graphs = gl.sentence_graphs("a b c d e f", radius=2)
    assert graphs["window"] == gl.window_graph(len(words), 2)


def test_sentence_graphs_with_heads_add_the_tree():
    words, graphs = call_without_mutation(gl.sentence_graphs, WORDS, HEADS.tolist())
    assert sorted(graphs) == ["causal", "complete", "tree", "window"]
    tree = graphs["tree"]
    assert tree == gl.dependency_graph(HEADS)
    expected = {(i, int(HEADS[i])) for i in range(len(words)) if HEADS[i] >= 0}
    assert set(edge_list(tree)) == expected | {(j, i) for i, j in expected}
    assert not tree.has_self_loops()


def test_one_word_sentence():
    words, graphs = gl.sentence_graphs("hello", heads=[-1])
    assert words == ["hello"]
    assert all(g.num_nodes == 1 for g in graphs.values())
    assert graphs["tree"].num_edges == 0
    assert graphs["complete"].num_edges == 1


@pytest.mark.parametrize("heads", [[1, -1], [1, 2, -1, 2], []])
def test_heads_of_the_wrong_length(heads):
    match = rf"heads has shape \({len(heads)},\) but the sentence has 3 words \('the cat sat'\)"
    with pytest.raises(ValueError, match=match):
        gl.sentence_graphs("the cat sat", heads)
    with pytest.raises(ValueError, match=match):  # the check sentence_graphs uses, on its own
        gl.sentence_heads(["the", "cat", "sat"], heads)


def test_sentence_heads_takes_a_list_and_gives_an_int_array():
    heads = gl.sentence_heads(["dogs", "bark"], [1, -1])
    assert heads.dtype == np.int64 and heads.tolist() == [1, -1]
    with pytest.raises(TypeError, match="heads"):
        gl.sentence_heads(["dogs", "bark"], [1.5, -1])


@pytest.mark.parametrize(
    ("heads", "error", "match"),
    [
        ([1, 0, -1], ValueError, r"cycle: 0 -> 1 -> 0"),
        ([1, 2, 3], ValueError, r"heads contains 3, out of range for a sentence of 3 words"),
        ([-1, -1, 1], ValueError, "exactly one root"),
        ([2, 3, 0], ValueError, "1-based"),
        ([[1, 2, -1]], ValueError, r"heads must be 1-D, got shape \(1, 3\)"),
        ([1.0, 2.0, -1.0], TypeError, "heads must be an integer array, got dtype float64"),
    ],
)
def test_heads_that_are_not_a_tree(heads, error, match):
    with pytest.raises(error, match=match):
        gl.sentence_graphs("the cat sat", heads)


# --- bad input: a ValueError / TypeError naming the argument ---------------------------------

RNG0 = np.random.default_rng  # a fresh, seeded generator per call

BAD = [
    ("complete_graph_float", lambda: gl.complete_graph(3.0), TypeError, r"^n must be an int"),
    ("causal_graph_negative", lambda: gl.causal_graph(-2), ValueError, r"^n must be >= 0, got -2"),
    (
        "window_graph_negative_radius",
        lambda: gl.window_graph(3, -1),
        ValueError,
        r"^radius must be >= 0, got -1",
    ),
    (
        "dilation_zero",
        lambda: gl.dilated_graph(5, 1, 0),
        ValueError,
        r"dilation must be >= 1 \(1 is the plain window\), got 0",
    ),
    ("dilation_negative", lambda: gl.dilated_graph(5, 1, -2), ValueError, "dilation must be >= 0"),
    ("dilation_float", lambda: gl.dilated_graph(5, 1, 1.5), TypeError, "dilation must be an int"),
    ("radius_str", lambda: gl.dilated_graph(5, "2", 1), TypeError, "radius must be an int"),
    ("dilated_negative_n", lambda: gl.dilated_graph(-1, 1, 1), ValueError, "n must be >= 0"),
    (
        "dependency_cycle",
        lambda: gl.dependency_graph([1, 2, 1, -1]),
        ValueError,
        r"heads contains a cycle: 1 -> 2 -> 1 \(each word's head, followed from word 0",
    ),
    (
        "dependency_self_head",
        lambda: gl.dependency_graph([-1, 1]),
        ValueError,
        r"heads contains a cycle: 1 -> 1",
    ),
    (
        "dependency_two_roots",
        lambda: gl.dependency_graph([-1, 0, -1]),
        ValueError,
        r"exactly one root \(-1\), found 2: \[0 2\]",
    ),
    (
        "dependency_no_root",
        lambda: gl.dependency_graph([1, 2, 1]),
        ValueError,
        r"exactly one root \(-1\), found 0",
    ),
    (
        "dependency_out_of_range",
        lambda: gl.dependency_graph([-1, 3, 0]),
        ValueError,
        r"^heads contains 3, out of range for a sentence of 3 words \(word indices 0..2, -1 for",
    ),
    (
        "dependency_below_minus_one",
        lambda: gl.dependency_graph([-1, -2]),
        ValueError,
        r"^heads contains -2, out of range",
    ),
    (
        "dependency_float_heads",
        lambda: gl.dependency_graph([-1.0, 0.0]),
        TypeError,
        r"heads must be an integer array",
    ),
    (
        "global_node_out_of_range",
        lambda: gl.global_token_graph(5, [1, 5]),
        ValueError,
        r"^global_nodes contains 5, out of range for n=5$",
    ),
    (
        "global_node_negative",
        lambda: gl.global_token_graph(5, [-1]),
        ValueError,
        r"^global_nodes contains -1, out of range for n=5$",
    ),
    (
        "global_nodes_repeated",
        lambda: gl.global_token_graph(5, [2, 2]),
        ValueError,
        r"global_nodes must be distinct, got \[2, 2\]",
    ),
    (
        "global_nodes_float",
        lambda: gl.global_token_graph(5, [0.5]),
        TypeError,
        "global_nodes must be an integer array",
    ),
    (
        "global_nodes_scalar",
        lambda: gl.global_token_graph(5, 0),
        ValueError,
        r"global_nodes must be 1-D, got shape \(\)",
    ),
    (
        "global_base_size",
        lambda: gl.global_token_graph(5, [0], base=gl.window_graph(4, 1)),
        ValueError,
        "base has num_nodes=4 but n=5",
    ),
    (
        "global_base_not_graph",
        lambda: gl.global_token_graph(5, [0], base=np.ones((5, 5))),
        TypeError,
        "base must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "random_rng_none",
        lambda: gl.random_graph(5, 1, rng=None),
        TypeError,
        r"rng must be a seeded np.random.Generator, e.g. np.random.default_rng\(0\); got NoneType",
    ),
    (
        "random_rng_int",
        lambda: gl.random_graph(5, 1, rng=0),
        TypeError,
        "rng must be a seeded np.random.Generator.*got int",
    ),
    (
        "random_rng_random_state",
        lambda: gl.random_graph(5, 1, rng=np.random.RandomState(0)),
        TypeError,
        "got RandomState",
    ),
    (
        "random_too_many",
        lambda: gl.random_graph(5, 5, rng=RNG0(0)),
        ValueError,
        r"num_random=5 is too large for n=5: .* n - 1 = 4",
    ),
    (
        "random_on_no_nodes",
        lambda: gl.random_graph(0, 1, rng=RNG0(0)),
        ValueError,
        "num_random=1 is too large for n=0",
    ),
    (
        "random_float_count",
        lambda: gl.random_graph(5, 1.0, rng=RNG0(0)),
        TypeError,
        "num_random must be an int",
    ),
    (
        "random_exclude_size",
        lambda: gl.random_graph(5, 1, rng=RNG0(0), exclude=gl.window_graph(4, 1)),
        ValueError,
        "exclude has num_nodes=4 but n=5",
    ),
    (
        "random_exclude_not_graph",
        lambda: gl.random_graph(5, 1, rng=RNG0(0), exclude="window"),
        TypeError,
        "exclude must be a gnnformer_lite.Graph, got str",
    ),
    (
        "random_rng_positional",
        lambda: gl.random_graph(5, 1, RNG0(0)),  # rng is keyword-only
        TypeError,
        "positional",
    ),
    (
        "bigbird_rng",
        lambda: gl.bigbird_graph(8, 1, [0], 1, rng=0),
        TypeError,
        "rng must be a seeded np.random.Generator",
    ),
    (
        "bigbird_global_node",
        lambda: gl.bigbird_graph(8, 1, [8], 1, rng=RNG0(0)),
        ValueError,
        "global_nodes contains 8, out of range for n=8",
    ),
    (
        "bigbird_too_many",
        lambda: gl.bigbird_graph(8, 1, [0], 8, rng=RNG0(0)),
        ValueError,
        "num_random=8 is too large for n=8",
    ),
    (
        "sentence_graphs_radius",
        lambda: gl.sentence_graphs("a b", radius=1.5),
        TypeError,
        "radius must be an int, got float 1.5",
    ),
    (
        "sentence_graphs_empty_with_heads",
        lambda: gl.sentence_graphs("", heads=[]),
        ValueError,
        "sentence is empty",
    ),
]


test_bad_input_is_refused_with_a_clear_message = refusal_test(BAD)
