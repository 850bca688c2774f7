"""The identity-provider schema and the short story that the demo and the cookbook tests share.

    from story import create_schema, play_story

    create_schema(conn)          # tables, one organization, auditing switched on
    story = play_story(conn)     # six steps, each its own transaction with its context

``conn`` is a psycopg 3 autocommit connection as the owner of a database with the package
installed. The database must be fresh: the ids (user 1, organization 1, moderation 1) and the
exact log that the tests expect follow from that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

USER_EMAIL = "ada@example.com"
NEW_EMAIL = "ada.lovelace@example.org"
SIGNUP_NAME = "Ada (Support Team)"
EDITED_NAME = "Ada Lovelace"
MODERATOR = "mod@example.com"
REQUEST_ID = "req-5f2c"
MIGRATION = "2024_05_rename_org"
ORG_NAME = "Analytical Engines"
ORG_SLUG = "analytical-engines"
NEW_ORG_NAME = "Babbage & Lovelace Ltd"
NEW_ORG_SLUG = "babbage-lovelace"

SCHEMA_SQL = """
create table users (
    id bigint generated always as identity primary key,
    email text unique not null,
    name text,
    encrypted_password text,
    sign_in_count int default 0,
    last_sign_in_at timestamptz,
    updated_at timestamptz,
    status text default 'active'
);

create table organizations (
    id bigint generated always as identity primary key,
    name text not null,
    slug text unique not null
);

create table users_organizations (
    user_id bigint not null references users (id),
    organization_id bigint not null references organizations (id),
    role text not null default 'member',
    primary key (user_id, organization_id)
);

-- Not audited: the moderators' own record of what they decided, and when.
create table moderations (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id),
    moderator_email text not null,
    decision text not null,
    reason text,
    created_at timestamptz not null default now()
);
"""

ENABLE_SQL = """
select audit.enable('users',
    ignore_columns => '{sign_in_count,last_sign_in_at,updated_at}',
    redact_columns => '{encrypted_password}');
select audit.enable('organizations');
select audit.enable('users_organizations');
"""


@dataclass
class Step:
    title: str
    log_rows: int  # log rows the step wrote


@dataclass
class Story:
    user_id: int
    organization_id: int
    moderation_id: int
    # Moments between steps (clock_timestamp() read after the step committed).
    moments: dict[str, datetime] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)


def create_schema(conn) -> None:
    """Create the tables, one organization that exists before auditing, and switch auditing on."""
    with conn.transaction():
        conn.execute(SCHEMA_SQL)
        conn.execute("insert into organizations (name, slug) values (%s, %s)", (ORG_NAME, ORG_SLUG))
    with conn.transaction():
        conn.execute(ENABLE_SQL)  # the organization is logged once, as SNAPSHOT


def _log_count(conn) -> int:
    return conn.execute("select count(*) from audit.logs").fetchone()[0]


def _now(conn) -> datetime:
    return conn.execute("select clock_timestamp()").fetchone()[0]


def play_story(conn, narrate: Callable[[Step], None] | None = None) -> Story:
    """Play the six steps; each step is one transaction that sets its own context."""
    story = Story(user_id=0, organization_id=0, moderation_id=0)

    def step(title: str, run: Callable[[], None]) -> None:
        before = _log_count(conn)
        with conn.transaction():
            run()
        done = Step(title, _log_count(conn) - before)
        story.steps.append(done)
        if narrate:
            narrate(done)

    story.organization_id = conn.execute("select id from organizations where slug = %s", (ORG_SLUG,)).fetchone()[0]

    def sign_up() -> None:
        conn.execute("select audit.set_actor(%s, 'user')", (USER_EMAIL,))
        story.user_id = conn.execute(
            "insert into users (email, name, encrypted_password) values (%s, %s, %s) returning id",
            (USER_EMAIL, SIGNUP_NAME, "$2a$12$first.hash.of.the.first.password"),
        ).fetchone()[0]
        conn.execute("insert into users_organizations (user_id, organization_id, role) values (%s, %s, 'member')",
                     (story.user_id, story.organization_id))

    step(f"{USER_EMAIL} signs up as {SIGNUP_NAME!r} and joins {ORG_NAME!r}", sign_up)
    story.moments["signed_up"] = _now(conn)

    def sign_in() -> None:
        # The plain-SQL way to set the context: a transaction-local setting.
        conn.execute("set local \"app.actor_email\" = 'ada@example.com'")
        conn.execute("update users set sign_in_count = sign_in_count + 1, last_sign_in_at = now(),"
                     " updated_at = now() where id = %s", (story.user_id,))

    step("Ada signs in (only ignored columns change)", sign_in)

    def moderate() -> None:
        conn.execute("select audit.set_actor(%s, 'moderator')", (MODERATOR,))
        story.moderation_id = conn.execute(
            "insert into moderations (user_id, moderator_email, decision, reason)"
            " values (%s, %s, 'rename', 'display name impersonates staff') returning id",
            (story.user_id, MODERATOR),
        ).fetchone()[0]

    step(f"{MODERATOR} records a moderation: rename (moderations is not audited)", moderate)
    story.moments["moderated"] = _now(conn)

    def edit_name() -> None:
        conn.execute("select audit.set_actor(%s, 'moderator')", (MODERATOR,))
        conn.execute("select set_config('app.audit_context', %s, true)", (f'{{"request_id": "{REQUEST_ID}"}}',))
        conn.execute("update users set name = %s, updated_at = now() where id = %s", (EDITED_NAME, story.user_id))

    step(f"{MODERATOR} renames the user to {EDITED_NAME!r} (request {REQUEST_ID})", edit_name)

    def migrate() -> None:
        conn.execute("select audit.set_migration(%s)", (MIGRATION,))
        conn.execute("update organizations set name = %s, slug = %s where id = %s",
                     (NEW_ORG_NAME, NEW_ORG_SLUG, story.organization_id))

    step(f"migration {MIGRATION} renames the organization to {NEW_ORG_NAME!r}", migrate)
    story.moments["before_email_change"] = _now(conn)

    def change_credentials() -> None:
        conn.execute("select audit.set_actor(%s, 'user', %s)", (USER_EMAIL, str(story.user_id)))
        conn.execute("update users set encrypted_password = %s, email = %s, updated_at = now() where id = %s",
                     ("$2a$12$second.hash.of.the.new.password", NEW_EMAIL, story.user_id))

    step(f"Ada changes her password and her e-mail to {NEW_EMAIL}", change_credentials)
    story.moments["after_email_change"] = _now(conn)
    return story
