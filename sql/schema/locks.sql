-- Locks. Installing again, or upgrading, runs next to the application's writes: every lock it
-- waits for is bounded by lock_timeout (5 s unless the session or `psql -v lock_timeout=...` sets
-- one), and the locks it needs are taken by audit._lock_or_explain, which never queues: it takes
-- them all or none, tries again for up to lock_timeout, then fails and names what held them.
-- A run that changes nothing locks no audited table and nothing on audit.logs that writers wait for.
create schema if not exists audit;

do $$
begin
    if pg_catalog.current_setting('lock_timeout') = '0' then
        perform pg_catalog.set_config('lock_timeout', '5s', true);
    end if;
end
$$;
