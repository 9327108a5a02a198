"""Checks of the blanks whose answer is a boolean mask: padding, causal, receptive field.

Notebooks 01 (padding mask), 02 (receptive field) and 04 (causal mask). A mask is a bool
array, ``True`` = may attend (or: has heard), the orientation of ``g.adjacency()``: row i is
the query (receiver), column j the key (sender). PyTorch's boolean masks read ``True`` as
blocked.
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph, pad_batch
from ..message_passing import hop_distance
from ..sentences import causal_graph
from .cases import sentence_arcs, sentence_tree, uneven_graph
from .harness import compare, run_check

__all__ = ["check_causal_mask", "check_padding_mask", "check_receptive_field"]

BLANKS = {
    "my_padding_mask": {
        "task": "the padding mask of a batch of sentences: True for a real word, False for padding",
        "equation": "mask[b, t] = t < lengths[b] for t = 0 .. L-1, L = max_b lengths[b]; (B, L)",
    },
    "my_receptive_field": {
        "task": "which node can influence which after num_layers layers of message passing",
        "equation": "reached[i, j] = [(A + I)^L]_ij > 0, L = num_layers, A[i, j] = 1 iff j -> i",
    },
    "my_causal_mask": {
        "task": "the causal mask of a sentence of n words: query i may attend to key j <= i",
        "equation": "mask[i, j] = (j <= i) for i, j = 0 .. n-1; True = may attend; (n, n) bool",
    },
}


# --- a mask is a bool array ---------------------------------------------------------------


def _compare_mask(expected, got) -> str | None:
    """``compare``, and a mask must be bool: a 0/1 int array indexes by position, not by mask."""
    problem = compare(expected, got, atol=0.0, rtol=0.0)
    if problem is None and got.dtype != bool:
        return (
            f"the entries are right but the dtype is {got.dtype}: a mask is a bool array "
            f"(x[mask] with 0/1 numbers picks rows 0 and 1, not the True ones)"
        )
    return problem


# --- padding mask ------------------------------------------------------------------------


def _padding_cases() -> list:
    return [
        ("the sentence and two shorter ones: lengths [10, 4, 3]", (np.array([10, 4, 3]),)),
        ("the longest sentence not first: lengths [4, 10, 3]", (np.array([4, 10, 3]),)),
        ("a sentence of one word in a batch: lengths [1, 3]", (np.array([1, 3]),)),
        ("a batch of one sentence: lengths [5]", (np.array([5]),)),
        ("all of one length: lengths [3, 3, 3, 3]", (np.array([3, 3, 3, 3]),)),
        ("int32 lengths [2, 6, 1, 6]", (np.array([2, 6, 1, 6], dtype=np.int32),)),
    ]


def _padding_mask(lengths):
    return pad_batch([np.zeros(int(n), dtype=np.int64) for n in lengths])[1]


def _padding_inverted(lengths):
    return np.arange(lengths.max()) >= lengths[:, None]


def _padding_off_by_one(lengths):
    return np.arange(lengths.max()) <= lengths[:, None]


def _padding_transposed(lengths):
    return np.arange(lengths.max())[:, None] < lengths[None, :]


def _padding_first_length(lengths):
    return np.arange(lengths[0]) < lengths[:, None]


def _padding_num_sentences(lengths):
    return np.arange(len(lengths)) < lengths[:, None]


def _padding_total(lengths):
    return np.arange(lengths.sum()) < lengths[:, None]


def _padding_pairs(lengths):
    real = np.arange(lengths.max()) < lengths[:, None]
    return real[:, :, None] & real[:, None, :]


PADDING_MISTAKES = [
    (
        "the polarity inverted: True for padding (PyTorch's key_padding_mask)",
        "Ours is True for a real word, the positions that may be attended to; PyTorch's\n"
        "key_padding_mask is True for padding, the inverse: mask[b, t] = t < lengths[b].",
        _padding_inverted,
    ),
    (
        "t <= lengths[b] instead of t < lengths[b]",
        "Positions count from 0: a sentence of n_b words fills t = 0 .. n_b - 1, so position\n"
        "n_b is already padding: np.arange(L) < lengths[:, None].",
        _padding_off_by_one,
    ),
    (
        "the mask transposed: (L, B) instead of (B, L)",
        "One row per sentence: np.arange(L)[None, :] < lengths[:, None], shape (B, L).",
        _padding_transposed,
    ),
    (
        "L taken from the first sentence instead of the longest",
        "The batch is as long as its longest sentence: L = lengths.max(), wherever it is.",
        _padding_first_length,
    ),
    (
        "L taken as the number of sentences",
        "len(lengths) is B, the number of sentences; the padded length is L = lengths.max().",
        _padding_num_sentences,
    ),
    (
        "L taken as the total number of words",
        "lengths.sum() is the size of the batch graph (gl.batch_graphs); padding stacks the\n"
        "sentences as rows as long as the longest: L = lengths.max().",
        _padding_total,
    ),
    (
        "the (B, L, L) mask of word pairs instead of the (B, L) mask of words",
        "This blank is the mask of positions, one per word: mask[b, t]. Attention makes the\n"
        "pairs from it later, mask[:, None, :] (any query may attend to a real key).",
        _padding_pairs,
    ),
]


def check_padding_mask(fn) -> None:
    """Check ``fn(lengths)`` against the mask of ``gl.pad_batch``: True for a real word."""
    __tracebackhide__ = True
    run_check(
        "padding_mask",
        fn,
        _padding_cases(),
        _padding_mask,
        "np.arange(L) < lengths[:, None], the mask of gl.pad_batch",
        PADDING_MISTAKES,
        compare_with=_compare_mask,
    )


# --- causal mask -------------------------------------------------------------------------


def _causal_cases() -> list:
    return [
        ("the sentence: 10 words", (10,)),
        ("one word", (1,)),
        ("3 words", (3,)),
    ]


def _causal_mask(n):
    return causal_graph(n).adjacency() > 0


def _causal_upper(n):
    return np.triu(np.ones((n, n), dtype=bool))


def _causal_strict(n):
    return np.tril(np.ones((n, n), dtype=bool), k=-1)


def _causal_blocked(n):
    return np.triu(np.ones((n, n), dtype=bool), k=1)


def _causal_next_word(n):
    return np.tril(np.ones((n, n), dtype=bool), k=1)


def _causal_float(n):
    return np.where(np.tril(np.ones((n, n), dtype=bool)), 0.0, -np.inf)


CAUSAL_MISTAKES = [
    (
        "the future instead of the past: mask[i, j] = j >= i (np.triu)",
        "Row i is the query, column j the key: i may attend to itself and the words before it,\n"
        "the lower triangle: np.tril(np.ones((n, n), dtype=bool)).",
        _causal_upper,
    ),
    (
        "the diagonal left out: j < i",
        "Word i may attend to itself: j <= i. Without the diagonal, word 0 has nothing to\n"
        "attend to and its softmax is 0 / 0.",
        _causal_strict,
    ),
    (
        "the polarity inverted: True = blocked (PyTorch's boolean attn_mask)",
        "In PyTorch a True in a boolean attn_mask blocks the pair; ours is the inverse, True =\n"
        "may attend: mask[i, j] = j <= i, i.e. np.tril(...), not np.triu(..., k=1).",
        _causal_blocked,
    ),
    (
        "the next word let in: np.tril(..., k=1)",
        "k=1 shifts the diagonal up by one: word i would see word i + 1, the one it should\n"
        "predict. k=0 (the default) keeps j <= i.",
        _causal_next_word,
    ),
    (
        "PyTorch's additive float mask: 0 where allowed, -inf where blocked",
        "That is what gets added to the scores; the blank is the boolean mask itself, True\n"
        "where query i may attend to key j: mask[i, j] = j <= i.",
        _causal_float,
    ),
]


def check_causal_mask(fn) -> None:
    """Check ``fn(n)`` against the causal graph's adjacency: ``mask[i, j] = j <= i``."""
    __tracebackhide__ = True
    run_check(
        "causal_mask",
        fn,
        _causal_cases(),
        _causal_mask,
        "gl.causal_graph(n).adjacency() > 0",
        CAUSAL_MISTAKES,
        compare_with=_compare_mask,
    )


