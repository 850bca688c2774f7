"""Every cookbook example runs, as written in the docs, against the story of the demo.

The examples are read from the fenced blocks of ``COOKBOOK`` whose first line is a marker comment
(``-- cookbook: NAME`` in ```sql, ``# cookbook: NAME`` in ```python, ``// cookbook: NAME`` in
```js), or that follow a line ``<!-- cookbook: NAME -->``. SQL blocks go to psql unchanged (psql
fills in ``:'ts'``), the Python block is exec'd, and the JavaScript block runs under node with a
recording stand-in for the node-postgres client whose queries are then sent as recorded. A block
that the docs lose, or a new block without a test here, fails ``test_every_cookbook_block_is_tested``.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from psycopg import pq

import story as st

REPO = Path(__file__).resolve().parent.parent
# The file the examples are read from. None: README.md if it has cookbook markers, else docs/cookbook.md.
COOKBOOK: Path | None = None

MARKER = re.compile(r"^\s*(?:--|#|//)\s*cookbook:\s*([A-Za-z0-9_-]+)\s*$")
HTML_MARKER = re.compile(r"^\s*<!--\s*cookbook:\s*([A-Za-z0-9_-]+)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^```\s*([A-Za-z0-9_+-]*)\s*$")

TESTED = {
    "record-entries", "record-entries-composite", "actor-recent", "migration-changes", "request-changes",
    "field-changes", "counts", "busy-actors", "state-at", "row-at", "state-at-composite", "rows-at",
    "history", "history-diff", "moderation-context", "members-at", "organizations-at-moderations", "context-psql", "context-migration",
    "context-psycopg", "context-node",
}


# --------------------------------------------------------------------------
# Reading the blocks out of the docs
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    name: str
    lang: str
    text: str  # the block's content, byte for byte, ending with a newline
    line: int  # line of the opening fence


def cookbook_path() -> Path:
    if COOKBOOK is not None:
        return COOKBOOK
    readme = REPO / "README.md"
    if readme.is_file() and parse_blocks(readme.read_text(encoding="utf-8")):
        return readme
    return REPO / "docs" / "cookbook.md"


def parse_blocks(markdown: str) -> dict[str, Block]:
    """The marked fenced blocks of ``markdown`` by name; a name used twice is an error."""
    blocks: dict[str, Block] = {}
    lines = markdown.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i].rstrip("\n"))
        if not opening:
            i += 1
            continue
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"line {start + 1}: fenced block never closed")
        i += 1
        names = []
        if body and (m := MARKER.match(body[0].rstrip("\n"))):
            names.append(m.group(1))
        prev = start - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        if prev >= 0 and (m := HTML_MARKER.match(lines[prev])):
            names.append(m.group(1))
        if not names:
            continue
        if len(set(names)) != 1:
            raise ValueError(f"line {start + 1}: block has two different cookbook markers {names}")
        name = names[0]
        if name in blocks:
            raise ValueError(f"line {start + 1}: cookbook block {name!r} already at line {blocks[name].line}")
        blocks[name] = Block(name, opening.group(1).lower(), "".join(body), start + 1)
    return blocks


@functools.cache
def cookbook() -> dict[str, Block]:
    path = cookbook_path()
    return parse_blocks(path.read_text(encoding="utf-8"))


def block(name: str, lang: str = "sql") -> Block:
    found = cookbook().get(name)
    assert found is not None, f"{cookbook_path()} has no block marked 'cookbook: {name}'"
    assert found.lang == lang, f"cookbook block {name} is ```{found.lang}, expected ```{lang}"
    return found


# --------------------------------------------------------------------------
# Running them
# --------------------------------------------------------------------------

@pytest.fixture
def story_db(fresh_db, db):
    """A fresh database with the demo's schema and story played."""
    st.create_schema(db)
    story = st.play_story(db)
    assert (story.user_id, story.organization_id, story.moderation_id) == (1, 1, 1)
    return SimpleNamespace(database=fresh_db, conn=db, story=story)


def run_sql(database, name: str, **variables) -> list[dict[str, str]]:
    """Run the cookbook block ``name`` with psql as the owner; rows of its (last) result as dicts of text.

    NULL comes back as ''. psql sets the variables (``-v ts=...``); the block is sent as it is.
    """
    args = ["--csv", "-q"]
    for key, value in variables.items():
        args += ["-v", f"{key}={value}"]
    out = database.psql(args, input=block(name).text).stdout
    return list(csv.DictReader(io.StringIO(out)))


