-- The shape of relation p_relid: its live columns as name:type, in order, with types by name (not
-- oid), so that a restored database has the shape its restored capture code expects. Capture code
-- is generated for one shape and checks, before it runs, that the relation still has it.
create or replace function audit._shape(p_relid oid)
returns text[]
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(
        a.attname::text || ':' || pg_catalog.format_type(a.atttypid, a.atttypmod) order by a.attnum
    ), '{}')
    from pg_catalog.pg_attribute as a
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
$$;
