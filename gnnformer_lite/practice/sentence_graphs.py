"""Checks of the blanks about a sentence's graphs: the window, the dilated window, the tree.

Notebooks 01 (window, dependency tree) and 06 (dilated window). A graph is ``gl.Graph``:
edge j -> i is sender j, receiver i (word i hears word j).
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph, from_adjacency
from ..sentences import dependency_graph, dilated_graph, example_sentence, window_graph
from .harness import run_check

__all__ = ["check_dependency_graph", "check_dilated_graph", "check_window_graph"]

BLANKS = {
    "my_window_graph": {
        "task": "the window graph: each word hears the words at most `radius` away, itself too",
        "equation": "an edge j -> i for every i, j in 0 .. n-1 with |i - j| <= radius",
    },
    "my_dependency_graph": {
        "task": "the dependency tree as a gl.Graph: an edge each way between a word and its head",
        "equation": "for each word i with h = heads[i] >= 0: edges i -> h and h -> i (root: -1)",
    },
    "my_dilated_graph": {
        "task": "the dilated window: word i hears the words t * dilation away, |t| <= radius",
        "equation": "an edge j -> i for i - j = t * dilation, t = -radius .. radius, 0 <= j < n",
    },
}


# --- a graph from a rule on (receiver, sender) ------------------------------------------


def _where(n: int, keep) -> Graph:
    """The graph with an edge j -> i wherever ``keep(i, j)`` (arrays of receivers, senders)."""
    i, j = np.indices((n, n))
    return from_adjacency(keep(i, j))


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


def _window_clipped(n, radius):
    offsets = np.arange(-radius, radius + 1)
    receivers = np.repeat(np.arange(n), offsets.size)
    senders = np.clip(receivers + np.tile(offsets, n), 0, n - 1)  # -1 becomes 0: 0 -> 0 twice
    return Graph(senders, receivers, n)


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
        "the window clipped into the sentence (np.clip) instead of cut at its ends",
        "np.clip turns j = -1 into 0 and j = n into n - 1: the edges 0 -> 0 and n-1 -> n-1 come\n"
        "twice. Keep only the j = i + t with 0 <= j < n (a mask), and drop the others.",
        _window_clipped,
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
