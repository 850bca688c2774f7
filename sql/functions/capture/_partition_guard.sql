-- For a partitioned table: (re)creates a row-level BEFORE trigger on it, which PostgreSQL copies to
-- every partition, present and future. It lets a row through where the partition has its capture
-- triggers and the audited table is still the root of its tree, and refuses it (SQLSTATE 55000)
-- on a partition created or attached after audit.enable, whose direct writes would go unlogged,
-- and once the audited table itself has been attached under a new parent, whose writes would
-- reach the partitions without the audited table's statement triggers.
-- With p_apply false it only returns the body it would give the function now (NULL where there is
-- no numbered guard yet), for install to tell whether anything changed.
create or replace function audit._partition_guard(p_root oid, p_apply boolean default true)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_fn text;
    v_body text;
    v_old_fn text := (
        select p.proname::text from pg_catalog.pg_trigger as t
        inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
        where t.tgrelid = p_root and t.tgname = 'audit_trail_partition_guard'
    );
begin
    if not p_apply and v_old_fn !~ '^guard_n[0-9]+$' then
        return null;
    end if;
    v_fn := case when p_apply then audit._capture_name(p_root, 'guard') else v_old_fn end;
    v_body := format($body$
begin
    if not exists (
        select from pg_catalog.pg_trigger as t
        where t.tgrelid operator(pg_catalog.=) tg_relid and t.tgname operator(pg_catalog.=) 'audit_trail_insert'
    ) or (
        select c.relispartition from pg_catalog.pg_class as c
        where c.oid operator(pg_catalog.=) audit._relation_of(%1$L)
    ) then
        perform audit._guard_refuses(tg_relid, audit._relation_of(%1$L));
    end if;
    if tg_op operator(pg_catalog.=) 'DELETE' then
        return old;
    end if;
    return new;
end
$body$, v_fn);
    if not p_apply then
        return v_body;
    end if;
    execute format(
        'create or replace function audit.%I() returns trigger language plpgsql security definer %s as %L',
        v_fn, audit._pinned_settings(), v_body
    );
    -- Any table owner may create a partition, which copies this trigger: it must be able to run it.
    -- Run as a trigger of any other table, it only refuses or passes rows.
    execute format('grant execute on function audit.%I() to public', v_fn);
    execute format(
        'create or replace trigger audit_trail_partition_guard before insert or update or delete on %s '
        'for each row execute function audit.%I()', p_root::regclass, v_fn
    );
    -- A guard of 0.2.0 or earlier, named by the table's oid, gives way to the numbered one.
    if v_old_fn is not null and v_old_fn <> v_fn then
        execute format('drop function if exists audit.%I()', v_old_fn);
    end if;
    return v_body;
end
$$;
