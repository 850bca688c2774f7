-- The live columns of a relation in attribute order: name, type, and whether it is a virtual
-- generated column (PostgreSQL 18) with its expression, which transition tables do not compute.
create or replace function audit._columns(p_relid oid)
returns table (name text, typid oid, is_virtual boolean, expr text)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select
        a.attname::text,
        a.atttypid,
        a.attgenerated = 'v',
        case when a.attgenerated = 'v' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end
    from pg_catalog.pg_attribute as a
    left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
    order by a.attnum
$$;
