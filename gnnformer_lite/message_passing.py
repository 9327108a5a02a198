r"""Message passing in three verbs: gather, reduce by segment, scatter back.

Every layer of the course is written with these functions, as in jraph:

1. **gather**: pick each edge's sender features, ``h[graph.senders]`` (``(E, d)``);
2. **score** (attention layers only) and normalise with ``segment_softmax``;
3. **aggregate** the messages at their receivers with ``propagate`` / ``segment_sum``:

.. math:: m_i = \sum_{j \in \mathcal{N}(i)} \text{message}_{j \to i}.

A *segment* is the set of entries that share an id (here: the edges into one
receiver). Empty segments (isolated nodes) give 0, never NaN. No function
modifies its inputs.

**Backward** (for learning, notebook 07): message passing run backwards is
message passing on the reversed graph. The gradient of ``propagate`` (a sum over
receivers) is a gather by receivers, ``propagate_backward``; the gradient of the
gather ``h[graph.senders]`` is a sum over senders -- ``propagate`` on
``reverse_graph(graph)``, written ``segment_sum(d, graph.senders, n)``.

Each function's body is its equation, written with ``np.add.at`` /
``np.maximum.at`` (``out[ids[e]] += data[e]`` for every e). For big inputs one
visible size test at the top hands the same computation to ``_kernels``, which
gives the same numbers faster (a float sum from 64 numbers on, the karate club's
too; the other reductions on batches and long sentences, not on the running sentence).
Inputs are checked once, where they enter: ``segment_sum`` and ``segment_max``
check theirs and run their equation in ``_segment_sum`` / ``_segment_max``, which
``propagate`` and ``segment_softmax`` call directly on what they have checked.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels
from ._checks import (
    as_count,
    as_flag,
    as_float_array,
    as_index_array,
    check_range,
    no_nan_or_plus_inf,
)
from .graphs import Graph, check_graph

__all__ = [
    "hop_distance",
    "influence",
    "neighbour_sum",
    "propagate",
    "propagate_backward",
    "segment_max",
    "segment_mean",
    "segment_softmax",
    "segment_softmax_backward",
    "segment_sum",
]


def segment_sum(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int, indptr: ArrayLike | None = None
) -> np.ndarray:
    r"""Sum the rows of ``data`` that share a segment id.

    .. math:: \text{out}[k] = \sum_{e : \text{segment\_ids}[e] = k} \text{data}[e]

    Args:
        data: ``(E, ...)`` one row per entry.
        segment_ids: ``(E,)`` ints in ``[0, num_segments)``, any order.
        num_segments: number of output rows.
        indptr: optional hint, as PyG's ``ptr``: the ``(num_segments + 1,)`` CSR
            offsets of *sorted* ``segment_ids`` (``graph.indptr`` for
            ``graph.receivers``). Lets big inputs skip a sort; same result.

    Returns:
        ``(num_segments, ...)``; 0 for a segment with no entries.
    """
    data, segment_ids, num_segments, indptr = _check_segments(
        data, segment_ids, num_segments, indptr, count_bools=True
    )
    return _segment_sum(data, segment_ids, num_segments, indptr)


def _segment_sum(data, segment_ids, num_segments, indptr):
    """The body of ``segment_sum``, for callers in this module whose inputs are checked."""
    if _kernels.fast_sum(data):  # fast path for all but the smallest inputs: same float64 numbers
        return _kernels.segment_sum(data, segment_ids, num_segments, indptr)
    out = np.zeros((num_segments, *data.shape[1:]), dtype=data.dtype)
    np.add.at(out, segment_ids, data)  # out[segment_ids[e]] += data[e], for every e
    return out


def segment_max(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int, indptr: ArrayLike | None = None
) -> np.ndarray:
    r"""Max of the rows of ``data`` that share a segment id: ``(num_segments, ...)``.

    .. math:: \text{out}[k] = \max_{e : \text{segment\_ids}[e] = k} \text{data}[e]

    An empty segment gives 0 (as PyG's ``scatter(..., reduce="max")``), not -inf.
    Arguments as :func:`segment_sum`.
    """
    data, segment_ids, num_segments, indptr = _check_segments(
        data, segment_ids, num_segments, indptr
    )
    return _segment_max(data, segment_ids, num_segments, indptr)


def _segment_max(data, segment_ids, num_segments, indptr):
    """The body of ``segment_max``, for callers in this module whose inputs are checked."""
    if _kernels.fast_max(data, indptr):  # fast path for all but small inputs: same numbers
        return _kernels.segment_max(data, segment_ids, num_segments, indptr)
    out = np.full((num_segments, *data.shape[1:]), _lowest(data.dtype), dtype=data.dtype)
    np.maximum.at(out, segment_ids, data)  # out[segment_ids[e]] = max(out[...], data[e])
    out[np.bincount(segment_ids, minlength=num_segments) == 0] = 0  # empty segment: 0
    return out


def segment_mean(
    data: ArrayLike, segment_ids: ArrayLike, num_segments: int, indptr: ArrayLike | None = None
) -> np.ndarray:
    r"""Mean of the rows of ``data`` that share a segment id; 0 for an empty segment.

    .. math:: \text{out}[k] = \frac{1}{c_k} \sum_{e : \text{ids}[e] = k} \text{data}[e],
        \qquad c_k = |\{e : \text{ids}[e] = k\}|

    Arguments as :func:`segment_sum`; integer data gives a float64 mean.
    """
    total = segment_sum(data, segment_ids, num_segments, indptr)
    if total.dtype.kind != "f":
        total = total.astype(np.float64)
    count = np.bincount(as_index_array(segment_ids, "segment_ids"), minlength=num_segments)
    return total / np.maximum(count, 1).astype(total.dtype).reshape(-1, *[1] * (total.ndim - 1))


def segment_softmax(
    logits: ArrayLike,
    segment_ids: ArrayLike,
    num_segments: int,
    indptr: ArrayLike | None = None,
    *,
    check_input: bool = True,
) -> np.ndarray:
    r"""Softmax over the entries of each segment (over each receiver's incoming edges).

    .. math:: \alpha_e = \frac{\exp(e_e - m_k)}{\sum_{e' : \text{ids}[e'] = k} \exp(e_{e'} - m_k)},
       \qquad m_k = \max_{e' : \text{ids}[e'] = k} e_{e'},\ k = \text{ids}[e]

    Subtracting the segment's max ``m_k`` changes nothing mathematically but keeps
    ``exp`` from overflowing: logits of 1e4 are fine in float32 and float64.

    Args:
        logits: ``(E,)`` or ``(E, H)`` real scores; ``-inf`` means "masked out".
        segment_ids: ``(E,)`` ints in ``[0, num_segments)``, any order.
        num_segments: number of segments (nodes).
        indptr: optional CSR offsets of sorted ``segment_ids``, as PyG's
            ``softmax(src, index, ptr)``; e.g. ``graph.indptr``.
        check_input: ``False`` skips the checks, for callers whose logits they computed
            from checked arrays and whose ids and offsets are a ``Graph``'s
            (``graph_attention`` and ``gat_layer`` do: inputs are checked once, where
            they enter the package).

    Returns:
        ``alpha``, same shape and dtype as ``logits``, summing to 1 over every
        segment that has at least one finite logit (an all-masked segment gives 0).
    """
    if check_input:
        logits, segment_ids, num_segments, indptr = _check_logits(
            logits, segment_ids, num_segments, indptr
        )
    if logits.size >= _kernels.MIN_ELEMENTS:  # fast path for big inputs: same numbers
        return _kernels.segment_softmax(logits, segment_ids, num_segments, indptr)
    m = _segment_max(logits, segment_ids, num_segments, indptr)  # 1. the max of each segment
    m[~np.isfinite(m)] = 0  # (a segment of only -inf: keep exp(-inf - 0) = 0)
    e = np.exp(logits - m[segment_ids])  # 2. subtract it and exponentiate
    total = _segment_sum(e, segment_ids, num_segments, indptr)  # 3. sum each segment
    total[total == 0] = 1  # (nothing to attend to: weights 0, not 0/0)
    return e / total[segment_ids]  # and divide


def segment_softmax_backward(
    alpha: ArrayLike, d_alpha: ArrayLike, segment_ids: ArrayLike, num_segments: int
) -> np.ndarray:
    r"""Gradient of ``segment_softmax``: from :math:`\partial L / \partial \alpha` to the logits.

    .. math:: \frac{\partial L}{\partial e_e} = \alpha_e \Big(
        \frac{\partial L}{\partial \alpha_e}
        - \sum_{e' : \text{ids}[e'] = k} \alpha_{e'} \frac{\partial L}{\partial \alpha_{e'}}
        \Big), \qquad k = \text{ids}[e]

    a segment sum and a gather by the same ids. Masked (``-inf``) logits have
    :math:`\alpha_e = 0` and get gradient 0.

    Args:
        alpha: ``(E,)`` or ``(E, H)``, the output of ``segment_softmax``.
        d_alpha: the gradient of the loss with respect to ``alpha``, same shape.
        segment_ids, num_segments: as given to ``segment_softmax``.

    Returns:
        ``d_logits``, same shape as ``alpha``.
    """
    alpha = as_float_array(alpha, "alpha")
    d_alpha = as_float_array(d_alpha, "d_alpha")
    if d_alpha.shape != alpha.shape:
        raise ValueError(f"d_alpha has shape {d_alpha.shape} but alpha has {alpha.shape}")
    alpha, segment_ids, num_segments, _ = _check_segments(
        alpha, segment_ids, num_segments, None, "alpha"
    )
    total = _segment_sum(alpha * d_alpha, segment_ids, num_segments, None)  # sum each segment
    return alpha * (d_alpha - total[segment_ids])


def propagate(graph: Graph, messages: ArrayLike) -> np.ndarray:
    r"""Sum the incoming messages of every node: the aggregation step of message passing.

    .. math:: m_i = \sum_{j \in \mathcal{N}(i)} \text{messages}_{j \to i}

    Args:
        graph: a ``Graph``; ``messages`` follow its (sorted) edge order.
        messages: ``(E, ...)`` one message per edge, e.g. ``h[graph.senders]``.

    Returns:
        ``(num_nodes, ...)``; 0 at a node without incoming edges.
    """
    messages = _check_messages(graph, messages)
    return _segment_sum(messages, graph.receivers, graph.num_nodes, graph.indptr)  # the graph's ids


def neighbour_sum(graph: Graph, x: ArrayLike, *, reverse: bool = False) -> np.ndarray:
    r"""Sum each node's neighbours' rows: gather and ``propagate`` in one call, :math:`A x`.

    .. math:: \text{out}_i = \sum_{j \in \mathcal{N}(i)} x_j \qquad
        \Big(\texttt{reverse}:\ \text{out}_j = \sum_{i\,:\,j \in \mathcal{N}(i)} x_i,
        \ \text{i.e. } A^\top x\Big)

    The aggregation of a GNN layer, ``propagate(graph, x[graph.senders])``; with
    ``reverse=True`` the same on the reversed graph, ``segment_sum(x[graph.receivers],
    graph.senders, n)``: the backward of the gather ``x[graph.senders]`` after
    ``propagate_backward``. (Float64 sums over a graph of small degree -- the course's
    chains, trees and virtual nodes -- read ``x``'s rows directly, without the
    ``(E, d)`` gathered copy: the same numbers.)

    Args:
        graph: a ``Graph`` on ``n`` nodes.
        x: ``(n, ...)`` one row per node.
        reverse: sum over the nodes each node sends to instead (the reversed graph).

    Returns:
        ``(n, ...)``; 0 at a node without neighbours.
    """
    check_graph(graph)
    x, reverse = _one_row_per(x, "x", graph.num_nodes, "node"), as_flag(reverse, "reverse")
    x = x.astype(np.int64) if x.dtype == bool else x  # (sums count the Trues)
    n, layout = graph.num_nodes, _kernels.neighbour_layout(x, graph, reverse)
    if layout is not None:  # fast path: x's rows summed directly, the same numbers
        return _kernels.neighbour_sum(x, layout, n)
    if reverse:  # each edge j -> i carries x_i back to j: a sum at the senders
        return _segment_sum(x[graph.receivers], graph.senders, n, None)
    return _segment_sum(x[graph.senders], graph.receivers, n, graph.indptr)  # propagate(x[s])


def propagate_backward(graph: Graph, d_out: ArrayLike) -> np.ndarray:
    r"""Gradient of ``propagate``: each edge gets its receiver's gradient (a gather by receivers).

    .. math:: \frac{\partial L}{\partial\, \text{messages}_{j \to i}}
        = \frac{\partial L}{\partial m_i}

    ``propagate`` is ``A``-times (a sum over receivers); its backward is the transpose,
    the gather ``d_out[graph.receivers]``. The other half of message passing runs
    the other way: the backward of the gather ``h[graph.senders]`` is a segment sum
    over senders, ``segment_sum(d_messages, graph.senders, n)`` -- that is
    ``propagate`` on the reversed graph (``reverse_graph``), every edge turned round.

    Args:
        graph: the ``Graph`` given to ``propagate``.
        d_out: ``(num_nodes, ...)`` the gradient of the loss with respect to its output.

    Returns:
        ``d_messages: (E, ...)``, in the graph's edge order.
    """
    check_graph(graph)
    d_out = _one_row_per(d_out, "d_out", graph.num_nodes, "node (the output of propagate)")
    return d_out[graph.receivers]


def hop_distance(graph: Graph, max_layers: int | None = None) -> np.ndarray:
    r"""The fewest layers of message passing after which node j can influence node i.

    .. math:: \text{hops}_{ij} = \min \{\, L \ge 0 : \big[(A + I)^L\big]_{ij} > 0 \,\}

    computed as message passing itself: start from one-hot features (every node has
    heard only itself) and propagate them, ``heard = heard + propagate(graph,
    heard[senders])``, once per layer; ``hops[i, j]`` is the first layer at which
    ``heard[i, j] > 0``. Notebook 06 writes it by hand.

    Args:
        graph: a ``Graph`` on ``n`` nodes (edges j -> i: information flows from j to i).
        max_layers: stop after this many layers (default ``n``: every reachable pair).

    Returns:
        ``(n, n)`` int64; ``-1`` where j cannot reach i within ``max_layers``.
    """
    check_graph(graph)
    n = graph.num_nodes
    max_layers = n if max_layers is None else as_count(max_layers, "max_layers")
    hops = np.where(np.eye(n, dtype=bool), 0, -1).astype(np.int64)
    heard = np.eye(n)  # heard[i, j] > 0: i has heard from j
    for L in range(1, max_layers + 1):
        heard = heard + propagate(graph, heard[graph.senders])  # (A + I) @ heard
        hops[(heard > 0) & (hops < 0)] = L
    return hops


def influence(run, h: ArrayLike, target: int, *, nudge: float = 1.0, tol: float = 1e-9):
    r"""Which nodes can move node ``target``'s output: reach, measured by experiment.

    .. math:: \text{moved}_j = \big\lVert f(h + \delta e_j)_\text{target}
        - f(h)_\text{target} \big\rVert_\infty > \text{tol}

    where :math:`f` = ``run`` (e.g. ``L`` layers on a graph) and :math:`h + \delta e_j`
    adds ``nudge`` to every feature of node ``j``. Where ``hop_distance`` says which
    nodes *can* reach ``target`` after ``L`` layers, this checks that a model *does*
    carry their information there (a ReLU that outputs 0 could hide a path).

    Args:
        run: a function of the node features ``(n, d) -> (n, d')``.
        h: ``(n, d)`` node features.
        target: the node whose output is watched.
        nudge: how much is added to each feature of the nudged node.
        tol: the smallest change that counts.

    Returns:
        ``(n,)`` bool: ``moved[j]`` is True when nudging node ``j`` changes ``run(h)[target]``.
    """
    h = as_float_array(h, "h")
    if h.ndim != 2:
        raise ValueError(f"h must be (num_nodes, d), got shape {h.shape}")
    n = h.shape[0]
    if isinstance(target, bool | np.bool_) or not isinstance(target, int | np.integer):
        raise TypeError(f"target must be a node index in [0, {n}) (an int), got {target!r}")
    if not 0 <= target < n:
        raise ValueError(f"target must be a node index in [0, {n}), got {target!r}")
    out = np.asarray(run(h))
    if out.ndim < 1 or out.shape[0] != n:
        raise ValueError(
            f"run(h) must give one row per node, ({n}, ...) for h of shape {h.shape}; "
            f"got shape {out.shape}"
        )
    base = out[target]
    moved = np.zeros(n, dtype=bool)
    for j in range(n):
        nudged = h.copy()
        nudged[j] += nudge  # nudge node j only
        moved[j] = np.abs(np.asarray(run(nudged))[target] - base).max() > tol
    return moved


# --------------------------------------------------------------------------- input checks


def _lowest(dtype: np.dtype):
    """The smallest value of ``dtype``: where a running maximum starts."""
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _check_segments(
    data, segment_ids, num_segments, indptr, data_name: str = "data", count_bools: bool = False
):
    """Validate a (data, ids, n, indptr) quadruple; return it as arrays and an int.

    ``count_bools``: boolean data becomes int64, so that a sum counts the Trues.
    """
    __tracebackhide__ = True
    num_segments = as_count(num_segments, "num_segments")
    ids = as_index_array(segment_ids, "segment_ids")
    data = np.asarray(data)
    if data.ndim == 0 or data.shape[0] != ids.shape[0]:
        raise ValueError(
            f"{data_name} has shape {data.shape} but segment_ids has {ids.shape[0]} entries; "
            f"{data_name} needs one row per entry"
        )
    if count_bools and data.dtype == bool:
        data = data.astype(np.int64)
    # One pass for both bounds: seen as unsigned, a negative id is huge (two's complement).
    if ids.size and ids.view(np.uint64).max() >= num_segments:
        check_range(ids, "segment_ids", num_segments, f"num_segments={num_segments}")
    if indptr is not None:
        indptr = as_index_array(indptr, "indptr")
        if indptr.shape != (num_segments + 1,) or indptr[-1] != ids.shape[0]:
            raise ValueError(
                f"indptr has shape {indptr.shape} (ends at {indptr[-1] if indptr.size else None})"
                f" but must be the ({num_segments + 1},) CSR offsets of {ids.shape[0]} sorted "
                f"segment_ids, e.g. graph.indptr"
            )
    return data, ids, num_segments, indptr


def _check_logits(logits, segment_ids, num_segments, indptr):
    __tracebackhide__ = True
    logits = as_float_array(logits, "logits", finite=False)
    if logits.ndim not in (1, 2):
        raise ValueError(f"logits must be (E,) or (E, H), got shape {logits.shape}")
    if not no_nan_or_plus_inf(logits):
        raise ValueError(f"logits contains NaN or +inf (shape {logits.shape})")
    return _check_segments(logits, segment_ids, num_segments, indptr, "logits")


def _check_messages(graph, messages) -> np.ndarray:
    __tracebackhide__ = True
    check_graph(graph)
    messages = _one_row_per(messages, "messages", graph.num_edges, "edge")
    return messages.astype(np.int64) if messages.dtype == bool else messages  # sums count Trues


def _one_row_per(x, name: str, rows: int, what: str) -> np.ndarray:
    """``x`` as an array with one row per ``what`` of the graph (``rows`` of them)."""
    __tracebackhide__ = True
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[0] != rows:
        unit = what.split()[0]
        raise ValueError(
            f"{name} has shape {x.shape} but the graph has {rows} {unit}s; "
            f"{name} needs one row per {what}"
        )
    return x
