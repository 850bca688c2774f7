"""audit.erase: the right to erasure for one record. Afterwards none of its non-key values, and none
of the e-mails it ever had, appear anywhere in the audit schema's tables; everything else stays."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import sql

from helpers import raises_sqlstate
from helpers_time import moment

SECRETS = ["alice@example.com", "alice.new@example.com", "Alice Liddell", "Wonderland 1"]


def every_text(conn) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and jsonb value in every table of schema audit."""
    cols = conn.execute(
        "SELECT c.relname, a.attname FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid"
        " WHERE c.relnamespace = 'audit'::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0"
        " AND NOT a.attisdropped AND a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'text[]'::regtype)").fetchall()
    out = []
    for table, col in cols:
        for (value,) in conn.execute(sql.SQL("SELECT {}::text FROM audit.{} WHERE {} IS NOT NULL").format(
                sql.Identifier(col), sql.Identifier(table), sql.Identifier(col))):
            out.append((table, col, value))
    return out


@pytest.fixture
def people(db):
    db.execute("CREATE TABLE people (id int PRIMARY KEY, email text, name text, address text, age int)")
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("INSERT INTO people VALUES (2, 'bob@example.com', 'Bob', 'Nowhere', 40)")
    db.execute("SELECT audit.enable('people')")
    db.execute("SELECT audit.enable('notes')")
    with db.transaction():
        db.execute("SELECT audit.set_actor('bob@example.com', 'user', '2')")
        db.execute("INSERT INTO people VALUES (1, 'alice@example.com', 'Alice Liddell', NULL, 30)")
    with db.transaction():  # Alice acts, with her e-mail in the context too
        db.execute("SELECT audit.set_actor('alice@example.com', 'user', '1')")
        db.execute("SELECT set_config('app.audit_context', '{\"request\": \"r1\", \"who\": [\"alice@example.com\"]}', true)")
        db.execute("INSERT INTO notes VALUES (10, 'a note')")
        db.execute("UPDATE people SET address = 'Wonderland 1' WHERE id = 1")
    db.execute("UPDATE people SET email = 'alice.new@example.com', age = 31 WHERE id = 1")
    with db.transaction():
        db.execute("SELECT audit.set_actor('alice.new@example.com')")
        db.execute("UPDATE notes SET body = 'edited' WHERE id = 10")
    db.execute("UPDATE people SET id = 11 WHERE id = 1")  # a key change: the same record
    db.execute("UPDATE people SET age = 41 WHERE id = 2")
    return "people"


def core(conn):
    return conn.execute("SELECT id, created_at, transaction_id, table_name, record_id, old_record_id, action,"
                        " changed_fields, actor_type FROM audit.logs ORDER BY id").fetchall()


def test_erase_leaves_no_trace_of_the_record(db, people):
    assert any(s in v for _, _, v in every_text(db) for s in SECRETS)
    others = db.execute("SELECT * FROM audit.logs WHERE table_name = 'people' AND record_id = '2'"
                        " ORDER BY id").fetchall()
    before = core(db)
    rewritten = db.execute("SELECT audit.erase('people', 11, 'erasure request #1')").fetchone()[0]
    assert rewritten > 0
    found = [(t, c, v) for t, c, v in every_text(db) for s in SECRETS if s in v]
    assert found == []
    # Actions, times, changed_fields, the order of events and other records' rows are unchanged.
    assert core(db) == before
    assert db.execute("SELECT * FROM audit.logs WHERE table_name = 'people' AND record_id = '2'"
                      " ORDER BY id").fetchall() == others
    # Reads show "[erased]"; the key and NULLs stay.
    state = db.execute("SELECT state FROM audit.state_at('people', 11, clock_timestamp())").fetchone()[0]
    assert state == {"id": 11, "email": "[erased]", "name": "[erased]", "address": "[erased]", "age": "[erased]"}
    typed = db.execute("SELECT (audit.row_at(NULL::people, 11, clock_timestamp())).*").fetchone()
    assert typed == (11, "[erased]", "[erased]", "[erased]", None)  # "[erased]" does not fit an int: NULL
    hist = db.execute("SELECT state FROM audit.history('people', 11)").fetchall()
    assert hist[0][0]["address"] is None and hist[0][0]["id"] == 1
    # The actor rows no longer identify her, the note's values stay, other actors stay.
    assert db.execute("SELECT actor_email, actor_id, context FROM audit.logs WHERE table_name = 'notes'"
                      " ORDER BY id").fetchall() == [
        ("[erased]", "[erased]", {"request": "r1", "who": ["[erased]"]}), ("[erased]", None, None)]
    assert db.execute("SELECT count(*) FROM audit.logs WHERE actor_email = 'bob@example.com'").fetchone()[0] == 1
    assert db.execute("SELECT body FROM notes").fetchone()[0] == "edited"
    assert db.execute("SELECT kind, table_name, record_id, reason, rows_rewritten FROM audit.operations").fetchall() \
        == [("erase", "people", "11", "erasure request #1", rewritten)]
    # Twice is harmless.
    after = db.execute("SELECT * FROM audit.logs ORDER BY id").fetchall()
    assert db.execute("SELECT audit.erase('people', 11, 'again')").fetchone()[0] == 0
    assert db.execute("SELECT * FROM audit.logs ORDER BY id").fetchall() == after


