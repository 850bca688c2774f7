"""A user reads past rows as the table's own row type: audit.row_at and audit.rows_at.

The row type is the table's as it is now: columns added since are NULL in older rows, columns
dropped since are ignored, and redacted columns are NULL (their values were never stored).
"""

import pytest

from helpers_time import moment, write


@pytest.fixture
def orders(db):
    db.execute("""
        CREATE TABLE orders (
            id int PRIMARY KEY,
            customer text NOT NULL,
            total numeric(10, 2),
            placed_at timestamptz,
            due date,
            lines jsonb,
            tags text[],
            paid boolean,
            ref uuid
        )""")
    db.execute("SELECT audit.enable('orders')")
    return "orders"


def fetch_rows(conn, ts, table="orders"):
    return conn.execute(f"SELECT * FROM audit.rows_at(NULL::{table}, %s) ORDER BY 1", [ts]).fetchall()


def fetch_row(conn, key, ts, table="orders"):
    """(audit.row_at(...)).*, or None when row_at returns NULL."""
    is_null, = conn.execute(f"SELECT audit.row_at(NULL::{table}, %s, %s) IS NULL", [key, ts]).fetchone()
    if is_null:
        return None
    return conn.execute(f"SELECT (audit.row_at(NULL::{table}, %s, %s)).*", [key, ts]).fetchone()


def test_row_at_returns_the_row_as_it_was(db, orders):
    db.execute("""INSERT INTO orders VALUES
        (1, 'ann', 10.50, '2024-01-02 03:04:05.678901+02', '2024-02-01', '[{"sku": "a", "qty": 2}]', '{x,"y z"}',
         false, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
        (2, 'bob', NULL, NULL, NULL, NULL, NULL, NULL, NULL)""")
    seen = [(moment(db), db.execute("SELECT * FROM orders ORDER BY id").fetchall())]
    db.execute("UPDATE orders SET paid = true, total = 11.00, tags = '{}' WHERE id = 1")
    db.execute("UPDATE orders SET lines = '{\"note\": \"\\u00e9\"}', due = '2025-12-31' WHERE id = 2")
    seen.append((moment(db), db.execute("SELECT * FROM orders ORDER BY id").fetchall()))
    db.execute("DELETE FROM orders WHERE id = 1")
    seen.append((moment(db), db.execute("SELECT * FROM orders ORDER BY id").fetchall()))
    for ts, expected in seen:
        assert fetch_rows(db, ts) == expected
        by_id = {r[0]: r for r in expected}
        for key in (1, 2, 3):
            assert fetch_row(db, key, ts) == by_id.get(key), (key, ts)


def test_row_at_compares_equal_to_the_row_itself(db, orders):
    db.execute("INSERT INTO orders (id, customer, total, tags) VALUES (1, 'ann', 3.10, '{a}')")
    ts = moment(db)
    assert db.execute("SELECT audit.row_at(NULL::orders, 1, %s) = o FROM orders o WHERE id = 1", [ts]).fetchone() == (
        True,)
    assert db.execute("SELECT (audit.row_at(NULL::orders, 1, %s)).total::text", [ts]).fetchone() == ("3.10",)


def test_row_at_of_a_missing_record_is_null(db, orders):
    t0 = moment(db)
    db.execute("INSERT INTO orders (id, customer) VALUES (1, 'ann')")
    assert db.execute("SELECT audit.row_at(NULL::orders, 1, %s) IS NULL", [t0]).fetchone() == (True,)
    assert db.execute("SELECT audit.row_at(NULL::orders, 2, clock_timestamp()) IS NULL").fetchone() == (True,)
    assert fetch_rows(db, t0) == []


def test_columns_added_since_are_null_in_older_rows(db, orders):
    db.execute("INSERT INTO orders (id, customer) VALUES (1, 'ann'), (2, 'bob')")
    t1 = moment(db)
    db.execute("ALTER TABLE orders ADD COLUMN channel text NOT NULL DEFAULT 'web'")
    db.execute("ALTER TABLE orders ADD COLUMN priority int")
    db.execute("UPDATE orders SET priority = 5 WHERE id = 2")
    t2 = moment(db)
    old = db.execute("SELECT id, customer, channel, priority FROM audit.rows_at(NULL::orders, %s) ORDER BY id",
                     [t1]).fetchall()
    assert old == [(1, "ann", None, None), (2, "bob", None, None)]
    assert db.execute("SELECT (audit.row_at(NULL::orders, 1, %s)).channel", [t1]).fetchone() == (None,)
    # Rows changed after the column came have it; rows not changed since are as last logged.
    new = db.execute("SELECT id, channel, priority FROM audit.rows_at(NULL::orders, %s) ORDER BY id", [t2]).fetchall()
    assert new == [(1, None, None), (2, "web", 5)]


def test_columns_dropped_since_are_ignored(db, orders):
    db.execute("INSERT INTO orders (id, customer, total, tags) VALUES (1, 'ann', 5, '{a}')")
    db.execute("UPDATE orders SET tags = '{b}'")
    t1 = moment(db)
    db.execute("ALTER TABLE orders DROP COLUMN tags, DROP COLUMN lines")
    db.execute("UPDATE orders SET total = 6")
    t2 = moment(db)
    assert db.execute("SELECT id, customer, total FROM audit.rows_at(NULL::orders, %s)", [t1]).fetchall() == [
        (1, "ann", 5)]
    assert db.execute("SELECT (audit.row_at(NULL::orders, 1, %s)).total", [t2]).fetchone() == (6,)
    cols = [c.name for c in db.execute("SELECT * FROM audit.rows_at(NULL::orders, %s)", [t1]).description]
    assert cols == [c.name for c in db.execute("SELECT * FROM orders").description]
    assert "tags" not in cols


