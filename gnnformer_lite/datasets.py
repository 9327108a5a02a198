r"""The course's data sets, generated here (nothing is downloaded).

**Subject-verb agreement** with attractors (Linzen et al., 2016). A sentence like

    near the box , the keys to the old cabinet that the dog chased <V> here .

has one main verb, written as the number-neutral token ``<V>``; the task is to
say whether it should be singular ("opens") or plural ("open"), i.e. the number
of its subject ("keys"). Nouns between the subject and the verb whose number is
the other one ("cabinet", "dog") are **attractors**: the closest noun is not the
subject. The generator is leak-proof by design:

- the main verb is the single token ``<V>``, the same for both labels;
- verbs inside relative clauses are past tense ("chased"), which has no number;
- "the" and adjectives carry no number; only nouns do;
- sometimes a prepositional phrase is fronted ("near the box ,"), so "the first
  noun of the sentence" is no shortcut either.

Every sentence comes with its dependency tree (``heads[i]`` is word i's head,
``-1`` for ``<V>``, the root), in the style of Universal Dependencies: the
subject, the fronted phrase, the punctuation and the adverbs hang off the verb;
a prepositional phrase hangs off the noun it modifies, its preposition off its
noun; a relative clause hangs off its noun by its verb. The trees are
projective (no two arcs cross when drawn above the sentence).

The out-of-distribution split fronts a phrase with **two** nouns ("near the box
of the keys ,"), which puts the subject at word positions 8-11; in the
training split it sits at positions 1-7.

**Zachary's karate club** (``karate_club``) with its two factions as labels.

**The nearest marked node** (``nearest_marked_dataset``), a graph task: on a path,
read out at node 0 the colour of the nearer of two marked nodes, ``d`` hops away.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._checks import as_count, as_rng
from .graphs import Graph, check_graph, from_networkx
from .sentences import path_graph

__all__ = [
    "agreement_dataset",
    "agreement_sentence",
    "agreement_vocabulary",
    "best_connected",
    "karate_club",
    "nearest_marked_dataset",
    "token_ids",
]

VERB = "<V>"
PAD = "<pad>"
SINGULAR_NOUNS = (
    "key", "cabinet", "dog", "cat", "box", "door", "author", "book", "table", "friend",
)  # fmt: skip
PLURAL_NOUNS = (
    "keys", "cabinets", "dogs", "cats", "boxes", "doors", "authors", "books", "tables", "friends",
)  # fmt: skip
ADJECTIVES = ("old", "red", "small", "new", "big")
PREPOSITIONS = ("to", "near", "behind", "on", "with", "under")
TRANSITIVE_PAST = ("chased", "saw", "liked", "found", "helped")
INTRANSITIVE_PAST = ("fell", "slept", "waited")
ADVERBS = ("often", "still", "probably")  # between the subject and the verb
ENDINGS = ("here", "again", "today")  # after the verb

# The modifiers that may follow the subject, as sequences of phrase kinds. Each
# phrase attaches to the latest noun, so "pp", "pp" nests ("the key to the box
# near the doors"). A phrase with a noun in it can hold an attractor.
MODIFIER_PATTERNS = (
    (),
    ("adverb",),
    ("relative_intransitive",),  # the keys that fell <V>
    ("pp",),  # the key to the cabinets <V>
    ("relative_object",),  # the dogs that the cat chased <V>
    ("relative_subject",),  # the dogs that chased the cat <V>
    ("pp", "pp"),
    ("pp", "relative_object"),
    ("pp", "relative_subject"),
    ("relative_subject", "pp"),
)
SPLITS = ("train", "ood")


def agreement_vocabulary() -> list[str]:
    """Every token the agreement generator can emit, ``PAD`` first (id 0), then sorted.

    A token's id is its index in this list (see ``token_ids``).
    """
    words = {VERB, ",", ".", "the", "that", "of", *SINGULAR_NOUNS, *PLURAL_NOUNS, *ADJECTIVES}
    words.update(PREPOSITIONS, TRANSITIVE_PAST, INTRANSITIVE_PAST, ADVERBS, ENDINGS)
    return [PAD, *sorted(words)]


def token_ids(sentences: Sequence[Sequence[str]], vocab: Sequence[str] | None = None) -> list:
    """Token ids of each sentence: a list of ``(n_b,)`` int64 arrays.

    ``vocab`` defaults to ``agreement_vocabulary()``; an unknown token raises a
    ``ValueError`` naming it and the sentence it is in.
    """
    vocab = agreement_vocabulary() if vocab is None else list(vocab)
    index = {w: k for k, w in enumerate(vocab)}
    if isinstance(sentences, str) or (len(sentences) and isinstance(sentences[0], str)):
        raise TypeError("sentences must be a list of token lists, e.g. [['the', 'key', '<V>']]")
    out = []
    for b, words in enumerate(sentences):
        unknown = [w for w in words if w not in index]
        if unknown:
            raise ValueError(
                f"sentence {b} has token {unknown[0]!r}, which is not in the vocabulary "
                f"({len(vocab)} tokens)"
            )
        out.append(np.array([index[w] for w in words], dtype=np.int64))
    return out


# --- the generator -------------------------------------------------------------------


def _add(words: list, heads: list, word: str, head: int | None = None) -> int:
    """Append a word (its head may be filled in later); return its index."""
    words.append(word)
    heads.append(head)
    return len(words) - 1


def _noun_phrase(rng, words, heads, plural: bool, p_adjective: float) -> int:
    """the [adjective] noun; "the" and the adjective hang off the noun. Returns the noun."""
    first = _add(words, heads, "the")
    if rng.random() < p_adjective:
        _add(words, heads, str(rng.choice(ADJECTIVES)))
    nouns = PLURAL_NOUNS if plural else SINGULAR_NOUNS
    noun = _add(words, heads, str(rng.choice(nouns)))
    for k in range(first, noun):
        heads[k] = noun
    return noun


def _modifier(rng, words, heads, kind: str, anchor: int, plural, p_adj) -> int | None:
    """Append one phrase modifying the noun ``anchor``; return the noun it adds (or None).

    ``plural`` is the number of that noun (unused when the phrase has none).
    """
    if kind == "adverb":
        _add(words, heads, str(rng.choice(ADVERBS)))  # its head (the verb) is set later
        return None
    that = _add(words, heads, "that")
    if kind == "relative_intransitive":
        heads[that] = _add(words, heads, str(rng.choice(INTRANSITIVE_PAST)), anchor)
        return None
    if kind == "relative_object":  # that the cat chased: "cat" subject, "that" object
        noun = _noun_phrase(rng, words, heads, plural, p_adj)
        verb = _add(words, heads, str(rng.choice(TRANSITIVE_PAST)), anchor)
        heads[that] = heads[noun] = verb
        return noun
    if kind == "relative_subject":  # that chased the cat: "that" subject, "cat" object
        verb = _add(words, heads, str(rng.choice(TRANSITIVE_PAST)), anchor)
        heads[that] = verb
        noun = _noun_phrase(rng, words, heads, plural, p_adj)
        heads[noun] = verb
        return noun
    # "pp": to the cabinets -- the noun modifies the anchor, the preposition the noun
    words[that] = str(rng.choice(PREPOSITIONS))
    noun = _noun_phrase(rng, words, heads, plural, p_adj)
    heads[that], heads[noun] = noun, anchor
    return noun


def _fronted_phrase(rng, words, heads, num_nouns: int, p_adj: float) -> list[int]:
    """near the box [of the keys] , -- returns its nouns; the first hangs off the verb."""
    prep = _add(words, heads, str(rng.choice(PREPOSITIONS)))
    nouns = [_noun_phrase(rng, words, heads, bool(rng.integers(2)), p_adj)]
    heads[prep] = nouns[0]
    for _ in range(num_nouns - 1):
        of = _add(words, heads, "of")
        nouns.append(_noun_phrase(rng, words, heads, bool(rng.integers(2)), p_adj))
        heads[of], heads[nouns[-1]] = nouns[-1], nouns[-2]
    _add(words, heads, ",")  # punctuation: hangs off the verb
    return nouns


def agreement_sentence(
    rng: np.random.Generator,
    *,
    fronted_nouns: int = 0,
    pattern: Sequence[str] = (),
    num_attractors: int = 0,
    plural: bool = False,
    p_adjective: float = 0.3,
    p_ending: float = 0.4,
) -> dict:
    """One sentence with its dependency tree, built from an explicit recipe.

    Args:
        rng: a seeded ``np.random.Generator`` (it picks the words).
        fronted_nouns: 0 (no fronted phrase), 1 ("near the box ,") or 2
            ("near the box of the keys ,"); the fronted nouns get random numbers.
        pattern: the modifiers between subject and verb, one of ``MODIFIER_PATTERNS``.
        num_attractors: how many of the pattern's nouns take the other number;
            at most the number of nouns in ``pattern``.
        plural: the subject's number, i.e. the label.
        p_adjective: chance that a noun phrase gets an adjective.
        p_ending: chance of an adverb after the verb ("<V> here .").

    Returns:
        a dict with ``tokens`` (list of str), ``heads`` (``(n,)`` int64, ``-1`` for
        the root ``<V>``), ``label`` (0 singular, 1 plural), ``subject`` and ``verb``
        (word indices), ``attractors`` (indices of the nouns between them with the
        other number) and ``fronted`` (indices of the fronted nouns).
    """
    rng = as_rng(rng)
    pattern = tuple(pattern)
    if pattern not in MODIFIER_PATTERNS:
        raise ValueError(f"pattern must be one of MODIFIER_PATTERNS, got {pattern!r}")
    fronted_nouns = as_count(fronted_nouns, "fronted_nouns")
    if fronted_nouns > 2:
        raise ValueError(f"fronted_nouns must be 0, 1 or 2, got {fronted_nouns}")
    slots = sum(kind not in ("adverb", "relative_intransitive") for kind in pattern)
    num_attractors = as_count(num_attractors, "num_attractors")
    if num_attractors > slots:
        raise ValueError(
            f"num_attractors={num_attractors} but pattern {pattern} has only {slots} noun(s)"
        )
    words: list[str] = []
    heads: list = []
    fronted = (
        _fronted_phrase(rng, words, heads, fronted_nouns, p_adjective) if fronted_nouns else []
    )
    subject = _noun_phrase(rng, words, heads, plural, p_adjective)
    flips = np.zeros(slots + 1, dtype=bool)  # one spare slot for phrases without a noun
    flips[rng.permutation(slots)[:num_attractors]] = True  # which nouns are attractors
    anchor, attractors, slot = subject, [], 0
    to_verb = [*fronted[:1], subject]  # words that hang off the verb, found as we go
    for kind in pattern:
        noun = _modifier(rng, words, heads, kind, anchor, plural ^ flips[slot], p_adjective)
        if kind == "adverb":
            to_verb.append(len(words) - 1)
        if noun is not None:
            if flips[slot]:
                attractors.append(noun)
            anchor, slot = noun, slot + 1
    verb = _add(words, heads, VERB, -1)
    if rng.random() < p_ending:
        to_verb.append(_add(words, heads, str(rng.choice(ENDINGS))))
    to_verb.append(_add(words, heads, "."))
    to_verb += [k for k, w in enumerate(words) if w == ","]
    for k in to_verb:
        heads[k] = verb
    return {
        "tokens": words,
        "heads": np.array(heads, dtype=np.int64),
        "label": int(plural),
        "subject": subject,
        "verb": verb,
        "attractors": np.array(attractors, dtype=np.int64),
        "fronted": np.array(fronted, dtype=np.int64),
    }


def agreement_dataset(
    num_sentences: int,
    seed: int = 0,
    *,
    split: str = "train",
    max_len: int | None = None,
    p_fronted: float = 0.5,
) -> dict:
    """``num_sentences`` sentences for subject-verb agreement with 0-2 attractors.

    The data are the same for the same ``seed`` (of ``np.random.default_rng``). Each
    sentence draws its label (the subject's number) by a fair coin, a
    modifier pattern uniformly from ``MODIFIER_PATTERNS``, and a number of
    attractors uniformly from 0 up to the nouns the pattern has; a sentence
    longer than ``max_len`` words is drawn again.

    Args:
        split: ``"train"`` -- a fronted phrase with one noun in a fraction
            ``p_fronted`` of the sentences, the subject at positions 1-7; or
            ``"ood"`` -- every sentence fronts a phrase with two nouns, the subject
            at positions 8-11, further right than anywhere in training.
        max_len: longest sentence; default 16 for ``"train"`` (lengths 4-16) and 20
            for ``"ood"`` (the longer fronted phrase needs the room).
        p_fronted: the share of fronted phrases in ``"train"``.

    Returns:
        a dict of per-sentence values: ``tokens`` (list of token lists), ``heads``
        (list of ``(n_b,)`` arrays), ``attractors`` and ``fronted`` (lists of index
        arrays), and the ``(N,)`` int64 arrays ``labels`` (0 singular, 1 plural),
        ``subject``, ``verb``, ``num_attractors`` and ``lengths``.
    """
    num_sentences = as_count(num_sentences, "num_sentences")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if max_len is None:
        max_len = 16 if split == "train" else 20
    max_len = as_count(max_len, "max_len")
    shortest = 4 if split == "train" else 12  # "the key <V> ." / the fronted phrase too
    if max_len < shortest:
        raise ValueError(f"max_len={max_len} is shorter than the shortest {split} sentence")
    if not 0.0 <= p_fronted <= 1.0:
        raise ValueError(f"p_fronted must be in [0, 1], got {p_fronted}")
    rng = np.random.default_rng(seed)
    sentences = []
    while len(sentences) < num_sentences:
        pattern = MODIFIER_PATTERNS[rng.integers(len(MODIFIER_PATTERNS))]
        slots = sum(kind not in ("adverb", "relative_intransitive") for kind in pattern)
        fronted = 2 if split == "ood" else int(rng.random() < p_fronted)
        s = agreement_sentence(
            rng,
            fronted_nouns=fronted,
            pattern=pattern,
            num_attractors=int(rng.integers(slots + 1)),
            plural=bool(rng.integers(2)),
        )
        if len(s["tokens"]) <= max_len:
            sentences.append(s)
    out = {key: [s[key] for s in sentences] for key in ("tokens", "heads", "attractors", "fronted")}
    for key, name in (("labels", "label"), ("subject", "subject"), ("verb", "verb")):
        out[key] = np.array([s[name] for s in sentences], dtype=np.int64)
    out["num_attractors"] = np.array([s["attractors"].size for s in sentences], dtype=np.int64)
    out["lengths"] = np.array([len(s["tokens"]) for s in sentences], dtype=np.int64)
    return out


def karate_club() -> tuple:
    """Zachary's karate club: the friendship graph and the faction each member joined.

    Returns:
        ``(graph, labels, clubs)``: a ``Graph`` on 34 nodes (each friendship two
        edges), ``labels: (34,)`` int64 with ``labels[i]`` the index of node i's
        club in ``clubs``, and ``clubs`` the sorted club names (``'Mr. Hi'``,
        ``'Officer'``) from networkx's ``'club'`` attribute.
    """
    import networkx as nx

    G = nx.karate_club_graph()
    club = [G.nodes[v]["club"] for v in G.nodes]
    clubs = sorted(set(club))
    labels = np.array([clubs.index(c) for c in club], dtype=np.int64)
    return from_networkx(G), labels, clubs


def best_connected(graph, labels) -> np.ndarray:
    """One node per class: the class member with the most incoming edges (the first on a tie).

    ``labels: (n,)`` are ints in ``[0, C)``, one per node of ``graph``, every class with a
    member; returns ``(C,)`` int64 node indices, class by class. The semi-supervised
    karate-club demo labels only these nodes, one per faction (the leaders, Mr. Hi and the
    Officer, are the best-connected members of their factions).
    """
    check_graph(graph)
    labels = np.asarray(labels)
    if labels.shape != (graph.num_nodes,) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be ({graph.num_nodes},) ints, one per node, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    deg = graph.in_degree
    classes = range(int(labels.max()) + 1 if labels.size else 0)
    members = [np.flatnonzero(labels == c) for c in classes]
    empty = [c for c, m in zip(classes, members, strict=True) if m.size == 0]
    if empty:
        raise ValueError(f"class {empty[0]} has no member, so it has no best-connected node")
    return np.array([m[np.argmax(deg[m])] for m in members], dtype=np.int64)


# --- the nearest marked node on a path ------------------------------------------------


def nearest_marked_dataset(
    num_graphs: int,
    seed: int = 0,
    *,
    max_distance: int = 12,
    num_colours: int = 4,
    extra_nodes: int = 0,
) -> dict:
    r"""``num_graphs`` path graphs with two marked nodes; the label is the nearer one's colour.

    The same ``seed`` (of ``np.random.default_rng``) gives the same data. For each
    graph: draw the distance :math:`d` uniformly from ``1..max_distance``, then the
    size :math:`n` uniformly from :math:`d+2 .. D+2` (:math:`D` = ``max_distance``),
    and the path :math:`0 - 1 - \dots - (n-1)`. Every node gets a colour drawn
    uniformly from ``num_colours``. Node 0 is the **source**; nodes :math:`d` and
    :math:`n-1` are **marked**. Node :math:`n-1` is a decoy: its colour is drawn again
    until it differs from node :math:`d`'s. The label is node :math:`d`'s colour, to be
    read out at node 0, exactly :math:`d` hops away.

    Node features (one row per node, ``num_colours + 2`` columns): the one-hot
    colour, ``is_source``, ``is_marked``.

    ``extra_nodes=m`` hangs ``m`` more unmarked nodes off the path, each onto a
    uniformly chosen earlier node: every graph becomes a random tree that contains
    the path, so node :math:`d` is still :math:`d` hops from node 0 and the decoy
    :math:`n - 1` still further, but the decoy is no longer always a leaf.

    What a model can do without the right graph:

    - a k-layer GNN with :math:`d > k` sees no marked node from node 0: its best is
      chance, ``1 / num_colours``;
    - a model that sees the nodes as a set (no edges, no positions) knows both marked
      colours but not which is nearer: its best is exactly 1/2.

    Args:
        max_distance: :math:`D`, the largest distance (graphs have 3..D+2 nodes).
        num_colours: :math:`C >= 2`.
        extra_nodes: unmarked nodes added to each path (0: the path alone).

    Returns:
        a dict: ``graphs`` (list of ``path_graph(n)``, or trees with ``n + m`` nodes),
        ``features`` (list of ``(n_b + m, C + 2)`` float arrays), and the ``(N,)`` int64
        arrays ``labels``, ``distance``, ``path_nodes`` (``n``, the nodes of the path),
        ``decoy`` (node ``n - 1``) and ``decoy_colour``.
    """
    num_graphs = as_count(num_graphs, "num_graphs")
    m = as_count(extra_nodes, "extra_nodes")
    D, C = as_count(max_distance, "max_distance"), as_count(num_colours, "num_colours")
    if D < 1:
        raise ValueError(f"max_distance must be >= 1, got {D}")
    if C < 2:
        raise ValueError(f"num_colours must be >= 2 (the decoy needs another colour), got {C}")
    rng = np.random.default_rng(seed)
    keys = ("graphs", "features", "labels", "distance", "path_nodes", "decoy_colour")
    out: dict = {key: [] for key in keys}
    for _ in range(num_graphs):
        d = int(rng.integers(1, D + 1))
        n = int(rng.integers(d + 2, D + 3))
        colour = rng.integers(0, C, size=n + m)
        while colour[n - 1] == colour[d]:  # the decoy's colour differs from the answer's
            colour[n - 1] = rng.integers(0, C)
        graph = path_graph(n)
        if m:  # node n + t hangs off a uniformly chosen earlier node
            parent = np.array([rng.integers(0, n + t) for t in range(m)], dtype=np.int64)
            child = np.arange(n, n + m)
            s_, r_ = graph.senders, graph.receivers
            graph = Graph(np.r_[s_, parent, child], np.r_[r_, child, parent], n + m)
        x = np.zeros((n + m, C + 2))
        x[np.arange(n + m), colour] = 1.0
        x[0, C] = 1.0  # is_source
        x[[d, n - 1], C + 1] = 1.0  # is_marked
        for key, value in zip(keys, (graph, x, colour[d], d, n, colour[n - 1]), strict=True):
            out[key].append(value)
    for key in ("labels", "distance", "path_nodes", "decoy_colour"):
        out[key] = np.array(out[key], dtype=np.int64)
    out["decoy"] = out["path_nodes"] - 1
    return out
