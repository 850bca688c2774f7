"""Hostile review of the hardening work: each test asserts the SAFE behaviour, so a failure is a finding.

Roles come from the ``separated`` fixture: package owner (.pkg), table owner (.owner), application
(.app, DML only), analyst (.analyst, SELECT on the log).
"""

import pytest
import psycopg

from helpers import log_rows, raises_sqlstate

pytestmark = pytest.mark.security

SPY = """
CREATE TABLE app.calls (who text, what text);
GRANT INSERT, SELECT ON app.calls TO PUBLIC;
-- Records who it ran as; run as the package owner, it also tries to take the log for the table owner.
CREATE FUNCTION app.spy(what text) RETURNS boolean LANGUAGE plpgsql SECURITY INVOKER AS $$
BEGIN
    INSERT INTO app.calls VALUES (current_user, what);
    IF current_user = 'audit_owner' THEN
        BEGIN
            EXECUTE 'GRANT UPDATE, DELETE ON audit.logs TO app_table_owner';
        EXCEPTION WHEN others THEN
            INSERT INTO app.calls VALUES (current_user, 'grant failed: ' || SQLERRM);
        END;
        BEGIN
            -- A door for later: any SQL of the table owner's, run as the package owner.
            EXECUTE $f$CREATE OR REPLACE FUNCTION audit.backdoor(q text) RETURNS void LANGUAGE plpgsql
                SECURITY DEFINER AS 'BEGIN EXECUTE q; END'$f$;
            EXECUTE 'GRANT EXECUTE ON FUNCTION audit.backdoor(text) TO app_table_owner';
        EXCEPTION WHEN others THEN
            INSERT INTO app.calls VALUES (current_user, 'backdoor failed: ' || SQLERRM);
        END;
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION app.spy(text) TO PUBLIC;
"""


@pytest.fixture
def spied(separated):
    separated.owner.execute(SPY)
    return separated


def ran_as(s, role):
    return [r[0] for r in s.owner.execute("SELECT what FROM app.calls WHERE who = %s ORDER BY what", [role])]


def log_rights(s):
    """(table owner may UPDATE the log, a backdoor function exists)"""
    return s.admin.execute(
        "SELECT has_table_privilege('app_table_owner', 'audit.logs', 'UPDATE'),"
        " to_regprocedure('audit.backdoor(text)') IS NOT NULL").fetchone()


# ---------------------------------------------------------------------------------------------
# Code of the table owner run as the package owner
# ---------------------------------------------------------------------------------------------

