-- The relations that carry capture triggers for audited table p_relid: the table itself, every
-- partition below a partitioned table, and every inheritance child (at any depth).
create or replace function audit._relations(p_relid oid)
returns setof oid
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    with recursive down (relid) as (
        select p_relid
        union
        select i.inhrelid from down as d inner join pg_catalog.pg_inherits as i on i.inhparent = d.relid
    )
    select d.relid from down as d
$$;
