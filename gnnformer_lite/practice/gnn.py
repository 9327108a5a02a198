"""Checks of the GNN layer's blanks (notebook 02): the layer as a loop, and as gather + sum.

h'_i = activation(h_i U + sum_{j in N(i)} h_j V + b): features are row vectors (``h @ U``),
an edge j -> i brings its sender's h_j V to its receiver i.
"""

from __future__ import annotations

import numpy as np

from ..gnn_layers import gnn_layer, init_gnn_layer, relu
from ..message_passing import propagate, segment_mean, segment_sum
from .cases import sentence_tree, toy_graph, uneven_graph
from .harness import run_check

__all__ = ["check_gnn_layer", "check_gnn_layer_loop"]

BLANKS = {
    "my_gnn_layer_loop": {
        "task": "a GNN layer as a Python loop: for each node i, add up the messages h_j V of its "
        "neighbours j, then h_i U and b, then the activation",
        "equation": "h'_i = activation(h_i U + sum_{j in N(i)} h_j V + b), "
        "N(i): the senders into i",
    },
    "my_gnn_layer": {
        "task": "the same GNN layer without a loop: gather the messages (h V)[senders], "
        "add them up per receiver with gl.segment_sum",
        "equation": "h' = activation(h U + segment_sum((h V)[senders], receivers, n) + b)",
    },
}


# --- the GNN layer, as a loop and as gather + segment sum (notebook 02) ------------------


def _gnn_params(seed: int, d_in: int, d_out: int, dtype=np.float64) -> dict:
    """``gl.init_gnn_layer``'s weights and a random bias (its zeros would hide a forgotten b)."""
    rng = np.random.default_rng(seed)
    params = init_gnn_layer(rng, d_in, d_out, dtype=dtype)
    return {**params, "b": rng.normal(size=d_out).astype(dtype)}


def _gnn_cases() -> list:
    toy = toy_graph()
    toy_params = {
        "U": np.eye(2),
        "V": np.array([[1.0, 1.0], [0.0, 1.0]]),
        "b": np.array([0.0, -2.0]),
    }
    h_toy = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 2.0]])
    tree, g = sentence_tree(), uneven_graph(1)
    rng = np.random.default_rng(5)
    h_tree = rng.normal(size=(tree.num_nodes, 5))
    h = rng.normal(size=(g.num_nodes, 4))
    params = _gnn_params(6, 4, 3)
    params32 = {key: value.astype(np.float32) for key, value in params.items()}
    return [
        ("notebook 02's toy graph: 4 nodes, the edge 0 -> 3 one way", (toy_params, h_toy, toy)),
        (
            "the sentence's dependency tree: 10 words, d_in=5, d_out=3",
            (_gnn_params(4, 5, 3), h_tree, tree),
        ),
        (
            f"a random graph: {g.num_nodes} nodes, in-degrees {g.in_degree.tolist()}",
            (params, h, g),
        ),
        ("the same graph, activation=np.tanh", (params, h, g, np.tanh)),
        ("the same graph, activation=lambda x: x (none)", (params, h, g, lambda x: x)),
        ("float32 features and weights", (params32, h.astype(np.float32), g)),
    ]


def _gnn(params, h, graph, activation, *, U="U", V="V", transpose=False):
    """The layer's three parts, for the mistakes: (self term, messages summed, bias, sigma)."""
    U, V, b = params[U], params[V], params["b"]
    if transpose:
        U, V = U.T, V.T
    return h @ U, propagate(graph, (h @ V)[graph.senders]), b, activation


def _uv_swapped(params, h, graph, activation=relu):
    own, m, b, sigma = _gnn(params, h, graph, activation, U="V", V="U")
    return sigma(own + m + b)


def _transposed(params, h, graph, activation=relu):
    own, m, b, sigma = _gnn(params, h, graph, activation, transpose=True)
    return sigma(own + m + b)


def _summed_at_senders(params, h, graph, activation=relu):
    V, n = params["V"], graph.num_nodes
    m = segment_sum((h @ V)[graph.receivers], graph.senders, n)  # the reversed graph
    return activation(h @ params["U"] + m + params["b"])


def _message_of_receiver(params, h, graph, activation=relu):
    V, n = params["V"], graph.num_nodes
    m = segment_sum((h @ V)[graph.receivers], graph.receivers, n)  # h_i V, in-degree times
    return activation(h @ params["U"] + m + params["b"])


def _no_self_term(params, h, graph, activation=relu):
    _, m, b, sigma = _gnn(params, h, graph, activation)
    return sigma(m + b)


def _self_loop_added(params, h, graph, activation=relu):
    own, m, b, sigma = _gnn(params, h, graph, activation)
    return sigma(own + h @ params["V"] + m + b)


def _no_bias(params, h, graph, activation=relu):
    own, m, _, sigma = _gnn(params, h, graph, activation)
    return sigma(own + m)


def _bias_after_activation(params, h, graph, activation=relu):
    own, m, b, sigma = _gnn(params, h, graph, activation)
    return sigma(own + m) + b