def test_array_of_a_domain_check_never_runs_as_package_owner_multi_row_update(spied):
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('array-of-domain check'))")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, w app.watched[], v text)")
    s.owner.execute("INSERT INTO app.t VALUES (1, '{1}', 'a'), (2, '{2}', 'b')")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("DELETE FROM app.calls")
    s.app.execute("UPDATE app.t SET v = v || '!', w = '{3}'")  # two rows: the array path
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_array_of_a_domain_key_check_never_runs_as_package_owner_single_row(spied):
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('array-of-domain key check'))")
    s.owner.execute("CREATE TABLE app.k (id app.watched[] PRIMARY KEY, v text)")
    s.owner.execute("INSERT INTO app.k VALUES ('{1}', 'a')")
    s.grant("app.k")
    s.pkg.execute("SELECT audit.enable('app.k')")
    s.owner.execute("DELETE FROM app.calls")
    s.app.execute("UPDATE app.k SET v = 'b'")  # one row
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_the_table_owner_cannot_attach_a_capture_function_to_a_table_of_theirs(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    fn = s.pkg.execute("SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                       " WHERE t.tgrelid = 'app.t'::regclass AND t.tgname = 'audit_trail_insert'").fetchone()[0]
    s.owner.execute("CREATE TABLE app.fake (id int PRIMARY KEY, v text)")
    with raises_sqlstate("42501"):
        s.owner.execute(f"CREATE TRIGGER forge AFTER INSERT ON app.fake REFERENCING NEW TABLE AS audit_new"
                        f" FOR EACH STATEMENT EXECUTE FUNCTION audit.{fn}()")


def test_a_former_inheritance_child_does_not_log_as_its_old_parent(spied):
    # The table owner adds a child, the package owner brings it under capture (as the README says),
    # then the table owner takes the child away with NO INHERIT: its writes are no longer writes of
    # the audited table, but would they still be logged under the audited table's name?
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("CREATE TABLE app.c (id int PRIMARY KEY, v text)")
    s.owner.execute("ALTER TABLE app.c INHERIT app.t")
    s.grant("app.c")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("ALTER TABLE app.c NO INHERIT app.t")
    start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    try:
        s.owner.execute("INSERT INTO app.c VALUES (666, 'forged row of app.t')")
    except psycopg.Error:
        return  # refused: fine
    forged = s.analyst.execute("SELECT table_name, record_id, action FROM audit.logs WHERE id > %s",
                               [start]).fetchall()
    assert forged == [], f"rows of a table that is not app.t were logged as app.t: {forged}"


def test_a_detached_partition_does_not_log_as_its_old_parent(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.p (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.p_eu PARTITION OF app.p FOR VALUES IN ('eu')")
    s.grant("app.p")
    s.grant("app.p_eu")
    s.pkg.execute("SELECT audit.enable('app.p')")
    s.owner.execute("ALTER TABLE app.p DETACH PARTITION app.p_eu")
    start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    try:
        s.owner.execute("INSERT INTO app.p_eu VALUES (666, 'eu', 'forged row of app.p')")
    except psycopg.Error:
        return
    forged = s.analyst.execute("SELECT table_name, record_id, action FROM audit.logs WHERE id > %s",
                               [start]).fetchall()
    assert forged == [], f"rows of a detached table were logged as app.p: {forged}"


def test_a_detached_partition_refuses_writes_until_audit_disable_removes_its_capture(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.p (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.p_eu PARTITION OF app.p FOR VALUES IN ('eu')")
    s.owner.execute("CREATE TABLE app.p_us PARTITION OF app.p FOR VALUES IN ('us')")
    for t in ("app.p", "app.p_eu", "app.p_us"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.p')")
    s.app.execute("INSERT INTO app.p VALUES (1, 'eu', 'a'), (2, 'us', 'b')")
    s.owner.execute("ALTER TABLE app.p DETACH PARTITION app.p_eu")
    with raises_sqlstate("55000", r"app\.p_eu has capture triggers but is not part of an audited table") as e:
        s.app.execute("UPDATE app.p_eu SET v = 'x'")
    assert "audit.disable('app.p_eu') to remove them" in e.value.diag.message_hint
    with raises_sqlstate("55000", r"app\.p_us is not audited by itself: it is a partition or inheritance child"
                         r" of audited table app\.p"):
        s.pkg.execute("SELECT audit.disable('app.p_us')")  # still a partition: not a table of its own
    s.pkg.execute("SELECT audit.disable('app.p_eu')")  # the package owner may not drop them: no-ops
    s.app.execute("UPDATE app.p_eu SET v = 'x'")
    s.app.execute("UPDATE app.p SET v = 'y'")
    rows = s.analyst.execute("SELECT record_id, action, new_values ->> 'v' FROM audit.logs"
                             " WHERE action <> 'SNAPSHOT' ORDER BY id").fetchall()
    assert rows == [('{"r": "eu", "id": 1}', "INSERT", "a"), ('{"r": "us", "id": 2}', "INSERT", "b"),
                    ('{"r": "us", "id": 2}', "UPDATE", "y")]
    assert s.admin.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.p_eu'::regclass"
                           " AND tgname LIKE 'audit_trail_%'").fetchone()[0] > 0


def test_a_partition_of_a_detached_sub_partitioned_table_does_not_log_as_the_audited_table(spied):
    # Two levels: app.p -> app.p_mid -> app.p_leaf. Detaching app.p_mid changes neither app.p_leaf's
    # definition nor its cached plans; its writes, in a session that wrote before, must not be
    # logged as app.p's.
    s = spied
    s.owner.execute("CREATE TABLE app.p (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.p_mid PARTITION OF app.p FOR VALUES IN ('eu', 'fr') PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.p_leaf PARTITION OF app.p_mid FOR VALUES IN ('eu')")
    for t in ("app.p", "app.p_mid", "app.p_leaf"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.p')")
    for i in range(1, 4):  # the owner's session caches the capture plans of app.p_leaf
        s.owner.execute(f"INSERT INTO app.p_leaf VALUES ({i}, 'eu', 'real')")
        s.owner.execute(f"UPDATE app.p_leaf SET v = 'real!' WHERE id = {i}")
    s.owner.execute("ALTER TABLE app.p DETACH PARTITION app.p_mid")
    start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    for stmt in ("INSERT INTO app.p_leaf VALUES (666, 'eu', 'forged')", "UPDATE app.p_leaf SET v = 'forged'",
                 "DELETE FROM app.p_leaf WHERE id = 1"):
        with raises_sqlstate("55000", r"app\.p_leaf has capture triggers but is not part of an audited table"):
            s.owner.execute(stmt)
    forged = s.analyst.execute("SELECT table_name, record_id, action FROM audit.logs WHERE id > %s",
                               [start]).fetchall()
    assert forged == [], f"rows of a table no longer in app.p were logged as app.p: {forged}"


def test_a_grandchild_of_a_child_taken_out_of_inheritance_does_not_log_as_the_audited_table(spied):
    # app.t <- app.c1 <- app.c2; NO INHERIT of app.c1 changes nothing of app.c2's: its writes, in a
    # session that wrote before (cached plans), must not be logged as app.t's.
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.owner.execute("CREATE TABLE app.c1 (id int PRIMARY KEY, v text)")
    s.owner.execute("CREATE TABLE app.c2 (id int PRIMARY KEY, v text)")
    s.owner.execute("ALTER TABLE app.c1 INHERIT app.t")
    s.owner.execute("ALTER TABLE app.c2 INHERIT app.c1")
    for t in ("app.t", "app.c1", "app.c2"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.t')")
    for i in range(1, 4):
        s.owner.execute(f"INSERT INTO app.c2 VALUES ({i}, 'real')")
        s.owner.execute(f"UPDATE app.c2 SET v = 'real!' WHERE id = {i}")
    s.owner.execute("ALTER TABLE app.c1 NO INHERIT app.t")
    start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    for stmt in ("INSERT INTO app.c2 VALUES (666, 'forged')", "UPDATE app.c2 SET v = 'forged'",
                 "DELETE FROM app.c2 WHERE id = 1"):
        with raises_sqlstate("55000", r"app\.c2 has capture triggers but is not part of an audited table"):
            s.owner.execute(stmt)
    forged = s.analyst.execute("SELECT table_name, record_id, action FROM audit.logs WHERE id > %s",
                               [start]).fetchall()
    assert forged == [], f"rows of a table no longer under app.t were logged as app.t: {forged}"


def test_a_child_moved_under_another_audited_table_logs_as_its_new_parent(spied):
    # Its capture code was made for the old parent; the write takes the slow path and finds the new.
    s = spied
    for t in ("app.t", "app.t2"):
        s.owner.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
        s.grant(t)
    s.owner.execute("CREATE TABLE app.c (id int PRIMARY KEY, v text)")
    s.owner.execute("ALTER TABLE app.c INHERIT app.t")
    s.grant("app.c")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.pkg.execute("SELECT audit.enable('app.t2')")
    s.app.execute("INSERT INTO app.c VALUES (1, 'under t')")
    s.owner.execute("ALTER TABLE app.c NO INHERIT app.t")
    with raises_sqlstate("55000", r"app\.c has capture triggers but is not part of an audited table"):
        s.app.execute("INSERT INTO app.c VALUES (2, 'orphan')")
    s.owner.execute("ALTER TABLE app.c INHERIT app.t2")
    s.app.execute("INSERT INTO app.c VALUES (3, 'under t2')")
    s.app.execute("UPDATE app.c SET v = v || '!' WHERE id = 3")
    rows = s.analyst.execute("SELECT table_name, record_id, action FROM audit.logs"
                             " WHERE action <> 'SNAPSHOT' ORDER BY id").fetchall()
    assert rows == [("t", "1", "INSERT"), ("t2", "3", "INSERT"), ("t2", "3", "UPDATE")]


def test_the_application_cannot_call_internal_functions_that_write(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    rows = s.app.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace"
        " AND has_function_privilege(p.oid, 'EXECUTE') AND (p.prosecdef OR p.provolatile = 'v')"
        " ORDER BY 1").fetchall()
    callable_ = [r[0] for r in rows]
    # Only side-effect-free helpers and the documented API; no SECURITY DEFINER function but guards.
    secdef = s.app.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace"
        " AND has_function_privilege(p.oid, 'EXECUTE') AND p.prosecdef AND p.proname !~ '^guard_n'"
        # Read-only by design: _config_of refuses roles that may not read the log; _check_horizon
        # only says whether a moment is before the latest purge's cut.
        " AND p.proname NOT IN ('_config_of', '_check_horizon')"
        " ORDER BY 1").fetchall()
    assert secdef == [], callable_
    for stmt in ("SELECT audit.enable('app.t')", "SELECT audit.disable('app.t')",
                 "INSERT INTO audit.logs (action) VALUES ('INSERT')",
                 "UPDATE audit.config SET enabled = false",
                 "INSERT INTO audit.actor_types VALUES ('root')"):
        with raises_sqlstate("42501", what=stmt):
            s.app.execute(stmt)
    for stmt in ("INSERT INTO audit.logs (action) VALUES ('INSERT')", "DELETE FROM audit.logs",
                 "UPDATE audit.config SET enabled = false", "SELECT audit.disable('app.t')"):
        with raises_sqlstate("42501", what=stmt):
            s.analyst.execute(stmt)


def test_a_guard_function_on_the_table_owner_s_table_does_nothing_as_package_owner(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.p (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.p_eu PARTITION OF app.p FOR VALUES IN ('eu')")
    s.grant("app.p")
    s.grant("app.p_eu")
    s.pkg.execute("SELECT audit.enable('app.p')")
    fn = s.pkg.execute("SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                       " WHERE t.tgrelid = 'app.p'::regclass AND t.tgname = 'audit_trail_partition_guard'"
                       ).fetchone()[0]
    s.owner.execute("CREATE TABLE app.mine (id int PRIMARY KEY)")
    s.owner.execute(f"CREATE TRIGGER audit_trail_insert BEFORE INSERT ON app.mine FOR EACH ROW"
                    f" EXECUTE FUNCTION audit.{fn}()")
    s.owner.execute("INSERT INTO app.mine VALUES (1)")  # passes or refuses; nothing else
    assert log_rows(s.analyst) == []


def test_no_role_but_the_package_owner_may_run_a_writing_or_definer_function(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{v}')")
    for conn in (s.owner, s.app, s.analyst):
        secdef = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'audit'::regnamespace"
            " AND has_function_privilege(p.oid, 'EXECUTE') AND p.prosecdef"
            " AND p.proname !~ '^guard_n' AND p.proname NOT IN ('_config_of', '_check_horizon') ORDER BY 1").fetchall()
        assert secdef == []
        for stmt in ("SELECT audit._sync_lookup_indexes(c) FROM audit.config c",
                     "SELECT audit._capture_function('app.t'::regclass, c) FROM audit.config c",
                     "SELECT audit._lock_log('share')",
                     "SELECT audit._drop_capture('app.t'::regclass)"):
            with pytest.raises(psycopg.Error):
                conn.execute(stmt)
    # The one definer reader helper refuses a role without SELECT on the log.
    with raises_sqlstate("42501", "audit.logs"):
        s.app.execute("SELECT audit._config_of('app.t', 'x')")
    fn = s.pkg.execute("SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                       " WHERE t.tgrelid = 'app.t'::regclass AND t.tgname = 'audit_trail_insert'").fetchone()[0]
    s.app.execute("CREATE TEMP TABLE fake (id int PRIMARY KEY, v text)")
    with raises_sqlstate("42501"):
        s.app.execute(f"CREATE TRIGGER audit_trail_insert AFTER INSERT ON pg_temp.fake REFERENCING NEW TABLE AS"
                      f" audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.{fn}()")


# ---------------------------------------------------------------------------------------------
# Filtered reads: audit.table_at(tbl, ts, filter), audit.rows_at(NULL::t, ts, filter)
# ---------------------------------------------------------------------------------------------

ODD = ["it's", '$1', '%s', 'a"b', 'x\\y', "'); DROP TABLE app.calls; --"]


def _odd_table(s, name, lookup):
    cols = ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}" text' for c in ODD)
    s.owner.execute(f"CREATE TABLE app.{name} (id int PRIMARY KEY, {cols})")
    s.grant(f"app.{name}")
    s.pkg.execute(f"SELECT audit.enable('app.{name}', lookup_columns => %s)", [ODD if lookup else []])
    vals = ["O'Brien", "$1", "100%", 'say "hi"', "back\\slash", "'); DROP TABLE app.calls; --"]
    ph = ", ".join(["%s"] * len(ODD))
    s.app.execute(f"INSERT INTO app.{name} VALUES (1, {ph})", vals)
    s.app.execute(f"INSERT INTO app.{name} VALUES (2, {ph})", [v + "2" for v in vals])
    return vals


@pytest.mark.parametrize("lookup", [True, False], ids=["indexed", "unindexed"])
def test_filter_keys_and_values_with_quotes_dollars_percents_are_data(spied, lookup):
    s = spied
    vals = _odd_table(s, "odd", lookup)
    if lookup:
        assert s.pkg.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'audit'"
                             " AND indexname LIKE 'logs\\_lookup\\_%'").fetchone()[0] == len(ODD)
    for col, val in zip(ODD, vals):
        got = s.analyst.execute("SELECT record_id FROM audit.table_at('app.odd', now(), jsonb_build_object(%s::text, %s::text))",
                                [col, val]).fetchall()
        assert got == [("1",)], (col, val)
        got = s.analyst.execute("SELECT id FROM audit.rows_at(NULL::app.odd, now(), jsonb_build_object(%s::text, %s::text))",
                                [col, val + "2"]).fetchall()
        assert got == [(2,)], (col, val)
    both = dict(zip(ODD, vals))
    import json
    assert s.analyst.execute("SELECT record_id FROM audit.table_at('app.odd', now(), %s::jsonb)",
                             [json.dumps(both)]).fetchall() == [("1",)]
    assert s.owner.execute("SELECT to_regclass('app.calls') IS NOT NULL").fetchone()[0]


def _lookup_pair(s, typ, value, probe):
    """Two tables alike but for the lookup column; the same filter must find the same records."""
    out = []
    for name, lookup in (("li", "{c}"), ("lu", "{}")):
        s.owner.execute(f"CREATE TABLE app.{name} (id int PRIMARY KEY, c {typ}, v text)")
        s.grant(f"app.{name}")
        s.pkg.execute(f"SELECT audit.enable('app.{name}', lookup_columns => '{lookup}')")
        s.app.execute(f"INSERT INTO app.{name} VALUES (1, {value}, 'x')")
        out.append(s.analyst.execute(
            f"SELECT record_id FROM audit.table_at('app.{name}', now(), %s::jsonb)", [probe]).fetchall())
    return out


@pytest.mark.parametrize("typ,value,probe", [
    ("text[]", "'{a,b}'", '{"c": ["a"]}'),
    ("jsonb", """'{"x": 1, "y": 2}'""", '{"c": {"x": 1}}'),
    ("jsonb", """'[1, 2]'""", '{"c": [2]}'),
], ids=["array-subset", "object-subset", "jsonb-array-subset"])
def test_an_indexed_filter_contains_like_an_unindexed_one(spied, typ, value, probe):
    indexed, unindexed = _lookup_pair(spied, typ, value, probe)
    assert unindexed == [("1",)]
    assert indexed == unindexed, "a lookup column changes what the filter matches (= instead of @>)"


@pytest.mark.parametrize("typ,value,probe", [
    ("text", "NULL", '{"c": null}'),
    ("numeric", "1", '{"c": 1.0}'),
    ("jsonb", "'null'", '{"c": null}'),
], ids=["sql-null", "numeric-scale", "json-null"])
def test_an_indexed_filter_on_nulls_and_numbers_agrees_with_an_unindexed_one(spied, typ, value, probe):
    indexed, unindexed = _lookup_pair(spied, typ, value, probe)
    assert indexed == unindexed


def test_bad_filters_are_refused_cleanly(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{v}')")
    s.app.execute("INSERT INTO app.t VALUES (1, 'a')")
    for f in ('[1]', '"v"', 'null', '1'):
        with raises_sqlstate("22023", "filter", what=f):
            s.analyst.execute("SELECT * FROM audit.table_at('app.t', now(), %s::jsonb)", [f])
    for key in ("x" * 100_000, "v' OR true --", "v\" ", "$1", "%I", "V"):
        with raises_sqlstate("42703", "filter names column", what=key[:20]) as r:
            s.analyst.execute("SELECT * FROM audit.table_at('app.t', now(), jsonb_build_object(%s::text, 1))", [key])
        assert len(str(r.value)) < 2000
    assert s.analyst.execute("SELECT count(*) FROM audit.table_at('app.t', now(), '{}')").fetchone()[0] == 1
    assert s.analyst.execute("SELECT count(*) FROM audit.table_at('app.t', now(), NULL)").fetchone()[0] == 1
    assert s.analyst.execute("""SELECT count(*) FROM audit.table_at('app.t', now(), '{"v": {"$1": "a"}}')"""
                             ).fetchone()[0] == 0


def test_a_reader_without_select_on_the_log_cannot_read_through_filters(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{v}')")
    s.app.execute("INSERT INTO app.t VALUES (1, 'secret')")
    for conn in (s.app, s.owner):
        for q in ("""SELECT * FROM audit.table_at('app.t', now(), '{"v": "secret"}')""",
                  """SELECT * FROM audit.table_at('app.t', now(), '{"id": 1}')""",
                  """SELECT * FROM audit.rows_at(NULL::app.t, now(), '{"v": "secret"}')""",
                  "SELECT * FROM audit.table_at('app.t', now(), NULL)"):
            with raises_sqlstate("42501", what=q):
                conn.execute(q)
        # The public helpers give no way round it: they read the log as the caller.
        audit_q = conn.execute("SELECT audit._table_at_query(false)").fetchone()[0]
        cfg = s.pkg.execute("SELECT c::text FROM audit.config c").fetchone()[0]
        conn.execute(f"PREPARE p(text, text, timestamptz, audit.config) AS {audit_q}")
        with raises_sqlstate("42501", what="_table_at_query"):
            conn.execute("EXECUTE p('t', 'app', now(), '" + cfg.replace("'", "''") + "'::audit.config)")
        conn.execute("DEALLOCATE ALL")
        with raises_sqlstate("42501", what="_state_at"):
            conn.execute("SELECT audit._state_at(%s::text::audit.config, '1', now(), NULL)", [cfg])


def test_the_table_owner_cannot_drop_rename_or_recomment_a_lookup_index(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text, w text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{v}')")
    idx = s.pkg.execute("SELECT audit._lookup_index_name('app', 't', 'v')").fetchone()[0]
    assert s.pkg.execute("SELECT to_regclass(%s) IS NOT NULL", [f"audit.{idx}"]).fetchone()[0]
    stmts = [f"DROP INDEX audit.{idx}", f"ALTER INDEX audit.{idx} RENAME TO x",
             f"""COMMENT ON INDEX audit.{idx} IS '["app", "other", "v"]'""",
             f"ALTER INDEX audit.{idx} SET (fillfactor = 10)",
             "CREATE INDEX logs_lookup_zz ON audit.logs ((new_values -> 'w'))",
             f"REINDEX INDEX audit.{idx}"]
    for conn in (s.owner, s.app, s.analyst):
        for stmt in stmts:
            with raises_sqlstate("42501", what=stmt):
                conn.execute(stmt)


# ---------------------------------------------------------------------------------------------
# Session settings of the writer (variants not in test_attacks_session.py)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting", [
    "standard_conforming_strings = off", "transform_null_equals = on", "xmloption = document",
    "xmlbinary = hex", "lc_numeric = 'C.utf8'", "timezone_abbreviations = 'India'",
    "plpgsql.variable_conflict = use_column", "plpgsql.extra_errors = 'all'",
    "plpgsql.extra_warnings = 'all'", "enable_indexscan = off", "enable_seqscan = off",
    "work_mem = '64kB'", "default_transaction_isolation = 'serializable'",
], ids=lambda x: x.split(" =")[0])
def test_other_writer_settings_never_change_what_is_logged(spied, setting):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id text PRIMARY KEY, b bytea, x xml, v text, f float8, n numeric,"
                    " a text[], ts timestamptz, \"c\\d\" text DEFAULT E'q\\\\z')")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{v}')")
    stmts = [r"INSERT INTO app.t VALUES (E'k\\1', E'\\x00ff', XMLPARSE(CONTENT 'a<b/>'), E'back\\slash', 0.1, 1.50, '{NULL,x}',"
             " '2024-01-01 00:00+00'), ('k2', NULL, NULL, 'q', 1e300, 2, '{}', '2024-06-01 12:00+00')",
             "UPDATE app.t SET v = v || '!'", "UPDATE app.t SET n = n + 1 WHERE id = 'k2'",
             "UPDATE app.t SET x = NULL WHERE x IS NOT NULL", "DELETE FROM app.t WHERE id = 'k2'"]

    def run(conn):
        conn.execute("DELETE FROM app.t")
        start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
        for st in stmts:
            conn.execute(st)
        return log_rows(s.analyst, since=start)

    baseline = run(s.app)
    w = s.database.connect("app_writer")
    w.execute(f"SET {setting}")
    try:
        got = run(w)
    except psycopg.Error as e:  # a setting that only breaks the writer's own write: low, noted
        pytest.fail(f"write refused under {setting}: {e.sqlstate} {e}")
    assert got == baseline


# ---------------------------------------------------------------------------------------------
# Code of the table owner's, run as the package owner
# ---------------------------------------------------------------------------------------------

CASTS = """
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE app.pair AS (a int, b text);
CREATE TYPE app.fr AS RANGE (subtype = float8);
CREATE DOMAIN app.d AS text;
"""


def _cast_fns(s, typ, tag):
    for target in ("json", "jsonb", "text"):
        fn = f"app.c_{tag}_{target}"
        s.owner.execute(f"CREATE FUNCTION {fn}(x {typ}) RETURNS {target} LANGUAGE plpgsql AS $$"
                        f" BEGIN PERFORM app.spy('cast {typ} to {target}'); RETURN to_jsonb('forged'::text)::{target};"
                        f" END $$")
        try:
            s.owner.execute(f"CREATE CAST ({typ} AS {target}) WITH FUNCTION {fn}({typ})")
        except psycopg.Error:
            pass  # refused by PostgreSQL (e.g. an existing built-in cast)


def test_user_casts_of_enums_composites_ranges_and_their_arrays_never_run_as_package_owner(spied):
    s = spied
    s.owner.execute(CASTS)
    for typ, tag in (("app.mood", "m"), ("app.pair", "p"), ("app.fr", "r"), ("app.mood[]", "ma"),
                     ("app.pair[]", "pa"), ("app.fr[]", "ra"), ("app.d", "d")):
        _cast_fns(s, typ, tag)
    # Operators named like the built-in ones, on the owner's types, in the owner's schema.
    s.owner.execute("CREATE FUNCTION app.eq(a app.pair, b app.pair) RETURNS boolean LANGUAGE sql"
                    " AS $$ SELECT app.spy('pair =') $$")
    s.owner.execute("CREATE OPERATOR app.= (leftarg = app.pair, rightarg = app.pair, function = app.eq)")
    s.owner.execute("CREATE FUNCTION app.eqm(a app.mood, b app.mood) RETURNS boolean LANGUAGE sql"
                    " AS $$ SELECT app.spy('mood =') $$")
    s.owner.execute("CREATE OPERATOR app.= (leftarg = app.mood, rightarg = app.mood, function = app.eqm)")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, m app.mood, p app.pair, r app.fr, ma app.mood[],"
                    " pa app.pair[], ra app.fr[], d app.d, v text)")
    s.owner.execute("CREATE TABLE app.kp (k app.pair PRIMARY KEY, v text)")
    s.owner.execute("CREATE TABLE app.km (k app.mood, j app.pair, v text, PRIMARY KEY (k, j))")
    row = "'ok', '(1,x)', '[1,2)', '{ok,sad}', ARRAY['(1,x)']::app.pair[], ARRAY['[1,2)']::app.fr[], 'd'"
    for t in ("app.t", "app.kp", "app.km"):
        s.grant(t)
    s.owner.execute(f"INSERT INTO app.t VALUES (1, {row}, 'a'), (2, {row}, 'b')")
    s.owner.execute("INSERT INTO app.kp VALUES ('(1,x)', 'a'), ('(2,y)', 'b')")
    s.owner.execute("INSERT INTO app.km VALUES ('ok', '(1,x)', 'a'), ('sad', '(2,y)', 'b')")
    s.owner.execute("DELETE FROM app.calls")
    s.pkg.execute("SELECT audit.enable('app.t', lookup_columns => '{m,p}')")
    s.pkg.execute("SELECT audit.enable('app.kp')")
    s.pkg.execute("SELECT audit.enable('app.km')")
    for stmt in (f"INSERT INTO app.t VALUES (3, {row}, 'c')", "UPDATE app.t SET v = v || '!'",
                 "UPDATE app.t SET m = 'happy', p = '(2,y)' WHERE id = 1",
                 "UPDATE app.kp SET v = v || '!'", "UPDATE app.kp SET k = '(3,z)' WHERE v = 'a!'",
                 "UPDATE app.km SET v = v || '!'", "UPDATE app.km SET k = 'happy' WHERE v = 'a!'",
                 "DELETE FROM app.t WHERE id = 2", "DELETE FROM app.kp", "TRUNCATE app.km"):
        s.app.execute(stmt)
    s.pkg.execute("SELECT * FROM audit.table_at('app.t', now(), '{\"m\": \"happy\"}')").fetchall()
    s.pkg.execute("SELECT * FROM audit.rows_at(NULL::app.t, now())").fetchall()
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))
    assert s.analyst.execute("SELECT count(*) FROM audit.logs WHERE logs::text LIKE '%forged%'").fetchone()[0] == 0


def test_a_domain_check_inside_a_composite_never_runs_as_package_owner(spied):
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('domain in composite'))")
    s.owner.execute("CREATE TYPE app.wp AS (a app.watched, b text)")
    s.owner.execute("CREATE DOMAIN app.dp AS app.wp CHECK (app.spy('domain over composite'))")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, c app.wp, dc app.dp, cs app.wp[], v text)")
    s.owner.execute("INSERT INTO app.t VALUES (1, '(1,x)', '(1,x)', ARRAY['(1,x)']::app.wp[], 'a'),"
                    " (2, '(2,y)', '(2,y)', ARRAY['(2,y)']::app.wp[], 'b')")
    s.grant("app.t")
    s.owner.execute("DELETE FROM app.calls")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.app.execute("UPDATE app.t SET v = v || '!'")
    s.app.execute("UPDATE app.t SET v = v || '?' WHERE id = 1")
    s.app.execute("DELETE FROM app.t WHERE id = 2")
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_a_composite_key_with_a_domain_field_never_runs_its_check_as_package_owner(spied):
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('domain in composite key'))")
    s.owner.execute("CREATE TYPE app.wp AS (a app.watched, b text)")
    s.owner.execute("CREATE TABLE app.k (k app.wp PRIMARY KEY, v text)")
    s.owner.execute("INSERT INTO app.k VALUES ('(1,x)', 'a'), ('(2,y)', 'b')")
    s.grant("app.k")
    s.owner.execute("DELETE FROM app.calls")
    s.pkg.execute("SELECT audit.enable('app.k')")
    s.app.execute("UPDATE app.k SET v = v || '!'")
    s.app.execute("UPDATE app.k SET k = '(3,z)' WHERE v = 'a!'")
    s.app.execute("DELETE FROM app.k")
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_a_row_level_security_policy_never_runs_as_package_owner(spied):
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, v text)")
    s.owner.execute("INSERT INTO app.t VALUES (1, 'a'), (2, 'b')")
    s.owner.execute("ALTER TABLE app.t ENABLE ROW LEVEL SECURITY")
    s.owner.execute("ALTER TABLE app.t FORCE ROW LEVEL SECURITY")
    s.owner.execute("CREATE POLICY p ON app.t USING (app.spy('policy ' || id)) WITH CHECK (app.spy('check'))")
    s.grant("app.t")
    s.owner.execute("DELETE FROM app.calls")
    for opts in ("", ", snapshot => false"):
        try:
            s.pkg.execute(f"SELECT audit.enable('app.t'{opts})")
            break
        except psycopg.Error:
            continue
    s.app.execute("INSERT INTO app.t VALUES (3, 'c')")
    s.app.execute("UPDATE app.t SET v = v || '!'")
    s.app.execute("DELETE FROM app.t WHERE id = 1")
    try:
        s.app.execute("TRUNCATE app.t")
    except psycopg.Error:
        pass
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_a_domain_check_run_as_package_owner_cannot_be_used_to_rewrite_the_log(spied):
    """The end-to-end consequence of an owner's code running inside capture: the spy's backdoor."""
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('array-of-domain check'))")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, w app.watched[], v text)")
    s.owner.execute("INSERT INTO app.t VALUES (1, '{1}', 'a'), (2, '{2}', 'b')")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.app.execute("UPDATE app.t SET v = v || '!', w = '{3}'")
    before = s.analyst.execute("SELECT count(*) FROM audit.logs").fetchone()[0]
    assert before > 0
    try:
        s.owner.execute("SELECT audit.backdoor($q$ALTER TABLE audit.logs DISABLE TRIGGER USER;"
                        " UPDATE audit.logs SET new_values = '{\"id\": 1, \"v\": \"rewritten\"}';"
                        " DELETE FROM audit.logs WHERE action = 'UPDATE';"
                        " ALTER TABLE audit.logs ENABLE TRIGGER USER$q$)")
    except psycopg.Error as e:
        print("backdoor:", e)
    after = s.analyst.execute("SELECT count(*), count(*) FILTER (WHERE new_values->>'v' = 'rewritten')"
                              " FROM audit.logs").fetchone()
    assert after == (before, 0), f"log rewritten by the table owner: {before} rows -> {after}"


