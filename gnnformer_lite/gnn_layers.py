r"""The talk's first two layers -- a GNN and a GAT -- as pure functions, each with its backward.

Each layer is ``layer(params, h, graph)`` where ``params`` is a plain dict of
arrays made by the matching ``init_*`` function, ``h: (n, d)`` holds one row per
node, and weights act on the right (``h @ W``). The talk writes ``U h_i`` with
column vectors; here that is ``h_i U``: the same maths with transposed weights.

Layers compute in the dtype of ``h`` (float32 in, float32 out), never add self
loops (graphs carry them), and never modify their inputs.

**Backward.** Every layer of the package has one convention: call the forward with
``cache={}`` (it stores what the backward needs, the params and the graph too),
then ``d_params, d_h = <layer>_backward(cache, d_out)`` with ``d_out`` the gradient
of the loss with respect to the output; ``d_params`` has the array keys of
``params``. On a graph the backward is message passing on the reversed graph
(see ``propagate_backward``; ``neighbour_sum(graph, x, reverse=True)``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._checks import (
    UNSET,
    as_count,
    as_features,
    as_flag,
    as_rng,
    check_cache,
    check_params,
    check_upstream,
    get_param,
)
from ._params import glorot
from ._sums import word_sum
from .graphs import Graph, check_graph
from .message_passing import (
    neighbour_sum,
    propagate,
    propagate_backward,
    segment_softmax,
    segment_softmax_backward,
    segment_sum,
)

__all__ = [
    "elu",
    "gat_layer",
    "gat_layer_backward",
    "gnn_layer",
    "gnn_layer_backward",
    "init_gat_layer",
    "init_gnn_layer",
    "leaky_relu",
    "relu",
]

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
    r""":math:`x` if :math:`x > 0` else ``negative_slope`` :math:`\cdot x` (GAT's scores).

    ``negative_slope`` is one finite number (a ``TypeError`` / ``ValueError`` otherwise).
    """
    _check_slope(negative_slope)
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


# --- GNN -----------------------------------------------------------------------


def init_gnn_layer(
    rng: np.random.Generator, d_in: int, d_out: int, *, dtype=np.float64
) -> dict[str, np.ndarray]:
    """Parameters of ``gnn_layer``: ``U, V: (d_in, d_out)`` (Glorot), ``b: (d_out,)`` (zeros)."""
    rng = as_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    return {
        "U": glorot(rng, d_in, d_out, dtype),
        "V": glorot(rng, d_in, d_out, dtype),
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
    pre = h @ U + neighbour_sum(graph, h @ V) + b  # neighbour_sum: propagate((h V)[senders])
    if cache is not None:
        cache.update(params=params, graph=graph, h=h, pre=pre, activation=activation)
    return _activate(pre, activation)


def gnn_layer_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
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
        cache: the dict given to ``gnn_layer(..., cache=cache)``.
        d_out: ``(n, d_out)``, the gradient of the loss with respect to ``h'``.
    """
    cache = check_cache(cache, ("params", "graph", "h", "pre", "activation"), "gnn_layer")
    params, graph, h, pre = cache["params"], cache["graph"], cache["h"], cache["pre"]
    delta = _activation_backward(
        cache["activation"], pre, check_upstream(d_out, pre.shape, "gnn_layer")
    )
    # A^T delta: each edge j -> i takes delta_i (propagate_backward), each sender j sums
    # what its edges took (segment_sum over the senders): the reversed graph's neighbour sum
    d_hV = neighbour_sum(graph, delta, reverse=True)
    d_params = {"U": h.T @ delta, "V": h.T @ d_hV, "b": word_sum(delta)}  # b: sum over nodes
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
    ``b: (H*d_out,)`` if ``concat`` else ``(d_out,)`` (zeros). The parameters
    remember how they were built without a setting of their own: the head count is
    the number of rows of ``a_src``, and ``concat`` the length of ``b``.
    """
    rng = as_rng(rng)
    d_in, d_out = as_count(d_in, "d_in"), as_count(d_out, "d_out")
    H = as_count(num_heads, "num_heads")
    if H < 1:
        raise ValueError(f"num_heads must be >= 1, got {H}")
    concat = as_flag(concat, "concat")
    return {
        "W": glorot(rng, d_in, H * d_out, dtype),
        "a_src": glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "a_dst": glorot(rng, d_out, 1, dtype, shape=(H, d_out)),
        "b": np.zeros(H * d_out if concat else d_out, dtype=dtype),
    }


def gat_layer(
    params: Params,
    h: ArrayLike,
    graph: Graph,
    activation: Activation = elu,
    concat: bool = UNSET,
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
        concat: concatenate heads (``True``) or average them; by default what the
            length of ``b`` says (``H*d_out``: concatenate, ``d_out``: average).
        return_attention: also return ``alpha: (E, H)``.
        negative_slope: the LeakyReLU slope for negative scores (0.2 in the paper).
        cache: if a dict, filled with what ``gat_layer_backward`` needs.

    Returns:
        ``h': (n, H*d_out)`` or ``(n, d_out)``; with ``return_attention``, ``(h', alpha)``.
    """
    h, W, a_src, a_dst, b, concat = _check_gat_layer(params, h, graph, concat, negative_slope)
    (n, _), (H, d_out) = h.shape, a_src.shape
    z = (h @ W).reshape(n, H, d_out)
    s_src = np.einsum("nhd,hd->nh", z, a_src)  # a_src . z_j, one number per node and head
    s_dst = np.einsum("nhd,hd->nh", z, a_dst)  # a_dst . z_i
    e = leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], negative_slope)  # (E, H)
    alpha = segment_softmax(e, graph.receivers, n, graph.indptr, check_input=False)  # N(i)
    out = propagate(graph, alpha[:, :, None] * z[graph.senders])  # (n, H, d_out)
    out = out.reshape(n, H * d_out) if concat else out.mean(axis=1)
    if cache is not None:
        cache.update(params=params, graph=graph, h=h, z=z, s_src=s_src, s_dst=s_dst)
        cache.update(alpha=alpha, pre=out + b)
        cache.update(activation=activation, concat=concat, negative_slope=negative_slope)
    out = _activate(out + b, activation)
    return (out, alpha) if return_attention else out


