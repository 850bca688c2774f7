"""A user writes many rows at once: set-based INSERT/UPDATE/DELETE, upserts and MERGE."""

import pytest

from helpers import log_rows, row


@pytest.fixture
def items(db):
    db.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0)")
    db.execute("INSERT INTO items VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30)")
    db.execute("SELECT audit.enable('items', snapshot => false)")
    return "items"


def item(i, name, qty):
    return {"id": i, "name": name, "qty": qty}


def by_record(entries):
    return sorted(entries, key=lambda e: (e["action"], int(e["record_id"])))


def test_multirow_insert_logs_one_row_per_record(db, items):
    db.execute("INSERT INTO items VALUES (4, 'four', 40), (5, 'five', 50), (6, 'six', 60)")
    assert by_record(log_rows(db)) == [
        row("INSERT", str(i), new=item(i, n, q), changed=["id", "name", "qty"])
        for i, n, q in [(4, "four", 40), (5, "five", 50), (6, "six", 60)]]


def test_insert_select_of_many_rows(db, items):
    db.execute("INSERT INTO items SELECT g, 'n' || g, g FROM generate_series(100, 1099) g")
    entries = log_rows(db)
    assert len(entries) == 1000
    assert all(e["new_values"] == item(int(e["record_id"]), "n" + e["record_id"], int(e["record_id"]))
               for e in entries)
    assert sorted(int(e["record_id"]) for e in entries) == list(range(100, 1100))


def test_multirow_update_pairs_each_old_row_with_its_new_row(db, items):
    db.execute("UPDATE items SET qty = qty + id, name = upper(name)")
    assert by_record(log_rows(db)) == [
        row("UPDATE", str(i), old={"name": n, "qty": q}, new=item(i, n.upper(), q + i), changed=["name", "qty"])
        for i, n, q in [(1, "one", 10), (2, "two", 20), (3, "three", 30)]]


def test_multirow_update_logs_only_the_rows_that_changed(db, items):
    db.execute("UPDATE items SET qty = 20")
    assert by_record(log_rows(db)) == [
        row("UPDATE", "1", old={"qty": 10}, new=item(1, "one", 20), changed=["qty"]),
        row("UPDATE", "3", old={"qty": 30}, new=item(3, "three", 20), changed=["qty"]),
    ]


def test_update_from_a_join(db, items):
    db.execute("CREATE TABLE prices (item_id int, qty int)")
    db.execute("INSERT INTO prices VALUES (3, 33), (1, 11)")
    db.execute("UPDATE items i SET qty = p.qty FROM prices p WHERE p.item_id = i.id")
    assert by_record(log_rows(db)) == [
        row("UPDATE", "1", old={"qty": 10}, new=item(1, "one", 11), changed=["qty"]),
        row("UPDATE", "3", old={"qty": 30}, new=item(3, "three", 33), changed=["qty"]),
    ]


def test_multirow_delete(db, items):
    db.execute("DELETE FROM items WHERE id >= 2")
    assert by_record(log_rows(db)) == [
        row("DELETE", "2", old=item(2, "two", 20), changed=["id", "name", "qty"]),
        row("DELETE", "3", old=item(3, "three", 30), changed=["id", "name", "qty"]),
    ]


def test_large_update_pairs_rows_correctly(db):
    db.execute("CREATE TABLE big (id int PRIMARY KEY DEFERRABLE, label text NOT NULL, n int NOT NULL)")
    db.execute("INSERT INTO big SELECT g, 'L' || g, 0 FROM generate_series(1, 60000) g")
    db.execute("SELECT audit.enable('big', snapshot => false)")
    db.execute("UPDATE big SET n = id * 2, id = id + 1")
    bad = db.execute("""
        SELECT count(*) FILTER (WHERE action <> 'UPDATE'
                                 OR record_id <> ((old_record_id::int) + 1)::text
                                 OR new_values->>'label' <> 'L' || old_record_id
                                 OR (new_values->>'n')::int <> 2 * old_record_id::int
                                 OR old_values <> jsonb_build_object('id', old_record_id::int, 'n', 0)
                                 OR changed_fields <> '{id,n}'),
               count(*), count(DISTINCT old_record_id)
        FROM audit.logs""").fetchone()
    assert bad == (0, 60000, 60000)