def test_a_domain_of_an_array_of_a_domain_and_a_range_of_a_domain_never_run_checks_as_package_owner(spied):
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('inner domain check'))")
    s.owner.execute("CREATE DOMAIN app.wa AS app.watched[] CHECK (app.spy('outer domain check'))")
    cols = "wa app.wa"
    try:
        s.owner.execute("CREATE TYPE app.wr AS RANGE (subtype = app.watched)")
        cols += ", wr app.wr"
        val = "'{1}', '[1,2)'"
    except psycopg.Error:
        val = "'{1}'"
    s.owner.execute(f"CREATE TABLE app.t (id int PRIMARY KEY, {cols}, v text)")
    s.owner.execute(f"INSERT INTO app.t VALUES (1, {val}, 'a'), (2, {val}, 'b')")
    s.grant("app.t")
    s.owner.execute("DELETE FROM app.calls")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.app.execute("UPDATE app.t SET v = v || '!', wa = '{5}'" + (", wr = '[3,4)'" if "wr" in cols else ""))
    s.app.execute("UPDATE app.t SET v = v || '?', wa = '{6}' WHERE id = 1")
    s.app.execute("DELETE FROM app.t WHERE id = 2")
    s.pkg.execute("SELECT * FROM audit.table_at('app.t', now())").fetchall()
    assert (ran_as(s, s.roles.owner), log_rights(s)) == ([], (False, False))


