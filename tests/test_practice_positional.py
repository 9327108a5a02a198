"""The checks of the Laplacian positions blank (``gl.practice.positional``), compared with the
package up to each column's sign.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own.
"""

from __future__ import annotations

import numpy as np
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import positional as practice


def laplacian(n):
    A = gl.path_graph(n).adjacency()
    return np.diag(A.sum(axis=1)) - A


# --- right implementations, as a learner writes them ---------------------------------------


@passes(
    "path_laplacian",
    "5 cases agree with gl.laplacian_encoding(gl.path_graph(n), k, normalization=None), up to sign",
)
def my_path_laplacian(n, k):
    eigenvalues, eigenvectors = np.linalg.eigh(laplacian(n))
    return eigenvectors[:, 1 : k + 1]


@passes(
    "path_laplacian",
    "5 cases agree with gl.laplacian_encoding(gl.path_graph(n), k, normalization=None), up to sign",
)
def path_laplacian_by_eig(n, k):
    w, v = np.linalg.eig(laplacian(n))
    order = np.argsort(w.real)
    return v.real[:, order[1 : k + 1]]


@passes(
    "path_laplacian",
    "5 cases agree with gl.laplacian_encoding(gl.path_graph(n), k, normalization=None), up to sign",
)
def path_laplacian_closed_form(n, k):
    p, m = np.arange(n)[:, None], np.arange(1, k + 1)[None, :]
    v = np.cos(np.pi * m * (p + 0.5) / n)
    return v / np.linalg.norm(v, axis=0)


@passes(
    "path_laplacian",
    "5 cases agree with gl.laplacian_encoding(gl.path_graph(n), k, normalization=None), up to sign",
)
def path_laplacian_other_signs(n, k):
    return -my_path_laplacian(n, k)


# --- wrong implementations written as a learner might ------------------------------------


@named_as("path_laplacian", "the constant eigenvector")
def laplacian_eig_with_the_constant(n, k):
    w, v = np.linalg.eig(laplacian(n))
    return v.real[:, np.argsort(w.real)][:, :k]


@named_as("path_laplacian", "the eigenvalues sorted in descending")
def laplacian_sorted_descending(n, k):
    w, v = np.linalg.eigh(laplacian(n))
    order = np.argsort(w)[::-1]
    return v[:, order[:k]]


@named_as("path_laplacian", "the order reversed, then columns")
def laplacian_descending_skip_first(n, k):
    w, v = np.linalg.eigh(laplacian(n))
    return v[:, np.argsort(-w)[1 : k + 1]]


@named_as("path_laplacian", "the normalised Laplacian")
def laplacian_symmetric_normalised(n, k):
    A = gl.path_graph(n).adjacency()
    d = 1 / np.sqrt(A.sum(axis=1))
    return np.linalg.eigh(np.eye(n) - d[:, None] * A * d[None, :])[1][:, 1 : k + 1]


@named_as("path_laplacian", "the cosines of the closed form")
def laplacian_unnormalised_cosines(n, k):
    return np.array(
        [[np.cos(np.pi * m * (p + 0.5) / n) for m in range(1, k + 1)] for p in range(n)]
    )


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "path_laplacian",
    "it should return an array of shape (10, 3), but returned a EighResult of length 2",
)
def laplacian_eigh_result(n, k):
    return np.linalg.eigh(laplacian(n))


@refused("path_laplacian", "it returned shape (3, 10), expected (10, 3)")
def laplacian_transposed(n, k):
    return my_path_laplacian(n, k).T


class TestChecks(CheckSuite):
    catalogues = {"path_laplacian": practice.LAPLACIAN_MISTAKES}


def test_the_laplacian_is_compared_up_to_sign_and_the_message_says_so():
    first = first_line(practice.check_path_laplacian, laplacian_sorted_descending)
    assert first.startswith("✘ path_laplacian, case 1 of 5 (the sentence as a chain: ")
    assert first.endswith("(each of your columns compared up to its sign, which is free)")


def test_a_laplacian_outside_the_catalogue_says_so():
    message = rejection(practice.check_path_laplacian, lambda n, k: np.eye(n)[:, 1 : k + 1])
    assert "No mistake of the catalogue gives this result" in message


def test_the_laplacian_diagnosis_does_not_depend_on_the_signs_eigh_returns():
    def flipped_constant_kept(n, k):
        return -np.linalg.eigh(laplacian(n))[1][:, :k]

    message = rejection(practice.check_path_laplacian, flipped_constant_kept)
    assert "Likely mistake: the constant eigenvector (eigenvalue 0) kept" in message


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def crashes(n, k):
        return np.linalg.eigh(laplacian(n))[1][:, 1 : k + 1] @ np.ones(n)

    message = rejection(practice.check_path_laplacian, crashes)
    assert "your function raised ValueError: matmul: " in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message
