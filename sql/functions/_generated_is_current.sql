-- Whether generator p_generator (a statement run with $1 = p_relid and $2 = p_cfg, such as
-- 'select audit._capture_function($1, $2)') would make function audit.<p_fn>() exactly as it is.
-- The generator runs in a read-only subtransaction: its first DDL statement, the
-- CREATE OR REPLACE FUNCTION of the generated code, fails before it takes any lock, and the text
-- of that statement, which the error's context carries, is compared with the one that made the
-- function as it is now. Anything else (another first statement, another error, no error, a
-- function changed since) answers false, and the caller regenerates, as every install did before.
-- (A generator that returned its body without running DDL would make this a plain comparison.)
create or replace function audit._generated_is_current(
    p_generator text, p_relid oid, p_cfg audit.config, p_fn text
)
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_fn pg_catalog.pg_proc;
    v_context text;
    v_expected text;
begin
    select p.* into v_fn
    from pg_catalog.pg_proc as p
    where p.pronamespace = 'audit'::regnamespace and p.proname = p_fn and p.pronargs = 0;
    if not found
        or v_fn.prorettype <> 'pg_catalog.trigger'::regtype
        or v_fn.prolang <> (select l.oid from pg_catalog.pg_language as l where l.lanname = 'plpgsql')
        or not v_fn.prosecdef
        or v_fn.proconfig is distinct from array['search_path=pg_catalog, pg_temp']
        or pg_catalog.has_function_privilege('public', v_fn.oid, 'execute') then
        return false;
    end if;
    v_expected := pg_catalog.format(
        'create or replace function audit.%I() returns trigger language plpgsql security definer '
        'set search_path = pg_catalog, pg_temp as %L',
        p_fn, v_fn.prosrc
    );
    begin
        perform pg_catalog.set_config('transaction_read_only', 'on', true);
        execute p_generator using p_relid, p_cfg;
        -- It ran to its end without DDL: not a generator this function knows.
        raise exception using errcode = 'P0001', message = 'audit: generator ran without DDL';
    exception when read_only_sql_transaction then
        get stacked diagnostics v_context = pg_exception_context;
    when others then
        return false;
    end;
    return pg_catalog.starts_with(v_context, 'SQL statement "' || v_expected || '"' || E'\n');
end
$$;
