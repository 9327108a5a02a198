"""PyTorch reference implementations for ``benchmarks/run.py``.

Imported only when torch is installed (``pip install -e ".[bench]"``). Everything
here is plain torch (no PyTorch Geometric), so the gather/scatter reference is the
same whether or not PyG is installed. ``run.py`` checks each of these against
``gnnformer_lite`` on the benchmark inputs before timing anything.

Conventions are those of ``gnnformer_lite``: edge ``e`` goes from ``senders[e]``
(j) to ``receivers[e]`` (i); ``q, k, v: (n, H, d)``; weights act on the right
(``h @ W``), so torch's ``Linear.weight`` is our ``W.T``.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def to_torch(x: np.ndarray) -> torch.Tensor:
    """A torch tensor sharing memory with ``x`` (copied if not contiguous or read-only)."""
    x = np.ascontiguousarray(x)
    if not x.flags.writeable:  # e.g. Graph.senders; torch warns about read-only arrays
        x = x.copy()
    return torch.from_numpy(x)


def segment_softmax(src: torch.Tensor, index: torch.Tensor, num_segments: int) -> torch.Tensor:
    """Softmax over the rows of ``src`` that share an ``index`` (any order).

    Hand-written like PyG's ``softmax(src, index)``: a scatter-max, ``exp``,
    a scatter-add, and a divide by the gathered sums.
    """
    shape = (num_segments, *src.shape[1:])
    expanded = index.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    seg_max = torch.full(shape, float("-inf"), dtype=src.dtype).scatter_reduce_(
        0, expanded, src, reduce="amax", include_self=True
    )
    e = (src - seg_max.index_select(0, index)).exp_()
    seg_sum = torch.zeros(shape, dtype=src.dtype).index_add_(0, index, e)
    return e.div_(seg_sum.index_select(0, index))


def graph_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    senders: torch.Tensor,
    receivers: torch.Tensor,
    num_nodes: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sparse attention along edges, the torch twin of ``gl.graph_attention``.

    gather (``index_select``) -> per-edge dot product -> ``segment_softmax`` ->
    weighted values -> ``index_add_`` at the receivers. ``q, k: (n, H, d)``,
    ``v: (n, H, d_v)``; returns ``(out: (n, H, d_v), alpha: (E, H))``.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = (q.index_select(0, receivers) * k.index_select(0, senders)).sum(-1) * scale
    alpha = segment_softmax(scores, receivers, num_nodes)
    messages = v.index_select(0, senders) * alpha.unsqueeze(-1)
    out = torch.zeros((num_nodes, *v.shape[1:]), dtype=v.dtype).index_add_(0, receivers, messages)
    return out, alpha


def load_gatconv(conv, params: dict) -> None:
    """Copy ``gl.init_gat_layer`` parameters into a PyG ``GATConv`` (concat, one ``lin``)."""
    heads, d_out = params["a_src"].shape
    with torch.no_grad():
        conv.lin.weight.copy_(to_torch(params["W"].T))
        conv.att_src.copy_(to_torch(params["a_src"].reshape(1, heads, d_out)))
        conv.att_dst.copy_(to_torch(params["a_dst"].reshape(1, heads, d_out)))
        conv.bias.copy_(to_torch(params["b"]))


def load_encoder_layer(layer, params: dict) -> None:
    """Copy ``gl.init_transformer_layer`` parameters into ``torch.nn.TransformerEncoderLayer``."""
    attn, ffn = params["attn"], params["ffn"]
    with torch.no_grad():
        mha = layer.self_attn
        mha.in_proj_weight.copy_(to_torch(np.concatenate([attn[f"W_{x}"].T for x in "QKV"])))
        mha.in_proj_bias.copy_(to_torch(np.concatenate([attn[f"b_{x}"] for x in "QKV"])))
        mha.out_proj.weight.copy_(to_torch(attn["W_O"].T))
        mha.out_proj.bias.copy_(to_torch(attn["b_O"]))
        layer.linear1.weight.copy_(to_torch(ffn["W1"].T))
        layer.linear1.bias.copy_(to_torch(ffn["b1"]))
        layer.linear2.weight.copy_(to_torch(ffn["W2"].T))
        layer.linear2.bias.copy_(to_torch(ffn["b2"]))
        for ours, theirs in (("ln1", layer.norm1), ("ln2", layer.norm2)):
            theirs.weight.copy_(to_torch(params[ours]["gamma"]))
            theirs.bias.copy_(to_torch(params[ours]["beta"]))


# --- the course's models, for one training step (cases/training.py) ----------------------
# Each holds the same weights as its gnnformer_lite params (float64); ``forward`` returns the
# class scores. The GNN layer is ``GNNLayer`` (index_add_ by hand) or ``PyGLayer`` (GraphConv).


def linear(W: np.ndarray, b: np.ndarray | None) -> torch.nn.Linear:
    """A float64 ``torch.nn.Linear`` computing ``x @ W + b`` (its weight is ``W.T``)."""
    layer = torch.nn.Linear(*W.shape, bias=b is not None, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(to_torch(W.T))
        if b is not None:
            layer.bias.copy_(to_torch(b))
    return layer


class GNNLayer(torch.nn.Module):
    """``gl.gnn_layer`` without its activation: ``h U + b + sum_j h_j V``, by ``index_add_``."""

    def __init__(self, p: dict, senders: torch.Tensor, receivers: torch.Tensor):
        super().__init__()
        self.root, self.rel = linear(p["U"], p["b"]), linear(p["V"], None)
        self.senders, self.receivers = senders, receivers

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        messages = self.rel(h).index_select(0, self.senders)
        total = torch.zeros(h.shape[0], messages.shape[1], dtype=h.dtype)
        return self.root(h) + total.index_add_(0, self.receivers, messages)


class PyGLayer(torch.nn.Module):
    """The same layer as PyG ``GraphConv(aggr="add")``: ``lin_rel`` holds V, b; ``lin_root`` U."""

    def __init__(self, p: dict, senders: torch.Tensor, receivers: torch.Tensor):
        super().__init__()
        from torch_geometric.nn import GraphConv

        self.conv = GraphConv(*p["U"].shape, aggr="add").double()
        with torch.no_grad():
            self.conv.lin_rel.weight.copy_(to_torch(p["V"].T))
            self.conv.lin_rel.bias.copy_(to_torch(p["b"]))
            self.conv.lin_root.weight.copy_(to_torch(p["U"].T))
        self.edge_index = torch.stack([senders, receivers])

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv(h, self.edge_index)


def layer_norm(p: dict) -> torch.nn.LayerNorm:
    norm = torch.nn.LayerNorm(len(p["gamma"]), eps=1e-5, dtype=torch.float64)
    with torch.no_grad():
        norm.weight.copy_(to_torch(p["gamma"]))
        norm.bias.copy_(to_torch(p["beta"]))
    return norm


def encoder_layer(p: dict) -> torch.nn.TransformerEncoderLayer:
    """``torch.nn.TransformerEncoderLayer`` (float64, no dropout) with ``p``'s weights and norm."""
    d_model, d_ff = p["ffn"]["W1"].shape
    layer = torch.nn.TransformerEncoderLayer(
        d_model, p["attn"]["num_heads"], d_ff, dropout=0.0, batch_first=True,
        norm_first=p["norm"] == "pre", dtype=torch.float64,
    )  # fmt: skip
    load_encoder_layer(layer, p)
    return layer


