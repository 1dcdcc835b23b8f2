# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= What did the US say about Russia and Daesh?

.PHONY: install demo test lint fmt bench

install: $(VENV)/.installed

# constraints.txt pins every package to the versions verified together (no resolver backtracking)
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[local,dev]"
	touch $@

demo: install
	$(BIN)/assistant index build examples/articles
	$(BIN)/ask "$(QUESTION)"

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check assistant tests bench
	$(BIN)/ruff format --check assistant tests bench

# the performance suite (see README, Performance); each prints JSON and writes bench/results/NAME.json
BENCHMARKS ?= startup ask retrieval incremental indexing memory
bench: install
	cd bench && for name in $(BENCHMARKS); do ../$(BIN)/python $$name.py || exit 1; done

fmt: install
	$(BIN)/ruff check --fix assistant tests bench
	$(BIN)/ruff format assistant tests bench
