"""Helpers for the packaging tests (extension, upgrade, uninstall): catalogs, releases, sample history.

    from package_helpers import catalog_snapshot, releases, working_version, write_history, log_snapshot
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pgserver import REPO_ROOT

RELEASES_DIR = REPO_ROOT / "sql" / "releases"
EXTENSION = "audit_trail"


# --------------------------------------------------------------------------
# Versions and releases
# --------------------------------------------------------------------------

def version_key(version: str) -> tuple:
    """Sort key of a version such as 0.10.2 (numeric parts compare as numbers)."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.+~-]", version))


def working_version() -> str:
    """The version of the working tree: the literal in sql/functions/admin/version.sql (as make dist reads it)."""
    proc = subprocess.run([str(REPO_ROOT / ".ci" / "bundle-sql"), "version"], capture_output=True, text=True,
                          cwd=REPO_ROOT, stdin=subprocess.DEVNULL, timeout=60, check=True)
    return proc.stdout.strip()


def releases() -> dict[str, Path]:
    """Every frozen release in sql/releases/, version -> psql script, oldest first."""
    found = {}
    for path in RELEASES_DIR.glob(f"{EXTENSION}--*.sql"):
        version = path.name[len(EXTENSION) + 2:-4]
        if "--" not in version:
            found[version] = path
    return dict(sorted(found.items(), key=lambda kv: version_key(kv[0])))


# --------------------------------------------------------------------------
# Catalogs
# --------------------------------------------------------------------------

# Everything that makes up the package, as (kind, identity, definition) rows. Names are given in
# their qualified text form and definitions through the pg_get_*def functions, so two databases
# compare equal exactly when the package's objects are the same. Extension membership is left out
# on purpose: it is the one difference between the psql and the extension routes.
CATALOG_QUERIES = {
    "schema": """
        select n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), n.nspacl::text,
            pg_catalog.obj_description(n.oid, 'pg_namespace')
        from pg_catalog.pg_namespace as n where n.nspname = 'audit'""",
    "relation": """
        select c.oid::regclass::text, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner), c.relacl::text,
            c.relpersistence::text, c.reloptions::text, c.relrowsecurity, c.relhastriggers,
            pg_catalog.obj_description(c.oid, 'pg_class')
        from pg_catalog.pg_class as c where c.relnamespace = 'audit'::regnamespace""",
    "column": """
        select c.oid::regclass::text, a.attnum, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
            a.attnotnull, a.attidentity::text, a.attgenerated::text, a.attacl::text,
            pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attcollation::regcollation::text
        from pg_catalog.pg_attribute as a
        join pg_catalog.pg_class as c on c.oid = a.attrelid
        left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where c.relnamespace = 'audit'::regnamespace and a.attnum > 0 and not a.attisdropped""",
    "constraint": """
        select k.conrelid::regclass::text, k.conname::text, pg_catalog.pg_get_constraintdef(k.oid)
        from pg_catalog.pg_constraint as k where k.connamespace = 'audit'::regnamespace""",
    "index": """
        select i.indexrelid::regclass::text, pg_catalog.pg_get_indexdef(i.indexrelid)
        from pg_catalog.pg_index as i join pg_catalog.pg_class as c on c.oid = i.indexrelid
        where c.relnamespace = 'audit'::regnamespace""",
    "trigger": """
        select t.tgrelid::regclass::text, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid), t.tgenabled::text
        from pg_catalog.pg_trigger as t join pg_catalog.pg_class as c on c.oid = t.tgrelid
        where c.relnamespace = 'audit'::regnamespace and not t.tgisinternal""",
    "view": """
        select c.oid::regclass::text, pg_catalog.pg_get_viewdef(c.oid)
        from pg_catalog.pg_class as c where c.relnamespace = 'audit'::regnamespace and c.relkind in ('v', 'm')""",
    "function": """
        select p.oid::regprocedure::text, pg_catalog.pg_get_functiondef(p.oid),
            pg_catalog.pg_get_userbyid(p.proowner), p.proacl::text, p.prosecdef, p.proconfig::text,
            pg_catalog.obj_description(p.oid, 'pg_proc')
        from pg_catalog.pg_proc as p where p.pronamespace = 'audit'::regnamespace""",
    "type": """
        select y.oid::regtype::text, y.typtype::text, pg_catalog.pg_get_userbyid(y.typowner), y.typacl::text
        from pg_catalog.pg_type as y where y.typnamespace = 'audit'::regnamespace""",
    "sequence": """
        select s.seqrelid::regclass::text, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmax,
            s.seqmin, s.seqcache, s.seqcycle
        from pg_catalog.pg_sequence as s join pg_catalog.pg_class as c on c.oid = s.seqrelid
        where c.relnamespace = 'audit'::regnamespace""",
    "policy": """
        select p.polrelid::regclass::text, p.polname::text, p.polcmd::text, p.polroles::regrole[]::text,
            pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
        from pg_catalog.pg_policy as p join pg_catalog.pg_class as c on c.oid = p.polrelid
        where c.relnamespace = 'audit'::regnamespace""",
    "rule": """
        select r.ev_class::regclass::text, r.rulename::text, pg_catalog.pg_get_ruledef(r.oid)
        from pg_catalog.pg_rewrite as r join pg_catalog.pg_class as c on c.oid = r.ev_class
        where c.relnamespace = 'audit'::regnamespace and r.rulename <> '_RETURN'""",
    "default_acl": """
        select pg_catalog.pg_get_userbyid(d.defaclrole), d.defaclobjtype::text, d.defaclacl::text
        from pg_catalog.pg_default_acl as d where d.defaclnamespace = 'audit'::regnamespace""",
    # The rows the install script puts into its own tables.
    "row:actor_types": "select t.name, t.description from audit.actor_types as t",
    "row:meta": "select m.key, m.value from audit.meta as m",
}


