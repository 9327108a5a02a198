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
