# Etjänst: `make run` starts everything on SQLite with demo data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install translations run migrate demo serve test test-postgres lint security lock clean

install: $(STAMP) translations

# The versions come from requirements.lock (a constraints file): CI installs exactly those.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]" --config-settings editable_mode=compat
	touch $(STAMP)

# Regenerate requirements.lock: ".[test]" in a fresh throwaway venv (no constraints, so the
# newest versions pyproject.toml allows), frozen without Etjänst itself. Review and commit it.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -e ".[test]" --config-settings editable_mode=compat; \
	{ sed -n '/^#/p' requirements.lock; "$$tmp/venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check; } >"$$tmp/lock"; \
	mv "$$tmp/lock" requirements.lock
	@echo "requirements.lock: $$(grep -c '==' requirements.lock) pinned packages"

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
# positives carry `# nosec <id> - why`); pip-audit checks the locked dependencies (requirements.lock)
# for known vulnerabilities, or says loudly that it was skipped when no vulnerability service answers.
BANDIT_TARGETS := shared portal backoffice scheduler cli.py config.py

security: install
	$(BIN)/bandit -q -c pyproject.toml -r $(BANDIT_TARGETS) -ll
	BIN=$(BIN) bash .ci/pip-audit.sh

clean:
	rm -rf $(VENV) instance .pytest_cache
