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
begin
    return query
    select (x.l).*
    from (
        select y.l, y.arrival
        from (
            (
                select l, true as arrival
                from audit.logs as l
                where l.table_name = p_cfg.log_table and l.record_id = p_rid
                    and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
                order by l.id desc
                limit 1
            )
            union all
            (
                select l, false as arrival
                from audit.logs as l
                where l.table_name = p_cfg.log_table and l.old_record_id = p_rid
                    and l.record_id <> p_rid
                    and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
                order by l.id desc
                limit 1
            )
        ) as y
        order by (y.l).created_at desc, y.arrival desc, (y.l).id desc
        limit 1
    ) as x
    where x.arrival and (x.l).action not in ('DELETE', 'TRUNCATE');
end
$$;
