"""Model-based test of the time-travel reads: random transactions, the true table remembered after
each one, and audit.table_at / state_at / history compared against it.

Two tables: ``ta`` with a one-column integer key, ``tb`` with a composite key. Some rows exist
before auditing is switched on. Transactions mix multi-row inserts, upserts (some that change
nothing), updates (some that change nothing), key changes and shifts, swaps, deletes, truncates,
savepoints rolled back or released, and whole transactions rolled back. After every transaction
the server clock and the true contents of both tables are remembered (a *moment*).

Checked after every step, at the newest moment: ``table_at`` equals the table, and ``state_at``
gives every row and no row for every other key used so far (and some never used). Checked at the
end of each example, for every moment: the same again (later writes must not change the past),
and ``history`` of every key ever used agrees with the moments (see check_history).

``tb`` has a DEFERRABLE (INITIALLY IMMEDIATE) primary key so that shifts and swaps succeed in
any row order; ``ta``'s key is a plain primary key (needed for ON CONFLICT), so its key changes
move rows to keys that are all free.

Purges: now and then ``audit.purge`` cuts the log at a random moment or at the capture time of a
random log row (inside a transaction, so that a transaction straddles the cut). Every read at the
cut, at each later moment and at some later capture times (table_at, and state_at of every key:
whole rows, log ids, times and actors) must answer exactly as before the purge, and ``history``
of every key must be the end of the one before, with every version valid at or after the cut.
After a purge, moments before the cut are read no more (a read there must fail with 22023).

Size: AUDIT_PROPERTY_EXAMPLES (default 50) examples of up to AUDIT_PROPERTY_STEPS (default 25)
transactions each (about 35 s).
"""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)
from psycopg.types.json import Jsonb

EXAMPLES = int(os.environ.get("AUDIT_PROPERTY_EXAMPLES", "50"))
STEPS = int(os.environ.get("AUDIT_PROPERTY_STEPS", "25"))

TA_KEYS = range(0, 25)          # keys drawn for new ta rows
TB_ORGS = range(1, 4)
TB_USERS = range(1, 7)
NAMES = st.sampled_from([None, "a", "b", "c"])
NS = st.one_of(st.none(), st.integers(-3, 3))
ROLES = st.sampled_from(["r", "w", "x", None])
NEVER_A = [-999_999, 999_999]   # keys no row ever has
NEVER_B = [(99, 1), (1, 99)]


def ta_key(r: dict):
    return r["id"]


def tb_key(r: dict):
    return (r["org_id"], r["user_id"])


