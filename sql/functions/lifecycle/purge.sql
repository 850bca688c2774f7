-- Removes the log rows captured before the cut `before`, except those that reads at a moment at or
-- after the cut still look at, and records the purge in audit.operations. Returns the number of
-- log rows deleted. Only the package's owner may run it (42501); a NULL cut (22004) or one in the
-- future (22023) is refused. Capture goes on meanwhile (a plain DELETE: writers never wait for it);
-- transactions that were already running when it started may still commit rows from before the cut,
-- so it first waits for them to end (up to lock_timeout, 5 s if none; then 55P03, naming them).
--
-- What is kept, per key K of the table that has rows before the cut, with L the transaction of K's
-- last row before the cut (K as record_id, or as the old_record_id of a key change): every row of L
-- on K, since reads of a moment inside L, and replays of L (audit._key_live), need them all. Where
-- L may have held two records on K (a deferred unique key: L deleted or moved a record from K and
-- has other rows there), also the rows that say what K held when L began, and the transaction before
-- L. Nothing of K when nothing was on it at the cut and L had ended by then. A row that serves two
-- keys (a key change) stays if either keeps it, and then the other key keeps all its rows before
-- the cut, so that no key reads such a row without the rows around it. These are the original rows: every read at or after
-- the cut returns the same log ids, times, actions, actors and states as before.
create or replace function audit.purge(before timestamptz, reason text default null)
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_now timestamptz := pg_catalog.clock_timestamp();
    v_snap pg_snapshot;
    v_top xid8;
    v_xid xid8;
    v_timeout interval;
    v_deadline timestamptz;
    v_holder text;
    v_tbl record;
    v_cfg audit.config;
    v_key record;
    v_cut_state audit.logs;
    v_start_state audit.logs;
    v_prev_from bigint;
    v_straddles boolean;
    v_n bigint;
    v_move_ids bigint [];
    v_move_to text [];
    v_move_from text [];
    v_deleted bigint := 0;
