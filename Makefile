# Two commands do all set-up on a fresh machine (see README.md):
#   make chat   installs, indexes the bundled articles and opens the chat
#   make test   installs and runs the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export ORT_DISABLE_TELEMETRY := 1

.PHONY: install chat test bench

install: $(VENV)/.installed

# torch goes first, pinned to the local CPU build: otherwise sentence-transformers
# pulls the newest torch with gigabytes of CUDA packages.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

chat: install
	$(VENV)/bin/rag index
	$(VENV)/bin/rag serve

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_retrieval.py
