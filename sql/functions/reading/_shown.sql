-- A value given by the caller, as an error message shows it: whole up to 100 characters, else its
-- first 100 characters, '...' and its length, so that a huge bad argument is not echoed whole.
create or replace function audit._shown(p_value text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_value is null then 'NULL'
        when pg_catalog.length(p_value) <= 100 then p_value
        else pg_catalog.left(p_value, 100) || format('... (%s characters)', pg_catalog.length(p_value))
    end
$$;