# --- receptive field ---------------------------------------------------------------------


def _receptive_cases() -> list:
    g = uneven_graph(0)
    return [
        ("the sentence's dependency tree, 2 layers", (sentence_tree(), 2)),
        ("the sentence's arcs one way, each word -> its head, 1 layer", (sentence_arcs(), 1)),
        ("0 layers", (sentence_tree(), 0)),
        (
            f"a random directed graph, in-degrees {g.in_degree.tolist()}, 3 layers",
            (g, 3),
        ),
        ("one node, no edge, 2 layers", (Graph([], [], 1), 2)),
        ("the causal graph of 5 words (self loops), 2 layers", (causal_graph(5), 2)),
    ]


def _receptive_field(graph, num_layers):
    return hop_distance(graph, num_layers) >= 0


def _reach(A, layers):
    reached = np.eye(A.shape[0], dtype=bool)
    for _ in range(layers):
        reached = reached | (A @ reached > 0)
    return reached


def _receptive_all_layers(graph, num_layers):
    return _reach(graph.adjacency(), graph.num_nodes)


def _receptive_one_short(graph, num_layers):
    return _reach(graph.adjacency(), num_layers - 1)


def _receptive_one_more(graph, num_layers):
    return _reach(graph.adjacency(), num_layers + 1)


