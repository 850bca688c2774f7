"""A user looks a record up by its key, whatever the key's type and however the driver sends it.

Integers come from drivers as smallint, integer or bigint; uuids as uuid or text; timestamps in
the session's time zone; numerics with any scale. They all name the same record.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from psycopg.types.json import Jsonb

from helpers_time import history, moment, state, state_at, table_at, versions


@pytest.mark.parametrize("key_type", ["smallint", "integer", "bigint"])
def test_an_integer_key_given_as_any_integer_type(db, key_type):
    db.execute(f"CREATE TABLE t (id {key_type} PRIMARY KEY, v text)")
    db.execute("SELECT audit.enable('t')")
    db.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
    db.execute("UPDATE t SET v = 'uno' WHERE id = 1")
    for given in ("1", "1::smallint", "1::integer", "1::bigint", "'1'", "'1'::text", "1::numeric"):
        found = db.execute(f"SELECT record_id, state FROM audit.state_at('t', {given}, clock_timestamp())").fetchall()
        assert found == [("1", {"id": 1, "v": "uno"})], given
        hist = db.execute(f"SELECT action, state FROM audit.history('t', {given})").fetchall()
        assert hist == [("INSERT", {"id": 1, "v": "one"}), ("UPDATE", {"id": 1, "v": "uno"})], given


def test_integer_keys_sent_by_the_driver_at_every_size(db):
    # psycopg sends a Python int as smallint, integer, bigint or numeric depending on its size.
    db.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text)")
    db.execute("SELECT audit.enable('t')")
    values = [1, 32767, 32768, 2**31 - 1, 2**31, 2**62, -5]
    for value in values:
        db.execute("INSERT INTO t VALUES (%s, %s)", [value, f"v{value}"])
    ts = moment(db)
    for value in values:
        found = state_at(db, "t", value, ts)
        assert found["record_id"] == str(value)
        assert found["state"] == {"id": value, "v": f"v{value}"}
        assert versions(db, "t", value) == [("INSERT", {"id": value, "v": f"v{value}"})]


def test_uuid_keys(db):
    db.execute("CREATE TABLE docs (id uuid PRIMARY KEY, title text)")
    db.execute("SELECT audit.enable('docs')")
    a, b = uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), uuid.uuid4()
    db.execute("INSERT INTO docs VALUES (%s, 'first'), (%s, 'second')", [a, b])
    db.execute("UPDATE docs SET title = 'first, edited' WHERE id = %s", [a])
    ts = moment(db)
    expected = {"id": str(a), "title": "first, edited"}
    assert state(db, "docs", a, ts) == expected
    assert state(db, "docs", str(a), ts) == expected  # as text
    assert state(db, "docs", str(a).upper(), ts) == expected  # any spelling of the same uuid
    assert state_at(db, "docs", a, ts)["record_id"] == str(a)
    assert db.execute("SELECT state->>'title' FROM audit.state_at("
                      "'docs', 'A0EEBC999C0B4EF8BB6D6BB9BD380A11'::uuid, clock_timestamp())").fetchone() == (
        "first, edited",)
    assert [a_ for a_, _ in versions(db, "docs", a)] == ["INSERT", "UPDATE"]
    assert state(db, "docs", b, ts) == {"id": str(b), "title": "second"}
    assert state_at(db, "docs", uuid.uuid4(), ts) is None


TEXT_KEYS = ["O'Brien", "Zoë 🚀", "with space ", "", "{\"a\": 1}", "1", "NULL", "a,b", "line\nbreak", '"quoted"',
             "back\\slash"]


def test_text_keys(db):
    db.execute("CREATE TABLE tags (name text PRIMARY KEY, uses int)")
    db.execute("SELECT audit.enable('tags')")
    for text_key in TEXT_KEYS:
        db.execute("INSERT INTO tags VALUES (%s, 1)", [text_key])
    db.execute("UPDATE tags SET uses = 2")
    ts = moment(db)
    for text_key in TEXT_KEYS:
        found = state_at(db, "tags", text_key, ts)
        assert found["state"] == {"name": text_key, "uses": 2}, text_key
        assert found["record_id"] == text_key
        assert [s["uses"] for _, s in versions(db, "tags", text_key)] == [1, 2]
    assert state_at(db, "tags", "o'brien", ts) is None
    assert sorted(table_at(db, "tags", ts)) == sorted(TEXT_KEYS)


def test_a_text_key_given_as_an_untyped_literal(db):
    db.execute("CREATE TABLE tags (name varchar(20) PRIMARY KEY, uses int)")
    db.execute("SELECT audit.enable('tags')")
    db.execute("INSERT INTO tags VALUES ('red', 1)")
    assert db.execute("SELECT state FROM audit.state_at('tags', 'red', clock_timestamp())").fetchall() == [
        ({"name": "red", "uses": 1},)]
    assert db.execute("SELECT action FROM audit.history('tags', 'red')").fetchall() == [("INSERT",)]


def test_a_timestamptz_key_read_in_another_time_zone_and_date_style(db, connect):
    db.execute("CREATE TABLE readings (taken_at timestamptz PRIMARY KEY, value int)")
    db.execute("SELECT audit.enable('readings')")
    writer = connect()
    writer.execute("SET TimeZone = 'Asia/Kolkata'")
    writer.execute("INSERT INTO readings VALUES ('2024-03-01 12:00:00.123456', 1), ('2024-03-01 12:00:01', 2)")
    writer.execute("UPDATE readings SET value = 10 WHERE value = 1")
    reader = connect()
    reader.execute("SET TimeZone = 'America/St_Johns'")
    reader.execute("SET DateStyle = 'SQL, DMY'")
    ts = moment(reader)
    instant = datetime(2024, 3, 1, 6, 30, 0, 123456, tzinfo=timezone.utc)
    for given in (instant, instant.astimezone(timezone(timedelta(hours=-3, minutes=-30))),
                  "2024-03-01 06:30:00.123456+00", "2024-03-01T12:00:00.123456+05:30"):
        found = state_at(reader, "readings", given, ts)
        assert found is not None, given
        assert found["state"]["value"] == 10
    assert [a for a, _ in versions(reader, "readings", instant)] == ["INSERT", "UPDATE"]
    # The same record from a session in a third time zone, key given as session-local text.
    other = connect()
    other.execute("SET TimeZone = 'UTC'")
    assert state(other, "readings", "2024-03-01 06:30:01", ts)["value"] == 2
    assert state_at(other, "readings", instant + timedelta(microseconds=1), ts) is None
    # The record ids do not depend on the writer's session.
    assert len(table_at(reader, "readings", ts)) == 2


def test_a_numeric_key_with_any_scale_is_one_record(db):
    db.execute("CREATE TABLE prices (amount numeric PRIMARY KEY, label text)")
    db.execute("SELECT audit.enable('prices')")
    db.execute("INSERT INTO prices VALUES (1.50, 'one fifty'), (2, 'two')")
    db.execute("UPDATE prices SET label = 'one and a half' WHERE amount = 1.5")
    t1 = moment(db)
    for given in ("1.5", "1.50", "1.500::numeric", "'1.5000'", "1.5::numeric(10,4)"):
        found = db.execute(
            f"SELECT record_id, state->>'label' FROM audit.state_at('prices', {given}, %s)", [t1]).fetchall()
        assert found == [("1.5", "one and a half")], given
    for given in ("2", "2.0", "'2.00'"):
        found = db.execute(f"SELECT state->>'label' FROM audit.state_at('prices', {given}, %s)", [t1]).fetchall()
        assert found == [("two",)], given
    assert db.execute("SELECT array_agg(action ORDER BY log_id) FROM audit.history('prices', 1.500)").fetchone()[0] \
        == ["INSERT", "UPDATE"]
    # A change of scale only is a change of the row, not of the record.
    db.execute("UPDATE prices SET amount = 1.5 WHERE amount = 1.50")
    t2 = moment(db)
    assert db.execute("SELECT state->'amount' FROM audit.state_at('prices', 1.5, %s)", [t2]).fetchone()[0] == 1.5
    assert db.execute("SELECT count(*) FROM audit.history('prices', 1.5)").fetchone()[0] == 3
    assert db.execute("SELECT state->>'amount' FROM audit.state_at('prices', 1.5, %s)", [t1]).fetchone()[0] == "1.50"


def test_a_date_key(db):
    db.execute("CREATE TABLE days (day date PRIMARY KEY, note text)")
    db.execute("SELECT audit.enable('days')")
    db.execute("SET DateStyle = 'German, DMY'")
    db.execute("INSERT INTO days VALUES ('2024-02-29', 'leap')")
    ts = moment(db)
    assert state(db, "days", "29.02.2024", ts)["note"] == "leap"
    db.execute("SET DateStyle = 'ISO, MDY'")
    assert state(db, "days", "2024-02-29", ts)["note"] == "leap"
    assert db.execute("SELECT state->>'note' FROM audit.state_at('days', DATE '2024-02-29', %s)", [ts]).fetchone() == (
        "leap",)


# --------------------------------------------------------------------------------------------
# Composite keys
# --------------------------------------------------------------------------------------------

@pytest.fixture
def members(db):
    db.execute("CREATE TABLE members (org_id int, user_name text, role text, PRIMARY KEY (org_id, user_name))")
    db.execute("SELECT audit.enable('members')")
    db.execute("INSERT INTO members VALUES (1, 'ann', 'member'), (1, 'bob', 'admin'), (2, 'ann', 'owner')")
    db.execute("UPDATE members SET role = 'admin' WHERE org_id = 1 AND user_name = 'ann'")
    return "members"


def test_a_composite_key_as_a_jsonb_object(db, members):
    ts = moment(db)
    assert state(db, members, Jsonb({"org_id": 1, "user_name": "ann"}), ts) == {
        "org_id": 1, "user_name": "ann", "role": "admin"}
    assert state(db, members, Jsonb({"org_id": 2, "user_name": "ann"}), ts)["role"] == "owner"
    assert state_at(db, members, Jsonb({"org_id": 2, "user_name": "bob"}), ts) is None
    assert [a for a, _ in versions(db, members, Jsonb({"org_id": 1, "user_name": "ann"}))] == ["INSERT", "UPDATE"]


def test_a_composite_key_in_any_member_order_and_as_a_literal(db, members):
    found = db.execute("""SELECT state->>'role' FROM audit.state_at('members',
                          '{"user_name": "ann", "org_id": 1}'::jsonb, clock_timestamp())""").fetchall()
    assert found == [("admin",)]
    found = db.execute("""SELECT state->>'role' FROM audit.state_at('members',
                          jsonb_build_object('org_id', 1::bigint, 'user_name', 'bob'), clock_timestamp())""").fetchall()
    assert found == [("admin",)]


def test_table_at_names_composite_records_by_their_key(db, members):
    ts = moment(db)
    found = table_at(db, members, ts)
    import json
    assert sorted((json.loads(k)["org_id"], json.loads(k)["user_name"]) for k in found) == [
        (1, "ann"), (1, "bob"), (2, "ann")]
    for k, st in found.items():
        assert json.loads(k) == {"org_id": st["org_id"], "user_name": st["user_name"]}
        assert state(db, members, Jsonb(json.loads(k)), ts) == st


def test_history_of_a_composite_key_is_the_records_only(db, members):
    hist = history(db, members, Jsonb({"org_id": 2, "user_name": "ann"}))
    assert [(h["action"], h["state"]["role"]) for h in hist] == [("INSERT", "owner")]
