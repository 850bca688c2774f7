-- Every record of table tbl that existed at ts, with its state then.
create or replace function audit.table_at(tbl regclass, ts timestamptz)
returns table (record_id text, state jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.table_at');
begin
    if ts is null then
        raise exception using errcode = '22004', message = 'audit.table_at: ts must not be NULL';
    end if;
    return query
    select z.k, z.new_values
    from (
        select distinct on (e.k) e.k, e.arrival, e.action, e.new_values
        from (
            select l.record_id as k, true as arrival, l.action, l.new_values, l.created_at, l.id
            from audit.logs as l
            where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.created_at <= ts
            union all
            select l.old_record_id, false, l.action, null, l.created_at, l.id
            from audit.logs as l
            where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.created_at <= ts
                and l.old_record_id is not null and l.old_record_id <> l.record_id
        ) as e
        order by e.k, e.created_at desc, e.arrival desc, e.id desc
    ) as z
    where z.arrival and z.action not in ('DELETE', 'TRUNCATE');
end
$$;
