"""A record's key changes: renumbering, chains of renames, shifts, swaps, and keys used again.

history(K) follows the record that has (or last had) key K, backwards to its earlier keys and, if K
was left by a key change, forwards to where the record went. A key used again by a new record
after the old one was deleted (or moved away) starts a new history: the old one stays in the log.
state_at(K, ts) is whatever record had key K at ts.
"""

import pytest

from helpers_time import history, log_of, moment, rows, state, state_at, table_at, versions, write


@pytest.fixture
def t(db):
    # DEFERRABLE: uniqueness is checked at the end of each statement, so shifts and swaps work in
    # any row order (a plain primary key checks row by row).
    db.execute("CREATE TABLE t (id int PRIMARY KEY DEFERRABLE INITIALLY IMMEDIATE, v text)")
    db.execute("SELECT audit.enable('t')")
    return "t"


def r(key, v):
    return {"id": key, "v": v}


def test_a_single_key_change(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET v = 'b'")
    t1 = moment(db)
    db.execute("UPDATE t SET id = 2")
    t2 = moment(db)
    db.execute("UPDATE t SET v = 'c'")
    t3 = moment(db)
    expected = [("INSERT", r(1, "a")), ("UPDATE", r(1, "b")), ("UPDATE", r(2, "b")), ("UPDATE", r(2, "c"))]
    assert versions(db, t, 2) == expected
    assert versions(db, t, 1) == expected  # the key it left leads to the record
    assert state(db, t, 1, t1) == r(1, "b")
    assert state_at(db, t, 2, t1) is None
    assert state_at(db, t, 1, t2) is None
    assert state(db, t, 2, t2) == r(2, "b")
    assert state(db, t, 2, t3) == r(2, "c")
    [change] = [e for e in log_of(db, "t") if e["old_record_id"]]
    assert (change["record_id"], change["old_record_id"]) == ("2", "1")


def test_a_key_change_and_a_value_change_in_one_statement(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 5, v = 'e'")
    assert versions(db, t, 5) == [("INSERT", r(1, "a")), ("UPDATE", r(5, "e"))]
    hist = history(db, t, 1)
    assert hist[-1]["changed_fields"] == ["id", "v"]


def test_a_chain_of_key_changes_over_transactions(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    moments = [moment(db)]
    for new in (2, 3, 4):
        db.execute("UPDATE t SET id = %s", [new])
        moments.append(moment(db))
    expected = [("INSERT", r(1, "a"))] + [("UPDATE", r(k, "a")) for k in (2, 3, 4)]
    for key in (1, 2, 3, 4):
        assert versions(db, t, key) == expected, key
    for at, ts in enumerate(moments, start=1):
        for key in (1, 2, 3, 4):
            assert state(db, t, key, ts) == (r(key, "a") if key == at else None), (key, at)


def test_a_chain_of_key_changes_in_one_transaction(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    write(db, "UPDATE t SET id = 2", "UPDATE t SET v = 'b'", "UPDATE t SET id = 3")
    ts = moment(db)
    expected = [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("UPDATE", r(2, "b")), ("UPDATE", r(3, "b"))]
    for key in (1, 2, 3):
        assert versions(db, t, key) == expected
    assert (state_at(db, t, 1, ts), state_at(db, t, 2, ts), state(db, t, 3, ts)) == (None, None, r(3, "b"))


def test_a_key_that_moves_away_and_back(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    t1 = moment(db)
    db.execute("UPDATE t SET id = 1, v = 'back'")
    t2 = moment(db)
    expected = [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("UPDATE", r(1, "back"))]
    assert versions(db, t, 1) == expected
    assert versions(db, t, 2) == expected
    assert (state_at(db, t, 1, t1), state(db, t, 2, t1)) == (None, r(2, "a"))
    assert (state(db, t, 1, t2), state_at(db, t, 2, t2)) == (r(1, "back"), None)


def test_a_shift_of_every_key_by_one(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    t1 = moment(db)
    db.execute("UPDATE t SET id = id + 1")
    t2 = moment(db)
    assert rows(db, t) == [r(2, "a"), r(3, "b"), r(4, "c")]
    assert [state(db, t, k, t1) for k in (1, 2, 3, 4)] == [r(1, "a"), r(2, "b"), r(3, "c"), None]
    # Where one record left K and another arrived in the same statement, the arrival wins.
    assert [state(db, t, k, t2) for k in (1, 2, 3, 4)] == [None, r(2, "a"), r(3, "b"), r(4, "c")]
    assert table_at(db, t, t2) == {"2": r(2, "a"), "3": r(3, "b"), "4": r(4, "c")}
    assert table_at(db, t, t1) == {"1": r(1, "a"), "2": r(2, "b"), "3": r(3, "c")}
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]
    assert versions(db, t, 3) == [("INSERT", r(2, "b")), ("UPDATE", r(3, "b"))]
    assert versions(db, t, 4) == [("INSERT", r(3, "c")), ("UPDATE", r(4, "c"))]
    assert versions(db, t, 1) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]  # left by a key change


def test_a_shift_down_and_a_shift_back_up(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    db.execute("UPDATE t SET id = id - 1")
    db.execute("UPDATE t SET v = v || '!' WHERE id = 1")
    db.execute("UPDATE t SET id = id + 1")
    ts = moment(db)
    assert table_at(db, t, ts) == {str(x["id"]): x for x in rows(db, t)}
    assert versions(db, t, 2) == [("INSERT", r(2, "b")), ("UPDATE", r(1, "b")), ("UPDATE", r(1, "b!")),
                                  ("UPDATE", r(2, "b!"))]
    assert versions(db, t, 1) == [("INSERT", r(1, "a")), ("UPDATE", r(0, "a")), ("UPDATE", r(1, "a"))]
    assert versions(db, t, 3) == [("INSERT", r(3, "c")), ("UPDATE", r(2, "c")), ("UPDATE", r(3, "c"))]


def test_repeated_shifts_over_transactions(db, t):
    db.execute("INSERT INTO t SELECT g, 'r' || g FROM generate_series(1, 5) g")
    seen = []
    for _ in range(4):
        db.execute("UPDATE t SET id = id + 1")
        seen.append((moment(db), rows(db, t)))
    for ts, expected in seen:
        assert table_at(db, t, ts) == {str(x["id"]): x for x in expected}
        for key in range(0, 11):
            want = [x for x in expected if x["id"] == key]
            assert state(db, t, key, ts) == (want[0] if want else None), (key, ts)
    # The record first at 1 is now at 5, after four shifts.
    assert versions(db, t, 5) == [("INSERT", r(1, "r1"))] + [("UPDATE", r(k, "r1")) for k in (2, 3, 4, 5)]


def test_a_swap_in_one_statement(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    t1 = moment(db)
    db.execute("UPDATE t SET id = 3 - id")
    t2 = moment(db)
    assert rows(db, t) == [r(1, "b"), r(2, "a")]
    assert (state(db, t, 1, t1), state(db, t, 2, t1)) == (r(1, "a"), r(2, "b"))
    assert (state(db, t, 1, t2), state(db, t, 2, t2)) == (r(1, "b"), r(2, "a"))
    assert versions(db, t, 1) == [("INSERT", r(2, "b")), ("UPDATE", r(1, "b"))]
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]


def test_a_swap_through_a_spare_key_in_one_transaction(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    write(db, "UPDATE t SET id = -1 WHERE id = 1", "UPDATE t SET id = 1 WHERE id = 2",
          "UPDATE t SET id = 2 WHERE id = -1")
    ts = moment(db)
    assert table_at(db, t, ts) == {"1": r(1, "b"), "2": r(2, "a")}
    assert versions(db, t, 1) == [("INSERT", r(2, "b")), ("UPDATE", r(1, "b"))]
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(-1, "a")), ("UPDATE", r(2, "a"))]
    assert state_at(db, t, -1, ts) is None
    assert versions(db, t, -1) == versions(db, t, 2)  # -1 was left by a key change


def test_a_rotation_of_three_keys_over_transactions(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    seen = []
    for _ in range(3):
        db.execute("UPDATE t SET id = CASE id WHEN 3 THEN 1 ELSE id + 1 END")
        seen.append((moment(db), rows(db, t)))
    assert seen[-1][1] == [r(1, "a"), r(2, "b"), r(3, "c")]
    for ts, expected in seen:
        assert table_at(db, t, ts) == {str(x["id"]): x for x in expected}
        for x in expected:
            assert state(db, t, x["id"], ts) == x
    assert versions(db, t, 1) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("UPDATE", r(3, "a")),
                                  ("UPDATE", r(1, "a"))]


def test_history_of_a_record_moved_then_deleted(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    db.execute("DELETE FROM t")
    expected = [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("DELETE", None)]
    assert versions(db, t, 1) == expected
    assert versions(db, t, 2) == expected


def test_a_key_reused_after_delete_starts_a_new_history(db, t):
    db.execute("INSERT INTO t VALUES (1, 'old')")
    db.execute("UPDATE t SET v = 'old 2'")
    t1 = moment(db)
    db.execute("DELETE FROM t")
    db.execute("INSERT INTO t VALUES (1, 'new')")
    db.execute("UPDATE t SET v = 'new 2'")
    hist = history(db, t, 1)
    assert [(h["action"], h["state"]) for h in hist] == [("INSERT", r(1, "new")), ("UPDATE", r(1, "new 2"))]
    # The old record's life is still in the log, and state_at still sees it.
    old = [e["action"] for e in log_of(db, "t")][:3]
    assert old == ["INSERT", "UPDATE", "DELETE"]
    assert state(db, t, 1, t1) == r(1, "old 2")


def test_a_key_reused_after_truncate_starts_a_new_history(db, t):
    db.execute("INSERT INTO t VALUES (1, 'old')")
    db.execute("TRUNCATE t")
    db.execute("INSERT INTO t VALUES (1, 'new')")
    assert versions(db, t, 1) == [("INSERT", r(1, "new"))]


def test_a_key_reused_in_the_transaction_that_deleted_it(db, t):
    db.execute("INSERT INTO t VALUES (1, 'old')")
    write(db, "DELETE FROM t", "INSERT INTO t VALUES (1, 'new')")
    ts = moment(db)
    assert versions(db, t, 1) == [("INSERT", r(1, "new"))]
    assert state(db, t, 1, ts) == r(1, "new")


def test_a_key_reused_after_its_record_moved_away(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    t1 = moment(db)
    db.execute("INSERT INTO t VALUES (1, 'b')")
    t2 = moment(db)
    assert versions(db, t, 1) == [("INSERT", r(1, "b"))]
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]
    assert state_at(db, t, 1, t1) is None
    assert state(db, t, 1, t2) == r(1, "b")


def test_a_key_reused_in_the_statement_after_the_record_moved_away(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    write(db, "UPDATE t SET id = 2", "INSERT INTO t VALUES (1, 'b')")
    ts = moment(db)
    assert versions(db, t, 1) == [("INSERT", r(1, "b"))]
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]
    assert table_at(db, t, ts) == {"1": r(1, "b"), "2": r(2, "a")}


def test_a_record_arriving_on_a_key_of_a_deleted_record(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'gone')")
    db.execute("DELETE FROM t WHERE id = 2")
    db.execute("UPDATE t SET id = 2")
    assert versions(db, t, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]


def test_a_moved_record_deleted_then_its_key_reused(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    db.execute("DELETE FROM t")
    db.execute("INSERT INTO t VALUES (2, 'b')")
    # 1 was left by a key change; the record went to 2 and was deleted there. The new 2 is another.
    assert versions(db, t, 1) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("DELETE", None)]
    assert versions(db, t, 2) == [("INSERT", r(2, "b"))]


def test_a_moved_record_followed_to_a_key_that_is_reused_later(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    db.execute("UPDATE t SET id = 3")
    db.execute("INSERT INTO t VALUES (2, 'b')")
    expected = [("INSERT", r(1, "a")), ("UPDATE", r(2, "a")), ("UPDATE", r(3, "a"))]
    assert versions(db, t, 1) == expected
    assert versions(db, t, 3) == expected
    assert versions(db, t, 2) == [("INSERT", r(2, "b"))]


def test_history_valid_times_chain_across_key_changes(db, t):
    db.execute("INSERT INTO t VALUES (1, 'a')")
    db.execute("UPDATE t SET id = 2")
    db.execute("UPDATE t SET v = 'b'")
    db.execute("UPDATE t SET id = 3")
    hist = history(db, t, 3)
    assert [h["valid_to"] for h in hist] == [h["valid_from"] for h in hist[1:]] + [None]
    for h in hist:
        key = h["state"]["id"]
        assert state(db, t, key, h["valid_from"]) == h["state"]
    assert [h["log_id"] for h in hist] == sorted(h["log_id"] for h in hist)


# --------------------------------------------------------------------------------------------
# Composite keys
# --------------------------------------------------------------------------------------------

@pytest.fixture
def members(db):
    db.execute("""CREATE TABLE members (org_id int, user_id int, role text,
                  PRIMARY KEY (org_id, user_id) DEFERRABLE INITIALLY IMMEDIATE)""")
    db.execute("SELECT audit.enable('members')")
    return "members"


def key(org, user):
    from psycopg.types.json import Jsonb
    return Jsonb({"org_id": org, "user_id": user})


def m(org, user, role):
    return {"org_id": org, "user_id": user, "role": role}


def test_history_of_a_composite_key_record(db, members):
    db.execute("INSERT INTO members VALUES (1, 2, 'member')")
    db.execute("UPDATE members SET role = 'admin'")
    t1 = moment(db)
    db.execute("UPDATE members SET user_id = 3")
    t2 = moment(db)
    db.execute("UPDATE members SET org_id = 7, role = 'owner'")
    t3 = moment(db)
    expected = [("INSERT", m(1, 2, "member")), ("UPDATE", m(1, 2, "admin")), ("UPDATE", m(1, 3, "admin")),
                ("UPDATE", m(7, 3, "owner"))]
    assert versions(db, members, key(7, 3)) == expected
    assert versions(db, members, key(1, 2)) == expected
    assert versions(db, members, key(1, 3)) == expected
    assert state(db, members, key(1, 2), t1) == m(1, 2, "admin")
    assert state_at(db, members, key(1, 2), t2) is None
    assert state(db, members, key(1, 3), t2) == m(1, 3, "admin")
    assert state(db, members, key(7, 3), t3) == m(7, 3, "owner")
    assert state_at(db, members, key(1, 3), t3) is None


def test_a_shift_within_one_part_of_a_composite_key(db, members):
    db.execute("INSERT INTO members VALUES (1, 1, 'a'), (1, 2, 'b'), (2, 1, 'other org')")
    t1 = moment(db)
    db.execute("UPDATE members SET user_id = user_id + 1 WHERE org_id = 1")
    t2 = moment(db)
    assert state(db, members, key(1, 2), t1) == m(1, 2, "b")
    assert state(db, members, key(1, 2), t2) == m(1, 2, "a")
    assert state(db, members, key(1, 3), t2) == m(1, 3, "b")
    assert state_at(db, members, key(1, 1), t2) is None
    assert state(db, members, key(2, 1), t2) == m(2, 1, "other org")
    assert versions(db, members, key(1, 2)) == [("INSERT", m(1, 1, "a")), ("UPDATE", m(1, 2, "a"))]
    assert table_at(db, members, t2) == {
        '{"org_id": 1, "user_id": 2}': m(1, 2, "a"),
        '{"org_id": 1, "user_id": 3}': m(1, 3, "b"),
        '{"org_id": 2, "user_id": 1}': m(2, 1, "other org")}


# --------------------------------------------------------------------------------------------
# A key used again while auditing was off
# --------------------------------------------------------------------------------------------

def test_a_key_reused_while_auditing_was_off_starts_at_the_new_snapshot(db, t):
    db.execute("INSERT INTO t VALUES (1, 'old')")
    db.execute("DELETE FROM t")
    db.execute("SELECT audit.disable('t')")
    db.execute("INSERT INTO t VALUES (1, 'new')")
    db.execute("SELECT audit.enable('t')")
    db.execute("UPDATE t SET v = 'new 2'")
    assert versions(db, t, 1) == [("SNAPSHOT", r(1, "new")), ("UPDATE", r(1, "new 2"))]


def test_a_key_reused_while_auditing_was_off_without_a_snapshot(db, t):
    db.execute("INSERT INTO t VALUES (1, 'old')")
    db.execute("DELETE FROM t")
    db.execute("SELECT audit.disable('t')")
    db.execute("INSERT INTO t VALUES (1, 'new')")
    db.execute("SELECT audit.enable('t', snapshot => false)")
    db.execute("UPDATE t SET v = 'new 2'")
    assert versions(db, t, 1) == [("UPDATE", r(1, "new 2"))]


# --------------------------------------------------------------------------------------------
# A deferred key: two records may share a key until the transaction commits
# --------------------------------------------------------------------------------------------

@pytest.fixture
def d(db):
    db.execute("CREATE TABLE d (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, v text)")
    db.execute("SELECT audit.enable('d')")
    return "d"


def test_a_swap_in_two_statements_under_a_deferred_key(db, d):
    db.execute("INSERT INTO d VALUES (1, 'a'), (2, 'b')")
    t1 = moment(db)
    write(db, "UPDATE d SET id = 2 WHERE v = 'a'",   # a moves onto 2 while b is still there
          "UPDATE d SET id = 1 WHERE v = 'b'")       # then b moves away to 1
    t2 = moment(db)
    assert rows(db, d) == [r(1, "b"), r(2, "a")]
    assert table_at(db, d, t1) == {"1": r(1, "a"), "2": r(2, "b")}
    assert (state(db, d, 1, t2), state(db, d, 2, t2)) == (r(1, "b"), r(2, "a"))
    assert table_at(db, d, t2) == {"1": r(1, "b"), "2": r(2, "a")}
    assert versions(db, d, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]
    assert versions(db, d, 1) == [("INSERT", r(2, "b")), ("UPDATE", r(1, "b"))]


def test_a_key_taken_before_its_holder_leaves_under_a_deferred_key(db, d):
    db.execute("INSERT INTO d VALUES (1, 'a')")
    write(db, "INSERT INTO d VALUES (1, 'b')",       # b arrives at 1 while a is still there
          "UPDATE d SET id = 2 WHERE v = 'a'")       # then a leaves
    ts = moment(db)
    assert rows(db, d) == [r(1, "b"), r(2, "a")]
    assert state(db, d, 1, ts) == r(1, "b")
    assert table_at(db, d, ts) == {"1": r(1, "b"), "2": r(2, "a")}
    assert versions(db, d, 1) == [("INSERT", r(1, "b"))]
    assert versions(db, d, 2) == [("INSERT", r(1, "a")), ("UPDATE", r(2, "a"))]
