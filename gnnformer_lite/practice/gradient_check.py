"""Checks of the gradient-check blank (notebook 07): central differences, one entry at a time."""

from __future__ import annotations

import numpy as np

from .harness import run_check

__all__ = ["check_gradient_check"]

BLANKS = {
    "my_gradient_check": {
        "task": "the gradient of the scalar f at x by central differences, one entry at a time, "
        "x left as it was",
        "equation": "grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), e_i: 1 at entry i, "
        "0 elsewhere",
    },
}


# --- gradient check ------------------------------------------------------------------------


class _Function:
    """A scalar function of an array that prints as its formula."""

    def __init__(self, formula: str, fn):
        self.formula, self.fn = formula, fn

    def __call__(self, x) -> float:
        return float(self.fn(np.asarray(x)))

    def __repr__(self) -> str:
        return self.formula


def _gradient_cases() -> list:
    hand = _Function("f(x) = x[0] * x[1] + x[2] ** 2", lambda x: x[0] * x[1] + x[2] ** 2)
    A = np.array([[0.5, -1.0], [1.5, 0.2], [-0.7, 0.9]])
    mixed = _Function(
        "f(x) = sum(tanh(x @ A)), A = [[0.5, -1], [1.5, 0.2], [-0.7, 0.9]]",
        lambda x: np.tanh(x @ A).sum(),
    )
    x = np.round(np.random.default_rng(3).normal(size=(2, 3)), 2)
    cube = _Function("f(x) = sum(x ** 3)", lambda x: (x**3).sum())
    return [
        ("the hand-sized case: x = (1, 2, 3), eps = 1e-3", (hand, np.array([1.0, 2.0, 3.0]), 1e-3)),
        ("x of shape (2, 3), entries that interact, eps = 1e-3", (mixed, x, 1e-3)),
        ("the default eps (1e-6)", (mixed, x)),
        (  # the central difference of x^3 is 3 x^2 + eps^2 exactly: eps used, both sides taken
            "a large step, eps = 0.1: central differences give 3 x^2 + eps^2",
            (cube, np.array([1.0, -2.0, 0.5]), 0.1),
        ),
    ]


def _central_differences(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def _differences(f, x, eps, *, ahead=1, behind=-1, divide=lambda d, eps: d / (2 * eps)):
    """``divide(f(x + ahead eps e_i) - f(x + behind eps e_i), eps)`` for each entry i."""
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x, dtype=np.float64)
        e[i] = eps
        grad[i] = divide(f(x + ahead * e) - f(x + behind * e), eps)
    return grad


def _gc_forward(f, x, eps=1e-6):
    return _differences(f, x, eps, behind=0, divide=lambda d, eps: d / eps)


def _gc_no_two(f, x, eps=1e-6):
    return _differences(f, x, eps, divide=lambda d, eps: d / eps)


def _gc_precedence(f, x, eps=1e-6):
    return _differences(f, x, eps, divide=lambda d, eps: d / 2 * eps)


def _gc_all_at_once(f, x, eps=1e-6):
    return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))


def _gc_copy(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(x.size):
        x.flatten()[i] += eps  # flatten() copies: x itself never moves
        f_plus = f(x)
        x.flatten()[i] -= 2 * eps
        f_minus = f(x)
        grad.flat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _gc_rows(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(len(x)):  # x[i] is a whole row when x has two axes
        old = x[i].copy()
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _gc_flat(f, x, eps=1e-6):
    return _differences(f, x, eps).reshape(-1)


def _in_place(f, x, eps, put_back=None):
    """Central differences that move ``x`` itself by +eps and -2 eps, entry by entry, then call
    ``put_back(x, i)`` (``None``: the entry is left at x[i] - eps)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        if put_back is not None:
            put_back(x, i)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _gc_not_restored(f, x, eps=1e-6):
    return _in_place(f, x, eps)


def _gc_restored_by_arithmetic(f, x, eps=1e-6):
    def put_back(x, i):
        x[i] += eps  # round-off: not always the old value again

    return _in_place(f, x, eps, put_back)


GRADIENT_CHECK_MISTAKES = [
    (
        "a forward difference instead of the central one",
        "(f(x + eps e_i) - f(x)) / eps is off by about eps * f''/2; the central difference\n"
        "(f(x + eps e_i) - f(x - eps e_i)) / (2 eps) is off by eps^2 only.",
        _gc_forward,
    ),
    (
        "the factor 2 missing: divided by eps instead of 2 eps",
        "The two evaluations are 2 eps apart: (f(x + eps e_i) - f(x - eps e_i)) / (2 * eps).",
        _gc_no_two,
    ),
    (
        "`/ 2 * eps` multiplies by eps: write / (2 * eps)",
        "Python reads d / 2 * eps as (d / 2) * eps. Put the denominator in parentheses:\n"
        "(f_plus - f_minus) / (2 * eps).",
        _gc_precedence,
    ),
    (
        "all entries perturbed at once",
        "x + eps moves every entry: that gives one number, the slope along (1, 1, ..., 1).\n"
        "Move one entry at a time: e = np.zeros_like(x); e[i] = eps; then f(x + e), f(x - e).",
        _gc_all_at_once,
    ),
    (
        "the perturbation made on a copy that f never sees: every difference is 0",
        "x.flatten() (and x[i] on a Python float) is a copy: changing it leaves x as it was, so\n"
        "f(x) is the same twice. Change x itself (x.reshape(-1) is a view, or index x[i] with\n"
        "i from np.ndindex(x.shape)) -- or build x + e, x - e and call f on those.",
        _gc_copy,
    ),
    (
        "a loop over range(len(x)): whole rows perturbed at once when x has two axes",
        "For x of shape (2, 3), x[i] is a row of 3 entries. Loop over every entry:\n"
        "for i in np.ndindex(x.shape), or over range(x.size) with x.reshape(-1)[i].",
        _gc_rows,
    ),
    (
        "the gradient returned flat, shape (x.size,)",
        "Return one derivative per entry of x, in x's shape: grad = np.zeros_like(x), filled\n"
        "at grad[i] (or grad.reshape(x.shape) at the end).",
        _gc_flat,
    ),
    (
        "x left perturbed: the entry not put back after f(x - eps)",
        "After the two evaluations, write the saved value back (old = x[i]; ...; x[i] = old):\n"
        "the next entries are then differentiated at a moved point, and the caller's x is\n"
        "changed.",
        _gc_not_restored,
    ),
    (
        "x restored by arithmetic (+ eps, - 2 eps, + eps), not to its saved value",
        "x[i] + eps - 2 eps + eps is not always x[i] in floating point: the caller's x comes back\n"
        "a rounding error off. Save old = x[i] first and write x[i] = old at the end.",
        _gc_restored_by_arithmetic,
    ),
]


def check_gradient_check(fn) -> None:
    """Check ``fn(f, x, eps=1e-6)``: central differences of f at x, x left unchanged."""
    __tracebackhide__ = True
    run_check(
        "gradient_check",
        fn,
        _gradient_cases(),
        _central_differences,
        "central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)",
        GRADIENT_CHECK_MISTAKES,
    )
