"""A user reads a record, or a whole table, as it was at a past moment.

Moments are the server's clock taken between transactions (see helpers_time.moment): a change
captured before the moment is visible at it, a later change is not.
"""

from datetime import timedelta

import pytest

from helpers_time import (expect_sqlstate, history, log_of, moment, row_of, rows, state, state_at, table_at,
                          versions, write)

US = timedelta(microseconds=1)


@pytest.fixture
def items(db):
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text, qty int, price numeric, tags text[])")
    db.execute("SELECT audit.enable('items')")
    return "items"


def item(db, key):
    return row_of(db, "items", "id = %s", [key])


# --------------------------------------------------------------------------------------------
# One record's life
# --------------------------------------------------------------------------------------------

def test_no_state_before_the_record_was_inserted(db, items):
    t0 = moment(db)
    db.execute("INSERT INTO items VALUES (1, 'pen', 3, 1.50, '{office}')")
    t1 = moment(db)
    assert state_at(db, items, 1, t0) is None
    assert state(db, items, 1, t1) == item(db, 1) == {
        "id": 1, "name": "pen", "qty": 3, "price": 1.50, "tags": ["office"]}


def test_state_between_updates_is_exact(db, items):
    db.execute("INSERT INTO items VALUES (1, 'pen', 3, 1.50, '{office}')")
    seen = [(moment(db), item(db, 1))]
    for stmt in ("UPDATE items SET name = 'blue pen'",
                 "UPDATE items SET qty = qty - 1, price = 1.75",
                 "UPDATE items SET tags = NULL",
                 "UPDATE items SET name = 'pen', tags = '{office,school}'"):
        db.execute(stmt)
        seen.append((moment(db), item(db, 1)))
    assert len({repr(s) for _, s in seen}) == len(seen)  # every moment has its own state
    for ts, expected in seen:
        assert state(db, items, 1, ts) == expected, ts


