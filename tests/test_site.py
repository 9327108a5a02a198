"""The course site (``make site``), opened page by page in headless Chromium.

The browser tests need the ``[site]`` extra and Debian's ``chromium``; ``make test-site``
installs both and sets ``GNNFORMER_SITE_TEST=1``. Under plain ``make test`` only the checks
of the pages' sources run (the README course table, the practice page, which outputs keep
their columns).

For every page of the built site: it loads with no console error, no request leaves
127.0.0.1, every figure has a non-zero size, every maths element is typeset by MathJax
(no TeX error, no raw ``$$`` or ``$\\alpha$`` left in the prose), every internal link
resolves to a file and anchor of the site, the exercise answers are folded, and the favicon
loads. The practice page offers every ``practice/*.ipynb`` as a download (the file itself).
At 1440 px no code or output block scrolls sideways; at 390 px (a phone) no table or output
makes the page wider than the screen: wide ones scroll in their own box.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PRACTICE = sorted((ROOT / "practice").glob("*.ipynb"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in containers and on CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
]


def load_build_site():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_conf():
    spec = importlib.util.spec_from_file_location("site_conf", ROOT / "docs" / "site" / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_site = load_build_site()


# ---------------------------------------------------------- landing page source (make test)


def test_course_table_is_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = build_site.course_table(readme)
    assert table[0].startswith("| notebook |")
    assert re.fullmatch(r"\|( *-+ *\|)+", table[1].replace(":", "")), table[1]
    linked = [m for row in table[2:] for m in re.findall(r"\((notebooks/[^)]+\.ipynb)\)", row)]
    assert linked == [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]
    page = build_site.index_page(readme)
    for row in table:  # as in the README, but for links to practice notebooks (downloads)
        assert build_site.practice_links(row) in page.splitlines()
    for name in build_site.PRACTICE_LINK.findall("\n".join(table)):  # a practice column
        assert (ROOT / name).is_file(), f"README.md's course table links {name}: no such file"


def test_course_table_parsing_stops_at_the_table():
    readme = "# t\n\nIntro.\n\n## The course\n\ntext\n\n| notebook | time |\n| --- | --- |\n"
    readme += "| [a](notebooks/a.ipynb) | 5 min |\n\nafter | not a row\n\n## Next\n| x |\n"
    assert build_site.course_table(readme) == [
        "| notebook | time |",
        "| --- | --- |",
        "| [a](notebooks/a.ipynb) | 5 min |",
    ]
    assert build_site.readme_intro(readme) == "Intro."
    assert build_site.binder_url(readme) is None
    assert "Binder" not in build_site.index_page(readme)
    badge = "[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/o/r/HEAD)"
    assert build_site.binder_url(badge) == "https://mybinder.org/v2/gh/o/r/HEAD"
    with pytest.raises(ValueError, match="The course"):
        build_site.course_table("# t\n\n## Other\n")
    with pytest.raises(ValueError, match="table"):
        build_site.course_table("## The course\n\nno table\n")


def test_practice_column_links_become_downloads(tmp_path):
    readme = (
        "# t\n\nIntro.\n\n## The course\n\n| notebook | time | practice |\n| --- | --- | --- |\n"
    )
    readme += "| [a](notebooks/03_a.ipynb) | 5 min | [03 · a](practice/03_a.ipynb) |\n"
    readme += "| [b](notebooks/04_b.ipynb) | 5 min | — |\n"
    readme += "| [c](notebooks/05_c.ipynb) | 5 min | [c](./practice/05_c.ipynb) |\n"
    page = build_site.index_page(readme, practice=[tmp_path / "03_a.ipynb"]).splitlines()
    assert "| [a](notebooks/03_a.ipynb) | 5 min | [03 · a](path:practice/03_a.ipynb) |" in page
    assert "| [b](notebooks/04_b.ipynb) | 5 min | — |" in page
    assert "| [c](notebooks/05_c.ipynb) | 5 min | [c](path:practice/05_c.ipynb) |" in page
    assert "practice" in page[page.index(":glob:") :]  # the practice page in the course's toctree
    assert "practice" not in build_site.index_page(readme, practice=[]).split(":glob:")[1]


def test_practice_page_offers_every_practice_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    page = build_site.practice_page(readme, PRACTICE)
    for path in PRACTICE:
        assert f"](path:practice/{path.name})" in page, path.name
        blanks = build_site.blanks(path)
        assert blanks and all(f"`{name}`" in page for name in blanks), path.name
        course = ROOT / "notebooks" / path.name
        if course.exists():
            box = build_site.with_practice_box(course, path)
            assert f"](path:../practice/{path.name})" in box
            assert (
                json.loads(box)["cells"][1:] == json.loads(course.read_text("utf-8"))["cells"][1:]
            )
    assert "make practice-test" in page


def test_practice_binder_links_open_the_practice_notebook():
    binder = "https://mybinder.org/v2/gh/o/r/HEAD?urlpath=lab/tree/notebooks/00_a.ipynb"
    assert build_site.practice_binder(binder, "03_b.ipynb") == (
        "https://mybinder.org/v2/gh/o/r/HEAD?urlpath=lab/tree/practice/03_b.ipynb"
    )
    assert build_site.practice_binder(None, "03_b.ipynb") is None


def test_aligned_outputs_keep_their_columns():
    aligned = load_conf().aligned_columns
    table = "graph        edges  E / n²\ncomplete       100    1.00\nwindow r=1      28    0.28\n"
    right_aligned = "    n     complete\n   10          100\n  100       10,000\n"
    array = "[[1. 0.]\n [2. 2.]]\n"
    assert aligned(table) and aligned(right_aligned) and aligned(array)
    errors = (
        "an empty sentence (sentence='   ', heads=None):\n"
        "    ValueError: sentence is empty ('   '): give at least one word, e.g. 'the cat sat'\n"
        "a cycle:\n    ValueError: heads contains a cycle: 0 -> 1 -> 0 (each word's head ...)\n"
    )
    assert not aligned(errors)
    assert not aligned("one line:  with  gaps")
    assert not aligned("[1 2 3]")


def test_docs_pages_link_the_landing_page_for_the_readme():
    text = "See the [README](../README.md), [its map](../README.md#the-course), [01](../x.ipynb)."
    assert build_site.site_links(text) == (
        "See the [README](../index.md), [its map](../index.md#the-course), [01](../x.ipynb)."
    )


def test_api_pages_cover_every_public_module():
    pages = build_site.api_pages()
    modules = sorted(p.stem for p in (ROOT / "gnnformer_lite").glob("[!_]*.py"))
    assert sorted(pages) == sorted(["index.rst", *(f"{m}.rst" for m in modules)])
    for name in modules:
        assert f".. automodule:: gnnformer_lite.{name}" in pages[f"{name}.rst"]


# ------------------------------------------------------------------ the site in Chromium

browser_test = pytest.mark.skipif(
    os.environ.get("GNNFORMER_SITE_TEST") != "1",
    reason="needs the [site] extra and chromium: run `make test-site`",
)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "html"  # myst-nb writes beside it
    assert build_site.main(["--out", str(out)]) == 0, "the site build failed (see above)"
    handler = functools.partial(QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield out, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    """Chromium, offline: a request that would leave 127.0.0.1 is aborted and recorded in
    ``browser.outside`` (every test's pages, not only the first test's)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not found: apt-get install chromium"
    _, base = site
    outside: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.route("**/*", route)
        context.outside = outside
        yield context
        context.close()
    assert not outside, f"requests left the machine: {sorted(set(outside))[:10]}"