def pg_array(text: str) -> list[str]:
    """A one-dimensional text[] of simple words, as psql prints it: {a,b} -> ['a', 'b']."""
    assert text.startswith("{") and text.endswith("}"), text
    return [x for x in text[1:-1].split(",") if x]


def jsonb(text: str):
    return None if text == "" else json.loads(text)


def log_tail(conn, since: int) -> list[dict]:
    cur = conn.execute("select table_name, record_id, action, changed_fields, old_values, new_values,"
                       " actor_email, actor_type, actor_id, migration_name, context"
                       " from audit.logs where id > %s order by id", (since,))
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def last_id(conn) -> int:
    return conn.execute("select coalesce(max(id), 0) from audit.logs").fetchone()[0]


USER_AT_SIGNUP = {"id": 1, "email": st.USER_EMAIL, "name": st.SIGNUP_NAME, "encrypted_password": "[redacted]",
                  "status": "active", "sign_in_count": 0, "last_sign_in_at": None, "updated_at": None}
MEMBERSHIP = {"user_id": 1, "organization_id": 1, "role": "member"}
ORG_BEFORE = {"id": 1, "name": st.ORG_NAME, "slug": st.ORG_SLUG}
ORG_AFTER = {"id": 1, "name": st.NEW_ORG_NAME, "slug": st.NEW_ORG_SLUG}


def without_times(state: dict) -> dict:
    return {k: v for k, v in state.items() if k not in ("last_sign_in_at", "updated_at")}


# --------------------------------------------------------------------------
# The docs and the tests agree
# --------------------------------------------------------------------------

def test_every_cookbook_block_is_tested():
    found = set(cookbook())
    assert found - TESTED == set(), f"blocks in {cookbook_path()} without a test here"
    assert TESTED - found == set(), f"blocks tested here but missing from {cookbook_path()}"


def test_parser_reads_both_marker_forms_byte_for_byte():
    text = ("intro\n\n```sql\n-- cookbook: a\nselect 1;\n```\n\n<!-- cookbook: b -->\n\n"
            "```python\nx = 1\n```\n\n```sql\nselect 'unmarked';\n```\n")
    blocks = parse_blocks(text)
    assert blocks == {"a": Block("a", "sql", "-- cookbook: a\nselect 1;\n", 3),
                      "b": Block("b", "python", "x = 1\n", 10)}
    with pytest.raises(ValueError, match="already"):
        parse_blocks("```sql\n-- cookbook: a\n```\n```sql\n-- cookbook: a\n```\n")


# --------------------------------------------------------------------------
# Reading the log
# --------------------------------------------------------------------------

def test_record_entries(story_db):
    rows = run_sql(story_db.database, "record-entries")
    assert [(r["action"], pg_array(r["changed_fields"]), r["actor_email"], r["actor_type"]) for r in rows] == [
        ("INSERT", ["email", "encrypted_password", "id", "name", "sign_in_count", "status"], st.USER_EMAIL, "user"),
        ("UPDATE", ["name", "updated_at"], st.MODERATOR, "moderator"),
        ("UPDATE", ["email", "encrypted_password", "updated_at"], st.USER_EMAIL, "user"),
    ]
    ids = [int(r["id"]) for r in rows]
    assert ids == sorted(ids)
    insert, rename, credentials = rows
    assert jsonb(insert["old_values"]) is None
    assert jsonb(insert["new_values"]) == USER_AT_SIGNUP
    # UPDATE: old_values holds only the changed columns; the password is never stored.
    assert set(jsonb(rename["old_values"])) == {"name", "updated_at"}
    assert jsonb(rename["old_values"])["name"] == st.SIGNUP_NAME
    old = jsonb(credentials["old_values"])
    assert (set(old), old["email"], old["encrypted_password"]) == (
        {"email", "encrypted_password", "updated_at"}, st.USER_EMAIL, "[redacted]")
    new = jsonb(credentials["new_values"])
    assert without_times(new) == {**without_times(USER_AT_SIGNUP), "name": st.EDITED_NAME, "email": st.NEW_EMAIL,
                                  "sign_in_count": 1}


def test_record_entries_composite(story_db):
    rows = run_sql(story_db.database, "record-entries-composite")
    assert [(r["action"], pg_array(r["changed_fields"]), jsonb(r["new_values"]), r["actor_email"])
            for r in rows] == [("INSERT", ["organization_id", "role", "user_id"], MEMBERSHIP, st.USER_EMAIL)]


