"""Checks of the graph attention blanks (notebook 03): GAT's scores and the GAT layer.

Features are row vectors (``z = h @ W``), an edge j -> i is sender j, receiver i, and the
attention of a receiver is a softmax over its incoming edges.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ..gnn_layers import elu, gat_layer, init_gat_layer, leaky_relu
from ..graphs import add_self_loops
from ..message_passing import propagate, segment_softmax, segment_sum
from .cases import sentence_tree, star_graph, uneven_graph
from .harness import run_check

__all__ = ["check_gat_layer", "check_gat_scores"]

BLANKS = {
    "my_gat_scores": {
        "task": "GAT's scores, one per edge and head: project h, split the heads, score sender "
        "and receiver, LeakyReLU",
        "equation": "e_ij^k = LeakyReLU_0.2(a_src^k . z_j^k + a_dst^k . z_i^k), "
        "z = (h W).reshape(n, H, d_out)",
    },
    "my_gat_layer": {
        "task": "a GAT layer: scores, softmax over each receiver's edges, sum of alpha_ij z_j, "
        "heads joined (or averaged), + b, activation; return (h', alpha)",
        "equation": "h'_i = act(||_k sum_{j in N(i)} alpha_ij^k z_j^k + b), "
        "alpha_ij^k = softmax_{j in N(i)} e_ij^k",
    },
}


# --- GAT: scores and layer (notebook 03) -----------------------------------------------------


def _gat_params(seed: int, d_in: int, d_out: int, num_heads: int, concat=True, dtype=np.float64):
    """``gl.init_gat_layer``'s weights and a random bias (its zeros would hide a forgotten b)."""
    rng = np.random.default_rng(seed)
    params = init_gat_layer(rng, d_in, d_out, num_heads, concat, dtype=dtype)
    return {**params, "b": rng.normal(size=params["b"].shape).astype(dtype)}


def _star_params() -> tuple[dict, np.ndarray]:
    """Notebook 03's hand example: W = I, a_src = (1, 1), a_dst = (1, 0), and a bias."""
    params = {
        "W": np.eye(2),
        "a_src": np.array([[1.0, 1.0]]),
        "a_dst": np.array([[1.0, 0.0]]),
        "b": np.array([0.5, -1.0]),
    }
    z = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])  # sat, cat, mat, tired
    return params, z


def _gat_inputs():
    star, tree, g = star_graph(), sentence_tree(self_loops=True), uneven_graph(4)
    rng = np.random.default_rng(9)
    h_tree, h = rng.normal(size=(tree.num_nodes, 5)), rng.normal(size=(g.num_nodes, 4))
    return star, tree, g, h_tree, h


def _gat_scores_cases() -> list:
    star, tree, g, h_tree, h = _gat_inputs()
    small, z = _star_params()
    p3 = _gat_params(11, 4, 2, 3)
    p32 = {key: value.astype(np.float32) for key, value in p3.items()}
    return [
        ("notebook 03's star around 'sat': W = I, one head", (small, z, star)),
        (
            "the sentence's tree with self loops: 10 words, d_in=5, d_out=3, one head",
            (_gat_params(10, 5, 3, 1), h_tree, tree),
        ),
        (
            f"3 heads of d_out=2 on a random graph, in-degrees {g.in_degree.tolist()}",
            (p3, h, g),
        ),
        ("float32 features and weights", (p32, h.astype(np.float32), g)),
    ]


def _gat_scores(params, h, graph):
    """The scores inside ``gl.gat_layer``, from its cache: LeakyReLU(s_src[j] + s_dst[i])."""
    cache = {}
    gat_layer(params, h, graph, activation=None, cache=cache)
    return leaky_relu(cache["s_src"][graph.senders] + cache["s_dst"][graph.receivers], 0.2)


