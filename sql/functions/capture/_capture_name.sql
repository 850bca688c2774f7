-- The name of the function that captures relation p_relid (p_kind 'capture') or guards the
-- partitions of p_relid ('guard'): the one its trigger runs now, or a new one. Names are numbered
-- from a sequence, never by oid, so that they mean the same after a restore.
create or replace function audit._capture_name(p_relid oid, p_kind text)
returns text
language sql volatile
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(
        (
            select p.proname::text
            from pg_catalog.pg_trigger as t
            inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
            where t.tgrelid = p_relid and p.pronamespace = 'audit'::regnamespace
                and t.tgname = case p_kind when 'capture' then 'audit_trail_insert' else 'audit_trail_partition_guard' end
                and p.proname ~ ('^' || p_kind || '_n[0-9]+$')
            limit 1
        ),
        p_kind || '_n' || pg_catalog.nextval('audit.capture_names')
    )
$$;
