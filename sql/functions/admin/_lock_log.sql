-- Locks audit.logs in mode p_mode for a change to the log itself, after every audited relation
-- (in share row exclusive mode, which a later change of its capture triggers needs), all or none
-- (audit._lock_or_explain). Writers lock their table, then the log: an install that must lock
-- both takes them in the same order, so that it never holds the log while it waits for a table.
-- Created before the log and kept by drop_internal.sql: the install uses it from its first step.
create or replace function audit._lock_log(p_mode text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rels regclass [] := '{}'::regclass [];
begin
    if pg_catalog.to_regclass('audit.config') is not null then
        select coalesce(pg_catalog.array_agg(distinct t.relid), '{}') into v_rels
        from audit.config as c
        cross join lateral pg_catalog.pg_partition_tree(c.relid::regclass) as t
        where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid);
    end if;
    perform audit._lock_or_explain(
        v_rels || 'audit.logs'::regclass,
        pg_catalog.array_fill('share row exclusive'::text, array[pg_catalog.cardinality(v_rels)]) || p_mode
    );
end
$$;
