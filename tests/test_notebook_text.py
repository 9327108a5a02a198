"""The notebooks' text views (notebooks/text/, written by `make sync` / `make notebooks`).

They are what a reviewer reads instead of the base64-heavy .ipynb diff, so they must exist
for every notebook, match it exactly, and carry every line of its code and prose.
"""

from __future__ import annotations

import base64
import importlib.util
import struct
import zlib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def load_notebook_text():
    path = ROOT / "scripts" / "notebook_text.py"
    spec = importlib.util.spec_from_file_location("notebook_text", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nt = load_notebook_text()


def test_every_text_view_is_in_sync():
    problems = nt.stale()
    assert not problems, "\n".join(problems) + "\nrun `make sync` and commit notebooks/text/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_script_view_holds_every_cell(path):
    import jupytext

    nb = nbformat.read(path, as_version=4)
    view = (nt.TEXT_DIR / f"{path.stem}.py").read_text(encoding="utf-8")
    back = jupytext.reads(view, fmt="py:percent")
    # The banner comment becomes one extra markdown cell in front; the rest is the notebook.
    cells = [(c.cell_type, c.source) for c in back.cells[1:]]
    assert cells == [(c.cell_type, c.source) for c in nb.cells]
    assert "jupytext_version" not in view, "the view must not depend on jupytext's version"


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_png_size_reads_the_header():
    assert nt.png_size(png(7, 3)) == (7, 3)
    with pytest.raises(ValueError, match="not a PNG"):
        nt.png_size(b"GIF89a" + bytes(30))


def test_outputs_view_lists_prints_reprs_and_figures(tmp_path):
    image = base64.b64encode(png(4, 2)).decode()
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Title"),
            nbformat.v4.new_code_cell(
                "print('hi')\nx",
                execution_count=1,
                outputs=[
                    nbformat.v4.new_output("stream", name="stdout", text="hi\n"),
                    nbformat.v4.new_output(
                        "execute_result", data={"text/plain": "array([1, 2])"}, execution_count=1
                    ),
                ],
            ),
            nbformat.v4.new_code_cell("y = 1", execution_count=2),
            nbformat.v4.new_code_cell(
                "plt.show()",
                execution_count=3,
                outputs=[
                    nbformat.v4.new_output(
                        "display_data",
                        data={"image/png": image, "text/plain": "<Figure size 4x2 with 1 Axes>"},
                    )
                ],
            ),
        ]
    )
    text = nt.outputs_view(nb, tmp_path / "09_demo.ipynb")
    lines = text.splitlines()
    assert "notebooks/09_demo.ipynb" in lines[0]
    assert lines[2:6] == ["---- cell 1 [1]: print('hi')", "[stdout]", "hi", "[text/plain]"]
    assert "array([1, 2])" in lines
    assert "y = 1" not in text  # a cell without output is not listed
    figure = [ln for ln in lines if ln.startswith("[image/png")]
    assert len(figure) == 1 and figure[0].startswith("[image/png 4x2 px, sha256 ")
    assert "<Figure size" not in text


def test_missing_stale_and_orphaned_views_are_reported(tmp_path, monkeypatch):
    notebooks, text = tmp_path / "notebooks", tmp_path / "notebooks" / "text"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(nb, notebooks / "01_a.ipynb")
    monkeypatch.setattr(nt, "ROOT", tmp_path)
    monkeypatch.setattr(nt, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(nt, "TEXT_DIR", text)

    assert sorted(nt.stale()) == [
        "notebooks/text/01_a.outputs.txt is missing",
        "notebooks/text/01_a.py is missing",
    ]
    assert nt.main([]) == 0 and nt.stale() == []
    assert nt.main(["--check"]) == 0

    nb.cells.append(nbformat.v4.new_code_cell("2 + 2"))
    nbformat.write(nb, notebooks / "01_a.ipynb")
    (text / "00_gone.py").write_text("# old\n", encoding="utf-8")
    assert sorted(nt.stale()) == [
        "notebooks/text/00_gone.py has no notebook",
        "notebooks/text/01_a.py is out of date with notebooks/01_a.ipynb",
    ]
    assert nt.main(["--check"]) == 1
    assert nt.main([]) == 0 and nt.stale() == []
    assert not (text / "00_gone.py").exists()
