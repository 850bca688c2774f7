"""An application tells who acts and why (actor, migration, free context); the log records it."""

import re

import pytest

from helpers import log_rows, raises_sqlstate

CONTEXT_FIELDS = ("actor_email", "actor_type", "actor_id", "migration_name", "context")


@pytest.fixture
def posts(db):
    db.execute("CREATE TABLE posts (id int PRIMARY KEY, title text)")
    db.execute("SELECT audit.enable('posts')")
    return "posts"


@pytest.fixture
def tx(connect):
    conn = connect(autocommit=False)
    yield conn
    conn.rollback()


def ctx(actor_email=None, actor_type=None, actor_id=None, migration_name=None, context=None):
    return {"actor_email": actor_email, "actor_type": actor_type, "actor_id": actor_id,
            "migration_name": migration_name, "context": context}


def write_in_tx(tx, *setup, params=None):
    for stmt in setup:
        tx.execute(stmt, params)
    tx.execute("INSERT INTO posts VALUES (1, 'hello')")
    tx.commit()
    return log_rows(tx, fields=CONTEXT_FIELDS)


# --- helpers set_actor / set_migration ------------------------------------------------------

def test_set_actor_with_email_only(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_actor('ann@x.io')") == [ctx("ann@x.io", "user")]


def test_set_actor_with_type_and_id(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_actor('mod@x.io', 'moderator', '42')") == [
        ctx("mod@x.io", "moderator", "42")]


def test_set_actor_named_arguments(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_actor(email => NULL, type => 'system', id => 'cron-7')") == [
        ctx(None, "system", "cron-7")]


def test_set_migration_sets_the_migration_and_its_type(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_migration('20240101_add_posts')") == [
        ctx(migration_name="20240101_add_posts", actor_type="migration")]


def test_set_migration_with_an_explicit_actor_type(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_migration('m2')", "SET LOCAL app.actor_type = 'system'") == [
        ctx(migration_name="m2", actor_type="system")]


def test_set_actor_with_an_unknown_type_fails(tx, posts):
    with raises_sqlstate("22023", "hacker"):
        tx.execute("SELECT audit.set_actor('x@x.io', 'hacker')")


def test_helpers_last_for_the_current_transaction_only(connect, db, posts):
    conn = connect(autocommit=False)
    conn.execute("SELECT audit.set_actor('ann@x.io', 'moderator', '7')")
    conn.execute("SELECT audit.set_migration('m1')")
    conn.execute("INSERT INTO posts VALUES (1, 'a')")
    conn.commit()
    # The settings now read '' in this session, which counts as unset.
    assert conn.execute("SELECT current_setting('app.actor_email', true)").fetchone()[0] in ("", None)
    conn.execute("INSERT INTO posts VALUES (2, 'b')")
    conn.commit()
    assert log_rows(db, fields=CONTEXT_FIELDS) == [
        ctx("ann@x.io", "moderator", "7", "m1"), ctx()]


def test_helpers_do_not_survive_a_rollback(connect, db, posts):
    conn = connect(autocommit=False)
    conn.execute("SELECT audit.set_actor('ann@x.io')")
    conn.rollback()
    conn.execute("INSERT INTO posts VALUES (1, 'a')")
    conn.commit()
    assert log_rows(db, fields=CONTEXT_FIELDS) == [ctx()]


# --- plain settings -------------------------------------------------------------------------

def test_set_local_email(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.actor_email = 'bob@x.io'") == [ctx("bob@x.io", "user")]


def test_set_local_quoted_name(tx, posts):
    assert write_in_tx(tx, "SET LOCAL \"app.actor_email\" = 'bob@x.io'", "SET LOCAL app.actor_type = 'system'") == [
        ctx("bob@x.io", "system")]


def test_set_config_local(tx, posts):
    assert write_in_tx(tx, "SELECT set_config('app.actor_id', 'u-9', true)") == [ctx(actor_id="u-9", actor_type="user")]


def test_only_an_actor_id_gives_type_user(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.actor_id = '55'") == [ctx(actor_id="55", actor_type="user")]


def test_only_a_migration_gives_type_migration(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.current_migration = 'm9'") == [
        ctx(migration_name="m9", actor_type="migration")]


def test_migration_and_email_without_type_give_type_migration(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.current_migration = 'm9'", "SET LOCAL app.actor_email = 'dev@x.io'") == [
        ctx("dev@x.io", "migration", migration_name="m9")]


def test_nothing_set_gives_null_context(tx, posts):
    assert write_in_tx(tx) == [ctx()]


def test_empty_settings_count_as_unset(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.actor_email = ''", "SET LOCAL app.actor_type = ''",
                       "SET LOCAL app.actor_id = ''", "SET LOCAL app.current_migration = ''",
                       "SET LOCAL app.audit_context = ''") == [ctx()]


def test_actor_type_alone(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.actor_type = 'system'") == [ctx(actor_type="system")]


def test_a_site_defined_actor_type(db, tx, posts):
    db.execute("INSERT INTO audit.actor_types (name, description) VALUES ('robot', 'our crawler')")
    assert write_in_tx(tx, "SELECT audit.set_actor('bot@x.io', 'robot')") == [ctx("bot@x.io", "robot")]
    tx.execute("SET LOCAL app.actor_type = 'robot'")
    tx.execute("UPDATE posts SET title = 'again'")
    tx.commit()
    assert log_rows(db, fields=CONTEXT_FIELDS)[-1] == ctx(actor_type="robot")


def test_installed_actor_types(db):
    assert [r[0] for r in db.execute("SELECT name FROM audit.actor_types ORDER BY name").fetchall()] == [
        "migration", "moderator", "system", "user"]


def test_unknown_actor_type_makes_the_write_fail(connect, db, posts):
    db.execute("INSERT INTO posts VALUES (1, 'keep')")
    before = log_rows(db)
    conn = connect(autocommit=False)
    for stmt in ("INSERT INTO posts VALUES (2, 'x')", "UPDATE posts SET title = 'x'", "DELETE FROM posts",
                 "TRUNCATE posts"):
        conn.execute("SET LOCAL app.actor_type = 'pirate'")
        with raises_sqlstate("22023", r"app\.actor_type", "pirate", what=stmt):
            conn.execute(stmt)
        conn.rollback()
        assert db.execute("SELECT id, title FROM posts").fetchall() == [(1, "keep")], stmt
        assert log_rows(db) == before, stmt


def test_unknown_actor_type_makes_enable_fail(connect, db):
    # enable writes SNAPSHOT rows in the caller's context: an unknown type fails as in capture.
    db.execute("CREATE TABLE drafts (id int PRIMARY KEY, title text)")
    db.execute("INSERT INTO drafts VALUES (1, 'keep')")
    conn = connect(autocommit=False)
    conn.execute("SET LOCAL app.actor_type = 'pirate'")
    with raises_sqlstate("22023", r"app\.actor_type", "pirate"):
        conn.execute("SELECT audit.enable('drafts')")
    conn.rollback()
    assert db.execute("SELECT count(*) FROM audit.tables WHERE table_name = 'drafts'::regclass").fetchone()[0] == 0
    assert log_rows(db, "drafts") == []
    conn.execute("SET LOCAL app.actor_type = 'system'")
    conn.execute("SELECT audit.enable('drafts')")
    conn.commit()
    assert log_rows(db, "drafts", fields=CONTEXT_FIELDS) == [ctx(actor_type="system")]


def test_context_json_object_is_stored(tx, posts):
    assert write_in_tx(tx, "SET LOCAL app.audit_context = '{\"request_id\": \"r-1\", \"ip\": [1, 2]}'") == [
        ctx(context={"request_id": "r-1", "ip": [1, 2]})]


def test_context_with_actor(tx, posts):
    assert write_in_tx(tx, "SELECT audit.set_actor('ann@x.io')",
                       "SELECT set_config('app.audit_context', %(c)s, true)",
                       params={"c": '{"reason": "GDPR request #7"}'}) == [
        ctx("ann@x.io", "user", context={"reason": "GDPR request #7"})]


def test_context_that_is_not_a_json_object_makes_the_write_fail(connect, db, posts):
    conn = connect(autocommit=False)
    for bad in ["[1, 2]", "\"just a string\"", "42", "null", "{not json", "true"]:
        conn.execute("SELECT set_config('app.audit_context', %s, true)", [bad])
        with raises_sqlstate("22023", r"app\.audit_context", re.escape(bad), what=bad):
            conn.execute("INSERT INTO posts VALUES (1, 'x')")
        conn.rollback()
        assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == 0, bad
        assert log_rows(db) == [], bad


# --- what the database saw ------------------------------------------------------------------

def test_db_user_application_name_and_client_addr(connect, db, posts):
    conn = connect(application_name="billing-worker")
    conn.execute("INSERT INTO posts VALUES (1, 'x')")
    addr = conn.execute("SELECT inet_client_addr()").fetchone()[0]
    got = log_rows(db, fields=("db_user", "application_name", "client_addr"))
    assert got == [{"db_user": "audit_owner", "application_name": "billing-worker", "client_addr": addr}]


def test_db_user_is_the_session_user_not_the_current_role(admin, db, roles, posts):
    db.execute("GRANT INSERT ON posts TO app_writer")
    admin.execute("SET ROLE app_writer")
    admin.execute("INSERT INTO posts VALUES (1, 'x')")
    assert log_rows(db, fields=("db_user",)) == [{"db_user": roles.admin}]


def test_client_addr_is_null_over_a_unix_socket(pg, connect, db, posts):
    if getattr(pg, "run_dir", None) is None:
        pytest.skip("the server's socket directory is known only for the harness's own server")
    conn = connect(host=str(pg.run_dir / "sock"))
    assert conn.execute("SELECT inet_client_addr()").fetchone()[0] is None
    conn.execute("INSERT INTO posts VALUES (1, 'x')")
    assert log_rows(db, fields=("db_user", "client_addr")) == [{"db_user": "audit_owner", "client_addr": None}]


# --- transactions ---------------------------------------------------------------------------

def test_transaction_id_groups_one_transaction(connect, db, posts):
    conn = connect(autocommit=False)
    conn.execute("INSERT INTO posts VALUES (1, 'a')")
    conn.execute("UPDATE posts SET title = 'b'")
    xid = conn.execute("SELECT pg_current_xact_id()").fetchone()[0]
    conn.commit()
    conn.execute("INSERT INTO posts VALUES (2, 'c')")
    xid2 = conn.execute("SELECT pg_current_xact_id()").fetchone()[0]
    conn.commit()
    db.execute("DELETE FROM posts")
    ids = [r[0] for r in db.execute("SELECT transaction_id FROM audit.logs ORDER BY id").fetchall()]
    assert ids[:3] == [xid, xid, xid2]
    assert ids[3] == ids[4] and ids[3] not in (xid, xid2)
    assert xid != xid2


def test_transaction_id_is_xid8(db, posts):
    db.execute("INSERT INTO posts VALUES (1, 'a')")
    assert db.execute("SELECT pg_typeof(transaction_id)::text FROM audit.logs").fetchone()[0] == "xid8"


SETTINGS = [
    {},
    {"app.actor_email": "mod@x.io", "app.actor_type": "moderator", "app.actor_id": "7",
     "app.audit_context": '{"ticket": 12}'},
    {"app.actor_id": "7"},
    {"app.current_migration": "0042_users", "app.actor_email": "dev@x.io"},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=["none", "everything", "id_only", "migration"])
def test_snapshot_rows_carry_the_context_capture_gives(tx, settings):
    # audit.enable writes its SNAPSHOT rows outside a trigger (audit._current_context); capture
    # computes the same context inline. One transaction, the same settings: the same context.
    tx.execute("CREATE TABLE notes (id int PRIMARY KEY)")
    tx.execute("INSERT INTO notes VALUES (1)")
    for name, value in settings.items():
        tx.execute("SELECT set_config(%s, %s, true)", [name, value])
    tx.execute("SELECT audit.enable('notes')")
    tx.execute("INSERT INTO notes VALUES (2)")
    fields = CONTEXT_FIELDS + ("transaction_id", "db_user", "application_name", "client_addr")
    rows = log_rows(tx, "notes", fields=("action",) + fields)
    assert [r["action"] for r in rows] == ["SNAPSHOT", "INSERT"]
    snapshot, insert = ({k: r[k] for k in fields} for r in rows)
    assert snapshot == insert
    if settings:
        assert snapshot["actor_type"] is not None
