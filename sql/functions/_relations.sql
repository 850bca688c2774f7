-- The relations that carry capture triggers for audited table p_relid: the table itself, or a
-- partitioned table and every partition below it.
create or replace function audit._relations(p_relid oid)
returns setof oid
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select t.relid::oid from pg_catalog.pg_partition_tree(p_relid) as t
    union
    select p_relid
$$;
