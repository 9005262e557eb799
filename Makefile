# The front door. `make run` and `make test` work on a fresh clone of a fresh machine.
SHELL := /bin/bash
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
EBS := $(VENV)/bin/ebsafety
PYTEST_ARGS ?=
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3

.PHONY: run test setup venv assets migrate lint check bench bench-import clean demo worker

run: setup
	$(EBS) demo --if-empty
	$(EBS) serve

test: setup lint check
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: venv assets migrate

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

venv: $(VENV)/.synced
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

assets: src/ebsafety/static/vendor/.built
src/ebsafety/static/vendor/.built: package.json package-lock.json scripts/build-assets.mjs
	npm ci --no-audit --no-fund
	npm run build
	touch $@

migrate: venv assets
	$(EBS) migrate --noinput
	$(EBS) collectstatic --noinput --verbosity 0

lint: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy src

check: venv
	$(EBS) check --fail-level WARNING
	$(EBS) makemigrations --check --dry-run

bench: setup
	$(VENV)/bin/python -m bench

# The ledger import/export engine (issue 3): 100k and 1M generated rows, django-import-export side by side,
# the 1M-row xlsx export. Smaller: make bench-import BENCH_IMPORT_ARGS="--rows 20000 --compare 5000".
BENCH_IMPORT_ARGS ?= --rows 100000 1000000 --compare 100000 --export
bench-import: setup
	$(VENV)/bin/python -m bench.imports $(BENCH_IMPORT_ARGS)

demo: setup
	$(EBS) demo --if-empty

worker: setup
	$(EBS) worker

clean:
	rm -rf $(VENV) $(TOOLS) node_modules src/ebsafety/static/vendor var
