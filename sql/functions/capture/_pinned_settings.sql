-- The SET clauses of every function that captures: capture does not depend on the writer's session.
-- These settings change how values print or parse (floats, bytea, intervals, dates, time zones,
-- money, NULL in array text), where names resolve, and whether row-level security applies: with
-- row_security off, a table whose policies would hide rows from capture fails instead.
create or replace function audit._pinned_settings()
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select 'set search_path = pg_catalog, pg_temp set extra_float_digits = 1 set bytea_output = hex '
        'set intervalstyle = postgres set datestyle = ''ISO, YMD'' set timezone = ''UTC'' '
        'set array_nulls = on set lc_monetary = ''C'' set row_security = off'
$$;
