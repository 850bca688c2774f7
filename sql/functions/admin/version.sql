-- The installed version of pg-audit-trail.
create or replace function audit.version()
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select '0.3.0'::text
$$;
