"""Checks of the learning blanks (notebook 07): softmax cross-entropy, one Adam step."""

from __future__ import annotations

import numpy as np

from ..learning import softmax_cross_entropy
from ..optimisation import adam_update
from .harness import run_check

__all__ = ["check_adam_step", "check_softmax_cross_entropy"]

BLANKS = {
    "my_softmax_cross_entropy": {
        "task": "the mean cross-entropy of softmax(logits) at integer labels, and its gradient: "
        "(loss, d_logits)",
        "equation": "L = -mean_b log p[b, y_b], log p = z - logsumexp(z) (max first); "
        "dL/dz = (p - onehot(y)) / B",
    },
    "my_adam_step": {
        "task": "one Adam step (t counts from 1) on one array; return the new (param, m, v)",
        "equation": "m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, "
        "param - lr m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps)",
    },
}


# --- softmax cross-entropy -----------------------------------------------------------------


def _cross_entropy_cases() -> list:
    rng = np.random.default_rng(6)
    z, y = np.round(rng.normal(scale=2, size=(5, 4)), 2), np.array([0, 3, 1, 2, 3])
    far = np.array([[1000.0, 0.0, -1000.0], [2.0, 1.0, 0.0]])
    return [
        (
            "2 examples, 3 classes",
            (np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), np.array([1, 0])),
        ),
        ("5 examples, 4 classes", (z, y)),
        ("logits near +1000: exp overflows", (z + 1000.0, y)),
        ("a label's logit 2000 below its row's max: softmax underflows", (far, np.array([2, 0]))),
        ("a batch of one", (z[:1], y[:1])),
        ("float32 logits", (z.astype(np.float32), y)),
    ]


def _ce(logits, labels, *, softmax=None, loss=None, grad=None):
    """Cross-entropy with hooks for the mistakes below (no hooks: the right one)."""
    B = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    if softmax is None:
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
    else:
        p = softmax(logits)
        log_p = np.log(p)
    value = -log_p[np.arange(B), labels].mean() if loss is None else loss(log_p, labels)
    onehot = np.zeros_like(p)
    onehot[np.arange(B), labels] = 1
    return float(value), ((p - onehot) / B if grad is None else grad(p, onehot, labels))


def _ce_no_max(logits, labels):
    return _ce(logits, labels, softmax=lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))


def _stable_softmax(axis=1, keepdims=True):
    """A softmax along ``axis``, its max subtracted; ``keepdims`` for the sum as given."""

    def softmax(z):
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=keepdims)

    return softmax


def _ce_log_of_softmax(logits, labels):
    return _ce(logits, labels, softmax=_stable_softmax())


def _ce_sum(logits, labels):
    return _ce(
        logits,
        labels,
        loss=lambda log_p, y: -log_p[np.arange(len(y)), y].sum(),
        grad=lambda p, onehot, y: p - onehot,
    )


def _ce_grad_not_averaged(logits, labels):
    return _ce(logits, labels, grad=lambda p, onehot, y: p - onehot)


def _ce_sign(logits, labels):
    return _ce(logits, labels, grad=lambda p, onehot, y: (onehot - p) / len(y))


def _ce_rows(logits, labels):
    def grad(p, onehot, y):
        d = p.copy()
        d[y] -= 1  # whole rows y, not one entry per row
        return d / len(y)

    return _ce(logits, labels, grad=grad)


def _ce_block(logits, labels):
    return _ce(logits, labels, loss=lambda log_p, y: -log_p[:, y].mean())


def _ce_over_batch(logits, labels):
    return _ce(logits, labels, softmax=_stable_softmax(axis=0))


def _ce_no_keepdims(logits, labels):
    return _ce(logits, labels, softmax=_stable_softmax(keepdims=False))


