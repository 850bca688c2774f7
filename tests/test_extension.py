"""The package as a PostgreSQL extension: `make dist` output, CREATE EXTENSION by the database owner.

These tests need a server whose extension directory the harness owns (the PyPI
route); on an AUDIT_TEST_DSN or Docker server they skip, saying so.
"""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from package_helpers import (
    EXTENSION, assert_still_audited, catalog_diff, catalog_snapshot, extension_members, log_snapshot, max_log_id,
    package_objects, working_version, write_history,
)
from pgserver import PsqlError, install_sql_path

pytestmark = pytest.mark.upgrade


@pytest.fixture
def ext_db(extension_files, fresh_db_no_install):
    """An empty database where the owner (not a superuser) has run CREATE EXTENSION audit_trail."""
    conn = fresh_db_no_install.connect()
    conn.execute(f"create extension {EXTENSION}")
    return fresh_db_no_install


def test_dist_has_control_file_and_script_of_the_working_version(dist_dir):
    version = working_version()
    control = (dist_dir / f"{EXTENSION}.control").read_text()
    assert f"default_version = '{version}'" in control
    assert "superuser = false" in control and "relocatable = false" in control
    script = (dist_dir / f"{EXTENSION}--{version}.sql").read_text()
    # A CREATE EXTENSION script runs in the command's own transaction and cannot run psql commands.
    lines = [line.strip().lower() for line in script.splitlines()]
    assert "begin;" not in lines and "commit;" not in lines
    assert [line for line in lines if line.startswith("\\")] == [
        '\\echo use "create extension audit_trail" to load this file. \\quit']


def test_owner_without_superuser_creates_the_extension(ext_db, roles):
    conn = ext_db.connect()
    user, is_super = conn.execute(
        "select current_user, rolsuper from pg_catalog.pg_roles where rolname = current_user").fetchone()
    assert (user, is_super) == (roles.owner, False)
    version, owner = conn.execute(
        "select e.extversion, pg_catalog.pg_get_userbyid(e.extowner) from pg_catalog.pg_extension as e"
        " where e.extname = %s", [EXTENSION]).fetchone()
    assert version == working_version() == conn.execute("select audit.version()").fetchone()[0]
    assert owner == roles.owner


def test_extension_gives_exactly_the_objects_of_psql_install(extension_files, fresh_db_no_install, make_empty_db,
                                                             run_install):
    by_psql = fresh_db_no_install
    run_install(by_psql.dsn())
    by_extension = make_empty_db()
    by_extension.connect().execute(f"create extension {EXTENSION}")

    a = catalog_snapshot(by_psql.connect())
    b = catalog_snapshot(by_extension.connect())
    assert a["function"] and a["relation"], "the snapshot found no package objects"
    diff = catalog_diff(a, b, ("psql -f install.sql", "CREATE EXTENSION"))
    assert not diff, "the two install routes give different objects:\n" + diff


def test_every_package_object_belongs_to_the_extension(ext_db):
    conn = ext_db.connect()
    missing = package_objects(conn) - extension_members(conn)
    assert not missing, f"objects that DROP EXTENSION would leave behind: {sorted(missing)}"


def test_capture_and_reads_work_in_the_extension(ext_db):
    conn = ext_db.connect()
    write_history(conn)
    state = conn.execute("select state from audit.state_at('public.accounts'::regclass, 1, now())").fetchone()[0]
    assert state["plan"] == "pro"
    assert [r[0] for r in conn.execute("select action from audit.history('public.accounts'::regclass, 1)")] == [
        "SNAPSHOT", "UPDATE"]


