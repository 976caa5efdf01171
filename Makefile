# copier-mlops: two commands on a fresh machine with Python 3.11+ and pip.
#   make demo   generate a project with the default answers and run its whole lifecycle
#   make test   run the template's test suite (COMBOS=smoke|runtime|pairwise|covering|full for
#               generated projects, STATIC=covering|full for the static checks, LATEST=1 to resolve
#               the generated projects' newest releases instead of the pin date)
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= build/demo
COMBOS ?= smoke
STATIC ?= covering
PYTEST_ARGS ?=
# LATEST=1: generated projects resolve the newest releases instead of the pin date.
LATEST ?=

.PHONY: help demo test lint lock bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-6s %s\n", $$1, $$2}'

# uv bootstraps itself with pip; everything else, uv included, comes from uv.lock.
$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "uv>=0.13"

$(BIN)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --quiet --locked --no-default-groups --group test
	touch $@

lock: $(BIN)/uv ## Update uv.lock after editing pyproject.toml (move the exclude-newer date to upgrade)
	$(BIN)/uv lock

demo: $(BIN)/.installed ## Generate the default project into build/demo and run ingest → register end to end
	rm -rf $(DEMO_DIR)
	$(BIN)/copier copy --trust --defaults --vcs-ref HEAD . $(DEMO_DIR)
	PATH="$(abspath $(BIN)):$$PATH" $(MAKE) -C $(DEMO_DIR) install all

# worksteal: xdist's default hands each worker a contiguous chunk up front, which put every
# generated project (the slow tests, collected together) on one worker.
test: $(BIN)/.installed ## The template's test suite (static checks over every combination + generated projects)
	$(BIN)/pytest -n 2 --dist worksteal --combos $(COMBOS) --static-combos $(STATIC) $(if $(LATEST),--latest) $(PYTEST_ARGS)

lint: $(BIN)/.installed ## ruff on the template's own Python (hooks, tests, benchmarks)
	$(BIN)/ruff check hooks tests benchmarks
	$(BIN)/ruff format --check hooks tests benchmarks

bench: $(BIN)/.installed ## Benchmarks: copy time, render + checks per combination, pipeline, serving latency
	$(BIN)/python benchmarks/run.py

clean: ## Remove the demo project and caches
	rm -rf build .pytest_cache
