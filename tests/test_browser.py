"""Every page of the built book, opened in headless Chromium: nothing fails to load, every figure
is visible, all math is typeset by the book's own MathJax, and the scorecard lists every claim.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``), driven by Playwright
with no browser download. Without Chromium the tests are skipped, unless
``CNNMATH_REQUIRE_BROWSER=1`` (set in CI), where its absence is a failure. Screenshots of the
landing page and one notebook page at desktop and phone widths are written to
``_runs/screenshots/`` for a person to look at.
"""

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnmath.book.catalog import load_catalog, repo_root
from cnnmath.book.claims import read_claims

ROOT = repo_root()
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOT_PAGE = "book/volterra/fig06_conv_sigmoid.html"

# What a page must look like once loaded; run in the page, returns a list of problems.
PAGE_CHECK = """() => {
  const problems = [];
  for (const img of document.querySelectorAll('main img')) {
    const box = img.getBoundingClientRect();
    if (!img.complete || img.naturalWidth === 0) problems.push('broken image ' + img.src);
    else if (box.width < 50 || box.height < 50) problems.push('image not visible ' + img.src);
  }
  for (const math of document.querySelectorAll('main .math')) {
    if (!math.querySelector('mjx-container')) problems.push('math not typeset: ' + math.textContent.slice(0, 60));
  }
  if (document.querySelector('mjx-merror')) problems.push('MathJax error: ' + document.querySelector('mjx-merror').textContent);
  const prose = document.querySelector('main').cloneNode(true);
  prose.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
  for (const raw of ['$$', '\\\\(', '\\\\[', '\\\\begin{']) {
    if (prose.textContent.includes(raw)) problems.push('raw math left in the text: ' + raw);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def site(html: Path) -> Iterator[str]:
    """The built book served on localhost (fonts and scripts need http, not file://)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CNNMATH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (.ci/run does)")
        pytest.skip(f"Chromium not found at {CHROMIUM}; `apt-get install chromium` to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORTS["desktop"],
        )
        yield context
        context.close()


def open_page(browser, url: str) -> tuple[object, list[str]]:
    """Open ``url``; return the page and every failed or non-OK request it made."""
    page = browser.new_page()
    failures: list[str] = []
    page.on("requestfailed", lambda r: failures.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: failures.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, failures


def test_every_page_loads_fully_with_figures_and_typeset_math(html: Path, site: str, browser) -> None:
    pages = sorted(
        p.relative_to(html).as_posix() for p in html.rglob("*.html") if not p.relative_to(html).parts[0].startswith("_")
    )
    assert "book/scorecard.html" in pages and len(pages) > 5
    problems = {}
    for rel in pages:
        page, failures = open_page(browser, f"{site}/{rel}")
        found = failures + page.evaluate(PAGE_CHECK)
        if found:
            problems[rel] = found
        page.close()
    assert not problems, problems


def test_notebook_pages_show_each_figure(html: Path, site: str, browser) -> None:
    for paper in load_catalog(ROOT):
        for entry in paper.entries:
            if entry.name.startswith("tab"):
                continue  # a table's page may print its table instead (tests/test_book.py checks it)
            page, _ = open_page(browser, f"{site}/book/{entry.paper}/{entry.name}.html")
            shown = page.evaluate(
                "() => [...document.querySelectorAll('main .cell_output img')]"
                ".filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().height > 50).length"
            )
            assert shown >= 1, f"{entry.paper}/{entry.name}: no figure visible"
            page.close()


def test_scorecard_table_holds_every_claim(site: str, browser) -> None:
    page, _ = open_page(browser, f"{site}/book/scorecard.html")
    table_text = page.evaluate("() => [...document.querySelectorAll('main table')].map(t => t.innerText).join('\\n')")
    claims = [c for paper in load_catalog(ROOT) for e in paper.entries for c in read_claims(e.executed(ROOT))]
    assert claims
    for claim in claims:
        assert claim.id in table_text, f"{claim.id} not in the scorecard table"
    page.close()


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_screenshots_for_a_person_to_look_at(site: str, browser, width: str) -> None:
    out = ROOT / "_runs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for name, rel in (("landing", "index.html"), ("notebook", SHOT_PAGE)):
        page, _ = open_page(browser, f"{site}/{rel}")
        page.set_viewport_size(VIEWPORTS[width])
        page.wait_for_timeout(300)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{rel} scrolls sideways by {overflow}px at {width} width"
        target = out / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 10_000
        page.close()
