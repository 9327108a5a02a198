r"""Models of graphs: a node classifier, a deep residual GNN, and a Graph Transformer.

Each model is an ``init_*`` function (a tree of arrays and the settings it was
built with), a forward, its backward ``model_backward(cache, d_scores) ->
(d_params, d_input)`` and a ``*_loss`` that ``train`` takes.

- ``node_classifier``: two GNN layers on one graph, a loss on a few labelled
  nodes (Zachary's karate club from one member per faction).
- ``residual_gnn``: a linear input layer, then ``L`` pre-LN residual GNN layers
  :math:`h \leftarrow h + \text{GNN}(\text{LN}(h))` on a batch of graphs (one
  disjoint graph, ``node_batch``), node 0's vector, a linear classifier.
  Information travels one hop per layer; ``virtual_node=True`` adds a node joined
  to every node of its graph.
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

from ._checks import UNSET, as_count, as_flag, as_float_array, as_rng, check_model_inputs
from ._params import layer_norm_params, stack_backward, stack_forward, sub_caches
from .gnn_layers import gnn_layer, gnn_layer_backward, init_gnn_layer, relu
from .graphs import Graph, batch_graphs, check_graph, virtual_node_graph
from .learning import (
    accuracy,
    classification_loss,
    init_linear,
    linear,
    linear_backward,
    readout,
    readout_backward,
    softmax_cross_entropy,
)
from .position_wise import layer_norm, layer_norm_backward
from .transformer_layers import (
    init_transformer_layer,
    transformer_layer,
    transformer_layer_backward,
)

__all__ = [
    "graph_transformer",
    "graph_transformer_backward",
    "graph_transformer_loss",
    "init_graph_transformer",
    "init_node_classifier",
    "init_residual_gnn",
    "node_batch",
    "node_classifier",
    "node_classifier_backward",
    "node_classifier_loss",
    "residual_gnn",
    "residual_gnn_backward",
    "residual_gnn_loss",
]


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
    if not isinstance(params, dict) or "layer1" not in params or "layer2" not in params:
        raise TypeError(
            "params must be the dict made by init_node_classifier; the order is "
            "node_classifier(params, x, graph)"
        )
    c = sub_caches(cache, "layer1", "layer2")
    h = gnn_layer(params["layer1"], x, graph, relu, cache=c["layer1"])
    z = gnn_layer(params["layer2"], h, graph, None, cache=c["layer2"])
    if cache is not None:
        cache.update(c)
    return z, h


def node_classifier_backward(cache: dict, d_scores: np.ndarray) -> tuple[dict, np.ndarray]:
    """Gradients of ``node_classifier``: ``(d_params, d_x)`` from those of the scores ``z``."""
    g2, d_h = gnn_layer_backward(cache["layer2"], d_scores)
    g1, d_x = gnn_layer_backward(cache["layer1"], d_h)
    return {"layer1": g1, "layer2": g2}, d_x


def node_classifier_loss(params, x, graph, nodes, labels) -> tuple[float, float, dict]:
    """Cross-entropy on the labelled ``nodes`` only; ``labels[k]`` is the class of ``nodes[k]``.

    Returns ``(loss, accuracy on those nodes, grads)``.
    """
    cache: dict = {}
    z, _ = node_classifier(params, x, graph, cache=cache)
    loss, d_picked = softmax_cross_entropy(z[nodes], labels)
    d_z = np.zeros_like(z)
    np.add.at(d_z, nodes, d_picked)  # only the labelled rows receive a gradient
    grads, _ = node_classifier_backward(cache, d_z)
    return loss, accuracy(z[nodes], labels), grads


# --- batches of graphs ----------------------------------------------------------------------


def node_batch(
    graphs: list[Graph], features: list[np.ndarray], *, virtual_node: bool = False
) -> dict:
    """A batch of graphs as one disjoint graph: ``{"graph", "x", "rows", "virtual_node"}``.

    ``rows[b]`` is node 0 of graph b in the batch. With ``virtual_node`` every graph
    first gets its own virtual node (``virtual_node_graph``) with a zero feature row.
    """
    features = _check_node_batch(graphs, features)
    virtual_node = as_flag(virtual_node, "virtual_node")
    graph, _, offsets = batch_graphs(graphs)
    x = np.concatenate(features)
    if virtual_node:  # one per graph, right after its nodes, with a zero feature row
        graph = virtual_node_graph(graph, offsets)
        x = np.insert(x, offsets[1:], 0.0, axis=0)
        offsets = offsets + np.arange(offsets.size)
    return {"graph": graph, "x": x, "rows": offsets[:-1], "virtual_node": virtual_node}


# --- a deep GNN: one hop per layer ---------------------------------------------------------


def init_residual_gnn(
    rng, d_in: int, d: int, num_layers: int, num_classes: int, *, virtual_node: bool = False
) -> dict:
    """``{"input": linear (d_in -> d), "layers": [{"norm", "gnn"}, ...], "out", "virtual_node"}``.

    ``virtual_node`` records whether the model runs on batches with a virtual node
    (``node_batch(..., virtual_node=True)``); ``residual_gnn`` refuses the other kind.
    """
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    return {
        "input": init_linear(rng, d_in, d),
        "layers": [
            {"norm": layer_norm_params(d), "gnn": init_gnn_layer(rng, d, d)}
            for _ in range(num_layers)
        ],
        "out": init_linear(rng, d, num_classes),
        "virtual_node": as_flag(virtual_node, "virtual_node"),
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
    c = sub_caches(cache, "input", "readout", "out", layers=len(params["layers"]))
    h = linear(params["input"], batch["x"], cache=c["input"])
    for layer, c_layer in zip(params["layers"], c["layers"], strict=True):
        h = _residual_layer(layer, h, batch["graph"], cache=c_layer)
    z = linear(params["out"], readout(h, batch["rows"], cache=c["readout"]), cache=c["out"])
    if cache is not None:
        cache.update(c)
    return z


def residual_gnn_backward(cache: dict, d_scores: np.ndarray) -> tuple[dict, np.ndarray]:
    """Gradients of ``residual_gnn``: ``(d_params, d_x)``."""
    grads = {}
    grads["out"], d_r = linear_backward(cache["out"], d_scores)
    d_h = readout_backward(cache["readout"], d_r)
    grads["layers"], d_h = stack_backward(_residual_layer_backward, cache["layers"], d_h)
    grads["input"], d_x = linear_backward(cache["input"], d_h)
    return grads, d_x


def residual_gnn_loss(params: dict, batch: dict, labels) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""
    return classification_loss(residual_gnn, residual_gnn_backward, params, batch, labels=labels)


def _residual_layer(params: dict, h: np.ndarray, graph: Graph, *, cache=None) -> np.ndarray:
    """One pre-LN residual GNN layer: ``h + ReLU(GNN(LN(h)))``."""
    c = sub_caches(cache, "norm", "gnn")
    u = layer_norm(h, params["norm"]["gamma"], params["norm"]["beta"], cache=c["norm"])
    out = h + gnn_layer(params["gnn"], u, graph, relu, cache=c["gnn"])
    if cache is not None:
        cache.update(c)
    return out


def _residual_layer_backward(cache: dict, d_out: np.ndarray) -> tuple[dict, np.ndarray]:
    d_gnn, d_u = gnn_layer_backward(cache["gnn"], d_out)
    d_norm, d_h = layer_norm_backward(cache["norm"], d_u)
    return {"norm": d_norm, "gnn": d_gnn}, d_out + d_h  # the residual passes d_out on unchanged


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
    *,
    positions: bool = True,
    norm: str | None = "pre",
) -> dict:
    """``{"input", "positions" (k -> d_model), "layers": [transformer_layer, ...], "out"}``.

    ``positions=False`` builds the model without the positions' map (its weights are
    drawn all the same, so that both models start from the same other weights);
    ``graph_transformer`` then refuses positions, and the model with them refuses
    to run without. ``num_heads`` and ``norm`` (``"pre"``, or ``None`` for no
    LayerNorm at all) are recorded in every layer (``init_transformer_layer``).
    """
    rng, num_layers = as_rng(rng), as_count(num_layers, "num_layers")
    params = {"input": init_linear(rng, d_in, d_model)}
    position_map = init_linear(rng, k, d_model)
    if as_flag(positions, "positions"):
        params["positions"] = position_map
    params["layers"] = [
        init_transformer_layer(rng, d_model, num_heads, d_ff, norm=norm) for _ in range(num_layers)
    ]
    params["out"] = init_linear(rng, d_model, num_classes)
    return params


def graph_transformer(
    params: dict,
    x: np.ndarray,
    pe: np.ndarray | None,
    mask: np.ndarray,
    *,
    num_heads: int = UNSET,
    norm: str | None = UNSET,
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
        pe: ``(B, L, k)`` positions (``laplacian_positions``, padded); ``None``
            exactly when the model was built with ``positions=False``: it then
            sees each graph as a set of nodes.
        mask: ``(B, L)`` True for a real node.
        num_heads, norm: what ``init_graph_transformer`` recorded; a different value
            is an error.
        cache: if a dict, filled with what ``graph_transformer_backward`` needs.
        return_attention: also return each layer's weights ``(B, H, L, L)``.
    """
    x, pe, mask = _check_padded_graphs(params, x, pe, mask)
    c = sub_caches(cache, "input", "positions", "readout", "out", layers=len(params["layers"]))
    h = linear(params["input"], x, cache=c["input"])
    if pe is not None:
        h = h + linear(params["positions"], pe, cache=c["positions"])
    keys = mask[:, None, :]  # (B, 1, L): each node attends to the real nodes of its graph
    settings = {"num_heads": num_heads, "norm": norm}
    h, attention = stack_forward(
        transformer_layer, params["layers"], h, c["layers"], mask=keys, **settings
    )
    B, L, _ = h.shape
    r = readout(h.reshape(B * L, -1), np.arange(B) * L, cache=c["readout"])  # node 0
    z = linear(params["out"], r, cache=c["out"])
    if cache is not None:
        cache.update(c, shape=h.shape, has_pe=pe is not None)
    return (z, attention) if return_attention else z


