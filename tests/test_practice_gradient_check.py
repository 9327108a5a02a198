"""The check of the gradient-check blank (``gl.practice.gradient_check``): central differences.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection

from gnnformer_lite.practice import gradient_check as practice

# --- right implementations, as a learner writes them --------------------------------------


@passes(
    "gradient_check",
    "4 cases agree with central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)",
)
def my_gradient_check(f, x, eps=1e-6):
    """Move one entry of x through a flat view, then write its saved value back."""
    grad, flat = np.zeros(x.size), x.reshape(-1)  # flat is a view: changing it changes x
    for i, old in enumerate(flat.copy()):
        flat[i] = old + eps
        f_plus = f(x)
        flat[i] = old - eps
        grad[i] = (f_plus - f(x)) / (2 * eps)
        flat[i] = old
    return grad.reshape(x.shape)


@passes(
    "gradient_check",
    "4 cases agree with central differences (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)",
)
def my_gradient_check_copies(f, x, eps=1e-6):
    """x + e and x - e as new arrays: x is never touched."""
    grad = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = eps
        e = e.reshape(x.shape)
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad.reshape(x.shape)


# --- wrong implementations written by hand (not the catalogue's code) ---------------------


@named_as("gradient_check", "a forward difference instead of the central one")
def gc_forward_nditer(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    f0 = f(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        y = x.copy()
        y[i] += eps
        grad[i] = (f(y) - f0) / eps
    return grad


@named_as("gradient_check", "x left perturbed")
def gc_never_restored(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: changing flat changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f(x)
        flat[i] = old - eps
        grad.reshape(-1)[i] = (f_plus - f(x)) / (2 * eps)
    return grad


@named_as("gradient_check", "all entries perturbed at once")
def gc_shifted_all(f, x, eps=1e-6):
    return np.ones_like(x) * (f(x + eps) - f(x - eps)) / (2 * eps)


@named_as("gradient_check", "the factor 2 missing")
def gc_over_eps(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / eps
    return grad


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "gradient_check", "it should return an array of shape (3,), but returned a list of length 3"
)
def gradient_as_a_list(f, x, eps=1e-06):
    return my_gradient_check_copies(f, x, eps).tolist()


@refused("gradient_check", "it returned None: did you forget the `return`?")
def gradient_without_return(f, x, eps=1e-06):
    return None


class TestChecks(CheckSuite):
    catalogues = {"gradient_check": practice.GRADIENT_CHECK_MISTAKES}


def test_the_cases_print_f_as_its_formula():
    message = rejection(practice.check_gradient_check, practice.GRADIENT_CHECK_MISTAKES[0][2])
    assert "f = f(x) = x[0] * x[1] + x[2] ** 2" in message
    assert "expected (central differences" in message


def test_x_left_changed_with_a_right_result_is_said_so():
    first = first_line(practice.check_gradient_check, practice.GRADIENT_CHECK_MISTAKES[-1][2])
    assert "the result is right, but your function changed its argument number 2" in first
