-- The INSERT ... SELECT that writes log rows for one statement on relation p_relid.
-- p_op: INSERT, DELETE, TRUNCATE (every row still in the relation), SNAPSHOT (every row, at
-- enable), or UPDATE_ONE, UPDATE, UPDATE_LARGE: the old and new rows of an UPDATE, paired by
-- their position in the transition tables (one row each; column arrays zipped by unnest; or a
-- join on row_number, for statements too large for arrays, to be planned per statement).
-- p_ctx holds ten SQL expressions, in log-column order: created_at, transaction_id, actor_email,
-- actor_type, actor_id, migration_name, context, db_user, application_name, client_addr.
-- Columns are those of the relation now; options come from p_cfg, the audited table's config.
create or replace function audit._capture_sql(p_relid oid, p_op text, p_cfg audit.config, p_ctx text[])
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rel text := p_relid::regclass::text;
    v_head text;
    v_json text;
    v_redact_x text := '';
    v_redact_y text := '';
    v_virtual text;
    v_nonnull text;
    v_changed text;
    v_unchanged text;
    v_old_cols text;
    v_new_cols text;
    v_old_aggs text;
    v_new_aggs text;
    v_unnest text;
    v_source text;
begin
    v_head := format(
        'insert into audit.logs (created_at, transaction_id, actor_email, actor_type, actor_id, '
        'migration_name, context, db_user, application_name, client_addr, schema_name, table_name, '
        'record_id, old_record_id, action, old_values, new_values, changed_fields) select %s, %L, %L, ',
        pg_catalog.array_to_string(p_ctx, ', '), p_cfg.log_schema, p_cfg.log_table
    );
    -- Redacted columns overwrite the row's jsonb: '[redacted]', or null for a NULL value. They must
    -- still exist: rather than store a renamed secret in clear, capture fails until audit.enable.
    perform audit._check_columns(p_relid, 'redact_columns (run audit.enable again after renaming)',
        p_cfg.redact_columns);
    perform audit._check_columns(p_relid, 'key_columns (run audit.enable again after renaming)',
        p_cfg.key_columns);
    -- Virtual generated columns (PostgreSQL 18): their expressions, over the row's other columns.
    select coalesce(' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(
        format('%L, %s', c.name, c.expr), ', ') || ')', '')
    into v_virtual
    from audit._columns(p_relid) as c
    where c.is_virtual;
    if pg_catalog.cardinality(p_cfg.redact_columns) > 0 then
        select
            ' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(format(
                '%L, case when x.%I is null then null else ''[redacted]'' end', r, r
            ), ', ') || ')',
            ' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(format(
                '%L, case when y.%I is null then null else ''[redacted]'' end', r, r
            ), ', ') || ')'
        into v_redact_x, v_redact_y
        from pg_catalog.unnest(p_cfg.redact_columns) as r;
    end if;

    if p_op in ('INSERT', 'SNAPSHOT', 'DELETE', 'TRUNCATE') then
        v_json := 'pg_catalog.to_jsonb(x.*)' || v_virtual || v_redact_x;
        select format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(
            -- (PostgreSQL 18 leaves virtual generated columns uncomputed in transition tables.)
            case when c.is_virtual
                then format('case when (%s) is not null then %L end', c.expr, c.name)
                else format('case when x.%I is not null then %L end', c.name, c.name)
            end, ', ' order by c.name collate "C"
        ))
        into v_nonnull
        from audit._columns(p_relid) as c;
        v_source := case p_op
            when 'INSERT' then 'audit_new as x'
            when 'DELETE' then 'audit_old as x'
            when 'SNAPSHOT' then v_rel || ' as x'
            else 'only ' || v_rel || ' as x'
        end;
        return v_head || format(
            '%s, null, %L, %s, %s, %s from %s',
            audit._record_id_expr(p_relid, p_cfg.key_columns, 'x.%1$s'),
            p_op,
            case when p_op in ('DELETE', 'TRUNCATE') then v_json else 'null' end,
            case when p_op in ('INSERT', 'SNAPSHOT') then v_json else 'null' end,
            v_nonnull, v_source
        );
    end if;

    if p_op not in ('UPDATE_ONE', 'UPDATE', 'UPDATE_LARGE') then
        raise exception 'audit._capture_sql: unknown operation %', p_op;
    end if;

    -- Old and new rows become columns o1..oN / n1..nN (text for types compared as text); changed
    -- names the columns that differ, and oldv builds old_values from just those columns.
    select
        pg_catalog.string_agg(format('%s as o%s', audit._carrier('x', c.name, c.typid, c.expr), c.pos),
            ', ' order by c.pos),
        pg_catalog.string_agg(format('%s as n%s', audit._carrier('y', c.name, c.typid, c.expr), c.pos),
            ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as o%s',
            audit._carrier('x', c.name, c.typid, c.expr), c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as n%s',
            audit._carrier('y', c.name, c.typid, c.expr), c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format(
            'pg_catalog.unnest(a.o%1$s) as o%1$s, pg_catalog.unnest(b.n%1$s) as n%1$s', c.pos
        ), ', ' order by c.pos),
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(format(
            'case when %s then %L end', audit._distinct_expr('o' || c.pos, 'n' || c.pos, c.typid), c.name
        ), ', ' order by c.name collate "C")),
        format('(''{'' || pg_catalog.concat_ws('','', %s) || ''}'')::jsonb', pg_catalog.string_agg(format(
            'case when %s then %L || %s end',
            audit._distinct_expr('o' || c.pos, 'n' || c.pos, case when c.is_virtual then 'text'::regtype else c.typid end),
            pg_catalog.to_json(c.name)::text || ':',
            case
                when c.name = any(p_cfg.redact_columns)
                    then format('case when o%s is null then ''null'' else ''"[redacted]"'' end', c.pos)
                when audit._as_text(c.typid) or c.is_virtual
                    then format('coalesce(pg_catalog.to_json(o%s::%s)::text, ''null'')', c.pos,
                        pg_catalog.format_type(c.typid, null))
                else format('coalesce(pg_catalog.to_json(o%s)::text, ''null'')', c.pos)
            end
        ), ', ' order by c.pos))
    into v_old_cols, v_new_cols, v_old_aggs, v_new_aggs, v_unnest, v_changed, v_unchanged
    from (
        select x.name, x.typid, x.is_virtual, x.expr, pg_catalog.row_number() over () as pos
        from audit._columns(p_relid) as x
    ) as c;

    -- Rows are paired by their position in the transition tables; op and np mark each side, so
    -- that a row without a partner fails the statement rather than go unlogged.
    v_source := case p_op
        when 'UPDATE_ONE' then format(
            '(select true as op, %s from audit_old as x) as o, '
            '(select true as np, pg_catalog.to_jsonb(y.*)%s as nj, %s from audit_new as y) as n',
            v_old_cols, v_virtual || v_redact_y, v_new_cols)
        when 'UPDATE' then format(
            '(select pg_catalog.unnest(a.op) as op, pg_catalog.unnest(b.np) as np, pg_catalog.unnest(b.nj) as nj, '
            '%s from (select pg_catalog.array_agg(true) as op, %s from audit_old as x) as a, '
            '(select pg_catalog.array_agg(true) as np, pg_catalog.array_agg(pg_catalog.to_jsonb(y.*)%s) as nj, %s '
            'from audit_new as y) as b) as z',
            v_unnest, v_old_aggs, v_virtual || v_redact_y, v_new_aggs)
        else format(
            '(select pg_catalog.row_number() over () as rn, true as op, %s from audit_old as x) as o '
            'full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(y.*)%s as nj, %s '
            'from audit_new as y) as n on o.rn operator(pg_catalog.=) n.rn',
            v_old_cols, v_virtual || v_redact_y, v_new_cols)
    end;

    return v_head || format(
        'case when w.op is null or w.np is null then audit._fail(''XX000'', %L) else w.rid end, '
        'case when w.old_rid <> w.rid then w.old_rid end, ''UPDATE'', w.oldv, w.nj, w.changed '
        'from (select op, np, nj, %s as rid, %s as old_rid, %s as changed, %s as oldv from %s offset 0) as w '
        'where %s',
        format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o%2$s::%3$s'),
        v_changed, v_unchanged, v_source,
        case when pg_catalog.cardinality(p_cfg.ignore_columns) = 0 then 'pg_catalog.cardinality(w.changed) > 0'
            else format('not (w.changed operator(pg_catalog.<@) %L::text[])', p_cfg.ignore_columns) end
    );
end
$$;
