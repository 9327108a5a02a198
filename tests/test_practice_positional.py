"""The practice checks of the positional blanks (``gl.practice.positional``).

``check_path_laplacian`` compares with the package up to each column's sign;
``check_flip_signs`` checks the properties of a random draw. For both: right
implementations (several ways) are accepted with one ✔ line, every catalogued mistake is
named, mistakes written differently are named too, the stub raises its own
``NotImplementedError``, and a wrong return type is one plain sentence.
"""

from __future__ import annotations

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError
from gnnformer_lite.practice import positional as practice


def _laplacian(n):
    A = gl.path_graph(n).adjacency()
    return np.diag(A.sum(axis=1)) - A


# --- right implementations, as a learner writes them ---------------------------------------


def my_path_laplacian(n, k):
    eigenvalues, eigenvectors = np.linalg.eigh(_laplacian(n))
    return eigenvectors[:, 1 : k + 1]


def path_laplacian_by_eig(n, k):
    w, v = np.linalg.eig(_laplacian(n))
    order = np.argsort(w.real)
    return v.real[:, order[1 : k + 1]]


def path_laplacian_closed_form(n, k):
    p, m = np.arange(n)[:, None], np.arange(1, k + 1)[None, :]
    v = np.cos(np.pi * m * (p + 0.5) / n)
    return v / np.linalg.norm(v, axis=0)


def path_laplacian_other_signs(n, k):
    return -my_path_laplacian(n, k)


def my_flip_signs(pe, rng):
    signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
    return pe * signs


def flip_signs_from_integers(pe, rng):
    return pe * (2 * rng.integers(0, 2, size=pe.shape[-1]) - 1)


def flip_signs_from_a_normal(pe, rng):
    return pe * np.sign(rng.standard_normal(pe.shape[-1]))


def flip_signs_by_loop(pe, rng):
    out = pe.copy()
    for m in range(pe.shape[-1]):
        if rng.random() < 0.5:
            out[..., m] = -out[..., m]
    return out


RIGHT = [
    ("path_laplacian", practice.check_path_laplacian, my_path_laplacian),
    ("path_laplacian", practice.check_path_laplacian, path_laplacian_by_eig),
    ("path_laplacian", practice.check_path_laplacian, path_laplacian_closed_form),
    ("path_laplacian", practice.check_path_laplacian, path_laplacian_other_signs),
    ("flip_signs", practice.check_flip_signs, my_flip_signs),
    ("flip_signs", practice.check_flip_signs, flip_signs_from_integers),
    ("flip_signs", practice.check_flip_signs, flip_signs_from_a_normal),
    ("flip_signs", practice.check_flip_signs, flip_signs_by_loop),
    ("flip_signs", practice.check_flip_signs, gl.flip_signs),
]
CHECKS = {"path_laplacian": practice.check_path_laplacian, "flip_signs": practice.check_flip_signs}
CATALOGUES = {
    "path_laplacian": practice.LAPLACIAN_MISTAKES,
    "flip_signs": practice.FLIP_MISTAKES,
}


def _rejection(check, fn) -> str:
    with pytest.raises(PracticeError) as info:
        check(fn)
    return str(info.value)


def _name(catalogue, start: str) -> str:
    (name,) = [name for name, _, _ in catalogue if name.startswith(start)]
    return name


@pytest.mark.parametrize(("blank", "check", "right"), RIGHT, ids=[r.__name__ for *_, r in RIGHT])
def test_a_right_implementation_is_accepted_with_one_line(blank, check, right, capsys):
    check(right)
    out = capsys.readouterr().out
    assert out.startswith(f"✔ {blank}: ") and " cases agree with gl." in out
    assert out.count("\n") == 1


@pytest.mark.parametrize(
    ("blank", "mistake"),
    [(blank, entry) for blank, catalogue in CATALOGUES.items() for entry in catalogue],
    ids=[f"{b}: {e[0][:40]}" for b, catalogue in CATALOGUES.items() for e in catalogue],
)
def test_every_catalogued_mistake_is_named(blank, mistake):
    name, why, wrong = mistake
    message = _rejection(CHECKS[blank], wrong)
    assert message.startswith(f"✘ {blank}, case ")
    assert f"Likely mistake: {name}.\n" in message
    assert why.splitlines()[0] in message
    assert "\ninput:\n" in message and "\nexpected (" in message and "\ngot:\n" in message


def test_every_catalogue_has_at_least_four_mistakes():
    for blank, catalogue in CATALOGUES.items():
        assert len(catalogue) >= 4, blank
        assert len({name for name, _, _ in catalogue}) == len(catalogue), blank


# --- wrong implementations written as a learner might ------------------------------------


def laplacian_eig_with_the_constant(n, k):
    w, v = np.linalg.eig(_laplacian(n))
    return v.real[:, np.argsort(w.real)][:, :k]


def laplacian_sorted_descending(n, k):
    w, v = np.linalg.eigh(_laplacian(n))
    order = np.argsort(w)[::-1]
    return v[:, order[:k]]


