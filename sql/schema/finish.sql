-- Records the installed version and regenerates the capture code of every audited table, so that
-- an upgrade in place brings them the new code.
insert into audit.meta (key, value) values ('version', audit.version())
on conflict (key) do update set value = excluded.value;

select audit._capture_function(r.relid, c)
from audit.config as c
cross join lateral audit._relations(c.relid) as r (relid)
where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid);