def _receptive_no_self(graph, num_layers):
    A = graph.adjacency()
    power, total = np.eye(graph.num_nodes), np.zeros_like(A)
    for _ in range(num_layers):
        power = A @ power
        total = total + power
    return total > 0


def _receptive_exactly(graph, num_layers):
    return np.linalg.matrix_power(graph.adjacency(), num_layers) > 0


def _receptive_transposed(graph, num_layers):
    return _reach(graph.adjacency().T, num_layers)


def _receptive_counts(graph, num_layers):
    return np.linalg.matrix_power(graph.adjacency() + np.eye(graph.num_nodes), num_layers)


RECEPTIVE_MISTAKES = [
    (
        "num_layers ignored: every node the graph can reach",
        "Each layer moves information one edge: after num_layers layers node i has heard\n"
        "the nodes at most num_layers hops away, not all of its connected part.",
        _receptive_all_layers,
    ),
    (
        "one layer short (range(1, num_layers) or num_layers - 1 steps)",
        "Start from reached = I (0 layers: each node has heard itself) and do num_layers\n"
        "steps: for _ in range(num_layers).",
        _receptive_one_short,
    ),
    (
        "one layer too many",
        "reached = I is the state after 0 layers; each of the num_layers steps adds one hop:\n"
        "for _ in range(num_layers), not range(num_layers + 1).",
        _receptive_one_more,
    ),
    (
        "node i does not reach itself: the sum of A^1 .. A^L without I",
        "A node's own features are there from layer 0 on (the self term of the layer):\n"
        "start from reached = np.eye(n, dtype=bool), i.e. (A + I)^L, not A + A^2 + ... + A^L.",
        _receptive_no_self,
    ),
    (
        "only the nodes exactly num_layers hops away: A^L, the self term left out",
        "A layer keeps what a node has heard and adds its neighbours': reached | (A @ reached\n"
        "> 0), i.e. (A + I)^L. A^L alone counts walks of exactly L edges.",
        _receptive_exactly,
    ),
    (
        "the direction reversed: reached[i, j] read as i influences j",
        "A[i, j] = 1 iff j -> i, so (A @ reached)[i, j] > 0 means i hears a node that has\n"
        "heard j: use A, not A.T (networkx's paths from a source go the other way).",
        _receptive_transposed,
    ),
    (
        "walk counts (A + I)^L instead of a bool",
        "The entries of (A + I)^L count walks; the blank asks whether there is one: compare\n"
        "with 0, np.linalg.matrix_power(A + I, L) > 0.",
        _receptive_counts,
    ),
]


def check_receptive_field(fn) -> None:
    """Check ``fn(graph, num_layers)`` against ``gl.hop_distance(graph, num_layers) >= 0``."""
    __tracebackhide__ = True
    run_check(
        "receptive_field",
        fn,
        _receptive_cases(),
        _receptive_field,
        "gl.hop_distance(graph, num_layers) >= 0",
        RECEPTIVE_MISTAKES,
        compare_with=_compare_mask,
    )
