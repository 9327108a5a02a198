#!/usr/bin/env python3
"""Build the course site (``make site``): static HTML from the committed notebooks.

    python scripts/build_site.py                 # -> docs/_build/html/index.html
    python scripts/build_site.py --out /tmp/site/html

Nothing is executed: myst-nb renders the outputs stored in ``notebooks/*.ipynb``. The
script lays out a Sphinx source tree in ``docs/_build/src`` (git-ignored, rebuilt from
scratch every time) and runs Sphinx with the configuration in ``docs/site/conf.py``:

* ``index.md``  -- the landing page. Its course map is the table of README.md's
  "## The course" section, copied row for row, so the site and the README cannot disagree
  (links to ``practice/*.ipynb`` in it become download links);
* ``notebooks/*.ipynb`` -- every notebook, in file-name order (prev/next navigation); a
  notebook with a practice notebook gets a box linking it;
* ``practice.md`` -- the practice notebooks ``practice/*.ipynb`` (whichever exist), each a
  download (copied into the site, never rendered as a page: they have no outputs);
* ``docs/*.md`` -- whatever pages exist there (the notation, the reading-group guide);
* ``api/*.rst`` -- one page per public module of ``gnnformer_lite``, from the docstrings.

Sphinx runs with ``-W``: a warning (a broken link, a bad docstring) fails the build.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = ROOT / "docs" / "site"
BUILD = ROOT / "docs" / "_build"  # git-ignored; myst-nb also writes BUILD/jupyter_execute
SRC = BUILD / "src"
OUT = BUILD / "html"
PACKAGE = "gnnformer_lite"


def readme_section(text: str, title: str) -> str:
    """The body of the ``## title`` section of a markdown file."""
    pattern = rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)"
    match = re.search(pattern, text, flags=re.MULTILINE | re.DOTALL)
    if not match:
        raise ValueError(f"README.md has no '## {title}' section")
    return match.group(1)


def course_table(readme: str) -> list[str]:
    """The markdown table lines (header, rule, rows) of README's course section."""
    lines = [ln.rstrip() for ln in readme_section(readme, "The course").splitlines()]
    table, started = [], False
    for line in lines:
        if line.startswith("|"):
            table.append(line)
            started = True
        elif started:
            break
    if len(table) < 3 or not table[0].lower().startswith("| notebook"):
        raise ValueError("README.md's course section has no '| notebook | ... |' table")
    return table


def readme_intro(readme: str) -> str:
    """The README's first paragraph (what the course is)."""
    body = readme.split("\n## ", 1)[0]
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    return next(p for p in paragraphs if not p.startswith("#"))


def public_modules() -> list[str]:
    return sorted(p.stem for p in (ROOT / PACKAGE).glob("*.py") if not p.stem.startswith("_"))


def notebook_docs() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def practice_docs() -> list[Path]:
    """The practice notebooks ``practice/NN_name.ipynb`` (``make practice`` writes them)."""
    return sorted((ROOT / "practice").glob("*.ipynb"))


def extra_docs() -> list[Path]:
    return sorted((ROOT / "docs").glob("*.md"))


def binder_url(readme: str) -> str | None:
    """The README's Binder link (a plain link here: the badge image would load from the web)."""
    match = re.search(r"\]\((https://mybinder\.org/v2/[^)\s]+)\)", readme)
    return match.group(1) if match else None


def site_links(text: str) -> str:
    """Point a docs/ page's links to the README at the landing page, which stands for it."""
    return re.sub(r"\]\(\.\./README\.md(#[^)]*)?\)", lambda m: f"](../index.md{m[1] or ''})", text)


PRACTICE_LINK = re.compile(r"\]\((?:\./)?(practice/[^)\s]+\.ipynb)\)")


def practice_links(text: str) -> str:
    """Make links to ``practice/*.ipynb`` download links (MyST's ``path:``): the file is copied
    into the site, instead of being looked up as a page."""
    return PRACTICE_LINK.sub(r"](path:\1)", text)


def notebook_title(path: Path) -> str:
    """A notebook's title: its first heading, up to a colon ("03 · Graph attention")."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^#+ (.+)$", "".join(cell["source"]), flags=re.MULTILINE)
            if match:
                return match.group(1).removeprefix("Practice · ").split(": ")[0].strip()
    return path.stem


def blanks(path: Path) -> list[str]:
    """The functions a practice notebook leaves to write: those that raise NotImplementedError."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "NotImplementedError" not in source:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython syntax (%magic): not a blank's cell
            continue
        for node in ast.walk(tree):
            raises = isinstance(node, ast.FunctionDef) and any(
                isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n)
                for n in ast.walk(node)
            )
            if raises:
                found.append(node.name)
    return found


def practice_binder(binder: str | None, name: str) -> str | None:
    """The Binder link that opens ``practice/name`` instead of the README's notebook."""
    if not binder:
        return None
    target = f"urlpath=lab/tree/practice/{name}"
    if "urlpath=" in binder:
        return re.sub(r"urlpath=[^&#]*", target, binder)
    return f"{binder}{'&' if '?' in binder else '?'}{target}"


PRACTICE_HOWTO = "Fill in the blanks, run `make practice-test`: the checks name the likely mistake."


