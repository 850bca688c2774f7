-- Format pattern p_pattern with each of its line breaks followed by p_indent spaces, so that a
-- generated statement lines up where the capture function's text places it. Only the generator's
-- own patterns go through here, before format() fills them: a line break inside a name or value
-- the statement carries (a column named with one) stays as it is.
create or replace function audit._layout(p_pattern text, p_indent integer)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.replace(p_pattern, E'\n', E'\n' || pg_catalog.repeat(' ', p_indent))
$$;