def test_an_indexed_filter_agrees_with_an_unindexed_one_through_history(spied):
    s = spied
    stamps = []
    for name, lookup in (("hi", "{org,role}"), ("hu", "{}")):
        s.owner.execute(f"CREATE TABLE app.{name} (usr int, org int, role text, PRIMARY KEY (usr, org))")
        s.grant(f"app.{name}")
        s.pkg.execute(f"SELECT audit.enable('app.{name}', lookup_columns => %s::text[])", [lookup])
    steps = ["INSERT INTO app.T VALUES (1, 10, 'a'), (2, 10, 'b'), (3, 20, 'a')",
             "UPDATE app.T SET role = 'b' WHERE usr = 1",
             "UPDATE app.T SET org = 20 WHERE usr = 2",
             "DELETE FROM app.T WHERE usr = 3",
             "INSERT INTO app.T VALUES (3, 20, 'a')",
             "UPDATE app.T SET usr = usr + 10, role = 'a'",
             "BEGIN; DELETE FROM app.T WHERE usr = 11; INSERT INTO app.T VALUES (11, 10, 'c'); COMMIT"]
    for st in steps:
        for name in ("hi", "hu"):
            s.app.execute(st.replace("app.T", f"app.{name}"))
        stamps.append(s.app.execute("SELECT clock_timestamp()").fetchone()[0])
    filters = ['{"org": 10}', '{"org": 20}', '{"role": "a"}', '{"role": "b", "org": 10}', '{"usr": 11}',
               '{"usr": 1}', '{"role": "c"}']
    for ts in stamps:
        for f in filters:
            got = [s.analyst.execute(f"SELECT record_id, state FROM audit.table_at('app.{n}', %s, %s::jsonb)"
                                     " ORDER BY 1", [ts, f]).fetchall() for n in ("hi", "hu")]
            assert got[0] == got[1], (ts, f)


