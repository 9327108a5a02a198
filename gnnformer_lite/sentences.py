"""Your own sentence as graphs: the course's graphs for any words you type.

``words, graphs = sentence_graphs("the dog chased the ball")`` gives the same
graphs the course builds for its running example, for a sentence of your own;
pass hand-written dependency ``heads`` to get the tree too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._checks import as_count, as_index_array
from .graphs import Graph, causal_graph, complete_graph, dependency_graph, window_graph


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
    graphs = {
        "window": window_graph(n, radius),
        "complete": complete_graph(n),
        "causal": causal_graph(n),
    }
    if heads is not None:
        heads = as_index_array(heads, "heads")
        if heads.shape != (n,):
            raise ValueError(
                f"heads has shape {heads.shape} but the sentence has {n} words "
                f"({' '.join(words)!r}); give one head per word, -1 for the root"
            )
        graphs["tree"] = dependency_graph(heads)
    return words, graphs
