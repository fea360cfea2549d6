# `make book` and `make test` are all the set-up a fresh machine needs (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=1200 --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: book test venv data assets notebooks toc scorecard html bench clean

book: notebooks toc scorecard html  ## set up, execute every notebook into book/, build the HTML
	@echo "The book is at $(CURDIR)/book/_build/html/index.html"

test: venv  ## unit tests and checks (incl. a book build), then nbval over every book notebook
	$(PY) -m pytest -q tests lib
	$(PY) -m pytest -q $(NBVAL) book --ignore=book/_build

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book]"
	touch $@

data: venv  ## fetch and verify the offline datasets
	$(PY) -m cnnmath.data

notebooks: venv  ## execute every notebook with the book profile (papermill, atomic writes)
	$(PY) -m cnnmath.book.reproduce --profile book

toc: venv  ## regenerate _toc.yml from lib/cnnmath/book/profiles
	$(PY) -m cnnmath.book.catalog toc

scorecard: venv  ## regenerate book/scorecard.md from the executed notebooks, print it
	$(PY) -m cnnmath.book.scorecard

assets: venv  ## web assets the book serves itself (MathJax, from npm, checksummed)
	$(PY) -m cnnmath.book.assets _assets/mathjax

html: assets  ## build the HTML book (no execution)
	$(VENV)/bin/jupyter-book build . --path-output book -W -n --keep-going

bench: venv  ## side-by-side benchmarks (not part of make test), then book/performance.md
	$(PY) -m pip install --quiet -e ".[book,bench]"
	$(PY) -m pip install --quiet --no-deps dtcwt==0.14.0
	for script in benchmarks/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done
	$(PY) -m cnnmath.book.bench

clean:
	rm -rf book/_build _runs .pytest_cache
