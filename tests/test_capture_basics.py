"""A user switches auditing on for a table and writes to it one row at a time."""

import pytest

from helpers import log_rows, nonnull_fields, row, table_row


@pytest.fixture
def users(db):
    db.execute("""
        CREATE TABLE users (
            id int PRIMARY KEY,
            email text NOT NULL,
            name text,
            score numeric,
            born date,
            tags text[],
            prefs jsonb,
            active boolean NOT NULL DEFAULT true
        )""")
    db.execute("SELECT audit.enable('users')")
    return "users"


def test_insert_is_logged_with_the_whole_row(db, users):
    db.execute("INSERT INTO users (id, email, name, score, born, tags, prefs)"
               " VALUES (1, 'a@x.io', 'Ann', 1.50, '1990-05-01', '{x,y}', '{\"k\": [1, 2]}')")
    new = {"id": 1, "email": "a@x.io", "name": "Ann", "score": 1.50, "born": "1990-05-01",
           "tags": ["x", "y"], "prefs": {"k": [1, 2]}, "active": True}
    assert new == table_row(db, "SELECT * FROM users WHERE id = 1")
    assert log_rows(db) == [row("INSERT", "1", new=new, changed=sorted(new))]


def test_insert_changed_fields_are_the_non_null_columns(db, users):
    db.execute("INSERT INTO users (id, email) VALUES (2, 'b@x.io')")
    [entry] = log_rows(db)
    assert entry["changed_fields"] == ["active", "email", "id"]
    assert entry["new_values"] == {"id": 2, "email": "b@x.io", "name": None, "score": None, "born": None,
                                   "tags": None, "prefs": None, "active": True}


def test_log_row_names_schema_and_table(db, users):
    db.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.io')")
    assert log_rows(db, fields=("schema_name", "table_name")) == [{"schema_name": "public", "table_name": "users"}]


def test_update_stores_changed_old_values_and_whole_new_row(db, users):
    db.execute("INSERT INTO users (id, email, name, score) VALUES (1, 'a@x.io', 'Ann', 3)")
    before = table_row(db, "SELECT * FROM users WHERE id = 1")
    db.execute("UPDATE users SET name = 'Anna', score = NULL, tags = '{new}' WHERE id = 1")
    after = table_row(db, "SELECT * FROM users WHERE id = 1")
    [entry] = log_rows(db)[1:]
    assert entry == row("UPDATE", "1", old={"name": "Ann", "score": 3, "tags": None}, new=after,
                        changed=["name", "score", "tags"])
    # Nothing of the previous row is lost.
    assert {**entry["new_values"], **entry["old_values"]} == before


def test_delete_stores_the_whole_old_row(db, users):
    db.execute("INSERT INTO users (id, email, name) VALUES (1, 'a@x.io', 'Ann')")
    before = table_row(db, "SELECT * FROM users WHERE id = 1")
    db.execute("DELETE FROM users WHERE id = 1")
    assert log_rows(db)[1:] == [row("DELETE", "1", old=before, changed=nonnull_fields(before))]


def test_update_that_changes_nothing_writes_no_row(db, users):
    db.execute("INSERT INTO users (id, email, name, score, prefs) VALUES (1, 'a@x.io', 'Ann', 1.5, '{\"a\": 1}')")
    db.execute("UPDATE users SET name = name, score = 1.5, prefs = '{\"a\": 1}', email = 'a@x.io'")
    db.execute("UPDATE users SET name = 'Ann' WHERE id = 1")
    assert [e["action"] for e in log_rows(db)] == ["INSERT"]


def test_update_matching_no_row_writes_no_row(db, users):
    db.execute("UPDATE users SET name = 'x' WHERE id = 404")
    db.execute("DELETE FROM users WHERE id = 404")
    assert log_rows(db) == []


EQUAL_BUT_DIFFERENT = [
    ("numeric", "1.0", "1.00"),
    ("interval", "'1 day'", "'24 hours'"),
    ("jsonb", "'{\"a\": 1.0}'", "'{\"a\": 1.00}'"),
    ("numeric[]", "'{1.5}'", "'{1.50}'"),
]


