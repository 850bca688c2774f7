-- Keeps audit.logs append-only: UPDATE, DELETE and TRUNCATE fail for every role, its owner included.
create or replace function audit._logs_append_only()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = '42501',
        message = format('audit: audit.logs is append-only; %s is not allowed', tg_op),
        hint = 'Log rows are written only by the capture triggers of audited tables.';
end
$$;

create or replace trigger logs_append_only
before update or delete on audit.logs
for each statement execute function audit._logs_append_only();

create or replace trigger logs_no_truncate
before truncate on audit.logs
for each statement execute function audit._logs_append_only();
