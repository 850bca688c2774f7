"""Installing again, or upgrading, while the database is in use: locks.

The contract (SPEC §6): installing or upgrading takes no lock that stalls audited writes for long,
and never deadlocks with them; where it must wait, it gives up cleanly (lock_timeout) and says
what it waited for.

Each test is a situation: an analyst who left a transaction open after reading the log, a writer
in the middle of its transaction, a table whose capture code must change. Every wait is bounded:
statements have a statement_timeout, psql a timeout, threads a join timeout, so that a stall or
a deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import re
import threading
import time

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from package_helpers import releases

pytestmark = pytest.mark.upgrade

# How long a single-row UPDATE may take while an install runs next to it. A write that waits for
# the install's locks waits about as long as the install holds them; a write that does not wait
# takes milliseconds, even on a loaded machine.
STALL_LIMIT = 1.0
# How long the analyst keeps the log open, at most: an install that waits for the analyst waits
# this long, and the writers queued behind that install with it.
ANALYST_HOLD = 8.0
# Bounds of every wait in these tests.
INSTALL_TIMEOUT = 60.0
STATEMENT_TIMEOUT = "20s"


@pytest.fixture(autouse=True)
def _psql_route_only(install_route):
    if install_route == "extension":
        pytest.skip("AUDIT_INSTALL_ROUTE=extension: these tests run install.sql again with psql over a database "
                    "that has the extension, which psql -f install.sql does not upgrade; they run in the psql passes")


class Writer(threading.Thread):
    """Single-row UPDATEs of an audited table in a loop, each in its own transaction, timed."""

    def __init__(self, conn: psycopg.Connection, sql: str = "UPDATE users SET v = v + 1 WHERE id = 1"):
        super().__init__(daemon=True)
        self.conn, self.sql = conn, sql
        self.halt = threading.Event()
        self.latencies: list[float] = []
        self.errors: list[psycopg.Error] = []

    def run(self) -> None:
        while not self.halt.is_set():
            start = time.monotonic()
            try:
                self.conn.execute(self.sql)
            except psycopg.Error as exc:
                self.errors.append(exc)
                return
            self.latencies.append(time.monotonic() - start)
            time.sleep(0.005)

    def finish(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        assert not self.is_alive(), "the writer did not stop within 30 s"

    @property
    def longest(self) -> float:
        return max(self.latencies, default=0.0)


class Background(threading.Thread):
    """Runs fn() in a thread; keeps its result or exception and when it ended."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.result = self.exc = self.ended = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.exc = exc
        self.ended = time.monotonic()

    def wait(self, timeout: float) -> bool:
        self.join(timeout=timeout)
        return not self.is_alive()


def with_options(dsn: str, **settings) -> str:
    return make_conninfo(dsn, options=" ".join(f"-c {k}={v}" for k, v in settings.items()))


def install_in_background(run_install, dsn: str, path=None) -> Background:
    job = Background(lambda: run_install(dsn, path, check=False, timeout=INSTALL_TIMEOUT))
    job.start()
    return job


