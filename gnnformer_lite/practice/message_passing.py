"""Checks of the message-passing blanks (notebooks 02, 03, 07).

The segment softmax and the segment mean, and the two halves of message passing run
backwards: the gradient of the sum over receivers (``propagate``) and of the gather by
senders.
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph
from ..message_passing import (
    propagate,
    propagate_backward,
    segment_max,
    segment_mean,
    segment_softmax,
    segment_sum,
)
from .cases import star_graph, toy_graph, uneven_graph
from .harness import run_check

__all__ = [
    "check_gather_backward",
    "check_propagate_backward",
    "check_segment_mean",
    "check_segment_softmax",
]

BLANKS = {
    "my_segment_mean": {
        "task": "the mean of the rows of data that share a segment id (0 for a segment without "
        "rows)",
        "equation": "out[k] = sum_{e: ids[e] = k} data[e] / max(c_k, 1), c_k = #{e : ids[e] = k}",
    },
    "my_segment_softmax": {
        "task": "the softmax of each receiver's incoming edges, its largest logit subtracted first",
        "equation": "alpha_e = exp(e_e - m_i) / sum_{e': receivers[e'] = i} exp(e_e' - m_i), "
        "m_i = max_{e': receivers[e'] = i} e_e', i = receivers[e]",
    },
    "my_propagate_backward": {
        "task": "the gradient of gl.propagate's messages: each edge j -> i gets the gradient of "
        "its receiver i",
        "equation": "d_messages[e] = d_out[receivers[e]]   (a gather by receivers)",
    },
    "my_gather_backward": {
        "task": "the gradient of the gather h[senders]: each node j adds up the gradients of the "
        "edges it sends",
        "equation": "d_h[j] = sum_{e: senders[e] = j} d_x[e]   (a segment sum over senders)",
    },
}


# --- segment softmax ---------------------------------------------------------------------


def _softmax_cases() -> list:
    star = star_graph()
    small = np.array([2.0, 2.0, 3.0, -0.2, 1.0, 0.4, 0.0, 1.0, -0.4, 0.2])[: star.num_edges]
    g = uneven_graph(0)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=g.num_edges)
    order = rng.permutation(g.num_edges)  # the same edges, given in another order
    apart = np.where(g.receivers % 2 == 0, 1000.0, -1000.0) + logits  # two receivers far apart
    return [
        ("the star of 'sat': 4 nodes, 10 edges", (small, star.receivers, 4)),
        ("the same logits + 1000: exp overflows", (small + 1000.0, star.receivers, 4)),
        ("the same logits - 1000: exp underflows", (small - 1000.0, star.receivers, 4)),
        (
            f"a random graph: {g.num_nodes} nodes, in-degrees {g.in_degree.tolist()}",
            (logits, g.receivers, g.num_nodes),
        ),  # fmt: skip
        ("the same edges in another order", (logits[order], g.receivers[order], g.num_nodes)),
        (
            "two heads, logits of shape (E, 2)",
            (np.c_[logits, -2 * logits], g.receivers, g.num_nodes),
        ),
        ("receivers near +1000 and near -1000", (apart, g.receivers, g.num_nodes)),
        ("float32 logits + 100", ((small + 100).astype(np.float32), star.receivers, 4)),
        (  # the max subtracted, not any other value: exp(900) overflows
            "one receiver's logits 0 and 900: only its largest makes every exponent <= 0",
            (np.array([0.0, 900.0, 1.0]), np.array([0, 0, 1]), 2),
        ),
    ]


def _naive(logits, receivers, num_nodes):
    ex = np.exp(logits)
    return ex / segment_sum(ex, receivers, num_nodes)[receivers]


def _smallest(logits, receivers, num_nodes):
    m = -segment_max(-logits, receivers, num_nodes)  # each receiver's smallest logit
    ex = np.exp(logits - m[receivers])
    return ex / segment_sum(ex, receivers, num_nodes)[receivers]


def _global_max(logits, receivers, num_nodes):
    ex = np.exp(logits - logits.max(axis=0))
    return ex / segment_sum(ex, receivers, num_nodes)[receivers]


def _whole_graph(logits, receivers, num_nodes):
    ex = np.exp(logits - segment_max(logits, receivers, num_nodes)[receivers])
    return ex / ex.sum(axis=0)


def _no_gather(logits, receivers, num_nodes):
    m = segment_max(logits, receivers, num_nodes)
    ex = np.exp(logits - m[receivers])
    return ex / segment_sum(ex, receivers, num_nodes)


def _over_heads(logits, receivers, num_nodes):
    if np.ndim(logits) == 1:  # one head: a sum over the last axis is the whole graph's, above
        return segment_softmax(logits, receivers, num_nodes)
    m = segment_max(logits, receivers, num_nodes)
    ex = np.exp(logits - m[receivers])
    return ex / ex.sum(axis=-1, keepdims=True)


SOFTMAX_MISTAKES = [
    (
        "each receiver's smallest logit subtracted, not its largest",
        "Any shift cancels in the ratio, but only the largest keeps every exponent <= 0: with\n"
        "logits 0 and 900, exp(900 - 0) overflows. m = gl.segment_max(logits, receivers, n).",
        _smallest,
    ),
    (
        "no max subtracted, so exp overflows (or underflows) at large logits",
        "exp(1000) is inf in float64 and inf / inf is NaN; exp(-1000) is 0 and 0 / 0 is NaN.\n"
        "Subtract each receiver's largest logit first: m = gl.segment_max(logits, receivers, n),\n"
        "then exp(logits - m[receivers]): every exponent <= 0, at least one exactly 0.",
        _naive,
    ),
    (
        "one max over all edges instead of each receiver's own",
        "logits.max() is the largest score of the whole graph: a receiver whose scores are all\n"
        "far below it gets exp(...) = 0 for every edge and 0 / 0 = NaN. Take the max per\n"
        "segment: gl.segment_max(logits, receivers, num_nodes), gathered with [receivers].",
        _global_max,
    ),
    (
        "the sum over all edges instead of each receiver's incoming edges",
        "ex.sum() normalises the whole graph at once: the weights of one receiver no longer sum\n"
        "to 1. Sum per receiver with gl.segment_sum(ex, receivers, num_nodes).",
        _whole_graph,
    ),
    (
        "the receiver's sum not gathered back onto its edges",
        "gl.segment_sum gives one total per node, shape (num_nodes, ...); the division needs one\n"
        "per edge: total[receivers].",
        _no_gather,
    ),
    (
        "the softmax taken over the heads axis instead of over each receiver's edges",
        "With logits of shape (E, H) each head has its own softmax over the edges: sum over\n"
        "the edges of a receiver (gl.segment_sum), not over the last axis.",
        _over_heads,
    ),
]


def check_segment_softmax(fn) -> None:
    """Check ``fn(logits, receivers, num_nodes)`` against ``gl.segment_softmax``."""
    __tracebackhide__ = True
    run_check(
        "segment_softmax",
        fn,
        _softmax_cases(),
        segment_softmax,
        "gl.segment_softmax",
        SOFTMAX_MISTAKES,
        same_dtype=True,
    )


# --- the segment mean (notebook 02) -----------------------------------------------------


def _mean_cases() -> list:
    data = np.array([1.0, 3.0, 2.0, 4.0, 9.0])
    g = uneven_graph(2)
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(g.num_edges, 3))
    order = rng.permutation(g.num_edges)
    heads = rng.normal(size=(g.num_edges, 2, 3))
    degrees = g.in_degree.tolist()
    return [
        ("5 numbers in 3 segments", (data, np.array([0, 0, 1, 2, 2]), 3)),
        (
            "segment 1 and the last segment, 3, are empty: their mean is 0",
            (data, np.array([0, 0, 2, 2, 2]), 4),
        ),
        (
            "integer data: the mean is a float",
            (np.array([1, 2, 4, 4, 7]), np.array([0, 0, 1, 2, 2]), 3),
        ),
        (
            f"rows of 3 features, the edges of a random graph, in-degrees {degrees}",
            (rows, g.receivers, g.num_nodes),
        ),
        ("the same rows in another order", (rows[order], g.receivers[order], g.num_nodes)),
        ("data of shape (E, 2, 3): two heads", (heads, g.receivers, g.num_nodes)),
        ("float32 data", (rows.astype(np.float32), g.receivers, g.num_nodes)),
    ]


def _sum_and_count(data, segment_ids, num_segments, minlength=True):
    total = segment_sum(data, segment_ids, num_segments)
    total = total if total.dtype.kind == "f" else total.astype(np.float64)
    count = np.bincount(segment_ids, minlength=num_segments if minlength else 0)
    return total, count


def _per_row(count, total):
    """The counts shaped (num_segments, 1, ...) to divide the rows of ``total``."""
    return count.reshape(-1, *[1] * (total.ndim - 1))


def _mean_nan(data, segment_ids, num_segments):
    total, count = _sum_and_count(data, segment_ids, num_segments)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / _per_row(count, total)


def _mean_last_axis(data, segment_ids, num_segments):
    total, count = _sum_and_count(data, segment_ids, num_segments)
    return total / np.maximum(count, 1)  # (n, d) / (n,): lines up with the last axis


def _mean_short_count(data, segment_ids, num_segments):
    total, count = _sum_and_count(data, segment_ids, num_segments, minlength=False)
    return total / _per_row(np.maximum(count, 1), total)


def _mean_is_sum(data, segment_ids, num_segments):
    return _sum_and_count(data, segment_ids, num_segments)[0]


def _mean_over_all(data, segment_ids, num_segments):
    return _sum_and_count(data, segment_ids, num_segments)[0] / len(segment_ids)


def _mean_truncated(data, segment_ids, num_segments):
    return segment_mean(data, segment_ids, num_segments).astype(np.asarray(data).dtype)


MEAN_MISTAKES = [
    (
        "an empty segment gives NaN (0 / 0)",
        "A segment without rows (a node with no incoming edge) has count 0: divide by\n"
        "np.maximum(count, 1), so that its mean is 0 / 1 = 0.",
        _mean_nan,
    ),
    (
        "the counts divided along the last axis instead of along the rows",
        "count has shape (num_segments,); for data of shape (E, d) divide by count[:, None]\n"
        "(in general count.reshape(-1, *[1] * (total.ndim - 1))), one count per row.",
        _mean_last_axis,
    ),
    (
        "np.bincount(segment_ids) without minlength=num_segments",
        "np.bincount stops at the largest id that occurs: with empty segments at the end it is\n"
        "too short. np.bincount(segment_ids, minlength=num_segments) has one count per segment.",
        _mean_short_count,
    ),
    (
        "the sum, not the mean: the division by the count forgotten",
        "Divide each segment's sum by its number of rows c_k (at least 1).",
        _mean_is_sum,
    ),
    (
        "divided by the number of all rows instead of each segment's own count",
        "len(segment_ids) counts every row; each segment needs its own count,\n"
        "np.bincount(segment_ids, minlength=num_segments).",
        _mean_over_all,
    ),
    (
        "the mean truncated to an integer (an integer output array, or //)",
        "The mean of integers is not an integer: divide with / into a float array, e.g.\n"
        "total / count with total = gl.segment_sum(...) (an int array divides into floats).",
        _mean_truncated,
    ),
]


def check_segment_mean(fn) -> None:
    """Check ``fn(data, segment_ids, num_segments)`` against ``gl.segment_mean``."""
    __tracebackhide__ = True
    run_check("segment_mean", fn, _mean_cases(), segment_mean, "gl.segment_mean", MEAN_MISTAKES)


# --- message passing backwards (notebook 07) ---------------------------------------------


def _backward_cases(per: str) -> list:
    """Cases ``(graph, gradient)`` with one gradient row per node (``per="node"``) or edge."""
    toy, g = toy_graph(), uneven_graph(3)
    rows = {"node": (toy.num_nodes, g.num_nodes), "edge": (toy.num_edges, g.num_edges)}[per]
    small = np.arange(1.0, 2 * rows[0] + 1).reshape(rows[0], 2) ** 2 % 11  # small, all different
    rng = np.random.default_rng(8)
    return [
        ("notebook 07's toy graph: 4 nodes, the edge 0 -> 3 one way", (toy, small)),
        (
            f"a random graph: {g.num_nodes} nodes, in-degrees {g.in_degree.tolist()}, "
            f"out-degrees {np.bincount(g.senders, minlength=g.num_nodes).tolist()}",
            (g, rng.normal(size=(rows[1], 3))),
        ),
        (f"one number per {per}: shape ({rows[1]},)", (g, rng.normal(size=rows[1]))),
        (f"two heads: shape ({rows[1]}, 2, 3)", (g, rng.normal(size=(rows[1], 2, 3)))),
        ("float32", (g, rng.normal(size=(rows[1], 3)).astype(np.float32))),
        ("a graph without edges", (Graph([], [], 3), np.ones((3 if per == "node" else 0, 2)))),
    ]


def _pb_by_senders(graph, d_out):
    return np.asarray(d_out)[graph.senders]


def _pb_divided(graph, d_out):
    d_out = np.asarray(d_out)
    degree = np.maximum(graph.in_degree, 1).reshape(-1, *[1] * (d_out.ndim - 1))
    return (d_out / degree)[graph.receivers]


def _pb_too_far(graph, d_out):
    return segment_sum(np.asarray(d_out)[graph.receivers], graph.senders, graph.num_nodes)


def _pb_forward_again(graph, d_out):
    return propagate(graph, np.asarray(d_out)[graph.senders])  # A @ d_out


def _pb_unchanged(graph, d_out):
    return np.array(d_out)


PROPAGATE_BACKWARD_MISTAKES = [
    (
        "gathered by senders instead of receivers",
        "propagate adds each edge j -> i into its receiver i, so the edge's gradient is its\n"
        "receiver's: d_out[graph.receivers].",
        _pb_by_senders,
    ),
    (
        "the gradient split among the edges: divided by the receiver's in-degree",
        "The backward of a sum is a copy: every edge into i gets all of d_out[i], undivided\n"
        "(a division by the in-degree would be the backward of a mean).",
        _pb_divided,
    ),
    (
        "one step too far: the edge gradients also summed over senders",
        "Return one row per edge, d_out[graph.receivers]; adding them up at the senders is the\n"
        "gradient of the gather (the next blank, my_gather_backward).",
        _pb_too_far,
    ),
    (
        "the forward sum applied again (A @ d_out) instead of a gather",
        "The backward of a sum over receivers is a copy for each edge: d_out[graph.receivers],\n"
        "one row per edge (E rows), not a new sum per node.",
        _pb_forward_again,
    ),
    (
        "d_out returned as it is: one row per node instead of one per edge",
        "The messages have one row per edge: give each edge its receiver's row,\n"
        "d_out[graph.receivers].",
        _pb_unchanged,
    ),
]


def _gb_by_receivers(graph, d_x):
    return segment_sum(d_x, graph.receivers, graph.num_nodes)


def _gb_fancy_add(graph, d_x):
    d_x = np.asarray(d_x)
    out = np.zeros((graph.num_nodes, *d_x.shape[1:]), dtype=d_x.dtype)
    out[graph.senders] += d_x  # a repeated sender: only one of its edges is added
    return out


def _gb_mean(graph, d_x):
    return segment_mean(d_x, graph.senders, graph.num_nodes)


def _gb_too_short(graph, d_x):
    return segment_sum(d_x, graph.senders, int(graph.senders.max(initial=-1)) + 1)


def _gather_backward(graph, d_x):
    return segment_sum(d_x, graph.senders, graph.num_nodes)


GATHER_BACKWARD_MISTAKES = [
    (
        "the gradient of the gather summed over receivers instead of senders",
        "The gather h[graph.senders] copies h_j onto every edge j sends, so h_j's gradient adds\n"
        "up those edges: gl.segment_sum(d_x, graph.senders, graph.num_nodes).",
        _gb_by_receivers,
    ),
    (
        "out[graph.senders] += d_x: a node that sends several edges gets only one of them",
        "With repeated indices, out[idx] += x adds once per distinct index (the last value\n"
        "wins). Use np.add.at(out, graph.senders, d_x) or gl.segment_sum(d_x, graph.senders, n).",
        _gb_fancy_add,
    ),
    (
        "the mean over each sender's edges instead of their sum",
        "Every copy of h_j contributes its whole gradient: add them up, do not divide by the\n"
        "number of edges that j sends.",
        _gb_mean,
    ),
    (
        "max(senders) + 1 rows instead of num_nodes: a node that sends nothing has no row",
        "The gradient has one row per node, graph.num_nodes of them (0 for a node that sends\n"
        "nothing): gl.segment_sum(d_x, graph.senders, graph.num_nodes).",
        _gb_too_short,
    ),
]


def check_propagate_backward(fn) -> None:
    """Check ``fn(graph, d_out)`` against ``gl.propagate_backward``."""
    __tracebackhide__ = True
    run_check(
        "propagate_backward",
        fn,
        _backward_cases("node"),
        propagate_backward,
        "gl.propagate_backward",
        PROPAGATE_BACKWARD_MISTAKES,
        same_dtype=True,
    )


def check_gather_backward(fn) -> None:
    """Check ``fn(graph, d_x)`` against ``gl.segment_sum(d_x, graph.senders, graph.num_nodes)``."""
    __tracebackhide__ = True
    run_check(
        "gather_backward",
        fn,
        _backward_cases("edge"),
        _gather_backward,
        "gl.segment_sum(d_x, graph.senders, graph.num_nodes)",
        GATHER_BACKWARD_MISTAKES,
    )
