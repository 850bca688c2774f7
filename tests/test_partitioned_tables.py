"""A user audits a partitioned table: writes through the parent or into partitions, rows that move."""

import pytest

from helpers import footprint, log_rows, raises_sqlstate, row


@pytest.fixture
def measurements(db):
    db.execute("""
        CREATE TABLE measurements (
            id int NOT NULL,
            region text NOT NULL,
            value int,
            PRIMARY KEY (id, region)
        ) PARTITION BY LIST (region)""")
    db.execute("CREATE TABLE measurements_eu PARTITION OF measurements FOR VALUES IN ('eu')")
    db.execute("CREATE TABLE measurements_us PARTITION OF measurements FOR VALUES IN ('us')")
    db.execute("INSERT INTO measurements VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'us', 30)")
    db.execute("SELECT audit.enable('measurements', snapshot => false)")
    return "measurements"


@pytest.fixture
def accounts(db):
    """Range-partitioned on its one-column primary key: a key change can move a row."""
    db.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text) PARTITION BY RANGE (id)")
    db.execute("CREATE TABLE accounts_lo PARTITION OF accounts FOR VALUES FROM (0) TO (100)")
    db.execute("CREATE TABLE accounts_hi PARTITION OF accounts FOR VALUES FROM (100) TO (200)")
    db.execute("INSERT INTO accounts VALUES (1, 'a'), (150, 'b')")
    db.execute("SELECT audit.enable('accounts')")
    return "accounts"


def rid(i, region):
    return f'{{"id": {i}, "region": "{region}"}}'


def test_snapshot_of_a_partitioned_table_is_logged_under_the_parent(db, accounts):
    assert sorted((e["action"], e["record_id"], e["new_values"]["name"]) for e in log_rows(
        db, fields=("action", "record_id", "new_values", "table_name"))) == [
        ("SNAPSHOT", "1", "a"), ("SNAPSHOT", "150", "b")]
    assert log_rows(db, fields=("schema_name", "table_name")) == [
        {"schema_name": "public", "table_name": "accounts"}] * 2


def test_writes_through_the_parent_are_logged_under_the_parent(db, measurements):
    db.execute("INSERT INTO measurements VALUES (4, 'eu', 40), (5, 'us', 50)")
    db.execute("UPDATE measurements SET value = value + 1 WHERE id IN (1, 2)")
    db.execute("DELETE FROM measurements WHERE id = 3")
    entries = log_rows(db, fields=("schema_name", "table_name", "action", "record_id"))
    assert {(e["schema_name"], e["table_name"]) for e in entries} == {("public", "measurements")}
    assert sorted((e["action"], e["record_id"]) for e in entries) == [
        ("DELETE", rid(3, "us")), ("INSERT", rid(4, "eu")), ("INSERT", rid(5, "us")),
        ("UPDATE", rid(1, "eu")), ("UPDATE", rid(2, "us"))]


def test_writes_into_a_partition_directly_are_logged_under_the_parent(db, measurements):
    db.execute("INSERT INTO measurements_eu VALUES (6, 'eu', 60)")
    db.execute("UPDATE measurements_us SET value = 0 WHERE id = 2")
    db.execute("DELETE FROM measurements_us WHERE id = 3")
    assert log_rows(db, "measurements") == [
        row("INSERT", rid(6, "eu"), new={"id": 6, "region": "eu", "value": 60}, changed=["id", "region", "value"]),
        row("UPDATE", rid(2, "us"), old={"value": 20}, new={"id": 2, "region": "us", "value": 0}, changed=["value"]),
        row("DELETE", rid(3, "us"), old={"id": 3, "region": "us", "value": 30}, changed=["id", "region", "value"]),
    ]
    assert log_rows(db, "measurements_eu") == [] and log_rows(db, "measurements_us") == []


