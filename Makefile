# The two commands of the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint unit install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "adventure_elt needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: start the embedded PostgreSQL, seed it and run the pipeline on embedded defaults
demo: $(STAMP)
	$(BIN)/adventure-elt demo

## test: lint, type-check and run every test that needs no cloud
test: lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## unit: the fast tests only (no embedded PostgreSQL)
unit: $(STAMP)
	$(BIN)/pytest -m "not postgres and not bigquery and not e2e and not browser"

clean:
	rm -rf $(VENV) .adventure adventure.duckdb .pytest_cache .mypy_cache .ruff_cache
