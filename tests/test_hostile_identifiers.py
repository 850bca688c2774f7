"""A table owner names things badly, or an attacker crafts names: the generated capture code must
treat every name as data, never as code."""

import pytest
from psycopg import sql

from helpers import log_rows, raises_sqlstate

# A schema and a table name that close the literal and the IF blocks of the generated function
# and call a function, if any name ever reached the generated code unquoted.
SCHEMA = "x',1);end if;end if;perform s"
TABLE = "f();if 1=0 then if 1=0 then execute('"


@pytest.fixture
def hostile(db):
    db.execute("CREATE SCHEMA s")
    db.execute("CREATE TABLE s.calls (n int)")
    db.execute("CREATE FUNCTION s.f() RETURNS void LANGUAGE sql AS 'INSERT INTO s.calls VALUES (1)'")
    db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    table = sql.Identifier(SCHEMA, TABLE)
    db.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, v text)").format(table))
    return table


@pytest.mark.parametrize("require_actor", [False, True])
def test_a_crafted_table_name_is_never_run_as_code(db, hostile, require_actor):
    db.execute("SELECT audit.enable(%s::regclass, require_actor => %s)",
               [sql.SQL("{}").format(hostile).as_string(db), require_actor])
    if require_actor:
        with raises_sqlstate("42501", "requires an actor"):
            db.execute(sql.SQL("INSERT INTO {} VALUES (1, 'a')").format(hostile))
        db.execute(sql.SQL("TRUNCATE {}").format(hostile))  # empty: nothing to log, no actor needed
        db.execute("BEGIN")
        db.execute("SELECT audit.set_actor('ops@x.io')")
    db.execute(sql.SQL("INSERT INTO {} VALUES (1, 'a')").format(hostile))
    db.execute(sql.SQL("UPDATE {} SET v = 'b'").format(hostile))
    db.execute(sql.SQL("TRUNCATE {}").format(hostile))
    if require_actor:
        db.execute("COMMIT")
    assert db.execute("SELECT count(*) FROM s.calls").fetchone()[0] == 0
    assert [(e["action"], e["record_id"]) for e in log_rows(db, TABLE)] == [
        ("INSERT", "1"), ("UPDATE", "1"), ("TRUNCATE", "1")]
    assert {e["schema_name"] for e in log_rows(db, TABLE, fields=("schema_name",))} == {SCHEMA}


def test_a_redacted_column_named_like_a_placeholder_stays_secret(db):
    db.execute('CREATE TABLE rd (id int PRIMARY KEY, "{row}" text, x text, y text, "%s" text)')
    db.execute("""SELECT audit.enable('rd', redact_columns => array['{row}', '%s'])""")
    db.execute("""INSERT INTO rd VALUES (1, 'TOPSECRET', 'xv', 'yv', 'PCT')""")
    db.execute("""UPDATE rd SET "{row}" = 'SECRET2', "%s" = 'PCT2', x = 'xw'""")
    dump = db.execute("SELECT string_agg(l::text, ' ') FROM audit.logs AS l").fetchone()[0]
    for secret in ("TOPSECRET", "SECRET2", "PCT"):
        assert secret not in dump
    rows = log_rows(db, "rd")
    assert rows[0]["new_values"] == {"id": 1, "{row}": "[redacted]", "x": "xv", "y": "yv", "%s": "[redacted]"}
    assert rows[1]["old_values"] == {"{row}": "[redacted]", "%s": "[redacted]", "x": "xv"}
    assert rows[1]["changed_fields"] == ["%s", "x", "{row}"]


@pytest.mark.parametrize("rows", [1, 5, 700])
def test_names_with_a_line_break_or_the_dollar_tag_are_logged_as_they_are(db, rows):
    # The generated statements are laid out on several lines and the join path's is dollar-quoted
    # as $sql$...$sql$: a name holding a line break, or that tag, must reach the log unchanged on
    # the one-row, arrays and join paths alike (700 rows take the join).
    db.execute('CREATE TABLE "t\n$sql$" (id int PRIMARY KEY, "a\nb" text, "$sql$" text, "c\n  d" int)')
    db.execute("""SELECT audit.enable('"t\n$sql$"')""")
    db.execute("""INSERT INTO "t\n$sql$" SELECT g, 'x', 'y', g FROM generate_series(1, %s) AS g""", [rows])
    db.execute("""UPDATE "t\n$sql$" SET "a\nb" = 'x2', "$sql$" = 'y2', "c\n  d" = "c\n  d" + 1""")
    updates = [e for e in log_rows(db, "t\n$sql$") if e["action"] == "UPDATE"]
    assert len(updates) == rows
    assert {tuple(e["changed_fields"]) for e in updates} == {("$sql$", "a\nb", "c\n  d")}
    first = min(updates, key=lambda e: int(e["record_id"]))
    assert first["old_values"] == {"a\nb": "x", "$sql$": "y", "c\n  d": 1}
    assert first["new_values"] == {"id": 1, "a\nb": "x2", "$sql$": "y2", "c\n  d": 2}
    code = db.execute("""SELECT audit.generated_code('"t\n$sql$"')""").fetchone()[0]
    assert "execute $sql$" not in code  # the tag occurs in a name: the statement is a literal
