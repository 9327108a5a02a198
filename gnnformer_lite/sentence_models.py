r"""Models of sentences: a GNN on a sentence's graph, and a Transformer on all its words.

Both read one word of each sentence (the main verb) and classify it: the
subject-verb agreement task of ``datasets.agreement_dataset``. Each model is an
``init_*`` function (a tree of arrays and the settings it was built with), a
forward ``model(params, batch, cache=None)``, its backward ``model_backward(cache,
d_scores) -> (d_params, d_input)`` -- the convention of every layer -- and a
``*_loss`` that ``train`` takes: ``classification_loss`` of the two.

- ``sentence_gnn``: token embeddings, ``L`` GNN layers on each sentence's graph
  (path or dependency tree; a batch is one disjoint graph, ``graph_batch``), the
  verb's vector read out, a linear classifier: singular or plural.
- ``sentence_transformer``: token embeddings plus sinusoidal positions, ``L``
  Transformer layers on the complete graph (a padded dense batch with a key
  mask), the verb's vector read out, a linear classifier.
"""

from __future__ import annotations

import numpy as np

from ._checks import (
    UNSET,
    as_count,
    as_flag,
    as_index_array,
    as_rng,
    check_model_inputs,
    check_range,
    setting,
)
from ._params import stack_backward, stack_forward, sub_caches
from .gnn_layers import gnn_layer, gnn_layer_backward, init_gnn_layer, relu
from .graphs import Graph, batch_graphs
from .learning import (
    classification_loss,
    embed,
    embed_backward,
    init_linear,
    linear,
    linear_backward,
    readout,
    readout_backward,
)
from .positional import sinusoidal_encoding
from .sentences import dependency_graph, path_graph
from .transformer_layers import (
    init_transformer_layer,
    transformer_layer,
    transformer_layer_backward,
)

__all__ = [
    "dataset_graphs",
    "graph_batch",
    "init_sentence_gnn",
    "init_sentence_transformer",
    "sentence_gnn",
    "sentence_gnn_backward",
    "sentence_gnn_loss",
    "sentence_transformer",
    "sentence_transformer_backward",
    "sentence_transformer_loss",
]


# --- a GNN on sentence graphs ---------------------------------------------------------------


def dataset_graphs(dataset: dict, kind: str) -> list[Graph]:
    """One graph per sentence: ``"path"`` (word order) or ``"tree"`` (the dependency tree)."""
    if kind not in ("path", "tree"):
        raise ValueError(f"kind must be 'path' or 'tree', got {kind!r}")
    key = "tokens" if kind == "path" else "heads"
    if not isinstance(dataset, dict) or key not in dataset:
        raise ValueError(f"dataset must be a dict with {key!r} (agreement_dataset makes one)")
    if kind == "path":
        return [path_graph(len(words)) for words in dataset["tokens"]]
    return [dependency_graph(heads) for heads in dataset["heads"]]


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
    graph, _, offsets = batch_graphs(graphs)
    rows = as_index_array(rows, "rows")
    sizes = np.diff(offsets)
    outside = np.flatnonzero((rows < 0) | (rows >= sizes))
    if outside.size:
        b = int(outside[0])
        raise ValueError(f"rows[{b}]={rows[b]} is not a word of sentence {b} ({sizes[b]} words)")
    return {"graph": graph, "tokens": np.concatenate(ids), "rows": offsets[:-1] + rows}


def init_sentence_gnn(rng, vocab_size: int, d: int, num_layers: int, num_classes: int = 2):
    """``{"embed": (vocab_size, d), "layers": [gnn, ...], "out": linear (d -> classes)}``."""
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    vocab_size, d = as_count(vocab_size, "vocab_size"), as_count(d, "d")
    return {
        "embed": rng.normal(0.0, 1.0, size=(vocab_size, d)),
        "layers": [init_gnn_layer(rng, d, d) for _ in range(num_layers)],
        "out": init_linear(rng, d, num_classes),
    }


def sentence_gnn(params: dict, batch: dict, *, cache=None) -> np.ndarray:
    r"""Class scores ``(B, classes)``: embed, GNN layers (ReLU), read the verb row, linear.

    .. math:: h^0 = E_t, \quad h^{\ell+1} = \text{GNN}_\ell(h^\ell), \quad
        z_b = h^L_{\text{rows}[b]} W + c
    """
    check_model_inputs(params, batch, "sentence_gnn", "graph_batch", ("graph", "tokens", "rows"))
    c = sub_caches(cache, "embed", "readout", "out", layers=len(params["layers"]))
    h = embed(params["embed"], batch["tokens"], cache=c["embed"])
    for layer, c_layer in zip(params["layers"], c["layers"], strict=True):
        h = gnn_layer(layer, h, batch["graph"], relu, cache=c_layer)
    z = linear(params["out"], readout(h, batch["rows"], cache=c["readout"]), cache=c["out"])
    if cache is not None:
        cache.update(c)
    return z