class NodeClassifier(torch.nn.Module):
    """``gl.node_classifier``: two GNN layers, ReLU in between."""

    def __init__(self, params: dict, gnn, senders, receivers):
        super().__init__()
        self.gnn1, self.gnn2 = (gnn(params[k], senders, receivers) for k in ("layer1", "layer2"))

    def forward(self, x, nodes):
        return self.gnn2(torch.relu(self.gnn1(x)))[nodes]


class SentenceGNN(torch.nn.Module):
    """``gl.sentence_gnn``: embedding, GNN layers with ReLU, the verb's row, a linear classifier."""

    def __init__(self, params: dict, gnn, senders, receivers):
        super().__init__()
        self.embed = torch.nn.Embedding.from_pretrained(
            to_torch(params["embed"]).clone(), freeze=False
        )
        self.layers = torch.nn.ModuleList(gnn(p, senders, receivers) for p in params["layers"])
        self.out = linear(params["out"]["W"], params["out"]["b"])

    def forward(self, tokens, rows):
        h = self.embed(tokens)
        for layer in self.layers:
            h = torch.relu(layer(h))
        return self.out(h[rows])


class ResidualGNN(torch.nn.Module):
    """``gl.residual_gnn``: input map, pre-LN residual GNN layers, node 0's row, classifier."""

    def __init__(self, params: dict, gnn, senders, receivers):
        super().__init__()
        self.input = linear(params["input"]["W"], params["input"]["b"])
        self.norms = torch.nn.ModuleList(layer_norm(p["norm"]) for p in params["layers"])
        self.layers = torch.nn.ModuleList(
            gnn(p["gnn"], senders, receivers) for p in params["layers"]
        )
        self.out = linear(params["out"]["W"], params["out"]["b"])

    def forward(self, x, rows):
        h = self.input(x)
        for norm, layer in zip(self.norms, self.layers, strict=True):
            h = h + torch.relu(layer(norm(h)))
        return self.out(h[rows])


class SentenceTransformer(torch.nn.Module):
    """``gl.sentence_transformer`` (one post-LN layer): embedding + sinusoids, the verb's row."""

    def __init__(self, params: dict):
        super().__init__()
        self.embed = torch.nn.Embedding.from_pretrained(
            to_torch(params["embed"]).clone(), freeze=False
        )
        self.layer = encoder_layer(params["layers"][0])
        self.out = linear(params["out"]["W"], params["out"]["b"])

    def forward(self, tokens, pe, padding, rows):
        h = self.layer(self.embed(tokens) + pe, src_key_padding_mask=padding)
        return self.out(h[rows])  # rows: (sentence indices, verb positions)


class GraphTransformer(torch.nn.Module):
    """``gl.graph_transformer`` (one pre-LN layer): features + positions, node 0's row."""

    def __init__(self, params: dict):
        super().__init__()
        self.input = linear(params["input"]["W"], params["input"]["b"])
        self.positions = linear(params["positions"]["W"], params["positions"]["b"])
        self.layer = encoder_layer(params["layers"][0])
        self.out = linear(params["out"]["W"], params["out"]["b"])

    def forward(self, x, pe, padding):
        h = self.layer(self.input(x) + self.positions(pe), src_key_padding_mask=padding)
        return self.out(h[:, 0])
