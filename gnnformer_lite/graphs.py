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

from ._checks import as_count, as_index_array, as_rng

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


def dilated_graph(n: int, radius: int, dilation: int, self_loops: bool = True) -> Graph:
    r"""Edges j -> i for ``i - j = t * dilation`` with ``|t| <= radius``: a window with holes.

    .. math:: \mathcal{N}(i) = \{\, i + t\,\delta : t = -r, \dots, r,\ 0 \le i + t\,\delta < n \,\}

    with :math:`r` = ``radius`` and :math:`\delta` = ``dilation`` (``t = 0``, the self
    loop, only if ``self_loops``). Each word hears ``2r`` others, as in a window of
    radius ``r``, but spread over ``2 r \delta`` positions: the dilated sliding window
    of Longformer (Beltagy et al., 2020). ``dilation=1`` is :func:`window_graph`.
    """
    n = as_count(n, "n")
    radius = as_count(radius, "radius")
    dilation = as_count(dilation, "dilation")
    if dilation < 1:
        raise ValueError(f"dilation must be >= 1 (1 is the plain window), got {dilation}")
    offsets = dilation * np.arange(-radius, radius + 1)
    if not self_loops:
        offsets = offsets[offsets != 0]
    r = np.repeat(np.arange(n), offsets.size)  # O(n * radius), as window_graph
    s = r + np.tile(offsets, n)
    keep = (s >= 0) & (s < n)
    return Graph(s[keep], r[keep], n)


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


def global_token_graph(n: int, global_nodes: ArrayLike, base: Graph | None = None) -> Graph:
    r"""Global tokens: every node in ``global_nodes`` sends to and receives from all n nodes.

    .. math:: \mathcal{N}(i) = \mathcal{N}_\text{base}(i) \cup G \ \text{ for } i \notin G,
        \qquad \mathcal{N}(g) = \{0, \dots, n-1\} \ \text{ for } g \in G

    with :math:`G` = ``global_nodes`` (a global token hears itself too). The global
    attention of Longformer and BigBird (e.g. the ``[CLS]`` token): any two words
    are at most two hops apart, through a global token, at a cost of about ``2 n``
    edges per token. ``base=None`` gives the global edges alone; pass e.g. a
    ``window_graph`` for local + global attention.

    Args:
        n: number of nodes.
        global_nodes: distinct node indices in ``[0, n)``.
        base: an optional ``Graph`` on ``n`` nodes whose edges are kept.
    """
    n = as_count(n, "n")
    glob = as_index_array(global_nodes, "global_nodes")
    if glob.size and (glob.min() < 0 or glob.max() >= n):
        bad = glob[(glob < 0) | (glob >= n)][0]
        raise ValueError(f"global_nodes contains node {bad}, out of range for n={n}")
    if np.unique(glob).size != glob.size:
        raise ValueError(f"global_nodes must be distinct, got {glob.tolist()}")
    if base is not None:
        check_graph(base, name="base")
        if base.num_nodes != n:
            raise ValueError(f"base has num_nodes={base.num_nodes} but n={n}")
    everyone = np.arange(n)
    into = Graph(np.tile(everyone, glob.size), np.repeat(glob, n), n)  # all -> g
    out_of = Graph(np.repeat(glob, n), np.tile(everyone, glob.size), n)  # g -> all
    return union_graph(into, out_of, *([] if base is None else [base]))


def virtual_node_graph(graph: Graph) -> Graph:
    r"""``graph`` plus one new node, number ``n``, joined both ways to every node: a virtual node.

    .. math:: \mathcal{N}'(i) = \mathcal{N}(i) \cup \{n\}, \qquad
        \mathcal{N}'(n) = \{0, \dots, n-1\}

    The graph-learning form of a global token (``global_token_graph``; Gilmer et
    al., 2017): any two nodes are two hops apart through node ``n``, for ``2 n``
    extra edges instead of the complete graph's ``n^2``. No self loop on the new
    node (``gnn_layer`` has its own self term); the node's features are the caller's
    to add, e.g. a zero row.
    """
    check_graph(graph)
    n = graph.num_nodes
    everyone = np.arange(n)
    hub = np.full(n, n)
    senders = np.concatenate([graph.senders, everyone, hub])
    receivers = np.concatenate([graph.receivers, hub, everyone])
    return Graph(senders, receivers, n + 1)


def random_graph(
    n: int, num_random: int, *, rng: np.random.Generator, exclude: Graph | None = None
) -> Graph:
    r"""Random attention: each node i hears ``num_random`` other nodes drawn uniformly at random.

    .. math:: \mathcal{N}(i) \subset \{0, \dots, n-1\} \setminus (\{i\} \cup
        \mathcal{N}_\text{exclude}(i)), \qquad |\mathcal{N}(i)| = \text{num\_random}

    The senders of each receiver are drawn without replacement, so the graph is
    directed (j -> i does not imply i -> j) and has no self loops. With
    ``exclude``, the draw avoids the edges already in that graph (BigBird draws
    its random keys outside the window and the global tokens); a node with fewer
    than ``num_random`` candidates left gets all of them.

    Args:
        n: number of nodes.
        num_random: random senders per receiver, ``0 <= num_random <= n - 1``.
        rng: a seeded ``np.random.Generator``, e.g. ``np.random.default_rng(0)``.
        exclude: an optional ``Graph`` on ``n`` nodes whose edges are not drawn.
    """
    n = as_count(n, "n")
    num_random = as_count(num_random, "num_random")
    as_rng(rng)
    if num_random > max(n - 1, 0):
        raise ValueError(
            f"num_random={num_random} is too large for n={n}: a node has only "
            f"n - 1 = {max(n - 1, 0)} other nodes to hear"
        )
    if exclude is not None:
        check_graph(exclude, name="exclude")
        if exclude.num_nodes != n:
            raise ValueError(f"exclude has num_nodes={exclude.num_nodes} but n={n}")
    senders, receivers = [], []
    for i in range(n):  # one receiver at a time: O(n) memory, never an n x n array
        blocked = [i]
        if exclude is not None:
            blocked = np.append(exclude.senders[exclude.indptr[i] : exclude.indptr[i + 1]], i)
        candidates = np.setdiff1d(np.arange(n), blocked)
        picked = rng.choice(candidates, size=min(num_random, candidates.size), replace=False)
        senders.append(picked)
        receivers.append(np.full(picked.size, i))
    if not senders:
        return Graph([], [], n)
    return Graph(np.concatenate(senders), np.concatenate(receivers), n)


def bigbird_graph(
    n: int, radius: int, global_nodes: ArrayLike, num_random: int, *, rng: np.random.Generator
) -> Graph:
    r"""BigBird's sparse attention graph: window + global tokens + random edges.

    .. math:: \mathcal{N}(i) = \underbrace{\{j : |i - j| \le r\}}_\text{window}
        \cup \underbrace{G}_\text{global} \cup
        \underbrace{R(i)}_\text{random},

    plus all of ``0 .. n-1`` for a global node (Zaheer et al., 2020), where
    ``R(i)`` holds ``num_random`` senders drawn outside the window and the global
    tokens (fewer if not enough are left). Built as
    ``union_graph(base, random_graph(n, num_random, rng=rng, exclude=base))`` with
    ``base = global_token_graph(n, global_nodes, window_graph(n, radius))``.
    """
    base = global_token_graph(n, global_nodes, window_graph(n, radius))
    return union_graph(base, random_graph(n, num_random, rng=rng, exclude=base))


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
