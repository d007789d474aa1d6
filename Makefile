# The Partner Portal's two commands: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The Nu HTML Checker of tests/core/test_valid_html.py: npm's vnu-jar, pinned in package.json and package-lock.json.
# Installed without its install script, which would download a Java runtime: the system's runs it
# (scripts/system-packages.sh).
VNU := node_modules/vnu-jar/build/dist/vnu.jar
# Python keeps compiled modules (and pytest its rewritten test modules) in __pycache__ even where the shell says
# not to: the suite starts many Python processes (test workers, sandboxes, Celery workers), and each would
# otherwise compile every module it imports from source again.
unexport PYTHONDONTWRITEBYTECODE
# The suite runs in parallel (pytest-xdist): each worker has its own databases, sandbox, browser and Redis
# databases (tests/fixtures/isolation.py). TEST_WORKERS=0 runs it in this one process. One worker more than
# the cores: the tests wait at times (the sandbox, the browser, a Celery worker, PostgreSQL), and the one more
# keeps the cores busy meanwhile, while each worker more costs its own browser, sandbox and switching (two per
# core spent more CPU for a longer run; the measurement is in the commit that set this); at most 7, the Redis
# databases isolation.py can give out.
TEST_WORKERS ?= $(shell n=$$(( $$(nproc) + 1 )); echo $$(( n > 7 ? 7 : n )))
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist worksteal --durations=15
# The fast tier waits on nothing but its own CPU: one worker more than the cores (each worker more costs its own
# start and the switching between them; the measurement is in the commit that set this).
FAST_WORKERS ?= $(shell n=$$(( $$(nproc) + 1 )); echo $$(( n > 7 ? 7 : n )))

.PHONY: run test test-fast install system-packages run-packages tools migrate messages lint format bench bench-scale bench-load bench-suite soak sandbox clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

$(VNU): package.json package-lock.json
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(VNU)

## make tools: the test tools published on npm (the Nu HTML Checker), as package-lock.json pins them.
tools: $(VNU)

## make system-packages: the Debian packages of make test; run-packages: only those the portal runs with (the
## translations' msgfmt, the invoice PDFs' Pango, HarfBuzz-Subset and CJK fonts), for make run.
system-packages:
	@bash scripts/system-packages.sh

run-packages:
	@bash scripts/system-packages.sh run

# The compiled catalogues, made again only when their .po changed (with msgfmt, as compilemessages does).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)

%.mo: %.po
	@msgfmt --check-format -o $@ $<

migrate: install
	@mkdir -p var
	@$(PY) manage.py migrate --no-input -v 0

## make run: the portal on http://127.0.0.1:8000 with the sandbox, a Celery worker, beat and demo data.
run: install run-packages messages migrate
	@VERBOSE=$(VERBOSE) $(PY) scripts/run.py

## make test: ruff, mypy (partner_api strictly, core's framework; see [tool.mypy]), then the whole pytest suite in
## parallel; the slowest 15 tests are listed at the end.
test: install system-packages tools messages
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy
	@$(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

## make test-fast: unit and view tests only (no sandbox process, worker, Redis or browser), for the edit loop.
## tests/sandbox and tests/e2e are not even collected (tests/conftest.py), so schemathesis' pytest plugin, which
## only their contract run uses, is not loaded either.
test-fast: install messages
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(PY) -m pytest -m "not integration and not e2e" -p no:schemathesis -n $(FAST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS)

lint: install
	@$(VENV)/bin/ruff check .

format: install
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: install
	@$(PY) -m bench

## make bench-scale: the scale guard, every page the URL resolver has for each role, at 1,000 customers without
## history and 50,000 with 12 months on PostgreSQL, a page that shows more there judged from 1,000, 10,000 or
## 25,000 with the 12 months (DATABASE_URL names the server; scratch databases are made and dropped);
## BENCH_SCALE_ARGS="--small 300 --large 3000 --no-instructions" for a shorter run.
bench-scale: install
	@$(PY) -m bench scale $(BENCH_SCALE_ARGS)

## make bench-load: 8 users on the main pages for 60 s at 50,000 customers, served by gunicorn as the README
## deploys it (PostgreSQL from DATABASE_URL, Redis); BENCH_LOAD_ARGS="--customers 10000" for a shorter run,
## "--months 12" to compare a year of history with none (interleaved), "--database bench_guard_large --keep" to
## measure a database the scale guard kept.
bench-load: install
	@$(PY) -m bench load $(BENCH_LOAD_ARGS)

## make bench-suite: make test beside the commit issue 28 was filed at (c0de244), both as CI runs them (.ci/run
## in clean clones, one at a time), and the reference's own tests run by today's suite; BENCH_SUITE_ARGS="--rounds
## 2" runs them again in the opposite order. Each round is three CI runs, one after another.
bench-suite: install
	@$(PY) -m bench suite $(BENCH_SUITE_ARGS)

## make soak: the chaos soak (1,000 changes through the forms with faults and killed workers; needs PostgreSQL
## and Redis on this machine); SOAK_CHANGES=200 for the nightly-sized run, SOAK_MONTHS=12 on a portal with a
## year of history (bench.seed). Never part of make test.
## Where it runs (as make variables or from the environment; scripts/soak.py --help): SOAK_REDIS_DB (the Redis
## database it empties and uses, 0-15; default 12), SOAK_PORTS=START-END (the ports its sandbox and portal take;
## default any free), SOAK_DB_PREFIX (its scratch database is <prefix>_<pid>; default soak).
soak: install messages
	@SOAK_CHANGES=$(SOAK_CHANGES) SOAK_REDIS_DB=$(SOAK_REDIS_DB) SOAK_PORTS=$(SOAK_PORTS) \
		SOAK_DB_PREFIX=$(SOAK_DB_PREFIX) SOAK_MONTHS=$(SOAK_MONTHS) $(PY) scripts/soak.py

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache node_modules
