-- Every version of the record of table tbl that has (or last had) key id, oldest first, following it
-- across key changes. A key that an earlier, deleted record held is not that record: history
-- starts at the current record's INSERT (or its first SNAPSHOT).
create or replace function audit.history(tbl regclass, id anycompatible)
returns table (
    log_id bigint,
    action text,
    valid_from timestamptz,
    valid_to timestamptz,
    state jsonb,
    changed_fields text[],
    actor_email text,
    actor_type text,
    actor_id text,
    migration_name text,
    transaction_id xid8
)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.history');
    v_key text;
    v_last audit.logs;
    v_next audit.logs;
    v_end audit.logs;
    v_row audit.logs;
    v_ids bigint [] := '{}'::bigint [];
    v_rows audit.logs [] := '{}'::audit.logs [];
    v_bound_id bigint;
    v_bound_xid xid8;
    v_bound_ts timestamptz;
    v_switched boolean;
    v_kept_xid xid8;
    v_expect jsonb;
    v_moved boolean := false;
begin
    v_key := audit._record_key(v_cfg, id::text, pg_catalog.pg_typeof(id) in ('jsonb'::regtype, 'json'::regtype),
        'audit.history');
    -- The record at this key now, else the latest event at it: a row that left a record here, or
    -- one that moved it away.
    select l.* into v_last from audit._state_at(v_cfg, v_key, 'infinity') as l;
    if not found then
        select l.* into v_last
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema
            and (l.record_id = v_key or (l.old_record_id = v_key and l.record_id <> v_key))
        order by l.created_at desc, (l.record_id = v_key) desc, l.id desc
        limit 1;
        if not found then
            return;
        end if;
    end if;
    -- Follow the record forward while it moved to another key. v_last is then its arrival there.
    while v_last.record_id <> v_key loop
        v_moved := true;
        v_key := v_last.record_id;
        select l.* into v_next
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema
            and l.id > v_last.id
            and not (l.transaction_id = v_last.transaction_id and l.created_at = v_last.created_at)
            and (
                (l.record_id = v_key and l.action in ('DELETE', 'TRUNCATE', 'INSERT'))
                or (l.old_record_id = v_key and l.record_id <> v_key)
            )
        order by l.id
        limit 1;
        exit when not found or v_next.record_id = v_key;
        v_last := v_next;
    end loop;
    -- The record's last row at its final key: up to a DELETE, before a new INSERT of the key. When
    -- it never moved, that is the row found first.
    if not v_moved then
        v_end := v_last;
    else
        select l.* into v_end
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.record_id = v_key
            and l.id >= v_last.id
            and (
                v_next.id is null or v_next.record_id <> v_key
                or (v_next.action = 'INSERT' and l.id < v_next.id)
                or (v_next.action <> 'INSERT' and l.id <= v_next.id)
            )
        order by l.id desc
        limit 1;
    end if;
    -- Walk back to the record's beginning: its INSERT, a DELETE of an earlier record with the same
    -- key (not included), or the start of the log; an arrival by key change continues at the old key.
    v_bound_id := v_end.id;
    <<walk>>
    loop
        v_switched := false;
        for v_row in
            select l.* from audit.logs as l
            where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.record_id = v_key
                and l.id <= v_bound_id
                and (v_bound_xid is null
                    or not (l.transaction_id = v_bound_xid and l.created_at = v_bound_ts))
            order by l.id desc
        loop
            -- Below the first version, a row is this record's if it recorded the state that the
            -- version above it replaced (after a SNAPSHOT, whatever it was). Under a deferred
            -- unique key one transaction may hold two records on a key for a while, so a row
            -- that does not fit, or a deletion, may be another record's.
            if pg_catalog.cardinality(v_ids) > 0 and (v_row.action in ('DELETE', 'TRUNCATE')
                or (v_expect is not null and v_row.new_values <> v_expect
                    and not audit._is_same_record(v_row.new_values, v_expect, v_cfg.ignore_columns))) then
                -- In the transaction of the version above: another record's row.
                continue when v_row.transaction_id = v_kept_xid;
                -- In an earlier transaction: another record's too if this record was on the key
                -- when that transaction ended (its rows are then this record's only where they
                -- fit). Else a deletion is an earlier record's end, and any other row is this
                -- record's after changes the log does not have (auditing was off).
                if v_expect is not null and exists (
                    select from audit._state_at(v_cfg, v_key, 'infinity', greatest(v_row.id, (
                        select pg_catalog.max(d.id) from audit.logs as d
                        where d.table_name = v_cfg.log_table and d.old_record_id = v_key
                            and d.record_id <> v_key and d.schema_name = v_cfg.log_schema
                            and d.id > v_row.id and d.id <= v_bound_id
                            and d.transaction_id = v_row.transaction_id
                    ))) as s
                    where s.new_values = v_expect or audit._is_same_record(s.new_values, v_expect, v_cfg.ignore_columns)
                ) then
                    v_kept_xid := v_row.transaction_id;
                    continue;
                end if;
                exit walk when v_row.action in ('DELETE', 'TRUNCATE');
            end if;
            v_ids := v_ids || v_row.id;
            -- The first 1,000 versions are kept as they are walked; a longer history is read
            -- again by id at the end, so that memory stays bounded.
            if pg_catalog.cardinality(v_ids) <= 1000 then
                v_rows := v_rows || v_row;
            end if;
            exit walk when v_row.action = 'INSERT';
            v_kept_xid := v_row.transaction_id;
            v_expect := case v_row.action when 'DELETE' then v_row.old_values when 'TRUNCATE' then v_row.old_values
                when 'UPDATE' then v_row.new_values || v_row.old_values end;
            if v_row.old_record_id is not null and v_row.old_record_id <> v_key then
                v_key := v_row.old_record_id;
                v_bound_id := v_row.id - 1;
                v_bound_xid := v_row.transaction_id;
                v_bound_ts := v_row.created_at;
                v_switched := true;
                exit;
            end if;
        end loop;
        exit when not v_switched;
    end loop;

    if pg_catalog.cardinality(v_ids) <= 1000 then
        return query
        select l.id, l.action, l.created_at,
            pg_catalog.lead(l.created_at) over (order by l.id),
            l.new_values, l.changed_fields, l.actor_email, l.actor_type, l.actor_id, l.migration_name, l.transaction_id
        from pg_catalog.unnest(v_rows) as l
        order by l.id;
    else
        -- A longer history: every version read again by id, rather than all of them in memory.
        return query
        select l.id, l.action, l.created_at,
            pg_catalog.lead(l.created_at) over (order by l.id),
            l.new_values, l.changed_fields, l.actor_email, l.actor_type, l.actor_id, l.migration_name, l.transaction_id
        from audit.logs as l
        where l.id = any(v_ids)
        order by l.id;
    end if;
end
$$;