def audited_users(db, roles) -> None:
    db.execute("CREATE TABLE users (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
    db.execute("INSERT INTO users (id) SELECT g FROM generate_series(1, 10) AS g")
    db.execute("SELECT audit.enable('users')")
    db.execute(f"GRANT SELECT, UPDATE ON users TO {roles.writer}")


def writer_conn(connect, roles, autocommit=True) -> psycopg.Connection:
    return connect(roles.writer, autocommit=autocommit, options=f"-c statement_timeout={STATEMENT_TIMEOUT}")


def analyst_reads_the_log(connect) -> psycopg.Connection:
    """An analyst's session that counted the log and left its transaction open (AccessShareLock)."""
    analyst = connect(autocommit=False, options=f"-c statement_timeout={STATEMENT_TIMEOUT}")
    analyst.execute("SELECT count(*) FROM audit.logs").fetchone()
    return analyst


def generated_code(conn) -> dict:
    """What a reinstall that changes nothing must leave alone: generated code, triggers, the log's indexes."""
    # (A function's row changes with every install's REVOKE ... ON ALL FUNCTIONS: its body tells.)
    functions = conn.execute(
        "SELECT coalesce(jsonb_object_agg(p.proname, md5(p.prosrc)), '{}') FROM pg_proc AS p"
        " WHERE p.pronamespace = 'audit'::regnamespace AND p.proname ~ '^(capture|guard)_n[0-9]+$'").fetchone()[0]
    triggers = conn.execute(
        "SELECT coalesce(jsonb_object_agg(t.tgrelid::regclass::text || '.' || t.tgname,"
        " t.oid::text || '/' || t.xmin::text), '{}') FROM pg_trigger AS t"
        " WHERE t.tgname LIKE 'audit\\_trail\\_%' OR t.tgrelid = 'audit.logs'::regclass").fetchone()[0]
    indexes = conn.execute(
        "SELECT jsonb_object_agg(c.relname, c.oid::text || '/' || c.xmin::text) FROM pg_class AS c"
        " WHERE c.relnamespace = 'audit'::regnamespace AND c.relkind = 'i'").fetchone()[0]
    return {"functions": functions, "triggers": triggers, "indexes": indexes}


def assert_clean_give_up(proc, table: str, pid: int, timeout: str) -> None:
    assert proc.returncode != 0, f"the install was expected to give up, and succeeded:\n{proc.stderr}"
    assert "deadlock" not in proc.stderr, proc.stderr
    assert re.search(rf"audit: install could not lock {re.escape(table)} .*within {re.escape(timeout)}",
                     proc.stderr), proc.stderr
    assert re.search(rf"\bpid {pid}\b", proc.stderr), proc.stderr
    assert "nothing was changed" in proc.stderr, proc.stderr


# --------------------------------------------------------------------------
# A reinstall that changes nothing
# --------------------------------------------------------------------------

def test_reinstall_while_an_analyst_reads_the_log(db, db_dsn, run_install, connect, roles):
    audited_users(db, roles)
    analyst = analyst_reads_the_log(connect)
    release = threading.Timer(ANALYST_HOLD, analyst.rollback)
    writer = Writer(writer_conn(connect, roles))
    writer.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        install = install_in_background(run_install, db_dsn)
        release.start()
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
        time.sleep(0.3)
    finally:
        writer.finish()
        release.cancel()
    print(f"longest write {writer.longest:.3f} s over {len(writer.latencies)} writes; install took "
          f"{install.ended - started:.2f} s")
    assert install.exc is None, install.exc
    assert install.result.returncode == 0, install.result.stderr
    assert install.ended - started < ANALYST_HOLD - 1, (
        f"the install waited {install.ended - started:.1f} s for the analyst's transaction")
    assert not writer.errors, writer.errors
    assert writer.longest < STALL_LIMIT, f"a write stalled {writer.longest:.2f} s during the install"
    analyst.rollback()
    assert db.execute("SELECT count(*) FROM audit.logs WHERE action = 'UPDATE'").fetchone()[0] == len(writer.latencies)


def test_reinstall_while_a_writer_holds_its_transaction_open(db, db_dsn, run_install, connect, roles):
    # The writer already wrote an audited table: it holds RowExclusiveLock on the table and on the log.
    audited_users(db, roles)
    writer = writer_conn(connect, roles, autocommit=False)
    writer.execute("UPDATE users SET v = 1 WHERE id = 1")
    install = install_in_background(run_install, with_options(db_dsn, lock_timeout="2s"))
    try:
        install.wait(15)
        ended_while_open = not install.is_alive()
        start = time.monotonic()
        writer.execute("UPDATE users SET v = 2 WHERE id = 2")
        second_write = time.monotonic() - start
        writer.commit()
    finally:
        writer.rollback()
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
    assert install.exc is None, install.exc
    assert ended_while_open, "the install waited for the writer's open transaction"
    assert install.result.returncode == 0, install.result.stderr
    assert second_write < STALL_LIMIT, f"the writer's next write waited {second_write:.2f} s"
    assert db.execute("SELECT array_agg(record_id ORDER BY id) FROM audit.logs WHERE action = 'UPDATE'"
                      ).fetchone()[0] == ["1", "2"]


def test_reinstall_while_a_write_holds_its_table_and_has_not_logged_yet(db, db_dsn, run_install, connect, roles):
    # A statement holds its table from its start, and writes the log only when its AFTER STATEMENT
    # trigger fires: an install that locks the log and then waits for the table deadlocks with it.
    # LOCK TABLE ... ROW EXCLUSIVE stands for the first half of such a statement.
    audited_users(db, roles)
    writer = writer_conn(connect, roles, autocommit=False)
    writer.execute("LOCK TABLE users IN ROW EXCLUSIVE MODE")
    install = install_in_background(run_install, with_options(db_dsn, lock_timeout="3s"))
    try:
        time.sleep(1.5)  # past the default deadlock_timeout (1 s), with the install waiting if it does
        start = time.monotonic()
        try:
            writer.execute("UPDATE users SET v = 3 WHERE id = 3")
            error = None
        except psycopg.Error as exc:
            error = exc
        write = time.monotonic() - start
        writer.commit() if error is None else writer.rollback()
    finally:
        writer.rollback()
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
    assert error is None, f"the writer failed: {error!r}"
    assert write < STALL_LIMIT, f"the write waited {write:.2f} s for the install"
    assert install.exc is None, install.exc
    assert "deadlock" not in install.result.stderr, install.result.stderr
    assert install.result.returncode == 0, install.result.stderr


def test_reinstall_that_changes_nothing_leaves_the_generated_code_and_the_log_alone(db, db_dsn, run_install):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, v int)")
    db.execute("CREATE TABLE events (id int, r text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    db.execute("CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a')")
    db.execute("SELECT audit.enable('users'), audit.enable('events')")
    before = generated_code(db)
    assert len(before["functions"]) == 4, before  # capture of users, events, events_a; guard of events
    run_install(db_dsn)
    assert generated_code(db) == before
    db.execute("INSERT INTO users VALUES (1, 1)")
    db.execute("INSERT INTO events VALUES (1, 'a')")
    assert db.execute("SELECT array_agg(table_name ORDER BY id) FROM audit.logs").fetchone()[0] == ["users", "events"]


# --------------------------------------------------------------------------
# A reinstall that must change capture code
# --------------------------------------------------------------------------

def test_reinstall_regenerates_what_changed_and_repairs_what_is_missing(db, db_dsn, run_install):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, v int)")
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("CREATE TABLE events (id int, r text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    db.execute("CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a')")
    db.execute("SELECT audit.enable('users'), audit.enable('notes'), audit.enable('events')")
    before = generated_code(db)
    # The capture code of users is regenerated for its new column; notes lost a trigger and had one
    # disabled; the guard of events was switched off on its partition; the log lost a trigger.
    db.execute("ALTER TABLE users ADD COLUMN note text")
    db.execute("DROP TRIGGER audit_trail_delete ON notes")
    db.execute("ALTER TABLE notes DISABLE TRIGGER audit_trail_update")
    db.execute("ALTER TABLE events_a DISABLE TRIGGER audit_trail_partition_guard")
    db.execute("DROP TRIGGER logs_no_truncate ON audit.logs")
    run_install(db_dsn)
    after = generated_code(db)
    users_fn = db.execute("SELECT (SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'users'::regclass AND t.tgname = 'audit_trail_insert')").fetchone()[0]
    assert after["functions"][users_fn] != before["functions"][users_fn]
    assert set(after["triggers"]) == set(before["triggers"])
    assert db.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit\\_trail\\_%' AND tgenabled <> 'O'"
                      ).fetchone()[0] == 0
    # Only what needed it was made again: the capture triggers of events and its partition, and the
    # log's other trigger, were left alone.
    unchanged = {k for k in before["triggers"] if before["triggers"][k] == after["triggers"][k]}
    assert unchanged == {f"{t}.audit_trail_{e}" for t in ("events", "events_a") for e in ("insert", "update", "delete")
                         } | {"events_a.audit_trail_truncate", "audit.logs.logs_append_only"}
    assert after["indexes"] == before["indexes"]
    # And it all captures.
    db.execute("INSERT INTO users VALUES (1, 1, 'n')")
    db.execute("INSERT INTO notes VALUES (1, 'b')")
    db.execute("UPDATE notes SET body = 'c'")
    db.execute("DELETE FROM notes")
    db.execute("INSERT INTO events VALUES (1, 'a')")
    assert db.execute("SELECT array_agg(table_name || ':' || action ORDER BY id) FROM audit.logs").fetchone()[0] == [
        "users:INSERT", "notes:INSERT", "notes:UPDATE", "notes:DELETE", "events:INSERT"]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("TRUNCATE audit.logs")