CROSS_ENTROPY_MISTAKES = [
    (
        "no max subtracted, so exp overflows at large logits",
        "exp(1000) is inf and inf / inf is NaN. Subtract each row's largest logit first:\n"
        "z - z.max(axis=1, keepdims=True) changes no probability and keeps every exp <= 1.",
        _ce_no_max,
    ),
    (
        "the loss summed over the batch instead of averaged",
        "L is the mean over the B examples: -log_p[np.arange(B), labels].mean(), and the\n"
        "gradient (p - onehot) / B.",
        _ce_sum,
    ),
    (
        "the gradient not divided by B",
        "L averages over the batch, so each example's gradient carries 1 / B:\n"
        "d_logits = (p - onehot) / B.",
        _ce_grad_not_averaged,
    ),
    (
        "the gradient's sign flipped: onehot - p",
        "dL/dz = p - onehot(y): raising the label's logit lowers the loss, so its derivative\n"
        "is p_y - 1 < 0.",
        _ce_sign,
    ),
    (
        "d[labels] -= 1 subtracts from whole rows",
        "d[labels] picks the rows numbered by the labels; subtract 1 at one entry per row:\n"
        "d[np.arange(B), labels] -= 1.",
        _ce_rows,
    ),
    (
        "log_p[:, labels] takes a (B, B) block, not one entry per row",
        "log_p[:, labels] is every row at every label; the loss needs row b at its own label:\n"
        "log_p[np.arange(B), labels].",
        _ce_block,
    ),
    (
        "softmax over the batch (axis 0) instead of over the classes",
        "Each example's probabilities sum to 1 over its C classes: max, sum (and softmax) along\n"
        "axis=1 with keepdims=True.",
        _ce_over_batch,
    ),
    (
        "keepdims=True forgotten in the softmax's sum",
        "e.sum(axis=1) has shape (B,), which does not line up with e (B, C);\n"
        "e.sum(axis=1, keepdims=True) has shape (B, 1) and divides each row by its own sum.",
        _ce_no_keepdims,
    ),
    (
        "log of the softmax: p underflows to 0 and -log 0 = inf",
        "exp(-2000) is 0 in float64. Take the log before exponentiating (log-sum-exp):\n"
        "log_p = z - m - log(sum(exp(z - m))), m = the row's max; p = exp(log_p) for the gradient.",
        _ce_log_of_softmax,
    ),
]


def check_softmax_cross_entropy(fn) -> None:
    """Check ``fn(logits, labels) -> (loss, d_logits)`` against ``gl.softmax_cross_entropy``."""
    __tracebackhide__ = True
    run_check(
        "softmax_cross_entropy",
        fn,
        _cross_entropy_cases(),
        softmax_cross_entropy,
        "gl.softmax_cross_entropy",
        CROSS_ENTROPY_MISTAKES,
    )


# --- Adam ----------------------------------------------------------------------------------


def _adam_reference(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    new, state = adam_update(param, grad, {"step": t - 1, "m": m, "v": v}, lr, betas, eps)
    return new, state["m"], state["v"]


def _adam_cases() -> list:
    rng = np.random.default_rng(4)
    param, m, v = rng.normal(size=(2, 3)), np.zeros((2, 3)), np.zeros((2, 3))
    for t in (1, 2):  # two earlier steps: m and v no longer 0
        param, m, v = _adam_reference(param, rng.normal(size=(2, 3)), m, v, t, 0.01)
    grad = rng.normal(size=(2, 3))
    tiny = np.array([1e-4, -3e-4, 2e-5, 0.0])
    m4, v4 = rng.normal(scale=0.1, size=4), rng.uniform(0.01, 0.1, size=4)
    f32 = tuple(a.astype(np.float32) for a in (param, grad, m, v))
    first = (np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 2.0]), np.zeros(3), np.zeros(3))
    return [
        ("the first step, t = 1: m = v = 0", (*first, 1, 0.1)),
        ("step t = 3, m and v from two earlier steps, param (2, 3)", (param, grad, m, v, 3, 0.01)),
        (
            "gradients of 1e-4 and less, t = 1: where eps matters",
            (np.ones(4), tiny, 0 * tiny, 0 * tiny, 1, 0.1),
        ),
        (
            "betas = (0.8, 0.99) and eps = 1e-6 given, t = 2",
            (np.ones(4), tiny * 1e3, m4, v4, 2, 0.1, (0.8, 0.99), 1e-6),
        ),
        ("float32 arrays, t = 3", (*f32, 3, 0.01)),
        (
            "eps = 1e-6 given, gradients of 1e-7 and less, t = 1: where the given eps matters",
            (np.ones(4), tiny * 1e-3, 0 * tiny, 0 * tiny, 1, 0.1, (0.9, 0.999), 1e-6),
        ),
    ]


def _adam(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8, **hooks):
    """One Adam step with hooks for the mistakes below (no hooks: the right one)."""
    b1, b2 = hooks.get("use_betas", betas)
    k = hooks.get("use_t", t)
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * hooks.get("square", np.square)(grad)
    m_hat, v_hat = (m, v) if hooks.get("raw") else (m / (1 - b1**k), v / (1 - b2**k))
    denominator = np.sqrt(v_hat + eps) if hooks.get("eps_inside") else np.sqrt(v_hat) + eps
    return param - lr * m_hat / denominator, m, v


