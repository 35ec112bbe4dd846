# Two commands set everything up: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres lint migrate seed clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
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
	$(BIN)/mypy app tests

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
