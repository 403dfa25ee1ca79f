# dl-template: the two commands of the README, and the environment they need.
# `make help` lists every target.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= build/demo

.DEFAULT_GOAL := help
.PHONY: help env demo test test-fast lint clean

help: ## Show this list of commands
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# PyTorch and torchvision first, as the pinned pair (timm needs torchvision, and only this
	@# pair imports together), before anything that depends on them can pull another build.
	$(BIN)/python -m pip install --quiet -c constraints.txt torch torchvision
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt
	touch $@

env: $(BIN)/.installed ## Build the development environment in .venv (torch CPU first)

demo: env ## Bake a project with the default answers into build/demo, then train and test it
	rm -rf $(DEMO_DIR)
	$(BIN)/cookiecutter --no-input --default-config . -o $(DEMO_DIR)
	cd $(DEMO_DIR)/cloud-classifier && \
		$(abspath $(BIN))/python -m pip install --quiet --no-build-isolation --no-deps -e . && \
		$(MAKE) example-data data train PYTHON=$(abspath $(BIN))/python

test: env ## Run the whole test suite: fast tier and slow tier
	$(BIN)/python -m pytest

test-fast: env ## Run the fast tier only: bake and lint every cell of the option matrix
	$(BIN)/python -m pytest -m "not slow"

lint: env ## Lint the hooks and tests
	$(BIN)/ruff check hooks tests
	$(BIN)/ruff format --check hooks tests

clean: ## Delete the environment and baked projects
	rm -rf $(VENV) build
