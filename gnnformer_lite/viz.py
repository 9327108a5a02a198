r"""Pictures for the notebooks: sentence graphs, attention along edges, attention matrices.

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

Every function draws into ``ax`` (or a new figure sized to the picture when
``ax`` is None), returns the Axes, and never calls ``plt.show()``. Nothing is
random except the seeded spring layout, so a notebook draws the same picture on
every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path
from numpy.typing import ArrayLike

from ._checks import as_count, as_float_array
from .gnn_layers import gat_layer, init_gat_layer
from .graphs import add_self_loops, check_graph
from .sentences import sentence_graphs, window_graph
from .transformer_layers import init_transformer_layer, transformer_layer

__all__ = ["attention_heatmap", "draw_attention", "draw_graph", "draw_layers", "setup_notebook"]

if TYPE_CHECKING:
    from .graphs import Graph

NODE_COLOR = "#d6e6f5"  # light blue: words and nodes
EDGE_COLOR = "0.3"  # dark grey: edges of draw_graph
ATTENTION_COLOR = "C0"  # blue: edges of draw_attention
HIGHLIGHT_COLOR = "C3"  # red: the highlighted edges of draw_graph
FAINT_COLOR = "0.82"  # light grey: the other edges when some are highlighted
RECEIVER_COLOR = "#f6b26b"  # orange: the highlighted node / the receiver

#: rcParams of every notebook (on top of matplotlib's default style).
NOTEBOOK_RC = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "savefig.bbox": "tight",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "viridis",
    "svg.hashsalt": "gnnformer-lite",
}

_NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
_MAX_SPRING_NODES = 500  # from 500 nodes on, networkx's spring layout needs SciPy


# --------------------------------------------------------------------------- notebook


def setup_notebook() -> None:
    """Make every notebook print and plot the same way, on every machine. Call it first.

    - NumPy prints 4 decimals without scientific notation, and scalars as NumPy 1
      did: ``np.float64(0.5)`` shows as ``0.5`` (NumPy 2 would show
      ``np.float64(0.5)``; ``legacy="1.25"`` turns that off, NumPy 1.26 needs nothing).
    - matplotlib: the default style plus :data:`NOTEBOOK_RC` (6.4 x 4 inch figures
      at 90 dpi, light grid, fixed SVG hash salt), and PNG figures in Jupyter.

    Safe to call twice (the second call changes nothing); prints nothing. Nothing
    in the course draws global random numbers: every function takes an explicit
    ``rng``, so there is no global seed to set.
    """
    options = {"precision": 4, "suppress": True}
    if _NUMPY_2:
        options["legacy"] = "1.25"
    np.set_printoptions(**options)
    plt.style.use("default")
    matplotlib.rcParams.update(NOTEBOOK_RC)
    _use_png_inline()


def _use_png_inline() -> None:
    """Ask Jupyter's inline backend for PNG figures; no-op outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("png")


# --------------------------------------------------------------------------- graphs


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
    labels = _check_words(words, graph.num_nodes)
    target = _check_node(highlight, graph.num_nodes, "highlight")
    if node_color is None and target is not None:
        node_color = [RECEIVER_COLOR if k == target else NODE_COLOR for k in range(graph.num_nodes)]
    colors = _node_colors(node_color, graph.num_nodes, cmap)
    color = EDGE_COLOR if target is None else FAINT_COLOR
    if labels is not None:
        ax = _graph_on_sentence(ax, graph, labels, colors, color, target)
    else:
        ax = _graph_on_spring(ax, graph, colors, color, target)
    _finish(ax, title)
    return ax


def _graph_on_sentence(ax, graph, labels, colors, color, target) -> Axes:
    pairs, one_way, loops = _edge_groups(graph)
    ax = _sentence_axes(ax, labels, pairs + one_way, foot=_FOOT, below=False)
    _draw_words(ax, labels, colors, y=0.0, va="top")
    n = graph.num_nodes
    for j, i in pairs:
        _add_arc(ax, j, i, n, y0=_FOOT, arrowstyle="<|-|>", color=color, lw=1.0)
    for j, i in one_way:
        _add_arc(ax, j, i, n, y0=_FOOT, arrowstyle="-|>", color=color, lw=1.0)
    ring_colors = _ring_colors(loops, target, color)
    _add_rings(ax, _above(loops, _FOOT + _RING_LIFT), _SMALL_RING, ring_colors, lw=1.2)
    for j in _incoming(graph, target):  # drawn last, on top of the faint arcs
        _add_arc(ax, j, target, n, y0=_FOOT, arrowstyle="-|>", **_HIGHLIGHT_STYLE)
    return ax


