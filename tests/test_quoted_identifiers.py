"""A user audits tables and columns whose names need quoting, or that look like SQL words."""

import pytest

from helpers import AUDIT_TRIGGERS, log_rows, row, triggers_on


@pytest.fixture
def user_table(db):
    db.execute('CREATE SCHEMA "My Schema"')
    db.execute("""
        CREATE TABLE "My Schema"."User Table" (
            "User Id" int PRIMARY KEY,
            "order" int,
            "Mixed Case" text,
            "prénom" text,
            "select" boolean DEFAULT false,
            "we""ird.col" text
        )""")
    db.execute("""INSERT INTO "My Schema"."User Table" VALUES (1, 5, 'Before', 'Zoë', true, 'q')""")
    db.execute("""SELECT audit.enable('"My Schema"."User Table"')""")
    return '"My Schema"."User Table"'


FULL = {"User Id": 1, "order": 5, "Mixed Case": "Before", "prénom": "Zoë", "select": True, 'we"ird.col': "q"}


def test_snapshot_and_names_of_a_quoted_table(db, user_table):
    assert triggers_on(db, user_table) == AUDIT_TRIGGERS
    assert log_rows(db, fields=("schema_name", "table_name") + tuple(row("x", "x"))) == [{
        "schema_name": "My Schema", "table_name": "User Table",
        **row("SNAPSHOT", "1", new=FULL, changed=sorted(FULL))}]
    assert db.execute("SELECT table_name::text, log_schema, log_table, key_columns FROM audit.tables").fetchone() == (
        '"My Schema"."User Table"', "My Schema", "User Table", ["User Id"])


def test_insert_update_delete_truncate_on_a_quoted_table(db, user_table):
    db.execute(f"""INSERT INTO {user_table} ("User Id", "order", "prénom") VALUES (2, 1, 'Ève')""")
    db.execute(f"""UPDATE {user_table} SET "Mixed Case" = 'After', "order" = "order" + 1, "we""ird.col" = NULL
                   WHERE "User Id" = 1""")
    db.execute(f"""DELETE FROM {user_table} WHERE "User Id" = 2""")
    db.execute(f"TRUNCATE {user_table}")
    two = {"User Id": 2, "order": 1, "Mixed Case": None, "prénom": "Ève", "select": False, 'we"ird.col': None}
    after = {**FULL, "Mixed Case": "After", "order": 6, 'we"ird.col': None}
    assert log_rows(db, "User Table", schema="My Schema")[1:] == [
        row("INSERT", "2", new=two, changed=["User Id", "order", "prénom", "select"]),
        row("UPDATE", "1", old={"Mixed Case": "Before", "order": 5, 'we"ird.col': "q"}, new=after,
            changed=["Mixed Case", "order", 'we"ird.col']),
        row("DELETE", "2", old=two, changed=["User Id", "order", "prénom", "select"]),
        row("TRUNCATE", "1", old=after, changed=["Mixed Case", "User Id", "order", "prénom", "select"]),
    ]


def test_changed_fields_are_sorted_by_code_point(db, user_table):
    db.execute(f"""UPDATE {user_table} SET "prénom" = 'Zoe', "Mixed Case" = 'm', "order" = 0, "select" = false""")
    [entry] = log_rows(db)[1:]
    assert entry["changed_fields"] == sorted(["prénom", "Mixed Case", "order", "select"])
    assert entry["changed_fields"] == ["Mixed Case", "order", "prénom", "select"]


def test_options_name_quoted_columns_by_their_raw_names(db, user_table):
    db.execute(f"""SELECT audit.enable('{user_table}', ignore_columns => '{{"order"}}',
                                      redact_columns => ARRAY['prénom', 'Mixed Case'])""")
    db.execute(f"""UPDATE {user_table} SET "order" = 99""")
    db.execute(f"""UPDATE {user_table} SET "prénom" = 'Secret-Name', "order" = 100""")
    entries = log_rows(db)[1:]
    assert entries == [row("UPDATE", "1", old={"order": 99, "prénom": "[redacted]"},
                           new={**FULL, "order": 100, "prénom": "[redacted]", "Mixed Case": "[redacted]"},
                           changed=["order", "prénom"])]
    assert db.execute("SELECT count(*) FROM audit.logs l WHERE l::text LIKE '%Secret-Name%'").fetchone()[0] == 0


def test_quoted_composite_key(db):
    db.execute('CREATE TABLE "Line Items" ("Order No" int, "line#" int, "Qty" int, PRIMARY KEY ("Order No", "line#"))')
    db.execute("""SELECT audit.enable('"Line Items"')""")
    db.execute('INSERT INTO "Line Items" VALUES (7, 1, 3)')
    db.execute('UPDATE "Line Items" SET "line#" = 2')
    assert [(e["action"], e["record_id"], e["old_record_id"]) for e in log_rows(db, "Line Items")] == [
        ("INSERT", '{"line#": 1, "Order No": 7}', None),
        ("UPDATE", '{"line#": 2, "Order No": 7}', '{"line#": 1, "Order No": 7}')]


