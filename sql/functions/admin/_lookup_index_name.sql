-- The name of the index of audit.logs that holds column p_column of the log rows of
-- p_schema.p_table (the names the rows carry): a digest of the three, so that it fits in a name,
-- is the same after pg_dump and pg_restore, and names no oid.
create or replace function audit._lookup_index_name(p_schema text, p_table text, p_column text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select 'logs_lookup_' || pg_catalog.left(pg_catalog.md5(pg_catalog.jsonb_build_array(p_schema, p_table, p_column)::text), 24)
$$;