def laplacian_descending_skip_first(n, k):
    w, v = np.linalg.eigh(_laplacian(n))
    return v[:, np.argsort(-w)[1 : k + 1]]


def laplacian_symmetric_normalised(n, k):
    A = gl.path_graph(n).adjacency()
    d = 1 / np.sqrt(A.sum(axis=1))
    return np.linalg.eigh(np.eye(n) - d[:, None] * A * d[None, :])[1][:, 1 : k + 1]


def laplacian_unnormalised_cosines(n, k):
    return np.array(
        [[np.cos(np.pi * m * (p + 0.5) / n) for m in range(1, k + 1)] for p in range(n)]
    )


def flips_per_entry_by_sign(pe, rng):
    return np.sign(rng.normal(size=pe.shape)) * pe


def flips_per_row_by_loop(pe, rng):
    out = pe.copy()
    for i in range(pe.shape[0]):
        out[i] = out[i] * rng.choice([-1, 1])
    return out


def flips_with_the_legacy_api(pe, rng):
    signs = np.random.choice([-1, 1], pe.shape[-1])  # noqa: NPY002 -- the mistake under test
    return pe * signs


def flips_with_zeros(pe, rng):
    return pe * rng.integers(-1, 1, size=pe.shape[-1])  # -1 or 0


def flips_in_place(pe, rng):
    pe[..., rng.random(pe.shape[-1]) < 0.5] *= -1
    return pe


LEARNER_MISTAKES = [
    ("path_laplacian", laplacian_eig_with_the_constant, "the constant eigenvector"),
    ("path_laplacian", laplacian_sorted_descending, "the eigenvalues sorted in descending"),
    ("path_laplacian", laplacian_descending_skip_first, "the order reversed, then columns"),
    ("path_laplacian", laplacian_symmetric_normalised, "the normalised Laplacian"),
    ("path_laplacian", laplacian_unnormalised_cosines, "the cosines of the closed form"),
    ("flip_signs", flips_per_entry_by_sign, "one sign per entry"),
    ("flip_signs", flips_per_row_by_loop, "one sign per row"),
    ("flip_signs", flips_with_the_legacy_api, "np.random's global state"),
    ("flip_signs", flips_with_zeros, "signs 0 or 1"),
    ("flip_signs", flips_in_place, "pe changed in place"),
]


@pytest.mark.parametrize(
    ("blank", "wrong", "start"), LEARNER_MISTAKES, ids=[w.__name__ for _, w, _ in LEARNER_MISTAKES]
)
def test_a_learners_mistake_is_named(blank, wrong, start):
    message = _rejection(CHECKS[blank], wrong)
    assert f"Likely mistake: {_name(CATALOGUES[blank], start)}.\n" in message


def test_the_laplacian_is_compared_up_to_sign_and_the_message_says_so():
    message = _rejection(practice.check_path_laplacian, laplacian_sorted_descending)
    first = message.splitlines()[0]
    assert first.startswith("✘ path_laplacian, case 1 of 5 (the sentence as a chain: ")
    assert first.endswith("(each of your columns compared up to its sign, which is free)")


def test_a_laplacian_outside_the_catalogue_says_so():
    message = _rejection(practice.check_path_laplacian, lambda n, k: np.eye(n)[:, 1 : k + 1])
    assert "No mistake of the catalogue gives this result" in message


def test_the_laplacian_diagnosis_does_not_depend_on_the_signs_eigh_returns():
    def flipped_constant_kept(n, k):
        return -np.linalg.eigh(_laplacian(n))[1][:, :k]

    message = _rejection(practice.check_path_laplacian, flipped_constant_kept)
    assert "Likely mistake: the constant eigenvector (eigenvalue 0) kept" in message


def test_a_flip_that_is_sometimes_missing_in_one_column_is_reported_without_a_name():
    def never_column_0(pe, rng):
        signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
        signs[0] = 1.0
        return pe * signs

    message = _rejection(practice.check_flip_signs, never_column_0)
    assert message.splitlines()[0] == (
        "✘ flip_signs, case 4 of 4 (20 draws from one generator: both signs in every column): "
        "column 0 got the sign +1 in all 20 draws"
    )
    assert "No mistake of the catalogue gives this result" in message
    assert "rng = np.random.default_rng(3), called 20 times" in message


def test_a_flip_that_fails_only_in_some_of_the_draws_is_caught():
    calls = []

    def breaks_at_the_fifth_call(pe, rng):
        calls.append(1)
        signs = rng.choice([-1.0, 1.0], size=pe.shape[-1])
        return pe * (2 * signs if len(calls) == 9 else signs)

    message = _rejection(practice.check_flip_signs, breaks_at_the_fifth_call)
    assert message.splitlines()[0].startswith("✘ flip_signs, case 4 of 4 ")
    assert "the magnitudes changed" in message.splitlines()[0]


def test_a_nan_result_is_not_called_random_numbers():
    message = _rejection(practice.check_flip_signs, lambda pe, rng: np.full_like(pe, np.nan))
    assert "the magnitudes changed, first at entry [0, 0]" in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message


