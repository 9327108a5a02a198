"""What every practice check is tested for, written once (the learner's solutions that more
than one practice test file builds on are in tests/practice_solutions.py).

A tests/test_practice_<topic>.py marks its functions, written as a learner would:
``@passes(blank, line)`` a right implementation (the check prints ``✔ <blank>: <line>``),
``@named_as(blank, start)`` a mistake the check names (the catalogued mistake whose name
starts with ``start``), ``@refused(blank, sentence)`` a wrong return type, shape or an
error, refused at case 1 with ``sentence``; and gives its catalogues to a ``CheckSuite``
subclass, ``class TestChecks(CheckSuite): catalogues = {blank: catalogue}``, which runs on
them the tests every check passes:

- a right implementation is accepted with its one ✔ line, well under a second;
- every mistake of its catalogue is rejected with that mistake's name, its advice, the
  input, what was expected and what came back; a catalogue has at least four mistakes,
  each with a name and one to three lines of advice;
- mistakes written differently from the catalogue, as a learner would, are named too;
- the blank's stub raises its own ``NotImplementedError``, unchanged;
- a check given something else than a function says so;
- a wrong return type or shape is one plain sentence at case 1, never a traceback;
- a check is deterministic;
- the topic module's blanks are the catalogued ones, registered in ``gl.practice`` with their
  task and equation, each with a right implementation.
"""

from __future__ import annotations

import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import gnnformer_lite as gl
from gnnformer_lite.practice import PracticeError


def rejection(check, fn) -> str:
    """The message of the ``PracticeError`` that ``check(fn)`` raises (the numerical warnings
    of the learner's code, an overflow or a mean of nothing, are not the test's business)."""
    with pytest.raises(PracticeError) as caught, np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            check(fn)
    return str(caught.value)


def first_line(check, fn) -> str:
    """The first line of the rejection, after checking that no traceback is shown."""
    message = rejection(check, fn)
    assert "Traceback" not in message and 'File "' not in message
    return message.splitlines()[0]


def catalogue_name(catalogue, start: str) -> str:
    """The one catalogue entry whose name starts with ``start``."""
    (name,) = [name for name, _, _ in catalogue if name.startswith(start)]
    return name


def _mark(kind: str, blank: str, text: str):
    def mark(fn):  # a function may carry several marks: right for two blanks, say
        fn.practice_tests = [(kind, blank, text), *getattr(fn, "practice_tests", [])]
        return fn

    return mark


def passes(blank: str, line: str):
    """A right implementation of ``blank``: its check prints ``✔ <blank>: <line>``."""
    return _mark("accepted", blank, line)


def named_as(blank: str, start: str):
    """A mistake that ``blank``'s check names: the catalogued one whose name starts so."""
    return _mark("diagnosed", blank, start)


def refused(blank: str, sentence: str):
    """A wrong return type, shape or an error: ``blank``'s check refuses it at case 1 with
    ``sentence`` in one plain line."""
    return _mark("refused", blank, sentence)


