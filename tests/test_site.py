"""The course site (``make site``), opened page by page in headless Chromium.

The browser test needs the ``[site]`` extra and Debian's ``chromium``; ``make test-site``
installs both and sets ``GNNFORMER_SITE_TEST=1``. Under plain ``make test`` only the checks
of the landing page's source (the README course table) run.

For every page of the built site: it loads with no console error, no request leaves
127.0.0.1, every figure has a non-zero size, every maths element is typeset by MathJax
(no TeX error, no raw ``$$`` or ``$\\alpha$`` left in the prose), every internal link
resolves to a file and anchor of the site, and the exercise answers are folded.
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
    for row in table:
        assert row in page.splitlines()


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
def browser(tmp_path_factory):
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} not found: apt-get install chromium"
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield context
        context.close()


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


@browser_test
def test_every_page_in_chromium(site, browser):
    out, base = site
    pages = html_pages(out)
    notebook_pages = [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
    assert "index.html" in pages and set(notebook_pages) <= set(pages)
    assert {f"api/{m}.html" for m in build_site.public_modules()} <= set(pages)

    outside: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    browser.route("**/*", route)
    problems: dict[str, list[str]] = {}
    states: dict[str, dict] = {}
    for name in pages:
        found: list[str] = []
        page = browser.new_page()
        page.on("console", lambda m, f=found: m.type == "error" and f.append(f"console: {m.text}"))
        page.on("pageerror", lambda e, f=found: f.append(f"page error: {e}"))
        page.on("requestfailed", lambda r, f=found: f.append(f"request failed: {r.url}"))
        page.on("response", lambda r, f=found: r.status >= 400 and f.append(f"{r.status}: {r.url}"))
        response = page.goto(base + name, wait_until="load")
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        state = page.evaluate(PAGE_STATE)
        page.close()
        states[name] = state

        found += [f"figure not shown: {i['src']}" for i in state["images"] if not i["ok"]]
        found += [f"maths not typeset: {t[:80]!r}" for t in state["untypeset"]]
        found += [f"TeX error: {t[:80]!r}" for t in state["texErrors"]]
        found += [f"raw TeX in the text: {m!r}" for m in RAW_TEX.findall(state["prose"])[:5]]
        for href in state["links"]:
            problem = resolve_internal(out, base, base + name, href)
            if problem:
                found.append(f"broken link {problem}")
        if found:
            problems[name] = found
    assert not outside, f"requests left the machine: {sorted(set(outside))[:10]}"
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