def _graph_on_spring(ax, graph, colors, color, target) -> Axes:
    pairs, one_way, loops = _edge_groups(graph)
    ax, pos = _spring_axes(ax, graph)
    _draw_nodes(ax, pos, colors)
    for j, i in pairs:
        _add_line(ax, pos, j, i, arrowstyle="<|-|>", color=color, lw=1.0)
    for j, i in one_way:
        _add_line(ax, pos, j, i, arrowstyle="-|>", color=color, lw=1.0)
    _add_rings(ax, pos[loops], _BIG_RING, _ring_colors(loops, target, color), lw=1.2)
    for j in _incoming(graph, target):
        _add_line(ax, pos, j, target, arrowstyle="-|>", **_HIGHLIGHT_STYLE)
    return ax


_HIGHLIGHT_STYLE = {"color": HIGHLIGHT_COLOR, "lw": 1.8, "zorder": 2.5}


def _incoming(graph, target: int | None) -> list[int]:
    """The senders j != target of the edges j -> target (none if target is None)."""
    if target is None:
        return []
    senders = graph.senders[graph.receivers == target]
    return senders[senders != target].tolist()


def _ring_colors(loops: list[int], target: int | None, color) -> np.ndarray:
    """``(L, 4)`` ring colours: ``color``, except the highlighted node's loop."""
    colors = np.tile(to_rgba(color), (len(loops), 1))
    if target is not None:
        colors[np.asarray(loops, dtype=np.int64) == target] = to_rgba(HIGHLIGHT_COLOR)
    return colors


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
    weights = _check_alpha(alpha, graph, head)
    labels = _check_words(words, graph.num_nodes)
    keep = _kept_edges(graph, weights, top_k, receiver)
    top = weights[keep].max(initial=0.0)
    strength = weights / top if top > 0 else weights  # (E,) in [0, 1] on the kept edges
    if receiver is not None:  # every labelled edge stays visible, however weak
        strength = _LABELLED_FLOOR + (1 - _LABELLED_FLOOR) * strength
    values = weights if receiver is not None else None  # label the edges with their weights
    colors = _node_colors(None, graph.num_nodes)
    if receiver is not None:
        colors[receiver] = to_rgba(RECEIVER_COLOR)
    if labels is not None:
        ax = _attention_on_sentence(ax, graph, labels, colors, strength, keep, values)
    else:
        ax = _attention_on_spring(ax, graph, colors, strength, keep, values)
    _finish(ax, title)
    return ax


def _kept_edges(graph, weights: np.ndarray, top_k, receiver) -> np.ndarray:
    """``(E,)`` bool: the edges to draw; checks ``top_k`` and ``receiver``."""
    keep = np.ones(graph.num_edges, dtype=bool)
    if receiver is not None:
        keep &= graph.receivers == _check_node(receiver, graph.num_nodes, "receiver")
    if top_k is not None:
        k = as_count(top_k, "top_k")
        if k < 1:
            raise ValueError(f"top_k must be >= 1 (edges kept per receiver), got {k}")
        order = np.lexsort((-weights, graph.receivers))  # by receiver, strongest first
        rank = np.empty(graph.num_edges, dtype=np.int64)
        rank[order] = np.arange(graph.num_edges) - graph.indptr[graph.receivers[order]]
        keep &= rank < k
    return keep


def _attention_on_sentence(ax, graph, labels, colors, strength, keep, values) -> Axes:
    edges, loops = _edges_and_loops(graph, keep)
    pairs = [(j, i) for _, j, i in edges]
    ax = _sentence_axes(ax, labels, pairs, foot=_MID_FOOT, below=any(j > i for j, i in pairs))
    _draw_words(ax, labels, colors, y=0.0, va="center")
    n = graph.num_nodes
    for e, j, i in edges:
        y0 = _MID_FOOT if j < i else -_MID_FOOT  # rightward above, leftward below
        _add_arc(ax, j, i, n, y0=y0, arrowstyle="-|>", **_attention_style(strength[e]))
        if values is not None:
            x0, x1 = j + _foot_offset(j, i, n), i + _foot_offset(i, j, n)
            peak = y0 + np.sign(y0) * _arc_height(abs(i - j))  # the arc's highest point
            _add_weight_label(ax, (x0 + x1) / 2, peak, values[e])
    ring_xy = _above([i for _, i in loops], _MID_FOOT + _RING_LIFT)
    _add_attention_rings(ax, ring_xy, _SMALL_RING, strength[[e for e, _ in loops]])
    if values is not None:
        for (e, _), (x, y) in zip(loops, ring_xy, strict=True):
            _add_weight_label(ax, x, y + 0.17, values[e])
    note = "arcs above: j → i with j < i (rightward);  below: j > i (leftward)"
    ax.text(-0.5, ax.get_ylim()[0], note, fontsize=7, color="0.45", va="bottom")
    return ax


