"""Checks of the blanks about graphs: adjacency, sentence graphs, masks, reach, virtual node.

Notebooks 01 (adjacency, window, dependency tree, padding mask), 02 (receptive field),
04 (causal mask), 06 (dilated window) and 09 (virtual node). A graph is ``gl.Graph``:
edge j -> i is sender j, receiver i, and ``A[i, j] = 1`` iff j -> i (row = receiver).
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph, add_self_loops, from_adjacency, pad_batch, virtual_node_graph
from ..message_passing import hop_distance
from ..sentences import (
    causal_graph,
    dependency_graph,
    dilated_graph,
    example_sentence,
    window_graph,
)
from .harness import compare, run_check, sentence_tree, uneven_graph

__all__ = [
    "check_adjacency",
    "check_causal_mask",
    "check_dependency_graph",
    "check_dilated_graph",
    "check_padding_mask",
    "check_receptive_field",
    "check_virtual_node_graph",
    "check_window_graph",
]

BLANKS = {
    "my_adjacency": {
        "task": "the dense adjacency matrix of a graph given by its edge lists (row = receiver)",
        "equation": "A[i, j] = 1 if some edge e has senders[e] = j and receivers[e] = i, "
        "else 0; A: (n, n)",
    },
    "my_window_graph": {
        "task": "the window graph: each word hears the words at most `radius` away, itself too",
        "equation": "an edge j -> i for every i, j in 0 .. n-1 with |i - j| <= radius",
    },
    "my_dependency_graph": {
        "task": "the dependency tree as a gl.Graph: an edge each way between a word and its head",
        "equation": "for each word i with h = heads[i] >= 0: edges i -> h and h -> i (root: -1)",
    },
    "my_padding_mask": {
        "task": "the padding mask of a batch of sentences: True for a real word, False for padding",
        "equation": "mask[b, t] = t < lengths[b] for t = 0 .. L-1, L = max_b lengths[b]; (B, L)",
    },
    "my_receptive_field": {
        "task": "which node can influence which after num_layers layers of message passing",
        "equation": "reached[i, j] = [(A + I)^L]_ij > 0, L = num_layers, A[i, j] = 1 iff j -> i",
    },
    "my_causal_mask": {
        "task": "the causal mask of a sentence of n words: query i may attend to key j <= i",
        "equation": "mask[i, j] = (j <= i) for i, j = 0 .. n-1; True = may attend; (n, n) bool",
    },
    "my_dilated_graph": {
        "task": "the dilated window: word i hears the words t * dilation away, |t| <= radius",
        "equation": "an edge j -> i for i - j = t * dilation, t = -radius .. radius, 0 <= j < n",
    },
    "my_virtual_node_graph": {
        "task": "the graph plus a virtual node n, joined both ways to every node (no self loop)",
        "equation": "edges of graph + {j -> n, n -> j : j = 0 .. n-1}, on n + 1 nodes",
    },
}


# --- inputs ------------------------------------------------------------------------------


def _sentence_arcs() -> Graph:
    """The running sentence's arcs one way, each word -> its head: 10 nodes, 9 edges."""
    heads = example_sentence()[1]
    child = np.flatnonzero(heads >= 0)
    return Graph(child, heads[child], heads.size)


def _where(n: int, keep) -> Graph:
    """The graph with an edge j -> i wherever ``keep(i, j)`` (arrays of receivers, senders)."""
    i, j = np.indices((n, n))
    return from_adjacency(keep(i, j))


def _compare_mask(expected, got) -> str | None:
    """``compare``, and a mask must be bool: a 0/1 int array indexes by position, not by mask."""
    problem = compare(expected, got, atol=0.0, rtol=0.0)
    if problem is None and got.dtype != bool:
        return (
            f"the entries are right but the dtype is {got.dtype}: a mask is a bool array "
            f"(x[mask] with 0/1 numbers picks rows 0 and 1, not the True ones)"
        )
    return problem


# --- adjacency ---------------------------------------------------------------------------


