"""The folded answers of notebook 07's exercises 1 and 2, with the notebook's data and seeds.

The models the notebook itself trains (the karate club, the path and tree GNNs, the
Transformer) are checked by nbval, which compares every printed accuracy with the committed
outputs; these tests train only what an exercise asks a reader to train. Every model sees the
2000 training sentences of ``agreement_dataset(seed=0)``; held-out sentences are ``seed=1``.
"""

import numpy as np
import pytest

import gnnformer_lite as gl


@pytest.fixture(scope="module")
def data():
    return {"train": gl.agreement_dataset(2000, seed=0), "test": gl.agreement_dataset(2000, seed=1)}


@pytest.fixture(scope="module")
def ids(data):
    return {name: gl.token_ids(d["tokens"]) for name, d in data.items()}


def train_and_test_transformer(data, ids, *, num_heads=4, positions=True, seed=0):
    """The notebook's ``train_transformer`` (600 Adam steps on batches of 64 sentences), then
    ``transformer_run`` on the test split: the accuracy overall and with 0, 1 and 2 attractors."""
    train = data["train"]
    tokens, mask = gl.pad_batch(ids["train"])

    def loss_fn(params, idx):
        L = train["lengths"][idx].max()  # trim the padding this batch does not need
        return gl.sentence_transformer_loss(
            params, tokens[idx, :L], mask[idx, :L], train["verb"][idx], train["labels"][idx]
        )

    rng = np.random.default_rng(seed)
    vocab = len(gl.agreement_vocabulary())
    params = gl.init_sentence_transformer(rng, vocab, 16, num_heads, 32, positions=positions)
    params, _ = gl.train(loss_fn, params, 2000, steps=600, batch_size=64, lr=1e-2, seed=seed)
    d = data["test"]
    tokens, mask = gl.pad_batch(ids["test"])
    correct = gl.sentence_transformer(params, tokens, mask, d["verb"]).argmax(axis=1) == d["labels"]
    return correct.mean(), [correct[d["num_attractors"] == a].mean() for a in range(3)]


def test_exercise_1_without_positions_good_without_attractors_poor_with_them(data, ids):
    _, (none, _, two) = train_and_test_transformer(data, ids, positions=False)
    assert none >= 0.85, f"no positions, no attractors: {none:.3f} (the answer: good)"
    assert two <= 0.5, f"no positions, two attractors: {two:.3f} (the answer: poor)"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exercise_2_one_head_gets_92_to_95_percent(data, ids, seed):
    overall, (_, _, two) = train_and_test_transformer(data, ids, num_heads=1, seed=seed)
    assert 0.9 <= overall <= 0.97, f"seed {seed}: {overall:.3f} (the answer: about 0.92-0.95)"
    assert 0.8 <= two <= 0.96, f"seed {seed}, two attractors: {two:.3f} (the answer: 0.82-0.94)"
