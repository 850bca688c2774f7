"""A role that may write an audited table, but must not be able to dodge, forge or divert the log."""

import pytest
from psycopg import sql

from helpers import log_rows, raises_sqlstate, row

pytestmark = pytest.mark.security

LOG_COLUMNS = ["id", "created_at", "transaction_id", "schema_name", "table_name", "record_id", "old_record_id",
               "action", "old_values", "new_values", "changed_fields", "actor_email", "actor_type", "actor_id",
               "migration_name", "context", "db_user", "application_name", "client_addr"]


@pytest.fixture
def items(db, roles):
    db.execute("CREATE TABLE items (id int PRIMARY KEY, name text, secret text)")
    db.execute("INSERT INTO items VALUES (1, 'one', 's1-SECRET')")
    db.execute("SELECT audit.enable('items', redact_columns => '{secret}')")
    db.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(roles.writer)))
    db.execute(sql.SQL("GRANT INSERT, UPDATE, DELETE, TRUNCATE ON items TO {}").format(sql.Identifier(roles.writer)))
    return "items"


@pytest.fixture
def writer(connect, roles):
    return connect(roles.writer)


# --- the log is append-only -----------------------------------------------------------------

def test_log_is_append_only_even_for_its_owner(db, items):
    before = log_rows(db, fields=LOG_COLUMNS)
    assert before
    for stmt in ("UPDATE audit.logs SET actor_email = 'forged'", "DELETE FROM audit.logs",
                 "DELETE FROM audit.logs WHERE id = 1", "TRUNCATE audit.logs"):
        with raises_sqlstate("42501", what=stmt):
            db.execute(stmt)
        assert log_rows(db, fields=LOG_COLUMNS) == before, stmt


def test_log_owner_is_the_installing_role(db, roles):
    assert db.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'audit' AND tablename = 'logs'"
                      ).fetchone()[0] == roles.owner


# --- a writer is logged without any right on the log ----------------------------------------

def test_writer_without_rights_on_the_log_is_logged(db, writer, items):
    assert db.execute("SELECT has_table_privilege('app_writer', 'audit.logs', 'INSERT')").fetchone()[0] is False
    writer.execute("INSERT INTO items VALUES (2, 'two', 's2-SECRET')")
    writer.execute("UPDATE items SET name = 'TWO', secret = 's3-SECRET'")
    writer.execute("DELETE FROM items")
    writer.execute("INSERT INTO items VALUES (5, 'five', NULL)")
    writer.execute("TRUNCATE items")
    entries = log_rows(db, fields=("db_user",) + tuple(row("x", "x")))[1:]
    assert {e.pop("db_user") for e in entries} == {"app_writer"}
    red = "[redacted]"
    assert sorted(entries[1:3], key=lambda e: e["record_id"]) == [
        row("UPDATE", "1", old={"name": "one", "secret": red}, new={"id": 1, "name": "TWO", "secret": red},
            changed=["name", "secret"]),
        row("UPDATE", "2", old={"name": "two", "secret": red}, new={"id": 2, "name": "TWO", "secret": red},
            changed=["name", "secret"]),
    ]
    assert [(e["action"], e["record_id"]) for e in entries[:1] + entries[3:]] in (
        [("INSERT", "2"), ("DELETE", "1"), ("DELETE", "2"), ("INSERT", "5"), ("TRUNCATE", "5")],
        [("INSERT", "2"), ("DELETE", "2"), ("DELETE", "1"), ("INSERT", "5"), ("TRUNCATE", "5")])
    assert db.execute("SELECT count(*) FROM audit.logs l WHERE l::text LIKE '%SECRET%'").fetchone()[0] == 0


WRITER_FORBIDDEN_ON_LOG = [
    "SELECT * FROM audit.logs",
    "INSERT INTO audit.logs (created_at, transaction_id, schema_name, table_name, record_id, action)"
    " VALUES (now(), pg_current_xact_id(), 'public', 'items', '1', 'INSERT')",
    "UPDATE audit.logs SET actor_email = 'x'",
    "DELETE FROM audit.logs",
    "TRUNCATE audit.logs",
    "SELECT * FROM audit.config",
    "UPDATE audit.config SET enabled = false",
    "DELETE FROM audit.config",
]


def test_writer_cannot_read_or_touch_the_log_or_the_config(db, writer, items):
    before = log_rows(db, fields=LOG_COLUMNS)
    for stmt in WRITER_FORBIDDEN_ON_LOG:
        with raises_sqlstate("42501", "permission denied", what=stmt):
            writer.execute(stmt)
        assert log_rows(db, fields=LOG_COLUMNS) == before, stmt


