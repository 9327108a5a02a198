r"""The three layers of the talk -- GNN, GAT, Transformer -- as pure functions.

Each layer is ``layer(params, h, graph)`` where ``params`` is a plain dict of
arrays made by the matching ``init_*`` function, ``h: (n, d)`` holds one row per
node, and weights act on the right (``h @ W``). The talk writes ``U h_i`` with
column vectors; here that is ``h_i U``: the same maths with transposed weights.

Layers compute in the dtype of ``h`` (float32 in, float32 out), never add self
loops (graphs carry them), and never modify their inputs.

Each layer's backward sits right after it, ``<layer>_backward(params, graph, cache,
d_out) -> (d_params, d_h)``: call the forward with ``cache={}`` (it stores what the
backward needs), then hand the backward that dict and the gradient of the loss with
respect to the output. ``d_params`` has the keys of ``params``. The forwards are
written once; the backwards are their chain rule, and on a graph they are message
passing on the reversed graph (see ``propagate_backward``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    as_count,
    as_float_array,
    as_rng,
    check_cache,
    check_params,
    check_upstream,
    get_param,
)
from .attention import (
    graph_attention,
    graph_attention_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from .graphs import Graph, check_graph
from .message_passing import (
    propagate,
    propagate_backward,
    segment_softmax,
    segment_softmax_backward,
    segment_sum,
)

Activation = Callable[[np.ndarray], np.ndarray] | None
Params = dict[str, np.ndarray]


# --- non-linearities ---------------------------------------------------------


def relu(x: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit, :math:`\max(x, 0)`."""
    return np.maximum(x, 0)


