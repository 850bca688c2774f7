"""The database moves by pg_dump and pg_restore: after the restore everything answers as before.

A restore gives every table a new oid. The audited tables, their options, every read and capture
on its fast path must come back with no action, and a table created afterwards is not taken for
an audited one.
"""

import subprocess

import pytest

from helpers import log_rows, raises_sqlstate

pytestmark = [pytest.mark.upgrade, pytest.mark.security]

SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE filler (id int);            -- shifts the oids of what follows in the restored database
CREATE TABLE users (id int PRIMARY KEY, gone int, email text, pw text, mood mood);
ALTER TABLE users DROP COLUMN gone;      -- a dropped column: the restored table numbers columns anew
CREATE TABLE m (id int, region text NOT NULL, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');
INSERT INTO users VALUES (1, 'a@x', 'p1', 'ok');
INSERT INTO m VALUES (1, 'eu', 1);
SELECT audit.enable('users', redact_columns => '{pw}');
SELECT audit.enable('m');
UPDATE users SET email = 'b@x', mood = 'sad';
UPDATE m SET v = 2;
"""


def reads(conn):
    return {
        "tables": conn.execute("SELECT table_name::text, key_columns, redact_columns FROM audit.tables"
                               " ORDER BY 1").fetchall(),
        "state": conn.execute("SELECT state FROM audit.state_at('users', 1, now())").fetchall(),
        "history": conn.execute("SELECT action, state FROM audit.history('users', 1)").fetchall(),
        "m": conn.execute("SELECT record_id, state FROM audit.table_at('m', now()) ORDER BY 1").fetchall(),
        "log": conn.execute("SELECT id, action, table_name, record_id, old_values, new_values FROM audit.logs"
                            " ORDER BY id").fetchall(),
    }


@pytest.mark.parametrize("fmt", ["custom", "plain"])
def test_dump_and_restore_keep_audit_tables_reads_and_fast_capture(pg, db, db_dsn, make_empty_db, tmp_path, fmt):
    if pg.bin_dir is None:
        pytest.skip("needs the server's own pg_dump and pg_restore (a server the harness started)")
    db.execute(SCHEMA)
    before = reads(db)
    dump = tmp_path / f"dump.{fmt}"
    subprocess.run([str(pg.bin_dir / "pg_dump"), "-F", fmt[0], "-f", str(dump), db_dsn], check=True,
                   capture_output=True)
    target = make_empty_db()
    if fmt == "custom":
        subprocess.run([str(pg.bin_dir / "pg_restore"), "--exit-on-error", "-d", target.dsn(), str(dump)],
                       check=True, capture_output=True)
    else:
        target.psql(["-q", "-f", str(dump)])
    conn = target.connect()
    old_oid = db.execute("SELECT 'users'::regclass::oid").fetchone()[0]
    assert conn.execute("SELECT 'users'::regclass::oid").fetchone()[0] != old_oid
    assert reads(conn) == before

    # Capture on its fast path: the generated statements, never audit._statement_for's rebuild.
    admin = target.connect(None)
    admin.autocommit = False
    admin.execute("SET track_functions = 'all'")
    admin.execute("UPDATE users SET email = 'c@x', pw = 'p2'")
    admin.execute("UPDATE m SET v = 3")
    assert admin.execute("SELECT count(*) FROM pg_stat_xact_user_functions WHERE schemaname = 'audit'"
                         " AND funcname = '_statement_for'").fetchone()[0] == 0
    admin.commit()
    tail = [(e["action"], e["record_id"], e["old_values"]) for e in log_rows(conn, since=before["log"][-1][0])]
    assert tail == [("UPDATE", "1", {"email": "b@x", "pw": "[redacted]"}),
                    ("UPDATE", '{"id": 1, "region": "eu"}', {"v": 2})]

    # Enabling again changes options only: no second snapshot.
    conn.execute("SELECT audit.enable('users', redact_columns => '{pw}')")
    assert conn.execute("SELECT count(*) FROM audit.logs WHERE action = 'SNAPSHOT' AND table_name = 'users'"
                        ).fetchone()[0] == 1

    # A table made after the restore is not an audited one, whatever oid it gets.
    conn.execute("CREATE TABLE newcomer (id int PRIMARY KEY)")
    with raises_sqlstate("55000", "newcomer", "not audited"):
        conn.execute("SELECT * FROM audit.state_at('newcomer', 1, now())")
    assert "newcomer" not in [t for t, *_ in reads(conn)["tables"]]


def test_a_dropped_audited_table_s_config_is_not_taken_by_a_new_table(db):
    db.execute("CREATE TABLE t (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('t')")
    oid = db.execute("SELECT 't'::regclass::oid").fetchone()[0]
    db.execute("DROP TABLE t")
    # The config row now names an oid that a new table may get; without the capture triggers it
    # is not that table.
    assert db.execute("SELECT count(*) FROM audit.tables").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM audit.config WHERE relid::oid = %s", [oid]).fetchone()[0] == 1