def test_writer_cannot_switch_auditing(db, writer, items):
    for stmt in ("SELECT audit.enable('items', snapshot => false)", "SELECT audit.disable('items')"):
        with raises_sqlstate("42501", what=stmt):
            writer.execute(stmt)
        assert db.execute("SELECT count(*) FROM audit.tables").fetchone()[0] == 1, stmt


def test_writer_cannot_disable_drop_or_replace_capture(db, writer, items):
    for n, stmt in enumerate([
        "DROP TRIGGER audit_trail_insert ON items",
        "ALTER TABLE items DISABLE TRIGGER audit_trail_update",
        "ALTER TABLE items DISABLE TRIGGER ALL",
        "ALTER TABLE items DISABLE TRIGGER USER",
        "CREATE OR REPLACE FUNCTION audit.version() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
        "CREATE FUNCTION audit.evil() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
    ]):
        with raises_sqlstate("42501", what=stmt):
            writer.execute(stmt)
        writer.execute("INSERT INTO items VALUES (%s, 'n', NULL)", [100 + n])
        assert log_rows(db)[-1]["record_id"] == str(100 + n), stmt


def test_writer_cannot_drop_a_capture_function(db, writer, items):
    fns = [r[0] for r in db.execute(
        "SELECT DISTINCT t.tgfoid::regprocedure::text FROM pg_trigger t WHERE t.tgrelid = 'items'::regclass"
        " AND NOT t.tgisinternal").fetchall()]
    assert fns
    for fn in fns:
        with raises_sqlstate("42501", what=fn):
            writer.execute(f"DROP FUNCTION {fn}")


@pytest.mark.parametrize("setup, expected", [
    ("SELECT audit.set_actor('w@x.io', 'moderator', '3')",
     {"actor_email": "w@x.io", "actor_type": "moderator", "actor_id": "3", "migration_name": None}),
    ("SELECT audit.set_migration('m7')",
     {"actor_email": None, "actor_type": "migration", "actor_id": None, "migration_name": "m7"}),
], ids=["set_actor", "set_migration"])
def test_writer_can_use_the_context_helpers(db, writer, items, setup, expected):
    with writer.transaction():
        writer.execute(setup)
        writer.execute("INSERT INTO items VALUES (2, 'two', NULL)")
    assert log_rows(db, fields=tuple(expected))[-1] == expected


def test_writer_gets_the_unknown_type_error_from_set_actor(writer, items):
    with raises_sqlstate("22023", "hacker"):
        writer.execute("SELECT audit.set_actor('w@x.io', 'hacker')")


def test_writer_cannot_add_actor_types(db, writer, items):
    with raises_sqlstate("42501"):
        writer.execute("INSERT INTO audit.actor_types (name) VALUES ('forger')")


# --- privileges as the catalog sees them ----------------------------------------------------

def test_public_has_no_privilege_on_the_log(db, roles):
    grants = db.execute(
        "SELECT privilege_type FROM information_schema.table_privileges"
        " WHERE table_schema = 'audit' AND table_name IN ('logs', 'config') AND grantee = 'PUBLIC'").fetchall()
    assert grants == []
    for table in ("audit.logs", "audit.config"):
        for priv in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            for role in (roles.reader, roles.writer):
                granted = db.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, priv]).fetchone()[0]
                assert granted is False, (role, table, priv)


def test_reader_without_a_grant_cannot_read_the_log(connect, roles, db, items):
    with raises_sqlstate("42501"):
        connect(roles.reader).execute("SELECT count(*) FROM audit.logs")


def test_a_granted_reader_can_read_but_not_change_the_log(connect, roles, db, items):
    db.execute(sql.SQL("GRANT SELECT ON audit.logs TO {}").format(sql.Identifier(roles.reader)))
    reader = connect(roles.reader)
    assert reader.execute("SELECT count(*) FROM audit.logs").fetchone()[0] == 1
    with raises_sqlstate("42501"):
        reader.execute("DELETE FROM audit.logs")


def test_switches_and_capture_functions_are_not_executable_by_others(db, roles, items):
    rows = db.execute(
        "SELECT p.oid::regprocedure::text, has_function_privilege(%s, p.oid, 'EXECUTE'),"
        " has_function_privilege(%s, p.oid, 'EXECUTE')"
        " FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace"
        " AND (p.proname IN ('enable', 'disable') OR (p.prosecdef AND p.prorettype = 'trigger'::regtype))",
        [roles.writer, roles.reader]).fetchall()
    assert {r[0].split("(")[0] for r in rows} >= {"audit.enable", "audit.disable"}
    assert len(rows) >= 3  # and the capture function of items
    assert [r[0] for r in rows if r[1] or r[2]] == []


