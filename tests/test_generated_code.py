"""audit.generated_code(tbl): the capture code of an audited table, pinned by golden files.

Each case below is a table that reaches one branch of the generator; its capture code, with the
sequence-numbered function names masked, must equal ``tests/golden/capture/<case>.sql``. A change
to the generator therefore shows up in review as a diff of those files, in PL/pgSQL. After a
deliberate change, regenerate them and read the diff:

    make golden            # AUDIT_UPDATE_GOLDEN=1 for this file: rewrites the files, then passes

The code also runs: each case writes to its table after the comparison, and the log must hold it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
import pytest

GOLDEN = Path(__file__).resolve().parent / "golden" / "capture"
UPDATE = os.environ.get("AUDIT_UPDATE_GOLDEN") == "1"

CASES = {
    # One key column, no options: the common case.
    "plain": [
        "CREATE TABLE plain (id bigint PRIMARY KEY, email text NOT NULL, score float8, tags text[])",
        "SELECT audit.enable('plain')",
    ],
    # Names that need quoting: schema, table, key and other columns.
    "quoted_names": [
        'CREATE SCHEMA "Sales Dept"',
        'CREATE TABLE "Sales Dept"."Order Lines" ("Line ID" int PRIMARY KEY, "Qty""x" int, "select" text)',
        """SELECT audit.enable('"Sales Dept"."Order Lines"')""",
    ],
    # A composite key, as users_organizations, with its lookup indexes.
    "composite_key": [
        "CREATE TABLE memberships (user_id bigint, org_id bigint, role text NOT NULL DEFAULT 'member', "
        "PRIMARY KEY (user_id, org_id))",
        "SELECT audit.enable('memberships', lookup_columns => '{role}')",
    ],
    # Redacted and ignored columns, and require_actor.
    "options": [
        "CREATE TABLE accounts (id int PRIMARY KEY, email text, encrypted_password text, "
        "last_sign_in_at timestamptz, updated_at timestamptz)",
        "SELECT audit.enable('accounts', ignore_columns => '{last_sign_in_at,updated_at}', "
        "redact_columns => '{encrypted_password}', require_actor => true)",
    ],
    # key_columns named rather than the primary key.
    "key_columns": [
        "CREATE TABLE devices (serial text NOT NULL UNIQUE, owner int, label text)",
        "SELECT audit.enable('devices', key_columns => '{serial}')",
    ],
    # A partitioned table: its partitions carry the capture, the parent guards new partitions.
    "partitioned": [
        "CREATE TABLE events (id bigint, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "SELECT audit.enable('events')",
    ],
    # Inheritance two levels deep: the grandchild's code also checks, as it runs, that it is still
    # below the audited table (a change of its parent's inheritance leaves its cached plans alone).
    "inheritance": [
        "CREATE TABLE docs (id int PRIMARY KEY, title text)",
        "CREATE TABLE docs_child (id int PRIMARY KEY, title text)",
        "CREATE TABLE docs_grandchild (id int PRIMARY KEY, title text)",
        "ALTER TABLE docs_child INHERIT docs",
        "ALTER TABLE docs_grandchild INHERIT docs_child",
        "SELECT audit.enable('docs')",
    ],
    # Types of the table owner's own (an enum, a composite, an array of the enum): capture converts
    # them through their output functions, never a cast (audit._json_expr, audit._text_expr).
    "user_types": [
        "CREATE TYPE mood AS ENUM ('sad', 'ok')",
        "CREATE TYPE pair AS (a int, b text)",
        "CREATE TABLE feelings (id int PRIMARY KEY, mood mood, pair pair, moods mood[])",
        "SELECT audit.enable('feelings')",
    ],
    # A stored generated column, and types of several kinds.
    "generated_columns": [
        "CREATE TABLE prices (id int PRIMARY KEY, net numeric(10, 2), rate numeric(4, 3), "
        "gross numeric GENERATED ALWAYS AS (net * (1 + rate)) STORED, valid tstzrange, meta jsonb)",
        "SELECT audit.enable('prices')",
    ],
}

# A row for each case, written after the comparison: the code that was pinned also captures.
WRITES = {
    "plain": ["INSERT INTO plain VALUES (1, 'a@example.com', 1.5, '{x}')", "UPDATE plain SET score = 2.5"],
    "quoted_names": ['INSERT INTO "Sales Dept"."Order Lines" VALUES (1, 2, \'x\')',
                     'UPDATE "Sales Dept"."Order Lines" SET "Qty""x" = 3'],
    "composite_key": ["INSERT INTO memberships VALUES (1, 2)", "UPDATE memberships SET role = 'admin'"],
    "options": ["SELECT audit.set_actor('ops@example.com', 'user')",
                "INSERT INTO accounts VALUES (1, 'a@example.com', 'secret', now(), now())"],
    "key_columns": ["INSERT INTO devices VALUES ('S1', 1, 'phone')", "UPDATE devices SET label = 'tablet'"],
    "partitioned": ["INSERT INTO events VALUES (1, '2024-05-01', 'a'), (2, '2025-05-01', 'b')",
                    "UPDATE events SET kind = 'c'"],
    "generated_columns": ["INSERT INTO prices (id, net, rate) VALUES (1, 10, 0.2)", "UPDATE prices SET net = 12"],
    "inheritance": ["INSERT INTO docs_grandchild VALUES (1, 'a')", "UPDATE docs_grandchild SET title = 'b'"],
    "user_types": ["INSERT INTO feelings VALUES (1, 'sad', (1, 'x'), '{sad}')", "UPDATE feelings SET mood = 'ok'"],
}


def masked(text: str) -> str:
    """The capture code with the sequence-numbered names masked (they differ between databases)."""
    return re.sub(r"\b(capture|guard)_n[0-9]+\b", r"\1_nN", text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_code_is_pinned_by_its_golden_file(db, case):
    for statement in CASES[case]:
        db.execute(statement)
    table = CASES[case][-1].split("'")[1]
    code = masked(db.execute("SELECT audit.generated_code(%s)", [table]).fetchone()[0])
    golden = GOLDEN / f"{case}.sql"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(code)
    assert golden.exists(), f"no golden file {golden.name}: run `make golden` and review it"
    assert code == golden.read_text(), (
        f"the capture code of {table} differs from {golden.relative_to(GOLDEN.parent.parent)}: "
        "if the generator changed on purpose, run `make golden` and review the diff")
    # Every function the code names exists and is the one the triggers run.
    for name in set(re.findall(r"audit\.(capture_n[0-9]+)\(\)", db.execute(
            "SELECT audit.generated_code(%s)", [table]).fetchone()[0])):
        assert db.execute("SELECT to_regproc(%s) IS NOT NULL", [f"audit.{name}"]).fetchone()[0]
    before = db.execute("SELECT count(*) FROM audit.logs").fetchone()[0]
    with db.transaction():
        for statement in WRITES[case]:
            db.execute(statement)
    assert db.execute("SELECT count(*) FROM audit.logs").fetchone()[0] > before


def test_generated_code_shows_the_partitions_and_the_run_time_statements(db):
    for statement in CASES["partitioned"]:
        db.execute(statement)
    code = db.execute("SELECT audit.generated_code('events')").fetchone()[0]
    sections = re.findall(r"^-- ===== capture of (\S+) =====$", code, re.M)
    assert sections == ["public.events", "public.events_2024", "public.events_2025"]
    # Each leaf's TRUNCATE statement reads only that leaf; the parent has none.
    assert "from only public.events_2024 as x" in code and "from only public.events_2025 as x" in code
    assert "from only public.events as x" not in code
    assert code.count("-- built at run time, TRUNCATE:") == 2


def test_generated_code_of_a_table_that_is_not_audited_names_it(db):
    db.execute("CREATE TABLE unaudited (id int PRIMARY KEY)")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match=r"audit.generated_code: table public.unaudited is not audited"):
        db.execute("SELECT audit.generated_code('unaudited')")
    db.execute("SELECT audit.enable('unaudited')")
    db.execute("SELECT audit.disable('unaudited')")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match=r"not audited now"):
        db.execute("SELECT audit.generated_code('unaudited')")
    with pytest.raises(psycopg.errors.NullValueNotAllowed, match=r"audit.generated_code: tbl must not be NULL"):
        db.execute("SELECT audit.generated_code(NULL)")


def test_only_the_package_owner_may_read_the_generated_code(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.people (id int PRIMARY KEY, email text)")
    s.grant("app.people")
    s.pkg.execute("SELECT audit.enable('app.people')")
    assert "audit.logs" in s.pkg.execute("SELECT audit.generated_code('app.people')").fetchone()[0]
    for who in (s.owner, s.app, s.analyst):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="generated_code"):
            who.execute("SELECT audit.generated_code('app.people')")
