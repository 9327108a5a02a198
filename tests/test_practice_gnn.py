"""The checks of the GNN layer's blanks (``gl.practice.gnn``): the layer as a loop and as
gather + segment sum.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import gnn as practice
from gnnformer_lite.practice.gnn import GNN_LOOP_MISTAKES, GNN_MISTAKES

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


@passes("gnn_layer_loop", "6 cases agree with gl.gnn_layer")
def my_gnn_layer_loop(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    rows = []
    for i in range(graph.num_nodes):
        neighbours = graph.senders[graph.receivers == i]  # N(i): the senders into i
        m_i = sum((h[j] @ V for j in neighbours), np.zeros(V.shape[1]))
        rows.append(activation(h[i] @ U + m_i + b))
    return np.array(rows).reshape(graph.num_nodes, U.shape[1])


@passes("gnn_layer_loop", "6 cases agree with gl.gnn_layer")
@passes("gnn_layer", "6 cases agree with gl.gnn_layer")
def my_gnn_layer(params, h, graph, activation=gl.relu):
    messages = (h @ params["V"])[graph.senders]
    m = gl.segment_sum(messages, graph.receivers, graph.num_nodes)
    return activation(h @ params["U"] + m + params["b"])


@passes("gnn_layer", "6 cases agree with gl.gnn_layer")
def my_gnn_layer_dense(params, h, graph, activation=gl.relu):
    A = graph.adjacency().astype(h.dtype)
    return activation(h @ params["U"] + A @ (h @ params["V"]) + params["b"])


# --- mistakes written by hand, the way a learner makes them ------------------------------------


@named_as("gnn_layer_loop", "the messages added up at the senders")
def loop_neighbours_reversed(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((graph.num_nodes, U.shape[1]))
    for i in range(graph.num_nodes):
        m_i = np.zeros(U.shape[1])
        for j in graph.receivers[graph.senders == i]:  # the nodes i sends to
            m_i += h[j] @ V
        out[i] = activation(h[i] @ U + m_i + b)
    return out


@named_as("gnn_layer_loop", "the sum m_i not reset for each node")
def loop_sum_outside(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((graph.num_nodes, U.shape[1]))
    m = np.zeros(U.shape[1])  # started once, for all nodes
    for i in range(graph.num_nodes):
        for e in range(graph.num_edges):
            if graph.receivers[e] == i:
                m = m + h[graph.senders[e]] @ V
        out[i] = activation(h[i] @ U + m + b)
    return out


@named_as("gnn_layer_loop", "weights transposed (the column-vector habit")
def loop_column_vectors(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = []
    for i in range(graph.num_nodes):
        m_i = sum((V @ h[j] for j in graph.senders[graph.receivers == i]), np.zeros(len(b)))
        out.append(activation(U @ h[i] + m_i + b))  # the talk's U h_i with the stored U
    return np.array(out)


@named_as("gnn_layer", "the bias b forgotten")
def layer_without_bias(params, h, graph, activation=gl.relu):
    m = gl.segment_sum(h[graph.senders] @ params["V"], graph.receivers, graph.num_nodes)
    return activation(h @ params["U"] + m)


@named_as("gnn_layer", "the messages added up at the senders")
def layer_dense_transposed_adjacency(params, h, graph, activation=gl.relu):
    A = graph.adjacency()
    return activation(h @ params["U"] + A.T @ h @ params["V"] + params["b"])


@named_as("gnn_layer", "the activation argument ignored")
def layer_relu_hard_coded(params, h, graph, activation=gl.relu):
    m = gl.propagate(graph, (h @ params["V"])[graph.senders])
    return np.maximum(h @ params["U"] + m + params["b"], 0)


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("gnn_layer", "your function raised ValueError: operands could not be broadcast")
def layer_shapes_mixed(params, h, graph, activation=gl.relu):
    return activation(h @ params["U"] + h[graph.senders] @ params["V"] + params["b"])


@refused("gnn_layer", "it should return an array of shape (4, 2), but returned a list of length 4")
def gnn_layer_as_a_list(*args):
    return my_gnn_layer(*args).tolist()


@refused("gnn_layer_loop", "it returned None: did you forget the `return`?")
def gnn_layer_loop_without_return(*args):
    return None


class TestChecks(CheckSuite):
    catalogues = {"gnn_layer_loop": GNN_LOOP_MISTAKES, "gnn_layer": GNN_MISTAKES}


def test_the_message_shows_the_smallest_input_with_the_learners_names():
    message = rejection(practice.check_gnn_layer_loop, loop_sum_outside)
    first = message.splitlines()[0]
    assert first.startswith("✘ gnn_layer_loop, case 1 of 6 (notebook 02's toy graph")
    assert "the entries differ, first at entry [1, 1]: expected 2, got 3" in first
    assert "    params =\n" in message and "    h =\n" in message and "    graph =\n" in message
    assert "Graph(num_nodes=4, num_edges=7): edges 1 -> 0, 0 -> 1" in message


def test_the_activation_argument_is_printed_by_name():
    message = rejection(practice.check_gnn_layer, layer_relu_hard_coded)
    assert "activation = np.tanh" in message


def test_a_float32_result_must_stay_float32():
    def float64(params, h, graph, activation=gl.relu):
        return my_gnn_layer(params, h, graph, activation).astype(np.float64)

    first = first_line(practice.check_gnn_layer, float64)
    assert "case 6 of 6 (float32 features and weights)" in first
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")
    practice.check_gnn_layer_loop(float64)  # the loop may build float64 rows
