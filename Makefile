# gnnformer-lite's commands (`make help` lists them). They run in the virtual environment .venv,
# which `make setup` makes (again only when pyproject.toml or constraints.txt changed).
# The longer steps are scripts in scripts/: venv.sh, stages.sh, install_torch.sh, ...
# Settings, as `make VAR=value`:
#   PYTHON=python3                    the interpreter that creates .venv (Python 3.10-3.13)
#   NB="notebooks/01_x.ipynb ..."     the notebooks `make notebooks` runs (default: all)
#   LAB_ARGS="--no-browser --port 8899"                extra arguments of `jupyter lab`
#   TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"  for `make test-reference`
#   COV_FAIL_UNDER=95 NBVAL_CELL_TIMEOUT=120          limits of `make test`
#   PY310=... PY313=...               the matrix's interpreters (default: PATH, then pyenv)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
COV_FAIL_UNDER ?= 95
NBVAL_CELL_TIMEOUT ?= 120
PY310 ?= $(shell scripts/find_python.sh 3.10)
PY313 ?= $(shell scripts/find_python.sh 3.13)
# JupyterLab refuses to run as root (containers, CI machines) without --allow-root.
ALLOW_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)

# The test commands; scripts/stages.sh runs them in a venv (its bin/ first on PATH).
PYTEST := PYTHONHASHSEED=0 python -m pytest -p no:cacheprovider
COVERAGE := -n auto --cov=gnnformer_lite --cov-report=term-missing --cov-fail-under=$(COV_FAIL_UNDER)
# Unit tests and notebooks run on every core (pytest-xdist); a notebook's cells stay on one worker.
NBVAL := env -u MPLBACKEND $(PYTEST) -n auto --dist loadfile --nbval --nbval-current-env \
    --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) \
    notebooks/
# Lax nbval: every cell must run (its asserts hold), outputs are not compared.
LAX := env -u MPLBACKEND $(PYTEST) --nbval-lax --nbval-current-env \
    --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT)
PRACTICE ?= practice/

.PHONY: help setup lab notebooks sync practice practice-test check test test-course \
    test-reference bench site test-site \
    test-oldest test-py313 test-matrix test-package constraints constraints-oldest \
    constraints-package clean

help: ## list the commands
	@awk -F ':.*## ' '/^[a-z0-9-]+:.*## /{printf "  make %-20s %s\n", $$1, $$2}' Makefile

# ----------------------------------------------------------------------- the course
setup: $(VENV)/.installed ## create .venv and install the course (again when the pins change)
lab: setup ## open the course in JupyterLab (notebooks/ and practice/)
	$(VENV)/bin/jupyter lab --notebook-dir=. --LabApp.default_url=/lab/tree/notebooks \
	    $(ALLOW_ROOT) $(LAB_ARGS)
notebooks: setup ## re-execute the notebooks (NB=...: some only), rewrite their text views
	$(VPY) scripts/run_notebooks.py $(NB)
sync: setup ## rewrite the text views notebooks/text/ from the notebooks (no execution)
	$(VPY) scripts/notebook_text.py
bench: setup ## time the package against torch / PyG (benchmarks/run.py)
	$(VPY) benchmarks/run.py

# ------------------------------------------------------------------------- practice
practice: setup ## write practice/NN_name.ipynb from the course notebooks (their blanks)
	$(VPY) scripts/make_practice.py
practice-test: setup ## run the practice notebooks (PRACTICE=...: some), one line per blank
	@scripts/stages.sh practice-test $(VENV) "practice notebooks" "$(LAX) $(PRACTICE)"
check: setup ## run a notebook you changed (NB=...): its asserts must hold, outputs not compared
	@test -n "$(NB)" || { echo "*** make check needs NB=notebooks/NN_name.ipynb" >&2; exit 2; }
	@scripts/stages.sh check $(VENV) "$(NB)" "$(LAX) $(NB)"

# ---------------------------------------------------------------------------- tests
test: setup ## ruff, unit tests (coverage >= 95 %), every notebook against its outputs
	@scripts/stages.sh test $(VENV) lint "ruff check ." format "ruff format --check ." \
	    "unit tests" "$(PYTEST) $(COVERAGE)" notebooks "$(NBVAL)"