def _adam_no_correction(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, raw=True)


def _adam_eps_inside(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, eps_inside=True)


def _adam_v_from_g(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, square=lambda g: g)


def _adam_t_from_0(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, use_t=t + 1)


def _adam_betas_swapped(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, use_betas=betas[::-1])


def _adam_betas_ignored(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    return _adam(param, grad, m, v, t, lr, betas, eps, use_betas=(0.9, 0.999))


def _adam_old_moments(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    new, _, _ = _adam(param, grad, m, v, t, lr, betas, eps)
    return new, m, v


def _adam_corrected_moments(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    new, m, v = _adam(param, grad, m, v, t, lr, betas, eps)
    b1, b2 = betas
    return new, m / (1 - b1**t), v / (1 - b2**t)


def _adam_no_one_minus(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m, v = b1 * m + grad, b2 * v + grad**2
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_moments_in_place(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    m *= b1
    m += (1 - b1) * grad
    v *= b2
    v += (1 - b2) * grad**2
    return param - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def _adam_param_in_place(param, grad, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    new, m, v = _adam(param, grad, m, v, t, lr, betas, eps)
    param[...] = new
    return param, m, v


ADAM_MISTAKES = [
    (
        "no bias correction",
        "m and v start at 0, so early on they are too small by the factors 1 - b1^t and\n"
        "1 - b2^t: divide them out, m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t), and step\n"
        "by lr * m_hat / (sqrt(v_hat) + eps).",
        _adam_no_correction,
    ),
    (
        "v from g instead of g^2",
        "v averages the squared gradient: v = b2 * v + (1 - b2) * g**2 (it is never negative).",
        _adam_v_from_g,
    ),
    (
        "t counted from 0 (the corrections use t + 1)",
        "t is the number of this step, counting from 1 (the first step has t = 1): use\n"
        "1 - b1**t and 1 - b2**t as given, without adding 1 to t.",
        _adam_t_from_0,
    ),
    (
        "betas swapped: b1 for v and b2 for m",
        "b1, b2 = betas: b1 (0.9) averages the gradient in m, b2 (0.999) its square in v.",
        _adam_betas_swapped,
    ),
    (
        "m and v returned as they came in, not updated",
        "Return the new moments with the new parameter: return param, m, v after\n"
        "m = b1 * m + (1 - b1) * g and v = b2 * v + (1 - b2) * g**2.",
        _adam_old_moments,
    ),
    (
        "the bias-corrected m_hat, v_hat returned instead of m, v",
        "The correction is for the step only; the next step continues from the running\n"
        "averages: return m and v, not m / (1 - b1**t) and v / (1 - b2**t).",
        _adam_corrected_moments,
    ),
    (
        "the factors (1 - b1) and (1 - b2) left out of the moment updates",
        "m and v are running averages: m = b1 * m + (1 - b1) * g, v = b2 * v + (1 - b2) * g**2.",
        _adam_no_one_minus,
    ),
    (
        "eps inside the square root",
        "eps is added after the square root: m_hat / (sqrt(v_hat) + eps), as torch.optim.Adam;\n"
        "sqrt(v_hat + eps) differs when the gradients are tiny.",
        _adam_eps_inside,
    ),
    (
        "the betas argument ignored (0.9, 0.999 written in)",
        "Use the function's arguments: b1, b2 = betas.",
        _adam_betas_ignored,
    ),
    (
        "m and v updated in place (m *= b1 changes the caller's array)",
        "Compute new arrays, m = b1 * m + (1 - b1) * g, instead of m *= b1; m += ...: the\n"
        "caller's m and v must stay as they were (it decides what to keep).",
        _adam_moments_in_place,
    ),
    (
        "the parameter updated in place (param -= ...)",
        "Return a new array, param - lr * ..., instead of changing the caller's param.",
        _adam_param_in_place,
    ),
]


def check_adam_step(fn) -> None:
    """Check ``fn(param, grad, m, v, t, lr, betas, eps) -> (param, m, v)`` against Adam."""
    __tracebackhide__ = True
    run_check(
        "adam_step",
        fn,
        _adam_cases(),
        _adam_reference,
        "gl.adam_update on one array",
        ADAM_MISTAKES,
    )
