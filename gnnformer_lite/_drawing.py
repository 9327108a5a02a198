"""The helpers of :mod:`gnnformer_lite.viz`: colours, layouts, arcs, rings, cells.

The public plots read top to bottom; the steps they name live here (their argument
checks in ``_checks``). matplotlib is imported inside the functions that draw
(:func:`pyplot` for figures), never at module level: ``import gnnformer_lite`` must
not load it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ._checks import as_float_array, check_node
from .gnn_layers import gat_layer, init_gat_layer
from .graphs import add_self_loops
from .transformer_layers import init_transformer_layer, transformer_layer

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NODE_COLOR = "#d6e6f5"  # light blue: words and nodes
EDGE_COLOR = "0.3"  # dark grey: edges of draw_graph
ATTENTION_COLOR = "C0"  # blue: edges of draw_attention
HIGHLIGHT_COLOR = "C3"  # red: the highlighted edges of draw_graph
FAINT_COLOR = "0.82"  # light grey: the other edges when some are highlighted
RECEIVER_COLOR = "#f6b26b"  # orange: the highlighted node / the receiver
HIGHLIGHT_STYLE = {"color": HIGHLIGHT_COLOR, "lw": 1.8, "zorder": 2.5}
ATTENTION_LW = 2.2  # line width of the strongest attention edge
RING_LW = 2.0  # line width of the ring of the strongest attention self loop
LABELLED_FLOOR = 0.25  # draw_attention(receiver=i): the weakest edge's opacity and width share
LABEL_BOX = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
LABEL_STYLE = {"fontsize": 8, "bbox": LABEL_BOX, "zorder": 5}  # an edge's weight, written on it
FOOT = 0.12  # draw_graph: arcs start this far above the word line
MID_FOOT = 0.26  # draw_attention: arcs start this far above / below the word line
RING_LIFT = 0.12  # a self-loop ring sits this far above the arc feet
SMALL_RING = 55.0  # marker area (points^2) of a self-loop ring above a word
WORD_BOX = {"boxstyle": "round,pad=0.25", "ec": "0.6", "lw": 0.6}
NODE_SIZE = 260  # spring layout: scatter marker area in points^2
NODE_RADIUS = np.sqrt(NODE_SIZE) / 2  # in points
BIG_RING = 1.8 * NODE_SIZE  # marker area of a self-loop ring around a node
CURVE = 0.15  # draw_attention's spring layout: the arc3 bend of every edge
ABOVE_NODE = {"xytext": (0, 16), "textcoords": "offset points", "ha": "center", "va": "bottom"}
MAX_SPRING_NODES = 500  # from 500 nodes on, networkx's spring layout needs SciPy
DARK = 0.222  # heatmap: numbers are white on cells darker than this (viridis's middle)


def pyplot():
    """``matplotlib.pyplot``, imported on first use (``import gnnformer_lite`` stays light)."""
    import matplotlib.pyplot as plt

    return plt


# --------------------------------------------------------------------------- colours


def node_colors(node_color, n: int, cmap: str = "coolwarm", receiver=None) -> np.ndarray:
    """``(n, 4)`` RGBA colours from None, one colour, ``n`` colours or ``n`` numbers.

    With ``receiver`` and no ``node_color``: that node orange, the others light blue.
    """
    import matplotlib
    from matplotlib.colors import to_rgba, to_rgba_array

    if node_color is None and receiver is not None:
        node_color = [RECEIVER_COLOR if k == receiver else NODE_COLOR for k in range(n)]
    if node_color is None or isinstance(node_color, str | tuple):
        return np.tile(to_rgba(node_color or NODE_COLOR), (n, 1))
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


# --------------------------------------------------------------------------- draw_graph


def draw_structure(ax, graph, labels, colors, color, target) -> Axes:
    """Words on a line (or a spring layout), one arrow per pair or one-way edge, rings."""
    pairs, one_way, loops = edge_groups(graph)
    if labels is not None:
        ax = sentence_axes(ax, labels, pairs + one_way, foot=FOOT, below=False)
        draw_words(ax, labels, colors, y=0.0, va="top")
        arrow = partial(add_arc, ax, n=graph.num_nodes, foot=FOOT)
        ring_xy, ring_size = above(loops, FOOT + RING_LIFT), SMALL_RING
    else:
        ax, pos = spring_axes(ax, graph)
        draw_nodes(ax, pos, colors)
        arrow, ring_xy, ring_size = partial(add_line, ax, pos), pos[loops], BIG_RING
    for j, i in pairs:
        arrow(j, i, arrowstyle="<|-|>", color=color, lw=1.0)
    for j, i in one_way:
        arrow(j, i, arrowstyle="-|>", color=color, lw=1.0)
    add_rings(ax, ring_xy, ring_size, ring_colors(loops, target, color), lw=1.2)
    for j in incoming(graph, target):  # drawn last, on top of the faint edges
        arrow(j, target, arrowstyle="-|>", **HIGHLIGHT_STYLE)
    return ax


def edge_groups(graph) -> tuple[list, list, list]:
    """Split the edges: ``pairs`` (j, i) with j < i both ways, ``one_way`` (j, i), ``loops`` i."""
    s, r = graph.senders, graph.receivers
    has_reverse = graph.adjacency(dtype=bool)[s, r]  # edge j -> i: is there an i -> j?
    loop = s == r
    pair = ~loop & has_reverse & (s < r)
    one = ~loop & ~has_reverse
    return (
        list(zip(s[pair].tolist(), r[pair].tolist(), strict=True)),
        list(zip(s[one].tolist(), r[one].tolist(), strict=True)),
        s[loop].tolist(),
    )


def incoming(graph, target: int | None) -> list[int]:
    """The senders j != target of the edges j -> target (none if target is None)."""
    if target is None:
        return []
    senders = graph.senders[graph.receivers == target]
    return senders[senders != target].tolist()


def ring_colors(loops: list[int], target: int | None, color) -> np.ndarray:
    """``(L, 4)`` ring colours: ``color``, except the highlighted node's loop."""
    from matplotlib.colors import to_rgba

    colors = np.tile(to_rgba(color), (len(loops), 1))
    if target is not None:
        colors[np.asarray(loops, dtype=np.int64) == target] = to_rgba(HIGHLIGHT_COLOR)
    return colors