def test_state_changes_exactly_at_the_capture_time(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    db.execute("UPDATE items SET name = 'b'")
    db.execute("UPDATE items SET name = 'c'")
    log = log_of(db, "items")
    assert [e["action"] for e in log] == ["INSERT", "UPDATE", "UPDATE"]
    names = ["a", "b", "c"]
    for entry, name in zip(log, names):
        found = state_at(db, items, 1, entry["created_at"])
        assert found["state"]["name"] == name
        assert (found["valid_from"], found["log_id"], found["action"], found["record_id"]) == (
            entry["created_at"], entry["id"], entry["action"], "1")
    assert state_at(db, items, 1, log[0]["created_at"] - US) is None
    assert state(db, items, 1, log[1]["created_at"] - US)["name"] == "a"
    assert state(db, items, 1, log[2]["created_at"] - US)["name"] == "b"


def test_no_state_after_the_record_was_deleted(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
    t1 = moment(db)
    db.execute("DELETE FROM items WHERE id = 1")
    t2 = moment(db)
    db.execute("UPDATE items SET name = 'bb' WHERE id = 2")  # life goes on around it
    t3 = moment(db)
    assert state(db, items, 1, t1)["name"] == "a"
    assert state_at(db, items, 1, t2) is None
    assert state_at(db, items, 1, t3) is None
    assert state(db, items, 2, t3)["name"] == "bb"


def test_a_reinserted_key_reads_as_the_new_record(db, items):
    db.execute("INSERT INTO items (id, name, qty) VALUES (1, 'first', 1)")
    t1 = moment(db)
    db.execute("DELETE FROM items WHERE id = 1")
    t2 = moment(db)
    db.execute("INSERT INTO items (id, name) VALUES (1, 'second')")
    t3 = moment(db)
    assert state(db, items, 1, t1) == {"id": 1, "name": "first", "qty": 1, "price": None, "tags": None}
    assert state_at(db, items, 1, t2) is None
    found = state_at(db, items, 1, t3)
    assert found["state"] == {"id": 1, "name": "second", "qty": None, "price": None, "tags": None}
    assert found["action"] == "INSERT"


def test_rows_that_existed_before_enabling_are_exact_from_the_snapshot(db):
    db.execute("CREATE TABLE legacy (id int PRIMARY KEY, v text)")
    db.execute("INSERT INTO legacy VALUES (1, 'one'), (2, 'two'), (3, NULL)")
    db.execute("SELECT audit.enable('legacy')")
    t1 = moment(db)
    before = rows(db, "legacy")
    db.execute("UPDATE legacy SET v = 'uno' WHERE id = 1")
    db.execute("DELETE FROM legacy WHERE id = 2")
    t2 = moment(db)
    for r in before:
        found = state_at(db, "legacy", r["id"], t1)
        assert found["state"] == r
        assert found["action"] == "SNAPSHOT"
    assert table_at(db, "legacy", t1) == {str(r["id"]): r for r in before}
    assert table_at(db, "legacy", t2) == {str(r["id"]): r for r in rows(db, "legacy")}
    assert state_at(db, "legacy", 2, t2) is None
    assert state(db, "legacy", 3, t2) == {"id": 3, "v": None}


def test_without_a_snapshot_a_row_is_exact_from_its_first_change(db):
    db.execute("CREATE TABLE legacy (id int PRIMARY KEY, v text, w int)")
    db.execute("INSERT INTO legacy VALUES (1, 'one', 10)")
    db.execute("SELECT audit.enable('legacy', snapshot => false)")
    db.execute("UPDATE legacy SET v = 'uno'")
    t = moment(db)
    assert state(db, "legacy", 1, t) == {"id": 1, "v": "uno", "w": 10}


def test_several_changes_in_one_transaction_read_as_the_last(db, items):
    db.execute("INSERT INTO items (id, name, qty) VALUES (2, 'x', 0)")
    with db.transaction():
        db.execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)")
        for n in range(2, 7):
            db.execute("UPDATE items SET qty = %s, name = %s WHERE id = 1", [n, f"v{n}"])
        db.execute("UPDATE items SET qty = qty + 1 WHERE id = 2")
        db.execute("DELETE FROM items WHERE id = 2")
        db.execute("INSERT INTO items (id, name, qty) VALUES (2, 'y', 9)")
        db.execute("UPDATE items SET qty = 10 WHERE id = 2")
    t = moment(db)
    assert state(db, items, 1, t) == item(db, 1) == {"id": 1, "name": "v6", "qty": 6, "price": None, "tags": None}
    assert state(db, items, 2, t) == item(db, 2) == {"id": 2, "name": "y", "qty": 10, "price": None, "tags": None}
    # Every intermediate version is in the history, in the order it happened.
    assert [(a, s["qty"]) for a, s in versions(db, items, 1)] == [("INSERT", 1)] + [("UPDATE", n) for n in range(2, 7)]


def test_a_record_inserted_and_deleted_in_one_transaction_never_exists_between_transactions(db, items):
    t0 = moment(db)
    with db.transaction():
        db.execute("INSERT INTO items (id, name) VALUES (1, 'ghost')")
        db.execute("UPDATE items SET name = 'ghost 2'")
        db.execute("DELETE FROM items WHERE id = 1")
    t1 = moment(db)
    assert state_at(db, items, 1, t0) is None
    assert state_at(db, items, 1, t1) is None
    assert table_at(db, items, t1) == {}


def test_rolled_back_work_never_appears(db, items):
    db.execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2)")
    committed = rows(db, items)
    db.execute("BEGIN")
    db.execute("UPDATE items SET name = 'rolled back' WHERE id = 1")
    db.execute("INSERT INTO items (id, name) VALUES (3, 'rolled back')")
    db.execute("DELETE FROM items WHERE id = 2")
    db.execute("UPDATE items SET id = 20 WHERE id = 1")
    db.execute("ROLLBACK")
    t1 = moment(db)
    with db.transaction():
        db.execute("UPDATE items SET qty = 10 WHERE id = 1")
        db.execute("SAVEPOINT s")
        db.execute("UPDATE items SET qty = 99 WHERE id = 1")
        db.execute("INSERT INTO items (id, name) VALUES (4, 'rolled back')")
        db.execute("DELETE FROM items WHERE id = 2")
        db.execute("ROLLBACK TO SAVEPOINT s")
        db.execute("UPDATE items SET qty = 11 WHERE id = 1")
    t2 = moment(db)
    assert table_at(db, items, t1) == {str(r["id"]): r for r in committed}
    assert table_at(db, items, t2) == {str(r["id"]): r for r in rows(db, items)}
    for key in (3, 4, 20):
        assert state_at(db, items, key, t2) is None
        assert history(db, items, key) == []
    assert state(db, items, 2, t2) == {"id": 2, "name": "b", "qty": 2, "price": None, "tags": None}
    assert [(a, s["qty"]) for a, s in versions(db, items, 1)] == [("INSERT", 1), ("UPDATE", 10), ("UPDATE", 11)]
    assert [(a, s["name"]) for a, s in versions(db, items, 2)] == [("INSERT", "b")]


