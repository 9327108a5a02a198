"""The machinery of the practice checks (gnnformer_lite.practice.harness).

``compare`` says in one plain sentence how a result differs (type, shape, dtype, None,
NaN, entries, graphs); ``run_check`` prints one ✔ line or raises ``PracticeError``;
``diagnose`` names the catalogued mistake that gives the learner's result, or says that
none does; ``show`` and ``describe`` print values for the message, ``indent`` lays them out.
"""

from __future__ import annotations

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError, harness
from gnnformer_lite.practice.harness import (
    NO_MISTAKE,
    call,
    compare,
    describe,
    diagnose,
    indent,
    likely_mistake,
    run_check,
    show,
)

TOL = {"atol": 1e-6, "rtol": 1e-5}


def double(x):
    return 2 * x


def double_in_place(x):
    x *= 2
    return x


def add_one(x):
    return x + 1


CASES = [("three numbers", (np.array([1.0, 2.0, 3.0]),)), ("float32", (np.ones(2, np.float32),))]
CATALOGUE = [("one added instead of doubling", "Multiply by 2: 2 * x.", add_one)]


# --- compare: one plain sentence -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "got", "sentence"),
    [
        (
            np.zeros(3),
            [0, 0, 0],
            "it should return an array of shape (3,), but returned a list of length 3",
        ),
        (
            np.zeros(3),
            (0, 0),
            "it should return an array of shape (3,), but returned a tuple of length 2",
        ),
        (np.zeros(3), "abc", "it should return an array of shape (3,), but returned str 'abc'"),
        (np.zeros((2, 3)), np.zeros((3, 2)), "it returned shape (3, 2), expected (2, 3)"),
        (np.zeros(3), None, "it returned None: did you forget the `return`?"),
        (
            np.zeros(3),
            np.array([0.0, np.nan, 0.0]),
            "it returned NaN, first at entry [1]: expected 0, got nan",
        ),
        (
            np.array([1.0, 2.0]),
            np.array([1.0, 2.5]),
            "the entries differ, first at entry [1]: expected 2, got 2.5",
        ),
        (
            np.array([True, False]),
            np.array([True, True]),
            "the entries differ, first at entry [1]: expected 0, got 1",
        ),
        (
            ValueError,
            ValueError("shapes (2,) (3,)"),
            "your function raised ValueError: shapes (2,) (3,)",
        ),
        (
            (np.zeros(2), np.zeros(2)),
            np.zeros(2),
            "it should return a tuple of 2 values, but returned an ndarray of shape (2,) and "
            "dtype float64",
        ),
        (
            (np.zeros(2), np.zeros(2)),
            (np.zeros(2),),
            "it should return a tuple of 2 values, but returned a tuple of length 1",
        ),
        (
            (np.zeros(2), np.zeros(2)),
            [np.zeros(2), np.ones(2)],
            "in the returned value number 2, the entries differ, first at entry [0]: expected 0, "
            "got 1",
        ),
        (
            {"a": np.zeros(1)},
            {"b": np.zeros(1)},
            "it should return a dict with keys ['a'], got dict",
        ),
        (
            {"a": np.zeros(1)},
            np.zeros(1),
            "it should return a dict with keys ['a'], got an ndarray",
        ),
        (
            {"a": np.zeros(1)},
            {"a": None},
            "in ['a'], it returned None: did you forget the `return`?",
        ),
        (np.float64(0.5), "half", "it should return a number, but returned str 'half'"),
        (np.float64(0.5), 0.25, "it returned 0.25, expected 0.5"),
    ],
)
def test_compare_says_how_in_one_sentence(expected, got, sentence):
    problem = compare(expected, got, **TOL)
    assert problem is not None and problem.startswith(sentence)
    assert "\n" not in problem


def test_compare_dtype_only_when_asked():
    expected, got = np.zeros(2, np.float32), np.zeros(2)
    assert compare(expected, got, **TOL) is None
    assert compare(expected, got, same_dtype=True, **TOL) == (
        "it returned dtype float64 for float32 input: keep the input's dtype"
    )


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9])),
        (np.array([True, False]), np.array([True, False])),
        (np.float64(0.5), 0.5),
        (np.float64(0.5), np.float64(0.5 + 1e-9)),
        ((np.zeros(2), {"a": np.ones(1)}), [np.zeros(2), {"a": np.ones(1)}]),
        (gl.path_graph(3), gl.Graph([1, 0, 2, 1], [0, 1, 1, 2], 3)),
    ],
)
def test_compare_accepts_equal_results(expected, got):
    assert compare(expected, got, **TOL) is None


