-- Names the migration that runs, for the rest of the current transaction (app.current_migration).
create or replace function audit.set_migration(name text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if name is null or name = '' then
        raise exception using errcode = '22023', message = 'audit.set_migration: name must not be empty';
    end if;
    perform pg_catalog.set_config('app.current_migration', name, true);
end
$$;
