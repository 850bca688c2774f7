-- pg-audit-trail: removes the package from a database, however it was installed (psql or
-- CREATE EXTENSION), in one transaction.
--   psql -v ON_ERROR_STOP=1 -f sql/uninstall.sql "$DATABASE_URL"                 keeps audit.logs
--   psql -v ON_ERROR_STOP=1 -v drop_log=1 -f sql/uninstall.sql "$DATABASE_URL"   drops it, and the schema
-- Every capture trigger, function, view and table of the package goes; with the log kept, the
-- schema audit stays with audit.logs alone in it (no longer append-only: its triggers are gone too),
-- and psql -f sql/install.sql later takes it up again with its rows. Objects of your own that depend
-- on the package (a view over audit.logs, say) make the uninstall fail and change nothing: it never
-- drops them for you. Running it where the package is not installed changes nothing.
\set ON_ERROR_STOP 1
\set QUIET on
\if :{?drop_log}
\else
\set drop_log 0
\endif
set client_min_messages = notice;
begin;

-- The DO block reads the choice from this transaction-local setting.
\o /dev/null
select pg_catalog.set_config('audit_uninstall.drop_log', :'drop_log', true);
\o

do $$
declare
    v_drop_log boolean := pg_catalog.current_setting('audit_uninstall.drop_log')::boolean;
    v_schema oid := pg_catalog.to_regnamespace('audit');
    v_ext boolean := exists (select from pg_catalog.pg_extension as e where e.extname = 'audit_trail');
    v_obj record;
    v_tables text;
begin
    if v_schema is null and not v_ext then
        raise notice 'pg-audit-trail is not installed in database %: nothing to uninstall',
            pg_catalog.current_database();
        return;
    end if;

    -- Triggers that run the package's functions: the capture triggers of audited tables, and the
    -- append-only triggers of audit.logs. The clones on partitions go with their parent's.
    for v_obj in
        select t.tgname, t.tgrelid::regclass as rel
        from pg_catalog.pg_trigger as t
        join pg_catalog.pg_proc as p on p.oid = t.tgfoid
        where p.pronamespace = v_schema and not t.tgisinternal and t.tgparentid = 0
        order by t.tgrelid, t.tgname
    loop
        execute pg_catalog.format('drop trigger %I on %s', v_obj.tgname, v_obj.rel);
    end loop;

    -- The objects in schema audit that no extension owns: the package as psql installed it, and
    -- the capture functions that audit.enable made. Views first, then functions (some take a
    -- table's row type), then every table but the log, then any type of its own.
    for v_obj in
        select c.oid::regclass as rel, c.relkind from pg_catalog.pg_class as c
        where c.relnamespace = v_schema and c.relkind in ('v', 'm')
            and not exists (select from pg_catalog.pg_depend as d
                where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    loop
        execute pg_catalog.format('drop %s view %s', case when v_obj.relkind = 'm' then 'materialized' end,
            v_obj.rel);
    end loop;
    for v_obj in
        select p.oid::regprocedure as fn, p.prokind from pg_catalog.pg_proc as p
        where p.pronamespace = v_schema
            and not exists (select from pg_catalog.pg_depend as d
                where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by p.proname
    loop
        execute pg_catalog.format('drop %s %s', case v_obj.prokind when 'p' then 'procedure'
            when 'a' then 'aggregate' else 'function' end, v_obj.fn);
    end loop;
    select pg_catalog.string_agg(c.oid::regclass::text, ', ') into v_tables
    from pg_catalog.pg_class as c
    where c.relnamespace = v_schema and c.relkind in ('r', 'p', 'f')
        and (v_drop_log or c.oid is distinct from pg_catalog.to_regclass('audit.logs'))
        and not exists (select from pg_catalog.pg_depend as d
            where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e');
    if v_tables is not null then
        execute 'drop table ' || v_tables;
    end if;
    -- Sequences of the package's own (not the log's identity, which goes with the log).
    for v_obj in
        select c.oid::regclass as rel from pg_catalog.pg_class as c
        where c.relnamespace = v_schema and c.relkind = 'S'
            and not exists (select from pg_catalog.pg_depend as d
                where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype in ('e', 'a', 'i'))
    loop
        execute pg_catalog.format('drop sequence %s', v_obj.rel);
    end loop;
    for v_obj in
        select y.oid::regtype as typ from pg_catalog.pg_type as y
        where y.typnamespace = v_schema and y.typtype in ('c', 'e', 'd', 'r') and y.typelem = 0
            and (y.typrelid = 0 or exists (
                select from pg_catalog.pg_class as c where c.oid = y.typrelid and c.relkind = 'c'
            ))
            and not exists (select from pg_catalog.pg_depend as d
                where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = y.oid and d.deptype = 'e')
    loop
        execute pg_catalog.format('drop type %s', v_obj.typ);
    end loop;
    -- Installed as an extension: DROP EXTENSION takes the rest, but not the log (and its schema)
    -- when it is to be kept.
    if v_ext then
        if not v_drop_log then
            -- One at a time, membership checked just before: dropping the table from the extension
            -- may take its row type along (PostgreSQL 17 and later track those too).
            for v_obj in
                select x.classid, x.objid
                from (values
                    (1, 'pg_catalog.pg_class'::regclass, 'audit.logs'::regclass::oid),
                    (2, 'pg_catalog.pg_class'::regclass,
                        pg_catalog.pg_get_serial_sequence('audit.logs', 'id')::regclass::oid),
                    (3, 'pg_catalog.pg_type'::regclass, 'audit.logs'::regtype::oid),
                    (4, 'pg_catalog.pg_type'::regclass, 'audit.logs[]'::regtype::oid),
                    (5, 'pg_catalog.pg_namespace'::regclass, v_schema)
                ) as x (ord, classid, objid)
                order by x.ord
            loop
                if exists (
                    select from pg_catalog.pg_depend as d
                    join pg_catalog.pg_extension as e on e.oid = d.refobjid
                    where d.classid = v_obj.classid and d.objid = v_obj.objid and d.deptype = 'e'
                        and d.refclassid = 'pg_catalog.pg_extension'::regclass and e.extname = 'audit_trail'
                ) then
                    execute pg_catalog.format('alter extension audit_trail drop %s',
                        pg_catalog.pg_describe_object(v_obj.classid, v_obj.objid, 0));
                end if;
            end loop;
        end if;
        drop extension audit_trail;
    end if;

    if v_drop_log and pg_catalog.to_regnamespace('audit') is not null then
        drop schema audit;
    end if;
end
$$;

commit;
