"""A user upgrades in place: an installed release, with history in its log, to the working tree.

Every release is frozen in sql/releases/audit_trail--<version>.sql (`make release`). Each one
that is not newer than the working version is installed with psql, given history, and upgraded
by `psql -f sql/install.sql`; each one older than the working version is also created as an
extension (CREATE EXTENSION audit_trail VERSION '<release>') and upgraded by ALTER EXTENSION
audit_trail UPDATE, through the update script that `make dist` makes for it. After either: the
log rows are all there, unchanged; the audited tables are still audited; audit.version() is the
working version.

To release version X: set X in sql/functions/admin/version.sql, run `make release`, commit the new
file in sql/releases/. Never edit an older file there.
"""

from __future__ import annotations

import pytest

from package_helpers import (
    EXTENSION, assert_still_audited, log_snapshot, max_log_id, releases, version_key, working_version,
    write_history,
)

pytestmark = pytest.mark.upgrade

WORKING = working_version()
RELEASES = releases()
NOT_NEWER = [v for v in RELEASES if version_key(v) <= version_key(WORKING)]
OLDER = [v for v in NOT_NEWER if v != WORKING]


def test_every_release_is_frozen_and_none_is_newer_than_the_working_tree():
    assert RELEASES, "sql/releases/ has no release: run `make release` (see tests/test_upgrade.py)"
    newer = [v for v in RELEASES if version_key(v) > version_key(WORKING)]
    assert not newer, f"releases newer than the working version {WORKING}: {newer}"


def check_upgraded(conn, before: list[tuple], collation_c: bool = True) -> None:
    assert log_snapshot(conn) == before, "the upgrade changed or lost log rows"
    assert conn.execute("select audit.version()").fetchone()[0] == WORKING
    assert [r[0] for r in conn.execute("select table_name::text from audit.tables order by 1")] == [
        "accounts", "events", "order_lines"]
    assert_still_audited(conn, max_log_id(conn))
    # The log's key and name columns compare byte for byte (unless a site object reads them), and
    # its btrees skip deduplication, whatever the release upgraded from had.
    assert conn.execute(
        "select array_agg(a.attname::text order by a.attname) from pg_attribute as a"
        " where a.attrelid = 'audit.logs'::regclass and a.attcollation = 'pg_catalog.\"C\"'::regcollation"
    ).fetchone()[0] == (["actor_email", "migration_name", "old_record_id", "record_id", "schema_name", "table_name"]
                        if collation_c else None)
    assert conn.execute(
        "select array_agg(c.relname::text order by c.relname) from pg_class as c"
        " where c.relnamespace = 'audit'::regnamespace and 'deduplicate_items=off' = any(c.reloptions)"
    ).fetchone()[0] == ["logs_actor_id_idx", "logs_actor_idx", "logs_migration_idx", "logs_old_record_idx",
                        "logs_record_idx"]
    # The history written before the upgrade still reads back across it.
    assert [r[0] for r in conn.execute("select action from audit.history('public.accounts'::regclass, 1)")] == [
        "SNAPSHOT", "UPDATE"]


@pytest.mark.parametrize("release", NOT_NEWER or ["(none)"])
def test_psql_install_upgrades_a_release_in_place(release, fresh_db_no_install, run_install):
    if release == "(none)":
        pytest.fail("no release to upgrade from in sql/releases/: run `make release`")
    db = fresh_db_no_install
    run_install(db.dsn(), RELEASES[release])
    conn = db.connect()
    assert conn.execute("select audit.version()").fetchone()[0] == release
    write_history(conn)
    before = log_snapshot(conn)
    assert len(before) >= 10
    run_install(db.dsn())
    check_upgraded(conn, before)
    # And once more: an install over the same version changes nothing.
    after = log_snapshot(conn)
    run_install(db.dsn())
    assert log_snapshot(conn) == after
    assert conn.execute("select audit.version()").fetchone()[0] == WORKING


@pytest.mark.parametrize("release", OLDER or [WORKING])
def test_alter_extension_update_upgrades_a_release_in_place(release, extension_files, fresh_db_no_install):
    if release == WORKING:
        pytest.skip(f"no release older than the working version {WORKING} in sql/releases/, so there is no "
                    "update script yet: the first one comes with the next release (bump "
                    "sql/functions/admin/version.sql, make release); test_extension.py runs the update "
                    "mechanism on a made-up version meanwhile")
    conn = fresh_db_no_install.connect()
    conn.execute(f"create extension {EXTENSION} version '{release}'")
    assert conn.execute("select audit.version()").fetchone()[0] == release
    write_history(conn)
    before = log_snapshot(conn)
    conn.execute(f"alter extension {EXTENSION} update")
    assert conn.execute("select extversion from pg_catalog.pg_extension where extname = %s",
                        [EXTENSION]).fetchone()[0] == WORKING
    check_upgraded(conn, before)


@pytest.mark.parametrize("release", [v for v in OLDER if v == "0.1.0"] or ["(none)"])
def test_upgrade_with_a_site_view_on_the_log_keeps_the_old_collation_and_goes_through(
        release, fresh_db_no_install, run_install):
    # 0.1.0's log columns had the database's collation; 0.2.0 wants "C", which ALTER TABLE cannot
    # give a column that a view reads. The upgrade warns and goes on; nothing is lost.
    if release == "(none)":
        pytest.skip("no 0.1.0 release older than the working version")
    db = fresh_db_no_install
    run_install(db.dsn(), RELEASES[release])
    conn = db.connect()
    write_history(conn)
    conn.execute("CREATE VIEW public.my_audit AS SELECT record_id, table_name, actor_email FROM audit.logs")
    before = log_snapshot(conn)
    proc = run_install(db.dsn())
    assert "audit.logs keeps its collation" in proc.stderr
    check_upgraded(conn, before, collation_c=False)
    assert conn.execute("SELECT count(*) FROM public.my_audit").fetchone()[0] == len(log_snapshot(conn))
