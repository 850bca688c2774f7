"""A user deletes or re-keys a parent row and foreign keys cascade into an audited child table."""

import pytest

from helpers import log_rows, row


@pytest.fixture
def shop(db):
    db.execute("CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)")
    db.execute("""
        CREATE TABLE orders (
            id int PRIMARY KEY,
            customer_id int REFERENCES customers ON DELETE CASCADE ON UPDATE CASCADE,
            total int NOT NULL
        )""")
    db.execute("""
        CREATE TABLE notes (
            id int PRIMARY KEY,
            customer_id int REFERENCES customers ON DELETE SET NULL ON UPDATE CASCADE,
            body text NOT NULL
        )""")
    db.execute("INSERT INTO customers VALUES (1, 'ann'), (2, 'bob')")
    db.execute("INSERT INTO orders VALUES (10, 1, 100), (11, 1, 110), (20, 2, 200)")
    db.execute("INSERT INTO notes VALUES (1, 1, 'vip'), (2, 2, 'new')")
    for t in ("customers", "orders", "notes"):
        db.execute("SELECT audit.enable(%s, snapshot => false)", [t])


def entries_of(db, table):
    return sorted(log_rows(db, table), key=lambda e: e["record_id"])


def test_on_delete_cascade_logs_the_deleted_children(db, shop):
    db.execute("DELETE FROM customers WHERE id = 1")
    assert entries_of(db, "customers") == [
        row("DELETE", "1", old={"id": 1, "name": "ann"}, changed=["id", "name"])]
    assert entries_of(db, "orders") == [
        row("DELETE", "10", old={"id": 10, "customer_id": 1, "total": 100}, changed=["customer_id", "id", "total"]),
        row("DELETE", "11", old={"id": 11, "customer_id": 1, "total": 110}, changed=["customer_id", "id", "total"]),
    ]


def test_on_delete_set_null_logs_the_updated_children(db, shop):
    db.execute("DELETE FROM customers WHERE id = 2")
    assert entries_of(db, "notes") == [
        row("UPDATE", "2", old={"customer_id": 2}, new={"id": 2, "customer_id": None, "body": "new"},
            changed=["customer_id"])]


def test_on_update_cascade_logs_the_re_pointed_children(db, shop):
    db.execute("UPDATE customers SET id = 5 WHERE id = 1")
    assert entries_of(db, "customers") == [
        row("UPDATE", "5", old_record_id="1", old={"id": 1}, new={"id": 5, "name": "ann"}, changed=["id"])]
    assert entries_of(db, "orders") == [
        row("UPDATE", "10", old={"customer_id": 1}, new={"id": 10, "customer_id": 5, "total": 100},
            changed=["customer_id"]),
        row("UPDATE", "11", old={"customer_id": 1}, new={"id": 11, "customer_id": 5, "total": 110},
            changed=["customer_id"]),
    ]
    assert entries_of(db, "notes") == [
        row("UPDATE", "1", old={"customer_id": 1}, new={"id": 1, "customer_id": 5, "body": "vip"},
            changed=["customer_id"])]


def test_cascade_into_an_audited_child_of_an_unaudited_parent(db, shop):
    db.execute("SELECT audit.disable('customers')")
    db.execute("DELETE FROM customers WHERE id = 2")
    assert [(e["action"], e["record_id"]) for e in log_rows(db, "orders")] == [("DELETE", "20")]
    assert log_rows(db, "customers") == []


def test_cascaded_rows_share_the_transaction_of_the_parent_change(db, shop):
    db.execute("DELETE FROM customers")
    assert db.execute("SELECT count(*), count(DISTINCT transaction_id) FROM audit.logs").fetchone() == (7, 1)
    # customers 2 + orders 3 + notes 2 (set null on the remaining notes as well)
    assert db.execute("SELECT table_name, action, count(*) FROM audit.logs GROUP BY 1, 2 ORDER BY 1").fetchall() == [
        ("customers", "DELETE", 2), ("notes", "UPDATE", 2), ("orders", "DELETE", 3)]


def test_self_referencing_cascade(db):
    db.execute("CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree ON DELETE CASCADE)")
    db.execute("INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2), (4, NULL)")
    db.execute("SELECT audit.enable('tree', snapshot => false)")
    db.execute("DELETE FROM tree WHERE id = 1")
    assert sorted((e["action"], e["record_id"]) for e in log_rows(db)) == [
        ("DELETE", "1"), ("DELETE", "2"), ("DELETE", "3")]
