"""The owner of an ordinary database (no superuser) installs the package with psql, and again."""

import re

import pytest
from psycopg.conninfo import make_conninfo

from pgserver import PsqlError

pytestmark = pytest.mark.upgrade


def state(conn):
    """What a reinstall must keep: log rows, config, audited tables, their triggers, site actor types."""
    q = conn.execute
    return {
        "logs": q("SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY id), '[]') FROM audit.logs l").fetchone()[0],
        "config": q("SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY relid), '[]') FROM audit.config c").fetchone()[0],
        "tables": q("SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY table_name::text), '[]') FROM audit.tables t"
                    ).fetchone()[0],
        "triggers": q("SELECT array_agg(tgrelid::regclass::text || '.' || tgname ORDER BY 1) FROM pg_trigger"
                      " WHERE tgname LIKE 'audit_trail_%'").fetchone()[0],
        "actor_types": q("SELECT array_agg(name ORDER BY name) FROM audit.actor_types").fetchone()[0],
        "max_id": q("SELECT max(id) FROM audit.logs").fetchone()[0],
    }


def test_non_superuser_owner_installs_with_psql(fresh_db_no_install, run_install, roles):
    proc = run_install(fresh_db_no_install.dsn())
    assert proc.returncode == 0
    assert "ERROR" not in proc.stderr
    conn = fresh_db_no_install.connect()
    assert conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] is False
    version = conn.execute("SELECT audit.version()").fetchone()[0]
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version), version
    schema_owner = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'audit'").fetchone()[0]
    assert schema_owner == roles.owner
    # No extension, no event trigger, no new role.
    assert conn.execute("SELECT array_agg(extname ORDER BY extname) FROM pg_extension").fetchone()[0] == ["plpgsql"]
    assert conn.execute("SELECT count(*) FROM pg_event_trigger").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == 0


def test_installed_package_captures_right_away(fresh_db_no_install, run_install):
    run_install(fresh_db_no_install.dsn())
    conn = fresh_db_no_install.connect()
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    conn.execute("SELECT audit.enable('t')")
    conn.execute("INSERT INTO t VALUES (1, 'a')")
    assert conn.execute("SELECT action, record_id, new_values FROM audit.logs").fetchall() == [
        ("INSERT", "1", {"id": 1, "v": "a"})]


def test_install_with_an_empty_search_path(fresh_db_no_install, run_install):
    dsn = make_conninfo(fresh_db_no_install.dsn(), options="-c search_path=")
    run_install(dsn)
    conn = fresh_db_no_install.connect()
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
    conn.execute("SELECT audit.enable('public.t')")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == 1


def test_failed_install_leaves_nothing_behind(fresh_db_no_install, run_install):
    conn = fresh_db_no_install.connect()
    # A table where the package puts its view makes the install fail part-way.
    conn.execute("CREATE SCHEMA audit")
    conn.execute("CREATE TABLE audit.tables (x int)")
    with pytest.raises(PsqlError) as info:
        run_install(fresh_db_no_install.dsn())
    # It failed late, after creating other objects (which must be gone now).
    assert re.search(r"\btables\b", info.value.stderr), info.value.stderr
    leftovers = conn.execute(
        "SELECT array_agg(c.relname::text ORDER BY 1) FROM pg_class c WHERE c.relnamespace = 'audit'::regnamespace"
    ).fetchone()[0]
    assert leftovers == ["tables"]
    assert conn.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'audit'::regnamespace").fetchone()[0] == 0


def test_second_install_changes_nothing_and_loses_nothing(db, db_dsn, run_install, connect):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, email text, pw text)")
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("INSERT INTO users VALUES (1, 'a@x.io', 'p')")
    db.execute("SELECT audit.enable('users', redact_columns => '{pw}', require_actor => false)")
    db.execute("SELECT audit.enable('notes', snapshot => false)")
    db.execute("UPDATE users SET email = 'b@x.io'")
    db.execute("INSERT INTO notes VALUES (1, 'n')")
    db.execute("INSERT INTO audit.actor_types (name) VALUES ('robot')")
    db.execute("CREATE TABLE gone (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('gone')")
    db.execute("SELECT audit.disable('gone')")
    before = state(db)
    version = db.execute("SELECT audit.version()").fetchone()[0]

    run_install(db_dsn)

    conn = connect()
    assert state(conn) == before
    assert conn.execute("SELECT audit.version()").fetchone()[0] == version
    conn.execute("UPDATE users SET pw = 'q', email = 'c@x.io'")
    conn.execute("DELETE FROM notes")
    conn.execute("INSERT INTO gone VALUES (1)")
    after = conn.execute("SELECT table_name, action, record_id, old_values, new_values FROM audit.logs"
                         " WHERE id > %s ORDER BY id", [before["max_id"]]).fetchall()
    assert after == [
        ("users", "UPDATE", "1", {"email": "b@x.io", "pw": "[redacted]"},
         {"id": 1, "email": "c@x.io", "pw": "[redacted]"}),
        ("notes", "DELETE", "1", {"id": 1, "body": "n"}, None),
    ]


def test_third_install_from_a_fresh_psql_session_is_still_idempotent(db, db_dsn, run_install):
    db.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('t')")
    db.execute("INSERT INTO t VALUES (1)")
    before = state(db)
    run_install(db_dsn)
    run_install(db_dsn)
    assert state(db) == before
    db.execute("INSERT INTO t VALUES (2)")
    assert db.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == 2


def test_reinstall_while_a_writer_session_is_open(db, db_dsn, run_install, connect, roles):
    db.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('t')")
    db.execute(f"GRANT INSERT ON t TO {roles.writer}")
    writer = connect(roles.writer)
    writer.execute("INSERT INTO t VALUES (1)")
    run_install(db_dsn)
    writer.execute("INSERT INTO t VALUES (2)")
    assert db.execute("SELECT array_agg(record_id ORDER BY id) FROM audit.logs").fetchone()[0] == ["1", "2"]
