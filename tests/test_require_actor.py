"""A table that must never be written anonymously: require_actor => true."""

import pytest

from helpers import log_rows, raises_sqlstate

WRITES = {
    "insert": "INSERT INTO payouts VALUES (3, 300)",
    "update": "UPDATE payouts SET amount = amount + 1",
    "delete": "DELETE FROM payouts WHERE id = 1",
    "truncate": "TRUNCATE payouts",
}


@pytest.fixture
def payouts(db):
    db.execute("CREATE TABLE payouts (id int PRIMARY KEY, amount int)")
    db.execute("INSERT INTO payouts VALUES (1, 100), (2, 200)")
    db.execute("SELECT audit.enable('payouts', require_actor => true)")
    return "payouts"


def test_require_actor_is_listed(db, payouts):
    assert db.execute("SELECT require_actor FROM audit.tables").fetchone()[0] is True


@pytest.mark.parametrize("kind", WRITES)
def test_anonymous_write_fails_and_changes_nothing(connect, db, payouts, kind):
    before_rows = db.execute("SELECT * FROM payouts ORDER BY id").fetchall()
    before_log = log_rows(db)
    conn = connect(autocommit=False)
    with raises_sqlstate("42501", "payouts"):
        conn.execute(WRITES[kind])
    conn.rollback()
    with raises_sqlstate("42501", "payouts"):
        db.execute(WRITES[kind])  # autocommit
    assert db.execute("SELECT * FROM payouts ORDER BY id").fetchall() == before_rows
    assert log_rows(db) == before_log


@pytest.mark.parametrize("setup, fields", [
    ("SELECT audit.set_actor('ops@x.io', 'system')", {"actor_email": "ops@x.io", "actor_type": "system"}),
    ("SET LOCAL app.actor_id = '17'", {"actor_id": "17", "actor_type": "user"}),
    ("SELECT audit.set_migration('m-payouts')", {"migration_name": "m-payouts", "actor_type": "migration"}),
], ids=["email", "id", "migration"])
def test_write_with_an_actor_or_migration_succeeds(connect, db, payouts, setup, fields):
    conn = connect(autocommit=False)
    expected = {"actor_email": None, "actor_type": None, "actor_id": None, "migration_name": None, **fields}
    for kind, stmt in WRITES.items():
        mark = len(log_rows(db))
        conn.execute(setup)
        conn.execute(stmt)
        conn.commit()
        entries = log_rows(db, fields=("action", "actor_email", "actor_type", "actor_id", "migration_name"))[mark:]
        assert entries, f"the {kind} was not logged"
        assert all({k: e[k] for k in expected} == expected for e in entries), entries
        assert {e["action"] for e in entries} == {kind.upper()}


def test_actor_type_alone_is_not_an_actor(connect, payouts):
    conn = connect(autocommit=False)
    conn.execute("SET LOCAL app.actor_type = 'system'")
    with raises_sqlstate("42501", "payouts"):
        conn.execute(WRITES["insert"])
    conn.rollback()


def test_actor_from_a_previous_transaction_does_not_count(connect, payouts):
    conn = connect(autocommit=False)
    conn.execute("SELECT audit.set_actor('ops@x.io')")
    conn.execute(WRITES["insert"])
    conn.commit()
    with raises_sqlstate("42501", "payouts"):
        conn.execute(WRITES["update"])
    conn.rollback()


def test_re_enabling_without_require_actor_lifts_it(db, payouts):
    db.execute("SELECT audit.enable('payouts')")
    db.execute(WRITES["insert"])
    assert log_rows(db, fields=("action", "actor_email"))[-1] == {"action": "INSERT", "actor_email": None}


def test_other_tables_are_not_affected(db, payouts):
    db.execute("CREATE TABLE notes (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('notes')")
    db.execute("INSERT INTO notes VALUES (1)")
    assert log_rows(db, "notes", fields=("action", "actor_email")) == [{"action": "INSERT", "actor_email": None}]


@pytest.mark.parametrize("statement", [
    "UPDATE payouts SET amount = 0 WHERE id = 99",
    "DELETE FROM payouts WHERE id = 99",
    "INSERT INTO payouts SELECT 9, 9 WHERE false",
    "INSERT INTO payouts VALUES (1, 100) ON CONFLICT (id) DO NOTHING",
])
def test_a_statement_that_touches_no_row_needs_no_actor(db, payouts, statement):
    before = log_rows(db)
    db.execute(statement)
    assert log_rows(db) == before


def test_truncating_an_empty_table_needs_no_actor(db, payouts):
    db.execute("ALTER TABLE payouts DISABLE TRIGGER audit_trail_delete")
    db.execute("DELETE FROM payouts")
    db.execute("ALTER TABLE payouts ENABLE TRIGGER audit_trail_delete")
    db.execute("TRUNCATE payouts")
    with raises_sqlstate("42501", "payouts"):
        db.execute("INSERT INTO payouts VALUES (5, 500)")