def graph_transformer_backward(cache: dict, d_scores: np.ndarray) -> tuple[dict, np.ndarray]:
    """Gradients of ``graph_transformer``: ``(d_params, d_x)``."""
    grads = {}
    grads["out"], d_r = linear_backward(cache["out"], d_scores)
    d_h = readout_backward(cache["readout"], d_r).reshape(cache["shape"])
    grads["layers"], d_h = stack_backward(transformer_layer_backward, cache["layers"], d_h)
    grads["input"], d_x = linear_backward(cache["input"], d_h)
    if cache["has_pe"]:
        grads["positions"], _ = linear_backward(cache["positions"], d_h)
    return grads, d_x


def graph_transformer_loss(
    params: dict, x, pe, mask, labels, *, num_heads: int = UNSET, norm=UNSET
) -> tuple[float, float, dict]:
    """Forward, cross-entropy, and the backward pass: ``(loss, accuracy, grads)``."""

    def forward(p, *inputs, cache):
        return graph_transformer(p, *inputs, num_heads=num_heads, norm=norm, cache=cache)

    return classification_loss(
        forward, graph_transformer_backward, params, x, pe, mask, labels=labels
    )


# --- input checks --------------------------------------------------------------------------


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
    """``batch`` from ``node_batch`` and ``params`` from ``init_residual_gnn``, agreeing."""
    __tracebackhide__ = True
    check_model_inputs(params, batch, "residual_gnn", "node_batch", ("graph", "x", "rows"))
    built, given = params.get("virtual_node", False), batch.get("virtual_node", False)
    if built != given:
        raise ValueError(
            f"the model was built with virtual_node={built} (init_residual_gnn) but the batch "
            f"has virtual_node={given} (node_batch): make them agree"
        )
    _check_features(params, np.shape(batch["x"]), "the batch's x (node_batch)", "init_residual_gnn")
    return batch


