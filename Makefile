# Etjänst: `make run` starts everything on SQLite with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install translations run migrate demo serve test test-postgres lint clean

install: $(STAMP) translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]" --config-settings editable_mode=compat
	touch $(STAMP)

# The compiled catalogues (*.mo) are build output, made at install.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d translations -f >/dev/null

migrate: install
	$(BIN)/etjanst db upgrade

demo: migrate
	$(BIN)/etjanst demo

run: demo
	$(BIN)/etjanst serve

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The same suite on PostgreSQL (a fresh database, dropped afterwards).
test-postgres: install
	ETJANST_PG_ADMIN_URL=$${ETJANST_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres} bash .ci/with-postgres.sh $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
