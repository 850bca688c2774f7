-- Refuses (42501) a typed read as row type p_type (audit.row_at, audit.rows_at) when building
-- that type would run, with the reader's rights, code of a role that does not already have them.
-- The only such code is a domain's CHECK: PostgreSQL runs it for every value made of the domain,
-- as whoever makes it. A check is safe when the domain's owner and the owners of the functions
-- (and operators) it calls are each a superuser or a member of the reader's role, or when every
-- function it calls is immutable and owned so (PostgreSQL's own are): an immutable function reads
-- no table and runs no query. The walk follows the row type's columns through domains, arrays,
-- composites, ranges and multiranges, and the types a check itself refers to.
create or replace function audit._check_typed_read(p_type regtype, p_caller text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v record;
begin
    with recursive reached (typid, col) as (
        select a.atttypid, a.attname::text
        from pg_catalog.pg_type as t
        inner join pg_catalog.pg_attribute as a on a.attrelid = t.typrelid
        where t.oid = p_type and a.attnum > 0 and not a.attisdropped
        union
        select n.typid, r.col
        from reached as r
        inner join pg_catalog.pg_type as t on t.oid = r.typid
        cross join lateral (
            select t.typbasetype where t.typtype = 'd'
            union all
            select t.typelem where t.typelem <> 0
            union all
            select a.atttypid from pg_catalog.pg_attribute as a
            where t.typtype = 'c' and a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
            union all
            select g.rngsubtype from pg_catalog.pg_range as g where g.rngtypid = t.oid
            union all
            select g.rngtypid from pg_catalog.pg_range as g where g.rngmultitypid = t.oid
            union all
            select d.refobjid
            from pg_catalog.pg_constraint as k
            inner join pg_catalog.pg_depend as d
                on d.classid = 'pg_catalog.pg_constraint'::regclass and d.objid = k.oid
                and d.refclassid = 'pg_catalog.pg_type'::regclass
            where k.contypid = t.oid and k.contype = 'c'
            union all
            -- Every type the check's expression tree names (pg_depend misses some: the RETURNING
            -- type of JSON_QUERY and JSON_VALUE). Fields that are not types only add types the
            -- walk then finds harmless, or oids that are no type at all.
            select x.oid
            from pg_catalog.pg_constraint as k
            cross join lateral pg_catalog.regexp_matches(k.conbin::text,
                ':[A-Za-z_]*(?:type|typid|typeid|typeId)[A-Za-z_]* ([0-9]+)', 'g') as m
            inner join pg_catalog.pg_type as x on x.oid = m[1]::oid
            where k.contypid = t.oid and k.contype = 'c'
        ) as n (typid)
    ),
    checks as (
        select distinct r.col, t.oid as domain, t.typowner, k.oid as con
        from reached as r
        inner join pg_catalog.pg_type as t on t.oid = r.typid and t.typtype = 'd'
        inner join pg_catalog.pg_constraint as k on k.contypid = t.oid and k.contype = 'c'
    ),
    -- The functions a check calls, read from its expression tree (pg_depend leaves out
    -- PostgreSQL's own objects): every function id and, through their code, every operator.
    called_ids as (
        select c.con, m[1] as kind, pg_catalog.regexp_split_to_table(m[2], ' ')::oid as id
        from checks as c
        inner join pg_catalog.pg_constraint as k on k.oid = c.con
        cross join lateral pg_catalog.regexp_matches(k.conbin::text,
            ':(funcid|opfuncid|hashfuncid|negfuncid|opno|opnos) (?:\(o )?([0-9]+(?: [0-9]+)*)', 'g') as m
    ),
    called as (
        select i.con, p.oid as fn, p.proowner, p.provolatile
        from called_ids as i
        inner join pg_catalog.pg_proc as p
            on p.oid = case when i.kind in ('opno', 'opnos')
                then (select o.oprcode::oid from pg_catalog.pg_operator as o where o.oid = i.id)
                else i.id end
    )
    select c.col, c.domain::regtype as domain,
        -- What to name: the domain's owner when it is not trusted, else the first function the
        -- check calls that is not trusted, or not immutable.
        case when audit._trusts(c.typowner) then (
            select pg_catalog.format('calls %s, %s of role %s', f.fn::regprocedure,
                case f.provolatile when 'i' then 'code' else 'a function that is not immutable' end,
                f.proowner::regrole)
            from called as f
            where f.con = c.con and (f.provolatile <> 'i' or not audit._trusts(f.proowner))
            order by audit._trusts(f.proowner), f.fn
            limit 1
        ) else pg_catalog.format('is code of role %s', c.typowner::regrole) end as why
    into v
    from checks as c
    where not (
        audit._trusts(c.typowner)
        and not exists (select from called as f where f.con = c.con and not audit._trusts(f.proowner))
    )
    and exists (
        select from called as f
        where f.con = c.con and (f.provolatile <> 'i' or not audit._trusts(f.proowner))
    )
    order by c.col
    limit 1;
    if found then
        raise exception using
            errcode = '42501',
            message = format('%s: column %s of %s has domain %s, whose check %s and would run with the '
                'rights of %s', p_caller, v.col, p_type, v.domain, v.why, current_user),
            hint = 'Read the states as jsonb with audit.state_at, audit.table_at or audit.history, which run '
                'no check (turning them into the row type yourself runs it, as you). Superusers and the '
                'package''s owner are refused too.';
    end if;
end
$$;