def _attention_on_spring(ax, graph, colors, strength, keep, values) -> Axes:
    edges, loops = _edges_and_loops(graph, keep)
    ax, pos = _spring_axes(ax, graph)
    _draw_nodes(ax, pos, colors)
    for e, j, i in edges:  # curved, so that j -> i and i -> j do not overlap
        _add_line(ax, pos, j, i, arrowstyle="-|>", rad=_CURVE, **_attention_style(strength[e]))
        if values is not None:
            (xj, yj), (xi, yi) = pos[j], pos[i]  # the middle of the arc3 curve
            x, y = (xj + xi) / 2 + _CURVE / 2 * (yi - yj), (yj + yi) / 2 - _CURVE / 2 * (xi - xj)
            _add_weight_label(ax, x, y, values[e])
    ring_xy = pos[[i for _, i in loops]]
    _add_attention_rings(ax, ring_xy, _BIG_RING, strength[[e for e, _ in loops]])
    if values is not None:
        for (e, _), (x, y) in zip(loops, ring_xy, strict=True):
            ax.annotate(
                f"{values[e]:.2f}",
                (x, y),
                xytext=(0, 16),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                bbox=_LABEL_BOX,
                zorder=5,
            )
    return ax


_LABELLED_FLOOR = 0.25  # draw_attention(receiver=i): the weakest edge's opacity and width share
_CURVE = 0.15  # draw_attention's spring layout: the arc3 bend of every edge
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}


def _add_weight_label(ax: Axes, x: float, y: float, value: float) -> None:
    ax.text(x, y, f"{value:.2f}", ha="center", va="center", fontsize=7, bbox=_LABEL_BOX, zorder=5)


def _edges_and_loops(graph, keep: np.ndarray) -> tuple[list, list]:
    """``[(e, j, i), ...]`` for the kept edges j -> i with j != i, ``[(e, i), ...]`` for loops."""
    s, r = graph.senders.tolist(), graph.receivers.tolist()
    kept = [(e, j, i) for e, (j, i) in enumerate(zip(s, r, strict=True)) if keep[e]]
    edges = [(e, j, i) for e, j, i in kept if j != i]
    loops = [(e, i) for e, j, i in kept if j == i]
    return edges, loops


def _attention_style(strength: float) -> dict:
    """Colour, width and opacity of an attention edge; ``strength`` = weight / largest weight."""
    return {"color": ATTENTION_COLOR, "lw": _ATTENTION_LW * strength, "alpha": strength}


def _add_attention_rings(ax, xy: np.ndarray, size: float, strength: np.ndarray) -> None:
    """Self-loop rings whose width and opacity follow ``strength: (L,)``."""
    _add_rings(ax, xy, size, ATTENTION_COLOR, lw=_RING_LW * strength, opacity=strength)


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
    w = as_float_array(weights, "weights")
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        hint = "; pick one head, e.g. weights[0]" if w.ndim == 3 else ""
        raise ValueError(f"weights must be a square (n, n) matrix, got shape {w.shape}{hint}")
    n = w.shape[0]
    labels = _check_words(words, n, owner=f"weights of shape {w.shape}")
    if labels is None:
        labels = [str(k) for k in range(n)]
    if w.size and (w.min() < -1e-9 or w.max() > 1 + 1e-9):
        raise ValueError(
            f"weights must lie in [0, 1] (attention weights), got values from {w.min():.3g} "
            f"to {w.max():.3g}; apply the softmax first"
        )
    if ax is None:
        side = 0.42 * n
        _, ax = plt.subplots(figsize=(max(3.5, side + 1.9), max(3.0, side + 1.1)))
    image = ax.imshow(w.reshape(n, n) if n else np.zeros((1, 1)), cmap=cmap, vmin=0, vmax=1)
    if n == 0:
        image.set_visible(False)
    ax.set_xticks(range(n), labels, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("key / sender j")
    ax.set_ylabel("query / receiver i")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=r"$\alpha_{ij}$")
    if annotate:
        for i in range(n):
            for j in range(n):
                color = "white" if w[i, j] < 0.5 else "black"
                ax.text(j, i, f"{w[i, j]:.2f}", ha="center", va="center", fontsize=7, color=color)
    if title is not None:
        ax.set_title(title)
    return ax


