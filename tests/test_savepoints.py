"""A user's transaction rolls back, wholly or to a savepoint: rolled-back work leaves no log row."""

import psycopg
import pytest

from helpers import log_rows


@pytest.fixture
def notes(db):
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("SELECT audit.enable('notes')")
    return "notes"


@pytest.fixture
def tx(connect):
    conn = connect(autocommit=False)
    yield conn
    conn.rollback()


def summary(conn):
    return [(e["action"], e["record_id"]) for e in log_rows(conn)]


def test_rolled_back_transaction_leaves_no_log_row(tx, db, notes):
    tx.execute("INSERT INTO notes VALUES (1, 'a')")
    tx.execute("UPDATE notes SET body = 'b'")
    tx.execute("DELETE FROM notes")
    assert len(log_rows(tx)) == 3  # visible inside the transaction
    tx.rollback()
    assert log_rows(db) == []


def test_rollback_to_savepoint_removes_only_the_rolled_back_part(tx, db, notes):
    tx.execute("INSERT INTO notes VALUES (1, 'kept')")
    tx.execute("SAVEPOINT s1")
    tx.execute("INSERT INTO notes VALUES (2, 'lost')")
    tx.execute("UPDATE notes SET body = 'lost too' WHERE id = 1")
    tx.execute("ROLLBACK TO SAVEPOINT s1")
    tx.execute("INSERT INTO notes VALUES (3, 'kept')")
    tx.commit()
    assert summary(db) == [("INSERT", "1"), ("INSERT", "3")]
    assert [e["new_values"]["body"] for e in log_rows(db)] == ["kept", "kept"]


def test_released_savepoint_keeps_its_rows(tx, db, notes):
    tx.execute("SAVEPOINT s1")
    tx.execute("INSERT INTO notes VALUES (1, 'a')")
    tx.execute("RELEASE SAVEPOINT s1")
    tx.commit()
    assert summary(db) == [("INSERT", "1")]


def test_nested_savepoints(tx, db, notes):
    tx.execute("INSERT INTO notes VALUES (1, 'a')")
    tx.execute("SAVEPOINT outer_sp")
    tx.execute("INSERT INTO notes VALUES (2, 'b')")
    tx.execute("SAVEPOINT inner_sp")
    tx.execute("DELETE FROM notes WHERE id = 1")
    tx.execute("ROLLBACK TO SAVEPOINT inner_sp")
    tx.execute("UPDATE notes SET body = 'bb' WHERE id = 2")
    tx.execute("RELEASE SAVEPOINT outer_sp")
    tx.commit()
    assert summary(db) == [("INSERT", "1"), ("INSERT", "2"), ("UPDATE", "2")]


def test_failed_statement_in_a_savepoint_leaves_no_row(tx, db, notes):
    tx.execute("INSERT INTO notes VALUES (1, 'a')")
    tx.execute("SAVEPOINT s1")
    with pytest.raises(psycopg.errors.UniqueViolation):
        tx.execute("INSERT INTO notes VALUES (2, 'b'), (1, 'dup')")
    tx.execute("ROLLBACK TO SAVEPOINT s1")
    tx.commit()
    assert summary(db) == [("INSERT", "1")]


def test_psycopg_nested_transaction_blocks(db, connect, notes):
    conn = connect(autocommit=True)
    with conn.transaction():
        conn.execute("INSERT INTO notes VALUES (1, 'a')")
        with pytest.raises(RuntimeError), conn.transaction():
            conn.execute("INSERT INTO notes VALUES (2, 'b')")
            raise RuntimeError("abandon the inner block")
        conn.execute("INSERT INTO notes VALUES (3, 'c')")
    assert summary(db) == [("INSERT", "1"), ("INSERT", "3")]


def test_rows_after_a_savepoint_share_the_transaction_id(tx, db, notes):
    tx.execute("INSERT INTO notes VALUES (1, 'a')")
    tx.execute("SAVEPOINT s1")
    tx.execute("INSERT INTO notes VALUES (2, 'b')")
    tx.execute("RELEASE SAVEPOINT s1")
    top = tx.execute("SELECT pg_current_xact_id()").fetchone()[0]
    tx.commit()
    ids = [r[0] for r in db.execute("SELECT transaction_id FROM audit.logs ORDER BY id").fetchall()]
    assert ids == [top, top]


def test_enable_rolled_back_leaves_no_snapshot_and_no_config(tx, db):
    db.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    tx.execute("SELECT audit.enable('t')")
    tx.rollback()
    assert log_rows(db) == []
    assert db.execute("SELECT count(*) FROM audit.tables").fetchone()[0] == 0
    db.execute("INSERT INTO t VALUES (2)")
    assert log_rows(db) == []
