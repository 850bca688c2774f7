"""A user reads a big log the usual ways: indexes answer without a sequential scan of audit.logs."""

import pytest

TABLES = ("users", "orders", "events", "users_archive")


@pytest.fixture(scope="function")
def big_log(db, connect):
    """About 20k log rows across four tables, 40 actors and two migrations, then ANALYZE."""
    for t in TABLES:
        db.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
        db.execute(f"SELECT audit.enable('{t}')")
    conn = connect(autocommit=False)
    for i in range(40):
        t = TABLES[i % len(TABLES)]
        conn.execute("SELECT audit.set_actor(%s)", [f"user{i}@x.io"])
        conn.execute(f"INSERT INTO {t} SELECT g, 'v' FROM generate_series(%s::int, %s::int) g",
                     [i * 500 + 1, i * 500 + 450])
        conn.commit()
    for name, t in (("m0", "users"), ("m1", "orders")):
        conn.execute("SELECT audit.set_migration(%s)", [name])
        conn.execute(f"UPDATE {t} SET v = 'w' WHERE id % 20 = 0")
        conn.commit()
    db.execute("UPDATE users SET v = 'x' WHERE id = 42")
    db.execute("ANALYZE audit.logs")
    n = db.execute("SELECT count(*) FROM audit.logs").fetchone()[0]
    assert n >= 18000
    return db


def plan(db, query, params=None):
    return "\n".join(r[0] for r in db.execute("EXPLAIN " + query, params).fetchall())


def assert_no_seq_scan(db, query, params=None):
    text = plan(db, query, params)
    assert "Seq Scan on logs" not in text, text
    assert " on logs" in text, text  # the log is read at all (through an index)


def test_one_record_history(big_log):
    assert_no_seq_scan(big_log, "SELECT * FROM audit.logs WHERE table_name = 'users' AND record_id = '42' ORDER BY id")
    assert [r[0] for r in big_log.execute(
        "SELECT action FROM audit.logs WHERE table_name = 'users' AND record_id = '42' ORDER BY id").fetchall()] == [
        "INSERT", "UPDATE"]


def test_one_actor_recent_changes(big_log):
    assert_no_seq_scan(big_log, "SELECT * FROM audit.logs WHERE actor_email = 'user7@x.io' ORDER BY id DESC LIMIT 50")
    # Without the LIMIT a backward scan of the primary key is no way out: the actor's own index must serve.
    assert_no_seq_scan(big_log, "SELECT id FROM audit.logs WHERE actor_email = 'user7@x.io' ORDER BY id DESC")
    assert big_log.execute("SELECT count(*) FROM (SELECT 1 FROM audit.logs WHERE actor_email = 'user7@x.io'"
                           " ORDER BY id DESC LIMIT 50) x").fetchone()[0] == 50


def test_one_migration_changes(big_log):
    assert_no_seq_scan(big_log, "SELECT * FROM audit.logs WHERE migration_name = 'm1'")
    assert big_log.execute("SELECT count(*) FROM audit.logs WHERE migration_name = 'm1'").fetchone()[0] > 0


def test_a_narrow_time_range(big_log):
    lo, hi = big_log.execute(
        "SELECT created_at, created_at + interval '1 millisecond' FROM audit.logs ORDER BY id OFFSET 9000 LIMIT 1"
    ).fetchone()
    assert_no_seq_scan(big_log, "SELECT * FROM audit.logs WHERE created_at BETWEEN %s AND %s", [lo, hi])
    assert big_log.execute("SELECT count(*) FROM audit.logs WHERE created_at BETWEEN %s AND %s",
                           [lo, hi]).fetchone()[0] >= 1


def test_an_invalid_actor_id_index_is_built_again_by_the_install(db, admin, db_dsn, run_install):
    """A CREATE INDEX CONCURRENTLY that failed leaves an invalid index under the name: install
    counts it as missing, and on a small log builds it again."""
    admin.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'audit.logs_actor_id_idx'::regclass")
    run_install(db_dsn)
    assert db.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'audit.logs_actor_id_idx'::regclass"
                      ).fetchone()[0] is True
