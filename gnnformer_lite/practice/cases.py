"""The inputs that several practice checks share: small graphs and a sentence's features.

Every one is deterministic (fixed seeds), so a check's cases, and its messages, are the same
on every run.
"""

from __future__ import annotations

import numpy as np

from ..graphs import Graph, add_self_loops
from ..positional import sinusoidal_encoding
from ..sentences import dependency_graph, example_sentence

__all__ = [
    "as_float32",
    "embedded_sentence",
    "noisy",
    "rounded_normal",
    "sentence_arcs",
    "sentence_tree",
    "star_graph",
    "toy_graph",
    "uneven_graph",
]


# --- graphs ------------------------------------------------------------------------------


def star_graph():
    """Notebook 03's star: "sat" (0) and its neighbours "cat", "mat", "tired" (1-3), self loops."""
    return add_self_loops(Graph([1, 2, 3, 0, 0, 0], [0, 0, 0, 1, 2, 3], 4))


def toy_graph():
    """Notebook 02's (and 07's) 4-node graph: 0 <-> 1 <-> 2 <-> 3 and the one-way edge 0 -> 3."""
    return Graph([0, 1, 1, 2, 2, 3, 0], [1, 0, 2, 1, 3, 2, 3], 4)


def sentence_tree(self_loops: bool = False):
    """The dependency tree of the running sentence (``gl.example_sentence()``): 10 words."""
    return dependency_graph(example_sentence()[1], self_loops=self_loops)


def uneven_graph(seed: int = 0, n: int = 7):
    """A random directed graph with uneven in-degrees (0 to n) and an isolated node (n - 1)."""
    rng = np.random.default_rng(seed)
    senders, receivers = [], []
    for i in range(n - 1):  # node i hears a random subset of size i (node 0 hears nobody)
        picked = rng.choice(n - 1, size=i, replace=False)
        senders += picked.tolist()
        receivers += [i] * i
    return Graph(senders, receivers, n)


def sentence_arcs() -> Graph:
    """The running sentence's arcs one way, each word -> its head: 10 nodes, 9 edges."""
    heads = example_sentence()[1]
    child = np.flatnonzero(heads >= 0)
    return Graph(child, heads[child], heads.size)


# --- a sentence's features and a layer's parameters (notebook 05) -----------------------


def embedded_sentence(d_model: int, seed: int = 0) -> np.ndarray:
    """The running sentence as notebook 05 builds it: word embeddings + sinusoidal positions."""
    words, _ = example_sentence()
    vocab = sorted(set(words))
    table = np.random.default_rng(seed).normal(size=(len(vocab), d_model))
    return table[[vocab.index(w) for w in words]] + sinusoidal_encoding(len(words), d_model)


def rounded_normal(rng, *shape) -> np.ndarray:
    """Small hand-readable features: normal numbers rounded to one decimal."""
    return np.round(rng.normal(size=shape), 1)


def noisy(params: dict, rng) -> dict:
    """``params`` with random biases, gamma and beta: init's 0 and 1 would hide a missing term."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out[key] = noisy(value, rng)
        elif key.startswith("b") or key == "beta":
            out[key] = value + rng.normal(scale=0.5, size=value.shape).astype(value.dtype)
        elif key == "gamma":
            out[key] = value + rng.normal(scale=0.5, size=value.shape).astype(value.dtype)
        else:
            out[key] = value
    return out


def as_float32(tree):
    """A parameter tree (or one array) with every array cast to float32, the rest kept."""
    if isinstance(tree, dict):
        return {key: as_float32(value) for key, value in tree.items()}
    return tree.astype(np.float32) if isinstance(tree, np.ndarray) else tree
