# EDF Grants: developer commands. `make` (or `make help`) lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
PYTHON ?= $(or $(shell command -v python3.11 2>/dev/null),python3)
BIN := $(VENV)/bin
PY := $(BIN)/python
# The install stamp carries pyproject.toml's checksum: editing the file re-installs, while a
# fresh copy of the same file (another clone sharing this venv) does not.
STAMP := $(VENV)/.edf-installed-$(firstword $(shell cksum < pyproject.toml))
# Only the source trees that hold Python files (mypy refuses an empty directory).
SRC := $(foreach d,shared gateway services cli demo bench chaos deploy,$(if $(wildcard $(d)/*.py),$(d)))
PYTEST_ARGS ?=

.PHONY: help venv install run test check fmt migrate clean revision ci bench profile demo chaos

help: ## list the targets
	@echo "EDF Grants: make <target>   (VENV=$(VENV))"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	$(PYTHON) -m venv $(VENV)

venv: $(PY) ## create the virtualenv (VENV, default .venv) if it is missing

$(STAMP): | $(PY)
	@echo "installing the project and its dev tools into $(VENV) (pip install -e '.[dev]')"
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.edf-installed-*
	touch $@

install: $(STAMP) ## install the project and its dev tools (again only when pyproject.toml changed)

run: install ## run the whole stack locally (NATS, four services, gateway on :8000); DB=postgres for PostgreSQL; NATS=cluster for three NATS nodes
	$(PY) -m shared.stack run$(if $(DB), --db $(DB))$(if $(NATS), --nats $(NATS))

DEMO_APPLICANTS ?= 300
demo: install ## a realistic call end to end on the stack of `make run` (started if not running); DEMO_APPLICANTS=300 DEMO_SEED=1
	$(PY) -m demo --applicants $(DEMO_APPLICANTS)$(if $(DEMO_SEED), --seed $(DEMO_SEED))$(if $(DEMO_ARGS), $(DEMO_ARGS))

test: install ## run every test (tests/); PYTEST_ARGS="-k ..." to narrow
	$(PY) -m pytest -p no:cacheprovider --durations=25 $(PYTEST_ARGS)

check: install ## ruff (lint and format), mypy, the import contracts and the deployment files (compose, Kubernetes)
	@status=0; \
	echo "== ruff"; $(BIN)/ruff check $(SRC) tests || status=1; \
	echo "== ruff format"; $(BIN)/ruff format --check $(SRC) tests || status=1; \
	echo "== mypy"; $(BIN)/mypy $(SRC) || status=1; \
	echo "== import contracts"; $(BIN)/lint-imports --no-cache || status=1; \
	echo "== deployment files"; $(PY) deploy/validate.py || status=1; \
	exit $$status

fmt: install ## format the code and sort imports (ruff)
	$(BIN)/ruff format $(SRC) tests
	$(BIN)/ruff check --fix --select I $(SRC) tests

migrate: install ## migrate every database (var/*.db, each <APP>_DATABASE_URL, or DB=postgres)
	$(PY) -m shared.stack migrate$(if $(DB), --db $(DB))

revision: install ## new migration: make revision APP=scoring MSG="add reviews"
	@if [ -z "$(APP)" ] || [ -z "$(MSG)" ]; then echo 'usage: make revision APP=<app> MSG="what changes"'; exit 2; fi
	$(PY) -m shared.revision $(APP) "$(MSG)"

clean: ## delete var/ (databases, NATS store, admin password)
	rm -rf var/

ci: ## what CI runs (.ci/run): check, then test with PostgreSQL too
	./.ci/run

bench: install ## every benchmark and yardstick on a temporary PostgreSQL (or EDF_BENCH_POSTGRES_URL) into docs/benchmarks.md; BENCH_ARGS=--quick: smoke run
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null \
		|| echo "wrk could not be installed: the load comes from bench/load.py (httpx) instead"
	$(PY) -m bench.run $(BENCH_ARGS)

profile: install ## py-spy samples of every service under the submissions load: CPU per request and hot functions; var/profiles/; PROFILE_ARGS="--phase create"
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null
	$(PY) -m bench.profile $(PROFILE_ARGS)

chaos: install ## the lifecycle on PostgreSQL under kill -9 (services and NATS) and a PostgreSQL restart; NATS=cluster; CHAOS_ARGS="--applicants 300"; docs/reliability.md
	$(PY) -m chaos --report docs/reliability.md$(if $(NATS), --nats $(NATS)) $(CHAOS_ARGS)
