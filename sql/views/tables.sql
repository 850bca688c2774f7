-- The audited tables, since when, and their options.
create or replace view audit.tables as
select
    c.relid::regclass as table_name,
    c.log_schema,
    c.log_table,
    c.enabled_at,
    c.first_enabled_at,
    c.key_columns,
    c.ignore_columns,
    c.redact_columns,
    c.lookup_columns,
    c.require_actor,
    c.snapshot,
    (c.columns is distinct from (select pg_catalog.array_agg(x.name) from audit._columns(c.relid) as x))
        as columns_changed
from audit.config as c
where c.enabled and exists (
    select from pg_catalog.pg_trigger as t where t.tgrelid = c.relid and t.tgname = 'audit_trail_insert'
);
