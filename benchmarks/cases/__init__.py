"""The benchmark cases, one module each, in the order ``run.py`` runs them.

A case module has ``run(ctx)`` (see ``benchmarks/harness.py``: ``Context``) and two
dicts of sizes, ``FULL`` and ``QUICK`` (``--quick``), merged into ``ctx.sizes`` (so their
keys carry the case's prefix). Its ``TARGET_*`` constants are listed in results.json.
To add a case: write ``benchmarks/cases/<name>.py`` and add one line below.
"""

from benchmarks.cases import course, dense, layers, notebooks, propagate, softmax, training, window

# The course's sizes first, in a fresh process: after the 1M-edge cases the heap is large
# and the small calls ran up to 1.7x slower. (The training steps run in a child process of
# their own: run.ISOLATED.)
CASES = {
    "course": course,
    "propagate": propagate,
    "softmax": softmax,
    "dense": dense,
    "window": window,
    "layers": layers,
    "training": training,
    "notebooks": notebooks,
}


def default(quick: bool) -> list[str]:
    """The cases run when none are named: all, but ``--quick`` leaves out ``QUICK = None``."""
    return [name for name, case in CASES.items() if not quick or case.QUICK is not None]


def sizes(quick: bool) -> dict:
    """Every case's ``QUICK`` (or ``FULL``) sizes, in one dict."""
    chosen = [(case.QUICK if quick else None) or case.FULL for case in CASES.values()]
    return {k: v for sizes in chosen for k, v in sizes.items()}


def targets() -> dict:
    """Every case's ``TARGET_*`` constants: name -> largest acceptable value."""
    return {
        k: v for case in CASES.values() for k, v in vars(case).items() if k.startswith("TARGET_")
    }
