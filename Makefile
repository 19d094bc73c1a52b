# The README's two commands: `make run` (execute every notebook headless into build/) and `make test`.
# Both create .venv and install the project into it on first use, with its test and docs extras
# (pyproject.toml lists every dependency; `pip install mlkit` alone pulls no test tools).
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
# One intra-op thread: mlkit's tensors are small, and on a busy 2-core machine OpenMP threads spin-wait on each
# other (an evaluation measured 25x slower with 2 threads under load). Set it yourself to override.
export OMP_NUM_THREADS ?= 1
NBVAL    := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg
# Test processes (pytest-xdist): one per core, at most 4 (each can hold a notebook kernel, or JupyterLab and Chromium).
# A test file never leaves its process (--dist loadfile): a notebook's cells run in order in one kernel, and a file's
# module-wide fixtures run once. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= auto

.PHONY: run test docs lab notebooks student grade browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,docs]"
	touch $(STAMP)

## browser: Debian's Chromium for the JupyterLab browser test (driven by the playwright package; never
## `playwright install`). Installed with apt-get when we are root and MLKIT_NO_APT is unset, saying so first;
## otherwise the browser test says it skips, and under CI=true it fails.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "$$MLKIT_NO_APT" ]; then \
	    echo "make test: the browser test (JupyterLab in headless Chromium) needs Debian's chromium at $(CHROMIUM);"; \
	    echo "           installing it now with apt-get (a few hundred MB; MLKIT_NO_APT=1 skips this and the test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test: no $(CHROMIUM): install Debian's chromium for the browser test, or it will skip"; \
	  fi; \
	fi

## run: execute every notebook in quick mode with papermill into build/ (notebook + HTML each, build/index.html),
## and write the API reference to build/api/, linked from build/index.html
run: $(STAMP)
	$(PY) -m mlkit.build run --out build

## test: unit tests, strict nbval over notebooks/, and every notebook driven in JupyterLab in headless Chromium
test: $(STAMP) browser
	$(PY) -m pytest tests notebooks $(NBVAL) -p no:cacheprovider -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile

## docs: the API reference alone, generated from the docstrings by pdoc, in build/api/ (index.html)
docs: $(STAMP)
	$(PY) -m mlkit.apidocs --out build/api

## lab: JupyterLab on the notebooks (--allow-root when run as root, as in most containers)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## notebooks: re-execute the notebooks in place so their stored outputs match a clean run of the defaults
notebooks: $(STAMP)
	$(PY) -m mlkit.build store

## student: the student versions in build/student/: every solution replaced by a stub, every check cell kept
student: $(STAMP)
	$(PY) -m mlkit.build student --out build/student

## grade: grade student notebooks with otter-grader, a score per exercise:
##   make grade SUBMISSIONS="build/student/01_sine_regression.ipynb"   (a notebook, or a folder of them)
grade: $(STAMP)
	@if [ -z "$(SUBMISSIONS)" ]; then \
	  echo 'make grade: say which notebooks: make grade SUBMISSIONS="my_01.ipynb" (a notebook or a folder)'; exit 2; fi
	$(PY) -m mlkit.grade $(SUBMISSIONS)

clean:
	rm -rf build