def test_actor_recent(story_db):
    rows = run_sql(story_db.database, "actor-recent")
    assert [(r["table_name"], r["record_id"], r["action"], pg_array(r["changed_fields"]), jsonb(r["context"]))
            for r in rows] == [("users", "1", "UPDATE", ["name", "updated_at"], {"request_id": st.REQUEST_ID})]


def test_actor_recent_is_newest_first(story_db):
    with story_db.conn.transaction():
        story_db.conn.execute("select audit.set_actor(%s, 'moderator')", (st.MODERATOR,))
        story_db.conn.execute("update users set status = 'suspended' where id = 1")
    rows = run_sql(story_db.database, "actor-recent")
    assert [(r["action"], pg_array(r["changed_fields"])) for r in rows] == [
        ("UPDATE", ["status"]), ("UPDATE", ["name", "updated_at"])]


def test_migration_changes(story_db):
    rows = run_sql(story_db.database, "migration-changes")
    assert [(r["table_name"], r["record_id"], r["action"], jsonb(r["old_values"]), jsonb(r["new_values"]))
            for r in rows] == [
        ("organizations", "1", "UPDATE", {"name": st.ORG_NAME, "slug": st.ORG_SLUG}, ORG_AFTER)]


def test_request_changes(story_db):
    rows = run_sql(story_db.database, "request-changes")
    assert [(r["table_name"], r["record_id"], r["action"], pg_array(r["changed_fields"]), r["actor_email"])
            for r in rows] == [("users", "1", "UPDATE", ["name", "updated_at"], st.MODERATOR)]


def test_field_changes_gives_every_email_change_old_and_new(story_db):
    rows = run_sql(story_db.database, "field-changes")
    assert [(r["record_id"], r["old_email"], r["new_email"], r["actor_email"], r["actor_type"]) for r in rows] == [
        ("1", st.USER_EMAIL, st.NEW_EMAIL, st.USER_EMAIL, "user")]


def test_counts(story_db):
    rows = run_sql(story_db.database, "counts")
    assert [(r["table_name"], r["action"], int(r["entries"])) for r in rows] == [
        ("organizations", "SNAPSHOT", 1),
        ("organizations", "UPDATE", 1),
        ("users", "INSERT", 1),
        ("users", "UPDATE", 2),
        ("users_organizations", "INSERT", 1),
    ]


def test_busy_actors(story_db):
    rows = run_sql(story_db.database, "busy-actors")
    # Ada: sign-up (user and membership) and the credentials change; the moderator made one change.
    assert [(r["actor_email"], r["actor_type"], int(r["changes"])) for r in rows] == [(st.USER_EMAIL, "user", 3)]


# --------------------------------------------------------------------------
# Time travel
# --------------------------------------------------------------------------

def test_state_at_before_and_after_the_email_change(story_db):
    moments = story_db.story.moments
    [before] = run_sql(story_db.database, "state-at", ts=moments["before_email_change"].isoformat())
    [after] = run_sql(story_db.database, "state-at", ts=moments["after_email_change"].isoformat())
    assert (before["record_id"], before["action"], before["actor_email"], before["actor_type"]) == (
        "1", "UPDATE", st.MODERATOR, "moderator")
    assert without_times(jsonb(before["state"])) == {**without_times(USER_AT_SIGNUP), "name": st.EDITED_NAME,
                                                     "sign_in_count": 1}
    assert (after["action"], after["actor_email"], jsonb(after["state"])["email"]) == (
        "UPDATE", st.USER_EMAIL, st.NEW_EMAIL)


def test_state_at_before_the_record_existed_is_no_row(story_db):
    ts = story_db.conn.execute("select min(created_at) from audit.logs").fetchone()[0]
    assert run_sql(story_db.database, "state-at", ts=ts.isoformat()) == []


def test_row_at(story_db):
    [row] = run_sql(story_db.database, "row-at", ts=story_db.story.moments["before_email_change"].isoformat())
    assert (row["id"], row["email"], row["name"], row["status"], row["sign_in_count"]) == (
        "1", st.USER_EMAIL, st.EDITED_NAME, "active", "1")
    assert row["encrypted_password"] == ""  # redacted: NULL


def test_state_at_composite(story_db):
    [row] = run_sql(story_db.database, "state-at-composite", ts=story_db.story.moments["signed_up"].isoformat())
    assert (jsonb(row["record_id"]), row["role"]) == ({"user_id": 1, "organization_id": 1}, "member")


