"""A user calls a read with a wrong argument: each mistake gets an error that says what is wrong."""

import re

import psycopg
import pytest

from helpers_time import moment


@pytest.fixture
def t(db):
    db.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)")
    db.execute("SELECT audit.enable('t')")
    db.execute("INSERT INTO t VALUES (1, 'a')")
    return "t"


@pytest.fixture
def members(db):
    db.execute("CREATE TABLE members (org_id int, user_id int, role text, PRIMARY KEY (org_id, user_id))")
    db.execute("SELECT audit.enable('members')")
    db.execute("INSERT INTO members VALUES (1, 2, 'admin')")
    return "members"


# Every read, with {tbl} {row} {id} {ts} to fill in.
READS = {
    "state_at": "SELECT * FROM audit.state_at({tbl}, {id}, {ts})",
    "history": "SELECT * FROM audit.history({tbl}, {id})",
    "table_at": "SELECT * FROM audit.table_at({tbl}, {ts})",
    "row_at": "SELECT audit.row_at({row}, {id}, {ts})",
    "rows_at": "SELECT * FROM audit.rows_at({row}, {ts})",
}
KEYED = ["state_at", "history", "row_at"]
TIMED = ["state_at", "table_at", "row_at", "rows_at"]


def read(conn, name, tbl="'t'", row="NULL::t", id="1", ts="clock_timestamp()"):
    return conn.execute(READS[name].format(tbl=tbl, row=row, id=id, ts=ts)).fetchall()


def fails(conn, names, sqlstates, *patterns, **args):
    """Every read in ``names`` with ``args`` fails with one of ``sqlstates``, its message matching ``patterns``."""
    sqlstates = (sqlstates,) if isinstance(sqlstates, str) else sqlstates
    for name in names:
        query = READS[name].format(**{"tbl": "'t'", "row": "NULL::t", "id": "1", "ts": "clock_timestamp()", **args})
        try:
            conn.execute(query).fetchall()
        except psycopg.Error as err:
            assert err.sqlstate in sqlstates, f"{query}: expected SQLSTATE {sqlstates}, got {err.sqlstate}: {err}"
            for pattern in patterns:
                assert re.search(pattern, str(err)), f"{query}: message {str(err)!r} does not match {pattern!r}"
        else:
            pytest.fail(f"{query} did not fail")


def test_a_table_that_was_never_audited(db):
    db.execute('CREATE SCHEMA s')
    db.execute('CREATE TABLE s."Plain Table" (id int PRIMARY KEY)')
    fails(db, READS, "55000", r's\."Plain Table"', "not audited",
          tbl="'s.\"Plain Table\"'", row='NULL::s."Plain Table"')


def test_an_unknown_table(db):
    fails(db, ["state_at", "history", "table_at"], "42P01", "no_such_table", tbl="'no_such_table'")
    fails(db, ["row_at", "rows_at"], "42704", "no_such_table", row="NULL::no_such_table")


def test_a_null_table(db, t):
    fails(db, ["state_at", "history", "table_at"], "22004", tbl="NULL::regclass")


def test_a_null_timestamp(db, t):
    fails(db, TIMED, "22004", "ts", ts="NULL::timestamptz")
    fails(db, TIMED, "22004", ts="NULL")


def test_a_null_key(db, t, members):
    for null in ("NULL", "NULL::bigint", "NULL::jsonb"):
        fails(db, KEYED, "22004", "key", id=null)
        fails(db, KEYED, "22004", "key", id=null, tbl="'members'", row="NULL::members")


def test_a_key_that_is_not_of_the_key_type(db, t):
    for bad in ("'abc'", "'1.5'", "'{1}'", "true", "'1 2'", "''"):
        fails(db, KEYED, "22P02", r"\bt\b", r"\bid\b", id=bad)
    # Out of range for bigint: a data error that names the table and the key too.
    fails(db, KEYED, ("22P02", "22003"), r"\bt\b", r"\bid\b", id="'99999999999999999999999'")


def test_an_integer_key_out_of_range_of_the_key_column(db):
    db.execute("CREATE TABLE small (id smallint PRIMARY KEY)")
    db.execute("SELECT audit.enable('small')")
    fails(db, KEYED, ("22P02", "22003"), "small", "id", id="100000", tbl="'small'", row="NULL::small")


def test_a_bad_uuid_key(db):
    db.execute("CREATE TABLE docs (id uuid PRIMARY KEY)")
    db.execute("SELECT audit.enable('docs')")
    fails(db, KEYED, "22P02", "docs", "id", tbl="'docs'", row="NULL::docs", id="'not-a-uuid'")


def test_a_composite_key_of_the_wrong_shape(db, members):
    for bad in ("1", "'1'", "'{\"org_id\": 1}'::jsonb", "'{\"org_id\": 1, \"user_id\": 2, \"x\": 3}'::jsonb",
                "'{\"org\": 1, \"user_id\": 2}'::jsonb", "'[1, 2]'::jsonb", "'{}'::jsonb", "'3'::jsonb"):
        fails(db, KEYED, "22023", "members", "org_id", "user_id", tbl="'members'", row="NULL::members", id=bad)


def test_a_composite_key_with_a_value_of_the_wrong_type(db, members):
    fails(db, KEYED, "22P02", "members", tbl="'members'", row="NULL::members",
          id="'{\"org_id\": \"x\", \"user_id\": 2}'::jsonb")


def test_typed_reads_need_a_table_row_type(db, t):
    db.execute("CREATE VIEW tv AS SELECT * FROM t")
    db.execute("CREATE TYPE pair AS (id bigint, v text)")
    db.execute("CREATE MATERIALIZED VIEW tm AS SELECT * FROM t")
    for row, shown in (("NULL::tv", "tv"), ("NULL::pair", "pair"), ("NULL::bigint", "bigint"), ("NULL::tm", "tm")):
        fails(db, ["row_at", "rows_at"], "42809", shown, row=row)


def test_reads_of_a_disabled_table_still_work(db, t):
    db.execute("UPDATE t SET v = 'b'")
    ts = moment(db)
    db.execute("SELECT audit.disable('t')")
    assert db.execute("SELECT state FROM audit.state_at('t', 1, %s)", [ts]).fetchall() == [({"id": 1, "v": "b"},)]
    assert db.execute("SELECT action FROM audit.history('t', 1)").fetchall() == [("INSERT",), ("UPDATE",)]
    assert db.execute("SELECT record_id FROM audit.table_at('t', %s)", [ts]).fetchall() == [("1",)]
    assert db.execute("SELECT (audit.row_at(NULL::t, 1, %s)).v", [ts]).fetchone() == ("b",)
    assert db.execute("SELECT v FROM audit.rows_at(NULL::t, %s)", [ts]).fetchall() == [("b",)]


def test_a_failed_read_changes_nothing(db, t):
    before = db.execute("SELECT count(*), max(id) FROM audit.logs").fetchone()
    with db.transaction():
        with pytest.raises(psycopg.Error):
            with db.transaction():
                db.execute("SELECT * FROM audit.state_at('t', 'abc', clock_timestamp())")
        assert db.execute("SELECT state->>'v' FROM audit.state_at('t', 1, clock_timestamp())").fetchone() == ("a",)
    assert db.execute("SELECT count(*), max(id) FROM audit.logs").fetchone() == before
