"""audit.purge: the log rows before a cut go, every read at or after the cut answers as before,
a read before the cut is an error naming it, and the purge is recorded."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from helpers import raises_sqlstate
from helpers_time import moment


def reads(conn, table, keys, stamps):
    """Every read of ``table`` at each moment: table_at, state_at of each key (whole rows)."""
    out = {}
    for ts in stamps:
        out[("table_at", ts)] = sorted(conn.execute(
            "SELECT record_id, state::text FROM audit.table_at(%s, %s)", [table, ts]).fetchall())
        for k in keys:
            out[("state_at", ts, k)] = conn.execute(
                "SELECT * FROM audit.state_at(%s, %s, %s)", [table, k, ts]).fetchall()
    return out


def histories(conn, table, keys):
    return {k: conn.execute("SELECT * FROM audit.history(%s, %s)", [table, k]).fetchall() for k in keys}


def check_history_suffix(before: dict, after: dict, cut) -> None:
    """After a purge, each history is the end of the one before: every version valid at or after the
    cut, from the version kept at the cut on (valid_to is column 3)."""
    for k, old in before.items():
        new = after[k]
        needed = [h for h in old if (h[3] is None or h[3] > cut) and not (h[1] in ("DELETE", "TRUNCATE") and h[2] < cut)]
        assert new == old[len(old) - len(new):], f"history of {k} after the purge is not the end of the one before"
        assert len(new) >= len(needed), f"history of {k} lost versions valid at or after the cut"


@pytest.fixture
def items(db):
    db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, n int)")
    db.execute("INSERT INTO items SELECT g, 'v' || g, g FROM generate_series(1, 5) AS g")
    db.execute("SELECT audit.enable('items')")
    return "items"


def test_purge_keeps_reads_at_and_after_the_cut(db, items):
    stamps = []
    db.execute("UPDATE items SET n = n + 1 WHERE id <= 3")
    db.execute("DELETE FROM items WHERE id = 4")
    db.execute("UPDATE items SET id = 40 WHERE id = 5")
    stamps.append(moment(db))
    cut = moment(db)
    db.execute("UPDATE items SET name = 'after' WHERE id = 1")
    db.execute("INSERT INTO items VALUES (4, 'again', 0)")
    stamps.append(moment(db))
    with db.transaction():
        db.execute("UPDATE items SET n = 100 WHERE id = 2")
        db.execute("DELETE FROM items WHERE id = 3")
    stamps.append(moment(db))
    keys = [1, 2, 3, 4, 5, 40, 99]
    before = reads(db, items, keys, [cut] + stamps[1:])
    hist = histories(db, items, keys)
    total = db.execute("SELECT count(*) FROM audit.logs").fetchone()[0]
    deleted = db.execute("SELECT audit.purge(%s, 'test')", [cut]).fetchone()[0]
    assert deleted > 0
    assert db.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == total - deleted
    assert reads(db, items, keys, [cut] + stamps[1:]) == before
    check_history_suffix(hist, histories(db, items, keys), cut)
    # A moment before the cut is an error that names the cut.
    with raises_sqlstate("22023", "before the purge cut"):
        db.execute("SELECT * FROM audit.state_at('items', 1, %s)", [stamps[0]])
    with raises_sqlstate("22023", "before the purge cut"):
        db.execute("SELECT * FROM audit.table_at('items', %s)", [stamps[0]])
    with raises_sqlstate("22023", "before the purge cut"):
        db.execute("SELECT * FROM audit.rows_at(NULL::items, %s)", [stamps[0]])
    with raises_sqlstate("22023", "before the purge cut"):
        db.execute("SELECT audit.row_at(NULL::items, 1, %s)", [stamps[0]])
    op = db.execute("SELECT kind, cut, reason, rows_deleted, session_role, run_by FROM audit.operations").fetchall()
    assert op == [("purge", cut, "test", deleted, "audit_owner", "audit_owner")]


def test_a_key_change_kept_for_one_key_keeps_its_other_key_whole(db, items):
    """A row that moves a record from one key to another is a row of both keys. Kept for one of
    them (key 3, whose last transaction goes on at it), it must not leave the other key (30) with
    an arrival whose departure went: the record moved to 30 and on to 31, and 31 was deleted."""
    with db.transaction():
        db.execute("UPDATE items SET id = 30 WHERE id = 3")
        db.execute("INSERT INTO items VALUES (3, 'new', 0)")
    db.execute("UPDATE items SET id = 31 WHERE id = 30")
    db.execute("DELETE FROM items WHERE id = 31")
    cut = moment(db)
    db.execute("UPDATE items SET n = 7 WHERE id = 3")
    later = moment(db)
    keys = [3, 30, 31]
    before = reads(db, items, keys, [cut, later])
    hist = histories(db, items, keys)
    assert [r[0] for r in before[("table_at", cut)]] == ["1", "2", "3", "4", "5"]
    db.execute("SELECT audit.purge(%s)", [cut])
    assert reads(db, items, keys, [cut, later]) == before
    check_history_suffix(hist, histories(db, items, keys), cut)


def test_history_starts_with_the_kept_state(db, items):
    db.execute("UPDATE items SET n = 10 WHERE id = 1")
    db.execute("UPDATE items SET n = 11 WHERE id = 1")
    cut = moment(db)
    db.execute("UPDATE items SET n = 12 WHERE id = 1")
    db.execute("SELECT audit.purge(%s)", [cut])
    hist = db.execute("SELECT action, state ->> 'n' FROM audit.history('items', 1)").fetchall()
    assert hist == [("UPDATE", "11"), ("UPDATE", "12")]


def test_purge_refuses_bad_cuts(db, items):
    with raises_sqlstate("22004", "NULL"):
        db.execute("SELECT audit.purge(NULL)")
    with raises_sqlstate("22023", "in the future"):
        db.execute("SELECT audit.purge(now() + interval '1 hour')")
    with raises_sqlstate("25000", "READ COMMITTED"):
        with db.transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            db.execute("SELECT audit.purge(now() - interval '1 day')")
    assert db.execute("SELECT count(*) FROM audit.operations").fetchone()[0] == 0


def test_the_log_stays_append_only_outside_purge_and_erase(db, items):
    db.execute("SELECT audit.purge(clock_timestamp())")
    for stmt in ("DELETE FROM audit.logs", "UPDATE audit.logs SET actor_email = 'x'", "TRUNCATE audit.logs"):
        with raises_sqlstate("42501", "append-only", what=stmt):
            db.execute(stmt)
    # The flag is cleared when purge returns, in the same transaction too.
    with raises_sqlstate("42501", "append-only"):
        with db.transaction():
            db.execute("SELECT audit.purge(clock_timestamp())")
            db.execute("DELETE FROM audit.logs")


def test_only_the_package_owner_may_purge(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.app.execute("INSERT INTO app.t VALUES (1, 'a')")
    count = s.pkg.execute("SELECT count(*) FROM audit.logs").fetchone()[0]
    for who in (s.owner, s.app, s.analyst):
        for stmt in ("SELECT audit.purge(clock_timestamp())", "SELECT audit.maintain()",
                     "SELECT audit.erase('app.t', 1, 'r')"):
            with raises_sqlstate("42501", what=f"{stmt} as {who.info.user}"):
                who.execute(stmt)
        # Nor straight through the function bodies' flag.
        with raises_sqlstate("42501", what=f"DELETE as {who.info.user}"):
            with who.transaction():
                who.execute("SELECT set_config('audit.lifecycle', 'purge', true)")
                who.execute("DELETE FROM audit.logs")
    # Granting EXECUTE is not enough: the functions check the role themselves.
    s.admin.execute("GRANT EXECUTE ON FUNCTION audit.purge(timestamptz, text) TO app_writer")
    with raises_sqlstate("42501", "only the package's owner"):
        s.app.execute("SELECT audit.purge(clock_timestamp())")
    assert s.pkg.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == count
    s.pkg.execute("SELECT audit.purge(clock_timestamp())")


def test_purge_does_not_block_capture(db, items, connect):
    """Writers in other connections go on during a purge, and what they write stays."""
    db.execute("INSERT INTO items SELECT g, 'x', 0 FROM generate_series(100, 20099) AS g")
    db.execute("UPDATE items SET n = 1 WHERE id >= 100")
    cut = moment(db)
    stop = threading.Event()
    done = []
    errors = []

    def writer(i):
        conn = connect()
        k = 1_000_000 + i * 100_000
        try:
            while not stop.is_set():
                conn.execute("INSERT INTO items VALUES (%s, 'w', 0)", [k])
                conn.execute("UPDATE items SET n = n + 1 WHERE id = %s", [k])
                done.append(k)
                k += 1
        except psycopg.Error as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    db.execute("SELECT audit.purge(%s)", [cut])
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert done
    for k in done[:: max(1, len(done) // 20)]:
        assert db.execute("SELECT state ->> 'n' FROM audit.state_at('items', %s, clock_timestamp())",
                          [k]).fetchone() == ("1",)


def test_purge_waits_for_older_transactions(db, items, connect):
    """A transaction that captured rows before the cut and commits during the purge keeps them
    readable; one that stays open past lock_timeout makes the purge fail, naming it."""
    other = connect(autocommit=False)
    other.execute("UPDATE items SET n = 77 WHERE id = 2")  # captured now, committed later
    cut = moment(db)
    with raises_sqlstate("55P03", "still running", "nothing was purged"):
        db.execute("SET lock_timeout = '200ms'")
        db.execute("SELECT audit.purge(%s)", [cut])
    db.execute("RESET lock_timeout")
    timer = threading.Timer(0.5, other.commit)
    timer.start()
    db.execute("SELECT audit.purge(%s)", [cut])
    timer.join()
    assert db.execute("SELECT state ->> 'n' FROM audit.state_at('items', 2, clock_timestamp())").fetchone() == ("77",)
    assert db.execute("SELECT state ->> 'n' FROM audit.state_at('items', 2, %s)", [cut]).fetchone() == ("77",)


def test_maintain_keeps_the_retention_period(db, items):
    assert db.execute("SELECT audit.maintain()").fetchone()[0] is None  # NULL period: keep everything
    assert db.execute("SELECT count(*) FROM audit.operations").fetchone()[0] == 0
    db.execute("UPDATE audit.retention SET period = interval '0'")
    db.execute("UPDATE items SET n = 5 WHERE id = 1")
    deleted = db.execute("SELECT audit.maintain()").fetchone()[0]
    assert deleted >= 0
    assert db.execute("SELECT kind, reason FROM audit.operations").fetchall() == [
        ("purge", "audit.maintain: retention period 00:00:00")]
    assert db.execute("SELECT count(*) FROM audit.table_at('items', clock_timestamp())").fetchone()[0] == 5
    db.execute("UPDATE audit.retention SET period = interval '-1 day'")
    with raises_sqlstate("22023", "audit.retention", "must not be negative", "-1 days"):
        db.execute("SELECT audit.maintain()")