# --------------------------------------------------------------------------- checks


def _check_words(words, n: int, owner: str | None = None) -> list[str] | None:
    """``words`` as a list of ``n`` strings (None stays None)."""
    if words is None:
        return None
    if isinstance(words, str):
        raise TypeError("words must be a sequence of strings (one per node), not one string")
    labels = [str(w) for w in words]
    if len(labels) != n:
        owner = owner or f"the graph, which has n={n} nodes"
        raise ValueError(f"words has {len(labels)} entries but needs one per node of {owner}")
    return labels


def _check_node(node, n: int, name: str) -> int | None:
    """``node`` as a node index ``0 <= node < n`` (None stays None)."""
    if node is None:
        return None
    if isinstance(node, bool | np.bool_) or not isinstance(node, int | np.integer):
        raise TypeError(
            f"{name} must be a node index (an int, e.g. words.index('sat')), "
            f"got {type(node).__name__} {node!r}"
        )
    if not 0 <= node < n:
        raise ValueError(f"{name}={node} is out of range for a graph of n={n} nodes")
    return int(node)


def _check_alpha(alpha, graph, head) -> np.ndarray:
    """The ``(E,)`` weights of one head, after checking shapes, sign and ``head``."""
    a = as_float_array(alpha, "alpha")
    E = graph.num_edges
    if a.ndim not in (1, 2) or a.shape[0] != E:
        raise ValueError(
            f"alpha has shape {a.shape} but the graph has {E} edges; expected (E,) = ({E},) "
            f"or (E, H) = ({E}, H)"
        )
    a = a if a.ndim == 2 else a[:, None]
    head = as_count(head, "head")
    if head >= a.shape[1]:
        raise ValueError(
            f"head={head} is out of range: alpha of shape {a.shape} has H={a.shape[1]}"
        )
    if E and a.min() < 0:
        raise ValueError(f"alpha must be non-negative (attention weights), min is {a.min():.3g}")
    return a[:, head]


def _node_colors(node_color, n: int, cmap: str = "coolwarm") -> np.ndarray:
    """``(n, 4)`` RGBA colours from None, one colour, ``n`` colours or ``n`` numbers."""
    if node_color is None:
        node_color = NODE_COLOR
    if isinstance(node_color, str | tuple):
        return np.tile(to_rgba(node_color), (n, 1))
    values = np.asarray(node_color)
    if values.shape[:1] != (n,):
        raise ValueError(
            f"node_color has shape {values.shape} but the graph has n={n} nodes; give one "
            f"colour, n colours or n numbers"
        )
    if values.dtype.kind in "biuf":
        values = as_float_array(values, "node_color", ndim=1)
        scale = np.abs(values).max(initial=0.0) or 1.0
        return matplotlib.colormaps[cmap](0.5 + 0.5 * values / scale)
    return to_rgba_array(list(node_color))


def _edge_groups(graph) -> tuple[list, list, list]:
    """Split the edges: ``pairs`` (j, i) with j < i both ways, ``one_way`` (j, i), ``loops`` i."""
    s, r = graph.senders, graph.receivers
    adj = graph.adjacency(dtype=bool)
    has_reverse = adj[s, r]  # edge j -> i: is there an i -> j?
    loop = s == r
    pair = ~loop & has_reverse & (s < r)
    one = ~loop & ~has_reverse
    return (
        list(zip(s[pair].tolist(), r[pair].tolist(), strict=True)),
        list(zip(s[one].tolist(), r[one].tolist(), strict=True)),
        s[loop].tolist(),
    )


# --------------------------------------------------------------------------- sentence layout

