# Payymo developer commands. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: help install run test lint fmt typecheck unit integration migrate bench clean

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

test: lint ## Lint, type check, then every test suite
	$(BIN)/pytest

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