def test_reinstall_that_must_regenerate_gives_up_cleanly_while_a_writer_holds_the_table(
        db, db_dsn, run_install, connect, roles):
    audited_users(db, roles)
    db.execute("ALTER TABLE users ADD COLUMN note text")  # the capture code of users must change
    before = generated_code(db)
    writer = writer_conn(connect, roles, autocommit=False)
    writer.execute("UPDATE users SET v = 1 WHERE id = 1")
    writer_pid = writer.info.backend_pid
    start = time.monotonic()
    install = install_in_background(run_install, with_options(db_dsn, lock_timeout="2s"))
    try:
        install.wait(20)
        took = time.monotonic() - start
        ended_while_open = not install.is_alive()
        t = time.monotonic()
        writer.execute("UPDATE users SET v = 2 WHERE id = 2")
        second_write = time.monotonic() - t
        writer.commit()
    finally:
        writer.rollback()
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
    assert install.exc is None, install.exc
    assert ended_while_open, "the install did not give up within 20 s"
    assert_clean_give_up(install.result, "table public.users", writer_pid, "2s")
    assert took < 10, f"the install gave up only after {took:.1f} s"
    assert second_write < STALL_LIMIT, f"the writer's next write waited {second_write:.2f} s"
    assert generated_code(db) == before, "the install that gave up changed something"
    # Once the writer is done, the install goes through and regenerates.
    run_install(db_dsn)
    assert generated_code(db)["functions"] != before["functions"]


