-- Whether code of role p_owner may run with the current user's rights: it is a superuser's, or
-- p_owner already has those rights (it is the current user or a member of its role).
create or replace function audit._trusts(p_owner oid)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.oid = p_owner), false)
        or pg_catalog.pg_has_role(p_owner, current_user, 'MEMBER')
$$;