def _scores(params, h, graph, *, swap=False, heads="right", slope=0.2, halves=False):
    """``(z, e)`` with hooks for the mistakes below (the defaults: the right computation)."""
    n, (H, d_out) = h.shape[0], params["a_src"].shape
    hw = h @ params["W"]
    if heads == "right":
        z = hw.reshape(n, H, d_out)  # column block k of h W is head k
    else:  # head k gets columns k, k + H, k + 2H, ...
        z = hw.reshape(n, d_out, H).transpose(0, 2, 1)
    a_src, a_dst = params["a_src"], params["a_dst"]
    if swap:
        a_src, a_dst = a_dst, a_src
    s_src, s_dst = (z * a_src).sum(axis=-1), (z * a_dst).sum(axis=-1)  # (n, H)
    if halves:
        return z, leaky_relu(s_src, slope)[graph.senders] + leaky_relu(s_dst, slope)[
            graph.receivers
        ]
    return z, leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], slope)


def _scores_mistake(params, h, graph, **wrong):
    return _scores(params, h, graph, **wrong)[1]


_SWAPPED = (
    "a_src and a_dst swapped (or senders and receivers)",
    "a_src scores the sender j and a_dst the receiver i of each edge j -> i:\n"
    "e_ij = LeakyReLU(a_src . z_j + a_dst . z_i): s_src[graph.senders] + s_dst[graph.receivers].",
)
_HEADS = (
    "heads split in the wrong order: head k took every H-th column of h W",
    "Head k is the k-th block of d_out columns of z = h W: z.reshape(n, H, d_out), not\n"
    "z.reshape(n, d_out, H) (that gives head k the columns k, k + H, k + 2H, ...).",
)

GAT_SCORES_MISTAKES = [
    (*_SWAPPED, partial(_scores_mistake, swap=True)),
    (*_HEADS, partial(_scores_mistake, heads="strided")),
    (
        "the LeakyReLU forgotten",
        "GAT's score is LeakyReLU_0.2 of the sum: negative sums are multiplied by 0.2,\n"
        "gl.leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], 0.2).",
        partial(_scores_mistake, slope=1.0),
    ),
    (
        "negative slope 0.01 (PyTorch's nn.LeakyReLU default) instead of GAT's 0.2",
        "GAT uses LeakyReLU with negative_slope=0.2 (as PyG's GATConv): gl.leaky_relu(x, 0.2).",
        partial(_scores_mistake, slope=0.01),
    ),
    (
        "ReLU instead of LeakyReLU: negative scores set to 0",
        "Negative sums are multiplied by 0.2, not cut to 0: gl.leaky_relu(x, 0.2).",
        partial(_scores_mistake, slope=0.0),
    ),
    (
        "the LeakyReLU applied to each half instead of to the sum",
        "Add the sender's and the receiver's halves first, then apply the LeakyReLU once:\n"
        "LeakyReLU(a_src . z_j + a_dst . z_i).",
        partial(_scores_mistake, halves=True),
    ),
]


def check_gat_scores(fn) -> None:
    """Check ``fn(params, h, graph)`` against the scores inside ``gl.gat_layer``: (E, H)."""
    __tracebackhide__ = True
    run_check(
        "gat_scores",
        fn,
        _gat_scores_cases(),
        _gat_scores,
        "the scores inside gl.gat_layer",
        GAT_SCORES_MISTAKES,
        atol=1e-5,
        same_dtype=True,
    )


def _gat_layer_cases() -> list:
    star, tree, g, h_tree, h = _gat_inputs()
    small, z = _star_params()
    p3, p3_mean = _gat_params(12, 4, 2, 3), _gat_params(13, 4, 2, 3, concat=False)
    p_big = _gat_params(14, 5, 3, 2)
    p32 = {key: value.astype(np.float32) for key, value in p3.items()}
    return [
        ("notebook 03's star around 'sat': W = I, one head, b = (0.5, -1)", (small, z, star)),
        (
            "the sentence's tree with self loops: d_in=5, d_out=3, one head, activation=gl.elu",
            (_gat_params(15, 5, 3, 1), h_tree, tree, elu),
        ),
        (
            f"3 heads of d_out=2, concatenated, on a random graph, in-degrees "
            f"{g.in_degree.tolist()}",
            (p3, h, g),
        ),
        (
            "the same graph, 3 heads averaged (concat=False), activation=gl.elu",
            (p3_mean, h, g, elu, False),
        ),
        (
            "features x 1000 on the tree, 2 heads: scores in the thousands",
            (p_big, 1000 * h_tree, tree),
        ),
        ("float32 features and weights, 3 heads", (p32, h.astype(np.float32), g)),
    ]


