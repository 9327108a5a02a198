"""Checks of the blank about random eigenvector sign flips (notebook 09): a property check.

The blank is random, so its check cannot compare with one draw of ``gl.flip_signs``: it
tests properties instead (magnitudes kept, one sign per column, drawn from the ``rng``
given, both signs drawn), with its own loop over the cases instead of ``run_check``.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ..graphs import pad_batch
from ..positional import flip_signs, laplacian_encoding, laplacian_positions
from ..sentences import path_graph
from .harness import NO_MISTAKE, PracticeError, call, describe, likely_mistake, show

__all__ = ["check_flip_signs"]

BLANKS = {
    "my_flip_signs": {
        "task": "pe with each column (eigenvector) times a random sign +1 or -1 drawn from rng",
        "equation": "out[..., m] = s_m * pe[..., m], s_m = +1 or -1 with probability 1/2 each",
    },
}


# --- random sign flips: a property check -------------------------------------------------


def _flip_per_entry(pe, rng):
    return pe * rng.choice([-1.0, 1.0], size=pe.shape)


def _flip_per_row(pe, rng):
    return pe * rng.choice([-1.0, 1.0], size=(*pe.shape[:-1], 1))


def _flip_all_columns(pe, rng):
    return pe * rng.choice([-1.0, 1.0])


def _flip_global(pe, rng):
    return pe * np.random.choice([-1.0, 1.0], size=pe.shape[-1])  # noqa: NPY002 -- the mistake


def _flip_uniform(pe, rng):
    return pe * rng.uniform(-1.0, 1.0, size=pe.shape[-1])


def _flip_zero_one(pe, rng):
    return pe * rng.integers(0, 2, size=pe.shape[-1])


def _flip_per_graph(pe, rng):
    return pe * rng.choice([-1.0, 1.0], size=(*pe.shape[:-2], 1, pe.shape[-1]))


def _flip_shape_1(pe, rng):
    return pe * rng.choice([-1.0, 1.0], size=pe.shape[1])


def _flip_in_place(pe, rng):
    pe *= rng.choice([-1.0, 1.0], size=pe.shape[-1])
    return pe


def _flip_fresh(pe, rng):
    return pe * np.random.default_rng().choice([-1.0, 1.0], size=pe.shape[-1])


def _flip_seeded_inside(pe, rng):
    return pe * np.random.default_rng(1).choice([-1.0, 1.0], size=pe.shape[-1])


def _flip_nothing(pe, rng):
    return pe.copy()


def _flip_all(pe, rng):
    return -pe


def _flip_biased(pe, rng):
    return pe * np.where(rng.random(pe.shape[-1]) < 0.1, -1.0, 1.0)  # a flip 1 time in 10


def _flip_one_column(pe, rng):
    out = pe.copy()
    out[..., rng.integers(pe.shape[-1])] *= -1  # one column chosen, the others kept
    return out


FLIP_MISTAKES = [
    (
        "one sign per entry instead of one per column",
        "Flipping single entries breaks the eigenvector (v with some entries negated is no\n"
        "eigenvector). Draw k = pe.shape[-1] signs, s = rng.choice([-1.0, 1.0], size=k),\n"
        "and return pe * s: column m is multiplied by s[m] in every row.",
        _flip_per_entry,
    ),
    (
        "one sign per row (node) instead of one per column",
        "A sign belongs to an eigenvector, a column, and every node (row) shares it: draw\n"
        "s = rng.choice([-1.0, 1.0], size=pe.shape[-1]); pe * s broadcasts it down the rows.",
        _flip_per_row,
    ),
    (
        "one sign for all the columns",
        "rng.choice([-1.0, 1.0]) without size= draws one sign, and the eigenvectors flip\n"
        "together; each is flipped on its own: size=pe.shape[-1].",
        _flip_all_columns,
    ),
    (
        "np.random's global state instead of the rng given",
        "np.random.choice ignores rng: the same seed no longer gives the same signs, and any\n"
        "np.random call elsewhere changes yours. Draw from the generator given: rng.choice.",
        _flip_global,
    ),
    (
        "random numbers instead of random signs",
        "rng.uniform or rng.normal change the magnitudes |pe|; a sign is exactly +1 or -1:\n"
        "rng.choice([-1.0, 1.0], size=pe.shape[-1]).",
        _flip_uniform,
    ),
    (
        "signs 0 or 1: rng.integers(0, 2) without 2 s - 1",
        "rng.integers(0, 2) draws 0 or 1, and 0 erases the column. Map it to -1 or +1 with\n"
        "2 * rng.integers(0, 2, size=k) - 1, or use rng.choice([-1.0, 1.0], size=k).",
        _flip_zero_one,
    ),
    (
        "a sign per graph of the batch instead of one per column for the whole batch",
        "For a padded batch (B, L, k), gl.flip_signs (as Dwivedi & Bresson's code) draws k\n"
        "signs shared by every graph: size=pe.shape[-1], broadcast over B and L.",
        _flip_per_graph,
    ),
    (
        "the number of columns taken as pe.shape[1]",
        "For one graph (n, k) it is k, but a padded batch is (B, L, k) and pe.shape[1] is L:\n"
        "the columns are the last axis, size=pe.shape[-1].",
        _flip_shape_1,
    ),
    (
        "pe changed in place (pe *= s)",
        "The caller's positions are flipped too, and flipped again at the next call:\n"
        "return a new array, pe * s.",
        _flip_in_place,
    ),
    (
        "a new generator (np.random.default_rng()) instead of the rng given",
        "An unseeded generator gives other signs on every run: nothing is reproducible.\n"
        "Draw from the generator given: s = rng.choice([-1.0, 1.0], size=pe.shape[-1]).",
        _flip_fresh,
    ),
    (
        "a generator seeded inside the function",
        "np.random.default_rng(1) inside gives the same signs at every call: the model never\n"
        "sees the other signs. Draw from the generator given: rng.choice(...).",
        _flip_seeded_inside,
    ),
    (
        "pe returned unchanged: no sign drawn",
        "Draw one sign per column from the generator given, s = rng.choice([-1.0, 1.0],\n"
        "size=pe.shape[-1]), and return pe * s.",
        _flip_nothing,
    ),
    (
        "every column flipped at every call (-pe): no sign drawn",
        "A sign flip is random, a fair coin per column: s = rng.choice([-1.0, 1.0],\n"
        "size=pe.shape[-1]), then pe * s. Always -pe is one fixed sign, never the other.",
        _flip_all,
    ),
    (
        "a sign flipped with a probability other than 1/2",
        "Each sign is a fair coin: rng.choice([-1.0, 1.0], size=k), or\n"
        "np.where(rng.random(k) < 0.5, -1.0, 1.0). A rarer flip trains on one sign mostly.",
        _flip_biased,
    ),
    (
        "one column flipped per call, not an independent sign per column",
        "Every column gets its own coin, all k at once: s = rng.choice([-1.0, 1.0], size=k).\n"
        "Choosing one column to flip ties the columns: all kept or all flipped never happens.",
        _flip_one_column,
    ),
]
_FLIP = {wrong.__name__.removeprefix("_flip_"): (name, why) for name, why, wrong in FLIP_MISTAKES}

_DRAWS = 20  # calls with one generator: each column must show both signs
_FAIR_DRAWS = 400  # ... and over this many, each flipped about half the time, independently


def _chain(n: int, k: int) -> np.ndarray:
    """The Laplacian positions of the sentence as a chain: ``(n, k)``."""
    return laplacian_encoding(path_graph(n), k)


def _flip_cases() -> list:
    """``(label, pe, seed)``: the inputs of the four cases of ``check_flip_signs``."""
    batch = pad_batch(laplacian_positions([path_graph(n) for n in (10, 4, 3)], 3))[0]
    return [  # seeds whose draw flips some columns and keeps others
        ("the sentence's Laplacian positions (10, 3)", _chain(10, 3), 1),
        ("a padded batch (3, 10, 3) of graphs of 10, 4 and 3 nodes", batch, 2),
        ("drawn from rng: 8 columns, the same seed twice", _chain(10, 8), 5),
        (f"{_DRAWS} draws from one generator: both signs in every column", _chain(10, 3), 3),
    ]


def _pad(text: str) -> str:
    """``text`` indented by 4 spaces, blank lines left empty (the messages of this check have
    always printed a padded batch's blank lines so; ``harness.indent`` pads them too)."""
    return textwrap.indent(text, "    ")


def _global_state() -> tuple:
    state = np.random.get_state(legacy=False)  # noqa: NPY002 -- watched, not used
    inner = state["state"]
    return inner["key"].tobytes(), inner["pos"], state["has_gauss"], state["gauss"]


def _draw(fn, pe, rng):
    """``(result, pe as fn left it, np.random's global state used?, rng used?)``."""
    __tracebackhide__ = True
    given, before_global, before_rng = pe.copy(), _global_state(), rng.bit_generator.state
    got = call(fn, (given, rng))
    return got, given, _global_state() != before_global, rng.bit_generator.state != before_rng


def _per_column_signs(pe, got) -> tuple[str, str] | None:
    """``(problem, mistake)`` if ``got`` is not ``pe`` times one sign per column, else None."""
    if isinstance(got, Exception):
        mistake = "shape_1" if pe.ndim == 3 and "broadcast" in str(got) else ""
        return f"your function raised {type(got).__name__}: {got}", mistake
    if got is None:
        return "it returned None: did you forget the `return`?", ""
    if not isinstance(got, np.ndarray):
        return f"it should return an array of shape {pe.shape}, but returned {describe(got)}", ""
    if got.shape != pe.shape:
        return f"it returned shape {got.shape}, expected {pe.shape}, the shape of pe", ""
    if got.dtype.kind not in "iuf":
        return f"it returned dtype {got.dtype}: expected numbers, pe times +1 or -1", ""
    bad = ~np.isclose(np.abs(got), np.abs(pe), rtol=1e-9, atol=1e-12)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        if np.all(got[bad] == 0):
            mistake = "zero_one"
        else:
            mistake = "uniform" if np.isfinite(got).all() else ""
        return (
            f"the magnitudes changed, first at entry {list(where)}: |pe| = {abs(pe[where]):.6g}, "
            f"yours {abs(got[where]):.6g} (a sign flip keeps |pe|)"
        ), mistake
    same = np.sign(got) * np.sign(pe)  # +1: kept, -1: flipped, 0: pe = 0
    plus, minus = same > 0, same < 0

    def mixed(axis):  # some entries kept and some flipped along ``axis``
        return np.any(plus, axis=axis) & np.any(minus, axis=axis)

    column = mixed(tuple(range(pe.ndim - 1)))
    if not column.any():
        return None
    problem = f"column {int(np.flatnonzero(column)[0])} has entries flipped and entries not"
    if pe.ndim == 3 and not mixed(1).any():
        return problem + ": one sign per column, shared by every graph of the batch", "per_graph"
    return problem + ": one sign per column", ("per_entry" if mixed(-1).any() else "per_row")


def _flip_failure(fn) -> str | None:
    """The message of the first case that fails (None: all pass)."""
    __tracebackhide__ = True
    cases = _flip_cases()
    for number, (label, pe, seed) in enumerate(cases, start=1):
        rng_text = f"np.random.default_rng({seed})"
        example = flip_signs(pe, np.random.default_rng(seed))
        expected = f"pe times one sign per column, e.g. gl.flip_signs(pe, {rng_text}):\n"
        expected += _pad(show(example))
        got, given, global_used, rng_used = _draw(fn, pe, np.random.default_rng(seed))
        found = _per_column_signs(pe, got)
        if found is None and not np.array_equal(given, pe):
            found = "the result is right, but your function changed pe in place", "in_place"
        if found is None and number == 3:
            found, expected, rng_text = _from_rng(fn, pe, seed, got, global_used, rng_used)
        if found is None and number == 4:
            found, got, expected, rng_text = _both_signs(fn, pe, seed, got)
        if found is None:
            continue
        problem, mistake = found
        diagnosis = likely_mistake(*_FLIP[mistake]) if mistake else NO_MISTAKE
        inputs = f"pe =\n{_pad(show(pe))}\nrng = {rng_text}"
        return (
            f"✘ flip_signs, case {number} of {len(cases)} ({label}): {problem}\n{diagnosis}\n"
            f"input:\n{_pad(inputs)}\nexpected (gl.flip_signs): {expected}\n"
            f"got:\n{_pad(show(got))}"
        )
    return None


def _from_rng(fn, pe, seed, got, global_used, rng_used):
    """Case 3: the signs come from ``rng``: the same seed gives the same signs."""
    __tracebackhide__ = True
    rng_text = f"np.random.default_rng({seed}), twice"
    expected = "signs drawn from rng, the same both times"
    if global_used:
        return ("it drew from np.random's global state", "global"), expected, rng_text
    again = _draw(fn, pe, np.random.default_rng(seed))[0]
    if not rng_used:
        if np.array_equal(got, pe):
            mistake = "nothing"
        elif np.array_equal(got, -pe):
            mistake = "all"
        else:
            mistake = "seeded_inside" if np.array_equal(again, got) else "fresh"
        return ("it did not draw from the rng it was given", mistake), expected, rng_text
    if not (isinstance(again, np.ndarray) and np.array_equal(again, got)):
        return ("the same seed gave other signs the second time", "fresh"), expected, rng_text
    return None, expected, rng_text


def _both_signs(fn, pe, seed, first):
    """Case 4: over ``_DRAWS`` calls with one generator, every column is flipped and not."""
    __tracebackhide__ = True
    rng = np.random.default_rng(seed)
    rng_text = f"np.random.default_rng({seed}), called {_DRAWS} times"
    expected = (
        f"each column +1 in some draws and -1 in others; below, the signs of your "
        f"{_DRAWS} draws, one row per draw"
    )
    signs = []
    for _ in range(_DRAWS):
        got = call(fn, (pe.copy(), rng))
        found = _per_column_signs(pe, got)
        if found is not None:
            return found, got, expected, rng_text
        signs.append(np.sign((got * pe).sum(axis=0)))  # s_m |pe[:, m]|^2
    signs = np.array(signs)
    if np.all(signs == signs[:, :1]):
        problem = f"in each of the {_DRAWS} draws all the columns got the same sign"
        return (problem, "all_columns"), signs, expected, rng_text
    one_sign = np.flatnonzero(np.all(signs == signs[:1], axis=0))
    if one_sign.size:
        m = int(one_sign[0])
        problem = f"column {m} got the sign {signs[0, m]:+.0f} in all {_DRAWS} draws"
        return (problem, ""), signs, expected, rng_text
    found = _fair_coins(fn, pe, rng, signs)
    if found is not None:
        return found, signs, expected, rng_text
    return None, first, expected, rng_text


def _fair_coins(fn, pe, rng, signs) -> tuple[str, str] | None:
    """Over ``_FAIR_DRAWS`` draws: not the same number of columns flipped every time (one coin
    per column), and each column flipped 35-65 % of the time (a fair coin)."""
    __tracebackhide__ = True
    for _ in range(_FAIR_DRAWS - len(signs)):
        got = call(fn, (pe.copy(), rng))
        found = _per_column_signs(pe, got)
        if found is not None:
            return found
        signs = np.vstack([signs, np.sign((got * pe).sum(axis=0))])
    flipped = signs < 0
    count = flipped.sum(axis=1)  # columns flipped in each draw
    if np.all(count == count[0]):
        problem = (
            f"in each of {len(signs)} draws exactly {count[0]} of the {pe.shape[-1]} columns "
            "were flipped: each column should get its own coin"
        )
        return problem, "one_column"
    rate = flipped.mean(axis=0)
    m = int(np.argmax(np.abs(rate - 0.5)))
    if abs(rate[m] - 0.5) > 0.15:  # a fair coin: 50 % +- 2.5 % over 400 draws
        problem = f"over {len(signs)} draws column {m} was flipped in {rate[m]:.0%} of them"
        return problem + ": each sign should come with probability 1/2", "biased"
    return None


def check_flip_signs(fn) -> None:
    """Check ``fn(pe, rng)``: ``pe`` times one random sign per column, drawn from ``rng``.

    A random result cannot be compared with one draw of ``gl.flip_signs``, so the check
    tests its properties, smallest case first: the magnitudes of ``pe`` kept and one sign
    per column shared by all rows; the same for every graph of a padded batch; drawn from
    ``rng`` (not ``np.random``'s global state), the same seed giving the same signs; both
    signs in every column over ``_DRAWS`` draws. ``np.random``'s global state is restored.
    """
    __tracebackhide__ = True
    if not callable(fn):
        raise TypeError(
            "check_flip_signs takes your function itself, e.g. check_flip_signs(my_flip_signs); "
            f"got {describe(fn)}"
        )
    saved = np.random.get_state()  # noqa: NPY002 -- restored after the check
    try:
        failure = _flip_failure(fn)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    if failure is not None:
        raise PracticeError(failure)
    print(
        f"✔ flip_signs: {len(_flip_cases())} cases agree with gl.flip_signs "
        "(|pe| kept, one sign per column drawn from rng, both signs drawn)"
    )
