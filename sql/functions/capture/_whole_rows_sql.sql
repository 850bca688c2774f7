-- The statement that logs whole rows of relation p_relid, one log row each, with action p_action:
-- INSERT (the rows of audit_new) and SNAPSHOT (the relation's, its partitions' included) log the row
-- as new_values; DELETE (audit_old) and TRUNCATE (the rows in ONLY the relation) as old_values.
-- The rows are aliased x. changed_fields lists the row's non-null
-- columns. Columns are those of the relation now; options come from p_cfg, the audited table's
-- configuration; the context is read from p_ctx, and lines are indented by p_indent spaces
-- (audit._log_insert_sql).
create or replace function audit._whole_rows_sql(
    p_relid oid, p_cfg audit.config, p_ctx text, p_action text, p_indent integer default 0
)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_row_json constant text := 'pg_catalog.to_jsonb(j.*)';
    v_is_new boolean := p_action in ('INSERT', 'SNAPSHOT');
    v_nonnull text;
begin
    if p_action not in ('INSERT', 'SNAPSHOT', 'DELETE', 'TRUNCATE') then
        raise exception 'audit._whole_rows_sql: % is not an action that logs whole rows', p_action;
    end if;
    -- The non-null columns, sorted. A row without NULLs (the common case) takes the constant list
    -- of all columns, which costs less than building and filtering an array per row. (IS NOT NULL
    -- of a composite value is false when one of its fields is NULL: num_nulls asks whether the
    -- value itself is NULL.)
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

    return audit._log_insert_sql(p_relid, p_cfg, p_ctx, p_indent) || format(audit._layout(
        E'\n    %s, null, %L,\n    %s, %s,\n    %s\nfrom %s as x %s', p_indent),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'x'),
        p_action,
        case when v_is_new then 'null' else v_row_json end,
        case when v_is_new then v_row_json else 'null' end,
        v_nonnull,
        case p_action
            when 'INSERT' then 'audit_new'
            when 'DELETE' then 'audit_old'
            when 'SNAPSHOT' then p_relid::regclass::text
            else 'only ' || p_relid::regclass::text
        end,
        audit._lateral_joins_sql(p_relid, p_cfg, 'x', true)
    );
end
$$;
