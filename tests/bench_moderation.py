#!/usr/bin/env python3
"""``make bench-moderation`` (and the second half of ``make bench``): the moderation page at real size.

    .venv/bin/python tests/bench_moderation.py            # 300,000 users, about 10 minutes
    .venv/bin/python tests/bench_moderation.py --scale 0.1 # a tenth of the data, a smoke run
    .venv/bin/python tests/bench_moderation.py --json results.json

An identity provider's schema (users, organizations, their memberships users_organizations with
the composite key (user_id, organization_id)), audited, with a history written by real captured
statements, in SQL: organizations, users and memberships inserted in batches (one transaction
each, so the log spans many moments), memberships' roles updated twice over, users and
organizations renamed, a tenth of the memberships deleted and half of those re-created. At scale 1:
30,000 organizations, 300,000 users, 1,000,000 memberships, and a log of over 3,000,000 rows. Then
100 moderations at random moments, and the reads of the moderation page, medians over many calls:

    target                                                     median
    a user's memberships at a moment (table_at with filter)    <= 5 ms
    an organization's members at a moment                      <= 5 ms
    the moderation-context query of the README, one moderation <= 10 ms
    the same for 100 moderations in one query                  <= 500 ms
    state_at and history of a user                             <= 1 ms each
    table_at of a whole 100,000-record table (audit_keys)      <= 1,000 ms

``audit_keys`` is a fourth table of 100,000 records, each updated twice. Every read's answer is
checked against the live tables at the end (the latest moment), so a fast wrong answer fails the
bench. Exit status: 0 when the bench ran (targets met or not, the report says), 2 when it could not.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

from pgserver import PgServerError, install_sql_path, start_server  # noqa: E402

SCHEMA = """
create table organizations (id bigint primary key, name text not null, slug text not null unique);
create table users (id bigint primary key, email text not null unique, name text, status text not null);
create table users_organizations (
    user_id bigint not null references users (id),
    organization_id bigint not null references organizations (id),
    role text not null default 'member',
    primary key (user_id, organization_id)
);
create table moderations (
    id bigint primary key, user_id bigint not null, decision text not null, created_at timestamptz not null
);
create table audit_keys (id bigint primary key, owner_id bigint not null, label text not null);
select audit.enable('organizations');
select audit.enable('users');
select audit.enable('users_organizations');
select audit.enable('audit_keys');
"""

# Each statement runs in its own transaction (autocommit): one moment of the history per batch.
# {n_*} are the sizes at this scale; {b} the batch. Membership k (0..3) of user u is in organization
# 1 + (7u + 7507k) mod n_orgs: distinct for one user.
HISTORY = [
    ("organizations", "insert into organizations select g, 'Org ' || g, 'org-' || g "
                      "from generate_series({lo}, {hi}) as g", "n_orgs", 3),
    ("users", "insert into users select g, 'user' || g || '@example.com', 'User ' || g, 'active' "
              "from generate_series({lo}, {hi}) as g", "n_users", 10),
    ("memberships", "insert into users_organizations (user_id, organization_id) "
                    "select 1 + (g - 1) % {n_users}, 1 + (7 * (1 + (g - 1) % {n_users}) "
                    "+ 7507 * ((g - 1) / {n_users})) % {n_orgs} from generate_series({lo}, {hi}) as g",
     "n_memberships", 10),
    ("audit_keys", "insert into audit_keys select g, g % 1000, 'key ' || g from generate_series({lo}, {hi}) as g",
     "n_keys", 2),
    ("roles", "update users_organizations set role = 'admin' where user_id between {lo} and {hi}", "n_users", 10),
    ("users renamed", "update users set name = 'User ' || id || ' (renamed)' where id between {lo} and {hi}",
     "n_users", 5),
    ("audit_keys relabelled", "update audit_keys set label = label || '.' where id between {lo} and {hi}",
     "n_keys", 2),
    ("organizations renamed", "update organizations set name = name || ' Ltd' where id between {lo} and {hi}",
     "n_orgs", 2),
    ("roles again", "update users_organizations set role = 'owner' "
                    "where user_id between {lo} and {hi} and organization_id % 3 = 0", "n_users", 5),
    ("memberships deleted", "delete from users_organizations where user_id between {lo} and {hi} "
                            "and user_id % 10 = 0", "n_users", 4),
    ("memberships re-created", "insert into users_organizations (user_id, organization_id, role) "
                               "select u, 1 + (7 * u) % {n_orgs}, 'returning' "
                               "from generate_series({lo}, {hi}) as u where u % 20 = 0", "n_users", 2),
    ("audit_keys relabelled again", "update audit_keys set label = label || '!' where id between {lo} and {hi}",
     "n_keys", 2),
    ("roles once more", "update users_organizations set role = 'member' "
                        "where user_id between {lo} and {hi} and organization_id % 3 = 1", "n_users", 5),
]

MODERATION_CONTEXT = """
select m.id as moderation_id, m.decision, m.created_at,
    u.state as user_then,
    mo.membership as membership_then,
    mo.organization as organization_then
