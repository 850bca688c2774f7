-- The INSERT ... SELECT that writes log rows for one statement on relation p_relid.
-- p_op: INSERT, DELETE, UPDATE (rows paired by position in the transition tables, held in
-- arrays), UPDATE_LARGE (the same pairing by row_number, for statements too large for an array),
-- TRUNCATE (every row still in the relation) or SNAPSHOT (every row, at enable).
-- p_ctx holds ten SQL expressions, in log-column order: created_at, transaction_id, actor_email,
-- actor_type, actor_id, migration_name, context, db_user, application_name, client_addr.
-- Columns are those of the relation now; options come from audit.config of its audited root p_cfg.
create or replace function audit._capture_sql(p_relid oid, p_op text, p_cfg audit.config, p_ctx text[])
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cols text [];
    v_row text;
    v_rid text;
    v_newj text;
    v_nonnull text;
    v_changed text;
    v_unchanged text;
    v_oldj text;
    v_source text;
    v_head text;
    v_ctx text := pg_catalog.array_to_string(p_ctx, ', ');
begin
    -- Columns sorted by name (changed_fields is sorted), compared as C strings.
    select pg_catalog.array_agg(c.name order by c.name collate "C") into v_cols
    from audit._columns(p_relid) as c;

    v_head := format(
        'insert into audit.logs (created_at, transaction_id, actor_email, actor_type, actor_id, '
        'migration_name, context, db_user, application_name, client_addr, schema_name, table_name, '
        'record_id, old_record_id, action, old_values, new_values, changed_fields) select %s, %L, %L, ',
        v_ctx, p_cfg.log_schema, p_cfg.log_table
    );

    if p_op in ('INSERT', 'SNAPSHOT', 'DELETE', 'TRUNCATE') then
        v_row := case when p_op in ('INSERT', 'SNAPSHOT') then 'n' else 'o' end;
        -- The whole row as jsonb, redacted columns overwritten.
        v_newj := format('pg_catalog.to_jsonb(%s)', v_row);
        if pg_catalog.cardinality(p_cfg.redact_columns) > 0 then
            v_newj := v_newj || ' || pg_catalog.jsonb_build_object(' || (
                select pg_catalog.string_agg(format(
                    '%L, case when (%s).%I is null then null else ''[redacted]'' end', r, v_row, r
                ), ', ')
                from pg_catalog.unnest(p_cfg.redact_columns) as r
            ) || ')';
        end if;
        select format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(
            format('case when (%s).%I is not null then %L end', v_row, c, c), ', '
        ))
        into v_nonnull
        from pg_catalog.unnest(v_cols) as c;
        v_rid := audit._record_id_expr(p_relid, p_cfg.key_columns, v_row);
        v_source := case p_op
            when 'INSERT' then format('(select t::%s as n from audit_new as t) as s', p_relid::regclass)
            when 'DELETE' then format('(select t::%s as o from audit_old as t) as s', p_relid::regclass)
            when 'SNAPSHOT' then format('(select t as n from %s as t) as s', p_relid::regclass)
            else format('(select t as o from only %s as t) as s', p_relid::regclass)
        end;
        return v_head || format(
            '%s, null, %L, %s, %s, %s from %s',
            v_rid, case p_op when 'INSERT' then 'INSERT' when 'SNAPSHOT' then 'SNAPSHOT' else p_op end,
            case when v_row = 'o' then v_newj else 'null' end,
            case when v_row = 'n' then v_newj else 'null' end,
            v_nonnull, v_source
        );
    end if;

    if p_op not in ('UPDATE', 'UPDATE_LARGE') then
        raise exception 'audit._capture_sql: unknown operation %', p_op;
    end if;

    -- changed: names of the columns that differ; unchanged: the others (removed from old_values).
    select
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(
            format('case when %s then %L end', audit._distinct_expr('o', 'n', c.name, c.typid), c.name),
            ', ' order by c.name collate "C"
        )),
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(
            format('case when not (%s) then %L end', audit._distinct_expr('o', 'n', c.name, c.typid), c.name),
            ', ' order by c.name collate "C"
        ))
    into v_changed, v_unchanged
    from audit._columns(p_relid) as c;

    v_newj := 'pg_catalog.to_jsonb(n)';
    v_oldj := 'pg_catalog.to_jsonb(o)';
    if pg_catalog.cardinality(p_cfg.redact_columns) > 0 then
        select
            v_newj || ' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(format(
                '%L, case when (n).%I is null then null else ''[redacted]'' end', r, r
            ), ', ') || ')',
            v_oldj || ' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(format(
                '%L, case when (o).%I is null then null else ''[redacted]'' end', r, r
            ), ', ') || ')'
        into v_newj, v_oldj
        from pg_catalog.unnest(p_cfg.redact_columns) as r;
    end if;

    v_source := case p_op
        when 'UPDATE' then format(
            '(select pg_catalog.unnest(s.oa) as o, pg_catalog.unnest(s.na) as n from (select '
            '(select pg_catalog.array_agg(x::%1$s) from audit_old as x) as oa, '
            '(select pg_catalog.array_agg(y::%1$s) from audit_new as y) as na) as s) as z',
            p_relid::regclass)
        else format(
            '(select a.o, b.n from (select pg_catalog.row_number() over () as rn, x::%1$s as o from audit_old as x) as a '
            'full join (select pg_catalog.row_number() over () as rn, y::%1$s as n from audit_new as y) as b '
            'on a.rn operator(pg_catalog.=) b.rn) as z',
            p_relid::regclass)
    end;

    return v_head || format(
        'case when o is null or n is null then audit._fail(''XX000'', %L) else %s end, '
        'case when %s <> %s then %s end, ''UPDATE'', (%s) - w.unchanged, %s, w.changed '
        'from (select o, n, %s as changed, %s as unchanged from %s) as w where %s',
        format('audit: cannot pair the old and new rows of an UPDATE on %s', p_relid::regclass),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'n'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'n'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o'),
        v_oldj, v_newj, v_changed, v_unchanged, v_source,
        case when pg_catalog.cardinality(p_cfg.ignore_columns) = 0 then 'pg_catalog.cardinality(w.changed) > 0'
            else format('not (w.changed operator(pg_catalog.<@) %L::text[])', p_cfg.ignore_columns) end
    );
end
$$;
