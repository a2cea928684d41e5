# Payymo developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed

# The shifted-clock pass of `make test` moves the wall clock this far ahead (libfaketime).
SHIFT ?= +400d

.PHONY: help install run test test-shifted security lint fmt typecheck unit integration migrate bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Payymo with its pinned dependencies

run: install ## Migrate the embedded database, seed the demo tenant, serve on http://127.0.0.1:5000
	$(BIN)/payymo db upgrade
	$(BIN)/payymo demo seed
	$(BIN)/payymo serve

migrate: install ## Apply database migrations (DATABASE_MIGRATION_URL or DATABASE_URL)
	$(BIN)/payymo db upgrade

lint: install ## ruff lint, ruff format check, mypy
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy src

fmt: install ## Format and auto-fix the code
	$(BIN)/ruff format src tests migrations bench
	$(BIN)/ruff check --fix src tests migrations bench

test: lint ## Lint, type check, every test suite, then the shifted-clock pass
	$(BIN)/pytest
	@$(MAKE) --no-print-directory test-shifted

# The suites that need no PostgreSQL again, with the wall clock $(SHIFT) ahead and the monotonic
# clock left alone; tests/shifted_clock adapts Python's time.sleep to libfaketime.
test-shifted: install ## The suites without PostgreSQL, with the clock moved a year ahead
	@if ! command -v faketime >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's faketime"; \
	    apt-get install -y -qq faketime >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq faketime >/dev/null; }; \
	fi; \
	if ! command -v faketime >/dev/null; then \
	    if [ "$${CI:-}" = true ]; then echo "faketime is missing (apt-get install faketime); CI=true needs it" >&2; exit 1; fi; \
	    echo "SKIPPED the shifted-clock pass: faketime is missing (apt-get install faketime)"; exit 0; \
	fi; \
	echo "== the suites without PostgreSQL, the clock moved $(SHIFT) ahead of $$(date -u +%F)"; \
	PAYYMO_TEST_REAL_DAY=$$(date -u +%F) PYTHONPATH=$(CURDIR)/tests/shifted_clock FAKETIME_DONT_FAKE_MONOTONIC=1 \
	    faketime -f '$(SHIFT)' $(BIN)/pytest -p no:cacheprovider -m 'not postgres'

security: install ## Only the security suites (docs/security.md); PostgreSQL ones too when it is up
	$(BIN)/pytest -m security

unit: install ## Only the unit tests (no database server needed)
	$(BIN)/pytest tests/unit

integration: install ## Only the integration tests (SQLite, and PostgreSQL/Redis when present)
	$(BIN)/pytest tests/integration

bench: install ## Run the benchmarks under bench/ and print their figures (needs PostgreSQL, wrk)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	@shopt -s nullglob; benches=(bench/[!_]*.py); \
	if [ $${#benches[@]} -eq 0 ]; then echo "no benchmarks yet"; fi; \
	for b in "$${benches[@]}"; do echo "== $$b"; $(PY) "$$b" || exit 1; done

clean: ## Remove the virtualenv, caches and the embedded database
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
