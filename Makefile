# `make run`: set up, put the sample articles in an empty archive, start the app.
# `make test`: set up and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: setup
	$(PY) -m archive seed
	$(PY) -m streamlit run app.py --server.address 127.0.0.1

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) var test-output .pytest_cache
