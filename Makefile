# gnnformer-lite — everything runs from a local virtual environment in .venv.
#
#   make lab          open the course in JupyterLab (sets up .venv first)
#   make test         lint + format check + unit tests (coverage >= 95 %) + notebook validation
#   make notebooks    re-execute notebooks in place (NB="notebooks/01_x.ipynb" for some only)
#   make test-reference  install CPU torch + torch_geometric, run tests/test_torch_*.py
#   make bench        run benchmarks/run.py
#   make constraints  regenerate constraints.txt in throwaway venvs
#   make numpy126     unit tests + notebooks again under NumPy 1.26.4 (in .venv-numpy126)
#   make clean        remove .venv and caches
#
# `setup` is idempotent: it re-installs only when pyproject.toml or constraints.txt changed.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Extra arguments for `jupyter lab`, e.g. make lab LAB_ARGS="--no-browser --port 8899"
LAB_ARGS ?=
# JupyterLab refuses to start as root without --allow-root (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Notebooks to (re-)execute with `make notebooks`; empty = all of notebooks/*.ipynb.
NB ?=
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

COV_FAIL_UNDER ?= 95
NBVAL_CELL_TIMEOUT ?= 120

# First working interpreter of a given version (PATH, then pyenv), for `make constraints`.
find_python = $(firstword $(foreach p,python$(1) $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1)),$(shell $(p) -c 'import sys' >/dev/null 2>&1 && echo $(p))))
ALT_PYTHONS ?= $(call find_python,3.10)
CHECK_PYTHONS ?= $(foreach v,3.10 3.12 3.13,$(call find_python,$(v)))

# Prints a banner, runs a stage of `make test`, and names the stage if it fails.
#   $(call stage,NAME,COMMAND)   -- COMMAND must not contain a comma
define stage
	@echo; echo "==> make test: [$(1)] $(2)"
	@$(2) || { rc=$$?; echo; echo "*** make test: stage [$(1)] FAILED (exit $$rc)" >&2; exit $$rc; }
endef

.PHONY: help setup test test-reference lab notebooks bench constraints numpy126 clean

help:
	@sed -n '3,11p' Makefile | sed 's/^# \{0,1\}//'

# --------------------------------------------------------------------------- setup
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@if ! { test -f $(VENV)/pyvenv.cfg && $(VPY) -m pip --version >/dev/null 2>&1; }; then \
	    command -v $(PYTHON) >/dev/null || { echo "*** $(PYTHON) not found: install Python 3.10-3.13" >&2; exit 1; }; \
	    echo "==> creating $(VENV) with $$($(PYTHON) --version 2>&1) ($$(command -v $(PYTHON)))"; \
	    rm -rf $(VENV); \
	    if ! $(PYTHON) -m venv $(VENV); then \
	        rm -rf $(VENV); \
	        echo "*** '$(PYTHON) -m venv' failed." >&2; \
	        echo "*** On Debian/Ubuntu install the venv module first: sudo apt install python3-venv" >&2; \
	        exit 1; \
	    fi; \
	fi
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -c constraints.txt -e ".[test,lab]"
	@echo "==> warming matplotlib's font cache"
	$(VPY) -c "import matplotlib.pyplot"
	@touch $@
	@echo "==> $(VENV) is ready"

# ---------------------------------------------------------------------------- test
test: setup
	$(call stage,1/4 lint,$(VENV)/bin/ruff check .)
	$(call stage,2/4 format,$(VENV)/bin/ruff format --check .)
	$(call stage,3/4 unit tests,env PYTHONHASHSEED=0 $(VPY) -m pytest -p no:cacheprovider --cov=gnnformer_lite --cov-report=term-missing --cov-fail-under=$(COV_FAIL_UNDER))
ifeq ($(NOTEBOOKS),)
	@echo; echo "==> make test: [4/4 notebooks] SKIPPED: no notebooks/*.ipynb yet"