def test_update_to_an_equal_but_differently_written_value_is_a_change(db):
    for n, (column_type, before, after) in enumerate(EQUAL_BUT_DIFFERENT):
        t = f"t{n}"
        db.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v {column_type})")
        db.execute(f"SELECT audit.enable('{t}')")
        db.execute(f"INSERT INTO {t} VALUES (1, {before})")
        old_json = db.execute(f"SELECT to_jsonb(v) FROM {t}").fetchone()[0]
        db.execute(f"UPDATE {t} SET v = {after}")
        new_json = db.execute(f"SELECT to_jsonb(v) FROM {t}").fetchone()[0]
        entries = log_rows(db, t)
        assert [e["action"] for e in entries] == ["INSERT", "UPDATE"], f"{column_type}: {before} -> {after}"
        assert entries[1] == row("UPDATE", "1", old={"v": old_json}, new={"id": 1, "v": new_json}, changed=["v"])


def test_writes_to_a_table_that_is_not_audited_are_not_logged(db, users):
    db.execute("CREATE TABLE other (id int PRIMARY KEY, v text)")
    db.execute("INSERT INTO other VALUES (1, 'a')")
    db.execute("UPDATE other SET v = 'b'")
    db.execute("DELETE FROM other")
    db.execute("TRUNCATE other")
    assert log_rows(db) == []


def test_values_of_many_types_are_stored_as_to_jsonb_of_the_row(db):
    db.execute("""
        CREATE TABLE kinds (
            id bigint PRIMARY KEY, i2 smallint, f8 double precision, n numeric(12, 4), ts timestamp,
            tstz timestamptz, d date, tm time, iv interval, b bytea, u uuid, j json, jb jsonb,
            arr int[], inet_ inet, ch char(3), bo boolean
        )""")
    db.execute("SELECT audit.enable('kinds')")
    db.execute("""
        INSERT INTO kinds VALUES (
            9000000000, 7, 1.25, 3.1400, '2024-02-03 04:05:06.789', '2024-02-03 04:05:06+02', '2024-02-29',
            '23:59:59', '1 year 2 days', '\\xdeadbeef', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            '{"k":  1}', '{"k": null}', '{1,NULL,3}', '10.0.0.1/8', 'ab', false
        )""")
    expected = table_row(db, "SELECT * FROM kinds")
    [entry] = log_rows(db)
    assert entry == row("INSERT", "9000000000", new=expected, changed=sorted(expected))


def test_rows_of_one_statement_share_created_at_and_transaction_id(db, users):
    db.execute("INSERT INTO users (id, email) SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 5) g")
    db.execute("UPDATE users SET name = 'n' || id")
    db.execute("DELETE FROM users WHERE id <= 3")
    stats = db.execute(
        "SELECT action, count(*), count(DISTINCT created_at), count(DISTINCT transaction_id)"
        " FROM audit.logs GROUP BY action ORDER BY action").fetchall()
    assert stats == [("DELETE", 3, 1, 1), ("INSERT", 5, 1, 1), ("UPDATE", 5, 1, 1)]


def test_created_at_is_the_capture_time(db, users):
    t0 = db.execute("SELECT clock_timestamp()").fetchone()[0]
    db.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.io')")
    t1 = db.execute("SELECT clock_timestamp()").fetchone()[0]
    created_at = db.execute("SELECT created_at FROM audit.logs").fetchone()[0]
    assert t0 <= created_at <= t1


def test_later_statements_in_one_transaction_are_not_logged_earlier(connect, users):
    # created_at is clock time, not transaction start: it follows the order of the changes.
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.io')")
    conn.execute("SELECT pg_sleep(0.01)")
    conn.execute("UPDATE users SET name = 'x' WHERE id = 1")
    conn.commit()
    times = [r[0] for r in conn.execute("SELECT created_at FROM audit.logs ORDER BY id").fetchall()]
    assert len(times) == 2 and times[0] < times[1]
    conn.rollback()


def test_log_ids_follow_the_order_of_the_changes(db, users):
    db.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.io')")
    db.execute("UPDATE users SET name = 'x' WHERE id = 1")
    db.execute("DELETE FROM users WHERE id = 1")
    db.execute("INSERT INTO users (id, email) VALUES (1, 'again@x.io')")
    assert [(e["action"], e["record_id"]) for e in log_rows(db)] == [
        ("INSERT", "1"), ("UPDATE", "1"), ("DELETE", "1"), ("INSERT", "1")]