def test_erase_of_an_unknown_record_is_an_error(db, people):
    with raises_sqlstate("P0002", "no record with key 999"):
        db.execute("SELECT audit.erase('people', 999, 'request')")
    with raises_sqlstate("22004", "reason"):
        db.execute("SELECT audit.erase('people', 11, NULL)")
    with raises_sqlstate("55000", "not audited"):
        db.execute("CREATE TABLE plain (id int PRIMARY KEY)")
        db.execute("SELECT audit.erase('plain', 1, 'request')")
    assert db.execute("SELECT count(*) FROM audit.operations").fetchone()[0] == 0


def test_erase_runs_beside_capture(db, people, connect):
    """Writers in other connections go on during an erasure, and their rows are untouched."""
    db.execute("INSERT INTO notes SELECT g, 'n' || g FROM generate_series(100, 5099) AS g")
    stop = threading.Event()
    errors, done = [], []

    def writer():
        conn = connect()
        try:
            i = 100
            while not stop.is_set():
                conn.execute("UPDATE notes SET body = body || '.' WHERE id = %s", [i])
                done.append(i)
                i = 100 + (i + 1) % 5000
        except psycopg.Error as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    ts = moment(db)
    db.execute("SELECT audit.erase('people', 11, 'request')")
    stop.set()
    for t in threads:
        t.join()
    assert not errors and done
    assert db.execute("SELECT count(*) FROM audit.logs WHERE table_name = 'notes' AND action = 'UPDATE'"
                      " AND record_id <> '10'").fetchone()[0] == len(done)
    assert db.execute("SELECT count(*) FROM audit.logs WHERE table_name = 'notes' AND created_at > %s",
                      [ts]).fetchone()[0] > 0


def test_erase_takes_the_record_s_e_mails_not_its_other_strings(db):
    """The e-mails are the strings with an @ the record held, at any depth and in its key too: a
    status that equals some actor's text, or another table's rows, are not touched (found by a
    hostile review: erasing a user whose status was 'active' blanked an actor named 'active')."""
    db.execute("CREATE TABLE accounts (email text PRIMARY KEY, status text, alt text[], profile jsonb)")
    db.execute("CREATE TABLE orders (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('accounts')")
    db.execute("SELECT audit.enable('orders')")
    db.execute("INSERT INTO accounts VALUES ('erin@example.com', 'active', '{alt@example.com}',"
                " '{\"mail\": \"deep@example.com\"}')")
    for n, actor in enumerate(["erin@example.com", "alt@example.com", "deep@example.com", "active"], 1):
        with db.transaction():
            db.execute("SELECT audit.set_actor(%s, 'user')", [actor])
            db.execute("INSERT INTO orders VALUES (%s)", [n])
    db.execute("SELECT audit.erase('accounts', 'erin@example.com'::text, 'erasure request')")
    actors = [r[0] for r in db.execute(
        "SELECT actor_email FROM audit.logs WHERE table_name = 'orders' ORDER BY id")]
    assert actors == ["[erased]", "[erased]", "[erased]", "active"]
    texts = [v for _, _, v in every_text(db)]
    for secret in ("alt@example.com", "deep@example.com"):
        assert not [v for v in texts if secret in v], secret
