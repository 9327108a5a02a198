"""The checks of a sentence's graphs (``gl.practice.sentence_graphs``): window, dilated, tree.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import sentence_graphs as practice
from gnnformer_lite.practice.sentence_graphs import (
    DEPENDENCY_MISTAKES,
    DILATED_MISTAKES,
    WINDOW_MISTAKES,
)

# --- right implementations, as a learner writes them (no gl reference inside) -------------


@passes("window_graph", "5 cases agree with gl.window_graph(n, radius)")
def my_window_graph(n, radius):
    senders, receivers = [], []
    for i in range(n):
        for j in range(max(0, i - radius), min(n, i + radius + 1)):
            senders.append(j)
            receivers.append(i)
    return gl.Graph(senders, receivers, n)


@passes("dilated_graph", "6 cases agree with gl.dilated_graph(n, radius, dilation)")
def my_dilated_graph(n, radius, dilation):
    senders, receivers = [], []
    for i in range(n):
        for t in range(-radius, radius + 1):
            j = i + t * dilation
            if 0 <= j < n:
                senders.append(j)
                receivers.append(i)
    return gl.Graph(senders, receivers, n)


@passes("dependency_graph", "5 cases agree with gl.dependency_graph(heads)")
def my_dependency_graph(heads):
    child = np.flatnonzero(heads >= 0)
    senders = np.concatenate([child, heads[child]])
    receivers = np.concatenate([heads[child], child])
    return gl.Graph(senders, receivers, len(heads))


# --- wrong implementations written as a learner might, not as the catalogue ------------


@named_as("window_graph", "the window clipped")
def window_clipped(n, radius):
    i = np.repeat(np.arange(n), 2 * radius + 1)
    j = np.clip(i + np.tile(np.arange(-radius, radius + 1), n), 0, n - 1)
    return gl.Graph(j, i, n)


@named_as("window_graph", "range(-radius, radius)")
def window_python_range(n, radius):
    pairs = [(i + t, i) for i in range(n) for t in range(-radius, radius) if 0 <= i + t < n]
    return gl.Graph([j for j, _ in pairs], [i for _, i in pairs], n)


@named_as("window_graph", "the self loop left out")
def window_no_loops(n, radius):
    dist = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    receivers, senders = np.nonzero((dist <= radius) & (dist > 0))
    return gl.Graph(senders, receivers, n)


@named_as("dilated_graph", "no holes")
def dilated_loop_no_holes(n, radius, dilation):
    pairs = [(j, i) for i in range(n) for j in range(n) if abs(i - j) <= radius * dilation]
    return gl.Graph([j for j, _ in pairs], [i for _, i in pairs], n)


@named_as("dependency_graph", "one way only, each word -> its head")
def dependency_one_way(heads):
    senders, receivers = [], []
    for i, h in enumerate(heads):
        if h != -1:
            senders.append(i)
            receivers.append(h)
    return gl.Graph(senders, receivers, len(heads))


@named_as("dependency_graph", "the root kept")
def dependency_without_skipping_root(heads):
    senders = list(range(len(heads))) + list(heads)
    receivers = list(heads) + list(range(len(heads)))
    return gl.Graph(senders, receivers, len(heads))


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("window_graph", "it should return a gl.Graph, but returned a tuple of length 2")
def window_as_edge_lists(n, radius):
    return (my_window_graph(n, radius).senders, my_window_graph(n, radius).receivers)


@refused("dilated_graph", "it should return a gl.Graph, but returned DiGraph")
def dilated_as_networkx(n, radius, dilation):
    return gl.to_networkx(my_dilated_graph(n, radius, dilation))


@refused(
    "dependency_graph",
    "it should return a gl.Graph, but returned an ndarray of shape (10, 10) and dtype float64",
)
def dependency_as_a_matrix(heads):
    return my_dependency_graph(heads).adjacency()


class TestChecks(CheckSuite):
    catalogues = {
        "window_graph": WINDOW_MISTAKES,
        "dilated_graph": DILATED_MISTAKES,
        "dependency_graph": DEPENDENCY_MISTAKES,
    }


def test_a_mistake_outside_the_catalogue_says_so_and_shows_the_first_difference():
    def off_by_two(n, radius):
        return my_window_graph(n, radius + 2)

    message = rejection(practice.check_window_graph, off_by_two)
    first = message.splitlines()[0]
    assert first.startswith("✘ window_graph, case 1 of 5 (the sentence: 10 words, radius 1): ")
    assert "30 edges too many, e.g. 0 -> 2, 0 -> 3, " in first
    assert "No mistake of the catalogue gives this result" in message


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def crashes(heads):
        return gl.Graph(heads, heads, len(heads) - 1)

    message = rejection(practice.check_dependency_graph, crashes)
    assert "your function raised ValueError: " in message.splitlines()[0]
