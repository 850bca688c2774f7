-- Switches auditing off for a table: drops its capture triggers and functions. Its history stays in
-- audit.logs and can still be read; audit.enable switches it on again (with a new snapshot).
-- On a detached partition or a former inheritance child of an audited table, it removes the
-- capture triggers left on it and on its own partitions and children.
-- A caller that does not own the table (a package owner with SELECT and TRIGGER on it) cannot drop
-- triggers: their functions then do nothing, and a notice says so.
create or replace function audit.disable(tbl regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rel oid;
    v_kept text [] := '{}'::text [];
    v_cfg audit.config;
begin
    if tbl is null then
        raise exception using errcode = '22004', message = 'audit.disable: tbl must not be NULL';
    end if;
    if not exists (select from audit.config as c where c.relid = tbl and c.enabled) then
        v_cfg := audit._captured_config(tbl);
        if v_cfg.relid is not null then
            raise exception using
                errcode = '55000',
                message = format('audit: %s is not audited by itself: it is a partition or inheritance child of '
                    'audited table %s', tbl, v_cfg.relid),
                hint = format('Run audit.disable(%L) to switch off the whole table.', v_cfg.relid::text);
        end if;
        -- A detached partition or a former inheritance child keeps the capture triggers it had
        -- (and so do its own partitions and children), which refuse its writes: disable removes them.
        if not exists (
            select from pg_catalog.pg_trigger as t
            where t.tgrelid = tbl and t.tgname = 'audit_trail_insert' and t.tgparentid = 0
        ) then
            raise exception using errcode = '55000', message = format('audit: table %s is not audited', tbl);
        end if;
        for v_rel in
            select r from audit._relations(tbl) as r
            where exists (
                select from pg_catalog.pg_trigger as t
                where t.tgrelid = r and t.tgname = 'audit_trail_insert' and t.tgparentid = 0
            ) and (audit._captured_config(r)).relid is null
        loop
            if not audit._drop_capture(v_rel) then
                v_kept := v_kept || v_rel::regclass::text;
            end if;
        end loop;
        if pg_catalog.cardinality(v_kept) > 0 then
            raise notice using
                message = format('audit: the audit_trail_* triggers of %s stay in place and do nothing',
                    pg_catalog.array_to_string(v_kept, ', ')),
                hint = 'Dropping a trigger needs the table''s owner.';
        end if;
        return;
    end if;
    for v_rel in select audit._relations(tbl) loop
        if not audit._drop_capture(v_rel) then
            v_kept := v_kept || v_rel::regclass::text;
        end if;
    end loop;
    if pg_catalog.cardinality(v_kept) > 0 then
        raise notice using
            message = format('audit: the audit_trail_* triggers of %s stay in place and do nothing',
                pg_catalog.array_to_string(v_kept, ', ')),
            hint = 'Dropping a trigger needs the table''s owner; audit.enable uses them again.';
    end if;
    update audit.config set enabled = false, changed_at = pg_catalog.clock_timestamp() where relid = tbl;
end
$$;
