# Two commands set everything up: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres lint migrate seed clean

$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet -e './client[pandas]'
	touch $(STAMP)

install: $(STAMP)

## Serve on SQLite at http://$(HOST):$(PORT), with the seed loaded into an empty database.
run: $(STAMP)
	$(BIN)/dyad migrate
	$(BIN)/dyad seed --if-empty
	$(BIN)/dyad serve --host $(HOST) --port $(PORT)

migrate: $(STAMP)
	$(BIN)/dyad migrate

seed: $(STAMP)
	$(BIN)/dyad seed

## Lint, type-check, then the whole suite on SQLite and, when reachable, on PostgreSQL.
test: $(STAMP) lint test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests client/dyad_client examples

test-sqlite: $(STAMP)
	@echo "== tests on SQLite"
	DYAD_TEST_DATABASE_URL=sqlite $(BIN)/pytest -q

test-postgres: $(STAMP)
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
bench: $(STAMP)
	$(BIN)/python bench/run.py --n $(N) --duration $(DURATION) --connections $(CONNECTIONS)

## pyinstrument profiles of Dyad's side of the benchmark and of `dyad import` (after `make bench`).
bench-profile: $(STAMP)
	$(BIN)/python bench/profile_dyad.py --n $(N) --import

## Many clients reading and editing PostgreSQL through `dyad serve --workers 2` for a minute:
## zero 5xx and no accepted write missing from the revisions, or it fails. Writes bench/LOAD.md.
.PHONY: bench-load
bench-load: $(STAMP)
	$(BIN)/python bench/load.py --clients 16 --duration 60 --workers 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
