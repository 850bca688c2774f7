-- The audit.config row that relation p_relid captures for: that of the nearest audited table among
-- the relation itself and its ancestors (as a partition or inheritance child, at any depth); a row
-- of NULLs if there is none.
create or replace function audit._captured_config(p_relid oid)
returns audit.config
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    with recursive up (relid, depth) as (
        select p_relid, 0
        union all
        select i.inhparent, u.depth + 1
        from up as u
        inner join pg_catalog.pg_inherits as i on i.inhrelid = u.relid
    )
    select c.*
    from up
    inner join audit.config as c on c.relid = up.relid::regclass
    where c.enabled
    order by up.depth
    limit 1
$$;