else
	$(call stage,4/4 notebooks,env -u MPLBACKEND PYTHONHASHSEED=0 $(VPY) -m pytest -p no:cacheprovider --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) notebooks/)
endif
	@echo; echo "==> make test: all stages passed"

# ------------------------------------------------------------------ test-reference
# The equivalence tests against PyTorch and PyTorch Geometric (tests/test_torch_*.py).
# Installs both into .venv first; GNNFORMER_REQUIRE_TORCH=1 turns a missing torch, or any
# skip in those files, into a failure. The plain pin takes the CPU build from this machine's
# wheel cache; where PyPI would serve the CUDA build (several GB), install from the CPU index:
#   make test-reference TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_VERSION ?= 2.13.0
PYG_VERSION ?= 2.8.1
TORCH_PIP_ARGS ?=
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
REFERENCE_TESTS := $(sort $(wildcard tests/test_torch_*.py))

test-reference: setup
	@echo "==> make test-reference: installing torch==$(TORCH_VERSION) and torch_geometric==$(PYG_VERSION)"
	$(VPY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS) || { \
	    echo "*** pip install torch==$(TORCH_VERSION) failed: trying the CPU index $(TORCH_CPU_INDEX)" >&2; \
	    $(VPY) -m pip install --quiet "torch==$(TORCH_VERSION)" --index-url $(TORCH_CPU_INDEX); }
	$(VPY) -m pip install --quiet -c constraints.txt "torch_geometric==$(PYG_VERSION)"
	$(VPY) -c "import torch, torch_geometric; print('torch', torch.__version__, '| torch_geometric', torch_geometric.__version__)"
	@test -n "$(REFERENCE_TESTS)" || { echo "*** no tests/test_torch_*.py" >&2; exit 1; }
	env GNNFORMER_REQUIRE_TORCH=1 PYTHONHASHSEED=0 $(VPY) -m pytest -p no:cacheprovider -ra $(REFERENCE_TESTS)
	@echo; echo "==> make test-reference: passed"

# ----------------------------------------------------------------------------- lab
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

# ----------------------------------------------------------------------- notebooks
notebooks: setup
	$(VPY) scripts/run_notebooks.py $(NB)

# --------------------------------------------------------------------------- bench
bench: setup
	@test -f benchmarks/run.py || { echo "*** benchmarks/run.py does not exist yet" >&2; exit 1; }
	$(VPY) benchmarks/run.py

# --------------------------------------------------------------------- constraints
# Uses $(PYTHON) (3.11, like CI) for the pins and ALT_PYTHONS for marker alternatives.
constraints:
	$(PYTHON) scripts/make_constraints.py $(foreach p,$(ALT_PYTHONS),--alt-python $(p)) \
	    $(foreach p,$(CHECK_PYTHONS),--check-python $(p))

# ------------------------------------------------------------------------ numpy126
# The oldest supported NumPy: same tests, same committed notebook outputs (Python <= 3.12).
NP126 := .venv-numpy126
numpy126:
	test -x $(NP126)/bin/python || $(PYTHON) -m venv $(NP126)
	grep -v '^numpy==' constraints.txt > $(NP126)/constraints.txt
	$(NP126)/bin/python -m pip install --quiet -c $(NP126)/constraints.txt -e ".[test]" "numpy==1.26.4"
	$(NP126)/bin/python -c "import numpy; print('NumPy', numpy.__version__)"
	env PYTHONHASHSEED=0 $(NP126)/bin/python -m pytest -p no:cacheprovider -q \
	    --ignore=tests/test_benchmarks.py tests/
	env -u MPLBACKEND PYTHONHASHSEED=0 $(NP126)/bin/python -m pytest -p no:cacheprovider -q \
	    --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

# --------------------------------------------------------------------------- clean
clean:
	rm -rf $(VENV) $(NP126) .pytest_cache .ruff_cache .hypothesis .coverage .coverage.* htmlcov \
	    build dist *.egg-info
	find . -path ./.git -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	    -type d -prune -exec rm -rf {} +
