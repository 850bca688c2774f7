"""An UPDATE is captured by one of three paths, chosen by its row count: one row; up to 600 rows
(column arrays); more (a join planned per statement). A user must get the same log rows from each.

Each case below updates the same change on 1 row, on 2, 600 and 601 rows of a table, and
expects every log row to be what the one-row statement logs, and what the row really was.
"""

from __future__ import annotations

import json

import pytest

from helpers import log_rows, last_log_id

SIZES = (1, 2, 600, 601)


def updated_through_every_path(db, table: str, assignment: str) -> dict[int, list[dict]]:
    """Run `UPDATE table SET assignment` over 1, 2, 600 and 601 disjoint rows; log rows per size."""
    out, start = {}, 1
    for n in SIZES:
        since = last_log_id(db)
        db.execute(f"UPDATE {table} SET {assignment} WHERE id BETWEEN %s AND %s", (start, start + n - 1))
        out[n] = log_rows(db, table, since=since)
        assert len(out[n]) == n, f"{n}-row UPDATE of {table} logged {len(out[n])} rows"
        start += n
    return out


def fill(db, table: str, columns: str, values: str, rows: int = sum(SIZES)) -> None:
    db.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, {columns})")
    db.execute(f"INSERT INTO {table} SELECT g, {values} FROM generate_series(1, {rows}) AS g")
    db.execute(f"SELECT audit.enable('{table}')")


def same_apart_from_the_key(entries: list[dict]) -> list[tuple]:
    """The distinct (old_values, changed_fields, action) of the log rows."""
    return sorted({(json.dumps(e["old_values"], sort_keys=True), tuple(e["changed_fields"]), e["action"])
                   for e in entries})


def expect(old: dict, changed: tuple) -> list[tuple]:
    return [(json.dumps(old, sort_keys=True), changed, "UPDATE")]


def test_bit_strings_keep_their_length_in_old_values(db):
    fill(db, "bits", "b bit(4), ba bit(3)[]", "B'1010', ARRAY[B'101']")
    by_size = updated_through_every_path(db, "bits", "b = B'0101', ba = ARRAY[B'010']")
    for n in SIZES:
        assert same_apart_from_the_key(by_size[n]) == expect(
            {"b": "1010", "ba": ["101"]}, ("b", "ba")), f"{n}-row UPDATE"


def test_a_bit_string_key_keeps_its_record_id(db):
    db.execute("CREATE TABLE bitkeys (k bit(4) PRIMARY KEY, v int)")
    db.execute("INSERT INTO bitkeys VALUES (B'1010', 1), (B'0110', 1), (B'0001', 1)")
    db.execute("SELECT audit.enable('bitkeys')")
    since = last_log_id(db)
    db.execute("UPDATE bitkeys SET v = 2 WHERE k = B'1010'")
    db.execute("UPDATE bitkeys SET v = 3 WHERE k <> B'1010'")
    assert sorted(e["record_id"] for e in log_rows(db, "bitkeys", since=since)) == ["0001", "0110", "1010"]
    assert [r[0] for r in db.execute("SELECT action FROM audit.history('bitkeys', '1010'::bit(4))")] == [
        "SNAPSHOT", "UPDATE"]


def test_an_old_value_a_not_valid_constraint_rejects_is_still_logged(db):
    db.execute("CREATE DOMAIN posint AS int")
    fill(db, "scores", "p posint", "-1")
    db.execute("ALTER DOMAIN posint ADD CONSTRAINT positive CHECK (VALUE > 0) NOT VALID")
    by_size = updated_through_every_path(db, "scores", "p = 5")
    for n in SIZES:
        assert same_apart_from_the_key(by_size[n]) == expect({"p": -1}, ("p",)), f"{n}-row UPDATE"


def test_a_table_of_150_columns(db):
    cols = ", ".join(f"c{i} int" for i in range(1, 151))
    fill(db, "wide", cols, ", ".join(["7"] * 150))
    by_size = updated_through_every_path(db, "wide", "c1 = 1, c75 = NULL, c150 = 2")
    for n in SIZES:
        assert same_apart_from_the_key(by_size[n]) == expect(
            {"c1": 7, "c75": 7, "c150": 7}, ("c1", "c150", "c75")), f"{n}-row UPDATE"
        assert all(len(e["new_values"]) == 151 and e["new_values"]["c75"] is None for e in by_size[n])


@pytest.mark.parametrize("options", ["", ", ignore_columns => '{note}', redact_columns => '{secret}'"])
def test_ordinary_columns_with_and_without_options(db, options):
    db.execute("CREATE TABLE mixed (id int PRIMARY KEY, amount numeric(8, 2), span interval, secret text,"
               " note text, tags text[], at timestamptz)")
    db.execute(f"INSERT INTO mixed SELECT g, 1.50, '1 day', 's', 'n', '{{a}}', '2024-01-01 00:00+00'"
               f" FROM generate_series(1, {sum(SIZES)}) AS g")
    db.execute(f"SELECT audit.enable('mixed'{options})")
    by_size = updated_through_every_path(
        db, "mixed", "amount = 1.25, span = '24 hours', secret = 't', note = 'm', tags = '{a,b}'")
    old = {"note": "n", "span": "1 day", "tags": ["a"], "amount": 1.5, "secret": "[redacted]" if options else "s"}
    for n in SIZES:
        assert same_apart_from_the_key(by_size[n]) == expect(old, ("amount", "note", "secret", "span", "tags")), \
            f"{n}-row UPDATE"
