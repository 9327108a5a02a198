#!/usr/bin/env python3
"""Build the course site (``make site``): static HTML from the committed notebooks.

    python scripts/build_site.py                 # -> docs/_build/html/index.html
    python scripts/build_site.py --out /tmp/site/html

Nothing is executed: myst-nb renders the outputs stored in ``notebooks/*.ipynb``. The
script lays out a Sphinx source tree in ``docs/_build/src`` (git-ignored, rebuilt from
scratch every time) and runs Sphinx with the configuration in ``docs/site/conf.py``:

* ``index.md``  -- the landing page. Its course map is the table of README.md's
  "## The course" section, copied row for row, so the site and the README cannot disagree;
* ``notebooks/*.ipynb`` -- every notebook, in file-name order (prev/next navigation);
* ``docs/*.md`` -- whatever pages exist there (the notation, the reading-group guide);
* ``api/*.rst`` -- one page per public module of ``gnnformer_lite``, from the docstrings.

Sphinx runs with ``-W``: a warning (a broken link, a bad docstring) fails the build.
"""

from __future__ import annotations

import argparse
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


def extra_docs() -> list[Path]:
    return sorted((ROOT / "docs").glob("*.md"))


def binder_url(readme: str) -> str | None:
    """The README's Binder link (a plain link here: the badge image would load from the web)."""
    match = re.search(r"\]\((https://mybinder\.org/v2/[^)\s]+)\)", readme)
    return match.group(1) if match else None


def site_links(text: str) -> str:
    """Point a docs/ page's links to the README at the landing page, which stands for it."""
    return re.sub(r"\]\(\.\./README\.md(#[^)]*)?\)", lambda m: f"](../index.md{m[1] or ''})", text)


def index_page(readme: str) -> str:
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
        "",
        "## The course",
        "",
        *course_table(readme),
        "",
        "```{toctree}",
        ":caption: The course",
        ":hidden:",
        ":glob:",
        "",
        "notebooks/*",
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
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    (src / "api").mkdir()
    (src / "index.md").write_text(index_page(readme), encoding="utf-8")
    for path in notebook_docs():
        shutil.copy2(path, src / "notebooks" / path.name)
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
