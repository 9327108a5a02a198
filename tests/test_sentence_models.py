"""sentence_models: the sentence GNN and the sentence Transformer of notebook 07.

- their hand-written backward passes (whole losses) against central finite
  differences, for 1 and 2 layers, path and tree graphs, every ``norm`` and positions
  on and off; ``*_backward(cache, d_scores)`` returns ``(d_params, None)`` with exactly
  the arrays of ``params``, layer stacks as lists;
- the settings ``init_sentence_transformer`` records (``num_heads``, ``norm`` in each
  layer, ``positions`` at the top): a conflicting value given to
  ``sentence_transformer`` or ``sentence_transformer_loss`` is a ``ValueError``, an
  agreeing one changes nothing;
- padding changes nothing; batching helpers; bad inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    NORMS,
    assert_grads_like,
    assert_loss_gradients,
    call_without_mutation,
    conflicting_settings,
    flat,
    randomize_params,
)

import gnnformer_lite as gl

SENTENCES = [
    "near the box , the keys to the cabinet <V> .".split(),
    "the dog that the cats chased <V> here .".split(),
    "the key <V> .".split(),
]
HEADS = [
    np.array([2, 2, 9, 9, 5, 9, 8, 8, 5, -1, 9]),
    np.array([1, 6, 5, 4, 5, 1, -1, 6, 6]),
    np.array([1, 2, -1, 2]),
]
VOCAB = sorted({w for s in SENTENCES for w in s})
IDS = gl.token_ids(SENTENCES, VOCAB)
VERBS = np.array([s.index("<V>") for s in SENTENCES])
LABELS = np.array([1, 0, 0])
TOKENS, MASK = gl.pad_batch(IDS)


def transformer(seed=0, num_layers=2, **kwargs):
    rng = np.random.default_rng(seed)
    params = gl.init_sentence_transformer(rng, len(VOCAB), 4, 2, 4, num_layers, **kwargs)
    return randomize_params(params, rng)


def gnn(seed=0, num_layers=2):
    rng = np.random.default_rng(seed)
    return randomize_params(gl.init_sentence_gnn(rng, len(VOCAB), 3, num_layers), rng)


def gnn_batch(kind="path"):
    data = {"tokens": SENTENCES, "heads": HEADS}
    return gl.graph_batch(gl.dataset_graphs(data, kind), IDS, VERBS)


# --- batching helpers ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["path", "tree"])
def test_dataset_graphs_and_graph_batch(kind):
    graphs = gl.dataset_graphs({"tokens": SENTENCES, "heads": HEADS}, kind)
    expected = [
        gl.path_graph(len(s)) if kind == "path" else gl.dependency_graph(h)
        for s, h in zip(SENTENCES, HEADS, strict=True)
    ]
    assert graphs == expected
    batch = call_without_mutation(gl.graph_batch, graphs, IDS, VERBS)
    assert set(batch) == {"graph", "tokens", "rows"}
    assert batch["graph"] == gl.batch_graphs(graphs)[0]
    assert batch["graph"].num_nodes == len(batch["tokens"]) == sum(len(s) for s in SENTENCES)
    np.testing.assert_array_equal(batch["rows"], [9, 11 + 6, 11 + 9 + 2])
    np.testing.assert_array_equal(batch["tokens"][batch["rows"]], [VOCAB.index("<V>")] * 3)


def test_batching_helpers_bad_input():
    with pytest.raises(ValueError, match="kind must be 'path' or 'tree', got 'complete'"):
        gl.dataset_graphs({"tokens": [], "heads": []}, "complete")
    with pytest.raises(
        ValueError,
        match="graphs, ids and rows must have one entry per sentence, got 1, 3 and 3",
    ):
        gl.graph_batch([gl.path_graph(3)], IDS, VERBS)
    with pytest.raises(TypeError, match=r"graphs\[1\] must be a gnnformer_lite.Graph"):
        gl.graph_batch([gl.path_graph(11), "path", gl.path_graph(4)], IDS, VERBS)
    with pytest.raises(ValueError, match=r"dataset must be a dict with 'heads' \(agreement_"):
        gl.dataset_graphs({"tokens": SENTENCES}, "tree")
    with pytest.raises(ValueError, match=r"dataset must be a dict with 'tokens'"):
        gl.dataset_graphs(SENTENCES, "path")
    graphs = gl.dataset_graphs({"tokens": SENTENCES}, "path")
    with pytest.raises(ValueError, match=r"rows\[1\]=9 is not a word of sentence 1 \(9 words\)"):
        gl.graph_batch(graphs, IDS, [9, 9, 2])  # 9: a word of sentence 0, not of 1
    with pytest.raises(ValueError, match=r"rows\[2\]=-1 is not a word of sentence 2 \(4 words\)"):
        gl.graph_batch(graphs, IDS, [9, 6, -1])
    with pytest.raises(TypeError, match=r"rows must be an integer array, got dtype float64"):
        gl.graph_batch(graphs, IDS, [9.0, 6.0, 2.0])


# --- sentence_gnn ----------------------------------------------------------------------------


def test_init_sentence_gnn():
    params = gl.init_sentence_gnn(np.random.default_rng(0), 20, 3, 2, num_classes=4)
    assert set(params) == {"embed", "layers", "out"}
    assert params["embed"].shape == (20, 3) and params["out"]["W"].shape == (3, 4)
    assert isinstance(params["layers"], list) and len(params["layers"]) == 2
    assert all(set(layer) == {"U", "V", "b"} for layer in params["layers"])
    assert gl.init_sentence_gnn(np.random.default_rng(0), 20, 3, 0)["layers"] == []


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("kind", ["path", "tree"])
def test_sentence_gnn_gradients(kind, num_layers):
    batch, params = gnn_batch(kind), gnn(1, num_layers)
    loss, acc, grads = call_without_mutation(gl.sentence_gnn_loss, params, batch, LABELS)
    z = gl.sentence_gnn(params, batch)
    assert z.shape == (3, 2) and loss > 0 and acc == gl.accuracy(z, LABELS)
    assert loss == gl.softmax_cross_entropy(z, LABELS)[0]
    assert_loss_gradients(lambda p: gl.sentence_gnn(p, batch), LABELS, params, grads)


def test_sentence_gnn_backward_is_the_convention():
    batch, params = gnn_batch("tree"), gnn(2)
    cache = {}
    z = gl.sentence_gnn(params, batch, cache=cache)
    np.testing.assert_array_equal(z, gl.sentence_gnn(params, batch))
    d_params, d_input = gl.sentence_gnn_backward(cache, np.ones_like(z))
    assert d_input is None  # integer tokens have no gradient
    assert_grads_like(d_params, params)
    _, _, grads = gl.sentence_gnn_loss(params, batch, LABELS)
    d_scores = gl.softmax_cross_entropy(z, LABELS)[1]
    expected, _ = gl.sentence_gnn_backward(cache, d_scores)
    for (path, a), (_, b) in zip(flat(grads), flat(expected), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=path)


def test_sentence_gnn_sentences_do_not_see_each_other():
    params = gnn(3)
    z = gl.sentence_gnn(params, gnn_batch("path"))
    alone = gl.graph_batch([gl.path_graph(4)], IDS[2:], VERBS[2:])
    np.testing.assert_allclose(gl.sentence_gnn(params, alone), z[2:], atol=1e-12)


def test_sentence_gnn_bad_input():
    batch, params = gnn_batch(), gnn()
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_sentence_gnn(0, 5, 3, 1)
    with pytest.raises(ValueError, match="num_layers must be >= 0, got -1"):
        gl.init_sentence_gnn(np.random.default_rng(0), 5, 3, -1)
    with pytest.raises(ValueError, match=r"labels has shape \(2,\) but logits has shape \(3, 2\)"):
        gl.sentence_gnn_loss(params, batch, LABELS[:2])
    with pytest.raises(ValueError, match=r"tokens contains \d+, out of range for a table"):
        gl.sentence_gnn(params | {"embed": params["embed"][:3]}, batch)
    with pytest.raises(ValueError, match=r"U has shape \(3, 3\) but h has d_in=2"):
        gl.sentence_gnn(params | {"embed": params["embed"][:, :2]}, batch)
    with pytest.raises(TypeError, match=r"params must be the dict made by init_sentence_gnn; the"):
        gl.sentence_gnn(batch, params)  # swapped
    with pytest.raises(TypeError, match=r"order is sentence_gnn\(params, batch\)"):
        gl.sentence_gnn(params["layers"], batch)
    with pytest.raises(
        TypeError,
        match=r"batch must be the dict made by graph_batch \(graph, tokens, rows\), got "
        r"\['graph', 'tokens'\]",
    ):
        gl.sentence_gnn(params, {"graph": batch["graph"], "tokens": batch["tokens"]})
    with pytest.raises(TypeError, match=r"batch must be the dict made by graph_batch .*got tuple"):
        gl.sentence_gnn_loss(params, tuple(batch.values()), LABELS)


# --- sentence_transformer --------------------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("positions", [True, False])
def test_init_sentence_transformer_records_its_settings(norm, positions):
    params = gl.init_sentence_transformer(
        np.random.default_rng(0), 20, 4, 2, 8, 3, norm=norm, positions=positions
    )
    assert set(params) == {"embed", "layers", "out", "positions"}
    assert params["positions"] is positions
    assert params["embed"].shape == (20, 4) and params["out"]["W"].shape == (4, 2)
    assert isinstance(params["layers"], list) and len(params["layers"]) == 3
    for layer in params["layers"]:
        assert layer["norm"] == norm and layer["attn"]["num_heads"] == 2
        assert ("ln1" in layer) is (norm is not None)
    default = gl.init_sentence_transformer(np.random.default_rng(0), 20, 4, 2, 8)
    assert len(default["layers"]) == 1 and default["layers"][0]["norm"] == "post"
    assert default["positions"] is True


GRADIENT_CASES = [  # every norm with 1 and 2 layers, positions on and off
    ("post", True, 1),
    ("post", False, 2),
    ("pre", True, 2),
    ("pre", False, 1),
    (None, True, 2),
    (None, False, 1),
]


@pytest.mark.parametrize(("norm", "positions", "num_layers"), GRADIENT_CASES)
def test_sentence_transformer_gradients(norm, positions, num_layers):
    params = transformer(2, num_layers, norm=norm, positions=positions)
    args = (TOKENS, MASK, VERBS, LABELS)
    loss, acc, grads = call_without_mutation(gl.sentence_transformer_loss, params, *args)
    z = gl.sentence_transformer(params, TOKENS, MASK, VERBS)
    assert loss == gl.softmax_cross_entropy(z, LABELS)[0] and acc == gl.accuracy(z, LABELS)
    assert_loss_gradients(
        lambda p: gl.sentence_transformer(p, TOKENS, MASK, VERBS), LABELS, params, grads
    )


def test_sentence_transformer_backward_is_the_convention():
    params = transformer(3)
    cache = {}
    z = gl.sentence_transformer(params, TOKENS, MASK, VERBS, cache=cache)
    np.testing.assert_array_equal(z, gl.sentence_transformer(params, TOKENS, MASK, VERBS))
    d_params, d_input = gl.sentence_transformer_backward(cache, np.ones_like(z))
    assert d_input is None
    assert_grads_like(d_params, params)
    assert "positions" not in d_params and isinstance(d_params["layers"], list)


@pytest.mark.parametrize("norm", NORMS)
def test_padding_changes_nothing(norm):
    params = transformer(4, norm=norm)
    z = gl.sentence_transformer(params, TOKENS, MASK, VERBS)
    alone = gl.sentence_transformer(params, TOKENS[2:, :4], MASK[2:, :4], VERBS[2:])
    np.testing.assert_allclose(z[2:], alone, atol=1e-12)
    junk = np.where(MASK, TOKENS, 5)  # another pad id
    np.testing.assert_allclose(gl.sentence_transformer(params, junk, MASK, VERBS), z, atol=1e-12)


def test_sentence_transformer_returns_attention_per_layer():
    params = transformer(5)
    z, attention = gl.sentence_transformer(params, TOKENS, MASK, VERBS, return_attention=True)
    np.testing.assert_array_equal(z, gl.sentence_transformer(params, TOKENS, MASK, VERBS))
    L = TOKENS.shape[1]
    assert z.shape == (3, 2) and len(attention) == 2
    assert all(a.shape == (3, 2, L, L) for a in attention)
    np.testing.assert_allclose(attention[0].sum(axis=-1), 1.0)
    assert (attention[0][2, :, :, 4:] == 0).all()  # nobody attends to padding


def test_positions_make_word_order_matter():
    params = transformer(6)
    flipped = TOKENS[2:, :4][:, [0, 1, 3, 2]]  # "the key . <V>": the verb moves to word 3
    z = gl.sentence_transformer(params, TOKENS[2:, :4], MASK[2:, :4], VERBS[2:])
    moved = gl.sentence_transformer(params, flipped, MASK[2:, :4], np.array([3]))
    assert np.abs(moved - z).max() > 1e-6
    no_pe = {**params, "positions": False}  # the same weights, without positions
    z = gl.sentence_transformer(no_pe, TOKENS[2:, :4], MASK[2:, :4], VERBS[2:])
    moved = gl.sentence_transformer(no_pe, flipped, MASK[2:, :4], np.array([3]))
    np.testing.assert_allclose(moved, z, atol=1e-12)  # a set of words: order is lost


# --- the settings of sentence_transformer -------------------------------------------------------


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("positions", [True, False])
def test_sentence_transformer_refuses_conflicting_settings(norm, positions):
    params = transformer(7, norm=norm, positions=positions)
    args = (TOKENS, MASK, VERBS)
    z = gl.sentence_transformer(params, *args)
    loss, _, grads = gl.sentence_transformer_loss(params, *args, LABELS)
    agreeing = {"num_heads": 2, "norm": norm, "positions": positions}
    np.testing.assert_array_equal(gl.sentence_transformer(params, *args, **agreeing), z)
    loss2, _, grads2 = gl.sentence_transformer_loss(params, *args, LABELS, **agreeing)
    assert loss2 == loss
    for (path, a), (_, b) in zip(flat(grads), flat(grads2), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=path)
    conflicts = conflicting_settings(norm, num_heads=2)
    conflicts.append(
        ({"positions": not positions}, f"positions={not positions}, but these params were built")
    )
    for kwargs, match in conflicts:
        with pytest.raises(ValueError, match=match):
            gl.sentence_transformer(params, *args, **kwargs)
        with pytest.raises(ValueError, match=match):
            gl.sentence_transformer_loss(params, *args, LABELS, **kwargs)


def test_hand_made_sentence_transformer_params():
    """Without ``positions`` the model adds them; each layer's own settings still apply."""
    params = transformer(8)
    z = gl.sentence_transformer(params, TOKENS, MASK, VERBS)
    hand_made = {key: value for key, value in params.items() if key != "positions"}
    np.testing.assert_array_equal(gl.sentence_transformer(hand_made, TOKENS, MASK, VERBS), z)
    no_pe = gl.sentence_transformer(hand_made, TOKENS, MASK, VERBS, positions=False)
    np.testing.assert_array_equal(
        no_pe, gl.sentence_transformer({**params, "positions": False}, TOKENS, MASK, VERBS)
    )
    loss, _, grads = gl.sentence_transformer_loss(hand_made, TOKENS, MASK, VERBS, LABELS)
    assert_grads_like(grads, hand_made)
    assert loss == gl.sentence_transformer_loss(params, TOKENS, MASK, VERBS, LABELS)[0]
    # layers without their settings: num_heads must be given, norm defaults to "post"
    bare = hand_made | {"layers": [strip(layer) for layer in params["layers"]]}
    z2 = gl.sentence_transformer(bare, TOKENS, MASK, VERBS, num_heads=2)
    np.testing.assert_array_equal(z2, z)
    pre = gl.sentence_transformer(bare, TOKENS, MASK, VERBS, num_heads=2, norm="pre")
    layers = [{**layer, "norm": "pre"} for layer in params["layers"]]
    np.testing.assert_array_equal(
        pre, gl.sentence_transformer(params | {"layers": layers}, TOKENS, MASK, VERBS)
    )
    loss, _, grads = gl.sentence_transformer_loss(bare, TOKENS, MASK, VERBS, LABELS, num_heads=2)
    assert_grads_like(grads, bare)
    with pytest.raises(ValueError, match="num_heads is needed"):
        gl.sentence_transformer(bare, TOKENS, MASK, VERBS)


