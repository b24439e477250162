# Common commands; `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
SIZE ?= s

.PHONY: help install demo dev test test-fast lint typecheck bench ci

help:  ## list the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(PY):
	python3 -m venv $(VENV)

install: $(PY)  ## install with the dev extra
	$(VENV)/bin/pip install -e ".[dev]"

demo: $(PY)  ## install and run the demo on the embedded default
	$(VENV)/bin/pip install -e . && $(VENV)/bin/retail-sync demo

dev:  ## open the Dagster UI on the embedded default instance
	$(VENV)/bin/retail-sync dev

test:  ## the whole suite
	$(PY) -m pytest

test-fast:  ## unit tests only (no slow, e2e or PostgreSQL tests)
	$(PY) -m pytest -m "not slow and not e2e and not postgres"

lint:  ## ruff
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check retail_sync retail_sync_tests benchmarks

typecheck:  ## mypy on the package
	$(VENV)/bin/mypy

bench:  ## every benchmark at one size, as a table and JSON (SIZE=s|m|l)
	$(PY) -m benchmarks --size $(SIZE)

ci:  ## what CI runs
	.ci/run