def test_row_moving_between_partitions_is_one_update(db, accounts):
    mark = len(log_rows(db))
    db.execute("UPDATE accounts SET id = 101, name = 'moved' WHERE id = 1")
    assert db.execute("SELECT tableoid::regclass::text FROM accounts WHERE id = 101").fetchone()[0] == "accounts_hi"
    assert log_rows(db)[mark:] == [
        row("UPDATE", "101", old_record_id="1", old={"id": 1, "name": "a"}, new={"id": 101, "name": "moved"},
            changed=["id", "name"])]


def test_key_columns_of_a_partitioned_table_must_be_unique_so_include_the_partition_key(db):
    # A unique index of a partitioned table includes its partition key: key_columns without it could
    # name two rows of different partitions, which would be logged as one record.
    db.execute("CREATE TABLE tasks (id int NOT NULL, state text NOT NULL, title text) PARTITION BY LIST (state)")
    db.execute("CREATE TABLE tasks_open PARTITION OF tasks FOR VALUES IN ('open')")
    db.execute("CREATE TABLE tasks_done PARTITION OF tasks FOR VALUES IN ('done')")
    db.execute("INSERT INTO tasks VALUES (1, 'open', 'a'), (1, 'done', 'b')")
    with raises_sqlstate("22023", "key_columns", "tasks", "not unique"):
        db.execute("SELECT audit.enable('tasks', key_columns => '{id}', snapshot => false)")
    assert db.execute("SELECT count(*) FROM audit.config").fetchone()[0] == 0


def test_row_moving_partitions_is_one_record_s_key_change(db):
    db.execute("CREATE TABLE tasks (id int NOT NULL, state text NOT NULL, title text, PRIMARY KEY (id, state))"
               " PARTITION BY LIST (state)")
    db.execute("CREATE TABLE tasks_open PARTITION OF tasks FOR VALUES IN ('open')")
    db.execute("CREATE TABLE tasks_done PARTITION OF tasks FOR VALUES IN ('done')")
    db.execute("INSERT INTO tasks VALUES (1, 'open', 'a'), (2, 'open', 'b'), (3, 'done', 'c')")
    db.execute("SELECT audit.enable('tasks', snapshot => false)")
    db.execute("UPDATE tasks SET state = CASE state WHEN 'open' THEN 'done' ELSE 'open' END")
    key = lambda i, s: '{"id": %d, "state": "%s"}' % (i, s)  # noqa: E731
    assert sorted((e["action"], e["old_record_id"], e["record_id"], e["old_values"]) for e in log_rows(
        db, fields=("action", "old_record_id", "record_id", "old_values"))) == sorted(
        ("UPDATE", key(i, s0), key(i, s1), {"state": s0})
        for i, s0, s1 in [(1, "open", "done"), (2, "open", "done"), (3, "done", "open")])


def test_truncate_of_the_parent_logs_every_row_once(db, measurements):
    db.execute("TRUNCATE measurements")
    assert sorted((e["action"], e["record_id"], e["old_values"]["value"]) for e in log_rows(db)) == [
        ("TRUNCATE", rid(1, "eu"), 10), ("TRUNCATE", rid(2, "us"), 20), ("TRUNCATE", rid(3, "us"), 30)]
    assert {e["table_name"] for e in log_rows(db, fields=("table_name",))} == {"measurements"}


def test_truncate_of_one_partition_logs_its_rows(db, measurements):
    db.execute("TRUNCATE measurements_us")
    assert sorted(log_rows(db), key=lambda e: e["record_id"]) == [
        row("TRUNCATE", rid(2, "us"), old={"id": 2, "region": "us", "value": 20}, changed=["id", "region", "value"]),
        row("TRUNCATE", rid(3, "us"), old={"id": 3, "region": "us", "value": 30}, changed=["id", "region", "value"]),
    ]
    assert [e["table_name"] for e in log_rows(db, fields=("table_name",))] == ["measurements"] * 2


