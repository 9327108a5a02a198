"""The models of notebook 07: their hand-written backward passes against finite differences."""

import numpy as np
import pytest

import gnnformer_lite as gl

SENTENCES = [
    "near the box , the keys to the cabinet <V> .".split(),
    "the dog that the cats chased <V> here .".split(),
    "the key <V> .".split(),
]


def tiny_vocab_ids():
    vocab = sorted({w for s in SENTENCES for w in s})
    return vocab, gl.token_ids(SENTENCES, vocab)


def test_node_classifier_gradients():
    graph, club, _ = gl.karate_club()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(graph.num_nodes, 3))
    params = gl.init_node_classifier(rng, 3, 4, 2)
    nodes = np.array([0, 5, 33])
    _, _, grads = gl.node_classifier_loss(params, x, graph, nodes, club[nodes])
    err = gl.gradient_check(
        lambda p: gl.node_classifier_loss(p, x, graph, nodes, club[nodes])[0], params, grads
    )
    assert max(e for layer in err.values() for e in layer.values()) < 1e-6


@pytest.mark.parametrize("kind", ["path", "tree"])
def test_sentence_gnn_gradients(kind):
    vocab, ids = tiny_vocab_ids()
    d = {
        "tokens": SENTENCES,
        "heads": [
            np.array([2, 2, 9, 9, 5, 9, 8, 8, 5, -1, 9]),
            np.array([1, 6, 5, 4, 5, 1, -1, 6, 6]),
            np.array([1, 2, -1, 2]),
        ],
    }
    verbs = np.array([s.index("<V>") for s in SENTENCES])
    batch = gl.graph_batch(gl.dataset_graphs(d, kind), ids, verbs)
    labels = np.array([1, 0, 0])
    params = gl.init_sentence_gnn(np.random.default_rng(1), len(vocab), 3, 2)
    loss, acc, grads = gl.sentence_gnn_loss(params, batch, labels)
    assert 0 <= acc <= 1 and loss > 0
    err = gl.gradient_check(lambda p: gl.sentence_gnn_loss(p, batch, labels)[0], params, grads)
    flat = [err["embed"], *err["out"].values()]
    flat += [e for layer in err["layers"].values() for e in layer.values()]
    assert max(flat) < 1e-6


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("positions", [False, True])
def test_sentence_transformer_gradients(norm_first, positions):
    vocab, ids = tiny_vocab_ids()
    tokens, mask = gl.pad_batch(ids)
    verbs = np.array([s.index("<V>") for s in SENTENCES])
    labels = np.array([1, 0, 0])
    params = gl.init_sentence_transformer(np.random.default_rng(2), len(vocab), 4, 2, 3, 2)
    kw = {"num_heads": 2, "norm_first": norm_first, "positions": positions}
    _, _, grads = gl.sentence_transformer_loss(params, tokens, mask, verbs, labels, **kw)

    def f(p):
        return gl.sentence_transformer_loss(p, tokens, mask, verbs, labels, **kw)[0]

    err = gl.gradient_check(f, params, grads)

    def leaves(t):
        return [x for v in t.values() for x in (leaves(v) if isinstance(v, dict) else [v])]

    assert max(leaves(err)) < 1e-6
    # padding changes nothing: the same sentence alone gives the same scores
    z_batch = gl.sentence_transformer(params, tokens, mask, verbs, num_heads=2)
    z_alone = gl.sentence_transformer(params, tokens[2:, :4], mask[2:, :4], verbs[2:], num_heads=2)
    np.testing.assert_allclose(z_batch[2:], z_alone, atol=1e-12)


def test_transformer_returns_attention_per_layer():
    vocab, ids = tiny_vocab_ids()
    tokens, mask = gl.pad_batch(ids)
    verbs = np.array([s.index("<V>") for s in SENTENCES])
    params = gl.init_sentence_transformer(np.random.default_rng(3), len(vocab), 4, 2, 3, 2)
    z, attention = gl.sentence_transformer(
        params, tokens, mask, verbs, num_heads=2, return_attention=True
    )
    assert z.shape == (3, 2) and len(attention) == 2
    assert attention[0].shape == (3, 2, tokens.shape[1], tokens.shape[1])
    np.testing.assert_allclose(attention[0].sum(axis=-1), 1.0)
    assert (attention[0][2, :, :, 4:] == 0).all()  # nobody attends to padding


def test_graph_batch_rows_point_at_each_sentence_verb():
    _, ids = tiny_vocab_ids()
    graphs = [gl.path_graph(len(s)) for s in SENTENCES]
    verbs = np.array([s.index("<V>") for s in SENTENCES])
    batch = gl.graph_batch(graphs, ids, verbs)
    assert batch["graph"].num_nodes == sum(len(s) for s in SENTENCES)
    np.testing.assert_array_equal(
        batch["tokens"][batch["rows"]], [ids[b][v] for b, v in enumerate(verbs)]
    )


def test_bad_inputs():
    with pytest.raises(ValueError, match="kind must be 'path' or 'tree'"):
        gl.dataset_graphs({"tokens": [], "heads": []}, "complete")
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_sentence_gnn(0, 5, 3, 1)


def test_padded_batch_checks():
    _, ids = tiny_vocab_ids()
    tokens, mask = gl.pad_batch(ids)
    params = gl.init_sentence_transformer(np.random.default_rng(3), 20, 4, 2, 3, 1)
    verbs = np.array([s.index("<V>") for s in SENTENCES])
    cases = [
        ((tokens[0], mask[0], verbs[:1]), "padded batch"),
        ((tokens, mask.astype(int), verbs), "mask must be a boolean"),
        ((tokens, mask, verbs[:2]), "rows has shape"),
        ((tokens, mask, np.array([0, 0, tokens.shape[1]])), "rows must be in"),
        ((tokens, mask, np.array([0, 0, 5])), "points at padding"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            gl.sentence_transformer(params, *args, num_heads=2)
    with pytest.raises(ValueError, match="one entry per sentence"):
        gl.graph_batch([gl.path_graph(3)], ids, verbs)
