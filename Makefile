# Every target does its own set-up: a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo diagrams test-all bench conformance lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The suite on every core (pytest-xdist): 5.5 minutes on 2 cores, 10 in one process.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -n auto

# The article's program for real: two local HTTP servers and the client, one thread.
# First the state machine send_to_server becomes, then the program compiled
# (through the import hook) on the runtime for 5 s, with a traced loop turn each second.
demo: $(STAMP)
	@echo "== send_to_server, compiled (all of it: $(VENV)/bin/statemachine-compiler compile examples/two_servers.py):"
	@$(VENV)/bin/statemachine-compiler compile examples/two_servers.py \
	  | awk '/^class _send_to_server\(/ {on = 1; print; next} on && /^[^ ]/ {exit} on'
	@echo "== running it, compiled, on the runtime (README.md, 'Reading make demo'):"
	$(VENV)/bin/statemachine-compiler run examples/two_servers.py --duration 5 --trace-every 1
	@$(VENV)/bin/statemachine-compiler explain examples/two_servers.py -o build/two_servers.html
	@echo "== the explorer page (source, generated code and state diagrams side by side):"
	@echo "   $(CURDIR)/build/two_servers.html"

# The README's diagram: send_to_server's states, as DOT and as the SVG dot draws from it
# (tests/explore/test_readme_diagram.py checks that both are current).
diagrams: $(STAMP)
	$(VENV)/bin/statemachine-compiler graph examples/two_servers.py --function send_to_server -o docs/send_to_server_states.dot
	$(VENV)/bin/statemachine-compiler graph examples/two_servers.py --function send_to_server -o docs/send_to_server_states.svg

# The suite on every installed CPython (3.11, 3.12, 3.13), each in its own venv.
test-all:
	@set -e; for v in 3.11 3.12 3.13; do \
	  py=$$(command -v python$$v || ls -d $$HOME/.pyenv/versions/$$v*/bin/python$$v 2>/dev/null | head -1); \
	  if [ -z "$$py" ]; then echo "python$$v: not installed, skipped"; continue; fi; \
	  venv=.venv-$$v; test -x $$venv/bin/python || $$py -m venv $$venv; \
	  $$venv/bin/python -m pip install -q -e '.[test]'; \
	  echo "== Python $$v"; $$venv/bin/python -m pytest -n auto; \
	done

bench: $(STAMP)
	$(PY) -m pip install -q uvloop
	$(PY) bench/run.py

# CPython's test_coroutines, test_asyncgen, test_contextlib_async and test.test_asyncio, native and compiled;
# then thirty-five real libraries' own suites (trio, anyio, ...: tests/suites/real_suites.py),
# native and compiled, in a venv of their own (SUITES_VENV, made with SUITES_PYTHON;
# docs/conformance.md).
SUITES_PYTHON ?= $(PYTHON)
SUITES_VENV   ?= .venv-conformance
conformance: $(STAMP)
	$(PY) tests/cpython/conformance.py
	$(PY) tests/suites/real_suites.py --python $(SUITES_PYTHON) --venv $(SUITES_VENV)

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .venv-3.* .venv-conformance* build *.egg-info
