-- p_values (a log row's old_values or new_values) with every value but those of the columns
-- p_keep (the key) and JSON nulls replaced by the string "[erased]". NULL stays NULL.
create or replace function audit._erased(p_values jsonb, p_keep text[])
returns jsonb
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case when p_values is null then null else coalesce((
        select pg_catalog.jsonb_object_agg(e.key,
            case when e.key = any(p_keep) or pg_catalog.jsonb_typeof(e.value) = 'null' then e.value
                else '"[erased]"'::jsonb end)
        from pg_catalog.jsonb_each(p_values) as e
    ), '{}'::jsonb) end
$$;
