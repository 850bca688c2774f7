-- The ten columns of audit.logs that every log row of one statement shares: when, in which
-- transaction, and who (the context). Capture carries them as one value of type audit.logs in
-- which only these fields are set: the capture function's variable v_log, or
-- audit._current_context() outside a trigger.
create or replace function audit._context_columns()
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select array[
        'created_at', 'transaction_id', 'actor_email', 'actor_type', 'actor_id', 'migration_name',
        'context', 'db_user', 'application_name', 'client_addr'
    ]
$$;
