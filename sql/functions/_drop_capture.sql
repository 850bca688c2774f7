-- Drops the capture triggers and function of one relation, if present.
create or replace function audit._drop_capture(p_relid oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_trigger text;
begin
    for v_trigger in
        select t.tgname from pg_catalog.pg_trigger as t
        where t.tgrelid = p_relid and t.tgname in (
            'audit_trail_insert', 'audit_trail_update', 'audit_trail_delete', 'audit_trail_truncate'
        )
    loop
        execute format('drop trigger %I on %s', v_trigger, p_relid::regclass);
    end loop;
    execute format('drop function if exists audit.%I()', format('capture_%s', p_relid));
end
$$;
