-- p_value (any jsonb: a log row's context) with every string equal to one of p_strings, at any
-- depth, as object value or array element, replaced by "[erased]".
create or replace function audit._erased_strings(p_value jsonb, p_strings text[])
returns jsonb
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case pg_catalog.jsonb_typeof(p_value)
        when 'string' then
            case when (p_value #>> '{}') = any(p_strings) then '"[erased]"'::jsonb else p_value end
        when 'object' then coalesce((
            select pg_catalog.jsonb_object_agg(e.key, audit._erased_strings(e.value, p_strings))
            from pg_catalog.jsonb_each(p_value) as e
        ), '{}'::jsonb)
        when 'array' then coalesce((
            select pg_catalog.jsonb_agg(audit._erased_strings(a.value, p_strings) order by a.n)
            from pg_catalog.jsonb_array_elements(p_value) with ordinality as a (value, n)
        ), '[]'::jsonb)
        else p_value
    end
$$;
