VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/roadie
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: demo test install dev lint test-sqlite test-postgres bench serve clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

## Set up and run Roadie with demo data on http://127.0.0.1:8000
demo: install
	$(VENV)/bin/roadie demo

lint: dev
	$(VENV)/bin/ruff check roadie roadie_agent config bench tests
	$(VENV)/bin/lint-imports

test-sqlite: dev
	$(VENV)/bin/pytest

test-postgres: dev
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -m "not browser"

## Set up and pass the tests: lint, the suite on SQLite, then on PostgreSQL
test: lint test-sqlite test-postgres

clean:
	rm -rf var/test
