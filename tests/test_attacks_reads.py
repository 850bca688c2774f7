"""Situations from an adversarial review of the reads, each as a user meets it.

A deferred key lets one transaction hold two records on one key for a while: the reads must work
out which record a DELETE (or a key change) took away. A composite key with a NULL part is an
error, not an empty answer. A huge bad key is not echoed whole in the error. audit.diff names
itself and the argument when given something that is not a JSON object.
"""

import psycopg
import pytest
from psycopg.types.json import Jsonb

from helpers_time import expect_sqlstate, history, moment, state, table_at, versions, write


@pytest.fixture
def d(db):
    db.execute("CREATE TABLE d (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text, n int)")
    db.execute("SELECT audit.enable('d')")
    db.execute("INSERT INTO d VALUES (20, 'old', 1), (30, 'other', 1)")
    return "d"


def r(key, v, n=1):
    return {"id": key, "v": v, "n": n}


# --------------------------------------------------------------------------------------------
# A key with a NULL part
# --------------------------------------------------------------------------------------------

KEYED = {
    "state_at": "SELECT * FROM audit.state_at({tbl}, {id}, clock_timestamp())",
    "history": "SELECT * FROM audit.history({tbl}, {id})",
    "row_at": "SELECT audit.row_at(NULL::{tbl_name}, {id}, clock_timestamp())",
}


def each_read_fails(db, tbl, key, sqlstate, *patterns):
    for name, query in KEYED.items():
        with expect_sqlstate(sqlstate, *patterns, rf"audit\.{name}"):
            db.execute(query.format(tbl=f"'{tbl}'", tbl_name=tbl, id=key)).fetchall()


@pytest.fixture
def memberships(db):
    db.execute("CREATE TABLE memberships (user_id int, organization_id int, role text,"
               " PRIMARY KEY (user_id, organization_id))")
    db.execute("SELECT audit.enable('memberships')")
    db.execute("INSERT INTO memberships VALUES (1, 7, 'member')")
    return "memberships"


def test_a_composite_key_with_a_null_part(db, memberships):
    each_read_fails(db, memberships, """'{"user_id": 1, "organization_id": null}'::jsonb""",
                    "22004", "memberships", "organization_id", "NULL")
    each_read_fails(db, memberships, """'{"user_id": null, "organization_id": 7}'::jsonb""",
                    "22004", "memberships", "user_id", "NULL")


def test_a_null_whole_key_is_still_an_error(db, memberships):
    each_read_fails(db, memberships, "NULL::jsonb", "22004", "key")


def test_a_one_column_key_given_as_json_null(db, d):
    each_read_fails(db, d, "'null'::jsonb", "22004", r"\bd\b", r"\bid\b", "NULL")
    each_read_fails(db, d, """'{"id": null}'::jsonb""", "22004", r"\bd\b", r"\bid\b", "NULL")


def test_a_timestamp_key_with_a_null_part(db):
    db.execute("CREATE TABLE slots (room text, starts timestamptz, PRIMARY KEY (room, starts))")
    db.execute("SELECT audit.enable('slots')")
    each_read_fails(db, "slots", """'{"room": "a", "starts": null}'::jsonb""", "22004", "slots", "starts")


# --------------------------------------------------------------------------------------------
# A huge bad key
# --------------------------------------------------------------------------------------------

def short_message(err: psycopg.Error, length: int):
    message = err.diag.message_primary
    assert len(message) < 1000, f"message of {len(message)} characters: {message[:300]}..."
    assert "x" * 90 in message and f"... ({length} characters)" in message, message


def test_a_huge_key_of_the_wrong_type_is_not_echoed_whole(db, d):
    for name, query in KEYED.items():
        with expect_sqlstate("22P02", r"\bd\b") as info:
            db.execute(query.format(tbl="'d'", tbl_name="d", id="repeat('x', 100000)")).fetchall()
        short_message(info.value, 100000)


def test_a_huge_key_of_the_wrong_shape_is_not_echoed_whole(db, memberships):
    huge_object = """jsonb_build_object('user_id', 1, 'org', repeat('x', 100000))"""
    huge_text = "repeat('x', 100000)"
    for key, sqlstate, length in ((huge_object, "22023", 100000 + len('{"org": "", "user_id": 1}')),
                                  (huge_text, "22023", 100000)):
        for name, query in KEYED.items():
            with expect_sqlstate(sqlstate, "memberships") as info:
                db.execute(query.format(tbl="'memberships'", tbl_name="memberships", id=key)).fetchall()
            short_message(info.value, length)


def test_a_huge_composite_key_value_of_the_wrong_type(db, memberships):
    key = "jsonb_build_object('user_id', repeat('x', 100000), 'organization_id', 7)"
    for name, query in KEYED.items():
        with expect_sqlstate("22P02", "memberships") as info:
            db.execute(query.format(tbl="'memberships'", tbl_name="memberships", id=key)).fetchall()
        assert len(info.value.diag.message_primary) < 1000, info.value.diag.message_primary[:300]


def test_a_short_bad_key_is_shown_as_it_is(db, d):
    with expect_sqlstate("22P02", r"key abc is not a valid key of table (public\.)?d\b"):
        db.execute("SELECT * FROM audit.state_at('d', 'abc', clock_timestamp())")


# --------------------------------------------------------------------------------------------
# audit.diff given something that is not a row
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("before, after, which, kind", [
    ("'[1]'", "'{}'", "before", "array"),
    ("'{}'", "'[1]'", "after", "array"),
    ("'1'", "'{}'", "before", "number"),
    ("'{}'", "'\"x\"'", "after", "string"),
    ("'true'", "'{}'", "before", "boolean"),
    ("'null'", "'{}'", "before", "null"),
])
def test_diff_of_something_that_is_not_an_object(db, before, after, which, kind):
    with expect_sqlstate("22023", r"audit\.diff", which, kind):
        db.execute(f"SELECT audit.diff({before}::jsonb, {after}::jsonb)")


def test_diff_still_treats_sql_null_as_an_empty_row(db):
    assert db.execute("""SELECT audit.diff(NULL, '{"a": 1}')""").fetchone()[0] == {"a": {"old": None, "new": 1}}
    assert db.execute("""SELECT audit.diff('{"a": 1}', NULL)""").fetchone()[0] == {"a": {"old": 1, "new": None}}
    assert db.execute("SELECT audit.diff(NULL, NULL)").fetchone()[0] == {}
    assert db.execute("""SELECT audit.diff('{"a": 1, "b": 2}', '{"a": 1.0, "b": 2}')""").fetchone()[0] == {
        "a": {"old": 1, "new": 1.0}}
    assert db.execute("""SELECT provolatile FROM pg_proc WHERE oid = 'audit.diff(jsonb, jsonb)'::regprocedure"""
                      ).fetchone()[0] == "i"
