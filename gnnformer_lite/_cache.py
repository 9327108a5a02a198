"""Layouts built once per graph: remembered by the identity of arrays nobody can change.

A ``Graph``'s ``senders``, ``receivers`` and ``indptr`` are read-only arrays that own
their data. Whatever the fast paths compute from them alone -- degree buckets, tiles,
``np.bincount``'s bins, the tables of row gathers -- is built on the first call and
reused by every layer and every training step (a notebook's 300 steps build it once).
Nothing here is needed to follow the course.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np


def frozen(a: np.ndarray) -> bool:
    """Can nobody change ``a``? Read-only and owning its data (a view's base could change)."""
    return not a.flags.writeable and a.base is None


def remembered(cache: dict, arrays: tuple, build: Callable, *, extra: tuple = (), limit=64):
    """``build()``, built once for these arrays while they live, if all of them are ``frozen``.

    Keyed by the arrays' ``id`` (and ``extra``) and checked against weak references, so a
    new array that reuses a dead one's ``id`` is not taken for it; at most ``limit``
    entries (then the cache starts again, empty). Other arrays get a fresh ``build()``.
    """
    key = (*(id(a) for a in arrays), *extra)
    hit = cache.get(key)
    if hit is not None and all(ref() is a for ref, a in zip(hit[0], arrays, strict=True)):
        return hit[1]
    value = build()
    if all(frozen(a) for a in arrays):
        if len(cache) >= limit:
            cache.clear()
        cache[key] = (tuple(weakref.ref(a) for a in arrays), value)
    return value
