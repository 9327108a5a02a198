"""The checks of the blanks whose answer is a mask (``gl.practice.masks``): padding mask,
causal mask, receptive field.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused

import gnnformer_lite as gl
from gnnformer_lite.practice import masks as practice
from gnnformer_lite.practice.masks import CAUSAL_MISTAKES, PADDING_MISTAKES, RECEPTIVE_MISTAKES

# --- right implementations, as a learner writes them (no gl reference inside) -------------


@passes(
    "padding_mask", "6 cases agree with np.arange(L) < lengths[:, None], the mask of gl.pad_batch"
)
def my_padding_mask(lengths):
    return np.arange(lengths.max()) < lengths[:, None]


@passes("causal_mask", "3 cases agree with gl.causal_graph(n).adjacency() > 0")
def my_causal_mask(n):
    idx = np.arange(n)
    return idx[None, :] <= idx[:, None]


@passes("receptive_field", "6 cases agree with gl.hop_distance(graph, num_layers) >= 0")
def my_receptive_field(graph, num_layers):
    A = graph.adjacency()
    reached = np.eye(graph.num_nodes, dtype=bool)
    for _ in range(num_layers):
        reached = reached | (A @ reached > 0)
    return reached


# --- wrong implementations written as a learner might, not as the catalogue ------------


@named_as("padding_mask", "the polarity inverted")
def padding_negated(lengths):
    return ~(np.arange(lengths.max()) < lengths[:, None])


@named_as("padding_mask", "L taken from the first sentence")
def padding_first_row(lengths):
    return np.array([[t < n for t in range(lengths[0])] for n in lengths])


@named_as("causal_mask", "the future instead of the past")
def causal_upper_by_comparison(n):
    return np.arange(n)[:, None] <= np.arange(n)[None, :]


@named_as("causal_mask", "the polarity inverted")
def causal_torch_style(n):
    return ~np.tril(np.ones((n, n), dtype=bool))


@named_as("receptive_field", "only the nodes exactly")
def receptive_power_only(graph, num_layers):
    A = graph.adjacency()
    R = np.eye(graph.num_nodes)
    for _ in range(num_layers):
        R = A @ R
    return R > 0


@named_as("receptive_field", "the direction reversed")
def receptive_networkx(graph, num_layers):
    G = gl.to_networkx(graph)
    reached = np.zeros((graph.num_nodes, graph.num_nodes), dtype=bool)
    for i in range(graph.num_nodes):  # paths *from* i: what i influences, not what it hears
        for j in nx.single_source_shortest_path_length(G, i, cutoff=num_layers):
            reached[i, j] = True
    return reached


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("padding_mask", "the entries are right but the dtype is int64: a mask is a bool array")
def padding_as_integers(lengths):
    return my_padding_mask(lengths).astype(int)


@refused("causal_mask", "it returned shape (10,), expected (10, 10)")
def causal_as_a_row(n):
    return np.arange(n) <= n


@refused("receptive_field", "it returned None: did you forget the `return`?")
def receptive_without_return(graph, num_layers):
    return None


class TestChecks(CheckSuite):
    catalogues = {
        "padding_mask": PADDING_MISTAKES,
        "causal_mask": CAUSAL_MISTAKES,
        "receptive_field": RECEPTIVE_MISTAKES,
    }


def test_a_float_mask_of_the_right_values_is_refused_as_not_bool():
    first = first_line(practice.check_causal_mask, lambda n: np.tril(np.ones((n, n))))
    assert "the entries are right but the dtype is float64: a mask is a bool array" in first
