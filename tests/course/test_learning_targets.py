"""Notebook 07's targets and the answers of its exercises 1 and 2, with its data and seeds.

Each model is trained once (module-scoped fixtures), in NumPy, on the 2000
training sentences of ``agreement_dataset(seed=0)``; held-out sentences are
``seed=1``, the out-of-distribution split ``seed=2``.
"""

import numpy as np
import pytest

import gnnformer_lite as gl


@pytest.fixture(scope="module")
def data():
    return {
        "train": gl.agreement_dataset(2000, seed=0),
        "test": gl.agreement_dataset(2000, seed=1),
        "ood": gl.agreement_dataset(1000, seed=2, split="ood"),
    }


@pytest.fixture(scope="module")
def ids(data):
    return {name: gl.token_ids(d["tokens"]) for name, d in data.items()}


def test_karate_gnn_from_one_label_per_faction_gets_90_percent():
    graph, club, clubs = gl.karate_club()
    x = np.eye(graph.num_nodes)
    labelled = gl.best_connected(graph, club)
    params = gl.init_node_classifier(np.random.default_rng(0), graph.num_nodes, 16, len(clubs))
    params, history = gl.train(
        lambda p, idx: gl.node_classifier_loss(p, x, graph, labelled, club[labelled]),
        params,
        len(labelled),
        steps=100,
        lr=1e-2,
    )
    scores, _ = gl.node_classifier(params, x, graph)
    assert history["loss"][-1] < history["loss"][0]
    assert (scores.argmax(axis=1) == club).mean() >= 0.90


@pytest.fixture(scope="module")
def tree_gnn(data, ids):
    train = data["train"]
    graphs = gl.dataset_graphs(train, "tree")

    def loss_fn(params, idx):
        batch = gl.graph_batch(
            [graphs[i] for i in idx], [ids["train"][i] for i in idx], train["verb"][idx]
        )
        return gl.sentence_gnn_loss(params, batch, train["labels"][idx])

    params = gl.init_sentence_gnn(np.random.default_rng(0), len(gl.agreement_vocabulary()), 16, 2)
    params, _ = gl.train(loss_fn, params, 2000, steps=400, batch_size=64, lr=3e-2, seed=0)
    return params


@pytest.mark.parametrize("split", ["test", "ood"])
def test_two_layer_tree_gnn_gets_98_percent_in_and_out_of_distribution(tree_gnn, data, ids, split):
    d = data[split]
    batch = gl.graph_batch(gl.dataset_graphs(d, "tree"), ids[split], d["verb"])
    correct = gl.sentence_gnn(tree_gnn, batch).argmax(axis=1) == d["labels"]
    assert correct.mean() >= 0.98
    for a in range(3):
        assert correct[d["num_attractors"] == a].mean() >= 0.95


def train_transformer(data, ids, *, num_heads=4, positions=True, seed=0):
    """The notebook's ``train_transformer``: 600 Adam steps on batches of 64 sentences."""
    train = data["train"]
    tokens, mask = gl.pad_batch(ids["train"])

    def loss_fn(params, idx):
        L = train["lengths"][idx].max()
        return gl.sentence_transformer_loss(
            params,
            tokens[idx, :L],
            mask[idx, :L],
            train["verb"][idx],
            train["labels"][idx],
            num_heads=num_heads,
            positions=positions,
        )

    rng = np.random.default_rng(seed)
    params = gl.init_sentence_transformer(rng, len(gl.agreement_vocabulary()), 16, num_heads, 32)
    params, _ = gl.train(loss_fn, params, 2000, steps=600, batch_size=64, lr=1e-2, seed=seed)
    return params


@pytest.fixture(scope="module")
def transformer(data, ids):
    return train_transformer(data, ids)


def transformer_correct(params, d, ids):
    tokens, mask = gl.pad_batch(ids)
    scores = gl.sentence_transformer(params, tokens, mask, d["verb"], num_heads=4)
    return scores.argmax(axis=1) == d["labels"]


def test_transformer_gets_95_percent_on_held_out_sentences_with_up_to_2_attractors(
    transformer, data, ids
):
    correct = transformer_correct(transformer, data["test"], ids["test"])
    assert correct.mean() >= 0.95
    for a in range(3):
        assert correct[data["test"]["num_attractors"] == a].mean() >= 0.95


def test_transformer_falls_towards_chance_out_of_distribution(transformer, data, ids):
    """Not a target but the notebook's finding: it learned positions, not syntax."""
    correct = transformer_correct(transformer, data["ood"], ids["ood"])
    assert correct.mean() < 0.7


# --- the folded answers of exercises 1 and 2 -------------------------------------------


def train_and_test_transformer(data, ids, *, num_heads=4, positions=True, seed=0):
    """Train as the notebook does, then ``transformer_run`` on the test split: the accuracy
    overall and on the sentences with 0, 1 and 2 attractors."""
    params = train_transformer(data, ids, num_heads=num_heads, positions=positions, seed=seed)
    d = data["test"]
    tokens, mask = gl.pad_batch(ids["test"])
    scores = gl.sentence_transformer(
        params, tokens, mask, d["verb"], num_heads=num_heads, positions=positions
    )
    correct = scores.argmax(axis=1) == d["labels"]
    by_attractors = [correct[d["num_attractors"] == a].mean() for a in range(3)]
    return correct.mean(), by_attractors


def test_exercise_1_without_positions_good_without_attractors_poor_with_them(data, ids):
    _, (none, _, two) = train_and_test_transformer(data, ids, positions=False)
    assert none >= 0.85
    assert two <= 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exercise_2_one_head_gets_92_to_95_percent(data, ids, seed):
    overall, (_, _, two) = train_and_test_transformer(data, ids, num_heads=1, seed=seed)
    assert 0.9 <= overall <= 0.97  # the answer: about 0.92-0.95 (four heads: 1.000)
    assert 0.8 <= two <= 0.96  # the answer: 0.82-0.94 with two attractors