def test_rows_at(story_db):
    moments = story_db.story.moments
    assert run_sql(story_db.database, "rows-at", ts=moments["moderated"].isoformat()) == [
        {k: str(v) for k, v in ORG_BEFORE.items()}]
    assert run_sql(story_db.database, "rows-at", ts=moments["after_email_change"].isoformat()) == [
        {k: str(v) for k, v in ORG_AFTER.items()}]


def test_history(story_db):
    rows = run_sql(story_db.database, "history")
    assert [(r["action"], r["actor_email"], r["actor_type"], r["name"], r["email"]) for r in rows] == [
        ("INSERT", st.USER_EMAIL, "user", st.SIGNUP_NAME, st.USER_EMAIL),
        ("UPDATE", st.MODERATOR, "moderator", st.EDITED_NAME, st.USER_EMAIL),
        ("UPDATE", st.USER_EMAIL, "user", st.EDITED_NAME, st.NEW_EMAIL),
    ]
    # Versions follow each other without gap; the last one is current.
    assert [r["valid_to"] for r in rows[:-1]] == [r["valid_from"] for r in rows[1:]]
    assert rows[-1]["valid_to"] == ""


def test_history_diff(story_db):
    rows = run_sql(story_db.database, "history-diff")
    diffs = [jsonb(r["diff"]) for r in rows]
    assert [r["action"] for r in rows] == ["INSERT", "UPDATE", "UPDATE"]
    assert {k: v["new"] for k, v in diffs[0].items() if k not in ("sign_in_count",)} == {
        k: v for k, v in USER_AT_SIGNUP.items() if v is not None and k != "sign_in_count"}
    assert diffs[1]["name"] == {"old": st.SIGNUP_NAME, "new": st.EDITED_NAME}
    assert set(diffs[1]) == {"name", "updated_at", "sign_in_count", "last_sign_in_at"}  # ignored ones show too
    assert diffs[2]["email"] == {"old": st.USER_EMAIL, "new": st.NEW_EMAIL}
    assert set(diffs[2]) == {"email", "updated_at"}  # the password: [redacted] on both sides


def test_moderation_context_shows_the_moment_not_today(story_db):
    rows = run_sql(story_db.database, "moderation-context")
    assert len(rows) == 1
    [row] = rows
    assert (row["moderation_id"], row["decision"]) == ("1", "rename")
    user_then = jsonb(row["user_then"])
    # The moderator saw the name that was then renamed, and the e-mail Ada has changed since.
    assert (user_then["name"], user_then["email"]) == (st.SIGNUP_NAME, st.USER_EMAIL)
    # The sign-in changed ignored columns only and wrote no log row: the state keeps them as of sign-up.
    assert user_then == USER_AT_SIGNUP
    assert jsonb(row["membership_then"]) == MEMBERSHIP
    assert jsonb(row["organization_then"]) == ORG_BEFORE
    now = story_db.conn.execute("select u.name, u.email, o.name from users as u, organizations as o").fetchone()
    assert now == (st.EDITED_NAME, st.NEW_EMAIL, st.NEW_ORG_NAME)


def test_moderation_context_of_a_user_without_membership(story_db):
    conn = story_db.conn
    with conn.transaction():
        conn.execute("select audit.set_actor('grace@example.com')")
        conn.execute("insert into users (email, name) values ('grace@example.com', 'Grace')")
    with conn.transaction():
        conn.execute("insert into moderations (user_id, moderator_email, decision) values (2, %s, 'ok')",
                     (st.MODERATOR,))
    rows = run_sql(story_db.database, "moderation-context")
    # The left joins keep the moderation; membership and organization are NULL.
    assert [(r["moderation_id"], jsonb(r["user_then"])["name"], jsonb(r["membership_then"]),
             jsonb(r["organization_then"])) for r in rows] == [
        ("1", st.SIGNUP_NAME, MEMBERSHIP, ORG_BEFORE),
        ("2", "Grace", None, None),
    ]


def test_members_at(story_db):
    moments = story_db.story.moments
    assert run_sql(story_db.database, "members-at", ts=moments["signed_up"].isoformat()) == [
        {"user_id": "1", "role": "member"}]
    # Before the sign-up the organization had no members; after it, the membership still stands.
    first = story_db.conn.execute("select min(created_at) from audit.logs").fetchone()[0]
    assert run_sql(story_db.database, "members-at", ts=first.isoformat()) == []
    assert run_sql(story_db.database, "members-at", ts=moments["after_email_change"].isoformat()) == [
        {"user_id": "1", "role": "member"}]