def practice_page(readme: str, paths: list[Path]) -> str:
    """The page that lists the practice notebooks, each with a download link."""
    binder = binder_url(readme)
    rows = []
    for path in paths:
        course = ROOT / "notebooks" / path.name
        title = notebook_title(course if course.exists() else path)
        if course.exists():
            title = f"[{title}](notebooks/{path.name})"
        download = f"[`{path.name}`](path:practice/{path.name})"
        link = practice_binder(binder, path.name)
        if link:
            download += f" · [on Binder]({link})"
        names = ", ".join(f"`{name}`" for name in blanks(path)) or "—"
        rows.append(f"| {title} | {download} | {names} |")
    return "\n".join(
        [
            "# Practice notebooks",
            "",
            "A practice notebook is a course notebook whose central *by hand* functions are",
            "left for you to write: each one's body says what to write and its equation.",
            PRACTICE_HOWTO,
            "",
            "| course notebook | practice notebook | you write |",
            "| --- | --- | --- |",
            *rows,
            "",
            "**How to use one.** A clone of the repository has them all in `practice/` (put a",
            "downloaded one there too: its checks come with `gnnformer_lite`). Open it in",
            "JupyterLab, write a function, run its cell and the check below it: one line when",
            "your function agrees with `gnnformer_lite`, else the likely mistake (softmax over",
            "senders, no max subtracted, ...) with the smallest input that shows it.",
            "`make practice-test` runs them all (`make practice-test",
            "PRACTICE=practice/NN_name.ipynb` for one) and ends with one line per blank: right,",
            "wrong or not written yet. The solutions are the course notebook's cells of the",
            "same name.",
            "",
        ]
    )


def practice_box(path: Path) -> str:
    """Markdown added to a course notebook's first cell (in the site only): its practice."""
    names = blanks(path)
    what = ", ".join(f"`{n}`" for n in names) if names else "this notebook's equations"
    return "\n".join(
        [
            "",
            "",
            "```{admonition} Practice notebook",
            ":class: tip",
            "",
            f"Write {what} yourself: download [`{path.name}`](path:../practice/{path.name}).",
            f"{PRACTICE_HOWTO} All of them: [practice notebooks](../practice.md).",
            "```",
        ]
    )


def with_practice_box(notebook: Path, practice: Path) -> str:
    """The notebook's JSON with :func:`practice_box` appended to its first markdown cell."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    source = "".join(cell["source"]).rstrip("\n") + practice_box(practice)
    cell["source"] = source.splitlines(keepends=True)
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"


def index_page(readme: str, practice: list[Path] | None = None) -> str:
    practice = practice_docs() if practice is None else practice
    extra = [f"docs/{p.stem}" for p in extra_docs()]
    binder = binder_url(readme)
    parts = [
        "# Transformers are Graph Neural Networks",
        "",
        readme_intro(readme),
        "",
        "This is the course as a website: every notebook with its committed outputs, the",
        "exercise answers folded away, and the reference of the `gnnformer_lite` package.",
        "To run and change the cells, open the notebooks in JupyterLab (`make lab`)"
        + (f", or [on Binder]({binder}) with nothing to install." if binder else "."),
        *(
            ["To write the equations yourself: the [practice notebooks](practice.md)."]
            * bool(practice)
        ),
        "",
        "## The course",
        "",
        *(practice_links(row) for row in course_table(readme)),
        "",
        "```{toctree}",
        ":caption: The course",
        ":hidden:",
        ":glob:",
        "",
        "notebooks/*",
        *(["practice"] if practice else []),
        "```",
        "",
        "```{toctree}",
        ":caption: Reference",
        ":hidden:",
        "",
        *extra,
        "api/index",
        "```",
        "",
    ]
    return "\n".join(parts)


def api_pages() -> dict[str, str]:
    modules = public_modules()
    pages = {
        "index.rst": "\n".join(
            [
                "API reference",
                "=============",
                "",
                f".. automodule:: {PACKAGE}",
                "   :no-members:",
                "",
                ".. toctree::",
                "   :maxdepth: 1",
                "",
                *[f"   {name}" for name in modules],
                "",
            ]
        )
    }
    for name in modules:
        title = f"``{PACKAGE}.{name}``"
        pages[f"{name}.rst"] = "\n".join(
            [title, "=" * len(title), "", f".. automodule:: {PACKAGE}.{name}", "   :members:", ""]
        )
    return pages


def assemble(src: Path) -> None:
    """Write the Sphinx source tree into ``src`` (removed first)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = PRACTICE_LINK.findall("\n".join(course_table(readme)))
    missing = [name for name in linked if not (ROOT / name).is_file()]
    if missing:
        raise ValueError(f"README.md's course table links {missing}: no such file (make practice)")
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "api").mkdir()
    practice = practice_docs()
    (src / "index.md").write_text(index_page(readme, practice), encoding="utf-8")
    practice_of = {p.name: p for p in practice}
    for path in notebook_docs():
        if path.name in practice_of:
            text = with_practice_box(path, practice_of[path.name])
            (src / "notebooks" / path.name).write_text(text, encoding="utf-8")
        else:
            shutil.copy2(path, src / "notebooks" / path.name)
    if practice:  # downloads only: conf.py excludes practice/ from the pages
        (src / "practice").mkdir()
        for path in practice:
            shutil.copy2(path, src / "practice" / path.name)
        (src / "practice.md").write_text(practice_page(readme, practice), encoding="utf-8")
    if extra_docs():
        (src / "docs").mkdir()
        for path in extra_docs():
            text = path.read_text(encoding="utf-8")
            (src / "docs" / path.name).write_text(site_links(text), encoding="utf-8")
    for name, text in api_pages().items():
        (src / "api" / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="default: docs/_build/html")
    args = parser.parse_args(argv)
    assemble(SRC)
    out = args.out.resolve()
    doctrees = BUILD / "doctrees"
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-E",  # fresh environment: the source tree is new every time
        "-W",
        "--keep-going",
        "-q",
        "-c",
        str(CONF_DIR),
        "-d",
        str(doctrees),
        str(SRC),
        str(out),
    ]
    print("+", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode == 0:
        print(f"site written to {out}/index.html")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
