-- Raises 42501 unless the role running p_caller is the package's owner (the owner of audit.logs,
-- a member of it, or a superuser): purges and erasures are the owner's alone.
create or replace function audit._check_lifecycle_role(p_caller text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_owner regrole := (select c.relowner::regrole from pg_catalog.pg_class as c where c.oid = 'audit.logs'::regclass);
begin
    if not pg_catalog.pg_has_role(current_user, v_owner, 'MEMBER') then
        raise exception using
            errcode = '42501',
            message = format('%s: permission denied: only the package''s owner (%s) may run it, not %s',
                p_caller, v_owner, current_user),
            hint = 'Purges and erasures change the log: ask the owner of audit.logs.';
    end if;
end
$$;
