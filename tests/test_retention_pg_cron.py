"""Retention without a person: audit.maintain() scheduled with pg_cron, as the README shows.

pg_cron is a server extension (shared_preload_libraries), so this test runs on Debian's
PostgreSQL 15 with Debian's ``postgresql-15-cron`` (``apt-get install postgresql-15-cron``; CI
installs it beside plpgsql_check), in a private server of its own. Where it is not installed, the
test skips and says so.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from psycopg import sql

from pgserver import _start_local, install_sql_path

PGBIN = Path("/usr/lib/postgresql/15/bin")
PG_CRON = Path("/usr/lib/postgresql/15/lib/pg_cron.so")
OWNER = "audit_owner"
DB = "cron_db"


@pytest.fixture
def cron_server():
    if not PG_CRON.is_file() or not (PGBIN / "postgres").is_file():
        pytest.skip(f"pg_cron is not installed ({PG_CRON} missing): apt-get install postgresql-15-cron "
                    "(Debian's PostgreSQL 15) to run this test")
    server = _start_local(None, bin_dir=PGBIN, label="PostgreSQL 15 with pg_cron", settings={
        "shared_preload_libraries": "pg_cron", "cron.database_name": DB, "cron.use_background_workers": "on",
        "max_worker_processes": "20"})
    try:
        with server.connect() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(OWNER)))
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DB), sql.Identifier(OWNER)))
        with server.connect(DB) as conn:
            conn.execute("CREATE EXTENSION pg_cron")
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(OWNER)))
        server.psql(["-v", "ON_ERROR_STOP=1", "-f", str(install_sql_path())], dsn=server.dsn(DB, OWNER))
        yield server
    finally:
        server.stop()


def test_maintain_scheduled_with_pg_cron(cron_server):
    conn = cron_server.connect(DB, OWNER)
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)")
    conn.execute("INSERT INTO t SELECT g, 0 FROM generate_series(1, 10) AS g")
    conn.execute("SELECT audit.enable('t')")
    for _ in range(3):
        conn.execute("UPDATE t SET v = v + 1")
    # The README's daily job, and one every minute to see it run (pg_cron 1.4 has no seconds).
    job = "$$SET lock_timeout = '2min'; SELECT audit.maintain()$$"
    assert conn.execute(f"SELECT cron.schedule('audit-retention', '17 3 * * *', {job})"
                        ).fetchone()[0] > 0
    conn.execute("UPDATE audit.retention SET period = interval '1 second'")
    time.sleep(1.1)
    conn.execute(f"SELECT cron.schedule('audit-retention-now', '* * * * *', {job})")
    deadline = time.monotonic() + 75
    while time.monotonic() < deadline:
        done = conn.execute("SELECT rows_deleted, run_by FROM audit.operations WHERE kind = 'purge'"
                            " AND reason LIKE 'audit.maintain%' AND rows_deleted > 0").fetchall()
        if done:
            break
        time.sleep(0.5)
    else:
        runs = conn.execute("SELECT status, return_message FROM cron.job_run_details").fetchall()
        pytest.fail(f"pg_cron never ran audit.maintain(): {runs}")
    assert done[0] == (30, OWNER)  # the SNAPSHOT and 3 UPDATEs of 10 rows; the last UPDATEs stay
    assert conn.execute("SELECT count(*) FROM audit.table_at('t', clock_timestamp())").fetchone()[0] == 10
    conn.execute("SELECT cron.unschedule('audit-retention-now')")
    conn.close()
