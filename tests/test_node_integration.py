"""The Node.js integration (integrations/node/) against the same real PostgreSQL as the rest.

Once per session: ``npm ci`` (skipped when integrations/node/node_modules was installed from the
same package-lock.json), then ``npm run build`` (tsc into integrations/node/dist/, which the
examples and tests import by the package's own name). Then:

- ``test_node_typecheck``: ``tsc --noEmit`` over src/, examples/ and test/;
- ``test_node_suite[<file>]``: each ``integrations/node/test/*.test.ts`` under node's own test runner
  (``node --import tsx --test``), with DSNs in the environment: ``AUDIT_NODE_DSN`` (a fresh
  database with the package installed, as its owner), ``AUDIT_NODE_EMPTY_DSN`` and
  ``AUDIT_NODE_UPGRADE_DSN`` (databases without it, for the migrations). It must exit 0 and have
  run at least one test; the tests node skipped are reported as warnings with node's reason;
- ``test_docs_show_the_tested_code``: every example in docs/node.md is, byte for byte, a region of
  a file under integrations/node/examples/ that the node tests import.

Where ``node`` or ``npm`` is missing (or node is older than 20.11), these tests skip with that
reason. They run on every major the suite runs: a few seconds each.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from psycopg.conninfo import conninfo_to_dict

from package_helpers import releases, version_key, working_version
from pgserver import REPO_ROOT

NODE_DIR = REPO_ROOT / "integrations" / "node"
NODE_TESTS = sorted((NODE_DIR / "test").glob("*.test.ts"))
DOCS = REPO_ROOT / "docs" / "node.md"
MIN_NODE = (20, 11)
# node_modules/ was installed by `npm ci` from a package-lock.json with this digest.
STAMP = NODE_DIR / "node_modules" / ".pg-audit-trail-npm-ci"


def node_url(dsn: str) -> str:
    """A libpq DSN as the postgresql:// URL that node-postgres reads (a socket folder as ?host=)."""
    info = conninfo_to_dict(dsn)
    user = quote(info.get("user", ""), safe="")
    password = info.get("password")
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = info.get("host", "localhost")
    port = info.get("port", "5432")
    query = []
    if host.startswith("/"):
        query.append(f"host={quote(host, safe='')}")
        host = "localhost"
    if info.get("sslmode"):
        query.append(f"sslmode={info['sslmode']}")
    url = f"postgresql://{auth}{host}:{port}/{quote(info['dbname'], safe='')}"
    return url + (f"?{'&'.join(query)}" if query else "")


def run(cmd: list[str], timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=NODE_DIR, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=timeout)


def output(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


@pytest.fixture(scope="session")
def node_package() -> dict[str, str]:
    """node and npm, with integrations/node installed and built; skips where they are missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip(f"{'node' if not node else 'npm'} is not on PATH: the Node.js integration tests "
                    "(integrations/node) are skipped; install Node.js 20.11 or newer to run them")
    version = run([node, "--version"]).stdout.strip()
    parts = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
    if parts < MIN_NODE:
        pytest.skip(f"node {version} is older than {'.'.join(map(str, MIN_NODE))} (node-pg-migrate 9 needs it): "
                    "the Node.js integration tests are skipped")
    digest = hashlib.sha256((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()
    if not STAMP.is_file() or STAMP.read_text().strip() != digest:
        proc = run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], timeout=600)
        if proc.returncode != 0:
            pytest.fail(f"npm ci in {NODE_DIR} failed:\n{output(proc)}", pytrace=False)
        STAMP.write_text(digest + "\n")
    proc = run([npm, "run", "build"])
    if proc.returncode != 0:
        pytest.fail(f"npm run build in {NODE_DIR} failed:\n{output(proc)}", pytrace=False)
    return {"node": node, "npm": npm}


def test_node_typecheck(node_package):
    proc = run([node_package["npm"], "run", "typecheck"])
    assert proc.returncode == 0, f"tsc --noEmit failed:\n{output(proc)}"


def tap_counts(text: str) -> dict[str, int]:
    """The totals at the end of node's TAP report: tests, pass, fail, skipped, ..."""
    return {k: int(v) for k, v in re.findall(r"^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$", text, re.M)}


@pytest.mark.parametrize("test_file", NODE_TESTS, ids=lambda p: p.name)
def test_node_suite(node_package, test_file: Path, fresh_db, make_empty_db):
    env = dict(os.environ,
               AUDIT_NODE_DSN=node_url(fresh_db.dsn()),
               AUDIT_NODE_EMPTY_DSN=node_url(make_empty_db().dsn()),
               AUDIT_NODE_UPGRADE_DSN=node_url(make_empty_db().dsn()),
               AUDIT_NODE_WORKING_VERSION=working_version())
    older = [path for v, path in releases().items() if version_key(v) < version_key(working_version())]
    if older:
        env["AUDIT_NODE_OLD_RELEASE"] = str(older[0])
    proc = run([node_package["node"], "--import", "tsx", "--test", "--test-reporter=tap",
                str(test_file.relative_to(NODE_DIR))], env=env)
    counts = tap_counts(proc.stdout)
    print(f"node --test {test_file.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    assert proc.returncode == 0, f"node --test {test_file.name} failed:\n{output(proc)}"
    assert counts.get("tests", 0) > 0 and counts.get("pass", 0) > 0, f"node ran no test:\n{output(proc)}"
    assert counts.get("fail", 0) == 0 and counts.get("cancelled", 0) == 0, output(proc)
    for reason in re.findall(r"^\s*ok \d+ - (.+?) # SKIP ?(.*)$", proc.stdout, re.M):
        warnings.warn(f"{test_file.name}: node skipped {reason[0]!r}: {reason[1] or 'no reason given'}", stacklevel=1)


EXAMPLE_REGION = re.compile(r"^// example: ([a-z0-9-]+)\n(.*?)^// end example\n", re.M | re.S)
DOC_BLOCK = re.compile(r"^```ts\n(// example: ([a-z0-9-]+)\n.*?)^```\n", re.M | re.S)


def test_docs_show_the_tested_code():
    regions = {}
    for path in sorted((NODE_DIR / "examples").rglob("*.ts")):
        for m in EXAMPLE_REGION.finditer(path.read_text()):
            regions[m.group(1)] = (path, m.group(0).removesuffix("// end example\n"))
    blocks = {m.group(2): m.group(1) for m in DOC_BLOCK.finditer(DOCS.read_text())}
    assert {"context", "reads", "migration"} <= set(regions), sorted(regions)
    assert set(blocks) == set(regions), f"docs/node.md shows {sorted(blocks)}, the examples have {sorted(regions)}"
    for name, (path, text) in regions.items():
        assert blocks[name] == text, f"docs/node.md's block {name!r} differs from {path.relative_to(REPO_ROOT)}"
    tests = "".join(p.read_text() for p in NODE_TESTS)
    for path in {p for p, _ in regions.values()}:
        stem = path.relative_to(NODE_DIR / "examples").with_suffix(".js").as_posix()
        assert stem in tests or path.parent.name == "migrations", \
            f"no node test imports examples/{stem}"