# --------------------------------------------------------------------------- draw_attention


def draw_weights(ax, graph, labels, colors, strength, keep, values) -> Axes:
    """An arrow per kept edge j -> i, a ring per kept loop, each labelled with ``values``.

    On a line of words rightward arcs (j < i) go above, leftward ones below; in the
    spring layout the arrows are curved, so that j -> i and i -> j do not overlap.
    """
    edges, loops = edges_and_loops(graph, keep)
    if labels is not None:
        pairs = [(j, i) for _, j, i in edges]
        ax = sentence_axes(ax, labels, pairs, foot=MID_FOOT, below=any(j > i for j, i in pairs))
        draw_words(ax, labels, colors, y=0.0, va="center")
        arrow = partial(add_arc, ax, n=graph.num_nodes, foot=MID_FOOT, leftward_below=True)
        ring_xy, ring_size = above([i for _, i in loops], MID_FOOT + RING_LIFT), SMALL_RING
    else:
        ax, pos = spring_axes(ax, graph)
        draw_nodes(ax, pos, colors)
        arrow = partial(add_line, ax, pos, rad=CURVE)
        ring_xy, ring_size = pos[[i for _, i in loops]], BIG_RING
    for e, j, i in edges:  # width and opacity follow the weight (1: the strongest drawn)
        style = {"color": ATTENTION_COLOR, "lw": ATTENTION_LW * strength[e], "alpha": strength[e]}
        middle = arrow(j, i, arrowstyle="-|>", **style)
        if values is not None:
            ax.text(*middle, f"{values[e]:.2f}", ha="center", va="center", **LABEL_STYLE)
    loop_strength = strength[[e for e, _ in loops]]
    add_rings(
        ax, ring_xy, ring_size, ATTENTION_COLOR, lw=RING_LW * loop_strength, opacity=loop_strength
    )
    if values is not None:  # each loop's weight beside its ring
        for (e, _), (x, y) in zip(loops, ring_xy, strict=True):
            if labels is not None:  # up and right: the arcs from earlier words end on the left
                text = f"{values[e]:.2f}"
                ax.text(x + 0.14, y + 0.12, text, ha="left", va="center", **LABEL_STYLE)
            else:  # 16 points above the node's centre, at any scale of the layout
                ax.annotate(f"{values[e]:.2f}", (x, y), **ABOVE_NODE, **LABEL_STYLE)
    if labels is not None:
        note = "arcs above: j → i with j < i (rightward);  below: j > i (leftward)"
        ax.text(-0.5, ax.get_ylim()[0], note, fontsize=9, color="0.3", va="bottom")
    return ax


