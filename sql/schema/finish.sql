-- Records the installed version and regenerates the capture code of every audited table, so that
-- an upgrade in place brings them the new code.
insert into audit.meta (key, value) values ('version', audit.version())
on conflict (key) do update set value = excluded.value;

do $$
declare
    v_cfg audit.config;
    v_rel oid;
    v_stale record;
begin
    -- Only what would change is made again, each relation locked first (audit._lock_stale_capture):
    -- a run that changes nothing takes no lock on any audited table.
    select * into v_stale from audit._lock_stale_capture();
    for v_cfg in
        select c.* from audit.config as c
        where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid)
    loop
        for v_rel in select audit._relations(v_cfg.relid) loop
            if v_rel = any(v_stale.capture) then
                perform audit._capture_function(v_rel, v_cfg);
            end if;
        end loop;
        if v_cfg.relid = any(v_stale.guard) then
            perform audit._partition_guard(v_cfg.relid);
        end if;
    end loop;
end
$$;
