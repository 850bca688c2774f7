-- Whether relation p_relid is an audited table or a partition or inheritance child of one.
create or replace function audit._is_captured(p_relid oid)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    with recursive up (relid) as (
        select p_relid
        union
        select i.inhparent
        from up as u
        inner join pg_catalog.pg_inherits as i on i.inhrelid = u.relid
    )
    select exists (
        select from up inner join audit.config as c on c.relid = up.relid::regclass where c.enabled
    )
$$;
