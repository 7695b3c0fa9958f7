# Every target sets up .venv itself (Python 3.12+, pinned packages), so a fresh
# clone needs nothing but `make demo` or `make test`.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

# The first interpreter found that is Python 3.12 or newer.
PYTHON_312 := $(shell for c in python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  && { command -v $$c; break; }; done)

.PHONY: demo test test-faults bench lint venv browser clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@if [ -z "$(PYTHON_312)" ]; then \
	  echo "error: Python 3.12 or newer is required (vietnam-provinces 2026.x needs it)."; \
	  echo "       Install it (e.g. 'pyenv install 3.12') and run make again."; exit 1; fi
	@echo "Using $(PYTHON_312) for $(VENV)"
	@[ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { rm -rf $(VENV); $(PYTHON_312) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

# System packages the tests need (root here; apt-get when missing): Debian's chromium for
# the browser tests, systemd's systemd-analyze for the unit files in docs/operations.md,
# Node.js for the OIDC test's identity provider (npm oidc-provider, pinned).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@command -v systemd-analyze >/dev/null 2>&1 || { \
	  echo "Installing Debian's systemd (systemd-analyze checks the units in docs/operations.md)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq systemd >/dev/null; }
	@# A real OpenID provider (npm oidc-provider, pinned by its lock file) for the OIDC sign-in test.
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's nodejs and npm (the OIDC test's identity provider)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	@[ tests/browser/oidc/node_modules/.package-lock.json -nt tests/browser/oidc/package-lock.json ] || \
	  (cd tests/browser/oidc && npm ci --no-audit --no-fund --loglevel=error)

# make demo PORT=8601 SIM_PORT=8800 METRICS_PORT=9208 INBOX_PORT=8810: any of them, or none
# (then dashboard.port, simulator.port, collector.metrics_port of config/ioc.yaml, inbox 8710);
# SCENARIO=hue-first-week replays Huế's first days (docs/simulator.md).
DEMO_ARGS = $(if $(PORT),--port $(PORT)) $(if $(SIM_PORT),--sim-port $(SIM_PORT)) \
	$(if $(METRICS_PORT),--metrics-port $(METRICS_PORT)) $(if $(INBOX_PORT),--inbox-port $(INBOX_PORT)) \
	$(if $(SCENARIO),--scenario $(SCENARIO))
demo: $(STAMP)
	$(VENV)/bin/ioc demo $(strip $(DEMO_ARGS))

test: $(STAMP) browser
	$(PY) -m mypy
	IOC_TEST_PG_URL=$${IOC_TEST_PG_URL:-$(PG_URL)} $(PY) -m pytest -q

# The fault-injection suite alone (docs/faults.md): real processes under seeded chaos,
# ~90 s; also part of `make test`.
test-faults: $(STAMP) browser
	IOC_TEST_PG_URL=$${IOC_TEST_PG_URL:-$(PG_URL)} $(PY) -m pytest -q -m faults tests/faults

bench: $(STAMP)
	$(VENV)/bin/ioc bench collect
	$(VENV)/bin/ioc bench collect --fleet national
	$(VENV)/bin/ioc bench collect --fleet national --hang-fraction 0.1
	$(VENV)/bin/ioc bench metrics --fleet national
	$(VENV)/bin/ioc bench store
	$(VENV)/bin/ioc bench store --db-url $${IOC_TEST_PG_URL:-$(PG_URL)}
	$(VENV)/bin/ioc bench history --fleet hue --days 7
	$(VENV)/bin/ioc bench dashboard --fleet hue --days 7
	$(VENV)/bin/ioc bench alerts --fleet national --interval 5 --outages 3
	$(VENV)/bin/ioc bench alerts --fleet national --interval 15 --outages 3
	$(VENV)/bin/ioc bench load

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache tests/browser/oidc/node_modules