def strip(layer):
    """A Transformer layer's params as made by hand: no settings."""
    out = {key: value for key, value in layer.items() if key != "norm"}
    return out | {"attn": {key: v for key, v in layer["attn"].items() if key != "num_heads"}}


def test_sentence_transformer_bad_input():
    params = transformer(9)
    L = TOKENS.shape[1]
    cases = [
        ((TOKENS[0], MASK[0], VERBS[:1]), r"tokens must be a padded batch \(B, L\), got shape"),
        ((TOKENS, MASK.astype(int), VERBS), r"mask must be a boolean array shaped like tokens"),
        ((TOKENS, MASK[:, :-1], VERBS), rf"got bool \(3, {L - 1}\) \(see pad_batch\)"),
        ((TOKENS, MASK, VERBS[:2]), r"rows has shape \(2,\) but tokens has 3 sentences"),
        ((TOKENS, MASK, np.array([0, 0, L])), rf"rows contains {L}, out of range for sentences"),
        ((TOKENS, MASK, np.array([0, -1, 0])), r"rows contains -1, out of range"),
        ((TOKENS, MASK, np.array([0, 0, 5])), r"rows\[2\]=5 points at padding, not at a word"),
        ((TOKENS + 100, MASK, VERBS), r"tokens contains 1\d\d, out of range for a table"),
    ]
    for args, match in cases:
        with pytest.raises(ValueError, match=match):
            gl.sentence_transformer(params, *args)
    with pytest.raises(TypeError, match=r"rows must be an integer array"):
        gl.sentence_transformer(params, TOKENS, MASK, VERBS.astype(float))
    with pytest.raises(ValueError, match=r"labels has shape \(2,\) but logits has shape \(3, 2\)"):
        gl.sentence_transformer_loss(params, TOKENS, MASK, VERBS, LABELS[:2])
    with pytest.raises(TypeError, match="rng must be a seeded"):
        gl.init_sentence_transformer(None, 5, 4, 2, 8)
    with pytest.raises(ValueError, match=r"num_heads=3 must be >= 1 and divide d_model=4"):
        gl.init_sentence_transformer(np.random.default_rng(0), 5, 4, 3, 8)
    with pytest.raises(ValueError, match=r"norm must be \"post\", \"pre\" or None, got 'both'"):
        gl.init_sentence_transformer(np.random.default_rng(0), 5, 4, 2, 8, norm="both")
    with pytest.raises(TypeError, match="num_layers must be an int"):
        gl.init_sentence_transformer(np.random.default_rng(0), 5, 4, 2, 8, 1.0)