def test_reading_rows_as_the_table_s_type_runs_no_domain_check_of_the_owner_s_as_the_reader(spied):
    # rows_at/row_at build values of the table owner's row type in the reader's session: a domain
    # check of theirs would run as whoever reads (the package owner, say, looking at a history).
    # The reads are refused, naming the column and the domain, and run nothing.
    s = spied
    s.owner.execute("CREATE DOMAIN app.watched AS int CHECK (app.spy('domain check on read'))")
    s.owner.execute("CREATE DOMAIN app.nested AS app.watched[]")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, w app.watched, n app.nested, v text)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("INSERT INTO app.t VALUES (1, 1, '{2}', 'a')")
    s.owner.execute("DELETE FROM app.calls")
    for reader in (s.pkg, s.analyst):
        for read in ("SELECT * FROM audit.rows_at(NULL::app.t, now())",
                     "SELECT * FROM audit.row_at(NULL::app.t, 1, now())",
                     """SELECT * FROM audit.rows_at(NULL::app.t, now(), '{"v": "a"}')"""):
            with raises_sqlstate("42501", r"column n of app\.t has domain app\.watched", what=read):
                reader.execute(read).fetchall()
    assert ran_as(s, s.roles.owner) == [] and ran_as(s, s.roles.reader) == []
    assert log_rights(s) == (False, False)
    # The same state comes back as jsonb, and the domain's owner may read it as the row type.
    assert s.analyst.execute("SELECT state ->> 'w' FROM audit.state_at('app.t', 1, now())").fetchone() == ("1",)
    s.admin.execute(f"GRANT SELECT ON audit.logs TO {s.roles.table_owner}")
    assert s.owner.execute("SELECT w, v FROM audit.row_at(NULL::app.t, 1, now())").fetchone() == (1, "a")


