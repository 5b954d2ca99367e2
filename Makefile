# CML Earth: `make run` serves the demo at http://127.0.0.1:5000, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app cml_earth
export CML_ENV ?= development

.PHONY: run test e2e e2e-deps bench bench-deps faults lint format translations translations-update system-deps migrate seed clean

# System libraries that Python packages build against (PyICU needs ICU and pkg-config).
system-deps:
	@if ! pkg-config --exists icu-i18n 2>/dev/null || ! command -v g++ >/dev/null; then \
	  echo "Installing ICU headers, pkg-config and g++ (needed to build PyICU)..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libicu-dev pkg-config g++; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq libicu-dev pkg-config g++; fi; \
	fi

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall when the dependency list changes.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/activate system-deps
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v "^compiling" || true

translations-update: $(VENV)/.installed
	$(FLASK) translate update

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) demo seed

run: translations seed
	@echo "Serving CML Earth at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check cml_earth tests bench
	$(BIN)/bandit -r cml_earth -q --severity-level low

format: $(VENV)/.installed
	$(BIN)/ruff format cml_earth tests
	$(BIN)/ruff check --fix .

# The browser tests drive Debian's Chromium (never a downloaded one) and inject axe-core from npm.
E2E_NODE := tests/e2e/node_modules/.installed

e2e-deps: $(E2E_NODE)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "Installing Debian's chromium and chromium-driver for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver; fi; \
	fi

$(E2E_NODE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Tests run in parallel, one process per core (at most 4): each process has its own databases.
# Browser tests are grouped per file, so a process starts its live sites and Chromium once.
PYTEST_ARGS ?= -n auto --maxprocesses 4 --dist loadgroup

test: translations lint e2e-deps
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the browser tests (they are part of `make test` too).
e2e: translations e2e-deps $(VENV)/.installed
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

# The benchmark (issue 8): the production configuration under wrk and a logged-in journey, on
# PostgreSQL and SQLite; BENCH_SIZE=small|medium|full. Never part of `make test`.
bench-deps:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk for the benchmark..."; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk; fi; \
	fi

bench: translations bench-deps $(VENV)/.installed
	$(BIN)/python bench/run.py

# Faults under load (issue 8): a worker killed, a private PostgreSQL restarted, a private Redis
# stopped, SQLite under mixed load; about 4 minutes, loopback only. Never part of `make test`.
faults: translations $(VENV)/.installed
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache translations/*/LC_MESSAGES/*.mo