def elu(x: np.ndarray) -> np.ndarray:
    r"""Exponential linear unit, :math:`x` if :math:`x > 0` else :math:`e^x - 1` (GAT's default)."""
    x = np.asarray(x)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def leaky_relu(x: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    r""":math:`x` if :math:`x > 0` else ``negative_slope`` :math:`\cdot x` (GAT's scores)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def _activate(x: np.ndarray, activation: Activation) -> np.ndarray:
    if activation is None:
        return x
    if not callable(activation):
        raise TypeError(f"activation must be a function or None, got {activation!r}")
    return activation(x)


def _activation_backward(activation: Activation, pre: np.ndarray, d_out: np.ndarray):
    r"""``d_out * sigma'(pre)`` for the activations of this module (and ``None``)."""
    if activation is None:
        return d_out
    if activation is relu:  # 1 where x > 0
        return d_out * (pre > 0)
    if activation is elu:  # e^x where x <= 0
        return d_out * np.where(pre > 0, 1, np.exp(np.minimum(pre, 0)))
    if activation is leaky_relu:  # with its default slope 0.2
        return d_out * np.where(pre > 0, 1, pre.dtype.type(0.2))
    raise ValueError(
        f"no backward for activation {activation!r}: the backward functions know relu, "
        f"elu, leaky_relu and None"
    )


def _glorot(rng: np.random.Generator, d_in: int, d_out: int, dtype, shape=None) -> np.ndarray:
    """Glorot/Xavier uniform: U(-l, l) with l = sqrt(6 / (d_in + d_out))."""
    limit = np.sqrt(6.0 / (d_in + d_out))
    return rng.uniform(-limit, limit, size=shape or (d_in, d_out)).astype(dtype)


# --- GNN -----------------------------------------------------------------------


def init_gnn_layer(
    rng: np.random.Generator, d_in: int, d_out: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``gnn_layer``: ``U, V: (d_in, d_out)`` (Glorot), ``b: (d_out,)`` (zeros)."""
    rng = as_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    return {
        "U": _glorot(rng, d_in, d_out, dtype),
        "V": _glorot(rng, d_in, d_out, dtype),
        "b": np.zeros(d_out, dtype=dtype),
    }


def gnn_layer(
    params: Params,
    h: ArrayLike,
    graph: Graph,
    activation: Activation = relu,
    *,
    cache: dict | None = None,
) -> np.ndarray:
    r"""A plain GNN layer: a node's own features plus the sum of its neighbours'.

    .. math:: h_i' = \sigma\Big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\Big)

    (the talk's :math:`\sigma(U h_i + \sum_j V h_j)` with row vectors). The
    :math:`U` term is the self term, so run it on a graph *without* self loops.

    Args:
        params: ``{"U": (d_in, d_out), "V": (d_in, d_out), "b": (d_out,)}``.
        h: ``(n, d_in)`` node features.
        graph: a ``Graph`` on ``n`` nodes.
        activation: :math:`\sigma`, default ``relu``; ``None`` for identity.
        cache: if a dict, filled with what ``gnn_layer_backward`` needs.

    Returns:
        ``h': (n, d_out)``.
    """
    h, U, V, b = _check_gnn_layer(params, h, graph)
    messages = (h @ V)[graph.senders]  # gather: one message h_j V per edge j -> i
    pre = h @ U + propagate(graph, messages) + b
    if cache is not None:
        cache.update(h=h, pre=pre, activation=activation)
    return _activate(pre, activation)


def gnn_layer_backward(
    params: Params, graph: Graph, cache: dict, d_out: ArrayLike
) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``gnn_layer``: ``(d_params, d_h)``.

    With :math:`p = h U + A h V + b` (``A`` the adjacency, row = receiver),
    :math:`h' = \sigma(p)` and :math:`\delta = \partial L / \partial p
    = \partial L / \partial h' \odot \sigma'(p)`:

    .. math::
        \frac{\partial L}{\partial U} = h^\top \delta, \quad
        \frac{\partial L}{\partial V} = h^\top A^\top \delta, \quad
        \frac{\partial L}{\partial b} = \textstyle\sum_i \delta_i, \quad
        \frac{\partial L}{\partial h} = \delta U^\top + A^\top \delta V^\top.

    :math:`A^\top \delta` is message passing on the reversed graph: each edge j -> i
    takes :math:`\delta_i` (``propagate_backward``, a gather by receivers) and every
    sender j sums what its edges took (``segment_sum`` over senders).

    Args:
        params: the parameters given to ``gnn_layer``.
        graph: the graph given to ``gnn_layer``.
        cache: the dict given to ``gnn_layer(..., cache=cache)``.
        d_out: ``(n, d_out)``, the gradient of the loss with respect to ``h'``.
    """
    cache = check_cache(cache, ("h", "pre", "activation"), "gnn_layer")
    h, pre = cache["h"], cache["pre"]
    check_graph(graph, h.shape[0])
    delta = _activation_backward(
        cache["activation"], pre, check_upstream(d_out, pre.shape, "gnn_layer")
    )
    d_messages = propagate_backward(graph, delta)  # each edge j -> i takes delta_i
    d_hV = segment_sum(d_messages, graph.senders, graph.num_nodes)  # A^T delta: sum at senders
    d_params = {"U": h.T @ delta, "V": h.T @ d_hV, "b": delta.sum(axis=0)}
    return d_params, delta @ params["U"].T + d_hV @ params["V"].T


# --- GAT -----------------------------------------------------------------------


def init_gat_layer(
    rng: np.random.Generator,
    d_in: int,
    d_out: int,
    num_heads: int = 1,
    concat: bool = True,
    *,
    dtype=np.float64,
) -> dict[str, np.ndarray]:
    """Parameters of ``gat_layer``.

    ``W: (d_in, H*d_out)``, ``a_src, a_dst: (H, d_out)`` (Glorot), and
    ``b: (H*d_out,)`` if ``concat`` else ``(d_out,)`` (zeros).
    """
    rng = as_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    H = as_count(num_heads, "num_heads")
    if H < 1:
        raise ValueError(f"num_heads must be >= 1, got {H}")
    return {
        "W": _glorot(rng, d_in, H * d_out, dtype),
        "a_src": _glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "a_dst": _glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "b": np.zeros(H * d_out if concat else d_out, dtype=dtype),
    }


def gat_layer(
    params: Params,
    h: ArrayLike,
    graph: Graph,
    activation: Activation = elu,
    concat: bool = True,
    return_attention: bool = False,
    negative_slope: float = 0.2,
    *,
    cache: dict | None = None,
):
    r"""Graph attention (Veličković et al., 2018): a softmax-weighted sum over neighbours.

    .. math::
        z = h W, \quad
        e_{ij}^{(k)} = \operatorname{LeakyReLU}_{0.2}\big(a^{(k)}_\text{src} \cdot z^{(k)}_j
            + a^{(k)}_\text{dst} \cdot z^{(k)}_i\big), \quad
        \alpha_{ij}^{(k)} = \operatorname{softmax}_{j \in \mathcal{N}(i)} e_{ij}^{(k)}

    .. math::
        h_i' = \sigma\Big(\big\Vert_{k=1}^{H} \sum_{j \in \mathcal{N}(i)}
            \alpha_{ij}^{(k)} z^{(k)}_j + b\Big)

    with heads concatenated (:math:`\Vert`) or averaged (``concat=False``), then
    the bias, then :math:`\sigma` -- the order of PyG's ``GATConv``.

    Args:
        params: ``{"W": (d_in, H*d_out), "a_src": (H, d_out), "a_dst": (H, d_out),
            "b": (H*d_out,) or (d_out,)}``; ``H`` is read from ``a_src``.
        h: ``(n, d_in)`` node features.
        graph: a ``Graph`` on ``n`` nodes (add self loops so a node sees itself).
        activation: :math:`\sigma`, default ``elu``; ``None`` gives the raw aggregation.
        concat: concatenate heads (``True``) or average them.
        return_attention: also return ``alpha: (E, H)``.
        negative_slope: the LeakyReLU slope for negative scores (0.2 in the paper).
        cache: if a dict, filled with what ``gat_layer_backward`` needs.

    Returns:
        ``h': (n, H*d_out)`` or ``(n, d_out)``; with ``return_attention``, ``(h', alpha)``.
    """
    h, W, a_src, a_dst, b = _check_gat_layer(params, h, graph, concat)
    (n, _), (H, d_out) = h.shape, a_src.shape
    z = (h @ W).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, a_src)  # a_src . z_j, one number per node and head
    s_dst = np.einsum("nhd,hd->nh", z, a_dst)  # a_dst . z_i
    e = leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], negative_slope)  # (E, H)
    alpha = segment_softmax(e, graph.receivers, n, indptr=graph.indptr)  # over each N(i)
    out = propagate(graph, alpha[:, :, None] * z[graph.senders])  # (n, H, d_out)
    out = out.reshape(n, H * d_out) if concat else out.mean(axis=1)
    if cache is not None:
        cache.update(h=h, z=z, s_src=s_src, s_dst=s_dst, alpha=alpha, pre=out + b)
        cache.update(activation=activation, concat=concat, negative_slope=negative_slope)
    out = _activate(out + b, activation)
    return (out, alpha) if return_attention else out