def edges_and_loops(graph, keep: np.ndarray) -> tuple[list, list]:
    """``[(e, j, i), ...]`` for the kept edges j -> i with j != i, ``[(e, i), ...]`` for loops."""
    s, r = graph.senders.tolist(), graph.receivers.tolist()
    kept = [(e, j, i) for e, (j, i) in enumerate(zip(s, r, strict=True)) if keep[e]]
    return [(e, j, i) for e, j, i in kept if j != i], [(e, i) for e, j, i in kept if j == i]


def kept_edges(graph, weights: np.ndarray, top_k, receiver) -> np.ndarray:
    """``(E,)`` bool: the edges to draw; checks ``top_k`` and ``receiver``."""
    keep = np.ones(graph.num_edges, dtype=bool)
    if receiver is not None:
        keep &= graph.receivers == check_node(receiver, graph.num_nodes, "receiver")
    if top_k is not None:
        if isinstance(top_k, bool | np.bool_) or not isinstance(top_k, int | np.integer):
            raise TypeError(
                f"top_k must be an int >= 1 or None, got {type(top_k).__name__} {top_k!r}"
            )
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1 (edges kept per receiver) or None, got {top_k}")
        k = int(top_k)
        order = np.lexsort((-weights, graph.receivers))  # by receiver, strongest first
        rank = np.empty(graph.num_edges, dtype=np.int64)
        rank[order] = np.arange(graph.num_edges) - graph.indptr[graph.receivers[order]]
        keep &= rank < k
    return keep


def edge_strength(weights: np.ndarray, keep: np.ndarray, labelled: bool) -> np.ndarray:
    """``(E,)`` width and opacity share of every edge: 1 for the largest weight drawn."""
    top = weights[keep].max(initial=0.0)
    strength = weights / top if top > 0 else weights
    if labelled:  # every labelled edge stays visible, however weak
        strength = LABELLED_FLOOR + (1 - LABELLED_FLOOR) * strength
    return strength


# --------------------------------------------------------------------------- sentence layout


def word_unit(labels: list[str]) -> float:
    """Inches per word: more for longer words."""
    return float(np.clip(0.1 * max(map(len, labels), default=1) + 0.15, 0.55, 1.0))


def sentence_axes(ax, labels, edges, *, foot: float, below: bool) -> Axes:
    """Axes whose limits fit the words and the arcs (a new figure sized to them if None).

    ``edges`` are the (j, i) pairs drawn as arcs starting ``foot`` above the line,
    and, if ``below``, also as arcs below it.
    """
    n = len(labels)
    reach = max((abs(i - j) for j, i in edges), default=0)
    height = arc_height(reach) if reach else 0.0
    top = foot + max(height, RING_LIFT + 0.1) + 0.1
    bottom = -(foot + height + 0.1) if below and reach else -0.45
    if ax is None:
        unit = word_unit(labels)
        size = (max(unit * (n + 0.4), 2.5), max(unit * (top - bottom), 1.0))
        _, ax = pyplot().subplots(figsize=size)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(bottom, top)
    return ax


def draw_words(ax: Axes, labels: list[str], colors: np.ndarray, *, y: float, va: str) -> None:
    for x, (word, color) in enumerate(zip(labels, colors, strict=True)):
        ax.text(x, y, word, ha="center", va=va, zorder=4, bbox={**WORD_BOX, "fc": color})


def above(nodes: list[int], y: float) -> np.ndarray:
    """``(L, 2)`` points at height ``y`` above the words ``nodes``."""
    return np.column_stack([nodes, np.full(len(nodes), y)]).astype(np.float64)


def arc_height(distance: int) -> float:
    """Peak height of the arc between two words ``distance`` apart."""
    return 0.15 + 0.28 * distance


