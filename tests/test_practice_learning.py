"""The checks of notebook 07's blanks: a gradient check, one Adam step, softmax cross-entropy.

Each check accepts a right implementation written the way a learner would (not calling the
package), rejects every mistake of its catalogue with that mistake's name, names the mistake
of hand-written wrong versions too, re-raises a blank's NotImplementedError unchanged, and
says a wrong return type or shape in one plain sentence.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import learning as practice

# --- right implementations, as a learner writes them --------------------------------------


def my_gradient_check(f, x, eps=1e-6):
    """Perturb x in place, one entry at a time, and put the entry back."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def my_gradient_check_copies(f, x, eps=1e-6):
    """x + e and x - e as new arrays: x is never touched."""
    grad = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = eps
        e = e.reshape(x.shape)
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad.reshape(x.shape)


def my_adam_step(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def my_softmax_cross_entropy(logits, labels):
    B = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(B), labels].mean()
    d_logits = np.exp(log_p)
    d_logits[np.arange(B), labels] -= 1
    return float(loss), d_logits / B


CHECKS = {
    "gradient_check": (practice.check_gradient_check, practice.GRADIENT_CHECK_MISTAKES),
    "adam_step": (practice.check_adam_step, practice.ADAM_MISTAKES),
    "softmax_cross_entropy": (
        practice.check_softmax_cross_entropy,
        practice.CROSS_ENTROPY_MISTAKES,
    ),
}
RIGHT = [
    ("gradient_check", my_gradient_check),
    ("gradient_check", my_gradient_check_copies),
    ("adam_step", my_adam_step),
    ("softmax_cross_entropy", my_softmax_cross_entropy),
]


@pytest.mark.parametrize(("name", "fn"), RIGHT, ids=[f.__name__ for _, f in RIGHT])
def test_a_right_implementation_passes_with_one_line(name, fn, capsys):
    check, _ = CHECKS[name]
    start = time.perf_counter()
    check(fn)
    assert time.perf_counter() - start < 1.0
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {name}: ") and " cases agree with " in out
    assert out.count("\n") == 1


CATALOGUE = [(name, mistake) for name, (_, mistakes) in CHECKS.items() for mistake in mistakes]


@pytest.mark.parametrize(
    ("name", "mistake"), CATALOGUE, ids=[f"{n}: {m[0][:40]}" for n, m in CATALOGUE]
)
def test_every_catalogued_mistake_is_named(name, mistake):
    check, _ = CHECKS[name]
    mistake_name, _, wrong = mistake
    with np.errstate(all="ignore"), pytest.raises(PracticeError) as err:
        check(wrong)
    message = str(err.value)
    assert f"Likely mistake: {mistake_name}." in message
    assert message.startswith(f"✘ {name}, case ")
    assert "input:" in message and "expected (" in message and "got:" in message


def test_every_catalogue_has_at_least_four_entries_with_distinct_names():
    for _, mistakes in CHECKS.values():
        names = [name for name, _, _ in mistakes]
        assert len(names) >= 4 and len(set(names)) == len(names)


def test_the_gradient_check_cases_print_f_as_its_formula():
    with pytest.raises(PracticeError) as err:
        practice.check_gradient_check(practice.GRADIENT_CHECK_MISTAKES[0][2])
    assert "f = f(x) = x[0] * x[1] + x[2] ** 2" in str(err.value)
    assert "expected (central differences" in str(err.value)


# --- wrong implementations written by hand (not the catalogue's code) ---------------------


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


def gc_shifted_all(f, x, eps=1e-6):
    return np.ones_like(x) * (f(x + eps) - f(x - eps)) / (2 * eps)


