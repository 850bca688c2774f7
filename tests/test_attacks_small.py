"""Smaller ways to fool or hurt the audit trail, each refused with an error that names the problem."""

import pytest

from helpers import log_rows, raises_sqlstate

pytestmark = pytest.mark.security


def test_renaming_a_redacted_column_and_adding_one_under_its_name_never_logs_the_secret(db):
    db.execute("CREATE TABLE acc (id int PRIMARY KEY, secret text, v text)")
    db.execute("SELECT audit.enable('acc', redact_columns => '{secret}')")
    db.execute("ALTER TABLE acc RENAME COLUMN secret TO old_secret")
    db.execute("ALTER TABLE acc ADD COLUMN secret text")
    for stmt in ("INSERT INTO acc VALUES (1, 'S3CRET', 'v', 'new')", "UPDATE acc SET v = 'w'"):
        with raises_sqlstate("42703", "redact_columns", "secret", "acc", what=stmt):
            db.execute(stmt)
    db.execute("SELECT audit.enable('acc', redact_columns => '{old_secret,secret}')")
    db.execute("INSERT INTO acc VALUES (1, 'S3CRET', 'v', 'new')")
    assert db.execute("SELECT count(*) FROM audit.logs WHERE logs::text LIKE '%S3CRET%'").fetchone()[0] == 0


def test_renaming_a_key_column_and_adding_one_under_its_name_never_moves_the_key(db):
    db.execute("CREATE TABLE k (id int PRIMARY KEY, other int UNIQUE, v text)")
    db.execute("INSERT INTO k VALUES (1, 100, 'a')")
    db.execute("SELECT audit.enable('k')")
    db.execute("ALTER TABLE k RENAME COLUMN id TO ident")
    db.execute("ALTER TABLE k ADD COLUMN id int DEFAULT 7")
    with raises_sqlstate("42703", "key_columns", r"\bid\b", r"\bk\b"):
        db.execute("UPDATE k SET v = 'b'")
    assert [e["record_id"] for e in log_rows(db)] == ["1"]


def test_dropping_an_unrelated_column_keeps_capture_going(db):
    db.execute("CREATE TABLE d (a int, id int PRIMARY KEY, secret text, v text)")
    db.execute("SELECT audit.enable('d', redact_columns => '{secret}', snapshot => false)")
    db.execute("ALTER TABLE d DROP COLUMN a")
    db.execute("INSERT INTO d VALUES (1, 'S', 'v')")
    assert log_rows(db)[0]["new_values"] == {"id": 1, "secret": "[redacted]", "v": "v"}


def test_the_audit_trail_itself_and_temporary_tables_cannot_be_audited(db):
    for table in ("audit.logs", "audit.config", "audit.actor_types"):
        with raises_sqlstate("42809", table.replace(".", r"\."), "audit trail itself", what=table):
            db.execute(f"SELECT audit.enable('{table}')")
    db.execute("CREATE TEMPORARY TABLE scratch (id int PRIMARY KEY)")
    with raises_sqlstate("42809", "scratch", "temporary"):
        db.execute("SELECT audit.enable('scratch')")
    assert db.execute("SELECT count(*) FROM audit.config").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM pg_proc WHERE pronamespace = 'audit'::regnamespace"
                      " AND proname ~ '^capture_'").fetchone()[0] == 0


def test_key_columns_must_be_unique(db):
    db.execute("CREATE TABLE events (kind text NOT NULL, at date NOT NULL, v int)")
    db.execute("INSERT INTO events VALUES ('a', '2024-01-01', 1), ('a', '2024-01-01', 2)")
    with raises_sqlstate("22023", "key_columns", "events", "not unique"):
        db.execute("SELECT audit.enable('events', key_columns => '{kind,at}')")
    db.execute("DELETE FROM events WHERE v = 2")
    db.execute("ALTER TABLE events ADD UNIQUE (at, kind)")
    db.execute("SELECT audit.enable('events', key_columns => '{kind,at}')")
    assert [e["record_id"] for e in log_rows(db)] == ['{"at": "2024-01-01", "kind": "a"}']


def test_disable_of_null_is_22004(db):
    with raises_sqlstate("22004", "audit.disable", "NULL"):
        db.execute("SELECT audit.disable(NULL)")


def test_a_large_context_is_refused_not_copied_into_every_row(db, connect):
    db.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('t')")
    w = connect(autocommit=False)
    w.execute("SELECT set_config('app.audit_context', %s, true)", ['{"blob": "' + "x" * 200_000 + '"}'])
    with raises_sqlstate("22023", "app.audit_context", "200012 bytes", "8192"):
        w.execute("INSERT INTO t SELECT generate_series(1, 1000)")
    w.rollback()
    w.execute("SELECT set_config('app.audit_context', %s, true)", ['{"request": "r-1"}'])
    w.execute("INSERT INTO t SELECT generate_series(1, 3)")
    w.commit()
    assert db.execute("SELECT count(*), min(context->>'request') FROM audit.logs").fetchone() == (3, "r-1")


def test_a_key_too_long_for_the_log_index_fails_the_write_and_logs_nothing(db):
    # Known limit (README): a key whose text exceeds what a btree entry holds (about 2.7 kB) cannot
    # be logged; the write fails as a whole.
    long_name = "a_table_with_a_rather_long_name_for_its_log"
    db.execute(f"CREATE TABLE {long_name} (k text PRIMARY KEY)")
    db.execute(f"SELECT audit.enable('{long_name}')")
    key = "SELECT string_agg(md5(i::text), '') FROM generate_series(1, 83) as i"  # 2,656 characters
    with raises_sqlstate("54000", "index row size", "logs_record_idx"):
        db.execute(f"INSERT INTO {long_name} {key}")
    assert db.execute(f"SELECT count(*) FROM {long_name}").fetchone()[0] == 0
    assert log_rows(db) == []