def test_compare_graphs_names_the_edges():
    path = gl.path_graph(3)
    assert compare(path, np.eye(3), **TOL) == (
        "it should return a gl.Graph, but returned an ndarray of shape (3, 3) and dtype float64"
    )
    assert compare(path, gl.path_graph(4), **TOL) == ("it returned a graph on 4 nodes, expected 3")
    assert compare(path, gl.Graph([0, 2], [1, 0], 3), **TOL) == (
        "3 edges missing, e.g. 1 -> 0, 1 -> 2, 2 -> 1; 1 edges too many, e.g. 2 -> 0 "
        "(an edge j -> i is sender j, receiver i)"
    )
    many = gl.complete_graph(4)
    assert compare(many, gl.Graph([], [], 4), **TOL).startswith(
        "16 edges missing, e.g. 0 -> 0, 0 -> 1, 0 -> 2, 0 -> 3, 1 -> 0, ... (an edge"
    )


# --- run_check: the ✔ line, PracticeError, the blank's own NotImplementedError -------------------


def test_a_pass_is_one_line(capsys):
    run_check("double", double, CASES, double, "gl.double", CATALOGUE)
    assert capsys.readouterr().out == "✔ double: 2 cases agree with gl.double\n"


def test_a_failure_names_the_mistake_the_case_and_the_input():
    with pytest.raises(PracticeError) as caught:
        run_check("double", add_one, CASES, double, "gl.double", CATALOGUE)
    message = str(caught.value)
    assert message.splitlines()[:3] == [
        "✘ double, case 1 of 2 (three numbers): the entries differ, first at entry [1]: "
        "expected 4, got 3",
        "Likely mistake: one added instead of doubling.",
        "    Multiply by 2: 2 * x.",
    ]
    assert "input:\n    x = [1. 2. 3.]   (shape (3,), float64)" in message
    assert "expected (gl.double):\n    [2. 4. 6.]" in message
    assert "got:\n    [2. 3. 4.]" in message


def test_no_catalogued_mistake_says_so():
    def triple(x):
        return 3 * x

    with pytest.raises(PracticeError) as caught:
        run_check("double", triple, CASES, double, "gl.double", CATALOGUE)
    assert "\nNo mistake of the catalogue gives this result: compare your lines with the " in str(
        caught.value
    )


def test_diagnose_needs_a_result_that_differs_from_the_expected_one():
    args, expected = (np.ones(2),), np.full(2, 2.0)
    found = diagnose([("doubling", "", double)], args, expected, expected, **TOL)
    assert found == NO_MISTAKE and found.startswith("No mistake of the catalogue")


def test_a_diagnosis_names_the_mistake_then_indents_the_advice():
    assert likely_mistake("one added", "Multiply by 2:\n2 * x.") == (
        "Likely mistake: one added.\n    Multiply by 2:\n    2 * x."
    )


def test_a_function_that_changes_its_input_is_told_so():
    with pytest.raises(PracticeError) as caught:
        run_check("double", double_in_place, CASES, double, "gl.double")
    assert str(caught.value).splitlines()[0] == (
        "✘ double, case 1 of 2 (three numbers): the result is right, but your function changed "
        "its argument number 1 in place: compute a new array instead (e.g. x = x - m, not x -= m)"
    )


def test_a_mistake_that_changes_its_input_is_diagnosed_by_the_change():
    catalogue = [
        ("adds one", "", add_one),
        ("doubled, but a new array", "", double),  # the same result, the input unchanged
        ("doubled in place", "Compute a new array: 2 * x.", double_in_place),
    ]
    with pytest.raises(PracticeError) as caught:
        run_check("double", double_in_place, CASES, double, "gl.double", catalogue)
    assert "Likely mistake: doubled in place." in str(caught.value)


def test_an_unwritten_blank_raises_its_own_error():
    def blank(x):
        raise NotImplementedError("my_double is yours to write")

    with pytest.raises(NotImplementedError, match="^my_double is yours to write$"):
        run_check("double", blank, CASES, double, "gl.double", CATALOGUE)


def test_an_error_of_the_learner_is_the_result():
    def broken(x):
        return x @ np.ones((5, 5))

    with pytest.raises(PracticeError) as caught:
        run_check("double", broken, CASES, double, "gl.double", [("matmul", "", broken)])
    message = str(caught.value)
    assert message.splitlines()[0].startswith(
        "✘ double, case 1 of 2 (three numbers): your function raised ValueError: matmul:"
    )
    assert "Likely mistake: matmul." in message and "Traceback" not in message


def test_not_a_function():
    with pytest.raises(TypeError, match=r"^check_double takes your function itself, e\.g\. "):
        run_check("double", np.ones(3), CASES, double, "gl.double")