def test_a_column_dropped_and_added_again_with_another_type(db, orders):
    db.execute("INSERT INTO orders (id, customer, due) VALUES (1, 'ann', '2024-01-01')")
    t1 = moment(db)
    db.execute("ALTER TABLE orders DROP COLUMN due")
    db.execute("ALTER TABLE orders ADD COLUMN due int")
    db.execute("INSERT INTO orders (id, customer, due) VALUES (2, 'bob', 7)")
    t2 = moment(db)
    # The old value does not fit the new type: the typed read of that old row must not break.
    assert db.execute("SELECT id, due FROM audit.rows_at(NULL::orders, %s) ORDER BY id", [t2]).fetchall() == [
        (1, None), (2, 7)]
    assert db.execute("SELECT (audit.row_at(NULL::orders, 1, %s)).customer", [t1]).fetchone() == ("ann",)


def test_redacted_columns_are_null_in_typed_rows(db):
    db.execute("CREATE TABLE accounts (id int PRIMARY KEY, email text, password_hash text, pin int, recovery uuid)")
    db.execute("SELECT audit.enable('accounts', redact_columns => '{password_hash,pin,recovery}')")
    db.execute("INSERT INTO accounts VALUES (1, 'a@x.io', 'secret', 1234, gen_random_uuid()),"
               " (2, 'b@x.io', NULL, NULL, NULL)")
    db.execute("UPDATE accounts SET pin = 4321, email = 'a2@x.io' WHERE id = 1")
    ts = moment(db)
    assert db.execute("SELECT * FROM audit.rows_at(NULL::accounts, %s) ORDER BY id", [ts]).fetchall() == [
        (1, "a2@x.io", None, None, None), (2, "b@x.io", None, None, None)]
    assert db.execute("SELECT (audit.row_at(NULL::accounts, 1, %s)).*", [ts]).fetchone() == (
        1, "a2@x.io", None, None, None)
    # The jsonb state says that a value was there, without it.
    assert db.execute("SELECT state->>'pin' FROM audit.state_at('accounts', 1, %s)", [ts]).fetchone() == ("[redacted]",)


def test_typed_rows_of_a_table_with_quoted_names(db):
    db.execute('CREATE SCHEMA "Sales Dept"')
    db.execute('CREATE TABLE "Sales Dept"."User Table" ("Id" int PRIMARY KEY, "order" text, "größe" int)')
    db.execute("""SELECT audit.enable('"Sales Dept"."User Table"')""")
    db.execute('INSERT INTO "Sales Dept"."User Table" VALUES (1, \'first\', 40)')
    db.execute('UPDATE "Sales Dept"."User Table" SET "größe" = 41')
    ts = moment(db)
    assert db.execute('SELECT * FROM audit.rows_at(NULL::"Sales Dept"."User Table", %s)', [ts]).fetchall() == [
        (1, "first", 41)]
    assert db.execute('SELECT (audit.row_at(NULL::"Sales Dept"."User Table", 1, %s))."order"', [ts]).fetchone() == (
        "first",)
    assert db.execute("""SELECT state FROM audit.state_at('"Sales Dept"."User Table"', 1, %s)""", [ts]).fetchone() == (
        {"Id": 1, "order": "first", "größe": 41},)


def test_typed_rows_of_a_table_with_a_generated_column(db):
    db.execute("CREATE TABLE boxes (id int PRIMARY KEY, w int, h int, area int GENERATED ALWAYS AS (w * h) STORED)")
    db.execute("SELECT audit.enable('boxes')")
    db.execute("INSERT INTO boxes (id, w, h) VALUES (1, 2, 3)")
    t1 = moment(db)
    db.execute("UPDATE boxes SET w = 5")
    t2 = moment(db)
    assert db.execute("SELECT * FROM audit.rows_at(NULL::boxes, %s)", [t1]).fetchall() == [(1, 2, 3, 6)]
    assert db.execute("SELECT (audit.row_at(NULL::boxes, 1, %s)).*", [t2]).fetchone() == (1, 5, 3, 15)


def test_typed_rows_of_a_partitioned_table(db):
    db.execute("CREATE TABLE events (id int, region text, note text, PRIMARY KEY (id, region))"
               " PARTITION BY LIST (region)")
    db.execute("CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu')")
    db.execute("CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')")
    db.execute("SELECT audit.enable('events')")
    db.execute("INSERT INTO events VALUES (1, 'eu', 'a'), (2, 'us', 'b')")
    t1 = moment(db)
    write(db, "UPDATE events SET region = 'us' WHERE id = 1", "DELETE FROM events WHERE id = 2")
    t2 = moment(db)
    assert db.execute("SELECT * FROM audit.rows_at(NULL::events, %s) ORDER BY id", [t1]).fetchall() == [
        (1, "eu", "a"), (2, "us", "b")]
    assert db.execute("SELECT * FROM audit.rows_at(NULL::events, %s) ORDER BY id", [t2]).fetchall() == [
        (1, "us", "a")]
    assert db.execute("SELECT (audit.row_at(NULL::events, '{\"id\": 1, \"region\": \"us\"}'::jsonb, %s)).note",
                      [t2]).fetchone() == ("a",)
    assert db.execute("SELECT audit.row_at(NULL::events, '{\"id\": 1, \"region\": \"eu\"}'::jsonb, %s) IS NULL",
                      [t2]).fetchone() == (True,)
