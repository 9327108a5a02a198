r"""The graphs of a sentence: which words hear which, as a modelling choice.

A sentence of ``n`` words is a graph on ``n`` nodes (``graphs.Graph``). Which graph
is the model: the Transformer uses the complete graph (every word hears every
word), a local model a window graph, a language model the causal graph, a parser
the dependency tree; sparse Transformers (Longformer, BigBird) use windows with
holes, global tokens and random edges. Each function here builds one of them,
``N(i)`` in its docstring; ``sentence_graphs`` builds the course's four for any
sentence you type, ``example_sentence`` is the course's running example.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_count, as_index_array, as_rng, check_range
from .graphs import Graph, add_self_loops, check_graph, from_adjacency, union_graph

__all__ = [
    "bigbird_graph",
    "causal_graph",
    "complete_graph",
    "dependency_graph",
    "dilated_graph",
    "example_sentence",
    "global_token_graph",
    "path_graph",
    "random_graph",
    "sentence_graphs",
    "sentence_heads",
    "sentence_words",
    "window_graph",
]


def complete_graph(n: int, self_loops: bool = True) -> Graph:
    """The fully connected graph on ``n`` nodes: every j -> i (with i -> i if ``self_loops``).

    This is the Transformer's graph: every word attends to every word, itself included.
    """
    n = as_count(n, "n")
    mask = np.ones((n, n), dtype=bool)
    if not self_loops:
        np.fill_diagonal(mask, False)
    return from_adjacency(mask)


def window_graph(n: int, radius: int, self_loops: bool = True) -> Graph:
    """Edges j -> i for ``|i - j| <= radius``: each word hears its neighbours in the sentence.

    The dilated window with no holes, ``dilated_graph(n, radius, dilation=1)``.
    """
    return dilated_graph(n, radius, 1, self_loops)


def dilated_graph(n: int, radius: int, dilation: int, self_loops: bool = True) -> Graph:
    r"""Edges j -> i for ``i - j = t * dilation`` with ``|t| <= radius``: a window with holes.

    .. math:: \mathcal{N}(i) = \{\, i + t\,\delta : t = -r, \dots, r,\ 0 \le i + t\,\delta < n \,\}

    with :math:`r` = ``radius`` and :math:`\delta` = ``dilation`` (``t = 0``, the self
    loop, only if ``self_loops``). Each word hears ``2r`` others, as in a window of
    radius ``r``, but spread over ``2 r \delta`` positions: the dilated sliding window
    of Longformer (Beltagy et al., 2020). ``dilation=1`` is :func:`window_graph`.
    """
    n = as_count(n, "n")
    radius = as_count(radius, "radius")
    dilation = as_count(dilation, "dilation")
    if dilation < 1:
        raise ValueError(f"dilation must be >= 1 (1 is the plain window), got {dilation}")
    offsets = dilation * np.arange(-radius, radius + 1)
    if not self_loops:
        offsets = offsets[offsets != 0]
    r = np.repeat(np.arange(n), offsets.size)  # O(n * radius): never an n x n array
    s = r + np.tile(offsets, n)
    keep = (s >= 0) & (s < n)
    return Graph(s[keep], r[keep], n)


def causal_graph(n: int) -> Graph:
    """Edges j -> i for ``j <= i``: each word hears itself and the words before it.

    The graph of a language model (a causal, or "decoder", Transformer).
    """
    n = as_count(n, "n")
    return from_adjacency(np.tril(np.ones((n, n), dtype=bool)))


def path_graph(n: int) -> Graph:
    """The sentence as a chain, each word linked both ways to the next; no self loops."""
    return window_graph(n, 1, self_loops=False)


def dependency_graph(heads: ArrayLike, self_loops: bool = False) -> Graph:
    """The dependency tree as a graph: an edge each way between each word and its head.

    Args:
        heads: ``(n,)`` ints, ``heads[i]`` is the index of word i's head, ``-1`` for the root.
        self_loops: also add i -> i for every word.

    Raises ``ValueError`` unless ``heads`` describes one tree: values in
    ``[-1, n)``, exactly one root, no cycles.
    """
    heads = as_index_array(heads, "heads")
    n = heads.shape[0]
    if n and not (heads == -1).any() and (heads == 0).sum() == 1 and heads.max() <= n:
        if _is_tree(heads - 1):  # 1-based, as CoNLL-U writes it: minus one is a tree
            raise ValueError(
                f"heads {heads.tolist()} has no -1 but one 0: it looks 1-based, as a CoNLL-U "
                f"file writes it (words from 1, the root's head 0). Here heads count words "
                f"from 0 and the root's head is -1: pass heads - 1"
            )
    check_range(
        heads,
        "heads",
        n,
        f"a sentence of {n} words (word indices 0..{n - 1}, -1 for the root)",
        lower=-1,
    )
    roots = np.flatnonzero(heads == -1)
    if n and roots.size != 1:
        raise ValueError(f"heads must have exactly one root (-1), found {roots.size}: {roots}")
    ancestor = np.where(heads < 0, np.arange(n), heads)  # the root is its own head
    for _ in range(n.bit_length()):  # after t rounds: each word's 2^t-th ancestor
        ancestor = ancestor[ancestor]
    if n and not (heads[ancestor] == -1).all():  # a word that never reaches the root
        _raise_cycle(heads)
    child = np.flatnonzero(heads >= 0)
    s = np.concatenate([child, heads[child]])
    r = np.concatenate([heads[child], child])
    g = Graph(s, r, n)
    return add_self_loops(g) if self_loops else g


def global_token_graph(n: int, global_nodes: ArrayLike, base: Graph | None = None) -> Graph:
    r"""Global tokens: every node in ``global_nodes`` sends to and receives from all n nodes.

    .. math:: \mathcal{N}(i) = \mathcal{N}_\text{base}(i) \cup G \ \text{ for } i \notin G,
        \qquad \mathcal{N}(g) = \{0, \dots, n-1\} \ \text{ for } g \in G

    with :math:`G` = ``global_nodes`` (a global token hears itself too). The global
    attention of Longformer and BigBird (e.g. the ``[CLS]`` token): any two words
    are at most two hops apart, through a global token, at a cost of about ``2 n``
    edges per token. ``base=None`` gives the global edges alone; pass e.g. a
    ``window_graph`` for local + global attention.

    Args:
        n: number of nodes.
        global_nodes: distinct node indices in ``[0, n)``.
        base: an optional ``Graph`` on ``n`` nodes whose edges are kept.
    """
    n = as_count(n, "n")
    glob = as_index_array(global_nodes, "global_nodes")
    check_range(glob, "global_nodes", n, f"n={n}")
    if np.unique(glob).size != glob.size:
        raise ValueError(f"global_nodes must be distinct, got {glob.tolist()}")
    if base is not None:
        check_graph(base, name="base")
        if base.num_nodes != n:
            raise ValueError(f"base has num_nodes={base.num_nodes} but n={n}")
    everyone = np.arange(n)
    into = Graph(np.tile(everyone, glob.size), np.repeat(glob, n), n)  # all -> g
    out_of = Graph(np.repeat(glob, n), np.tile(everyone, glob.size), n)  # g -> all
    return union_graph(into, out_of, *([] if base is None else [base]))


def random_graph(
    n: int, num_random: int, *, rng: np.random.Generator, exclude: Graph | None = None
) -> Graph:
    r"""Random attention: each node i hears ``num_random`` other nodes drawn uniformly at random.

    .. math:: \mathcal{N}(i) \subset \{0, \dots, n-1\} \setminus (\{i\} \cup
        \mathcal{N}_\text{exclude}(i)), \qquad |\mathcal{N}(i)| = \text{num\_random}

    The senders of each receiver are drawn without replacement, so the graph is
    directed (j -> i does not imply i -> j) and has no self loops. With
    ``exclude``, the draw avoids the edges already in that graph (BigBird draws
    its random keys outside the window and the global tokens); a node with fewer
    than ``num_random`` candidates left gets all of them.

    Args:
        n: number of nodes.
        num_random: random senders per receiver, ``0 <= num_random <= n - 1``.
        rng: a seeded ``np.random.Generator``, e.g. ``np.random.default_rng(0)``.
        exclude: an optional ``Graph`` on ``n`` nodes whose edges are not drawn.
    """
    n = as_count(n, "n")
    num_random = as_count(num_random, "num_random")
    as_rng(rng)
    if num_random > max(n - 1, 0):
        raise ValueError(
            f"num_random={num_random} is too large for n={n}: a node has only "
            f"n - 1 = {max(n - 1, 0)} other nodes to hear"
        )
    if exclude is not None:
        check_graph(exclude, name="exclude")
        if exclude.num_nodes != n:
            raise ValueError(f"exclude has num_nodes={exclude.num_nodes} but n={n}")
    senders, receivers = [], []
    for i in range(n):  # one receiver at a time: O(n) memory, never an n x n array
        blocked = [i]
        if exclude is not None:
            blocked = np.append(exclude.senders[exclude.indptr[i] : exclude.indptr[i + 1]], i)
        candidates = np.setdiff1d(np.arange(n), blocked)
        picked = rng.choice(candidates, size=min(num_random, candidates.size), replace=False)
        senders.append(picked)
        receivers.append(np.full(picked.size, i))
    if not senders:
        return Graph([], [], n)
    return Graph(np.concatenate(senders), np.concatenate(receivers), n)


def bigbird_graph(
    n: int, radius: int, global_nodes: ArrayLike, num_random: int, *, rng: np.random.Generator
) -> Graph:
    r"""BigBird's sparse attention graph: window + global tokens + random edges.

    .. math:: \mathcal{N}(i) = \underbrace{\{j : |i - j| \le r\}}_\text{window}
        \cup \underbrace{G}_\text{global} \cup
        \underbrace{R(i)}_\text{random},

    plus all of ``0 .. n-1`` for a global node (Zaheer et al., 2020), where
    ``R(i)`` holds ``num_random`` senders drawn outside the window and the global
    tokens (fewer if not enough are left). Built as
    ``union_graph(base, random_graph(n, num_random, rng=rng, exclude=base))`` with
    ``base = global_token_graph(n, global_nodes, window_graph(n, radius))``.
    """
    base = global_token_graph(n, global_nodes, window_graph(n, radius))
    return union_graph(base, random_graph(n, num_random, rng=rng, exclude=base))


def example_sentence() -> tuple[list[str], np.ndarray]:
    """The course's running example, with its dependency tree written by hand.

    Returns:
        ``(words, heads)``: 10 words, and ``heads[i]`` = the index of word i's
        head in the dependency tree (``-1`` for the root, "sat"). Nodes are
        indices, not words: "the" appears twice.

    The tree follows Universal Dependencies: "cat" is the subject of "sat",
    "mat" its oblique argument (with "on" and "the"), and "tired" heads the
    clause "because it was tired". "it" refers to "cat", three hops away in the
    tree (it - tired - sat - cat) but six words away in the sentence.
    """
    words = ["the", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired"]
    heads = np.array([1, 2, -1, 5, 5, 2, 9, 9, 9, 2])
    return words, heads


def sentence_words(sentence: str | Sequence[str]) -> list[str]:
    """The words of ``sentence``: a string split on whitespace, or a list of words as given.

    Raises ``ValueError`` for an empty sentence (or an empty word in a list) and
    ``TypeError`` for anything that is not a string or a sequence of strings.
    """
    if isinstance(sentence, str):
        words = sentence.split()
    elif isinstance(sentence, bytes) or not isinstance(sentence, Sequence | np.ndarray):
        raise TypeError(
            f"sentence must be a string or a list of words (strings), got {type(sentence).__name__}"
        )
    else:
        words = list(sentence)
        for k, word in enumerate(words):
            if not isinstance(word, str | np.str_):
                raise TypeError(
                    f"sentence[{k}] must be a word (a string), got {type(word).__name__} {word!r}"
                )
            if not word.strip():
                raise ValueError(f"sentence[{k}] is an empty word ({word!r}); drop it")
        words = [str(word) for word in words]
    if not words:
        raise ValueError(
            f"sentence is empty ({sentence!r}): give at least one word, e.g. 'the cat sat'"
        )
    return words


def sentence_graphs(
    sentence: str | Sequence[str], heads: ArrayLike | None = None, *, radius: int = 1
) -> tuple[list[str], dict[str, Graph]]:
    """The course's graphs for any sentence: window, complete, causal and (with heads) tree.

    Args:
        sentence: a string (split on whitespace) or a list of words.
        heads: optional ``(n,)`` ints, one per word: ``heads[i]`` is the index of
            word i's head in a dependency tree you write by hand, ``-1`` for the
            root (as in :func:`example_sentence`).
        radius: the window graph's radius (each word hears words up to ``radius`` away).

    Returns:
        ``(words, graphs)``: the ``n`` words, and a dict of ``Graph`` on ``n``
        nodes, each what the function of that name builds by default:

        - ``"window"``: ``window_graph(n, radius)``, self loops included;
        - ``"complete"``: ``complete_graph(n)``, the Transformer's graph, self loops included;
        - ``"causal"``: ``causal_graph(n)``, each word hears itself and the words before it;
        - ``"tree"`` (only if ``heads`` is given): ``dependency_graph(heads)``, an
          edge each way between each word and its head, no self loops.

    Raises:
        ValueError: an empty sentence; ``heads`` of the wrong length; heads that
            are not one tree (out of range, not exactly one root, a cycle), as
            :func:`dependency_graph` checks them.
        TypeError: ``sentence`` is not a string or a sequence of strings.
    """
    words = sentence_words(sentence)
    n = len(words)
    radius = as_count(radius, "radius")
    heads = None if heads is None else sentence_heads(words, heads)
    graphs = {
        "window": window_graph(n, radius),
        "complete": complete_graph(n),
        "causal": causal_graph(n),
    }
    if heads is not None:
        graphs["tree"] = dependency_graph(heads)
    return words, graphs


def sentence_heads(words: Sequence[str], heads: ArrayLike) -> np.ndarray:
    """``heads`` as an ``(n,)`` int array, one per word of ``words`` (a list works too).

    Raises ``ValueError`` when the counts differ (``heads[i]`` is word i's head, -1 for
    the root), with both shown; whether they make one tree is ``dependency_graph``'s check.
    """
    heads = as_index_array(heads, "heads")
    if heads.shape != (len(words),):
        raise ValueError(
            f"heads has shape {heads.shape} but the sentence has {len(words)} words "
            f"({' '.join(words)!r}); give one head per word, -1 for the root"
        )
    return heads


def _is_tree(heads: np.ndarray) -> bool:
    """True if ``heads`` (0-based, -1 for the root) is one tree; no error either way."""
    try:
        dependency_graph(heads)
    except ValueError:
        return False
    return True


def _raise_cycle(heads: np.ndarray) -> None:
    """The ValueError for heads with a cycle, naming the loop itself."""
    __tracebackhide__ = True
    reaches_root = heads == -1
    for i in range(heads.shape[0]):  # pragma: no branch -- some word's walk meets the cycle
        path, j = [], i
        while not reaches_root[j]:
            if j in path:  # a word came back: report the loop itself
                loop = [*path[path.index(j) :], j]
                raise ValueError(
                    f"heads contains a cycle: {' -> '.join(map(str, loop))} (each word's head, "
                    f"followed from word {i}, never reaches the root)"
                )
            path.append(j)
            j = int(heads[j])
        reaches_root[path] = True