# --- INSERT ... ON CONFLICT -----------------------------------------------------------------

def test_on_conflict_do_update_logs_inserts_and_updates_as_they_happened(db, items):
    db.execute("INSERT INTO items VALUES (2, 'two', 25), (4, 'four', 40), (3, 'three', 30), (5, 'five', 50)"
               " ON CONFLICT (id) DO UPDATE SET qty = excluded.qty, name = excluded.name")
    assert by_record(log_rows(db)) == [
        row("INSERT", "4", new=item(4, "four", 40), changed=["id", "name", "qty"]),
        row("INSERT", "5", new=item(5, "five", 50), changed=["id", "name", "qty"]),
        row("UPDATE", "2", old={"qty": 20}, new=item(2, "two", 25), changed=["qty"]),
    ]


def test_on_conflict_do_update_that_changes_nothing_writes_no_row(db, items):
    db.execute("INSERT INTO items VALUES (1, 'one', 10) ON CONFLICT (id) DO UPDATE SET qty = excluded.qty")
    assert log_rows(db) == []


def test_on_conflict_do_update_with_where_that_skips(db, items):
    db.execute("INSERT INTO items VALUES (1, 'one', 99), (2, 'two', 99) ON CONFLICT (id)"
               " DO UPDATE SET qty = excluded.qty WHERE items.id = 2")
    assert log_rows(db) == [row("UPDATE", "2", old={"qty": 20}, new=item(2, "two", 99), changed=["qty"])]


def test_on_conflict_do_nothing_logs_only_inserted_rows(db, items):
    db.execute("INSERT INTO items VALUES (1, 'uno', 1), (7, 'seven', 70) ON CONFLICT DO NOTHING")
    assert log_rows(db) == [row("INSERT", "7", new=item(7, "seven", 70), changed=["id", "name", "qty"])]


def test_on_conflict_do_nothing_when_everything_conflicts(db, items):
    db.execute("INSERT INTO items VALUES (1, 'uno', 1), (2, 'dos', 2) ON CONFLICT DO NOTHING")
    assert log_rows(db) == []


# --- MERGE ----------------------------------------------------------------------------------

@pytest.fixture
def needs_merge(pg):
    if pg.major < 15:
        pytest.skip("MERGE needs PostgreSQL 15")


def test_merge_logs_inserts_updates_and_deletes_as_they_happened(db, items, needs_merge):
    db.execute("CREATE TABLE incoming (id int, name text, qty int)")
    db.execute("INSERT INTO incoming VALUES (1, 'one', 0), (2, 'two', 22), (3, 'three', 30), (8, 'eight', 80)")
    db.execute("""
        MERGE INTO items t USING incoming s ON s.id = t.id
        WHEN MATCHED AND s.qty = 0 THEN DELETE
        WHEN MATCHED THEN UPDATE SET qty = s.qty, name = s.name
        WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.name, s.qty)""")
    assert by_record(log_rows(db)) == [
        row("DELETE", "1", old=item(1, "one", 10), changed=["id", "name", "qty"]),
        row("INSERT", "8", new=item(8, "eight", 80), changed=["id", "name", "qty"]),
        # Row 3 was "updated" to the same values: nothing changed, nothing logged.
        row("UPDATE", "2", old={"qty": 20}, new=item(2, "two", 22), changed=["qty"]),
    ]


def test_merge_do_nothing_logs_nothing(db, items, needs_merge):
    db.execute("MERGE INTO items t USING (VALUES (1), (9)) s(id) ON s.id = t.id"
               " WHEN MATCHED THEN DO NOTHING WHEN NOT MATCHED THEN DO NOTHING")
    assert log_rows(db) == []
