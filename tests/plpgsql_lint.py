"""plpgsql_check over every PL/pgSQL function of the package, generated capture functions included.

    python tests/plpgsql_lint.py            (run by `make lint-plpgsql`; exit 1 on any finding)

It needs Debian's ``postgresql-15-plpgsql-check`` (and so Debian's PostgreSQL 15 in
``/usr/lib/postgresql/15``): the PyPI binaries that the test suite uses cannot load
it. This script starts a private server from Debian's binaries (as pgserver.py does
for the suite: a temporary directory, as ``nobody`` under root), installs the
package into a fresh database as a non-superuser owner, audits a few tables that
between them take every branch of the capture code generator (one-column and
composite keys, ignored and redacted columns, a partitioned table, quoted names,
require_actor), and then checks every PL/pgSQL function in schema ``audit`` with
``plpgsql_check_function_tb``: trigger functions against a table that uses them,
with the capture triggers' transition tables, polymorphic functions with an
audited table's row type. Any error or warning fails the run.

Environment: ``PLPGSQL_CHECK_PGBIN`` (default ``/usr/lib/postgresql/15/bin``),
``AUDIT_INSTALL_SQL`` (default ``sql/install.sql``),
``PLPGSQL_CHECK_SECURITY=1`` to add plpgsql_check's security warnings (SQL injection
heuristics) to the checks.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pgserver import PgServerError, PsqlError, install_sql_path, start_local_server  # noqa: E402

PGBIN = Path(os.environ.get("PLPGSQL_CHECK_PGBIN") or "/usr/lib/postgresql/15/bin")
DB = "lint_plpgsql"
OWNER = "lint_owner"

# Tables that make audit.enable generate every variant of the capture code.
FIXTURE = """
create table public.lint_simple (id bigint primary key, name text, updated_at timestamptz, secret text);
create table public.lint_composite (a int, b text, v numeric, primary key (a, b));
create table public.lint_nokey (code text not null unique, note text);
create table public.lint_parted (id int, region text, qty int, primary key (id, region))
    partition by list (region);
create table public.lint_parted_eu partition of public.lint_parted for values in ('eu');
create table public.lint_parted_us partition of public.lint_parted for values in ('us');
create table public."Lint Quoted" ("Id" uuid primary key, "order" text, "été" int);
create table public.lint_generated (id int primary key, a int, b int generated always as (a * 2) stored);
select audit.enable('public.lint_simple', ignore_columns => '{updated_at}', redact_columns => '{secret}');
select audit.enable('public.lint_composite', require_actor => true);
select audit.enable('public.lint_nokey', key_columns => '{code}');
select audit.enable('public.lint_parted');
select audit.enable('public."Lint Quoted"', snapshot => false);
select audit.enable('public.lint_generated');
"""

# Every PL/pgSQL function in schema audit; a trigger function with one table that fires it
# (and that table's transition table names, if its triggers have them).
FUNCTIONS = """
select p.oid::regprocedure::text as fn,
    p.prorettype = 'pg_catalog.trigger'::regtype as is_trigger,
    t.tgrelid::regclass::text as relid,
    t.tgoldtable::text as oldtable,
    t.tgnewtable::text as newtable
from pg_catalog.pg_proc as p
join pg_catalog.pg_language as l on l.oid = p.prolang
left join lateral (
    -- The trigger that names both transition tables (the UPDATE one) shows the whole body's needs.
    select x.tgrelid, x.tgoldtable, x.tgnewtable from pg_catalog.pg_trigger as x
    where x.tgfoid = p.oid
    order by (x.tgoldtable is not null)::int + (x.tgnewtable is not null)::int desc, x.tgname
    limit 1
) as t on true
where p.pronamespace = 'audit'::regnamespace and l.lanname = 'plpgsql'
order by p.proname, p.oid
"""


def main() -> int:
    if not (PGBIN / "postgres").is_file():
        print(f"lint-plpgsql: no PostgreSQL server at {PGBIN} (install Debian's postgresql-15-plpgsql-check)",
              file=sys.stderr)
        return 2
    security = os.environ.get("PLPGSQL_CHECK_SECURITY", "") == "1"
    try:
        server = start_local_server(PGBIN, label=f"PostgreSQL at {PGBIN}")
    except PgServerError as exc:
        print(f"lint-plpgsql: could not start the server: {exc}", file=sys.stderr)
        return 2
    try:
        with server.connect() as conn:
            conn.execute(f"create role {OWNER} login")
            conn.execute(f"create database {DB} owner {OWNER}")
        try:
            server.psql(["-f", str(install_sql_path())], dsn=server.dsn(DB, OWNER))
            server.psql(["-c", FIXTURE], dsn=server.dsn(DB, OWNER))
        except PsqlError as exc:
            print(f"lint-plpgsql: installing the package or auditing the fixture tables failed:\n{exc}",
                  file=sys.stderr)
            return 1
        with server.connect(DB) as conn:
            try:
                conn.execute("create extension plpgsql_check")
            except Exception as exc:  # noqa: BLE001 - any failure here means the lint cannot run
                print(f"lint-plpgsql: CREATE EXTENSION plpgsql_check failed on {server.major}: {exc}",
                      file=sys.stderr)
                return 2
            version = conn.execute(
                "select extversion from pg_catalog.pg_extension where extname = 'plpgsql_check'").fetchone()[0]
            functions = conn.execute(FUNCTIONS).fetchall()
            findings = []
            for fn, is_trigger, relid, oldtable, newtable in functions:
                if is_trigger and relid is None:
                    findings.append((fn, None, "warning", "trigger function that no trigger uses: not checked"))
                    continue
                rows = conn.execute(
                    "select lineno, level, sqlstate, message, detail, hint, statement, query"
                    " from plpgsql_check_function_tb(%s::regprocedure, coalesce(%s::regclass, 0),"
                    " security_warnings => %s, oldtable => %s, newtable => %s,"
                    " anyelememttype => 'public.lint_simple'::regtype)",
                    [fn, relid, security, oldtable, newtable],
                ).fetchall()
                for lineno, level, sqlstate, message, detail, hint, statement, query in rows:
                    text = f"{message} [{sqlstate}]"
                    for label, value in (("statement", statement), ("detail", detail), ("hint", hint),
                                         ("query", query)):
                        if value:
                            text += f"\n        {label}: {' '.join(str(value).split())[:300]}"
                    findings.append((fn, lineno, level, text))
        generated = sum(1 for f in functions if re.match(r"audit\.(capture|guard)_n[0-9]+\(", f[0]))
        if generated == 0:
            findings.append(("audit.enable", None, "error",
                             "no generated capture function found: the fixture's tables were not audited, "
                             "or the generated functions' names changed (update this script)"))
        print(f"lint-plpgsql: plpgsql_check {version} on PostgreSQL {server.major}: {len(functions)} PL/pgSQL "
              f"functions in schema audit ({generated} of them generated by audit.enable)"
              f"{', security warnings on' if security else ''}")
        for fn, lineno, level, text in findings:
            where = f"{fn} line {lineno}" if lineno is not None else fn
            print(f"  {level}: {where}: {text}")
        if findings:
            print(f"lint-plpgsql: {len(findings)} finding(s)", file=sys.stderr)
            return 1
        print("lint-plpgsql: no warnings")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