def test_every_function_pins_its_search_path(db, items):
    rows = db.execute(
        "SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc p"
        " WHERE p.pronamespace = 'audit'::regnamespace ORDER BY 1").fetchall()
    assert rows
    unpinned = [name for name, config in rows
                if not any(c.replace(" ", "") in ("search_path=pg_catalog,pg_temp", 'search_path=pg_catalog,"pg_temp"')
                           for c in (config or []))]
    assert unpinned == []


def test_capture_functions_are_security_definer_owned_by_the_log_owner(db, roles, items):
    rows = db.execute(
        "SELECT DISTINCT p.proname, p.prosecdef, pg_get_userbyid(p.proowner) FROM pg_trigger t"
        " JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgrelid = 'items'::regclass AND NOT t.tgisinternal"
        " AND t.tgname <> 'audit_trail_no_parent'"  # never runs (WHEN false), see test_attacks_parents.py
    ).fetchall()
    assert rows and all(secdef and owner == roles.owner for _, secdef, owner in rows)


# --- shadowing: the writer's own objects must not divert capture ----------------------------

ATTACK = """
CREATE SCHEMA attacker;
GRANT USAGE ON SCHEMA attacker TO PUBLIC;
CREATE TABLE attacker.calls (what text);
GRANT INSERT, SELECT ON attacker.calls TO PUBLIC;
CREATE TABLE attacker.logs ({log_cols});
GRANT ALL ON attacker.logs TO PUBLIC;
CREATE FUNCTION attacker.note(what text) RETURNS void LANGUAGE sql
    AS $$ INSERT INTO attacker.calls VALUES (what) $$;
CREATE FUNCTION attacker.to_jsonb(anyelement) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('to_jsonb(anyelement)'); RETURN '{{"forged": 1}}'; END $$;
CREATE FUNCTION attacker.to_jsonb(public.items) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('to_jsonb(items)'); RETURN '{{"forged": 2}}'; END $$;
CREATE FUNCTION attacker.to_jsonb(int) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('to_jsonb(int)'); RETURN '"forged"'; END $$;
CREATE FUNCTION attacker.to_jsonb(text) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('to_jsonb(text)'); RETURN '"forged"'; END $$;
CREATE FUNCTION attacker.array_remove(anyarray, anyelement) RETURNS anyarray LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('array_remove(any)'); RETURN $1; END $$;
CREATE FUNCTION attacker.array_remove(text[], text) RETURNS text[] LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('array_remove(text)'); RETURN '{{forged}}'; END $$;
CREATE FUNCTION attacker.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('jsonb_build_object(variadic)'); RETURN '{{"forged": 3}}'; END $$;
CREATE FUNCTION attacker.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('jsonb_build_object(text,text)'); RETURN '{{"forged": 4}}'; END $$;
CREATE FUNCTION attacker.current_setting(text, boolean) RETURNS text LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('current_setting'); RETURN 'forged@x.io'; END $$;
CREATE FUNCTION attacker.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('clock_timestamp'); RETURN '1999-01-01'; END $$;
CREATE FUNCTION attacker.cardinality(anyarray) RETURNS int LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('cardinality'); RETURN 0; END $$;
CREATE FUNCTION attacker.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('=(text,text)'); RETURN true; END $$;
CREATE OPERATOR attacker.= (LEFTARG = text, RIGHTARG = text, FUNCTION = attacker.text_eq);
CREATE FUNCTION attacker.text_ne(text, text) RETURNS boolean LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('<>(text,text)'); RETURN false; END $$;
CREATE OPERATOR attacker.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = attacker.text_ne);
CREATE FUNCTION attacker.int_ne(int, int) RETURNS boolean LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('<>(int,int)'); RETURN false; END $$;
CREATE OPERATOR attacker.<> (LEFTARG = int, RIGHTARG = int, FUNCTION = attacker.int_ne);
CREATE FUNCTION attacker.jsonb_minus(jsonb, text[]) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('-(jsonb,text[])'); RETURN '{{}}'; END $$;
CREATE OPERATOR attacker.- (LEFTARG = jsonb, RIGHTARG = text[], FUNCTION = attacker.jsonb_minus);
CREATE FUNCTION attacker.jsonb_cat(jsonb, jsonb) RETURNS jsonb LANGUAGE plpgsql
    AS $$ BEGIN PERFORM attacker.note('||(jsonb,jsonb)'); RETURN $1; END $$;
CREATE OPERATOR attacker.|| (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = attacker.jsonb_cat);
CREATE TEMP TABLE logs ({log_cols});
"""


@pytest.mark.parametrize("search_path", ["attacker, public", "attacker, pg_catalog, public",
                                         "pg_temp, attacker, pg_catalog, public"])
