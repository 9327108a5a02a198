"""The report: rows of the tables, ``results.md``, ``results.json`` (the plot: ``plot.py``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from benchmarks import THREADS
from benchmarks.harness import NOISY_CPUS, Timing, fmt_timing
from benchmarks.machine import blas_summary
from benchmarks.plot import plot_window, window_title

# Course sizes: a public function may take this many times the textbook lines ...
COURSE_RATIO = 1.2
# ... or this many seconds more than them, whichever allows more.
COURSE_EXTRA_SECONDS = 15e-6


@dataclasses.dataclass
class Row:
    """One row of the gnnformer_lite vs torch/PyG table."""

    case: str
    what: str
    size: str
    ours: Timing | float | str | None  # a Timing, a number for kind="slope", or an error
    ref_name: str = "—"
    ref: Timing | float | str | None = None  # a status string when the reference did not run
    target: float | None = None  # ratio (kind "time") or value (kind "slope") not to exceed
    work: float | None = None  # bytes or flops of one call (the minimum any implementation needs)
    unit: str = ""  # "GB/s" or "GFLOP/s"
    limit: float | None = None  # this machine's limit, in `unit`
    kind: str = "time"
    table: str = "results"  # or "training": the training-step table

    def ratio(self) -> float | None:
        if isinstance(self.ours, Timing) and isinstance(self.ref, Timing):
            return self.ours.median / self.ref.median
        return None

    def met(self) -> bool | None:
        if self.target is None:
            return None
        if self.kind == "slope":
            return None if self.ours is None else self.ours <= self.target
        ratio = self.ratio()
        return None if ratio is None else ratio <= self.target

    def effective(self) -> float | None:
        if not isinstance(self.ours, Timing) or self.work is None:
            return None
        return self.work / self.ours.median / 1e9

    def cells(self) -> list[str]:
        if self.kind == "slope":
            ours = "—" if self.ours is None else f"slope {self.ours:.2f}"
            if self.ref is None or isinstance(self.ref, str):
                ref = self.ref or "—"
            else:
                ref = f"slope {self.ref:.2f}"
            target = "—" if self.target is None else f"slope ≤ {self.target:g}"
            ratio = "—"
        else:
            ours = cell(self.ours)
            ref = cell(self.ref)
            r = self.ratio()
            ratio = "—" if r is None else f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"
            target = "—" if self.target is None else f"≤ {self.target:g}×"
        met = {None: "—" if self.target is None else "n/a", True: "yes", False: "**no**"}
        eff = self.effective()
        eff_txt = "—" if eff is None else f"{eff:.3g} {self.unit}"
        pct = "—" if eff is None or not self.limit else f"{100 * eff / self.limit:.0f} %"
        cells = [self.case, self.what, self.size, ours, self.ref_name, ref, ratio, target]
        return cells + [met[self.met()], eff_txt, pct]

    def to_json(self) -> dict:
        extra = {"ratio": self.ratio(), "met": self.met(), "effective": self.effective()}
        return dataclasses.asdict(self) | extra


@dataclasses.dataclass
class CourseRow:
    """One row of the course-sizes table: a public function against its textbook lines."""

    example: str  # "10-word sentence", "karate club", ...
    function: str  # "gl.graph_attention"
    size: str
    textbook: Timing | str | None  # a status string when it did not run
    package: Timing | str | None

    def extra(self) -> float | None:
        """Seconds per call the package takes beyond the textbook lines."""
        if isinstance(self.textbook, Timing) and isinstance(self.package, Timing):
            return self.package.median - self.textbook.median
        return None

    def ratio(self) -> float | None:
        if self.extra() is None:
            return None
        return self.package.median / self.textbook.median

    def met(self) -> bool | None:
        """At most COURSE_RATIO times the textbook, or COURSE_EXTRA_SECONDS more."""
        if self.extra() is None:
            return None
        return self.ratio() <= COURSE_RATIO or self.extra() <= COURSE_EXTRA_SECONDS

    def cells(self) -> list[str]:
        r, extra, met = self.ratio(), self.extra(), self.met()
        return [
            self.example,
            self.function,
            self.size,
            cell(self.textbook),
            cell(self.package),
            "—" if r is None else f"{r:.2f}×",
            "—" if extra is None else f"{extra * 1e6:+.1f} µs",
            {None: "n/a", True: "yes", False: "**no**"}[met],
        ]

    def to_json(self) -> dict:
        extra = {"ratio": self.ratio(), "extra_s": self.extra(), "met": self.met()}
        return dataclasses.asdict(self) | extra


def cell(t) -> str:
    """A Timing's median (with † if noisy), or the status text, or a dash."""
    if isinstance(t, Timing):
        return fmt_timing(t)
    return "—" if t is None else t


