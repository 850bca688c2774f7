"""A table's owner tries to make capture, which runs as the package owner, run code of theirs.

Every hook a table owner can define on their own types and tables records the role it ran as:
casts to json, jsonb and text of an enum, of a composite and of a range type; a domain's check;
a row-level-security policy; an operator named like PostgreSQL's. Capture must log every change
exactly and never run one of them as the package owner.
"""

import re

import pytest

from helpers import raises_sqlstate

pytestmark = pytest.mark.security

HOOKS = """
CREATE TABLE app.calls (who text, what text);
GRANT INSERT, SELECT ON app.calls TO PUBLIC;
CREATE FUNCTION app.spy(what text) RETURNS boolean LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
    INSERT INTO app.calls VALUES (current_user, what);
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION app.spy(text) TO PUBLIC;
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (n int, m app.mood);
CREATE TYPE app.span AS RANGE (subtype = int4);
CREATE FUNCTION app.mood_json(app.mood) RETURNS json LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('mood json') THEN '"hijacked"'::json END $$;
CREATE FUNCTION app.mood_jsonb(app.mood) RETURNS jsonb LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('mood jsonb') THEN '"hijacked"'::jsonb END $$;
CREATE FUNCTION app.mood_text(app.mood) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('mood text') THEN 'hijacked' END $$;
CREATE FUNCTION app.text_mood(text) RETURNS app.mood LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('text mood') THEN 'ok'::app.mood END $$;
CREATE FUNCTION app.pair_json(app.pair) RETURNS json LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('pair json') THEN '"hijacked"'::json END $$;
CREATE FUNCTION app.pair_text(app.pair) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('pair text') THEN 'hijacked' END $$;
CREATE FUNCTION app.span_json(app.span) RETURNS json LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('span json') THEN '"hijacked"'::json END $$;
CREATE FUNCTION app.span_text(app.span) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN app.spy('span text') THEN 'hijacked' END $$;
CREATE FUNCTION app.mood_eq(app.mood, app.mood) RETURNS boolean LANGUAGE sql AS $$ SELECT app.spy('mood =') AND $1::text = $2::text $$;
CREATE CAST (app.mood AS json) WITH FUNCTION app.mood_json(app.mood);
CREATE CAST (app.mood AS jsonb) WITH FUNCTION app.mood_jsonb(app.mood);
CREATE CAST (app.mood AS text) WITH FUNCTION app.mood_text(app.mood);
CREATE CAST (text AS app.mood) WITH FUNCTION app.text_mood(text);
CREATE CAST (app.pair AS json) WITH FUNCTION app.pair_json(app.pair);
CREATE CAST (app.pair AS text) WITH FUNCTION app.pair_text(app.pair);
CREATE CAST (app.span AS json) WITH FUNCTION app.span_json(app.span);
CREATE CAST (app.span AS text) WITH FUNCTION app.span_text(app.span);
CREATE OPERATOR app.= (leftarg = app.mood, rightarg = app.mood, function = app.mood_eq);
CREATE DOMAIN app.checked AS text CHECK (app.spy('domain check'));
CREATE TABLE app.people (
    id int PRIMARY KEY,
    mood app.mood,
    moods app.mood[],
    pair app.pair,
    span app.span,
    note app.checked,
    name text
);
CREATE TABLE app.by_mood (mood app.mood PRIMARY KEY, n int);
"""

ROWS = ("(1, 'ok', '{sad,NULL,happy}', '(1,happy)', '[1,5)', 'n1', 'a'),"
        " (2, 'sad', NULL, '(,)', 'empty', NULL, 'b'),"
        " (3, NULL, '{}', NULL, NULL, 'n3', 'c')")


