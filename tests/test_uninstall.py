"""A user removes the package: sql/uninstall.sql keeps the log, or drops it too with -v drop_log=1.

Both install routes: psql -f sql/install.sql, and CREATE EXTENSION (PyPI route only).
"""

from __future__ import annotations

import pytest

from package_helpers import EXTENSION, log_snapshot, write_history
from pgserver import REPO_ROOT, PsqlError

pytestmark = pytest.mark.upgrade

UNINSTALL = REPO_ROOT / "sql" / "uninstall.sql"


@pytest.fixture(params=["psql", "extension"])
def installed(request, fresh_db_no_install, run_install):
    """A database with the package (by either route) and some history in it."""
    if request.param == "extension":
        request.getfixturevalue("extension_files")
        fresh_db_no_install.connect().execute(f"create extension {EXTENSION}")
    else:
        run_install(fresh_db_no_install.dsn())
    write_history(fresh_db_no_install.connect())
    return fresh_db_no_install


def uninstall(db, *args):
    return db.psql([*args, "-f", str(UNINSTALL)])


def audit_objects(conn) -> list[tuple]:
    """What is left in schema audit, and the triggers anywhere that call into it."""
    return conn.execute("""
        select c.relkind::text, c.relname::text from pg_catalog.pg_class as c
        where c.relnamespace = pg_catalog.to_regnamespace('audit')
        union all
        select 'function', p.proname::text from pg_catalog.pg_proc as p
        where p.pronamespace = pg_catalog.to_regnamespace('audit')
        union all
        select 'trigger', t.tgname::text from pg_catalog.pg_trigger as t
        join pg_catalog.pg_proc as p on p.oid = t.tgfoid
        where p.pronamespace = pg_catalog.to_regnamespace('audit')
        union all
        select 'type', y.typname::text from pg_catalog.pg_type as y
        where y.typnamespace = pg_catalog.to_regnamespace('audit') and y.typrelid = 0 and y.typelem = 0
        order by 1, 2""").fetchall()


def writes_are_plain(conn) -> None:
    """The once audited tables take writes again, and nothing tries to log them."""
    conn.execute("insert into public.accounts values (70, 'x@example.com', 'free', now())")
    conn.execute("update public.order_lines set qty = 0")
    conn.execute("truncate public.events")


def test_uninstall_keeps_the_log_and_nothing_else(installed):
    conn = installed.connect()
    before = log_snapshot(conn)
    uninstall(installed)
    left = audit_objects(conn)
    assert [r for r in left if r[0] != "i"] == [("S", "logs_id_seq"), ("r", "logs")]
    assert conn.execute("select count(*) from pg_catalog.pg_index as i join pg_catalog.pg_class as c"
                        " on c.oid = i.indexrelid where c.relnamespace = 'audit'::regnamespace"
                        " and i.indrelid <> 'audit.logs'::regclass").fetchone()[0] == 0
    assert log_snapshot(conn) == before
    assert conn.execute(f"select count(*) from pg_catalog.pg_extension where extname = '{EXTENSION}'").fetchone()[0] \
        == 0
    writes_are_plain(conn)
    assert log_snapshot(conn) == before


def test_uninstall_with_drop_log_removes_everything(installed):
    conn = installed.connect()
    uninstall(installed, "-v", "drop_log=1")
    assert conn.execute("select to_regnamespace('audit')").fetchone()[0] is None
    assert conn.execute(f"select count(*) from pg_catalog.pg_extension where extname = '{EXTENSION}'").fetchone()[0] \
        == 0
    writes_are_plain(conn)


def test_uninstall_twice_and_on_a_database_without_the_package(installed, make_empty_db):
    uninstall(installed)
    uninstall(installed)
    uninstall(installed, "-v", "drop_log=1")
    uninstall(installed, "-v", "drop_log=1")
    assert installed.connect().execute("select to_regnamespace('audit')").fetchone()[0] is None
    empty = make_empty_db()
    proc = uninstall(empty)
    assert "nothing to uninstall" in proc.stderr


def test_install_again_takes_up_the_kept_log(installed, run_install):
    conn = installed.connect()
    before = log_snapshot(conn)
    uninstall(installed)
    run_install(installed.dsn())
    assert log_snapshot(conn) == before
    conn.execute("select audit.enable('public.accounts', snapshot => false)")
    conn.execute("update public.accounts set plan = 'team' where id = 1")
    assert [r[0] for r in conn.execute("select action from audit.history('public.accounts'::regclass, 1)")] == [
        "SNAPSHOT", "UPDATE", "UPDATE"]


def test_uninstall_never_drops_objects_of_the_user(installed):
    conn = installed.connect()
    conn.execute("create view public.recent_changes as select id, action from audit.logs")
    before = audit_objects(conn), log_snapshot(conn)
    with pytest.raises(PsqlError, match="depend"):
        uninstall(installed, "-v", "drop_log=1")
    assert (audit_objects(conn), log_snapshot(conn)) == before
    # Keeping the log, the view keeps working.
    uninstall(installed)
    assert conn.execute("select count(*) from public.recent_changes").fetchone()[0] == len(before[1])
