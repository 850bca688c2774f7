"""`make demo`: pg-audit-trail on a small identity provider, start to finish, in a few seconds.

Starts a throwaway PostgreSQL (or uses $AUDIT_TEST_DSN, see pgserver.py), installs the package
with psql as a non-superuser owner, plays the story of tests/story.py and prints what the log
and the time-travel reads say. The server (or, on a DSN server, the demo database) is removed
at the end, also on error.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

import story as st  # noqa: E402
from pgserver import Server, install_sql_path, start_server  # noqa: E402

OWNER = "audit_owner"  # the same non-superuser role the tests use


# --------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------

def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%H:%M:%S.%f")[:-3]
    if isinstance(value, (list, tuple)):
        return ",".join(cell(v) for v in value)
    if isinstance(value, (dict,)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def print_table(title: str, columns: list[str], rows) -> None:
    """An aligned plain-text table, psql style."""
    cells = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print((" " + " | ".join(c.ljust(w) for c, w in zip(columns, widths))).rstrip())
    print("-" + "-+-".join("-" * w for w in widths) + "-")
    for r in cells:
        print(" " + " | ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    print(f"({len(cells)} row{'' if len(cells) == 1 else 's'})")


def query(conn, title: str, text: str, params=()) -> None:
    cur = conn.execute(text, params)
    print_table(title, [d.name for d in cur.description], cur.fetchall())


# --------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------

def create_database(server: Server) -> str:
    """The owner role (created if missing) and a fresh database it owns; returns the database name."""
    name = f"audit_demo_{uuid.uuid4().hex[:8]}"
    with server.connect() as conn:
        conn.execute(sql.SQL(
            "do $$ begin"
            " if not exists (select from pg_catalog.pg_roles where rolname = {name}) then"
            " create role {role} login;"
            " end if; end $$"
        ).format(name=sql.Literal(OWNER), role=sql.Identifier(OWNER)))
        if server.role_password is not None:  # a server that checks passwords
            conn.execute(sql.SQL("alter role {} login password {}").format(
                sql.Identifier(OWNER), sql.Literal(server.role_password)))
        if not conn.execute("select rolsuper from pg_catalog.pg_roles where rolname = current_user").fetchone()[0]:
            conn.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(OWNER)))
        conn.execute(sql.SQL("create database {} template template0 owner {}").format(
            sql.Identifier(name), sql.Identifier(OWNER)))
    return name


def drop_database(server: Server, name: str) -> None:
    """Best effort: a failure here must not hide the error that ended the demo."""
    try:
        with server.connect() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        print(f"warning: could not drop the demo database {name}: {exc}", file=sys.stderr)


# --------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------

LOG_SQL = """
select id, created_at, table_name as table, record_id, action, changed_fields,
    actor_email as actor, actor_type as type, migration_name as migration
from audit.logs
order by id
"""

HISTORY_SQL = """
select log_id, action, valid_from, valid_to, state ->> 'name' as name, state ->> 'email' as email,
    state ->> 'encrypted_password' as password, changed_fields, actor_email, actor_type
from audit.history('users', %s)
"""

STATE_AT_SQL = """
select %s as moment, s.valid_from, s.action, s.state ->> 'name' as name, s.state ->> 'email' as email,
    s.actor_email
from audit.state_at('users', %s, %s) as s
"""

MODERATION_CONTEXT_SQL = """
select m.id as moderation, m.decision, m.created_at,
    u.state ->> 'name' as user_name_then, u.state ->> 'email' as user_email_then,
    mo.organization ->> 'name' as organization_then, mo.membership ->> 'role' as role_then
from moderations as m
left join lateral audit.state_at('users', m.user_id, m.created_at) as u on true
left join lateral (
    select uo.state as membership, o.state as organization
    from audit.table_at('users_organizations', m.created_at, jsonb_build_object('user_id', m.user_id)) as uo
    left join lateral audit.state_at('organizations', (uo.state ->> 'organization_id')::bigint, m.created_at) as o
        on true
) as mo on true
order by m.id
"""

VALUES_SQL = """
select id, table_name as table, record_id, old_values - 'updated_at' as old_values, context
from audit.logs
where action = 'UPDATE'
order by id
"""

NOW_SQL = """
select u.name as user_name_now, u.email as user_email_now, o.name as organization_now
from users as u, organizations as o
where u.id = %s and o.id = %s
"""


def run_demo(server: Server) -> None:
    dbname = create_database(server)
    try:
        server.psql(["-q", "-f", str(install_sql_path())], dsn=server.dsn(dbname, OWNER))
        with psycopg.connect(server.dsn(dbname, OWNER), autocommit=True) as conn:
            version = conn.execute("select audit.version()").fetchone()[0]
            print(f"pg-audit-trail {version} installed by the non-superuser {OWNER} "
                  f"on PostgreSQL {server.major} ({server.kind} server)")
            st.create_schema(conn)
            query(conn, "Audited tables (audit.tables)",
                  "select table_name, key_columns, ignore_columns, redact_columns, lookup_columns from audit.tables"
                  " order by table_name::text")

            print("\nThe story, one transaction per step:")

            counter = itertools.count(1)
            story = st.play_story(
                conn, lambda step: print(f"  {next(counter)}. {step.title}: {step.log_rows} log row(s)"))
            sign_ins = conn.execute("select sign_in_count from users where id = %s", (story.user_id,)).fetchone()[0]
            print(f"  (users.sign_in_count is now {sign_ins}, yet step 2 wrote no log row:"
                  " it changed ignored columns only)")

            query(conn, "The log (audit.logs)", LOG_SQL)
            query(conn, "What each UPDATE kept of the old row: the changed columns only (the demo hides"
                        " updated_at from this column), and its context", VALUES_SQL)
            query(conn, f"History of user {story.user_id} (audit.history('users', {story.user_id}))",
                  HISTORY_SQL, (story.user_id,))
            rows = []
            for label in ("before_email_change", "after_email_change"):
                ts = story.moments[label]
                rows += conn.execute(STATE_AT_SQL, (label, story.user_id, ts)).fetchall()
            print_table(f"User {story.user_id} before and after the e-mail change (audit.state_at)",
                        ["moment", "valid_from", "action", "name", "email", "actor_email"], rows)
            query(conn, "Each moderation with the user, organization and membership as they were then"
                        " (each moderation joined to audit.state_at at its created_at, and to the"
                        " memberships through audit.table_at with a filter on user_id)", MODERATION_CONTEXT_SQL)
            query(conn, "...and as they are now", NOW_SQL, (story.user_id, story.organization_id))
    finally:
        drop_database(server, dbname)


def main() -> int:
    started = time.monotonic()
    server = start_server()
    try:
        run_demo(server)
    finally:
        server.stop()
    print(f"\nDone in {time.monotonic() - started:.1f} s; the server is gone.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
