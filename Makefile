# Etjänst: `make run` starts everything on SQLite with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install translations run migrate demo serve test test-postgres lint security clean

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

# Two workers by default (the suite is sized for 2 cores); TEST_WORKERS=0 runs it serially.
TEST_WORKERS ?= 2

test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The same suite on PostgreSQL (a fresh database, dropped afterwards).
test-postgres: install
	ETJANST_PG_ADMIN_URL=$${ETJANST_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres} bash .ci/with-postgres.sh $(BIN)/python -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Security gates (CI, after lint): bandit fails on any medium or high finding (genuine false
# positives carry `# nosec <id> - why`); pip-audit checks the installed dependencies for known
# vulnerabilities, or says loudly that it was skipped when no vulnerability service answers.
BANDIT_TARGETS := shared portal backoffice scheduler cli.py config.py

security: install
	$(BIN)/bandit -q -c pyproject.toml -r $(BANDIT_TARGETS) -ll
	BIN=$(BIN) bash .ci/pip-audit.sh

clean:
	rm -rf $(VENV) instance .pytest_cache