def test_reinstall_that_must_regenerate_while_an_analyst_reads_the_log(db, db_dsn, run_install, connect, roles):
    audited_users(db, roles)
    db.execute("ALTER TABLE users ADD COLUMN note text")
    before = generated_code(db)
    analyst = analyst_reads_the_log(connect)
    release = threading.Timer(ANALYST_HOLD, analyst.rollback)
    writer = Writer(writer_conn(connect, roles))
    writer.start()
    try:
        time.sleep(0.3)
        install = install_in_background(run_install, db_dsn)
        release.start()
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
        time.sleep(0.3)
    finally:
        writer.finish()
        release.cancel()
    print(f"longest write {writer.longest:.3f} s over {len(writer.latencies)} writes")
    assert install.exc is None, install.exc
    assert install.result.returncode == 0, install.result.stderr
    assert not writer.errors, writer.errors
    assert writer.longest < STALL_LIMIT, f"a write stalled {writer.longest:.2f} s during the install"
    analyst.rollback()
    assert generated_code(db)["functions"] != before["functions"]


def test_lock_timeout_is_a_psql_variable(db, db_dsn, pg, install_sql, connect, roles):
    audited_users(db, roles)
    db.execute("ALTER TABLE users ADD COLUMN note text")
    writer = writer_conn(connect, roles, autocommit=False)
    writer.execute("UPDATE users SET v = 1 WHERE id = 1")
    try:
        start = time.monotonic()
        proc = pg.psql(["-v", "lock_timeout=1500ms", "-f", str(install_sql)], dsn=db_dsn, check=False,
                       timeout=INSTALL_TIMEOUT)
        took = time.monotonic() - start
    finally:
        writer.rollback()
    assert_clean_give_up(proc, "table public.users", writer.info.backend_pid, "1500ms")
    assert 1.4 < took < 10, took


# --------------------------------------------------------------------------
# An upgrade that must change the log
# --------------------------------------------------------------------------

RELEASES = releases()


@pytest.mark.skipif("0.1.0" not in RELEASES, reason="needs release 0.1.0, whose log columns change on upgrade")
def test_upgrade_while_an_analyst_reads_the_log_gives_up_cleanly_and_stalls_no_writer(
        fresh_db_no_install, run_install, roles):
    db = fresh_db_no_install
    run_install(db.dsn(), RELEASES["0.1.0"])
    owner = db.connect()
    audited_users(owner, roles)
    analyst = analyst_reads_the_log(db.connect)
    writer = Writer(db.connect(roles.writer, options=f"-c statement_timeout={STATEMENT_TIMEOUT}"))
    writer.start()
    try:
        time.sleep(0.3)
        install = install_in_background(run_install, with_options(db.dsn(), lock_timeout="2s"))
        assert install.wait(INSTALL_TIMEOUT + 5), "the install did not end"
        time.sleep(0.3)
    finally:
        writer.finish()
        analyst_pid = analyst.info.backend_pid
        analyst.rollback()
    print(f"longest write {writer.longest:.3f} s over {len(writer.latencies)} writes")
    assert install.exc is None, install.exc
    assert_clean_give_up(install.result, "table audit.logs", analyst_pid, "2s")
    assert not writer.errors, writer.errors
    assert writer.longest < STALL_LIMIT, f"a write stalled {writer.longest:.2f} s during the install"
    assert owner.execute("SELECT audit.version()").fetchone()[0] == "0.1.0"
    # With the analyst gone, the upgrade goes through.
    run_install(db.dsn())
    assert owner.execute("SELECT audit.version()").fetchone()[0] != "0.1.0"
    owner.execute("UPDATE users SET v = v + 1 WHERE id = 1")


def test_reinstall_restores_generated_code_that_was_changed_by_hand(db, db_dsn, run_install):
    db.execute("CREATE TABLE users (id int PRIMARY KEY, v int)")
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("SELECT audit.enable('users'), audit.enable('notes')")
    before = generated_code(db)
    users_fn, notes_fn = db.execute("SELECT (SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'users'::regclass AND t.tgname = 'audit_trail_insert'), (SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'notes'::regclass AND t.tgname = 'audit_trail_insert')"
                                    ).fetchone()
    body = db.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [users_fn]).fetchone()[0]
    db.execute(f"CREATE OR REPLACE FUNCTION audit.{users_fn}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
               " SET search_path = pg_catalog, pg_temp AS $b$ begin return null; end $b$")
    db.execute(f"ALTER FUNCTION audit.{notes_fn}() SECURITY INVOKER")
    run_install(db_dsn)
    assert generated_code(db)["functions"] == before["functions"]
    assert db.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [users_fn]).fetchone()[0] == body
    assert db.execute("SELECT prosecdef FROM pg_proc WHERE proname = %s", [notes_fn]).fetchone()[0] is True
    db.execute("INSERT INTO users VALUES (1, 1)")
    assert db.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == 1