TABLE_HEADER = [
    "case", "benchmark (ours)", "size", "gnnformer_lite", "reference", "reference time",
    "ours / ref", "target", "met?", "ours effective", "% of machine limit",
]  # fmt: skip
TRAINING_HEADER = [
    "model (notebook)", "batch", "NumPy step", "torch reference", "torch step", "NumPy / torch",
    "target", "met?",
]  # fmt: skip
COURSE_HEADER = [
    "example", "function", "size", "textbook lines", "gnnformer_lite", "package / textbook",
    "+µs", "target met?",
]  # fmt: skip


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def window_table(window: dict) -> str:
    header = ["n", "edges"] + [c["label"] for c in window["curves"].values()]
    header.append("ours sparse / torch gather/scatter")
    rows = []
    curves = window["curves"]
    for i, (n, e) in enumerate(zip(window["ns"], window["edges"], strict=True)):
        row = [str(n), str(e)]
        row += [c["cells"][i] for c in curves.values()]
        ours_t, ref_t = curves["sparse"]["times"][i], curves["torch_sparse"]["times"][i]
        row.append(f"{ours_t / ref_t:.3g}×" if ours_t and ref_t else "—")
        rows.append(row)
    slope_row = [f"slope (n ≥ {window['slope_min_n']})", ""]
    for c in curves.values():
        slope_row.append("—" if c["slope"] is None else f"{c['slope']:.2f}")
    rows.append(slope_row + [""])
    return markdown_table(header, rows)


# --- results.md ---------------------------------------------------------------------------


def render_markdown(ctx, meta: dict) -> str:
    """The whole ``results.md``: header, machine, limits, tables, failures, notes."""
    lines = header_lines(meta) + machine_lines(meta) + limits_lines(ctx.limits)
    if any(row.table == "results" for row in ctx.rows):
        lines += [
            "",
            "## Results",
            "",
            f"Times are per call: the median of {ctx.reps} repetitions after one warm-up (fast "
            "calls are looped within a repetition). *ours / ref* < 1 means gnnformer_lite is "
            "faster. *Effective* throughput counts the minimal bytes read and written (GB/s, "
            "against the `np.sum` bandwidth, which data in cache can exceed) or the useful "
            "matmul flops (GFLOP/s, against the float32 matmul rate).",
            "",
            tables(ctx)["results"],
        ]
    lines += training_lines(ctx, meta["machine"]["cpu"])
    if ctx.window is not None:
        lines += [
            "",
            "## Sparse window attention vs sentence length",
            "",
            f"{window_title(ctx.window).capitalize()}. Slopes: `np.polyfit` of log time on log "
            f"n over n ≥ {ctx.window['slope_min_n']} (1 = linear, 2 = quadratic).",
            "",
            window_table(ctx.window),
            "",
            "![time vs n, log-log](window_attention.png)",
        ]
    lines += course_lines(ctx, meta["machine"]["cpu"])
    for section in ctx.sections:  # a case's own section: a function of the machine's description
        lines += section(meta["machine"])
    if ctx.failures:
        lines += ["", "## Failures", ""] + [f"- {f}" for f in ctx.failures]
    return "\n".join(lines + notes_lines(ctx)) + "\n"


def header_lines(meta: dict) -> list[str]:
    lines = [
        "# gnnformer_lite vs PyTorch / PyTorch Geometric",
        "",
        f"Generated {meta['date']} by `{meta['command']}` in {meta['elapsed_s']:.0f} s "
        f"on {meta['machine']['cpu']}.",
    ]
    if meta["quick"]:
        lines += [
            "",
            f"**Quick mode** (`--quick`): small sizes, {meta['reps']} repetitions; a smoke test "
            "only.",
        ]
    if meta["busy"]:
        lines += [
            "",
            f"**Warning: the machine was busy** ({meta['busy']}): timings are unreliable.",
        ]
    return lines