def test_table_name_with_quote_dot_and_unicode(db):
    db.execute('CREATE SCHEMA "sch.ema"')
    db.execute('CREATE TABLE "sch.ema"."a""b.c ñ" (id text PRIMARY KEY, "v;drop" text)')
    db.execute("""SELECT audit.enable('"sch.ema"."a""b.c ñ"')""")
    db.execute("""INSERT INTO "sch.ema"."a""b.c ñ" VALUES ('k''1', 'x')""")
    db.execute("""UPDATE "sch.ema"."a""b.c ñ" SET "v;drop" = 'y'""")
    assert log_rows(db, fields=("schema_name", "table_name", "action", "record_id")) == [
        {"schema_name": "sch.ema", "table_name": 'a"b.c ñ', "action": "INSERT", "record_id": "k'1"},
        {"schema_name": "sch.ema", "table_name": 'a"b.c ñ', "action": "UPDATE", "record_id": "k'1"},
    ]


def test_upper_case_unquoted_names_fold_to_lower_case(db):
    db.execute("CREATE TABLE Invoices (ID int PRIMARY KEY, Amount int)")
    db.execute("SELECT audit.enable('INVOICES', ignore_columns => '{amount}')")
    db.execute("INSERT INTO INVOICES VALUES (1, 2)")
    assert log_rows(db, "invoices") == [row("INSERT", "1", new={"id": 1, "amount": 2}, changed=["amount", "id"])]


# Short names and words that a generated capture statement may itself use as aliases or columns,
# and names of the kind a generated PL/pgSQL body uses for its variables.
TRICKY = {
    "aliases": ["a", "b", "c", "n", "o", "s", "t", "w", "x", "y", "z", "rn", "oa", "na", "r", "k", "changed",
                "unchanged", "new", "old", "audit_old", "audit_new", "row", "id2"],
    "plpgsql_names": ["tg_op", "tg_relid", "found", "v_ts", "v_xid", "v_email", "v_type", "v_id", "v_mig", "v_ctx",
                      "v_user", "v_app", "v_addr", "o", "n", "x", "y", "t"],
    # The capture function's own variables now, and its block label.
    "capture_variables": ["v_log", "v_context", "v_cfg", "v_fits", "v_many_new", "v_many_old", "v_rows",
                          "v_old_rows", "v_work_mem", "v_touched", "capture", "d", "oj", "nj", "op", "np",
                          "o", "n", "x", "y", "t"],
}


@pytest.mark.parametrize("group", TRICKY)
def test_columns_named_like_the_generated_code_s_own_identifiers(db, group):
    names = TRICKY[group]
    cols = ", ".join(f'"{c}" int' for c in names)
    db.execute(f"CREATE TABLE tricky (id int PRIMARY KEY DEFERRABLE, {cols})")
    values = ", ".join(str(i) for i in range(len(names)))
    db.execute(f"INSERT INTO tricky VALUES (1, {values}), (2, {values})")
    db.execute("SELECT audit.enable('tricky')")
    db.execute(f"INSERT INTO tricky VALUES (3, {values})")
    db.execute('UPDATE tricky SET "o" = -1, "n" = -2, "x" = -3, "y" = -4, "t" = -5 WHERE id = 1')
    db.execute("UPDATE tricky SET id = id + 10")
    db.execute("DELETE FROM tricky WHERE id = 13")
    db.execute("TRUNCATE tricky")
    base = {"id": 1, **{c: i for i, c in enumerate(names)}}
    changed_1 = {**base, "o": -1, "n": -2, "x": -3, "y": -4, "t": -5}
    entries = log_rows(db)
    summary = [(e["action"], e["record_id"], e["old_record_id"]) for e in entries]
    assert sorted(summary[:2]) == [("SNAPSHOT", "1", None), ("SNAPSHOT", "2", None)]
    assert summary[2:4] == [("INSERT", "3", None), ("UPDATE", "1", None)]
    assert sorted(summary[4:7]) == [("UPDATE", "11", "1"), ("UPDATE", "12", "2"), ("UPDATE", "13", "3")]
    assert summary[7] == ("DELETE", "13", None)
    assert sorted(summary[8:]) == [("TRUNCATE", "11", None), ("TRUNCATE", "12", None)]
    assert entries[3] == row("UPDATE", "1", old={"n": base["n"], "o": base["o"], "t": base["t"], "x": base["x"],
                                                 "y": base["y"]},
                             new=changed_1, changed=["n", "o", "t", "x", "y"])
    moved = {e["old_record_id"]: e for e in entries[4:7]}
    assert moved["1"]["new_values"] == {**changed_1, "id": 11}
    assert moved["2"]["new_values"] == {**base, "id": 12}
    assert moved["3"]["old_values"] == {"id": 3}
