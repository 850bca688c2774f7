-- The log row of the record on key p_rid at p_ts (log rows up to id p_upto) when the last rows on
-- the key are of one transaction that may have held two records on it (a deferred unique key):
-- that transaction's rows on the key are replayed over the records it held. A row that
-- updated, moved away or deleted a record is matched to the live record whose state it recorded
-- as the previous one (audit._is_same_record), else to the record that was on the key before the
-- transaction. Of the records left, the one touched last; if only the record from before is
-- left, the answer at the transaction's start. Rows of one statement: departures and deletions
-- first (they can only take records that were there before the statement), arrivals last.
create or replace function audit._key_live(
    p_cfg audit.config, p_rid text, p_ts timestamptz, p_upto bigint
)
returns setof audit.logs
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_row audit.logs;
    v_xid xid8;
    v_rows audit.logs [] := '{}'::audit.logs [];
    v_anchor bigint;
    v_states jsonb [] := '{}'::jsonb [];
    v_logs audit.logs [] := '{}'::audit.logs [];
    v_prior boolean := true;
    v_prev jsonb;
    v_i int;
    v_n int;
begin
    -- The rows on the key (arrivals, changes, deletions, departures) of the transaction of the
    -- latest one, newest first, up to the first row of another transaction.
    for v_row in
        select u.*
        from (
            select l.* from audit.logs as l
            where l.table_name = p_cfg.log_table and l.record_id = p_rid and l.schema_name = p_cfg.log_schema
                and l.created_at <= p_ts and l.id <= p_upto
            union all
            select l.* from audit.logs as l
            where l.table_name = p_cfg.log_table and l.old_record_id = p_rid and l.record_id <> p_rid
                and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts and l.id <= p_upto
        ) as u
        order by u.id desc
    loop
        v_xid := coalesce(v_xid, v_row.transaction_id);
        if v_row.transaction_id <> v_xid then
            v_anchor := v_row.id;
            exit;
        end if;
        v_rows := v_rows || v_row;
    end loop;

    for v_row in
        select r.* from pg_catalog.unnest(v_rows) as r
        order by r.created_at,
            case when r.action in ('DELETE', 'TRUNCATE') or r.record_id <> p_rid then 0
                when r.action = 'UPDATE' and coalesce(r.old_record_id, p_rid) = p_rid then 1
                else 2 end,
            r.id
    loop
        if v_row.action in ('INSERT', 'SNAPSHOT')
            or (v_row.record_id = p_rid and coalesce(v_row.old_record_id, p_rid) <> p_rid) then
            -- A record arrives. A SNAPSHOT says what the key held, whatever came before.
            if v_row.action = 'SNAPSHOT' then
                v_states := '{}'::jsonb [];
                v_logs := '{}'::audit.logs [];
                v_prior := false;
            end if;
            v_states := v_states || v_row.new_values;
            v_logs := v_logs || v_row;
            continue;
        end if;
        -- A change, a departure or a deletion of one live record: the one whose state it recorded.
        v_prev := case when v_row.action in ('DELETE', 'TRUNCATE') then v_row.old_values
            else v_row.new_values || v_row.old_values end;
        v_i := null;
        for v_j in reverse pg_catalog.cardinality(v_states)..1 loop
            if audit._is_same_record(v_states[v_j], v_prev, p_cfg.ignore_columns) then
                v_i := v_j;
                exit;
            end if;
        end loop;
        if v_i is null and v_prior then
            v_prior := false;
        elsif v_i is null then
            v_i := pg_catalog.cardinality(v_states);
        end if;
        if v_i > 0 then
            v_states := v_states[:v_i - 1] || v_states[v_i + 1:];
            v_logs := v_logs[:v_i - 1] || v_logs[v_i + 1:];
        end if;
        if v_row.record_id = p_rid and v_row.action = 'UPDATE' then
            v_states := v_states || v_row.new_values;
            v_logs := v_logs || v_row;
        end if;
    end loop;

    v_n := pg_catalog.cardinality(v_logs);
    if v_n > 0 then
        return next v_logs[v_n];
    elsif v_prior and v_anchor is not null then
        return query select * from audit._state_at(p_cfg, p_rid, p_ts, v_anchor);
    end if;
end
$$;