def foot_offset(a: int, b: int, n: int) -> float:
    """Where on word ``a`` the arc towards word ``b`` starts: left of centre if b < a.

    Arcs to far words start further out, so the arcs at one word fan out instead
    of meeting in one point, and the centre stays free for a self-loop ring.
    """
    spread = (abs(b - a) - 1) / max(n - 2, 1)  # 0 for the neighbour, 1 for the farthest word
    return float(np.sign(b - a)) * (0.08 + 0.32 * spread)


def add_arc(ax, a: int, b: int, n: int, *, foot: float, leftward_below=False, **style) -> tuple:
    """Quadratic Bezier arc from word ``a`` to word ``b``, starting ``foot`` above the line.

    With ``leftward_below``, an arc to an earlier word (b < a) hangs below the line.
    Returns the arc's middle (its highest or lowest point).
    """
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    y0 = -foot if leftward_below and b < a else foot
    x0, x1 = a + foot_offset(a, b, n), b + foot_offset(b, a, n)
    peak = np.sign(y0) * arc_height(abs(b - a))
    path = Path(
        [(x0, y0), ((x0 + x1) / 2, y0 + 2 * peak), (x1, y0)],
        [Path.MOVETO, Path.CURVE3, Path.CURVE3],
    )
    ax.add_patch(FancyArrowPatch(path=path, mutation_scale=7, **{"zorder": 2, **style}))
    return (x0 + x1) / 2, y0 + peak


# --------------------------------------------------------------------------- spring layout


def spring_axes(ax, graph) -> tuple[Axes, np.ndarray]:
    """Axes (a new figure if None) and ``(n, 2)`` positions from a seeded spring layout."""
    import networkx as nx

    n = graph.num_nodes
    if n >= MAX_SPRING_NODES:
        raise ValueError(
            f"the spring layout is for small graphs (n < {MAX_SPRING_NODES}), got n={n}"
        )
    G = nx.Graph()
    G.add_nodes_from(range(n))
    s, r = graph.senders.tolist(), graph.receivers.tolist()
    G.add_edges_from((j, i) for j, i in zip(s, r, strict=True) if j != i)
    layout = nx.spring_layout(G, seed=0)
    pos = np.array([layout[k] for k in range(n)], dtype=np.float64).reshape(n, 2)
    if ax is None:
        _, ax = pyplot().subplots(figsize=(6.4, 4.8) if n > 12 else (4.8, 3.6))
    return ax, pos


def draw_nodes(ax: Axes, pos: np.ndarray, colors: np.ndarray) -> None:
    x, y = pos[:, 0], pos[:, 1]
    ax.scatter(x, y, s=NODE_SIZE, c=colors, edgecolors="0.4", linewidths=0.8, zorder=3)
    fontsize = 9 if len(pos) <= 20 else 7.5
    for k, (x, y) in enumerate(pos):
        ax.text(x, y, str(k), ha="center", va="center", fontsize=fontsize, zorder=4)
    if len(pos):
        ax.margins(0.08)


def add_line(ax, pos: np.ndarray, j: int, i: int, *, rad: float = 0.0, **style) -> tuple:
    """A straight (or, with ``rad``, curved) arrow from node j to node i, stopping at the discs.

    Returns the middle of the line (of the curve).
    """
    from matplotlib.patches import FancyArrowPatch

    style = {"shrinkA": NODE_RADIUS + 1, "shrinkB": NODE_RADIUS + 1, "zorder": 2, **style}
    bend = f"arc3,rad={rad}"
    ax.add_patch(FancyArrowPatch(pos[j], pos[i], connectionstyle=bend, mutation_scale=10, **style))
    (xj, yj), (xi, yi) = pos[j], pos[i]
    return (xj + xi) / 2 + rad / 2 * (yi - yj), (yj + yi) / 2 - rad / 2 * (xi - xj)


# --------------------------------------------------------------------------- both layouts