def gat_layer_backward(cache: dict, d_out: ArrayLike) -> tuple[dict, np.ndarray]:
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
        cache: the dict given to ``gat_layer(..., cache=cache)``.
        d_out: the gradient of the loss with respect to ``h'`` (``alpha`` is not
            differentiated when ``return_attention`` returned it).
    """
    keys = ("params", "graph", "h", "z", "s_src", "s_dst", "alpha", "pre", "activation")
    cache = check_cache(cache, (*keys, "concat", "negative_slope"), "gat_layer")
    params, graph, h, z = cache["params"], cache["graph"], cache["h"], cache["z"]
    alpha, pre = cache["alpha"], cache["pre"]
    (n, H, d), s, r = z.shape, graph.senders, graph.receivers
    delta = _activation_backward(
        cache["activation"], pre, check_upstream(d_out, pre.shape, "gat_layer")
    )
    d_b = word_sum(delta)  # the sum over the nodes
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


# --- input checks: one call at the top of each layer -------------------------------


def _check_gnn_layer(params, h, graph):
    __tracebackhide__ = True
    params = check_params(params, "gnn_layer")
    h = as_features(h)
    check_graph(graph, h.shape[0])
    d_in = h.shape[1]
    d_out = get_param(params, "U", None, h.dtype, "(d_in, d_out)").shape[1]
    ctx = f"h has d_in={d_in} (and U has d_out={d_out})"
    U = get_param(params, "U", (d_in, d_out), h.dtype, ctx)
    V = get_param(params, "V", (d_in, d_out), h.dtype, ctx)
    b = get_param(params, "b", (d_out,), h.dtype, ctx)
    return h, U, V, b


def _check_slope(negative_slope) -> None:
    """LeakyReLU's slope: one finite number (not a string, an array or a bool)."""
    __tracebackhide__ = True
    slope_ok = isinstance(negative_slope, int | float | np.integer | np.floating)
    if isinstance(negative_slope, bool | np.bool_) or not slope_ok:
        raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
    if not np.isfinite(negative_slope):
        raise ValueError(f"negative_slope must be finite, got {negative_slope!r}")


def _check_gat_layer(params, h, graph, concat, negative_slope=0.2):
    __tracebackhide__ = True
    _check_slope(negative_slope)
    params = check_params(params, "gat_layer")
    h = as_features(h)
    n, d_in = h.shape
    check_graph(graph, n)
    H, d_out = get_param(params, "a_src", None, h.dtype, "(H, d_out)").shape  # H from a_src
    ctx = f"h has d_in={d_in} and a_src is (H, d_out)=({H}, {d_out})"
    W = get_param(params, "W", (d_in, H * d_out), h.dtype, ctx)
    a_src = get_param(params, "a_src", (H, d_out), h.dtype, ctx)
    a_dst = get_param(params, "a_dst", (H, d_out), h.dtype, ctx)
    if concat is UNSET:  # the bias tells: H*d_out for concatenated heads, d_out for the mean
        concat = np.shape(params.get("b", ())) != (d_out,) or H == 1
    b_shape = (H * d_out,) if concat else (d_out,)
    b = get_param(params, "b", b_shape, h.dtype, f"{ctx}, concat={concat}")
    return h, W, a_src, a_dst, b, concat
