"""Sphinx configuration of the course site (``make site``; see scripts/build_site.py).

The site is built from the committed notebooks: myst-nb reads their stored outputs and
never executes them. Everything the pages load is local: MathJax comes from the
``sphinx-mathjax-offline`` package, the furo theme uses system fonts, and myst-nb's
widget JavaScript (require.js and the widget manager from a CDN) is switched off.

Long lines: ``_static/site.css`` widens the column of notebook pages and wraps long lines of
code and output; on a phone, outputs in aligned columns (tables, arrays: ``aligned_columns``
below marks them) scroll in their own box instead, so that their columns stay columns.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import gnnformer_lite  # noqa: E402

project = "gnnformer-lite"
author = "the gnnformer-lite contributors"
copyright = "the gnnformer-lite contributors"
release = gnnformer_lite.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # copies MathJax 3 into _static/mathjax, sets mathjax_path
]

root_doc = "index"
# practice/*.ipynb are downloads (scripts/build_site.py links them), not pages.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "practice/**"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# ------------------------------------------------------------------ notebooks (myst-nb)
nb_execution_mode = "off"  # the committed outputs are the ones the tests check
nb_ipywidgets_js = {}  # no require.js / widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --------------------------------------------------------------- API (autodoc/napoleon)
napoleon_google_docstring = True
napoleon_numpy_docstring = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
# Keep the name: expanded, numpy.typing.ArrayLike is a six-line Union.
autodoc_type_aliases = {"ArrayLike": "ArrayLike"}
autodoc_default_options = {"members": True}

# ----------------------------------------------------------------------------- HTML
html_theme = "furo"
html_title = f"gnnformer-lite {release}"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_favicon = "_static/favicon.svg"  # drawn by hand: a small graph
html_copy_source = False
html_show_sourcelink = False


def short_aliases(app, what, name, obj, options, signature, return_annotation):
    """``ArrayLike | None`` instead of ``TypeAliasForwardRef('ArrayLike') | None``."""

    def fix(text):
        return text and re.sub(r"TypeAliasForwardRef\('([\w.]+)'\)", r"\1", text)

    return fix(signature), fix(return_annotation)


def aligned_columns(text: str) -> bool:
    """Is a printed output laid out in columns (a table, an array), which wrapping would break?

    Yes when two lines have a gap of two or more spaces that starts or ends at the same
    position (a left- or right-aligned column), or when two lines start with ``[`` (NumPy's
    rows). A sentence, an error message or a single line of output is not: those wrap.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if sum(line.lstrip().startswith("[") for line in lines) >= 2:
        return True
    edges = Counter()
    for line in lines:
        gaps = list(re.finditer(r"(?<=\S) {2,}(?=\S)", line))
        edges.update({("start", m.start()) for m in gaps} | {("end", m.end()) for m in gaps})
    return any(count >= 2 for count in edges.values())


def mark_aligned_outputs(app, doctree, docname):
    """Class ``output-columns`` on the cell outputs that :func:`aligned_columns` recognises."""
    from docutils import nodes  # the [site] extra; tests load this file without it

    for node in doctree.findall(nodes.literal_block):
        if "output" in node["classes"] and aligned_columns(node.astext()):
            node["classes"].append("output-columns")


def setup(app):
    app.connect("autodoc-process-signature", short_aliases)
    app.connect("doctree-resolved", mark_aligned_outputs)
