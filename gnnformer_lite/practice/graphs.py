"""Checks of the blanks about graph algebra: the adjacency matrix, the virtual node.

Notebooks 01 (adjacency) and 09 (virtual node). A graph is ``gl.Graph``: edge j -> i is
sender j, receiver i, and ``A[i, j] = 1`` iff j -> i (row = receiver).
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph, add_self_loops, virtual_node_graph
from ..sentences import window_graph
from .cases import sentence_arcs, sentence_tree, uneven_graph
from .harness import run_check

__all__ = ["check_adjacency", "check_virtual_node_graph"]

BLANKS = {
    "my_adjacency": {
        "task": "the dense adjacency matrix of a graph given by its edge lists (row = receiver)",
        "equation": "A[i, j] = 1 if some edge e has senders[e] = j and receivers[e] = i, "
        "else 0; A: (n, n)",
    },
    "my_virtual_node_graph": {
        "task": "the graph plus a virtual node n, joined both ways to every node (no self loop)",
        "equation": "edges of graph + {j -> n, n -> j : j = 0 .. n-1}, on n + 1 nodes",
    },
}


# --- adjacency ---------------------------------------------------------------------------


def _adjacency_cases() -> list:
    arcs, g = sentence_arcs(), uneven_graph(0)
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
