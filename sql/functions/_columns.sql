-- The live columns of a relation in attribute order: name and type.
create or replace function audit._columns(p_relid oid)
returns table (name text, typid oid)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select a.attname::text, a.atttypid
    from pg_catalog.pg_attribute as a
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
    order by a.attnum
$$;
