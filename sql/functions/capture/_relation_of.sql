-- The relation whose capture (or partition guard) trigger runs function audit.<p_fn>; NULL if none.
-- Generated code names its relation this way, by its function's name, never by oid: a restored
-- database gives every table a new oid, and restores the triggers with their functions' names.
-- Declared immutable on purpose, so that generated code's calls with a constant name fold into
-- its cached plans: the answer changes only when audit.enable replaces that code.
create or replace function audit._relation_of(p_fn text)
returns oid
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select t.tgrelid
    from pg_catalog.pg_trigger as t
    inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
    where p.proname = p_fn and p.pronamespace = 'audit'::regnamespace
        and t.tgname in ('audit_trail_insert', 'audit_trail_partition_guard') and t.tgparentid = 0
        -- A partition guard (which PUBLIC may execute, and so attach to a table of its own) belongs
        -- to an audited table; a capture function, which only the package owner may run, to its
        -- relation.
        and (t.tgname = 'audit_trail_insert'
            or exists (select from audit.config as c where c.relid = t.tgrelid::regclass))
    order by t.tgname
    limit 1
$$;
