"""A moderator asks who belonged where at a moment: reads filtered by column values (SPEC §5).

``audit.table_at(tbl, ts, filter)`` and ``audit.rows_at(NULL::t, ts, filter)`` return the records
whose state at ``ts`` contains ``filter``. The columns of a composite key and the
``lookup_columns`` of ``audit.enable`` are indexed for it; any other column gives the same answer
from the whole table's log.
"""

import psycopg
import pytest
from psycopg.types.json import Jsonb

from helpers import raises_sqlstate
from helpers_time import moment, table_at


def filtered(conn, table: str, ts, flt: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for record_id, st in conn.execute("SELECT record_id, state FROM audit.table_at(%s, %s, %s)",
                                      [table, ts, Jsonb(flt)]):
        assert record_id not in out, f"table_at({table}, {ts}, {flt}) returned {record_id} twice"
        out[record_id] = st
    return out


def expected(conn, table: str, ts, flt: dict) -> dict[str, dict]:
    """What the filter must return: the unfiltered table_at, filtered here."""
    return {k: v for k, v in table_at(conn, table, ts).items() if all(v.get(c) == x for c, x in flt.items())}


@pytest.fixture
def memberships(db):
    db.execute("CREATE TABLE m (user_id int NOT NULL, org_id int NOT NULL, role text NOT NULL,"
               " note text, PRIMARY KEY (user_id, org_id))")
    db.execute("SELECT audit.enable('m', lookup_columns => '{role}')")
    return db


def test_a_users_memberships_and_an_organizations_members_at_each_moment(memberships):
    db = memberships
    moments = []
    db.execute("INSERT INTO m VALUES (1, 10, 'member', 'a'), (1, 11, 'admin', 'b'), (2, 10, 'member', 'c')")
    moments.append(moment(db))
    db.execute("UPDATE m SET role = 'owner' WHERE user_id = 1 AND org_id = 10")
    moments.append(moment(db))
    db.execute("DELETE FROM m WHERE user_id = 1 AND org_id = 11")  # user 1 leaves org 11
    moments.append(moment(db))
    db.execute("UPDATE m SET user_id = 3 WHERE user_id = 2")  # the key changes: user 2's row now user 3's
    moments.append(moment(db))
    db.execute("INSERT INTO m VALUES (1, 11, 'member', 'back')")  # and re-joins
    moments.append(moment(db))

    assert filtered(db, "m", moments[0], {"user_id": 1}) == {
        '{"org_id": 10, "user_id": 1}': {"user_id": 1, "org_id": 10, "role": "member", "note": "a"},
        '{"org_id": 11, "user_id": 1}': {"user_id": 1, "org_id": 11, "role": "admin", "note": "b"},
    }
    assert set(filtered(db, "m", moments[2], {"user_id": 1})) == {'{"org_id": 10, "user_id": 1}'}
    assert filtered(db, "m", moments[4], {"user_id": 1})['{"org_id": 11, "user_id": 1}']["note"] == "back"
    # Matched earlier, not at the moment: not returned; matched later: not yet.
    assert filtered(db, "m", moments[3], {"user_id": 2}) == {}
    assert filtered(db, "m", moments[2], {"user_id": 2}) == {'{"org_id": 10, "user_id": 2}': {
        "user_id": 2, "org_id": 10, "role": "member", "note": "c"}}
    assert set(filtered(db, "m", moments[3], {"user_id": 3})) == {'{"org_id": 10, "user_id": 3}'}
    assert filtered(db, "m", moments[2], {"user_id": 3}) == {}
    # The other key column, a lookup column, an unindexed column, and several at once.
    for ts in moments:
        for flt in ({"org_id": 10}, {"org_id": 11}, {"role": "member"}, {"role": "owner"}, {"note": "c"},
                    {"user_id": 1, "org_id": 10}, {"org_id": 10, "role": "member"}, {"user_id": 99}, {}):
            assert filtered(db, "m", ts, flt) == expected(db, "m", ts, flt), (ts, flt)


def test_typed_rows_with_a_filter(memberships):
    db = memberships
    db.execute("INSERT INTO m VALUES (1, 10, 'member', NULL), (1, 11, 'admin', NULL), (2, 10, 'member', NULL)")
    ts = moment(db)
    db.execute("DELETE FROM m")
    rows = db.execute("SELECT user_id, org_id, role FROM audit.rows_at(NULL::m, %s, '{\"org_id\": 10}')"
                      " ORDER BY user_id", [ts]).fetchall()
    assert rows == [(1, 10, "member"), (2, 10, "member")]
    assert db.execute("SELECT count(*) FROM audit.rows_at(NULL::m, %s, NULL)", [ts]).fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM audit.rows_at(NULL::m, %s)", [ts]).fetchone()[0] == 3
    assert db.execute("SELECT count(*) FROM audit.table_at('m', %s, NULL)", [ts]).fetchone()[0] == 3


def test_a_filter_compares_json_values_as_the_log_holds_them(memberships):
    db = memberships
    db.execute("INSERT INTO m VALUES (1, 10, 'member', NULL)")
    ts = moment(db)
    assert len(filtered(db, "m", ts, {"user_id": 1.0})) == 1  # a number is a number
    assert filtered(db, "m", ts, {"user_id": "1"}) == {}  # the log holds 1, not "1"
    assert len(filtered(db, "m", ts, {"note": None})) == 1  # JSON null matches a NULL value


def test_lookup_columns_are_indexed_and_shown(memberships):
    db = memberships
    names = db.execute(
        "SELECT audit._lookup_index_name('public', 'm', c) FROM unnest(array['org_id', 'role', 'user_id']) c"
    ).fetchall()
    for (name,) in names:
        assert db.execute("SELECT to_regclass('audit.' || %s) IS NOT NULL", [name]).fetchone()[0], name
    assert db.execute("SELECT lookup_columns FROM audit.tables WHERE table_name = 'm'::regclass").fetchone()[0] \
        == ["role"]
    # Enabling again without the option drops its index; the key columns' stay.
    db.execute("SELECT audit.enable('m')")
    present = [db.execute("SELECT to_regclass('audit.' || %s) IS NOT NULL", [n]).fetchone()[0] for (n,) in names]
    assert present == [True, False, True]
    assert db.execute("SELECT lookup_columns FROM audit.tables WHERE table_name = 'm'::regclass").fetchone()[0] == []


def test_a_single_key_table_with_a_lookup_column(db):
    db.execute("CREATE TABLE u (id int PRIMARY KEY, org int, email text)")
    db.execute("SELECT audit.enable('u', lookup_columns => array['org'])")
    db.execute("INSERT INTO u SELECT g, g % 3, 'u' || g FROM generate_series(1, 30) g")
    t1 = moment(db)
    db.execute("UPDATE u SET org = 7 WHERE id <= 5")
    db.execute("UPDATE u SET id = id + 100 WHERE id % 2 = 0")
    t2 = moment(db)
    db.execute("DELETE FROM u WHERE org = 7")
    t3 = moment(db)
    for ts in (t1, t2, t3):
        for org in (0, 1, 2, 7):
            assert filtered(db, "u", ts, {"org": org}) == expected(db, "u", ts, {"org": org}), (ts, org)
    assert len(filtered(db, "u", t2, {"org": 7})) == 5
    assert filtered(db, "u", t3, {"org": 7}) == {}


def test_bad_filters_and_options_are_refused_naming_the_problem(memberships):
    db = memberships
    with raises_sqlstate("22023", "audit.table_at", "filter must be a jsonb object"):
        db.execute("SELECT * FROM audit.table_at('m', now(), '[1]')")
    with raises_sqlstate("42703", "audit.table_at", "usr_id", "m"):
        db.execute("SELECT * FROM audit.table_at('m', now(), '{\"usr_id\": 1}')")
    with raises_sqlstate("22004", "audit.table_at", "ts"):
        db.execute("SELECT * FROM audit.table_at('m', NULL, '{\"user_id\": 1}')")
    with raises_sqlstate("42703", "lookup_columns", "rol"):
        db.execute("SELECT audit.enable('m', lookup_columns => '{rol}')")
    with raises_sqlstate("22023", "lookup column", "note", "redact_columns"):
        db.execute("SELECT audit.enable('m', redact_columns => '{note}', lookup_columns => '{note}')")
    with raises_sqlstate("22023", "lookup column", "note", "ignore_columns", "stale"):
        db.execute("SELECT audit.enable('m', ignore_columns => '{note}', lookup_columns => '{note}')")
    # Nothing changed.
    assert db.execute("SELECT redact_columns, lookup_columns FROM audit.tables WHERE table_name = 'm'::regclass"
                      ).fetchone() == ([], ["role"])
    db.execute("CREATE TABLE plain (id int PRIMARY KEY)")
    with raises_sqlstate("55000", "audit.table_at", "plain", "not audited"):
        db.execute("SELECT * FROM audit.table_at('plain', now(), '{\"id\": 1}')")


def test_only_the_log_owner_can_add_lookup_columns(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.tm (a int NOT NULL, b int NOT NULL, PRIMARY KEY (a, b))")
    s.grant("app.tm")
    s.pkg.execute("SELECT audit.enable('app.tm')")
    s.app.execute("INSERT INTO app.tm VALUES (1, 2)")
    ts = s.analyst.execute("SELECT clock_timestamp()").fetchone()[0]
    assert s.analyst.execute("SELECT count(*) FROM audit.table_at('app.tm', %s, '{\"b\": 2}')", [ts]).fetchone()[0] == 1
    # A role that may not read the log may not read it filtered either.
    with raises_sqlstate("42501", "audit.table_at", "audit.logs"):
        s.app.execute("SELECT * FROM audit.table_at('app.tm', now(), '{\"b\": 2}')")


def test_array_and_jsonb_lookup_columns_match_by_containment_as_unindexed_ones(db):
    db.execute("CREATE TABLE d (id int PRIMARY KEY, tags text[], meta jsonb, kind text)")
    db.execute("SELECT audit.enable('d', lookup_columns => '{tags,meta,kind}')")
    db.execute("""INSERT INTO d VALUES (1, '{a,b}', '{"k": 1, "j": 2}', 'x'), (2, '{b}', '{"k": 2}', 'x')""")
    ts = moment(db)
    for flt in ({"tags": ["a"]}, {"tags": ["b"]}, {"tags": ["a", "b"]}, {"meta": {"k": 1}}, {"meta": {}},
                {"kind": "x", "tags": ["a"]}, {"kind": "x", "meta": {"k": 2}}):
        assert filtered(db, "d", ts, flt) == expected_containing(db, "d", ts, flt), flt
    assert set(filtered(db, "d", ts, {"tags": ["b"]})) == {"1", "2"}


def expected_containing(conn, table: str, ts, flt: dict) -> dict[str, dict]:
    return {k: v for k, v in conn.execute(
        "SELECT record_id, state FROM audit.table_at(%s, %s) WHERE state @> %s", [table, ts, Jsonb(flt)])}


def test_a_lookup_index_that_is_missing_only_costs_time(memberships):
    # As after the upgrade from 0.2.0, before audit.enable runs again: the composite key's indexes
    # are not there yet. The answer is the same, from the table's whole log.
    db = memberships
    db.execute("INSERT INTO m VALUES (1, 10, 'member', NULL), (2, 10, 'admin', NULL)")
    ts = moment(db)
    for c in ("user_id", "org_id", "role"):
        db.execute(db.execute("SELECT format('DROP INDEX audit.%%I', audit._lookup_index_name('public', 'm', %s))",
                              [c]).fetchone()[0])
    assert set(filtered(db, "m", ts, {"org_id": 10})) == {'{"org_id": 10, "user_id": 1}', '{"org_id": 10, "user_id": 2}'}
    assert set(filtered(db, "m", ts, {"role": "admin"})) == {'{"org_id": 10, "user_id": 2}'}
    db.execute("SELECT audit.enable('m', lookup_columns => '{role}')")  # builds them again
    assert db.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'logs\\_lookup\\_%%'").fetchone()[0] == 3
