"""Every page of the built book, opened in headless Chromium: nothing fails to load, no console
error, every figure is visible, all math is typeset by the book's own MathJax, and the scorecard
lists every claim. The menu button opens and closes the chapter list on a phone (390 px) and
collapses the sidebar on a desktop (1400 px); code and outputs never scroll sideways at 1400 px;
figures keep their aspect ratio on a phone, and a captioned figure has its number and alt text.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``.ci/run``), driven by Playwright
with no browser download. Without Chromium the tests are skipped, unless
``CNNMATH_REQUIRE_BROWSER=1`` (set in CI), where its absence is a failure. Screenshots of the
landing page, one notebook page and the scorecard at desktop and phone widths, and of the menu
open on a phone, are written to ``_runs/screenshots/`` for a person to look at.
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
WIDE = {"width": 1400, "height": 900}
SHOTS = ROOT / "_runs" / "screenshots"
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


def open_page(browser, url: str, viewport: dict | None = None) -> tuple[object, list[str]]:
    """Open ``url``; return the page and every failed or non-OK request it made, and every console
    error or uncaught exception of its scripts."""
    page = browser.new_page()
    if viewport:
        page.set_viewport_size(viewport)
    failures: list[str] = []
    page.on("requestfailed", lambda r: failures.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: failures.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    page.on("console", lambda m: failures.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda err: failures.append(f"script error: {err}"))
    page.goto(url, wait_until="networkidle")
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    return page, failures


def book_pages(html: Path) -> list[str]:
    """Every page of the book, without the root ``index.html``: it only redirects to
    ``book/intro.html`` (tested on its own, below)."""
    return sorted(
        p.relative_to(html).as_posix() for p in html.rglob("*.html")
        if not p.relative_to(html).parts[0].startswith("_") and p.relative_to(html).as_posix() != "index.html"
    )


def notebook_pages() -> list[str]:
    return [f"book/{e.paper}/{e.name}.html" for paper in load_catalog(ROOT) for e in paper.entries]


def test_every_page_loads_fully_with_figures_and_typeset_math(html: Path, site: str, browser) -> None:
    pages = book_pages(html)
    assert "book/scorecard.html" in pages and len(pages) > 5
    problems = {}
    for rel in pages:
        page, failures = open_page(browser, f"{site}/{rel}")
        found = failures + page.evaluate(PAGE_CHECK)
        if found:
            problems[rel] = found
        page.close()
    assert not problems, problems


def test_the_root_page_opens_the_landing_page_cleanly(site: str, browser) -> None:
    """``/`` (the stage's own root page) redirects to the landing page without a failed request
    (its icon is declared empty, so no ``/favicon.ico`` request) or a console error, at both widths."""
    for viewport in VIEWPORTS.values():
        page, failures = open_page(browser, f"{site}/", viewport)
        page.wait_for_url("**/book/intro.html")
        page.wait_for_load_state("networkidle")
        assert page.title() and not failures, failures
        page.close()


def test_no_console_error_on_any_page_at_phone_width(html: Path, site: str, browser) -> None:
    """Console errors (a script redeclaring a constant, a failed handler) on any page, on a phone."""
    errors = {}
    for rel in book_pages(html):
        page, failures = open_page(browser, f"{site}/{rel}", VIEWPORTS["phone"])
        found = [f for f in failures if f.startswith(("console error", "script error"))]
        if found:
            errors[rel] = found
        page.close()
    assert sum(map(len, errors.values())) == 0, errors


# The chapter list as a reader sees it: visible links to the chapter pages, wherever they are.
CHAPTER_LINKS_SHOWN = """() => [...document.querySelectorAll('nav.bd-links a.reference')]
  .filter(a => a.getAttribute('href').endsWith('index.html') && a.checkVisibility() &&
               a.getBoundingClientRect().width > 0 && a.getBoundingClientRect().right > 0 &&
               a.getBoundingClientRect().left < window.innerWidth).length"""
VISIBLE_TOGGLE = ".primary-toggle >> visible=true"


def test_menu_opens_and_closes_the_chapter_list_on_a_phone(site: str, browser) -> None:
    page, failures = open_page(browser, f"{site}/{SHOT_PAGE}", VIEWPORTS["phone"])
    assert page.evaluate(CHAPTER_LINKS_SHOWN) == 0, "the chapter list shows before the menu is tapped"
    page.locator(VISIBLE_TOGGLE).first.click()  # a tap dispatches the same click
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.querySelector('#pst-primary-sidebar-modal').open"), "the menu did not open"
    assert page.evaluate(CHAPTER_LINKS_SHOWN) >= 5, "the menu opened without the chapter list"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "menu-open-phone.png"))
    page.keyboard.press("Escape")
    page.wait_for_timeout(400)
    assert not page.evaluate("() => document.querySelector('#pst-primary-sidebar-modal').open"), "Escape left it open"
    assert page.evaluate(CHAPTER_LINKS_SHOWN) == 0, "the chapter list stayed on screen"
    # open again, and close by tapping outside the menu (the dialog's backdrop)
    page.locator(VISIBLE_TOGGLE).first.click()
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.querySelector('#pst-primary-sidebar-modal').open"), "the menu did not reopen"
    page.mouse.click(VIEWPORTS["phone"]["width"] - 5, VIEWPORTS["phone"]["height"] // 2)
    page.wait_for_timeout(400)
    closed = not page.evaluate("() => document.querySelector('#pst-primary-sidebar-modal').open")
    assert closed, "a tap outside left it open"
    # the "on this page" button opens the page's contents the same way
    page.locator(".secondary-toggle >> visible=true").first.click()
    page.wait_for_timeout(400)
    assert page.evaluate("() => document.querySelector('#pst-secondary-sidebar-modal').open"), "contents did not open"
    page.keyboard.press("Escape")
    page.wait_for_timeout(400)
    assert not page.evaluate("() => document.querySelector('#pst-secondary-sidebar-modal').open")
    assert not [f for f in failures if f.startswith(("console", "script"))], failures
    page.close()


def test_menu_collapses_and_restores_the_sidebar_on_a_desktop(site: str, browser) -> None:
    page, failures = open_page(browser, f"{site}/{SHOT_PAGE}", WIDE)
    assert page.evaluate(CHAPTER_LINKS_SHOWN) >= 5, "the sidebar does not show the chapter list at 1400 px"
    page.locator(VISIBLE_TOGGLE).first.click()
    page.wait_for_timeout(500)
    assert page.evaluate(CHAPTER_LINKS_SHOWN) == 0, "the menu button did not collapse the sidebar"
    page.locator(VISIBLE_TOGGLE).first.click()
    page.wait_for_timeout(500)
    assert page.evaluate(CHAPTER_LINKS_SHOWN) >= 5, "the menu button did not bring the sidebar back"
    assert not [f for f in failures if f.startswith(("console", "script"))], failures
    page.close()


# Code cells, outputs and their <pre> blocks wider than their box (a sideways scroll bar).
SIDEWAYS = """() => [...document.querySelectorAll(
    'main div.cell div.highlight, main div.cell div.highlight pre, main div.cell_output, ' +
    'main div.cell_output pre, main div.cell_output .output')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && e.getBoundingClientRect().height > 0)
  .map(e => e.className + ': ' + e.scrollWidth + ' > ' + e.clientWidth + ' px: ' + e.textContent.trim().slice(0, 50))"""


def test_no_code_cell_or_output_scrolls_sideways_at_1400px(site: str, browser) -> None:
    wide = {}
    for rel in notebook_pages():
        page, _ = open_page(browser, f"{site}/{rel}", WIDE)
        found = page.evaluate(SIDEWAYS)
        if found:
            wide[rel] = found
        page.close()
    assert not wide, wide


# Images drawn at their aspect ratio, and captioned figures with a number and real alt text.
FIGURE_CHECK = """() => {
  const problems = [];
  for (const img of document.querySelectorAll('main .cell_output img')) {
    const box = img.getBoundingClientRect();
    if (!img.naturalWidth || box.width === 0) continue;
    const drawn = box.height / box.width, natural = img.naturalHeight / img.naturalWidth;
    if (Math.abs(drawn / natural - 1) > 0.02) problems.push('image squashed ' + img.src);
    if (box.right > window.innerWidth + 1) problems.push('image wider than the screen ' + img.src);
  }
  for (const fig of document.querySelectorAll('main figure')) {
    const img = fig.querySelector('img');
    if (!fig.querySelector('figcaption .caption-number')) problems.push('figure without a number: ' + fig.id);
    if (img && (!img.alt || /\\.(png|svg|jpe?g)$/i.test(img.alt))) problems.push('figure without alt text: ' + fig.id);
  }
  return problems;
}"""


def test_figures_keep_their_shape_on_a_phone_and_captions_are_numbered(site: str, browser) -> None:
    problems = {}
    for rel in notebook_pages():
        page, _ = open_page(browser, f"{site}/{rel}", VIEWPORTS["phone"])
        found = page.evaluate(FIGURE_CHECK)
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
def test_every_scorecard_cell_is_within_the_screen(site: str, browser, width: str) -> None:
    """No column of a claim table hides off-screen (inside its own scroll box) on a phone or a
    desktop: on a phone each row is a card."""
    page, _ = open_page(browser, f"{site}/book/scorecard.html", VIEWPORTS[width])
    outside = page.evaluate(
        "() => [...document.querySelectorAll('main table td')]"
        ".filter(td => td.getBoundingClientRect().right > window.innerWidth + 1).length"
    )
    assert outside == 0, f"{outside} scorecard cells end right of the screen at {width} width"
    page.close()


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_screenshots_for_a_person_to_look_at(site: str, browser, width: str) -> None:
    out = SHOTS
    out.mkdir(parents=True, exist_ok=True)
    for name, rel in (("landing", "index.html"), ("notebook", SHOT_PAGE), ("scorecard", "book/scorecard.html")):
        page, _ = open_page(browser, f"{site}/{rel}")
        page.set_viewport_size(VIEWPORTS[width])
        page.wait_for_timeout(300)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{rel} scrolls sideways by {overflow}px at {width} width"
        target = out / f"{name}-{width}.png"
        page.screenshot(path=str(target), full_page=False)
        assert target.stat().st_size > 10_000
        page.close()