def test_sub_partitioned_table(db):
    db.execute("CREATE TABLE logs_src (id int, yr int, mo int, v text, PRIMARY KEY (id, yr, mo))"
               " PARTITION BY LIST (yr)")
    db.execute("CREATE TABLE logs_2024 PARTITION OF logs_src FOR VALUES IN (2024) PARTITION BY LIST (mo)")
    db.execute("CREATE TABLE logs_2024_01 PARTITION OF logs_2024 FOR VALUES IN (1)")
    db.execute("CREATE TABLE logs_2024_02 PARTITION OF logs_2024 FOR VALUES IN (2)")
    db.execute("SELECT audit.enable('logs_src')")
    db.execute("INSERT INTO logs_2024_01 VALUES (1, 2024, 1, 'direct')")
    db.execute("INSERT INTO logs_2024 VALUES (2, 2024, 2, 'middle')")
    db.execute("UPDATE logs_src SET mo = 2 WHERE id = 1")
    db.execute("TRUNCATE logs_2024_02")
    got = [(e["table_name"], e["action"], e["record_id"]) for e in log_rows(
        db, fields=("table_name", "action", "record_id"))]
    assert got[:3] == [
        ("logs_src", "INSERT", '{"id": 1, "mo": 1, "yr": 2024}'),
        ("logs_src", "INSERT", '{"id": 2, "mo": 2, "yr": 2024}'),
        ("logs_src", "UPDATE", '{"id": 1, "mo": 2, "yr": 2024}'),
    ]
    assert sorted(got[3:]) == [("logs_src", "TRUNCATE", '{"id": 1, "mo": 2, "yr": 2024}'),
                               ("logs_src", "TRUNCATE", '{"id": 2, "mo": 2, "yr": 2024}')]


def test_enabling_a_partition_is_refused(db, measurements):
    before = footprint(db)
    with raises_sqlstate("42809", "measurements_us", r"partition", r"\bmeasurements\b"):
        db.execute("SELECT audit.enable('measurements_us')")
    assert footprint(db) == before


def test_partition_created_after_enabling_refuses_writes_until_enabled_again(db, measurements):
    # SPEC 3: the audit trail never silently drops a change. A new partition has no capture
    # triggers of its own, so its writes are refused (directly and through the parent) until
    # audit.enable is run again, rather than go unlogged.
    db.execute("CREATE TABLE measurements_ap PARTITION OF measurements FOR VALUES IN ('ap')")
    with raises_sqlstate("55000", "measurements_ap", r"\bmeasurements\b", "not covered"):
        db.execute("INSERT INTO measurements_ap VALUES (7, 'ap', 70)")
    with raises_sqlstate("55000", "measurements_ap"):
        db.execute("INSERT INTO measurements VALUES (7, 'ap', 70)")
    assert log_rows(db, "measurements") == []
    db.execute("SELECT audit.enable('measurements')")
    db.execute("INSERT INTO measurements_ap VALUES (7, 'ap', 70)")
    db.execute("UPDATE measurements_ap SET value = 71")
    db.execute("UPDATE measurements SET value = 72 WHERE region = 'ap'")
    assert [(e["action"], e["record_id"]) for e in log_rows(db, "measurements")] == [
        ("INSERT", rid(7, "ap")), ("UPDATE", rid(7, "ap")), ("UPDATE", rid(7, "ap"))]


def test_partition_attached_with_rows_enters_the_history_when_enabled_again(db, measurements):
    db.execute("CREATE TABLE measurements_sa (id int NOT NULL, region text NOT NULL, value int)")
    db.execute("INSERT INTO measurements_sa VALUES (8, 'sa', 80)")
    db.execute("ALTER TABLE measurements ATTACH PARTITION measurements_sa FOR VALUES IN ('sa')")
    db.execute("SELECT audit.enable('measurements')")
    assert [(e["action"], e["record_id"], e["new_values"]) for e in log_rows(db, "measurements")] == [
        ("SNAPSHOT", rid(8, "sa"), {"id": 8, "region": "sa", "value": 80})]
    db.execute("DELETE FROM measurements_sa")
    assert [e["action"] for e in log_rows(db, "measurements")] == ["SNAPSHOT", "DELETE"]

