-- SQL expression giving the canonical text of one key column (record_id of a one-column key).
create or replace function audit._key_text_expr(p_expr text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype, 'oid'::regtype)
            then format('(%s)::text', p_expr)
        when p_typid in ('text'::regtype, 'varchar'::regtype) then format('(%s)::text', p_expr)
        else format('(%s #>> ''{}'')', audit._key_json_expr(p_expr, p_typid))
    end
$$;