def _gat_reference(params, h, graph, activation=None, concat=True):
    return gat_layer(params, h, graph, activation, concat, return_attention=True)


def _gat(
    params,
    h,
    graph,
    activation=None,
    concat=True,
    *,
    by="receivers",
    bias="inside",
    mean="mean",
    stable=True,
    loops=False,
    order="heads",
    **score_mistake,
):
    """GAT with hooks for the mistakes below (all defaults: the right computation)."""
    graph = add_self_loops(graph) if loops else graph
    n, (H, d_out) = h.shape[0], params["a_src"].shape
    z, e = _scores(params, h, graph, **score_mistake)
    ids = graph.receivers if by == "receivers" else graph.senders
    if stable:
        alpha = segment_softmax(e, ids, n)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            ex = np.exp(e)
            alpha = ex / segment_sum(ex, ids, n)[ids]
    out = propagate(graph, alpha[:, :, None] * z[graph.senders])  # (n, H, d_out)
    if concat:
        out = out if order == "heads" else out.transpose(0, 2, 1)
        out = out.reshape(n, H * d_out)
    else:
        out = out.mean(axis=1) if mean == "mean" else out.sum(axis=1)
    sigma = (lambda x: x) if activation is None else activation
    if bias == "inside":
        return sigma(out + params["b"]), alpha
    return (sigma(out) if bias == "forgotten" else sigma(out) + params["b"]), alpha


GAT_LAYER_MISTAKES = [
    (
        "the softmax over each sender's outgoing edges instead of each receiver's incoming ones",
        "Receiver i shares its attention among its neighbours j in N(i): normalise over the edges\n"
        "with the same receiver, gl.segment_softmax(e, graph.receivers, n) (not graph.senders).",
        partial(_gat, by="senders"),
    ),
    (*_SWAPPED, partial(_gat, swap=True)),
    (*_HEADS, partial(_gat, heads="strided")),
    (
        "the LeakyReLU of the scores forgotten",
        "The scores are e_ij = LeakyReLU_0.2(a_src . z_j + a_dst . z_i), before the softmax:\n"
        "gl.leaky_relu(x, 0.2).",
        partial(_gat, slope=1.0),
    ),
    (
        "no max subtracted in the softmax, so exp overflows at large scores",
        "exp(1000) is inf and inf / inf is NaN: subtract each receiver's largest score first, or\n"
        "use your my_segment_softmax (gl.segment_softmax) on the scores.",
        partial(_gat, stable=False),
    ),
    (
        "the bias b forgotten",
        "Add params['b'] after combining the heads and before the activation:\n"
        "activation(out + b).",
        partial(_gat, bias="forgotten"),
    ),
    (
        "the bias added after the activation",
        "The bias goes inside: activation(out + b), not activation(out) + b.",
        partial(_gat, bias="after"),
    ),
    (
        "the heads summed instead of averaged (concat=False)",
        "With concat=False the H heads are averaged: out.mean(axis=1) on (n, H, d_out).",
        partial(_gat, mean="sum"),
    ),
    (
        "the heads interleaved when concatenated: (n, d_out, H) flattened",
        "Concatenating puts head 1's d_out numbers first, then head 2's, ...: reshape the\n"
        "(n, H, d_out) sum to (n, H * d_out) directly, without moving the heads axis last.",
        partial(_gat, order="features"),
    ),
    (
        "self loops added inside the layer",
        "The graph carries its own edges (add self loops when you build it, if you want them):\n"
        "the layer attends along graph's edges as given, and alpha has one row per edge of graph.",
        partial(_gat, loops=True),
    ),
]


def check_gat_layer(fn) -> None:
    """Check ``fn(params, h, graph, activation=None, concat=True) -> (h', alpha)``."""
    __tracebackhide__ = True
    run_check(
        "gat_layer",
        fn,
        _gat_layer_cases(),
        _gat_reference,
        "gl.gat_layer(..., return_attention=True)",
        GAT_LAYER_MISTAKES,
        atol=1e-5,
        same_dtype=True,
    )