def sentence_gnn_backward(cache: dict, d_scores: np.ndarray) -> tuple[dict, None]:
    """Gradients of ``sentence_gnn``: ``(d_params, None)`` (integer tokens have none)."""
    grads = {}
    grads["out"], d_r = linear_backward(cache["out"], d_scores)
    d_h = readout_backward(cache["readout"], d_r)
    grads["layers"], d_h = stack_backward(gnn_layer_backward, cache["layers"], d_h)
    grads["embed"], _ = embed_backward(cache["embed"], d_h)
    return grads, None


def sentence_gnn_loss(params: dict, batch: dict, labels) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""
    return classification_loss(sentence_gnn, sentence_gnn_backward, params, batch, labels=labels)


# --- a Transformer on the complete graph ----------------------------------------------------


def init_sentence_transformer(
    rng,
    vocab_size: int,
    d_model: int,
    num_heads: int,
    d_ff: int,
    num_layers: int = 1,
    *,
    norm: str | None = "post",
    positions: bool = True,
) -> dict:
    """``{"embed", "layers": [transformer_layer, ...], "out", "positions"}``.

    The settings are recorded where they act: ``num_heads`` and ``norm`` in every
    layer (``init_transformer_layer``), ``positions`` (add sinusoidal positions or
    not) at the top; ``sentence_transformer`` reads them.
    """
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    vocab_size, d_model = as_count(vocab_size, "vocab_size"), as_count(d_model, "d_model")
    return {
        "embed": rng.normal(0.0, 1.0, size=(vocab_size, d_model)),
        "layers": [
            init_transformer_layer(rng, d_model, num_heads, d_ff, norm=norm)
            for _ in range(num_layers)
        ],
        "out": init_linear(rng, d_model, 2),
        "positions": as_flag(positions, "positions"),
    }


def sentence_transformer(
    params: dict,
    tokens: np.ndarray,
    mask: np.ndarray,
    rows: np.ndarray,
    *,
    num_heads: int = UNSET,
    norm: str | None = UNSET,
    positions: bool = UNSET,
    cache=None,
    return_attention: bool = False,
):
    r"""Class scores ``(B, 2)`` of a padded batch ``tokens: (B, L)`` with ``mask: (B, L)``.

    .. math:: h^0 = E_{t} + PE, \quad h^{\ell+1} = \text{TransformerLayer}(h^\ell),
        \quad z_b = h^L_{b,\ \text{rows}[b]} W + c

    Padding is masked as a key (no real word attends to it). ``num_heads``,
    ``norm`` and ``positions`` are what ``init_sentence_transformer`` recorded; a
    different value is an error. With ``return_attention`` also returns each
    layer's weights ``(B, H, L, L)``.
    """
    tokens, mask, rows = _check_sentences(tokens, mask, rows)
    positions = setting(params, "positions", positions, True)
    B, L = tokens.shape
    c = sub_caches(cache, "embed", "readout", "out", layers=len(params["layers"]))
    h = embed(params["embed"], tokens, cache=c["embed"])
    if positions:
        h = h + sinusoidal_encoding(L, h.shape[-1])
    keys = mask[:, None, :]  # (B, 1, L): every query may attend to the real words
    settings = {"num_heads": num_heads, "norm": norm}
    h, attention = stack_forward(
        transformer_layer, params["layers"], h, c["layers"], mask=keys, **settings
    )
    r = readout(h.reshape(B * L, -1), np.arange(B) * L + rows, cache=c["readout"])
    z = linear(params["out"], r, cache=c["out"])
    if cache is not None:
        cache.update(c, shape=h.shape)
    return (z, attention) if return_attention else z


def sentence_transformer_backward(cache: dict, d_scores: np.ndarray) -> tuple[dict, None]:
    """Gradients of ``sentence_transformer``: ``(d_params, None)``; positions are fixed."""
    grads = {}
    grads["out"], d_r = linear_backward(cache["out"], d_scores)
    d_h = readout_backward(cache["readout"], d_r).reshape(cache["shape"])
    grads["layers"], d_h = stack_backward(transformer_layer_backward, cache["layers"], d_h)
    grads["embed"], _ = embed_backward(cache["embed"], d_h)
    return grads, None


def sentence_transformer_loss(
    params, tokens, mask, rows, labels, *, num_heads=UNSET, norm=UNSET, positions=UNSET
) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""

    def forward(p, *inputs, cache):
        settings = {"num_heads": num_heads, "norm": norm, "positions": positions}
        return sentence_transformer(p, *inputs, **settings, cache=cache)

    return classification_loss(
        forward, sentence_transformer_backward, params, tokens, mask, rows, labels=labels
    )


def _check_sentences(tokens, mask, rows) -> tuple:
    """A padded batch: ``tokens: (B, L)``, ``mask: (B, L)`` booleans, ``rows: (B,)`` real words."""
    __tracebackhide__ = True
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
    check_range(rows, "rows", tokens.shape[1], f"sentences of length L={tokens.shape[1]}")
    padding = np.flatnonzero(~mask[np.arange(rows.size), rows])
    if padding.size:
        b = int(padding[0])
        raise ValueError(f"rows[{b}]={rows[b]} points at padding, not at a word of sentence {b}")
    return tokens, mask, rows
