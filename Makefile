# The README's two commands: `make run` (execute every notebook headless into build/) and `make test`.
# Both create .venv and install the project into it on first use (pyproject.toml lists every dependency).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lab notebooks student clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

## run: execute every notebook in quick mode with papermill into build/ (notebook + HTML each, build/index.html)
run: $(STAMP)
	$(PY) -m mlkit.build run --out build

## test: unit tests and strict nbval over notebooks/
test: $(STAMP)
	$(PY) -m pytest tests --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

## lab: JupyterLab on the notebooks
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

## notebooks: re-execute the notebooks in place so their stored outputs match a clean run of the defaults
notebooks: $(STAMP)
	$(PY) -m mlkit.build store

## student: output-free copies of the notebooks for a class, in build/student/
student: $(STAMP)
	$(PY) -m mlkit.build student --out build/student

clean:
	rm -rf build
