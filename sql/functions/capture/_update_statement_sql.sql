-- The statement that logs an UPDATE, from its parts: p_head (audit._log_insert_sql), the logged
-- record_id (the new key, or an expression that fails first), the new and old keys (old_record_id
-- is the old key where it differs), the old values, changed_fields, and the derived table d that pairs each old row with
-- its new row: its SELECT list p_select (the carriers and diffs of audit._update_pieces, and nj,
-- the new row's jsonb) over p_from. A pair is logged where p_where holds. OFFSET 0 keeps d a
-- subquery, so that each diff is computed once per pair. Lines are indented by p_indent spaces.
create or replace function audit._update_statement_sql(
    p_head text, p_record_id text, p_new_key text, p_old_key text, p_old_values text, p_changed_fields text,
    p_select text, p_from text, p_where text, p_indent integer
)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select p_head || format(audit._layout(
        E'\n    %s,\n    case when %s <> %s then %s end,\n    ''UPDATE'', %s, d.nj,\n    %s\n'
        'from (\n    select %s\n    from %s\n    offset 0\n) as d\nwhere %s', p_indent),
        p_record_id, p_old_key, p_new_key, p_old_key, p_old_values, p_changed_fields,
        p_select, p_from, p_where
    )
$$;
