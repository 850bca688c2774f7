-- The log row that gives record p_rid's state at p_ts, reading only log rows up to id p_upto (NULL:
-- all): the latest row that brought a record to the key (INSERT, SNAPSHOT, UPDATE, or
-- DELETE/TRUNCATE) or moved one away from it (an UPDATE that changed the key). Within one record
-- capture order decides; between an arrival and a departure at the same moment (a key shift, one
-- statement) the arrival wins. No row if none, or if that row ended the record at this key.
-- Under a deferred unique key one transaction may hold two records on the key for a while; where
-- the transaction of the last rows may have done so, audit._key_live replays it.
create or replace function audit._state_at(p_cfg audit.config, p_rid text, p_ts timestamptz, p_upto bigint default null)
returns setof audit.logs
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_upto bigint := coalesce(p_upto, 9223372036854775807);
    v_arrival audit.logs;
    v_departure audit.logs;
    v_prev_xid xid8;
begin
    -- The hot path (no bound) keeps its own queries, so that their cached plans stay as simple.
    if p_upto is null then
        select l.* into v_arrival
        from audit.logs as l
        where l.table_name = p_cfg.log_table and l.record_id = p_rid
            and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
        order by l.id desc
        limit 1;
    else
        select l.* into v_arrival
        from audit.logs as l
        where l.table_name = p_cfg.log_table and l.record_id = p_rid
            and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts and l.id <= p_upto
        order by l.id desc
        limit 1;
    end if;
    if v_arrival.id is null then
        return;
    end if;
    if v_arrival.action in ('DELETE', 'TRUNCATE') then
        -- The end of the record, unless its transaction had brought another record to the key
        -- before: then the row before it on the key is of the same transaction.
        select l.transaction_id into v_prev_xid
        from audit.logs as l
        where l.table_name = p_cfg.log_table and l.record_id = p_rid
            and l.schema_name = p_cfg.log_schema and l.id < v_arrival.id
        order by l.id desc
        limit 1;
        if v_prev_xid = v_arrival.transaction_id then
            return query select * from audit._key_live(p_cfg, p_rid, p_ts, v_upto);
        end if;
        return;
    end if;
    if p_upto is null then
        select l.* into v_departure
        from audit.logs as l
        where l.table_name = p_cfg.log_table and l.old_record_id = p_rid and l.record_id <> p_rid
            and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
        order by l.id desc
        limit 1;
    else
        select l.* into v_departure
        from audit.logs as l
        where l.table_name = p_cfg.log_table and l.old_record_id = p_rid and l.record_id <> p_rid
            and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts and l.id <= p_upto
        order by l.id desc
        limit 1;
    end if;
    -- A later departure in another transaction empties the key. One in the same transaction (a
    -- deferred unique key, or key changes over several statements) may have moved the record
    -- that arrived or another one: the transaction is replayed.
    if v_departure.id is not null and v_departure.created_at > v_arrival.created_at then
        if v_departure.transaction_id = v_arrival.transaction_id then
            return query select * from audit._key_live(p_cfg, p_rid, p_ts, v_upto);
        end if;
        return;
    end if;
    return next v_arrival;
end
$$;
