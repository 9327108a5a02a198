r"""The two models of notebook 09, a deep GNN and a Graph Transformer, with their backward passes.

Both classify a graph by one node's vector (node 0, the source of
``nearest_marked_dataset``) and follow the ``init_*`` / forward / ``*_loss``
pattern of ``models.py``: the loss runs the forward with ``cache=`` dicts, then
the backward functions in reverse, and returns ``(loss, accuracy, grads)``.

- ``residual_gnn``: a linear input layer, then ``L`` pre-LN residual GNN layers
  :math:`h \leftarrow h + \text{GNN}(\text{LN}(h))` on a batch of graphs (one
  disjoint graph, ``batch_graphs``), node 0's vector, a linear classifier.
  Information travels one hop per layer.
- ``graph_transformer``: the same input layer plus a linear map of Laplacian
  positions, then pre-LN Transformer layers with **full** attention among the nodes
  of each graph (a padded batch with a key mask: the complete graph), node 0's
  vector, a linear classifier: full attention as in SAN (Kreuzer et al., 2021) and
  GraphGPS, with the Laplacian positions and sign flips of Dwivedi & Bresson (2020),
  whose own Graph Transformer attends over graph neighbours only. One layer reaches every
  node; only the positions say which node is near.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_count, as_float_array, as_rng
from .graphs import Graph, batch_graphs, check_graph, virtual_node_graph
from .layers import (
    feed_forward,
    feed_forward_backward,
    gnn_layer,
    gnn_layer_backward,
    init_gnn_layer,
    init_transformer_layer,
    layer_norm,
    layer_norm_backward,
    multi_head_attention,
    multi_head_attention_backward,
    relu,
    transformer_layer,
    transformer_layer_backward,
)
from .positional import laplacian_encoding, pad_encoding
from .training import (
    init_linear,
    linear,
    linear_backward,
    readout,
    readout_backward,
    softmax_cross_entropy,
)


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == labels).mean())


def _ln(d: int) -> dict:
    return {"gamma": np.ones(d), "beta": np.zeros(d)}


def _check_node_batch(graphs, features) -> list[np.ndarray]:
    """One ``(n_b, F)`` float array per graph, one ``F`` for all, and a node 0 in each graph."""
    __tracebackhide__ = True
    if not isinstance(graphs, list | tuple) or not isinstance(features, list | tuple):
        raise TypeError(
            f"graphs and features must be lists, got {type(graphs).__name__} and "
            f"{type(features).__name__}"
        )
    if len(graphs) != len(features) or not graphs:
        raise ValueError(f"got {len(graphs)} graphs but {len(features)} feature arrays")
    out = []
    for b, (g, x) in enumerate(zip(graphs, features, strict=True)):
        if check_graph(g, name=f"graphs[{b}]").num_nodes == 0:
            raise ValueError(f"graphs[{b}] has no nodes, so no node 0 to read out")
        x = as_float_array(x, f"features[{b}]")
        if x.ndim != 2 or len(x) != g.num_nodes:
            raise ValueError(
                f"features[{b}] has shape {x.shape} but graphs[{b}] has "
                f"{g.num_nodes} nodes: need ({g.num_nodes}, F)"
            )
        if out and x.shape[1] != out[0].shape[1]:
            raise ValueError(
                f"features[{b}] has {x.shape[1]} columns but features[0] has "
                f"{out[0].shape[1]}: every graph needs the same F"
            )
        out.append(x)
    return out


def _check_batch(params, batch) -> dict:
    """``batch`` is the dict of ``node_batch``, ``params`` the dict of ``init_residual_gnn``."""
    __tracebackhide__ = True
    if not isinstance(params, dict) or "layers" not in params:
        raise TypeError(
            "params must be the dict made by init_residual_gnn; the order is "
            "residual_gnn(params, batch)"
        )
    if not isinstance(batch, dict) or any(key not in batch for key in ("graph", "x", "rows")):
        got = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise TypeError(f"batch must be the dict made by node_batch (graph, x, rows), got {got}")
    return batch


def _check_padded(params, x, pe, mask) -> tuple:
    """``x: (B, L, F)``, ``pe: None | (B, L, k)``, ``mask: (B, L)`` booleans with node 0 real."""
    __tracebackhide__ = True
    if not isinstance(params, dict) or "positions" not in params:
        raise TypeError(
            "params must be the dict made by init_graph_transformer; the order is "
            "graph_transformer(params, x, pe, mask, num_heads=...)"
        )
    x, mask = as_float_array(x, "x"), np.asarray(mask)
    if x.ndim != 3 or mask.shape != x.shape[:2] or mask.dtype != bool:
        raise ValueError(
            f"x must be a padded batch (B, L, F) and mask (B, L) booleans, got x {x.shape} "
            f"and mask {mask.dtype} {mask.shape} (see pad_batch)"
        )
    if not mask[:, 0].all():
        b = int(np.argmin(mask[:, 0]))
        raise ValueError(f"mask[{b}, 0] is False: node 0 of graph {b} is read out, it must be real")
    if pe is not None:
        pe, k = as_float_array(pe, "pe"), np.shape(params["positions"]["W"])[0]
        if pe.shape != (*x.shape[:2], k):
            raise ValueError(
                f"pe has shape {pe.shape} but x has {x.shape} and params['positions'] takes "
                f"k={k}: need {(*x.shape[:2], k)} (laplacian_positions, then pad_batch)"
            )
    return x, pe, mask


# --- batches ------------------------------------------------------------------------------


def node_batch(
    graphs: list[Graph], features: list[np.ndarray], *, virtual_node: bool = False
) -> dict:
    """Graphs as one disjoint graph, for ``residual_gnn``: ``{"graph", "x", "rows"}``.

    ``rows[b]`` is node 0 of graph b in the batch. With ``virtual_node`` every graph
    first gets its own virtual node (``virtual_node_graph``) with a zero feature row.
    """
    features = _check_node_batch(graphs, features)
    if virtual_node:
        features = [np.vstack([x, np.zeros((1, x.shape[1]))]) for x in features]
        graphs = [virtual_node_graph(g) for g in graphs]
    graph, node_graph = batch_graphs(graphs)
    rows = np.searchsorted(node_graph, np.arange(len(graphs)))  # the first node of each graph
    return {"graph": graph, "x": np.concatenate(features), "rows": rows}


def laplacian_positions(graphs: list[Graph], k: int) -> list[np.ndarray]:
    """``(n_b, k)`` Laplacian positions of each graph (``laplacian_encoding``, ``"sym"``),
    zero-padded where a graph has fewer than ``k`` non-trivial eigenvectors."""
    k = as_count(k, "k")
    graphs = [check_graph(g, name=f"graphs[{b}]") for b, g in enumerate(graphs)]
    return [pad_encoding(laplacian_encoding(g, min(k, max(g.num_nodes - 1, 0))), k) for g in graphs]


# --- a deep GNN: one hop per layer ---------------------------------------------------------


def init_residual_gnn(rng, d_in: int, d: int, num_layers: int, num_classes: int) -> dict:
    """``{"input": linear (d_in -> d), "layers": {"0": {"norm", "gnn"}, ...}, "out"}``."""
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    return {
        "input": init_linear(rng, d_in, d),
        "layers": {
            str(k): {"norm": _ln(d), "gnn": init_gnn_layer(rng, d, d)} for k in range(num_layers)
        },
        "out": init_linear(rng, d, num_classes),
    }


def residual_gnn(params: dict, batch: dict, *, cache=None) -> np.ndarray:
    r"""Class scores ``(B, classes)`` of a batch from ``node_batch``.

    .. math:: h^0 = x W_\text{in} + b, \quad
        h^{\ell+1} = h^\ell + \operatorname{ReLU}\big(\text{GNN}(\operatorname{LN}(h^\ell))\big),
        \quad z_b = h^L_{\text{rows}[b]} W + c

    with :math:`\text{GNN}(u)_i = u_i U + \sum_{j \in \mathcal{N}(i)} u_j V + b`
    (``gnn_layer``, sum aggregation with a self term).
    """
    batch = _check_batch(params, batch)
    c = {"input": {}, "readout": {}, "out": {}, "layers": {}} if cache is not None else None
    part = (lambda name: c[name]) if c is not None else (lambda name: None)
    h = linear(params["input"], batch["x"], cache=part("input"))
    for k in sorted(params["layers"], key=int):
        layer = params["layers"][k]
        ck = {"norm": {}, "gnn": {}} if c is not None else {"norm": None, "gnn": None}
        u = layer_norm(h, layer["norm"]["gamma"], layer["norm"]["beta"], cache=ck["norm"])
        h = h + gnn_layer(layer["gnn"], u, batch["graph"], relu, cache=ck["gnn"])
        if c is not None:
            c["layers"][k] = ck
    z = linear(params["out"], readout(h, batch["rows"], cache=part("readout")), cache=part("out"))
    if cache is not None:
        cache.update(c)
    return z


def residual_gnn_loss(params: dict, batch: dict, labels) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""
    c: dict = {}
    z = residual_gnn(params, batch, cache=c)
    loss, d_z = softmax_cross_entropy(z, labels)
    grads = {"layers": {}}
    grads["out"], d_r = linear_backward(params["out"], c["out"], d_z)
    d_h = readout_backward(c["readout"], d_r)
    for k in sorted(params["layers"], key=int, reverse=True):
        layer, ck = params["layers"][k], c["layers"][k]
        d_gnn, d_u = gnn_layer_backward(layer["gnn"], batch["graph"], ck["gnn"], d_h)
        d_x, d_gamma, d_beta = layer_norm_backward(ck["norm"], d_u)
        grads["layers"][k] = {"norm": {"gamma": d_gamma, "beta": d_beta}, "gnn": d_gnn}
        d_h = d_h + d_x  # the residual passes d_h on unchanged, plus the layer's share
    grads["input"], _ = linear_backward(params["input"], c["input"], d_h)
    return loss, _accuracy(z, np.asarray(labels)), grads


# --- a Graph Transformer: full attention, positions from the Laplacian --------------------


def init_graph_transformer(
    rng,
    d_in: int,
    k: int,
    d_model: int,
    num_heads: int,
    d_ff: int,
    num_classes: int,
    num_layers: int = 1,
) -> dict:
    """``{"input", "positions" (k -> d_model), "layers": {"0": transformer_layer, ...}, "out"}``."""
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    return {
        "input": init_linear(rng, d_in, d_model),
        "positions": init_linear(rng, k, d_model),
        "layers": {
            str(i): init_transformer_layer(rng, d_model, num_heads, d_ff) for i in range(num_layers)
        },
        "out": init_linear(rng, d_model, num_classes),
    }


def _plain_layer(params, h, *, num_heads, mask, cache):
    """A Transformer layer without LayerNorm: ``x = h + MHA(h)``, ``h' = x + FFN(x)``."""
    ca, cf = (None, None) if cache is None else ({}, {})
    a, weights = multi_head_attention(
        params["attn"], h, num_heads=num_heads, return_attention=True, mask=mask, cache=ca
    )
    x = h + a
    out = x + feed_forward(params["ffn"], x, cache=cf)
    if cache is not None:
        cache.update(attn=ca, ffn=cf)
    return out, weights


