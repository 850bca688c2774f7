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
            select case when not audit._type_is_trusted(a.atttypid) then 'pg_catalog.jsonb'
                -- An array of a domain: an array of the domain's base type, so that casting the
                -- text back never runs the domain's check (code of the type's owner).
                when e.typtype = 'd' then (
                    with recursive b (oid, depth) as (
                        select e.oid, 0
                        union all
                        select y.typbasetype, b.depth + 1
                        from b inner join pg_catalog.pg_type as y on y.oid = b.oid
                        where y.typtype = 'd'
                    )
                    select pg_catalog.format_type(b.oid, null) || '[]' from b order by b.depth desc limit 1
                )
                else pg_catalog.format_type(t.oid, t.typmod) end
            from t
            left join pg_catalog.pg_type as arr on arr.oid = t.oid and arr.typlen = -1 and arr.typelem <> 0
                and arr.typsubscript = 'pg_catalog.array_subscript_handler'::regproc
            left join pg_catalog.pg_type as e on e.oid = arr.typelem
            order by t.depth desc limit 1
        ),
        audit._type_is_trusted(a.atttypid)
    from pg_catalog.pg_attribute as a
    left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
    order by a.attnum
$$;
