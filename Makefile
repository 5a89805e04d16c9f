# Two commands on a fresh machine with Python 3.11+:
#   make run    set up .venv, migrate the embedded SQLite database, serve on 127.0.0.1:8000
#   make test   set up .venv with test tools, then lint, type-check, check import layers and
#               migrations, run tests
#   make mutation  mutation testing of the modules listed in pyproject.toml (docs/mutation.md;
#               slow, not part of make test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint migrate clean mutation messages

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "langtutor needs Python 3.11 or newer (set PYTHON=python3.x)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-app

$(VENV)/.installed-mutation: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,mutation]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-app

migrate: $(VENV)/.installed-app
	$(BIN)/langtutor db upgrade

run: migrate
	$(BIN)/langtutor serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	$(BIN)/mypy src
	$(BIN)/lint-imports

test: lint
	@tmp=$$(mktemp -d) && export LANGTUTOR_DATABASE_URL="sqlite+aiosqlite:///$$tmp/check.db" \
		&& $(BIN)/alembic upgrade head && $(BIN)/alembic check; status=$$?; rm -rf "$$tmp"; exit $$status
	@if [ -x /usr/bin/chromium ]; then echo "browser tests: running in /usr/bin/chromium"; \
	else echo "browser tests: SKIPPED, no /usr/bin/chromium (apt-get install chromium to run them)"; fi
	$(BIN)/pytest

# A fresh run each time: mutmut keeps the verdicts of unchanged functions, even once a new
# test would kill them. mypy (the type check that catches some mutants) runs from .venv.
mutation: $(VENV)/.installed-mutation
	rm -rf mutants
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/mutmut run
	$(BIN)/mutmut results --all true | $(BIN)/python -m tests.mutation

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-output mutants

# The pages' messages: extract them from the code and templates, then add the new ones to
# every catalog (and mark the changed ones fuzzy) for translators (docs/translating.md).
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F pyproject.toml --no-location --sort-output --omit-header \
		-k N_ -c TRANSLATORS: -o $(VENV)/messages.pot src/langtutor
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d src/langtutor/web/locales \
		--no-wrap --ignore-obsolete --no-fuzzy-matching