def machine_lines(meta: dict) -> list[str]:
    m, load = meta["machine"], meta["load_average"]
    torch_threads = f" ({m['torch_threads']} intra-op threads)" if "torch_threads" in m else ""
    thread_env = ", ".join(f"{k}={v}" for k, v in m["thread_env"].items() if v is not None)
    return [
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['physical_cores'] or '?'} physical cores, "
        f"{m['logical_cpus']} logical CPUs ({m['usable_cpus']} usable by this process); "
        f"{m['platform']}",
        f"- Python {m['python']}, NumPy {m['numpy']}, gnnformer_lite {m['gnnformer_lite']}",
        f"- BLAS: {blas_summary(m['blas'])}",
        f"- torch: {m['torch']}{torch_threads}",
        f"- torch_geometric: {m['torch_geometric']}",
        f"- Threads: {THREADS} (`torch.set_num_threads`, {thread_env}); NumPy's own ufuncs and "
        "reductions are single-threaded",
        f"- Other processes: {others_text(meta['other_processes_cpus'])}; load average "
        f"(1, 5, 15 min) {load['start']} at start, {load['end']} at end",
    ]


def others_text(others: float | None) -> str:
    if others is None:
        return "unknown (no /proc/stat)"
    return f"{others:.2f} CPUs busy on average during the run (from /proc/stat)"


def limits_lines(lim: dict) -> list[str]:
    matmul = f"{lim['matmul_n']}×{lim['matmul_n']} `np.matmul`, {THREADS} BLAS threads"
    rows = [
        [
            "memory read bandwidth",
            f"{lim['bandwidth_GBps']:.1f} GB/s",
            f"`np.sum` over {lim['bandwidth_bytes'] / 2**20:.0f} MiB float64, 1 thread",
        ],
        ["matmul float32", f"{lim['matmul_float32_GFLOPs']:.0f} GFLOP/s", matmul],
        ["matmul float64", f"{lim['matmul_float64_GFLOPs']:.0f} GFLOP/s", matmul],
    ]
    return ["", "## This machine's limits", "", markdown_table(["limit", "value", "how"], rows)]


def course_lines(ctx, cpu: str) -> list[str]:
    if not ctx.course:
        return []
    verdicts = [row.met() for row in ctx.course]
    missed = [
        f"{r.example}: {r.function}"
        for r, ok in zip(ctx.course, verdicts, strict=True)
        if ok is False
    ]
    summary = f"Target met on {verdicts.count(True)} of {len(verdicts)} rows" + (
        f"; missed: {', '.join(missed)}." if missed else "."
    )
    return [
        "",
        "## Course sizes: the package against the textbook lines",
        "",
        f"The sizes the notebooks run, float64, on {cpu}. Each public function is timed in "
        "alternation with the textbook lines written inline in `benchmarks/cases/course.py` "
        "(`np.add.at`, `np.maximum.at`, `softmax(q kᵀ/√d) v`, ...), which it must match before "
        "it is timed. "
        f"Target: at most {COURSE_RATIO:g}× the textbook lines or at most "
        f"{COURSE_EXTRA_SECONDS * 1e6:g} µs more, whichever allows more. "
        f"Median of {ctx.reps} repetitions.",
        "",
        markdown_table(COURSE_HEADER, [row.cells() for row in ctx.course]),
        "",
        summary,
    ]