def _plain_layer_backward(params, cache, d_out):
    d_ffn, d_x = feed_forward_backward(params["ffn"], cache["ffn"], d_out)
    d_x = d_out + d_x
    d_attn, d_h = multi_head_attention_backward(params["attn"], None, cache["attn"], d_x)
    zeros = {part: {key: np.zeros_like(v) for key, v in params[part].items()} for part in params}
    return zeros | {"attn": d_attn, "ffn": d_ffn}, d_x + d_h


def graph_transformer(
    params: dict,
    x: np.ndarray,
    pe: np.ndarray | None,
    mask: np.ndarray,
    *,
    num_heads: int,
    layer_norm: bool = True,
    cache=None,
    return_attention: bool = False,
):
    r"""Class scores ``(B, classes)``, read at node 0 of each graph of a padded batch.

    .. math:: h^0 = x W_\text{in} + PE\, W_\text{pos} + b, \quad
        h^{\ell+1} = \text{TransformerLayer}_\text{pre-LN}(h^\ell), \quad
        z_b = h^L_{b, 0} W + c

    Every node attends to every node of its own graph (the mask hides the padding):
    a GAT on the complete graph, as in notebook 04.

    Args:
        params: from ``init_graph_transformer``.
        x: ``(B, L, F)`` node features (``pad_batch`` of the feature arrays).
        pe: ``(B, L, k)`` positions (``laplacian_positions``, padded), or ``None``
            for none at all: the model then sees each graph as a set of nodes.
        mask: ``(B, L)`` True for a real node.
        num_heads: ``H``.
        layer_norm: ``False`` drops both LayerNorms of every layer (an exercise).
        cache: if a dict, filled with what ``graph_transformer_loss`` needs.
        return_attention: also return each layer's weights ``(B, H, L, L)``.
    """
    x, pe, mask = _check_padded(params, x, pe, mask)
    c = {"input": {}, "positions": {}, "readout": {}, "out": {}, "layers": {}}
    part = (lambda name: c[name]) if cache is not None else (lambda name: None)
    h = linear(params["input"], x, cache=part("input"))
    if pe is not None:
        h = h + linear(params["positions"], pe, cache=part("positions"))
    keys = mask[:, None, :]  # (B, 1, L): each node attends to the real nodes of its graph
    attention = []
    for k in sorted(params["layers"], key=int):
        ck = {} if cache is not None else None
        if layer_norm:
            h, weights = transformer_layer(
                params["layers"][k],
                h,
                num_heads=num_heads,
                norm_first=True,
                mask=keys,
                return_attention=True,
                cache=ck,
            )
        else:
            h, weights = _plain_layer(
                params["layers"][k], h, num_heads=num_heads, mask=keys, cache=ck
            )
        attention.append(weights)
        c["layers"][k] = ck
    B, L, _ = h.shape
    r = readout(h.reshape(B * L, -1), np.arange(B) * L, cache=part("readout"))  # node 0
    z = linear(params["out"], r, cache=part("out"))
    if cache is not None:
        cache.update(c, shape=h.shape, has_pe=pe is not None, layer_norm=layer_norm)
    return (z, attention) if return_attention else z


