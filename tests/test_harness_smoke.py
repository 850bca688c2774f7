"""The harness itself: a reachable server, a package installed by a non-superuser, isolated databases."""

import psycopg
import pytest

from pgserver import PsqlError

SCRATCH_TABLE = "harness_isolation_probe"


def test_server_is_reachable_and_supported(pg):
    with pg.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert pg.major >= 14


def test_psql_client_runs(pg):
    out = pg.psql(["-At", "-c", "SELECT 40 + 2"]).stdout
    assert out.strip() == "42"


def test_psql_failure_reports_stderr(pg):
    with pytest.raises(PsqlError, match="no_such_table"):
        pg.psql(["-c", "SELECT * FROM no_such_table"])


def test_package_is_installed_in_fresh_db(db):
    version = db.execute("SELECT audit.version()").fetchone()[0]
    assert isinstance(version, str) and version.strip()


def test_connection_is_the_non_superuser_owner(db, db_name, roles):
    user, is_super, owner = db.execute(
        "SELECT current_user, r.rolsuper, pg_catalog.pg_get_userbyid(d.datdba)"
        " FROM pg_catalog.pg_roles r, pg_catalog.pg_database d"
        " WHERE r.rolname = current_user AND d.datname = current_database()"
    ).fetchone()
    assert (user, is_super, owner) == (roles.owner, False, roles.owner)
    assert db.execute("SELECT current_database()").fetchone()[0] == db_name


def test_installing_role_is_not_superuser(db, roles):
    # Whoever owns the audit schema installed the package.
    installer, is_super = db.execute(
        "SELECT r.rolname, r.rolsuper FROM pg_catalog.pg_namespace n"
        " JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner WHERE n.nspname = 'audit'"
    ).fetchone()
    assert installer == roles.owner
    assert is_super is False


@pytest.mark.parametrize("step", [1, 2])
def test_fresh_db_is_independent_between_tests(db, step):
    # Both runs see a clean database: a table made by the first is gone in the second.
    exists = db.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{SCRATCH_TABLE}"]).fetchone()[0]
    assert exists is False
    db.execute(f"CREATE TABLE public.{SCRATCH_TABLE} (id int PRIMARY KEY)")


def test_connect_factory_opens_sessions_as_other_roles(connect, roles, admin):
    writer = connect(roles.writer)
    reader = connect(roles.reader, application_name="harness-reader")
    assert writer.execute("SELECT current_user").fetchone()[0] == roles.writer
    assert reader.execute("SELECT current_user, current_setting('application_name')").fetchone() == (
        roles.reader, "harness-reader")
    assert admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0] is True
    tx = connect(autocommit=False)
    tx.execute("CREATE TABLE t_rolled_back (id int)")
    tx.rollback()
    assert writer.execute("SELECT to_regclass('t_rolled_back')").fetchone()[0] is None


def test_fresh_db_no_install_is_empty_and_installable(fresh_db_no_install, run_install, roles):
    conn = fresh_db_no_install.connect()
    assert conn.execute("SELECT to_regnamespace('audit')").fetchone()[0] is None
    owner = conn.execute(
        "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = current_database()"
    ).fetchone()[0]
    assert owner == roles.owner
    run_install(fresh_db_no_install.dsn())
    assert conn.execute("SELECT audit.version()").fetchone()[0]


def test_run_install_raises_with_stderr(fresh_db_no_install, run_install, tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT 1;\nSELECT no_such_function();\nSELECT 2;\n")
    with pytest.raises(PsqlError, match="no_such_function"):
        run_install(fresh_db_no_install.dsn(), bad)


def test_dropped_databases_do_not_accumulate(pg, audit_template):
    with pg.connect() as conn:
        leftovers = conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_database WHERE datname ~ '^[tn]_[0-9a-f]{12}$'"
        ).fetchone()[0]
    # Only the databases of currently running tests may exist (none here).
    assert leftovers == 0


def test_superuser_dsn_targets_fresh_db(superuser_dsn, db_name, roles):
    with psycopg.connect(superuser_dsn) as conn:
        assert conn.execute("SELECT current_database(), current_user").fetchone() == (db_name, roles.admin)
