"""A user misuses enable/disable: every mistake gets a clear error and changes nothing."""

import pytest

from helpers import footprint, raises_sqlstate


@pytest.fixture
def tables(db):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, nick text, pw text)")
    db.execute("INSERT INTO users VALUES (1, 'a@x.io', NULL, 'p')")
    db.execute("CREATE TABLE heap (a int, b text)")
    db.execute("INSERT INTO heap VALUES (1, 'x')")
    return db


def assert_refused(db, call, sqlstate, *patterns):
    before = footprint(db)
    with raises_sqlstate(sqlstate, *patterns):
        db.execute(call)
    assert footprint(db) == before


def test_table_without_key_is_refused(tables):
    assert_refused(tables, "SELECT audit.enable('heap')", "55000", r"\bheap\b")


def test_table_without_key_in_a_quoted_schema_is_named(db):
    db.execute('CREATE SCHEMA "Odd Schema"')
    db.execute('CREATE TABLE "Odd Schema"."No Key" (a int)')
    assert_refused(db, """SELECT audit.enable('"Odd Schema"."No Key"')""", "55000", '"Odd Schema"."No Key"')


@pytest.mark.parametrize("option", ["ignore_columns", "redact_columns", "key_columns"])
def test_unknown_column_in_an_option(tables, option):
    assert_refused(tables, f"SELECT audit.enable('users', {option} => '{{email,nope}}')", "42703",
                   option, r"\bnope\b", r"\busers\b")


def test_unknown_column_is_checked_by_exact_name(tables):
    assert_refused(tables, "SELECT audit.enable('users', ignore_columns => '{Email}')", "42703",
                   "ignore_columns", "Email", r"\busers\b")


@pytest.mark.parametrize("option", ["ignore_columns", "redact_columns"])
def test_key_column_cannot_be_ignored_or_redacted(tables, option):
    assert_refused(tables, f"SELECT audit.enable('users', {option} => '{{id}}')", "22023", r"\bid\b", r"\busers\b")


@pytest.mark.parametrize("option", ["ignore_columns", "redact_columns"])
def test_key_columns_member_cannot_be_ignored_or_redacted(tables, option):
    assert_refused(tables, f"SELECT audit.enable('heap', key_columns => '{{a}}', {option} => '{{a}}')", "22023",
                   r"\ba\b", r"\bheap\b")


def test_nullable_key_columns_are_refused(tables):
    before = footprint(tables)
    with pytest.raises(Exception) as info:
        tables.execute("SELECT audit.enable('heap', key_columns => '{a}')")
    assert info.value.sqlstate not in (None, "P0001", "XX000"), info.value
    assert "heap" in str(info.value) and "a" in str(info.value) and "NULL" in str(info.value).upper()
    assert footprint(tables) == before


def test_empty_key_columns_are_refused(tables):
    before = footprint(tables)
    with pytest.raises(Exception) as info:
        tables.execute("SELECT audit.enable('users', key_columns => '{}')")
    assert info.value.sqlstate not in (None, "P0001", "XX000") and "users" in str(info.value)
    assert footprint(tables) == before


def test_a_partition_is_refused_with_a_pointer_to_its_parent(db):
    db.execute("CREATE TABLE ev (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day)")
    db.execute("CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    assert_refused(db, "SELECT audit.enable('ev_2024')", "42809", r"\bev_2024\b", "partition", r"\bev\b")


@pytest.mark.parametrize("create, name", [
    ("CREATE VIEW v_users AS SELECT * FROM users", "v_users"),
    ("CREATE MATERIALIZED VIEW mv_users AS SELECT * FROM users", "mv_users"),
    ("CREATE SEQUENCE s_users", "s_users"),
    ("CREATE TYPE t_users AS (a int)", "t_users"),
])
def test_objects_that_are_not_tables_are_refused(tables, create, name):
    tables.execute(create)
    assert_refused(tables, f"SELECT audit.enable('{name}')", "42809", rf"\b{name}\b")


def test_unknown_table(tables):
    assert_refused(tables, "SELECT audit.enable('no_such_table')", "42P01", "no_such_table")


def test_null_table(tables):
    before = footprint(tables)
    with pytest.raises(Exception) as info:
        tables.execute("SELECT audit.enable(NULL)")
    assert info.value.sqlstate not in (None, "P0001", "XX000")
    assert footprint(tables) == before


def test_disable_of_a_table_that_is_not_audited(tables):
    before = footprint(tables)
    with pytest.raises(Exception) as info:
        tables.execute("SELECT audit.disable('users')")
    assert info.value.sqlstate not in (None, "P0001", "XX000") and "users" in str(info.value)
    assert "not audited" in str(info.value)
    assert footprint(tables) == before


def test_disable_twice(tables):
    tables.execute("SELECT audit.enable('users')")
    tables.execute("SELECT audit.disable('users')")
    before = footprint(tables)
    with pytest.raises(Exception) as info:
        tables.execute("SELECT audit.disable('users')")
    assert "users" in str(info.value)
    assert footprint(tables) == before


def test_failed_re_enable_keeps_the_previous_options_and_capture(tables):
    tables.execute("SELECT audit.enable('users', ignore_columns => '{nick}', redact_columns => '{pw}')")
    assert_refused(tables, "SELECT audit.enable('users', redact_columns => '{nope}')", "42703", "nope")
    assert_refused(tables, "SELECT audit.enable('users', ignore_columns => '{id}')", "22023", r"\bid\b")
    tables.execute("UPDATE users SET pw = 'new', email = 'b@x.io'")
    last = tables.execute("SELECT new_values->>'pw' FROM audit.logs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert last == "[redacted]"


def test_writing_to_the_log_directly_as_a_non_owner(connect, roles, db, tables):
    with raises_sqlstate("42501", "logs"):
        connect(roles.reader).execute(
            "INSERT INTO audit.logs (created_at, transaction_id, schema_name, table_name, record_id, action)"
            " VALUES (now(), pg_current_xact_id(), 'public', 'users', '1', 'DELETE')")