def graph_transformer_loss(
    params: dict, x, pe, mask, labels, *, num_heads: int, layer_norm: bool = True
) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``.

    Without positions (``pe=None``) the gradient of ``params["positions"]`` is zero.
    """
    c: dict = {}
    z = graph_transformer(params, x, pe, mask, num_heads=num_heads, layer_norm=layer_norm, cache=c)
    loss, d_z = softmax_cross_entropy(z, labels)
    grads = {"layers": {}}
    grads["out"], d_r = linear_backward(params["out"], c["out"], d_z)
    d_h = readout_backward(c["readout"], d_r).reshape(c["shape"])
    for k in sorted(params["layers"], key=int, reverse=True):
        if layer_norm:
            grads["layers"][k], d_h = transformer_layer_backward(
                params["layers"][k], None, c["layers"][k], d_h
            )
        else:
            grads["layers"][k], d_h = _plain_layer_backward(
                params["layers"][k], c["layers"][k], d_h
            )
    grads["input"], _ = linear_backward(params["input"], c["input"], d_h)
    if c["has_pe"]:
        grads["positions"], _ = linear_backward(params["positions"], c["positions"], d_h)
    else:
        grads["positions"] = {key: np.zeros_like(v) for key, v in params["positions"].items()}
    return loss, _accuracy(z, np.asarray(labels)), grads