def add_rings(ax: Axes, xy: np.ndarray, size: float, color, *, lw, opacity=None) -> None:
    """Self loops as open rings centred at ``xy: (L, 2)``, line width ``lw`` (scalar or (L,)).

    ``color`` is one colour or ``(L, 4)`` RGBA colours; ``opacity`` (scalar or (L,)) replaces
    their alpha.
    """
    from matplotlib.colors import to_rgba

    if isinstance(color, np.ndarray) and color.ndim == 2:
        edge_colors = color.copy()
    else:
        edge_colors = np.tile(to_rgba(color), (len(xy), 1))
    if opacity is not None:
        edge_colors[:, 3] = opacity
    x, y = xy[:, 0], xy[:, 1]
    style = {"facecolors": "none", "edgecolors": edge_colors, "linewidths": lw, "zorder": 3}
    ax.scatter(x, y, s=size, **style).set_gid("self_loops")


def finish(ax: Axes, title: str | None) -> None:
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)


# --------------------------------------------------------------------------- heatmap


def heatmap_axes(ax, rows: int, columns: int) -> Axes:
    """``ax``, or a new figure sized to the cells (with room for labels and a colour bar)."""
    if ax is None:
        size = (max(3.5, 0.42 * columns + 1.9), max(3.0, 0.42 * rows + 1.1))
        _, ax = pyplot().subplots(figsize=size)
    return ax


def color_limits(m: np.ndarray, vmin, vmax) -> tuple[float, float]:
    """The colour scale: from 0 (or the smallest value, if below 0) to the largest value."""
    if vmin is None:
        vmin = min(0.0, float(np.nanmin(m, initial=0.0)))
    if vmax is None:
        vmax = max(0.0, float(np.nanmax(m, initial=0.0)))
        vmax = vmin + 1.0 if vmax <= vmin else vmax  # an all-zero matrix: no empty scale
    return vmin, vmax


def set_cell_ticks(axis, labels: list[str] | None, **style) -> None:
    """One tick per row (or column) labelled ``labels``; integer ticks where None."""
    from matplotlib.ticker import MaxNLocator

    if labels is None:
        axis.set_major_locator(MaxNLocator(integer=True))
    else:
        axis.set_ticks(range(len(labels)), labels, **style)


def annotate_cells(ax: Axes, m: np.ndarray, fmt: str | None, image) -> None:
    """Write each value in its cell: white on dark cells, black on light ones; NaN stays blank."""
    if fmt is None:
        fmt = ".0f" if (np.isnan(m) | (m == np.round(m))).all() else ".2f"
    rgb = image.cmap(image.norm(m))[..., :3]
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    dark = linear @ [0.2126, 0.7152, 0.0722] < DARK  # relative luminance (WCAG)
    for (i, j), value in np.ndenumerate(m):
        if not np.isnan(value):
            color = "white" if dark[i, j] else "black"
            ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=7, color=color)


# --------------------------------------------------------------------------- draw_layers


def layers_axes(axes, words: list[str]) -> np.ndarray:
    """``axes`` as three Axes, or a new figure of three panels sized to the sentence."""
    from matplotlib.axes import Axes

    if axes is None:
        n = len(words)
        reach = 0.28 * max(n - 1, 1)  # the longest arc of the complete graph, above and below
        size = (max(word_unit(words) * (n + 0.4), 5.5), 4.2 + 1.6 * reach)
        ratios = [1.0, 1.4, 1.2 + reach]
        _, axes = pyplot().subplots(3, 1, figsize=size, gridspec_kw={"height_ratios": ratios})
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.shape != (3,) or not all(isinstance(ax, Axes) for ax in axes):
        raise ValueError(f"axes must be three matplotlib Axes, got {axes.shape[0]} items")
    return axes


def layer_attention(graph, complete, seed: int, d: int) -> tuple:
    """Random features, then a GAT on ``graph`` + self loops and a Transformer on ``complete``.

    Returns ``(gat_graph, alpha, weights)``: the GAT's graph and both layers' weights.
    """
    rng = np.random.default_rng(seed)
    h = rng.normal(size=(graph.num_nodes, d))
    gat_graph = add_self_loops(graph)
    _, alpha = gat_layer(init_gat_layer(rng, d, d), h, gat_graph, return_attention=True)
    transformer = init_transformer_layer(rng, d, num_heads=1, d_ff=2 * d)
    _, weights = transformer_layer(transformer, h, complete, return_attention=True)
    return gat_graph, alpha, weights