@pytest.fixture
def hooked(separated):
    s = separated
    s.owner.execute(HOOKS)
    s.owner.execute(f"INSERT INTO app.people VALUES {ROWS}")
    s.owner.execute("INSERT INTO app.by_mood VALUES ('ok', 1), ('sad', 2)")
    for table in ("app.people", "app.by_mood"):
        s.grant(table)
    # A policy that would hide nothing from the writer but names the spy.
    s.owner.execute("ALTER TABLE app.people ENABLE ROW LEVEL SECURITY")
    s.owner.execute("CREATE POLICY everyone ON app.people USING (app.spy('policy'))")
    s.owner.execute("DELETE FROM app.calls")
    return s


def ran_as(s, role: str) -> list[str]:
    return [r[0] for r in s.owner.execute("SELECT what FROM app.calls WHERE who = %s ORDER BY what", [role])]


def test_capture_never_runs_the_table_owner_s_casts_checks_or_policies(hooked):
    s = hooked
    s.pkg.execute("SET search_path = app, public")  # the package owner's own session: pinned anyway
    with raises_sqlstate("42501", "row-level security", "snapshot"):
        s.pkg.execute("SELECT audit.enable('app.people')")
    s.pkg.execute("SELECT audit.enable('app.people', snapshot => false)")
    s.pkg.execute("SELECT audit.enable('app.by_mood')")
    s.app.execute("INSERT INTO app.people VALUES (4, 'happy', '{ok}', '(4,sad)', '[2,3]', 'n4', 'd')")
    s.app.execute("UPDATE app.people SET mood = 'sad', pair = '(5,ok)', span = '[7,9)', moods = '{happy}' WHERE id = 4")
    s.app.execute("UPDATE app.people SET name = name || '!', mood = 'happy'")
    s.app.execute("UPDATE app.by_mood SET mood = 'happy' WHERE mood = 'ok'")
    s.app.execute("UPDATE app.by_mood SET n = n + 1")
    s.app.execute("DELETE FROM app.people WHERE id = 2")
    s.app.execute("DELETE FROM app.by_mood")
    assert ran_as(s, s.roles.owner) == []
    # TRUNCATE reads the table itself: with a policy that would apply to the package owner, it is refused.
    with raises_sqlstate("42501", "TRUNCATE", "row-level security"):
        s.app.execute("TRUNCATE app.people")
    assert ran_as(s, s.roles.owner) == []
    # What was logged is the values' own text, not what a cast would have made of them.
    [snap, upd] = s.analyst.execute(
        "SELECT new_values FROM audit.logs WHERE table_name = 'people' AND record_id = '4' ORDER BY id LIMIT 2"
    ).fetchall()
    assert snap[0] == {"id": 4, "mood": "happy", "moods": ["ok"], "pair": "(4,sad)", "span": "[2,3]",
                       "note": "n4", "name": "d"}
    assert upd[0]["mood"] == "sad" and upd[0]["pair"] == "(5,ok)" and upd[0]["span"] == "[7,9)"
    assert s.analyst.execute(
        "SELECT count(*) FROM audit.logs WHERE logs::text LIKE '%hijacked%'").fetchone()[0] == 0
    keys = [r for r in s.analyst.execute(
        "SELECT action, old_record_id, record_id FROM audit.logs WHERE table_name = 'by_mood' ORDER BY id")]
    assert sorted(keys, key=str) == sorted([("SNAPSHOT", None, "ok"), ("SNAPSHOT", None, "sad"), ("UPDATE", "ok", "happy"),
                                   ("UPDATE", None, "happy"), ("UPDATE", None, "sad"), ("DELETE", None, "happy"),
                                   ("DELETE", None, "sad")], key=str)


