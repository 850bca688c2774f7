-- Internal functions (named with a leading underscore) may change their signatures between
-- versions; they are dropped here and created again below, in the same transaction. Public
-- functions keep their signatures, so objects that depend on them survive an upgrade.
drop view if exists audit.tables;

do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid::regprocedure
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'audit'::regnamespace and p.proname like '\_%'
            and p.prorettype <> 'trigger'::regtype
    loop
        execute format('drop function %s', v_fn);
    end loop;
end
$$;
