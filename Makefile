# Two commands set up everything on a fresh machine:
#   make quickstart   virtualenv + install + the whole system running on the embedded default
#   make test         virtualenv + test dependencies + lint + every test tier
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPAT_VENV := .venv-compat
COMPAT_STAMP := $(COMPAT_VENV)/.installed
# OpenMetadata's client, pinned: its 2.0.7.0 models are the contract tessera implements.
OM_INGESTION := openmetadata-ingestion==2.0.7.0

.PHONY: install quickstart serve test test-fast lint format bench bench-tools compat-venv contract browsers clean node-deps ui-vendor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

quickstart: install
	$(BIN)/tessera quickstart

serve: install
	$(BIN)/tessera serve

# The compat tier runs OpenMetadata's own `metadata` CLI and SDK in a virtualenv of their own.
# dbt-core>=1.12 needs a package whose build downloads from GitHub; the constraint avoids it.
$(COMPAT_STAMP):
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install -q --upgrade pip
	echo 'dbt-core<1.12' > $(COMPAT_VENV)/constraints.txt
	$(COMPAT_VENV)/bin/python -m pip install -q -c $(COMPAT_VENV)/constraints.txt '$(OM_INGESTION)'
	touch $@

compat-venv: $(COMPAT_STAMP)

# The emulator's JavaScript clients (MSAL.js, MSAL Node), pinned by their package-lock.json. Without
# npm the tests that need them say so (and fail under TESSERA_REQUIRE_ALL_TIERS=1).
NODE_TEST_DIRS := tests/entra/msaljs tests/entra/msalnode
NODE_STAMPS := $(addsuffix /node_modules/.package-lock.json,$(NODE_TEST_DIRS))

%/node_modules/.package-lock.json: %/package-lock.json
	@if command -v npm >/dev/null 2>&1; then cd $* && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "WARNING: npm not found: $* not installed (its tests will say so)"; fi

node-deps: $(NODE_STAMPS)

# The browser tier drives Debian's Chromium (and Firefox ESR for the UI's cross-browser check).
# Installed when missing and this is root (CI); otherwise named, with the command to run.
BROWSERS := chromium firefox-esr
browsers:
	@missing=""; for b in $(BROWSERS); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	if [ -z "$$missing" ]; then echo "browsers: $(BROWSERS) found"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "browsers: installing$$missing (Debian packages)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; \
	else echo "WARNING: browsers missing:$$missing; the browser tests will say so. Install: sudo apt-get install -y$$missing"; fi

# The UI's third-party modules (Markdown, graph layout), pinned by tools/ui-vendor/package-lock.json.
# Their ES module builds are copied into static/vendor/ and committed: running tessera needs no npm.
UI_VENDOR := src/tessera/web/static/vendor
ui-vendor:
	cd tools/ui-vendor && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(UI_VENDOR)
	sed '/sourceMappingURL/d' tools/ui-vendor/node_modules/marked/lib/marked.esm.js > $(UI_VENDOR)/marked.esm.js
	cp tools/ui-vendor/node_modules/marked/LICENSE $(UI_VENDOR)/marked.LICENSE.txt
	sed '/sourceMappingURL/d' tools/ui-vendor/node_modules/@dagrejs/dagre/dist/dagre.esm.js > $(UI_VENDOR)/dagre.esm.js
	cp tools/ui-vendor/node_modules/@dagrejs/dagre/LICENSE $(UI_VENDOR)/dagre.LICENSE.txt
	cp tools/ui-vendor/node_modules/@dagrejs/dagre/dist/dagre.esm.js.LEGAL.txt $(UI_VENDOR)/dagre.LEGAL.txt

# Regenerates src/tessera/contract/schemas from OpenMetadata's generated models.
contract: $(COMPAT_STAMP)
	$(COMPAT_VENV)/bin/python tools/extract_contract.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Two workers, each taking whole files (module fixtures stay in one process): most tests wait on
# servers and subprocesses, so on CI's 2 cores this about halves the wall time (12 minutes for every tier on a quiet machine).
test: install lint compat-venv node-deps browsers
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Unit tests only: seconds, no servers.
test-fast: install
	$(BIN)/python -m pytest tests/unit -q

# One run of every benchmark, rewriting docs/benchmarks.md whole (its header says how the run went):
# 41 minutes on a quiet 2-core machine (2026-12-04), almost half of it OpenMetadata's `metadata ingest` (3 runs at
# 1k tables, 2 at 10k). The defaults of each `python -m bench NAME` are the ones that fit; see
# docs/benchmarks.md for each section's command and time. Throughput comes from wrk (Debian's).
bench: install compat-venv bench-tools
	$(BIN)/python -m bench

bench-tools:
	@if command -v wrk >/dev/null 2>&1; then echo "bench-tools: wrk found"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "bench-tools: installing wrk (Debian package)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; \
	else echo "WARNING: wrk missing; the catalog and request_cpu benchmarks need it. Install: sudo apt-get install -y wrk"; fi

clean:
	rm -rf $(VENV) $(COMPAT_VENV) .mypy_cache .ruff_cache .pytest_cache artifacts