def gat_layer_backward(
    params: Params, graph: Graph, cache: dict, d_out: ArrayLike
) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``gat_layer``: ``(d_params, d_h)``, head by head, edge by edge.

    With :math:`u_{ij} = a_\text{src} \cdot z_j + a_\text{dst} \cdot z_i`,
    :math:`e = \operatorname{LeakyReLU}(u)`, :math:`\alpha = \operatorname{softmax}_j e`,
    :math:`o_i = \sum_j \alpha_{ij} z_j` and :math:`\delta_i = \partial L / \partial o_i`
    (through :math:`\sigma`, the bias, and the concatenation or the mean of heads):

    .. math::
        \frac{\partial L}{\partial \alpha_{ij}} = \delta_i \cdot z_j, \quad
        \frac{\partial L}{\partial e} = \texttt{segment\_softmax\_backward}, \quad
        \frac{\partial L}{\partial u_{ij}} = \frac{\partial L}{\partial e_{ij}}
            \cdot \begin{cases} 1 & u_{ij} > 0 \\ 0.2 & u_{ij} \le 0 \end{cases}

    .. math::
        \frac{\partial L}{\partial z_j} = \sum_{i : j \in \mathcal{N}(i)}
            \Big(\alpha_{ij} \delta_i + \frac{\partial L}{\partial u_{ij}} a_\text{src}\Big)
          + \sum_{j' \in \mathcal{N}(j)} \frac{\partial L}{\partial u_{jj'}} a_\text{dst},
        \qquad \frac{\partial L}{\partial W} = h^\top \frac{\partial L}{\partial z}, \quad
        \frac{\partial L}{\partial h} = \frac{\partial L}{\partial z} W^\top

    and :math:`\partial L / \partial a_\text{src} = \sum_j (\sum_{i} \partial L /
    \partial u_{ij}) z_j`, :math:`\partial L / \partial a_\text{dst} = \sum_i (\sum_j
    \partial L / \partial u_{ij}) z_i`. Sums over :math:`i : j \in \mathcal{N}(i)` are
    segment sums over senders -- ``propagate`` on the reversed graph; sums over
    :math:`j \in \mathcal{N}(i)` are ``propagate`` itself (the backward of a gather
    by receivers).

    Args:
        params: the parameters given to ``gat_layer``.
        graph: the graph given to ``gat_layer``.
        cache: the dict given to ``gat_layer(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'`` (``alpha`` is not
            differentiated when ``return_attention`` returned it).
    """
    keys = ("h", "z", "s_src", "s_dst", "alpha", "pre", "activation", "concat", "negative_slope")
    cache = check_cache(cache, keys, "gat_layer")
    h, z, alpha, pre = cache["h"], cache["z"], cache["alpha"], cache["pre"]
    (n, H, d), s, r = z.shape, graph.senders, graph.receivers
    check_graph(graph, n)
    delta = _activation_backward(
        cache["activation"], pre, check_upstream(d_out, pre.shape, "gat_layer")
    )
    d_b = delta.sum(axis=0)
    if cache["concat"]:  # out = heads side by side
        d_heads = delta.reshape(n, H, d)
    else:  # out = the mean of the H heads
        d_heads = np.broadcast_to(delta[:, None, :] / H, (n, H, d))
    d_messages = propagate_backward(graph, d_heads)  # (E, H, d): message = alpha_ij z_j
    d_alpha = np.einsum("ehd,ehd->eh", d_messages, z[s])
    d_e = segment_softmax_backward(alpha, d_alpha, r, n)
    u = cache["s_src"][s] + cache["s_dst"][r]
    d_u = d_e * np.where(u > 0, 1, cache["negative_slope"])  # LeakyReLU'
    d_src = segment_sum(d_u, s, n)  # backward of the gather s_src[senders]: reversed graph
    d_dst = propagate(graph, d_u)  # backward of the gather s_dst[receivers]
    d_z = segment_sum(alpha[:, :, None] * d_messages, s, n)  # backward of the gather z[senders]
    d_z = d_z + d_src[:, :, None] * params["a_src"] + d_dst[:, :, None] * params["a_dst"]
    d_params = {
        "W": h.T @ d_z.reshape(n, H * d),
        "a_src": np.einsum("nh,nhd->hd", d_src, z),
        "a_dst": np.einsum("nh,nhd->hd", d_dst, z),
        "b": d_b,
    }
    return d_params, d_z.reshape(n, H * d) @ params["W"].T


# --- Transformer -----------------------------------------------------------------


def init_multi_head_attention(
    rng: np.random.Generator, d_model: int, num_heads: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``multi_head_attention``: ``W_Q, W_K, W_V, W_O: (d_model, d_model)``
    (Glorot) and ``b_Q, b_K, b_V, b_O: (d_model,)`` (zeros)."""
    rng = as_rng(rng)
    d_model = as_count(d_model, "d_model")
    _head_dim(d_model, num_heads)
    params = {f"W_{x}": _glorot(rng, d_model, d_model, dtype) for x in "QKVO"}
    params.update({f"b_{x}": np.zeros(d_model, dtype=dtype) for x in "QKVO"})
    return params


