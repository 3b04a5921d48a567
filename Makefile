# DataCat: `make run` starts the stack, `make test` runs the suite (both set up .venv first).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA_DIR ?= $(CURDIR)/data
PYTEST_ARGS ?=

.PHONY: run test bench lint venv clean screenshots system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -qq -e '.[server,redis,test]'  # -qq: setuptools' editable-install notice
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/datacat up --data-dir $(DATA_DIR)

test: $(STAMP) system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

system-deps:
	sh scripts/system-deps.sh

screenshots: $(STAMP) system-deps
	DATACAT_SCREENSHOTS=1 $(PY) -m pytest tests/e2e

bench: $(STAMP)
	$(PY) bench/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check datacat broker web tests bench

clean:
	rm -rf $(VENV) build *.egg-info
