-- Fails with 22023 when p_type is set and is not a row of audit.actor_types; p_what names it in the
-- message (the setting app.actor_type, or audit.set_actor's argument). Capture tests the type
-- itself, and calls this only to raise the error.
create or replace function audit._check_actor_type(p_type text, p_what text default 'app.actor_type')
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_type is not null and not exists (select from audit.actor_types as t where t.name = p_type) then
        raise exception using
            errcode = '22023',
            message = format('audit: %s %L is not a known actor type', p_what, p_type),
            hint = 'Known types are the rows of audit.actor_types; add your own there.';
    end if;
end
$$;
