-- Switches off the capture of one relation: drops its audit_trail_* triggers and their functions
-- where the caller may (the table's owner), else replaces the functions with ones that do nothing
-- (the package owner owns them; dropping a trigger needs the table's owner), leaving the triggers
-- in place for audit.enable to use again. Returns whether the triggers were dropped.
create or replace function audit._drop_capture(p_relid oid)
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_trigger text;
    v_fn text;
    v_may_drop boolean := pg_catalog.pg_has_role(
        (select c.relowner from pg_catalog.pg_class as c where c.oid = p_relid), 'USAGE');
begin
    for v_fn in
        select distinct p.proname::text
        from pg_catalog.pg_trigger as t
        inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
        where t.tgrelid = p_relid and t.tgparentid = 0 and p.pronamespace = 'audit'::regnamespace
            and t.tgname in ('audit_trail_insert', 'audit_trail_update', 'audit_trail_delete',
                'audit_trail_truncate', 'audit_trail_partition_guard')
            -- Only the relation's own functions: a table owner may give a table of theirs a
            -- trigger named like ours that runs another table's partition guard (which PUBLIC may
            -- execute); that guard is not this relation's to replace.
            and audit._relation_of(p.proname::text) = p_relid
    loop
        if v_may_drop then
            for v_trigger in
                select t.tgname from pg_catalog.pg_trigger as t
                inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
                where t.tgrelid = p_relid and t.tgparentid = 0 and p.proname = v_fn
                    and p.pronamespace = 'audit'::regnamespace
            loop
                execute format('drop trigger %I on %s', v_trigger, p_relid::regclass);
            end loop;
            execute format('drop function if exists audit.%I()', v_fn);
        else
            execute format(
                'create or replace function audit.%I() returns trigger language plpgsql '
                'set search_path = pg_catalog, pg_temp as %L', v_fn,
                'begin if tg_op operator(pg_catalog.=) ''DELETE'' and tg_level operator(pg_catalog.=) ''ROW'' '
                'then return old; end if; if tg_level operator(pg_catalog.=) ''ROW'' then return new; end if; '
                'return null; end');
        end if;
    end loop;
    if v_may_drop and exists (
        select from pg_catalog.pg_trigger as t where t.tgrelid = p_relid and t.tgname = 'audit_trail_no_parent'
    ) then
        execute format('drop trigger audit_trail_no_parent on %s', p_relid::regclass);
    end if;
    return v_may_drop;
end
$$;
