# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= What did the US say about Russia and Daesh?

.PHONY: install browser demo test lint fmt bench judges

install: $(VENV)/.installed

# llama.cpp is compiled for this CPU, but without AMX on x86: the AMX kernels of llama-cpp-python
# 0.3.36 die with SIGILL (tilezero) on Xeons that have AMX. pip's wheel cache ignores build flags,
# so the wheel is built here, once per machine, and installed from this folder.
LLAMA_VERSION := $(shell sed -n 's/^llama_cpp_python==//p' constraints.txt)
LLAMA_WHEELS ?= $(HOME)/.cache/assistant/wheels/llama-no-amx
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS := $(if $(filter x86_64 amd64,$(shell uname -m)),-DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)')

# constraints.txt pins every package to the versions verified together (no resolver backtracking)
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		$(BIN)/python -m pip wheel --quiet --no-cache-dir --no-deps -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/python -m pip install --quiet --find-links $(LLAMA_WHEELS) -c constraints.txt -e ".[local,dev]"
	touch $@

demo: install
	$(BIN)/assistant index add examples/articles
	$(BIN)/ask "$(QUESTION)"

# the web page's tests drive Debian's chromium (headless, through Playwright; no browser download)
browser:
	command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null \
		|| (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)

test: install browser lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check assistant tests bench training
	$(BIN)/ruff format --check assistant tests bench training
	$(BIN)/mypy

# the performance suite (see README, Performance); each prints JSON and writes bench/results/NAME.json
BENCHMARKS ?= startup ask concurrent_ask serve retrieval incremental indexing memory
bench: install
	cd bench && for name in $(BENCHMARKS); do ../$(BIN)/python $$name.py || exit 1; done

fmt: install
	$(BIN)/ruff check --fix assistant tests bench training
	$(BIN)/ruff format assistant tests bench training

# the judges we train (docs/judges.md): data from the training articles and questions only, about 1 h 40 min on 2 cores
judges: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[train]"
	mkdir -p training/data
	$(BIN)/python training/verifier_data.py training/data/verifier_pairs.jsonl
	$(BIN)/python training/train_judge.py training/data/verifier_pairs.jsonl claim_verifier --threshold 0.3
	$(BIN)/python training/answer_data.py training/data/answer_pairs.jsonl
	$(BIN)/python training/train_judge.py training/data/answer_pairs.jsonl answer_judge --epochs 3 --max-tokens 128 \
		--threshold 0.1