def gc_over_eps(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / eps
    return grad


def adam_plus_one(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    t = t + 1  # as if t were the number of steps before this one
    b1, b2 = betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    return param - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def adam_uncorrected(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    beta1, beta2 = betas
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad**2
    return param - lr * m_new / (np.sqrt(v_new) + eps), m_new, v_new


def adam_in_place(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m[:] = b1 * m + (1 - b1) * grad
    v[:] = b2 * v + (1 - b2) * grad**2
    return param - lr * m / (1 - b1**t) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def ce_log_p_of_probabilities(logits, labels):
    B = len(labels)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[range(B), labels]))
    return loss, (p - np.eye(logits.shape[1])[labels]) / B


def ce_eye_not_averaged(logits, labels):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[1])[labels]
    return -(onehot * log_p).sum(axis=1).mean(), np.exp(log_p) - onehot


HAND_WRITTEN = [
    ("gradient_check", gc_forward_nditer, "a forward difference instead of the central one"),
    ("gradient_check", gc_never_restored, "x left perturbed"),
    ("gradient_check", gc_shifted_all, "all entries perturbed at once"),
    ("gradient_check", gc_over_eps, "the factor 2 missing"),
    ("adam_step", adam_plus_one, "t counted from 0"),
    ("adam_step", adam_uncorrected, "no bias correction"),
    ("adam_step", adam_in_place, "m and v updated in place"),
    ("softmax_cross_entropy", ce_log_p_of_probabilities, "log of the softmax"),
    ("softmax_cross_entropy", ce_eye_not_averaged, "the gradient not divided by B"),
]


@pytest.mark.parametrize(
    ("name", "fn", "diagnosis"), HAND_WRITTEN, ids=[f.__name__ for _, f, _ in HAND_WRITTEN]
)
def test_a_hand_written_mistake_is_named(name, fn, diagnosis):
    check, _ = CHECKS[name]
    with np.errstate(all="ignore"), pytest.raises(PracticeError) as err:
        check(fn)
    assert f"Likely mistake: {diagnosis}" in str(err.value)


def test_x_left_changed_with_a_right_result_is_said_so():
    with pytest.raises(PracticeError) as err:
        practice.check_gradient_check(practice.GRADIENT_CHECK_MISTAKES[-1][2])
    first = str(err.value).splitlines()[0]
    assert "the result is right, but your function changed its argument number 2" in first


# --- blanks, wrong types and shapes, no diagnosis -----------------------------------------


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_blank_raises_its_own_not_implemented_error(name):
    message = (
        f"my_{name} is yours to write: fill in its body in the cell under 'x' "
        "(practice/07_learning_syntax.ipynb), run that cell, then the check below it"
    )

    def blank(*args):
        raise NotImplementedError(message)

    with pytest.raises(NotImplementedError) as err:
        CHECKS[name][0](blank)
    assert str(err.value) == message


WRONG_TYPES = [
    (
        "gradient_check",
        lambda f, x, eps=1e-6: my_gradient_check_copies(f, x, eps).tolist(),
        "it should return an array of shape (3,), but returned a list of length 3",
    ),
    (
        "gradient_check",
        lambda f, x, eps=1e-6: None,
        "it returned None: did you forget the `return`?",
    ),
    (
        "adam_step",
        lambda *args: my_adam_step(*args)[0],
        "it should return a tuple of 3 values, but returned an ndarray of shape (3,)",
    ),
    (
        "softmax_cross_entropy",
        lambda logits, labels: my_softmax_cross_entropy(logits, labels)[0],
        "it should return a tuple of 2 values, but returned float",
    ),
    (
        "softmax_cross_entropy",
        lambda logits, labels: (np.ones(3), my_softmax_cross_entropy(logits, labels)[1]),
        "in the returned value number 1, it returned shape (3,), expected ()",
    ),
    (
        "softmax_cross_entropy",
        lambda z, y: (my_softmax_cross_entropy(z, y)[0], my_softmax_cross_entropy(z, y)[1].T),
        "in the returned value number 2, it returned shape (3, 2), expected (2, 3)",
    ),
]


@pytest.mark.parametrize(("name", "fn", "sentence"), WRONG_TYPES)
def test_a_wrong_type_or_shape_is_one_plain_sentence(name, fn, sentence):
    with pytest.raises(PracticeError) as err:
        CHECKS[name][0](fn)
    first = str(err.value).splitlines()[0]
    assert sentence in first
    assert "Traceback" not in str(err.value)


def test_no_catalogued_mistake_says_so_and_shows_the_first_difference():
    def halved(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
        new, m, v = my_adam_step(param, grad, m, v, t, lr / 2, betas, eps)
        return new, m, v

    with pytest.raises(PracticeError) as err:
        practice.check_adam_step(halved)
    message = str(err.value)
    assert "in the returned value number 1, the entries differ, first at entry [0]" in message
    assert "No mistake of the catalogue gives this result" in message


def test_the_blanks_are_registered():
    assert sorted(practice.BLANKS) == sorted(f"my_{name}" for name in CHECKS)
    assert sorted(practice.__all__) == sorted(f"check_{name}" for name in CHECKS)
    for blank in practice.BLANKS.values():
        assert blank["task"] and blank["equation"] and "\n" not in blank["equation"]
    assert all(name in gl.practice.BLANKS for name in practice.BLANKS)
