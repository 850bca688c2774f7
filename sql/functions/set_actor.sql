-- Sets who acts for the rest of the current transaction (app.actor_email, app.actor_type,
-- app.actor_id). The type must be a row of audit.actor_types.
create or replace function audit.set_actor(email text, type text default 'user', id text default null)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if type is not null and not exists (select from audit.actor_types as t where t.name = type) then
        raise exception using
            errcode = '22023',
            message = format('audit: actor type %L is not a known actor type', type),
            hint = 'Known types are the rows of audit.actor_types; add your own there.';
    end if;
    perform pg_catalog.set_config('app.actor_email', coalesce(email, ''), true);
    perform pg_catalog.set_config('app.actor_type', coalesce(type, ''), true);
    perform pg_catalog.set_config('app.actor_id', coalesce(id, ''), true);
end
$$;
