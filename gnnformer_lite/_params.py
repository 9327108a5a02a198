"""Parameters and caches as plain nested dicts and lists: how they are made and walked.

A model's parameters are a tree: dicts (named parts) and lists (a stack of layers)
with ``np.ndarray`` leaves, e.g. ``{"embed": E, "layers": [layer0, layer1], "out":
{"W": W, "b": b}}``. Its gradients are a tree of the same shape. Leaves that are
not arrays -- ``int``, ``float``, ``bool``, ``str`` or ``None`` -- are **settings**
the ``init_*`` function recorded (``"num_heads": 4``, ``"norm": "pre"``), like the
static fields of an Equinox module: gradients, Adam's moments and
``gradient_check`` skip them, and the forward functions read them.

A forward called with ``cache={}`` fills the dict with what its backward needs;
a model gives each of its parts a dict of its own (``sub_caches``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

SETTING_TYPES = (int, float, bool, str, type(None), np.integer, np.floating, np.bool_)


def glorot(rng: np.random.Generator, d_in: int, d_out: int, dtype, shape=None) -> np.ndarray:
    """Glorot/Xavier uniform: ``U(-l, l)`` with ``l = sqrt(6 / (d_in + d_out))``."""
    limit = np.sqrt(6.0 / max(d_in + d_out, 1))
    return rng.uniform(-limit, limit, size=shape or (d_in, d_out)).astype(dtype)


def layer_norm_params(d: int, dtype=np.float64) -> dict[str, np.ndarray]:
    """``{"gamma": ones(d), "beta": zeros(d)}``: a LayerNorm that starts as the identity map."""
    return {"gamma": np.ones(d, dtype=dtype), "beta": np.zeros(d, dtype=dtype)}


def sub_caches(cache: dict | None, *parts: str, layers: int = 0) -> dict:
    """One fresh cache per part of a model, or ``None`` for each when the caller is not caching.

    ``c = sub_caches(cache, "embed", "out", layers=L)``, then ``embed(...,
    cache=c["embed"])`` and ``c["layers"][k]`` for layer k of a stack;
    ``cache.update(c)`` at the end hands them all to the backward.
    """
    c = {part: None if cache is None else {} for part in parts}
    return c | {"layers": [None if cache is None else {} for _ in range(layers)]}


def stack_forward(layer: Callable, layers: list, h, caches: list, **kwargs):
    """Through a stack of attention layers, first layer first: ``(h, [weights of each layer])``.

    ``layer(params, h, return_attention=True, cache=cache, **kwargs) -> (h, weights)``
    is one layer; ``caches[k]`` is layer k's (``None`` when not caching).
    """
    attention = []
    for params, cache in zip(layers, caches, strict=True):
        h, weights = layer(params, h, return_attention=True, cache=cache, **kwargs)
        attention.append(weights)
    return h, attention


def stack_backward(layer_backward: Callable, caches: list, d_out):
    """Back through a stack of layers, last layer first: ``(d_layers, d_input)``.

    ``layer_backward(cache, d_out) -> (d_params, d_input)`` is one layer's backward;
    ``d_layers[k]`` are the gradients of layer k, in the order of the stack.
    """
    d_layers = [None] * len(caches)
    for k in reversed(range(len(caches))):
        d_layers[k], d_out = layer_backward(caches[k], d_out)
    return d_layers, d_out


def is_setting(x) -> bool:
    """A leaf that is not an array: a setting recorded by ``init_*`` (skipped by gradients)."""
    return isinstance(x, SETTING_TYPES)


def leaves(tree, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
    """``(path, array)`` for every array of a tree (sorted dict keys, list order); no settings."""
    if isinstance(tree, dict):
        for key in sorted(tree):
            yield from leaves(tree[key], f"{prefix}{key}/")
    elif isinstance(tree, list | tuple):
        for k, item in enumerate(tree):
            yield from leaves(item, f"{prefix}{k}/")
    elif not is_setting(tree):
        yield prefix.rstrip("/"), tree


def _same_keys(tree: dict, rest) -> list:
    """The array keys of ``tree`` (settings left out); every tree of ``rest`` has exactly them."""
    arrays = [key for key in tree if not is_setting(tree[key])]
    for other in rest:
        if not isinstance(other, dict) or sorted(other) != sorted(arrays):
            have = sorted(other) if isinstance(other, dict) else type(other).__name__
            raise ValueError(
                f"gradients and parameters need the same keys: {sorted(arrays)} vs {have}"
            )
    return arrays


def _same_layers(tree: list | tuple, rest) -> None:
    """Every tree of ``rest`` is a list of as many layers as ``tree``."""
    for other in rest:
        if not isinstance(other, list | tuple) or len(other) != len(tree):
            have = len(other) if isinstance(other, list | tuple) else type(other).__name__
            raise ValueError(
                f"gradients and parameters need the same layers: {len(tree)} vs {have}"
            )


def tree_map(fn: Callable, tree, *rest, keep_settings: bool = True):
    """Apply ``fn`` array by array to trees of the same shape.

    Settings of ``tree`` are copied as they are (``keep_settings``) or dropped; the
    other trees (gradients, Adam's moments) need not have them.
    """
    if isinstance(tree, dict):
        arrays = _same_keys(tree, rest)
        out = {
            key: tree_map(fn, tree[key], *(o[key] for o in rest), keep_settings=keep_settings)
            for key in arrays
        }
        if keep_settings:
            out |= {key: value for key, value in tree.items() if key not in out}
            out = {key: out[key] for key in tree}  # the order of the original
        return out
    if isinstance(tree, list | tuple):
        _same_layers(tree, rest)
        return [
            tree_map(fn, item, *(o[k] for o in rest), keep_settings=keep_settings)
            for k, item in enumerate(tree)
        ]
    return fn(tree, *rest)


def tree_map_many(fn: Callable, tree, *rest) -> tuple:
    """``fn`` returns a tuple; one walk gives a tuple of trees (the first keeps the settings).

    ``new_params, m, v = tree_map_many(adam_step, params, grads, m, v)``: Adam's three
    results in one pass over the tree, not three (the same keys as ``tree_map`` checks).
    """
    if isinstance(tree, dict):
        arrays = _same_keys(tree, rest)
        parts = {key: tree_map_many(fn, tree[key], *(o[key] for o in rest)) for key in arrays}
        width = len(next(iter(parts.values()))) if parts else 1
        first = {key: parts[key][0] if key in parts else tree[key] for key in tree}
        return (first, *({key: parts[key][j] for key in arrays} for j in range(1, width)))
    if isinstance(tree, list | tuple):
        _same_layers(tree, rest)
        parts = [tree_map_many(fn, item, *(o[k] for o in rest)) for k, item in enumerate(tree)]
        width = len(parts[0]) if parts else 1
        return tuple([p[j] for p in parts] for j in range(width))
    return fn(tree, *rest)


def check_tree(tree, name: str, settings: bool = True) -> None:
    """Every leaf of ``tree`` is an ``np.ndarray`` (or a setting); else a ``TypeError`` naming it.

    ``settings=False``: no settings either (a gradient has only arrays).
    """
    __tracebackhide__ = True
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list | tuple):
        items = enumerate(tree)
    else:
        if not isinstance(tree, np.ndarray):
            raise TypeError(f"{name} must be an np.ndarray, got {type(tree).__name__}")
        return
    for key, leaf in items:
        if isinstance(leaf, list | tuple) and leaf and all(is_setting(x) for x in leaf):
            raise TypeError(
                f"{name}[{key!r}] is a {type(leaf).__name__} of numbers: make it an np.ndarray "
                f"(a list in params is a stack of layers, one dict each)"
            )
        if isinstance(leaf, dict | list | tuple):
            check_tree(leaf, f"{name}[{key!r}]", settings)
        elif not isinstance(leaf, np.ndarray) and not (settings and is_setting(leaf)):
            raise TypeError(f"{name}[{key!r}] must be an np.ndarray, got {type(leaf).__name__}")