def training_lines(ctx, cpu: str) -> list[str]:
    rows = [r for r in ctx.rows if r.table == "training"]
    missed = [f"{r.what} ({r.ratio():.2f}×)" for r in rows if r.met() is False]
    met = sum(r.met() is True for r in rows)
    return [
        "",
        "## One training step of every course model",
        "",
        f"Forward, backward and one Adam update, float64, one thread, on {cpu}: the model's "
        "`gl.*_loss` + `gl.adam_update` against the same model, weights and batch in torch "
        "autograd + `torch.optim.Adam(fused=True)` (`benchmarks/torch_reference.py`; a GNN "
        "layer by `index_add_` and as PyG `GraphConv`, the faster one is the reference; a "
        "Transformer layer as `torch.nn.TransformerEncoderLayer`), their losses equal to 1e-10 "
        f"before and after one step. Median of {ctx.reps} repetitions, each model's NumPy "
        "and torch steps in turn (one thread each: no thread pools to compete), in a process "
        "of their own.",
        "",
        tables(ctx)["training"],
        "",
        f"Target (at most 1.0× torch) met on {met} of {len(rows)} rows"
        + (f"; missed: {', '.join(missed)}." if missed else "."),
    ] if rows else []  # fmt: skip


def notes_lines(ctx) -> list[str]:
    return [
        "",
        "## Notes",
        "",
        f"- † marks a time measured while other processes kept more than {NOISY_CPUS} CPUs "
        f"busy (from /proc/stat), even after {ctx.retries} re-measurements: rerun on a quiet "
        "machine before trusting it.",
        "- Every reference is checked against gnnformer_lite's output (`np.allclose`) on the "
        "benchmark inputs before it is timed; a mismatch is reported instead of a time.",
        f"- Each case times all its NumPy calls, pauses {ctx.pause_seconds:g} s, then all its "
        "torch calls: alternating calls make OpenBLAS and OpenMP worker threads compete for "
        "the cores (the training steps, on one thread each, alternate).",
        "- Each library gets its natural layout, built outside the timing: ours "
        "`(..., n, H, d)`, torch's SDPA `(B, H, n, d)` (contiguous). No transposes are timed.",
        "- `gl.scaled_dot_product_attention` and `gl.graph_attention` also return the "
        "attention weights; torch's SDPA does not compute them.",
        "- propagate: torch `index_add_` receives the messages in the Graph's sorted order "
        "(`sorted`) or in the original random edge order with the matching receivers "
        "(`random order`); PyG `scatter` gets the sorted ones. The Graph is built once, outside "
        "the timing; its construction is timed on its own.",
        "- The GAT comparison calls `gl.gat_layer(..., activation=None)` and `GATConv(64, 16, "
        "heads=4, add_self_loops=False)` with the same weights on a graph that has self loops.",
        "- The torch gather/scatter attention is `benchmarks/torch_reference.py` "
        "(`index_select`, `scatter_reduce_(amax)`, `index_add_`).",
    ]


def tables(ctx) -> dict[str, str]:
    """Each table of the run that has rows, as markdown."""
    out = {}
    for name, header, keep in (("results", TABLE_HEADER, slice(None)),
                               ("training", TRAINING_HEADER, slice(1, 9))):  # fmt: skip
        rows = [row.cells()[keep] for row in ctx.rows if row.table == name]
        if rows:
            out[name] = markdown_table(header, rows)
    if ctx.window is not None:
        out["window"] = window_table(ctx.window)
    if ctx.course:
        out["course"] = markdown_table(COURSE_HEADER, [r.cells() for r in ctx.course])
    return out


def print_summary(ctx, log=print) -> None:
    for table in tables(ctx).values():
        log("")
        log(table)


def write_results(ctx, meta: dict, extra: dict, out: Path) -> list[str]:
    """Write results.md, results.json (and window_attention.png); return the file names."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(render_markdown(ctx, meta), encoding="utf-8")
    raw = {
        "meta": meta,
        "limits": ctx.limits,
        **extra,
        "rows": [row.to_json() for row in ctx.rows],
        "window": ctx.window,
        "course": [row.to_json() for row in ctx.course],
        "course_target": {"ratio": COURSE_RATIO, "extra_seconds": COURSE_EXTRA_SECONDS},
        "notebooks": ctx.notebooks,
        "measurements": ctx.measurements,
        "failures": ctx.failures,
    }
    (out / "results.json").write_text(json.dumps(raw, indent=1, default=str) + "\n")
    names = ["results.md", "results.json"]
    if ctx.window is not None:
        plot_window(ctx.window, out / "window_attention.png")
        names.append("window_attention.png")
    return names
