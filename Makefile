# Two commands set everything up: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what serving needs (and the client); `make test` adds the dev extras.
# Both install the versions pinned in constraints.txt (`make constraints` updates it).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install --quiet -c constraints.txt
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres lint migrate seed clean constraints

$(RUN_STAMP): pyproject.toml client/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(PIP) -e . -e ./client
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	$(PIP) -e '.[dev]' -e './client[pandas]'
	touch $(DEV_STAMP)

install: $(DEV_STAMP)  # everything, for working on Dyad

## Rewrite constraints.txt from a clean install of everything, at the newest versions that
## pyproject.toml allows; run the tests, then commit it.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet -e '.[dev]' -e './client[pandas]'
	( echo "# pip freeze of a clean install of '.[dev]' and './client[pandas]': make constraints"; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable ) > constraints.txt
	rm -rf .venv-constraints

## Serve on SQLite at http://$(HOST):$(PORT) (`make run PORT=8080 HOST=0.0.0.0`), with the
## seed loaded into an empty database.
run: $(RUN_STAMP)
	$(BIN)/dyad migrate
	$(BIN)/dyad seed --if-empty
	$(BIN)/dyad serve --host $(HOST) --port $(PORT)

migrate: $(RUN_STAMP)
	$(BIN)/dyad migrate

seed: $(RUN_STAMP)
	$(BIN)/dyad seed

## Lint, type-check, then the whole suite on SQLite and, when reachable, on PostgreSQL.
test: $(DEV_STAMP) lint test-sqlite test-postgres

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests client/dyad_client examples

test-sqlite: $(DEV_STAMP)
	@echo "== tests on SQLite"
	DYAD_TEST_DATABASE_URL=sqlite $(BIN)/pytest -q

test-postgres: $(DEV_STAMP)
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect('$(PG_TEST_URL)'.replace('+psycopg', ''), connect_timeout=3).close()" 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(PG_TEST_URL))"; \
		DYAD_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q; \
	else \
		echo "== PostgreSQL is not reachable at $(PG_TEST_URL): its tests did NOT run."; \
		echo "   Start it, or set PG_TEST_URL, then run 'make test-postgres'."; \
		if [ -n "$$CI" ]; then exit 1; fi; \
	fi

## Dyad beside Datasette on N generated events ("Benchmarks" in README.md); writes
## bench/RESULTS.md. `make bench N=100000 DURATION=10`; data and databases stay in bench/data/.
N ?= 1000000
DURATION ?= 30
CONNECTIONS ?= 8
.PHONY: bench bench-profile
bench: $(DEV_STAMP)
	$(BIN)/python bench/run.py --n $(N) --duration $(DURATION) --connections $(CONNECTIONS)

## pyinstrument profiles of Dyad's side of the benchmark and of `dyad import` (after `make bench`).
bench-profile: $(DEV_STAMP)
	$(BIN)/python bench/profile_dyad.py --n $(N) --import

## Many clients reading and editing PostgreSQL through `dyad serve --workers 2` for a minute:
## zero 5xx and no accepted write missing from the revisions, or it fails. Writes bench/LOAD.md.
.PHONY: bench-load
bench-load: $(DEV_STAMP)
	$(BIN)/python bench/load.py --clients 16 --duration 60 --workers 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## Every read endpoint of the API timed at one connection on N events (p50, p99); writes its
## section of bench/RESULTS.md. `make bench-endpoints N=100000`.
.PHONY: bench-endpoints
bench-endpoints: $(DEV_STAMP)
	$(BIN)/python bench/endpoints.py --n $(N)