def test_shadowing_objects_do_not_divert_capture(db, db_name, writer, items, roles, search_path):
    db.execute(sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(db_name),
                                                                   sql.Identifier(roles.writer)))
    log_cols = ", ".join(f"{c} text" for c in LOG_COLUMNS)
    for stmt in ATTACK.format(log_cols=log_cols).split(";\n"):
        if stmt.strip():
            writer.execute(stmt)
    db.execute(sql.SQL("GRANT SELECT ON items TO {}").format(sql.Identifier(roles.writer)))
    writer.execute(f"SET search_path = {search_path}")
    with writer.transaction():
        writer.execute("SET LOCAL app.actor_email = 'real@x.io'")
        writer.execute("SET LOCAL app.actor_id = '7'")
        writer.execute("SET LOCAL app.actor_type = 'user'")
        writer.execute("SELECT pg_catalog.set_config('app.audit_context', '{\"req\": \"r1\"}', true)")
        writer.execute("INSERT INTO public.items VALUES (2, 'two', 's2-SECRET')")
        writer.execute("UPDATE public.items SET name = name || '!', secret = 'sx-SECRET', id = id + 10")
        writer.execute("DELETE FROM public.items WHERE id = 11")
        writer.execute("INSERT INTO public.items VALUES (3, 'three', NULL)")
        writer.execute("TRUNCATE public.items")
    fields = tuple(row("x", "x")) + ("actor_email", "actor_type", "actor_id", "context", "db_user")
    entries = log_rows(db, fields=fields)[1:]
    red = "[redacted]"
    common = {"actor_email": "real@x.io", "actor_type": "user", "actor_id": "7", "context": {"req": "r1"},
              "db_user": "app_writer"}
    r11 = {"id": 11, "name": "one!", "secret": red}
    r12 = {"id": 12, "name": "two!", "secret": red}
    r3 = {"id": 3, "name": "three", "secret": None}
    expected = [
        row("INSERT", "2", new={"id": 2, "name": "two", "secret": red}, changed=["id", "name", "secret"]),
        row("UPDATE", "11", old_record_id="1", old={"id": 1, "name": "one", "secret": red}, new=r11,
            changed=["id", "name", "secret"]),
        row("UPDATE", "12", old_record_id="2", old={"id": 2, "name": "two", "secret": red}, new=r12,
            changed=["id", "name", "secret"]),
        row("DELETE", "11", old=r11, changed=["id", "name", "secret"]),
        row("INSERT", "3", new=r3, changed=["id", "name"]),
        row("TRUNCATE", "12", old=r12, changed=["id", "name", "secret"]),
        row("TRUNCATE", "3", old=r3, changed=["id", "name"]),
    ]
    expected = [{**e, **common} for e in expected]
    assert entries[:1] + sorted(entries[1:3], key=lambda e: e["record_id"]) + entries[3:5] == expected[:5]
    assert sorted(entries[5:], key=lambda e: e["record_id"]) == expected[5:]
    created = [r[0] for r in db.execute("SELECT created_at FROM audit.logs WHERE id > 1").fetchall()]
    assert all(c.year > 2000 for c in created)
    assert writer.execute("SELECT count(*) FROM attacker.logs").fetchone()[0] == 0
    assert writer.execute("SELECT count(*) FROM pg_temp.logs").fetchone()[0] == 0
    assert writer.execute("SELECT coalesce(array_agg(DISTINCT what), '{}') FROM attacker.calls").fetchone()[0] == []
    assert db.execute("SELECT count(*) FROM audit.logs l WHERE l::text LIKE '%SECRET%'").fetchone()[0] == 0


def test_every_capturing_function_pins_the_same_settings(db, items):
    # audit._pinned_settings is the one list; audit.enable (it writes SNAPSHOT rows) and
    # audit._generated_is_current repeat it in their SET clauses and comparison. They must agree,
    # else enable logs other text than capture, or every install regenerates every function.
    configs = dict(db.execute(
        "SELECT p.proname, p.proconfig FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace"
        " AND (p.proname IN ('enable', '_record_key') OR p.proname ~ '^(capture|guard)_n[0-9]+$')").fetchall())
    generated = [c for n, c in configs.items() if n.startswith(("capture_n", "guard_n"))]
    assert generated
    for config in generated:
        assert config == configs["enable"]
    # _record_key reads keys that arrive in the caller's DateStyle and TimeZone: all but those two.
    assert configs["_record_key"] == [c for c in configs["enable"] if not c.startswith(("DateStyle=", "TimeZone="))]
    capture = db.execute(
        "SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = 'items'::regclass AND NOT t.tgisinternal LIMIT 1").fetchone()[0]
    assert db.execute("SELECT audit._generated_is_current(%s, p.prosrc, false) FROM pg_proc p"
                      " WHERE p.proname = %s AND p.pronamespace = 'audit'::regnamespace", [capture, capture]).fetchone()[0]
