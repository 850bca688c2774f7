-- Raises an error; usable inside an expression (returns text so it fits anywhere a value does).
create or replace function audit._fail(p_sqlstate text, p_message text, p_hint text default null)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using errcode = p_sqlstate, message = p_message, hint = coalesce(p_hint, '');
end
$$;
