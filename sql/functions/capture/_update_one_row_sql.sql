-- The statement that logs an UPDATE of one row of relation p_relid (both transition tables hold
-- exactly one row, which the caller has checked): the two one-row tables side by side, and the
-- old values taken from the old row's jsonb minus its unchanged keys.
create or replace function audit._update_one_row_sql(
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
        p_old_values => p.old_values_from_row,
        p_changed_fields => p.changed_fields,
        p_select => 'oj, nj, ' || p.diffs,
        p_from => format(audit._layout(
            E'(select pg_catalog.to_jsonb(j.*) as oj, %s from audit_old as x %s) as o,\n'
            '        (select pg_catalog.to_jsonb(j.*) as nj, %s from audit_new as y %s) as n', p_indent),
            p.old_carriers, audit._lateral_joins_sql(p_relid, p_cfg, 'x', true),
            p.new_carriers, audit._lateral_joins_sql(p_relid, p_cfg, 'y', true)
        ),
        p_where => p.filter,
        p_indent => p_indent
    )
    from audit._update_pieces(p_relid, p_cfg) as p
$$;
