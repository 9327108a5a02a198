r"""The small models notebook 07 trains, as forward + backward pairs of the course's layers.

Each model is an ``init_*`` function (a dict of arrays) and a ``*_loss`` function
that runs the forward pass with ``cache=`` dicts, then the backward functions in
reverse order, and returns ``(loss, accuracy, grads)`` -- what ``train`` expects.
The same models run in ``tests/test_learning_targets.py`` and in the benchmark.

- ``node_classifier``: two GNN layers on one graph, a loss on a few labelled
  nodes (Zachary's karate club from one member per faction).
- ``sentence_gnn``: token embeddings, ``L`` GNN layers on each sentence's graph
  (path or dependency tree; a batch is one disjoint graph), the main verb's
  vector read out, a linear classifier: singular or plural.
- ``sentence_transformer``: token embeddings plus sinusoidal positions, ``L``
  Transformer layers on the complete graph (a padded dense batch with a key
  mask), the verb's vector read out, a linear classifier.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_index_array, as_rng
from .graphs import Graph, batch_graphs, dependency_graph, path_graph
from .layers import (
    gnn_layer,
    gnn_layer_backward,
    init_gnn_layer,
    init_transformer_layer,
    relu,
    transformer_layer,
    transformer_layer_backward,
)
from .positional import sinusoidal_encoding
from .training import (
    embed,
    embed_backward,
    init_linear,
    linear,
    linear_backward,
    readout,
    readout_backward,
    softmax_cross_entropy,
)


def _caches(cache) -> dict:
    """One cache per part of a model, or ``None`` for each when not caching."""
    parts = ("embed", "readout", "out")
    return {part: None if cache is None else {} for part in parts} | {"layers": {}}


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == labels).mean())


# --- a GNN that classifies nodes ----------------------------------------------------------


def init_node_classifier(rng, d_in: int, d_hidden: int, num_classes: int) -> dict:
    """Two GNN layers: ``{"layer1": (d_in -> d_hidden), "layer2": (d_hidden -> num_classes)}``."""
    rng = as_rng(rng)
    return {
        "layer1": init_gnn_layer(rng, d_in, d_hidden),
        "layer2": init_gnn_layer(rng, d_hidden, num_classes),
    }


def node_classifier(params: dict, x: np.ndarray, graph: Graph, *, cache=None) -> tuple:
    r"""Class scores of every node, and the hidden layer.

    .. math:: h = \operatorname{ReLU}(\text{GNN}_1(x)), \qquad z = \text{GNN}_2(h)

    Returns ``(z: (n, num_classes), h: (n, d_hidden))``.
    """
    c1, c2 = ({}, {}) if cache is not None else (None, None)
    h = gnn_layer(params["layer1"], x, graph, relu, cache=c1)
    z = gnn_layer(params["layer2"], h, graph, None, cache=c2)
    if cache is not None:
        cache.update(layer1=c1, layer2=c2)
    return z, h


def node_classifier_loss(params, x, graph, nodes, labels) -> tuple[float, float, dict]:
    """Cross-entropy on the labelled ``nodes`` only; ``labels[k]`` is the class of ``nodes[k]``.

    Returns ``(loss, accuracy on those nodes, grads)``.
    """
    cache: dict = {}
    z, _ = node_classifier(params, x, graph, cache=cache)
    loss, d_picked = softmax_cross_entropy(z[nodes], labels)
    d_z = np.zeros_like(z)
    np.add.at(d_z, nodes, d_picked)  # only the labelled rows receive a gradient
    g2, d_h = gnn_layer_backward(params["layer2"], graph, cache["layer2"], d_z)
    g1, _ = gnn_layer_backward(params["layer1"], graph, cache["layer1"], d_h)
    return loss, _accuracy(z[nodes], labels), {"layer1": g1, "layer2": g2}


# --- a GNN on sentence graphs ---------------------------------------------------------------


def dataset_graphs(dataset: dict, kind: str) -> list[Graph]:
    """One graph per sentence: ``"path"`` (word order) or ``"tree"`` (the dependency tree)."""
    if kind == "path":
        return [path_graph(len(words)) for words in dataset["tokens"]]
    if kind == "tree":
        return [dependency_graph(heads) for heads in dataset["heads"]]
    raise ValueError(f"kind must be 'path' or 'tree', got {kind!r}")


def graph_batch(graphs: list[Graph], ids: list[np.ndarray], rows: np.ndarray) -> dict:
    """Sentences as one disjoint graph: ``{"graph", "tokens", "rows"}``.

    ``rows[b]`` (a word index in sentence b, e.g. its verb) becomes a node index
    in the batch graph.
    """
    if not len(graphs) == len(ids) == len(rows):
        raise ValueError(
            f"graphs, ids and rows must have one entry per sentence, got "
            f"{len(graphs)}, {len(ids)} and {len(rows)}"
        )
    graph, node_graph = batch_graphs(graphs)
    offsets = np.searchsorted(node_graph, np.arange(len(graphs)))
    return {"graph": graph, "tokens": np.concatenate(ids), "rows": offsets + np.asarray(rows)}


def init_sentence_gnn(rng, vocab_size: int, d: int, num_layers: int, num_classes: int = 2):
    """``{"embed": (vocab_size, d), "layers": {"0": gnn, ...}, "out": linear (d -> classes)}``."""
    rng = as_rng(rng)
    return {
        "embed": rng.normal(0.0, 1.0, size=(vocab_size, d)),
        "layers": {str(k): init_gnn_layer(rng, d, d) for k in range(num_layers)},
        "out": init_linear(rng, d, num_classes),
    }


def sentence_gnn(params: dict, batch: dict, *, cache=None) -> np.ndarray:
    """Class scores ``(B, classes)``: embed, GNN layers (ReLU), read the verb row, linear."""
    c = _caches(cache)
    h = embed(params["embed"], batch["tokens"], cache=c["embed"])
    for k in sorted(params["layers"], key=int):
        c["layers"][k] = None if cache is None else {}
        h = gnn_layer(params["layers"][k], h, batch["graph"], relu, cache=c["layers"][k])
    r = readout(h, batch["rows"], cache=c["readout"])
    z = linear(params["out"], r, cache=c["out"])
    if cache is not None:
        cache.update(c)
    return z


def sentence_gnn_loss(params, batch, labels) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""
    c: dict = {}
    z = sentence_gnn(params, batch, cache=c)
    loss, d_z = softmax_cross_entropy(z, labels)
    grads = {"layers": {}}
    grads["out"], d_r = linear_backward(params["out"], c["out"], d_z)
    d_h = readout_backward(c["readout"], d_r)
    for k in sorted(params["layers"], key=int, reverse=True):
        grads["layers"][k], d_h = gnn_layer_backward(
            params["layers"][k], batch["graph"], c["layers"][k], d_h
        )
    grads["embed"] = embed_backward(c["embed"], d_h)
    return loss, _accuracy(z, labels), grads


# --- a Transformer on the complete graph ----------------------------------------------------


def _check_padded(tokens, mask, rows) -> tuple:
    tokens, mask, rows = np.asarray(tokens), np.asarray(mask), as_index_array(rows, "rows")
    if tokens.ndim != 2:
        raise ValueError(f"tokens must be a padded batch (B, L), got shape {tokens.shape}")
    if mask.shape != tokens.shape or mask.dtype != bool:
        raise ValueError(
            f"mask must be a boolean array shaped like tokens {tokens.shape}, "
            f"got {mask.dtype} {mask.shape} (see pad_batch)"
        )
    if rows.shape != tokens.shape[:1]:
        raise ValueError(f"rows has shape {rows.shape} but tokens has {tokens.shape[0]} sentences")
    if rows.size and (rows.min() < 0 or rows.max() >= tokens.shape[1]):
        raise ValueError(f"rows must be in [0, {tokens.shape[1]}), got {rows.min()}..{rows.max()}")
    padding = np.flatnonzero(~mask[np.arange(rows.size), rows])
    if padding.size:
        b = int(padding[0])
        raise ValueError(f"rows[{b}]={rows[b]} points at padding, not at a word of sentence {b}")
    return tokens, mask, rows


def init_sentence_transformer(
    rng, vocab_size: int, d_model: int, num_heads: int, d_ff: int, num_layers: int = 1
) -> dict:
    """``{"embed", "layers": {"0": transformer_layer, ...}, "out"}``."""
    rng = as_rng(rng)
    return {
        "embed": rng.normal(0.0, 1.0, size=(vocab_size, d_model)),
        "layers": {
            str(k): init_transformer_layer(rng, d_model, num_heads, d_ff) for k in range(num_layers)
        },
        "out": init_linear(rng, d_model, 2),
    }


def sentence_transformer(
    params: dict,
    tokens: np.ndarray,
    mask: np.ndarray,
    rows: np.ndarray,
    *,
    num_heads: int,
    norm_first: bool = False,
    positions: bool = True,
    cache=None,
    return_attention: bool = False,
):
    r"""Class scores ``(B, 2)`` of a padded batch ``tokens: (B, L)`` with ``mask: (B, L)``.

    .. math:: h^0 = E_{t} + PE, \quad h^{\ell+1} = \text{TransformerLayer}(h^\ell),
        \quad z_b = h^L_{b,\ \text{rows}[b]} W + c

    Padding is masked as a key (no real word attends to it). With
    ``return_attention`` also returns each layer's weights ``(B, H, L, L)``.
    """
    tokens, mask, rows = _check_padded(tokens, mask, rows)
    B, L = tokens.shape
    c = _caches(cache)
    h = embed(params["embed"], tokens, cache=c["embed"])
    if positions:
        h = h + sinusoidal_encoding(L, h.shape[-1])
    keys = np.asarray(mask)[:, None, :]  # (B, 1, L): every query may attend to the real words
    attention = []
    for k in sorted(params["layers"], key=int):
        c["layers"][k] = None if cache is None else {}
        h, weights = transformer_layer(
            params["layers"][k],
            h,
            num_heads=num_heads,
            norm_first=norm_first,
            mask=keys,
            return_attention=True,
            cache=c["layers"][k],
        )
        attention.append(weights)
    flat_rows = np.arange(B) * L + np.asarray(rows)
    r = readout(h.reshape(B * L, -1), flat_rows, cache=c["readout"])
    z = linear(params["out"], r, cache=c["out"])
    if cache is not None:
        cache.update(c, shape=h.shape)
    return (z, attention) if return_attention else z


def sentence_transformer_loss(
    params, tokens, mask, rows, labels, *, num_heads, norm_first=False, positions=True
) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""
    c: dict = {}
    z = sentence_transformer(
        params,
        tokens,
        mask,
        rows,
        num_heads=num_heads,
        norm_first=norm_first,
        positions=positions,
        cache=c,
    )
    loss, d_z = softmax_cross_entropy(z, labels)
    grads = {"layers": {}}
    grads["out"], d_r = linear_backward(params["out"], c["out"], d_z)
    d_h = readout_backward(c["readout"], d_r).reshape(c["shape"])
    for k in sorted(params["layers"], key=int, reverse=True):
        grads["layers"][k], d_h = transformer_layer_backward(
            params["layers"][k], None, c["layers"][k], d_h
        )
    grads["embed"] = embed_backward(c["embed"], d_h)  # positions are fixed: no gradient
    return loss, _accuracy(z, labels), grads
