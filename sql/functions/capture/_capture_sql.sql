-- The INSERT ... SELECT that writes log rows for one statement on relation p_relid.
-- p_op: INSERT, DELETE, TRUNCATE (every row still in the relation), SNAPSHOT (every row, at
-- enable), ABSENT (records the log holds as present that the relation no longer has: they went
-- while auditing was off, and are logged as deleted, with their last logged state as old values),
-- or UPDATE_ONE, UPDATE, UPDATE_LARGE: the old and new rows of an UPDATE, paired by
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
    v_json_x text;
    v_json_y text;
    v_virt_x text;
    v_nonnull text;
    v_changed text;
    v_oldv text;
    v_oldv_one text;
    v_pairs text;
    v_filter text;
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
    -- still be the columns audit.enable saw: rather than store a renamed secret in clear, or log
    -- records under another column's values, capture fails until audit.enable runs again.
    perform audit._check_config_columns(p_cfg);
    -- Nor does capture evaluate an expression that another role can define.
    perform audit._check_virtual_columns(p_relid);
    if p_op = 'ABSENT' then
        return v_head || format(
            't.record_id, null, ''DELETE'', t.state, null, '
            'array(select k from pg_catalog.jsonb_each(t.state) as e (k, v) '
            'where v operator(pg_catalog.<>) ''null'' order by k collate "C") '
            'from audit.table_at(%L, pg_catalog.clock_timestamp()) as t '
            'where t.record_id not in (select %s from %s as x)',
            v_rel, audit._record_id_expr(p_relid, p_cfg.key_columns, 'x.%1$s'), v_rel
        );
    end if;
    v_json_x := audit._lateral_joins_sql(p_relid, p_cfg, 'x', true);
    v_json_y := audit._lateral_joins_sql(p_relid, p_cfg, 'y', true);
    v_virt_x := audit._lateral_joins_sql(p_relid, p_cfg, 'x', false);

    if p_op in ('INSERT', 'SNAPSHOT', 'DELETE', 'TRUNCATE') then
        v_json := 'pg_catalog.to_jsonb(j.*)';
        -- The non-null columns, sorted. A row without NULLs (the common case) takes the constant
        -- list of all columns, which costs less than building and filtering an array per row.
        -- (IS NOT NULL of a composite value is false when one of its fields is NULL: num_nulls
        -- asks whether the value itself is NULL.)
        select format('case when %s then %L::text[] else pg_catalog.array_remove(array[%s]::text[], null) end',
            pg_catalog.string_agg(v.nonnull, ' and ' order by c.pos),
            pg_catalog.array_agg(c.name order by c.name collate "C"),
            pg_catalog.string_agg(format('case when %s then %L end', v.nonnull, c.name),
                ', ' order by c.name collate "C"))
        into v_nonnull
        from audit._columns(p_relid) as c
        cross join lateral (
            select case when c.is_virtual then 'v.v' || c.pos else format('x.%I', c.name) end as val
        ) as w
        cross join lateral (
            select case
                when not c.trusted or exists (
                    select from pg_catalog.pg_type as t
                    where t.oid = pg_catalog.to_regtype(c.cast_type) and t.typtype = 'c'
                ) then format('pg_catalog.num_nulls(%s) operator(pg_catalog.=) 0', w.val)
                else format('%s is not null', w.val)
            end as nonnull
        ) as v;
        v_source := case p_op
            when 'INSERT' then 'audit_new as x'
            when 'DELETE' then 'audit_old as x'
            when 'SNAPSHOT' then v_rel || ' as x'
            else 'only ' || v_rel || ' as x'
        end || ' ' || v_json_x;
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

    -- Old and new rows become columns o1..oN / n1..nN (text for types compared as text), and dK
    -- says whether column K differs: computed once per row, then used for changed_fields, for
    -- old_values and for the filter. One-row statements take old_values from the old row's jsonb
    -- minus the unchanged keys: far fewer expressions to set up, which is what a one-row statement
    -- pays for (the set-up is per statement, and the work is per row).
    select
        pg_catalog.string_agg(format('%s as o%s', r.old_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('%s as n%s', r.new_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as o%s', r.old_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as n%s', r.new_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format(
            'pg_catalog.unnest(a.o%1$s) as o%1$s, pg_catalog.unnest(b.n%1$s) as n%1$s', c.pos
        ), ', ' order by c.pos),
        pg_catalog.string_agg(format('o%1$s, n%1$s, %2$s as d%1$s', c.pos, audit._distinct_expr(
            'o' || c.pos, 'n' || c.pos, case
                when not c.trusted then 'pg_catalog.jsonb'::regtype
                when c.is_virtual then 'text'::regtype
                else c.typid
            end
        )), ', ' order by c.pos),
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(format(
            'case when d%s then %L end', c.pos, c.name
        ), ', ' order by c.name collate "C")),
        -- (array_to_string skips NULLs like concat_ws, and takes more than 100 columns.)
        format('(''{'' || pg_catalog.array_to_string(array[%s]::text[], '','') || ''}'')::jsonb',
            pg_catalog.string_agg(format(
            'case when d%s then %L || %s end',
            c.pos,
            pg_catalog.to_json(c.name)::text || ':',
            case
                when c.name = any(p_cfg.redact_columns)
                    then format('case when o%s is null then ''null'' else ''"[redacted]"'' end', c.pos)
                when audit._compares_as_text(c.typid) or c.is_virtual
                    then format('coalesce(pg_catalog.to_json(o%s::%s)::text, ''null'')', c.pos, c.cast_type)
                else format('coalesce(pg_catalog.to_json(o%s)::text, ''null'')', c.pos)
            end
        ), ', ' order by c.pos)),
        format('oj operator(pg_catalog.-) pg_catalog.array_remove(array[%s]::text[], null)',
            pg_catalog.string_agg(format('case when not d%s then %L end', c.pos, c.name), ', ' order by c.pos)),
        coalesce(pg_catalog.string_agg(format('d%s', c.pos), ' or ' order by c.pos)
            filter (where not c.name = any(p_cfg.ignore_columns)), 'false')
    into v_old_cols, v_new_cols, v_old_aggs, v_new_aggs, v_unnest, v_pairs, v_changed, v_oldv, v_oldv_one,
        v_filter
    from audit._columns(p_relid) as c
    cross join lateral (
        select
            audit._pairing_value_expr('x', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end) as old_carrier,
            audit._pairing_value_expr('y', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end) as new_carrier
    ) as r;

    -- Rows are paired by their position in the transition tables. The one-row and array paths run
    -- only when both tables hold the same number of rows; the join of large statements marks each
    -- side (op, np), so that a row without a partner fails the statement rather than go unlogged.
    v_source := case p_op
        when 'UPDATE_ONE' then format(
            '(select pg_catalog.to_jsonb(j.*) as oj, %s from audit_old as x %s) as o, '
            '(select pg_catalog.to_jsonb(j.*) as nj, %s from audit_new as y %s) as n',
            v_old_cols, v_json_x, v_new_cols, v_json_y)
        when 'UPDATE' then format(
            '(select pg_catalog.unnest(b.nj) as nj, '
            '%s from (select %s from audit_old as x %s) as a, '
            '(select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, %s '
            'from audit_new as y %s) as b) as z',
            v_unnest, v_old_aggs, v_virt_x, v_new_aggs, v_json_y)
        else format(
            '(select pg_catalog.row_number() over () as rn, true as op, %s from audit_old as x %s) as o '
            'full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, %s '
            'from audit_new as y %s) as n on o.rn operator(pg_catalog.=) n.rn',
            v_old_cols, v_virt_x, v_new_cols, v_json_y)
    end;

    return v_head || format(
        '%s, case when %s <> %s then %s end, ''UPDATE'', %s, d.nj, %s '
        'from (select %snj, %s from %s offset 0) as d where %s',
        case when p_op = 'UPDATE_LARGE'
            then format('case when d.op is null or d.np is null then audit._fail(''XX000'', %L) else %s end',
                format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel),
                audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s', true))
            else audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s', true)
        end,
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o%2$s::%3$s', true),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s', true),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o%2$s::%3$s', true),
        case when p_op = 'UPDATE_ONE' then v_oldv_one else v_oldv end,
        v_changed,
        case p_op when 'UPDATE_ONE' then 'oj, ' when 'UPDATE_LARGE' then 'op, np, ' else '' end,
        v_pairs, v_source,
        case when p_op = 'UPDATE_LARGE' then format('d.op is null or d.np is null or %s', v_filter)
            else v_filter end
    );
end
$$;
