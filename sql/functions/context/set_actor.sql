-- Sets who acts for the rest of the current transaction (app.actor_email, app.actor_type,
-- app.actor_id). The type must be a row of audit.actor_types.
create or replace function audit.set_actor(email text, type text default 'user', id text default null)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    perform audit._check_actor_type(type, 'actor type');
    perform pg_catalog.set_config('app.actor_email', coalesce(email, ''), true);
    perform pg_catalog.set_config('app.actor_type', coalesce(type, ''), true);
    perform pg_catalog.set_config('app.actor_id', coalesce(id, ''), true);
end
$$;