def _check_features(params, x_shape: tuple, what: str, init: str) -> None:
    """The nodes' feature width must be the ``d_in`` the model was built with."""
    __tracebackhide__ = True
    W_shape = np.shape(params["input"]["W"]) if isinstance(params.get("input"), dict) else None
    if W_shape and len(x_shape) and x_shape[-1] != W_shape[0]:
        raise ValueError(
            f"{what} has {x_shape[-1]} features per node (shape {x_shape}) but the model was "
            f"built for d_in={W_shape[0]} ({init}; params['input']['W'] is {W_shape})"
        )


def _check_padded_graphs(params, x, pe, mask) -> tuple:
    """``x: (B, L, F)``, ``pe: None | (B, L, k)``, ``mask: (B, L)`` booleans with node 0 real."""
    __tracebackhide__ = True
    if not isinstance(params, dict) or "input" not in params or "layers" not in params:
        raise TypeError(
            "params must be the dict made by init_graph_transformer; the order is "
            "graph_transformer(params, x, pe, mask)"
        )
    x, mask = as_float_array(x, "x"), np.asarray(mask)
    if x.ndim != 3 or mask.shape != x.shape[:2] or mask.dtype != bool:
        raise ValueError(
            f"x must be a padded batch (B, L, F) and mask (B, L) booleans, got x {x.shape} "
            f"and mask {mask.dtype} {mask.shape} (see pad_batch)"
        )
    _check_features(params, x.shape, "x", "init_graph_transformer")
    if not mask[:, 0].all():
        b = int(np.argmin(mask[:, 0]))
        raise ValueError(f"mask[{b}, 0] is False: node 0 of graph {b} is read out, it must be real")
    if pe is None and "positions" in params:
        raise ValueError(
            "pe is None, but the model was built with positions (init_graph_transformer(..., "
            "positions=True)): give it its positions, or build one with positions=False"
        )
    if pe is not None and "positions" not in params:
        raise ValueError(
            "the model was built without positions (init_graph_transformer(..., "
            "positions=False)): pass pe=None"
        )
    if pe is not None:
        pe, k = as_float_array(pe, "pe"), np.shape(params["positions"]["W"])[0]
        if pe.shape != (*x.shape[:2], k):
            raise ValueError(
                f"pe has shape {pe.shape} but x has {x.shape} and params['positions'] takes "
                f"k={k}: need {(*x.shape[:2], k)} (laplacian_positions, then pad_batch)"
            )
    return x, pe, mask
