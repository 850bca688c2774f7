-- Internal functions (named with a leading underscore) may change their signatures between
-- versions; they are dropped here and created again below, in the same transaction. Public
-- functions keep their signatures, so objects that depend on them survive an upgrade.
-- (audit._lock_or_explain and audit._lock_log are kept: created before the log, they serve the
-- whole install. A new signature of either needs its own DROP here.)
-- Only readers of audit.tables wait for its DROP (LOCK TABLE on a view would lock the tables it
-- reads too, so this waits in the queue, at most lock_timeout).
do $$
begin
    drop view if exists audit.tables;
exception when lock_not_available then
    raise exception using
        errcode = '55P03',
        message = pg_catalog.format('audit: install could not lock view audit.tables within %s '
            '(a session that read it has its transaction open); nothing was changed',
            pg_catalog.current_setting('lock_timeout')),
        hint = 'Run install.sql again once that transaction has ended (pg_stat_activity shows it), '
            'or give it longer: psql -v lock_timeout=30s.';
end
$$;

do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid::regprocedure
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'audit'::regnamespace and p.proname like '\_%'
            and p.prorettype <> 'trigger'::regtype
            and p.proname not in ('_lock_or_explain', '_lock_log')
    loop
        execute format('drop function %s', v_fn);
    end loop;
end
$$;
