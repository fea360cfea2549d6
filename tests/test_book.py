"""The HTML book (built once per session, `html` fixture) shows every notebook, its figures and the
scorecard, and loads nothing from the internet."""

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
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
                outputs = re.findall(r'<div class="cell_output docutils container">(.*?)</div>\s*</div>', text, re.DOTALL)
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
                row = re.search(  # the whole id: `a.b` is a prefix of `a.b_exact`
                    r"<tr[^>]*>(?:(?!</tr>).)*?" + re.escape(claim.id) + r"(?![\w.]).*?</tr>", text, re.DOTALL
                )
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


def test_the_stage_shows_verdicts_and_provenance_under_each_title(tmp_path) -> None:
    """The HTML is built from a stage (``cnnmath.book.stage``): each notebook there has, right
    after its title, a cell with its verdict table and provenance box; the record is untouched."""
    from cnnmath.book.stage import STAGED_TAG, stage

    before = {p: p.read_bytes() for p in (ROOT / "book").rglob("*.ipynb") if "_build" not in p.parts}
    dest = stage(ROOT, ROOT / "book", tmp_path / "stage")
    assert {p: p.read_bytes() for p in (ROOT / "book").rglob("*.ipynb") if "_build" not in p.parts} == before
    for paper in PAPERS:
        for entry in paper.entries:
            nb = nbformat.read(str(dest / "book" / entry.paper / f"{entry.name}.ipynb"), as_version=4)
            assert nb.cells[0].source.startswith("# ") and STAGED_TAG in nb.cells[1].metadata["tags"], entry.key
            cell = nb.cells[1].source
            assert 'class="cnnmath-verdicts"' in cell and 'class="cnnmath-provenance"' in cell
            for claim in read_claims(entry.executed(ROOT)):
                assert claim.id in cell, f"{entry.key}: {claim.id} missing from the verdict table"
    assert not (dest / "lib").exists() and (dest / "_toc.yml").exists()


def test_notebook_pages_show_verdicts_and_provenance_right_after_the_title(html: Path) -> None:
    """Holds when the ``html`` fixture builds the book through ``cnnmath.book.stage.build``."""
    for paper in PAPERS:
        for entry in paper.entries:
            text = (html / "book" / entry.paper / f"{entry.name}.html").read_text(encoding="utf-8")
            title = text.find("<h1")
            verdicts, prov = text.find('class="cnnmath-verdicts"'), text.find('class="cnnmath-provenance"')
            first_code = text.find('class="cell docutils container"')
            assert 0 <= title < verdicts < prov, f"{entry.name}: no verdicts/provenance after the title"
            assert first_code == -1 or prov < first_code, f"{entry.name}: verdicts come after code"
