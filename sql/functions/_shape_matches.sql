-- The shape of relation p_relid: its live columns as name:type:modifier, in order. Capture code
-- is generated for one shape and checks, before it runs, that the relation still has it.
create or replace function audit._shape(p_relid oid)
returns text[]
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(
        a.attname::text || ':' || a.atttypid::text || ':' || a.atttypmod::text order by a.attnum
    ), '{}')
    from pg_catalog.pg_attribute as a
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
$$;

-- Whether relation p_relid still has the shape its capture code was generated for. Declared
-- immutable on purpose: capture calls it with constant arguments in a query that also reads the
-- relation, so the planner folds it into the cached plan once, and PostgreSQL plans that query
-- again whenever the relation's definition changes (ALTER TABLE).
create or replace function audit._shape_matches(p_relid oid, p_shape text[])
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select audit._shape(p_relid) = p_shape
$$;
