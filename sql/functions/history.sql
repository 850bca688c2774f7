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
    v_arrival audit.logs;
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
            -- Under a deferred unique key one transaction may hold two records on a key for a
            -- while: below an arrival, skip the rows of its transaction that are another record.
            continue when v_arrival.id is not null and v_row.transaction_id = v_arrival.transaction_id
                and not audit._same_record(v_row.new_values, v_arrival.new_values || v_arrival.old_values,
                    v_cfg.ignore_columns);
            v_arrival := null;
            if v_row.action in ('DELETE', 'TRUNCATE') and pg_catalog.cardinality(v_ids) > 0 then
                exit walk;
            end if;
            v_ids := v_ids || v_row.id;
            -- The first 1,000 versions are kept as they are walked; a longer history is read
            -- again by id at the end, so that memory stays bounded.
            if pg_catalog.cardinality(v_ids) <= 1000 then
                v_rows := v_rows || v_row;
            end if;
            exit walk when v_row.action = 'INSERT';
            if v_row.old_record_id is not null and v_row.old_record_id <> v_key then
                v_key := v_row.old_record_id;
                v_bound_id := v_row.id - 1;
                v_bound_xid := v_row.transaction_id;
                v_bound_ts := v_row.created_at;
                v_arrival := v_row;
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