_FOOT = 0.12  # draw_graph: arcs start this far above the word line
_MID_FOOT = 0.26  # draw_attention: arcs start this far above / below the word line
_RING_LIFT = 0.12  # a self-loop ring sits this far above the arc feet
_ATTENTION_LW = 2.2  # line width of the strongest attention edge
_RING_LW = 2.0  # line width of the ring of the strongest attention self loop
_SMALL_RING = 55.0  # marker area (points^2) of a self-loop ring above a word
_WORD_BOX = {"boxstyle": "round,pad=0.25", "ec": "0.6", "lw": 0.6}


def _arc_height(distance: int) -> float:
    """Peak height of the arc between two words ``distance`` apart."""
    return 0.15 + 0.28 * distance


def _foot_offset(a: int, b: int, n: int) -> float:
    """Where on word ``a`` the arc towards word ``b`` starts: left of centre if b < a.

    Arcs to far words start further out, so the arcs at one word fan out instead
    of meeting in one point, and the centre stays free for a self-loop ring.
    """
    spread = (abs(b - a) - 1) / max(n - 2, 1)  # 0 for the neighbour, 1 for the farthest word
    return float(np.sign(b - a)) * (0.08 + 0.32 * spread)


def _add_arc(ax: Axes, a: int, b: int, n: int, *, y0: float, **style) -> None:
    """Quadratic Bezier arc from word ``a`` to word ``b``, above the line (below if y0 < 0)."""
    x0, x1 = a + _foot_offset(a, b, n), b + _foot_offset(b, a, n)
    peak = np.sign(y0) * _arc_height(abs(b - a))
    path = Path(
        [(x0, y0), ((x0 + x1) / 2, y0 + 2 * peak), (x1, y0)],
        [Path.MOVETO, Path.CURVE3, Path.CURVE3],
    )
    ax.add_patch(FancyArrowPatch(path=path, mutation_scale=7, **{"zorder": 2, **style}))


def _sentence_axes(ax, labels, edges, *, foot: float, below: bool) -> Axes:
    """Axes whose limits fit the words and the arcs (a new figure sized to them if None).

    ``edges`` are the (j, i) pairs drawn as arcs starting ``foot`` above the line,
    and, if ``below``, also as arcs below it.
    """
    n = len(labels)
    reach = max((abs(i - j) for j, i in edges), default=0)
    height = _arc_height(reach) if reach else 0.0
    top = foot + max(height, _RING_LIFT + 0.1) + 0.1
    bottom = -(foot + height + 0.1) if below and reach else -0.45
    if ax is None:
        unit = float(np.clip(0.1 * max(map(len, labels), default=1) + 0.15, 0.55, 1.0))
        width = unit * (n + 0.4)
        fig_height = max(unit * (top - bottom), 1.0)
        _, ax = plt.subplots(figsize=(max(width, 2.5), fig_height))
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(bottom, top)
    return ax


def _above(nodes: list[int], y: float) -> np.ndarray:
    """``(L, 2)`` points at height ``y`` above the words ``nodes``."""
    return np.column_stack([nodes, np.full(len(nodes), y)]).astype(np.float64)


def _draw_words(ax: Axes, labels: list[str], colors: np.ndarray, *, y: float, va: str) -> None:
    for x, (word, color) in enumerate(zip(labels, colors, strict=True)):
        ax.text(x, y, word, ha="center", va=va, zorder=4, bbox={**_WORD_BOX, "fc": color})


# --------------------------------------------------------------------------- spring layout

_NODE_SIZE = 260  # scatter marker area in points^2
_NODE_RADIUS = np.sqrt(_NODE_SIZE) / 2  # in points
_BIG_RING = 1.8 * _NODE_SIZE  # marker area of a self-loop ring around a node


def _spring_axes(ax, graph) -> tuple[Axes, np.ndarray]:
    """Axes (a new figure if None) and ``(n, 2)`` positions from a seeded spring layout."""
    import networkx as nx

    n = graph.num_nodes
    if n >= _MAX_SPRING_NODES:
        raise ValueError(
            f"the spring layout is for small graphs (n < {_MAX_SPRING_NODES}), got n={n}"
        )
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(
        (j, i)
        for j, i in zip(graph.senders.tolist(), graph.receivers.tolist(), strict=True)
        if j != i
    )
    layout = nx.spring_layout(G, seed=0)
    pos = np.array([layout[k] for k in range(n)], dtype=np.float64).reshape(n, 2)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.8) if n > 12 else (4.8, 3.6))
    return ax, pos


