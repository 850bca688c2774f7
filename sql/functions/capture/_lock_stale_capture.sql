-- For install: which relations' capture code must be made again, and which partitioned tables'
-- partition guard, because what audit._capture_function / audit._partition_guard would make now
-- differs from what is there (new generator code, columns changed since audit.enable, a trigger
-- dropped or disabled). It locks all of them, all or none (audit._lock_or_explain), before the
-- first is touched, and leaves every other audited table alone: no lock, no DDL.
create or replace function audit._lock_stale_capture(out capture oid[], out guard oid[])
returns record
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config;
    v_rel oid;
    v_lock regclass [] := '{}'::regclass [];
    v_fn text;
    v_kind "char";
    v_no_parent boolean;
begin
    capture := '{}';
    guard := '{}';
    for v_cfg in
        select c.* from audit.config as c
        where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid)
        order by c.relid
    loop
        for v_rel in select r from audit._relations(v_cfg.relid) as r order by r loop
            -- The capture function (the one its triggers run) and the triggers, as
            -- audit._capture_function makes them.
            select c.relkind, c.relkind <> 'p' and not c.relispartition
                and not exists (select from pg_catalog.pg_inherits as i where i.inhrelid = c.oid)
            into v_kind, v_no_parent
            from pg_catalog.pg_class as c where c.oid = v_rel;
            v_fn := (
                select p.proname::text from pg_catalog.pg_trigger as t
                inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
                where t.tgrelid = v_rel and t.tgname = 'audit_trail_insert'
            );
            if v_fn is null
                or not audit._generated_is_current(v_fn, audit._capture_function(v_rel, v_cfg, false), false)
                or (
                    select pg_catalog.count(*) from pg_catalog.pg_trigger as t
                    where t.tgrelid = v_rel and t.tgenabled = 'O'
                        and pg_catalog.pg_get_triggerdef(t.oid) = any(array[
                            format('CREATE TRIGGER audit_trail_insert AFTER INSERT ON %s REFERENCING NEW TABLE '
                                'AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.%s()',
                                v_rel::regclass, v_fn),
                            format('CREATE TRIGGER audit_trail_update AFTER UPDATE ON %s REFERENCING OLD TABLE '
                                'AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION '
                                'audit.%s()', v_rel::regclass, v_fn),
                            format('CREATE TRIGGER audit_trail_delete AFTER DELETE ON %s REFERENCING OLD TABLE '
                                'AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION audit.%s()',
                                v_rel::regclass, v_fn),
                            format('CREATE TRIGGER audit_trail_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                                'EXECUTE FUNCTION audit.%s()', v_rel::regclass, v_fn),
                            format('CREATE TRIGGER audit_trail_no_parent AFTER INSERT ON %s REFERENCING NEW TABLE '
                                'AS audit_no_parent FOR EACH ROW WHEN (false) EXECUTE FUNCTION audit._never_runs()',
                                v_rel::regclass)
                        ])
                ) <> (case when v_kind = 'p' then 3 when v_no_parent then 5 else 4 end)
                then
                capture := capture || v_rel;
                v_lock := v_lock || v_rel::regclass;
            end if;
        end loop;
        -- The partition guard of a partitioned table: its function, and its row trigger on the
        -- table and (cloned by PostgreSQL) on every partition.
        v_fn := (
            select p.proname::text from pg_catalog.pg_trigger as t
            inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
            where t.tgrelid = v_cfg.relid and t.tgname = 'audit_trail_partition_guard'
        );
        if (select c.relkind from pg_catalog.pg_class as c where c.oid = v_cfg.relid) = 'p'
            and (
                v_fn is null
                or not audit._generated_is_current(v_fn, audit._partition_guard(v_cfg.relid, false), true)
                or exists (
                    select from audit._relations(v_cfg.relid) as r
                    where not exists (
                        select from pg_catalog.pg_trigger as t
                        where t.tgrelid = r and t.tgenabled = 'O'
                            and pg_catalog.pg_get_triggerdef(t.oid) = format(
                                'CREATE TRIGGER audit_trail_partition_guard BEFORE INSERT OR DELETE OR UPDATE ON %s '
                                'FOR EACH ROW EXECUTE FUNCTION audit.%s()', r::regclass, v_fn)
                    )
                )
            ) then
            guard := guard || v_cfg.relid;
            v_lock := v_lock || array(select r::regclass from audit._relations(v_cfg.relid) as r);
        end if;
    end loop;
    v_lock := array(select distinct r from pg_catalog.unnest(v_lock) as r order by r);
    perform audit._lock_or_explain(
        v_lock, pg_catalog.array_fill('share row exclusive'::text, array[pg_catalog.cardinality(v_lock)])
    );
end
$$;
