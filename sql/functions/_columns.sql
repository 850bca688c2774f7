-- The live columns of a relation in attribute order: name, type, whether it is a virtual
-- generated column (PostgreSQL 18) with its expression, which transition tables do not compute,
-- pos: its position among the live columns (from 1), which names it in generated code (o1, n1,
-- d1, v1), and cast_type: the type, with its modifier, that the column's text form is cast back to when
-- capture carries it as text (bit(4) stays bit(4); a domain becomes its base type, so that an old
-- value that a constraint added NOT VALID rejects can still be logged), and trusted: whether its
-- values convert to jsonb and text by built-in code alone (audit._type_is_trusted); an untrusted
-- column travels as its jsonb (audit._json_expr), and its cast_type is jsonb.
create or replace function audit._columns(p_relid oid)
returns table (name text, typid oid, is_virtual boolean, expr text, pos bigint, cast_type text, trusted boolean)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select
        a.attname::text,
        a.atttypid,
        a.attgenerated = 'v',
        case when a.attgenerated = 'v' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end,
        pg_catalog.row_number() over (order by a.attnum),
        (
            with recursive t (oid, typmod, depth) as (
                select a.atttypid, a.atttypmod, 0
                union all
                select y.typbasetype, y.typtypmod, t.depth + 1
                from t inner join pg_catalog.pg_type as y on y.oid = t.oid
                where y.typtype = 'd'
            )
            select case when audit._type_is_trusted(a.atttypid) then pg_catalog.format_type(t.oid, t.typmod)
                else 'pg_catalog.jsonb' end
            from t order by t.depth desc limit 1
        ),
        audit._type_is_trusted(a.atttypid)
    from pg_catalog.pg_attribute as a
    left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
    order by a.attnum
$$;
