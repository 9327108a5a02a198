# gnnformer-lite — everything runs from a local virtual environment in .venv.
#
#   make lab          open the course in JupyterLab (sets up .venv first)
#   make test         lint + format check + unit tests (coverage >= 95 %) + notebook validation
#   make notebooks    re-execute notebooks in place (NB="notebooks/01_x.ipynb" for some only)
#   make test-reference  install CPU torch + torch_geometric, run tests/test_torch_*.py
#   make sync         rewrite the notebooks' text views in notebooks/text/ (no execution)
#   make site         build the course website into docs/_build/html (no execution)
#   make test-site    build the site and check every page in headless Chromium
#   make bench        run benchmarks/run.py
#   make constraints  regenerate constraints.txt in throwaway venvs
#   make test-oldest  unit tests + notebooks on Python 3.10 and the oldest declared versions
#   make test-py313   unit tests + notebooks on Python 3.13 (newest pins)
#   make test-package build the wheel + sdist, twine check, quick start in a clean venv
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

.PHONY: help setup test test-reference lab notebooks bench constraints clean sync site test-site
.PHONY: test-oldest test-py313 test-matrix constraints-oldest test-package constraints-package

help:
	@sed -n 's/^# \{0,1\}\(  make .*\)/\1/p' Makefile

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
	@echo '$(VPY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)'
	@$(VPY) -m pip install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS) || { \
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

# ---------------------------------------------------------------------------- sync
# Text views for review: notebooks/text/NN_name.py (jupytext py:percent) + .outputs.txt.
sync: setup
	$(VPY) scripts/notebook_text.py

# ---------------------------------------------------------------------------- site
# The [site] extra (Sphinx 9: Python >= 3.11) goes into .venv here, not in `make setup`.
SITE_STAMP := $(VENV)/.installed-site
$(SITE_STAMP): $(STAMP) constraints-site.txt
	@$(VPY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	    { echo "*** make site needs Python >= 3.11 in $(VENV) (Sphinx 9); try make clean setup PYTHON=python3.11" >&2; exit 1; }
	$(VPY) -m pip install --quiet -c constraints.txt -c constraints-site.txt -e ".[test,lab,site]"
	@touch $@

site: $(SITE_STAMP)
	$(VPY) scripts/build_site.py

test-site: $(SITE_STAMP)
	@command -v chromium >/dev/null || { test "$$(id -u)" = 0 || \
	    { echo "*** needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	env GNNFORMER_SITE_TEST=1 $(VPY) -m pytest -p no:cacheprovider -v tests/test_site.py

# --------------------------------------------------------------------------- bench
bench: setup
	@test -f benchmarks/run.py || { echo "*** benchmarks/run.py does not exist yet" >&2; exit 1; }
	$(VPY) benchmarks/run.py

# --------------------------------------------------------------------- constraints
# Uses $(PYTHON) (3.11, like CI) for the pins and ALT_PYTHONS for marker alternatives.
constraints:
	$(PYTHON) scripts/make_constraints.py $(foreach p,$(ALT_PYTHONS),--alt-python $(p)) \
	    $(foreach p,$(CHECK_PYTHONS),--check-python $(p))

# ------------------------------------------------------------------ version matrix
# `make test` uses the newest pins (constraints.txt) on $(PYTHON). The matrix repeats the unit
# tests and strict nbval (the same committed outputs) in venvs of their own:
#   test-oldest  Python 3.10 + the lower bounds of pyproject.toml (constraints-oldest.txt)
#   test-py313   Python 3.13 + constraints.txt
PY310 ?= $(call find_python,3.10)
PY313 ?= $(call find_python,3.13)
OLDEST := .venv-oldest
PY313_VENV := .venv-py313
MATRIX_TESTS = env PYTHONHASHSEED=0 $(1)/bin/python -m pytest -p no:cacheprovider -q tests/
MATRIX_NBVAL = env -u MPLBACKEND PYTHONHASHSEED=0 $(1)/bin/python -m pytest -p no:cacheprovider \
    -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
    --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) notebooks/
MATRIX_VERSIONS = $(1)/bin/python -c "import sys, numpy, matplotlib, networkx; \
    print('==> Python', sys.version.split()[0], '| NumPy', numpy.__version__, \
    '| matplotlib', matplotlib.__version__, '| networkx', networkx.__version__)"

# $(call matrix_venv,VENV,PYTHON,CONSTRAINTS): (re-)create VENV and install .[test] pinned.
define matrix_venv
	@test -n "$(2)" || { echo "*** no interpreter for $(1): install that Python (pyenv)" >&2; exit 1; }
	rm -rf $(1)
	$(2) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	$(1)/bin/python -m pip install --quiet -c $(3) -e ".[test]"
	@touch $(1)/.installed
endef

$(OLDEST)/.installed: pyproject.toml constraints-oldest.txt
	$(call matrix_venv,$(OLDEST),$(PY310),constraints-oldest.txt)

$(PY313_VENV)/.installed: pyproject.toml constraints.txt
	$(call matrix_venv,$(PY313_VENV),$(PY313),constraints.txt)

test-oldest: $(OLDEST)/.installed
	@$(call MATRIX_VERSIONS,$(OLDEST))
	$(call MATRIX_TESTS,$(OLDEST))
	$(call MATRIX_NBVAL,$(OLDEST))
	@echo "==> make test-oldest: passed"

test-py313: $(PY313_VENV)/.installed
	@$(call MATRIX_VERSIONS,$(PY313_VENV))
	$(call MATRIX_TESTS,$(PY313_VENV))
	$(call MATRIX_NBVAL,$(PY313_VENV))
	@echo "==> make test-py313: passed"

test-matrix: test-oldest test-py313

# Re-resolve constraints-oldest.txt (throwaway venv); then run `make test-oldest`.
constraints-oldest:
	@test -n "$(PY310)" || { echo "*** no Python 3.10 interpreter found (pyenv?)" >&2; exit 1; }
	$(PYTHON) scripts/make_constraints_extra.py oldest --python $(PY310)

# ------------------------------------------------------------------------- package
# test-package: `python -m build` (sdist, then the wheel from it), `twine check --strict`,
# the wheel installed in a clean venv running the quick start (tests/test_wheel.py).
# build and twine (the `package` extra) go into .venv, pinned by constraints-package.txt.
PKG_STAMP := $(VENV)/.installed-package

$(PKG_STAMP): $(STAMP) constraints-package.txt
	$(VPY) -m pip install --quiet -c constraints.txt -c constraints-package.txt -e ".[test,lab,package]"
	@touch $@

test-package: $(PKG_STAMP)
	env GNNFORMER_TEST_PACKAGE=1 PYTHONHASHSEED=0 $(VPY) -m pytest -p no:cacheprovider -q \
	    tests/test_wheel.py
	@echo "==> make test-package: passed"

# Re-resolve constraints-package.txt (throwaway venv of $(PYTHON)).
constraints-package:
	$(PYTHON) scripts/make_constraints_extra.py package --python $(PYTHON)

# --------------------------------------------------------------------------- clean
clean:
	rm -rf $(VENV) $(OLDEST) $(PY313_VENV) .pytest_cache .ruff_cache .hypothesis .coverage .coverage.* \
	    htmlcov build dist *.egg-info docs/_build
	find . -path ./.git -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	    -type d -prune -exec rm -rf {} +
