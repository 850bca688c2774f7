-- The log row that gives record p_rid's state at p_ts: the latest row that brought a record to the
-- key (INSERT, SNAPSHOT, UPDATE, or DELETE/TRUNCATE) or moved one away from it (an UPDATE that
-- changed the key). Within one record capture order decides; between an arrival and a departure
-- at the same moment (a key shift, one statement) the arrival wins. No row if none, or if that
-- row ended the record at this key.
create or replace function audit._state_at(p_cfg audit.config, p_rid text, p_ts timestamptz)
returns setof audit.logs
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_arrival audit.logs;
    v_departure audit.logs;
begin
    select l.* into v_arrival
    from audit.logs as l
    where l.table_name = p_cfg.log_table and l.record_id = p_rid
        and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
    order by l.id desc
    limit 1;
    if not found or v_arrival.action in ('DELETE', 'TRUNCATE') then
        return;
    end if;
    select l.* into v_departure
    from audit.logs as l
    where l.table_name = p_cfg.log_table and l.old_record_id = p_rid and l.record_id <> p_rid
        and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
    order by l.id desc
    limit 1;
    -- A later departure empties the key if it moved the record that arrived: always so across
    -- transactions; within one (a deferred unique key) only if it is that record.
    if found and v_departure.created_at > v_arrival.created_at
        and (v_departure.transaction_id <> v_arrival.transaction_id
            or audit._same_record(v_arrival.new_values, v_departure.new_values || v_departure.old_values,
                p_cfg.ignore_columns)) then
        return;
    end if;
    return next v_arrival;
end
$$;
