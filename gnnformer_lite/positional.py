r"""Positions for a model that cannot see order: sinusoids for sentences, eigenvectors for graphs.

Attention is a sum over the neighbours j of word i, and a sum does not care
about order: shuffle the words and every ``h_i'`` is the same (permuted). A
Transformer therefore adds a position vector to each word's features, ``h + PE``.

- :func:`sinusoidal_encoding` is the Transformer's choice (Vaswani et al., 2017):
  sines and cosines of the position at geometrically spaced frequencies.
- :func:`laplacian_encoding` is the graph version (Dwivedi & Bresson, 2020): the
  low-frequency eigenvectors of the graph Laplacian, the "smoothest" functions
  on the nodes. On a path graph (a sentence as a chain) they *are* cosines of
  the position, which is the bridge between the two.

Both return one row vector per node: shape ``(n, d)`` or ``(n, k)``.
:func:`pad_encoding` widens a small graph's ``(n, k')`` to the model's ``k``
columns (:func:`laplacian_positions` does both for a list of graphs), and
:func:`flip_signs` draws the random eigenvector signs a model is
trained with (an eigenvector's sign is arbitrary).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

import numpy as np

from ._checks import as_count, as_rng
from .graphs import check_graph

if TYPE_CHECKING:
    from .graphs import Graph

__all__ = [
    "flip_signs",
    "laplacian_encoding",
    "laplacian_positions",
    "pad_encoding",
    "sinusoidal_encoding",
]

_TIE_TOL = 1e-9  # entries of a unit eigenvector closer than this count as equal in size
_ZERO_EIGENVALUE = 1e-9  # below this a Laplacian eigenvalue counts as 0 (one more component)
_CACHE_SIZE = 20_000  # graphs whose eigenvectors are kept (notebook 09 encodes 4000, often)
_EIGENVECTORS: dict = {}  # (id(graph), normalization) -> (weakref to the graph, its vectors)


def sinusoidal_encoding(n: int, d: int, *, dtype=np.float64) -> np.ndarray:
    r"""The Transformer's sinusoidal position encoding, one row per position.

    .. math::
        PE_{p,\,2i} = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
        PE_{p,\,2i+1} = \cos\!\left(\frac{p}{10000^{2i/d}}\right)

    Columns come in (sin, cos) pairs sharing one frequency; the frequencies fall
    geometrically from 1 (wavelength 2π) to about 1/10000. For odd ``d`` the last
    column is a sine without its cosine partner.

    Args:
        n: number of positions ``p = 0 .. n-1``.
        d: encoding width (``d_model``); any ``d >= 0``, odd allowed.
        dtype: a floating dtype for the result (computed in float64, then cast).

    Returns:
        ``PE: (n, d)``, to be added to the word features ``h: (n, d)``.
    """
    n = as_count(n, "n")
    d = as_count(d, "d")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    p = np.arange(n, dtype=np.float64)[:, None]  # (n, 1)
    col = np.arange(d)  # (d,)
    freq = 10000.0 ** (-(col - col % 2) / max(d, 1))  # 1 / 10000^{2i/d} for columns 2i and 2i+1
    angle = p * freq  # (n, d)
    pe = np.where(col % 2 == 0, np.sin(angle), np.cos(angle))
    return pe.astype(dtype, copy=False)


def laplacian_encoding(graph: Graph, k: int, normalization: str | None = "sym") -> np.ndarray:
    r"""Laplacian eigenvector positions: the ``k`` smoothest non-constant functions on the graph.

    With ``A`` the adjacency (self loops dropped) and ``D = diag(deg)``:

    .. math::
        L = D - A \quad (\texttt{normalization=None}), \qquad
        L_\text{sym} = I - D^{-1/2} A D^{-1/2} \quad (\texttt{normalization="sym"})

    Solve :math:`L v_m = \lambda_m v_m` with
    :math:`0 = \lambda_0 < \lambda_1 \le \dots \le \lambda_{n-1}` and keep
    :math:`v_1, \dots, v_k`: the first eigenvector (eigenvalue 0, constant for
    ``L``) says nothing about position, so it is skipped. Small :math:`\lambda`
    means the vector changes little across edges, :math:`v^\top L v = \sum_{j \to i}
    (v_i - v_j)^2 / 2` for ``L``: the graph's notion of low frequency.

    **The bridge to sinusoids.** On ``path_graph(n)`` (a sentence as a chain) with
    ``normalization=None`` the eigenvectors are known in closed form:

    .. math::
        \lambda_m = 2 - 2\cos\frac{\pi m}{n}, \qquad
        v_m[p] \propto \cos\!\left(\frac{\pi m\,(p + \tfrac12)}{n}\right),

    so column ``m - 1`` of the result is exactly that cosine, normalised to unit
    length (up to sign): the Laplacian positions of a chain are sinusoids of the
    position, with linearly (not geometrically) spaced frequencies.

    **Sign and basis.** An eigenvector is only defined up to sign; this function
    flips each one so that its largest-magnitude entry is positive (on a tie, the
    first such entry), so results are reproducible. When an eigenvalue is
    *repeated* (the complete graph, a cycle, any symmetric graph) no rule can fix
    the vectors: any rotation of a basis of the eigenspace is equally valid, and
    different NumPy/LAPACK builds return different ones. So never print raw
    eigenvectors in a notebook; compare what is well defined instead: the
    eigenvalues, the subspace (the projector ``V @ V.T``), or distances between
    rows.

    Args:
        graph: an undirected (every edge j -> i has its reverse i -> j), connected
            ``Graph`` on ``n`` nodes. Self loops are ignored.
        k: number of eigenvectors, ``0 <= k <= n - 1``.
        normalization: ``"sym"`` for :math:`L_\text{sym}` (Dwivedi & Bresson) or
            ``None`` for :math:`L = D - A`.

    Returns:
        ``(n, k)`` float64, orthonormal columns ordered by ascending eigenvalue.

    Raises:
        ValueError: directed or disconnected graph, ``k`` too large, unknown normalization.
    """
    check_graph(graph)
    k = as_count(k, "k")
    if normalization not in ("sym", None):
        raise ValueError(f'normalization must be "sym" or None, got {normalization!r}')
    n = graph.num_nodes
    if k > max(n - 1, 0):
        raise ValueError(
            f"k={k} is too large for a graph with n={n} nodes: there are only "
            f"n - 1 = {n - 1} non-trivial eigenvectors"
        )
    key = (id(graph), normalization)
    hit = _EIGENVECTORS.get(key)  # a Graph is immutable: its eigenvectors are computed once
    if hit is None or hit[0]() is not graph:
        adj = _undirected_adjacency(graph)
        lap = _laplacian(adj, normalization)
        vals, vecs = np.linalg.eigh(lap)  # ascending eigenvalues, orthonormal columns
        _check_connected(vals, adj, normalization)
        if len(_EIGENVECTORS) >= _CACHE_SIZE:
            _EIGENVECTORS.clear()
        hit = _EIGENVECTORS[key] = (weakref.ref(graph), _fix_signs(vecs[:, 1:]))
    return hit[1][:, :k].copy()


def _undirected_adjacency(graph) -> np.ndarray:
    """Dense ``(n, n)`` adjacency without self loops; ValueError unless it is symmetric."""
    adj = graph.adjacency()
    np.fill_diagonal(adj, 0)
    s, r = graph.senders, graph.receivers
    one_way = np.flatnonzero((s != r) & (adj[s, r] == 0))  # edge j -> i but no i -> j
    if one_way.size:
        j, i = s[one_way[0]], r[one_way[0]]
        raise ValueError(
            f"graph is not undirected: edge {j} -> {i} has no reverse {i} -> {j} "
            f"({one_way.size} edges lack one). Laplacian positions need a symmetric "
            f"adjacency: add the reverse edges (an undirected nx.Graph through "
            f"from_networkx gives both directions)"
        )
    return adj


def _check_connected(vals: np.ndarray, adj: np.ndarray, normalization: str | None) -> None:
    """ValueError unless the undirected graph ``adj`` is in one piece.

    Each connected component adds one eigenvalue 0 to the Laplacian (its constant
    vector; scaled by sqrt(deg) for ``L_sym``), so the eigenvalues already computed
    count the components -- but ``L_sym`` gives an isolated node a 1, not a 0, so
    there isolated nodes are counted apart.
    """
    count = int((vals < _ZERO_EIGENVALUE).sum())
    if normalization == "sym":
        count += int((adj.sum(axis=1) == 0).sum())
    if count > 1:
        raise ValueError(
            f"graph has {count} connected components; Laplacian positions need a connected "
            f"graph (each component adds another eigenvalue 0). Encode each component "
            f"separately, or connect them"
        )


def _laplacian(adj: np.ndarray, normalization: str | None) -> np.ndarray:
    """``D - A``, or ``I - D^{-1/2} A D^{-1/2}`` for ``"sym"`` (isolated nodes get a 1)."""
    deg = adj.sum(axis=1)
    if normalization is None:
        return np.diag(deg) - adj
    inv_sqrt = np.zeros_like(deg)
    np.divide(1.0, np.sqrt(deg), out=inv_sqrt, where=deg > 0)
    return np.eye(adj.shape[0]) - inv_sqrt[:, None] * adj * inv_sqrt[None, :]


def _fix_signs(vecs: np.ndarray) -> np.ndarray:
    """Flip each column so that its largest-magnitude entry (the first, on a tie) is positive."""
    if vecs.size == 0:
        return vecs
    mags = np.abs(vecs)
    is_top = mags >= mags.max(axis=0) - _TIE_TOL  # (n, k)
    top = np.argmax(is_top, axis=0)  # first True per column
    signs = np.where(vecs[top, np.arange(vecs.shape[1])] < 0, -1.0, 1.0)
    return vecs * signs


def pad_encoding(pe: np.ndarray, k: int) -> np.ndarray:
    r"""Zero columns appended to ``pe: (n, k')`` up to ``(n, k)``, so that graphs of any size fit.

    A graph on :math:`n` nodes has only :math:`n - 1` non-trivial Laplacian
    eigenvectors; a model that takes ``k`` of them gets zeros for the missing ones
    (Dwivedi & Bresson, 2020): ``laplacian_encoding(g, min(k, n - 1))`` then this.
    """
    pe = np.asarray(pe)
    k = as_count(k, "k")
    if pe.ndim != 2:
        raise ValueError(f"pe must be (n, k') -- one row per node -- got shape {pe.shape}")
    if pe.shape[1] > k:
        raise ValueError(f"pe has {pe.shape[1]} columns, more than k={k}: slice it, pe[:, :k]")
    return np.pad(pe, ((0, 0), (0, k - pe.shape[1])))


def flip_signs(pe: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""Each eigenvector (the last axis of ``pe``) times a random sign :math:`s_m = \pm 1`.

    .. math:: \tilde{PE}_{i, m} = s_m\, PE_{i, m}, \qquad s_m \in \{-1, +1\}
        \text{ uniformly}

    ``-v`` is as good an eigenvector as ``v``, so a model should not depend on the
    sign; training with a fresh draw per batch teaches it not to. ``pe`` may be one
    graph ``(n, k)`` or a padded batch ``(B, L, k)``: one sign per column, shared by
    the whole batch (as in Dwivedi & Bresson's code).
    """
    as_rng(rng)
    pe = np.asarray(pe)
    if pe.ndim < 1:
        raise ValueError("pe must have a last axis of eigenvectors, got a scalar")
    return pe * rng.choice([-1.0, 1.0], size=pe.shape[-1])


def laplacian_positions(graphs: list[Graph], k: int) -> list[np.ndarray]:
    """``(n_b, k)`` Laplacian positions of each graph (``laplacian_encoding``, ``"sym"``),
    zero-padded where a graph has fewer than ``k`` non-trivial eigenvectors."""
    k = as_count(k, "k")
    graphs = [check_graph(g, name=f"graphs[{b}]") for b, g in enumerate(graphs)]
    return [pad_encoding(laplacian_encoding(g, min(k, max(g.num_nodes - 1, 0))), k) for g in graphs]