def test_a_typed_read_runs_a_domain_check_made_only_of_postgresql_s_own_immutable_code(spied):
    # CHECK (VALUE > 0) or a regular expression runs nothing of the owner's: any reader may use it.
    s = spied
    s.owner.execute("CREATE DOMAIN app.positive AS int CHECK (VALUE > 0)")
    s.owner.execute("CREATE DOMAIN app.email AS text CHECK (VALUE ~ '^[^@]+@[^@]+$' AND length(VALUE) < 255)")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, p app.positive, e app.email)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.app.execute("INSERT INTO app.t VALUES (1, 5, 'a@example.com')")
    for reader in (s.pkg, s.analyst):
        assert reader.execute("SELECT p, e FROM audit.rows_at(NULL::app.t, now())").fetchall() == [
            (5, "a@example.com")]
        assert reader.execute("SELECT p FROM audit.row_at(NULL::app.t, 1, now())").fetchone() == (5,)
    # A volatile built-in function in a check can do more than compute (send a notification): refused.
    s.owner.execute("CREATE DOMAIN app.noisy AS int CHECK (pg_notify('x', VALUE::text) IS NULL)")
    s.owner.execute("CREATE TABLE app.u (id int PRIMARY KEY, z app.noisy)")
    s.grant("app.u")
    s.pkg.execute("SELECT audit.enable('app.u')")
    with raises_sqlstate("42501", r"column z of app\.u has domain app\.noisy"):
        s.analyst.execute("SELECT * FROM audit.rows_at(NULL::app.u, now())").fetchall()


