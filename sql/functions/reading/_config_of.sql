-- The audit.config row of a table that is or was audited; raises 55000 naming it otherwise.
-- Runs as the package owner, for roles that may read audit.logs (so readers need that one grant).
create or replace function audit._config_of(p_tbl regclass, p_caller text)
returns audit.config
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v audit.config;
begin
    if p_tbl is null then
        raise exception using errcode = '22004', message = format('%s: tbl must not be NULL', p_caller);
    end if;
    -- The role that called (SET ROLE, else the session's) must be able to read the log.
    if not pg_catalog.has_table_privilege(
        case when pg_catalog.current_setting('role') = 'none' then session_user
            else pg_catalog.current_setting('role') end,
        'audit.logs', 'SELECT'
    ) then
        raise exception using
            errcode = '42501',
            message = format('%s: permission denied for table audit.logs', p_caller),
            hint = 'Reading the audit trail needs GRANT SELECT ON audit.logs.';
    end if;
    -- A row whose table was dropped may name a new table that took the old oid: an audited table
    -- carries its capture triggers (a disabled one may not), so a table without them is not it.
    select c.* into v from audit.config as c
    where c.relid = p_tbl and (not c.enabled or exists (
        select from pg_catalog.pg_trigger as t where t.tgrelid = p_tbl and t.tgname = 'audit_trail_insert'
    ));
    if not found then
        raise exception using
            errcode = '55000',
            message = format('%s: table %s is not audited', p_caller, p_tbl),
            hint = format('Switch it on with SELECT audit.enable(%L).', p_tbl::text);
    end if;
    return v;
end
$$;
