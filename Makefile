# Njia: `make run` brings the whole stack up; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
NJIA   := $(VENV)/bin/njia
STAMP  := $(VENV)/.installed

.PHONY: run up down status test lint browser screenshots bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Njia needs Python >= 3.11 ($(PYTHON) is older)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(NJIA) run

up: $(STAMP)
	$(NJIA) run --detach

down: $(STAMP)
	$(NJIA) down

status: $(STAMP)
	$(NJIA) status

# Browser tests need Debian's Chromium; install it when missing and we may (root + apt).
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium + chromium-driver (Debian)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else \
			echo "chromium not installed and cannot install it here: browser tests will skip"; \
		fi; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

screenshots: $(STAMP) browser
	$(PY) -m tools.screenshots

# Builds the 1 M / 10 M datasets once (cached under var/bench), times every named query and the
# Overview in Chromium, runs the ingestion benchmarks, writes docs/benchmarks.md.
# Knobs: BENCH_SIZES=1M BENCH_RUNS=5 BENCH_PAGE=0 BENCH_INGEST=0 (see bench/__main__.py).
bench: $(STAMP) browser
	$(PY) -m bench

clean:
	rm -rf $(VENV) var