def test_a_typed_read_sees_the_types_a_check_converts_to_through_json_query(spied):
    # pg_depend does not record the RETURNING type of JSON_QUERY/JSON_VALUE (PostgreSQL 17): a
    # check that converts into a composite of the owner's spy domain must still be found.
    s = spied
    if int(s.admin.execute("SHOW server_version_num").fetchone()[0]) < 170000:
        pytest.skip("JSON_QUERY is new in PostgreSQL 17")
    s.owner.execute("CREATE DOMAIN app.watched AS text CHECK (app.spy('json_query returning'))")
    s.owner.execute("CREATE TYPE app.wrap AS (a app.watched)")
    s.owner.execute("CREATE DOMAIN app.doc AS text CHECK (json_query(VALUE::jsonb, '$' RETURNING app.wrap) IS NOT NULL)")
    s.owner.execute("CREATE DOMAIN app.val AS text CHECK (json_value(VALUE::jsonb, '$.a' RETURNING app.watched) IS NOT NULL)")
    s.owner.execute("CREATE TABLE app.j (id int PRIMARY KEY, d app.doc, e app.val)")
    s.grant("app.j")
    s.pkg.execute("SELECT audit.enable('app.j')")
    s.owner.execute("""INSERT INTO app.j VALUES (1, '{"a": "q"}', '{"a": "q"}')""")
    s.owner.execute("DELETE FROM app.calls")
    for reader in (s.pkg, s.analyst):
        with raises_sqlstate("42501", r"column d of app\.j has domain app\.watched"):
            reader.execute("SELECT * FROM audit.row_at(NULL::app.j, 1, now())").fetchall()
    assert ran_as(s, s.roles.owner) == [] and ran_as(s, s.roles.reader) == []


