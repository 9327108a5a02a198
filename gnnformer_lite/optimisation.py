r"""Optimisation in pure NumPy: Adam, a learning-rate schedule, and the training loop.

- ``init_adam`` / ``adam_update``: Adam's state and one step of it, as
  ``torch.optim.Adam`` computes it, on a tree of parameters (dicts of arrays, lists
  for stacks of layers; the settings ``init_*`` recorded are carried along);
- ``warmup_schedule``: linear warm-up, then a constant or cosine-decaying rate;
- ``train``: a seeded, deterministic loop that returns its history and prints a few
  rounded lines.

A model's loss and gradients come from ``learning.classification_loss``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

from ._checks import as_count
from ._params import check_tree, tree_map, tree_map_many
from ._runtime import blas_threads, keep_freed_memory

__all__ = ["adam_update", "init_adam", "train", "warmup_schedule"]

Tree = dict  # nested dicts and lists with np.ndarray leaves (and settings)


# --- optimisation ------------------------------------------------------------------------


def init_adam(params: Tree) -> dict:
    """Adam's state for ``params``: step 0, and zero first and second moments ``m``, ``v``."""
    check_tree(params, "params")
    return {
        "step": 0,
        "m": tree_map(np.zeros_like, params, keep_settings=False),
        "v": tree_map(np.zeros_like, params, keep_settings=False),
    }


def adam_update(
    params: Tree,
    grads: Tree,
    state: dict,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[Tree, dict]:
    r"""One step of Adam (Kingma & Ba, 2015), as ``torch.optim.Adam`` computes it.

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \eta\,
            \frac{m_t / (1 - \beta_1^t)}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}

    Returns new ``(params, state)``; the inputs are not modified.
    """
    b1, b2 = betas
    if not (0 <= b1 < 1 and 0 <= b2 < 1):
        raise ValueError(f"betas must be in [0, 1), got {betas}")
    if not np.isfinite(lr) or lr < 0:
        raise ValueError(f"lr must be a finite number >= 0, got {lr}")
    t = state["step"] + 1
    c1, c2 = 1 - b1**t, 1 - b2**t  # bias corrections: m and v start at 0

    def step(p, g, m, v):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        return p - (lr / c1) * m / (np.sqrt(v / c2) + eps), m, v

    params, m, v = tree_map_many(step, params, grads, state["m"], state["v"])
    return params, {"step": t, "m": m, "v": v}


def warmup_schedule(
    step: int, warmup: int, peak_lr: float, total_steps: int | None = None, final_lr: float = 0.0
) -> float:
    r"""Learning rate at ``step`` (0-based): linear warm-up, then constant or cosine decay.

    .. math::
        \eta_t = \eta_\text{peak} \frac{t + 1}{T_\text{warm}} \quad (t < T_\text{warm}),
        \qquad
        \eta_t = \eta_\text{final} + \tfrac{1}{2} (\eta_\text{peak} - \eta_\text{final})
            \left(1 + \cos \pi \frac{t - T_\text{warm}}{T - T_\text{warm}}\right)

    after the warm-up if ``total_steps`` :math:`T` is given, else
    :math:`\eta_\text{peak}`. ``warmup=0`` starts at the peak.
    """
    step, warmup = as_count(step, "step"), as_count(warmup, "warmup")
    if step < warmup:
        return peak_lr * (step + 1) / warmup
    if total_steps is None:
        return float(peak_lr)
    total_steps = as_count(total_steps, "total_steps")
    if total_steps <= warmup:
        raise ValueError(f"total_steps={total_steps} must be greater than warmup={warmup}")
    progress = min(1.0, (step - warmup) / (total_steps - warmup))
    return float(final_lr + 0.5 * (peak_lr - final_lr) * (1 + np.cos(np.pi * progress)))


# --- the training loop -------------------------------------------------------------------


def train(
    loss_fn: Callable[[Tree, np.ndarray], tuple[float, float, Tree]],
    params: Tree,
    num_examples: int,
    *,
    steps: int,
    batch_size: int | None = None,
    lr: float = 1e-3,
    warmup: int = 0,
    total_steps: int | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    seed: int = 0,
    print_every: int | None = None,
    threads: int | None = 1,
) -> tuple[Tree, dict]:
    """Train ``params`` (not modified) with Adam: the whole loop, seeded and deterministic.

    Each of the ``steps`` Adam steps calls ``loss_fn(params, idx) -> (loss, accuracy,
    grads)`` on the next ``batch_size`` indices of a shuffled epoch of the
    ``num_examples`` examples (``np.random.default_rng(seed)``, reshuffled every epoch;
    ``batch_size=None``: the whole set in order, every step), then updates ``params``
    (decay rates ``betas``) at the rate ``warmup_schedule(step, warmup, lr, total_steps)``.

    Progress goes into the returned history, never to stderr; with ``print_every=k``
    (``None``: silent) it also prints one line every k steps (and at the last step)
    with the loss and accuracy rounded to 3 decimals -- nothing that depends on timing,
    so the output of a notebook cell stays the same from run to run. ``threads``: BLAS
    threads during training (``blas_threads``); ``None`` leaves BLAS alone.

    Returns:
        ``(params, history)`` with ``history = {"step", "lr", "loss", "accuracy"}``,
        one entry per step (lists of Python numbers).
    """
    num_examples, steps = as_count(num_examples, "num_examples"), as_count(steps, "steps")
    if batch_size is not None:
        batch_size = as_count(batch_size, "batch_size")
        if not 1 <= batch_size <= num_examples:
            raise ValueError(f"batch_size={batch_size} must be in [1, num_examples={num_examples}]")
    if num_examples == 0:
        raise ValueError("num_examples must be >= 1")
    if print_every is not None and as_count(print_every, "print_every") < 1:
        raise ValueError(f"print_every must be >= 1, got {print_every}")
    check_tree(params, "params")
    rng = np.random.default_rng(seed)
    state = init_adam(params)
    history = {"step": [], "lr": [], "loss": [], "accuracy": []}
    order, pos = np.arange(num_examples), num_examples
    keep_freed_memory()  # glibc's malloc reuses the step's temporaries (see _runtime)
    with blas_threads(threads) if threads is not None else contextlib.nullcontext():
        for step in range(steps):
            if batch_size is None:
                idx = order
            else:
                if pos + batch_size > num_examples:  # a new epoch: reshuffle
                    order, pos = rng.permutation(num_examples), 0
                idx, pos = order[pos : pos + batch_size], pos + batch_size
            loss, accuracy, grads = loss_fn(params, idx)
            rate = warmup_schedule(step, warmup, lr, total_steps)
            params, state = adam_update(params, grads, state, rate, betas)
            for key, value in zip(history, (step, rate, loss, accuracy), strict=True):
                history[key].append(float(value) if key != "step" else step + 1)
            if print_every is not None and ((step + 1) % print_every == 0 or step + 1 == steps):
                print(
                    f"step {step + 1:>{len(str(steps))}}: loss {loss:.3f}, accuracy {accuracy:.3f}"
                )
    return params, history
