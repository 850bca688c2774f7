"""A user changes the key of records: one at a time, shifted all at once, or swapped."""

import pytest

from helpers import log_rows, row

NAMES = {1: "ann", 2: "bob", 3: "cy", 4: "dee", 5: "eve"}


@pytest.fixture
def people(db):
    # DEFERRABLE: a set-based shift (id = id + 1) must not trip over its own intermediate states.
    db.execute("CREATE TABLE people (id int PRIMARY KEY DEFERRABLE, name text NOT NULL, age int)")
    db.execute("INSERT INTO people SELECT i, n, 20 + i FROM (VALUES " +
               ", ".join(f"({i}, '{n}')" for i, n in NAMES.items()) + ") v(i, n)")
    db.execute("SELECT audit.enable('people', snapshot => false)")
    return "people"


def test_update_of_the_key_sets_old_record_id(db, people):
    db.execute("UPDATE people SET id = 10 WHERE id = 1")
    assert log_rows(db) == [row("UPDATE", "10", old_record_id="1", old={"id": 1},
                                new={"id": 10, "name": "ann", "age": 21}, changed=["id"])]


def test_update_of_key_and_other_columns(db, people):
    db.execute("UPDATE people SET id = 10, age = 99 WHERE id = 1")
    assert log_rows(db) == [row("UPDATE", "10", old_record_id="1", old={"age": 21, "id": 1},
                                new={"id": 10, "name": "ann", "age": 99}, changed=["age", "id"])]


def test_update_without_key_change_leaves_old_record_id_null(db, people):
    db.execute("UPDATE people SET age = 50 WHERE id = 2")
    db.execute("UPDATE people SET id = id WHERE id = 3")  # same key, same row: nothing at all
    assert log_rows(db) == [row("UPDATE", "2", old={"age": 22}, new={"id": 2, "name": "bob", "age": 50},
                                changed=["age"])]


@pytest.mark.parametrize("shift", [1, -1, 2])
def test_shifting_every_key_pairs_each_record_with_its_new_key(db, people, shift):
    db.execute(f"UPDATE people SET id = id + {shift}")
    entries = log_rows(db)
    assert len(entries) == 5
    by_old = {int(e["old_record_id"]): e for e in entries}
    assert sorted(by_old) == [1, 2, 3, 4, 5]
    for old_id, e in by_old.items():
        new_id = old_id + shift
        assert e == row("UPDATE", str(new_id), old_record_id=str(old_id), old={"id": old_id},
                        new={"id": new_id, "name": NAMES[old_id], "age": 20 + old_id}, changed=["id"])


def test_shifting_keys_in_descending_physical_order(db):
    # Without DEFERRABLE the shift succeeds when rows are visited from the highest key down.
    db.execute("CREATE TABLE t (id int PRIMARY KEY, name text)")
    db.execute("INSERT INTO t VALUES (3, 'c'), (2, 'b'), (1, 'a')")
    db.execute("SELECT audit.enable('t', snapshot => false)")
    db.execute("UPDATE t SET id = id + 1")
    got = sorted((e["old_record_id"], e["record_id"], e["new_values"]["name"]) for e in log_rows(db))
    assert got == [("1", "2", "a"), ("2", "3", "b"), ("3", "4", "c")]


def test_swapping_two_keys(db, people):
    db.execute("UPDATE people SET id = 3 - id WHERE id IN (1, 2)")
    assert sorted(log_rows(db), key=lambda e: e["old_record_id"]) == [
        row("UPDATE", "2", old_record_id="1", old={"id": 1}, new={"id": 2, "name": "ann", "age": 21},
            changed=["id"]),
        row("UPDATE", "1", old_record_id="2", old={"id": 2}, new={"id": 1, "name": "bob", "age": 22},
            changed=["id"]),
    ]


def test_rotating_keys_with_other_changes(db, people):
    # 1 -> 2 -> 3 -> 1, and every age changes differently: each pairing is visible twice.
    db.execute("UPDATE people SET id = CASE id WHEN 3 THEN 1 ELSE id + 1 END, age = age * 10 WHERE id <= 3")
    got = sorted((e["old_record_id"], e["record_id"], e["new_values"]["name"], e["new_values"]["age"],
                  e["old_values"]) for e in log_rows(db))
    assert got == [
        ("1", "2", "ann", 210, {"id": 1, "age": 21}),
        ("2", "3", "bob", 220, {"id": 2, "age": 22}),
        ("3", "1", "cy", 230, {"id": 3, "age": 23}),
    ]


def test_key_change_then_reuse_of_the_old_key(db, people):
    db.execute("UPDATE people SET id = 100 WHERE id = 1")
    db.execute("INSERT INTO people VALUES (1, 'newcomer', 1)")
    assert [(e["action"], e["record_id"], e["old_record_id"]) for e in log_rows(db)] == [
        ("UPDATE", "100", "1"), ("INSERT", "1", None)]


def test_composite_key_change(db):
    db.execute("CREATE TABLE seats (row_no int, seat text, holder text, PRIMARY KEY (row_no, seat))")
    db.execute("INSERT INTO seats VALUES (1, 'A', 'ann'), (1, 'B', 'bob')")
    db.execute("SELECT audit.enable('seats', snapshot => false)")
    db.execute("UPDATE seats SET row_no = 2 WHERE seat = 'A'")
    assert log_rows(db) == [row("UPDATE", '{"seat": "A", "row_no": 2}', old_record_id='{"seat": "A", "row_no": 1}',
                                old={"row_no": 1}, new={"row_no": 2, "seat": "A", "holder": "ann"},
                                changed=["row_no"])]


def test_key_columns_option_key_change(db):
    db.execute("CREATE TABLE handles (handle text NOT NULL UNIQUE, bio text)")
    db.execute("INSERT INTO handles VALUES ('ann', 'x'), ('bob', 'y')")
    db.execute("SELECT audit.enable('handles', key_columns => '{handle}', snapshot => false)")
    db.execute("UPDATE handles SET handle = handle || '2'")
    got = sorted((e["old_record_id"], e["record_id"], e["new_values"]["bio"]) for e in log_rows(db))
    assert got == [("ann", "ann2", "x"), ("bob", "bob2", "y")]


def test_numeric_key_rescaled_is_no_key_change(db):
    db.execute("CREATE TABLE prices (amount numeric PRIMARY KEY, label text)")
    db.execute("INSERT INTO prices VALUES (1.5, 'x')")
    db.execute("SELECT audit.enable('prices', snapshot => false)")
    db.execute("UPDATE prices SET amount = 1.50")
    # The key's canonical text is unchanged (1.5), though the value's text changed.
    assert log_rows(db) == [row("UPDATE", "1.5", old={"amount": 1.5}, new={"amount": 1.50, "label": "x"},
                                changed=["amount"])]
