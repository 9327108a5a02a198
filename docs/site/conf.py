"""Sphinx configuration of the course site (``make site``; see scripts/build_site.py).

The site is built from the committed notebooks: myst-nb reads their stored outputs and
never executes them. Everything the pages load is local: MathJax comes from the
``sphinx-mathjax-offline`` package, the furo theme uses system fonts, and myst-nb's
widget JavaScript (require.js and the widget manager from a CDN) is switched off.
"""

from __future__ import annotations

import re
import sys
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
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
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
html_copy_source = False
html_show_sourcelink = False


def short_aliases(app, what, name, obj, options, signature, return_annotation):
    """``ArrayLike | None`` instead of ``TypeAliasForwardRef('ArrayLike') | None``."""

    def fix(text):
        return text and re.sub(r"TypeAliasForwardRef\('([\w.]+)'\)", r"\1", text)

    return fix(signature), fix(return_annotation)


def setup(app):
    app.connect("autodoc-process-signature", short_aliases)
