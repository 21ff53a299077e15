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

# llama-cpp-python builds from source (5 to 11 minutes on 2 cores), without libcurl
# and without ggml's AMX kernels: -march=native turns them on for Sapphire Rapids
# CPUs, where they segfault in the first llama_decode (llama.cpp issue #20824).
LLAMA_CMAKE_ARGS := -DLLAMA_CURL=OFF
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS += -DCMAKE_C_FLAGS=-mno-amx-int8 -DCMAKE_CXX_FLAGS=-mno-amx-int8
endif

# torch goes first, pinned to the local CPU build: otherwise sentence-transformers
# pulls the newest torch with gigabytes of CUDA packages. The last step rebuilds
# llama-cpp-python if pip's wheel cache handed back a build with AMX.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -c "import sys, llama_cpp; sys.exit(b'AMX_INT8 = 1' in llama_cpp.llama_print_system_info())" \
	  || CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir \
	       --force-reinstall --no-deps llama-cpp-python==0.3.36
	touch $@

chat: install
	$(VENV)/bin/rag index
	$(VENV)/bin/rag serve

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_retrieval.py