def multi_head_attention(
    params: Params,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    num_heads: int,
    return_attention: bool = False,
    mask: ArrayLike | None = None,
    cache: dict | None = None,
):
    r"""Multi-head self-attention: H attention heads side by side, concatenated, mixed by W_O.

    .. math::
        q = h W_Q,\ k = h W_K,\ v = h W_V, \qquad
        \text{head}^{(k)}_i = \sum_{j \in \mathcal{N}(i)}
            \operatorname{softmax}_j\!\left(
                \frac{q^{(k)}_i \cdot k^{(k)}_j}{\sqrt{d_\text{head}}}\right) v^{(k)}_j

    .. math:: h_i' = \big[\text{head}^{(1)}_i \,\Vert\, \dots \,\Vert\, \text{head}^{(H)}_i\big] W_O

    Heads are split by reshaping the last axis to ``(H, d_head)``, the convention
    of ``torch.nn.MultiheadAttention``. Optional biases ``b_Q, b_K, b_V, b_O`` are
    added after each projection.

    Args:
        params: ``W_Q, W_K, W_V, W_O: (d_model, d_model)``, optional ``b_*: (d_model,)``.
        h: ``(n, d_model)``; on the dense path also a padded batch ``(B, n, d_model)``.
        graph: ``None`` for all words attending to all words (dense path,
            ``N(i) = S``), or a ``Graph`` for sparse attention along its edges.
        num_heads: ``H``; must divide ``d_model``.
        return_attention: also return the weights: ``(..., H, n, n)`` dense, ``(E, H)``
            with a graph.
        mask: dense path only: boolean, broadcastable to ``(..., n, n)``, ``True`` where
            query i may attend to key j -- e.g. ``(B, 1, n)`` to hide the padding keys
            of a padded batch (as ``scaled_dot_product_attention``).
        cache: if a dict, filled with what ``multi_head_attention_backward`` needs.

    Returns:
        ``h': (..., n, d_model)``, or ``(h', weights)``.
    """
    h, p = _check_multi_head_attention(params, h, graph, num_heads, mask)
    d_model = h.shape[-1]
    split = (*h.shape[:-1], num_heads, d_model // num_heads)  # each head gets d_head features
    q = (h @ p["W_Q"] + p["b_Q"]).reshape(split)
    k = (h @ p["W_K"] + p["b_K"]).reshape(split)
    v = (h @ p["W_V"] + p["b_V"]).reshape(split)
    if graph is None:  # N(i) = S: every word (that the mask allows)
        heads, weights = scaled_dot_product_attention(q, k, v, mask, cache=cache)
    else:  # N(i) from the graph's edges
        heads, weights = graph_attention(q, k, v, graph, cache=cache)
    heads = heads.reshape(h.shape)  # concatenate the heads ...
    if cache is not None:
        cache.update(h=h, heads=heads, num_heads=num_heads)
    out = heads @ p["W_O"] + p["b_O"]  # ... and mix them by W_O
    return (out, weights) if return_attention else out


def multi_head_attention_backward(
    params: Params, graph: Graph | None, cache: dict, d_out: ArrayLike
) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``multi_head_attention``: ``(d_params, d_h)``.

    With :math:`c` the concatenated heads and :math:`G = \partial L / \partial h'`:

    .. math::
        \frac{\partial L}{\partial W_O} = c^\top G, \quad
        \frac{\partial L}{\partial c} = G W_O^\top, \qquad
        \frac{\partial L}{\partial W_X} = h^\top \frac{\partial L}{\partial x}, \quad
        \frac{\partial L}{\partial h} = \sum_{x \in \{q, k, v\}}
            \frac{\partial L}{\partial x} W_X^\top

    (biases: the sums of the same gradients over the words), where
    :math:`\partial L / \partial q, k, v` come from
    ``scaled_dot_product_attention_backward`` on the dense path and from
    ``graph_attention_backward`` (message passing on the reversed graph) with a graph.

    Args:
        params: the parameters given to ``multi_head_attention``.
        graph: the graph given to it (``None`` for the dense path).
        cache: the dict given to ``multi_head_attention(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'``, shaped like ``h``.

    Returns:
        ``d_params`` with the keys of ``params`` (biases only if present), and ``d_h``.
    """
    cache = check_cache(cache, ("h", "heads", "num_heads"), "multi_head_attention")
    h, heads = cache["h"], cache["heads"]
    G = check_upstream(d_out, h.shape, "multi_head_attention")
    flat = (-1, h.shape[-1])  # every word of every sentence is one row
    d_params = {"W_O": heads.reshape(flat).T @ G.reshape(flat), "b_O": G.reshape(flat).sum(0)}
    d_heads = (G @ params["W_O"].T).reshape(*h.shape[:-1], cache["num_heads"], -1)
    if graph is None:
        d_qkv = scaled_dot_product_attention_backward(cache, d_heads)
    else:
        d_qkv = graph_attention_backward(graph, cache, d_heads)
    d_h = np.zeros_like(h)
    for x, d_x in zip("QKV", d_qkv, strict=True):
        d_x = d_x.reshape(flat)
        d_params[f"W_{x}"], d_params[f"b_{x}"] = h.reshape(flat).T @ d_x, d_x.sum(axis=0)
        d_h += (d_x @ params[f"W_{x}"].T).reshape(h.shape)
    return {key: d_params[key] for key in params}, d_h


def layer_norm(
    x: ArrayLike,
    gamma: ArrayLike,
    beta: ArrayLike,
    eps: float = 1e-5,
    *,
    cache: dict | None = None,
) -> np.ndarray:
    r"""Layer normalisation over the last axis (each word normalised on its own).

    .. math:: \operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta

    with :math:`\mu, \sigma^2` the mean and (biased) variance of :math:`x`'s last
    axis. ``x: (..., d)``, ``gamma, beta: (d,)``. ``cache``: if a dict, filled with
    what ``layer_norm_backward`` needs.
    """
    x, gamma, beta = _check_layer_norm(x, gamma, beta)
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    if cache is not None:
        cache.update(x=x, mu=mu, var=var, gamma=gamma, eps=eps)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layer_norm_backward(cache: dict, d_out: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of ``layer_norm``: ``(d_x, d_gamma, d_beta)``.

    With :math:`\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}` and
    :math:`G = \partial L / \partial\, \text{LN}(x)`, per word (means over the last axis):

    .. math::
        \frac{\partial L}{\partial \gamma} = \sum G \odot \hat x, \quad
        \frac{\partial L}{\partial \beta} = \sum G, \quad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
            \Big(g - \operatorname{mean}(g) - \hat x \operatorname{mean}(g \odot \hat x)\Big),
        \quad g = \gamma \odot G

    (the two means are what the normalisation takes away: a shift of :math:`x` and a
    change of its scale do not change :math:`\hat x`).
    """
    cache = check_cache(cache, ("x", "mu", "var", "gamma", "eps"), "layer_norm")
    x, gamma = cache["x"], cache["gamma"]
    G = check_upstream(d_out, x.shape, "layer_norm")
    rstd = 1 / np.sqrt(cache["var"] + cache["eps"])
    xhat = (x - cache["mu"]) * rstd
    g = gamma * G
    d_x = rstd * (
        g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True)
    )
    words = tuple(range(x.ndim - 1))  # sum over every axis but the features
    return d_x, (G * xhat).sum(axis=words), G.sum(axis=words)


def feed_forward(params: Params, x: ArrayLike, *, cache: dict | None = None) -> np.ndarray:
    r"""Position-wise feed-forward net, applied to each word on its own.

    .. math:: \operatorname{FFN}(x) = \max(0,\ x W_1 + b_1)\, W_2 + b_2

    ``params``: ``W1 (d_model, d_ff)``, ``b1 (d_ff,)``, ``W2 (d_ff, d_model)``,
    ``b2 (d_model,)``; ``x: (..., d_model)``. ``cache``: if a dict, filled with what
    ``feed_forward_backward`` needs.
    """
    x, W1, b1, W2, b2 = _check_feed_forward(params, x)
    hidden = relu(x @ W1 + b1)
    if cache is not None:
        cache.update(x=x, hidden=hidden)
    return hidden @ W2 + b2


def feed_forward_backward(params: Params, cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``feed_forward``: ``(d_params, d_x)``.

    With :math:`r = \max(0, x W_1 + b_1)` and :math:`G = \partial L / \partial\,
    \text{FFN}(x)`, summing over the words:

    .. math::
        \frac{\partial L}{\partial W_2} = r^\top G, \quad
        \frac{\partial L}{\partial b_2} = \textstyle\sum G, \quad
        \delta = G W_2^\top \odot [r > 0], \quad
        \frac{\partial L}{\partial W_1} = x^\top \delta, \quad
        \frac{\partial L}{\partial b_1} = \textstyle\sum \delta, \quad
        \frac{\partial L}{\partial x} = \delta W_1^\top.
    """
    cache = check_cache(cache, ("x", "hidden"), "feed_forward")
    x, hidden = cache["x"], cache["hidden"]
    G = check_upstream(d_out, x.shape[:-1] + (params["W2"].shape[1],), "feed_forward")
    delta = (G @ params["W2"].T) * (hidden > 0)  # through the ReLU
    rows = (-1, x.shape[-1])  # every word of every sentence is one row
    d_params = {
        "W1": x.reshape(rows).T @ delta.reshape(-1, delta.shape[-1]),
        "b1": delta.reshape(-1, delta.shape[-1]).sum(axis=0),
        "W2": hidden.reshape(-1, hidden.shape[-1]).T @ G.reshape(-1, G.shape[-1]),
        "b2": G.reshape(-1, G.shape[-1]).sum(axis=0),
    }
    return d_params, delta @ params["W1"].T


def init_transformer_layer(
    rng: np.random.Generator, d_model: int, num_heads: int, d_ff: int, *, dtype=np.float64
) -> dict:
    """Parameters of ``transformer_layer``: ``{"attn", "ln1", "ffn", "ln2"}``.

    ``attn`` as ``init_multi_head_attention``; ``ffn``: ``W1 (d_model, d_ff)``,
    ``b1``, ``W2 (d_ff, d_model)``, ``b2``; ``ln1``, ``ln2``: ``gamma`` (ones),
    ``beta`` (zeros), each ``(d_model,)``.
    """
    rng = as_rng(rng)
    d_model, d_ff = as_count(d_model, "d_model"), as_count(d_ff, "d_ff")
    attn = init_multi_head_attention(rng, d_model, num_heads, dtype=dtype)
    ffn = {
        "W1": _glorot(rng, d_model, d_ff, dtype),
        "b1": np.zeros(d_ff, dtype=dtype),
        "W2": _glorot(rng, d_ff, d_model, dtype),
        "b2": np.zeros(d_model, dtype=dtype),
    }

    def ln():
        return {"gamma": np.ones(d_model, dtype=dtype), "beta": np.zeros(d_model, dtype=dtype)}

    return {"attn": attn, "ln1": ln(), "ffn": ffn, "ln2": ln()}


def transformer_layer(
    params: dict,
    h: ArrayLike,
    graph: Graph | None = None,
    *,
    num_heads: int,
    norm_first: bool = False,
    return_attention: bool = False,
    mask: ArrayLike | None = None,
    cache: dict | None = None,
):
    r"""One Transformer encoder layer: attention, residual, LayerNorm, FFN, residual, LayerNorm.

    Post-LN (the original Transformer, ``norm_first=False``):

    .. math::
        x = \operatorname{LN}_1\big(h + \operatorname{MHA}(h)\big), \qquad
        h' = \operatorname{LN}_2\big(x + \operatorname{FFN}(x)\big)

    Pre-LN (``norm_first=True``, easier to train deep):

    .. math::
        x = h + \operatorname{MHA}(\operatorname{LN}_1(h)), \qquad
        h' = x + \operatorname{FFN}(\operatorname{LN}_2(x))

    Equals ``torch.nn.TransformerEncoderLayer(d_model, num_heads, d_ff, dropout=0,
    batch_first=True, norm_first=...)`` given the same weights.

    Args:
        params: ``{"attn", "ln1", "ffn", "ln2"}`` from ``init_transformer_layer``.
        h: ``(n, d_model)``; on the dense path also a padded batch ``(B, n, d_model)``.
        graph: ``None`` (every word attends to every word) or a ``Graph``.
        num_heads: ``H``.
        norm_first: pre-LN instead of post-LN.
        return_attention: also return the attention weights of the layer.
        mask: dense path only, as in ``multi_head_attention`` (e.g. ``(B, 1, n)``
            hides the padding keys).
        cache: if a dict, filled with what ``transformer_layer_backward`` needs.

    Returns:
        ``h': (..., n, d_model)``, or ``(h', weights)``.
    """
    h = _check_transformer_layer(params, h, graph)
    ln1, ln2 = params["ln1"], params["ln2"]
    c = {part: None if cache is None else {} for part in ("attn", "ln1", "ffn", "ln2")}
    if cache is not None:
        cache.update(c, norm_first=norm_first)  # one cache per sub-layer

    def attend(x):
        return multi_head_attention(
            params["attn"],
            x,
            graph,
            num_heads=num_heads,
            return_attention=True,
            mask=mask,
            cache=c["attn"],
        )

    if norm_first:
        a, weights = attend(layer_norm(h, ln1["gamma"], ln1["beta"], cache=c["ln1"]))
        x = h + a
        u = layer_norm(x, ln2["gamma"], ln2["beta"], cache=c["ln2"])
        out = x + feed_forward(params["ffn"], u, cache=c["ffn"])
    else:
        a, weights = attend(h)
        x = layer_norm(h + a, ln1["gamma"], ln1["beta"], cache=c["ln1"])
        f = feed_forward(params["ffn"], x, cache=c["ffn"])
        out = layer_norm(x + f, ln2["gamma"], ln2["beta"], cache=c["ln2"])
    return (out, weights) if return_attention else out


def transformer_layer_backward(
    params: dict, graph: Graph | None, cache: dict, d_out: ArrayLike
) -> tuple[dict, np.ndarray]:
    r"""Gradients of ``transformer_layer``: ``(d_params, d_h)``, sub-layer by sub-layer.

    The chain rule read bottom-up. A residual :math:`y = x + F(x)` passes its gradient
    on twice, :math:`\partial L / \partial x = G + (\partial F / \partial x)^\top G`.
    Post-LN:

    .. math::
        G_s = \text{LN}_2^\top(G), \quad
        G_x = G_s + \text{FFN}^\top(G_s), \quad
        G_a = \text{LN}_1^\top(G_x), \quad
        \frac{\partial L}{\partial h} = G_a + \text{MHA}^\top(G_a)

    Pre-LN, where the residual path skips every LayerNorm:

    .. math::
        G_x = G + \text{LN}_2^\top\big(\text{FFN}^\top(G)\big), \quad
        \frac{\partial L}{\partial h} = G_x + \text{LN}_1^\top\big(\text{MHA}^\top(G_x)\big)

    (:math:`F^\top` is ``F``'s backward function). The pre-LN residual carries the
    gradient to ``h`` unchanged, which is why it trains without warm-up.

    Args:
        params: the parameters given to ``transformer_layer``.
        graph: the graph given to it (``None`` for the dense path).
        cache: the dict given to ``transformer_layer(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'``, shaped like ``h``.

    Returns:
        ``d_params`` as ``{"attn", "ln1", "ffn", "ln2"}`` (like ``params``) and ``d_h``.
    """
    cache = check_cache(cache, ("attn", "ln1", "ffn", "ln2", "norm_first"), "transformer_layer")
    G = check_upstream(d_out, cache["ln1"]["x"].shape, "transformer_layer")
    grads = {}

    def ln_backward(part, d):
        d_x, d_gamma, d_beta = layer_norm_backward(cache[part], d)
        grads[part] = {"gamma": d_gamma, "beta": d_beta}
        return d_x

    def ffn_backward(d):
        grads["ffn"], d_x = feed_forward_backward(params["ffn"], cache["ffn"], d)
        return d_x

    def mha_backward(d):
        grads["attn"], d_x = multi_head_attention_backward(params["attn"], graph, cache["attn"], d)
        return d_x

    if cache["norm_first"]:
        G_x = G + ln_backward("ln2", ffn_backward(G))
        d_h = G_x + ln_backward("ln1", mha_backward(G_x))
    else:
        G_s = ln_backward("ln2", G)
        G_a = ln_backward("ln1", G_s + ffn_backward(G_s))
        d_h = G_a + mha_backward(G_a)
    return {part: grads[part] for part in params}, d_h


# --- input checks: one call at the top of each layer -------------------------------


def _features(h, batched: bool = False) -> np.ndarray:
    """``h`` as a float array ``(n, d)`` (``batched``: also ``(..., n, d)``, a padded batch)."""
    __tracebackhide__ = True
    h = as_float_array(h, "h")
    if h.ndim != 2 and not (batched and h.ndim > 2):
        expected = "(num_nodes, d) or a padded batch (..., n, d)" if batched else "(num_nodes, d)"
        raise ValueError(f"h must be {expected}, got shape {h.shape}")
    return h


def _check_gnn_layer(params, h, graph):
    __tracebackhide__ = True
    params = check_params(params, "gnn_layer")
    h = _features(h)
    check_graph(graph, h.shape[0])
    d_in = h.shape[1]
    d_out = get_param(params, "U", None, h.dtype, "(d_in, d_out)").shape[1]
    ctx = f"h has d_in={d_in} (and U has d_out={d_out})"
    U = get_param(params, "U", (d_in, d_out), h.dtype, ctx)
    V = get_param(params, "V", (d_in, d_out), h.dtype, ctx)
    b = get_param(params, "b", (d_out,), h.dtype, ctx)
    return h, U, V, b


def _check_gat_layer(params, h, graph, concat):
    __tracebackhide__ = True
    params = check_params(params, "gat_layer")
    h = _features(h)
    n, d_in = h.shape
    check_graph(graph, n)
    H, d_out = get_param(params, "a_src", None, h.dtype, "(H, d_out)").shape  # H from a_src
    ctx = f"h has d_in={d_in} and a_src is (H, d_out)=({H}, {d_out})"
    W = get_param(params, "W", (d_in, H * d_out), h.dtype, ctx)
    a_src = get_param(params, "a_src", (H, d_out), h.dtype, ctx)
    a_dst = get_param(params, "a_dst", (H, d_out), h.dtype, ctx)
    b_shape = (H * d_out,) if concat else (d_out,)
    b = get_param(params, "b", b_shape, h.dtype, f"{ctx}, concat={concat}")
    return h, W, a_src, a_dst, b


def _head_dim(d_model: int, num_heads: int) -> int:
    __tracebackhide__ = True
    num_heads = as_count(num_heads, "num_heads")
    if num_heads < 1 or d_model % num_heads:
        raise ValueError(
            f"num_heads={num_heads} must be >= 1 and divide d_model={d_model} "
            f"(each head gets d_head = d_model / num_heads features)"
        )
    return d_model // num_heads


def _check_multi_head_attention(params, h, graph, num_heads, mask=None):
    """``(h, p)``: ``p`` holds the four weights and four biases (0 where a bias is absent)."""
    __tracebackhide__ = True
    params = check_params(params, "multi_head_attention")
    h = _features(h, batched=graph is None)
    n, d = h.shape[-2:]
    _head_dim(d, num_heads)
    if graph is not None:
        check_graph(graph, n)
        if mask is not None:
            raise ValueError("mask is for the dense path (graph=None); a graph is its own mask")
    ctx = f"h has d_model={d}"
    p = {f"W_{x}": get_param(params, f"W_{x}", (d, d), h.dtype, ctx) for x in "QKVO"}
    for x in "QKVO":
        b = f"b_{x}"
        p[b] = get_param(params, b, (d,), h.dtype, ctx) if b in params else np.zeros(d, h.dtype)
    return h, p


def _check_layer_norm(x, gamma, beta):
    __tracebackhide__ = True
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d)")
    d = x.shape[-1]
    gamma = as_float_array(gamma, "gamma")
    beta = as_float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (d,):
            raise ValueError(f"{name} has shape {p.shape} but x has d={d}; expected ({d},)")
    return x, gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False)


def _check_feed_forward(params, x):
    __tracebackhide__ = True
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict of arrays (W1, b1, W2, b2), got {type(params).__name__}. "
            f"The order is feed_forward(params, x)"
        )
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis (..., d_model)")
    d_model = x.shape[-1]
    d_ff = get_param(params, "W1", None, x.dtype, "(d_model, d_ff)").shape[1]
    ctx = f"x has d_model={d_model} (and W1 has d_ff={d_ff})"
    W1 = get_param(params, "W1", (d_model, d_ff), x.dtype, ctx)
    b1 = get_param(params, "b1", (d_ff,), x.dtype, ctx)
    W2 = get_param(params, "W2", (d_ff, d_model), x.dtype, ctx)
    b2 = get_param(params, "b2", (d_model,), x.dtype, ctx)
    return x, W1, b1, W2, b2


def _check_transformer_layer(params, h, graph):
    __tracebackhide__ = True
    params = check_params(params, "transformer_layer")
    h = _features(h, batched=graph is None)
    for key in ("attn", "ln1", "ffn", "ln2"):
        if key not in params:
            raise ValueError(
                f"params is missing key {key!r} (has {sorted(params)}); use init_transformer_layer"
            )
    return h
