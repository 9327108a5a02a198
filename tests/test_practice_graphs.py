"""The checks of the graph-algebra blanks (``gl.practice.graphs``): adjacency, virtual node.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import graphs as practice
from gnnformer_lite.practice.graphs import ADJACENCY_MISTAKES, VIRTUAL_MISTAKES

# --- right implementations, as a learner writes them (no gl reference inside) -------------


@passes("adjacency", "4 cases agree with gl.Graph(senders, receivers, num_nodes).adjacency()")
def my_adjacency(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    for j, i in zip(senders, receivers, strict=True):
        A[i, j] = 1
    return A


@passes("virtual_node_graph", "4 cases agree with gl.virtual_node_graph(graph)")
def my_virtual_node_graph(graph):
    n = graph.num_nodes
    everyone, hub = np.arange(n), np.full(n, n)
    senders = np.concatenate([graph.senders, everyone, hub])
    receivers = np.concatenate([graph.receivers, hub, everyone])
    return gl.Graph(senders, receivers, n + 1)


# --- wrong implementations written as a learner might, not as the catalogue ------------


@named_as("adjacency", "the matrix transposed")
def adjacency_loop_transposed(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    for e in range(len(senders)):
        A[senders[e], receivers[e]] = 1
    return A


@named_as("adjacency", "self loops added")
def adjacency_identity_start(senders, receivers, num_nodes):
    return my_adjacency(senders, receivers, num_nodes) + np.identity(num_nodes)  # A + I


@named_as("virtual_node_graph", "the virtual node only listens")
def virtual_listening_hub(graph):
    n = graph.num_nodes
    senders, receivers = list(graph.senders), list(graph.receivers)
    for j in range(n):
        senders.append(j)
        receivers.append(n)
    return gl.Graph(senders, receivers, n + 1)


@named_as("virtual_node_graph", "num_nodes left at n")
def virtual_forgot_the_new_node(graph):
    n = graph.num_nodes
    senders = np.concatenate([graph.senders, np.arange(n), np.full(n, n)])
    receivers = np.concatenate([graph.receivers, np.full(n, n), np.arange(n)])
    return gl.Graph(senders, receivers, graph.num_nodes)


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "adjacency", "it should return an array of shape (10, 10), but returned a list of length 10"
)
def adjacency_as_a_list(senders, receivers, num_nodes):
    return my_adjacency(senders, receivers, num_nodes).tolist()


@refused("virtual_node_graph", "it should return a gl.Graph, but returned int 38")
def virtual_node_edge_count(graph):
    return my_virtual_node_graph(graph).num_edges


class TestChecks(CheckSuite):
    catalogues = {"adjacency": ADJACENCY_MISTAKES, "virtual_node_graph": VIRTUAL_MISTAKES}


def test_the_failure_names_the_case_and_shows_the_input():
    first, *rest = rejection(practice.check_adjacency, adjacency_loop_transposed).splitlines()
    assert first == (
        "✘ adjacency, case 1 of 4 (the sentence's arcs, each word -> its head: 10 nodes, "
        "9 edges): the entries differ, first at entry [0, 1]: expected 0, got 1"
    )
    assert "    num_nodes = 10" in rest
    assert any(line.startswith("    senders = [0 1 5 9 3 4 6 7 8]   (shape") for line in rest)
