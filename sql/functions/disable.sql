-- Switches auditing off for a table: drops its capture triggers and functions. Its history stays in
-- audit.logs and can still be read; audit.enable switches it on again (with a new snapshot).
create or replace function audit.disable(tbl regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rel oid;
begin
    if not exists (select from audit.config as c where c.relid = tbl and c.enabled) then
        raise exception using errcode = '55000', message = format('audit: table %s is not audited', tbl);
    end if;
    for v_rel in select audit._relations(tbl) loop
        perform audit._drop_capture(v_rel);
    end loop;
    if (select c.relkind from pg_catalog.pg_class as c where c.oid = tbl) = 'p' then
        execute format('drop trigger if exists audit_trail_partition_guard on %s', tbl);
        execute format('drop function if exists audit.%I()', format('guard_%s', tbl::oid));
    end if;
    update audit.config set enabled = false, changed_at = pg_catalog.clock_timestamp() where relid = tbl;
end
$$;
