"""The checks of the message-passing blanks (``gl.practice.message_passing``): segment softmax
and mean, the backward of propagate and of the gather.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused
from practice_solutions import my_segment_softmax

import gnnformer_lite as gl
from gnnformer_lite.practice import message_passing as practice
from gnnformer_lite.practice.message_passing import (
    GATHER_BACKWARD_MISTAKES,
    MEAN_MISTAKES,
    PROPAGATE_BACKWARD_MISTAKES,
    SOFTMAX_MISTAKES,
)

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


@passes("segment_mean", "7 cases agree with gl.segment_mean")
def my_segment_mean(data, segment_ids, num_segments):
    total = gl.segment_sum(data, segment_ids, num_segments)
    count = np.bincount(segment_ids, minlength=num_segments)
    return total / np.maximum(count, 1).reshape(-1, *[1] * (total.ndim - 1))


@passes("propagate_backward", "6 cases agree with gl.propagate_backward")
def my_propagate_backward(graph, d_out):
    return d_out[graph.receivers]


@passes("propagate_backward", "6 cases agree with gl.propagate_backward")
def my_propagate_backward_repeat(graph, d_out):
    return np.repeat(d_out, graph.in_degree, axis=0)  # edges are sorted by receiver


@passes("gather_backward", "6 cases agree with gl.segment_sum(d_x, graph.senders, graph.num_nodes)")
def my_gather_backward(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]), dtype=d_x.dtype)
    np.add.at(d_h, graph.senders, d_x)
    return d_h


# --- mistakes written by hand, the way a learner makes them ------------------------------------


@named_as("segment_mean", "an empty segment gives NaN (0 / 0)")
def mean_by_loop(data, segment_ids, num_segments):
    return np.array([data[segment_ids == k].mean(axis=0) for k in range(num_segments)])


@named_as("segment_mean", "the counts divided along the last axis")
def mean_counts_unshaped(data, segment_ids, num_segments):
    out = np.zeros((num_segments, *np.shape(data)[1:]))
    np.add.at(out, segment_ids, data)
    return out / np.maximum(np.bincount(segment_ids, minlength=num_segments), 1)


@named_as("segment_mean", "the sum, not the mean")
def mean_forgot_division(data, segment_ids, num_segments):
    out = np.zeros((num_segments, *np.shape(data)[1:]))
    np.add.at(out, segment_ids, data)
    return out


@named_as("segment_softmax", "no max subtracted")
def softmax_by_loop(logits, receivers, num_nodes):
    out = np.zeros_like(logits)
    for i in range(num_nodes):
        mine = receivers == i
        ex = np.exp(logits[mine])  # no max subtracted
        out[mine] = ex / ex.sum(axis=0)
    return out


@named_as("propagate_backward", "gathered by senders")
def backward_by_senders_loop(graph, d_out):
    return np.stack([d_out[j] for j in graph.senders])


@named_as("propagate_backward", "the forward sum applied again")
def backward_through_adjacency(graph, d_out):
    return graph.adjacency() @ d_out


@named_as("gather_backward", "the gradient of the gather summed")
def gather_backward_by_receivers_loop(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]))
    for e in range(graph.num_edges):
        d_h[graph.receivers[e]] += d_x[e]
    return d_h


@named_as("gather_backward", "out[graph.senders] += d_x")
def gather_backward_fancy_assignment(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]))
    d_h[graph.senders] = d_h[graph.senders] + d_x
    return d_h


@named_as("gather_backward", "max(senders) + 1 rows instead of")
def gather_backward_bincount(graph, d_x):
    if d_x.ndim == 1:
        return np.bincount(graph.senders, weights=d_x)
    return np.stack(
        [np.bincount(graph.senders, weights=column) for column in d_x.reshape(len(d_x), -1).T],
        axis=1,
    ).reshape(-1, *d_x.shape[1:])


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("propagate_backward", "your function changed its argument number 2 in place")
def propagate_backward_in_place(graph, d_out):
    d_out -= 0  # harmless, but d_out += ... would not be
    out = d_out[graph.receivers]
    d_out *= 2
    return out


@refused("segment_mean", "it returned shape (2,), expected (3,)")
def segment_mean_one_short(d, ids, n):
    return my_segment_mean(d, ids, n)[:-1]


@refused("propagate_backward", "it returned shape (4, 2), expected (7, 2)")
def propagate_backward_per_node(graph, d_out):
    return d_out


@refused("gather_backward", "it returned None: did you forget the `return`?")
def gather_backward_without_return(graph, d_x):
    return None


@refused(
    "segment_softmax", "it should return an array of shape (10,), but returned a list of length 10"
)
def segment_softmax_as_a_list(logits, receivers, num_nodes):
    return list(logits)


class TestChecks(CheckSuite):
    catalogues = {
        "segment_softmax": SOFTMAX_MISTAKES,
        "segment_mean": MEAN_MISTAKES,
        "propagate_backward": PROPAGATE_BACKWARD_MISTAKES,
        "gather_backward": GATHER_BACKWARD_MISTAKES,
    }


def test_a_float32_softmax_must_stay_float32():
    def float64(logits, receivers, num_nodes):
        return my_segment_softmax(logits.astype(np.float64), receivers, num_nodes)

    first = first_line(practice.check_segment_softmax, float64)
    assert "case 8 of 9 (float32 logits + 100)" in first
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")