class CheckSuite:
    """The tests of one topic module's checks, on the functions its test file marks.

    A subclass named ``Test...`` gives ``catalogues = {blank: catalogue}`` for every blank of
    the module (``"adjacency": practice.ADJACENCY_MISTAKES``).
    """

    catalogues: dict = {}

    def marked(self, kind: str) -> list[tuple]:
        """``[(blank, fn, text)]`` for the test file's functions marked ``kind``, in order."""
        namespace = vars(sys.modules[type(self).__module__])
        functions = [fn for fn in namespace.values() if callable(fn)]
        return [
            (blank, fn, text)
            for fn in functions
            for marked, blank, text in reversed(getattr(fn, "practice_tests", []))
            if marked == kind and blank in self.catalogues
        ]

    def pytest_generate_tests(self, metafunc):
        catalogued = [
            pytest.param(blank, entry, id=f"{blank}: {entry[0][:40]}")
            for blank, catalogue in self.catalogues.items()
            for entry in catalogue
        ]
        tables = {  # the test: the mark it runs on, or the catalogues' entries
            "test_a_right_implementation_passes_with_one_line": "accepted",
            "test_every_catalogued_mistake_is_named": catalogued,
            "test_a_learners_mistake_is_named": "diagnosed",
            "test_a_wrong_type_or_shape_is_one_plain_sentence": "refused",
        }
        table = tables.get(metafunc.function.__name__)
        if isinstance(table, list):
            metafunc.parametrize("blank, mistake", table)
        elif table is not None:
            rows = self.marked(table)
            metafunc.parametrize(
                "blank, fn, text", rows, ids=[f"{blank}: {fn.__name__}" for blank, fn, _ in rows]
            )
        elif "blank" in metafunc.fixturenames:
            metafunc.parametrize("blank", list(self.catalogues))

    def check(self, blank: str):
        return getattr(gl.practice, f"check_{blank}")

    def test_a_right_implementation_passes_with_one_line(self, blank, fn, text, capsys):
        start = time.perf_counter()
        self.check(blank)(fn)
        assert time.perf_counter() - start < 1.0  # fast: well under a second
        assert capsys.readouterr().out == f"✔ {blank}: {text}\n"

    def test_every_catalogued_mistake_is_named(self, blank, mistake):
        name, why, wrong = mistake
        message = rejection(self.check(blank), wrong)
        assert message.startswith(f"✘ {blank}, case ")
        assert f"\nLikely mistake: {name}.\n" in message
        assert why.splitlines()[0] in message
        assert "\ninput:\n" in message and "\nexpected (" in message and "\ngot:\n" in message

    def test_every_catalogue_has_at_least_four_mistakes_with_advice(self, blank):
        catalogue = self.catalogues[blank]
        names = [name for name, _, _ in catalogue]
        assert len(names) >= 4 and len(set(names)) == len(names)
        for name, why, wrong in catalogue:
            assert callable(wrong) and name and not name.endswith(".")
            assert 1 <= len(why.splitlines()) <= 3
            assert all(len(line) <= 96 for line in why.splitlines())

    def test_a_learners_mistake_is_named(self, blank, fn, text):
        name = catalogue_name(self.catalogues[blank], text)
        assert f"\nLikely mistake: {name}.\n" in rejection(self.check(blank), fn)

    def test_an_unwritten_blank_raises_its_own_not_implemented_error(self, blank):
        text = (
            f"my_{blank} is yours to write: fill in its body in the cell under 'x' "
            "(practice/x.ipynb), run that cell, then the check below it"
        )

        def stub(*args):
            raise NotImplementedError(text)

        with pytest.raises(NotImplementedError) as caught:
            self.check(blank)(stub)
        assert str(caught.value) == text

    def test_a_check_needs_the_function_itself(self, blank):
        expected = rf"^check_{blank} takes your function itself, e\.g\. check_{blank}\(my_{blank}\)"
        with pytest.raises(TypeError, match=expected + r"; got float 1\.0$"):
            self.check(blank)(1.0)

    def test_a_wrong_type_or_shape_is_one_plain_sentence(self, blank, fn, text):
        first = first_line(self.check(blank), fn)
        assert first.startswith(f"✘ {blank}, case 1 of ")
        assert text in first

    def test_a_check_is_deterministic(self, blank):
        wrong = self.catalogues[blank][0][2]
        assert rejection(self.check(blank), wrong) == rejection(self.check(blank), wrong)

    def test_the_blanks_are_registered_with_their_task_equation_and_a_right_answer(self):
        blanks = sorted(self.catalogues)
        assert sorted({blank for blank, _, _ in self.marked("accepted")}) == blanks
        (module,) = {sys.modules[self.check(blank).__module__] for blank in blanks}
        assert sorted(module.__all__) == [f"check_{blank}" for blank in blanks]
        assert sorted(module.BLANKS) == [f"my_{blank}" for blank in blanks]
        for function, blank in module.BLANKS.items():
            assert gl.practice.BLANKS[function] is blank
            assert set(blank) == {"task", "equation"}
            assert "\n" not in blank["task"] and "\n" not in blank["equation"]
            # the stub shows the equation as a comment of at most two lines
            assert len(textwrap.wrap(f"# Equation: {blank['equation']}", 96)) <= 2