def test_multi_row_update_carries_untrusted_values_without_casting_them_back(hooked):
    s = hooked
    s.owner.execute("ALTER TABLE app.people DISABLE ROW LEVEL SECURITY")
    s.pkg.execute("SELECT audit.enable('app.people')")
    s.app.execute("UPDATE app.people SET mood = 'happy', moods = array['sad', NULL]::app.mood[],"
                  " pair = '(9,sad)' WHERE id IN (1, 2, 3)")
    rows = s.analyst.execute(
        "SELECT record_id, old_values, new_values->'mood', new_values->'moods', new_values->'pair'"
        " FROM audit.logs WHERE action = 'UPDATE' ORDER BY record_id").fetchall()
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (str(i), "happy", ["sad", None], "(9,sad)") for i in (1, 2, 3)]
    assert rows[0][1] == {"mood": "ok", "moods": ["sad", None, "happy"], "pair": "(1,happy)"}
    assert ran_as(s, s.roles.owner) == []
    # The typed read gives the values back as the column types. Building the row type runs the
    # table owner's domain check (app.checked), so it is theirs to run: the analyst is refused.
    with raises_sqlstate("42501", r"column note of app\.people has domain app\.checked"):
        s.analyst.execute("SELECT (audit.row_at(NULL::app.people, 1, now())).pair")
    s.admin.execute(f"GRANT SELECT ON audit.logs TO {s.roles.table_owner}")
    state = s.owner.execute("SELECT (audit.row_at(NULL::app.people, 1, now())).pair").fetchone()[0]
    assert state == "(9,sad)"


def test_a_composite_altered_after_enable_is_logged_whole_and_safely(hooked):
    # ALTER TYPE ... ADD ATTRIBUTE works while a table uses the type, without telling its capture
    # code: a composite of a user's type is logged as its text, which always has every attribute.
    s = hooked
    s.owner.execute("ALTER TABLE app.people DISABLE ROW LEVEL SECURITY")
    s.pkg.execute("SELECT audit.enable('app.people', snapshot => false)")
    s.owner.execute("ALTER TYPE app.pair ADD ATTRIBUTE extra app.mood")
    s.app.execute("UPDATE app.people SET pair = '(1,ok,happy)' WHERE id = 1")
    s.app.execute("UPDATE app.people SET pair = '(1,ok,sad)' WHERE id = 1")
    rows = s.analyst.execute("SELECT old_values, new_values->'pair' FROM audit.logs ORDER BY id").fetchall()
    assert rows == [({"pair": "(1,happy,)"}, "(1,ok,happy)"), ({"pair": "(1,ok,happy)"}, "(1,ok,sad)")]
    assert ran_as(s, s.roles.owner) == []


def test_every_generated_capture_function_refers_only_to_pg_catalog_and_audit(hooked):
    s = hooked
    s.owner.execute("ALTER TABLE app.people DISABLE ROW LEVEL SECURITY")
    s.pkg.execute("SELECT audit.enable('app.people', redact_columns => '{note}')")
    s.pkg.execute("SELECT audit.enable('app.by_mood', require_actor => true)")
    bodies = s.pkg.execute(
        "SELECT p.proname, p.prosrc, p.proconfig FROM pg_proc p"
        " WHERE p.pronamespace = 'audit'::regnamespace AND p.proname ~ '^(capture|guard)_n[0-9]+$'").fetchall()
    assert len(bodies) == 2
    for name, src, config in bodies:
        assert "search_path=pg_catalog, pg_temp" in config, name
        # Every function call in the generated text (comments dropped; the statements it builds at
        # run time are inside literals, and checked by the same rule once unquoted) is
        # schema-qualified with pg_catalog or audit.
        code = re.sub(r"--[^\n]*", "", src).replace("''", "'")
        calls = re.findall(r"([A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_])\s*\(", code)
        keywords = {"select", "from", "exists", "array", "in", "coalesce", "nullif", "case", "values", "any",
                    "all", "when", "then", "else", "and", "or", "not", "cast", "over", "as", "join", "on",
                    "filter", "lateral", "where", "is", "raise", "perform", "execute", "if", "using", "into", "operator",
                    "by", "distinct"}
        outside = sorted({c for c in calls if c.lower() not in keywords
                          and not c.startswith(("pg_catalog.", "audit.")) and not re.fullmatch(r"[onvdj]\d*", c)})
        assert outside == [], (name, outside)