ONE_COLUMN_KEYS = [
    ("int", "123", "123"),
    ("bigint", "9007199254740993", "9007199254740993"),
    ("smallint", "-7", "-7"),
    ("uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("text", "'Hello \"World\" ü'", 'Hello "World" ü'),
    ("varchar(20)", "'  spaced  '", "  spaced  "),
    ("numeric", "1.50", "1.5"),
    ("numeric(10, 3)", "100.000", "100"),
    ("numeric", "-0.0100", "-0.01"),
    ("timestamptz", "'2024-01-02 04:04:05+01'", "2024-01-02T03:04:05+00:00"),
    ("timestamptz", "'2024-07-01 12:00:00.25-07'", "2024-07-01T19:00:00.25+00:00"),
]


def test_record_id_of_a_one_column_key_is_its_canonical_text(db):
    # A session time zone far from UTC must not leak into the key of a timestamptz.
    db.execute("SET TimeZone = 'America/New_York'")
    for n, (key_type, literal, record_id) in enumerate(ONE_COLUMN_KEYS):
        t = f"k{n}"
        db.execute(f"CREATE TABLE {t} (id {key_type} PRIMARY KEY, v text)")
        db.execute(f"SELECT audit.enable('{t}')")
        db.execute(f"INSERT INTO {t} VALUES ({literal}, 'a')")
        db.execute(f"UPDATE {t} SET v = 'b'")
        db.execute(f"DELETE FROM {t}")
        assert [(e["action"], e["record_id"], e["old_record_id"]) for e in log_rows(db, t)] == [
            ("INSERT", record_id, None), ("UPDATE", record_id, None), ("DELETE", record_id, None)], (
            f"{key_type} {literal}")


def test_a_composite_value_with_a_null_field_counts_as_not_null(db):
    # ROW(1, NULL) IS NOT NULL is false in SQL, but the value is there: changed_fields names it.
    db.execute("CREATE TYPE pair AS (a int, b int)")
    db.execute("CREATE TABLE pairs (id int PRIMARY KEY, p pair, q pair)")
    db.execute("INSERT INTO pairs VALUES (1, ROW(1, NULL), NULL)")
    db.execute("SELECT audit.enable('pairs')")
    db.execute("INSERT INTO pairs VALUES (2, ROW(NULL, NULL), ROW(2, 3))")
    db.execute("DELETE FROM pairs WHERE id = 1")
    assert [(e["action"], e["record_id"], e["changed_fields"]) for e in log_rows(db, "pairs")] == [
        ("SNAPSHOT", "1", ["id", "p"]), ("INSERT", "2", ["id", "p", "q"]), ("DELETE", "1", ["id", "p"])]


def test_record_id_of_a_composite_key_is_canonical_jsonb_text(db):
    db.execute("CREATE TABLE memberships (tenant text, id int, since date, role text,"
               " PRIMARY KEY (tenant, id))")
    db.execute("SELECT audit.enable('memberships')")
    db.execute("INSERT INTO memberships VALUES ('acme', 5, '2024-01-01', 'admin')")
    db.execute("UPDATE memberships SET role = 'member'")
    db.execute("DELETE FROM memberships")
    expected = '{"id": 5, "tenant": "acme"}'
    assert db.execute("SELECT %s::jsonb::text", [expected]).fetchone()[0] == expected
    assert [(e["action"], e["record_id"]) for e in log_rows(db)] == [
        ("INSERT", expected), ("UPDATE", expected), ("DELETE", expected)]


def test_composite_key_with_numeric_and_timestamptz_members(db):
    db.execute("SET TimeZone = 'Asia/Tokyo'")
    db.execute("CREATE TABLE readings (at timestamptz, amount numeric, sensor int, v text,"
               " PRIMARY KEY (sensor, at, amount))")
    db.execute("SELECT audit.enable('readings')")
    db.execute("INSERT INTO readings VALUES ('2024-01-02 12:04:05+09', 2.500, 3, 'x')")
    [entry] = log_rows(db)
    assert entry["record_id"] == '{"at": "2024-01-02T03:04:05+00:00", "amount": 2.5, "sensor": 3}'


def test_context_columns_without_any_application_context(db, users):
    db.execute("INSERT INTO users (id, email) VALUES (1, 'a@x.io')")
    [entry] = log_rows(db, fields=("actor_email", "actor_type", "actor_id", "migration_name", "context",
                                   "db_user"))
    assert entry == {"actor_email": None, "actor_type": None, "actor_id": None, "migration_name": None,
                     "context": None, "db_user": "audit_owner"}

