"""The agreement data of notebook 07: valid trees, the right labels, and no leak.

The leak tests train the two baselines the issue names -- "the closest noun
before the verb" and a bag-of-words logistic regression (written here in
NumPy) -- and require them to be at or below chance on 2-attractor sentences.
"""

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite import data

PLURAL = set(data.PLURAL_NOUNS)
NOUNS = set(data.SINGULAR_NOUNS) | PLURAL


@pytest.fixture(scope="module")
def train():
    return data.agreement_dataset(3000, seed=0)


@pytest.fixture(scope="module")
def test_set():
    return data.agreement_dataset(3000, seed=1)


@pytest.fixture(scope="module")
def ood():
    return data.agreement_dataset(1000, seed=2, split="ood")


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
    a = data.agreement_dataset(50, seed=7)
    b = data.agreement_dataset(50, seed=7)
    c = data.agreement_dataset(50, seed=8)
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
        assert words[verb] == data.VERB and words.count(data.VERB) == 1
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
    assert data.VERB in others and "the" in others
    for w in others:
        has = np.array([w in ws for ws in train["tokens"]])
        rates = [has[labels == c].mean() for c in (0, 1)]
        assert abs(rates[0] - rates[1]) < 0.05, (w, rates)
    inner_verbs = data.TRANSITIVE_PAST + data.INTRANSITIVE_PAST
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
    vocab = data.agreement_vocabulary()
    w, b = logistic_regression(bag_of_words(train, vocab), train["labels"])
    pred = (bag_of_words(test_set, vocab) @ w + b > 0).astype(int)
    right = pred == test_set["labels"]
    n_att = test_set["num_attractors"]
    assert right[n_att == 0].mean() > 0.8  # the baseline did learn: it counts nouns
    assert right[n_att == 2].mean() <= 0.55


def test_without_the_nouns_nothing_predicts_the_label(train, test_set):
    """Delexicalised: every noun is the same token; the rest must be uninformative."""
    vocab = data.agreement_vocabulary()
    w, b = logistic_regression(bag_of_words(train, vocab, True), train["labels"])
    pred = (bag_of_words(test_set, vocab, True) @ w + b > 0).astype(int)
    assert 0.45 < (pred == test_set["labels"]).mean() < 0.55


def test_agreement_sentence_follows_its_recipe():
    rng = np.random.default_rng(0)
    s = data.agreement_sentence(
        rng, fronted_nouns=1, pattern=("pp", "relative_object"), num_attractors=2, plural=True
    )
    words = s["tokens"]
    assert words[s["subject"]] in PLURAL and s["label"] == 1
    assert len(s["attractors"]) == 2
    assert all(words[a] not in PLURAL for a in s["attractors"])
    assert "," in words and "that" in words and s["fronted"].size == 1
    s0 = data.agreement_sentence(rng)
    assert s0["tokens"][:2] == ["the", s0["tokens"][1]] and s0["verb"] in (2, 3)


def test_vocabulary_encode_and_pad():
    vocab = data.agreement_vocabulary()
    assert vocab[0] == data.PAD and len(set(vocab)) == len(vocab)
    assert vocab[1:] == sorted(vocab[1:])
    ids = data.token_ids([["the", "key", "<V>", "."], ["the", "keys", "<V>"]])
    assert [vocab[i] for i in ids[1]] == ["the", "keys", "<V>"]
    padded, mask = data.pad_batch(ids)
    assert padded.shape == mask.shape == (2, 4)
    assert padded[1, 3] == 0 and not mask[1, 3] and mask[0].all()
    np.testing.assert_array_equal(padded[0], ids[0])


def test_karate_club_labels_come_from_the_club_attribute():
    graph, labels, clubs = data.karate_club()
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
        data.agreement_sentence(np.random.default_rng(0), **kwargs)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="split must be one of"):
        data.agreement_dataset(3, split="test")
    with pytest.raises(ValueError, match="max_len=3 is shorter"):
        data.agreement_dataset(3, max_len=3)
    with pytest.raises(ValueError, match="p_fronted must be in"):
        data.agreement_dataset(3, p_fronted=1.5)
    with pytest.raises(TypeError, match="num_sentences must be an int"):
        data.agreement_dataset(2.0)
    with pytest.raises(ValueError, match="token 'cow'"):
        data.token_ids([["the", "cow"]])
    with pytest.raises(TypeError, match="list of token lists"):
        data.token_ids(["the", "key"])
    with pytest.raises(ValueError, match="at least one sentence"):
        data.pad_batch([])


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
