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
    -- Per key, its latest row (read in index order, no sort), unless that row ended the record
    -- or a later UPDATE moved the record away from the key.
    return query
    select a.record_id, a.new_values
    from (
        select distinct on (l.record_id) l.record_id, l.action, l.new_values, l.created_at, l.transaction_id
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.created_at <= ts
        order by l.record_id desc, l.id desc
    ) as a
    where a.action not in ('DELETE', 'TRUNCATE')
        and not exists (
            select from audit.logs as d
            where d.table_name = v_cfg.log_table and d.old_record_id = a.record_id
                and d.record_id <> a.record_id and d.schema_name = v_cfg.log_schema
                and d.created_at <= ts and d.created_at > a.created_at
                and (d.transaction_id <> a.transaction_id
                    or audit._same_record(a.new_values, d.new_values || d.old_values, v_cfg.ignore_columns))
        );
end
$$;
