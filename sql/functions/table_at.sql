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

-- Every record of table tbl whose state at ts contains filter (jsonb @>, as in
-- '{"user_id": 98}'), with its state then; a NULL filter takes every record. A record's state at
-- ts is the new values of one of its log rows up to ts, so the records that match then are among
-- those with a log row that matches: with a lookup column in the filter (audit._lookup_columns),
-- those rows come from its index, and each of their records is read at ts; without one, the whole
-- table is read at ts and filtered.
create or replace function audit.table_at(tbl regclass, ts timestamptz, filter jsonb)
returns table (record_id text, state jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.table_at');
    v_indexed text [];
    v_bad text;
    v_keys text [];
begin
    if ts is null then
        raise exception using errcode = '22004', message = 'audit.table_at: ts must not be NULL';
    end if;
    if filter is null then
        return query select t.record_id, t.state from audit.table_at(tbl, ts) as t;
        return;
    end if;
    if pg_catalog.jsonb_typeof(filter) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('audit.table_at: filter must be a jsonb object of column values, not %s',
                audit._shown(filter::text)),
            hint = 'For example ''{"user_id": 98}''::jsonb.';
    end if;
    select k into v_bad from pg_catalog.jsonb_object_keys(filter) as k
    where k not in (select c.name from audit._columns(tbl) as c) and k <> all(v_cfg.columns)
    limit 1;
    if found then
        raise exception using
            errcode = '42703',
            message = format('audit.table_at: filter names column %s, which table %s does not have',
                audit._shown(quote_ident(v_bad)), tbl);
    end if;
    v_indexed := array(
        select k from pg_catalog.jsonb_object_keys(filter) as k
        where k = any(audit._lookup_columns(v_cfg))
        order by k
    );
    if pg_catalog.cardinality(v_indexed) = 0 then
        return query select t.record_id, t.state from audit.table_at(tbl, ts) as t where t.state @> filter;
        return;
    end if;
    -- Planned per call, with the table's names as literals: the lookup indexes are partial on them.
    execute format(
        'select pg_catalog.array_agg(distinct l.record_id) from audit.logs as l '
        'where l.schema_name = %L and l.table_name = %L and l.created_at <= $1 and %s',
        v_cfg.log_schema, v_cfg.log_table,
        (
            select pg_catalog.string_agg(format('(l.new_values operator(pg_catalog.->) %L) '
                'operator(pg_catalog.=) %L::jsonb', k, filter -> k), ' and ')
            from pg_catalog.unnest(v_indexed) as k
        )
    ) into v_keys using ts;
    return query
    select s.record_id, s.new_values
    from pg_catalog.unnest(v_keys) as k (rid)
    cross join lateral audit._state_at(v_cfg, k.rid, ts) as s
    where s.new_values @> filter;
end
$$;
