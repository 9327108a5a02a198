"""datasets: the agreement sentences, the karate club, and the nearest marked node.

- agreement (notebook 07): valid projective trees rooted at the verb, the right labels,
  and no leak -- the two baselines the issue names, "the closest noun before the verb"
  and a bag-of-words logistic regression (written here in NumPy), are at or below
  chance on 2-attractor sentences;
- the karate club and its best-connected members;
- the nearest marked node (notebook 09): the distributions its docstring states, the
  hop distances (checked with networkx), and the two baselines the notebook quotes (a
  k-hop ball sees no marked node; a set model is at exactly 1/2);
- bad inputs: a ``ValueError`` / ``TypeError`` naming the argument.
"""

import networkx as nx
import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import datasets

PLURAL = set(datasets.PLURAL_NOUNS)
NOUNS = set(datasets.SINGULAR_NOUNS) | PLURAL
C = 4  # colours in the small nearest-marked datasets


# --- agreement ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def train():
    return gl.agreement_dataset(3000, seed=0)


@pytest.fixture(scope="module")
def test_set():
    return gl.agreement_dataset(3000, seed=1)


@pytest.fixture(scope="module")
def ood():
    return gl.agreement_dataset(1000, seed=2, split="ood")


def is_projective(heads) -> bool:
    """No arc crosses another: every word strictly inside an arc descends from its head."""
    heads = np.asarray(heads)

    def descends(k, h):
        while k != -1:
            if k == h:
                return True
            k = heads[k]
        return False

    for d, h in enumerate(heads):
        if h < 0:
            continue
        lo, hi = sorted((d, h))
        if not all(descends(k, h) for k in range(lo + 1, hi)):
            return False
    return True


def test_is_projective_detects_a_crossing():
    assert is_projective([1, -1, 1])
    assert not is_projective([2, 3, -1, 2])  # arcs 0-2 and 1-3 cross


def test_same_seed_same_data_other_seed_other_data():
    a = gl.agreement_dataset(50, seed=7)
    b = gl.agreement_dataset(50, seed=7)
    c = gl.agreement_dataset(50, seed=8)
    assert a["tokens"] == b["tokens"]
    for key in ("labels", "subject", "verb", "num_attractors", "lengths"):
        np.testing.assert_array_equal(a[key], b[key])
    assert a["tokens"] != c["tokens"]


@pytest.mark.parametrize("split", ["train", "ood"])
def test_every_sentence_has_one_projective_tree_rooted_at_the_verb(split, train, ood):
    d = train if split == "train" else ood
    for words, heads, subject, verb in zip(
        d["tokens"], d["heads"], d["subject"], d["verb"], strict=True
    ):
        assert heads.dtype == np.int64 and heads.shape == (len(words),)
        g = gl.dependency_graph(heads)  # raises unless one root and no cycles
        assert g.num_edges == 2 * (len(words) - 1)
        assert np.flatnonzero(heads == -1).tolist() == [verb]
        assert words[verb] == datasets.VERB and words.count(datasets.VERB) == 1
        assert heads[subject] == verb and words[subject] in NOUNS
        assert is_projective(heads), " ".join(words)


def test_labels_attractors_and_lengths_match_the_words(train):
    for k, words in enumerate(train["tokens"]):
        s, v = train["subject"][k], train["verb"][k]
        assert train["labels"][k] == (words[s] in PLURAL)
        between = [i for i in range(s + 1, v) if words[i] in NOUNS]
        other = [i for i in between if (words[i] in PLURAL) != (words[s] in PLURAL)]
        assert train["attractors"][k].tolist() == other
        assert train["num_attractors"][k] == len(other) <= 2
        assert train["lengths"][k] == len(words)
        for f in train["fronted"][k]:
            assert f < s and words[f] in NOUNS
    assert train["lengths"].min() >= 4 and train["lengths"].max() <= 16
    assert sorted(np.unique(train["num_attractors"]).tolist()) == [0, 1, 2]
    assert 0.45 < train["labels"].mean() < 0.55
    fronted = np.array([f.size for f in train["fronted"]])
    assert sorted(np.unique(fronted).tolist()) == [0, 1]
    assert 0.4 < fronted.mean() < 0.6


