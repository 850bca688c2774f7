"""A user switches auditing on and off, and chooses what is ignored, redacted, snapshotted and keyed."""

import psycopg.rows
import pytest

from helpers import AUDIT_TRIGGERS, log_rows, nonnull_fields, raises_sqlstate, row, table_row, triggers_on


@pytest.fixture
def accounts(db):
    db.execute("""
        CREATE TABLE accounts (
            id int PRIMARY KEY,
            email text NOT NULL,
            password_hash text,
            token text,
            sign_in_count int NOT NULL DEFAULT 0,
            updated_at timestamptz
        )""")
    db.execute("INSERT INTO accounts (id, email, password_hash, token) VALUES"
               " (1, 'a@x.io', 'hash-one-SECRET', NULL), (2, 'b@x.io', 'hash-two-SECRET', 'tok-SECRET')")
    return "accounts"


def audited_tables(db):
    with db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("SELECT table_name::text AS table_name, log_schema, log_table, key_columns,"
                           " ignore_columns, redact_columns, require_actor, snapshot, columns_changed,"
                           " enabled_at, first_enabled_at FROM audit.tables ORDER BY 1").fetchall()


# --- switching on ---------------------------------------------------------------------------

def test_enable_creates_the_capture_triggers_and_lists_the_table(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    assert triggers_on(db, "accounts") == AUDIT_TRIGGERS
    [t] = audited_tables(db)
    assert {k: v for k, v in t.items() if not k.endswith("enabled_at")} == {
        "table_name": "accounts", "log_schema": "public", "log_table": "accounts", "key_columns": ["id"],
        "ignore_columns": [], "redact_columns": [], "require_actor": False, "snapshot": True,
        "columns_changed": False}
    assert t["enabled_at"] == t["first_enabled_at"]


def test_capture_triggers_are_statement_level_with_transition_tables(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    triggers = dict(db.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'accounts'::regclass"
        " AND NOT tgisinternal").fetchall())
    for name in ("audit_trail_insert", "audit_trail_update", "audit_trail_delete"):
        assert " AFTER " in triggers[name] and "FOR EACH STATEMENT" in triggers[name]
        assert "REFERENCING" in triggers[name]
    assert " BEFORE TRUNCATE " in triggers["audit_trail_truncate"]


def test_enable_logs_each_existing_row_once_as_snapshot(db, accounts):
    rows = {r["id"]: r for r in (table_row(db, f"SELECT * FROM accounts WHERE id = {i}") for i in (1, 2))}
    db.execute("SELECT audit.enable('accounts')")
    assert sorted(log_rows(db), key=lambda e: e["record_id"]) == [
        row("SNAPSHOT", str(i), new=rows[i], changed=nonnull_fields(rows[i])) for i in (1, 2)]


def test_enable_with_snapshot_false_logs_nothing_for_existing_rows(db, accounts):
    db.execute("SELECT audit.enable('accounts', snapshot => false)")
    assert log_rows(db) == []
    assert audited_tables(db)[0]["snapshot"] is False
    db.execute("UPDATE accounts SET email = 'new@x.io' WHERE id = 1")
    assert [(e["action"], e["record_id"]) for e in log_rows(db)] == [("UPDATE", "1")]


def test_enable_of_an_empty_table_logs_nothing(db):
    db.execute("CREATE TABLE empty (id int PRIMARY KEY)")
    db.execute("SELECT audit.enable('empty')")
    assert log_rows(db) == []


def test_enable_again_while_enabled_changes_options_without_a_new_snapshot(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    first = audited_tables(db)[0]
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{updated_at}', redact_columns => '{token}')")
    [t] = audited_tables(db)
    assert (t["ignore_columns"], t["redact_columns"]) == (["updated_at"], ["token"])
    assert (t["enabled_at"], t["first_enabled_at"]) == (first["enabled_at"], first["first_enabled_at"])
    assert [e["action"] for e in log_rows(db)] == ["SNAPSHOT", "SNAPSHOT"]
    assert triggers_on(db, "accounts") == AUDIT_TRIGGERS
    # The new options apply at once.
    db.execute("UPDATE accounts SET token = 'new-SECRET' WHERE id = 1")
    [entry] = log_rows(db)[2:]
    assert entry["new_values"]["token"] == "[redacted]"


def test_enable_again_resets_options_to_the_given_ones(db, accounts):
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{updated_at}', require_actor => true)")
    db.execute("SELECT audit.enable('accounts')")
    [t] = audited_tables(db)
    assert (t["ignore_columns"], t["require_actor"]) == ([], False)
    db.execute("UPDATE accounts SET updated_at = now() WHERE id = 1")
    assert [e["action"] for e in log_rows(db)] == ["SNAPSHOT", "SNAPSHOT", "UPDATE"]


# --- switching off --------------------------------------------------------------------------

def test_disable_stops_capture_and_keeps_history(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    db.execute("UPDATE accounts SET email = 'c@x.io' WHERE id = 1")
    history = log_rows(db)
    db.execute("SELECT audit.disable('accounts')")
    assert triggers_on(db, "accounts") == []
    assert audited_tables(db) == []
    db.execute("UPDATE accounts SET email = 'd@x.io' WHERE id = 1")
    db.execute("INSERT INTO accounts (id, email) VALUES (3, 'e@x.io')")
    db.execute("DELETE FROM accounts WHERE id = 2")
    db.execute("TRUNCATE accounts")
    assert log_rows(db) == history
    assert len(history) == 3


def test_enable_after_disable_takes_a_new_snapshot_and_captures_again(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    first = audited_tables(db)[0]
    gone = table_row(db, "SELECT * FROM accounts WHERE id = 2")
    db.execute("SELECT audit.disable('accounts')")
    db.execute("DELETE FROM accounts WHERE id = 2")
    db.execute("UPDATE accounts SET email = 'changed@x.io' WHERE id = 1")
    mark = len(log_rows(db))
    db.execute("SELECT audit.enable('accounts')")
    current = table_row(db, "SELECT * FROM accounts WHERE id = 1")
    # The record deleted while auditing was off is logged as deleted when it is switched on again,
    # then every existing row as a new SNAPSHOT.
    assert log_rows(db)[mark:] == [
        row("DELETE", "2", old=gone, changed=nonnull_fields(gone)),
        row("SNAPSHOT", "1", new=current, changed=nonnull_fields(current)),
    ]
    assert db.execute(
        "SELECT context FROM audit.logs WHERE action = 'DELETE' AND record_id = '2'"
    ).fetchone()[0] == {"audit": "absent when auditing was enabled again"}
    [t] = audited_tables(db)
    assert t["first_enabled_at"] == first["first_enabled_at"]
    assert t["enabled_at"] > first["enabled_at"]
    db.execute("INSERT INTO accounts (id, email) VALUES (3, 'e@x.io')")
    assert [(e["action"], e["record_id"]) for e in log_rows(db)[mark + 2:]] == [("INSERT", "3")]


def test_enable_again_logs_the_records_gone_meanwhile_under_quoted_names_and_a_composite_key(db):
    db.execute("""
        CREATE TABLE "Member Ship" ("Org Id" int, "user,id" text, "ro""le" text, note text,
            PRIMARY KEY ("Org Id", "user,id"))""")
    db.execute("""INSERT INTO "Member Ship" VALUES (1, 'a{b}', 'ad"min', NULL), (2, 'c\\d', 'member', 'kept')""")
    db.execute("""SELECT audit.enable('"Member Ship"')""")
    gone = table_row(db, """SELECT * FROM "Member Ship" WHERE "Org Id" = 1""")
    db.execute("""SELECT audit.disable('"Member Ship"')""")
    db.execute("""DELETE FROM "Member Ship" WHERE "Org Id" = 1""")
    db.execute("SELECT set_config('app.actor_email', 'ops@x.io', false)")
    db.execute("SELECT set_config('app.audit_context', '{\"ticket\": 7}', false)")
    mark = db.execute("SELECT max(id) FROM audit.logs").fetchone()[0]
    db.execute("""SELECT audit.enable('"Member Ship"')""")
    [deleted] = [e for e in log_rows(db, "Member Ship", since=mark) if e["action"] == "DELETE"]
    assert deleted == row("DELETE", '{"Org Id": 1, "user,id": "a{b}"}', old=gone, changed=nonnull_fields(gone))
    assert db.execute(
        "SELECT actor_email, actor_type, context FROM audit.logs WHERE action = 'DELETE'"
    ).fetchone() == ("ops@x.io", "user", {"ticket": 7, "audit": "absent when auditing was enabled again"})


def test_enable_after_disable_with_snapshot_false_takes_no_snapshot(db, accounts):
    db.execute("SELECT audit.enable('accounts')")
    db.execute("SELECT audit.disable('accounts')")
    db.execute("SELECT audit.enable('accounts', snapshot => false)")
    assert [e["action"] for e in log_rows(db)] == ["SNAPSHOT", "SNAPSHOT"]


# --- ignore_columns -------------------------------------------------------------------------

def test_update_of_only_ignored_columns_writes_no_row(db, accounts):
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{updated_at,sign_in_count}', snapshot => false)")
    db.execute("UPDATE accounts SET updated_at = now(), sign_in_count = sign_in_count + 1")
    db.execute("UPDATE accounts SET sign_in_count = 5 WHERE id = 1")
    assert log_rows(db) == []


def test_ignored_columns_that_changed_with_another_column_are_stored(db, accounts):
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{updated_at,sign_in_count}', snapshot => false)")
    before = table_row(db, "SELECT * FROM accounts WHERE id = 1")
    db.execute("UPDATE accounts SET sign_in_count = 3, updated_at = '2024-01-01T00:00:00+00',"
               " email = 'z@x.io' WHERE id = 1")
    after = table_row(db, "SELECT * FROM accounts WHERE id = 1")
    [entry] = log_rows(db)
    assert entry == row("UPDATE", "1", old={"email": "a@x.io", "sign_in_count": 0, "updated_at": None},
                        new=after, changed=["email", "sign_in_count", "updated_at"])
    assert {**entry["new_values"], **entry["old_values"]} == before


def test_ignored_columns_are_still_stored_on_insert_and_delete(db, accounts):
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{updated_at}', snapshot => false)")
    db.execute("INSERT INTO accounts (id, email, updated_at) VALUES (3, 'c@x.io', '2024-01-01T00:00:00+00')")
    full = table_row(db, "SELECT * FROM accounts WHERE id = 3")
    db.execute("DELETE FROM accounts WHERE id = 3")
    assert log_rows(db) == [row("INSERT", "3", new=full, changed=nonnull_fields(full)),
                            row("DELETE", "3", old=full, changed=nonnull_fields(full))]


def test_multirow_update_logs_only_rows_with_a_non_ignored_change(db, accounts):
    db.execute("SELECT audit.enable('accounts', ignore_columns => '{sign_in_count}', snapshot => false)")
    db.execute("UPDATE accounts SET sign_in_count = sign_in_count + 1,"
               " email = CASE WHEN id = 2 THEN 'bb@x.io' ELSE email END")
    assert [(e["record_id"], e["changed_fields"]) for e in log_rows(db)] == [("2", ["email", "sign_in_count"])]


# --- redact_columns -------------------------------------------------------------------------

def assert_no_secret(db, secret="SECRET"):
    leaks = db.execute("SELECT count(*) FROM audit.logs l WHERE l::text LIKE %s", [f"%{secret}%"]).fetchone()[0]
    assert leaks == 0, f"{leaks} log rows contain {secret!r}"


def test_redacted_columns_are_never_stored_in_snapshot(db, accounts):
    db.execute("SELECT audit.enable('accounts', redact_columns => '{password_hash,token}')")
    entries = sorted(log_rows(db), key=lambda e: e["record_id"])
    assert [e["new_values"]["password_hash"] for e in entries] == ["[redacted]", "[redacted]"]
    assert [e["new_values"]["token"] for e in entries] == [None, "[redacted]"]
    assert entries[0]["changed_fields"] == ["email", "id", "password_hash", "sign_in_count"]
    assert entries[1]["changed_fields"] == ["email", "id", "password_hash", "sign_in_count", "token"]
    assert_no_secret(db)


def test_redacted_columns_on_insert_update_delete(db, accounts):
    db.execute("SELECT audit.enable('accounts', redact_columns => '{password_hash,token}', snapshot => false)")
    db.execute("INSERT INTO accounts (id, email, password_hash) VALUES (3, 'c@x.io', 'p3-SECRET')")
    db.execute("UPDATE accounts SET password_hash = 'p3b-SECRET', token = 't3-SECRET' WHERE id = 3")
    db.execute("UPDATE accounts SET token = NULL WHERE id = 3")
    db.execute("DELETE FROM accounts WHERE id = 3")
    base = {"id": 3, "email": "c@x.io", "sign_in_count": 0, "updated_at": None}
    assert log_rows(db) == [
        row("INSERT", "3", new={**base, "password_hash": "[redacted]", "token": None},
            changed=["email", "id", "password_hash", "sign_in_count"]),
        row("UPDATE", "3", old={"password_hash": "[redacted]", "token": None},
            new={**base, "password_hash": "[redacted]", "token": "[redacted]"},
            changed=["password_hash", "token"]),
        row("UPDATE", "3", old={"token": "[redacted]"},
            new={**base, "password_hash": "[redacted]", "token": None}, changed=["token"]),
        row("DELETE", "3", old={**base, "password_hash": "[redacted]", "token": None},
            changed=["email", "id", "password_hash", "sign_in_count"]),
    ]
    assert_no_secret(db)


def test_redacted_column_change_alone_is_logged(db, accounts):
    db.execute("SELECT audit.enable('accounts', redact_columns => '{password_hash}', snapshot => false)")
    db.execute("UPDATE accounts SET password_hash = 'rotated-SECRET' WHERE id = 1")
    [entry] = log_rows(db)
    assert (entry["action"], entry["changed_fields"], entry["old_values"]) == (
        "UPDATE", ["password_hash"], {"password_hash": "[redacted]"})
    assert_no_secret(db)


def test_redacted_values_never_reach_the_log_on_truncate(db, accounts):
    db.execute("SELECT audit.enable('accounts', redact_columns => '{password_hash,token}', snapshot => false)")
    db.execute("TRUNCATE accounts")
    entries = sorted(log_rows(db), key=lambda e: e["record_id"])
    assert [(e["action"], e["old_values"]["password_hash"], e["old_values"]["token"]) for e in entries] == [
        ("TRUNCATE", "[redacted]", None), ("TRUNCATE", "[redacted]", "[redacted]")]
    assert_no_secret(db)


def test_redacting_a_non_text_column(db):
    db.execute("CREATE TABLE cards (id int PRIMARY KEY, pin int, meta jsonb)")
    db.execute("SELECT audit.enable('cards', redact_columns => '{pin,meta}')")
    db.execute("INSERT INTO cards VALUES (1, 987654, '{\"cvv\": 987654}')")
    db.execute("UPDATE cards SET pin = 123456 WHERE id = 1")
    assert [(e["new_values"], e["old_values"]) for e in log_rows(db)] == [
        ({"id": 1, "pin": "[redacted]", "meta": "[redacted]"}, None),
        ({"id": 1, "pin": "[redacted]", "meta": "[redacted]"}, {"pin": "[redacted]"}),
    ]
    for secret in ("987654", "123456"):
        assert_no_secret(db, secret)


# --- key_columns ----------------------------------------------------------------------------

def test_key_columns_for_a_table_without_primary_key(db):
    db.execute("CREATE TABLE events (code text NOT NULL UNIQUE, payload text)")
    db.execute("INSERT INTO events VALUES ('e1', 'x')")
    db.execute("SELECT audit.enable('events', key_columns => '{code}')")
    db.execute("UPDATE events SET payload = 'y'")
    assert [(e["action"], e["record_id"]) for e in log_rows(db)] == [("SNAPSHOT", "e1"), ("UPDATE", "e1")]
    assert audited_tables(db)[0]["key_columns"] == ["code"]


def test_composite_key_columns(db):
    db.execute("CREATE TABLE stock (shop int NOT NULL, sku text NOT NULL, qty int, UNIQUE (sku, shop))")
    db.execute("SELECT audit.enable('stock', key_columns => '{shop,sku}')")
    db.execute("INSERT INTO stock VALUES (7, 'ab-1', 3)")
    assert [e["record_id"] for e in log_rows(db)] == ['{"sku": "ab-1", "shop": 7}']


def test_key_columns_overrides_the_primary_key(db):
    db.execute("CREATE TABLE people (id int PRIMARY KEY, handle text NOT NULL UNIQUE)")
    db.execute("SELECT audit.enable('people', key_columns => '{handle}')")
    db.execute("INSERT INTO people VALUES (1, 'ann')")
    assert [e["record_id"] for e in log_rows(db)] == ["ann"]


def test_composite_primary_key_is_used_in_its_declared_column_set(db):
    db.execute("CREATE TABLE pairs (b int, a int, v text, PRIMARY KEY (b, a))")
    db.execute("SELECT audit.enable('pairs')")
    assert audited_tables(db)[0]["key_columns"] == ["b", "a"]
    db.execute("INSERT INTO pairs VALUES (2, 1, 'x')")
    assert [e["record_id"] for e in log_rows(db)] == ['{"a": 1, "b": 2}']


def test_several_tables_are_audited_independently(db, accounts):
    db.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    db.execute("SELECT audit.enable('accounts', snapshot => false)")
    db.execute("SELECT audit.enable('notes')")
    db.execute("INSERT INTO notes VALUES (1, 'n')")
    db.execute("UPDATE accounts SET email = 'q@x.io' WHERE id = 2")
    db.execute("SELECT audit.disable('notes')")
    db.execute("INSERT INTO notes VALUES (2, 'm')")
    db.execute("UPDATE accounts SET email = 'r@x.io' WHERE id = 2")
    assert [(e["table_name"], e["action"], e["record_id"]) for e in log_rows(
        db, fields=("table_name", "action", "record_id"))] == [
        ("notes", "INSERT", "1"), ("accounts", "UPDATE", "2"), ("accounts", "UPDATE", "2")]
    assert [t["table_name"] for t in audited_tables(db)] == ["accounts"]


@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_enable_with_a_snapshot_refuses_a_transaction_that_sees_the_past(connect, db, accounts, level):
    conn = connect(autocommit=False)
    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
    with raises_sqlstate("25000", "accounts", "READ COMMITTED"):
        conn.execute("SELECT audit.enable('accounts')")
    conn.rollback()
    assert audited_tables(db) == []
    conn.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
    conn.execute("SELECT audit.enable('accounts', snapshot => false)")
    conn.commit()
    assert [t["table_name"] for t in audited_tables(db)] == ["accounts"]
