-- Records the installed version and regenerates the capture code of every audited table, so that
-- an upgrade in place brings them the new code.
insert into audit.meta (key, value) values ('version', audit.version())
on conflict (key) do update set value = excluded.value;

do $$
declare
    v_cfg audit.config;
    v_rel oid;
begin
    for v_cfg in
        select c.* from audit.config as c
        where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid)
    loop
        for v_rel in select audit._relations(v_cfg.relid) loop
            perform audit._capture_function(v_rel, v_cfg);
        end loop;
        if (select c.relkind from pg_catalog.pg_class as c where c.oid = v_cfg.relid) = 'p' then
            perform audit._partition_guard(v_cfg.relid);
        end if;
    end loop;
end
$$;
