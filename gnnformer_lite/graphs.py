r"""Graphs as plain arrays, and the sentence graphs of the course.

A graph is three things, as in jraph: ``senders``, ``receivers`` and
``num_nodes``. Edge ``e`` carries a message from node ``j = senders[e]`` to node
``i = receivers[e]``, so the incoming neighbourhood of ``i`` is

.. math:: \mathcal{N}(i) = \{\, \text{senders}[e] : \text{receivers}[e] = i \,\}.

A sentence of ``n`` words is a graph on ``n`` nodes. Which graph is a modelling
choice: the Transformer uses the complete graph (every word hears every word),
a local model a window graph, a language model the causal graph, a parser the
dependency tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_count, as_index_array

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True, eq=False, init=False)
class Graph:
    """An immutable directed graph stored as edge lists, sorted by (receiver, sender).

    Args:
        senders: ``(E,)`` int array, the source node j of each edge.
        receivers: ``(E,)`` int array, the target node i of each edge.
        num_nodes: ``n``, the number of nodes; nodes are ``0 .. n-1``.

    Whatever order the edges are given in, the graph stores them in one canonical
    order, sorted by receiver and then sender: PyG's
    ``coalesce(edge_index, sort_by_row=False)`` (its default, ``sort_by_row=True``,
    sorts by sender first).
    ``g.senders`` and ``g.receivers`` are that order, and every per-edge array
    (messages in, attention weights out) follows it. Duplicate edges are refused.
    The arrays are read-only.
    """

    senders: np.ndarray
    receivers: np.ndarray
    num_nodes: int

    def __init__(self, senders, receivers, num_nodes) -> None:
        n = as_count(num_nodes, "num_nodes")
        s = as_index_array(senders, "senders")
        r = as_index_array(receivers, "receivers")
        if s.shape != r.shape:
            raise ValueError(
                f"senders and receivers must have equal lengths, got {s.shape} and {r.shape}"
            )
        for name, idx in (("senders", s), ("receivers", r)):
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise ValueError(f"{name} contains node {bad}, out of range for num_nodes={n}")
        key = r * max(n, 1) + s  # one integer per edge, ordered by (receiver, sender)
        if key.size > 1 and not (key[1:] >= key[:-1]).all():
            key = np.sort(key)
            r, s = np.divmod(key, max(n, 1))
        if key.size > 1:
            dup = np.flatnonzero(key[1:] == key[:-1])
            if dup.size:
                e = dup[0]
                raise ValueError(f"duplicate edge {s[e]} -> {r[e]} (each edge may appear once)")
        s, r = s.copy(), r.copy()
        s.flags.writeable = False
        r.flags.writeable = False
        object.__setattr__(self, "senders", s)
        object.__setattr__(self, "receivers", r)
        object.__setattr__(self, "num_nodes", n)

    @property
    def num_edges(self) -> int:
        """``E``, the number of edges."""
        return int(self.senders.shape[0])

    @cached_property
    def in_degree(self) -> np.ndarray:
        """``(n,)`` number of incoming edges of each node, ``|N(i)|``."""
        deg = np.bincount(self.receivers, minlength=self.num_nodes)
        deg.flags.writeable = False
        return deg

    @cached_property
    def indptr(self) -> np.ndarray:
        """``(n + 1,)`` CSR offsets: node i's incoming edges are ``indptr[i]:indptr[i+1]``.

        Edges are sorted by receiver, so each node's incoming edges are one
        contiguous slice (CSR: compressed sparse row, one row per receiver). Pass it
        as the ``indptr=`` hint of ``segment_sum`` / ``segment_softmax``.
        """
        ptr = np.zeros(self.num_nodes + 1, dtype=np.int64)
        np.cumsum(self.in_degree, out=ptr[1:])
        ptr.flags.writeable = False
        return ptr

    def adjacency(self, dtype=np.float64) -> np.ndarray:
        """Dense ``(n, n)`` adjacency with ``A[i, j] = 1`` iff there is an edge j -> i.

        Rows are receivers, so aggregation is ``A @ M``. For teaching and small
        graphs; the layers never build it.
        """
        a = np.zeros((self.num_nodes, self.num_nodes), dtype=dtype)
        a[self.receivers, self.senders] = 1
        return a

    def has_self_loops(self) -> bool:
        """True if any edge goes from a node to itself."""
        return bool((self.senders == self.receivers).any())

    def __eq__(self, other) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.num_nodes == other.num_nodes
            and np.array_equal(self.senders, other.senders)
            and np.array_equal(self.receivers, other.receivers)
        )

    __hash__ = None  # mutable-looking arrays inside: not hashable

    def __repr__(self) -> str:
        return f"Graph(num_nodes={self.num_nodes}, num_edges={self.num_edges})"


def check_graph(graph, num_nodes: int | None = None, h_name: str = "h", name: str = "graph"):
    """Check that ``graph`` is a Graph (whose node count matches the rows of ``h``)."""
    __tracebackhide__ = True
    if not isinstance(graph, Graph):
        raise TypeError(f"{name} must be a gnnformer_lite.Graph, got {type(graph).__name__}")
    if num_nodes is not None and graph.num_nodes != num_nodes:
        raise ValueError(f"graph has num_nodes={graph.num_nodes} but {h_name} has {num_nodes} rows")
    return graph


def from_adjacency(A: ArrayLike) -> Graph:
    """Graph with an edge j -> i wherever ``A[i, j]`` is nonzero (row = receiver).

    The inverse of ``g.adjacency()``; also turns an attention mask into its graph
    (``mask[i, j] = True``: query i may attend to key j). ``A: (n, n)``.
    """
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square (n, n) matrix, got shape {A.shape}")
    r, s = np.nonzero(A)  # row-major order is already (receiver, sender) order
    return Graph(s, r, A.shape[0])


def complete_graph(n: int, self_loops: bool = True) -> Graph:
    """The fully connected graph on ``n`` nodes: every j -> i (with i -> i if ``self_loops``).

    This is the Transformer's graph: every word attends to every word, itself included.
    """
    n = as_count(n, "n")
    mask = np.ones((n, n), dtype=bool)
    if not self_loops:
        np.fill_diagonal(mask, False)
    return from_adjacency(mask)


def window_graph(n: int, radius: int, self_loops: bool = True) -> Graph:
    """Edges j -> i for ``|i - j| <= radius``: each word hears its neighbours in the sentence."""
    n = as_count(n, "n")
    radius = as_count(radius, "radius")
    offsets = np.arange(-radius, radius + 1)
    if not self_loops:
        offsets = offsets[offsets != 0]
    r = np.repeat(np.arange(n), offsets.size)  # O(n * radius): never an n x n array
    s = r + np.tile(offsets, n)
    keep = (s >= 0) & (s < n)
    return Graph(s[keep], r[keep], n)


def causal_graph(n: int) -> Graph:
    """Edges j -> i for ``j <= i``: each word hears itself and the words before it.

    The graph of a language model (a causal, or "decoder", Transformer).
    """
    n = as_count(n, "n")
    return from_adjacency(np.tril(np.ones((n, n), dtype=bool)))


def path_graph(n: int) -> Graph:
    """The sentence as a chain, each word linked both ways to the next; no self loops."""
    return window_graph(n, 1, self_loops=False)


def dependency_graph(heads: ArrayLike, self_loops: bool = False) -> Graph:
    """The dependency tree as a graph: an edge each way between each word and its head.

    Args:
        heads: ``(n,)`` ints, ``heads[i]`` is the index of word i's head, ``-1`` for the root.
        self_loops: also add i -> i for every word.

    Raises ``ValueError`` unless ``heads`` describes one tree: values in
    ``[-1, n)``, exactly one root, no cycles.
    """
    heads = as_index_array(heads, "heads")
    n = heads.shape[0]
    if n and (heads.min() < -1 or heads.max() >= n):
        bad = heads[(heads < -1) | (heads >= n)][0]
        raise ValueError(f"heads contains {bad}, out of range for a sentence of {n} words")
    roots = np.flatnonzero(heads == -1)
    if n and roots.size != 1:
        raise ValueError(f"heads must have exactly one root (-1), found {roots.size}: {roots}")
    reaches_root = heads == -1
    for i in range(n):  # walk up from each word until a word known to reach the root
        path, j = [], i
        while not reaches_root[j]:
            if j in path:  # a word came back: report the loop itself
                loop = [*path[path.index(j) :], j]
                raise ValueError(
                    f"heads contains a cycle: {' -> '.join(map(str, loop))} (each word's head, "
                    f"followed from word {i}, never reaches the root)"
                )
            path.append(j)
            j = int(heads[j])
        reaches_root[path] = True
    child = np.flatnonzero(heads >= 0)
    s = np.concatenate([child, heads[child]])
    r = np.concatenate([heads[child], child])
    g = Graph(s, r, n)
    return add_self_loops(g) if self_loops else g


def add_self_loops(graph: Graph) -> Graph:
    """Return ``graph`` with an edge i -> i added at every node that lacks one."""
    check_graph(graph)
    has = np.zeros(graph.num_nodes, dtype=bool)
    has[graph.senders[graph.senders == graph.receivers]] = True
    missing = np.flatnonzero(~has)
    return Graph(
        np.concatenate([graph.senders, missing]),
        np.concatenate([graph.receivers, missing]),
        graph.num_nodes,
    )


def batch_graphs(graphs: Iterable[Graph]) -> tuple[Graph, np.ndarray]:
    """Disjoint union of several graphs, the way PyG batches a list of graphs.

    Node ``k`` of graph ``b`` becomes node ``offset[b] + k``; no edge joins two graphs.

    Returns:
        ``(graph, node_graph)`` where ``node_graph: (n_total,)`` says which input
        graph each node came from.
    """
    graphs = list(graphs)
    for b, g in enumerate(graphs):
        check_graph(g, name=f"graphs[{b}]")
    sizes = np.array([g.num_nodes for g in graphs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    s = [g.senders + off for g, off in zip(graphs, offsets, strict=False)]
    r = [g.receivers + off for g, off in zip(graphs, offsets, strict=False)]
    batched = Graph(
        np.concatenate(s) if s else [], np.concatenate(r) if r else [], int(offsets[-1])
    )
    return batched, np.repeat(np.arange(len(graphs)), sizes)


def from_networkx(G: nx.Graph) -> Graph:
    """Graph from a networkx graph; nodes are numbered in the order of ``list(G.nodes)``.

    An undirected edge becomes two directed edges (one each way); a directed
    edge u -> v becomes sender u, receiver v.
    """
    import networkx as nx

    if not isinstance(G, nx.Graph):
        raise TypeError(f"G must be a networkx graph, got {type(G).__name__}")
    index = {node: k for k, node in enumerate(G.nodes)}
    pairs = [(index[u], index[v]) for u, v in G.edges()]  # (u, v) pairs, multigraphs too
    if not G.is_directed():
        pairs += [(v, u) for u, v in pairs if u != v]
    pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return Graph(pairs[:, 0], pairs[:, 1], G.number_of_nodes())


def to_networkx(graph: Graph) -> nx.DiGraph:
    """A ``networkx.DiGraph`` with nodes ``0 .. n-1`` and an edge (j, i) per edge j -> i."""
    import networkx as nx

    check_graph(graph)
    G = nx.DiGraph()
    G.add_nodes_from(range(graph.num_nodes))
    G.add_edges_from(zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True))
    return G


def example_sentence() -> tuple[list[str], np.ndarray]:
    """The course's running example, with its dependency tree written by hand.

    Returns:
        ``(words, heads)``: 10 words, and ``heads[i]`` = the index of word i's
        head in the dependency tree (``-1`` for the root, "sat"). Nodes are
        indices, not words: "the" appears twice.

    The tree follows Universal Dependencies: "cat" is the subject of "sat",
    "mat" its oblique argument (with "on" and "the"), and "tired" heads the
    clause "because it was tired". "it" refers to "cat", three hops away in the
    tree (it - tired - sat - cat) but six words away in the sentence.
    """
    words = ["the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired"]
    heads = np.array([1, 2, -1, 5, 5, 2, 9, 9, 9, 2])
    return words, heads