@pytest.mark.skipif("config.getoption('--co', default=False)")
def test_virtual_generated_column_calling_the_owner_s_function_is_refused(hooked, pg):
    if pg.major < 18:
        pytest.skip("virtual generated columns need PostgreSQL 18")
    s = hooked
    s.owner.execute("CREATE FUNCTION app.shout(text) RETURNS text IMMUTABLE LANGUAGE sql"
                    " AS $$ SELECT upper($1) || CASE WHEN app.spy('virtual') THEN '' END $$")
    # PostgreSQL 18 itself refuses a user's function (and a domain type) in a virtual column;
    # audit._check_virtual_columns refuses the same again, should a later release allow them.
    with raises_sqlstate("0A000", "user-defined function"):
        s.owner.execute("CREATE TABLE app.v (id int PRIMARY KEY, name text, loud text GENERATED ALWAYS AS (app.shout(name)))")
    # Built-in functions only: captured, and computed as the writer would.
    s.owner.execute("CREATE TABLE app.w (id int PRIMARY KEY, name text, loud text GENERATED ALWAYS AS (upper(name)))")
    s.grant("app.w")
    s.pkg.execute("SELECT audit.enable('app.w')")
    s.app.execute("INSERT INTO app.w (id, name) VALUES (1, 'a')")
    assert s.analyst.execute("SELECT new_values->>'loud' FROM audit.logs WHERE table_name = 'w'").fetchone()[0] == "A"
    assert ran_as(s, s.roles.owner) == []


def test_reading_and_erasing_by_key_never_runs_the_table_owner_s_code_as_the_package_owner(hooked):
    """The reads (and audit.erase, which only the package owner runs) turn the key they are given
    into the key's type: a domain's check or a text-to-enum cast of the table owner's ran there, as
    whoever read, the package owner included (found by a hostile review)."""
    s = hooked
    s.owner.execute("CREATE DOMAIN app.checked_id AS int CHECK (app.spy('key domain check'))")
    s.owner.execute("CREATE TABLE app.by_checked (id app.checked_id PRIMARY KEY, v text)")
    s.owner.execute("INSERT INTO app.by_checked VALUES (5, 'five'), (6, 'six')")
    s.owner.execute("INSERT INTO app.by_mood VALUES ('happy', 3)")
    for table in ("app.by_checked",):
        s.grant(table)
    s.pkg.execute("SELECT audit.enable('app.by_checked')")
    s.pkg.execute("SELECT audit.enable('app.by_mood')")
    s.app.execute("UPDATE app.by_checked SET v = v || '!'")
    s.app.execute("UPDATE app.by_mood SET n = n + 10")
    s.owner.execute("DELETE FROM app.calls")
    for conn in (s.pkg, s.analyst):
        assert conn.execute("SELECT state->>'v' FROM audit.state_at('app.by_checked', 5, now())").fetchone() == ("five!",)
        assert conn.execute("SELECT state->>'n' FROM audit.state_at('app.by_mood', 'happy'::text, now())"
                            ).fetchone() == ("13",)
        assert len(conn.execute("SELECT * FROM audit.history('app.by_mood', 'ok'::text)").fetchall()) == 2
        assert len(conn.execute("SELECT * FROM audit.history('app.by_checked', '6')").fetchall()) == 2
    assert s.pkg.execute("SELECT audit.erase('app.by_checked', 5, 'erasure request')").fetchone()[0] == 2
    assert s.pkg.execute("SELECT audit.erase('app.by_mood', 'sad'::text, 'erasure request')").fetchone()[0] == 2
    assert ran_as(s, s.roles.owner) == []
    # A key that is not of the key's type is still refused, naming the table and the column.
    with raises_sqlstate("22P02", "app.by_checked", "id"):
        s.pkg.execute("SELECT * FROM audit.state_at('app.by_checked', 'five'::text, now())")
