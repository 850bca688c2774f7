"""A writer's session settings try to change what is logged, drop a change or split a record.

Each setting that changes how values print or parse is set in the writer's session; the same
writes then log exactly what a default session logs, and a key keeps one record_id.
"""

import pytest

from helpers import log_rows

pytestmark = pytest.mark.security

ODD_SETTINGS = [
    ("extra_float_digits", "-15"),
    ("extra_float_digits", "3"),
    ("bytea_output", "escape"),
    ("IntervalStyle", "sql_standard"),
    ("IntervalStyle", "iso_8601"),
    ("DateStyle", "SQL, DMY"),
    ("DateStyle", "German"),
    ("TimeZone", "Pacific/Chatham"),
    ("array_nulls", "off"),
    ("lc_monetary", "C.UTF-8"),
]

WRITES = [
    "INSERT INTO odd VALUES ('\\x01ff', '1 day 2 hours', 1.5, 2.25, '2024-02-03 04:05:06+00', '2024-02-03',"
    " '2024-02-03 04:05:06', ARRAY[1,NULL,3], ARRAY[ARRAY['a',NULL],ARRAY['b','c']], 12.5, 1)",
    "INSERT INTO odd VALUES ('\\x02', '3 months', 0.1, 1e30, '1999-12-31 23:59:59.999999+00', '1999-12-31',"
    " '1999-12-31 23:59:59', ARRAY[]::int[], NULL, 0.01, 2)",
    "UPDATE odd SET f8 = 1.6, f4 = 2.5 WHERE k = '\\x01ff'",
    "UPDATE odd SET ia = ARRAY[4,NULL], ta = ARRAY[ARRAY[NULL,'x'],ARRAY['y','z']], iv = iv + '1 minute'",
    "UPDATE odd SET f8 = f8 + 0.1, m = m * 2",
    "UPDATE odd SET k = '\\x03' WHERE k = '\\x02'",
    "DELETE FROM odd WHERE k = '\\x03'",
    "TRUNCATE odd",
]

FIELDS = ("action", "record_id", "old_record_id", "old_values", "new_values", "changed_fields")


def play(conn, settings=()):
    conn.execute("DROP TABLE IF EXISTS odd")
    conn.execute("CREATE TABLE odd (k bytea PRIMARY KEY, iv interval, f8 float8, f4 float4, tz timestamptz,"
                 " d date, ts timestamp, ia int[], ta text[], m money, n int)")
    conn.execute("SELECT audit.enable('odd')")
    for name, value in settings:
        conn.execute(f"SET {name} = '{value}'")
    start = conn.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    for stmt in WRITES:
        conn.execute(stmt)
    rows = log_rows(conn, "odd", since=start, fields=FIELDS)
    conn.execute("RESET ALL")
    conn.execute("SELECT audit.disable('odd')")
    return rows


@pytest.fixture
def expected(connect):
    return play(connect())


@pytest.mark.parametrize("name,value", ODD_SETTINGS, ids=[f"{n}={v}" for n, v in ODD_SETTINGS])
def test_a_writer_s_session_settings_never_change_what_is_logged(connect, expected, name, value):
    conn = connect()
    conn.execute("SET lc_monetary = 'C'")  # money literals of WRITES parse in C
    got = play(conn, [(name, value)])
    assert got == expected
    # Every change was logged, with one record_id per key, whatever the setting.
    assert [e["action"] for e in got].count("UPDATE") == 1 + 2 + 2 + 1
    assert {e["record_id"] for e in got} == {"\\x01ff", "\\x02", "\\x03"}


@pytest.mark.parametrize("name,value", ODD_SETTINGS, ids=[f"{n}={v}" for n, v in ODD_SETTINGS])
def test_reads_find_the_record_whatever_the_reader_s_settings(db, connect, name, value):
    db.execute("CREATE TABLE keyed (k bytea PRIMARY KEY, at timestamptz NOT NULL, iv interval NOT NULL,"
               " v text, UNIQUE (at, iv))")
    db.execute("INSERT INTO keyed VALUES ('\\xabcd', '2024-02-03 04:05:06+00', '1 day 2 hours', 'x')")
    db.execute("SELECT audit.enable('keyed')")
    db.execute("CREATE TABLE keyed2 (at timestamptz NOT NULL, iv interval NOT NULL, v text, PRIMARY KEY (at, iv))")
    db.execute("INSERT INTO keyed2 VALUES ('2024-02-03 04:05:06+00', '1 day 2 hours', 'y')")
    db.execute("SELECT audit.enable('keyed2')")
    reader = connect()
    reader.execute(f"SET {name} = '{value}'")
    assert reader.execute("SELECT state->>'v' FROM audit.state_at('keyed', '\\xabcd'::bytea, now())"
                          ).fetchone() == ("x",)
    assert reader.execute(
        "SELECT state->>'v' FROM audit.state_at('keyed2', jsonb_build_object('at', '2024-02-03 04:05:06+00'::timestamptz,"
        " 'iv', '1 day 2 hours'::interval), now())").fetchone() == ("y",)