def _adjacency_cases() -> list:
    arcs, g = _sentence_arcs(), uneven_graph(0)
    order = np.random.default_rng(1).permutation(g.num_edges)
    none = np.array([], dtype=np.int64)
    return [
        (
            "the sentence's arcs, each word -> its head: 10 nodes, 9 edges",
            (np.array(arcs.senders), np.array(arcs.receivers), arcs.num_nodes),
        ),
        (
            f"a random graph, edges in no order, node {g.num_nodes - 1} without any edge",
            (g.senders[order], g.receivers[order], g.num_nodes),
        ),
        ("3 nodes, no edge", (none, none, 3)),
        ("1 node with a self loop", (np.array([0]), np.array([0]), 1)),
    ]


def _adjacency(senders, receivers, num_nodes):
    return Graph(senders, receivers, num_nodes).adjacency()


def _adjacency_transposed(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    A[senders, receivers] = 1
    return A


def _adjacency_both_ways(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    A[receivers, senders] = 1
    A[senders, receivers] = 1
    return A


def _adjacency_self_loops(senders, receivers, num_nodes):
    A = np.eye(num_nodes)
    A[receivers, senders] = 1
    return A


def _adjacency_copy(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    A[receivers][:, senders] = 1  # writes into a copy: A stays 0
    return A


def _adjacency_size_from_edges(senders, receivers, num_nodes):
    n = int(max(senders.max(), receivers.max())) + 1
    A = np.zeros((n, n))
    A[receivers, senders] = 1
    return A


ADJACENCY_MISTAKES = [
    (
        "the matrix transposed: A[j, i] = 1 for the edge j -> i",
        "Rows are receivers: A[receivers, senders] = 1. Then row i lists what node i hears and\n"
        "A @ H sums each node's incoming messages (networkx's matrix is the transpose).",
        _adjacency_transposed,
    ),
    (
        "each edge made both ways, as if the graph were undirected",
        "An edge j -> i sets A[i, j] only; A[j, i] = 1 iff the graph also has i -> j.\n"
        "Here some edges have no reverse: set A[receivers, senders] = 1 and nothing else.",
        _adjacency_both_ways,
    ),
    (
        "self loops added (A + I)",
        "A[i, i] = 1 only for an edge i -> i of the graph. Adding I is the layer's choice\n"
        "(gl.add_self_loops, or a separate self term), not the adjacency's: start from zeros.",
        _adjacency_self_loops,
    ),
    (
        "chained indexing: A[receivers][:, senders] = 1 writes into a copy",
        "A[receivers] with an index array makes a new array; the assignment changes that copy\n"
        "and A stays 0. Index both axes at once: A[receivers, senders] = 1.",
        _adjacency_copy,
    ),
    (
        "the size taken from the edges (largest index + 1) instead of num_nodes",
        "A node with no edge (the last one here) still has a row and a column: the matrix is\n"
        "(num_nodes, num_nodes), np.zeros((num_nodes, num_nodes)).",
        _adjacency_size_from_edges,
    ),
]


def check_adjacency(fn) -> None:
    """Check ``fn(senders, receivers, num_nodes)`` against ``gl.Graph(...).adjacency()``."""
    __tracebackhide__ = True
    run_check(
        "adjacency",
        fn,
        _adjacency_cases(),
        _adjacency,
        "gl.Graph(senders, receivers, num_nodes).adjacency()",
        ADJACENCY_MISTAKES,
    )


# --- window graph ------------------------------------------------------------------------


def _window_cases() -> list:
    return [
        ("the sentence: 10 words, radius 1", (10, 1)),
        ("the sentence, radius 2", (10, 2)),
        ("radius 0: each word hears itself only", (10, 0)),
        ("a sentence of one word, radius 1", (1, 1)),
        ("a radius wider than the sentence: 4 words, radius 6", (4, 6)),
    ]


def _window_not_cut(n, radius):
    offsets = np.arange(-radius, radius + 1)
    receivers = np.repeat(np.arange(n), offsets.size)
    return Graph(receivers + np.tile(offsets, n), receivers, n)  # j = i + t may be < 0 or >= n


def _window_no_self(n, radius):
    return _where(n, lambda i, j: (0 < abs(i - j)) & (abs(i - j) <= radius))


def _window_radius_one(n, radius):
    return _where(n, lambda i, j: abs(i - j) <= 1)


def _window_strict(n, radius):
    return _where(n, lambda i, j: abs(i - j) < radius)


def _window_range_stop(n, radius):
    return _where(n, lambda i, j: (j - i >= -radius) & (j - i < radius))


WINDOW_MISTAKES = [
    (
        "the window not cut at the ends of the sentence",
        "j = i + t exists only for 0 <= j < n: keep those and drop the others. Clipping\n"
        "(np.clip) is no cure: it turns j = -1 into 0 and makes the edge 0 -> 0 twice.",
        _window_not_cut,
    ),
    (
        "the self loop left out (0 < |i - j| <= radius)",
        "The window includes t = 0: each word hears itself, |i - j| <= radius. A word without\n"
        "its self loop loses its own features in the layer's sum.",
        _window_no_self,
    ),
    (
        "the radius ignored: always i - 1, i and i + 1",
        "The window reaches `radius` words each way: t = -radius .. radius, i.e.\n"
        "range(-radius, radius + 1), not the fixed (-1, 0, 1) of radius 1.",
        _window_radius_one,
    ),
    (
        "|i - j| < radius instead of <= radius",
        "A word `radius` positions away is inside the window: |i - j| <= radius. With < the\n"
        "window shrinks by one each way (radius 1 keeps only the self loops).",
        _window_strict,
    ),
    (
        "range(-radius, radius) stops before +radius",
        "Python's range leaves out its end: t in range(-radius, radius + 1) gives both\n"
        "sides; without the + 1 each word hears one word less after it than before it.",
        _window_range_stop,
    ),
]


def check_window_graph(fn) -> None:
    """Check ``fn(n, radius)`` against ``gl.window_graph(n, radius)``."""
    __tracebackhide__ = True
    run_check(
        "window_graph",
        fn,
        _window_cases(),
        window_graph,
        "gl.window_graph(n, radius)",
        WINDOW_MISTAKES,
    )


# --- dilated graph -----------------------------------------------------------------------


def _dilated_cases() -> list:
    return [
        ("the sentence: 10 words, radius 1, dilation 2", (10, 1, 2)),
        ("dilation 1 is the plain window: radius 2", (10, 2, 1)),
        ("radius 2, dilation 3", (10, 2, 3)),
        ("radius 0: the self loops only", (10, 0, 3)),
        ("a dilation longer than the sentence: 5 words, radius 2, dilation 7", (5, 2, 7)),
        ("a sentence of one word", (1, 2, 2)),
    ]


def _dilated_not_cut(n, radius, dilation):
    offsets = dilation * np.arange(-radius, radius + 1)
    receivers = np.repeat(np.arange(n), offsets.size)
    return Graph(receivers + np.tile(offsets, n), receivers, n)


def _dilated_no_holes(n, radius, dilation):
    return _where(n, lambda i, j: abs(i - j) <= radius * dilation)


def _dilated_every_multiple(n, radius, dilation):
    return _where(n, lambda i, j: (i - j) % dilation == 0)


def _dilated_radius_in_positions(n, radius, dilation):
    return _where(n, lambda i, j: (abs(i - j) <= radius) & ((i - j) % dilation == 0))


def _dilated_plain_window(n, radius, dilation):
    return _where(n, lambda i, j: abs(i - j) <= radius)


def _dilated_no_self(n, radius, dilation):
    return _where(
        n, lambda i, j: (i != j) & (abs(i - j) <= radius * dilation) & ((i - j) % dilation == 0)
    )


def _dilated_range_stop(n, radius, dilation):
    def keep(i, j):
        t, rest = np.divmod(j - i, dilation)
        return (rest == 0) & (t >= -radius) & (t < radius)

    return _where(n, keep)


DILATED_MISTAKES = [
    (
        "the window not cut at the ends of the sentence",
        "j = i + t * dilation exists only for 0 <= j < n: keep those and drop the others\n"
        "(clipping them into range makes duplicate edges).",
        _dilated_not_cut,
    ),
    (
        "no holes: every word within radius * dilation",
        "The dilated window skips words: i hears i + t * dilation only, t = -radius .. radius,\n"
        "2 * radius words and itself, not all the |i - j| <= radius * dilation in between.",
        _dilated_no_holes,
    ),
    (
        "every dilation-th word, however far (the radius forgotten)",
        "(i - j) % dilation == 0 is half the rule; the other half is |t| <= radius with\n"
        "t = (i - j) / dilation: at most radius steps of `dilation` words each way.",
        _dilated_every_multiple,
    ),
    (
        "the radius counted in words instead of in steps of `dilation`",
        "radius is the number of steps t, each `dilation` words long: |i - j| <= radius *\n"
        "dilation with (i - j) % dilation == 0, not |i - j| <= radius.",
        _dilated_radius_in_positions,
    ),
    (
        "the dilation ignored: the plain window of that radius",
        "The offsets are t * dilation, t = -radius .. radius: dilation * np.arange(-radius,\n"
        "radius + 1), not np.arange(-radius, radius + 1).",
        _dilated_plain_window,
    ),
    (
        "the self loop left out (t = 0)",
        "t runs from -radius to radius, 0 included: each word hears itself, as in the window.",
        _dilated_no_self,
    ),
    (
        "range(-radius, radius) stops before +radius",
        "Python's range leaves out its end: t in range(-radius, radius + 1).",
        _dilated_range_stop,
    ),
]


def check_dilated_graph(fn) -> None:
    """Check ``fn(n, radius, dilation)`` against ``gl.dilated_graph(n, radius, dilation)``."""
    __tracebackhide__ = True
    run_check(
        "dilated_graph",
        fn,
        _dilated_cases(),
        dilated_graph,
        "gl.dilated_graph(n, radius, dilation)",
        DILATED_MISTAKES,
    )


# --- dependency graph --------------------------------------------------------------------


def _dependency_cases() -> list:
    heads = example_sentence()[1]
    return [
        ("the sentence: 10 words, 'sat' is the root", (heads.copy(),)),
        ("a sentence of one word: heads [-1]", (np.array([-1]),)),
        ("'it was tired': the root is the last word", (np.array([2, 2, -1]),)),
        ("'the cat sat down': the last word heads no word", (np.array([1, 2, -1, 2]),)),
        ("a tree of 8 words, the root is word 3", (np.array([3, 0, 3, -1, 2, 2, 0, 4]),)),
    ]


def _dependency_child_to_head(heads):
    child = np.flatnonzero(heads >= 0)
    return Graph(child, heads[child], heads.size)


def _dependency_head_to_child(heads):
    child = np.flatnonzero(heads >= 0)
    return Graph(heads[child], child, heads.size)


def _dependency_root_kept(heads):
    words = np.arange(heads.size)
    return Graph(np.concatenate([words, heads]), np.concatenate([heads, words]), heads.size)


def _dependency_root_as_index(heads):
    A = np.zeros((heads.size, heads.size))
    A[np.arange(heads.size), heads] = 1  # the root's head -1 is the last column
    return from_adjacency(A + A.T)


def _dependency_self_loops(heads):
    return dependency_graph(heads, self_loops=True)


def _dependency_size_from_heads(heads):
    child = np.flatnonzero(heads >= 0)
    n = int(heads.max()) + 1
    return Graph(np.concatenate([child, heads[child]]), np.concatenate([heads[child], child]), n)


DEPENDENCY_MISTAKES = [
    (
        "one way only, each word -> its head",
        "The head never hears its dependents: add the reverse too, an edge i -> h and an\n"
        "edge h -> i for each word i with h = heads[i] >= 0.",
        _dependency_child_to_head,
    ),
    (
        "one way only, each head -> its words",
        "A word never hears its head: add the reverse too, an edge i -> h and an edge\n"
        "h -> i for each word i with h = heads[i] >= 0.",
        _dependency_head_to_child,
    ),
    (
        "the size taken from the heads (largest head + 1) instead of len(heads)",
        "The sentence has len(heads) words; a last word that heads no word is a node too.",
        _dependency_size_from_heads,
    ),
    (
        "the root's head -1 used as an index: NumPy's -1 is the last word",
        "A[i, heads[i]] = 1 for the root sets A[root, -1], the last column: the root gets an\n"
        "edge to the last word. Skip the root: child = np.flatnonzero(heads >= 0).",
        _dependency_root_as_index,
    ),
    (
        "self loops added",
        "The dependency graph has no self loops (gl.dependency_graph(heads, self_loops=True)\n"
        "adds them when a layer needs them): only the edges word <-> head.",
        _dependency_self_loops,
    ),
    (
        "the root kept: its head -1 is not a word",
        "gl.Graph refuses the sender or receiver -1. The root has no head and no edge to it:\n"
        "keep only the words with heads[i] >= 0, e.g. child = np.flatnonzero(heads >= 0).",
        _dependency_root_kept,
    ),
]


def check_dependency_graph(fn) -> None:
    """Check ``fn(heads)`` against ``gl.dependency_graph(heads)``."""
    __tracebackhide__ = True
    run_check(
        "dependency_graph",
        fn,
        _dependency_cases(),
        dependency_graph,
        "gl.dependency_graph(heads)",
        DEPENDENCY_MISTAKES,
    )


# --- padding mask ------------------------------------------------------------------------


def _padding_cases() -> list:
    return [
        ("the sentence and two shorter ones: lengths [10, 4, 3]", (np.array([10, 4, 3]),)),
        ("the longest sentence not first: lengths [4, 10, 3]", (np.array([4, 10, 3]),)),
        ("a sentence of one word in a batch: lengths [1, 3]", (np.array([1, 3]),)),
        ("a batch of one sentence: lengths [5]", (np.array([5]),)),
        ("all of one length: lengths [3, 3, 3, 3]", (np.array([3, 3, 3, 3]),)),
        ("int32 lengths [2, 6, 1, 6]", (np.array([2, 6, 1, 6], dtype=np.int32),)),
    ]


def _padding_mask(lengths):
    return pad_batch([np.zeros(int(n), dtype=np.int64) for n in lengths])[1]


def _padding_inverted(lengths):
    return np.arange(lengths.max()) >= lengths[:, None]


def _padding_off_by_one(lengths):
    return np.arange(lengths.max()) <= lengths[:, None]


def _padding_transposed(lengths):
    return np.arange(lengths.max())[:, None] < lengths[None, :]


def _padding_first_length(lengths):
    return np.arange(lengths[0]) < lengths[:, None]


def _padding_num_sentences(lengths):
    return np.arange(len(lengths)) < lengths[:, None]


def _padding_total(lengths):
    return np.arange(lengths.sum()) < lengths[:, None]


def _padding_pairs(lengths):
    real = np.arange(lengths.max()) < lengths[:, None]
    return real[:, :, None] & real[:, None, :]


PADDING_MISTAKES = [
    (
        "the polarity inverted: True for padding (PyTorch's key_padding_mask)",
        "Ours is True for a real word, the positions that may be attended to; PyTorch's\n"
        "key_padding_mask is True for padding, the inverse: mask[b, t] = t < lengths[b].",
        _padding_inverted,
    ),
    (
        "t <= lengths[b] instead of t < lengths[b]",
        "Positions count from 0: a sentence of n_b words fills t = 0 .. n_b - 1, so position\n"
        "n_b is already padding: np.arange(L) < lengths[:, None].",
        _padding_off_by_one,
    ),
    (
        "the mask transposed: (L, B) instead of (B, L)",
        "One row per sentence: np.arange(L)[None, :] < lengths[:, None], shape (B, L).",
        _padding_transposed,
    ),
    (
        "L taken from the first sentence instead of the longest",
        "The batch is as long as its longest sentence: L = lengths.max(), wherever it is.",
        _padding_first_length,
    ),
    (
        "L taken as the number of sentences",
        "len(lengths) is B, the number of sentences; the padded length is L = lengths.max().",
        _padding_num_sentences,
    ),
    (
        "L taken as the total number of words",
        "lengths.sum() is the size of the batch graph (gl.batch_graphs); padding stacks the\n"
        "sentences as rows as long as the longest: L = lengths.max().",
        _padding_total,
    ),
    (
        "the (B, L, L) mask of word pairs instead of the (B, L) mask of words",
        "This blank is the mask of positions, one per word: mask[b, t]. Attention makes the\n"
        "pairs from it later, mask[:, None, :] (any query may attend to a real key).",
        _padding_pairs,
    ),
]


def check_padding_mask(fn) -> None:
    """Check ``fn(lengths)`` against the mask of ``gl.pad_batch``: True for a real word."""
    __tracebackhide__ = True
    run_check(
        "padding_mask",
        fn,
        _padding_cases(),
        _padding_mask,
        "np.arange(L) < lengths[:, None], the mask of gl.pad_batch",
        PADDING_MISTAKES,
        compare_with=_compare_mask,
    )


# --- causal mask -------------------------------------------------------------------------


def _causal_cases() -> list:
    return [
        ("the sentence: 10 words", (10,)),
        ("one word", (1,)),
        ("3 words", (3,)),
    ]


def _causal_mask(n):
    return causal_graph(n).adjacency() > 0


def _causal_upper(n):
    return np.triu(np.ones((n, n), dtype=bool))


def _causal_strict(n):
    return np.tril(np.ones((n, n), dtype=bool), k=-1)


def _causal_blocked(n):
    return np.triu(np.ones((n, n), dtype=bool), k=1)


def _causal_next_word(n):
    return np.tril(np.ones((n, n), dtype=bool), k=1)


def _causal_float(n):
    return np.where(np.tril(np.ones((n, n), dtype=bool)), 0.0, -np.inf)


CAUSAL_MISTAKES = [
    (
        "the future instead of the past: mask[i, j] = j >= i (np.triu)",
        "Row i is the query, column j the key: i may attend to itself and the words before it,\n"
        "the lower triangle: np.tril(np.ones((n, n), dtype=bool)).",
        _causal_upper,
    ),
    (
        "the diagonal left out: j < i",
        "Word i may attend to itself: j <= i. Without the diagonal, word 0 has nothing to\n"
        "attend to and its softmax is 0 / 0.",
        _causal_strict,
    ),
    (
        "the polarity inverted: True = blocked (PyTorch's boolean attn_mask)",
        "In PyTorch a True in a boolean attn_mask blocks the pair; ours is the inverse, True =\n"
        "may attend: mask[i, j] = j <= i, i.e. np.tril(...), not np.triu(..., k=1).",
        _causal_blocked,
    ),
    (
        "the next word let in: np.tril(..., k=1)",
        "k=1 shifts the diagonal up by one: word i would see word i + 1, the one it should\n"
        "predict. k=0 (the default) keeps j <= i.",
        _causal_next_word,
    ),
    (
        "PyTorch's additive float mask: 0 where allowed, -inf where blocked",
        "That is what gets added to the scores; the blank is the boolean mask itself, True\n"
        "where query i may attend to key j: mask[i, j] = j <= i.",
        _causal_float,
    ),
]


def check_causal_mask(fn) -> None:
    """Check ``fn(n)`` against the causal graph's adjacency: ``mask[i, j] = j <= i``."""
    __tracebackhide__ = True
    run_check(
        "causal_mask",
        fn,
        _causal_cases(),
        _causal_mask,
        "gl.causal_graph(n).adjacency() > 0",
        CAUSAL_MISTAKES,
        compare_with=_compare_mask,
    )


# --- receptive field ---------------------------------------------------------------------


def _receptive_cases() -> list:
    g = uneven_graph(0)
    return [
        ("the sentence's dependency tree, 2 layers", (sentence_tree(), 2)),
        ("the sentence's arcs one way, each word -> its head, 1 layer", (_sentence_arcs(), 1)),
        ("0 layers", (sentence_tree(), 0)),
        (
            f"a random directed graph, in-degrees {g.in_degree.tolist()}, 3 layers",
            (g, 3),
        ),
        ("one node, no edge, 2 layers", (Graph([], [], 1), 2)),
        ("the causal graph of 5 words (self loops), 2 layers", (causal_graph(5), 2)),
    ]


def _receptive_field(graph, num_layers):
    return hop_distance(graph, num_layers) >= 0


def _reach(A, layers):
    reached = np.eye(A.shape[0], dtype=bool)
    for _ in range(layers):
        reached = reached | (A @ reached > 0)
    return reached


def _receptive_all_layers(graph, num_layers):
    return _reach(graph.adjacency(), graph.num_nodes)


def _receptive_one_short(graph, num_layers):
    return _reach(graph.adjacency(), num_layers - 1)


def _receptive_one_more(graph, num_layers):
    return _reach(graph.adjacency(), num_layers + 1)


def _receptive_no_self(graph, num_layers):
    A = graph.adjacency()
    power, total = np.eye(graph.num_nodes), np.zeros_like(A)
    for _ in range(num_layers):
        power = A @ power
        total = total + power
    return total > 0


def _receptive_exactly(graph, num_layers):
    return np.linalg.matrix_power(graph.adjacency(), num_layers) > 0


def _receptive_transposed(graph, num_layers):
    return _reach(graph.adjacency().T, num_layers)


def _receptive_counts(graph, num_layers):
    return np.linalg.matrix_power(graph.adjacency() + np.eye(graph.num_nodes), num_layers)


RECEPTIVE_MISTAKES = [
    (
        "num_layers ignored: every node the graph can reach",
        "Each layer moves information one edge: after num_layers layers node i has heard\n"
        "the nodes at most num_layers hops away, not all of its connected part.",
        _receptive_all_layers,
    ),
    (
        "one layer short (range(1, num_layers) or num_layers - 1 steps)",
        "Start from reached = I (0 layers: each node has heard itself) and do num_layers\n"
        "steps: for _ in range(num_layers).",
        _receptive_one_short,
    ),
    (
        "one layer too many",
        "reached = I is the state after 0 layers; each of the num_layers steps adds one hop:\n"
        "for _ in range(num_layers), not range(num_layers + 1).",
        _receptive_one_more,
    ),
    (
        "node i does not reach itself: the sum of A^1 .. A^L without I",
        "A node's own features are there from layer 0 on (the self term of the layer):\n"
        "start from reached = np.eye(n, dtype=bool), i.e. (A + I)^L, not A + A^2 + ... + A^L.",
        _receptive_no_self,
    ),
    (
        "only the nodes exactly num_layers hops away: A^L, the self term left out",
        "A layer keeps what a node has heard and adds its neighbours': reached | (A @ reached\n"
        "> 0), i.e. (A + I)^L. A^L alone counts walks of exactly L edges.",
        _receptive_exactly,
    ),
    (
        "the direction reversed: reached[i, j] read as i influences j",
        "A[i, j] = 1 iff j -> i, so (A @ reached)[i, j] > 0 means i hears a node that has\n"
        "heard j: use A, not A.T (networkx's paths from a source go the other way).",
        _receptive_transposed,
    ),
    (
        "walk counts (A + I)^L instead of a bool",
        "The entries of (A + I)^L count walks; the blank asks whether there is one: compare\n"
        "with 0, np.linalg.matrix_power(A + I, L) > 0.",
        _receptive_counts,
    ),
]


def check_receptive_field(fn) -> None:
    """Check ``fn(graph, num_layers)`` against ``gl.hop_distance(graph, num_layers) >= 0``."""
    __tracebackhide__ = True
    run_check(
        "receptive_field",
        fn,
        _receptive_cases(),
        _receptive_field,
        "gl.hop_distance(graph, num_layers) >= 0",
        RECEPTIVE_MISTAKES,
        compare_with=_compare_mask,
    )


# --- virtual node ------------------------------------------------------------------------


def _virtual_cases() -> list:
    g = uneven_graph(0)
    return [
        ("the sentence's dependency tree: 10 nodes", (sentence_tree(),)),
        (f"a random directed graph, node {g.num_nodes - 1} without any edge", (g,)),
        ("a window graph with self loops: 4 nodes", (window_graph(4, 1),)),
        ("one node, no edge", (Graph([], [], 1),)),
    ]


def _hub_edges(graph, into: bool, out: bool, hub_too: bool = False):
    n = graph.num_nodes
    nodes = np.arange(n + 1 if hub_too else n)
    hub = np.full(nodes.size, n)
    s = [graph.senders] + [nodes] * into + [hub] * out
    r = [graph.receivers] + [hub] * into + [nodes] * out
    return np.concatenate(s), np.concatenate(r)


def _virtual_listens(graph):
    return Graph(*_hub_edges(graph, into=True, out=False), graph.num_nodes + 1)


def _virtual_speaks(graph):
    return Graph(*_hub_edges(graph, into=False, out=True), graph.num_nodes + 1)


def _virtual_same_size(graph):
    return Graph(*_hub_edges(graph, into=True, out=True), graph.num_nodes)


def _virtual_own_edges_lost(graph):
    n = graph.num_nodes
    everyone, hub = np.arange(n), np.full(n, n)
    return Graph(np.concatenate([everyone, hub]), np.concatenate([hub, everyone]), n + 1)


def _virtual_hub_first(graph):
    n = graph.num_nodes
    everyone, hub = np.arange(1, n + 1), np.zeros(n, dtype=np.int64)
    s = np.concatenate([graph.senders + 1, everyone, hub])
    r = np.concatenate([graph.receivers + 1, hub, everyone])
    return Graph(s, r, n + 1)


def _virtual_self_loops(graph):
    return add_self_loops(virtual_node_graph(graph))


def _virtual_hub_loop(graph):
    n = graph.num_nodes
    everyone = np.arange(n)
    s = np.concatenate([graph.senders, everyone, np.full(n + 1, n)])
    r = np.concatenate([graph.receivers, np.full(n, n), np.arange(n + 1)])
    return Graph(s, r, n + 1)


VIRTUAL_MISTAKES = [
    (
        "the virtual node only listens: j -> n but no n -> j",
        "The hub must also send: n -> j for every node j, so that what it gathered reaches\n"
        "everyone at the next layer (two hops between any two nodes).",
        _virtual_listens,
    ),
    (
        "the virtual node only speaks: n -> j but no j -> n",
        "The hub must also hear every node: j -> n for every j, or it has nothing to pass on.",
        _virtual_speaks,
    ),
    (
        "num_nodes left at n: the new node n is out of range",
        "The graph grows by one node: gl.Graph(senders, receivers, graph.num_nodes + 1).",
        _virtual_same_size,
    ),
    (
        "the graph's own edges left out",
        "The virtual node is added to the graph: keep graph.senders and graph.receivers and\n"
        "append the 2 n edges of node n to them.",
        _virtual_own_edges_lost,
    ),
    (
        "the virtual node numbered 0 (the others shifted) instead of n",
        "The nodes 0 .. n-1 keep their numbers (their feature rows stay where they are); the\n"
        "new node is the last one, number n = graph.num_nodes.",
        _virtual_hub_first,
    ),
    (
        "self loops added to every node",
        "Only the edges of the graph and those of node n: no self loop is added, on the old\n"
        "nodes or on node n (gnn_layer has its own self term).",
        _virtual_self_loops,
    ),
    (
        "a self loop on the virtual node: n -> n",
        "Node n is joined to the nodes 0 .. n-1 (np.arange(n)), not to itself: no n -> n.",
        _virtual_hub_loop,
    ),
]


def check_virtual_node_graph(fn) -> None:
    """Check ``fn(graph)`` against ``gl.virtual_node_graph(graph)``."""
    __tracebackhide__ = True
    run_check(
        "virtual_node_graph",
        fn,
        _virtual_cases(),
        virtual_node_graph,
        "gl.virtual_node_graph(graph)",
        VIRTUAL_MISTAKES,
    )