@pytest.fixture
def swallowing_pt(db):
    """Partitioned pt whose partition pt2 has a user BEFORE INSERT trigger that swallows rows with
    v = 'drop': a row moved there is gone, so an UPDATE's old rows outnumber its new ones."""
    db.execute("CREATE TABLE pt (k int PRIMARY KEY, v text) PARTITION BY RANGE (k)")
    db.execute("CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10)")
    db.execute("CREATE TABLE pt2 PARTITION OF pt FOR VALUES FROM (10) TO (100)")
    db.execute("""CREATE FUNCTION drop_big() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF new.v = 'drop' THEN RETURN NULL; END IF; RETURN new; END $$""")
    db.execute("CREATE TRIGGER zz_drop BEFORE INSERT ON pt2 FOR EACH ROW EXECUTE FUNCTION drop_big()")
    return db


def test_a_row_lost_in_a_partition_move_fails_the_update_instead_of_a_forged_pairing(swallowing_pt):
    # No pairing of the UPDATE's old and new rows can be right.
    db = swallowing_pt
    db.execute("INSERT INTO pt VALUES (1, 'drop'), (2, 'keep')")
    db.execute("SELECT audit.enable('pt')")
    before = log_rows(db)
    with raises_sqlstate("XX000", "cannot pair", r"\bpt\b"):
        db.execute("UPDATE pt SET k = CASE WHEN k = 1 THEN 11 ELSE k END,"
                   " v = CASE WHEN k = 2 THEN 'kept2' ELSE v END")
    assert log_rows(db) == before
    assert db.execute("SELECT k, v FROM pt ORDER BY k").fetchall() == [(1, "drop"), (2, "keep")]



def test_a_single_row_lost_in_a_partition_move_fails_the_update_too(swallowing_pt):
    # The one-row path: one old row, no new row.
    db = swallowing_pt
    db.execute("INSERT INTO pt VALUES (1, 'drop')")
    db.execute("SELECT audit.enable('pt')")
    before = log_rows(db)
    with raises_sqlstate("XX000", "cannot pair", r"\bpt\b"):
        db.execute("UPDATE pt SET k = 11 WHERE k = 1")
    assert log_rows(db) == before
    assert db.execute("SELECT k, v FROM pt ORDER BY k").fetchall() == [(1, "drop")]
    db.execute("UPDATE pt SET v = 'same' WHERE k = 1")  # an ordinary one-row UPDATE still logs
    assert [e["action"] for e in log_rows(db)][len(before):] == ["UPDATE"]

def test_a_partition_with_its_own_column_order_is_captured_exactly(db):
    db.execute("CREATE TABLE ev (id int NOT NULL, kind text NOT NULL, note text, PRIMARY KEY (id, kind))"
               " PARTITION BY LIST (kind)")
    db.execute("CREATE TABLE ev_a PARTITION OF ev FOR VALUES IN ('a')")
    db.execute("CREATE TABLE ev_b (note text, kind text NOT NULL, id int NOT NULL)")
    db.execute("ALTER TABLE ev ATTACH PARTITION ev_b FOR VALUES IN ('b')")
    db.execute("SELECT audit.enable('ev')")
    db.execute("INSERT INTO ev_b (id, kind, note) VALUES (1, 'b', 'x')")
    db.execute("UPDATE ev_b SET note = 'y'")
    db.execute("UPDATE ev SET note = 'z', kind = 'a' WHERE id = 1")
    key_b, key_a = '{"id": 1, "kind": "b"}', '{"id": 1, "kind": "a"}'
    assert log_rows(db, "ev") == [
        row("INSERT", key_b, new={"id": 1, "kind": "b", "note": "x"}, changed=["id", "kind", "note"]),
        row("UPDATE", key_b, old={"note": "x"}, new={"id": 1, "kind": "b", "note": "y"}, changed=["note"]),
        row("UPDATE", key_a, old={"kind": "b", "note": "y"}, new={"id": 1, "kind": "a", "note": "z"},
            changed=["kind", "note"], old_record_id=key_b),
    ]