def html_pages(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


@functools.cache
def ids_in(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8")
    return frozenset(re.findall(r'\bid="([^"]+)"', text))


def resolve_internal(out: Path, base: str, page_url: str, href: str) -> str | None:
    """None if ``href`` (on ``page_url``) resolves inside the site, else the problem."""
    target = urlsplit(urljoin(page_url, href))
    if f"{target.scheme}://{target.netloc}/" != base:
        return None  # an external link: allowed as a link, never loaded
    path = out / unquote(target.path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return f"{href}: no such file {path.relative_to(out)}"
    if target.fragment and path.suffix == ".html" and unquote(target.fragment) not in ids_in(path):
        return f"{href}: no anchor #{target.fragment} in {path.relative_to(out)}"
    return None


def downloads(out: Path, base: str, page_name: str, hrefs: list[str]) -> dict[str, Path]:
    """``{file name: file in the site}`` of a page's links to ``.ipynb`` files (downloads)."""
    found = {}
    for href in hrefs:
        target = urlsplit(urljoin(base + page_name, href))
        if target.path.endswith(".ipynb") and f"{target.scheme}://{target.netloc}/" == base:
            path = out / unquote(target.path).lstrip("/")
            found[path.name] = path
    return found


PAGE_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const main = document.querySelector('article') || document.body;
  const prose = main.cloneNode(true);
  prose.querySelectorAll('pre, code, .highlight, mjx-container, script, style')
       .forEach(e => e.remove());
  const details = [...main.querySelectorAll('details')].map(d => ({
    open: d.open,
    summary: d.querySelector('summary') ? d.querySelector('summary').textContent.trim() : null,
    hidden: [...d.children].filter(c => c.tagName !== 'SUMMARY')
                           .every(c => !c.checkVisibility()),
  }));
  return {
    images: [...document.images].map(i => ({src: i.currentSrc || i.src,
                                              ok: i.complete && i.naturalWidth > 0})),
    outputImages: main.querySelectorAll('.cell_output img').length,
    maths: main.querySelectorAll('.math').length,
    untypeset: [...main.querySelectorAll('.math')]
                 .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent),
    texErrors: [...main.querySelectorAll('mjx-merror')].map(e => e.textContent),
    prose: prose.innerText,
    details: details,
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    next: (document.querySelector('a.next-page') || {}).href || null,
    favicon: (document.querySelector('link[rel~="icon"]') || {}).href || null,
  };
}"""

RAW_TEX = re.compile(r"\$\$|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$|\\\(|\\\[")


def notebook_facts(path: Path) -> dict:
    nb = json.loads(path.read_text(encoding="utf-8"))
    pngs = sum(
        "image/png" in output.get("data", {})
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
    )
    markdown = "".join(
        "".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "markdown"
    )
    return {"pngs": pngs, "details": markdown.count("<details"), "has_math": "$" in markdown}


# Code and output blocks allowed to scroll sideways at 1440 px, by page (none today).
SIDEWAYS_ALLOWED_AT_1440: dict[str, int] = {}

LAYOUT = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const content = document.querySelector('.content') || document.body;
  const right = content.getBoundingClientRect().right + 1;
  const sideways = e => e.scrollWidth > e.clientWidth + 1;
  const scrolls = e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const describe = e => e.textContent.trim().split('\\n')[0].slice(0, 80);
  // A wide element is fine inside a box of its own that scrolls and fits the page.
  const ownBox = e => {
    for (let box = e; box && box !== content; box = box.parentElement) {
      if (scrolls(box)) return box.getBoundingClientRect().right <= right;
    }
    return false;
  };
  const blocks = [...document.querySelectorAll('article pre')];
  const wide = [...document.querySelectorAll(
      'article table, .cell_output pre, article mjx-container')]
    .filter(e => e.getBoundingClientRect().right > right && !ownBox(e));
  return {
    blocks: blocks.length,
    sideways: blocks.filter(sideways).map(describe),
    pageWidth: document.documentElement.scrollWidth,
    wide: wide.map(e => e.tagName + ': ' + describe(e)),
    // Sentences and error messages wrap, on a phone too; only aligned columns scroll.
    unwrapped: [...document.querySelectorAll('.cell_output .output:not(.output-columns) pre')]
                 .filter(sideways).map(describe),
  };
}"""


@pytest.fixture(scope="module")
def visits(site, browser) -> dict[str, dict]:
    """Every page of the site, opened once: ``{page: {"errors": [...], "state": PAGE_STATE,
    1440: LAYOUT, 390: LAYOUT}}``, measured at 1440 px (a laptop), then narrowed to 390 px
    (a phone) and measured again."""
    out, base = site
    visited: dict[str, dict] = {}
    for name in html_pages(out):
        found: list[str] = []
        page = browser.new_page()
        page.set_viewport_size({"width": 1440, "height": 900})
        page.on("console", lambda m, f=found: m.type == "error" and f.append(f"console: {m.text}"))
        page.on("pageerror", lambda e, f=found: f.append(f"page error: {e}"))
        page.on("requestfailed", lambda r, f=found: f.append(f"request failed: {r.url}"))
        page.on("response", lambda r, f=found: r.status >= 400 and f.append(f"{r.status}: {r.url}"))
        response = page.goto(base + name, wait_until="load")
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        visit = {"errors": found, "state": page.evaluate(PAGE_STATE), 1440: page.evaluate(LAYOUT)}
        page.set_viewport_size({"width": 390, "height": 844})
        visit[390] = page.evaluate(LAYOUT)
        page.close()
        visited[name] = visit
    return visited


@browser_test
def test_every_page_in_chromium(site, browser, visits):
    out, base = site
    pages = html_pages(out)
    notebook_pages = [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    assert "index.html" in pages and set(notebook_pages) <= set(pages)
    assert {f"api/{m}.html" for m in build_site.public_modules()} <= set(pages)

    problems: dict[str, list[str]] = {}
    states = {name: visit["state"] for name, visit in visits.items()}
    for name, state in states.items():
        found = list(visits[name]["errors"])
        found += [f"figure not shown: {i['src']}" for i in state["images"] if not i["ok"]]
        found += [f"maths not typeset: {t[:80]!r}" for t in state["untypeset"]]
        found += [f"TeX error: {t[:80]!r}" for t in state["texErrors"]]
        found += [f"raw TeX in the text: {m!r}" for m in RAW_TEX.findall(state["prose"])[:5]]
        for href in state["links"]:
            problem = resolve_internal(out, base, base + name, href)
            if problem:
                found.append(f"broken link {problem}")
        if not state["favicon"] or resolve_internal(out, base, base + name, state["favicon"]):
            found.append(f"no favicon: {state['favicon']}")
        if found:
            problems[name] = found
    assert not browser.outside, f"requests left the machine: {sorted(set(browser.outside))[:10]}"
    assert not problems, "\n".join(f"{n}:\n  " + "\n  ".join(p) for n, p in problems.items())

    # Each notebook page: all its figures, its maths, its answers folded, a link to the next.
    for index, path in enumerate(NOTEBOOKS):
        name, facts = notebook_pages[index], notebook_facts(path)
        state = states[name]
        assert state["outputImages"] == facts["pngs"], f"{name}: figures missing"
        if facts["has_math"]:
            assert state["maths"] > 0, f"{name}: no maths rendered"
        assert len(state["details"]) == facts["details"], f"{name}: {state['details']}"
        for answer in state["details"]:
            assert not answer["open"] and answer["hidden"], f"{name}: answer not folded {answer}"
            assert answer["summary"] == "Answer", answer
        if index + 1 < len(NOTEBOOKS):
            following = base + notebook_pages[index + 1]
            assert state["next"] == following, f"{name}: next is {state['next']}"

    # The landing page links every notebook; the API pages show their equations.
    landing = {urljoin(base, h) for h in states["index.html"]["links"]}
    assert {base + p for p in notebook_pages} <= landing
    assert sum(states[f"api/{m}.html"]["maths"] for m in build_site.public_modules()) > 10
    for module in build_site.public_modules():  # signatures say ArrayLike, not its expansion
        text = (out / "api" / f"{module}.html").read_text(encoding="utf-8")
        assert "_SupportsArray" not in text and "TypeAliasForwardRef" not in text, module

    # The favicon: one file for every page, served, and drawn by the browser.
    favicons = {s["favicon"] for s in states.values()}
    assert len(favicons) == 1, favicons
    page = browser.new_page()
    response = page.goto(favicons.pop())
    assert response.ok and response.headers["content-type"].startswith("image/"), response
    page.goto(base + "index.html")
    width = page.evaluate(
        """async (src) => { const i = new Image(); i.src = src; await i.decode();
                           return i.naturalWidth; }""",
        states["index.html"]["favicon"],
    )
    assert width > 0, "the favicon does not draw"
    page.close()

    # The practice notebooks: downloads (the files themselves), never pages of their own.
    assert not [p for p in pages if p.startswith("practice/")], "a practice notebook rendered"
    if PRACTICE:
        assert base + "practice.html" in landing
        offered = downloads(out, base, "practice.html", states["practice.html"]["links"])
        assert sorted(offered) == [p.name for p in PRACTICE], offered
        for path in PRACTICE:
            assert offered[path.name].read_bytes() == path.read_bytes(), path.name
            page_name = f"notebooks/{path.name.removesuffix('.ipynb')}.html"
            if page_name in states:  # its course notebook links it
                links = downloads(out, base, page_name, states[page_name]["links"])
                assert links.get(path.name) == offered[path.name], page_name


# ------------------------------------------------------------- long lines, wide tables


@browser_test
def test_no_sideways_scrolling_at_1440_px(visits):
    """Code and outputs read without scrolling sideways on a laptop (they wrap if they must)."""
    found = {name: visit[1440] for name, visit in visits.items()}
    assert sum(state["blocks"] for state in found.values()) > 300
    sideways = {name: s["sideways"] for name, s in found.items() if s["sideways"]}
    over = {
        name: lines
        for name, lines in sideways.items()
        if len(lines) > SIDEWAYS_ALLOWED_AT_1440.get(name, 0)
    }
    assert not over, "blocks that scroll sideways at 1440 px:\n" + json.dumps(over, indent=1)


@browser_test
def test_tables_and_outputs_fit_a_phone(visits):
    """At 390 px the page never scrolls sideways for a table, an output or a formula: a wide
    one scrolls in its own box (tables, aligned columns), or wraps (sentences, error messages,
    a chain of equalities written as one formula per step)."""
    found = {name: visit[390] for name, visit in visits.items()}
    problems = {
        name: [f"page {s['pageWidth']} px wide"] * (s["pageWidth"] > 390)
        + [f"wider than the page: {w}" for w in s["wide"]]
        + [f"does not wrap: {u}" for u in s["unwrapped"]]
        for name, s in found.items()
    }
    problems = {name: p for name, p in problems.items() if p}
    assert not problems, "\n".join(f"{n}:\n  " + "\n  ".join(p) for n, p in problems.items())