test-course: setup ## the exercises, training targets and folded answers (tests/course)
	@scripts/stages.sh test-course $(VENV) "course tests" "$(PYTEST) -n auto --dist load tests/course"
test-reference: setup ## install torch + PyG (CPU) into .venv, run tests/test_torch_*.py
	scripts/install_torch.sh $(VENV) $(TORCH_PIP_ARGS)
	@scripts/stages.sh test-reference $(VENV) "reference tests" \
	    "GNNFORMER_REQUIRE_TORCH=1 $(PYTEST) -ra tests/test_torch_*.py"

# ------------------------------------------------------- the site (the [site] extra)
site: $(VENV)/.installed-site ## build the course website into docs/_build/html
	$(VPY) scripts/build_site.py
test-site: $(VENV)/.installed-site ## build the site, check every page in headless Chromium
	scripts/install_chromium.sh
	@scripts/stages.sh test-site $(VENV) "site in chromium" \
	    "GNNFORMER_SITE_TEST=1 $(PYTEST) -v tests/test_site.py"

# ------------------------------------------ the version matrix (in venvs of their own)
test-oldest: .venv-oldest/.installed ## unit tests + notebooks, Python 3.10, oldest versions
	@scripts/stages.sh test-oldest .venv-oldest "unit tests" "$(PYTEST) -q" notebooks "$(NBVAL) -q"
test-py313: .venv-py313/.installed ## unit tests + notebooks, Python 3.13, constraints.txt
	@scripts/stages.sh test-py313 .venv-py313 "unit tests" "$(PYTEST) -q" notebooks "$(NBVAL) -q"
test-matrix: test-oldest test-py313 ## test-oldest and test-py313

# ------------------------------------------------------ the package (the [package] extra)
test-package: $(VENV)/.installed-package ## build wheel + sdist, check them, try the wheel
	@scripts/stages.sh test-package $(VENV) package \
	    "GNNFORMER_TEST_PACKAGE=1 $(PYTEST) -q tests/test_wheel.py"

# --------------------------------------------------- the pins (throwaway venvs, PyPI)
constraints: ## regenerate constraints.txt (Python 3.11; markers for 3.10)
	$(PYTHON) scripts/make_constraints.py $(addprefix --alt-python=,$(PY310)) \
	    $(addprefix --check-python=,$(PY310) $(shell scripts/find_python.sh 3.12) $(PY313))
constraints-oldest: ## regenerate constraints-oldest.txt (Python 3.10, the lower bounds)
	$(PYTHON) scripts/make_constraints_extra.py oldest --python $(PY310)
constraints-package: ## regenerate constraints-package.txt (build, twine)
	$(PYTHON) scripts/make_constraints_extra.py package --python $(PYTHON)

clean: ## remove the venvs, caches and build output
	rm -rf $(VENV) .venv-* .pytest_cache .ruff_cache .hypothesis .coverage* htmlcov build dist \
	    *.egg-info docs/_build
	find . -path ./.git -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) \
	    -type d -prune -exec rm -rf {} +

# -------------------------------- the venvs: re-installed when a file they depend on changes
$(VENV)/.installed: pyproject.toml constraints.txt
	scripts/venv.sh $(VENV) $(PYTHON) test,lab constraints.txt
	@touch $@
$(VENV)/.installed-site: $(VENV)/.installed constraints-site.txt
	scripts/venv.sh --min-python 3.11 $(VENV) $(PYTHON) test,lab,site constraints.txt \
	    constraints-site.txt
	@touch $@
$(VENV)/.installed-package: $(VENV)/.installed constraints-package.txt
	scripts/venv.sh $(VENV) $(PYTHON) test,lab,package constraints.txt constraints-package.txt
	@touch $@
.venv-oldest/.installed: pyproject.toml constraints-oldest.txt
	scripts/venv.sh --fresh .venv-oldest "$(PY310)" test constraints-oldest.txt
	@touch $@
.venv-py313/.installed: pyproject.toml constraints.txt
	scripts/venv.sh --fresh .venv-py313 "$(PY313)" test constraints.txt
	@touch $@
