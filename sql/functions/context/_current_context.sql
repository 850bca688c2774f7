-- The context of log rows written outside a trigger (the SNAPSHOT and ABSENT rows of
-- audit.enable), as a value of type audit.logs with only audit._context_columns() set. The
-- capture function computes the same fields inline, in the same order, into its v_log.
create or replace function audit._current_context()
returns audit.logs
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    v_log audit.logs;
    v_type text := nullif(pg_catalog.current_setting('app.actor_type', true), '');
    v_context text := nullif(pg_catalog.current_setting('app.audit_context', true), '');
begin
    v_log.created_at := pg_catalog.clock_timestamp();
    v_log.transaction_id := pg_catalog.pg_current_xact_id();
    v_log.actor_email := nullif(pg_catalog.current_setting('app.actor_email', true), '');
    v_log.actor_id := nullif(pg_catalog.current_setting('app.actor_id', true), '');
    v_log.migration_name := nullif(pg_catalog.current_setting('app.current_migration', true), '');
    if v_type is not null then
        perform audit._check_actor_type(v_type);
    end if;
    -- The rule of audit._actor_type_expr, which the capture function inlines.
    execute 'select ' || audit._actor_type_expr('$1', '$2', '$3', '$4')
        into v_log.actor_type
        using v_type, v_log.actor_email, v_log.actor_id, v_log.migration_name;
    if v_context is not null then
        v_log.context := audit._parse_context(v_context);
    end if;
    v_log.db_user := session_user;
    v_log.application_name := nullif(pg_catalog.current_setting('application_name'), '');
    v_log.client_addr := pg_catalog.inet_client_addr();
    return v_log;
end
$$;