def test_ood_subjects_sit_further_right_than_any_training_subject(train, ood):
    assert train["subject"].max() <= 7
    assert ood["subject"].min() >= 8 and ood["subject"].max() <= 11
    assert all(f.size == 2 for f in ood["fronted"])
    assert ood["lengths"].max() <= 20
    assert sorted(np.unique(ood["num_attractors"]).tolist()) == [0, 1, 2]


def test_only_nouns_carry_number(train):
    """Every other token is as frequent in singular as in plural sentences."""
    labels = train["labels"]
    others = sorted({w for ws in train["tokens"] for w in ws} - NOUNS)
    assert datasets.VERB in others and "the" in others
    for w in others:
        has = np.array([w in ws for ws in train["tokens"]])
        rates = [has[labels == c].mean() for c in (0, 1)]
        assert abs(rates[0] - rates[1]) < 0.05, (w, rates)
    inner_verbs = datasets.TRANSITIVE_PAST + datasets.INTRANSITIVE_PAST
    assert not any(v.endswith("s") for v in inner_verbs)  # no present-tense "chases"


def closest_noun_baseline(d) -> np.ndarray:
    """Predict the number of the last noun before the verb."""
    out = []
    for words, v in zip(d["tokens"], d["verb"], strict=True):
        last = [w for w in words[:v] if w in NOUNS][-1]
        out.append(int(last in PLURAL))
    return np.array(out)


def bag_of_words(d, vocab, delexicalise=False) -> np.ndarray:
    """Token counts, one row per sentence; ``delexicalise`` maps every noun to one column."""
    index = {w: k for k, w in enumerate(vocab)}
    x = np.zeros((len(d["tokens"]), len(vocab)))
    for b, words in enumerate(d["tokens"]):
        for w in words:
            x[b, index["key"] if delexicalise and w in NOUNS else index[w]] += 1
    return x


