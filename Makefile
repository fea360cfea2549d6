# `make book` and `make test` are all the set-up a fresh machine needs (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=1200 --nbval-sanitize-with tests/nbval_sanitize.cfg

# The notebooks the HTML is built from: the committed record book/ by default (`make html`, the
# published site); `make book` executes every notebook into _runs/book/ and builds from those.
NOTEBOOKS ?= book

.PHONY: book test seeds venv data assets notebooks record toc scorecard html bench clean

book: venv assets  ## set up, execute every notebook into _runs/book/, build the HTML from them (tree untouched)
	$(PY) -m cnnmath.book.reproduce --profile book
	$(PY) -m cnnmath.book.stage --notebooks _runs/book --build book

test: venv  ## unit tests and checks (incl. a book build), then nbval over every book notebook
	$(PY) -m pytest -q tests lib
	$(PY) -m pytest -q $(NBVAL) book --ignore=book/_build --ignore-glob='book/*/.*'

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book]"
	touch $@

data: venv  ## fetch and verify the offline datasets
	$(PY) -m cnnmath.data

notebooks: venv  ## execute every notebook with the book profile into _runs/book/ (git-ignored)
	$(PY) -m cnnmath.book.reproduce --profile book

record: venv  ## rewrite the committed record: every notebook into book/, then _toc.yml and the scorecard
	$(PY) -m cnnmath.book.reproduce --record
	$(PY) -m cnnmath.book.catalog toc
	$(PY) -m cnnmath.book.scorecard

# The chapters CI's seed sweep covers; empty: every notebook of the book (all five chapters swept
# clean, 0 flips, at the current record). `make seeds SEED_CHAPTERS=shift` sweeps one chapter.
SEED_CHAPTERS ?=

seeds: venv  ## rerun notebooks at seeds the book does not use (SEED_CHAPTERS); fail on any verdict flip
	$(PY) -m cnnmath.book.reproduce --seeds $(SEED_CHAPTERS)

toc: venv  ## regenerate _toc.yml from lib/cnnmath/book/profiles
	$(PY) -m cnnmath.book.catalog toc

scorecard: venv  ## regenerate book/scorecard.md from the committed notebooks, print it
	$(PY) -m cnnmath.book.scorecard

assets: venv  ## web assets the book serves itself (MathJax, from npm, checksummed)
	$(PY) -m cnnmath.book.assets _assets/mathjax

html: assets  ## stage $(NOTEBOOKS) with the book's pages into _runs/stage/, build the HTML (no execution)
	$(PY) -m cnnmath.book.stage --notebooks $(NOTEBOOKS) --build book

bench: venv  ## side-by-side benchmarks (not part of make test), then book/performance.md
	$(PY) -m pip install --quiet -e ".[book,bench]"
	$(PY) -m pip install --quiet --no-deps dtcwt==0.14.0
	for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done
	$(PY) -m cnnmath.book.bench

clean:
	rm -rf book/_build _runs .pytest_cache
