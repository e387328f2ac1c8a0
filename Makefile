# Set-up and the two everyday commands: `make demo` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two install levels in one venv: the demo needs the runtime dependencies only; the tests,
# the docs and the benchmarks need the dev extras (pytest, ruff, sphinx, mypy, pypardiso/MKL:
# about 1.7 GB in all). Installing dev also satisfies the runtime stamp.
RUNTIME := $(VENV)/.installed-runtime
STAMP := $(VENV)/.installed-dev

.PHONY: demo test docs lint bench bench-tiny clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP) $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/mblkit run examples/demo.toml
	$(BIN)/mblkit summary out/xxz-demo.h5
	$(BIN)/mblkit plot out/xxz-demo.h5

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(MAKE) docs
	$(BIN)/pytest -q
	$(MAKE) bench-tiny

# Every benchmark once at a tiny size (about a minute), so a benchmark that no longer runs fails
# `make test`; the numbers mean nothing and go to build/bench-tiny, never benchmarks/results.
TINY := MBLKIT_BENCH_RESULTS=build/bench-tiny $(BIN)/python benchmarks
bench-tiny: $(STAMP)
	$(TINY)/bench_full_ed.py 8 --repeats 1
	$(TINY)/bench_interior.py 8 --repeats 1 --timeout 120 --out interior_tiny
	$(TINY)/bench_campaign.py 2
	$(TINY)/bench_floquet.py --tiny
	$(TINY)/bench_models.py --tiny
	$(TINY)/bench_store.py 2 20
	$(TINY)/bench_verification.py --dense 256 --L 8 --k 10 --repeats 1
	$(TINY)/bench_dynamics.py --tiny

# API reference from the docstrings; any Sphinx warning is an error. docs/api holds the pages
# autosummary generates: removed first, so a moved module leaves no stale page behind.
docs: $(STAMP)
	rm -rf docs/api
	$(BIN)/sphinx-build -q -W --keep-going -b html docs build/docs

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/bench_full_ed.py
	$(BIN)/python benchmarks/bench_interior.py
	$(BIN)/python benchmarks/bench_campaign.py
	$(BIN)/python benchmarks/bench_floquet.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_store.py
	$(BIN)/python benchmarks/bench_verification.py
	$(BIN)/python benchmarks/bench_dynamics.py

clean:
	rm -rf $(VENV) out build/docs .pytest_cache .ruff_cache
