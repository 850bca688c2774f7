-- Every record of table tbl that existed at ts, with its state then. Reading every key sorts the
-- table's log rows (record, then capture order): its own work_mem of 64 MB keeps the sort of
-- about 400,000 of them in memory (a 100,000-record table read in half the time of 4 MB's).
create or replace function audit.table_at(tbl regclass, ts timestamptz)
returns table (record_id text, state jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set work_mem = '64MB'
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.table_at');
begin
    if ts is null then
        raise exception using errcode = '22004', message = 'audit.table_at: ts must not be NULL';
    end if;
    perform audit._check_horizon(ts, 'audit.table_at');
    return query execute audit._table_at_query(false) using v_cfg.log_table, v_cfg.log_schema, ts, v_cfg;
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
set work_mem = '64MB'
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
    perform audit._check_horizon(ts, 'audit.table_at');
    if filter is null then
        return query execute audit._table_at_query(false) using v_cfg.log_table, v_cfg.log_schema, ts, v_cfg;
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
    where k <> all(v_cfg.columns) and not exists (
        select from pg_catalog.pg_attribute as a
        where a.attrelid = tbl and a.attname = k and a.attnum > 0 and not a.attisdropped
    )
    limit 1;
    if found then
        raise exception using
            errcode = '42703',
            message = format('audit.table_at: filter names column %s, which table %s does not have',
                audit._shown(quote_ident(v_bad)), tbl);
    end if;
    -- A lookup index finds equal values: it serves a filter's scalar values (a number, a string,
    -- true, null), not an array or object, which match by containment. An index missing (one the
    -- upgrade from 0.2.0 has not built yet for a composite key) serves nothing.
    v_indexed := array(
        select k from pg_catalog.jsonb_object_keys(filter) as k
        where k = any(audit._lookup_columns(v_cfg))
            and pg_catalog.jsonb_typeof(filter -> k) not in ('array', 'object')
            and pg_catalog.to_regclass(
                'audit.' || audit._lookup_index_name(v_cfg.log_schema, v_cfg.log_table, k)
            ) is not null
        order by k
    );
    if pg_catalog.cardinality(v_indexed) = 0 then
        return query execute format(
            'select t.record_id, t.new_values from (%s) as t where t.new_values operator(pg_catalog.@>) $5',
            audit._table_at_query(false)
        ) using v_cfg.log_table, v_cfg.log_schema, ts, v_cfg, filter;
        return;
    end if;
    -- Planned per call, with the table's names as literals: the lookup indexes are partial on them.
    -- The moment is applied above the scan of the lookup indexes (OFFSET 0 keeps it there): the
    -- planner, which has no statistics of a partial index's expression, would otherwise AND in the
    -- BRIN index on created_at, whose bitmap of every log row before the moment cost more than the
    -- lookup itself (4 of 9 ms on a 3.7M-row log).
    execute format(
        'select pg_catalog.array_agg(distinct c.record_id) from ('
        'select l.record_id, l.created_at from audit.logs as l '
        'where l.schema_name = %L and l.table_name = %L and %s offset 0) as c '
        'where c.created_at operator(pg_catalog.<=) $1',
        v_cfg.log_schema, v_cfg.log_table,
        (
            select pg_catalog.string_agg(format('(l.new_values operator(pg_catalog.->) %L) '
                'operator(pg_catalog.=) %L::jsonb', k, filter -> k), ' and ')
            from pg_catalog.unnest(v_indexed) as k
        )
    ) into v_keys using ts;
    return query execute format(
        'select t.record_id, t.new_values from (%s) as t where t.new_values operator(pg_catalog.@>) $6',
        audit._table_at_query(true)
    ) using v_cfg.log_table, v_cfg.log_schema, ts, v_cfg, v_keys, filter;
end
$$;