def _draw_nodes(ax: Axes, pos: np.ndarray, colors: np.ndarray) -> None:
    ax.scatter(
        pos[:, 0], pos[:, 1], s=_NODE_SIZE, c=colors, edgecolors="0.4", linewidths=0.8, zorder=3
    )
    fontsize = 9 if len(pos) <= 20 else 7.5
    for k, (x, y) in enumerate(pos):
        ax.text(x, y, str(k), ha="center", va="center", fontsize=fontsize, zorder=4)
    if len(pos):
        ax.margins(0.08)


def _add_line(ax: Axes, pos: np.ndarray, j: int, i: int, *, rad: float = 0.0, **style) -> None:
    """A straight (or, with ``rad``, curved) arrow from node j to node i, stopping at the discs."""
    ax.add_patch(
        FancyArrowPatch(
            pos[j],
            pos[i],
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=_NODE_RADIUS + 1,
            shrinkB=_NODE_RADIUS + 1,
            mutation_scale=10,
            **{"zorder": 2, **style},
        )
    )


# --------------------------------------------------------------------------- both layouts


def _add_rings(ax: Axes, xy: np.ndarray, size: float, color, *, lw, opacity=None) -> None:
    """Self loops as open rings centred at ``xy: (L, 2)``, line width ``lw`` (scalar or (L,)).

    ``color`` is one colour or ``(L, 4)`` RGBA colours; ``opacity`` (scalar or (L,)) replaces
    their alpha.
    """
    if isinstance(color, np.ndarray) and color.ndim == 2:
        edge_colors = color.copy()
    else:
        edge_colors = np.tile(to_rgba(color), (len(xy), 1))
    if opacity is not None:
        edge_colors[:, 3] = opacity
    rings = ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=size,
        facecolors="none",
        edgecolors=edge_colors,
        linewidths=lw,
        zorder=3,
    )
    rings.set_gid("self_loops")


def _finish(ax: Axes, title: str | None) -> None:
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)


# --------------------------------------------------------------------------- your own sentence


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
    n, d = len(words), as_count(d, "d")
    if d < 1:
        raise ValueError(f"d must be >= 1 (features per word), got {d}")
    target = _check_node(receiver, n, "receiver")
    if heads is not None:
        graph, name = graphs["tree"], "the dependency tree"
    else:
        graph, name = window_graph(n, radius, self_loops=False), f"the window (radius {radius})"
    if axes is None:
        unit = float(np.clip(0.1 * max(map(len, words)) + 0.15, 0.55, 1.0))  # as draw_graph
        reach = 0.28 * max(n - 1, 1)  # the longest arc of the complete graph, above and below
        _, axes = plt.subplots(
            3,
            1,
            figsize=(max(unit * (n + 0.4), 5.5), 4.2 + 1.6 * reach),
            gridspec_kw={"height_ratios": [1.0, 1.4, 1.2 + reach]},
        )
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.shape != (3,) or not all(isinstance(ax, Axes) for ax in axes):
        raise ValueError(f"axes must be three matplotlib Axes, got {axes.shape[0]} items")

    rng = np.random.default_rng(seed)
    h = rng.normal(size=(n, d))
    gat_graph = add_self_loops(graph)
    _, alpha = gat_layer(init_gat_layer(rng, d, d), h, gat_graph, return_attention=True)
    complete = graphs["complete"]
    _, weights = transformer_layer(
        init_transformer_layer(rng, d, num_heads=1, d_ff=2 * d),
        h,
        complete,
        return_attention=True,
    )
    into = "" if target is None else f"; into {target} {words[target]!r}"
    k = None if target is not None else top_k
    drawn = "" if k is None else f", each word's {k} strongest drawn"
    draw_graph(
        graph,
        words,
        ax=axes[0],
        highlight=target,
        title=f"GNN on {name}: {graph.num_edges} edges, all of weight 1{into}",
    )
    draw_attention(
        gat_graph,
        alpha,
        words,
        ax=axes[1],
        receiver=target,
        title=f"GAT on {name} + self loops: α on {gat_graph.num_edges} edges{into}",
    )
    draw_attention(
        complete,
        weights,
        words,
        ax=axes[2],
        top_k=k,
        receiver=target,
        title=f"Transformer on the complete graph: α on {complete.num_edges} edges{drawn}{into}",
    )
    return axes
