"""The check of the random sign flips blank (``gl.practice.sign_flips``): a property check.

What every check is tested for runs on the functions marked below (tests/practice_helpers.py);
the tests after them are this module's own: what the properties catch, that ``np.random``
is left as it was.
"""

from __future__ import annotations

import numpy as np
import pytest
from practice_helpers import CheckSuite, first_line, named_as, passes, refused, rejection

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import sign_flips as practice

PASSED = (
    "4 cases agree with gl.flip_signs (|pe| kept, one sign per column drawn from rng, both "
    "signs drawn)"
)

# --- right implementations, as a learner writes them ---------------------------------------


@passes("flip_signs", PASSED)
def my_flip_signs(pe, rng):
    signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
    return pe * signs


@passes("flip_signs", PASSED)
def flip_signs_from_integers(pe, rng):
    return pe * (2 * rng.integers(0, 2, size=pe.shape[-1]) - 1)


@passes("flip_signs", PASSED)
def flip_signs_from_a_normal(pe, rng):
    return pe * np.sign(rng.standard_normal(pe.shape[-1]))


@passes("flip_signs", PASSED)
def flip_signs_by_loop(pe, rng):
    out = pe.copy()
    for m in range(pe.shape[-1]):
        if rng.random() < 0.5:
            out[..., m] = -out[..., m]
    return out


@passes("flip_signs", PASSED)
def flip_signs_of_the_package(pe, rng):
    return gl.flip_signs(pe, rng)


# --- wrong implementations written as a learner might ------------------------------------


@named_as("flip_signs", "one sign per entry")
def flips_per_entry_by_sign(pe, rng):
    return np.sign(rng.normal(size=pe.shape)) * pe


@named_as("flip_signs", "one sign per row")
def flips_per_row_by_loop(pe, rng):
    out = pe.copy()
    for i in range(pe.shape[0]):
        out[i] = out[i] * rng.choice([-1, 1])
    return out


@named_as("flip_signs", "np.random's global state")
def flips_with_the_legacy_api(pe, rng):
    signs = np.random.choice([-1, 1], pe.shape[-1])  # noqa: NPY002 -- the mistake under test
    return pe * signs


@named_as("flip_signs", "signs 0 or 1")
def flips_with_zeros(pe, rng):
    return pe * rng.integers(-1, 1, size=pe.shape[-1])  # -1 or 0


@named_as("flip_signs", "pe changed in place")
def flips_in_place(pe, rng):
    pe[..., rng.random(pe.shape[-1]) < 0.5] *= -1
    return pe


# --- wrong return types and shapes, refused in one plain sentence -------------------------


@refused(
    "flip_signs", "it should return an array of shape (10, 3), but returned a list of length 10"
)
def flips_as_a_list(pe, rng):
    return list(my_flip_signs(pe, rng))


@refused("flip_signs", "it returned shape (10,), expected (10, 3), the shape of pe")
def flips_of_column_0(pe, rng):
    return my_flip_signs(pe, rng)[:, 0]


@refused("flip_signs", "it returned None: did you forget the `return`?")
def flips_without_return(pe, rng):
    return None


@refused("flip_signs", "it returned dtype bool: expected numbers, pe times +1 or -1")
def flips_as_bools(pe, rng):
    return my_flip_signs(pe, rng) > 0


class TestChecks(CheckSuite):
    catalogues = {"flip_signs": practice.FLIP_MISTAKES}


def test_a_flip_that_is_sometimes_missing_in_one_column_is_reported_without_a_name():
    def never_column_0(pe, rng):
        signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
        signs[0] = 1.0
        return pe * signs

    message = rejection(practice.check_flip_signs, never_column_0)
    assert message.splitlines()[0] == (
        "✘ flip_signs, case 4 of 4 (20 draws from one generator: both signs in every column): "
        "column 0 got the sign +1 in all 20 draws"
    )
    assert "No mistake of the catalogue gives this result" in message
    assert "rng = np.random.default_rng(3), called 20 times" in message


def test_a_flip_that_fails_only_in_some_of_the_draws_is_caught():
    calls = []

    def breaks_at_the_ninth_call(pe, rng):
        calls.append(1)
        signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
        return pe * (2 * signs if len(calls) == 9 else signs)

    first = first_line(practice.check_flip_signs, breaks_at_the_ninth_call)
    assert first.startswith("✘ flip_signs, case 4 of 4 ")
    assert "the magnitudes changed" in first


def test_a_nan_result_is_not_called_random_numbers():
    message = rejection(practice.check_flip_signs, lambda pe, rng: np.full_like(pe, np.nan))
    assert "the magnitudes changed, first at entry [0, 0]" in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message


def test_a_function_that_uses_rng_but_is_not_reproducible_is_named():
    def rng_and_a_fresh_generator(pe, rng):
        rng.random()
        return pe * np.random.default_rng().choice([-1.0, 1.0], size=pe.shape[-1])

    message = rejection(practice.check_flip_signs, rng_and_a_fresh_generator)
    assert "the same seed gave other signs the second time" in message.splitlines()[0]
    assert "Likely mistake: a new generator (np.random.default_rng())" in message


def test_flip_signs_leaves_np_random_as_it_found_it():
    np.random.seed(123)  # noqa: NPY002 -- the state the check must give back
    expected = np.random.get_state()[1].copy()  # noqa: NPY002
    with pytest.raises(PracticeError):
        practice.check_flip_signs(flips_with_the_legacy_api)
    practice.check_flip_signs(my_flip_signs)
    assert np.array_equal(np.random.get_state()[1], expected)  # noqa: NPY002


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def crashes(pe, rng):
        return pe * rng.choice([-1.0, 1.0], size=pe.shape[0])

    message = rejection(practice.check_flip_signs, crashes)
    assert "your function raised ValueError: operands could not be broadcast" in message
