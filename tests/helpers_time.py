"""Helpers for the time-travel tests: moments, and the reads as plain Python values.

    from helpers_time import moment, state_at, state, history, table_at, rows, expect_sqlstate

A *moment* is the server's ``clock_timestamp()`` taken between transactions: every change captured
before it (``created_at <= moment``) is in the past, every later one in the future.
"""

from __future__ import annotations

import contextlib
import re

import psycopg
import pytest
from psycopg.rows import dict_row


def moment(conn) -> object:
    """The server clock now (outside any transaction of ``conn`` when it is autocommit)."""
    return conn.execute("SELECT clock_timestamp()", binary=True).fetchone()[0]


def state_at(conn, table: str, key, ts) -> dict | None:
    """The whole row ``audit.state_at`` returns (record_id, state, valid_from, ...), or None.

    Fails if it returns more than one row: the contract is 0 or 1.
    """
    with conn.cursor(row_factory=dict_row, binary=True) as cur:  # binary: any DateStyle
        found = cur.execute("SELECT * FROM audit.state_at(%s, %s, %s)", [table, key, ts]).fetchall()
    assert len(found) <= 1, f"state_at({table}, {key!r}, {ts}) returned {len(found)} rows: {found}"
    return found[0] if found else None


def state(conn, table: str, key, ts) -> dict | None:
    """Just the state (jsonb) of ``audit.state_at``, or None when the record did not exist."""
    found = state_at(conn, table, key, ts)
    return None if found is None else found["state"]


def history(conn, table: str, key, fields=None) -> list[dict]:
    """``audit.history`` rows as dicts, in the order returned (the contract: oldest first)."""
    cols = ", ".join(fields) if fields else "*"
    with conn.cursor(row_factory=dict_row, binary=True) as cur:
        return cur.execute(f"SELECT {cols} FROM audit.history(%s, %s)", [table, key]).fetchall()


def versions(conn, table: str, key) -> list[tuple]:
    """``history`` reduced to (action, state) pairs: what a reader sees of a record's life."""
    return [(h["action"], h["state"]) for h in history(conn, table, key, ("action", "state"))]


def table_at(conn, table: str, ts) -> dict[str, dict]:
    """``audit.table_at`` as {record_id: state}; fails on a duplicate record_id."""
    out: dict[str, dict] = {}
    for record_id, st in conn.execute("SELECT record_id, state FROM audit.table_at(%s, %s)", [table, ts]):
        assert record_id not in out, f"table_at({table}, {ts}) returned record {record_id} twice"
        out[record_id] = st
    return out


def rows(conn, table: str, order_by: str = "t") -> list[dict]:
    """The table's rows now, as ``to_jsonb`` (the oracle for states), by default in row order."""
    return [r[0] for r in conn.execute(f"SELECT to_jsonb(t) FROM {table} AS t ORDER BY {order_by}")]


def row_of(conn, table: str, where: str, params=None) -> dict | None:
    found = conn.execute(f"SELECT to_jsonb(t) FROM {table} AS t WHERE {where}", params).fetchall()
    assert len(found) <= 1
    return found[0][0] if found else None


def log_of(conn, table: str, fields=("id", "action", "record_id", "old_record_id", "created_at")) -> list[dict]:
    """The log rows of a table (by its log name), in capture order."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {', '.join(fields)} FROM audit.logs WHERE table_name = %s ORDER BY id",
                           [table]).fetchall()


@contextlib.contextmanager
def expect_sqlstate(sqlstate: str, *patterns: str):
    """Expect a database error with this SQLSTATE whose message matches every regex in ``patterns``."""
    with pytest.raises(psycopg.Error) as info:
        yield info
    err = info.value
    assert err.sqlstate == sqlstate, f"expected SQLSTATE {sqlstate}, got {err.sqlstate}: {err}"
    for pattern in patterns:
        assert re.search(pattern, str(err)), f"message {str(err)!r} does not match {pattern!r}"


def write(conn, *statements) -> None:
    """Run statements (text, or (text, params)) in one transaction of ``conn`` and commit it."""
    with conn.transaction():
        for stmt in statements:
            if isinstance(stmt, tuple):
                conn.execute(*stmt)
            else:
                conn.execute(stmt)