def logistic_regression(x, y, steps=300, lr=0.5, l2=1e-3):
    """Full-batch gradient descent on the mean cross-entropy; returns (w, b)."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = p - y
        w -= lr * (x.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return w, b


def test_closest_noun_is_right_without_attractors_and_wrong_with_two(test_set):
    pred = closest_noun_baseline(test_set)
    right = pred == test_set["labels"]
    n_att = test_set["num_attractors"]
    assert right[n_att == 0].mean() == 1.0
    assert (n_att == 2).sum() > 100
    assert right[n_att == 2].mean() <= 0.5  # at or below chance (here: always wrong)


def test_bag_of_words_learns_but_is_at_most_chance_on_two_attractors(train, test_set):
    vocab = gl.agreement_vocabulary()
    w, b = logistic_regression(bag_of_words(train, vocab), train["labels"])
    pred = (bag_of_words(test_set, vocab) @ w + b > 0).astype(int)
    right = pred == test_set["labels"]
    n_att = test_set["num_attractors"]
    assert right[n_att == 0].mean() > 0.8  # the baseline did learn: it counts nouns
    assert right[n_att == 2].mean() <= 0.55


def test_without_the_nouns_nothing_predicts_the_label(train, test_set):
    """Delexicalised: every noun is the same token; the rest must be uninformative."""
    vocab = gl.agreement_vocabulary()
    w, b = logistic_regression(bag_of_words(train, vocab, True), train["labels"])
    pred = (bag_of_words(test_set, vocab, True) @ w + b > 0).astype(int)
    assert 0.45 < (pred == test_set["labels"]).mean() < 0.55


def test_agreement_sentence_follows_its_recipe():
    rng = np.random.default_rng(0)
    s = gl.agreement_sentence(
        rng, fronted_nouns=1, pattern=("pp", "relative_object"), num_attractors=2, plural=True
    )
    words = s["tokens"]
    assert words[s["subject"]] in PLURAL and s["label"] == 1
    assert len(s["attractors"]) == 2
    assert all(words[a] not in PLURAL for a in s["attractors"])
    assert "," in words and "that" in words and s["fronted"].size == 1
    s0 = gl.agreement_sentence(rng)
    assert s0["tokens"][:2] == ["the", s0["tokens"][1]] and s0["verb"] in (2, 3)


def test_vocabulary_encode_and_pad():
    vocab = gl.agreement_vocabulary()
    assert vocab[0] == datasets.PAD and len(set(vocab)) == len(vocab)
    assert vocab[1:] == sorted(vocab[1:])
    ids = gl.token_ids([["the", "key", "<V>", "."], ["the", "keys", "<V>"]])
    assert [vocab[i] for i in ids[1]] == ["the", "keys", "<V>"]
    padded, mask = gl.pad_batch(ids)
    assert padded.shape == mask.shape == (2, 4)
    assert padded[1, 3] == 0 and not mask[1, 3] and mask[0].all()
    np.testing.assert_array_equal(padded[0], ids[0])


def test_karate_club_labels_come_from_the_club_attribute():
    graph, labels, clubs = gl.karate_club()
    assert graph.num_nodes == 34 and graph.num_edges == 2 * 78
    assert clubs == ["Mr. Hi", "Officer"]
    assert labels[0] == clubs.index("Mr. Hi") and labels[33] == clubs.index("Officer")
    assert np.bincount(labels).tolist() == [17, 17]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pattern": ("pp", "adverb", "pp")}, "pattern must be one of"),
        ({"fronted_nouns": 3}, "fronted_nouns must be 0, 1 or 2"),
        ({"pattern": ("pp",), "num_attractors": 2}, "has only 1 noun"),
    ],
)
def test_agreement_sentence_bad_recipes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gl.agreement_sentence(np.random.default_rng(0), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"split": "test"}, ValueError, r"split must be one of \('train', 'ood'\), got 'test'"),
        ({"max_len": 3}, ValueError, "max_len=3 is shorter than the shortest train sentence"),
        (
            {"split": "ood", "max_len": 11},
            ValueError,
            "max_len=11 is shorter than the shortest ood",
        ),
        ({"max_len": 8.0}, TypeError, "max_len must be an int"),
        ({"p_fronted": 1.5}, ValueError, r"p_fronted must be in \[0, 1\], got 1.5"),
        ({"num_sentences": 2.0}, TypeError, "num_sentences must be an int, got float"),
        ({"num_sentences": -1}, ValueError, "num_sentences must be >= 0, got -1"),
    ],
)
def test_agreement_dataset_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        gl.agreement_dataset(**{"num_sentences": 3, **kwargs})


def test_agreement_dataset_options():
    assert gl.agreement_dataset(0)["labels"].shape == (0,)
    short = gl.agreement_dataset(200, seed=3, max_len=6)
    assert short["lengths"].max() <= 6
    never = gl.agreement_dataset(100, seed=3, p_fronted=0.0)
    always = gl.agreement_dataset(100, seed=3, p_fronted=1.0)
    assert all(f.size == 0 for f in never["fronted"])
    assert all(f.size == 1 for f in always["fronted"])


def test_token_ids():
    ids = gl.token_ids([["b", "a"], [], ["a"]], vocab=["<pad>", "a", "b"])
    assert [x.tolist() for x in ids] == [[2, 1], [], [1]]
    assert all(x.dtype == np.int64 for x in ids)
    assert gl.token_ids([]) == []
    with pytest.raises(
        ValueError, match=r"sentence 1 has token 'cow', which is not in the vocabulary \(\d+ tokens"
    ):
        gl.token_ids([["the", "key"], ["the", "cow"]])
    with pytest.raises(ValueError, match=r"which is not in the vocabulary \(2 tokens\)"):
        gl.token_ids([["c"]], vocab=["a", "b"])
    with pytest.raises(TypeError, match=r"list of token lists, e.g. \[\['the', 'key', '<V>'\]\]"):
        gl.token_ids(["the", "key"])
    with pytest.raises(TypeError, match="list of token lists"):
        gl.token_ids("the key")


def test_best_connected_picks_each_class_member_with_most_edges():
    graph, labels, clubs = gl.karate_club()
    nodes = gl.best_connected(graph, labels)
    assert nodes.tolist() == [0, 33]  # Mr. Hi and the Officer lead their factions
    for c, node in enumerate(nodes):
        members = np.flatnonzero(labels == c)
        assert labels[node] == c and graph.in_degree[node] == graph.in_degree[members].max()
    star = gl.Graph([1, 2, 0], [0, 0, 2], 3)  # node 0 has two incoming edges, node 2 one
    assert gl.best_connected(star, np.array([0, 1, 1])).tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"labels must be \(3,\) ints"):
        gl.best_connected(star, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="class 1 has no member"):
        gl.best_connected(star, np.array([0, 2, 2]))
    with pytest.raises(
        ValueError, match=r"labels must be \(3,\) ints, one per node, got shape \(2,\)"
    ):
        gl.best_connected(star, np.array([0, 1]))


# --- nearest_marked_dataset -----------------------------------------------------------


@pytest.fixture(scope="module")
def big():
    """A large sample of the default task (D = 12, C = 4)."""
    return gl.nearest_marked_dataset(6000, seed=1)


@pytest.fixture(scope="module", params=[0, 3], ids=["path", "tree"])
def sample(request):
    return gl.nearest_marked_dataset(300, seed=2, max_distance=6, extra_nodes=request.param)


def test_the_same_seed_gives_the_same_data():
    a, b, other = (gl.nearest_marked_dataset(20, s, extra_nodes=2) for s in (5, 5, 6))
    assert (
        a.keys()
        == b.keys()
        == {
            "graphs",
            "features",
            "labels",
            "distance",
            "path_nodes",
            "decoy",
            "decoy_colour",
        }
    )
    assert a["graphs"] == b["graphs"]
    for key in ("labels", "distance", "path_nodes", "decoy", "decoy_colour"):
        np.testing.assert_array_equal(a[key], b[key])
        assert a[key].dtype == np.int64 and a[key].shape == (20,)
    for xa, xb in zip(a["features"], b["features"], strict=True):
        np.testing.assert_array_equal(xa, xb)
    assert a["graphs"] != other["graphs"] or not np.array_equal(a["labels"], other["labels"])


def test_distance_and_size_are_uniform_over_their_ranges(big):
    D, d, n = 12, big["distance"], big["path_nodes"]
    assert set(d.tolist()) == set(range(1, D + 1))
    counts = np.bincount(d, minlength=D + 1)[1:]
    np.testing.assert_allclose(counts / len(d), 1 / D, rtol=0.2)  # 500 expected, sd ~ 21
    assert ((d + 2 <= n) & (n <= D + 2)).all()
    for dist in (1, 6, 11):  # given d, n is uniform over d+2 .. D+2
        sizes = n[d == dist]
        expected = D + 2 - (dist + 2) + 1
        counts = np.bincount(sizes - (dist + 2), minlength=expected)
        assert counts.size == expected and (counts > 0).all()
        np.testing.assert_allclose(counts / sizes.size, 1 / expected, rtol=0.5)
    np.testing.assert_allclose(np.bincount(big["labels"]) / len(d), 1 / 4, rtol=0.1)
    assert len(big["graphs"]) == len(big["features"]) == 6000


def test_features_are_one_hot_colour_source_and_marked(sample):
    m = sample["graphs"][0].num_nodes - sample["path_nodes"][0]
    for b, (g, x) in enumerate(zip(sample["graphs"], sample["features"], strict=True)):
        d, n = sample["distance"][b], sample["path_nodes"][b]
        assert x.shape == (n + m, C + 2) and x.dtype == np.float64 and g.num_nodes == n + m
        assert set(np.unique(x).tolist()) <= {0.0, 1.0}
        np.testing.assert_array_equal(x[:, :C].sum(axis=1), 1.0)  # one colour per node
        np.testing.assert_array_equal(np.flatnonzero(x[:, C]), [0])  # is_source
        np.testing.assert_array_equal(np.flatnonzero(x[:, C + 1]), [d, n - 1])  # is_marked
        colour = x[:, :C].argmax(axis=1)
        assert sample["labels"][b] == colour[d]
        assert sample["decoy"][b] == n - 1
        assert sample["decoy_colour"][b] == colour[n - 1] != colour[d]


def test_the_answer_is_d_hops_away_and_the_decoy_further(sample):
    for b, g in enumerate(sample["graphs"]):
        d, n, decoy = sample["distance"][b], sample["path_nodes"][b], sample["decoy"][b]
        hops = nx.single_source_shortest_path_length(gl.to_networkx(g), 0)
        assert hops[d] == d
        assert hops[decoy] == n - 1 > d


def test_graphs_are_the_path_or_a_tree_that_contains_it(sample):
    for b, g in enumerate(sample["graphs"]):
        n, N = sample["path_nodes"][b], g.num_nodes
        G = gl.to_networkx(g)
        assert nx.is_weakly_connected(G) and g.num_edges == 2 * (N - 1)
        np.testing.assert_array_equal(g.adjacency(), g.adjacency().T)  # undirected
        assert nx.is_tree(G.to_undirected())
        assert all(G.has_edge(i, i + 1) and G.has_edge(i + 1, i) for i in range(n - 1))
        if N == n:
            assert g == gl.path_graph(n)
    tree = gl.nearest_marked_dataset(50, seed=3, extra_nodes=4)
    assert all(
        g.num_nodes == n + 4 for g, n in zip(tree["graphs"], tree["path_nodes"], strict=True)
    )
    # the decoy is no longer always a leaf
    assert any(
        g.adjacency()[decoy].sum() > 1
        for g, decoy in zip(tree["graphs"], tree["decoy"], strict=True)
    )


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_k_hop_ball_sees_no_marked_node_when_d_exceeds_k(sample, k):
    """The first baseline: a k-layer GNN reads node 0's k-hop ball, which has no mark."""
    far = np.flatnonzero(sample["distance"] > k)
    assert far.size > 100
    for b in far:
        ball = nx.single_source_shortest_path_length(gl.to_networkx(sample["graphs"][b]), 0, k)
        assert sample["features"][b][list(ball), C + 1].sum() == 0
    # and what it does see says nothing: the label is uniform over the colours
    labels = sample["labels"][far]
    np.testing.assert_allclose(np.bincount(labels, minlength=C) / labels.size, 1 / C, atol=0.08)