def test_organizations_at_moderations_show_the_name_then(story_db):
    rows = run_sql(story_db.database, "organizations-at-moderations")
    assert [(r["moderation_id"], r["organization"], r["role"]) for r in rows] == [("1", st.ORG_NAME, "member")]
    # The organization was renamed after the moderation.
    assert story_db.conn.execute("select name from organizations").fetchone()[0] == st.NEW_ORG_NAME


# --------------------------------------------------------------------------
# Telling the log who and why
# --------------------------------------------------------------------------

def test_context_psql(story_db):
    since = last_id(story_db.conn)
    story_db.database.psql(["-q"], input=block("context-psql").text)
    [entry] = log_tail(story_db.conn, since)
    assert (entry["table_name"], entry["record_id"], entry["action"], entry["changed_fields"]) == (
        "users", "1", "UPDATE", ["status"])
    assert (entry["old_values"], entry["new_values"]["status"]) == ({"status": "active"}, "suspended")
    assert (entry["actor_email"], entry["actor_type"], entry["migration_name"], entry["context"]) == (
        st.MODERATOR, "moderator", None, {"request_id": "req-91ab"})


def test_context_migration(story_db):
    conn = story_db.conn
    with conn.transaction():
        conn.execute("insert into users (email, name) values ('Grace@Example.COM', 'Grace')")
    since = last_id(conn)
    story_db.database.psql(["-q"], input=block("context-migration").text)
    [entry] = log_tail(conn, since)
    assert (entry["record_id"], entry["action"], entry["changed_fields"], entry["old_values"]) == (
        "2", "UPDATE", ["email"], {"email": "Grace@Example.COM"})
    assert (entry["actor_email"], entry["actor_type"], entry["migration_name"]) == (
        None, "migration", "2024_06_lowercase_emails")


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "no-autocommit"])
def test_context_psycopg(story_db, connect, autocommit):
    conn = connect(autocommit=autocommit)
    since = last_id(story_db.conn)
    user = SimpleNamespace(id=1, email=st.NEW_EMAIL)
    exec(compile(block("context-psycopg", "python").text, "cookbook:context-psycopg", "exec"),
         {"conn": conn, "user": user, "request_id": "req-py", "new_name": "Ada King"})
    if not autocommit:
        conn.commit()
    [entry] = log_tail(story_db.conn, since)
    assert (entry["action"], entry["changed_fields"], entry["old_values"], entry["new_values"]["name"]) == (
        "UPDATE", ["name"], {"name": st.EDITED_NAME}, "Ada King")
    assert (entry["actor_email"], entry["actor_type"], entry["actor_id"], entry["context"]) == (
        st.NEW_EMAIL, "user", "1", {"request_id": "req-py"})


NODE_HARNESS = """
const calls = [];
const client = {
  query: async (text, values) => { calls.push([text, values === undefined ? [] : values]); return { rows: [] }; },
  release: () => {},
};
const pool = { connect: async () => client };
const user = { id: 1, email: 'ada.lovelace@example.org' };
const requestId = 'req-js';
const newName = 'Ada Byron';
(async () => {
/*SNIPPET*/
})().then(
  () => process.stdout.write(JSON.stringify(calls)),
  (err) => { console.error(err); process.exit(1); },
);
"""


def test_context_node(story_db):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the node-postgres example cannot run")
    script = NODE_HARNESS.replace("/*SNIPPET*/", block("context-node", "js").text)
    proc = subprocess.run([node, "-"], input=script, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    calls = json.loads(proc.stdout)
    assert [c[0].split()[0].lower() for c in calls] == ["begin", "select", "select", "update", "commit"]
    assert calls[1][0].startswith("select audit.set_actor(")
    # Send the recorded queries as node-postgres does: the text with $n, untyped text parameters.
    conn = story_db.conn
    since = last_id(conn)
    pgconn = conn.pgconn
    for text, values in calls:
        params = [None if v is None else str(v).encode() for v in values]
        res = pgconn.exec_params(text.encode(), params)
        assert res.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK), \
            (text, res.error_message.decode(errors="replace"))
    [entry] = log_tail(conn, since)
    assert (entry["action"], entry["changed_fields"], entry["new_values"]["name"]) == ("UPDATE", ["name"], "Ada Byron")
    assert (entry["actor_email"], entry["actor_type"], entry["actor_id"], entry["context"]) == (
        st.NEW_EMAIL, "user", None, {"request_id": "req-js"})
