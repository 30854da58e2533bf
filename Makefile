# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The BigQuery emulator pins sqlglot, DuckDB and numpy differently from us: its own virtualenv.
BQVENV       := .bqvenv
BQVENV_STAMP := $(BQVENV)/.installed-stamp

.PHONY: demo test lint unit install bqvenv clean

PACKAGES := -e '.[dev,bigquery,dashboard,kestra]'
# $(call install_with_uv,<virtualenv>,<packages>): uv installs the packages (pip only bootstraps
# it), compiling their bytecode as pip does: .venv in 18 s against pip's 46 s (2026-12-04; pip
# kept no cache here, uv's was warm). uv reads none of pip's configuration (a private index, a
# proxy's certificate): when it fails, pip installs.
install_with_uv = ( $(1)/bin/python -m pip install --quiet uv \
	&& $(1)/bin/uv pip install --quiet --compile-bytecode --python $(1)/bin/python $(2) ) \
	|| { echo "uv failed: installing with pip"; $(1)/bin/python -m pip install --quiet $(2); }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "adventure_elt needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(call install_with_uv,$(VENV),$(PACKAGES))
	@touch $(STAMP)

install: $(STAMP)

# bqemulator 1.4.0 with DuckDB 1.5.5 and its spatial/avro extensions from PyPI (the emulator
# would download them at start-up); they are installed under .bqvenv/duckdb-home, the HOME the
# test fixture gives the emulator. sqlglotc is the same sqlglot compiled (the emulator spent about
# 60% of its time parsing with sqlglot). Rebuilt when this file changes: it lists the packages.
BQ_PACKAGES := bqemulator==1.4.0 duckdb==1.5.5 duckdb-extension-spatial==1.5.5 \
	duckdb-extension-avro==1.5.5 numpy sqlglot==30.11.0 sqlglotc==30.11.0
$(BQVENV_STAMP): Makefile
	$(PYTHON) -m venv $(BQVENV)
	$(call install_with_uv,$(BQVENV),$(BQ_PACKAGES))
	mkdir -p $(BQVENV)/duckdb-home
	HOME=$(CURDIR)/$(BQVENV)/duckdb-home $(BQVENV)/bin/python tests/bigquery/install_extensions.py
	@touch $(BQVENV_STAMP)

bqvenv: $(BQVENV_STAMP)

## demo: start the embedded PostgreSQL, seed it and run the pipeline on embedded defaults
demo: $(STAMP)
	$(BIN)/adventure-elt demo

# Test workers (pytest-xdist): `auto` is one per physical core, plus one (tests/conftest.py): the
# tests wait often enough (on PostgreSQL, the emulator, subprocesses) that a third worker kept 2
# cores busier: 0.90-0.99x the time of two, median 0.91x over three pairs, all green.
# `make test PYTEST_WORKERS=0` runs in one process. A test file runs whole on one worker, in
# order (`loadfile`): some share a module fixture whose state one test leaves for the next. Every
# worker has its own embedded PostgreSQL and emulator (session fixtures) under its own folder.
PYTEST_WORKERS ?= auto
SERIAL_WORKERS ?= 2

## test: lint, type-check and run every test that needs no cloud
# Each run gets its own temp root: pytest's shared default (/tmp/pytest-of-$USER) keeps three
# runs only, so a second checkout's run would delete this run's embedded PostgreSQL under it.
# The tests marked `serial` kill a process at a moment they watch for: they run afterwards, two
# at a time (SERIAL_WORKERS), so the parallel pass's load cannot move that moment. They mostly
# wait: two at a time took 55-57 s against 78 s one by one, green in 5 of 5 runs (bench/RESULTS.md).
# --durations lists where the time goes.
# The two virtualenvs build side by side, and uv installs their packages: on a fresh clone both
# virtualenvs and lint took 32 s without compiling bytecode, against 61 s with pip alone (one run
# each; lint is 23 s of it, mostly mypy without a cache).
test:
	@$(MAKE) --no-print-directory -j2 lint bqvenv
	@tmp=$$(mktemp -d /tmp/adventure-elt-test-XXXXXX); \
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile -m "not serial" --basetemp=$$tmp/parallel \
		--durations=25; parallel=$$?; \
	$(BIN)/pytest -n $(SERIAL_WORKERS) --dist load -m serial --basetemp=$$tmp/serial \
		--durations=5; serial=$$?; \
	rm -rf $$tmp; [ $$parallel -eq 0 ] && [ $$serial -eq 0 ]

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## unit: the fast tests only (no embedded PostgreSQL)
unit: $(STAMP)
	$(BIN)/pytest -m "not postgres and not bigquery and not e2e and not browser"

clean:
	rm -rf $(VENV) $(BQVENV) .adventure adventure.duckdb .pytest_cache .mypy_cache .ruff_cache
