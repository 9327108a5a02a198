r"""Graphs as plain arrays, and the algebra the course does with them.

A graph is three things, as in jraph: ``senders``, ``receivers`` and
``num_nodes``. Edge ``e`` carries a message from node ``j = senders[e]`` to node
``i = receivers[e]``, so the incoming neighbourhood of ``i`` is

.. math:: \mathcal{N}(i) = \{\, \text{senders}[e] : \text{receivers}[e] = i \,\}.

This module holds the ``Graph`` and what is done *to* graphs: the adjacency
matrix, self loops, reversing every edge (the backward pass runs there), the union
of edge sets, a virtual node, networkx in and out, and the two ways to batch
(one disjoint graph, or padding with a mask). The graphs of a sentence -- complete,
window, causal, dependency tree, ... -- are in ``sentence_graphs``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_count, as_index_array, check_range

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "Graph",
    "add_self_loops",
    "batch_graphs",
    "from_adjacency",
    "from_networkx",
    "pad_batch",
    "reverse_graph",
    "to_networkx",
    "union_graph",
    "virtual_node_graph",
]


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
        check_range(s, "senders", n, f"num_nodes={n}")
        check_range(r, "receivers", n, f"num_nodes={n}")
        key = r * max(n, 1) + s  # one integer per edge, ordered by (receiver, sender)
        if key.size > 1 and not (key[1:] >= key[:-1]).all():
            key = np.sort(key)
            r, s = np.divmod(key, max(n, 1))
        if key.size > 1:
            dup = np.flatnonzero(key[1:] == key[:-1])
            if dup.size:
                e = dup[0]
                raise ValueError(f"duplicate edge {s[e]} -> {r[e]} (each edge may appear once)")
        self._store(s.copy(), r.copy(), n)

    def _store(self, s: np.ndarray, r: np.ndarray, n: int) -> None:
        s.flags.writeable = False
        r.flags.writeable = False
        object.__setattr__(self, "senders", s)
        object.__setattr__(self, "receivers", r)
        object.__setattr__(self, "num_nodes", n)

    @classmethod
    def _sorted(cls, senders: np.ndarray, receivers: np.ndarray, num_nodes: int) -> Graph:
        """A Graph from new int64 arrays known valid, sorted and free of duplicates.

        For this module's own constructions from Graphs (a batch, a virtual node),
        which keep those properties: the checks and the sort of ``__init__`` are skipped.
        """
        graph = object.__new__(cls)
        graph._store(senders, receivers, num_nodes)
        return graph

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


def reverse_graph(graph: Graph, return_edge_order: bool = False):
    r"""The graph with every edge turned round: each edge j -> i becomes i -> j.

    .. math:: \mathcal{N}^\top(j) = \{\, i : j \in \mathcal{N}(i) \,\}, \qquad
        A^\top \text{ is its adjacency}

    The backward pass of message passing runs on this graph: the gradient of the
    gather ``h[graph.senders]`` is a sum over each sender's outgoing edges, i.e.
    ``propagate(reverse_graph(graph), ...)``.

    Args:
        graph: a ``Graph``.
        return_edge_order: also return ``order: (E,)``, the edges of ``graph`` in the
            reversed graph's (sorted) edge order: reversed edge k is edge ``order[k]``
            turned round, so ``d_messages[order]`` lines per-edge arrays up with it.

    Returns:
        The reversed ``Graph``, or ``(reversed, order)``.
    """
    check_graph(graph)
    reversed_graph = Graph(graph.receivers, graph.senders, graph.num_nodes)
    if return_edge_order:  # sorted by (new receiver, new sender) = (sender, receiver)
        return reversed_graph, np.lexsort((graph.receivers, graph.senders))
    return reversed_graph


def union_graph(*graphs: Graph) -> Graph:
    r"""The graph with every edge of any of ``graphs`` (all on the same ``n`` nodes), once.

    .. math:: \mathcal{N}(i) = \mathcal{N}_1(i) \cup \mathcal{N}_2(i) \cup \dots

    How sparse-attention patterns are combined: BigBird's graph is
    ``union_graph(window, global_tokens, random)``. An edge present in several
    inputs appears once.
    """
    if not graphs:
        raise ValueError("union_graph needs at least one graph")
    for b, g in enumerate(graphs):
        check_graph(g, name=f"graphs[{b}]")
    sizes = [g.num_nodes for g in graphs]
    if len(set(sizes)) > 1:
        raise ValueError(f"union_graph needs graphs on the same nodes, got num_nodes {sizes}")
    n = sizes[0]
    keys = np.unique(np.concatenate([g.receivers * n + g.senders for g in graphs]))
    r, s = np.divmod(keys, max(n, 1))  # one key per edge, (receiver, sender) order
    return Graph(s, r, n)


def virtual_node_graph(graph: Graph, offsets: ArrayLike | None = None) -> Graph:
    r"""``graph`` plus one new node, number ``n``, joined both ways to every node: a virtual node.

    .. math:: \mathcal{N}'(i) = \mathcal{N}(i) \cup \{n\}, \qquad
        \mathcal{N}'(n) = \{0, \dots, n-1\}

    The graph-learning form of a global token (``global_token_graph``; Gilmer et
    al., 2017): any two nodes are two hops apart through node ``n``, for ``2 n``
    extra edges instead of the complete graph's ``n^2``. No self loop on the new
    node (``gnn_layer`` has its own self term); the node's features are the caller's
    to add, e.g. a zero row.

    With ``offsets`` (``batch_graphs``' third result) ``graph`` is a batch and every
    graph b gets its own virtual node, numbered right after its own nodes: node k
    becomes ``k + b``, the virtual node ``offsets[b + 1] + b``, and the new offsets are
    ``offsets + arange(B + 1)``. The same graph as batching the graphs' own
    ``virtual_node_graph``, built at once.
    """
    check_graph(graph)
    n = graph.num_nodes
    if offsets is None:
        offsets = np.array([0, n])
    offsets = check_range(as_index_array(offsets, "offsets"), "offsets", n + 1, f"{n} nodes")
    if offsets.size < 1 or offsets[0] != 0 or offsets[-1] != n or (np.diff(offsets) < 0).any():
        raise ValueError(f"offsets must rise from 0 to num_nodes={n}, got {offsets.tolist()}")
    node_graph = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))  # graph b of node k
    nodes = np.arange(n) + node_graph  # node k's new number
    hubs = offsets[1:] + np.arange(offsets.size - 1)  # graph b's virtual node
    senders = np.concatenate([nodes[graph.senders], nodes, hubs[node_graph]])
    receivers = np.concatenate([nodes[graph.receivers], hubs[node_graph], nodes])
    return Graph(senders, receivers, n + offsets.size - 1)


def batch_graphs(graphs: Iterable[Graph]) -> tuple[Graph, np.ndarray, np.ndarray]:
    """Disjoint union of several graphs, the way PyG batches a list of graphs.

    Node ``k`` of graph ``b`` becomes node ``offsets[b] + k``; no edge joins two graphs.

    Returns:
        ``(graph, node_graph, offsets)``: ``node_graph: (n_total,)`` says which input
        graph each node came from, and ``offsets: (B + 1,)`` where graph ``b``'s nodes
        start (PyG's ``ptr``): they are ``offsets[b]:offsets[b + 1]``.
    """
    graphs = list(graphs)
    for b, g in enumerate(graphs):
        check_graph(g, name=f"graphs[{b}]")
    sizes = np.array([g.num_nodes for g in graphs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    s = [g.senders + off for g, off in zip(graphs, offsets, strict=False)]
    r = [g.receivers + off for g, off in zip(graphs, offsets, strict=False)]
    empty = np.zeros(0, dtype=np.int64)  # each graph is sorted and offsets grow: so is their union
    batched = Graph._sorted(
        np.concatenate(s) if s else empty, np.concatenate(r) if r else empty, int(offsets[-1])
    )
    return batched, np.repeat(np.arange(len(graphs)), sizes), offsets


def pad_batch(ids: Sequence[np.ndarray], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The other way to batch: stack sentences of different lengths into one ``(B, L)`` array.

    ``L`` is the longest sentence. Returns ``(padded, mask)``: ``padded[b, :n_b] =
    ids[b]``, the rest ``pad_id``; ``mask[b, t]`` is True for a real word, False for
    padding. Attention then hides the padding keys with the mask (``mask[:, None, :]``),
    which makes the padded batch the same computation as ``batch_graphs`` of complete
    graphs.

    ``ids`` may also hold feature matrices ``(n_b, F)`` (one row per node, e.g. the
    graphs of ``nearest_marked_dataset``): the result is then ``(B, L, F)`` floats,
    padded with zero rows (``pad_id`` must be 0).
    """
    pad_id = as_count(pad_id, "pad_id")
    rows = _check_sequences([np.asarray(x) for x in ids], pad_id)
    mask = np.arange(max(len(x) for x in rows)) < np.array([len(x) for x in rows])[:, None]
    if rows[0].ndim == 2:  # feature rows: (B, L, F) floats, zero rows as padding
        padded = np.zeros((*mask.shape, rows[0].shape[1]))
        padded[mask] = np.concatenate(rows)
        return padded, mask
    padded = np.full(mask.shape, pad_id, dtype=np.int64)
    padded[mask] = np.concatenate([x.astype(np.int64) for x in rows])
    return padded, mask


def _check_sequences(rows: list, pad_id: int) -> list:
    """All ``(n_b,)`` ids, or all ``(n_b, F)`` feature rows of one ``F`` (padded with zeros)."""
    __tracebackhide__ = True
    if not rows:
        raise ValueError("ids must hold at least one sentence")
    ndim = rows[0].ndim
    if ndim not in (1, 2) or any(x.ndim != ndim or x.shape[1:] != rows[0].shape[1:] for x in rows):
        shapes = sorted({x.shape for x in rows}, key=str)[:3]
        raise ValueError(f"ids must be all (n_b,) or all (n_b, F) with one F, got shapes {shapes}")
    if ndim == 2 and pad_id != 0:
        raise ValueError(f"feature rows are padded with zeros; got pad_id={pad_id}")
    if ndim == 1 and any(x.dtype.kind not in "iub" and x.size for x in rows):
        bad = next(x for x in rows if x.dtype.kind not in "iub" and x.size)
        raise TypeError(f"ids must be integer token ids, got dtype {bad.dtype}")
    return rows


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