def test_a_set_model_that_guesses_a_marked_colour_is_at_exactly_one_half(big):
    """The second baseline: without edges or positions both marked nodes look alike."""
    expected = []
    below = []
    for x, label in zip(big["features"], big["labels"], strict=True):
        marked = x[x[:, C + 1] == 1, :C].argmax(axis=1)  # the two marked colours, as a set
        assert marked.size == 2 and marked[0] != marked[1]
        expected.append((marked == label).mean())  # guess one of the two uniformly
        below.append(label == marked.min())  # a fixed rule on the set: "the smaller colour"
    assert np.mean(expected) == 0.5
    assert set(expected) == {0.5}
    assert abs(np.mean(below) - 0.5) < 0.03  # no rule on the set beats 1/2 either


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_distance": 0}, ValueError, "max_distance must be >= 1"),
        ({"num_colours": 1}, ValueError, "num_colours must be >= 2"),
        ({"num_graphs": -1}, ValueError, "num_graphs must be >= 0"),
        ({"num_graphs": 2.0}, TypeError, "num_graphs must be an int"),
        ({"extra_nodes": -2}, ValueError, "extra_nodes must be >= 0"),
        ({"extra_nodes": 1.5}, TypeError, "extra_nodes must be an int"),
        ({"max_distance": True}, TypeError, "max_distance must be an int"),
        ({"num_colours": 3.0}, TypeError, "num_colours must be an int"),
    ],
)
def test_dataset_bad_inputs(kwargs, error, match):
    with pytest.raises(error, match=match):
        gl.nearest_marked_dataset(**{"num_graphs": 3, **kwargs})


def test_no_graphs_is_an_empty_dataset():
    empty = gl.nearest_marked_dataset(0)
    assert empty["graphs"] == [] and empty["labels"].shape == (0,)
