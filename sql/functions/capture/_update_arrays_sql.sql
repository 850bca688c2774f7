-- The statement that logs an UPDATE of a few rows of relation p_relid (both transition tables
-- hold the same number, which the caller has checked): each column of each table aggregated into
-- an array, and the arrays zipped back into pairs by unnest, so that rows pair by their position
-- with no join to plan.
create or replace function audit._update_arrays_sql(
    p_relid oid, p_cfg audit.config, p_ctx text, p_indent integer default 0
)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select audit._update_statement_sql(
        p_head => audit._log_insert_sql(p_relid, p_cfg, p_ctx, p_indent),
        p_record_id => p.record_id,
        p_new_key => p.record_id,
        p_old_key => p.old_record_id,
        p_old_values => p.old_values,
        p_changed_fields => p.changed_fields,
        p_select => 'nj, ' || p.diffs,
        p_from => format(audit._layout(
            E'(\n        select pg_catalog.unnest(b.nj) as nj, %s\n'
            '        from (select %s from audit_old as x %s) as a,\n'
            '            (select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, %s from audit_new as y %s) as b\n'
            '    ) as z', p_indent),
            p.unnested,
            p.old_arrays, audit._lateral_joins_sql(p_relid, p_cfg, 'x', false),
            p.new_arrays, audit._lateral_joins_sql(p_relid, p_cfg, 'y', true)
        ),
        p_where => p.filter,
        p_indent => p_indent
    )
    from audit._update_pieces(p_relid, p_cfg) as p
$$;
