-- The statement that logs an UPDATE of any number of rows of relation p_relid, run by EXECUTE so
-- that it is planned for the statement's size: old and new rows numbered and joined on their
-- position. Each side is marked (op, np), so that a row without a partner (the two tables hold
-- different numbers of rows) fails the statement rather than go unlogged or pair wrongly.
create or replace function audit._update_join_sql(
    p_relid oid, p_cfg audit.config, p_ctx text, p_indent integer default 0
)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select audit._update_statement_sql(
        p_head => audit._log_insert_sql(p_relid, p_cfg, p_ctx, p_indent),
        p_record_id => format('case when d.op is null or d.np is null then audit._fail(''XX000'', %L) else %s end',
            format('audit: cannot pair the old and new rows of an UPDATE on %s', p_relid::regclass), p.record_id),
        p_new_key => p.record_id,
        p_old_key => p.old_record_id,
        p_old_values => p.old_values,
        p_changed_fields => p.changed_fields,
        p_select => 'op, np, nj, ' || p.diffs,
        p_from => format(audit._layout(
            E'(select pg_catalog.row_number() over () as rn, true as op, %s from audit_old as x %s) as o\n'
            '    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, %s\n'
            '        from audit_new as y %s) as n on o.rn operator(pg_catalog.=) n.rn', p_indent),
            p.old_carriers, audit._lateral_joins_sql(p_relid, p_cfg, 'x', false),
            p.new_carriers, audit._lateral_joins_sql(p_relid, p_cfg, 'y', true)
        ),
        p_where => 'd.op is null or d.np is null or ' || p.filter,
        p_indent => p_indent
    )
    from audit._update_pieces(p_relid, p_cfg) as p
$$;
