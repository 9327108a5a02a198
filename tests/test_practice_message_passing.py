"""The checks of the message-passing blanks (gnnformer_lite.practice.message_passing).

For every check: a right implementation written the way a learner would is accepted with
one ✔ line; every catalogued mistake, and mistakes written by hand in other ways, is
rejected with its diagnosis by name; an unwritten blank raises its own NotImplementedError;
a wrong return type or shape is one plain sentence.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import practice
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import message_passing as mp

# --- right implementations, as a learner writes them (not calling the gl reference) ----------


def my_gnn_layer_loop(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((graph.num_nodes, U.shape[1]))
    for i in range(graph.num_nodes):
        m_i = np.zeros(U.shape[1])
        for j in graph.senders[graph.receivers == i]:  # j in N(i)
            m_i += h[j] @ V
        out[i] = activation(h[i] @ U + m_i + b)
    return out


def my_gnn_layer(params, h, graph, activation=gl.relu):
    messages = (h @ params["V"])[graph.senders]
    m = gl.segment_sum(messages, graph.receivers, graph.num_nodes)
    return activation(h @ params["U"] + m + params["b"])


def my_gnn_layer_dense(params, h, graph, activation=gl.relu):
    A = graph.adjacency().astype(h.dtype)
    return activation(h @ params["U"] + A @ (h @ params["V"]) + params["b"])


def my_segment_mean(data, segment_ids, num_segments):
    total = gl.segment_sum(data, segment_ids, num_segments)
    count = np.bincount(segment_ids, minlength=num_segments)
    return total / np.maximum(count, 1).reshape(-1, *[1] * (total.ndim - 1))


def my_segment_softmax(logits, receivers, num_nodes):
    m = gl.segment_max(logits, receivers, num_nodes)
    ex = np.exp(logits - m[receivers])
    total = gl.segment_sum(ex, receivers, num_nodes)
    return ex / total[receivers]


def my_propagate_backward(graph, d_out):
    return d_out[graph.receivers]


def my_propagate_backward_repeat(graph, d_out):
    return np.repeat(d_out, graph.in_degree, axis=0)  # edges are sorted by receiver


def my_gather_backward(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]), dtype=d_x.dtype)
    np.add.at(d_h, graph.senders, d_x)
    return d_h


RIGHT = [
    (mp.check_gnn_layer_loop, my_gnn_layer_loop, "gnn_layer_loop: 6 cases agree with gl.gnn_layer"),
    (mp.check_gnn_layer, my_gnn_layer, "gnn_layer: 6 cases agree with gl.gnn_layer"),
    (mp.check_gnn_layer, my_gnn_layer_dense, "gnn_layer: 6 cases agree with gl.gnn_layer"),
    (mp.check_gnn_layer_loop, my_gnn_layer, "gnn_layer_loop: 6 cases"),
    (mp.check_segment_mean, my_segment_mean, "segment_mean: 7 cases agree with gl.segment_mean"),
    (
        mp.check_segment_softmax,
        my_segment_softmax,
        "segment_softmax: 8 cases agree with gl.segment_softmax",
    ),
    (
        mp.check_propagate_backward,
        my_propagate_backward,
        "propagate_backward: 6 cases agree with gl.propagate_backward",
    ),
    (mp.check_propagate_backward, my_propagate_backward_repeat, "propagate_backward: 6 cases"),
    (
        mp.check_gather_backward,
        my_gather_backward,
        "gather_backward: 6 cases agree with gl.segment_sum(d_x, graph.senders, graph.num_nodes)",
    ),
]


@pytest.mark.parametrize(("check", "fn", "line"), RIGHT, ids=lambda x: getattr(x, "__name__", ""))
def test_a_right_implementation_passes_with_one_line(check, fn, line, capsys):
    start = time.perf_counter()
    check(fn)
    assert time.perf_counter() - start < 1.0  # fast: well under a second
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {line}")
    assert out.count("\n") == 1


# --- every catalogued mistake is diagnosed by its name -----------------------------------------

CATALOGUES = [
    (mp.check_gnn_layer_loop, mp.GNN_LOOP_MISTAKES),
    (mp.check_gnn_layer, mp.GNN_MISTAKES),
    (mp.check_segment_mean, mp.MEAN_MISTAKES),
    (mp.check_segment_softmax, mp.SOFTMAX_MISTAKES),
    (mp.check_propagate_backward, mp.PROPAGATE_BACKWARD_MISTAKES),
    (mp.check_gather_backward, mp.GATHER_BACKWARD_MISTAKES),
]
ENTRIES = [
    pytest.param(check, name, wrong, id=f"{check.__name__}-{k}")
    for check, catalogue in CATALOGUES
    for k, (name, _, wrong) in enumerate(catalogue)
]


def diagnosis(check, fn) -> str:
    with pytest.raises(PracticeError) as caught, np.errstate(all="ignore"):
        with warnings.catch_warnings():  # the learner's own code may warn (mean of nothing)
            warnings.simplefilter("ignore", RuntimeWarning)
            check(fn)
    return str(caught.value)


@pytest.mark.parametrize(("check", "name", "wrong"), ENTRIES)
def test_every_catalogued_mistake_is_named(check, name, wrong):
    message = diagnosis(check, wrong)
    assert f"Likely mistake: {name}." in message
    assert message.startswith(f"✘ {check.__name__.removeprefix('check_')}, case ")
    assert "input:" in message and "expected (" in message and "\ngot:" in message


@pytest.mark.parametrize(
    ("check", "catalogue"), CATALOGUES, ids=lambda x: getattr(x, "__name__", "")
)
def test_catalogues_have_at_least_four_entries_with_advice(check, catalogue):
    assert len(catalogue) >= 4
    names = [name for name, _, _ in catalogue]
    assert len(set(names)) == len(names)
    for name, why, wrong in catalogue:
        assert callable(wrong) and name and not name.endswith(".")
        assert 1 <= len(why.splitlines()) <= 3 and all(len(line) <= 96 for line in why.splitlines())


# --- mistakes written by hand, the way a learner makes them ------------------------------------


def loop_neighbours_reversed(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((graph.num_nodes, U.shape[1]))
    for i in range(graph.num_nodes):
        m_i = np.zeros(U.shape[1])
        for j in graph.receivers[graph.senders == i]:  # the nodes i sends to
            m_i += h[j] @ V
        out[i] = activation(h[i] @ U + m_i + b)
    return out


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


def loop_column_vectors(params, h, graph, activation=gl.relu):
    U, V, b = params["U"], params["V"], params["b"]
    out = []
    for i in range(graph.num_nodes):
        m_i = sum((V @ h[j] for j in graph.senders[graph.receivers == i]), np.zeros(len(b)))
        out.append(activation(U @ h[i] + m_i + b))  # the talk's U h_i with the stored U
    return np.array(out)


def layer_without_bias(params, h, graph, activation=gl.relu):
    m = gl.segment_sum(h[graph.senders] @ params["V"], graph.receivers, graph.num_nodes)
    return activation(h @ params["U"] + m)


def layer_dense_transposed_adjacency(params, h, graph, activation=gl.relu):
    A = graph.adjacency()
    return activation(h @ params["U"] + A.T @ h @ params["V"] + params["b"])


def layer_relu_hard_coded(params, h, graph, activation=gl.relu):
    m = gl.propagate(graph, (h @ params["V"])[graph.senders])
    return np.maximum(h @ params["U"] + m + params["b"], 0)


def mean_by_loop(data, segment_ids, num_segments):
    return np.array([data[segment_ids == k].mean(axis=0) for k in range(num_segments)])


def mean_counts_unshaped(data, segment_ids, num_segments):
    out = np.zeros((num_segments, *np.shape(data)[1:]))
    np.add.at(out, segment_ids, data)
    return out / np.maximum(np.bincount(segment_ids, minlength=num_segments), 1)


def mean_forgot_division(data, segment_ids, num_segments):
    out = np.zeros((num_segments, *np.shape(data)[1:]))
    np.add.at(out, segment_ids, data)
    return out


def softmax_by_loop(logits, receivers, num_nodes):
    out = np.zeros_like(logits)
    for i in range(num_nodes):
        mine = receivers == i
        ex = np.exp(logits[mine])  # no max subtracted
        out[mine] = ex / ex.sum(axis=0)
    return out


def backward_by_senders_loop(graph, d_out):
    return np.stack([d_out[j] for j in graph.senders])


def backward_through_adjacency(graph, d_out):
    return graph.adjacency() @ d_out


def gather_backward_by_receivers_loop(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]))
    for e in range(graph.num_edges):
        d_h[graph.receivers[e]] += d_x[e]
    return d_h


def gather_backward_fancy_assignment(graph, d_x):
    d_h = np.zeros((graph.num_nodes, *d_x.shape[1:]))
    d_h[graph.senders] = d_h[graph.senders] + d_x
    return d_h


def gather_backward_bincount(graph, d_x):
    if d_x.ndim == 1:
        return np.bincount(graph.senders, weights=d_x)
    return np.stack(
        [np.bincount(graph.senders, weights=column) for column in d_x.reshape(len(d_x), -1).T],
        axis=1,
    ).reshape(-1, *d_x.shape[1:])


HAND_WRITTEN = [
    (
        mp.check_gnn_layer_loop,
        loop_neighbours_reversed,
        "the messages added up at the senders instead of the receivers",
    ),
    (mp.check_gnn_layer_loop, loop_sum_outside, "the sum m_i not reset for each node"),
    (mp.check_gnn_layer_loop, loop_column_vectors, "weights transposed (the column-vector habit"),
    (mp.check_gnn_layer, layer_without_bias, "the bias b forgotten"),
    (
        mp.check_gnn_layer,
        layer_dense_transposed_adjacency,
        "the messages added up at the senders instead of the receivers",
    ),
    (mp.check_gnn_layer, layer_relu_hard_coded, "the activation argument ignored"),
    (mp.check_segment_mean, mean_by_loop, "an empty segment gives NaN (0 / 0)"),
    (mp.check_segment_mean, mean_counts_unshaped, "the counts divided along the last axis"),
    (mp.check_segment_mean, mean_forgot_division, "the sum, not the mean"),
    (mp.check_segment_softmax, softmax_by_loop, "no max subtracted"),
    (mp.check_propagate_backward, backward_by_senders_loop, "gathered by senders"),
    (mp.check_propagate_backward, backward_through_adjacency, "the forward sum applied again"),
    (
        mp.check_gather_backward,
        gather_backward_by_receivers_loop,
        "the gradient of the gather summed over receivers instead of senders",
    ),
    (
        mp.check_gather_backward,
        gather_backward_fancy_assignment,
        "out[graph.senders] += d_x: a node that sends several edges gets only one of them",
    ),
    (mp.check_gather_backward, gather_backward_bincount, "max(senders) + 1 rows instead of"),
]


@pytest.mark.parametrize(
    ("check", "fn", "name"), HAND_WRITTEN, ids=lambda x: getattr(x, "__name__", "")
)
def test_hand_written_mistakes_are_diagnosed(check, fn, name):
    assert f"Likely mistake: {name}" in diagnosis(check, fn)


def test_the_message_shows_the_smallest_input_with_the_learners_names():
    message = diagnosis(mp.check_gnn_layer_loop, loop_sum_outside)
    first = message.splitlines()[0]
    assert first.startswith("✘ gnn_layer_loop, case 1 of 6 (notebook 02's toy graph")
    assert "the entries differ, first at entry [1, 1]: expected 2, got 3" in first
    assert "    params =\n" in message and "    h =\n" in message and "    graph =\n" in message
    assert "Graph(num_nodes=4, num_edges=7): edges 1 -> 0, 0 -> 1" in message


def test_the_activation_argument_is_printed_by_name():
    message = diagnosis(mp.check_gnn_layer, layer_relu_hard_coded)
    assert "activation = np.tanh" in message


def test_checks_are_deterministic():
    assert diagnosis(mp.check_gnn_layer, layer_without_bias) == diagnosis(
        mp.check_gnn_layer, layer_without_bias
    )


# --- blanks not written yet, wrong types and shapes ----------------------------------------------

CHECKS = [
    mp.check_gnn_layer_loop,
    mp.check_gnn_layer,
    mp.check_segment_mean,
    mp.check_segment_softmax,
    mp.check_propagate_backward,
    mp.check_gather_backward,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_an_unwritten_blank_raises_its_own_not_implemented_error(check):
    blank = "my_" + check.__name__.removeprefix("check_")
    message = f"{blank} is yours to write: fill in its body in the cell under 'X' (practice/x)"

    def stub(*args):
        raise NotImplementedError(message)

    with pytest.raises(NotImplementedError) as caught:
        check(stub)
    assert str(caught.value) == message


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_check_needs_the_function_itself(check):
    with pytest.raises(TypeError, match=r"takes your function itself"):
        check(np.zeros(3))


def plain_sentence(check, fn) -> str:
    message = diagnosis(check, fn)
    first = message.splitlines()[0]
    assert "Traceback" not in message and 'File "' not in message
    return first


def test_a_list_instead_of_an_array_is_one_sentence():
    first = plain_sentence(mp.check_gnn_layer, lambda *args: my_gnn_layer(*args).tolist())
    assert first.endswith(
        "it should return an array of shape (4, 2), but returned a list of length 4"
    )


def test_a_wrong_shape_is_one_sentence():
    first = plain_sentence(mp.check_segment_mean, lambda d, ids, n: my_segment_mean(d, ids, n)[:-1])
    assert first.endswith("it returned shape (2,), expected (3,)")
    first = plain_sentence(mp.check_propagate_backward, lambda graph, d_out: d_out)
    assert first.endswith("it returned shape (4, 2), expected (7, 2)")


def test_a_missing_return_is_one_sentence():
    first = plain_sentence(mp.check_gather_backward, lambda graph, d_x: None)
    assert first.endswith("it returned None: did you forget the `return`?")


def test_an_error_inside_the_learners_code_is_one_sentence():
    def shapes_mixed(params, h, graph, activation=gl.relu):
        return activation(h @ params["U"] + h[graph.senders] @ params["V"] + params["b"])

    first = plain_sentence(mp.check_gnn_layer, shapes_mixed)
    assert "your function raised ValueError: operands could not be broadcast" in first


def test_a_float32_result_must_stay_float32():
    def float64(params, h, graph, activation=gl.relu):
        return my_gnn_layer(params, h, graph, activation).astype(np.float64)

    first = plain_sentence(mp.check_gnn_layer, float64)
    assert "case 6 of 6 (float32 features and weights)" in first
    assert first.endswith("it returned dtype float64 for float32 input: keep the input's dtype")
    mp.check_gnn_layer_loop(float64)  # the loop may build float64 rows


def test_changing_the_input_in_place_is_named():
    def in_place(graph, d_out):
        d_out -= 0  # harmless, but d_out += ... would not be
        out = d_out[graph.receivers]
        d_out *= 2
        return out

    first = plain_sentence(mp.check_propagate_backward, in_place)
    assert "your function changed its argument number 2 in place" in first


# --- the registry the practice notebooks read ----------------------------------------------------


def test_every_check_has_its_blank():
    checks = [name for name in mp.__all__ if name.startswith("check_")]
    assert sorted(mp.BLANKS) == sorted("my_" + c.removeprefix("check_") for c in checks)
    for name, blank in mp.BLANKS.items():
        assert set(blank) == {"task", "equation"} and "\n" not in blank["task"]
        assert practice.BLANKS[name] is blank
        assert getattr(practice, "check_" + name.removeprefix("my_")) is getattr(
            mp, "check_" + name.removeprefix("my_")
        )