def catalog_snapshot(conn) -> dict[str, set]:
    """The package's objects in the connected database: kind -> set of rows (see CATALOG_QUERIES)."""
    return {kind: set(conn.execute(query).fetchall()) for kind, query in CATALOG_QUERIES.items()}


def catalog_diff(a: dict[str, set], b: dict[str, set], names=("a", "b")) -> str:
    """A readable list of the rows that only one snapshot has ('' when they are equal)."""
    lines = []
    for kind in sorted(set(a) | set(b)):
        only_a, only_b = a.get(kind, set()) - b.get(kind, set()), b.get(kind, set()) - a.get(kind, set())
        for row in sorted(only_a, key=repr):
            lines.append(f"{kind}: only in {names[0]}: {row}")
        for row in sorted(only_b, key=repr):
            lines.append(f"{kind}: only in {names[1]}: {row}")
    return "\n".join(lines)


def extension_members(conn) -> set[str]:
    """pg_describe_object() of every member of the audit_trail extension."""
    rows = conn.execute(
        "select pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) from pg_catalog.pg_depend as d"
        " join pg_catalog.pg_extension as e on e.oid = d.refobjid"
        " where d.refclassid = 'pg_catalog.pg_extension'::regclass and d.deptype = 'e' and e.extname = %s",
        [EXTENSION]).fetchall()
    return {r[0] for r in rows}


def package_objects(conn) -> set[str]:
    """pg_describe_object() of the schema audit and of every function, table, view and sequence in it."""
    rows = conn.execute("""
        select pg_catalog.pg_describe_object('pg_catalog.pg_namespace'::regclass, n.oid, 0)
        from pg_catalog.pg_namespace as n where n.nspname = 'audit'
        union all
        select pg_catalog.pg_describe_object('pg_catalog.pg_proc'::regclass, p.oid, 0)
        from pg_catalog.pg_proc as p where p.pronamespace = 'audit'::regnamespace
        union all
        select pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, c.oid, 0)
        from pg_catalog.pg_class as c
        where c.relnamespace = 'audit'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S')""").fetchall()
    return {r[0] for r in rows}


# --------------------------------------------------------------------------
# Sample history
# --------------------------------------------------------------------------

SAMPLE_TABLES = """
create table public.accounts (id bigint primary key, email text not null, plan text, updated_at timestamptz);
create table public.order_lines (order_id int, line int, sku text, qty int, primary key (order_id, line));
create table public.events (id int, region text, payload jsonb, primary key (id, region))
    partition by list (region);
create table public.events_eu partition of public.events for values in ('eu');
create table public.events_us partition of public.events for values in ('us');
insert into public.accounts values (1, 'ada@example.com', 'free', now()), (2, 'bob@example.com', 'free', now());
"""

ENABLE_SAMPLE = """
select audit.enable('public.accounts', ignore_columns => '{updated_at}');
select audit.enable('public.order_lines');
select audit.enable('public.events');
"""

SAMPLE_WRITES = [
    "select audit.set_actor('ops@example.com', 'system')",
    "insert into public.accounts values (3, 'cy@example.com', 'pro', now())",
    "update public.accounts set plan = 'pro' where id = 1",
    "delete from public.accounts where id = 2",
    "insert into public.order_lines values (10, 1, 'A', 1), (10, 2, 'B', 5)",
    "update public.order_lines set qty = qty + 1",
    "insert into public.events values (1, 'eu', '{\"k\": 1}'), (2, 'us', '{\"k\": 2}')",
    "update public.events set region = 'us' where id = 1",
]


def write_history(conn) -> None:
    """Create the sample tables, audit them and write some history, one transaction per write."""
    conn.execute(SAMPLE_TABLES)
    conn.execute(ENABLE_SAMPLE)
    for stmt in SAMPLE_WRITES[1:]:
        with conn.transaction():
            conn.execute(SAMPLE_WRITES[0])
            conn.execute(stmt)


def log_snapshot(conn) -> list[tuple]:
    """Every log row, every column, in id order (text forms, so that any two versions compare)."""
    return conn.execute("select l.*::text from audit.logs as l order by l.id").fetchall()


def max_log_id(conn) -> int:
    return conn.execute("select coalesce(max(id), 0) from audit.logs").fetchone()[0]


def assert_still_audited(conn, since_id: int) -> None:
    """A new write to each sample table is logged after ``since_id``, as the right action."""
    conn.execute("insert into public.accounts values (4, 'dee@example.com', 'free', now())")
    conn.execute("update public.order_lines set sku = 'C' where order_id = 10 and line = 2")
    conn.execute("delete from public.events where id = 2")
    rows = conn.execute(
        "select table_name, record_id, action from audit.logs where id > %s order by id", [since_id]).fetchall()
    assert rows == [
        ("accounts", "4", "INSERT"),
        ("order_lines", '{"line": 2, "order_id": 10}', "UPDATE"),
        ("events", '{"id": 2, "region": "us"}', "DELETE"),
    ], rows
