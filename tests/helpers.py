"""Small helpers shared by the capture tests: reading log rows, expecting SQLSTATEs, footprints.

    from helpers import log_rows, last_log_id, raises_sqlstate, footprint

Log rows come back as dicts; ``CORE`` names the fields that say what was captured
(action, record_id, old_record_id, old_values, new_values, changed_fields).
"""

from __future__ import annotations

import contextlib
import re

import psycopg
import pytest
from psycopg.rows import dict_row

CORE = ("action", "record_id", "old_record_id", "old_values", "new_values", "changed_fields")


def log_rows(conn, table: str | None = None, *, since: int = 0, fields=CORE, schema: str | None = None) -> list[dict]:
    """Log rows after id ``since``, in capture order, optionally of one table (by log table_name)."""
    cols = ", ".join(fields)
    where = ["id > %(since)s"]
    if table is not None:
        where.append("table_name = %(table)s")
    if schema is not None:
        where.append("schema_name = %(schema)s")
    query = f"SELECT {cols} FROM audit.logs WHERE {' AND '.join(where)} ORDER BY id"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, {"since": since, "table": table, "schema": schema}).fetchall()


def last_log_id(conn) -> int:
    """The highest log id so far (0 for an empty log): pass it as ``since`` to see only newer rows."""
    return conn.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]


def log_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM audit.logs").fetchone()[0]


def row(action, record_id, *, old=None, new=None, changed=(), old_record_id=None) -> dict:
    """An expected log row in the shape of ``log_rows(...)`` with the CORE fields."""
    return {
        "action": action,
        "record_id": record_id,
        "old_record_id": old_record_id,
        "old_values": old,
        "new_values": new,
        "changed_fields": list(changed) if changed is not None else None,
    }


def nonnull_fields(values: dict) -> list[str]:
    """The sorted names of the non-null members of a row (changed_fields of INSERT/DELETE/...)."""
    return sorted(k for k, v in values.items() if v is not None)


class _Raised:
    value: psycopg.Error | None = None


@contextlib.contextmanager
def raises_sqlstate(sqlstate: str, *patterns: str, what: str = ""):
    """Expect a database error with this SQLSTATE whose message matches every regex in ``patterns``.

    ``what`` names the attempt in the failure message (useful in loops). Yields an object whose
    ``.value`` is the error once the block has run.
    """
    raised = _Raised()
    label = f" ({what})" if what else ""
    try:
        yield raised
    except psycopg.Error as err:
        raised.value = err
        assert err.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}{label}, got {err.sqlstate}: {err}"
        for pattern in patterns:
            assert re.search(pattern, str(err)), f"message {str(err)!r}{label} does not match {pattern!r}"
    else:
        pytest.fail(f"expected an error with SQLSTATE {sqlstate}{label}, but the statement succeeded")


def triggers_on(conn, table: str) -> list[str]:
    """Names of the non-internal triggers on ``table`` (a regclass text), sorted."""
    return [r[0] for r in conn.execute(
        "SELECT tgname FROM pg_catalog.pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
        " ORDER BY tgname", [table]).fetchall()]


AUDIT_TRIGGERS = [
    "audit_trail_delete", "audit_trail_insert", "audit_trail_no_parent", "audit_trail_truncate", "audit_trail_update",
]


def footprint(conn) -> dict:
    """Everything an enable/disable call could change: config, view, audit triggers, functions, log."""
    q = conn.execute
    return {
        "config": q("SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY relid), '[]') FROM audit.config c").fetchone()[0],
        "tables": q("SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY table_name::text), '[]')"
                    " FROM audit.tables t").fetchone()[0],
        "triggers": q("SELECT coalesce(array_agg(tgrelid::regclass::text || '.' || tgname ORDER BY 1), '{}')"
                      " FROM pg_catalog.pg_trigger WHERE tgname LIKE 'audit_trail_%'").fetchone()[0],
        "functions": q("SELECT coalesce(array_agg(p.oid::regprocedure::text ORDER BY 1), '{}')"
                       " FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'audit'::regnamespace").fetchone()[0],
        "logs": q("SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY id), '[]') FROM audit.logs l").fetchone()[0],
    }


def table_row(conn, query: str, params=None) -> dict:
    """``to_jsonb`` of the one row a query returns (the oracle for new_values/old_values)."""
    return conn.execute(f"SELECT to_jsonb(x) FROM ({query}) x", params).fetchone()[0]