def test_audit_disable_on_a_leftover_leaves_another_table_s_partition_guard_alone(spied):
    # The table owner gives a detached partition a trigger named like ours that runs the audited
    # table's guard (PUBLIC may execute guards); the package owner then runs audit.disable on it,
    # as the 55000 hint says. The audited table's guard must go on refusing new partitions.
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.pa PARTITION OF app.t FOR VALUES IN ('a')")
    s.owner.execute("CREATE TABLE app.pb PARTITION OF app.t FOR VALUES IN ('b')")
    for t in ("app.t", "app.pa", "app.pb"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.t')")
    guard = s.pkg.execute("SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                          " WHERE t.tgrelid = 'app.t'::regclass AND t.tgname = 'audit_trail_partition_guard'"
                          ).fetchone()[0]
    s.owner.execute("ALTER TABLE app.t DETACH PARTITION app.pb")
    s.owner.execute(f"CREATE TRIGGER audit_trail_partition_guard BEFORE INSERT ON app.pb"
                    f" FOR EACH ROW EXECUTE FUNCTION audit.{guard}()")
    s.pkg.execute("SELECT audit.disable('app.pb')")
    s.owner.execute("CREATE TABLE app.pc PARTITION OF app.t FOR VALUES IN ('c')")
    s.grant("app.pc")
    with raises_sqlstate("55000", r"partition app\.pc of audited table app\.t is not covered"):
        s.app.execute("INSERT INTO app.pc VALUES (1, 'c', 'x')")


def test_a_trigger_named_like_the_guard_on_another_table_does_not_stand_in_for_it(spied):
    # audit._relation_of finds a guard's table by the trigger's name: a same-named trigger on a
    # table of the owner's must not be taken for the audited table's.
    s = spied
    s.owner.execute("CREATE TABLE app.t (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.ta PARTITION OF app.t FOR VALUES IN ('a')")
    for t in ("app.t", "app.ta"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.t')")
    guard = s.pkg.execute("SELECT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
                          " WHERE t.tgrelid = 'app.t'::regclass AND t.tgname = 'audit_trail_partition_guard'"
                          ).fetchone()[0]
    s.owner.execute("CREATE TABLE app.a_decoy (id int)")
    s.owner.execute(f"CREATE TRIGGER audit_trail_partition_guard BEFORE INSERT ON app.a_decoy"
                    f" FOR EACH ROW EXECUTE FUNCTION audit.{guard}()")
    assert s.pkg.execute("SELECT audit._relation_of(%s)::regclass::text", [guard]).fetchone() == ("app.t",)


def test_a_child_moved_one_level_down_and_then_cut_loose_does_not_log_as_the_audited_table(spied):
    # app.c is a child of app.t at audit.enable; it is moved under app.m (a new child of app.t),
    # then app.m leaves app.t: the last step does not touch app.c, whose session cached its plans.
    s = spied
    for t in ("app.t", "app.c", "app.m"):
        s.owner.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
    s.owner.execute("ALTER TABLE app.c INHERIT app.t")
    for t in ("app.t", "app.c", "app.m"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("ALTER TABLE app.m INHERIT app.t")
    s.owner.execute("ALTER TABLE app.c NO INHERIT app.t")
    s.owner.execute("ALTER TABLE app.c INHERIT app.m")
    for i in range(1, 4):
        s.app.execute(f"INSERT INTO app.c VALUES ({i}, 'x')")
    s.owner.execute("ALTER TABLE app.m NO INHERIT app.t")
    start = s.analyst.execute("SELECT coalesce(max(id), 0) FROM audit.logs").fetchone()[0]
    with raises_sqlstate("55000", r"app\.c has capture triggers but is not part of an audited table"):
        s.app.execute("INSERT INTO app.c VALUES (9, 'forged')")
    assert s.analyst.execute("SELECT count(*) FROM audit.logs WHERE id > %s", [start]).fetchone() == (0,)


def test_a_typed_read_refusal_names_the_untrusted_function_of_a_trusted_domain(spied):
    # The domain is the reader's own, but its check calls the table owner's function: the message
    # names that function and its role, not the domain's (trusted) owner.
    s = spied
    s.pkg.execute("CREATE DOMAIN audit.test_checked AS int CHECK (app.spy('called by a trusted domain'))")
    s.owner.execute("CREATE TABLE app.t (id int PRIMARY KEY, w audit.test_checked)")
    s.grant("app.t")
    s.pkg.execute("SELECT audit.enable('app.t')")
    s.owner.execute("INSERT INTO app.t VALUES (1, 1)")
    s.owner.execute("DELETE FROM app.calls")
    with raises_sqlstate("42501", r"whose check calls app\.spy\(text\), a function that is not immutable of role "
                         r"app_table_owner and would run with the rights of audit_owner") as e:
        s.pkg.execute("SELECT * FROM audit.rows_at(NULL::app.t, now())").fetchall()
    assert "Superusers and the package's owner are refused too" in e.value.diag.message_hint
    assert ran_as(s, s.roles.owner) == []


def test_audit_disable_on_a_detached_sub_partitioned_table_removes_the_capture_of_its_partitions(separated):
    s = separated
    s.owner.execute("CREATE TABLE app.p (id int, r text, v text, PRIMARY KEY (id, r)) PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.pb PARTITION OF app.p FOR VALUES IN ('b1', 'b2') PARTITION BY LIST (r)")
    s.owner.execute("CREATE TABLE app.pb1 PARTITION OF app.pb FOR VALUES IN ('b1')")
    s.owner.execute("CREATE TABLE app.pb2 PARTITION OF app.pb FOR VALUES IN ('b2')")
    for t in ("app.p", "app.pb", "app.pb1", "app.pb2"):
        s.grant(t)
    s.pkg.execute("SELECT audit.enable('app.p')")
    s.owner.execute("ALTER TABLE app.p DETACH PARTITION app.pb")
    with raises_sqlstate("55000", r"has capture triggers but is not part of an audited table"):
        s.app.execute("INSERT INTO app.pb1 VALUES (1, 'b1', 'x')")
    if not s.admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
        pytest.skip("needs a superuser to drop the table owner's triggers")
    notices = []
    s.admin.add_notice_handler(lambda d: notices.append(d.message_primary))
    s.admin.execute("SELECT audit.disable('app.pb')")  # as a superuser, who may drop the triggers
    assert notices == []
    left = s.admin.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'audit_trail_%'"
                           " AND tgrelid IN ('app.pb'::regclass, 'app.pb1'::regclass, 'app.pb2'::regclass)"
                           " AND tgparentid = 0").fetchone()[0]
    assert left == 0
    s.app.execute("INSERT INTO app.pb1 VALUES (1, 'b1', 'x')")
    s.app.execute("INSERT INTO app.pb2 VALUES (2, 'b2', 'y')")