def test_a_function_that_uses_rng_but_is_not_reproducible_is_named():
    def rng_and_a_fresh_generator(pe, rng):
        rng.random()
        return pe * np.random.default_rng().choice([-1.0, 1.0], size=pe.shape[-1])

    message = _rejection(practice.check_flip_signs, rng_and_a_fresh_generator)
    assert "the same seed gave other signs the second time" in message.splitlines()[0]
    assert "Likely mistake: a new generator (np.random.default_rng())" in message


def test_flip_signs_leaves_np_random_as_it_found_it():
    np.random.seed(123)  # noqa: NPY002 -- the state the check must give back
    expected = np.random.get_state()[1].copy()  # noqa: NPY002
    with pytest.raises(PracticeError):
        practice.check_flip_signs(flips_with_the_legacy_api)
    practice.check_flip_signs(my_flip_signs)
    assert np.array_equal(np.random.get_state()[1], expected)  # noqa: NPY002


def test_checks_are_deterministic():
    first = _rejection(practice.check_flip_signs, flips_per_entry_by_sign)
    assert _rejection(practice.check_flip_signs, flips_per_entry_by_sign) == first
    first = _rejection(practice.check_path_laplacian, laplacian_sorted_descending)
    assert _rejection(practice.check_path_laplacian, laplacian_sorted_descending) == first


# --- stubs, wrong types ------------------------------------------------------------------


@pytest.mark.parametrize("blank", CHECKS)
def test_the_stub_raises_its_own_not_implemented_error(blank):
    text = f"my_{blank} is yours to write: fill in its body in the cell above"

    def stub(*args):
        raise NotImplementedError(text)

    with pytest.raises(NotImplementedError) as info:
        CHECKS[blank](stub)
    assert str(info.value) == text


WRONG_TYPES = [
    (
        "path_laplacian",
        lambda n, k: np.linalg.eigh(_laplacian(n)),
        "it should return an array of shape (10, 3), but returned a EighResult of length 2",
    ),
    (
        "path_laplacian",
        lambda n, k: my_path_laplacian(n, k).T,
        "it returned shape (3, 10), expected (10, 3)",
    ),
    (
        "flip_signs",
        lambda pe, rng: list(my_flip_signs(pe, rng)),
        "it should return an array of shape (10, 3), but returned a list of length 10",
    ),
    (
        "flip_signs",
        lambda pe, rng: my_flip_signs(pe, rng)[:, 0],
        "it returned shape (10,), expected (10, 3), the shape of pe",
    ),
    (
        "flip_signs",
        lambda pe, rng: None,
        "it returned None: did you forget the `return`?",
    ),
    (
        "flip_signs",
        lambda pe, rng: my_flip_signs(pe, rng) > 0,
        "it returned dtype bool: expected numbers, pe times +1 or -1",
    ),
]


@pytest.mark.parametrize(
    ("blank", "wrong", "sentence"), WRONG_TYPES, ids=[s[:30] for *_, s in WRONG_TYPES]
)
def test_a_wrong_type_or_shape_is_one_plain_sentence(blank, wrong, sentence):
    with pytest.raises(PracticeError) as info:
        CHECKS[blank](wrong)
    first = str(info.value).splitlines()[0]
    assert first.startswith(f"✘ {blank}, case 1 of ")
    assert sentence in first
    assert "Traceback" not in str(info.value)


def test_an_error_in_the_learners_code_is_reported_not_raised():
    def crashes(pe, rng):
        return pe * rng.choice([-1.0, 1.0], size=pe.shape[0])

    message = _rejection(practice.check_flip_signs, crashes)
    assert "your function raised ValueError: operands could not be broadcast" in message

    def laplacian_crashes(n, k):
        return np.linalg.eigh(_laplacian(n))[1][:, 1 : k + 1] @ np.ones(n)

    message = _rejection(practice.check_path_laplacian, laplacian_crashes)
    assert "your function raised ValueError: matmul: " in message.splitlines()[0]
    assert "No mistake of the catalogue gives this result" in message


@pytest.mark.parametrize("blank", CHECKS)
def test_a_check_needs_the_function_itself(blank):
    with pytest.raises(TypeError, match=rf"check_{blank}\(my_{blank}\); got float 1.0"):
        CHECKS[blank](1.0)


# --- the registry of blanks ----------------------------------------------------------------


def test_every_blank_has_its_check_its_task_and_its_equation():
    assert sorted(practice.__all__) == sorted(f"check_{blank}" for blank in CHECKS)
    assert sorted(practice.BLANKS) == sorted(f"my_{blank}" for blank in CHECKS)
    for function, blank in practice.BLANKS.items():
        check = f"check_{function.removeprefix('my_')}"
        assert getattr(gl.practice, check) is getattr(practice, check)
        assert gl.practice.BLANKS[function] is blank
        assert set(blank) == {"task", "equation"}
        assert "\n" not in blank["task"] and "\n" not in blank["equation"]
        assert len(blank["equation"]) < 90, function