def test_capture_functions_made_by_enable_stay_outside_the_extension(ext_db):
    # audit.enable runs outside any extension script: its functions are the tables', so that
    # audit.disable can drop them (PostgreSQL refuses to drop a member of an extension).
    conn = ext_db.connect()
    write_history(conn)
    members = extension_members(conn)
    generated = [r[0] for r in conn.execute(
        "select pg_catalog.pg_describe_object('pg_catalog.pg_proc'::regclass, p.oid, 0) from pg_catalog.pg_proc as p"
        " where p.pronamespace = 'audit'::regnamespace and p.proname ~ '^(capture|guard)_n?[0-9]+$'")]
    assert generated, "audit.enable made no capture function"
    assert not set(generated) & members
    conn.execute("select audit.disable('public.accounts')")
    conn.execute("insert into public.accounts values (9, 'z@example.com', 'free', now())")
    assert conn.execute("select count(*) from audit.logs where record_id = '9'").fetchone()[0] == 0


def test_update_script_keeps_history_and_capture(ext_db, pg):
    # The update script of every release is the working tree's own script (install.sql upgrades in
    # place). Run it as an update now, over audited tables, under a made-up target version, so the
    # mechanism is proven before there is an older release to update from.
    conn = ext_db.connect()
    write_history(conn)
    before = log_snapshot(conn)
    members_before = extension_members(conn)
    version = working_version()
    target = f"{version}-selftest{os.getpid()}"  # one per session: others may share the directory
    update_script = pg.extension_dir / f"{EXTENSION}--{version}--{target}.sql"
    update_script.write_text((pg.extension_dir / f"{EXTENSION}--{version}.sql").read_text())
    try:
        conn.execute(f"alter extension {EXTENSION} update to '{target}'")
    finally:
        update_script.unlink()
    assert conn.execute("select extversion from pg_catalog.pg_extension where extname = %s",
                        [EXTENSION]).fetchone()[0] == target
    assert log_snapshot(conn) == before
    assert extension_members(conn) == members_before
    assert_still_audited(conn, max_log_id(conn))
    conn.execute("select audit.disable('public.order_lines')")  # generated functions are still droppable


def test_psql_install_over_the_extension_fails_and_changes_nothing(ext_db, pg):
    conn = ext_db.connect()
    write_history(conn)
    before = catalog_snapshot(conn), log_snapshot(conn)
    # Straight through psql: run_install skips over an extension in the extension pass.
    with pytest.raises(PsqlError):
        pg.psql(["-f", str(install_sql_path())], dsn=ext_db.dsn())
    assert (catalog_snapshot(conn), log_snapshot(conn)) == before


def test_create_extension_over_a_psql_install_is_refused_with_a_hint(extension_files, fresh_db_no_install,
                                                                     run_install):
    run_install(fresh_db_no_install.dsn())
    conn = fresh_db_no_install.connect()
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as exc:
        conn.execute(f"create extension {EXTENSION}")
    assert "not part of the extension" in str(exc.value)
    assert "sql/uninstall.sql" in (exc.value.diag.message_hint or "")


def test_drop_extension_drops_every_package_object(ext_db):
    conn = ext_db.connect()
    conn.execute(f"drop extension {EXTENSION}")
    assert conn.execute("select to_regnamespace('audit')").fetchone()[0] is None


def test_pg_dump_and_restore_keep_the_log(ext_db, make_empty_db, pg):
    # pg_dump saves the extension's config tables (pg_extension_config_dump): the log, its id
    # counter, the audited tables' settings, a site's own actor types.
    conn = ext_db.connect()
    write_history(conn)
    conn.execute("insert into audit.actor_types values ('robot', 'a site''s own type')")
    before = log_snapshot(conn)
    last_id = max_log_id(conn)
    proc = subprocess.run([str(pg.bin_dir / "pg_dump"), "--no-owner", "-d", ext_db.dsn()],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    target = make_empty_db()
    pg.psql([], dsn=target.dsn(), input=proc.stdout)
    restored = target.connect()
    assert log_snapshot(restored) == before
    assert ("robot",) in restored.execute("select name from audit.actor_types").fetchall()
    # The capture triggers came along with the tables, and the id counter with the log.
    restored.execute("insert into public.accounts values (50, 'new@example.com', 'free', now())")
    assert restored.execute("select id, record_id from audit.logs where id > %s", [last_id]).fetchall() == [
        (last_id + 1, "50")]
