"""The checks of the learning blanks (``gl.practice.learning``): softmax cross-entropy and one
Adam step.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, named_as, passes, refused, rejection

from gnnformer_lite.practice import learning as practice
from gnnformer_lite.practice.learning import ADAM_MISTAKES, CROSS_ENTROPY_MISTAKES

# --- right implementations, as a learner writes them --------------------------------------


@passes("softmax_cross_entropy", "6 cases agree with gl.softmax_cross_entropy")
def my_softmax_cross_entropy(logits, labels):
    """log-sum-exp with the row's max taken out, then p - onehot(y) for the gradient."""
    onehot = np.eye(logits.shape[1])[labels]
    top = logits.max(axis=1, keepdims=True)
    log_total = top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    loss = np.mean(log_total[:, 0] - (onehot * logits).sum(axis=1))
    return float(loss), (np.exp(logits - log_total) - onehot) / len(labels)


def adam(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, *, correct=True, shift=0):
    """One Adam step as a learner writes it; ``correct=False`` (no bias correction) and
    ``shift=1`` (t counted from 0) are two mistakes."""
    beta1, beta2 = betas
    m_new = beta1 * m + (1 - beta1) * grad
    v_new = beta2 * v + (1 - beta2) * grad * grad
    t = t + shift
    m_hat = m_new / (1 - beta1**t) if correct else m_new
    v_hat = v_new / (1 - beta2**t) if correct else v_new
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m_new, v_new


@passes("adam_step", "6 cases agree with gl.adam_update on one array")
def my_adam_step(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return adam(param, grad, m, v, t, lr, betas, eps)


# --- wrong implementations written by hand (not the catalogue's code) ---------------------


@named_as("adam_step", "t counted from 0")
def adam_plus_one(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return adam(param, grad, m, v, t, lr, betas, eps, shift=1)


@named_as("adam_step", "no bias correction")
def adam_uncorrected(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return adam(param, grad, m, v, t, lr, betas, eps, correct=False)


@named_as("adam_step", "m and v updated in place")
def adam_in_place(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    new, m[:], v[:] = adam(param, grad, m, v, t, lr, betas, eps)
    return new, m, v


@named_as("softmax_cross_entropy", "log of the softmax")
def ce_log_p_of_probabilities(logits, labels):
    B = len(labels)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[range(B), labels]))
    return loss, (p - np.eye(logits.shape[1])[labels]) / B


@named_as("softmax_cross_entropy", "the gradient not divided by B")
def ce_eye_not_averaged(logits, labels):
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[1])[labels]
    return -(onehot * log_p).sum(axis=1).mean(), np.exp(log_p) - onehot


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused("adam_step", "it should return a tuple of 3 values, but returned an ndarray of shape (3,)")
def adam_param_only(*args):
    return my_adam_step(*args)[0]


@refused("softmax_cross_entropy", "it should return a tuple of 2 values, but returned float")
def cross_entropy_loss_only(logits, labels):
    return my_softmax_cross_entropy(logits, labels)[0]


@refused(
    "softmax_cross_entropy", "in the returned value number 1, it returned shape (3,), expected ()"
)
def cross_entropy_loss_per_class(logits, labels):
    return (np.ones(3), my_softmax_cross_entropy(logits, labels)[1])


@refused(
    "softmax_cross_entropy",
    "in the returned value number 2, it returned shape (3, 2), expected (2, 3)",
)
def cross_entropy_gradient_transposed(z, y):
    return (my_softmax_cross_entropy(z, y)[0], my_softmax_cross_entropy(z, y)[1].T)


class TestChecks(CheckSuite):
    catalogues = {"softmax_cross_entropy": CROSS_ENTROPY_MISTAKES, "adam_step": ADAM_MISTAKES}


def test_no_catalogued_mistake_says_so_and_shows_the_first_difference():
    def halved(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
        return my_adam_step(param, grad, m, v, t, lr / 2, betas, eps)

    message = rejection(practice.check_adam_step, halved)
    assert "in the returned value number 1, the entries differ, first at entry [0]" in message
    assert "No mistake of the catalogue gives this result" in message