begin
    perform audit._check_lifecycle_role('audit.purge');
    if before is null then
        raise exception using errcode = '22004', message = 'audit.purge: the cut (before) must not be NULL';
    end if;
    if before > v_now then
        raise exception using
            errcode = '22023',
            message = format('audit.purge: the cut %s is in the future', before),
            hint = 'Give a moment in the past: log rows captured before it are removed.';
    end if;
    if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
        raise exception using
            errcode = '25000',
            message = format('audit.purge: must run in a READ COMMITTED transaction, not %s',
                pg_catalog.upper(pg_catalog.current_setting('transaction_isolation'))),
            hint = 'It waits for older transactions to end and must then see what they wrote.';
    end if;
    -- One purge or erasure at a time; readers and capture do not wait for this lock.
    lock table audit.operations in share row exclusive mode;

    -- Transactions running now may have captured rows before the cut that this purge cannot see
    -- yet: every transaction id below this purge's own that is still in progress. Every later
    -- transaction writes rows after the cut (the cut is not after v_now).
    v_top := pg_catalog.pg_current_xact_id();
    v_snap := pg_catalog.pg_current_snapshot();
    v_timeout := coalesce(nullif(pg_catalog.current_setting('lock_timeout'), '0'), '5s')::interval;
    v_deadline := pg_catalog.clock_timestamp() + v_timeout;
    for v_xid in
        select g.x::text::xid8
        from pg_catalog.generate_series(
            pg_catalog.pg_snapshot_xmin(v_snap)::text::bigint, v_top::text::bigint - 1
        ) as g (x)
        where pg_catalog.pg_xact_status(g.x::text::xid8) = 'in progress'
    loop
        while pg_catalog.pg_xact_status(v_xid) = 'in progress' loop
            if pg_catalog.clock_timestamp() > v_deadline then
                select format('pid %s (%s, %s, transaction started at %s)', a.pid, a.usename,
                    coalesce(nullif(a.application_name, ''), 'no application_name'), a.xact_start)
                into v_holder
                from pg_catalog.pg_locks as k
                left join pg_catalog.pg_stat_activity as a on a.pid = k.pid
                where k.locktype = 'transactionid' and k.mode = 'ExclusiveLock'
                    and k.transactionid::text = (v_xid::text::bigint % 4294967296)::text
                limit 1;
                raise exception using
                    errcode = '55P03',
                    message = format('audit.purge: transaction %s, older than the purge, is still running after %s '
                        '(%s); it may yet commit log rows from before the cut; nothing was purged',
                        v_xid, v_timeout, coalesce(v_holder, 'in another database or prepared')),
                    hint = 'Run the purge again once it has ended, or give it longer (SET lock_timeout).';
            end if;
            perform pg_catalog.pg_sleep(0.01);
        end loop;
    end loop;

    for v_tbl in
        select distinct l.schema_name, l.table_name from audit.logs as l where l.created_at < before
    loop
        select c.* into v_cfg from audit.config as c
        where c.log_schema = v_tbl.schema_name and c.log_table = v_tbl.table_name
        order by c.enabled desc, c.changed_at desc
        limit 1;
        if not found then
            raise warning 'audit.purge: log rows of %.% kept: the table has no row in audit.config',
                v_tbl.schema_name, v_tbl.table_name;
            continue;
        end if;

        drop table if exists pg_temp.audit_purge_keys;
        -- For plpgsql_check (make lint-plpgsql), which cannot see a table created at run time.
        perform 'PRAGMA:TABLE: audit_purge_keys (k text, last_id bigint, last_xid xid8, first_of_last bigint, ambiguous boolean, gone boolean, keep_from bigint)';
        create temp table audit_purge_keys (
            k text collate "C" primary key,
            last_id bigint not null,
            last_xid xid8 not null,
            first_of_last bigint not null,
            ambiguous boolean not null,
            gone boolean not null,
            keep_from bigint
        ) on commit drop;
        -- Per key: its last row before the cut, that row's transaction L, L's first row on the key,
        -- whether L may have held two records on it, and whether the last row took the record away.
        insert into pg_temp.audit_purge_keys (k, last_id, last_xid, first_of_last, ambiguous, gone, keep_from)
        select w.k, pg_catalog.max(w.id), w.last_xid, pg_catalog.min(w.id) filter (where w.xid = w.last_xid),
            pg_catalog.count(*) filter (where w.xid = w.last_xid) > 1
            and coalesce(pg_catalog.bool_or(w.ends) filter (where w.xid = w.last_xid), false),
            w.last_ends,
            pg_catalog.min(w.id) filter (where w.xid = w.last_xid)
        from (
            select p.*,
                pg_catalog.first_value(p.xid) over (partition by p.k order by p.id desc) as last_xid,
                pg_catalog.first_value(p.ends) over (partition by p.k order by p.id desc) as last_ends
            from (
                select l.id, l.transaction_id as xid, l.record_id as k, l.action in ('DELETE', 'TRUNCATE') as ends
                from audit.logs as l
                where l.schema_name = v_tbl.schema_name and l.table_name = v_tbl.table_name
                    and l.created_at < before
                union all
                select l.id, l.transaction_id, l.old_record_id, true
                from audit.logs as l
                where l.schema_name = v_tbl.schema_name and l.table_name = v_tbl.table_name
                    and l.created_at < before and l.old_record_id is not null and l.old_record_id <> l.record_id
            ) as p
        ) as w
        group by w.k, w.last_xid, w.last_ends;

        -- A key whose last row ended a record, or whose L is ambiguous, is worked out one by one.
        for v_key in
            select k.* from pg_temp.audit_purge_keys as k where k.gone or k.ambiguous
        loop
            -- Whether L goes on at the key after the cut: its next row on the key is L's.
            v_straddles := coalesce((
                select n.transaction_id = v_key.last_xid from audit.logs as n
                where n.table_name = v_tbl.table_name and n.record_id = v_key.k
                    and n.schema_name = v_tbl.schema_name and n.id > v_key.last_id
                order by n.id
                limit 1
            ), false) or coalesce((
                select n.transaction_id = v_key.last_xid from audit.logs as n
                where n.table_name = v_tbl.table_name and n.old_record_id = v_key.k and n.record_id <> v_key.k
                    and n.schema_name = v_tbl.schema_name and n.id > v_key.last_id
                order by n.id
                limit 1
            ), false);
            v_cut_state := null;
            if v_key.ambiguous then
                select s.* into v_cut_state from audit._state_at(v_cfg, v_key.k, 'infinity', v_key.last_id) as s;
            end if;
            if v_cut_state.id is null and not v_straddles then
                -- Nothing on the key at the cut, and L over: nothing of the key is read any more.
                update pg_temp.audit_purge_keys set keep_from = null where k = v_key.k;
                continue;
            end if;
            if v_key.ambiguous then
                -- What the key held when L began, and the transaction before L.
                select s.* into v_start_state
                from audit._state_at(v_cfg, v_key.k, 'infinity', v_key.first_of_last - 1) as s;
                select pg_catalog.min(l.id) into v_prev_from
                from audit.logs as l
                where l.table_name = v_tbl.table_name and l.schema_name = v_tbl.schema_name
                    and (l.record_id = v_key.k or (l.old_record_id = v_key.k and l.record_id <> v_key.k))
                    and l.id < v_key.first_of_last
                    and l.transaction_id = (
                        select p.transaction_id from audit.logs as p
                        where p.table_name = v_tbl.table_name and p.schema_name = v_tbl.schema_name
                            and (p.record_id = v_key.k or (p.old_record_id = v_key.k and p.record_id <> v_key.k))
                            and p.id < v_key.first_of_last
                        order by p.id desc
                        limit 1
                    );
                update pg_temp.audit_purge_keys
                set keep_from = least(v_key.first_of_last, v_cut_state.id, v_start_state.id, v_prev_from)
                where k = v_key.k;
            end if;
        end loop;

        -- A key change's row is a row of both keys. Kept for one of them, the other reads it too,
        -- where it may stand without the rows that came with it (an arrival whose departure went):
        -- a key with such a row below what it keeps keeps all its rows before the cut. Repeated,
        -- since that keeps more key changes, until no key keeps more (keys only ever keep more).
        select coalesce(pg_catalog.array_agg(l.id), '{}'), coalesce(pg_catalog.array_agg(l.record_id), '{}'),
            coalesce(pg_catalog.array_agg(l.old_record_id), '{}')
        into v_move_ids, v_move_to, v_move_from
        from audit.logs as l
        where l.schema_name = v_tbl.schema_name and l.table_name = v_tbl.table_name
            and l.created_at < before and l.old_record_id is not null and l.old_record_id <> l.record_id;
        loop
            update pg_temp.audit_purge_keys as k
            set keep_from = 0
            from (
                select s.k, m.id
                from rows from (pg_catalog.unnest(v_move_ids), pg_catalog.unnest(v_move_to),
                    pg_catalog.unnest(v_move_from)) as m (id, rid, old_rid)
                cross join lateral (values (m.rid, m.old_rid), (m.old_rid, m.rid)) as s (k, other)
                inner join pg_temp.audit_purge_keys as o on o.k = s.other
                where m.id >= o.keep_from
            ) as f
            where f.k = k.k and f.id < coalesce(k.keep_from, 9223372036854775807);
            exit when not found;
        end loop;

        perform pg_catalog.set_config('audit.lifecycle', 'purge', true);
        delete from audit.logs as l
        where l.schema_name = v_tbl.schema_name and l.table_name = v_tbl.table_name and l.created_at < before
            and not exists (
                select from pg_temp.audit_purge_keys as k where k.k = l.record_id and l.id >= k.keep_from
            )
            and not exists (
                select from pg_temp.audit_purge_keys as k where k.k = l.old_record_id and l.id >= k.keep_from
            );
        get diagnostics v_n = row_count;
        perform pg_catalog.set_config('audit.lifecycle', '', true);
        v_deleted := v_deleted + v_n;
        drop table pg_temp.audit_purge_keys;
    end loop;

    insert into audit.operations (kind, cut, reason, rows_deleted)
    values ('purge', before, reason, v_deleted);
    return v_deleted;
end
$$;