def test_state_at_says_who_made_the_version(db, items):
    with db.transaction():
        db.execute("SELECT audit.set_actor('ann@example.com', 'moderator', '42')")
        db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    t1 = moment(db)
    with db.transaction():
        db.execute("SELECT audit.set_migration('20240101_rename')")
        db.execute("UPDATE items SET name = 'b'")
    t2 = moment(db)
    first, second = state_at(db, items, 1, t1), state_at(db, items, 1, t2)
    assert (first["actor_email"], first["actor_type"], first["migration_name"]) == (
        "ann@example.com", "moderator", None)
    assert (second["actor_email"], second["actor_type"], second["migration_name"]) == (
        None, "migration", "20240101_rename")
    hist = history(db, items, 1)
    assert [(h["actor_email"], h["actor_type"], h["actor_id"], h["migration_name"]) for h in hist] == [
        ("ann@example.com", "moderator", "42", None), (None, "migration", None, "20240101_rename")]


# --------------------------------------------------------------------------------------------
# History of one record (key changes: see test_history_key_changes.py)
# --------------------------------------------------------------------------------------------

def test_history_lists_every_version_with_its_validity(db, items):
    db.execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)")
    with db.transaction():
        db.execute("UPDATE items SET name = 'b'")
        db.execute("UPDATE items SET qty = 2, price = 9.90")
    db.execute("UPDATE items SET qty = qty")  # changes nothing: no version
    db.execute("UPDATE items SET tags = '{t}'")
    hist = history(db, items, 1)
    log = log_of(db, "items", ("id", "action", "created_at", "new_values", "changed_fields", "transaction_id"))
    assert [h["log_id"] for h in hist] == [e["id"] for e in log]
    assert [h["action"] for h in hist] == ["INSERT", "UPDATE", "UPDATE", "UPDATE"]
    assert [h["state"] for h in hist] == [e["new_values"] for e in log]
    assert hist[-1]["state"] == item(db, 1)
    assert [h["changed_fields"] for h in hist] == [["id", "name", "qty"], ["name"], ["price", "qty"], ["tags"]]
    assert [h["valid_from"] for h in hist] == [e["created_at"] for e in log]
    assert [h["valid_to"] for h in hist] == [e["created_at"] for e in log[1:]] + [None]
    assert all(h["valid_from"] < h["valid_to"] for h in hist[:-1])
    # The two updates of one transaction share its id; the others have their own.
    xids = [h["transaction_id"] for h in hist]
    assert xids[1] == xids[2] and len({xids[0], xids[1], xids[3]}) == 3
    # Each version is what state_at says at its valid_from.
    for h in hist:
        assert state(db, items, 1, h["valid_from"]) == h["state"]


