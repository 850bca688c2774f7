-- Whether function audit.<p_fn>() is exactly what the generator would make now: body p_body (NULL:
-- no answer, so not current), SECURITY DEFINER with capture's settings (audit._pinned_settings),
-- executable by PUBLIC only where p_public (the partition guard).
create or replace function audit._generated_is_current(p_fn text, p_body text, p_public boolean)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce((
        select p.prosrc = p_body and p.prosecdef
            and p.proconfig = array[
                'search_path=pg_catalog, pg_temp', 'extra_float_digits=1', 'bytea_output=hex',
                'IntervalStyle=postgres', 'DateStyle=ISO, YMD', 'TimeZone=UTC', 'array_nulls=on',
                'lc_monetary=C', 'row_security=off'
            ]
            and pg_catalog.has_function_privilege('public', p.oid, 'execute') = p_public
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'audit'::regnamespace and p.proname = p_fn and p.pronargs = 0
    ), false)
$$;
