-- Makes the lookup indexes of audited table p_cfg those audit._lookup_columns names: one partial
-- index of audit.logs per column, on (new_values -> column), over that table's log rows that hold
-- the column only. Each carries as its comment the jsonb array [log schema, log table, column], by which a later call
-- finds those that are no longer wanted. Only where something changes does it lock the log
-- (audit._lock_log: the audited tables, then the log): building an index holds audited writes for
-- as long as the build reads the log.
create or replace function audit._sync_lookup_indexes(p_cfg audit.config)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_want text [] := audit._lookup_columns(p_cfg);
    v_name text;
    v_column text;
begin
    for v_name in
        select c.relname::text
        from pg_catalog.pg_index as i
        inner join pg_catalog.pg_class as c on i.indexrelid = c.oid
        inner join pg_catalog.pg_description as d
            on d.objoid = c.oid and d.classoid = 'pg_catalog.pg_class'::regclass and d.objsubid = 0
        where i.indrelid = 'audit.logs'::regclass and c.relname like 'logs\_lookup\_%'
            and (case when d.description like '["%"]' then d.description::jsonb end) - 2
            = pg_catalog.jsonb_build_array(p_cfg.log_schema, p_cfg.log_table)
            and not (d.description::jsonb ->> 2) = any(v_want)
    loop
        perform audit._lock_log('access exclusive');
        execute format('drop index audit.%I', v_name);
    end loop;
    foreach v_column in array v_want loop
        v_name := audit._lookup_index_name(p_cfg.log_schema, p_cfg.log_table, v_column);
        continue when pg_catalog.to_regclass(format('audit.%I', v_name)) is not null;
        if not pg_catalog.pg_has_role(
            (select c.relowner from pg_catalog.pg_class as c where c.oid = 'audit.logs'::regclass), 'usage'
        ) then
            raise exception using
                errcode = '42501',
                message = format('audit: lookup column %s of table %s needs an index on audit.logs, which only '
                    'the owner of audit.logs (%s) can create', quote_ident(v_column), p_cfg.relid,
                    (select c.relowner::regrole from pg_catalog.pg_class as c where c.oid = 'audit.logs'::regclass)),
                hint = 'Run audit.enable as the package''s owner.';
        end if;
        perform audit._lock_log('share');
        -- Only the rows that hold the column (not DELETE rows, whose new_values are NULL): a filter's
        -- equality on the column implies the predicate. No INCLUDE columns, so that btree
        -- deduplicates a value many rows share (a status): the candidates' few heap rows give the
        -- record and the moment.
        execute format(
            'create index %I on audit.logs ((new_values -> %L)) '
            'where schema_name = %L and table_name = %L and (new_values -> %L) is not null',
            v_name, v_column, p_cfg.log_schema, p_cfg.log_table, v_column
        );
        execute format('comment on index audit.%I is %L', v_name,
            pg_catalog.jsonb_build_array(p_cfg.log_schema, p_cfg.log_table, v_column)::text);
    end loop;
end
$$;