from moderations as m
left join lateral audit.state_at('users', m.user_id, m.created_at) as u on true
left join lateral (
    select uo.state as membership, o.state as organization
    from audit.table_at('users_organizations', m.created_at, jsonb_build_object('user_id', m.user_id)) as uo
    left join lateral audit.state_at(
        'organizations', (uo.state ->> 'organization_id')::bigint, m.created_at
    ) as o on true
) as mo on true
where m.id = any(%s)
order by m.id, mo.organization ->> 'id'
"""

TARGETS = {
    "memberships_of_user": 5.0, "members_of_organization": 5.0, "moderation_one": 10.0,
    "moderation_100": 500.0, "state_at": 1.0, "history": 1.0, "table_at_100k": 1000.0,
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median_ms(conn: psycopg.Connection, query: str, params_list: list, warm: int = 5) -> tuple[float, list]:
    """The median wall time of the query over params_list (after `warm` untimed calls), and the answers."""
    times, answers = [], []
    for i, params in enumerate(params_list[:warm] + params_list):
        t0 = time.perf_counter()
        rows = conn.execute(query, params, prepare=True).fetchall()
        ms = (time.perf_counter() - t0) * 1000
        if i >= warm:
            times.append(ms)
            answers.append(rows)
    return statistics.median(times), answers


def build(conn: psycopg.Connection, scale: float, rng: random.Random) -> dict:
    sizes = {"n_orgs": max(30, int(30_000 * scale)), "n_users": max(300, int(300_000 * scale)),
             "n_keys": 100_000}
    sizes["n_memberships"] = int(sizes["n_users"] * 10 / 3)
    conn.execute(SCHEMA)
    moments = []
    t_all = time.perf_counter()
    for name, stmt, size_key, batches in HISTORY:
        t0 = time.perf_counter()
        n = sizes[size_key]
        for b in range(batches):
            lo, hi = 1 + n * b // batches, n * (b + 1) // batches
            conn.execute(stmt.format(lo=lo, hi=hi, **sizes))
            moments.append(conn.execute("select clock_timestamp()").fetchone()[0])
        log(f"  {name:<28} {time.perf_counter() - t0:6.1f} s")
    conn.execute("vacuum analyze")
    info = dict(sizes)
    info["history_s"] = round(time.perf_counter() - t_all, 1)
    info["log_rows"] = conn.execute("select count(*) from audit.logs").fetchone()[0]
    info["log_bytes"] = conn.execute("select pg_total_relation_size('audit.logs')").fetchone()[0]
    # Moderations at moments after the memberships exist (from the fifth batch of roles on).
    first = moments[sum(b for _, _, _, b in HISTORY[:4])]
    last = moments[-1]
    rows = [(i, rng.randint(1, sizes["n_users"]), rng.choice(["warned", "banned", "cleared"]),
             first + (last - first) * rng.random()) for i in range(1, 101)]
    with conn.cursor() as cur:
        cur.executemany("insert into moderations values (%s, %s, %s, %s)", rows)
    info["moments"] = (first, last)
    return info


def check_latest(conn: psycopg.Connection, info: dict, rng: random.Random) -> list[str]:
    """At the latest moment every filtered read must match the live tables."""
    problems = []
    ts = conn.execute("select max(created_at) from audit.logs").fetchone()[0]
    for _ in range(20):
        u = rng.randint(1, info["n_users"])
        got = sorted(r[0] for r in conn.execute(
            "select (state ->> 'organization_id')::bigint from audit.table_at('users_organizations', %s, "
            "jsonb_build_object('user_id', %s::bigint))", (ts, u)))
        want = sorted(r[0] for r in conn.execute(
            "select organization_id from users_organizations where user_id = %s", (u,)))
        if got != want:
            problems.append(f"user {u}: table_at gave organizations {got}, the table has {want}")
        o = rng.randint(1, info["n_orgs"])
        got = sorted(r[0] for r in conn.execute(
            "select (state ->> 'user_id')::bigint from audit.table_at('users_organizations', %s, "
            "jsonb_build_object('organization_id', %s::bigint))", (ts, o)))
        want = sorted(r[0] for r in conn.execute(
            "select user_id from users_organizations where organization_id = %s", (o,)))
        if got != want:
            problems.append(f"organization {o}: table_at gave {len(got)} members, the table has {len(want)}")
    n = conn.execute("select count(*) from audit.table_at('audit_keys', %s)", (ts,)).fetchone()[0]
    if n != 100_000:
        problems.append(f"table_at('audit_keys') gave {n} records, not 100,000")
    return problems


def measure(conn: psycopg.Connection, info: dict, rng: random.Random, calls: int) -> dict:
    first, last = info["moments"]

    def moment():
        return first + (last - first) * rng.random()

    res = {}
    users = [(moment(), rng.randint(1, info["n_users"])) for _ in range(calls)]
    res["memberships_of_user"], answers = median_ms(
        conn, "select * from audit.table_at('users_organizations', %s, jsonb_build_object('user_id', %s::bigint))",
        users)
    info["memberships_per_user"] = round(statistics.mean(len(a) for a in answers), 2)
    orgs = [(moment(), rng.randint(1, info["n_orgs"])) for _ in range(calls)]
    res["members_of_organization"], answers = median_ms(
        conn, "select * from audit.table_at('users_organizations', %s, "
              "jsonb_build_object('organization_id', %s::bigint))", orgs)
    info["members_per_organization"] = round(statistics.mean(len(a) for a in answers), 2)
    res["moderation_one"], answers = median_ms(
        conn, MODERATION_CONTEXT, [([rng.randint(1, 100)],) for _ in range(calls)])
    info["rows_per_moderation"] = round(statistics.mean(len(a) for a in answers), 2)
    res["moderation_100"], answers = median_ms(conn, MODERATION_CONTEXT, [(list(range(1, 101)),)] * 5, warm=1)
    info["rows_of_100_moderations"] = len(answers[0])
    res["state_at"], _ = median_ms(conn, "select * from audit.state_at('users', %s::bigint, %s)",
                                   [(rng.randint(1, info["n_users"]), moment()) for _ in range(calls * 4)])
    res["history"], _ = median_ms(conn, "select * from audit.history('users', %s::bigint)",
                                  [(rng.randint(1, info["n_users"]),) for _ in range(calls * 4)])
    ts = conn.execute("select max(created_at) from audit.logs").fetchone()[0]
    res["table_at_100k"], _ = median_ms(conn, "select count(*) from audit.table_at('audit_keys', %s)",
                                        [(ts,)] * 3, warm=1)
    return res


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the data set (default 1)")
    ap.add_argument("--calls", type=int, default=100, help="timed calls of each read (default 100)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    ap.add_argument("--keep", action="store_true",
                    help="keep the database (with AUDIT_TEST_DSN, a server that outlives the bench) and print its name")
    args = ap.parse_args(argv)
    rng = random.Random(20261203)
    try:
        server = start_server()
    except PgServerError as exc:
        print(f"bench-moderation: no server: {exc}", file=sys.stderr)
        return 2
    dbname = f"audit_moderation_{uuid.uuid4().hex[:8]}"
    try:
        with server.connect() as admin:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
        server.psql(["-q", "-f", str(install_sql_path())], dsn=server.dsn(dbname), timeout=600)
        with server.connect(dbname) as conn:
            log(f"bench-moderation: building the history at scale {args.scale}")
            info = build(conn, args.scale, rng)
            log(f"  {info['log_rows']:,} log rows in {info['history_s']} s")
            # What adding a lookup column costs on this log: one index build, audited writes waiting.
            t0 = time.perf_counter()
            conn.execute("select audit.enable('users', lookup_columns => '{status}')")
            info["lookup_index_build_s"] = round(time.perf_counter() - t0, 2)
            log(f"  audit.enable('users', lookup_columns => '{{status}}'): {info['lookup_index_build_s']} s")
            res = measure(conn, info, rng, args.calls)
            problems = check_latest(conn, info, rng)
        lines = [f"pg-audit-trail {server.kind} server, scale {args.scale}: {info['n_orgs']:,} organizations, "
                 f"{info['n_users']:,} users, {info['n_memberships']:,} memberships, 100,000 audit_keys; "
                 f"log of {info['log_rows']:,} rows ({info['log_bytes'] / 2**20:,.0f} MB), history written in "
                 f"{info['history_s']} s",
                 f"  {'read':<28} {'median ms':>10} {'target':>8}  met"]
        for key, ms in res.items():
            lines.append(f"  {key:<28} {ms:10.3f} {TARGETS[key]:8.0f}  {'yes' if ms <= TARGETS[key] else 'NO'}")
        lines.append(f"  adding a lookup column (one index build on this log): {info['lookup_index_build_s']} s")
        lines.append(f"  memberships per user {info['memberships_per_user']}, members per organization "
                     f"{info['members_per_organization']}, rows per moderation {info['rows_per_moderation']}, "
                     f"rows of 100 moderations {info['rows_of_100_moderations']}")
        lines.append("  answers at the latest moment match the live tables" if not problems
                     else "  WRONG ANSWERS:\n    " + "\n    ".join(problems))
        print("\n".join(lines), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"info": info, "results": res, "targets": TARGETS,
                                                   "problems": problems}, indent=2, default=str) + "\n")
        return 1 if problems else 0
    finally:
        if args.keep:
            log(f"bench-moderation: kept database {dbname} (server: {server.dsn(dbname)})")
        else:
            try:
                with server.connect() as admin:
                    admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))
            except psycopg.Error as exc:
                log(f"could not drop {dbname}: {exc}")
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
