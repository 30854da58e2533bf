# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The BigQuery emulator pins sqlglot, DuckDB and numpy differently from us: its own virtualenv.
BQVENV       := .bqvenv
BQVENV_STAMP := $(BQVENV)/.installed-stamp

.PHONY: demo test lint unit install bqvenv clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "adventure_elt needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bigquery,dashboard,kestra]'
	@touch $(STAMP)

install: $(STAMP)

# bqemulator 1.4.0 with DuckDB 1.5.5 and its spatial/avro extensions from PyPI (the emulator
# would download them at start-up); they are installed under .bqvenv/duckdb-home, the HOME the
# test fixture gives the emulator.
$(BQVENV_STAMP):
	$(PYTHON) -m venv $(BQVENV)
	$(BQVENV)/bin/python -m pip install --quiet --upgrade pip
	$(BQVENV)/bin/python -m pip install --quiet bqemulator==1.4.0 duckdb==1.5.5 \
		duckdb-extension-spatial==1.5.5 duckdb-extension-avro==1.5.5 numpy
	mkdir -p $(BQVENV)/duckdb-home
	HOME=$(CURDIR)/$(BQVENV)/duckdb-home $(BQVENV)/bin/python tests/bigquery/install_extensions.py
	@touch $(BQVENV_STAMP)

bqvenv: $(BQVENV_STAMP)

## demo: start the embedded PostgreSQL, seed it and run the pipeline on embedded defaults
demo: $(STAMP)
	$(BIN)/adventure-elt demo

## test: lint, type-check and run every test that needs no cloud
# Each run gets its own temp root: pytest's shared default (/tmp/pytest-of-$USER) keeps three
# runs only, so a second checkout's run would delete this run's embedded PostgreSQL under it.
# --durations=25 lists the slowest tests last: where the suite's time goes.
test: lint $(BQVENV_STAMP)
	@tmp=$$(mktemp -d /tmp/adventure-elt-test-XXXXXX); \
	$(BIN)/pytest --basetemp=$$tmp --durations=25; status=$$?; rm -rf $$tmp; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## unit: the fast tests only (no embedded PostgreSQL)
unit: $(STAMP)
	$(BIN)/pytest -m "not postgres and not bigquery and not e2e and not browser"

clean:
	rm -rf $(VENV) $(BQVENV) .adventure adventure.duckdb .pytest_cache .mypy_cache .ruff_cache
