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
    perform audit._check_horizon(ts, 'audit.table_at');
    -- Per key, its latest row (read in index order, no sort), unless that row ended the record or
    -- a later UPDATE of another transaction moved the record away from the key. Where the
    -- transaction of the latest row may have held two records on the key (a deferred unique key:
    -- a deletion right after another row of its transaction, or a later key change in the same
    -- transaction), audit._state_at works the key out.
    return query
    with a as (
        select distinct on (l.record_id) l.record_id, l.id, l.action, l.new_values, l.created_at, l.transaction_id
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.created_at <= ts
        order by l.record_id desc, l.id desc
    ),

    v as (
        select a.record_id, a.new_values,
            case when a.action in ('DELETE', 'TRUNCATE') then
                case when (
                    select p.transaction_id from audit.logs as p
                    where p.table_name = v_cfg.log_table and p.record_id = a.record_id
                        and p.schema_name = v_cfg.log_schema and p.id < a.id
                    order by p.id desc
                    limit 1
                ) = a.transaction_id then 'replay' else 'gone' end
            else
                -- NULL: no later departure; true: one of another transaction; false: only the same.
                case (
                    select pg_catalog.bool_or(d.transaction_id <> a.transaction_id) from audit.logs as d
                    where d.table_name = v_cfg.log_table and d.old_record_id = a.record_id
                        and d.record_id <> a.record_id and d.schema_name = v_cfg.log_schema
                        and d.created_at <= ts and d.created_at > a.created_at
                ) when true then 'gone' when false then 'replay' else 'here' end
            end as verdict
        from a
    )

    select v.record_id, v.new_values from v where v.verdict = 'here'
    union all
    select s.record_id, s.new_values
    from v cross join lateral audit._state_at(v_cfg, v.record_id, ts) as s
    where v.verdict = 'replay';
end
$$;