class TimeTravel(RuleBasedStateMachine):
    conn = None         # set by the test: a connection to a fresh database, as its owner
    examples = 0

    def __init__(self):
        super().__init__()
        # Each example has its own pair of tables (and so its own log rows) in the test's database.
        TimeTravel.examples += 1
        self.ta, self.tb = f"ta_{self.examples}", f"tb_{self.examples}"
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")  # left by a failed example
        self.conn.execute(f"CREATE TABLE {self.ta} (id int PRIMARY KEY, name text, n int)")
        self.conn.execute(f"CREATE TABLE {self.tb} (org_id int, user_id int, role text,"
                          " PRIMARY KEY (org_id, user_id) DEFERRABLE INITIALLY IMMEDIATE)")
        self.moments: list[tuple[object, dict, dict]] = []  # (ts, {key: row} of ta, of tb)
        self.seen_a: set = set(NEVER_A)
        self.seen_b: set = set(NEVER_B)
        self.savepoints = 0
        self.horizon = None  # the latest purge cut of this example
        self.busy = False   # True while a step runs: if teardown finds it set, that step failed

    # ----------------------------------------------------------------------------------------
    # Plumbing
    # ----------------------------------------------------------------------------------------

    def run(self, query, params=None):
        note(f"  {query}  {params if params is not None else ''}")
        self.conn.execute(query, params)

    def current_a(self) -> dict:
        return {r["id"]: r for (r,) in self.conn.execute(f"SELECT to_jsonb(t) FROM {self.ta} AS t")}

    def current_b(self) -> dict:
        return {tb_key(r): r for (r,) in self.conn.execute(f"SELECT to_jsonb(t) FROM {self.tb} AS t")}

    def remember(self):
        ts = self.conn.execute("SELECT clock_timestamp()").fetchone()[0]
        a, b = self.current_a(), self.current_b()
        self.moments.append((ts, a, b))
        self.seen_a |= set(a)
        self.seen_b |= set(b)

    # ----------------------------------------------------------------------------------------
    # Rules
    # ----------------------------------------------------------------------------------------

    @initialize(
        a=st.lists(st.tuples(st.sampled_from(TA_KEYS), NAMES, NS), max_size=6, unique_by=lambda x: x[0]),
        b=st.lists(st.tuples(st.sampled_from(TB_ORGS), st.sampled_from(TB_USERS), ROLES), max_size=6,
                   unique_by=lambda x: x[:2]),
    )
    def start(self, a, b):
        self.busy = True
        note("-- before audit.enable")
        for row in a:
            self.run(f"INSERT INTO {self.ta} VALUES (%s, %s, %s)", row)
        for row in b:
            self.run(f"INSERT INTO {self.tb} VALUES (%s, %s, %s)", row)
        self.run("SELECT audit.enable(%s, lookup_columns => '{name}')", [self.ta])
        self.run("SELECT audit.enable(%s)", [self.tb])
        self.remember()
        self.busy = False

    @rule(data=st.data())
    def transaction(self, data):
        self.busy = True
        note("BEGIN")
        self.conn.execute("BEGIN")
        for _ in range(data.draw(st.integers(1, 4), label="statements")):
            self.operation(data, depth=0)
        end = data.draw(st.sampled_from(["COMMIT", "COMMIT", "COMMIT", "COMMIT", "ROLLBACK"]), label="end")
        self.run(end)
        self.remember()
        self.busy = False

    @precondition(lambda self: len(self.moments) >= 2)
    @rule(data=st.data())
    def purge(self, data):
        if data.draw(st.integers(0, 2), label="purge now") != 0:  # one step in three at most
            return
        self.busy = True
        stamps = [m[0] for m in self.moments if self.horizon is None or m[0] >= self.horizon]
        logged = [r[0] for r in self.conn.execute(
            "SELECT DISTINCT created_at FROM audit.logs WHERE table_name IN (%s, %s)"
            " AND created_at >= coalesce(%s::timestamptz, '-infinity') ORDER BY 1", [self.ta, self.tb, self.horizon])]
        # A position, not sampled_from: how many log times there are depends on the clock, and a draw
        # whose range changes between runs of one example makes Hypothesis call the test flaky.
        choices = stamps + logged
        cut = choices[data.draw(st.integers(0, 999), label="cut (per mille)") * len(choices) // 1000]
        later = sorted({ts for ts in stamps + logged if ts >= cut})
        probe = [cut] + later[:: max(1, len(later) // 5)] + [later[-1]]
        before = self.raw_reads(probe)
        hist = self.raw_histories()
        log_before = self.log_rows()
        note(f"SELECT audit.purge({cut!r})")
        self.conn.execute("SELECT audit.purge(%s)", [cut])
        self.horizon = cut
        after = self.raw_reads(probe)
        for k in before:
            assert after[k] == before[k], (f"after purge({cut}): {k[0]} at {k[1]} of {k[2:]}\n"
                                           f"after: {after[k]}\nbefore: {before[k]}\n{self.purged(log_before)}")
        for k, old in hist.items():
            new = self.raw_histories([k])[k]
            if not new and not before[("state_at", cut, *k)] and not self.rows_on_key_since(k, cut):
                continue  # the key was vacant at the cut and has been since: its rows are gone
            assert new == old[len(old) - len(new):], (
                f"after purge({cut}): history of {k} is not the end of the one before\n"
                f"after: {new}\nbefore: {old}\n{self.purged(log_before)}")
            needed = [h for h in old if (h[3] is None or h[3] > cut) and not (h[1] in ("DELETE", "TRUNCATE") and h[2] < cut)]
            assert len(new) >= len(needed), f"after purge({cut}): history of {k} lost versions valid after the cut"
        earlier = [m[0] for m in self.moments if m[0] < cut]
        if earlier:
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                self.conn.execute("SELECT * FROM audit.table_at(%s, %s)", [self.ta, earlier[-1]])
        self.busy = False

    def log_rows(self) -> list:
        return self.conn.execute(
            "SELECT id, transaction_id, created_at, action, record_id, old_record_id, old_values, new_values"
            " FROM audit.logs WHERE table_name IN (%s, %s) ORDER BY id", [self.ta, self.tb]).fetchall()

    def purged(self, log_before) -> str:
        """The log as it was before the purge, each row marked kept or deleted: for a failure's report."""
        kept = {r[0] for r in self.log_rows()}
        return "log before the purge (- deleted, + kept):\n" + "\n".join(
            ("+ " if r[0] in kept else "- ") + repr(r) for r in log_before)

    def rows_on_key_since(self, key, ts) -> int:
        table, k = key
        rid = str(k) if table == self.ta else json.dumps({"org_id": k[0], "user_id": k[1]})
        return self.conn.execute(
            "SELECT count(*) FROM audit.logs WHERE table_name = %s AND %s IN (record_id, old_record_id)"
            " AND created_at >= %s", [table, rid, ts]).fetchone()[0]

    def raw_reads(self, stamps) -> dict:
        out = {}
        for table, which in ((self.ta, "a"), (self.tb, "b")):
            keys = sorted(self.seen_a if which == "a" else self.seen_b)
            for ts in stamps:
                out[("table_at", ts, table)] = sorted(
                    (r, json.dumps(st_, sort_keys=True)) for r, st_ in self.conn.execute(
                        "SELECT record_id, state FROM audit.table_at(%s, %s)", [table, ts]))
                for k in keys:
                    arg = k if which == "a" else Jsonb({"org_id": k[0], "user_id": k[1]})
                    out[("state_at", ts, table, k)] = self.conn.execute(
                        "SELECT * FROM audit.state_at(%s, %s, %s)", [table, arg, ts]).fetchall()
        return out

    def raw_histories(self, only=None) -> dict:
        out = {}
        for table, which in ((self.ta, "a"), (self.tb, "b")):
            for k in sorted(self.seen_a if which == "a" else self.seen_b):
                if only is not None and (table, k) not in only:
                    continue
                arg = k if which == "a" else Jsonb({"org_id": k[0], "user_id": k[1]})
                out[(table, k)] = self.conn.execute("SELECT * FROM audit.history(%s, %s)", [table, arg]).fetchall()
        return out

    def operation(self, data, depth):
        ops = [self.ta_insert, self.ta_upsert, self.ta_update, self.ta_rekey, self.ta_delete, self.ta_truncate,
               self.tb_insert, self.tb_update, self.tb_shift, self.tb_swap, self.tb_move, self.tb_delete,
               self.tb_truncate]
        if depth == 0:
            ops.append(self.savepoint)
        op = data.draw(st.sampled_from(ops), label="operation")
        op(data, depth)

    def savepoint(self, data, depth):
        self.savepoints += 1
        name = f"sp{self.savepoints}"
        self.run(f"SAVEPOINT {name}")
        for _ in range(data.draw(st.integers(1, 3), label="statements in savepoint")):
            self.operation(data, depth + 1)
        end = data.draw(st.sampled_from(["ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT"]), label="savepoint end")
        self.run(f"{end} {name}")

    # ta: one-column integer key ------------------------------------------------------------

    def ta_insert(self, data, depth):
        cur = self.current_a()
        free = [k for k in TA_KEYS if k not in cur]
        if not free:
            return
        keys = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=4, unique=True), label="ta insert keys")
        values = [(k, data.draw(NAMES, label="name"), data.draw(NS, label="n")) for k in keys]
        self.run(f"INSERT INTO {self.ta} (id, name, n) VALUES " + ", ".join(["(%s, %s, %s)"] * len(values)),
                 [v for row in values for v in row])

    def ta_upsert(self, data, depth):
        cur = self.current_a()
        pool = sorted(set(cur) | set(TA_KEYS))
        keys = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True), label="ta upsert keys")
        values = []
        for k in keys:
            if k in cur and data.draw(st.booleans(), label=f"upsert {k} unchanged"):
                values.append((k, cur[k]["name"], cur[k]["n"]))
            else:
                values.append((k, data.draw(NAMES, label="name"), data.draw(NS, label="n")))
        action = data.draw(st.sampled_from([
            "DO UPDATE SET name = excluded.name, n = excluded.n",
            "DO UPDATE SET n = excluded.n WHERE ta.n IS DISTINCT FROM excluded.n",
            "DO NOTHING",
        ]), label="on conflict")
        self.run(f"INSERT INTO {self.ta} AS ta (id, name, n) VALUES " + ", ".join(["(%s, %s, %s)"] * len(values))
                 + f" ON CONFLICT (id) {action}", [v for row in values for v in row])

    def ta_subset(self, data, label):
        cur = sorted(self.current_a())
        if not cur:
            return None
        return data.draw(st.lists(st.sampled_from(cur), min_size=1, max_size=len(cur), unique=True), label=label)

    def ta_update(self, data, depth):
        keys = self.ta_subset(data, "ta update keys")
        if keys is None:
            return
        change = data.draw(st.sampled_from([
            ("n = n + %s", st.integers(-1, 2)),     # 0: changes nothing
            ("name = %s", NAMES),
            ("name = name, n = n", None),           # changes nothing
            ("n = coalesce(n, 0) + 1, name = %s", NAMES),
        ]), label="ta update")
        setter, strategy = change
        params = [data.draw(strategy, label="value")] if strategy is not None else []
        self.run(f"UPDATE {self.ta} SET {setter} WHERE id = ANY(%s)", params + [keys])

    def ta_rekey(self, data, depth):
        cur = set(self.current_a())
        if not cur:
            return
        everything = data.draw(st.booleans(), label="ta rekey all rows")
        keys = sorted(cur) if everything else self.ta_subset(data, "ta rekey keys")
        shift = data.draw(st.sampled_from([1000, -1000, 1, 3, 10, 100]), label="shift")
        if {k + shift for k in keys} & cur:
            return  # a plain primary key checks row by row: move only to free keys
        also = data.draw(st.sampled_from(["", ", n = coalesce(n, 0) + 1"]), label="also")
        where = "" if everything else " WHERE id = ANY(%s)"
        self.run(f"UPDATE {self.ta} SET id = id + %s{also}{where}", [shift] + ([] if everything else [keys]))

    def ta_delete(self, data, depth):
        how = data.draw(st.sampled_from(["keys", "n > 0", "name IS NULL"]), label="ta delete")
        if how == "keys":
            keys = self.ta_subset(data, "ta delete keys")
            if keys is not None:
                self.run(f"DELETE FROM {self.ta} WHERE id = ANY(%s)", [keys])
        else:
            self.run(f"DELETE FROM {self.ta} WHERE {how}")

    def ta_truncate(self, data, depth):
        if data.draw(st.integers(0, 3), label="ta truncate") == 0:  # rarely
            both = data.draw(st.booleans(), label="truncate both tables")
            self.run(f"TRUNCATE {self.ta}, {self.tb}" if both else f"TRUNCATE {self.ta}")

    # tb: composite key, deferrable -----------------------------------------------------------

    def tb_subset(self, data, label, org=None):
        cur = sorted(k for k in self.current_b() if org is None or k[0] == org)
        if not cur:
            return None
        return data.draw(st.lists(st.sampled_from(cur), min_size=1, max_size=len(cur), unique=True), label=label)

    def tb_insert(self, data, depth):
        cur = self.current_b()
        free = [(o, u) for o in TB_ORGS for u in TB_USERS if (o, u) not in cur]
        if not free:
            return
        keys = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=3, unique=True), label="tb insert keys")
        values = [(o, u, data.draw(ROLES, label="role")) for o, u in keys]
        self.run(f"INSERT INTO {self.tb} VALUES " + ", ".join(["(%s, %s, %s)"] * len(values)),
                 [v for row in values for v in row])

    def tb_update(self, data, depth):
        keys = self.tb_subset(data, "tb update keys")
        if keys is None:
            return
        role = data.draw(st.one_of(st.just("role"), ROLES.map(lambda r: "NULL" if r is None else f"'{r}'")),
                         label="role")
        self.run(f"UPDATE {self.tb} SET role = {role}"
                 " WHERE (org_id, user_id) IN (SELECT * FROM unnest(%s::int[], %s::int[]))",
                 [[k[0] for k in keys], [k[1] for k in keys]])

    def tb_orgs(self):
        return sorted({k[0] for k in self.current_b()})

    def tb_shift(self, data, depth):
        orgs = self.tb_orgs()
        if not orgs:
            return
        org = data.draw(st.sampled_from(orgs), label="tb shift org")
        users = {k[1] for k in self.current_b() if k[0] == org}
        everyone = data.draw(st.booleans(), label="tb shift whole org")
        moved = users if everyone else {k[1] for k in self.tb_subset(data, "tb shift keys", org)}
        d = data.draw(st.sampled_from([1, -1, 2, 3, -2]), label="by")
        if {u + d for u in moved} & (users - moved):
            return
        also = data.draw(st.sampled_from(["", ", role = coalesce(role, '') || '+'"]), label="also")
        self.run(f"UPDATE {self.tb} SET user_id = user_id + %s{also} WHERE org_id = %s AND user_id = ANY(%s)",
                 [d, org, sorted(moved)])

    def tb_swap(self, data, depth):
        orgs = [o for o in self.tb_orgs() if sum(1 for k in self.current_b() if k[0] == o) >= 2]
        if not orgs:
            return
        org = data.draw(st.sampled_from(orgs), label="tb swap org")
        users = sorted(k[1] for k in self.current_b() if k[0] == org)
        a, b = data.draw(st.lists(st.sampled_from(users), min_size=2, max_size=2, unique=True), label="swap")
        self.run(f"UPDATE {self.tb} SET user_id = CASE user_id WHEN %s THEN %s ELSE %s END"
                 " WHERE org_id = %s AND user_id IN (%s, %s)", [a, b, a, org, a, b])

    def tb_move(self, data, depth):
        orgs = self.tb_orgs()
        if not orgs:
            return
        src = data.draw(st.sampled_from(orgs), label="tb move from org")
        dst = data.draw(st.sampled_from([o for o in (*TB_ORGS, 9) if o != src]), label="to org")
        keys = self.tb_subset(data, "tb move keys", src)
        if any((dst, u) in self.current_b() for _, u in keys):
            return
        self.run(f"UPDATE {self.tb} SET org_id = %s WHERE org_id = %s AND user_id = ANY(%s)",
                 [dst, src, [u for _, u in keys]])

    def tb_delete(self, data, depth):
        keys = self.tb_subset(data, "tb delete keys")
        if keys is not None:
            self.run(f"DELETE FROM {self.tb} WHERE (org_id, user_id) IN (SELECT * FROM unnest(%s::int[], %s::int[]))",
                     [[k[0] for k in keys], [k[1] for k in keys]])

    def tb_truncate(self, data, depth):
        if data.draw(st.integers(0, 3), label="tb truncate") == 0:
            self.run(f"TRUNCATE {self.tb}")

    # ----------------------------------------------------------------------------------------
    # Checks
    # ----------------------------------------------------------------------------------------

    def check_table_at(self, which, moments):
        table, key_of, idx = (self.ta, ta_key, 1) if which == "a" else (self.tb, tb_key, 2)
        stamps = [self.moments[i][0] for i in moments]
        got: dict[int, dict] = {i: {} for i in range(len(stamps))}
        for i, record_id, st_ in self.conn.execute(
                "SELECT m.i - 1, t.record_id, t.state FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS m (ts, i)"
                " CROSS JOIN LATERAL audit.table_at(%s, m.ts) AS t", [stamps, table]):
            k = key_of(st_)
            assert k not in got[i], f"table_at({table}) at moment {moments[i]}: record {k} twice"
            assert parse_record_id(which, record_id) == k, f"record_id {record_id!r} of state {st_}"
            got[i][k] = st_
        for i, mi in enumerate(moments):
            assert got[i] == self.moments[mi][idx], f"table_at({table}) at moment {mi} of {len(self.moments)}"

    def check_filters(self, moments):
        """table_at with a filter: through a lookup column (ta.name), each key column of tb's
        composite key, and a column without an index (ta.n, tb.role): the records of the moment
        whose row contains it."""
        probes = [("a", {"name": v}) for v in ("a", "b", "c", None)] + [("a", {"n": v}) for v in (0, 1, -1)]
        probes += [("b", {"org_id": o}) for o in TB_ORGS] + [("b", {"user_id": u}) for u in (1, 2, 3)]
        probes += [("b", {"role": "r"}), ("b", {"org_id": 1, "user_id": 2}), ("b", {"org_id": 2, "role": "w"})]
        stamps = [self.moments[i][0] for i in moments]
        for which, flt in probes:
            table, key_of, idx = (self.ta, ta_key, 1) if which == "a" else (self.tb, tb_key, 2)
            got: dict[int, dict] = {i: {} for i in range(len(stamps))}
            for i, st_ in self.conn.execute(
                    "SELECT m.i - 1, t.state FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS m (ts, i)"
                    " CROSS JOIN LATERAL audit.table_at(%s, m.ts, %s) AS t", [stamps, table, Jsonb(flt)]):
                k = key_of(st_)
                assert k not in got[i], f"table_at({table}, {flt}) at moment {moments[i]}: record {k} twice"
                got[i][k] = st_
            for i, mi in enumerate(moments):
                want = {k: r for k, r in self.moments[mi][idx].items() if all(r.get(c) == v for c, v in flt.items())}
                assert got[i] == want, f"table_at({table}, {flt}) at moment {mi} of {len(self.moments)}"

    def keys_to_probe(self, which, mi):
        """Every key any row had at any moment so far, and some keys never used."""
        return sorted(self.seen_a if which == "a" else self.seen_b)

    def check_state_at(self, which, moments):
        table, idx = (self.ta, 1) if which == "a" else (self.tb, 2)
        probes = [(i, k) for i, mi in enumerate(moments) for k in self.keys_to_probe(which, mi)]
        if which == "a":
            arg, cast = [k for _, k in probes], "int[]"
        else:
            arg, cast = [Jsonb({"org_id": o, "user_id": u}) for _, (o, u) in probes], "jsonb[]"
        stamps = [self.moments[moments[i]][0] for i, _ in probes]
        got = {}
        for pi, record_id, st_ in self.conn.execute(
                "SELECT p.i - 1, s.record_id, s.state"
                f" FROM unnest(%s::timestamptz[], %s::{cast}) WITH ORDINALITY AS p (ts, key, i)"
                " CROSS JOIN LATERAL audit.state_at(%s, p.key, p.ts) AS s", [stamps, arg, table]):
            i, k = probes[pi]
            assert pi not in got, f"state_at({table}, {k}) at moment {moments[i]}: two rows"
            assert parse_record_id(which, record_id) == k, f"state_at({table}, {k}): record_id {record_id!r}"
            got[pi] = st_
        for pi, (i, k) in enumerate(probes):
            assert got.get(pi) == self.moments[moments[i]][idx].get(k), f"state_at({table}, {k}) at moment {moments[i]}"

    def check_history(self, which):
        table, key_of, idx = (self.ta, ta_key, 1) if which == "a" else (self.tb, tb_key, 2)
        keys = sorted(self.seen_a if which == "a" else self.seen_b)
        final = self.moments[-1][idx]
        for k in keys:
            arg = k if which == "a" else Jsonb({"org_id": k[0], "user_id": k[1]})
            hist = self.conn.execute(
                "SELECT log_id, action, valid_from, valid_to, state, changed_fields FROM audit.history(%s, %s)",
                [table, arg]).fetchall()
            where = f"history({table}, {k})"
            if k in final:
                assert hist, f"{where} is empty, but the record exists"
                assert hist[-1][4] == final[k], f"{where}: last version is not the current row"
            if any(k in m[idx] for m in self.readable()):
                assert hist, f"{where} is empty, but a record had this key"
            if not hist:
                continue
            ids = [h[0] for h in hist]
            assert ids == sorted(set(ids)), f"{where}: log ids not increasing: {ids}"
            if self.horizon is None or hist[0][2] >= self.horizon:  # else it starts with the kept state
                assert hist[0][1] in ("INSERT", "SNAPSHOT"), f"{where} starts with {hist[0][1]}"
            assert all(h[1] == "UPDATE" for h in hist[1:-1]), f"{where}: {[h[1] for h in hist]}"
            assert [h[3] for h in hist] == [h[2] for h in hist[1:]] + [None], f"{where}: valid_to chain"
            for prev, cur in zip(hist, hist[1:]):
                if cur[1] == "UPDATE":
                    differ = sorted(c for c in cur[4] if cur[4][c] != prev[4].get(c))
                    assert differ == cur[5], f"{where}: version {cur[0]} changed {cur[5]}, states differ in {differ}"
            if hist[-1][1] not in ("DELETE", "TRUNCATE"):
                last = hist[-1][4]
                assert final.get(key_of(last)) == last, f"{where}: last version {last} is not in the table"
            # At every moment inside the record's life, the version valid then is a row of the table then.
            for mi, m in enumerate(self.moments):
                ts = m[0]
                if self.horizon is not None and ts < self.horizon:
                    continue
                valid = [h for h in hist if h[2] <= ts and (h[3] is None or ts < h[3])]
                if not valid or valid[0][1] in ("DELETE", "TRUNCATE"):
                    continue
                st_ = valid[0][4]
                assert m[idx].get(key_of(st_)) == st_, f"{where}: version {valid[0][0]} at moment {mi}"

    @invariant()
    def reads_match_the_newest_moment(self):
        if not self.moments:
            return
        self.busy = True
        newest = [len(self.moments) - 1]
        for which in ("a", "b"):
            self.check_table_at(which, newest)
            self.check_state_at(which, newest)
        self.busy = False

    def readable(self):
        """The moments at or after the latest purge cut."""
        return [m for m in self.moments if self.horizon is None or m[0] >= self.horizon]

    def final_checks(self):
        """Every moment again (later writes must not change what an earlier moment reads), and history."""
        if not self.moments:
            return
        everything = [i for i, m in enumerate(self.moments) if self.horizon is None or m[0] >= self.horizon]
        for which in ("a", "b"):
            self.check_table_at(which, everything)
            self.check_state_at(which, everything)
            self.check_history(which)
        self.check_filters(everything)

    def teardown(self):
        if not self.busy:  # a step that failed has already reported; do not hide it
            self.final_checks()


def parse_record_id(which, record_id):
    if which == "a":
        return int(record_id)
    obj = json.loads(record_id)
    assert set(obj) == {"org_id", "user_id"}, record_id
    return (obj["org_id"], obj["user_id"])


@pytest.mark.property
@pytest.mark.slow
def test_time_travel_reads_match_the_true_tables(db):
    TimeTravel.conn = db
    TimeTravel.examples = 0
    run_state_machine_as_test(TimeTravel, settings=settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        # AUDIT_PROPERTY_NO_SHRINK=1: report the first failing example as found (faster while developing).
        **({"phases": [Phase.explicit, Phase.reuse, Phase.generate]} if os.environ.get("AUDIT_PROPERTY_NO_SHRINK") else {}),
    ))
