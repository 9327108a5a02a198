"""The checks of the graph attention blanks (``gl.practice.gat``): GAT's scores and layer.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection
from practice_solutions import my_segment_softmax

import gnnformer_lite as gl
from gnnformer_lite.practice import gat as practice
from gnnformer_lite.practice.gat import GAT_LAYER_MISTAKES, GAT_SCORES_MISTAKES

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


@passes("gat_scores", "4 cases agree with the scores inside gl.gat_layer")
def my_gat_scores(params, h, graph):
    n = h.shape[0]
    H, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, params["a_src"])
    s_dst = np.einsum("nhd,hd->nh", z, params["a_dst"])
    x = s_src[graph.senders] + s_dst[graph.receivers]
    return np.where(x > 0, x, 0.2 * x)


@passes("gat_layer", "6 cases agree with gl.gat_layer(..., return_attention=True)")
def my_gat_layer(params, h, graph, activation=None, concat=True):
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)
    e = my_gat_scores(params, h, graph)
    alpha = my_segment_softmax(e, graph.receivers, n)
    out = gl.segment_sum(alpha[:, :, None] * z[graph.senders], graph.receivers, n)
    out = out.reshape(n, num_heads * d_out) if concat else out.mean(axis=1)
    out = out + params["b"]
    return (out if activation is None else activation(out)), alpha


# --- mistakes written by hand, the way a learner makes them ------------------------------------


@named_as("gat_scores", "negative slope 0.01")
def scores_torch_slope(params, h, graph):
    n, (H, d) = len(h), params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d)
    x = (z[graph.senders] * params["a_src"]).sum(-1) + (z[graph.receivers] * params["a_dst"]).sum(
        -1
    )
    return np.maximum(x, 0.01 * x)


@named_as("gat_scores", "heads split in the wrong order")
def scores_strided_heads(params, h, graph):
    H = params["a_src"].shape[0]
    hw = h @ params["W"]
    z = np.stack([hw[:, k::H] for k in range(H)], axis=1)  # head k: every H-th column
    x = (z[graph.senders] * params["a_src"]).sum(-1) + (z[graph.receivers] * params["a_dst"]).sum(
        -1
    )
    return gl.leaky_relu(x)


@named_as("gat_scores", "a_src and a_dst swapped")
def scores_paper_halves_swapped(params, h, graph):
    n, (H, d) = len(h), params["a_src"].shape
    z = (h @ params["W"]).reshape(n, H, d)
    pairs = np.concatenate([z[graph.senders], z[graph.receivers]], axis=-1)  # [z_j || z_i]
    a = np.concatenate([params["a_dst"], params["a_src"]], axis=-1)  # the paper's [a_dst || a_src]
    return gl.leaky_relu((pairs * a).sum(-1))


@named_as("gat_layer", "the softmax over each sender's outgoing edges")
def gat_softmax_by_senders(params, h, graph, activation=None, concat=True):
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)
    alpha = gl.segment_softmax(my_gat_scores(params, h, graph), graph.senders, n)
    out = gl.propagate(graph, alpha[..., None] * z[graph.senders])
    out = out.reshape(n, -1) if concat else out.mean(axis=1)
    return (out + params["b"] if activation is None else activation(out + params["b"])), alpha


@named_as("gat_layer", "the bias added after the activation")
def gat_bias_last(params, h, graph, activation=None, concat=True):
    out, alpha = my_gat_layer({**params, "b": 0 * params["b"]}, h, graph, activation, concat)
    return out + params["b"], alpha


@named_as("gat_layer", "the heads summed instead of averaged")
def gat_heads_added(params, h, graph, activation=None, concat=True):
    if concat:
        return my_gat_layer(params, h, graph, activation, concat)
    num_heads = params["a_src"].shape[0]
    out, alpha = my_gat_layer({**params, "b": 0 * params["b"]}, h, graph, None, concat)
    out = num_heads * out + params["b"]  # the mean of the heads times H: their sum
    return (out if activation is None else activation(out)), alpha


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "gat_layer",
    "it should return a tuple of 2 values, but returned an ndarray of shape (4, 2) and dtype "
    "float64",
)
def gat_layer_without_alpha(*args):
    return my_gat_layer(*args)[0]


@refused("gat_scores", "it returned shape (10,), expected (10, 1)")
def gat_scores_of_head_0(*args):
    return my_gat_scores(*args)[:, 0]


class TestChecks(CheckSuite):
    catalogues = {"gat_scores": GAT_SCORES_MISTAKES, "gat_layer": GAT_LAYER_MISTAKES}


def test_softmax_over_senders_is_the_first_mistake_of_the_gat_layer():
    names = [name for name, _, _ in GAT_LAYER_MISTAKES]
    assert names[0].startswith("the softmax over each sender's outgoing edges")


def test_the_message_shows_the_smallest_input_with_the_learners_names():
    message = rejection(practice.check_gat_layer, gat_softmax_by_senders)
    first = message.splitlines()[0]
    assert first.startswith("✘ gat_layer, case 1 of 6 (notebook 03's star around 'sat'")
    assert "in the returned value number 1, the entries differ, first at entry [0, 0]" in first
    assert "    params =\n" in message and "    graph =\n" in message
    assert "Graph(num_nodes=4, num_edges=10): edges 0 -> 0, 1 -> 0, 2 -> 0, 3 -> 0" in message


def test_a_float32_gat_layer_must_stay_float32():
    def float64(*args):
        out, alpha = my_gat_layer(*args)
        return out.astype(np.float64), alpha.astype(np.float64)

    first = first_line(practice.check_gat_layer, float64)
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")