def test_compare_with_replaces_compare():
    def up_to_sign(expected, got):
        return None if np.allclose(np.abs(got), np.abs(expected)) else "not even up to sign"

    run_check("double", lambda x: -2 * x, CASES, double, "gl.double", compare_with=up_to_sign)
    with pytest.raises(PracticeError, match="not even up to sign"):
        run_check("double", add_one, CASES, double, "gl.double", compare_with=up_to_sign)
    with pytest.raises(PracticeError, match="your function raised ZeroDivisionError"):
        run_check("double", lambda x: 1 / 0, CASES, double, "gl.double", compare_with=up_to_sign)


def test_same_results():
    same = harness._same
    assert same(ValueError("a"), ValueError("a"), **TOL)
    assert not same(ValueError("a"), ValueError("b"), **TOL)  # another message: another mistake
    assert not same(ValueError("a"), TypeError("a"), **TOL)
    assert not same(ValueError("a"), np.zeros(1), **TOL)
    assert same((np.zeros(1), [1.0]), [np.zeros(1), np.array([1.0])], **TOL)
    assert not same((np.zeros(1),), (np.zeros(1), np.zeros(1)), **TOL)
    assert same(gl.path_graph(3), gl.path_graph(3), **TOL)
    assert not same(gl.path_graph(3), np.zeros(3), **TOL)
    assert same({"a": np.ones(2)}, {"a": np.ones(2)}, **TOL)
    assert not same({"a": np.ones(2)}, {"b": np.ones(2)}, **TOL)
    assert same(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), **TOL)
    assert not same(np.zeros(2), np.zeros(3), **TOL)
    assert not same("text", np.zeros(1), **TOL)
    assert not same(np.zeros(1), [1, [2]], **TOL)


# --- show and describe -----------------------------------------------------------------------


def test_show_prints_every_kind_of_value():
    assert show(ValueError("bad")) == "ValueError: bad"
    assert show(np.array([0.123456, 1.0])) == "[0.1235 1.    ]   (shape (2,), float64)"
    assert show((np.zeros(1), 3)) == "[0] [0.]   (shape (1,), float64)\n[1] 3"
    assert show({"W": np.ones(1), "ln": {"gamma": np.ones(1)}}) == (
        "'W': [1.]   (shape (1,), float64)\n'ln':\n    'gamma': [1.]   (shape (1,), float64)"
    )
    assert show(gl.path_graph(2)) == "Graph(num_nodes=2, num_edges=2): edges 1 -> 0, 0 -> 1"
    assert show(0.5) == "0.5" and len(show("x" * 500)) == 200


def test_show_prints_functions_by_name_not_address():
    assert show(gl.relu) == "gl.relu"
    assert show(np.tanh) == "np.tanh"
    assert show(lambda x: x) == "lambda"
    assert show(len) == "len"
    assert show(double) == "double"

    def nowhere(x):
        return x

    nowhere.__module__ = None
    assert show(nowhere) == "nowhere"


def test_describe():
    assert describe(np.zeros((2, 3), np.float32)) == "an ndarray of shape (2, 3) and dtype float32"
    assert describe([1, 2]) == "a list of length 2"
    assert describe((1,)) == "a tuple of length 1"
    assert describe(0.5) == "float 0.5"


def test_inputs_are_named_after_the_learners_arguments():
    assert harness._inputs(double, (np.arange(100.0),)) == (
        "input:\n    x = [ 0.  1.  2.  3. ... 96. 97. 98. 99.]   (shape (100,), float64)"
    )
    assert harness._inputs(double, (np.eye(2),)) == (
        "input:\n    x =\n        [[1. 0.]\n         [0. 1.]]   (shape (2, 2), float64)"
    )
    assert harness._inputs(print, (1, 2)) == "input:\n    argument 1 = 1\n    argument 2 = 2"


def test_the_first_difference_of_equal_scalars():
    assert harness._first_difference(np.float64(1.0), np.float64(1.0)) == (
        "entry []: expected 1, got 1"
    )


def test_indent_pads_every_line_a_blank_one_too():
    assert indent("a\n\nb") == "    a\n    \n    b"
    assert indent("a", spaces=2) == "  a"


def test_call_returns_the_learners_error_but_lets_an_unwritten_blank_raise():
    assert call(double, (np.ones(1),)).tolist() == [2.0]
    error = call(lambda x: 1 / x, (0,))
    assert isinstance(error, ZeroDivisionError)

    def blank(x):
        raise NotImplementedError("my_double is yours to write")

    with pytest.raises(NotImplementedError, match="^my_double is yours to write$"):
        call(blank, (1,))
