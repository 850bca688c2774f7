-- Statement p_sql as a string constant for the capture function's EXECUTE: dollar-quoted, so that
-- it reads as the statement itself, unless it holds the tag (a name may), then as a literal.
create or replace function audit._quoted_sql(p_sql text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case when pg_catalog.strpos(p_sql, '$sql$') = 0 then '$sql$' || p_sql || '$sql$'
        else pg_catalog.quote_literal(p_sql) end
$$;