def test_history_of_a_deleted_record_ends_with_its_delete(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    db.execute("UPDATE items SET name = 'b'")
    db.execute("DELETE FROM items")
    hist = history(db, items, 1)
    assert [(h["action"], h["state"]) for h in hist] == [
        ("INSERT", {"id": 1, "name": "a", "qty": None, "price": None, "tags": None}),
        ("UPDATE", {"id": 1, "name": "b", "qty": None, "price": None, "tags": None}),
        ("DELETE", None)]
    assert hist[1]["valid_to"] == hist[2]["valid_from"]
    assert hist[2]["valid_to"] is None


def test_history_of_a_truncated_record_ends_with_the_truncate(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
    db.execute("TRUNCATE items")
    assert [(a, s and s["name"]) for a, s in versions(db, items, 1)] == [("INSERT", "a"), ("TRUNCATE", None)]
    assert [(a, s and s["name"]) for a, s in versions(db, items, 2)] == [("INSERT", "b"), ("TRUNCATE", None)]


def test_history_of_a_key_that_never_existed_is_empty(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    assert history(db, items, 2) == []


def test_history_starts_at_the_snapshot_for_rows_older_than_auditing(db):
    db.execute("CREATE TABLE legacy (id int PRIMARY KEY, v text)")
    db.execute("INSERT INTO legacy VALUES (1, 'one')")
    db.execute("SELECT audit.enable('legacy')")
    db.execute("UPDATE legacy SET v = 'uno'")
    assert versions(db, "legacy", 1) == [("SNAPSHOT", {"id": 1, "v": "one"}), ("UPDATE", {"id": 1, "v": "uno"})]


# --------------------------------------------------------------------------------------------
# A whole table at a moment
# --------------------------------------------------------------------------------------------

def test_table_at_is_the_table_as_it_was_after_every_transaction(db, items):
    steps = [
        ["INSERT INTO items (id, name, qty) SELECT g, 'n' || g, g FROM generate_series(1, 6) g"],
        ["UPDATE items SET qty = qty * 10 WHERE id % 2 = 0", "DELETE FROM items WHERE id = 3"],
        ["UPDATE items SET id = id + 100 WHERE id IN (1, 2)"],
        ["INSERT INTO items (id, name) VALUES (1, 'new one'), (3, 'new three')"],
        ["TRUNCATE items", "INSERT INTO items (id, name) VALUES (101, 'after truncate')"],
        ["DELETE FROM items"],
        ["INSERT INTO items (id, name) VALUES (5, 'five')", "UPDATE items SET id = 6 WHERE id = 5",
         "UPDATE items SET name = 'six'"],
    ]
    seen = []
    for statements in steps:
        write(db, *statements)
        seen.append((moment(db), rows(db, items)))
    for ts, expected in seen:
        assert table_at(db, items, ts) == {str(r["id"]): r for r in expected}, ts


def test_table_at_before_any_change_is_empty(db, items):
    t0 = moment(db)
    db.execute("INSERT INTO items (id) VALUES (1)")
    assert table_at(db, items, t0) == {}


def test_tables_of_the_same_name_in_two_schemas_do_not_mix(db):
    db.execute("CREATE SCHEMA other")
    for schema in ("public", "other"):
        db.execute(f"CREATE TABLE {schema}.t (id int PRIMARY KEY, v text)")
        db.execute("SELECT audit.enable(%s)", [f"{schema}.t"])
    db.execute("INSERT INTO public.t VALUES (1, 'public one'), (2, 'public two')")
    db.execute("INSERT INTO other.t VALUES (1, 'other one')")
    db.execute("UPDATE other.t SET id = 2")
    db.execute("DELETE FROM public.t WHERE id = 1")
    t = moment(db)
    assert table_at(db, "public.t", t) == {"2": {"id": 2, "v": "public two"}}
    assert table_at(db, "other.t", t) == {"2": {"id": 2, "v": "other one"}}
    assert state_at(db, "public.t", 1, t) is None
    assert state_at(db, "other.t", 1, t) is None
    assert versions(db, "other.t", 2) == [("INSERT", {"id": 1, "v": "other one"}),
                                          ("UPDATE", {"id": 2, "v": "other one"})]
    assert versions(db, "public.t", 2) == [("INSERT", {"id": 2, "v": "public two"})]


def test_two_audited_tables_with_the_same_keys_do_not_mix(db, items):
    db.execute("CREATE TABLE shelves (id bigint PRIMARY KEY, label text)")
    db.execute("SELECT audit.enable('shelves')")
    db.execute("INSERT INTO items (id, name) VALUES (1, 'pen')")
    db.execute("INSERT INTO shelves VALUES (1, 'top')")
    db.execute("DELETE FROM items")
    t = moment(db)
    assert state_at(db, items, 1, t) is None
    assert state(db, "shelves", 1, t) == {"id": 1, "label": "top"}
    assert table_at(db, "shelves", t) == {"1": {"id": 1, "label": "top"}}


# --------------------------------------------------------------------------------------------
# After switching auditing off, and on again
# --------------------------------------------------------------------------------------------

def test_history_stays_readable_after_disable(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    db.execute("UPDATE items SET name = 'b'")
    t = moment(db)
    db.execute("SELECT audit.disable('items')")
    assert state(db, items, 1, t)["name"] == "b"
    assert [a for a, _ in versions(db, items, 1)] == ["INSERT", "UPDATE"]
    assert set(table_at(db, items, t)) == {"1"}


def test_enabling_again_makes_the_present_exact_again(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
    db.execute("SELECT audit.disable('items')")
    db.execute("UPDATE items SET name = 'changed while off' WHERE id = 1")
    db.execute("DELETE FROM items WHERE id = 2")
    db.execute("INSERT INTO items (id, name) VALUES (3, 'c')")
    db.execute("SELECT audit.enable('items')")
    t = moment(db)
    assert table_at(db, items, t) == {str(r["id"]): r for r in rows(db, items)}
    assert state(db, items, 1, t)["name"] == "changed while off"
    assert state_at(db, items, 2, t) is None


def test_a_renamed_table_keeps_its_history(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
    db.execute("UPDATE items SET name = 'a2' WHERE id = 1")
    t1 = moment(db)
    db.execute("ALTER TABLE items RENAME TO goods")
    db.execute("CREATE SCHEMA archive")
    db.execute("ALTER TABLE goods SET SCHEMA archive")
    assert set(table_at(db, "archive.goods", t1)) == {"1", "2"}
    assert state(db, "archive.goods", 1, t1)["name"] == "a2"
    assert [a for a, _ in versions(db, "archive.goods", 1)] == ["INSERT", "UPDATE"]
    assert db.execute("SELECT name FROM audit.rows_at(NULL::archive.goods, %s) ORDER BY id", [t1]).fetchall() == [
        ("a2",), ("b",)]


def test_a_renamed_table_is_still_audited_and_readable(db, items):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')")
    t1 = moment(db)
    db.execute("ALTER TABLE items RENAME TO goods")
    db.execute("UPDATE goods SET name = 'a2' WHERE id = 1")
    db.execute("CREATE SCHEMA archive")
    db.execute("ALTER TABLE goods SET SCHEMA archive")
    db.execute("DELETE FROM archive.goods WHERE id = 2")
    db.execute("INSERT INTO archive.goods (id, name) VALUES (3, 'c')")
    t2 = moment(db)
    assert set(table_at(db, "archive.goods", t1)) == {"1", "2"}
    assert table_at(db, "archive.goods", t2) == {str(x["id"]): x for x in rows(db, "archive.goods")}
    assert [a for a, _ in versions(db, "archive.goods", 1)] == ["INSERT", "UPDATE"]
    assert [a for a, _ in versions(db, "archive.goods", 2)] == ["INSERT", "DELETE"]


def test_a_partitioned_table_reads_as_one_table(db):
    db.execute("CREATE TABLE events (id int, region text, note text, PRIMARY KEY (id, region))"
               " PARTITION BY LIST (region)")
    db.execute("CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu')")
    db.execute("CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us')")
    db.execute("SELECT audit.enable('events')")
    seen = []
    for statements in (["INSERT INTO events VALUES (1, 'eu', 'a'), (2, 'us', 'b'), (3, 'eu', 'c')"],
                       ["UPDATE events SET region = 'us' WHERE id = 1", "UPDATE events SET note = 'c2' WHERE id = 3"],
                       ["TRUNCATE events_eu"],
                       ["DELETE FROM events WHERE id = 2", "INSERT INTO events VALUES (3, 'eu', 'again')"]):
        write(db, *statements)
        seen.append((moment(db), rows(db, "events")))
    for ts, expected in seen:
        got = table_at(db, "events", ts)
        assert sorted(got.values(), key=lambda x: (x["id"], x["region"])) == sorted(
            expected, key=lambda x: (x["id"], x["region"]))
    from psycopg.types.json import Jsonb
    moved = versions(db, "events", Jsonb({"id": 1, "region": "us"}))
    assert [(a, s["region"]) for a, s in moved] == [("INSERT", "eu"), ("UPDATE", "us")]


# --------------------------------------------------------------------------------------------
# Who may read
# --------------------------------------------------------------------------------------------

READS = [
    ("state_at", "SELECT state->>'name' FROM audit.state_at('items', 1, clock_timestamp())"),
    ("history", "SELECT state->>'name' FROM audit.history('items', 1)"),
    ("table_at", "SELECT state->>'name' FROM audit.table_at('items', clock_timestamp())"),
    ("row_at", "SELECT (audit.row_at(NULL::public.items, 1, clock_timestamp())).name"),
    ("rows_at", "SELECT name FROM audit.rows_at(NULL::public.items, clock_timestamp())"),
]


@pytest.mark.security
@pytest.mark.parametrize("name, query", READS, ids=[r[0] for r in READS])
def test_reading_needs_a_grant_on_the_log(db, connect, roles, items, name, query):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    reader = connect(roles.reader)
    with expect_sqlstate("42501"):
        reader.execute(query).fetchall()


@pytest.mark.security
@pytest.mark.parametrize("name, query", READS, ids=[r[0] for r in READS])
def test_a_reader_with_a_grant_on_the_log_reads_history(db, connect, roles, items, name, query):
    db.execute("INSERT INTO items (id, name) VALUES (1, 'a')")
    db.execute(f"GRANT SELECT ON audit.logs TO {roles.reader}")
    reader = connect(roles.reader)
    assert reader.execute(query).fetchall() == [("a",)]


# --------------------------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("before, after, expected", [
    ({"a": 1, "b": "x"}, {"a": 1, "b": "x"}, {}),
    ({"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": {"old": 1, "new": 2}}),
    ({"a": 1}, {"a": None}, {"a": {"old": 1, "new": None}}),
    ({"a": 1}, {}, {"a": {"old": 1, "new": None}}),
    ({}, {"b": [1, 2]}, {"b": {"old": None, "new": [1, 2]}}),
    ({"a": None}, {}, {}),  # absent counts as null
    ({"a": {"k": [1, {"z": True}]}}, {"a": {"k": [1, {"z": False}]}},
     {"a": {"old": {"k": [1, {"z": True}]}, "new": {"k": [1, {"z": False}]}}}),
    ({"a": "1"}, {"a": 1}, {"a": {"old": "1", "new": 1}}),
    ({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 3, "d": 4},
     {"b": {"old": 2, "new": 3}, "c": {"old": 3, "new": None}, "d": {"old": None, "new": 4}}),
], ids=["same", "changed", "to null", "removed", "added", "null vs absent", "nested", "string vs number",
        "several"])
def test_diff_names_the_columns_that_differ(db, before, after, expected):
    from psycopg.types.json import Jsonb
    assert db.execute("SELECT audit.diff(%s, %s)", [Jsonb(before), Jsonb(after)]).fetchone()[0] == expected


def test_diff_of_consecutive_versions_names_the_changed_fields(db):
    db.execute("CREATE TABLE acct (id int PRIMARY KEY, name text, balance numeric, meta jsonb, flags int[])")
    db.execute("SELECT audit.enable('acct')")
    db.execute("INSERT INTO acct VALUES (1, 'a', 1.0, '{\"x\": 1}', '{1}')")
    db.execute("UPDATE acct SET name = 'b', meta = '{\"x\": 2}'")
    db.execute("UPDATE acct SET flags = '{1,2}', name = NULL")
    db.execute("UPDATE acct SET balance = 1.00")  # same number, new scale: capture logs it as a change
    # In SQL: a round trip through Python floats would lose the numeric scale.
    found = db.execute("""
        SELECT h.action, h.changed_fields, audit.diff(lag(h.state) OVER (ORDER BY h.log_id), h.state),
               lag(h.state) OVER (ORDER BY h.log_id), h.state
        FROM audit.history('acct', 1) AS h ORDER BY h.log_id""").fetchall()
    assert [f[0] for f in found] == ["INSERT", "UPDATE", "UPDATE", "UPDATE"]
    for action, changed, d, prev, cur in found[1:]:
        assert sorted(d) == changed, (prev, cur)
        for col in changed:
            assert d[col] == {"old": prev[col], "new": cur[col]}


def test_diff_of_null_inputs_treats_them_as_empty_rows(db):
    assert db.execute("SELECT audit.diff(NULL, NULL)").fetchone()[0] == {}
    assert db.execute("SELECT audit.diff(NULL, '{\"a\": 1}')").fetchone()[0] == {"a": {"old": None, "new": 1}}
    assert db.execute("SELECT audit.diff('{\"a\": 1}', NULL)").fetchone()[0] == {"a": {"old": 1, "new": None}}


def test_history_of_a_record_with_more_than_a_thousand_versions(db):
    # history keeps the first 1,000 versions it walks and reads the rest again by id.
    db.execute("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)")
    db.execute("INSERT INTO counter VALUES (1, 0)")
    db.execute("SELECT audit.enable('counter')")
    db.execute("DO $$ BEGIN FOR i IN 1..1204 LOOP UPDATE counter SET n = n + 1; END LOOP; END $$")
    versions = db.execute("SELECT log_id, state->>'n', valid_to IS NULL FROM audit.history('counter', 1)").fetchall()
    assert [int(n) for _, n, _ in versions] == list(range(0, 1205))
    assert [i for i, _, _ in versions] == sorted(i for i, _, _ in versions)
    assert [last for _, _, last in versions] == [False] * 1204 + [True]
