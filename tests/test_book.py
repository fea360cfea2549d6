"""The HTML book (built once per session, `html` fixture) shows every notebook, its figures and the
scorecard, and loads nothing from the internet."""

import re
from html.parser import HTMLParser
from pathlib import Path

from cnnmath.book.catalog import load_catalog, repo_root
from cnnmath.book.claims import read_claims

ROOT = repo_root()
PAPERS = load_catalog(ROOT)


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "img":
            self.sources.append(dict(attrs).get("src", ""))


class Loads(HTMLParser):
    """Every address a page loads by itself (scripts, styles, icons, images, frames), not links."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.addresses.append(attrs["src"])
        if tag == "link" and attrs.get("href") and attrs.get("rel") != "canonical":
            self.addresses.append(attrs["href"])


def test_landing_page_chapters_and_scorecard_exist(html: Path) -> None:
    assert (html / "index.html").exists() and (html / "book" / "intro.html").exists()
    for paper in PAPERS:
        assert (html / "book" / paper.name / "index.html").exists()
    assert (html / "book" / "scorecard.html").exists() and (html / "book" / "performance.html").exists()


def test_every_notebook_page_shows_its_figures(html: Path) -> None:
    """A figure's page shows at least one image; a table's page (tabNN) an image or a table."""
    for paper in PAPERS:
        for entry in paper.entries:
            page = html / "book" / entry.paper / f"{entry.name}.html"
            assert page.exists(), page
            text = page.read_text(encoding="utf-8")
            parser = Images()
            parser.feed(text)
            figures = [s for s in parser.sources if "_images/" in s]
            if entry.name.startswith("tab") and not figures:
                outputs = re.findall(r'<div class="cell_output docutils container">(.*?)</div>\s*</div>', text, re.S)
                assert any("<table" in o or o.count("\n") >= 3 for o in outputs), f"{page.name} shows no table"
                continue
            assert figures, f"{page.name} shows no figure"
            for src in figures:
                assert (page.parent / src).resolve().exists(), f"{page.name}: broken image {src}"


def test_scorecard_page_lists_every_claim_with_its_status(html: Path) -> None:
    text = (html / "book" / "scorecard.html").read_text(encoding="utf-8")
    for paper in PAPERS:
        for entry in paper.entries:
            for claim in read_claims(entry.executed(ROOT)):
                row = re.search(re.escape(claim.id) + r".*?</tr>", text, re.S)
                assert row, f"{claim.id} missing from the scorecard page"
                assert claim.status in row.group(0)
                assert f"{entry.name}.html" in row.group(0), "the claim's row must link its notebook"


def test_pages_load_nothing_from_the_internet(html: Path) -> None:
    pages = sorted(html.rglob("*.html"))
    assert len(pages) > 5
    remote = {}
    for page in pages:
        parser = Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        found = [a for a in parser.addresses if re.match(r"(https?:)?//", a)]
        if found:
            remote[page.relative_to(html).as_posix()] = found
    assert not remote, f"pages load remote files: {remote}"


def test_math_pages_load_the_books_own_mathjax(html: Path) -> None:
    page = (html / "book" / "volterra" / "fig06_conv_sigmoid.html").read_text(encoding="utf-8")
    script = re.search(r'<script[^>]*src="([^"]*tex-mml-chtml\.js)[^"]*"', page)
    assert script, "the notebook page with math loads no MathJax"
    local = (html / "book" / "volterra" / script.group(1).split("?")[0]).resolve()
    assert local.is_file() and local.stat().st_size > 100_000
    fonts = list((html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20
