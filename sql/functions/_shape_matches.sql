-- Whether relation p_relid still has the columns (name:type, in order) that its capture code was
-- generated for. Declared immutable on purpose: capture calls it with constant arguments in a
-- query that also reads the relation, so the planner folds it into the cached plan once, and
-- PostgreSQL plans that query again whenever the relation's definition changes (ALTER TABLE).
create or replace function audit._shape_matches(p_relid oid, p_shape text[])
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(a.attname::text || ':' || a.atttypid::text order by a.attnum), '{}')
        = p_shape
    from pg_catalog.pg_attribute as a
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
$$;
