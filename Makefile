# fitcheck: every project command in one place.
#   make run    install the analyzer and analyze examples/workloads.yaml (writes reports/)
#   make test   install everything the tests need (torch, torch-xla, Chromium) and run them
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test browser lint rules-doc bench-scale clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

run: install
	@mkdir -p reports
	$(BIN)/fitcheck analyze examples/workloads.yaml
	$(BIN)/fitcheck analyze examples/workloads.yaml --format json --output reports/workloads.json
	$(BIN)/fitcheck analyze examples/workloads.yaml --format csv --output reports/workloads.csv
	$(BIN)/fitcheck analyze examples/workloads.yaml --format markdown --output reports/workloads.md
	$(BIN)/fitcheck analyze examples/workloads.yaml --format html --output reports/workloads.html
	@echo "Reports written to reports/ (open reports/workloads.html in a browser)."

# torch-xla 2.9.0 from the package index needs torch 2.9.0 exactly (a CUDA build, ~7 GB).
install-test: $(BIN)/python browser
	$(BIN)/pip install --quiet -e '.[bench,xla,tf,aws,report,test]'

# Debian's Chromium for the report's browser tests (playwright drives it; no download).
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium )

# ruff (lint + format), import-linter layer contracts (pyproject.toml), mypy over the package.
lint:
	$(BIN)/ruff check fitcheck tests scripts
	$(BIN)/ruff format --check fitcheck tests scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

test: install-test lint
	$(BIN)/python -m pytest

rules-doc:
	$(BIN)/python -m fitcheck.core.rules.docs > docs/rules.md

bench-scale: install
	$(BIN)/python scripts/bench_scale.py

clean:
	rm -rf $(VENV) reports/*.html reports/*.json reports/*.csv reports/*.md test-artifacts
