# The two commands: `make run` serves the app, `make test` runs every check and test.
# Both set up .venv/ from the pinned requirements first, so a fresh clone needs only Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
# Eight threads a worker: FETCH_MAX_IN_FLIGHT (3) may wait on slow issuers, five stay free.
THREADS ?= 8
# `make run` is a local server: development mode, unless the environment says otherwise.
export BACKPACK_ENVIRONMENT ?= development

.PHONY: run test lint typecheck pytest bench-smoke install install-dev chromium axe wrk clean

# gunicorn and the background worker (huey) together: Ctrl-C stops both (backpack/local_server.py).
run: install
	$(BIN)/flask --app wsgi db upgrade
	exec $(BIN)/python -m backpack.local_server --port $(PORT) --workers $(WORKERS) --threads $(THREADS)

test: install-dev chromium axe wrk lint typecheck pytest bench-smoke

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/python -m pytest tests --ignore=tests/test_benchmarks.py

# Every benchmark at its --smoke size (seconds; figures not judged), so one that breaks fails.
bench-smoke:
	$(BIN)/python -m pytest tests/test_benchmarks.py

install: $(VENV)/.installed-main

install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-main: requirements/main.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/main.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-main requirements/dev.txt
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium is not installed and cannot be installed here: browser tests will skip"; \
	fi

# The browser tests inject axe-core (pinned in package.json and package-lock.json) into
# every page they visit, to check it for accessibility.
axe: node_modules/axe-core/axe.min.js

node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's npm for axe-core"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm is not installed and cannot be installed here: the accessibility checks will skip"; \
	fi

# bench/share.py loads the server with Debian's wrk; tests/test_benchmarks.py runs it briefly.
wrk:
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's wrk for bench/share.py"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "wrk is not installed and cannot be installed here: bench/share.py's test will skip"; \
	fi

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
