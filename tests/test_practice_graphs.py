"""The practice checks of the graph blanks (``gl.practice.graphs``), tested on implementations.

For every check: a right implementation written as a learner would is accepted with one
✔ line; every mistake of its catalogue is rejected with that mistake's name; wrong
implementations written differently from the catalogue are named too; the blank's stub
raises its own ``NotImplementedError``; a wrong return type or shape is one plain sentence.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import graphs as practice

# --- right implementations, as a learner writes them (no gl reference inside) -------------


def my_adjacency(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    for j, i in zip(senders, receivers, strict=True):
        A[i, j] = 1
    return A


def my_window_graph(n, radius):
    senders, receivers = [], []
    for i in range(n):
        for j in range(max(0, i - radius), min(n, i + radius + 1)):
            senders.append(j)
            receivers.append(i)
    return gl.Graph(senders, receivers, n)


def my_dependency_graph(heads):
    child = np.flatnonzero(heads >= 0)
    senders = np.concatenate([child, heads[child]])
    receivers = np.concatenate([heads[child], child])
    return gl.Graph(senders, receivers, len(heads))


def my_padding_mask(lengths):
    return np.arange(lengths.max()) < lengths[:, None]


def my_receptive_field(graph, num_layers):
    A = graph.adjacency()
    reached = np.eye(graph.num_nodes, dtype=bool)
    for _ in range(num_layers):
        reached = reached | (A @ reached > 0)
    return reached


def my_causal_mask(n):
    idx = np.arange(n)
    return idx[None, :] <= idx[:, None]


def my_dilated_graph(n, radius, dilation):
    senders, receivers = [], []
    for i in range(n):
        for t in range(-radius, radius + 1):
            j = i + t * dilation
            if 0 <= j < n:
                senders.append(j)
                receivers.append(i)
    return gl.Graph(senders, receivers, n)


def my_virtual_node_graph(graph):
    n = graph.num_nodes
    everyone, hub = np.arange(n), np.full(n, n)
    senders = np.concatenate([graph.senders, everyone, hub])
    receivers = np.concatenate([graph.receivers, hub, everyone])
    return gl.Graph(senders, receivers, n + 1)


RIGHT = {
    "adjacency": (practice.check_adjacency, my_adjacency),
    "window_graph": (practice.check_window_graph, my_window_graph),
    "dependency_graph": (practice.check_dependency_graph, my_dependency_graph),
    "padding_mask": (practice.check_padding_mask, my_padding_mask),
    "receptive_field": (practice.check_receptive_field, my_receptive_field),
    "causal_mask": (practice.check_causal_mask, my_causal_mask),
    "dilated_graph": (practice.check_dilated_graph, my_dilated_graph),
    "virtual_node_graph": (practice.check_virtual_node_graph, my_virtual_node_graph),
}
CATALOGUES = {
    "adjacency": practice.ADJACENCY_MISTAKES,
    "window_graph": practice.WINDOW_MISTAKES,
    "dependency_graph": practice.DEPENDENCY_MISTAKES,
    "padding_mask": practice.PADDING_MISTAKES,
    "receptive_field": practice.RECEPTIVE_MISTAKES,
    "causal_mask": practice.CAUSAL_MISTAKES,
    "dilated_graph": practice.DILATED_MISTAKES,
    "virtual_node_graph": practice.VIRTUAL_MISTAKES,
}


def _rejection(check, fn) -> str:
    with pytest.raises(PracticeError) as info:
        check(fn)
    return str(info.value)


def _name(catalogue, start: str) -> str:
    """The one catalogue entry whose name starts with ``start``."""
    (name,) = [name for name, _, _ in catalogue if name.startswith(start)]
    return name


@pytest.mark.parametrize("blank", RIGHT)
def test_a_right_implementation_is_accepted_with_one_line(blank, capsys):
    check, right = RIGHT[blank]
    check(right)
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {blank}: ") and " cases agree with " in out
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    ("blank", "mistake"),
    [(blank, entry) for blank, catalogue in CATALOGUES.items() for entry in catalogue],
    ids=[f"{b}: {e[0][:40]}" for b, catalogue in CATALOGUES.items() for e in catalogue],
)
def test_every_catalogued_mistake_is_named(blank, mistake):
    name, why, wrong = mistake
    message = _rejection(RIGHT[blank][0], wrong)
    assert message.startswith(f"✘ {blank}, case ")
    assert f"Likely mistake: {name}.\n" in message
    assert why.splitlines()[0] in message
    assert "\ninput:\n" in message and "\nexpected (" in message and "\ngot:\n" in message


def test_every_catalogue_has_at_least_four_mistakes():
    for blank, catalogue in CATALOGUES.items():
        assert len(catalogue) >= 4, blank
        assert len({name for name, _, _ in catalogue}) == len(catalogue), blank


# --- wrong implementations written as a learner might, not as the catalogue ------------


def adjacency_loop_transposed(senders, receivers, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    for e in range(len(senders)):
        A[senders[e], receivers[e]] = 1
    return A


def adjacency_identity_start(senders, receivers, num_nodes):
    A = np.identity(num_nodes)
    for j, i in zip(senders, receivers, strict=True):
        A[i, j] = 1.0
    return A


def window_clipped(n, radius):
    i = np.repeat(np.arange(n), 2 * radius + 1)
    j = np.clip(i + np.tile(np.arange(-radius, radius + 1), n), 0, n - 1)
    return gl.Graph(j, i, n)


def window_python_range(n, radius):
    pairs = [(i + t, i) for i in range(n) for t in range(-radius, radius) if 0 <= i + t < n]
    return gl.Graph([j for j, _ in pairs], [i for _, i in pairs], n)


def window_no_loops(n, radius):
    dist = np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    receivers, senders = np.nonzero((dist <= radius) & (dist > 0))
    return gl.Graph(senders, receivers, n)


def dilated_loop_no_holes(n, radius, dilation):
    pairs = [(j, i) for i in range(n) for j in range(n) if abs(i - j) <= radius * dilation]
    return gl.Graph([j for j, _ in pairs], [i for _, i in pairs], n)


def dependency_one_way(heads):
    senders, receivers = [], []
    for i, h in enumerate(heads):
        if h != -1:
            senders.append(i)
            receivers.append(h)
    return gl.Graph(senders, receivers, len(heads))


def dependency_without_skipping_root(heads):
    senders = list(range(len(heads))) + list(heads)
    receivers = list(heads) + list(range(len(heads)))
    return gl.Graph(senders, receivers, len(heads))


def padding_negated(lengths):
    return ~(np.arange(lengths.max()) < lengths[:, None])


def padding_first_row(lengths):
    return np.array([[t < n for t in range(lengths[0])] for n in lengths])


def causal_upper_by_comparison(n):
    return np.arange(n)[:, None] <= np.arange(n)[None, :]


def causal_torch_style(n):
    return ~np.tril(np.ones((n, n), dtype=bool))


def receptive_power_only(graph, num_layers):
    A = graph.adjacency()
    R = np.eye(graph.num_nodes)
    for _ in range(num_layers):
        R = A @ R
    return R > 0


def receptive_networkx(graph, num_layers):
    G = gl.to_networkx(graph)
    reached = np.zeros((graph.num_nodes, graph.num_nodes), dtype=bool)
    for i in range(graph.num_nodes):  # paths *from* i: what i influences, not what it hears
        for j in nx.single_source_shortest_path_length(G, i, cutoff=num_layers):
            reached[i, j] = True
    return reached


def virtual_listening_hub(graph):
    n = graph.num_nodes
    senders, receivers = list(graph.senders), list(graph.receivers)
    for j in range(n):
        senders.append(j)
        receivers.append(n)
    return gl.Graph(senders, receivers, n + 1)


def virtual_forgot_the_new_node(graph):
    n = graph.num_nodes
    senders = np.concatenate([graph.senders, np.arange(n), np.full(n, n)])
    receivers = np.concatenate([graph.receivers, np.full(n, n), np.arange(n)])
    return gl.Graph(senders, receivers, graph.num_nodes)


LEARNER_MISTAKES = [
    ("adjacency", adjacency_loop_transposed, "the matrix transposed"),
    ("adjacency", adjacency_identity_start, "self loops added"),
    ("window_graph", window_clipped, "the window not cut"),
    ("window_graph", window_python_range, "range(-radius, radius)"),
    ("window_graph", window_no_loops, "the self loop left out"),
    ("dilated_graph", dilated_loop_no_holes, "no holes"),
    ("dependency_graph", dependency_one_way, "one way only, each word -> its head"),
    ("dependency_graph", dependency_without_skipping_root, "the root kept"),
    ("padding_mask", padding_negated, "the polarity inverted"),
    ("padding_mask", padding_first_row, "L taken from the first sentence"),
    ("causal_mask", causal_upper_by_comparison, "the future instead of the past"),
    ("causal_mask", causal_torch_style, "the polarity inverted"),
    ("receptive_field", receptive_power_only, "only the nodes exactly"),
    ("receptive_field", receptive_networkx, "the direction reversed"),
    ("virtual_node_graph", virtual_listening_hub, "the virtual node only listens"),
    ("virtual_node_graph", virtual_forgot_the_new_node, "num_nodes left at n"),
]


@pytest.mark.parametrize(
    ("blank", "wrong", "start"), LEARNER_MISTAKES, ids=[w.__name__ for _, w, _ in LEARNER_MISTAKES]
)
def test_a_learners_mistake_is_named(blank, wrong, start):
    message = _rejection(RIGHT[blank][0], wrong)
    assert f"Likely mistake: {_name(CATALOGUES[blank], start)}.\n" in message


def test_a_mistake_outside_the_catalogue_says_so_and_shows_the_first_difference():
    def off_by_two(n, radius):
        return my_window_graph(n, radius + 2)

    message = _rejection(practice.check_window_graph, off_by_two)
    first = message.splitlines()[0]
    assert first.startswith("✘ window_graph, case 1 of 5 (the sentence: 10 words, radius 1): ")
    assert "30 edges too many, e.g. 0 -> 2, 0 -> 3, " in first
    assert "No mistake of the catalogue gives this result" in message


def test_the_failure_names_the_case_and_shows_the_input():
    message = _rejection(practice.check_adjacency, adjacency_loop_transposed)
    assert message.splitlines()[0] == (
        "✘ adjacency, case 1 of 4 (the sentence's arcs, each word -> its head: 10 nodes, "
        "9 edges): the entries differ, first at entry [0, 1]: expected 0, got 1"
    )
    assert "    senders = [0 1 5 9 3 4 6 7 8]" in message
    assert "    num_nodes = 10" in message


def test_checks_are_deterministic():
    first = _rejection(practice.check_receptive_field, receptive_networkx)
    assert _rejection(practice.check_receptive_field, receptive_networkx) == first


# --- stubs, wrong types and shapes ---------------------------------------------------------


@pytest.mark.parametrize("blank", RIGHT)
def test_the_stub_raises_its_own_not_implemented_error(blank):
    text = f"my_{blank} is yours to write: fill in its body in the cell above"

    def stub(*args):
        raise NotImplementedError(text)

    with pytest.raises(NotImplementedError) as info:
        RIGHT[blank][0](stub)
    assert str(info.value) == text


WRONG_TYPES = [
    (
        "adjacency",
        lambda senders, receivers, num_nodes: my_adjacency(senders, receivers, num_nodes).tolist(),
        "it should return an array of shape (10, 10), but returned a list of length 10",
    ),
    (
        "window_graph",
        lambda n, radius: (
            my_window_graph(n, radius).senders,
            my_window_graph(n, radius).receivers,
        ),
        "it should return a gl.Graph, but returned a tuple of length 2",
    ),
    (
        "dilated_graph",
        lambda n, radius, dilation: gl.to_networkx(my_dilated_graph(n, radius, dilation)),
        "it should return a gl.Graph, but returned DiGraph",
    ),
    (
        "dependency_graph",
        lambda heads: my_dependency_graph(heads).adjacency(),
        "it should return a gl.Graph, but returned an ndarray of shape (10, 10) and dtype float64",
    ),
    (
        "padding_mask",
        lambda lengths: my_padding_mask(lengths).astype(int),
        "the entries are right but the dtype is int64: a mask is a bool array",
    ),
    (
        "causal_mask",
        lambda n: np.arange(n) <= n,
        "it returned shape (10,), expected (10, 10)",
    ),
    (
        "receptive_field",
        lambda graph, num_layers: None,
        "it returned None: did you forget the `return`?",
    ),
    (
        "virtual_node_graph",
        lambda graph: my_virtual_node_graph(graph).num_edges,
        "it should return a gl.Graph, but returned int 38",
    ),
]


@pytest.mark.parametrize(
    ("blank", "wrong", "sentence"), WRONG_TYPES, ids=[blank for blank, _, _ in WRONG_TYPES]
)
def test_a_wrong_type_or_shape_is_one_plain_sentence(blank, wrong, sentence):
    with pytest.raises(PracticeError) as info:
        RIGHT[blank][0](wrong)
    first = str(info.value).splitlines()[0]
    assert first.startswith(f"✘ {blank}, case 1 of ")
    assert sentence in first
    assert "Traceback" not in str(info.value)


def test_a_float_mask_of_the_right_values_is_refused_as_not_bool():
    first = _rejection(practice.check_causal_mask, lambda n: np.tril(np.ones((n, n))))
    first = first.splitlines()[0]
    assert "the entries are right but the dtype is float64: a mask is a bool array" in first


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def crashes(heads):
        return gl.Graph(heads, heads, len(heads) - 1)

    message = _rejection(practice.check_dependency_graph, crashes)
    assert "your function raised ValueError: " in message.splitlines()[0]


def test_a_check_needs_the_function_itself():
    with pytest.raises(TypeError, match=r"check_adjacency\(my_adjacency\); got an ndarray"):
        practice.check_adjacency(np.zeros((3, 3)))


# --- the registry of blanks -----------------------------------------------------------------


def test_every_blank_has_its_check_its_task_and_its_equation():
    assert sorted(practice.__all__) == sorted(f"check_{blank}" for blank in RIGHT)
    assert sorted(practice.BLANKS) == sorted(f"my_{blank}" for blank in RIGHT)
    for function, blank in practice.BLANKS.items():
        check = f"check_{function.removeprefix('my_')}"
        assert getattr(gl.practice, check) is getattr(practice, check)
        assert gl.practice.BLANKS[function] is blank
        assert set(blank) == {"task", "equation"}
        assert "\n" not in blank["task"] and "\n" not in blank["equation"]
        assert len(blank["equation"]) < 90, function
