r"""Pictures for the notebooks: sentence graphs, attention along edges, labelled matrices.

Two layouts, chosen by whether you pass ``words``:

- **sentence layout** (``words`` given): the words left to right on a line, as
  in a dependency-parse picture; an edge j -> i is an arc between word j and
  word i, its height growing with the distance ``|i - j|``.
- **spring layout** (no ``words``): networkx's force-directed layout with a
  fixed seed, nodes labelled by index. For small graphs (``n < 500``).

One convention for the edges, in both layouts:

- :func:`draw_graph` draws the *structure*. A two-way pair j -> i, i -> j is one
  arc (one line in the spring layout) with an arrow head at both ends; a one-way
  edge j -> i has one head, at the receiver i; a self loop i -> i is a ring.
  ``highlight=i`` draws i's incoming edges dark and red over a faint picture of
  the rest.
- :func:`draw_attention` draws *weights*, and the two directions of a pair carry
  different weights, so every edge j -> i is drawn on its own with one head, at
  the receiver i, its width and opacity following its weight. In the sentence
  layout rightward edges (j < i) are arcs above the words and leftward edges
  (j > i) arcs below them; in the spring layout every edge is a curved arrow, so
  that j -> i and i -> j bend apart. ``top_k=k`` keeps each receiver's k strongest
  incoming edges, ``receiver=i`` only i's incoming edges, labelled with their
  weights: the way to read one weight on a dense graph.

Matrices in one orientation, row i = receiver, column j = sender (that of
``g.adjacency()``): :func:`heatmap` draws any labelled matrix (an adjacency, hop
distances), :func:`attention_heatmap` an attention matrix on a fixed ``[0, 1]`` scale.

Every function draws into ``ax`` (or a new figure sized to the picture when
``ax`` is None), returns the Axes, and never calls ``plt.show()``. Nothing is
random except the seeded spring layout, so a notebook draws the same picture on
every run. matplotlib is imported on the first call, not by ``import gnnformer_lite``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    as_count,
    as_float_array,
    check_alpha,
    check_layer_size,
    check_matrix,
    check_node,
    check_weights,
    check_words,
)
from ._drawing import (
    EDGE_COLOR,
    FAINT_COLOR,
    annotate_cells,
    color_limits,
    draw_structure,
    draw_weights,
    edge_strength,
    finish,
    heatmap_axes,
    kept_edges,
    layer_attention,
    layers_axes,
    node_colors,
    set_cell_ticks,
)
from .graphs import check_graph
from .sentences import sentence_graphs, window_graph

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .graphs import Graph

__all__ = ["attention_heatmap", "draw_attention", "draw_graph", "draw_layers", "heatmap", "pca_2d"]


def draw_graph(
    graph: Graph,
    words: Sequence[str] | None = None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    node_color=None,
    cmap: str = "coolwarm",
    highlight: int | None = None,
) -> Axes:
    """Draw a graph: as arcs over a sentence if ``words`` are given, else as a spring layout.

    In both layouts a pair of edges j -> i and i -> j is one arc (or line) with an
    arrow head at both ends; a one-way edge j -> i has one head, at the receiver i.

    With ``words`` (one per node): the words sit left to right on a line and every
    edge is an arc above them. A self loop i -> i is a small ring just above word i.

    Without ``words``: networkx's spring layout (``seed=0``), nodes labelled
    ``0 .. n-1``; a self loop is a ring around the node.

    With ``highlight=i``: every edge is drawn faint, then i's incoming edges
    j -> i (its neighbourhood N(i), self loop included) dark red with one head at
    i, and node i is coloured orange (unless ``node_color`` is given). This is the
    way to read one node's neighbours on a dense graph.

    Args:
        graph: a ``Graph`` on ``n`` nodes.
        words: ``n`` labels, or None.
        ax: the Axes to draw into; None makes a new figure sized to the picture.
        title: the Axes title.
        node_color: one matplotlib colour, a list of ``n`` colours, or an ``(n,)``
            array of numbers (e.g. an eigenvector), mapped through ``cmap`` with
            0 in the middle so that the sign shows.
        cmap: colour map for numeric ``node_color``.
        highlight: a node index ``0 <= i < n`` whose incoming edges stand out, or None.

    Returns:
        The Axes.
    """
    check_graph(graph)
    labels = check_words(words, graph.num_nodes)
    target = check_node(highlight, graph.num_nodes, "highlight")
    colors = node_colors(node_color, graph.num_nodes, cmap, receiver=target)
    color = EDGE_COLOR if target is None else FAINT_COLOR
    ax = draw_structure(ax, graph, labels, colors, color, target)
    finish(ax, title)
    return ax


def draw_attention(
    graph: Graph,
    alpha: ArrayLike,
    words: Sequence[str] | None = None,
    head: int = 0,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    top_k: int | None = None,
    receiver: int | None = None,
) -> Axes:
    """Draw the attention weights of one head along the edges of ``graph``.

    Every edge j -> i is drawn on its own (the two directions of a pair carry
    different weights), with line width and opacity proportional to
    ``alpha[e, head]``, scaled so that the largest weight drawn is fully opaque.
    A self loop's weight sets the width and opacity of its ring.

    With ``words``: the words sit on a line; edges from an earlier word to a later
    one (j < i) are arcs above the line, edges from a later word to an earlier one
    (j > i) arcs below it, each with an arrow head at the receiver i; self loops
    are rings above the words. Without ``words``: the spring layout of
    :func:`draw_graph`, each direction of a pair a separate curved arrow.

    On a dense graph (the complete graph has n^2 edges) no single weight can be
    read; two options draw only the edges that matter:

    - ``top_k=k``: only each receiver's ``k`` strongest incoming edges (self loop
      included; ties go to the earlier edge in the graph's order);
    - ``receiver=i``: only the edges j -> i into node ``i`` (coloured orange), each
      labelled with its weight to 2 decimals; width and opacity then run from 0.25
      (weight 0) to 1 (the largest weight drawn), so that every labelled edge shows.
      With ``top_k`` too: i's ``k`` strongest.

    Args:
        graph: a ``Graph`` with ``E`` edges.
        alpha: ``(E, H)`` or ``(E,)`` non-negative weights in the graph's edge
            order, e.g. the ``alpha`` returned by ``graph_attention``.
        words: ``n`` labels, or None.
        head: which head to draw, ``0 <= head < H``.
        ax: the Axes to draw into; None makes a new figure.
        title: the Axes title.
        top_k: draw only each receiver's ``top_k >= 1`` strongest incoming edges.
        receiver: draw only the incoming edges of node ``0 <= receiver < n``, labelled.

    Returns:
        The Axes.
    """
    check_graph(graph)
    weights = check_alpha(alpha, graph.num_edges, head)
    labels = check_words(words, graph.num_nodes)
    keep = kept_edges(graph, weights, top_k, receiver)
    strength = edge_strength(weights, keep, labelled=receiver is not None)  # (E,) in [0, 1]
    values = weights if receiver is not None else None  # label the edges with their weights
    colors = node_colors(None, graph.num_nodes, receiver=receiver)
    ax = draw_weights(ax, graph, labels, colors, strength, keep, values)
    finish(ax, title)
    return ax


def heatmap(
    values: ArrayLike,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    annotate: bool = False,
    fmt: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    xlabel: str | None = None,
    ylabel: str | None = None,
    lines: bool = True,
) -> Axes:
    """Draw a matrix as coloured cells, its rows and columns labelled (e.g. with words).

    An adjacency matrix (rows = receivers i, columns = senders j, as ``g.adjacency()``)::

        gl.heatmap(g.adjacency(), words, words, xlabel="sender j", ylabel="receiver i",
                   cmap="Blues", annotate=True)

    The colour scale runs from 0 (or the smallest value, if below 0) to the largest
    value, so a matrix of small values uses the whole colour map; ``vmin`` and
    ``vmax`` fix either end (the same scale makes two heatmaps comparable by eye).
    NaN or masked cells stay blank. No colour bar is drawn: add one with
    ``ax.figure.colorbar(ax.images[0], ax=ax)``.

    Args:
        values: a ``(rows, columns)`` matrix (numbers or bools).
        row_labels: one label per row, or None for the row indices.
        col_labels: one label per column, or None for the column indices.
        ax: the Axes to draw into; None makes a new figure sized to the matrix.
        title: the Axes title.
        annotate: write each value in its cell, white on dark cells, black on light ones.
        fmt: the format of the written values, e.g. ``".2f"``, ``".0%"``; None writes
            whole numbers without decimals (``".0f"``) and others with two (``".2f"``).
        vmin: the value at the bottom of the colour scale; None: see above.
        vmax: the value at the top of the colour scale; None: the largest value.
        cmap: the colour map.
        xlabel: the label under the columns.
        ylabel: the label beside the rows.
        lines: thin white lines between the cells.

    Returns:
        The Axes.
    """
    m = check_matrix(values)
    rows, columns = m.shape
    shape = f"values of shape {m.shape}"
    row_labels = check_words(row_labels, rows, shape, name="row_labels", unit="row")
    col_labels = check_words(col_labels, columns, shape, name="col_labels", unit="column")
    ax = heatmap_axes(ax, rows, columns)
    vmin, vmax = color_limits(m, vmin, vmax)
    image = ax.imshow(m if m.size else np.zeros((1, 1)), cmap=cmap, vmin=vmin, vmax=vmax)
    image.set_visible(m.size > 0)
    set_cell_ticks(ax.xaxis, col_labels, rotation=45, ha="right", rotation_mode="anchor")
    set_cell_ticks(ax.yaxis, row_labels)
    ax.grid(False)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if lines:  # thin white lines between the cells
        ax.hlines(np.arange(1, rows) - 0.5, -0.5, columns - 0.5, color="white", linewidth=0.6)
        ax.vlines(np.arange(1, columns) - 0.5, -0.5, rows - 0.5, color="white", linewidth=0.6)
    if annotate:
        annotate_cells(ax, m, fmt, image)
    if title is not None:
        ax.set_title(title)
    return ax


def attention_heatmap(
    weights: ArrayLike,
    words: Sequence[str] | None,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
) -> Axes:
    """Show an attention matrix: row i = query / receiver, column j = key / sender.

    A :func:`heatmap` on a fixed ``[0, 1]`` scale, with a colour bar.

    Args:
        weights: ``(n, n)`` with values in ``[0, 1]``, ``weights[i, j] = α_ij``
            (the orientation of ``g.adjacency()``; ``edge_weights_to_dense(g, alpha)[h]``
            or the ``weights[h]`` of ``scaled_dot_product_attention``).
        words: ``n`` labels for both axes, or None for ``0 .. n-1``.
        ax: the Axes to draw into; None makes a new figure.
        title: the Axes title.
        cmap: colour map; the colour scale is fixed to ``[0, 1]`` so that two
            heatmaps can be compared by eye.
        annotate: write each value (2 decimals) in its cell.

    Returns:
        The Axes (a colour bar is added next to it).
    """
    w = check_weights(weights)
    n = w.shape[0]
    labels = check_words(words, n, owner=f"weights of shape {w.shape}")
    labels = [str(k) for k in range(n)] if labels is None else labels
    ax = heatmap(
        w,
        labels,
        labels,
        ax=ax,
        title=title,
        annotate=annotate,
        fmt=".2f",
        vmin=0,
        vmax=1,
        cmap=cmap,
        xlabel="key / sender j",
        ylabel="query / receiver i",
        lines=False,
    )
    ax.figure.colorbar(ax.images[-1], ax=ax, fraction=0.046, pad=0.04, label=r"$\alpha_{ij}$")
    return ax


def draw_layers(
    sentence: str | Sequence[str],
    heads: ArrayLike | None = None,
    *,
    seed: int = 0,
    d: int = 8,
    radius: int = 1,
    top_k: int | None = 2,
    receiver: int | None = None,
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    r"""Draw where a GNN, a GAT and a Transformer layer let each word listen, one above the other.

    The layers run on ``sentence`` with random features and random (untrained)
    weights from ``np.random.default_rng(seed)``, so the pictures show which edges
    carry messages and how attention *can* spread over them, not what a trained
    model has learnt. The words sit in the same places in all three panels.

    1. GNN (:func:`gnn_layer`) on the dependency tree if ``heads`` are given, else
       on the window graph of ``radius`` (without self loops: the layer's
       :math:`h_i U` is the self term); drawn by :func:`draw_graph`. A GNN has no
       attention: every neighbour's message counts the same (weight 1).
    2. GAT (:func:`gat_layer`, one head) on the same graph with self loops added:
       its weights :math:`\alpha_{ij}` along those edges, drawn by :func:`draw_attention`.
    3. Transformer (:func:`transformer_layer`, one head) on the complete graph: its
       weights on all :math:`n^2` edges, of which each word's ``top_k`` strongest
       incoming edges are drawn.

    Args:
        sentence: a string (split on whitespace) or a list of words.
        heads: optional hand-written dependency heads, one per word, ``-1`` for the root.
        seed: seed of the features and of all the layers' weights.
        d: feature size of the words (and of every layer).
        radius: the window graph's radius, used when ``heads`` is None.
        top_k: how many incoming edges per word the Transformer panel draws (None: all).
        receiver: a word index ``0 <= i < n``: draw only the edges into word ``i``,
            all of them (``top_k`` is then not applied), the weights labelled.
        axes: three Axes to draw into (GNN, GAT, Transformer); None makes a new figure.

    Returns:
        The three Axes, as a ``(3,)`` object array.
    """
    words, graphs = sentence_graphs(sentence, heads, radius=radius)
    d = check_layer_size(d)
    target = check_node(receiver, len(words), "receiver")
    seed = as_count(seed, "seed")  # an int >= 0 (np.random's own error would not name it)
    if heads is not None:
        graph, name = graphs["tree"], "the dependency tree"
    else:
        graph = window_graph(len(words), radius, self_loops=False)
        name = f"the window (radius {radius})"
    axes = layers_axes(axes, words)
    complete = graphs["complete"]
    gat_graph, alpha, weights = layer_attention(graph, complete, seed, d)

    into = "" if target is None else f"; into {target} {words[target]!r}"
    k = None if target is not None else top_k  # one word's edges: all of them
    n = len(words)  # (with k >= n every edge is drawn: no "strongest" to pick)
    drawn = "" if k is None or k >= n else f", each word's {k} strongest drawn"

    def edges(g) -> str:
        return f"{g.num_edges} edge{'s' * (g.num_edges != 1)}"

    weight = {0: "", 1: ", of weight 1"}.get(graph.num_edges, ", all of weight 1")
    gnn_title = f"GNN on {name}: {edges(graph)}{weight}{into}"
    draw_graph(graph, words, ax=axes[0], highlight=target, title=gnn_title)
    gat_title = f"GAT on {name} + self loops: α on {edges(gat_graph)}{into}"
    draw_attention(gat_graph, alpha, words, ax=axes[1], receiver=target, title=gat_title)
    transformer_title = f"Transformer on the complete graph: α on {edges(complete)}{drawn}{into}"
    draw_attention(
        complete, weights, words, ax=axes[2], top_k=k, receiver=target, title=transformer_title
    )
    return axes


def pca_2d(z: ArrayLike) -> tuple[np.ndarray, float]:
    r"""Rows of ``z`` projected on their two main directions, to draw them in the plane.

    .. math:: z_c = z - \bar z, \quad z_c = U S V^\top, \quad xy = z_c\, V_{:, :2}

    Args:
        z: ``(n, d)`` one row per node (``d >= 1``).

    Returns:
        ``(xy, explained)``: ``xy: (n, 2)`` (a zero column when ``d = 1``) and the
        share of the variance the two directions hold (1.0 when there is none).
    """
    z = as_float_array(z, "z")
    if z.ndim != 2 or z.shape[1] < 1:
        raise ValueError(f"z must be (n, d) with d >= 1, got shape {z.shape}")
    zc = z - z.mean(axis=0)
    _, s, vt = np.linalg.svd(zc, full_matrices=False)
    xy = np.zeros((len(z), 2))
    xy[:, : min(2, vt.shape[0])] = zc @ vt[:2].T
    total = (s**2).sum()
    return xy, float((s[:2] ** 2).sum() / total) if total > 0 else 1.0