def _mean_of_neighbours(params, h, graph, activation=relu):
    own, _, b, sigma = _gnn(params, h, graph, activation)
    m = segment_mean((h @ params["V"])[graph.senders], graph.receivers, graph.num_nodes)
    return sigma(own + m + b)


def _always_relu(params, h, graph, activation=relu):
    own, m, b, _ = _gnn(params, h, graph, activation)
    return relu(own + m + b)


def _sum_not_reset(params, h, graph, activation=relu):
    own, m, b, sigma = _gnn(params, h, graph, activation)
    return sigma(own + np.cumsum(m, axis=0) + b)  # m_i holds the messages of nodes 0 .. i


def _last_neighbour_only(params, h, graph, activation=relu):
    own, _, b, sigma = _gnn(params, h, graph, activation)
    m = np.zeros_like(own)
    heard = graph.in_degree > 0
    last = graph.indptr[1:][heard] - 1  # edges are sorted by receiver: a segment's last edge
    m[heard] = (h @ params["V"])[graph.senders[last]]
    return sigma(own + m + b)


GNN_MISTAKES = [
    (
        "U and V swapped: the neighbours multiplied by U, the node itself by V",
        "h_i U is the node's own term and h_j V the message of each neighbour j:\n"
        "h'_i = activation(h_i U + sum_{j in N(i)} h_j V + b).",
        _uv_swapped,
    ),
    (
        "weights transposed (the column-vector habit: the talk's U h_i written h_i U^T)",
        "Features are row vectors: the talk's U h_i is h_i @ U here, with U stored as\n"
        "(d_in, d_out). Use params['U'] and params['V'] as they are, without .T.",
        _transposed,
    ),
    (
        "the messages added up at the senders instead of the receivers",
        "An edge j -> i brings h_j V to its receiver i: gather (h @ V)[graph.senders], then add\n"
        "up at graph.receivers: gl.segment_sum(messages, graph.receivers, graph.num_nodes).",
        _summed_at_senders,
    ),
    (
        "each edge's message taken from its receiver (h_i V) instead of its sender (h_j V)",
        "The message of the edge j -> i is the sender's h_j V: gather with graph.senders\n"
        "(in a loop: h[j] @ V for each j in N(i), not h[i] @ V).",
        _message_of_receiver,
    ),
    (
        "the self term h_i U left out",
        "The node's own features enter through h_i U, added to its neighbours' messages:\n"
        "h'_i = activation(h_i U + sum_{j in N(i)} h_j V + b).",
        _no_self_term,
    ),
    (
        "a self loop counted besides the self term: h_i V added on top of h_i U",
        "The node itself enters once, as h_i U; the messages come only from the graph's\n"
        "edges, as given: do not add a self loop (or h_i V) yourself.",
        _self_loop_added,
    ),
    (
        "the bias b forgotten",
        "Add params['b'] before the activation: activation(h_i U + m_i + b).",
        _no_bias,
    ),
    (
        "the bias added after the activation",
        "The bias goes inside: activation(h_i U + m_i + b), not activation(h_i U + m_i) + b.",
        _bias_after_activation,
    ),
    (
        "the mean of the neighbours' messages instead of their sum",
        "This layer adds the messages up, m_i = sum_{j in N(i)} h_j V, without dividing by\n"
        "the in-degree.",
        _mean_of_neighbours,
    ),
    (
        "the activation argument ignored: ReLU applied whatever was passed",
        "Apply the function passed as `activation` (np.tanh, an identity, ...): gl.relu is\n"
        "only its default.",
        _always_relu,
    ),
]

GNN_LOOP_MISTAKES = [
    *GNN_MISTAKES,
    (
        "the sum m_i not reset for each node: it runs on over the earlier nodes' messages",
        "Start each node's sum from zero inside the loop over i (m_i = np.zeros(d_out) as the\n"
        "first line of its body), so that it holds only node i's messages.",
        _sum_not_reset,
    ),
    (
        "m_i = ... instead of m_i += ...: only the last neighbour's message kept",
        "Add each neighbour's message to the running sum, m_i = m_i + h[j] @ V (or m_i += ...),\n"
        "instead of replacing it.",
        _last_neighbour_only,
    ),
]


def check_gnn_layer_loop(fn) -> None:
    """Check ``fn(params, h, graph, activation=gl.relu)``, a loop, against ``gl.gnn_layer``."""
    __tracebackhide__ = True
    run_check(
        "gnn_layer_loop", fn, _gnn_cases(), gnn_layer, "gl.gnn_layer", GNN_LOOP_MISTAKES, atol=1e-5
    )


def check_gnn_layer(fn) -> None:
    """Check ``fn(params, h, graph, activation=gl.relu)`` against ``gl.gnn_layer``."""
    __tracebackhide__ = True
    run_check(
        "gnn_layer",
        fn,
        _gnn_cases(),
        gnn_layer,
        "gl.gnn_layer",
        GNN_MISTAKES,
        atol=1e-5,
        same_dtype=True,
    )
