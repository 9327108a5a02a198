"""Checks of the blank about positions: the path's Laplacian eigenvectors (notebook 06).

An eigenvector is only defined up to its sign, so the check compares each column up to
sign (and gives the catalogue's mistakes the learner's signs before comparing).
"""

from __future__ import annotations

import numpy as np

from ..positional import laplacian_encoding
from ..sentences import path_graph
from .harness import compare, run_check

__all__ = ["check_path_laplacian"]

BLANKS = {
    "my_path_laplacian": {
        "task": "the eigenvectors 1 .. k of the path graph's Laplacian L = D - A, "
        "by ascending eigenvalue",
        "equation": "L v_m = lambda_m v_m, 0 = lambda_0 < lambda_1 < ...; return [v_1 ... v_k], "
        "(n, k)",
    },
}


# --- the path's Laplacian eigenvectors ---------------------------------------------------


def _laplacian_cases() -> list:
    return [
        ("the sentence as a chain: 10 words, 3 eigenvectors", (10, 3)),
        ("2 words, 1 eigenvector", (2, 1)),
        ("all the eigenvectors: 6 words, k = 5", (6, 5)),
        ("k = 0: no column", (5, 0)),
        ("one word, k = 0", (1, 0)),
    ]


def _path_laplacian(n, k):
    return laplacian_encoding(path_graph(n), k, normalization=None)


def _eigenvectors(L):
    return np.linalg.eigh(L)[1]


def _laplacian_of_path(n):
    A = path_graph(n).adjacency()
    return np.diag(A.sum(axis=1)) - A


def _laplacian_constant_kept(n, k):
    return _eigenvectors(_laplacian_of_path(n))[:, :k]


def _laplacian_one_short(n, k):
    return _eigenvectors(_laplacian_of_path(n))[:, 1:k]


def _laplacian_rows(n, k):
    return _eigenvectors(_laplacian_of_path(n))[1 : k + 1]


def _laplacian_largest(n, k):
    vecs = _eigenvectors(_laplacian_of_path(n))
    return vecs[:, vecs.shape[1] - k :]


def _laplacian_descending(n, k):
    eigenvalues, vecs = np.linalg.eigh(_laplacian_of_path(n))
    return vecs[:, np.argsort(eigenvalues)[::-1][:k]]


def _laplacian_sign_flipped(n, k):
    return _eigenvectors(-_laplacian_of_path(n))[:, 1 : k + 1]


def _laplacian_normalised(n, k):
    return laplacian_encoding(path_graph(n), k)


def _laplacian_not_unit(n, k):
    p, m = np.arange(n)[:, None], np.arange(1, k + 1)[None, :]
    return np.cos(np.pi * m * (p + 0.5) / n)


def _laplacian_no_half(n, k):
    p, m = np.arange(n)[:, None], np.arange(1, k + 1)[None, :]
    v = np.cos(np.pi * m * p / n)
    return v / np.linalg.norm(v, axis=0)


LAPLACIAN_MISTAKES = [
    (
        "the constant eigenvector (eigenvalue 0) kept: columns 0 .. k-1",
        "The first column of eigh is the constant vector, the same at every position: it says\n"
        "nothing about order. Skip it: vecs[:, 1 : k + 1].",
        _laplacian_constant_kept,
    ),
    (
        "one column short: vecs[:, 1:k]",
        "A slice leaves out its end: columns 1 .. k are vecs[:, 1 : k + 1].",
        _laplacian_one_short,
    ),
    (
        "rows taken instead of columns",
        "np.linalg.eigh returns the eigenvectors as the columns of V (L @ V[:, m] =\n"
        "w[m] * V[:, m]): take vecs[:, 1 : k + 1], not vecs[1 : k + 1].",
        _laplacian_rows,
    ),
    (
        "the largest eigenvalues (the highest frequencies) instead of the smallest",
        "eigh sorts the eigenvalues in ascending order: the smooth, low-frequency vectors come\n"
        "first. Take vecs[:, 1 : k + 1], not the last k columns.",
        _laplacian_largest,
    ),
    (
        "the eigenvalues sorted in descending order: the largest first",
        "np.argsort(w)[::-1] puts the highest frequencies first; the positions are the\n"
        "smoothest vectors, the smallest eigenvalues after 0: ascending order, columns 1 .. k.",
        _laplacian_descending,
    ),
    (
        "the order reversed, then columns 1 .. k: L = A - D, or descending eigenvalues",
        "L = D - A, D = diag(A.sum(axis=1)), has eigenvalues >= 0, and eigh sorts them in\n"
        "ascending order: take columns 1 .. k. With A - D (or argsort(w)[::-1]) those\n"
        "columns are high frequencies.",
        _laplacian_sign_flipped,
    ),
    (
        "the normalised Laplacian I - D^-1/2 A D^-1/2 (gl.laplacian_encoding's default)",
        "This blank is the unnormalised L = D - A (normalization=None): on a path the two differ\n"
        "at the ends, where the degree is 1.",
        _laplacian_normalised,
    ),
    (
        "the cosines of the closed form not normalised to length 1",
        "cos(pi m (p + 1/2) / n) has length sqrt(n / 2), not 1: divide each column by its\n"
        "norm, v / np.linalg.norm(v, axis=0) (eigh's vectors have length 1).",
        _laplacian_not_unit,
    ),
    (
        "the closed form with p instead of p + 1/2",
        "The eigenvectors of the path are v_m[p] = cos(pi m (p + 1/2) / n), the half shifts the\n"
        "cosine so that it is symmetric about the middle of the chain.",
        _laplacian_no_half,
    ),
]


def _signs_like(x, like):
    """``x`` with each column's sign flipped to agree with the same column of ``like``."""
    if not (isinstance(x, np.ndarray) and isinstance(like, np.ndarray)):
        return x
    if x.ndim != 2 or x.shape != like.shape or x.dtype.kind not in "iuf":
        return x
    return x * np.where((x * like).sum(axis=0) < 0, -1, 1)


def _up_to_sign(expected, got) -> str | None:
    """``compare`` after giving each column of ``got`` the sign of the expected one."""
    problem = compare(expected, _signs_like(got, expected), atol=1e-6, rtol=1e-5)
    if problem is not None and problem.startswith("the entries differ"):
        problem += " (each of your columns compared up to its sign, which is free)"
    return problem


def _with_your_signs(fn, wrong):
    """``wrong``, its columns' signs set to those of ``fn`` on the same input: the diagnosis
    compares the catalogue's results with yours, and eigh may give either sign."""

    def wrong_with_your_signs(n, k):
        result = wrong(n, k)
        try:
            yours = fn(n, k)
        except Exception:  # noqa: BLE001 -- your error is shown already
            return result
        return _signs_like(result, yours)

    return wrong_with_your_signs


def check_path_laplacian(fn) -> None:
    """Check ``fn(n, k)`` against ``gl.laplacian_encoding(gl.path_graph(n), k, None)``,
    each column up to its sign."""
    __tracebackhide__ = True
    mistakes = LAPLACIAN_MISTAKES
    if callable(fn):
        mistakes = [(name, why, _with_your_signs(fn, wrong)) for name, why, wrong in mistakes]
    run_check(
        "path_laplacian",
        fn,
        _laplacian_cases(),
        _path_laplacian,
        "gl.laplacian_encoding(gl.path_graph(n), k, normalization=None), up to sign",
        mistakes,
        compare_with=_up_to_sign,
    )
