# Two commands for a newcomer: `make run` (the demo shop) and `make test` (the suite).
# `make run PORT=5100` moves the shop (and the sandbox to the next port).
# Both create .venv and install what they need; only Python 3.11+ is required up front.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test lint bench clean

run: $(VENV)/.installed
	STOREFRONT_ENV_NAME=development $(BIN)/flask --app app demo --port $(PORT)

test: $(VENV)/.installed-dev
	@.ci/ensure-browser
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.created pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache
